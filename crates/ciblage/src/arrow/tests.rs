//! Tests of [`super`].
use std::sync::Arc;

use crate::customers::CustomerIndex;
use crate::error::CiblageError;
use arrow_array::{
    Array, ArrayRef, ArrowPrimitiveType, DictionaryArray, Float64Array, Int64Array, StringArray,
    TimestampNanosecondArray, TimestampSecondArray,
};
use arrow_schema::{DataType, Field, Schema};

use super::ids::encode_ids;
use super::*;

fn message(e: CiblageError) -> String {
    e.to_string()
}

#[test]
fn null_ids_timestamps_and_amounts_are_refused_with_their_row() {
    let mut index = CustomerIndex::new();
    let ids = Int64Array::from(vec![Some(1), None]);
    let err = encode_ids(&mut index, &ids, "customer", "id", 10, &mut Vec::new()).unwrap_err();
    assert_eq!(
        message(err),
        "customer (column \"id\"): null value at row 11"
    );
    let nat = TimestampNanosecondArray::from(vec![5, i64::MIN]);
    assert_eq!(
        message(micros(&nat, "timestamp", "ts", 0).unwrap_err()),
        "timestamp (column \"ts\"): null value at row 1"
    );
    let ts = TimestampNanosecondArray::from(vec![None, Some(5)]);
    assert_eq!(
        message(micros(&ts, "timestamp", "ts", 0).unwrap_err()),
        "timestamp (column \"ts\"): null value at row 0"
    );
    let a = Float64Array::from(vec![Some(1.0), Some(2.0), None]);
    assert_eq!(
        message(floats(&a, "amount", "amount", 0).unwrap_err()),
        "amount: null value at row 2"
    );
}

#[test]
fn timestamps_are_normalised_to_microseconds() {
    // -1 ns floors to -1 µs (1969-12-31T23:59:59.999999).
    let ns = TimestampNanosecondArray::from(vec![1_500, -1]);
    assert_eq!(&*micros(&ns, "timestamp", "ts", 0).unwrap(), &[1, -1]);
    let s = TimestampSecondArray::from(vec![2]);
    assert_eq!(&*micros(&s, "timestamp", "ts", 0).unwrap(), &[2_000_000]);
    let huge = TimestampSecondArray::from(vec![i64::MAX / 10]);
    assert_eq!(
        message(micros(&huge, "timestamp", "ts", 3).unwrap_err()),
        "timestamp: timestamp out of range at row 3"
    );
}

#[test]
fn missing_columns_and_wrong_types_are_named() {
    let schema = Arc::new(Schema::new(vec![Field::new("a", DataType::Float64, false)]));
    assert_eq!(
        message(column_index(&schema, "amount", "price").unwrap_err()),
        "amount: column \"price\" not found; the table has [\"a\"]"
    );
    let err = check_number_type("amount", "a", &DataType::Utf8).unwrap_err();
    assert!(message(err).starts_with("amount: column \"a\" has type Utf8, expected numbers"));
    let err = check_id_type("customer", "c", &DataType::Float64).unwrap_err();
    assert!(message(err).starts_with("customer: column \"c\" has type Float64, expected integers"));
    assert!(time_kind("timestamp", "t", &DataType::Int64).is_err());
}

#[test]
fn dictionary_ids_encode_only_used_values() {
    let keys = arrow_array::Int32Array::from(vec![2, 0, 2]);
    let values: ArrayRef = Arc::new(StringArray::from(vec!["x", "unused", "y"]));
    let dict = DictionaryArray::try_new(keys, values).unwrap();
    let mut index = CustomerIndex::new();
    let mut codes = Vec::new();
    encode_ids(&mut index, &dict, "customer", "c", 0, &mut codes).unwrap();
    assert_eq!(codes, [0, 1, 0]);
    assert_eq!(index.len(), 2);
}

