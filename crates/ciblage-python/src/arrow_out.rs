//! Building Arrow arrays and tables for results.

use std::sync::Arc;

use arrow_array::types::Int32Type;
use arrow_array::{
    ArrayRef, Date32Array, DictionaryArray, Float64Array, Int32Array, Int64Array, LargeStringArray,
    RecordBatch, StringArray, TimestampMicrosecondArray, UInt16Array, UInt8Array,
};
use arrow_buffer::{Buffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{Field, Schema};
use ciblage::{CustomerIds, StringIds, Zone};
use pyo3::prelude::*;
use pyo3_arrow::PyTable;

use crate::arrow_in::TimeKind;

/// Named columns, in order.
#[derive(Default)]
pub struct TableBuilder {
    fields: Vec<Field>,
    columns: Vec<ArrayRef>,
}

impl TableBuilder {
    /// Appends a column.
    pub fn push(&mut self, name: &str, array: ArrayRef) {
        self.fields.push(Field::new(
            name,
            array.data_type().clone(),
            array.null_count() > 0,
        ));
        self.columns.push(array);
    }

    /// The record batch (one chunk).
    pub fn finish(self) -> RecordBatch {
        let schema = Arc::new(Schema::new(self.fields));
        RecordBatch::try_new(schema, self.columns).expect("columns of equal length")
    }

    /// The table as a Python object exposing `__arrow_c_stream__`.
    pub fn into_py_table(self) -> PyResult<PyTable> {
        let batch = self.finish();
        let schema = batch.schema();
        PyTable::try_new(vec![batch], schema)
    }
}

/// Customer ids as an Arrow array.
pub fn ids_array(ids: &CustomerIds) -> ArrayRef {
    match ids {
        CustomerIds::Int(v) => Arc::new(Int64Array::from(v.clone())),
        CustomerIds::Str(s) => strings_array(s),
    }
}

/// Strings back to back as a `Utf8` array (`LargeUtf8` past 2 GiB).
pub fn strings_array(s: &StringIds) -> ArrayRef {
    let (bytes, offsets) = s.as_parts();
    let values = Buffer::from(bytes.as_bytes());
    if i32::try_from(bytes.len()).is_ok() {
        let offs: Vec<i32> = offsets.iter().map(|&o| o as i32).collect();
        let offs = OffsetBuffer::new(ScalarBuffer::from(offs));
        Arc::new(StringArray::new(offs, values, None))
    } else {
        let offs: Vec<i64> = offsets.iter().map(|&o| o as i64).collect();
        let offs = OffsetBuffer::new(ScalarBuffer::from(offs));
        Arc::new(LargeStringArray::new(offs, values, None))
    }
}

/// Instants as the caller's time type: dates stay dates, zoned timestamps
/// keep their zone.
pub fn time_array(micros: &[i64], kind: &TimeKind, zone: Zone) -> ArrayRef {
    match kind {
        TimeKind::Date => Arc::new(Date32Array::from(
            micros
                .iter()
                .map(|&t| zone.day_of(t) as i32)
                .collect::<Vec<_>>(),
        )),
        TimeKind::Timestamp(tz) => {
            let a = TimestampMicrosecondArray::from(micros.to_vec());
            Arc::new(match tz {
                Some(tz) => a.with_timezone(tz.as_str()),
                None => a,
            })
        }
    }
}

/// `i64` column.
pub fn i64_array(v: impl IntoIterator<Item = i64>) -> ArrayRef {
    Arc::new(Int64Array::from_iter_values(v))
}

/// `f64` column.
pub fn f64_array(v: &[f64]) -> ArrayRef {
    Arc::new(Float64Array::from(v.to_vec()))
}

/// `u8` column.
pub fn u8_array(v: &[u8]) -> ArrayRef {
    Arc::new(UInt8Array::from(v.to_vec()))
}

/// `u16` column.
pub fn u16_array(v: Vec<u16>) -> ArrayRef {
    Arc::new(UInt16Array::from(v))
}

/// A categorical column: `codes` index into `names`.
pub fn dictionary_array(codes: &[u16], names: &[&str]) -> ArrayRef {
    let keys = Int32Array::from_iter_values(codes.iter().map(|&c| i32::from(c)));
    let values = Arc::new(StringArray::from_iter_values(names.iter()));
    Arc::new(DictionaryArray::<Int32Type>::try_new(keys, values).expect("codes index names"))
}

/// `Utf8` column from strings.
pub fn strings_from<'a>(v: impl IntoIterator<Item = &'a str>) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(v))
}

/// Nullable `f64` column.
pub fn opt_f64_array(v: impl IntoIterator<Item = Option<f64>>) -> ArrayRef {
    Arc::new(Float64Array::from_iter(v))
}

/// Nullable `i64` column.
pub fn opt_i64_array(v: impl IntoIterator<Item = Option<i64>>) -> ArrayRef {
    Arc::new(Int64Array::from_iter(v))
}

/// Nullable boolean column.
pub fn opt_bool_array(v: impl IntoIterator<Item = Option<bool>>) -> ArrayRef {
    Arc::new(arrow_array::BooleanArray::from_iter(v))
}
