//! Lifetimes in whole periods, the input of the shifted-BG model: from
//! survivor tables, per-customer lifetimes or retention cohorts.

use std::borrow::Cow;

use crate::churn::RetentionAnalysis;
use crate::error::{CiblageError, Result};

/// Lifetimes in whole periods, as the model reads them: `events[ℓ − 1]`
/// customers were customers for exactly `ℓ` periods (they did not renew at
/// the end of period `ℓ`), `censored[ℓ − 1]` customers were customers for
/// `ℓ` periods and their outcome of period `ℓ` is not yet known (they
/// contribute `S(ℓ − 1)`). Counts may be fractional (weights).
///
/// ```
/// use ciblage::clv::SurvivalCounts;
/// // Alive at the start of each year (Fader & Hardie 2007, "regular").
/// let s = SurvivalCounts::from_survivors(&[vec![1000.0, 631.0, 468.0, 382.0, 326.0, 289.0, 262.0, 241.0]])?;
/// assert_eq!(s.events()[0], 369.0);
/// assert_eq!(s.censored()[7], 241.0);
/// # Ok::<(), ciblage::CiblageError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SurvivalCounts {
    pub(crate) events: Vec<f64>,
    pub(crate) censored: Vec<f64>,
}

fn bad(argument: &str, row: usize, value: f64, range: &'static str) -> CiblageError {
    if value.is_finite() {
        CiblageError::ValueOutOfRange {
            argument: argument.into(),
            row,
            value,
            range,
        }
    } else {
        CiblageError::NonFinite {
            argument: argument.into(),
            row,
            value,
        }
    }
}

impl SurvivalCounts {
    fn add(&mut self, lifetime: usize, count: f64, censored: bool) {
        if self.events.len() < lifetime {
            self.events.resize(lifetime, 0.0);
            self.censored.resize(lifetime, 0.0);
        }
        if censored {
            self.censored[lifetime - 1] += count;
        } else {
            self.events[lifetime - 1] += count;
        }
    }

    /// From cohort survivor tables: per cohort, the customers alive at the
    /// start of each period (entry 0 = the cohort size), non-increasing.
    /// A cohort observed for fewer periods (a later one) contributes fewer
    /// terms: its last count is right-censored.
    ///
    /// # Errors
    /// No cohort; a count that is negative or not finite, a first count of
    /// 0, a count larger than the one before (`survivors`, row = cohort).
    pub fn from_survivors(cohorts: &[Vec<f64>]) -> Result<Self> {
        if cohorts.iter().all(Vec::is_empty) {
            return Err(CiblageError::EmptyInput {
                argument: "survivors".into(),
            });
        }
        let mut out = Self::default();
        for (row, counts) in cohorts.iter().enumerate() {
            let Some(&first) = counts.first() else {
                continue;
            };
            if !(first.is_finite() && first > 0.0) {
                return Err(bad("survivors", row, first, "a cohort size above 0"));
            }
            for (k, w) in counts.windows(2).enumerate() {
                if !(w[1].is_finite() && w[1] >= 0.0 && w[1] <= w[0]) {
                    return Err(bad(
                        "survivors",
                        row,
                        w[1],
                        "0 or more and at most the count of the period before",
                    ));
                }
                if w[0] > w[1] {
                    out.add(k + 1, w[0] - w[1], false);
                }
            }
            let last = counts[counts.len() - 1];
            if last > 0.0 {
                out.add(counts.len(), last, true);
            }
        }
        Ok(out)
    }

    /// From one row per customer: `lifetime` = periods as a customer (1 or
    /// more, the acquisition period included), `censored` = still a
    /// customer at the end of observation.
    ///
    /// # Errors
    /// Empty or unequal columns; a lifetime that is not a whole number of
    /// at least 1 (`lifetime`, row).
    pub fn from_lifetimes(lifetime: &[f64], censored: &[bool]) -> Result<Self> {
        if lifetime.is_empty() {
            return Err(CiblageError::EmptyInput {
                argument: "lifetime".into(),
            });
        }
        if lifetime.len() != censored.len() {
            return Err(CiblageError::LengthMismatch {
                argument: "censored".into(),
                expected: lifetime.len(),
                got: censored.len(),
            });
        }
        let mut out = Self::default();
        for (row, (&l, &c)) in lifetime.iter().zip(censored).enumerate() {
            if !(l.is_finite() && l >= 1.0 && l.fract() == 0.0 && l <= 1e7) {
                return Err(bad(
                    "lifetime",
                    row,
                    l,
                    "a whole number of periods from 1 to 10^7",
                ));
            }
            out.add(l as usize, 1.0, c);
        }
        Ok(out)
    }

