//! `ciblage._native.ActivityStream`: transactions absorbed batch by batch
//! (a stream of record batches), in memory proportional to the customers,
//! then scored as RFM or summed as customer totals. The results are those
//! of the whole table, to the bit (see [`ciblage::ActivityAccumulator`]).

use std::sync::Mutex;

use arrow_array::RecordBatch;
use ciblage::arrow::{self as core_arrow, TimeKind};
use ciblage::value::CustomerTotals;
use ciblage::{
    ActivityAccumulator, ActivityOptions, CiblageError, CustomerIndex, Interrupt, RfmValidParams,
};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3_arrow::{PyRecordBatch, PyTable};

use crate::arrow_in;
use crate::error::{name_columns, BindError, BindResult};
use crate::rfm::PyRfmResult;
use crate::run::{guard, run};
use crate::segments::PySegmentTable;

/// What a stream is absorbed for.
pub(crate) enum Goal {
    /// RFM scores with these parameters (they set the activity options).
    Rfm(Box<RfmValidParams>),
    /// Customer totals: every row counted, no timestamp.
    Totals,
}

/// The state of one stream.
pub(crate) struct StreamState {
    pub(crate) customer: String,
    pub(crate) timestamp: Option<String>,
    pub(crate) amount: String,
    pub(crate) cost: Option<String>,
    timezone: Option<String>,
    goal: Goal,
    pub(crate) acc: Option<ActivityAccumulator>,
    pub(crate) index: CustomerIndex,
    pub(crate) kind: Option<TimeKind>,
    pub(crate) rows: usize,
    codes: Vec<u32>,
    /// Partitioned input (see `crate::partial`): row numbers in messages
    /// start at `row0`, first rows are recorded from position `order0`,
    /// and merged partial states wait here until scored.
    pub(crate) row0: usize,
    pub(crate) order0: i64,
    pub(crate) first_seen: Option<Vec<i64>>,
    pub(crate) partial: Option<ciblage::partial_state::PartialActivity>,
}

impl StreamState {
    pub(crate) fn columns(&self) -> Vec<(&str, &str)> {
        let mut columns = vec![("customer", self.customer.as_str())];
        if let Some(t) = &self.timestamp {
            columns.push(("timestamp", t.as_str()));
        }
        columns.push(("amount", self.amount.as_str()));
        if let Some(c) = &self.cost {
            columns.push(("cost", c.as_str()));
        }
        columns
    }

    /// Reads one batch's columns and pushes its rows.
    fn absorb(&mut self, batch: &RecordBatch, token: &Interrupt) -> BindResult<()> {
        let n = batch.num_rows();
        if n == 0 {
            return Ok(());
        }
        let columns = arrow_in::stream_columns(
            &batch.schema(),
            &arrow_in::StreamNames {
                customer: &self.customer,
                timestamp: self.timestamp.as_deref(),
                amount: &self.amount,
                cost: self.cost.as_deref(),
            },
        )?;
        let (ci, ai, ki, time) = (
            columns.customer,
            columns.amount,
            columns.cost,
            columns.timestamp,
        );
        let kind = time.as_ref().map(|(_, k)| k.clone());
        let acc = match self.acc.take() {
            Some(acc) => {
                if kind != self.kind {
                    return Err(CiblageError::param(
                        "timestamp",
                        "the batches of a stream hold timestamps of several time zones or types",
                    )
                    .into());
                }
                acc
            }
            None => {
                let options = self.options(kind.as_ref())?;
                self.kind = kind;
                ActivityAccumulator::new(options, ki.is_some())
            }
        };
        let mut acc = acc.interrupt(token.clone());
        let pushed = (|| -> BindResult<()> {
            self.codes.clear();
            core_arrow::encode_ids(
                &mut self.index,
                batch.column(ci).as_ref(),
                "customer",
                &self.customer,
                self.rows,
                &mut self.codes,
            )?;
            if let Some(seen) = &mut self.first_seen {
                let at = self.order0 + (self.rows - self.row0) as i64;
                ciblage::partial_state::record_first_rows(&self.codes, at, seen);
            }
            let ts = match (&time, self.timestamp.as_deref()) {
                (Some((ti, _)), Some(t)) => {
                    arrow_in::micros(batch.column(*ti).as_ref(), "timestamp", t, self.rows)?
                }
                _ => std::borrow::Cow::Owned(vec![0; n]),
            };
            let amounts =
                arrow_in::floats(batch.column(ai).as_ref(), "amount", &self.amount, self.rows)?;
            let costs = match (ki, self.cost.as_deref()) {
                (Some(k), Some(c)) => Some(arrow_in::floats(
                    batch.column(k).as_ref(),
                    "cost",
                    c,
                    self.rows,
                )?),
                _ => None,
            };
            let r = acc.push(
                &self.codes,
                &ts,
                &amounts,
                costs.as_deref(),
                self.index.len(),
            );
            arrow_in::give_back(ts);
            Ok(r.map_err(|e| ciblage::partial_state::shift_row(e, self.row0))?)
        })();
        self.acc = Some(acc);
        pushed?;
        self.rows += n;
        Ok(())
    }

