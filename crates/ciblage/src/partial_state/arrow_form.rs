//! The Arrow form of a [`PartialActivity`]: one row per customer, the
//! input report in the counting columns (their sums over the rows), the
//! version in the schema metadata. A batch may hold a customer on several
//! rows (the rows of several partial states put together, by an engine's
//! shuffle, say): they are merged at load.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use arrow_array::{Array, ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};

use super::PartialActivity;
use crate::error::{CiblageError, Result};
use crate::{
    ActivityAccumulator, ActivityOptions, CustomerActivity, CustomerIds, CustomerIndex, InputReport,
};

/// Schema metadata key holding the version of the partial-state form.
pub const PARTIAL_STATE_VERSION_KEY: &str = "ciblage.partial_state";
/// Version of the partial-state form written by this library.
pub const PARTIAL_STATE_VERSION: &str = "1";
/// The columns of the partial-state form, in order: the customer id
/// (integers or strings), then 64-bit integers but for the sums (`revenue`,
/// and `cost`, null without costs).
pub const PARTIAL_STATE_COLUMNS: [&str; 11] = [
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
];

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
        let columns = vec![
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
        let fields: Vec<Field> = PARTIAL_STATE_COLUMNS
            .iter()
            .zip(&columns)
            .map(|(name, c)| Field::new(*name, c.data_type().clone(), *name == "cost"))
            .collect();
        let metadata = HashMap::from([(
            PARTIAL_STATE_VERSION_KEY.to_owned(),
            PARTIAL_STATE_VERSION.to_owned(),
        )]);
        let schema = Arc::new(Schema::new_with_metadata(fields, metadata));
        RecordBatch::try_new(schema, columns).map_err(|e| bad(e.to_string()))
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
        let schema = batch.schema();
        match schema.metadata().get(PARTIAL_STATE_VERSION_KEY) {
            Some(v) if v == PARTIAL_STATE_VERSION => {}
            Some(v) => {
                return Err(bad(format!(
                    "version {v:?}, this library reads version {PARTIAL_STATE_VERSION:?}"
                )))
            }
            None => {
                return Err(bad(format!(
                    "no {PARTIAL_STATE_VERSION_KEY:?} key in the schema metadata"
                )))
            }
        }
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        if names != PARTIAL_STATE_COLUMNS {
            return Err(bad(format!(
                "columns {names:?}, expected {PARTIAL_STATE_COLUMNS:?}"
            )));
        }
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
        let mut acc = ActivityAccumulator::new(options, has_cost);
        acc.push_activity(&codes, &rows, len)?;
        Ok(Self {
            options,
            has_cost,
            index,
            activity: acc.finish(),
            first_seen: seen,
        })
    }
}
