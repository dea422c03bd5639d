//! `ciblage._native` CLV summary and holdout evaluation of a transaction
//! table (conversion only; see `ciblage.clv`). The columns are read as RFM
//! reads them: borrowed from the Arrow buffers where their types allow.

use std::borrow::Cow;
use std::sync::Arc;

use arrow_array::{
    ArrayRef, BooleanArray, Date32Array, Float64Array, Int64Array, LargeStringArray, RecordBatch,
    StringArray,
};
use arrow_buffer::{Buffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::Schema;
use ciblage::arrow::{
    customer_codes, floats, give_codes, instants, ResolvedColumns, TransactionColumns,
};
use ciblage::clv::{
    ClvSummary, ClvSummaryParams, Freq, HoldoutDiagnostics, HoldoutEvaluation, PurchaseSummary,
    SummaryBatches,
};
use ciblage::time::day_from_date;
use ciblage::{CiblageError, CustomerIds, Instants, Interrupt, NegativeAmounts, StringIds};
use pyo3::prelude::*;
use pyo3_arrow::PyTable;

use crate::arrow_out::{self as out, TableBuilder};
use crate::clv::{core, date_param, PyClvModel};
use crate::error::{BindError, BindResult};
use crate::run::run;

/// Counts of the input report: rows read, after the end, negative rows
/// excluded, rows of customers first seen after the calibration end.
type ReportCounts = (u64, u64, u64, u64);

/// The summary's parameters from the Python arguments.
fn summary_params(
    freq: &str,
    observation_end: Option<&str>,
    calibration_end: Option<&str>,
    negative_amounts: &str,
) -> PyResult<ClvSummaryParams> {
    let mut params = ClvSummary::params()
        .freq(core(|| freq.parse::<Freq>())?)
        .negative_amounts(core(|| NegativeAmounts::parse(negative_amounts))?);
    if let Some(d) = core(|| date_param("observation_end", observation_end))? {
        params = params.observation_end(d);
    }
    if let Some(d) = core(|| date_param("calibration_end", calibration_end))? {
        params = params.calibration_end(d);
    }
    Ok(params)
}

/// Moves the row numbers of a per-batch error to the whole table's.
fn shift_row(e: CiblageError, row0: usize) -> CiblageError {
    match e {
        CiblageError::NonFinite {
            argument,
            value,
            row,
        } => CiblageError::NonFinite {
            argument,
            value,
            row: row0 + row,
        },
        CiblageError::TimestampOutOfRange { argument, row } => CiblageError::TimestampOutOfRange {
            argument,
            row: row0 + row,
        },
        CiblageError::NullValue { argument, row } => CiblageError::NullValue {
            argument,
            row: row0 + row,
        },
        other => other,
    }
}

/// One batch's columns: instants (in their own unit, borrowed), amounts,
/// costs (borrowed from the Arrow buffers where their types allow).
type BatchColumns<'b> = (Instants<'b>, Cow<'b, [f64]>, Option<Cow<'b, [f64]>>);

