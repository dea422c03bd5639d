//! Instants, calendar days and the time zone that sets day boundaries.
//!
//! # One representation of time in the public API
//! - A **calendar date** in a signature or a result (a reference date
//!   `as_of`, an origin, the first day of a period) is a
//!   [`chrono::NaiveDate`] (`ciblage::chrono::NaiveDate`).
//! - A **transaction instant** is an `i64` of microseconds since
//!   1970-01-01T00:00:00 UTC, and only as the columnar representation of
//!   instants (a column of [`crate::Transactions`], Arrow's
//!   `timestamp[us]`); results that hold instants per customer use it too.
//! - **Day numbers** (days since 1970-01-01) never appear in the public API:
//!   they are how the computations count days inside, through the helpers
//!   below that are hidden from the documentation ([`day_from_date`],
//!   [`Zone::day_of`], …), kept callable for the crates of this workspace.
//!
//! A [`Zone`] turns an instant into a local calendar date
//! ([`Zone::date_of`]), which is what recency, tenure and "distinct purchase
//! days" count. Naive (zone-less) timestamps are wall-clock times: store
//! them as if they were UTC and use [`Zone::Utc`], and their calendar dates
//! are used as they are.

use chrono::{DateTime, Duration, NaiveDate, Offset, TimeZone};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::error::{CiblageError, Result};

/// Microseconds in one day.
pub const MICROS_PER_DAY: i64 = 86_400_000_000;

/// The time zone whose midnights are the day boundaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Zone {
    /// UTC, or wall-clock time of naive timestamps.
    #[default]
    Utc,
    /// An IANA zone, daylight-saving transitions included.
    Named(Tz),
    /// A fixed offset from UTC, in seconds east of Greenwich (`+01:00` = 3600).
    Fixed(i32),
}

