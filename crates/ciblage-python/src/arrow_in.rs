//! Reading transaction columns out of Arrow record batches, zero-copy where
//! the type allows it.

use std::borrow::Cow;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Decimal256Type, Float16Type, Float32Type, Float64Type, Int16Type,
    Int32Type, Int64Type, Int8Type, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{Array, ArrowPrimitiveType, PrimitiveArray, RecordBatch};
use arrow_schema::{DataType, SchemaRef, TimeUnit};
use ciblage::time::MICROS_PER_DAY;
use ciblage::{CiblageError, CustomerIndex, Zone};

use crate::error::{BindError, BindResult};
use crate::scratch;

const ID_TYPES: &str = "integers, strings or a dictionary (categorical) of strings";
const TIME_TYPES: &str = "timestamps (any unit, with or without time zone) or dates";
const NUMBER_TYPES: &str = "numbers (float, integer or decimal)";

/// How the timestamp column encodes time, kept to write results back alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeKind {
    /// Instants or wall-clock times; the column's zone, if any.
    Timestamp(Option<String>),
    /// Calendar dates.
    Date,
}

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

fn type_error(
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

fn first_null(array: &dyn Array) -> Option<usize> {
    if array.null_count() == 0 {
        return None;
    }
    (0..array.len()).find(|&i| array.is_null(i))
}

/// A null at `row`, naming the argument and, when it differs, the column.
fn null_error(argument: &str, column: &str, row: usize) -> BindError {
    let argument = if argument == column {
        argument.to_owned()
    } else {
        format!("{argument} (column {column:?})")
    };
    BindError::Core(CiblageError::NullValue { argument, row })
}

/// A column of Arrow type `Null` (every value missing, so no type was
/// inferred): its first row is null. Type checks run on non-empty tables.
fn all_null(argument: &str, column: &str) -> BindError {
    null_error(argument, column, 0)
}

/// Checks the id column's type before any work.
pub fn check_id_type(argument: &'static str, column: &str, dt: &DataType) -> BindResult<()> {
    match dt {
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64
        | DataType::Utf8
        | DataType::LargeUtf8
        | DataType::Utf8View => Ok(()),
        DataType::Dictionary(_, values) => check_id_type(argument, column, values)
            .map_err(|_| type_error(argument, column, dt, ID_TYPES)),
        DataType::Null => Err(all_null(argument, column)),
        _ => Err(type_error(argument, column, dt, ID_TYPES)),
    }
}

/// Factorises the customer column `col` of all batches: the index (named
/// "customer") and one code per row.
pub fn customer_codes(
    batches: &[RecordBatch],
    col: usize,
    column: &str,
) -> BindResult<(CustomerIndex, Vec<u32>)> {
    let total = batches.iter().map(RecordBatch::num_rows).sum();
    let mut index = CustomerIndex::named("customer");
    let mut codes = scratch::take_codes(total);
    if let Err(e) = encode_all_ids(&mut index, batches, col, "customer", column, &mut codes) {
        scratch::give_codes(codes);
        return Err(e);
    }
    // Every id is coded: the hash table is no longer needed.
    index.release_lookup();
    Ok((index, codes))
}

/// Encodes the id column of every batch, appending all codes in row order.
/// Integer ids of all batches are encoded at once (on all threads when they
/// are dense); other kinds batch by batch.
pub fn encode_all_ids(
    index: &mut CustomerIndex,
    batches: &[RecordBatch],
    col: usize,
    argument: &'static str,
    column: &str,
    out: &mut Vec<u32>,
) -> BindResult<()> {
    let all_int64 = batches
        .iter()
        .all(|b| b.column(col).data_type() == &DataType::Int64 && b.column(col).null_count() == 0);
    if all_int64 {
        let slices: Vec<&[i64]> = batches
            .iter()
            .map(|b| &b.column(col).as_primitive::<Int64Type>().values()[..])
            .collect();
        index.encode_i64_all(&slices, out)?;
        return Ok(());
    }
    if encode_all_strings(index, batches, col, out)? {
        return Ok(());
    }
    let mut row0 = 0;
    for batch in batches {
        encode_ids(
            index,
            batch.column(col).as_ref(),
            argument,
            column,
            row0,
            out,
        )?;
        row0 += batch.num_rows();
    }
    Ok(())
}

/// Encodes string ids of all batches at once (rounds of the parallel path
/// then span batches) when every batch holds strings of one type without
/// nulls; false (nothing done) otherwise.
fn encode_all_strings(
    index: &mut CustomerIndex,
    batches: &[RecordBatch],
    col: usize,
    out: &mut Vec<u32>,
) -> BindResult<bool> {
    let Some(first) = batches.first() else {
        return Ok(false);
    };
    let kind = first.column(col).data_type().clone();
    let same = batches
        .iter()
        .all(|b| b.column(col).data_type() == &kind && b.column(col).null_count() == 0);
    if !same {
        return Ok(false);
    }
    let lens: Vec<usize> = batches.iter().map(RecordBatch::num_rows).collect();
    match kind {
        DataType::Utf8 => {
            let a: Vec<_> = batches
                .iter()
                .map(|b| b.column(col).as_string::<i32>())
                .collect();
            index.encode_str_pieces(&lens, |p, i| a[p].value(i), out)?;
        }
        DataType::LargeUtf8 => {
            let a: Vec<_> = batches
                .iter()
                .map(|b| b.column(col).as_string::<i64>())
                .collect();
            index.encode_str_pieces(&lens, |p, i| a[p].value(i), out)?;
        }
        DataType::Utf8View => {
            let a: Vec<_> = batches
                .iter()
                .map(|b| b.column(col).as_string_view())
                .collect();
            index.encode_str_pieces(&lens, |p, i| a[p].value(i), out)?;
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// Encodes the ids of one batch column into `out`; `row0` numbers rows in messages.
pub fn encode_ids(
    index: &mut CustomerIndex,
    array: &dyn Array,
    argument: &'static str,
    column: &str,
    row0: usize,
    out: &mut Vec<u32>,
) -> BindResult<()> {
    if let Some(i) = first_null(array) {
        return Err(null_error(argument, column, row0 + i));
    }
    let dt = array.data_type();
    match dt {
        DataType::Int64 => index.encode_i64(array.as_primitive::<Int64Type>().values(), out)?,
        DataType::Int32 => encode_ints(index, array.as_primitive::<Int32Type>(), out)?,
        DataType::Int16 => encode_ints(index, array.as_primitive::<Int16Type>(), out)?,
        DataType::Int8 => encode_ints(index, array.as_primitive::<Int8Type>(), out)?,
        DataType::UInt32 => encode_ints(index, array.as_primitive::<UInt32Type>(), out)?,
        DataType::UInt16 => encode_ints(index, array.as_primitive::<UInt16Type>(), out)?,
        DataType::UInt8 => encode_ints(index, array.as_primitive::<UInt8Type>(), out)?,
        DataType::UInt64 => {
            let values = array.as_primitive::<UInt64Type>().values();
            let ids = values
                .iter()
                .map(|&v| i64::try_from(v))
                .collect::<Result<Vec<i64>, _>>()
                .map_err(|_| type_error(argument, column, dt, "integers up to 2^63 - 1"))?;
            index.encode_i64(&ids, out)?;
        }
        DataType::Utf8 => {
            let a = array.as_string::<i32>();
            index.encode_str_indexed(a.len(), |i| a.value(i), out)?;
        }
        DataType::LargeUtf8 => {
            let a = array.as_string::<i64>();
            index.encode_str_indexed(a.len(), |i| a.value(i), out)?;
        }
        DataType::Utf8View => {
            let a = array.as_string_view();
            index.encode_str_indexed(a.len(), |i| a.value(i), out)?;
        }
        DataType::Dictionary(_, _) => {
            let dict = array.as_any_dictionary();
            let keys = dict.normalized_keys();
            let values = dict.values();
            // Encode each dictionary value the first time a row uses it, so
            // that unused categories do not become customers.
            let mut value_codes = vec![u32::MAX; values.len()];
            let mut one = Vec::with_capacity(1);
            out.reserve(keys.len());
            for key in keys {
                if value_codes[key] == u32::MAX {
                    one.clear();
                    let v = values.slice(key, 1);
                    encode_ids(index, v.as_ref(), argument, column, row0, &mut one)?;
                    value_codes[key] = one[0];
                }
                out.push(value_codes[key]);
            }
        }
        _ => return Err(type_error(argument, column, dt, ID_TYPES)),
    }
    Ok(())
}

fn encode_ints<T: ArrowPrimitiveType>(
    index: &mut CustomerIndex,
    a: &PrimitiveArray<T>,
    out: &mut Vec<u32>,
) -> Result<(), CiblageError>
where
    T::Native: Into<i64>,
{
    let ids: Vec<i64> = a.values().iter().map(|&v| v.into()).collect();
    index.encode_i64(&ids, out)
}

/// Reads the time encoding of the timestamp column and the zone it implies.
pub fn time_kind(argument: &'static str, column: &str, dt: &DataType) -> BindResult<TimeKind> {
    match dt {
        DataType::Timestamp(_, tz) => Ok(TimeKind::Timestamp(tz.as_ref().map(ToString::to_string))),
        DataType::Date32 | DataType::Date64 => Ok(TimeKind::Date),
        DataType::Null => Err(all_null(argument, column)),
        _ => Err(type_error(argument, column, dt, TIME_TYPES)),
    }
}

/// Zone of day boundaries: the one asked for, else the column's, else UTC
/// (wall-clock times). Dates are calendar days already: UTC, whatever is
/// asked (a zone would move each date to the day before or after). A zone
/// asked for is still checked.
pub fn zone_for(kind: &TimeKind, asked: Option<&str>) -> BindResult<Zone> {
    let name = match (asked, kind) {
        (Some(name), TimeKind::Date) => {
            Zone::parse(name)?;
            return Ok(Zone::Utc);
        }
        (Some(name), _) => name,
        (None, TimeKind::Timestamp(Some(tz))) => tz.as_str(),
        (None, _) => return Ok(Zone::Utc),
    };
    Ok(Zone::parse(name)?)
}

/// Timestamps of one batch column as µs since the epoch.
pub fn micros<'a>(
    array: &'a dyn Array,
    argument: &'static str,
    column: &str,
    row0: usize,
) -> BindResult<Cow<'a, [i64]>> {
    if let Some(i) = first_null(array) {
        return Err(null_error(argument, column, row0 + i));
    }
    // numpy's NaT (the smallest i64) is a missing value too.
    let out_of_range = |i: usize| {
        BindError::Core(CiblageError::TimestampOutOfRange {
            argument: argument.to_owned(),
            row: row0 + i,
        })
    };
    let raw: Option<&[i64]> = match array.data_type() {
        DataType::Timestamp(TimeUnit::Nanosecond, _) => {
            Some(array.as_primitive::<TimestampNanosecondType>().values())
        }
        DataType::Timestamp(TimeUnit::Millisecond, _) => {
            Some(array.as_primitive::<TimestampMillisecondType>().values())
        }
        DataType::Timestamp(TimeUnit::Second, _) => {
            Some(array.as_primitive::<TimestampSecondType>().values())
        }
        _ => None,
    };
    if let Some(i) = raw.and_then(|v| v.iter().position(|&t| t == i64::MIN)) {
        return Err(null_error(argument, column, row0 + i));
    }
    // Instants must lie within the range every computation accepts
    // (`ciblage::time::instant_range`, about ±262,000 years): one pass, at
    // the boundary, so that no day computation overflows later.
    let checked = |values: Cow<'static, [i64]>| -> BindResult<Cow<'static, [i64]>> {
        match ciblage::time::check_instants(&values, argument, row0) {
            Ok(()) => Ok(values),
            Err(e) => {
                give_back(values);
                Err(e.into())
            }
        }
    };
    let scaled = |values: &[i64], factor: i64| -> BindResult<Cow<'static, [i64]>> {
        if let Some(i) = values.iter().position(|v| v.checked_mul(factor).is_none()) {
            return Err(out_of_range(i));
        }
        checked(converted(values.iter().map(|v| v * factor)))
    };
    let dt = array.data_type();
    Ok(match dt {
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            let values = &array.as_primitive::<TimestampMicrosecondType>().values()[..];
            let (first, last) = ciblage::time::instant_range();
            if let Some(i) = values.iter().position(|&t| t < first || t > last) {
                return Err(if values[i] == i64::MIN {
                    null_error(argument, column, row0 + i)
                } else {
                    out_of_range(i)
                });
            }
            Cow::Borrowed(values)
        }
        // Every i64 of nanoseconds (±292 years) lies within the range.
        DataType::Timestamp(TimeUnit::Nanosecond, _) => {
            let values = array.as_primitive::<TimestampNanosecondType>().values();
            converted(values.iter().map(|v| v.div_euclid(1_000)))
        }
        DataType::Timestamp(TimeUnit::Millisecond, _) => scaled(
            array.as_primitive::<TimestampMillisecondType>().values(),
            1_000,
        )?,
        DataType::Timestamp(TimeUnit::Second, _) => scaled(
            array.as_primitive::<TimestampSecondType>().values(),
            1_000_000,
        )?,
        DataType::Date32 => {
            let values = array.as_primitive::<Date32Type>().values();
            if let Some(i) = values
                .iter()
                .position(|&d| !ciblage::time::day_in_range(i64::from(d)))
            {
                return Err(out_of_range(i));
            }
            converted(values.iter().map(|&d| i64::from(d) * MICROS_PER_DAY))
        }
        DataType::Date64 => scaled(array.as_primitive::<Date64Type>().values(), 1_000)?,
        _ => return Err(type_error(argument, column, dt, TIME_TYPES)),
    })
}

/// Instants converted to µs, in the kept buffer (see `scratch`).
fn converted(values: impl ExactSizeIterator<Item = i64>) -> Cow<'static, [i64]> {
    let mut out = scratch::take_instants(values.len());
    out.extend(values);
    Cow::Owned(out)
}

/// Gives converted instants back to the kept buffer.
pub fn give_back(instants: Cow<'_, [i64]>) {
    if let Cow::Owned(v) = instants {
        scratch::give_instants(v);
    }
}

/// Checks a numeric column's type before any work.
pub fn check_number_type(argument: &'static str, column: &str, dt: &DataType) -> BindResult<()> {
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
    argument: &'static str,
    column: &str,
    row0: usize,
) -> BindResult<Cow<'a, [f64]>> {
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

#[cfg(test)]
#[path = "arrow_in_tests.rs"]
mod tests;
