//! The Arrow form of a [`PartialActivity`]: one row per customer, the
//! input report in the counting columns (their sums over the rows), the
//! version in the schema metadata. A batch may hold a customer on several
//! rows (the rows of several partial states put together, by an engine's
//! shuffle, say): they are merged at load. Version 2 adds the exact sums
//! behind `revenue` and `cost` ([`crate::exact_sum::ExactSumParts`]: the
//! 128-bit mantissa as two 64-bit integers, the exponent, and the side
//! accumulator's limbs as little-endian bytes, null when there is none),
//! so that merged states round their exact sums once.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use arrow_array::{
    Array, ArrayRef, BinaryArray, Float64Array, Int64Array, RecordBatch, StringArray,
};
use arrow_schema::{DataType, Field, Schema};

use super::PartialActivity;
use crate::error::{CiblageError, Result};
use crate::exact_sum::{ExactSum, ExactSumParts, BIG_LIMBS};
use crate::{
    ActivityAccumulator, ActivityOptions, CustomerActivity, CustomerIds, CustomerIndex,
    ExactTotals, InputReport,
};

/// Schema metadata key holding the version of the partial-state form.
pub const PARTIAL_STATE_VERSION_KEY: &str = "ciblage.partial_state";
/// Version of the partial-state form written by this library.
pub const PARTIAL_STATE_VERSION: &str = "2";
/// The columns of the partial-state form, in order: the customer id
/// (integers or strings), then 64-bit integers but for the rounded sums
/// (`revenue`, and `cost`, null without costs) and the side accumulators
/// of the exact sums (`*_overflow`, bytes); the cost columns are null
/// without costs.
pub const PARTIAL_STATE_COLUMNS: [&str; 19] = [
    "customer",
    "first_seen",
    "first",
    "last",
    "transactions",
    "revenue",
    "cost",
    "rows_read",
    "rows_after_as_of",
    "negative_rows",
    "negative_rows_excluded",
    "revenue_high",
    "revenue_low",
    "revenue_exponent",
    "revenue_overflow",
    "cost_high",
    "cost_low",
    "cost_exponent",
    "cost_overflow",
];

/// Position of the first exact-sum column (`revenue_high`).
const EXACT_AT: usize = 11;

/// The four columns of exact sums (all null when `sums` is `None`);
/// shared by every state written to Arrow with exact sums.
pub(super) fn parts_columns(sums: Option<&[ExactSum]>, n: usize) -> [ArrayRef; 4] {
    let Some(sums) = sums else {
        return [
            Arc::new(Int64Array::from(vec![None; n])),
            Arc::new(Int64Array::from(vec![None; n])),
            Arc::new(Int64Array::from(vec![None; n])),
            Arc::new(BinaryArray::from(vec![None::<&[u8]>; n])),
        ];
    };
    let parts: Vec<ExactSumParts> = sums.iter().map(ExactSum::to_parts).collect();
    let int = |f: &dyn Fn(&ExactSumParts) -> i64| -> ArrayRef {
        Arc::new(Int64Array::from_iter_values(parts.iter().map(f)))
    };
    let bytes: Vec<Option<Vec<u8>>> = parts
        .iter()
        .map(|p| {
            (!p.overflow.is_empty())
                .then(|| p.overflow.iter().flat_map(|l| l.to_le_bytes()).collect())
        })
        .collect();
    [
        int(&|p| p.mantissa_high),
        int(&|p| p.mantissa_low as i64),
        int(&|p| i64::from(p.exponent)),
        Arc::new(BinaryArray::from_iter(bytes)),
    ]
}

