//! Reading columns out of Arrow record batches: the core's readers
//! ([`ciblage::arrow`], the one implementation of the checks and
//! conversions), with the binding's error type.

use std::borrow::Cow;

use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, Schema};
use ciblage::arrow;
use ciblage::{CustomerIndex, Zone};

pub use ciblage::arrow::{give_back, TimeKind};

use crate::error::BindResult;

/// Index of the column `name` in `schema` (see [`arrow::column_index`]).
pub fn column_index(schema: &Schema, argument: &'static str, name: &str) -> BindResult<usize> {
    Ok(arrow::column_index(schema, argument, name)?)
}

/// Checks the id column's type (see [`arrow::check_id_type`]).
pub fn check_id_type(argument: &'static str, column: &str, dt: &DataType) -> BindResult<()> {
    Ok(arrow::check_id_type(argument, column, dt)?)
}

/// Factorises the customer column (see [`arrow::customer_codes`]).
pub fn customer_codes(
    batches: &[RecordBatch],
    col: usize,
    column: &str,
) -> BindResult<(CustomerIndex, Vec<u32>)> {
    Ok(arrow::customer_codes(batches, col, column)?)
}

/// Checks a numeric column's type (see [`arrow::check_number_type`]).
pub fn check_number_type(argument: &'static str, column: &str, dt: &DataType) -> BindResult<()> {
    Ok(arrow::check_number_type(argument, column, dt)?)
}

/// Numbers of one batch column as f64 (see [`arrow::floats`]).
pub fn floats<'a>(
    array: &'a dyn Array,
    argument: &'static str,
    column: &str,
    row0: usize,
) -> BindResult<Cow<'a, [f64]>> {
    Ok(arrow::floats(array, argument, column, row0)?)
}

/// Timestamps of one batch column as µs (see [`arrow::micros`]).
pub fn micros<'a>(
    array: &'a dyn Array,
    argument: &'static str,
    column: &str,
    row0: usize,
) -> BindResult<Cow<'a, [i64]>> {
    Ok(arrow::micros(array, argument, column, row0)?)
}

/// Zone of day boundaries (see [`arrow::zone_for`]).
pub fn zone_for(kind: &TimeKind, asked: Option<&str>) -> BindResult<Zone> {
    Ok(arrow::zone_for(kind, asked)?)
}
