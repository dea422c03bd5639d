//! `ciblage._native.local_days`: the local calendar day of every value of a
//! date or timestamp column, by the same rule as the transaction readers
//! (the column's zone unless `timezone` is given; dates are days as they
//! are), for the Python glue that places contacts and contract ends on days.

use arrow_array::RecordBatch;
use arrow_schema::DataType;
use ciblage::arrow::append_local_days;
use ciblage::{CiblageError, Zone};
use numpy::{IntoPyArray, PyArray1};
use pyo3::prelude::*;
use pyo3_arrow::PyTable;

use crate::arrow_in::{self, TimeKind};
use crate::error::{BindError, ColumnNotFoundError, ColumnTypeError};
use crate::run::{guard, run};

/// Local days (days since 1970-01-01, as floats; NaN for null or NaT) of
/// the date or timestamp column `column` of `table`: in the column's zone
/// unless `timezone` is given, dates as they are. `argument` names the
/// column in messages.
#[pyfunction]
#[pyo3(signature = (table, *, column, argument, timezone = None))]
pub fn local_days<'py>(
    py: Python<'py>,
    table: PyTable,
    column: &str,
    argument: &str,
    timezone: Option<&str>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    guard(|| -> PyResult<_> {
        let (batches, schema) = table.into_inner();
        let Ok(at) = schema.index_of(column) else {
            return Err(ColumnNotFoundError::new_err(format!(
                "{argument}: column {column:?} not found"
            )));
        };
        let dt = schema.field(at).data_type();
        let kind = match dt {
            DataType::Timestamp(_, tz) => TimeKind::Timestamp(tz.as_ref().map(ToString::to_string)),
            DataType::Date32 | DataType::Date64 => TimeKind::Date,
            other => {
                return Err(ColumnTypeError::new_err(format!(
                    "{argument}: has type {other}, expected dates or timestamps"
                )))
            }
        };
        let zone = match (&kind, timezone) {
            // The column's own zone: an unknown one is a fault of the column,
            // not of a parameter.
            (TimeKind::Timestamp(Some(tz)), None) => Zone::parse(tz).map_err(|_| {
                ColumnTypeError::new_err(format!(
                "{argument}: the column's time zone {tz:?} is not a known IANA zone or UTC offset"
            ))
            })?,
            _ => arrow_in::zone_for(&kind, timezone).map_err(PyErr::from)?,
        };
        let days = run(py, |token| {
            (|| -> Result<Vec<f64>, CiblageError> {
                let mut out = Vec::with_capacity(batches.iter().map(RecordBatch::num_rows).sum());
                let mut row0 = 0;
                for batch in &batches {
                    token.check()?;
                    append_local_days(batch.column(at).as_ref(), zone, argument, row0, &mut out)?;
                    row0 += batch.num_rows();
                }
                Ok(out)
            })()
            .map_err(BindError::from)
        })?;
        Ok(days.into_pyarray(py))
    })
}