    /// The lifetimes of one retention cohort: its rolling counts (active in
    /// period `k` or later ⇔ lifetime > `k`) with the churn rule of the
    /// analysis: a customer whose last active period is followed by at
    /// least `churn_after` observed periods churned; the others are
    /// right-censored at their last active period.
    fn from_rolling(rolling: &[u64], churn_after: usize) -> Self {
        let mut out = Self::default();
        let m = rolling.len();
        for l in 1..=m {
            let n = rolling[l - 1] - rolling.get(l).copied().unwrap_or(0);
            if n > 0 {
                out.add(l, n as f64, l + churn_after > m);
            }
        }
        out
    }

    /// The lifetimes of every customer of a retention analysis (all cohorts
    /// pooled, each observed for as many periods as it has).
    pub fn from_retention(analysis: &RetentionAnalysis) -> Self {
        let mut out = Self::default();
        for c in analysis.cohorts() {
            let one = Self::from_rolling(&c.rolling, analysis.churn_after());
            for (l, (&e, &s)) in one.events.iter().zip(&one.censored).enumerate() {
                if e > 0.0 {
                    out.add(l + 1, e, false);
                }
                if s > 0.0 {
                    out.add(l + 1, s, true);
                }
            }
        }
        out
    }

    /// The lifetimes of each cohort of a retention analysis, with the
    /// cohort's label, oldest first.
    pub fn by_cohort(analysis: &RetentionAnalysis) -> Vec<(String, Self)> {
        analysis
            .cohorts()
            .iter()
            .map(|c| {
                (
                    c.label.clone(),
                    Self::from_rolling(&c.rolling, analysis.churn_after()),
                )
            })
            .collect()
    }

    /// Customers with an observed end, by lifetime.
    pub fn events(&self) -> &[f64] {
        &self.events
    }
    /// Customers still active at the end, by periods observed.
    pub fn censored(&self) -> &[f64] {
        &self.censored
    }
    /// All customers.
    pub fn total(&self) -> f64 {
        self.events.iter().sum::<f64>() + self.censored.iter().sum::<f64>()
    }

    /// Why the two parameters cannot both be estimated, if so: the data
    /// must hold at least one observed churn and one renewal, and tell
    /// about at least two periods.
    pub(crate) fn unidentified(&self) -> Option<&'static str> {
        let events: f64 = self.events.iter().sum();
        // Renewals known: lifetimes of 2 or more.
        let renewed: f64 =
            self.events.iter().skip(1).sum::<f64>() + self.censored.iter().skip(1).sum::<f64>();
        // Known to have faced period 2's renewal: churned at 2 or later, or
        // censored at 3 or later.
        let second: f64 =
            self.events.iter().skip(1).sum::<f64>() + self.censored.iter().skip(2).sum::<f64>();
        if events == 0.0 {
            Some("no customer churned: retention cannot be estimated (every lifetime is censored)")
        } else if renewed == 0.0 {
            Some("no customer renewed: every customer churned after the first period")
        } else if second == 0.0 {
            Some("only one renewal period is observed: alpha and beta cannot be told apart (observe at least two periods)")
        } else {
            None
        }
    }
}

/// Input of [`ShiftedBetaGeoValidParams::fit`](crate::clv::ShiftedBetaGeoValidParams::fit): [`SurvivalCounts`], or a
/// [`RetentionAnalysis`] (all its cohorts pooled).
pub trait SurvivalInput {
    /// The lifetimes to fit.
    fn survival_counts(&self) -> Cow<'_, SurvivalCounts>;
}

impl SurvivalInput for SurvivalCounts {
    fn survival_counts(&self) -> Cow<'_, SurvivalCounts> {
        Cow::Borrowed(self)
    }
}

impl SurvivalInput for RetentionAnalysis {
    fn survival_counts(&self) -> Cow<'_, SurvivalCounts> {
        Cow::Owned(SurvivalCounts::from_retention(self))
    }
}
