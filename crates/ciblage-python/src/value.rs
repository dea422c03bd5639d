//! `ciblage._native.value_tiers` and `Concentration`.

use std::borrow::Cow;

use arrow_array::RecordBatch;
use ciblage::value::{Concentration, CustomerTotals, TierMethod, ValueTiers};
use ciblage::CiblageError;
use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3_arrow::PyTable;

use crate::arrow_in;
use crate::arrow_out::{self as out, TableBuilder};
use crate::error::{BindError, BindResult};
use crate::run::{guard, run};

fn rename(e: ciblage::CiblageError, column: &str) -> BindError {
    crate::error::name_columns(e, &[("value", column)]).into()
}

/// Tiers of `values` (one per customer): returns tier codes, ranks, tier
/// names (no-value tier last) and the summary table.
#[pyfunction]
#[pyo3(signature = (values, *, column = "value", method = "count", shares = None, bounds = None,
                    names = None, no_value_name = "No value"))]
#[allow(clippy::type_complexity, clippy::too_many_arguments)]
pub fn value_tiers<'py>(
    py: Python<'py>,
    values: PyReadonlyArray1<'py, f64>,
    column: &str,
    method: &str,
    shares: Option<Vec<f64>>,
    bounds: Option<Vec<f64>>,
    names: Option<Vec<String>>,
    no_value_name: &str,
) -> PyResult<(
    Bound<'py, PyArray1<u32>>,
    Bound<'py, PyArray1<u32>>,
    Vec<String>,
    PyTable,
)> {
    guard(|| -> PyResult<_> {
        let method = method
            .parse::<TierMethod>()
            .map_err(BindError::from)?
            .with_cuts(shares, bounds);
        let mut params = ValueTiers::params()
            .method(method)
            .no_value_name(no_value_name);
        if let Some(n) = names {
            params = params.names(n);
        }
        params.clone().check().map_err(BindError::from)?;
        let slice = values.as_slice()?;
        let assignment = run(py, |token| {
            params
                .interrupt(token.clone())
                .check()
                .and_then(|p| p.score(slice))
                .map_err(|e| rename(e, column))
        })?;
        let mut t = TableBuilder::default();
        let s = assignment.summary();
        t.push("tier", out::strings_from(s.iter().map(|r| r.tier.as_str())));
        t.push(
            "customers",
            out::i64_array(s.iter().map(|r| r.customers as i64)),
        );
        let col =
            |f: fn(&ciblage::value::TierSummary) -> f64| -> Vec<f64> { s.iter().map(f).collect() };
        t.push(
            "share_of_customers",
            out::f64_array(&col(|r| r.share_of_customers)),
        );
        t.push("value", out::f64_array(&col(|r| r.value)));
        t.push("share_of_value", out::f64_array(&col(|r| r.share_of_value)));
        t.push("mean_value", out::f64_array(&col(|r| r.mean_value)));
        t.push("min_value", out::f64_array(&col(|r| r.min_value)));
        t.push("max_value", out::f64_array(&col(|r| r.max_value)));
        Ok((
            PyArray1::from_slice(py, assignment.tier_of()),
            PyArray1::from_slice(py, assignment.rank()),
            assignment.names().to_vec(),
            t.into_py_table()?,
        ))
    })
}

/// How concentrated value is among customers (see `ciblage.concentration`).
#[pyclass(module = "ciblage._native", name = "Concentration", frozen)]
pub struct PyConcentration {
    inner: Concentration,
}

#[pymethods]
impl PyConcentration {
    /// Computes the concentration of `values` (one per customer).
    #[new]
    #[pyo3(signature = (values, *, column = "value"))]
    fn new(py: Python<'_>, values: PyReadonlyArray1<'_, f64>, column: &str) -> PyResult<Self> {
        guard(|| -> PyResult<_> {
            let slice = values.as_slice()?;
            let inner = run(py, |_| {
                Concentration::of(slice).map_err(|e| rename(e, column))
            })?;
            Ok(Self { inner })
        })
    }

    /// Gini coefficient in [0, 1].
    #[getter]
    fn gini(&self) -> PyResult<f64> {
        guard(|| Ok::<_, PyErr>(self.inner.gini()))
    }

    /// Number of customers.
    #[getter]
    fn customers(&self) -> usize {
        self.inner.customers()
    }

    /// Total value (negative values counted as zero).
    #[getter]
    fn total(&self) -> f64 {
        self.inner.total()
    }

    /// Customers whose negative value was counted as zero.
    #[getter]
    fn clipped(&self) -> u64 {
        self.inner.clipped()
    }

    /// Share of value made by the top `share` of customers.
    fn top_share(&self, share: f64) -> PyResult<f64> {
        guard(|| -> BindResult<_> { Ok(self.inner.top_share(share)?) })
    }

    /// Smallest share of (best) customers making `share` of the value.
    fn customers_for_value(&self, share: f64) -> PyResult<f64> {
        guard(|| -> BindResult<_> { Ok(self.inner.customers_for_value(share)?) })
    }