impl Zone {
    /// Parses an IANA zone name (`"Europe/Paris"`) or a fixed offset
    /// (`"+05:30"`, `"-0800"`); `"UTC"` and `"Z"` give [`Zone::Utc`].
    ///
    /// ```
    /// use ciblage::Zone;
    /// assert_eq!(Zone::parse("UTC").unwrap(), Zone::Utc);
    /// assert!(Zone::parse("Europe/Paris").is_ok());
    /// assert!(Zone::parse("Mars/Olympus").is_err());
    /// ```
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "UTC" | "utc" | "Z" | "Etc/UTC" | "+00:00" => Ok(Self::Utc),
            _ => {
                if let Some(offset) = parse_offset(name) {
                    return Ok(if offset == 0 {
                        Self::Utc
                    } else {
                        Self::Fixed(offset)
                    });
                }
                name.parse::<Tz>()
                    .map(Self::Named)
                    .map_err(|_| CiblageError::UnknownTimeZone(name.to_owned()))
            }
        }
    }

    /// The zone's name, which [`Zone::parse`] reads back.
    pub fn name(&self) -> String {
        match self {
            Self::Utc => "UTC".to_owned(),
            Self::Named(tz) => tz.name().to_owned(),
            Self::Fixed(secs) => {
                let sign = if *secs < 0 { '-' } else { '+' };
                let a = secs.unsigned_abs();
                format!("{sign}{:02}:{:02}", a / 3600, a % 3600 / 60)
            }
        }
    }

    /// Local calendar date of an instant (µs since 1970-01-01 UTC); the
    /// earliest or latest date chrono represents for an instant beyond them.
    ///
    /// ```
    /// use ciblage::chrono::NaiveDate;
    /// use ciblage::Zone;
    /// // 2024-03-01T23:30:00Z is already 2 March in Paris (UTC+1).
    /// let t = 1_709_335_800_000_000;
    /// assert_eq!(Zone::Utc.date_of(t), NaiveDate::from_ymd_opt(2024, 3, 1).unwrap());
    /// assert_eq!(Zone::parse("Europe/Paris")?.date_of(t), NaiveDate::from_ymd_opt(2024, 3, 2).unwrap());
    /// # Ok::<(), ciblage::CiblageError>(())
    /// ```
    pub fn date_of(&self, micros: i64) -> NaiveDate {
        let day = self.day_of(micros);
        date_from_day(day).unwrap_or(if day < 0 {
            NaiveDate::MIN
        } else {
            NaiveDate::MAX
        })
    }

    /// First instant (µs since 1970-01-01 UTC) of a local calendar date:
    /// its midnight, or the first instant after a daylight-saving gap that
    /// swallows midnight.
    ///
    /// ```
    /// use ciblage::chrono::NaiveDate;
    /// use ciblage::Zone;
    /// let d = NaiveDate::from_ymd_opt(2024, 7, 2).unwrap();
    /// // Midnight of 2 July in Paris (UTC+2 in summer) is 1 July, 22:00 UTC.
    /// assert_eq!(Zone::parse("Europe/Paris")?.start_of(d), 1_719_871_200_000_000);
    /// # Ok::<(), ciblage::CiblageError>(())
    /// ```
    pub fn start_of(&self, date: NaiveDate) -> i64 {
        self.day_start(day_from_date(date))
    }

    /// Local calendar day (days since 1970-01-01) of an instant: the day
    /// number behind [`Zone::date_of`], for the computations of this
    /// workspace (day numbers are not part of the public API).
    ///
    /// ```
    /// use ciblage::Zone;
    /// // 2024-03-01T23:30:00Z is already 2 March in Paris (UTC+1).
    /// let t = 1_709_335_800_000_000;
    /// assert_eq!(Zone::Utc.day_of(t), 19_783);
    /// assert_eq!(Zone::parse("Europe/Paris").unwrap().day_of(t), 19_784);
    /// ```
    #[doc(hidden)]
    #[inline]
    pub fn day_of(&self, micros: i64) -> i64 {
        match self {
            Self::Utc => micros.div_euclid(MICROS_PER_DAY),
            Self::Fixed(secs) => (micros + i64::from(*secs) * 1_000_000).div_euclid(MICROS_PER_DAY),
            Self::Named(tz) => {
                let offset = Self::offset_micros(tz, micros);
                (micros + offset).div_euclid(MICROS_PER_DAY)
            }
        }
    }

    /// UTC offset of a named zone at an instant, in microseconds.
    fn offset_micros(tz: &Tz, micros: i64) -> i64 {
        let secs = micros.div_euclid(1_000_000);
        match DateTime::from_timestamp(secs, 0) {
            Some(utc) => {
                i64::from(
                    tz.offset_from_utc_datetime(&utc.naive_utc())
                        .fix()
                        .local_minus_utc(),
                ) * 1_000_000
            }
            None => 0,
        }
    }

    /// [`Zone::start_of`] on a day number (days since 1970-01-01), for the
    /// computations of this workspace.
    #[doc(hidden)]
    pub fn day_start(&self, day: i64) -> i64 {
        match self {
            Self::Utc => day * MICROS_PER_DAY,
            Self::Fixed(secs) => day * MICROS_PER_DAY - i64::from(*secs) * 1_000_000,
            Self::Named(tz) => {
                let Some(date) = date_from_day(day) else {
                    return day * MICROS_PER_DAY;
                };
                let mut local = date.and_hms_opt(0, 0, 0).unwrap_or_default();
                // Walk forward through a gap (at most a few hours) until the
                // wall-clock time exists.
                for _ in 0..48 {
                    if let Some(dt) = tz.from_local_datetime(&local).earliest() {
                        return dt.timestamp_micros();
                    }
                    local += Duration::minutes(30);
                }
                day * MICROS_PER_DAY
            }
        }
    }
}

impl From<Zone> for String {
    fn from(zone: Zone) -> Self {
        zone.name()
    }
}

/// Reads `+HH:MM`, `-HH:MM`, `+HHMM` or `+HH` as seconds east of UTC.
fn parse_offset(text: &str) -> Option<i32> {
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    // `HH`, `HHMM` or `HH:MM` exactly.
    let digits: String = match rest.len() {
        5 if rest.as_bytes()[2] == b':' => format!("{}{}", &rest[..2], &rest[3..]),
        2 | 4 => rest.to_owned(),
        _ => return None,
    };
    if !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let hours: i32 = digits[..2].parse().ok()?;
    let minutes: i32 = if digits.len() == 4 {
        digits[2..].parse().ok()?
    } else {
        0
    };
    (hours <= 23 && minutes <= 59).then_some(sign * (hours * 3600 + minutes * 60))
}

