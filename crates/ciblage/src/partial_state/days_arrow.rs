//! The Arrow form of a [`PartialDays`]: one row per entry (customer id,
//! day, sign, rows, amount, cost; cost null without costs), the version
//! in the schema metadata. A batch may hold a key on several rows (the
//! states of several partitions put together by a shuffle): they add up
//! at load.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use arrow_array::{Array, ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};

use super::arrow_form::check_header;
use super::days::{DaySums, PartialDays};
use crate::error::{CiblageError, Result};
use crate::{CustomerIds, CustomerIndex};

/// Schema metadata key holding the version of the day-state form.
pub const PARTIAL_DAYS_VERSION_KEY: &str = "ciblage.partial_days";
/// Version of the day-state form written by this library.
pub const PARTIAL_DAYS_VERSION: &str = "1";
/// The columns of the day-state form, in order.
pub const PARTIAL_DAYS_COLUMNS: [&str; 6] = ["customer", "day", "sign", "rows", "amount", "cost"];

fn bad(reason: impl Into<String>) -> CiblageError {
    CiblageError::InvalidModelFile {
        what: "day state",
        reason: reason.into(),
    }
}

impl PartialDays {
    /// The state as one record batch (see the module documentation).
    ///
    /// # Errors
    /// None in practice (Arrow's own checks of the columns built).
    pub fn to_arrow(&self) -> Result<RecordBatch> {
        let ids = self.ids();
        let (mut codes, mut days, mut signs, mut rows, mut amounts, mut costs) =
            (vec![], vec![], vec![], vec![], vec![], vec![]);
        for ((code, day, sign), sums) in self.entries() {
            codes.push(code);
            days.push(day);
            signs.push(i64::from(sign));
            rows.push(sums.rows as i64);
            amounts.push(sums.amount);
            costs.push(self.has_cost().then_some(sums.cost));
        }
        let customer: ArrayRef = match ids.gather(&codes) {
            CustomerIds::Int(v) => Arc::new(Int64Array::from(v)),
            CustomerIds::Str(s) => Arc::new(StringArray::from_iter_values(s.iter())),
        };
        let int = |v: Vec<i64>| -> ArrayRef { Arc::new(Int64Array::from(v)) };
        let columns = vec![
            customer,
            int(days),
            int(signs),
            int(rows),
            Arc::new(Float64Array::from(amounts)) as ArrayRef,
            Arc::new(Float64Array::from(costs)) as ArrayRef,
        ];
        let fields: Vec<Field> = PARTIAL_DAYS_COLUMNS
            .iter()
            .zip(&columns)
            .map(|(name, c)| Field::new(*name, c.data_type().clone(), *name == "cost"))
            .collect();
        let metadata = HashMap::from([(
            PARTIAL_DAYS_VERSION_KEY.to_owned(),
            PARTIAL_DAYS_VERSION.to_owned(),
        )]);
        let schema = Arc::new(Schema::new_with_metadata(fields, metadata));
        RecordBatch::try_new(schema, columns).map_err(|e| bad(e.to_string()))
    }

