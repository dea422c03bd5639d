//! Time columns: timestamps of any unit, or dates, read as µs since the
//! epoch within the range every computation accepts, and the zone of day
//! boundaries they imply.

use std::borrow::Cow;

use crate::instants::Instants;
use crate::time::Zone;
use crate::time::MICROS_PER_DAY;
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType,
};
use arrow_array::Array;
use arrow_schema::{DataType, TimeUnit};

use super::buffers;
use super::columns::{all_null, first_null, null_error, type_error};
use crate::error::{CiblageError, Result};

const TIME_TYPES: &str = "timestamps (any unit, with or without time zone) or dates";

/// How the timestamp column encodes time, kept to write results back alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeKind {
    /// Instants or wall-clock times; the column's zone, if any.
    Timestamp(Option<String>),
    /// Calendar dates.
    Date,
}

/// Reads the time encoding of the timestamp column and the zone it implies.
pub fn time_kind(argument: &str, column: &str, dt: &DataType) -> Result<TimeKind> {
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
pub fn zone_for(kind: &TimeKind, asked: Option<&str>) -> Result<Zone> {
    let name = match (asked, kind) {
        (Some(name), TimeKind::Date) => {
            Zone::parse(name)?;
            return Ok(Zone::Utc);
        }
        (Some(name), _) => name,
        (None, TimeKind::Timestamp(Some(tz))) => tz.as_str(),
        (None, _) => return Ok(Zone::Utc),
    };
    Zone::parse(name)
}

/// Timestamps of one batch column as µs since the epoch.
pub fn micros<'a>(
    array: &'a dyn Array,
    argument: &str,
    column: &str,
    row0: usize,
) -> Result<Cow<'a, [i64]>> {
    if let Some(i) = first_null(array) {
        return Err(null_error(argument, column, row0 + i));
    }
    // numpy's NaT (the smallest i64) is a missing value too.
    let out_of_range = |i: usize| CiblageError::TimestampOutOfRange {
        argument: argument.to_owned(),
        row: row0 + i,
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
    // (`crate::time::instant_range`, about ±262,000 years): one pass, at
    // the boundary, so that no day computation overflows later.
    let checked = |values: Cow<'static, [i64]>| -> Result<Cow<'static, [i64]>> {
        match crate::time::check_instants(&values, argument, row0) {
            Ok(()) => Ok(values),
            Err(e) => {
                give_back(values);
                Err(e)
            }
        }
    };
    let scaled = |values: &[i64], factor: i64| -> Result<Cow<'static, [i64]>> {
        if let Some(i) = values.iter().position(|v| v.checked_mul(factor).is_none()) {
            return Err(out_of_range(i));
        }
        checked(converted(values.iter().map(|v| v * factor)))
    };
    let dt = array.data_type();
    Ok(match dt {
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            let values = &array.as_primitive::<TimestampMicrosecondType>().values()[..];
            if let Some(i) = crate::time::first_instant_out_of_range(values) {
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
                .position(|&d| !crate::time::day_in_range(i64::from(d)))
            {
                return Err(out_of_range(i));
            }
            converted(values.iter().map(|&d| i64::from(d) * MICROS_PER_DAY))
        }
        DataType::Date64 => scaled(array.as_primitive::<Date64Type>().values(), 1_000)?,
        _ => return Err(type_error(argument, column, dt, TIME_TYPES)),
    })
}

/// Timestamps of one batch column read in place, in their own unit (no
/// converted copy): the same checks as [`micros`] (nulls, NaT, instants
/// outside the range), the same errors.
pub fn instants<'a>(
    array: &'a dyn Array,
    argument: &str,
    column: &str,
    row0: usize,
) -> Result<Instants<'a>> {
    if let Some(i) = first_null(array) {
        return Err(null_error(argument, column, row0 + i));
    }
    let dt = array.data_type();
    let column_of = match dt {
        DataType::Timestamp(TimeUnit::Nanosecond, _) => {
            Instants::Nanos(array.as_primitive::<TimestampNanosecondType>().values())
        }
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            Instants::Micros(array.as_primitive::<TimestampMicrosecondType>().values())
        }
        DataType::Timestamp(TimeUnit::Millisecond, _) => {
            Instants::Millis(array.as_primitive::<TimestampMillisecondType>().values())
        }
        DataType::Timestamp(TimeUnit::Second, _) => {
            Instants::Seconds(array.as_primitive::<TimestampSecondType>().values())
        }
        DataType::Date32 => Instants::Days(array.as_primitive::<Date32Type>().values()),
        DataType::Date64 => Instants::Millis(array.as_primitive::<Date64Type>().values()),
        _ => return Err(type_error(argument, column, dt, TIME_TYPES)),
    };
    // numpy's NaT (the smallest i64) is a missing value, of a timestamp
    // column only (a date64 of i64::MIN is out of range, as in `micros`);
    // in µs, only when it is the first value out of range.
    let nat = match (dt, column_of) {
        (DataType::Timestamp(TimeUnit::Microsecond, _), Instants::Micros(v)) => {
            return match crate::time::first_instant_out_of_range(v) {
                Some(i) if v[i] == i64::MIN => Err(null_error(argument, column, row0 + i)),
                Some(i) => Err(CiblageError::TimestampOutOfRange {
                    argument: argument.to_owned(),
                    row: row0 + i,
                }),
                None => Ok(column_of),
            };
        }
        (
            DataType::Timestamp(..),
            Instants::Seconds(v) | Instants::Millis(v) | Instants::Nanos(v),
        ) => v.iter().position(|&t| t == i64::MIN),
        _ => None,
    };
    if let Some(i) = nat {
        return Err(null_error(argument, column, row0 + i));
    }
    column_of.check(argument, row0)?;
    Ok(column_of)
}

/// Instants converted to µs, in the kept buffer (see `scratch`).
fn converted(values: impl ExactSizeIterator<Item = i64>) -> Cow<'static, [i64]> {
    let mut out = buffers::take_instants(values.len());
    out.extend(values);
    Cow::Owned(out)
}

/// Gives converted instants back to the kept buffer.
pub fn give_back(instants: Cow<'_, [i64]>) {
    if let Cow::Owned(v) = instants {
        buffers::give_instants(v);
    }
}
