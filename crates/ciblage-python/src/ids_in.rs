//! `ciblage._native.customer_id_column` and `migration_matched`: the
//! customer ids of one-row-per-customer tables, read, checked and matched
//! by the core ([`ciblage::customers::IdColumn`]) for the Python glue of
//! `ciblage.migration` and `ciblage.lifecycle`.

use ciblage::churn::Migration;
use ciblage::customers::IdColumn;
use numpy::{IntoPyArray, PyArray1};
use pyo3::prelude::*;
use pyo3::IntoPyObjectExt;
use pyo3_arrow::PyChunkedArray;

use crate::error::BindError;
use crate::run::guard;

/// Customer ids normalised so that two tables can be matched.
#[pyclass(module = "ciblage._native", name = "CustomerIdColumn", frozen)]
pub struct PyIdColumn {
    inner: IdColumn,
}

/// Reads a customer id column (any Arrow array or chunked array):
/// integers and whole floats as integers, strings and dictionaries of them
/// as strings. `place` names the column in errors, `type_name` its type.
#[pyfunction]
#[pyo3(signature = (column, *, place, type_name))]
pub fn customer_id_column(
    column: PyChunkedArray,
    place: &str,
    type_name: &str,
) -> PyResult<PyIdColumn> {
    guard(|| -> PyResult<_> {
        let (mut chunks, field) = column.into_inner();
        if chunks.is_empty() {
            // No chunk: the type is the field's.
            chunks.push(arrow_array::new_empty_array(field.data_type()));
        }
        let inner =
            ciblage::arrow::id_column(&chunks, place, type_name).map_err(BindError::from)?;
        Ok(PyIdColumn { inner })
    })
}

#[pymethods]
impl PyIdColumn {
    fn __len__(&self) -> usize {
        self.inner.len()
    }

    /// `"integer"` or `"string"`.
    fn kind(&self) -> &'static str {
        self.inner.kind()
    }

    /// Refuses a missing id, naming `place`, its row and the count.
    fn refuse_nulls(&self, place: &str) -> PyResult<()> {
        guard(|| self.inner.refuse_nulls(place).map_err(BindError::from))
    }

    /// Refuses a repeated id, naming `place` and an example.
    fn refuse_duplicates(&self, place: &str) -> PyResult<()> {
        guard(|| self.inner.refuse_duplicates(place).map_err(BindError::from))
    }

    /// The id of `row` (int, str, or None).
    fn id_at(&self, py: Python<'_>, row: usize) -> PyResult<Py<PyAny>> {
        match &self.inner {
            IdColumn::Int(v) => v.get(row).copied().flatten().into_py_any(py),
            IdColumn::Str(v) => v.get(row).cloned().flatten().into_py_any(py),
        }
    }

    /// For each row, the first row of `other` with the same id, -1 where
    /// there is none.
    fn positions_in<'py>(
        &self,
        py: Python<'py>,
        other: &PyIdColumn,
    ) -> PyResult<Bound<'py, PyArray1<i64>>> {
        let pos: Vec<i64> = guard(|| {
            Ok::<_, PyErr>(
                self.inner
                    .positions_in(&other.inner)
                    .into_iter()
                    .map(|p| p.map_or(-1, |j| j as i64))
                    .collect(),
            )
        })?;
        Ok(pos.into_pyarray(py))
    }

    /// Rows in ascending order of id, ties in row order, missing ids last.
    fn sort_indices<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray1<i64>>> {
        let order: Vec<i64> = guard(|| {
            Ok::<_, PyErr>(
                self.inner
                    .sort_indices()
                    .into_iter()
                    .map(|i| i as i64)
                    .collect(),
            )
        })?;
        Ok(order.into_pyarray(py))
    }
}

/// Labels, row-major counts, and (customers, in both, only before, only
/// after).
type MatchedCounts = (Vec<String>, Vec<u64>, (u64, u64, u64, u64));

/// Transition counts between two one-row-per-customer tables matched on
/// their ids; `absent` labels a customer missing from one side. Returns the
/// labels, the row-major counts and (customers, in both, only before, only
/// after).
#[pyfunction]
#[pyo3(signature = (before_ids, before, after_ids, after, *, order, absent))]
pub fn migration_matched(
    before_ids: &PyIdColumn,
    before: Vec<String>,
    after_ids: &PyIdColumn,
    after: Vec<String>,
    order: Vec<String>,
    absent: &str,
) -> PyResult<MatchedCounts> {
    guard(|| -> Result<_, BindError> {
        let (m, matched) = Migration::params().order(&order).check()?.score_matched(
            (&before_ids.inner, &before),
            (&after_ids.inner, &after),
            absent,
        )?;
        Ok((
            m.labels().to_vec(),
            m.counts().to_vec(),
            (
                matched.customers,
                matched.in_both,
                matched.only_before,
                matched.only_after,
            ),
        ))
    })
}
