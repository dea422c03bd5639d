//! `ciblage._native.DayStateStream`: transactions absorbed batch by batch
//! into one day state (see [`ciblage::partial_state::DayStateAccumulator`]),
//! for `retention` and the CLV summary of a stream; the finished state is
//! the Arrow form of [`ciblage::partial_state::PartialDays`], finished by
//! the local call as the Spark and Dask states are.

use std::sync::Mutex;

use arrow_array::RecordBatch;
use ciblage::arrow::{self as core_arrow, TimeKind};
use ciblage::churn::Period;
use ciblage::clv::Freq;
use ciblage::partial_state::{DayCollapse, DayStateAccumulator};
use ciblage::CiblageError;
use pyo3::prelude::*;
use pyo3_arrow::PyRecordBatch;

use crate::arrow_in;
use crate::error::{name_columns, BindError, BindResult};
use crate::run::{guard, run};

/// The state of one stream.
struct DayStream {
    customer: String,
    timestamp: String,
    amount: String,
    cost: Option<String>,
    timezone: Option<String>,
    collapse: DayCollapse,
    /// The CLV summary's frequency and observation end (a day) when it
    /// rejects negative amounts.
    refuse_negatives: Option<(Freq, Option<i64>)>,
    acc: Option<DayStateAccumulator>,
    kind: Option<TimeKind>,
    codes: Vec<u32>,
}

impl DayStream {
    fn columns(&self) -> Vec<(&str, &str)> {
        let mut columns = vec![
            ("customer", self.customer.as_str()),
            ("timestamp", self.timestamp.as_str()),
            ("amount", self.amount.as_str()),
        ];
        if let Some(c) = &self.cost {
            columns.push(("cost", c.as_str()));
        }
        columns
    }

    fn rows(&self) -> usize {
        self.acc.as_ref().map_or(0, DayStateAccumulator::rows)
    }

    /// Reads one batch's columns and pushes its rows.
    fn absorb(&mut self, batch: &RecordBatch) -> BindResult<()> {
        let n = batch.num_rows();
        if n == 0 {
            return Ok(());
        }
        let columns = arrow_in::stream_columns(
            &batch.schema(),
            &arrow_in::StreamNames {
                customer: &self.customer,
                timestamp: Some(&self.timestamp),
                amount: &self.amount,
                cost: self.cost.as_deref(),
            },
        )?;
        let (ci, ai, ki) = (columns.customer, columns.amount, columns.cost);
        let (ti, kind) = columns
            .timestamp
            .ok_or_else(|| CiblageError::param("timestamp", "no timestamp column named"))?;
        let rows = self.rows();
        let acc = match self.acc.as_mut() {
            Some(acc) => {
                if Some(&kind) != self.kind.as_ref() {
                    return Err(CiblageError::param(
                        "timestamp",
                        "the batches of a stream hold timestamps of several time zones or types",
                    )
                    .into());
                }
                acc
            }
            None => {
                let zone = arrow_in::zone_for(&kind, self.timezone.as_deref())?;
                self.kind = Some(kind);
                let mut acc = DayStateAccumulator::new(self.collapse, zone, ki.is_some());
                if let Some((freq, end)) = self.refuse_negatives {
                    acc = acc.refusing_negatives(freq, end);
                }
                self.acc.insert(acc)
            }
        };
        self.codes.clear();
        core_arrow::encode_ids(
            acc.customers_mut(),
            batch.column(ci).as_ref(),
            "customer",
            &self.customer,
            rows,
            &mut self.codes,
        )?;
        let ts = arrow_in::micros(
            batch.column(ti).as_ref(),
            "timestamp",
            &self.timestamp,
            rows,
        )?;
        let amounts = arrow_in::floats(batch.column(ai).as_ref(), "amount", &self.amount, rows)?;
        let costs = match (ki, self.cost.as_deref()) {
            (Some(k), Some(c)) => {
                Some(arrow_in::floats(batch.column(k).as_ref(), "cost", c, rows)?)
            }
            _ => None,
        };
        let pushed = acc.push(&self.codes, &ts, &amounts, costs.as_deref());
        core_arrow::give_back(ts);
        Ok(pushed?)
    }
}

/// Transactions absorbed batch by batch into one day state; see the
/// module documentation.
#[pyclass(module = "ciblage._native", name = "DayStateStream", frozen)]
pub struct PyDayStateStream {
    state: Mutex<DayStream>,
}