/// Reads the columns batch by batch, each borrowed in place where its
/// types allow (never concatenated), and summarises them; runs without
/// the GIL.
fn summarise(
    batches: &[RecordBatch],
    schema: &Schema,
    names: &TransactionColumns<'_>,
    params: ClvSummaryParams,
    timezone: Option<&str>,
    token: &Interrupt,
) -> BindResult<PurchaseSummary> {
    (|| -> BindResult<_> {
        let params = params.interrupt(token.clone()).check()?;
        let r = ResolvedColumns::resolve(batches, schema, names, timezone)?;
        let (index, codes) = customer_codes(batches, r.customer, names.customer)?;
        let cost = r.cost.zip(names.cost);
        let mut columns: Vec<BatchColumns<'_>> = Vec::with_capacity(batches.len());
        let mut row0 = 0;
        for batch in batches {
            let read = (|| -> BindResult<_> {
                token.check()?;
                let ts = instants(
                    batch.column(r.timestamp).as_ref(),
                    "timestamp",
                    names.timestamp,
                    row0,
                )?;
                let amounts = floats(
                    batch.column(r.amount).as_ref(),
                    "amount",
                    names.amount,
                    row0,
                )?;
                let costs = cost
                    .map(|(k, c)| floats(batch.column(k).as_ref(), "cost", c, row0))
                    .transpose()?;
                Ok((ts, amounts, costs))
            })();
            match read {
                Ok(c) => columns.push(c),
                Err(e) => {
                    give_codes(codes);
                    return Err(e);
                }
            }
            row0 += batch.num_rows();
        }
        // The codes are handed over: the summary frees them once it has
        // grouped the rows by customer (they are not kept for the next
        // call); the customer table too: its ids become the output's.
        let mut input = SummaryBatches::with_owned_index(index, codes);
        let mut row0 = 0;
        for (ts, amounts, costs) in &columns {
            let n = ts.len();
            if n > 0 {
                input
                    .push_instants(*ts, amounts, costs.as_deref(), r.zone)
                    .map_err(|e| shift_row(e, row0))?;
            }
            row0 += n;
        }
        Ok(params.score(input)?)
    })()
    .map_err(|e| match e {
        BindError::Core(c) => BindError::Core(names.name(c)),
    })
}

/// The per-customer table of a summary.
fn summary_table(summary: &PurchaseSummary) -> TableBuilder {
    let mut t = TableBuilder::default();
    t.push("customer_id", out::ids_array(summary.ids()));
    t.push(
        "frequency",
        out::i64_array(summary.frequency().iter().map(|&x| i64::from(x))),
    );
    t.push("recency", out::f64_array(summary.recency()));
    t.push("T", out::f64_array(summary.t()));
    t.push("monetary_value", out::f64_array(summary.monetary_value()));
    if let Some(h) = summary.holdout() {
        t.push(
            "frequency_holdout",
            out::i64_array(h.frequency.iter().map(|&x| i64::from(x))),
        );
        t.push("monetary_value_holdout", out::f64_array(&h.monetary_value));
        t.push(
            "duration_holdout",
            out::f64_array(&vec![h.duration; summary.len()]),
        );
    }
    t
}

/// The per-customer table of a summary, its columns moved into Arrow
/// buffers (no second copy of the output).
fn owned_summary_table(summary: PurchaseSummary) -> TableBuilder {
    let n = summary.len();
    let c = summary.into_columns();
    let mut t = TableBuilder::default();
    t.push(
        "customer_id",
        match c.ids {
            CustomerIds::Int(v) => Arc::new(Int64Array::from(v)) as ArrayRef,
            CustomerIds::Str(s) => moved_strings(s),
        },
    );
    t.push(
        "frequency",
        Arc::new(Int64Array::from(widened(c.frequency))) as ArrayRef,
    );
    t.push(
        "recency",
        Arc::new(Float64Array::from(c.recency)) as ArrayRef,
    );
    t.push("T", Arc::new(Float64Array::from(c.t)) as ArrayRef);
    t.push(
        "monetary_value",
        Arc::new(Float64Array::from(c.monetary_value)) as ArrayRef,
    );
    if let Some(h) = c.holdout {
        t.push(
            "frequency_holdout",
            Arc::new(Int64Array::from(widened(h.frequency))) as ArrayRef,
        );
        t.push(
            "monetary_value_holdout",
            Arc::new(Float64Array::from(h.monetary_value)) as ArrayRef,
        );
        t.push(
            "duration_holdout",
            Arc::new(Float64Array::from(vec![h.duration; n])) as ArrayRef,
        );
    }
    t
}