    /// Lorenz curve at `points` evenly spaced shares of customers.
    #[pyo3(signature = (points = 101))]
    fn lorenz(&self, points: usize) -> PyResult<PyTable> {
        guard(|| -> PyResult<_> {
            let pts = self.inner.lorenz(points).map_err(BindError::from)?;
            let mut t = TableBuilder::default();
            t.push(
                "share_of_customers",
                out::f64_array(&pts.iter().map(|p| p.customers).collect::<Vec<_>>()),
            );
            t.push(
                "share_of_value",
                out::f64_array(&pts.iter().map(|p| p.value).collect::<Vec<_>>()),
            );
            t.into_py_table()
        })
    }
}

/// Transactions, revenue and, with `cost`, cost and margin per customer of
/// a transaction table; customers in order of first appearance.
#[pyfunction]
#[pyo3(signature = (table, *, customer, amount, cost = None))]
pub fn customer_totals(
    py: Python<'_>,
    table: PyTable,
    customer: &str,
    amount: &str,
    cost: Option<&str>,
) -> PyResult<PyTable> {
    guard(|| -> PyResult<_> {
        let (batches, schema) = table.into_inner();
        let batch = run(py, |token| -> BindResult<_> {
            let ci = arrow_in::column_index(&schema, "customer", customer)?;
            let mut numbers = vec![("amount", amount)];
            numbers.extend(cost.map(|c| ("cost", c)));
            let at = numbers
                .iter()
                .map(|&(argument, name)| arrow_in::column_index(&schema, argument, name))
                .collect::<BindResult<Vec<_>>>()?;
            // An empty table first: its columns may have no type.
            if batches.iter().map(|b| b.num_rows()).sum::<usize>() == 0 {
                return Err(CiblageError::EmptyInput {
                    argument: "transactions".into(),
                }
                .into());
            }
            arrow_in::check_id_type("customer", customer, schema.field(ci).data_type())?;
            let mut columns = Vec::new();
            for (&(argument, name), &i) in numbers.iter().zip(&at) {
                arrow_in::check_number_type(argument, name, schema.field(i).data_type())?;
                columns.push(whole_column(&batches, i, argument, name)?);
            }
            token.check()?;
            let (index, codes) = arrow_in::customer_codes(&batches, ci, customer)?;
            let totals = CustomerTotals::params()
                .interrupt(token.clone())
                .score_codes(
                    &codes,
                    index.len(),
                    &columns[0],
                    columns.get(1).map(|c| &c[..]),
                );
            crate::scratch::give_codes(codes);
            columns.into_iter().for_each(give_column);
            let totals = totals.map_err(|e| {
                crate::error::name_columns(
                    e,
                    &[("amount", amount), ("cost", cost.unwrap_or("cost"))],
                )
            })?;
            Ok(totals_batch(customer, index.ids(), &totals))
        })?;
        let schema = batch.schema();
        PyTable::try_new(vec![batch], schema)
    })
}

/// The `customer_totals` table: the customer column (named as in the
/// input), `transactions`, `revenue`, and with costs `cost` and `margin`;
/// for a table and for a stream alike.
pub(crate) fn totals_batch(
    customer: &str,
    ids: &ciblage::CustomerIds,
    totals: &CustomerTotals,
) -> RecordBatch {
    let mut t = TableBuilder::default();
    t.push(customer, out::ids_array(ids));
    t.push(
        "transactions",
        out::i64_array(totals.transactions().iter().map(|&n| n as i64)),
    );
    t.push("revenue", out::f64_array(totals.revenue()));
    if let (Some(c), Some(m)) = (totals.cost(), totals.margin()) {
        t.push("cost", out::f64_array(c));
        t.push("margin", out::f64_array(&m));
    }
    t.finish()
}

/// One numeric column of all batches as f64, borrowed when there is one
/// f64 batch; the batches put end to end otherwise, in a buffer kept
/// between calls (give it back with [`give_column`]).
fn whole_column<'b>(
    batches: &'b [RecordBatch],
    col: usize,
    argument: &'static str,
    name: &str,
) -> BindResult<Cow<'b, [f64]>> {
    if let [batch] = batches {
        return arrow_in::floats(batch.column(col).as_ref(), argument, name, 0);
    }
    let rows = batches.iter().map(RecordBatch::num_rows).sum();
    let mut all = ciblage::arrow::take_amounts(rows);
    let mut row0 = 0;
    for batch in batches {
        all.extend_from_slice(&arrow_in::floats(
            batch.column(col).as_ref(),
            argument,
            name,
            row0,
        )?);
        row0 += batch.num_rows();
    }
    Ok(Cow::Owned(all))
}

/// Keeps the buffer of a column that [`whole_column`] put end to end.
fn give_column(column: Cow<'_, [f64]>) {
    if let Cow::Owned(v) = column {
        ciblage::arrow::give_amounts(v);
    }
}
