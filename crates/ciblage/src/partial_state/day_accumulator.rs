//! Transactions absorbed batch by batch into one day state: the
//! [`PartialDays`] of a stream, built in place.
//!
//! Each row goes straight to the entry of its key (customer code, day,
//! sign of the amount), its exact sums added in place: no state per batch,
//! no merge. The day of a key is the row's local day moved as the call
//! reads it ([`DayCollapse`]): to the first day of its period where the
//! call reads no finer, so that memory follows the customer-periods, never
//! the rows. The finished state is the one the engines finish
//! ([`PartialDays::local_rows`]): the local call on its rows gives the
//! result of the whole input.
//!
//! ```
//! use ciblage::churn::Period;
//! use ciblage::partial_state::{DayCollapse, DayStateAccumulator};
//! use ciblage::Zone;
//! let day = 86_400_000_000i64;
//! // Retention by month: 2024-01-02 and 2024-01-20 (days 19724, 19742)
//! // are one key of customer 7; its latest day stays (the default as_of
//! // is the day after it).
//! let collapse = DayCollapse::Retention { period: Period::Month, origin: None, as_of: None };
//! let mut acc = DayStateAccumulator::new(collapse, Zone::Utc, false);
//! for (ids, days) in [(vec![7i64], vec![19_724i64]), (vec![7, 8], vec![19_742, 19_700])] {
//!     let mut codes = Vec::new();
//!     acc.customers_mut().encode_i64(&ids, &mut codes)?;
//!     let micros: Vec<i64> = days.iter().map(|d| d * day).collect();
//!     acc.push(&codes, &micros, &vec![10.0; ids.len()], None)?;
//! }
//! let state = acc.finish();
//! assert_eq!((state.len(), state.rows()), (2, 3));
//! // Customer 7 in January 2024 at its latest day; customer 8 at
//! // 2023-12-01, the first day of its month.
//! let days: Vec<i64> = state.sorted().iter().map(|e| e.1).collect();
//! assert_eq!(days, [19_742, 19_692]);
//! # Ok::<(), ciblage::CiblageError>(())
//! ```

use super::days::{sign, PartialDays};
use crate::churn::Period;
use crate::clv::Freq;
use crate::error::{CiblageError, Result};
use crate::time::MICROS_PER_DAY;
use crate::{CustomerIndex, Zone};

/// The day a row's key is kept under: the call's period where the call
/// reads no finer (days since 1970-01-01 in, and out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayCollapse {
    /// Every day kept (churn flags read the gaps between purchase days).
    Keep,
    /// `retention` by `period`: each day goes to its period's first day
    /// (blocks of days from `origin`; without an origin, the first
    /// purchase of the whole input, only the days on or after `as_of`
    /// move), every day on or after `as_of` to `as_of` (left out, the
    /// customer still seen). Without `as_of` the latest day of the input
    /// is kept as it is (the default `as_of` is the day after it).
    Retention {
        /// The retention period.
        period: Period,
        /// First day of block 0 of [`Period::Days`], if given.
        origin: Option<i64>,
        /// The `as_of` day, if given.
        as_of: Option<i64>,
    },
    /// The CLV summary by `period` ([`Period::Day`], Monday weeks or
    /// calendar months): each day goes to its period's first day.
    ClvSummary {
        /// The summary's period.
        period: Period,
    },
}

impl DayCollapse {
    /// The day the key of a row of local day `day` is kept under (the
    /// latest day of a retention state is put back by
    /// [`DayStateAccumulator::finish`]).
    pub fn key_day(&self, day: i64) -> i64 {
        match *self {
            Self::Keep => day,
            Self::Retention {
                period,
                origin,
                as_of,
            } => match as_of {
                Some(a) if day >= a => a,
                _ => period_start(period, origin, day).unwrap_or(day),
            },
            Self::ClvSummary { period } => period_start(period, None, day).unwrap_or(day),
        }
    }

    /// True when the latest day of the input must be kept as it is.
    fn keeps_last_day(&self) -> bool {
        matches!(self, Self::Retention { as_of: None, .. })
    }
}