/// String ids as a `Utf8` array (`LargeUtf8` past 2 GiB), their bytes
/// moved into the Arrow buffer (no copy); only the offsets are rewritten.
fn moved_strings(ids: StringIds) -> ArrayRef {
    let (bytes, offsets) = ids.into_parts();
    let large = i32::try_from(bytes.len()).is_err();
    let values = Buffer::from_vec(bytes.into_bytes());
    if large {
        let offs: Vec<i64> = offsets.iter().map(|&o| o as i64).collect();
        drop(offsets);
        Arc::new(LargeStringArray::new(
            OffsetBuffer::new(ScalarBuffer::from(offs)),
            values,
            None,
        ))
    } else {
        let offs: Vec<i32> = offsets.iter().map(|&o| o as i32).collect();
        drop(offsets);
        Arc::new(StringArray::new(
            OffsetBuffer::new(ScalarBuffer::from(offs)),
            values,
            None,
        ))
    }
}

/// Entries widened per step of [`widened`] (128 KiB of `u32`).
const WIDEN_STEP: usize = 1 << 15;

/// The counts as `i64`, written from the end while the `u32` source is
/// cut and shrunk behind them, step by step: the two are never both whole
/// in memory (a large buffer is mapped by the allocator, and shrinking it
/// gives its tail back), and the new column's pages are touched only as
/// they are written.
fn widened(mut v: Vec<u32>) -> Vec<i64> {
    let mut out = vec![0i64; v.len()];
    let mut end = v.len();
    while end > 0 {
        let lo = end.saturating_sub(WIDEN_STEP);
        for (o, &x) in out[lo..end].iter_mut().zip(&v[lo..end]) {
            *o = i64::from(x);
        }
        v.truncate(lo);
        v.shrink_to_fit();
        end = lo;
    }
    out
}

fn counts(summary: &PurchaseSummary) -> ReportCounts {
    let r = summary.report();
    (
        r.rows,
        r.rows_after_as_of,
        r.negative_rows_excluded,
        summary.holdout_only_rows(),
    )
}

/// The CLV summary of a transaction table: the per-customer table, the
/// report counts, the end of observation (ISO) and whether the spend
/// columns are margins.
#[pyfunction]
#[pyo3(signature = (table, *, customer, timestamp, amount, cost = None, freq = "D",
                    observation_end = None, calibration_end = None, negative_amounts = "keep",
                    timezone = None))]
#[allow(clippy::too_many_arguments)]
pub fn clv_summary(
    py: Python<'_>,
    table: PyTable,
    customer: &str,
    timestamp: &str,
    amount: &str,
    cost: Option<&str>,
    freq: &str,
    observation_end: Option<&str>,
    calibration_end: Option<&str>,
    negative_amounts: &str,
    timezone: Option<&str>,
) -> PyResult<(PyTable, ReportCounts, String, bool)> {
    let names = TransactionColumns {
        customer,
        timestamp,
        amount,
        cost,
    };
    let params = summary_params(freq, observation_end, calibration_end, negative_amounts)?;
    let (batches, schema) = table.into_inner();
    let summary = run(py, |token| {
        summarise(&batches, &schema, &names, params, timezone, token)
    })?;
    let (report, end, margin) = (
        counts(&summary),
        summary.observation_end().to_string(),
        summary.is_margin(),
    );
    Ok((
        owned_summary_table(summary).into_py_table()?,
        report,
        end,
        margin,
    ))
}

/// Metrics of a holdout evaluation: customers, MAE, RMSE, correlation,
/// actual and expected totals, aggregate error in %, holdout duration.
type Metrics = (u64, f64, f64, f64, f64, f64, f64, f64);