/// The exact sums of the four columns from `at` (named in `columns`, the
/// batch's column names), checked against the rounded sums `rounded` (the
/// column `name`); shared by every state read from Arrow with exact sums.
pub(super) fn read_parts(
    batch: &RecordBatch,
    columns: &[&str],
    at: usize,
    name: &str,
    rounded: &[f64],
) -> Result<Vec<ExactSum>> {
    let col = |k: usize| columns[at + k];
    let mut ints = Vec::with_capacity(3);
    for k in 0..3 {
        let c = batch.column(at + k);
        if c.data_type() != &DataType::Int64 {
            return Err(bad(format!(
                "column {:?} has type {}, expected Int64",
                col(k),
                c.data_type()
            )));
        }
        if c.null_count() > 0 {
            return Err(bad(format!("column {:?} holds nulls", col(k))));
        }
        ints.push(c.as_primitive::<Int64Type>());
    }
    let over = batch.column(at + 3);
    if over.data_type() != &DataType::Binary {
        return Err(bad(format!(
            "column {:?} has type {}, expected Binary",
            col(3),
            over.data_type()
        )));
    }
    let over = over.as_binary::<i32>();
    let mut out = Vec::with_capacity(rounded.len());
    for (i, &r) in rounded.iter().enumerate() {
        let overflow = if over.is_null(i) {
            Vec::new()
        } else {
            let b = over.value(i);
            if b.len() != BIG_LIMBS * 8 {
                return Err(bad(format!(
                    "column {:?} holds {} bytes on row {i}, expected {}",
                    col(3),
                    b.len(),
                    BIG_LIMBS * 8
                )));
            }
            b.chunks_exact(8)
                .map(|l| u64::from_le_bytes(l.try_into().expect("8 bytes")))
                .collect()
        };
        let parts = ExactSumParts {
            mantissa_high: ints[0].value(i),
            mantissa_low: ints[1].value(i) as u64,
            exponent: i32::try_from(ints[2].value(i)).unwrap_or(i32::MAX),
            overflow,
        };
        let sum = ExactSum::from_parts(&parts)
            .map_err(|e| bad(format!("column {:?} on row {i}: {e}", col(2))))?;
        if sum.value() != r {
            return Err(bad(format!(
                "column {name:?} holds {r} on row {i}, its exact sum rounds to {}",
                sum.value()
            )));
        }
        out.push(sum);
    }
    Ok(out)
}

/// Builds a state batch: `columns` under the names `names`, nullable where
/// the name starts with `optional` (the cost or margin columns) or ends
/// with `overflow`, the version tag `(key, version)` in the schema metadata
/// (the writing side of [`check_header`], shared by every state written to
/// Arrow). The error is the reason Arrow gives.
pub(super) fn state_batch(
    names: &[&str],
    optional: &str,
    (key, version): (&str, &str),
    columns: Vec<ArrayRef>,
) -> std::result::Result<RecordBatch, String> {
    let fields: Vec<Field> = names
        .iter()
        .zip(&columns)
        .map(|(name, c)| {
            let nullable = name.starts_with(optional) || name.ends_with("overflow");
            Field::new(*name, c.data_type().clone(), nullable)
        })
        .collect();
    let metadata = HashMap::from([(key.to_owned(), version.to_owned())]);
    let schema = Arc::new(Schema::new_with_metadata(fields, metadata));
    RecordBatch::try_new(schema, columns).map_err(|e| e.to_string())
}

/// Checks the version tag `(key, version)` in a state batch's schema
/// metadata and its column names, in order: the reason when they are not
/// the expected ones (shared by every state read from Arrow).
pub(super) fn check_header(
    schema: &Schema,
    (key, version): (&str, &str),
    columns: &[&str],
) -> std::result::Result<(), String> {
    match schema.metadata().get(key) {
        Some(v) if v == version => {}
        Some(v) => {
            return Err(format!(
                "version {v:?}, this library reads version {version:?}"
            ))
        }
        None => return Err(format!("no {key:?} key in the schema metadata")),
    }
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    if names != columns {
        return Err(format!("columns {names:?}, expected {columns:?}"));
    }
    Ok(())
}

fn bad(reason: impl Into<String>) -> CiblageError {
    CiblageError::InvalidModelFile {
        what: "partial state",
        reason: reason.into(),
    }
}

