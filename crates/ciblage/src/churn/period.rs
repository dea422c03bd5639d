//! Calendar periods: days, weeks with a stated first day, months,
//! quarters, years, or a fixed number of days from an origin.

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use crate::error::{CiblageError, Result};
use crate::time::{date_from_day, day_from_date, iso_day};

/// A calendar period, in the local days of the analysis' time zone.
///
/// Periods are numbered ([`Period::index_of`]) so that consecutive periods
/// have consecutive numbers; [`Period::label`] names them for output.
///
/// ```
/// use ciblage::chrono::{NaiveDate, Weekday};
/// use ciblage::churn::Period;
/// let d = NaiveDate::from_ymd_opt(2024, 3, 6).unwrap(); // a Wednesday
/// let week = Period::Week { start: Weekday::Mon };
/// assert_eq!(week.label(week.index_of(d, d)), "2024-03-04");
/// assert_eq!(week.start(week.index_of(d, d), d), NaiveDate::from_ymd_opt(2024, 3, 4).unwrap());
/// assert_eq!(Period::Month.label(Period::Month.index_of(d, d)), "2024-03");
/// assert_eq!(Period::Quarter.label(Period::Quarter.index_of(d, d)), "2024-Q1");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// Calendar days.
    Day,
    /// Weeks starting on `start` (ISO weeks start on Monday).
    Week {
        /// First day of each week.
        start: Weekday,
    },
    /// Calendar months.
    Month,
    /// Calendar quarters (January, April, July, October).
    Quarter,
    /// Calendar years.
    Year,
    /// Blocks of `days` days counted from an origin day (by default the
    /// first purchase day of the data).
    Days {
        /// Length of each block, at least 1.
        days: u32,
    },
}

impl Period {
    /// Parses `"day"`, `"week"`, `"month"`, `"quarter"`, `"year"` or
    /// `"<n>d"` (blocks of n days); weeks start on `week_start`.
    ///
    /// # Errors
    /// [`CiblageError::InvalidParameter`] naming `period`.
    pub fn parse(name: &str, week_start: Weekday) -> Result<Self> {
        Ok(match name {
            "day" => Self::Day,
            "week" => Self::Week { start: week_start },
            "month" => Self::Month,
            "quarter" => Self::Quarter,
            "year" => Self::Year,
            // Digits only: `str::parse` would also take a leading `+`.
            other => match other
                .strip_suffix('d')
                .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                .map(str::parse::<u32>)
            {
                Some(Ok(days)) if days >= 1 => Self::Days { days },
                _ => {
                    return Err(CiblageError::param(
                        "period",
                        format!(
                            "expected \"day\", \"week\", \"month\", \"quarter\", \"year\" or \
                             a number of days like \"30d\", got {other:?}"
                        ),
                    ))
                }
            },
        })
    }

    /// Parses a weekday name (`"monday"` … `"sunday"`, or three letters).
    ///
    /// # Errors
    /// [`CiblageError::InvalidParameter`] naming `week_start`.
    pub fn parse_weekday(name: &str) -> Result<Weekday> {
        name.parse::<Weekday>().map_err(|_| {
            CiblageError::param(
                "week_start",
                format!("expected a weekday such as \"monday\", got {name:?}"),
            )
        })
    }

    /// Number of the period holding the local date `date`; `origin` is the
    /// first day of block 0 of [`Period::Days`] (not read otherwise).
    pub fn index_of(&self, date: NaiveDate, origin: NaiveDate) -> i64 {
        self.index_of_day(day_from_date(date), day_from_date(origin))
    }

    /// First local date of period `index` (`origin` as in
    /// [`Period::index_of`]); the earliest date chrono represents for an
    /// index beyond its range.
    pub fn start(&self, index: i64, origin: NaiveDate) -> NaiveDate {
        date_from_day(self.start_day(index, day_from_date(origin))).unwrap_or(NaiveDate::MIN)
    }

    /// [`Period::index_of`] on day numbers (days since 1970-01-01).
    pub(crate) fn index_of_day(&self, day: i64, origin: i64) -> i64 {
        match self {
            Self::Day => day,
            // 1970-01-01 is a Thursday (Monday-based number 3).
            Self::Week { start } => {
                (day + 3 - i64::from(start.num_days_from_monday())).div_euclid(7)
            }
            Self::Days { days } => (day - origin).div_euclid(i64::from(*days)),
            Self::Month | Self::Quarter | Self::Year => {
                let date = date_from_day(day).unwrap_or_default();
                let (y, m0) = (i64::from(date.year()), i64::from(date.month0()));
                match self {
                    Self::Month => y * 12 + m0,
                    Self::Quarter => y * 4 + m0 / 3,
                    _ => y,
                }
            }
        }
    }

