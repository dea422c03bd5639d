//! A column of instants in the unit its owner holds them in (seconds,
//! milliseconds, microseconds, nanoseconds, or calendar days), read in
//! place: each value is turned into microseconds as it is read, so that a
//! column of another unit than µs (pandas' `datetime64[ns]`, Arrow's
//! `timestamp[ns]`, dates) costs no converted copy. The values are checked
//! once, at the boundary ([`Instants::check`]): every one, in microseconds,
//! lies within [`crate::time::instant_range`].

use rayon::prelude::*;

use crate::error::{CiblageError, Result};
use crate::time::{day_in_range, first_instant_out_of_range, instant_range, MICROS_PER_DAY};

/// Values per parallel task of [`Instants::check`].
const CHECK_CHUNK: usize = 1 << 16;

/// Instants since 1970-01-01T00:00 UTC (or wall-clock times), borrowed in
/// the unit they are held in.
///
/// ```
/// use ciblage::Instants;
/// let ns = [1_500_i64, -1];
/// let column = Instants::Nanos(&ns);
/// column.check("timestamp", 0)?;
/// // Floored to the microsecond, as a whole copy in µs would be.
/// assert_eq!((column.micros(0), column.micros(1)), (1, -1));
/// assert_eq!(Instants::Days(&[1]).micros(0), 86_400_000_000);
/// assert!(Instants::Seconds(&[i64::MAX]).check("timestamp", 10).is_err());
/// # Ok::<(), ciblage::CiblageError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Instants<'a> {
    /// Seconds.
    Seconds(&'a [i64]),
    /// Milliseconds (also Arrow's `date64`).
    Millis(&'a [i64]),
    /// Microseconds: the core's own unit.
    Micros(&'a [i64]),
    /// Nanoseconds (every `i64` of them lies within the range).
    Nanos(&'a [i64]),
    /// Calendar days (Arrow's `date32`).
    Days(&'a [i32]),
}

impl<'a> Instants<'a> {
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            Self::Seconds(v) | Self::Millis(v) | Self::Micros(v) | Self::Nanos(v) => v.len(),
            Self::Days(v) => v.len(),
        }
    }

    /// True when there is no value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The instant at `i`, in microseconds (floored for nanoseconds). For
    /// a few values; the passes over every row read the unit once
    /// ([`InstantUnit`]).
    ///
    /// # Panics
    /// If `i >= self.len()`.
    #[inline]
    pub fn micros(&self, i: usize) -> i64 {
        match self {
            Self::Seconds(v) => Seconds::micros(v[i]),
            Self::Millis(v) => Millis::micros(v[i]),
            Self::Micros(v) => Micros::micros(v[i]),
            Self::Nanos(v) => Nanos::micros(v[i]),
            Self::Days(v) => Days::micros(v[i]),
        }
    }

    /// The same unit as `other` (batches of one table share it).
    pub(crate) fn same_unit(&self, other: &Instants<'_>) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }

    /// Refuses a value outside [`instant_range`] once in microseconds (or
    /// whose conversion overflows): the first one names `argument` and its
    /// row (`row0` + index). A branch-free pass on all threads, the row
    /// searched only on failure.
    ///
    /// # Errors
    /// [`CiblageError::TimestampOutOfRange`].
    pub fn check(&self, argument: &str, row0: usize) -> Result<()> {
        let (first, last) = instant_range();
        let bad = match self {
            Self::Micros(v) => first_instant_out_of_range(v),
            // Every i64 of nanoseconds (±292 years) lies within the range.
            Self::Nanos(_) => None,
            Self::Seconds(v) => scaled_out_of_range(v, 1_000_000, first, last),
            Self::Millis(v) => scaled_out_of_range(v, 1_000, first, last),
            Self::Days(v) => v.iter().position(|&d| !day_in_range(i64::from(d))),
        };
        match bad {
            Some(i) => Err(CiblageError::TimestampOutOfRange {
                argument: argument.to_owned(),
                row: row0 + i,
            }),
            None => Ok(()),
        }
    }
}

impl<'a> From<&'a [i64]> for Instants<'a> {
    /// Microseconds.
    fn from(v: &'a [i64]) -> Self {
        Self::Micros(v)
    }
}

/// The first value whose product by `factor` overflows or lies outside
/// `first..=last`.
fn scaled_out_of_range(values: &[i64], factor: i64, first: i64, last: i64) -> Option<usize> {
    // Within the range once scaled: between the bounds divided by the
    // factor (rounded inwards), which also rules out an overflow.
    let (lo, hi) = (
        first.div_euclid(factor) + i64::from(first.rem_euclid(factor) != 0),
        last.div_euclid(factor),
    );
    let inside = |t: i64| (lo <= t) & (t <= hi);
    if values
        .par_chunks(CHECK_CHUNK)
        .all(|c| c.iter().fold(true, |ok, &t| ok & inside(t)))
    {
        return None;
    }
    values.iter().position(|&t| !inside(t))
}

/// A unit of [`Instants`], for the passes over every row: they pick the
/// unit once ([`InstantUnit::slice`] of the unit), then read each value with
/// [`InstantUnit::micros`], inlined.
pub trait InstantUnit: Copy + Send + Sync {
    /// How a value is held.
    type Raw: Copy + Send + Sync;
    /// The values of `column` when it is of this unit, else none.
    fn slice<'a>(column: &Instants<'a>) -> &'a [Self::Raw];
    /// A value in microseconds (checked by [`Instants::check`]: no
    /// overflow).
    fn micros(raw: Self::Raw) -> i64;
}

macro_rules! unit {
    ($(#[$doc:meta])* $name:ident, $raw:ty, $variant:ident, |$v:ident| $micros:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name;

        impl InstantUnit for $name {
            type Raw = $raw;
            #[inline]
            fn slice<'a>(column: &Instants<'a>) -> &'a [$raw] {
                match column {
                    Instants::$variant(v) => v,
                    _ => &[],
                }
            }
            #[inline(always)]
            fn micros($v: $raw) -> i64 {
                $micros
            }
        }
    };
}

