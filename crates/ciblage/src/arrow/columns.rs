//! Column lookup by name, and the errors every column reader shares: a
//! column of the wrong type, a null value, a column of nulls only.

use arrow_array::Array;
use arrow_schema::{DataType, Schema};

use crate::error::{CiblageError, Result};

/// Index of the column `name` in `schema`; `argument` names the parameter
/// that names the column in the error.
///
/// # Errors
/// [`CiblageError::ColumnNotFound`], listing the columns the table has.
///
/// ```
/// use ciblage::arrow::column_index;
/// use arrow_schema::{DataType, Field, Schema};
/// let schema = Schema::new(vec![Field::new("price", DataType::Float64, false)]);
/// assert_eq!(column_index(&schema, "amount", "price")?, 0);
/// let e = column_index(&schema, "amount", "total").unwrap_err();
/// assert_eq!(e.to_string(), "amount: column \"total\" not found; the table has [\"price\"]");
/// # Ok::<(), ciblage::CiblageError>(())
/// ```
pub fn column_index(schema: &Schema, argument: &str, name: &str) -> Result<usize> {
    schema
        .index_of(name)
        .map_err(|_| CiblageError::ColumnNotFound {
            argument: argument.to_owned(),
            column: name.to_owned(),
            available: schema.fields().iter().map(|f| f.name().clone()).collect(),
        })
}

pub(super) fn type_error(
    argument: &str,
    column: &str,
    dt: &DataType,
    expected: &'static str,
) -> CiblageError {
    CiblageError::ColumnType {
        argument: argument.to_owned(),
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
pub(super) fn null_error(argument: &str, column: &str, row: usize) -> CiblageError {
    let argument = if argument == column {
        argument.to_owned()
    } else {
        format!("{argument} (column {column:?})")
    };
    CiblageError::NullValue { argument, row }
}

/// A column of Arrow type `Null` (every value missing, so no type was
/// inferred): its first row is null. Type checks run on non-empty tables.
pub(super) fn all_null(argument: &str, column: &str) -> CiblageError {
    null_error(argument, column, 0)
}