    /// [`Period::start`] on day numbers.
    pub(crate) fn start_day(&self, index: i64, origin: i64) -> i64 {
        let ymd = |y: i64, m: u32| {
            let y = i32::try_from(y).unwrap_or(i32::MAX);
            NaiveDate::from_ymd_opt(y, m, 1).map_or(0, day_from_date)
        };
        match self {
            Self::Day => index,
            Self::Week { start } => index * 7 - 3 + i64::from(start.num_days_from_monday()),
            Self::Days { days } => origin + index * i64::from(*days),
            Self::Month => ymd(index.div_euclid(12), index.rem_euclid(12) as u32 + 1),
            Self::Quarter => ymd(index.div_euclid(4), index.rem_euclid(4) as u32 * 3 + 1),
            Self::Year => ymd(index, 1),
        }
    }

    /// A readable, sortable label: `2024-03` (month), `2024-Q1` (quarter),
    /// `2024` (year), the first day `2024-03-04` otherwise. For
    /// [`Period::Days`] use [`Period::label_from`] with the origin.
    pub fn label(&self, index: i64) -> String {
        self.label_from_day(index, 0)
    }

    /// [`Period::label`] with the origin of [`Period::Days`].
    pub fn label_from(&self, index: i64, origin: NaiveDate) -> String {
        self.label_from_day(index, day_from_date(origin))
    }

    /// [`Period::label_from`] with the origin as a day number.
    pub(crate) fn label_from_day(&self, index: i64, origin: i64) -> String {
        match self {
            Self::Month => format!(
                "{:04}-{:02}",
                index.div_euclid(12),
                index.rem_euclid(12) + 1
            ),
            Self::Quarter => format!("{:04}-Q{}", index.div_euclid(4), index.rem_euclid(4) + 1),
            Self::Year => format!("{index:04}"),
            _ => iso_day(self.start_day(index, origin)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(y: i32, m: u32, d: u32) -> i64 {
        day_from_date(NaiveDate::from_ymd_opt(y, m, d).unwrap())
    }

    #[test]
    fn day_blocks_are_digits_then_d() {
        assert_eq!(
            Period::parse("30d", Weekday::Mon).unwrap(),
            Period::Days { days: 30 }
        );
        for lenient in ["+5d", "d", "0d", " 5d", "5 d", "5D", "-5d", "5.0d"] {
            let e = Period::parse(lenient, Weekday::Mon)
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("invalid parameter period:"), "{lenient}: {e}");
        }
    }

    #[test]
    fn weeks_start_on_the_stated_day() {
        // 2024-03-10 is a Sunday: Monday weeks put it with 2024-03-04,
        // Sunday weeks start a new week on it.
        let sun = day(2024, 3, 10);
        let mon = Period::Week {
            start: Weekday::Mon,
        };
        let sunw = Period::Week {
            start: Weekday::Sun,
        };
        assert_eq!(mon.label(mon.index_of_day(sun, 0)), "2024-03-04");
        assert_eq!(sunw.label(sunw.index_of_day(sun, 0)), "2024-03-10");
        assert_eq!(
            sunw.index_of_day(sun, 0),
            sunw.index_of_day(day(2024, 3, 9), 0) + 1
        );
    }

    #[test]
    fn months_quarters_years_and_day_blocks() {
        let d = day(2023, 12, 31);
        assert_eq!(
            Period::Month.index_of_day(d, 0) + 1,
            Period::Month.index_of_day(day(2024, 1, 1), 0)
        );
        assert_eq!(
            Period::Quarter.label(Period::Quarter.index_of_day(d, 0)),
            "2023-Q4"
        );
        assert_eq!(Period::Year.label(Period::Year.index_of_day(d, 0)), "2023");
        let p = Period::Days { days: 30 };
        let origin = day(2024, 1, 1);
        assert_eq!(p.index_of_day(day(2024, 1, 30), origin), 0);
        assert_eq!(p.index_of_day(day(2024, 1, 31), origin), 1);
        assert_eq!(p.index_of_day(day(2023, 12, 31), origin), -1);
        assert_eq!(p.label_from_day(1, origin), "2024-01-31");
        assert_eq!(
            Period::parse("7d", Weekday::Mon).unwrap(),
            Period::Days { days: 7 }
        );
        assert!(Period::parse("0d", Weekday::Mon)
            .unwrap_err()
            .to_string()
            .starts_with("invalid parameter period"));
        assert!(Period::parse_weekday("funday").is_err());
        assert_eq!(Period::parse_weekday("sunday").unwrap(), Weekday::Sun);
    }

    proptest! {
        #[test]
        fn start_day_is_in_its_period_and_periods_are_contiguous(
            d in -30_000i64..60_000, k in 0usize..6, n in 1u32..40,
        ) {
            let p = [Period::Day, Period::Week { start: Weekday::Wed }, Period::Month,
                     Period::Quarter, Period::Year, Period::Days { days: n }][k];
            let origin = 19_000;
            let i = p.index_of_day(d, origin);
            let s = p.start_day(i, origin);
            prop_assert!(s <= d);
            prop_assert_eq!(p.index_of_day(s, origin), i);
            prop_assert_eq!(p.index_of_day(s - 1, origin), i - 1);
        }
    }
}
