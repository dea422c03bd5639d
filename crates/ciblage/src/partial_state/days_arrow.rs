//! The Arrow form of a [`PartialDays`]: one row per entry (customer id,
//! day, sign, rows, the rounded sums `amount` and `margin`, then the exact
//! sums behind them in the encoding of the activity state's version 2:
//! `*_high`, `*_low`, `*_exponent`, `*_overflow`; the margin columns null
//! without costs), the version in the schema metadata. A batch may hold a
//! key on several rows (the states of several partitions put together by
//! a shuffle): their exact sums add up at load. Version 1 (rounded sums
//! only) is refused.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use arrow_array::{Array, ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::DataType;

use super::arrow_form::{check_header, parts_columns, read_parts, state_batch};
use super::days::{DaySums, PartialDays};
use crate::error::{CiblageError, Result};
use crate::exact_sum::ExactSum;
use crate::{CustomerIds, CustomerIndex};

/// Schema metadata key holding the version of the day-state form.
pub const PARTIAL_DAYS_VERSION_KEY: &str = "ciblage.partial_days";
/// Version of the day-state form written by this library.
pub const PARTIAL_DAYS_VERSION: &str = "2";
/// The columns of the day-state form, in order.
pub const PARTIAL_DAYS_COLUMNS: [&str; 14] = [
    "customer",
    "day",
    "sign",
    "rows",
    "amount",
    "margin",
    "amount_high",
    "amount_low",
    "amount_exponent",
    "amount_overflow",
    "margin_high",
    "margin_low",
    "margin_exponent",
    "margin_overflow",
];