/// The first day of the period of `day`; `None` for days, and for blocks
/// of days without an origin (unknown before the whole input is read).
fn period_start(period: Period, origin: Option<i64>, day: i64) -> Option<i64> {
    match (period, origin) {
        (Period::Day, _) | (Period::Days { .. }, None) => None,
        (p, o) => {
            let o = o.unwrap_or(0);
            Some(p.start_day(p.index_of_day(day, o), o))
        }
    }
}

/// Days whose key day is remembered ([`DayStateAccumulator::push`] moves
/// each row's day through this direct-mapped cache: the calendar
/// arithmetic of months runs once per distinct day, not per row).
const MEMO_SLOTS: usize = 512;

/// Rows absorbed batch by batch into one day state; see the module
/// documentation.
#[derive(Debug, Clone)]
pub struct DayStateAccumulator {
    collapse: DayCollapse,
    zone: Zone,
    state: PartialDays,
    index: CustomerIndex,
    /// The latest local day seen, and the key (code, sign) of a row on it.
    last: Option<(i64, u32, i8)>,
    memo: Vec<(i64, i64)>,
    rows: usize,
    refused: Option<NegativeRefusal>,
}

/// Negative amounts refused as the CLV summary's `Reject` policy refuses
/// them: rows whose period is not after the observation end's.
#[derive(Debug, Clone, Copy)]
struct NegativeRefusal {
    freq: Freq,
    /// The period of the observation end, if any.
    end: Option<i64>,
}

impl DayStateAccumulator {
    /// An empty accumulator: days in `zone`, moved as `collapse` says;
    /// `has_cost` says whether costs will be pushed.
    pub fn new(collapse: DayCollapse, zone: Zone, has_cost: bool) -> Self {
        Self {
            collapse,
            zone,
            state: PartialDays::empty(has_cost),
            index: CustomerIndex::named("customer"),
            last: None,
            memo: vec![(i64::MIN, 0); MEMO_SLOTS],
            rows: 0,
            refused: None,
        }
    }

    /// The accumulator refusing negative amounts as the CLV summary by
    /// `freq` does under its `Reject` policy: [`DayStateAccumulator::push`]
    /// fails on the first row of negative amount whose period is not after
    /// that of `observation_end` (a day since 1970-01-01; `None`: every
    /// row), with the summary's error.
    #[must_use]
    pub fn refusing_negatives(mut self, freq: Freq, observation_end: Option<i64>) -> Self {
        self.refused = Some(NegativeRefusal {
            freq,
            end: observation_end.map(|d| freq.period_of_day(d)),
        });
        self
    }

    /// The customer index the codes given to [`DayStateAccumulator::push`]
    /// come from: a customer keeps its code across batches.
    pub fn customers_mut(&mut self) -> &mut CustomerIndex {
        &mut self.index
    }

    /// The customer index.
    pub fn customers(&self) -> &CustomerIndex {
        &self.index
    }

    /// Rows pushed so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Entries (keys) so far.
    pub fn len(&self) -> usize {
        self.state.len()
    }

    /// True before any row.
    pub fn is_empty(&self) -> bool {
        self.state.is_empty()
    }

