//! Partitioned input (Spark, Dask) for retention, churn flags and the CLV
//! summary: the per-customer day state of one partition
//! (`partial_days`) and the merge of such states (`merge_partial_days`),
//! as Arrow record batches (see [`ciblage::partial_state::PartialDays`]).

use ciblage::arrow::TransactionColumns;
use ciblage::partial_state::PartialDays;
use ciblage::Transactions;
use pyo3::prelude::*;
use pyo3_arrow::{PyRecordBatch, PyTable};

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

/// One day state of several (the batches of `to_arrow`, checked whole).
#[pyfunction]
#[pyo3(signature = (batches, *, has_cost))]
pub fn merge_partial_days(
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
        Ok(PyRecordBatch::new(state.to_arrow()?))
    })
}