    /// The activity options of the goal, for timestamps of `kind`.
    pub(crate) fn options(&self, kind: Option<&TimeKind>) -> BindResult<ActivityOptions> {
        let zone = match kind {
            Some(k) => arrow_in::zone_for(k, self.timezone.as_deref())?,
            None => ciblage::Zone::Utc,
        };
        Ok(match &self.goal {
            Goal::Rfm(p) => p.activity_options(zone),
            Goal::Totals => ActivityOptions::default(),
        })
    }

    /// The per-customer activity of every row absorbed.
    fn finish(&mut self) -> BindResult<ciblage::CustomerActivity> {
        if let Some(partial) = self.partial.take() {
            let (index, activity) = partial.into_activity()?;
            self.index = index;
            return Ok(activity);
        }
        match self.acc.take() {
            Some(mut acc) if self.rows > 0 => {
                acc.grow_to(self.index.len());
                Ok(acc.finish())
            }
            _ => Err(CiblageError::EmptyInput {
                argument: "transactions".into(),
            }
            .into()),
        }
    }
}

/// Transactions absorbed batch by batch; see the module documentation.
#[pyclass(module = "ciblage._native", name = "ActivityStream", frozen)]
pub struct PyActivityStream {
    state: Mutex<StreamState>,
}

impl PyActivityStream {
    pub(crate) fn with<T>(
        &self,
        work: impl FnOnce(&mut StreamState) -> PyResult<T>,
    ) -> PyResult<T> {
        let mut state = self
            .state
            .lock()
            .map_err(|_| BindError::from(CiblageError::param("stream", "used after a failure")))?;
        work(&mut state)
    }
}

/// A stream scored as RFM (the parameters of `ciblage.rfm`).
#[pyfunction]
#[pyo3(signature = (
    *, customer, timestamp, amount, cost = None, as_of = None, bins = 5,
    method = "quantile", recency_cuts = None, frequency_cuts = None, monetary_cuts = None,
    frequency = "transactions", monetary = "revenue", variant = "rfm",
    weights = (1.0, 1.0, 1.0), negative_amounts = "keep", segments = None, timezone = None
))]
#[allow(clippy::too_many_arguments)]
pub fn rfm_stream(
    customer: &str,
    timestamp: &str,
    amount: &str,
    cost: Option<&str>,
    as_of: Option<&str>,
    bins: u8,
    method: &str,
    recency_cuts: Option<Vec<f64>>,
    frequency_cuts: Option<Vec<f64>>,
    monetary_cuts: Option<Vec<f64>>,
    frequency: &str,
    monetary: &str,
    variant: &str,
    weights: (f64, f64, f64),
    negative_amounts: &str,
    segments: Option<PyRef<'_, PySegmentTable>>,
    timezone: Option<&str>,
) -> PyResult<PyActivityStream> {
    guard(|| -> PyResult<_> {
        let params = crate::rfm::build_params(
            as_of,
            bins,
            method,
            [recency_cuts, frequency_cuts, monetary_cuts],
            frequency,
            monetary,
            variant,
            weights,
            negative_amounts,
            segments.as_deref(),
        )
        .and_then(|p| p.check())
        .map_err(BindError::from)?;
        if let Some(z) = timezone {
            ciblage::Zone::parse(z).map_err(BindError::from)?;
        }
        Ok(new_stream(
            customer,
            Some(timestamp),
            amount,
            cost,
            timezone,
            Goal::Rfm(Box::new(params)),
        ))
    })
}

