//! `ciblage._native.rfm_scores` and its result class.

use arrow_array::{ArrayRef, RecordBatch};
use chrono::NaiveDate;
use ciblage::{
    ActivityAccumulator, Binning, CiblageError, FrequencyMeasure, Interrupt, MonetaryMeasure,
    NegativeAmounts, Rfm, RfmParams, RfmScores, RfmVariant, RowChunk,
};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3_arrow::PyTable;
use rayon::prelude::*;

use crate::arrow_in::{self, TimeKind};
use crate::arrow_out::{self as out, TableBuilder};
use crate::error::{name_columns, BindError, BindResult};
use crate::run::{guard, run, run_reporting};
use crate::segments::PySegmentTable;
use crate::tx_in::{resolve, Resolved, TransactionColumns};

/// Builds one output column.
type Column<'a> = Box<dyn Fn() -> ArrayRef + Send + Sync + 'a>;

/// Column names of the transaction table.
struct ColumnNames<'a> {
    customer: &'a str,
    timestamp: &'a str,
    amount: &'a str,
    cost: Option<&'a str>,
}

/// The result of one RFM scoring: per-customer table, segment summary,
/// thresholds and reports. Tables are returned as Arrow objects
/// (`__arrow_c_stream__`); `ciblage.rfm` converts them to the caller's library.
#[pyclass(module = "ciblage._native", name = "RfmResult", frozen)]
pub struct PyRfmResult {
    scores: RfmScores,
    time_kind: TimeKind,
}

fn binning(method: &str, cuts: Option<Vec<f64>>) -> Result<Binning, CiblageError> {
    match cuts {
        Some(c) => Ok(Binning::Fixed(c)),
        None => method.parse(),
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn build_params(
    as_of: Option<&str>,
    bins: u8,
    method: &str,
    cuts: [Option<Vec<f64>>; 3],
    frequency: &str,
    monetary: &str,
    variant: &str,
    weights: (f64, f64, f64),
    negative_amounts: &str,
    segments: Option<&PySegmentTable>,
) -> Result<RfmParams, CiblageError> {
    let [rc, fc, mc] = cuts;
    let mut p = Rfm::params()
        .bins(usize::from(bins))
        .recency_binning(binning(method, rc)?)
        .frequency_binning(binning(method, fc)?)
        .monetary_binning(binning(method, mc)?)
        .frequency(frequency.parse::<FrequencyMeasure>()?)
        .monetary(monetary.parse::<MonetaryMeasure>()?)
        .variant(variant.parse::<RfmVariant>()?)
        .weights(weights.0, weights.1, weights.2)
        .negative_amounts(NegativeAmounts::parse(negative_amounts)?);
    if let Some(text) = as_of {
        let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
            CiblageError::InvalidParameter {
                name: "as_of",
                reason: format!("expected a date (YYYY-MM-DD), got {text:?}"),
            }
        })?;
        p = p.as_of(date);
    }
    if let Some(s) = segments {
        p = p.segments(s.table.clone());
    }
    Ok(p)
}

/// Reads the batches and scores them; runs without the GIL.
fn score_batches(
    batches: &[RecordBatch],
    schema: &arrow_schema::SchemaRef,
    names: &ColumnNames<'_>,
    params: RfmParams,
    timezone: Option<&str>,
    token: &Interrupt,
) -> BindResult<(RfmScores, TimeKind)> {
    let params = params.interrupt(token.clone()).check()?;
    let three = TransactionColumns {
        customer: names.customer,
        timestamp: names.timestamp,
        amount: names.amount,
    };
    let Resolved {
        customer: ci,
        timestamp: ti,
        amount: ai,
        kind,
        zone,
    } = resolve(batches, schema, &three, timezone)?;
    let ki = names
        .cost
        .map(|c| arrow_in::column_index(schema, "cost", c))
        .transpose()?;
    if let (Some(k), Some(c)) = (ki, names.cost) {
        arrow_in::check_number_type("cost", c, schema.field(k).data_type())?;
    }
    let (index, codes) = arrow_in::customer_codes(batches, ci, names.customer)?;
    let mut acc = ActivityAccumulator::new(params.activity_options(zone), ki.is_some())
        .interrupt(token.clone());
    // Every batch's columns (borrowed where their types allow), absorbed as
    // one sequence.
    let read = (|| {
        let mut cols = Vec::with_capacity(batches.len());
        let mut row0 = 0;
        for batch in batches {
            token.check()?;
            let ts = arrow_in::micros(
                batch.column(ti).as_ref(),
                "timestamp",
                names.timestamp,
                row0,
            )?;
            let amounts =
                arrow_in::floats(batch.column(ai).as_ref(), "amount", names.amount, row0)?;
            let costs = match (ki, names.cost) {
                (Some(k), Some(c)) => {
                    Some(arrow_in::floats(batch.column(k).as_ref(), "cost", c, row0)?)
                }
                _ => None,
            };
            row0 += batch.num_rows();
            cols.push((ts, amounts, costs));
        }
        Ok::<_, BindError>(cols)
    })();
    let pushed = read.and_then(|cols| {
        let mut row0 = 0;
        let chunks: Vec<RowChunk<'_>> = cols
            .iter()
            .map(|(ts, amounts, costs)| {
                let n = ts.len();
                let chunk = RowChunk {
                    codes: &codes[row0..row0 + n],
                    timestamps: ts,
                    amounts,
                    costs: costs.as_deref(),
                };
                row0 += n;
                chunk
            })
            .collect();
        let pushed = acc.push_chunks(&chunks, index.len());
        drop(chunks);
        for (ts, _, _) in cols {
            arrow_in::give_back(ts);
        }
        pushed.map_err(BindError::from)
    });
    crate::scratch::give_codes(codes);
    pushed?;
    let activity = acc.finish();
    let scores = params.score_activity(&activity, &index)?;
    Ok((scores, kind))
}