impl PartialActivity {
    /// The state as one record batch (see the module documentation); the
    /// input report is written on the first row, zeros elsewhere.
    ///
    /// # Errors
    /// None in practice (Arrow's own checks of the columns built).
    pub fn to_arrow(&self) -> Result<RecordBatch> {
        let n = self.len();
        let a = &self.activity;
        let ids: ArrayRef = match self.index.ids() {
            CustomerIds::Int(v) => Arc::new(Int64Array::from(v.clone())),
            CustomerIds::Str(s) => Arc::new(StringArray::from_iter_values(s.iter())),
        };
        let int = |v: Vec<i64>| -> ArrayRef { Arc::new(Int64Array::from(v)) };
        let report = |value: u64| {
            let mut v = vec![0i64; n];
            if let Some(first) = v.first_mut() {
                *first = value as i64;
            }
            int(v)
        };
        let r = &a.report;
        let cost: ArrayRef = match &a.cost {
            Some(c) => Arc::new(Float64Array::from(c.clone())),
            None => Arc::new(Float64Array::from(vec![None; n])),
        };
        let exact = &self.exact;
        let mut columns = vec![
            ids,
            int(self.first_seen.clone()),
            int(a.first.clone()),
            int(a.last.clone()),
            int(a.transactions.iter().map(|&t| i64::from(t)).collect()),
            Arc::new(Float64Array::from(a.revenue.clone())) as ArrayRef,
            cost,
            report(r.rows),
            report(r.rows_after_as_of),
            report(r.negative_rows),
            report(r.negative_rows_excluded),
        ];
        columns.extend(parts_columns(Some(&exact.revenue), n));
        columns.extend(parts_columns(exact.cost.as_deref(), n));
        state_batch(
            &PARTIAL_STATE_COLUMNS,
            "cost",
            (PARTIAL_STATE_VERSION_KEY, PARTIAL_STATE_VERSION),
            columns,
        )
        .map_err(bad)
    }

