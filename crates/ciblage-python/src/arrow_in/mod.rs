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

/// The names of a stream's used columns (the timestamp absent for calls
/// that read none).
pub struct StreamNames<'a> {
    /// Customer id column.
    pub customer: &'a str,
    /// Timestamp or date column, if read.
    pub timestamp: Option<&'a str>,
    /// Amount column.
    pub amount: &'a str,
    /// Cost column, if named.
    pub cost: Option<&'a str>,
}

/// The positions of a stream's used columns in one batch, their types
/// checked (see [`stream_columns`]).
pub struct StreamColumns {
    /// Position of the customer column.
    pub customer: usize,
    /// Position of the timestamp column and how it encodes time.
    pub timestamp: Option<(usize, TimeKind)>,
    /// Position of the amount column.
    pub amount: usize,
    /// Position of the cost column.
    pub cost: Option<usize>,
}

/// Finds the used columns of a stream's batch and checks their types, in
/// the order the call on one table checks them (every column found first,
/// then the customer, timestamp, amount and cost types).
pub fn stream_columns(schema: &Schema, names: &StreamNames<'_>) -> BindResult<StreamColumns> {
    let customer = column_index(schema, "customer", names.customer)?;
    let timestamp = names
        .timestamp
        .map(|t| column_index(schema, "timestamp", t))
        .transpose()?;
    let amount = column_index(schema, "amount", names.amount)?;
    let cost = names
        .cost
        .map(|c| column_index(schema, "cost", c))
        .transpose()?;
    check_id_type(
        "customer",
        names.customer,
        schema.field(customer).data_type(),
    )?;
    let timestamp = match (timestamp, names.timestamp) {
        (Some(i), Some(t)) => Some((
            i,
            arrow::time_kind("timestamp", t, schema.field(i).data_type())?,
        )),
        _ => None,
    };
    check_number_type("amount", names.amount, schema.field(amount).data_type())?;
    if let (Some(k), Some(c)) = (cost, names.cost) {
        check_number_type("cost", c, schema.field(k).data_type())?;
    }
    Ok(StreamColumns {
        customer,
        timestamp,
        amount,
        cost,
    })
}
