//! Partitioned input (Spark, Dask) for retention, churn flags and the CLV
//! summary: the per-customer day state of one partition
//! (`partial_days`), the merge of such states (`merge_partial_days`),
//! as Arrow record batches (see [`ciblage::partial_state::PartialDays`]),
//! and the rows a merged state stands for (`partial_days_rows`, see
//! [`PartialDays::local_rows`]).

use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use ciblage::arrow::TransactionColumns;
use ciblage::partial_state::{DayCollapse, PartialDays};
use ciblage::{CustomerIds, Transactions};
use pyo3::prelude::*;
use pyo3_arrow::{PyRecordBatch, PyTable};

use crate::day_stream::collapse_of;
use crate::error::BindResult;
use crate::run::run;

/// The day state of a table of transactions (days in `timezone`, else
/// the timestamp column's zone, else UTC).
#[pyfunction]
#[pyo3(signature = (table, *, customer, timestamp, amount, cost=None, timezone=None))]
pub fn partial_days(
    py: Python<'_>,
    table: PyTable,
    customer: &str,
    timestamp: &str,
    amount: &str,
    cost: Option<&str>,
    timezone: Option<&str>,
) -> PyResult<PyRecordBatch> {
    let names = TransactionColumns {
        customer,
        timestamp,
        amount,
        cost,
    };
    let (batches, _) = table.into_inner();
    run(py, |_| -> BindResult<_> {
        let tx = Transactions::from_record_batches(&batches, &names, timezone)?;
        Ok(PyRecordBatch::new(
            PartialDays::from_transactions(&tx).to_arrow()?,
        ))
    })
}

/// One day state of several (the batches of `to_arrow`, checked whole),
/// its days moved to the periods of `goal` (see `day_state_stream`; none
/// without a goal).
#[pyfunction]
#[pyo3(signature = (
    batches, *, has_cost, goal = None, period = "month", week_start = "monday",
    origin = None, as_of = None, freq = "D"
))]
#[allow(clippy::too_many_arguments)]
pub fn merge_partial_days(
    py: Python<'_>,
    batches: Vec<PyRecordBatch>,
    has_cost: bool,
    goal: Option<&str>,
    period: &str,
    week_start: &str,
    origin: Option<i64>,
    as_of: Option<i64>,
    freq: &str,
) -> PyResult<PyRecordBatch> {
    let collapse = goal
        .map(|g| collapse_of(g, period, week_start, origin, as_of, freq))
        .transpose()?
        .unwrap_or(DayCollapse::Keep);
    let batches: Vec<_> = batches.into_iter().map(PyRecordBatch::into_inner).collect();
    run(py, |_| -> BindResult<_> {
        let mut state = PartialDays::empty(has_cost);
        for batch in &batches {
            state = state.merge(PartialDays::from_arrow(batch, has_cost)?)?;
        }
        Ok(PyRecordBatch::new(state.collapsed(collapse).to_arrow()?))
    })
}

/// The rows the merged state of `batches` stands for, as the local calls
/// read them: columns `customer`, `day` (days since 1970-01-01),
/// `amount` and `cost` (null without costs); per key, amounts (margins
/// with costs) adding up exactly to its exact sums.
#[pyfunction]
#[pyo3(signature = (batches, *, has_cost))]
pub fn partial_days_rows(
    py: Python<'_>,
    batches: Vec<PyRecordBatch>,
    has_cost: bool,
) -> PyResult<PyRecordBatch> {
    let batches: Vec<_> = batches.into_iter().map(PyRecordBatch::into_inner).collect();
    run(py, |_| -> BindResult<_> {
        let mut state = PartialDays::empty(has_cost);
        for batch in &batches {
            state = state.merge(PartialDays::from_arrow(batch, has_cost)?)?;
        }
        let rows = state.local_rows();
        let customer: ArrayRef = match state.ids().gather(&rows.codes) {
            CustomerIds::Int(v) => Arc::new(Int64Array::from(v)),
            CustomerIds::Str(s) => Arc::new(StringArray::from_iter_values(s.iter())),
        };
        let n = rows.amounts.len();
        let cost: ArrayRef = match rows.costs {
            Some(c) => Arc::new(Float64Array::from(c)),
            None => Arc::new(Float64Array::from(vec![None; n])),
        };
        let batch = RecordBatch::try_from_iter([
            ("customer", customer),
            ("day", Arc::new(Int64Array::from(rows.days)) as ArrayRef),
            (
                "amount",
                Arc::new(Float64Array::from(rows.amounts)) as ArrayRef,
            ),
            ("cost", cost),
        ])
        .map_err(|e| ciblage::CiblageError::InvalidModelFile {
            what: "day state",
            reason: e.to_string(),
        })?;
        Ok(PyRecordBatch::new(batch))
    })
}
