//! `ciblage._native.local_days`: the local calendar day of every value of a
//! date or timestamp column, by the same rule as the transaction readers
//! (the column's zone unless `timezone` is given; dates are days as they
//! are), for the Python glue that places contacts and contract ends on days.

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType,
};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use ciblage::time::MICROS_PER_DAY;
use ciblage::{CiblageError, Zone};
use numpy::{IntoPyArray, PyArray1};
use pyo3::prelude::*;
use pyo3_arrow::PyTable;

use crate::arrow_in::{self, TimeKind};
use crate::error::{BindError, ColumnNotFoundError, ColumnTypeError};
use crate::run::{guard, run};

/// Instants this far from the ends of `i64` µs are refused: a zone offset
/// (at most a day) must not overflow.
const LIMIT: i64 = i64::MAX - 2 * MICROS_PER_DAY;

/// Appends the local day (days since 1970-01-01) of each value of `array`
/// to `out`, NaN for a null or NaT; `row0` is the row of the first value,
/// for messages. Dates are local days already: the zone does not move them.
pub fn append_days(
    array: &dyn Array,
    zone: Zone,
    argument: &str,
    row0: usize,
    out: &mut Vec<f64>,
) -> Result<(), CiblageError> {
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

/// Local days (days since 1970-01-01, as floats; NaN for null or NaT) of
/// the date or timestamp column `column` of `table`: in the column's zone
/// unless `timezone` is given, dates as they are. `argument` names the
/// column in messages.
#[pyfunction]
#[pyo3(signature = (table, *, column, argument, timezone = None))]
pub fn local_days<'py>(
    py: Python<'py>,
    table: PyTable,
    column: &str,
    argument: &str,
    timezone: Option<&str>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    guard(|| -> PyResult<_> {
        let (batches, schema) = table.into_inner();
        let Ok(at) = schema.index_of(column) else {
            return Err(ColumnNotFoundError::new_err(format!(
                "{argument}: column {column:?} not found"
            )));
        };
        let dt = schema.field(at).data_type();
        let kind = match dt {
            DataType::Timestamp(_, tz) => TimeKind::Timestamp(tz.as_ref().map(ToString::to_string)),
            DataType::Date32 | DataType::Date64 => TimeKind::Date,
            other => {
                return Err(ColumnTypeError::new_err(format!(
                    "{argument}: has type {other}, expected dates or timestamps"
                )))
            }
        };
        let zone = match (&kind, timezone) {
            // The column's own zone: an unknown one is a fault of the column,
            // not of a parameter.
            (TimeKind::Timestamp(Some(tz)), None) => Zone::parse(tz).map_err(|_| {
                ColumnTypeError::new_err(format!(
                "{argument}: the column's time zone {tz:?} is not a known IANA zone or UTC offset"
            ))
            })?,
            _ => arrow_in::zone_for(&kind, timezone).map_err(PyErr::from)?,
        };
        let days = run(py, |token| {
            (|| -> Result<Vec<f64>, CiblageError> {
                let mut out = Vec::with_capacity(batches.iter().map(RecordBatch::num_rows).sum());
                let mut row0 = 0;
                for batch in &batches {
                    token.check()?;
                    append_days(batch.column(at).as_ref(), zone, argument, row0, &mut out)?;
                    row0 += batch.num_rows();
                }
                Ok(out)
            })()
            .map_err(BindError::from)
        })?;
        Ok(days.into_pyarray(py))
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{Date32Array, TimestampMicrosecondArray, TimestampSecondArray};

    use super::*;

    fn days(array: &dyn Array, zone: Zone) -> Vec<f64> {
        let mut out = Vec::new();
        append_days(array, zone, "history_date", 0, &mut out).unwrap();
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
            arrow_in::zone_for(&TimeKind::Date, Some("America/New_York")).unwrap(),
            Zone::Utc
        );
    }

    #[test]
    fn seconds_beyond_the_range_are_refused_with_their_row() {
        let a: Arc<dyn Array> = Arc::new(TimestampSecondArray::from(vec![0, i64::MAX / 2]));
        let mut out = Vec::new();
        let e = append_days(a.as_ref(), Zone::Utc, "history_date", 10, &mut out).unwrap_err();
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