    /// Adds rows: customer codes of [`DayStateAccumulator::customers_mut`],
    /// instants (µs since 1970 UTC), amounts and, when the accumulator was
    /// made with costs, costs. Rows in errors are numbered from the first
    /// row pushed.
    ///
    /// # Errors
    /// Slices of different lengths, costs against `has_cost`, a code the
    /// index does not hold ([`CiblageError::InvalidParameter`]); a
    /// non-finite amount or cost ([`CiblageError::NonFinite`]); an
    /// instant out of range ([`CiblageError::TimestampOutOfRange`]); a
    /// negative amount refused ([`CiblageError::NegativeAmount`], see
    /// [`DayStateAccumulator::refusing_negatives`]). Nothing is added on
    /// error.
    pub fn push(
        &mut self,
        codes: &[u32],
        micros: &[i64],
        amounts: &[f64],
        costs: Option<&[f64]>,
    ) -> Result<()> {
        let n = codes.len();
        if micros.len() != n || amounts.len() != n || costs.is_some_and(|c| c.len() != n) {
            return Err(CiblageError::param(
                "transactions",
                "customer codes, instants, amounts and costs differ in length",
            ));
        }
        if costs.is_some() != self.state.has_cost() {
            return Err(CiblageError::param(
                "cost",
                "costs must be given with every batch or with none",
            ));
        }
        let customers = self.index.len();
        if let Some(i) = codes.iter().position(|&c| c as usize >= customers) {
            return Err(CiblageError::param(
                "customer",
                format!(
                    "code {} at row {} is not in the index",
                    codes[i],
                    self.rows + i
                ),
            ));
        }
        let finite = |values: &[f64], argument: &str| -> Result<()> {
            match values.iter().position(|v| !v.is_finite()) {
                Some(i) => Err(CiblageError::NonFinite {
                    argument: argument.into(),
                    row: self.rows + i,
                    value: values[i],
                }),
                None => Ok(()),
            }
        };
        finite(amounts, "amount")?;
        if let Some(c) = costs {
            finite(c, "cost")?;
        }
        let mut days = Vec::with_capacity(n);
        for (i, &t) in micros.iter().enumerate() {
            // A zone offset (at most a day) must not overflow.
            if t.checked_abs()
                .is_none_or(|a| a >= i64::MAX - 2 * MICROS_PER_DAY)
            {
                return Err(CiblageError::TimestampOutOfRange {
                    argument: "timestamp".into(),
                    row: self.rows + i,
                });
            }
            days.push(self.zone.day_of(t));
        }
        if let Some(r) = self.refused {
            let refused = amounts.iter().zip(&days).position(|(&a, &day)| {
                a < 0.0 && r.end.is_none_or(|e| r.freq.period_of_day(day) <= e)
            });
            if let Some(i) = refused {
                return Err(CiblageError::NegativeAmount {
                    argument: "amount".into(),
                    row: self.rows + i,
                    value: amounts[i],
                });
            }
        }
        for (i, ((&code, &day), &a)) in codes.iter().zip(&days).zip(amounts).enumerate() {
            let s = sign(a);
            if self.last.is_none_or(|(d, _, _)| day > d) {
                self.last = Some((day, code, s));
            }
            let key_day = self.key_day(day);
            self.state
                .add_row((code, key_day, s), a, costs.map(|c| c[i]));
        }
        self.rows += n;
        Ok(())
    }

    /// [`DayCollapse::key_day`] through the cache.
    fn key_day(&mut self, day: i64) -> i64 {
        let slot = &mut self.memo[day.rem_euclid(MEMO_SLOTS as i64) as usize];
        if slot.0 != day {
            *slot = (day, self.collapse.key_day(day));
        }
        slot.1
    }

    /// The day state of every row pushed: customer ids, and per key its
    /// rows and exact sums; a retention state without `as_of` holds its
    /// latest day as it is.
    pub fn finish(self) -> PartialDays {
        let Self {
            collapse,
            mut state,
            index,
            last,
            ..
        } = self;
        if let (true, Some((day, code, s))) = (collapse.keeps_last_day(), last) {
            // The key of one row of the latest day moves back from its
            // period's first day to that day: the same period, and the
            // latest day is read again.
            state.rekey((code, collapse.key_day(day), s), (code, day, s));
        }
        state.set_index(index);
        state
    }
}

impl PartialDays {
    /// The state with the day of each key moved as `collapse` says
    /// ([`DayCollapse::key_day`]), the keys that meet merged: a merged
    /// state of partitions collapsed as the accumulator collapses a
    /// stream's rows (a retention state without `as_of` keeps its latest
    /// day on one key). Keys already moved stay where they are.
    #[must_use]
    pub fn collapsed(self, collapse: DayCollapse) -> Self {
        if collapse == DayCollapse::Keep || self.is_empty() {
            return self;
        }
        let mut last: Option<(i64, u32, i8)> = None;
        let mut out = Self::empty(self.has_cost());
        for ((code, day, s), sums) in self.entries() {
            if last.is_none_or(|(d, _, _)| day > d) {
                last = Some((day, code, s));
            }
            out.add((code, collapse.key_day(day), s), sums);
        }
        if let (true, Some((day, code, s))) = (collapse.keeps_last_day(), last) {
            out.rekey((code, collapse.key_day(day), s), (code, day, s));
        }
        out.set_index(self.into_index());
        out
    }
}

#[cfg(test)]
#[path = "day_accumulator_tests.rs"]
mod tests;
