//! A customer id column of a one-row-per-customer table, read into an
//! [`IdColumn`] so that two tables can be matched.

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float16Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type,
    UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{Array, ArrayRef, ArrowPrimitiveType};
use arrow_schema::DataType;

use crate::customers::IdColumn;
use crate::error::{CiblageError, Result};

const EXPECTED: &str = "expected integer or string ids";

/// `"integer"` for integer or float columns (pandas stores integer ids with
/// a missing value as floats), `"string"` for strings, through
/// dictionaries; `None` for any other type.
///
/// ```
/// use ciblage::arrow::id_kind;
/// use ciblage::arrow_schema::DataType;
/// assert_eq!(id_kind(&DataType::Float64), Some("integer"));
/// assert_eq!(id_kind(&DataType::Utf8View), Some("string"));
/// assert_eq!(id_kind(&DataType::Boolean), None);
/// ```
pub fn id_kind(dt: &DataType) -> Option<&'static str> {
    match dt {
        DataType::Dictionary(_, values) => id_kind(values),
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64
        | DataType::Float16
        | DataType::Float32
        | DataType::Float64 => Some("integer"),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Some("string"),
        _ => None,
    }
}

/// Reads the customer ids of a column given as chunks (all of one type):
/// integers of any width as `i64`, floats holding whole numbers as `i64`
/// (NaN is a missing id), strings and dictionaries of them as strings;
/// nulls are kept as `None` ([`IdColumn::refuse_nulls`] refuses them).
/// `place` names the column in errors (`"customers column 'id'"`), and
/// `type_name` its type (the caller's name of it; Arrow's when empty).
///
/// # Errors
/// [`CiblageError::IdColumnType`]: a type that holds no ids, floats that
/// are not whole numbers, values beyond `i64`.
///
/// ```
/// use std::sync::Arc;
/// use ciblage::arrow::id_column;
/// use ciblage::arrow_array::{ArrayRef, Float64Array};
/// use ciblage::customers::IdColumn;
/// let ids: ArrayRef = Arc::new(Float64Array::from(vec![Some(1.0), Some(f64::NAN), None]));
/// assert_eq!(id_column(&[ids], "ids", "")?, IdColumn::Int(vec![Some(1), None, None]));
/// let half: ArrayRef = Arc::new(Float64Array::from(vec![1.5]));
/// let e = id_column(&[half], "customers column 'id'", "double").unwrap_err();
/// assert_eq!(e.to_string(), "customers column 'id': has type double with values that are not \
///                            whole numbers; expected integer or string ids");
/// # Ok::<(), ciblage::CiblageError>(())
/// ```
pub fn id_column(chunks: &[ArrayRef], place: &str, type_name: &str) -> Result<IdColumn> {
    let dt = chunks
        .first()
        .map_or(DataType::Int64, |c| c.data_type().clone());
    let type_name = if type_name.is_empty() {
        dt.to_string()
    } else {
        type_name.to_owned()
    };
    let fault = |reason: String| CiblageError::IdColumnType {
        argument: place.to_owned(),
        reason,
    };
    let Some(kind) = id_kind(&dt) else {
        return Err(fault(format!("has type {type_name}, {EXPECTED}")));
    };
    let total = chunks.iter().map(|c| c.len()).sum();
    let mut out = if kind == "integer" {
        IdColumn::Int(Vec::with_capacity(total))
    } else {
        IdColumn::Str(Vec::with_capacity(total))
    };
    let mut row0 = 0;
    for chunk in chunks {
        if chunk.data_type() != &dt {
            return Err(fault(format!(
                "chunks of types {dt} and {}, {EXPECTED}",
                chunk.data_type()
            )));
        }
        let decoded;
        let array: &dyn Array = match chunk.data_type() {
            DataType::Dictionary(_, _) => {
                let dict = chunk.as_any_dictionary();
                decoded = arrow_select_take(dict.values(), &dict.normalized_keys(), chunk.as_ref())
                    .map_err(|_| fault(format!("has type {type_name}, {EXPECTED}")))?;
                decoded.as_ref()
            }
            _ => chunk.as_ref(),
        };
        append(array, &mut out, row0, &type_name, &fault)?;
        row0 += chunk.len();
    }
    Ok(out)
}