impl PyDayStateStream {
    fn with<T>(&self, work: impl FnOnce(&mut DayStream) -> PyResult<T>) -> PyResult<T> {
        let mut state = self
            .state
            .lock()
            .map_err(|_| BindError::from(CiblageError::param("stream", "used after a failure")))?;
        work(&mut state)
    }
}

/// The days a call's state keeps: `goal` `"retention"` (its `period`,
/// `week_start`, and `origin` and `as_of` as day numbers) or
/// `"clv_summary"` (its `freq`: `"W"` Monday weeks, `"M"` months, any
/// other frequency days).
pub(crate) fn collapse_of(
    goal: &str,
    period: &str,
    week_start: &str,
    origin: Option<i64>,
    as_of: Option<i64>,
    freq: &str,
) -> BindResult<DayCollapse> {
    Ok(match goal {
        "retention" => DayCollapse::Retention {
            period: Period::parse(period, Period::parse_weekday(week_start)?)?,
            origin,
            as_of,
        },
        "clv_summary" => DayCollapse::ClvSummary {
            period: match freq {
                "W" => Period::Week {
                    start: ciblage::chrono::Weekday::Mon,
                },
                "M" => Period::Month,
                _ => Period::Day,
            },
        },
        "churn_flags" => DayCollapse::Keep,
        other => {
            return Err(CiblageError::param(
                "goal",
                format!(
                    "expected \"retention\", \"clv_summary\" or \"churn_flags\", got {other:?}"
                ),
            )
            .into())
        }
    })
}

/// A stream read into one day state for `goal` (see `collapse_of`), days
/// in `timezone`, else the timestamp column's zone, else UTC. With
/// `reject_negatives` (the CLV summary's `freq` and `observation_end` as
/// a day, under its `"reject"` policy), a negative amount the summary
/// refuses fails the batch that holds it, with the summary's error.
#[pyfunction]
#[pyo3(signature = (
    *, goal, customer, timestamp, amount, cost = None, timezone = None,
    period = "month", week_start = "monday", origin = None, as_of = None, freq = "D",
    reject_negatives = None
))]
#[allow(clippy::too_many_arguments)]
pub fn day_state_stream(
    goal: &str,
    customer: &str,
    timestamp: &str,
    amount: &str,
    cost: Option<&str>,
    timezone: Option<&str>,
    period: &str,
    week_start: &str,
    origin: Option<i64>,
    as_of: Option<i64>,
    freq: &str,
    reject_negatives: Option<(String, Option<i64>)>,
) -> PyResult<PyDayStateStream> {
    guard(|| -> PyResult<_> {
        let collapse = collapse_of(goal, period, week_start, origin, as_of, freq)?;
        let refuse_negatives = reject_negatives
            .map(|(f, end)| -> BindResult<_> { Ok((f.parse::<Freq>()?, end)) })
            .transpose()?;
        if let Some(z) = timezone {
            ciblage::Zone::parse(z).map_err(BindError::from)?;
        }
        Ok(PyDayStateStream {
            state: Mutex::new(DayStream {
                customer: customer.into(),
                timestamp: timestamp.into(),
                amount: amount.into(),
                cost: cost.map(Into::into),
                timezone: timezone.map(Into::into),
                collapse,
                refuse_negatives,
                acc: None,
                kind: None,
                codes: Vec::new(),
            }),
        })
    })
}

#[pymethods]
impl PyDayStateStream {
    /// Absorbs one record batch (any object with `__arrow_c_array__`).
    fn absorb(&self, py: Python<'_>, batch: PyRecordBatch) -> PyResult<()> {
        guard(|| {
            let batch = batch.into_inner();
            self.with(|state| {
                run(py, |_| {
                    state.absorb(&batch).map_err(|e| match e {
                        BindError::Core(c) => BindError::Core(name_columns(c, &state.columns())),
                    })
                })
            })
        })
    }

    /// Rows absorbed so far.
    #[getter]
    fn rows(&self) -> PyResult<usize> {
        self.with(|state| Ok(state.rows()))
    }

    /// The day state of every row absorbed, in the Arrow form of
    /// `partial_days` (an empty stream: a state without entries). The
    /// stream is empty afterwards.
    fn finish(&self, py: Python<'_>) -> PyResult<PyRecordBatch> {
        guard(|| {
            self.with(|state| {
                run(py, |_| -> BindResult<_> {
                    let has_cost = state.cost.is_some();
                    let days = match state.acc.take() {
                        Some(acc) => acc.finish(),
                        None => ciblage::partial_state::PartialDays::empty(has_cost),
                    };
                    Ok(PyRecordBatch::new(days.to_arrow()?))
                })
            })
        })
    }
}