impl TryFrom<String> for Zone {
    type Error = CiblageError;
    fn try_from(name: String) -> Result<Self> {
        Self::parse(&name)
    }
}

/// The day number (days since 1970-01-01) of a calendar date.
///
/// ```
/// use chrono::NaiveDate;
/// let d = NaiveDate::from_ymd_opt(2006, 12, 31).unwrap();
/// assert_eq!(ciblage::time::day_from_date(d), 13_513);
/// ```
#[doc(hidden)]
pub fn day_from_date(date: NaiveDate) -> i64 {
    i64::from(date.signed_duration_since(NaiveDate::default()).num_days() as i32)
}

/// The calendar date of a day number, if representable.
#[doc(hidden)]
pub fn date_from_day(day: i64) -> Option<NaiveDate> {
    NaiveDate::default().checked_add_signed(Duration::try_days(day)?)
}

/// The instants every computation accepts, inclusive: from the start of
/// the third day after chrono's earliest date to the end of the third day
/// before its latest (about ±262,000 years). Any UTC offset moves them by
/// less than a day, so their local day, the day after it (the default
/// reference date) and its start stay representable.
pub fn instant_range() -> (i64, i64) {
    let first = day_from_date(NaiveDate::MIN) + 3;
    let last = day_from_date(NaiveDate::MAX) - 3;
    (first * MICROS_PER_DAY, (last + 1) * MICROS_PER_DAY - 1)
}

/// Refuses instants outside [`instant_range`]: the first one names
/// `argument` and its row (`row0` + index).
///
/// # Errors
/// [`CiblageError::TimestampOutOfRange`].
///
/// ```
/// use ciblage::time::check_instants;
/// assert!(check_instants(&[0, 1_700_000_000_000_000], "timestamp", 0).is_ok());
/// assert!(check_instants(&[0, i64::MAX], "timestamp", 10).is_err());
/// ```
pub fn check_instants(values: &[i64], argument: &str, row0: usize) -> Result<()> {
    match first_instant_out_of_range(values) {
        Some(i) => Err(CiblageError::TimestampOutOfRange {
            argument: argument.to_owned(),
            row: row0 + i,
        }),
        None => Ok(()),
    }
}

/// Index of the first instant outside [`instant_range`], if any: a
/// branch-free pass on all threads, the index searched only on failure (as
/// the other column checks of [`crate::transactions`]).
///
/// ```
/// use ciblage::time::first_instant_out_of_range;
/// assert_eq!(first_instant_out_of_range(&[0, i64::MIN, i64::MAX]), Some(1));
/// assert_eq!(first_instant_out_of_range(&[0, 1]), None);
/// ```
pub fn first_instant_out_of_range(values: &[i64]) -> Option<usize> {
    use rayon::prelude::*;
    let (first, last) = instant_range();
    let inside = |t: i64| (first <= t) & (t <= last);
    if values
        .par_chunks(1 << 16)
        .all(|c| c.iter().fold(true, |ok, &t| ok & inside(t)))
    {
        return None;
    }
    values.iter().position(|&t| !inside(t))
}

/// Whether a day number lies within [`instant_range`].
#[doc(hidden)]
pub fn day_in_range(day: i64) -> bool {
    let (first, last) = instant_range();
    (first.div_euclid(MICROS_PER_DAY)..=last.div_euclid(MICROS_PER_DAY)).contains(&day)
}