/// Position of the first exact-sum column (`amount_high`).
const EXACT_AT: usize = 6;

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
        let n = self.len();
        let (mut codes, mut days, mut signs, mut rows) = (vec![], vec![], vec![], vec![]);
        let (mut amounts, mut margins) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for ((code, day, sign), sums) in self.entries() {
            codes.push(code);
            days.push(day);
            signs.push(i64::from(sign));
            rows.push(sums.rows as i64);
            amounts.push(sums.amount.clone());
            margins.push(sums.margin.clone());
        }
        let rounded = |v: &[ExactSum]| v.iter().map(ExactSum::value).collect::<Vec<_>>();
        let margin: ArrayRef = if self.has_cost() {
            Arc::new(Float64Array::from(rounded(&margins)))
        } else {
            Arc::new(Float64Array::from(vec![None; n]))
        };
        let customer: ArrayRef = match ids.gather(&codes) {
            CustomerIds::Int(v) => Arc::new(Int64Array::from(v)),
            CustomerIds::Str(s) => Arc::new(StringArray::from_iter_values(s.iter())),
        };
        let int = |v: Vec<i64>| -> ArrayRef { Arc::new(Int64Array::from(v)) };
        let mut columns = vec![
            customer,
            int(days),
            int(signs),
            int(rows),
            Arc::new(Float64Array::from(rounded(&amounts))) as ArrayRef,
            margin,
        ];
        columns.extend(parts_columns(Some(&amounts), n));
        columns.extend(parts_columns(self.has_cost().then_some(&margins[..]), n));
        state_batch(
            &PARTIAL_DAYS_COLUMNS,
            "margin",
            (PARTIAL_DAYS_VERSION_KEY, PARTIAL_DAYS_VERSION),
            columns,
        )
        .map_err(bad)
    }

    /// Reads a state written by [`PartialDays::to_arrow`] (several such
    /// batches put together, too), checked whole: version, columns, types,
    /// nulls, signs, counts, the exact sums and the rounded sums against
    /// them.
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
        let margins = floats(5)?;
        let n = batch.num_rows();
        match (has_cost, margins.null_count()) {
            (true, 0) => {}
            (false, k) if k == n => {}
            (true, _) => return Err(bad("column \"margin\" holds nulls, costs were expected")),
            (false, _) => {
                return Err(bad(
                    "column \"margin\" holds margins, no costs were expected",
                ))
            }
        }
        let parts = |at: usize, name: &str, rounded: &[f64]| {
            read_parts(batch, &PARTIAL_DAYS_COLUMNS, at, name, rounded).map_err(|e| match e {
                CiblageError::InvalidModelFile { reason, .. } => bad(reason),
                other => other,
            })
        };
        let amount_sums = parts(EXACT_AT, "amount", amounts.values())?;
        let margin_sums = if has_cost {
            parts(EXACT_AT + 4, "margin", margins.values())?
        } else {
            if let Some(k) =
                (EXACT_AT + 4..EXACT_AT + 8).find(|&k| batch.column(k).null_count() != n)
            {
                return Err(bad(format!(
                    "column {:?} holds margins, no costs were expected",
                    PARTIAL_DAYS_COLUMNS[k]
                )));
            }
            vec![ExactSum::new(); n]
        };
        let mut state = PartialDays::empty(has_cost);
        state.set_index(index);
        for (i, &code) in codes.iter().enumerate() {
            let sign = match signs.value(i) {
                s @ -1..=1 => s as i8,
                s => return Err(bad(format!("sign {s} on row {i}"))),
            };
            let count = u64::try_from(rows.value(i))
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| bad(format!("rows {} on row {i}", rows.value(i))))?;
            if super::days::sign(amounts.value(i)) != sign {
                return Err(bad(format!(
                    "amount {} against sign {sign} on row {i}",
                    amounts.value(i)
                )));
            }
            let sums = DaySums {
                rows: count,
                amount: amount_sums[i].clone(),
                margin: margin_sums[i].clone(),
            };
            state.add((code, days.value(i), sign), &sums);
        }
        Ok(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Transactions;
    use std::collections::HashMap;

    const DAY: i64 = 86_400_000_000;

    fn with_column(batch: &RecordBatch, i: usize, column: ArrayRef) -> RecordBatch {
        let mut columns = batch.columns().to_vec();
        columns[i] = column;
        RecordBatch::try_new(batch.schema(), columns).unwrap()
    }

    #[test]
    fn round_trip_and_checks() {
        let tx = Transactions::from_str_ids(
            &["a", "b", "a"],
            vec![0, DAY, DAY / 2],
            vec![0.1, -1.0, 0.2],
        )
        .unwrap();
        let s = PartialDays::from_transactions(&tx);
        let batch = s.to_arrow().unwrap();
        assert_eq!(batch.num_rows(), 2); // ("a", 0, +) holds 2 rows
        let back = PartialDays::from_arrow(&batch, false).unwrap();
        assert_eq!(back.sorted(), s.sorted());
        // A key on two rows (states put together by a shuffle): the exact
        // sums add, rounded once: 0.1 + 0.2 then 0.3 again.
        let sums: Vec<ExactSum> = [0.1, 0.2].map(|x| [x].into_iter().collect()).to_vec();
        let mut columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(vec!["a", "a"])),
            Arc::new(Int64Array::from(vec![0, 0])),
            Arc::new(Int64Array::from(vec![1, 1])),
            Arc::new(Int64Array::from(vec![1, 2])),
            Arc::new(Float64Array::from(vec![0.1, 0.2])),
            Arc::new(Float64Array::from(vec![None, None])),
        ];
        columns.extend(parts_columns(Some(&sums), 2));
        columns.extend(parts_columns(None, 2));
        let twice = RecordBatch::try_new(batch.schema(), columns).unwrap();
        let merged = PartialDays::from_arrow(&twice, false).unwrap();
        assert_eq!(merged.len(), 1);
        let a = merged.sorted()[0].3;
        // 0.1 + 0.2 rounded once (the exact sum is below 0.30000000000000004
        // by less than half its spacing).
        assert_eq!((a.0, a.1.to_bits()), (3, (0.1f64 + 0.2).to_bits()));
        assert!(PartialDays::from_arrow(&batch, true).is_err());
        // A rounded sum that is not its exact sum's.
        let e = PartialDays::from_arrow(
            &with_column(&batch, 4, Arc::new(Float64Array::from(vec![0.3, -1.0]))),
            false,
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("\"amount\" holds 0.3 on row 0"),
            "{e}"
        );
        // A sign that is not the amount's.
        let e = PartialDays::from_arrow(
            &with_column(&batch, 2, Arc::new(Int64Array::from(vec![1, 0]))),
            false,
        )
        .unwrap_err();
        assert!(e.to_string().contains("against sign 0 on row 1"), "{e}");
        // Version 1 (rounded sums only) is refused.
        let old = |version: &str| {
            let schema = batch
                .schema()
                .as_ref()
                .clone()
                .with_metadata(HashMap::from([(
                    PARTIAL_DAYS_VERSION_KEY.to_owned(),
                    version.to_owned(),
                )]));
            RecordBatch::try_new(Arc::new(schema), batch.columns().to_vec()).unwrap()
        };
        let e = PartialDays::from_arrow(&old("1"), false).unwrap_err();
        assert!(matches!(
            e,
            CiblageError::InvalidModelFile {
                what: "day state",
                ..
            }
        ));
        assert!(e.to_string().contains("version \"1\""), "{e}");
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

    #[test]
    fn margins_travel_exactly() {
        let tx = Transactions::from_int_ids(&[1, 1, 2], vec![0, 1, 2], vec![0.1, 0.7, -3.0])
            .unwrap()
            .with_costs(vec![0.3, 0.05, 1.0])
            .unwrap();
        let s = PartialDays::from_transactions(&tx);
        let back = PartialDays::from_arrow(&s.to_arrow().unwrap(), true).unwrap();
        let want: ExactSum = [0.1 - 0.3, 0.7 - 0.05].into_iter().collect();
        let got = back.sorted();
        assert_eq!(got[0].3 .2.to_bits(), want.value().to_bits());
        assert_eq!(got[1].3 .2, -4.0);
        assert!(PartialDays::from_arrow(&s.to_arrow().unwrap(), false).is_err());
    }
}