/// Scores RFM/RFA from an Arrow table of transactions (see `ciblage.rfm`).
#[pyfunction]
#[pyo3(signature = (
    table, *, customer, timestamp, amount, cost = None, as_of = None, bins = 5,
    method = "quantile", recency_cuts = None, frequency_cuts = None, monetary_cuts = None,
    frequency = "transactions", monetary = "revenue", variant = "rfm",
    weights = (1.0, 1.0, 1.0), negative_amounts = "keep", segments = None, timezone = None,
    progress = None
))]
#[allow(clippy::too_many_arguments)]
pub fn rfm_scores(
    py: Python<'_>,
    table: PyTable,
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
    progress: Option<Bound<'_, PyAny>>,
) -> PyResult<PyRfmResult> {
    guard(|| -> PyResult<_> {
        let params = build_params(
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
        .map_err(BindError::from)?;
        let (batches, schema) = table.into_inner();
        let names = ColumnNames {
            customer,
            timestamp,
            amount,
            cost,
        };
        let mut columns = vec![
            ("customer", customer),
            ("timestamp", timestamp),
            ("amount", amount),
        ];
        if let Some(c) = cost {
            columns.push(("cost", c));
        }
        let (scores, time_kind) = run_reporting(py, progress.as_ref(), |token| {
            score_batches(&batches, &schema, &names, params, timezone, token).map_err(|e| match e {
                BindError::Core(c) => BindError::Core(name_columns(c, &columns)),
            })
        })?;
        Ok(PyRfmResult { scores, time_kind })
    })
}

impl PyRfmResult {
    /// Wraps scores read from a table whose time column is `time_kind`.
    pub(crate) fn new(scores: RfmScores, time_kind: TimeKind) -> Self {
        Self { scores, time_kind }
    }
}

#[pymethods]
impl PyRfmResult {
    /// One row per scored customer, ordered by customer id.
    fn customers(&self, py: Python<'_>) -> PyResult<PyTable> {
        guard(|| -> PyResult<_> {
            let s = &self.scores;
            let names = s.segment_table_names();
            let kind = &self.time_kind;
            // The columns are built side by side: most of the time goes into
            // fresh memory, whose pages every thread can take at once.
            let columns: Vec<(&str, Column<'_>)> = vec![
                ("customer_id", Box::new(|| out::ids_array(s.ids()))),
                (
                    "first_purchase",
                    Box::new(|| out::time_array(s.first_purchase(), kind, s.zone())),
                ),
                (
                    "last_purchase",
                    Box::new(|| out::time_array(s.last_purchase(), kind, s.zone())),
                ),
                (
                    "recency_days",
                    Box::new(|| out::i64_array(s.recency_days().iter().copied())),
                ),
                (
                    "tenure_days",
                    Box::new(|| out::i64_array(s.tenure_days().iter().copied())),
                ),
                (
                    "frequency",
                    Box::new(|| out::i64_array(s.frequency().iter().map(|&f| i64::from(f)))),
                ),
                ("monetary", Box::new(|| out::f64_array(s.monetary()))),
                (
                    "average_amount",
                    Box::new(|| out::f64_array(s.average_amount())),
                ),
                ("r_score", Box::new(|| out::u8_array(s.r_scores()))),
                ("f_score", Box::new(|| out::u8_array(s.f_scores()))),
                ("m_score", Box::new(|| out::u8_array(s.m_scores()))),
                ("rfm_code", Box::new(|| out::u16_array(s.cell_codes()))),
                ("score_sum", Box::new(|| out::u8_array(&s.score_sums()))),
                (
                    "weighted_score",
                    Box::new(|| out::f64_array(&s.weighted_scores())),
                ),
                (
                    "segment",
                    Box::new(|| out::dictionary_array(s.segment_indices(), &names)),
                ),
            ];
            let build = || {
                let arrays: Vec<ArrayRef> =
                    columns.par_iter().map(|(_, column)| column()).collect();
                let mut t = TableBuilder::default();
                for ((name, _), array) in columns.iter().zip(arrays) {
                    t.push(name, array);
                }
                t
            };
            run(py, |_| Ok::<_, PyErr>(build()))?.into_py_table()
        })
    }

    /// One row per segment (table order, fallback last), empty ones included.
    fn segments(&self) -> PyResult<PyTable> {
        guard(|| -> PyResult<_> {
            let rows = self.scores.segment_summary();
            let col = |f: &dyn Fn(&ciblage::SegmentSummary) -> f64| -> Vec<f64> {
                rows.iter().map(f).collect()
            };
            let mut t = TableBuilder::default();
            let names: Vec<&str> = rows.iter().map(|r| r.segment.as_str()).collect();
            t.push(
                "segment",
                std::sync::Arc::new(arrow_array::StringArray::from(names)),
            );
            t.push(
                "customers",
                out::i64_array(rows.iter().map(|r| r.customers as i64)),
            );
            t.push(
                "customer_share",
                out::f64_array(&col(&|r| r.customer_share)),
            );
            t.push(
                "orders",
                out::i64_array(rows.iter().map(|r| r.orders as i64)),
            );
            t.push("revenue", out::f64_array(&col(&|r| r.revenue)));
            t.push("revenue_share", out::f64_array(&col(&|r| r.revenue_share)));
            t.push(
                "average_order_value",
                out::f64_array(&col(&|r| r.average_order_value)),
            );
            t.push(
                "mean_recency_days",
                out::f64_array(&col(&|r| r.mean_recency_days)),
            );
            t.push(
                "mean_frequency",
                out::f64_array(&col(&|r| r.mean_frequency)),
            );
            t.push("mean_monetary", out::f64_array(&col(&|r| r.mean_monetary)));
            t.push("mean_r_score", out::f64_array(&col(&|r| r.mean_r_score)));
            t.push("mean_f_score", out::f64_array(&col(&|r| r.mean_f_score)));
            t.push("mean_m_score", out::f64_array(&col(&|r| r.mean_m_score)));
            t.into_py_table()
        })
    }

    /// Cut points per criterion and score: criterion, score, lower, upper,
    /// customers (the R `rfm` threshold table, long form).
    fn thresholds(&self) -> PyResult<PyTable> {
        guard(|| -> PyResult<_> {
            let (mut crit, mut score, mut lower, mut upper, mut count) =
                (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for c in self.scores.criteria() {
                let k = c.classes;
                for class in 1..=k {
                    let s = if c.criterion == ciblage::Criterion::Recency {
                        k + 1 - class
                    } else {
                        class
                    };
                    crit.push(c.criterion.name());
                    score.push(s);
                    lower.push(c.lower[usize::from(class - 1)]);
                    upper.push(c.upper[usize::from(class - 1)]);
                    count.push(c.counts[usize::from(s - 1)] as i64);
                }
            }
            let mut t = TableBuilder::default();
            t.push(
                "criterion",
                std::sync::Arc::new(arrow_array::StringArray::from(crit)),
            );
            t.push("score", out::u8_array(&score));
            t.push("lower", out::f64_array(&lower));
            t.push("upper", out::f64_array(&upper));
            t.push("customers", out::i64_array(count));
            t.into_py_table()
        })
    }

    /// Per criterion: method, classes, classes used, degenerate flag and warning.
    fn criteria<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        guard(|| -> PyResult<_> {
            self.scores
                .criteria()
                .iter()
                .map(|c| {
                    let d = PyDict::new(py);
                    d.set_item("criterion", c.criterion.name())?;
                    d.set_item("method", &c.method)?;
                    d.set_item("classes", c.classes)?;
                    d.set_item("classes_used", c.classes_used)?;
                    d.set_item("counts", &c.counts)?;
                    d.set_item("degenerate", c.degenerate)?;
                    d.set_item("warning", c.warning())?;
                    Ok(d)
                })
                .collect()
        })
    }

    /// What reading the transactions left out (rows after `as_of`, negative
    /// rows, customers with no counted row).
    fn input_report<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        guard(|| -> PyResult<_> {
            let r = self.scores.input_report();
            let d = PyDict::new(py);
            d.set_item("rows", r.rows)?;
            d.set_item("rows_after_as_of", r.rows_after_as_of)?;
            d.set_item("negative_rows", r.negative_rows)?;
            d.set_item("negative_rows_excluded", r.negative_rows_excluded)?;
            d.set_item("customers_without_rows", r.customers_without_rows)?;
            Ok(d)
        })
    }

    /// The reference date, ISO formatted.
    #[getter]
    fn as_of(&self) -> String {
        self.scores.as_of().to_string()
    }

    /// The zone of day boundaries.
    #[getter]
    fn timezone(&self) -> String {
        self.scores.zone().name()
    }

    /// Number of scored customers.
    fn __len__(&self) -> usize {
        self.scores.len()
    }
}
