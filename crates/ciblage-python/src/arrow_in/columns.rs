//! Column lookup by name, and the errors every column reader shares: a
//! column of the wrong type, a null value, a column of nulls only.

use arrow_array::Array;
use arrow_schema::{DataType, SchemaRef};
use ciblage::CiblageError;

use crate::error::{BindError, BindResult};

/// Index of the column `name` in `schema`.
pub fn column_index(schema: &SchemaRef, argument: &'static str, name: &str) -> BindResult<usize> {
    schema
        .index_of(name)
        .map_err(|_| BindError::ColumnNotFound {
            argument,
            column: name.to_owned(),
            available: schema.fields().iter().map(|f| f.name().clone()).collect(),
        })
}

pub(super) fn type_error(
    argument: &'static str,
    column: &str,
    dt: &DataType,
    expected: &'static str,
) -> BindError {
    BindError::ColumnType {
        argument,
        column: column.to_owned(),
        found: dt.to_string(),
        expected,
    }
}

pub(super) fn first_null(array: &dyn Array) -> Option<usize> {
    if array.null_count() == 0 {
        return None;
    }
    (0..array.len()).find(|&i| array.is_null(i))
}

/// A null at `row`, naming the argument and, when it differs, the column.
pub(super) fn null_error(argument: &str, column: &str, row: usize) -> BindError {
    let argument = if argument == column {
        argument.to_owned()
    } else {
        format!("{argument} (column {column:?})")
    };
    BindError::Core(CiblageError::NullValue { argument, row })
}

/// A column of Arrow type `Null` (every value missing, so no type was
/// inferred): its first row is null. Type checks run on non-empty tables.
pub(super) fn all_null(argument: &str, column: &str) -> BindError {
    null_error(argument, column, 0)
}