/// The dictionary's values of each row (`None` where the row is null).
fn arrow_select_take(values: &ArrayRef, keys: &[usize], rows: &dyn Array) -> Result<ArrayRef, ()> {
    use arrow_array::builder::{Float64Builder, Int64Builder, StringBuilder};
    let present = |i: usize| rows.is_valid(i);
    Ok(match values.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            let text = |k: usize| -> Option<String> {
                if values.is_null(k) {
                    return None;
                }
                Some(match values.data_type() {
                    DataType::Utf8 => values.as_string::<i32>().value(k).to_owned(),
                    DataType::LargeUtf8 => values.as_string::<i64>().value(k).to_owned(),
                    _ => values.as_string_view().value(k).to_owned(),
                })
            };
            let mut b = StringBuilder::with_capacity(keys.len(), 0);
            for (i, &k) in keys.iter().enumerate() {
                b.append_option(if present(i) { text(k) } else { None });
            }
            std::sync::Arc::new(b.finish())
        }
        DataType::Float16 | DataType::Float32 | DataType::Float64 => {
            let mut v = Vec::new();
            append_floats(values.as_ref(), &mut v);
            let mut b = Float64Builder::with_capacity(keys.len());
            for (i, &k) in keys.iter().enumerate() {
                b.append_option(if present(i) && values.is_valid(k) {
                    Some(v[k])
                } else {
                    None
                });
            }
            std::sync::Arc::new(b.finish())
        }
        dt if id_kind(dt) == Some("integer") => {
            let mut v = IdColumn::Int(Vec::new());
            append(values.as_ref(), &mut v, 0, "", &|_| {
                CiblageError::Interrupted
            })
            .map_err(|_| ())?;
            let IdColumn::Int(v) = v else { return Err(()) };
            let mut b = Int64Builder::with_capacity(keys.len());
            for (i, &k) in keys.iter().enumerate() {
                b.append_option(if present(i) { v[k] } else { None });
            }
            std::sync::Arc::new(b.finish())
        }
        _ => return Err(()),
    })
}

fn append_floats(array: &dyn Array, out: &mut Vec<f64>) {
    match array.data_type() {
        DataType::Float64 => out.extend(array.as_primitive::<Float64Type>().values().iter()),
        DataType::Float32 => out.extend(
            array
                .as_primitive::<Float32Type>()
                .values()
                .iter()
                .map(|&v| f64::from(v)),
        ),
        DataType::Float16 => out.extend(
            array
                .as_primitive::<Float16Type>()
                .values()
                .iter()
                .map(|&v| f64::from(v)),
        ),
        _ => {}
    }
}