/// ISO form (`2006-12-31`) of a day number, for messages.
#[doc(hidden)]
pub fn iso_day(day: i64) -> String {
    date_from_day(day).map_or_else(|| format!("day {day}"), |d| d.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_at_the_ends_of_the_range_keep_their_day_and_the_next() {
        let (first, last) = instant_range();
        assert!(check_instants(&[first, 0, last], "timestamp", 0).is_ok());
        let e = check_instants(&[0, last + 1], "timestamp", 5).unwrap_err();
        assert!(matches!(
            e,
            CiblageError::TimestampOutOfRange { row: 6, .. }
        ));
        assert!(check_instants(&[i64::MIN], "timestamp", 0).is_err());
        assert!(check_instants(&[i64::MAX], "timestamp", 0).is_err());
        // The extreme offsets (±23:59) and the day after stay representable.
        for zone in [Zone::Fixed(86_340), Zone::Fixed(-86_340), Zone::Utc] {
            let day = zone.day_of(last);
            assert!(date_from_day(day + 1).is_some());
            assert!(zone.day_start(day + 1) > last);
            assert!(date_from_day(zone.day_of(first)).is_some());
        }
        assert!(
            day_in_range(0)
                && !day_in_range(i64::from(i32::MAX))
                && !day_in_range(i64::from(i32::MIN))
        );
    }

    #[test]
    fn offsets_are_read_in_their_exact_forms_only() {
        assert_eq!(parse_offset("+05:30"), Some(19_800));
        assert_eq!(parse_offset("-0530"), Some(-19_800));
        assert_eq!(parse_offset("+05"), Some(18_000));
        for lenient in [
            "+05::30", "+0:530", "+5:30", "05:30", "+05:3", "+05:300", "+é:00", "+24:00",
        ] {
            assert_eq!(parse_offset(lenient), None, "{lenient}");
        }
    }

    #[test]
    fn utc_days_floor_negative_instants() {
        // One microsecond before the epoch is 1969-12-31, day -1.
        assert_eq!(Zone::Utc.day_of(-1), -1);
        assert_eq!(Zone::Utc.day_of(0), 0);
        assert_eq!(Zone::Utc.day_of(MICROS_PER_DAY - 1), 0);
    }

    #[test]
    fn named_zone_follows_daylight_saving() {
        let paris = Zone::parse("Europe/Paris").unwrap();
        // 2024-07-01T22:30Z = 2 July 00:30 in Paris (UTC+2 in summer).
        let summer = 1_719_873_000_000_000;
        assert_eq!(Zone::Utc.day_of(summer), 19_905);
        assert_eq!(paris.day_of(summer), 19_906);
        // Midnight of 2024-07-02 in Paris is 2024-07-01T22:00Z.
        assert_eq!(paris.day_start(19_906), 1_719_871_200_000_000);
    }

    #[test]
    fn day_start_skips_a_gap_at_midnight() {
        // America/Santiago moved clocks from 00:00 to 01:00 on 2022-09-11.
        let z = Zone::parse("America/Santiago").unwrap();
        let day = day_from_date(NaiveDate::from_ymd_opt(2022, 9, 11).unwrap());
        let start = z.day_start(day);
        assert_eq!(z.day_of(start), day);
        assert_eq!(z.day_of(start - 1), day - 1);
    }

    #[test]
    fn fixed_offsets() {
        let z = Zone::parse("+05:30").unwrap();
        assert_eq!(z, Zone::Fixed(19_800));
        assert_eq!(Zone::parse("-0800").unwrap(), Zone::Fixed(-28_800));
        assert_eq!(Zone::parse("+00:00").unwrap(), Zone::Utc);
        // 2024-03-01T20:00Z is 01:30 on 2 March at +05:30.
        assert_eq!(z.day_of(1_709_323_200_000_000), 19_784);
        assert_eq!(z.day_of(z.day_start(19_784)), 19_784);
        assert_eq!(z.day_of(z.day_start(19_784) - 1), 19_783);
        assert!(Zone::parse("+25:00").is_err());
    }

    #[test]
    fn zone_round_trips_through_its_name() {
        for name in ["UTC", "Europe/Paris", "Asia/Kolkata", "+05:30", "-08:00"] {
            let z = Zone::parse(name).unwrap();
            assert_eq!(Zone::parse(&z.name()).unwrap(), z);
        }
        assert!(matches!(
            Zone::parse("Nowhere/City"),
            Err(CiblageError::UnknownTimeZone(_))
        ));
    }
}
