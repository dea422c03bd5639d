//! Partitioned input (Spark, Dask): an `ActivityStream` reads one
//! partition into a per-customer partial state keyed by customer id
//! (`stream_partial_state`, an Arrow record batch); another stream of the
//! same parameters merges such states (`stream_absorb_partial_state`) and
//! scores them with its own `rfm()` / `totals()`, the code of a local
//! stream (see [`ciblage::partial_state`]).

use arrow_array::RecordBatch;
use arrow_schema::Schema;
use ciblage::arrow as core_arrow;
use ciblage::partial_state::PartialActivity;
use ciblage::CiblageError;
use pyo3::prelude::*;
use pyo3_arrow::{PyRecordBatch, PySchema};

use crate::error::{name_columns, BindError, BindResult};
use crate::run::{guard, run};
use crate::stream::{PyActivityStream, StreamState};

/// Marks a fresh stream as one partition of a larger input: row numbers
/// in messages start at `row0`, and each customer's first row is recorded
/// at position `order0` plus its row in the partition.
#[pyfunction]
pub fn stream_partition(stream: &PyActivityStream, row0: usize, order0: i64) -> PyResult<()> {
    guard(|| {
        stream.with(|state| {
            if state.acc.is_some() || state.partial.is_some() {
                return Err(BindError::from(CiblageError::param(
                    "stream",
                    "already holds rows: mark it as a partition before absorbing any",
                ))
                .into());
            }
            state.row0 = row0;
            state.rows = row0;
            state.order0 = order0;
            state.first_seen = Some(Vec::new());
            Ok(())
        })
    })
}

/// The partial state of everything the stream absorbed (rows of one
/// partition, or partial states merged), as an Arrow record batch; the
/// stream is emptied.
#[pyfunction]
pub fn stream_partial_state(py: Python<'_>, stream: &PyActivityStream) -> PyResult<PyRecordBatch> {
    guard(|| {
        stream.with(|state| {
            run(py, |_| -> BindResult<_> {
                let partial = take_partial(state)?;
                Ok(PyRecordBatch::new(partial.to_arrow()?))
            })
        })
    })
}

/// Merges a partial-state batch into the stream; `schema` is the schema
/// of the transactions (the type of the timestamp column sets the time
/// zone and the form of the dates of the results).
#[pyfunction]
pub fn stream_absorb_partial_state(
    py: Python<'_>,
    stream: &PyActivityStream,
    batch: PyRecordBatch,
    schema: PySchema,
) -> PyResult<()> {
    guard(|| {
        let batch = batch.into_inner();
        let schema = schema.into_inner();
        stream.with(|state| {
            run(py, |_| -> BindResult<_> {
                absorb_partial(state, &batch, &schema).map_err(|e| match e {
                    BindError::Core(c) => BindError::Core(name_columns(c, &state.columns())),
                })
            })
        })
    })
}

fn absorb_partial(state: &mut StreamState, batch: &RecordBatch, schema: &Schema) -> BindResult<()> {
    let kind = match state.timestamp.as_deref() {
        Some(t) => {
            let i = core_arrow::column_index(schema, "timestamp", t)?;
            Some(core_arrow::time_kind(
                "timestamp",
                t,
                schema.field(i).data_type(),
            )?)
        }
        None => None,
    };
    if state.partial.is_some() && kind != state.kind {
        return Err(CiblageError::param(
            "timestamp",
            "partial states of timestamps of several time zones or types",
        )
        .into());
    }
    let options = state.options(kind.as_ref())?;
    state.kind = kind;
    let p = PartialActivity::from_arrow(batch, options, state.cost.is_some())?;
    state.partial = Some(match state.partial.take() {
        Some(q) => q.merge(p)?,
        None => p,
    });
    Ok(())
}

/// The partial state of the rows absorbed, merged with the partial states
/// absorbed.
fn take_partial(state: &mut StreamState) -> BindResult<PartialActivity> {
    let options = state.options(state.kind.as_ref())?;
    let has_cost = state.cost.is_some();
    let mut partial = PartialActivity::empty(options, has_cost);
    if let Some(mut acc) = state.acc.take() {
        let index = std::mem::take(&mut state.index);
        acc.grow_to(index.len());
        let n = index.len() as i64;
        let first_seen = state.first_seen.take().unwrap_or_else(|| (0..n).collect());
        let (activity, exact) = acc.finish_exact();
        partial =
            PartialActivity::new_exact(index, activity, exact, options, has_cost, first_seen)?;
    }
    if let Some(p) = state.partial.take() {
        partial = partial.merge(p)?;
    }
    Ok(partial)
}