/// Appends the ids of one (decoded) array.
fn append(
    array: &dyn Array,
    out: &mut IdColumn,
    row0: usize,
    type_name: &str,
    fault: &dyn Fn(String) -> CiblageError,
) -> Result<()> {
    fn ints<T: ArrowPrimitiveType>(a: &dyn Array, out: &mut Vec<Option<i64>>)
    where
        T::Native: Into<i64>,
    {
        let a = a.as_primitive::<T>();
        out.extend((0..a.len()).map(|i| a.is_valid(i).then(|| a.value(i).into())));
    }
    match (array.data_type(), out) {
        (DataType::Int64, IdColumn::Int(v)) => ints::<Int64Type>(array, v),
        (DataType::Int32, IdColumn::Int(v)) => ints::<Int32Type>(array, v),
        (DataType::Int16, IdColumn::Int(v)) => ints::<Int16Type>(array, v),
        (DataType::Int8, IdColumn::Int(v)) => ints::<Int8Type>(array, v),
        (DataType::UInt32, IdColumn::Int(v)) => ints::<UInt32Type>(array, v),
        (DataType::UInt16, IdColumn::Int(v)) => ints::<UInt16Type>(array, v),
        (DataType::UInt8, IdColumn::Int(v)) => ints::<UInt8Type>(array, v),
        (DataType::UInt64, IdColumn::Int(v)) => {
            let a = array.as_primitive::<UInt64Type>();
            for i in 0..a.len() {
                if a.is_null(i) {
                    v.push(None);
                    continue;
                }
                let x = a.value(i);
                let id = i64::try_from(x).map_err(|_| {
                    fault(format!(
                        "ids of type {type_name} cannot be read as integers: value {x} at row {} \
                         is beyond 2^63 - 1",
                        row0 + i
                    ))
                })?;
                v.push(Some(id));
            }
        }
        (DataType::Float16 | DataType::Float32 | DataType::Float64, IdColumn::Int(v)) => {
            let mut values = Vec::with_capacity(array.len());
            append_floats(array, &mut values);
            // First every value must be whole (NaN and nulls are missing
            // ids), then within i64.
            let whole = |i: usize| {
                let x = values[i];
                array.is_null(i) || x.is_nan() || x.floor() == x
            };
            if !(0..values.len()).all(whole) {
                return Err(fault(format!(
                    "has type {type_name} with values that are not whole numbers; {EXPECTED}"
                )));
            }
            for (i, &x) in values.iter().enumerate() {
                if array.is_null(i) || x.is_nan() {
                    v.push(None);
                } else if (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&x) {
                    v.push(Some(x as i64));
                } else {
                    return Err(fault(format!(
                        "ids of type {type_name} cannot be read as integers: value {x} at row {} \
                         is beyond the range of 64-bit integers",
                        row0 + i
                    )));
                }
            }
        }
        (DataType::Utf8, IdColumn::Str(v)) => {
            let a = array.as_string::<i32>();
            v.extend((0..a.len()).map(|i| a.is_valid(i).then(|| a.value(i).to_owned())));
        }
        (DataType::LargeUtf8, IdColumn::Str(v)) => {
            let a = array.as_string::<i64>();
            v.extend((0..a.len()).map(|i| a.is_valid(i).then(|| a.value(i).to_owned())));
        }
        (DataType::Utf8View, IdColumn::Str(v)) => {
            let a = array.as_string_view();
            v.extend((0..a.len()).map(|i| a.is_valid(i).then(|| a.value(i).to_owned())));
        }
        (dt, _) => return Err(fault(format!("has type {dt}, {EXPECTED}"))),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{DictionaryArray, Int32Array, StringArray, StringViewArray, UInt64Array};

    use super::*;

    #[test]
    fn strings_of_every_layout_and_dictionaries_read_alike() {
        let plain: ArrayRef = Arc::new(StringArray::from(vec![Some("a"), None]));
        let view: ArrayRef = Arc::new(StringViewArray::from(vec![Some("a"), None]));
        let keys = Int32Array::from(vec![Some(1), None]);
        let dict: ArrayRef = Arc::new(
            DictionaryArray::try_new(keys, Arc::new(StringArray::from(vec!["z", "a"]))).unwrap(),
        );
        let want = IdColumn::Str(vec![Some("a".into()), None]);
        for a in [plain, view, dict] {
            assert_eq!(id_column(&[a], "ids", "").unwrap(), want);
        }
    }

    #[test]
    fn integers_beyond_i64_and_other_types_are_refused() {
        let big: ArrayRef = Arc::new(UInt64Array::from(vec![1, u64::MAX]));
        let e = id_column(&[big], "before column 'id'", "uint64").unwrap_err();
        assert!(matches!(e, CiblageError::IdColumnType { .. }));
        assert!(
            e.to_string()
                .contains("value 18446744073709551615 at row 1"),
            "{e}"
        );
        let b: ArrayRef = Arc::new(arrow_array::BooleanArray::from(vec![true]));
        let e = id_column(&[b], "ids", "bool").unwrap_err();
        assert_eq!(
            e.to_string(),
            "ids: has type bool, expected integer or string ids"
        );
        let ints: ArrayRef = Arc::new(Int32Array::from(vec![Some(4), None]));
        let more: ArrayRef = Arc::new(Int32Array::from(vec![5]));
        assert_eq!(
            id_column(&[ints, more], "ids", "").unwrap(),
            IdColumn::Int(vec![Some(4), None, Some(5)])
        );
    }
}