    /// Reads a state written by [`PartialDays::to_arrow`] (several such
    /// batches put together, too), checked whole: version, columns, types,
    /// nulls, signs, counts and sums.
    ///
    /// # Errors
    /// [`CiblageError::InvalidModelFile`] naming what is wrong.
    pub fn from_arrow(batch: &RecordBatch, has_cost: bool) -> Result<Self> {
        check_header(
            &batch.schema(),
            (PARTIAL_DAYS_VERSION_KEY, PARTIAL_DAYS_VERSION),
            &PARTIAL_DAYS_COLUMNS,
        )
        .map_err(bad)?;
        let ints = |i: usize| -> Result<&Int64Array> {
            let c = batch.column(i);
            if c.data_type() != &DataType::Int64 || c.null_count() > 0 {
                return Err(bad(format!(
                    "column {:?} must be Int64 without nulls, got {}",
                    PARTIAL_DAYS_COLUMNS[i],
                    c.data_type()
                )));
            }
            Ok(c.as_primitive::<Int64Type>())
        };
        let floats = |i: usize| -> Result<&arrow_array::PrimitiveArray<Float64Type>> {
            let c = batch.column(i);
            if c.data_type() != &DataType::Float64 {
                return Err(bad(format!(
                    "column {:?} has type {}, expected Float64",
                    PARTIAL_DAYS_COLUMNS[i],
                    c.data_type()
                )));
            }
            let values = c.as_primitive::<Float64Type>();
            if values.iter().flatten().any(|v| !v.is_finite()) {
                return Err(bad(format!(
                    "column {:?} holds a value that is not finite",
                    PARTIAL_DAYS_COLUMNS[i]
                )));
            }
            Ok(values)
        };
        let mut index = CustomerIndex::named("customer");
        let mut codes = Vec::with_capacity(batch.num_rows());
        crate::arrow::encode_ids(
            &mut index,
            batch.column(0).as_ref(),
            "customer",
            "customer",
            0,
            &mut codes,
        )
        .map_err(|e| bad(e.to_string()))?;
        let (days, signs, rows) = (ints(1)?, ints(2)?, ints(3)?);
        let amounts = floats(4)?;
        if amounts.null_count() > 0 {
            return Err(bad("column \"amount\" holds nulls"));
        }
        let costs = floats(5)?;
        match (has_cost, costs.null_count()) {
            (true, 0) => {}
            (false, k) if k == batch.num_rows() => {}
            (true, _) => return Err(bad("column \"cost\" holds nulls, costs were expected")),
            (false, _) => return Err(bad("column \"cost\" holds costs, none were expected")),
        }
        let mut state = PartialDays::empty(has_cost);
        state.set_index(index);
        for (i, &code) in codes.iter().enumerate() {
            let sign = match signs.value(i) {
                s @ -1..=1 => s as i8,
                s => return Err(bad(format!("sign {s} on row {i}"))),
            };
            let n = u64::try_from(rows.value(i))
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| bad(format!("rows {} on row {i}", rows.value(i))))?;
            let sums = DaySums {
                rows: n,
                amount: amounts.value(i),
                cost: if has_cost { costs.value(i) } else { 0.0 },
            };
            state.add((code, days.value(i), sign), sums);
        }
        Ok(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Transactions;

    #[test]
    fn round_trip_and_checks() {
        let day = 86_400_000_000i64;
        let tx = Transactions::from_str_ids(
            &["a", "b", "a"],
            vec![0, day, day / 2],
            vec![3.0, -1.0, 4.0],
        )
        .unwrap();
        let s = PartialDays::from_transactions(&tx);
        let batch = s.to_arrow().unwrap();
        assert_eq!(batch.num_rows(), 2); // ("a", 0, +) holds 2 rows
        let back = PartialDays::from_arrow(&batch, false).unwrap();
        assert_eq!(back.sorted(), s.sorted());
        // A key on two rows (states put together by a shuffle): added.
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(vec!["a", "a"])),
            Arc::new(Int64Array::from(vec![0, 0])),
            Arc::new(Int64Array::from(vec![1, 1])),
            Arc::new(Int64Array::from(vec![1, 2])),
            Arc::new(Float64Array::from(vec![3.0, 4.0])),
            Arc::new(Float64Array::from(vec![None, None])),
        ];
        let twice = RecordBatch::try_new(batch.schema(), columns).unwrap();
        let merged = PartialDays::from_arrow(&twice, false).unwrap();
        assert_eq!(merged.len(), 1);
        let (_, sums) = merged.entries().next().unwrap();
        assert_eq!((sums.rows, sums.amount), (3, 7.0));
        assert!(PartialDays::from_arrow(&batch, true).is_err());
        let bare = Arc::new(
            batch
                .schema()
                .as_ref()
                .clone()
                .with_metadata(HashMap::new()),
        );
        let stripped = RecordBatch::try_new(bare, batch.columns().to_vec());
        let e = PartialDays::from_arrow(&stripped.unwrap(), false).unwrap_err();
        assert!(e.to_string().contains("ciblage.partial_days"), "{e}");
    }
}