#[test]
fn dictionary_ids_of_every_key_type_give_the_codes_of_their_strings() {
    use arrow_array::types::{Int8Type, UInt16Type, UInt64Type};
    // Rows "y", "x", "y", "z", "x": first appearance gives 0, 1, 0, 2, 1.
    let values: ArrayRef = Arc::new(StringArray::from(vec!["x", "unused", "y", "z"]));
    let rows = [2u8, 0, 2, 3, 0];
    let want = [0, 1, 0, 2, 1];
    let dicts: Vec<ArrayRef> = vec![
        Arc::new(
            DictionaryArray::<Int8Type>::try_new(
                rows.iter().map(|&k| k as i8).collect(),
                values.clone(),
            )
            .unwrap(),
        ),
        Arc::new(
            DictionaryArray::<UInt16Type>::try_new(
                rows.iter().map(|&k| u16::from(k)).collect(),
                values.clone(),
            )
            .unwrap(),
        ),
        Arc::new(
            DictionaryArray::<UInt64Type>::try_new(
                rows.iter().map(|&k| u64::from(k)).collect(),
                values.clone(),
            )
            .unwrap(),
        ),
    ];
    for dict in dicts {
        let mut index = CustomerIndex::new();
        let mut codes = Vec::new();
        encode_ids(&mut index, dict.as_ref(), "customer", "c", 0, &mut codes).unwrap();
        assert_eq!(codes, want, "{}", dict.data_type());
        assert_eq!(index.len(), 3);
        assert_eq!(index.id(2), crate::CustomerId::Str("z"));
    }
}

#[test]
fn half_floats_and_wide_decimals_are_read_as_numbers() {
    use arrow_array::{Decimal256Array, Float16Array};
    use arrow_buffer::i256;
    let h = Float16Array::from(vec![half_of(1.5), half_of(-2.0)]);
    check_number_type("amount", "a", h.data_type()).unwrap();
    assert_eq!(&*floats(&h, "amount", "a", 0).unwrap(), &[1.5, -2.0]);
    // 12345 and −5 at scale 2: 123.45 and −0.05; 2^130 at scale 0.
    let d = Decimal256Array::from(vec![
        i256::from_i128(12_345),
        i256::from_i128(-5),
        i256::from_parts(0, 4),
    ])
    .with_precision_and_scale(76, 2)
    .unwrap();
    check_number_type("amount", "a", d.data_type()).unwrap();
    let v = floats(&d, "amount", "a", 0).unwrap();
    assert!((v[0] - 123.45).abs() < 1e-12 && (v[1] + 0.05).abs() < 1e-15);
    assert_eq!(v[2], 2f64.powi(130) / 100.0);
}

fn half_of(v: f32) -> <arrow_array::types::Float16Type as ArrowPrimitiveType>::Native {
    <arrow_array::types::Float16Type as ArrowPrimitiveType>::Native::from_f32(v)
}

#[test]
fn timestamps_outside_the_supported_range_are_refused_with_their_row() {
    use arrow_array::{Date32Array, TimestampMicrosecondArray};
    // 2^31 − 1 days (5.9 million years) overflowed i64 microseconds.
    let days = Date32Array::from(vec![0, i32::MAX]);
    let e = micros(&days, "timestamp", "day", 3).unwrap_err();
    assert_eq!(message(e), "timestamp: timestamp out of range at row 4");
    let days = Date32Array::from(vec![i32::MIN]);
    assert!(micros(&days, "timestamp", "day", 0).is_err());
    // The largest i64 was taken for "no reference date" and dropped.
    let us = TimestampMicrosecondArray::from(vec![0, i64::MAX]);
    let e = micros(&us, "timestamp", "ts", 0).unwrap_err();
    assert_eq!(message(e), "timestamp: timestamp out of range at row 1");
    // NaT stays a null.
    let us = TimestampMicrosecondArray::from(vec![i64::MIN]);
    assert!(message(micros(&us, "timestamp", "ts", 0).unwrap_err()).contains("null value at row 0"));
    let (first, last) = crate::time::instant_range();
    let us = TimestampMicrosecondArray::from(vec![first, last]);
    assert_eq!(
        &micros(&us, "timestamp", "ts", 0).unwrap()[..],
        &[first, last]
    );
}

#[test]
fn decimal32_and_decimal64_amounts_are_numbers() {
    use arrow_array::{Decimal32Array, Decimal64Array};
    let a = Decimal32Array::from(vec![150, -25])
        .with_precision_and_scale(5, 2)
        .unwrap();
    check_number_type("amount", "a", a.data_type()).unwrap();
    assert_eq!(&floats(&a, "amount", "a", 0).unwrap()[..], &[1.5, -0.25]);
    let a = Decimal64Array::from(vec![1234, 5])
        .with_precision_and_scale(12, 1)
        .unwrap();
    assert_eq!(&floats(&a, "amount", "a", 0).unwrap()[..], &[123.4, 0.5]);
}