/// The tables of a holdout evaluation.
fn holdout_tables(
    summary: &PurchaseSummary,
    e: &HoldoutDiagnostics,
) -> PyResult<(PyTable, PyTable, PyTable, Metrics)> {
    let mut customers = summary_table(summary);
    customers.push("expected_holdout", out::f64_array(e.expected()));
    let bins = e.by_frequency();
    let mut by = TableBuilder::default();
    by.push(
        "frequency",
        out::i64_array(bins.iter().map(|b| i64::from(b.frequency))),
    );
    let labels: Vec<String> = bins.iter().map(|b| b.label()).collect();
    by.push(
        "label",
        out::strings_from(labels.iter().map(String::as_str)),
    );
    by.push(
        "customers",
        out::i64_array(bins.iter().map(|b| b.customers as i64)),
    );
    by.push(
        "actual",
        out::f64_array(&bins.iter().map(|b| b.actual).collect::<Vec<_>>()),
    );
    by.push(
        "expected",
        out::f64_array(&bins.iter().map(|b| b.expected).collect::<Vec<_>>()),
    );
    let t = e.tracking();
    let mut tr = TableBuilder::default();
    tr.push("period", out::i64_array(0..t.start.len() as i64));
    let days: Vec<i32> = t
        .start
        .iter()
        .map(|d| i32::try_from(day_from_date(*d)).unwrap_or(i32::MAX))
        .collect();
    tr.push("start", Arc::new(Date32Array::from(days)) as ArrayRef);
    tr.push(
        "holdout",
        Arc::new(BooleanArray::from(t.holdout.clone())) as ArrayRef,
    );
    tr.push("actual", out::f64_array(&t.actual));
    tr.push("expected", out::f64_array(&t.expected));
    tr.push("cumulative_actual", out::f64_array(&t.cumulative_actual));
    tr.push(
        "cumulative_expected",
        out::f64_array(&t.cumulative_expected),
    );
    let m = e.metrics();
    Ok((
        customers.into_py_table()?,
        by.into_py_table()?,
        tr.into_py_table()?,
        (
            m.customers,
            m.mae,
            m.rmse,
            m.correlation,
            m.actual_total,
            m.expected_total,
            m.aggregate_error_pct,
            e.duration(),
        ),
    ))
}

/// Result of [`clv_holdout`]: the customer table (summary and expected
/// holdout purchases), the by-frequency table, the tracking table, the
/// metrics, the report counts and the end of observation (ISO).
type HoldoutOutput = (PyTable, PyTable, PyTable, Metrics, ReportCounts, String);

/// The holdout evaluation of a purchase model on a transaction table (see
/// `ciblage.clv.evaluate_holdout`).
#[pyfunction]
#[pyo3(signature = (table, model, *, customer, timestamp, amount, calibration_end, cost = None,
                    freq = "D", observation_end = None, negative_amounts = "keep",
                    timezone = None, max_frequency = 6))]
#[allow(clippy::too_many_arguments)]
pub fn clv_holdout(
    py: Python<'_>,
    table: PyTable,
    model: &PyClvModel,
    customer: &str,
    timestamp: &str,
    amount: &str,
    calibration_end: &str,
    cost: Option<&str>,
    freq: &str,
    observation_end: Option<&str>,
    negative_amounts: &str,
    timezone: Option<&str>,
    max_frequency: usize,
) -> PyResult<HoldoutOutput> {
    let names = TransactionColumns {
        customer,
        timestamp,
        amount,
        cost,
    };
    let purchases = model.purchases()?;
    let params = summary_params(
        freq,
        observation_end,
        Some(calibration_end),
        negative_amounts,
    )?;
    let holdout = HoldoutEvaluation::params().max_frequency(max_frequency);
    core(|| holdout.clone().check())?;
    let (batches, schema) = table.into_inner();
    let (summary, e) = run(py, |token| {
        let summary = summarise(&batches, &schema, &names, params, timezone, token)?;
        let e = holdout
            .clone()
            .interrupt(token.clone())
            .score(&summary, purchases)?;
        Ok::<_, BindError>((summary, e))
    })?;
    let (customers, by, tracking, metrics) = holdout_tables(&summary, &e)?;
    Ok((
        customers,
        by,
        tracking,
        metrics,
        counts(&summary),
        summary.observation_end().to_string(),
    ))
}
