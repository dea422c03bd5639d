//! The period purchases are grouped by, and the unit of time of the
//! purchase histories.

use std::str::FromStr;

use chrono::Datelike;
use serde::{Deserialize, Serialize};

use crate::error::{CiblageError, Result};
use crate::time::date_from_day;

/// The period purchases are grouped by (several purchases in one period
/// count once) and the unit of `recency` and `T`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Freq {
    /// Local calendar days (`"D"`). The default.
    #[default]
    Day,
    /// Weeks from Monday to Sunday (`"W"`, pandas' `W-SUN` periods):
    /// purchases are grouped by week and times are whole weeks.
    Week,
    /// Calendar months (`"M"`): times are differences of month ordinals.
    Month,
    /// Purchases grouped by local day, times counted in units of `n` days
    /// (`"7D"`: `lifetimes`' `freq="D", freq_multiplier=7`, fractional
    /// weeks as in the CDNOW summary).
    Days(u32),
}

impl Freq {
    /// The period holding local day `day` (days since 1970-01-01).
    #[inline]
    pub(crate) fn period_of_day(self, day: i64) -> i64 {
        match self {
            Self::Day | Self::Days(_) => day,
            // 1970-01-01 is a Thursday: its week started on day -3.
            Self::Week => (day + 3).div_euclid(7),
            Self::Month => {
                date_from_day(day).map_or(0, |d| i64::from(d.year()) * 12 + i64::from(d.month0()))
            }
        }
    }

    /// How many periods make one unit of `recency` and `T`.
    pub(crate) fn periods_per_unit(self) -> f64 {
        match self {
            Self::Days(n) => f64::from(n),
            Self::Day | Self::Week | Self::Month => 1.0,
        }
    }

    /// Units of time per month, `lifetimes`' CLV step (30 days, 4.345
    /// weeks, 1 month).
    pub fn units_per_month(self) -> f64 {
        match self {
            Self::Day => 30.0,
            Self::Week => 4.345,
            Self::Month => 1.0,
            Self::Days(n) => 30.0 / f64::from(n),
        }
    }

    /// The name [`Freq::from_str`] reads back.
    pub fn name(self) -> String {
        match self {
            Self::Day => "D".into(),
            Self::Week => "W".into(),
            Self::Month => "M".into(),
            Self::Days(n) => format!("{n}D"),
        }
    }
}

impl FromStr for Freq {
    type Err = CiblageError;
    /// Reads `"D"`, `"W"`, `"M"` or `"<n>D"` (`"7D"`, `n` from 1).
    fn from_str(text: &str) -> Result<Self> {
        match text {
            "D" | "1D" => Ok(Self::Day),
            "W" => Ok(Self::Week),
            "M" => Ok(Self::Month),
            _ => match text.strip_suffix('D').map(str::parse::<u32>) {
                Some(Ok(n)) if n >= 1 => Ok(Self::Days(n)),
                _ => Err(CiblageError::param(
                    "freq",
                    format!("expected \"D\", \"W\", \"M\" or a number of days such as \"7D\", got {text:?}"),
                )),
            },
        }
    }
}

impl From<Freq> for String {
    fn from(f: Freq) -> Self {
        f.name()
    }
}

impl TryFrom<String> for Freq {
    type Error = CiblageError;
    fn try_from(s: String) -> Result<Self> {
        s.parse()
    }
}