#[test]
fn all_null_columns_are_nulls_not_types() {
    for e in [
        check_id_type("customer", "id", &DataType::Null).unwrap_err(),
        check_number_type("amount", "amount", &DataType::Null).unwrap_err(),
        time_kind("timestamp", "when", &DataType::Null).unwrap_err(),
    ] {
        let text = message(e);
        assert!(text.ends_with("null value at row 0"), "{text}");
    }
    let e = time_kind("timestamp", "when", &DataType::Null).unwrap_err();
    assert_eq!(
        message(e),
        "timestamp (column \"when\"): null value at row 0"
    );
}

fn batch(
    ids: Vec<&str>,
    ts: Vec<i64>,
    amounts: Vec<i32>,
    costs: Vec<f64>,
) -> arrow_array::RecordBatch {
    use arrow_array::{Int32Array, TimestampMillisecondArray};
    arrow_array::RecordBatch::try_from_iter([
        ("client", Arc::new(StringArray::from(ids)) as ArrayRef),
        (
            "when",
            Arc::new(TimestampMillisecondArray::from(ts).with_timezone("Asia/Tokyo")) as ArrayRef,
        ),
        ("price", Arc::new(Int32Array::from(amounts)) as ArrayRef),
        ("cost", Arc::new(Float64Array::from(costs)) as ArrayRef),
    ])
    .unwrap()
}

const NAMES: TransactionColumns<'static> = TransactionColumns {
    customer: "client",
    timestamp: "when",
    amount: "price",
    cost: Some("cost"),
};

#[test]
fn batches_read_into_one_table_with_costs_and_the_column_zone() {
    use crate::Transactions;
    // Two batches: ids coded in order of first appearance across them,
    // milliseconds as µs, integer prices as floats, Tokyo's day boundaries.
    let a = batch(
        vec!["x", "y"],
        vec![1_000, 2_000],
        vec![10, 20],
        vec![1.0, 2.0],
    );
    let b = batch(
        vec!["y", "z"],
        vec![3_000, 4_000],
        vec![30, 40],
        vec![3.0, 4.0],
    );
    let tx = Transactions::from_record_batches(&[a, b], &NAMES, None).unwrap();
    assert_eq!(tx.codes(), &[0, 1, 1, 2]);
    assert_eq!(
        tx.timestamps(),
        &[1_000_000, 2_000_000, 3_000_000, 4_000_000]
    );
    assert_eq!(tx.amounts(), &[10.0, 20.0, 30.0, 40.0]);
    assert_eq!(tx.costs(), Some(&[1.0, 2.0, 3.0, 4.0][..]));
    assert_eq!(tx.zone(), crate::Zone::parse("Asia/Tokyo").unwrap());
    // A zone asked for wins over the column's.
    let a = batch(vec!["x"], vec![0], vec![1], vec![0.0]);
    let tx = Transactions::from_record_batches(&[a], &NAMES, Some("UTC")).unwrap();
    assert_eq!(tx.zone(), crate::Zone::Utc);
}

#[test]
fn record_batch_errors_name_the_argument_and_the_column() {
    use crate::Transactions;
    let a = batch(vec!["x", "y"], vec![0, 0], vec![1, 2], vec![1.0, f64::NAN]);
    let e = Transactions::from_record_batch(&a, &NAMES).unwrap_err();
    assert_eq!(e.to_string(), "cost: non-finite value NaN at row 1");
    let missing = TransactionColumns {
        amount: "amount",
        ..NAMES
    };
    let e = Transactions::from_record_batch(&a, &missing).unwrap_err();
    assert!(matches!(e, CiblageError::ColumnNotFound { .. }));
    assert_eq!(
        e.to_string(),
        "amount: column \"amount\" not found; the table has [\"client\", \"when\", \"price\", \"cost\"]"
    );
    let wrong = TransactionColumns {
        timestamp: "client",
        ..NAMES
    };
    let e = Transactions::from_record_batch(&a, &wrong).unwrap_err();
    assert!(matches!(e, CiblageError::ColumnType { .. }));
    assert!(e
        .to_string()
        .starts_with("timestamp: column \"client\" has type Utf8, expected timestamps"));
    let e = Transactions::from_record_batches(&[], &NAMES, None).unwrap_err();
    assert_eq!(e.to_string(), "transactions: input is empty");
}
