//! Local calendar days of date or timestamp columns: the day each value
//! falls on in a zone (dates as they are), for columns other than a
//! transaction table's (contact dates, contract ends).

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType,
};
use arrow_array::Array;
use arrow_schema::{DataType, TimeUnit};
use chrono::NaiveDate;

use crate::error::{CiblageError, Result};
use crate::time::{date_from_day, Zone, MICROS_PER_DAY};

/// The local date of each value of a date or timestamp array in `zone`
/// (dates as they are: a zone does not move them); `None` for a null or
/// NaT. `argument` names the column in errors.
///
/// ```
/// use ciblage::arrow::local_dates;
/// use ciblage::arrow_array::TimestampMicrosecondArray;
/// use ciblage::chrono::NaiveDate;
/// use ciblage::Zone;
/// // 2024-03-01T23:30Z is 2 March in Tokyo.
/// let a = TimestampMicrosecondArray::from(vec![Some(1_709_335_800_000_000), None]);
/// let tokyo = Zone::parse("Asia/Tokyo")?;
/// assert_eq!(local_dates(&a, tokyo, "contact")?, [NaiveDate::from_ymd_opt(2024, 3, 2), None]);
/// # Ok::<(), ciblage::CiblageError>(())
/// ```
///
/// # Errors
/// [`CiblageError::InvalidParameter`] (`column`) for an array of another
/// type; [`CiblageError::TimestampOutOfRange`] naming the row.
pub fn local_dates(
    array: &dyn Array,
    zone: Zone,
    argument: &str,
) -> Result<Vec<Option<NaiveDate>>> {
    let mut days = Vec::with_capacity(array.len());
    append_local_days(array, zone, argument, 0, &mut days)?;
    Ok(days
        .into_iter()
        .map(|d| {
            if d.is_nan() {
                None
            } else {
                date_from_day(d as i64)
            }
        })
        .collect())
}

/// Instants this far from the ends of `i64` µs are refused: a zone offset
/// (at most a day) must not overflow.
const LIMIT: i64 = i64::MAX - 2 * MICROS_PER_DAY;

/// The day numbers behind [`local_dates`], for the binding: appends the
/// local day (days since 1970-01-01) of each value of `array`
/// to `out`, NaN for a null or NaT; `row0` is the row of the first value,
/// for messages. Dates are local days already: the zone does not move them.
#[doc(hidden)]
pub fn append_local_days(
    array: &dyn Array,
    zone: Zone,
    argument: &str,
    row0: usize,
    out: &mut Vec<f64>,
) -> Result<()> {
    let out_of_range = |i: usize| CiblageError::TimestampOutOfRange {
        argument: argument.to_owned(),
        row: row0 + i,
    };
    let mut instants = |values: &[i64], to_micros: &dyn Fn(i64) -> Option<i64>| {
        for (i, &v) in values.iter().enumerate() {
            if array.is_null(i) || v == i64::MIN {
                out.push(f64::NAN);
                continue;
            }
            let micros = to_micros(v)
                .filter(|m| m.abs() < LIMIT)
                .ok_or_else(|| out_of_range(i))?;
            out.push(zone.day_of(micros) as f64);
        }
        Ok(())
    };
    match array.data_type() {
        DataType::Timestamp(TimeUnit::Second, _) => {
            instants(array.as_primitive::<TimestampSecondType>().values(), &|v| {
                v.checked_mul(1_000_000)
            })
        }
        DataType::Timestamp(TimeUnit::Millisecond, _) => instants(
            array.as_primitive::<TimestampMillisecondType>().values(),
            &|v| v.checked_mul(1_000),
        ),
        DataType::Timestamp(TimeUnit::Microsecond, _) => instants(
            array.as_primitive::<TimestampMicrosecondType>().values(),
            &Some,
        ),
        DataType::Timestamp(TimeUnit::Nanosecond, _) => instants(
            array.as_primitive::<TimestampNanosecondType>().values(),
            &|v| Some(v.div_euclid(1_000)),
        ),
        DataType::Date32 => {
            let a = array.as_primitive::<Date32Type>();
            out.extend((0..a.len()).map(|i| {
                if a.is_null(i) {
                    f64::NAN
                } else {
                    f64::from(a.value(i))
                }
            }));
            Ok(())
        }
        DataType::Date64 => {
            let a = array.as_primitive::<Date64Type>();
            out.extend((0..a.len()).map(|i| {
                if a.is_null(i) {
                    f64::NAN
                } else {
                    a.value(i).div_euclid(86_400_000) as f64
                }
            }));
            Ok(())
        }
        other => Err(CiblageError::param(
            "column",
            format!("{argument}: has type {other}, expected dates or timestamps"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{Date32Array, TimestampMicrosecondArray, TimestampSecondArray};

    use super::*;
    use crate::arrow::zone_for;
    use crate::arrow::TimeKind;

    fn days(array: &dyn Array, zone: Zone) -> Vec<f64> {
        let mut out = Vec::new();
        append_local_days(array, zone, "history_date", 0, &mut out).unwrap();
        out
    }

    #[test]
    fn instants_fall_on_the_local_day_of_the_zone() {
        // 2024-03-01T23:30Z: 1 March in UTC (day 19,783), 2 March in Tokyo
        // (UTC+9), still 1 March in New York (UTC-5).
        let t = 1_709_335_800_000_000;
        let a = TimestampMicrosecondArray::from(vec![Some(t), None, Some(i64::MIN)])
            .with_timezone("Asia/Tokyo");
        let tokyo = Zone::parse("Asia/Tokyo").unwrap();
        let got = days(&a, tokyo);
        assert_eq!(got[0], 19_784.0);
        assert!(got[1].is_nan() && got[2].is_nan());
        assert_eq!(
            days(&a, Zone::parse("America/New_York").unwrap())[0],
            19_783.0
        );
        assert_eq!(days(&a, Zone::Utc)[0], 19_783.0);
    }

    #[test]
    fn dates_are_not_moved_by_a_zone() {
        let a = Date32Array::from(vec![Some(0), Some(2_932_896), None]);
        let ny = Zone::parse("America/New_York").unwrap();
        let got = days(&a, ny);
        assert_eq!(&got[..2], &[0.0, 2_932_896.0]);
        assert!(got[2].is_nan());
        // And the zone picked for a date column is UTC whatever is asked.
        assert_eq!(
            zone_for(&TimeKind::Date, Some("America/New_York")).unwrap(),
            Zone::Utc
        );
    }

    #[test]
    fn seconds_beyond_the_range_are_refused_with_their_row() {
        let a: Arc<dyn Array> = Arc::new(TimestampSecondArray::from(vec![0, i64::MAX / 2]));
        let mut out = Vec::new();
        let e = append_local_days(a.as_ref(), Zone::Utc, "history_date", 10, &mut out).unwrap_err();
        assert!(matches!(
            e,
            CiblageError::TimestampOutOfRange { row: 11, .. }
        ));
        assert_eq!(
            e.to_string(),
            "history_date: timestamp out of range at row 11"
        );
    }
}
