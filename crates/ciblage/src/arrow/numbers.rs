//! Numeric columns (floats, integers, decimals) read as f64, zero-copy for
//! float64.

use std::borrow::Cow;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Decimal256Type, Float16Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type,
    Int8Type, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{Array, ArrowPrimitiveType};
use arrow_schema::DataType;

use super::columns::{all_null, first_null, null_error, type_error};
use crate::error::Result;

const NUMBER_TYPES: &str = "numbers (float, integer or decimal)";

/// Checks a numeric column's type before any work.
pub fn check_number_type(argument: &str, column: &str, dt: &DataType) -> Result<()> {
    match dt {
        DataType::Float64
        | DataType::Float32
        | DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64
        | DataType::Float16
        | DataType::Decimal32(_, _)
        | DataType::Decimal64(_, _)
        | DataType::Decimal128(_, _)
        | DataType::Decimal256(_, _) => Ok(()),
        DataType::Null => Err(all_null(argument, column)),
        _ => Err(type_error(argument, column, dt, NUMBER_TYPES)),
    }
}

/// Numbers of one batch column as f64.
pub fn floats<'a>(
    array: &'a dyn Array,
    argument: &str,
    column: &str,
    row0: usize,
) -> Result<Cow<'a, [f64]>> {
    if let Some(i) = first_null(array) {
        return Err(null_error(argument, column, row0 + i));
    }
    fn conv<T: ArrowPrimitiveType>(a: &dyn Array) -> Cow<'static, [f64]>
    where
        T::Native: num_like::ToF64,
    {
        Cow::Owned(
            a.as_primitive::<T>()
                .values()
                .iter()
                .map(|v| num_like::ToF64::to_f64(*v))
                .collect(),
        )
    }
    let dt = array.data_type();
    Ok(match dt {
        DataType::Float64 => Cow::Borrowed(&array.as_primitive::<Float64Type>().values()[..]),
        DataType::Float32 => conv::<Float32Type>(array),
        DataType::Float16 => Cow::Owned(
            array
                .as_primitive::<Float16Type>()
                .values()
                .iter()
                .map(|&v| f64::from(v))
                .collect(),
        ),
        DataType::Int64 => conv::<Int64Type>(array),
        DataType::Int32 => conv::<Int32Type>(array),
        DataType::Int16 => conv::<Int16Type>(array),
        DataType::Int8 => conv::<Int8Type>(array),
        DataType::UInt64 => conv::<UInt64Type>(array),
        DataType::UInt32 => conv::<UInt32Type>(array),
        DataType::UInt16 => conv::<UInt16Type>(array),
        DataType::UInt8 => conv::<UInt8Type>(array),
        DataType::Decimal32(_, scale) => {
            let div = 10f64.powi(i32::from(*scale));
            Cow::Owned(
                array
                    .as_primitive::<arrow_array::types::Decimal32Type>()
                    .values()
                    .iter()
                    .map(|&v| f64::from(v) / div)
                    .collect(),
            )
        }
        DataType::Decimal64(_, scale) => {
            let div = 10f64.powi(i32::from(*scale));
            Cow::Owned(
                array
                    .as_primitive::<arrow_array::types::Decimal64Type>()
                    .values()
                    .iter()
                    .map(|&v| v as f64 / div)
                    .collect(),
            )
        }
        DataType::Decimal128(_, scale) => {
            let div = 10f64.powi(i32::from(*scale));
            Cow::Owned(
                array
                    .as_primitive::<arrow_array::types::Decimal128Type>()
                    .values()
                    .iter()
                    .map(|&v| v as f64 / div)
                    .collect(),
            )
        }
        DataType::Decimal256(_, scale) => {
            let div = 10f64.powi(i32::from(*scale));
            Cow::Owned(
                array
                    .as_primitive::<Decimal256Type>()
                    .values()
                    .iter()
                    .map(|v| {
                        // Within i128 exactly as for Decimal128; beyond, as
                        // high · 2^128 + low (at most 76 digits: finite).
                        let whole = v.to_i128().map_or_else(
                            || {
                                let (low, high) = v.to_parts();
                                high as f64 * 2f64.powi(128) + low as f64
                            },
                            |x| x as f64,
                        );
                        whole / div
                    })
                    .collect(),
            )
        }
        _ => return Err(type_error(argument, column, dt, NUMBER_TYPES)),
    })
}

/// Lossless-enough conversion of Arrow numeric natives to f64.
mod num_like {
    /// Converts to f64 (integers above 2^53 round).
    pub trait ToF64: Copy {
        /// The value as f64.
        fn to_f64(self) -> f64;
    }
    macro_rules! impl_to_f64 {
        ($($t:ty),*) => {$(
            impl ToF64 for $t {
                #[allow(clippy::cast_lossless, clippy::cast_precision_loss)]
                fn to_f64(self) -> f64 { self as f64 }
            }
        )*};
    }
    impl_to_f64!(f32, i8, i16, i32, i64, u8, u16, u32, u64);
}