    /// Reads a state written by [`PartialActivity::to_arrow`] (several
    /// such batches put together, too), checked whole: version, columns,
    /// types, nulls, counts and sums. `options` and `has_cost` are those
    /// the state was read with.
    ///
    /// # Errors
    /// [`CiblageError::InvalidModelFile`] naming what is wrong.
    pub fn from_arrow(
        batch: &RecordBatch,
        options: ActivityOptions,
        has_cost: bool,
    ) -> Result<Self> {
        check_header(
            &batch.schema(),
            (PARTIAL_STATE_VERSION_KEY, PARTIAL_STATE_VERSION),
            &PARTIAL_STATE_COLUMNS,
        )
        .map_err(bad)?;
        let ints = |i: usize| -> Result<&Int64Array> {
            let c = batch.column(i);
            if c.data_type() != &DataType::Int64 {
                return Err(bad(format!(
                    "column {:?} has type {}, expected Int64",
                    PARTIAL_STATE_COLUMNS[i],
                    c.data_type()
                )));
            }
            if c.null_count() > 0 {
                return Err(bad(format!(
                    "column {:?} holds nulls",
                    PARTIAL_STATE_COLUMNS[i]
                )));
            }
            Ok(c.as_primitive::<Int64Type>())
        };
        let floats = |i: usize| -> Result<&arrow_array::PrimitiveArray<Float64Type>> {
            let c = batch.column(i);
            if c.data_type() != &DataType::Float64 {
                return Err(bad(format!(
                    "column {:?} has type {}, expected Float64",
                    PARTIAL_STATE_COLUMNS[i],
                    c.data_type()
                )));
            }
            let values = c.as_primitive::<Float64Type>();
            if values.iter().flatten().any(f64::is_nan) {
                return Err(bad(format!(
                    "column {:?} holds NaN",
                    PARTIAL_STATE_COLUMNS[i]
                )));
            }
            Ok(values)
        };
        let n = batch.num_rows();
        let mut index = CustomerIndex::named("customer");
        let mut codes = Vec::with_capacity(n);
        crate::arrow::encode_ids(
            &mut index,
            batch.column(0).as_ref(),
            "customer",
            "customer",
            0,
            &mut codes,
        )
        .map_err(|e| bad(e.to_string()))?;
        let first_seen = ints(1)?;
        let (first, last, transactions) = (ints(2)?, ints(3)?, ints(4)?);
        let revenue = floats(5)?;
        if revenue.null_count() > 0 {
            return Err(bad("column \"revenue\" holds nulls"));
        }
        let cost_col = floats(6)?;
        let cost = match (has_cost, cost_col.null_count()) {
            (true, 0) => Some(cost_col.values().to_vec()),
            (false, k) if k == n => None,
            (true, _) => return Err(bad("column \"cost\" holds nulls, costs were expected")),
            (false, _) => return Err(bad("column \"cost\" holds costs, none were expected")),
        };
        let mut counts = [0u64; 4];
        for (k, count) in counts.iter_mut().enumerate() {
            for &v in ints(7 + k)?.values() {
                let v = u64::try_from(v).map_err(|_| {
                    bad(format!(
                        "column {:?} holds {v}",
                        PARTIAL_STATE_COLUMNS[7 + k]
                    ))
                })?;
                *count = count
                    .checked_add(v)
                    .ok_or_else(|| bad("the counts of rows overflow"))?;
            }
        }
        let mut txs = Vec::with_capacity(n);
        for i in 0..n {
            let t = u32::try_from(transactions.value(i))
                .map_err(|_| bad(format!("transactions {} on row {i}", transactions.value(i))))?;
            if t > 0 && first.value(i) > last.value(i) {
                return Err(bad(format!("first purchase after the last one on row {i}")));
            }
            txs.push(t);
        }
        let rows = CustomerActivity {
            first: first.values().to_vec(),
            last: last.values().to_vec(),
            transactions: txs,
            purchase_days: None,
            revenue: revenue.values().to_vec(),
            cost,
            report: InputReport {
                rows: counts[0],
                rows_after_as_of: counts[1],
                negative_rows: counts[2],
                negative_rows_excluded: counts[3],
                customers_without_rows: 0,
            },
            zone: options.zone,
        };
        let len = index.len();
        let mut seen = vec![i64::MAX; len];
        for (&code, &s) in codes.iter().zip(first_seen.values()) {
            seen[code as usize] = seen[code as usize].min(s);
        }
        // The exact sums, checked against the rounded ones and merged
        // per customer.
        let merged = |sums: Vec<ExactSum>| {
            let mut out = vec![ExactSum::new(); len];
            for (&code, s) in codes.iter().zip(&sums) {
                out[code as usize].merge(s);
            }
            out
        };
        let revenue = merged(read_parts(
            batch,
            &PARTIAL_STATE_COLUMNS,
            EXACT_AT,
            "revenue",
            &rows.revenue,
        )?);
        let cost = match &rows.cost {
            Some(c) => Some(merged(read_parts(
                batch,
                &PARTIAL_STATE_COLUMNS,
                EXACT_AT + 4,
                "cost",
                c,
            )?)),
            None => {
                if let Some(k) =
                    (EXACT_AT + 4..EXACT_AT + 8).find(|&k| batch.column(k).null_count() != n)
                {
                    return Err(bad(format!(
                        "column {:?} holds costs, none were expected",
                        PARTIAL_STATE_COLUMNS[k]
                    )));
                }
                None
            }
        };
        let mut acc = ActivityAccumulator::new(options, has_cost);
        acc.push_activity(&codes, &rows, len)?;
        let mut state = Self {
            options,
            has_cost,
            index,
            activity: acc.finish(),
            exact: ExactTotals::default(),
            first_seen: seen,
        };
        state.set_exact(ExactTotals { revenue, cost });
        Ok(state)
    }
}