/// A stream summed as customer totals (the columns of `ciblage.customer_totals`).
#[pyfunction]
#[pyo3(signature = (*, customer, amount, cost = None))]
pub fn totals_stream(customer: &str, amount: &str, cost: Option<&str>) -> PyActivityStream {
    new_stream(customer, None, amount, cost, None, Goal::Totals)
}

fn new_stream(
    customer: &str,
    timestamp: Option<&str>,
    amount: &str,
    cost: Option<&str>,
    timezone: Option<&str>,
    goal: Goal,
) -> PyActivityStream {
    PyActivityStream {
        state: Mutex::new(StreamState {
            customer: customer.into(),
            timestamp: timestamp.map(Into::into),
            amount: amount.into(),
            cost: cost.map(Into::into),
            timezone: timezone.map(Into::into),
            goal,
            acc: None,
            index: CustomerIndex::named("customer"),
            kind: None,
            rows: 0,
            codes: Vec::new(),
            row0: 0,
            order0: 0,
            first_seen: None,
            partial: None,
        }),
    }
}

#[pymethods]
impl PyActivityStream {
    /// Absorbs one record batch (any object with `__arrow_c_array__`).
    fn absorb(&self, py: Python<'_>, batch: PyRecordBatch) -> PyResult<()> {
        guard(|| {
            let batch = batch.into_inner();
            self.with(|state| {
                run(py, |token| {
                    state.absorb(&batch, token).map_err(|e| match e {
                        BindError::Core(c) => BindError::Core(name_columns(c, &state.columns())),
                    })
                })
            })
        })
    }

    /// Rows absorbed so far.
    #[getter]
    fn rows(&self) -> PyResult<usize> {
        self.with(|state| Ok(state.rows))
    }

    /// The RFM scores of every row absorbed (a stream opened by `rfm_stream`).
    fn rfm(&self, py: Python<'_>) -> PyResult<PyRfmResult> {
        guard(|| {
            self.with(|state| {
                run(py, |_| -> BindResult<_> {
                    let activity = state.finish()?;
                    let Goal::Rfm(params) = &state.goal else {
                        return Err(CiblageError::param("stream", "not opened for RFM").into());
                    };
                    let scores = params.score_activity(&activity, &state.index)?;
                    let kind = state.kind.clone().unwrap_or(TimeKind::Date);
                    Ok(PyRfmResult::new(scores, kind))
                })
            })
        })
    }

    /// Transactions, revenue and (with costs) cost and margin per customer,
    /// in order of first appearance.
    fn totals(&self, py: Python<'_>) -> PyResult<PyTable> {
        guard(|| {
            let batch = self.with(|state| {
                run(py, |_| -> BindResult<_> {
                    let activity = state.finish()?;
                    let columns = state.columns();
                    let totals = CustomerTotals::from_activity(&activity)
                        .map_err(|e| name_columns(e, &columns))?;
                    Ok(crate::value::totals_batch(
                        &state.customer,
                        state.index.ids(),
                        &totals,
                    ))
                })
            })?;
            let schema = batch.schema();
            PyTable::try_new(vec![batch], schema)
        })
    }

    /// Rows and customers so far, as a dict.
    fn summary<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        self.with(|state| {
            let d = PyDict::new(py);
            d.set_item("rows", state.rows)?;
            d.set_item("customers", state.index.len())?;
            Ok(d)
        })
    }
}