unit!(
    /// Seconds ([`Instants::Seconds`]).
    Seconds, i64, Seconds, |v| v * 1_000_000
);
unit!(
    /// Milliseconds ([`Instants::Millis`]).
    Millis, i64, Millis, |v| v * 1_000
);
unit!(
    /// Microseconds ([`Instants::Micros`]).
    Micros, i64, Micros, |v| v
);
unit!(
    /// Nanoseconds ([`Instants::Nanos`]), floored to the microsecond.
    Nanos, i64, Nanos, |v| v.div_euclid(1_000)
);
unit!(
    /// Calendar days ([`Instants::Days`]).
    Days, i32, Days, |v| i64::from(v) * MICROS_PER_DAY
);

/// Calls `$f::<Unit>($args)` for the unit of `$column` (an expression of
/// type [`Instants`]).
macro_rules! with_unit {
    ($column:expr, $f:ident($($args:expr),* $(,)?)) => {{
        use $crate::instants::{Days, Instants, Micros, Millis, Nanos, Seconds};
        match $column {
            Instants::Seconds(_) => $f::<Seconds>($($args),*),
            Instants::Millis(_) => $f::<Millis>($($args),*),
            Instants::Micros(_) => $f::<Micros>($($args),*),
            Instants::Nanos(_) => $f::<Nanos>($($args),*),
            Instants::Days(_) => $f::<Days>($($args),*),
        }
    }};
}
pub(crate) use with_unit;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unit_reads_as_the_microseconds_of_a_converted_copy() {
        // A converted copy: ns floored (div_euclid), others multiplied.
        let ns = [-1_i64, 0, 999, 1_000, -1_001, i64::MIN + 1, i64::MAX];
        let c = Instants::Nanos(&ns);
        c.check("t", 0).unwrap();
        let got: Vec<i64> = (0..ns.len()).map(|i| c.micros(i)).collect();
        assert_eq!(
            got,
            [
                -1,
                0,
                0,
                1,
                -2,
                (i64::MIN + 1).div_euclid(1_000),
                i64::MAX / 1_000
            ]
        );
        assert_eq!(Instants::Seconds(&[-2]).micros(0), -2_000_000);
        assert_eq!(Instants::Millis(&[3]).micros(0), 3_000);
        assert_eq!(Instants::Days(&[-1]).micros(0), -86_400_000_000);
        assert_eq!(Instants::Micros(&[7]).micros(0), 7);
    }

    #[test]
    fn values_beyond_the_range_are_refused_with_their_row() {
        let (first, last) = instant_range();
        // Exactly the bounds pass, one unit past them fails.
        let s = [first.div_euclid(1_000_000) + 1, last.div_euclid(1_000_000)];
        Instants::Seconds(&s).check("t", 0).unwrap();
        let e = Instants::Seconds(&[0, last / 1_000_000 + 1])
            .check("t", 5)
            .unwrap_err();
        assert_eq!(e.to_string(), "t: timestamp out of range at row 6");
        let ms = [0, 1, i64::MIN / 2];
        assert!(matches!(
            Instants::Millis(&ms).check("t", 0),
            Err(CiblageError::TimestampOutOfRange { row: 2, .. })
        ));
        // The lowest second: its µs is below the range's first instant.
        assert!(Instants::Seconds(&[first / 1_000_000 - 1])
            .check("t", 0)
            .is_err());
        assert!(Instants::Micros(&[i64::MAX]).check("t", 0).is_err());
        assert!(Instants::Days(&[i32::MAX]).check("t", 0).is_err());
        Instants::Days(&[0, -719_000]).check("t", 0).unwrap();
    }
}
