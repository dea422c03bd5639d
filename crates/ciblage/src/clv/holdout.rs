//! Holdout evaluation of a purchase model fitted on the calibration
//! period of a [`PurchaseSummary`]: actual vs expected holdout purchases
//! by calibration frequency, the tracking series of the cohort's repeat
//! purchases per period, and error metrics at the customer level (the data
//! behind `lifetimes`' diagnostic plots).

use chrono::{Months, NaiveDate};
use rayon::prelude::*;

use crate::clv::freq::Freq;
use crate::clv::gamma_gamma::PurchaseModel;
use crate::clv::summary::PurchaseSummary;
use crate::error::{CiblageError, Result};
use crate::interrupt::Interrupt;
use crate::time::date_from_day;

/// Entry point of the holdout evaluation (a transformation:
/// [`HoldoutEvaluationValidParams::score`]).
///
/// ```
/// use ciblage::chrono::NaiveDate;
/// use ciblage::clv::{BgNbd, ClvSummary, Freq, HoldoutEvaluation};
/// use ciblage::SyntheticTransactions;
///
/// let tx = SyntheticTransactions::params().customers(400).transactions(4_000).generate()?.to_transactions()?;
/// let date = |m, d| NaiveDate::from_ymd_opt(2023, m, d).unwrap();
/// let s = ClvSummary::params().freq(Freq::Week).calibration_end(date(6, 30)).observation_end(date(12, 31)).score(&tx)?;
/// let model = BgNbd::params().fit(&s)?;
/// let e = HoldoutEvaluation::params().score(&s, &model)?;
/// assert!(e.by_frequency().len() <= 7); // 0, 1, ..., 5 and "6+"
/// assert!(e.metrics().rmse >= e.metrics().mae);
/// let last = e.tracking().cumulative_actual.last().unwrap();
/// let repeat: u64 = (0..s.len()).map(|i| u64::from(s.frequency()[i] + s.holdout().unwrap().frequency[i])).sum();
/// assert_eq!(*last, repeat as f64); // every repeat purchase period of the cohort
/// # Ok::<(), ciblage::CiblageError>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct HoldoutEvaluation;

impl HoldoutEvaluation {
    /// Parameters with their defaults: the calibration frequencies 0 to 5
    /// each in its bin, 6 and more together (`lifetimes`' 7 bins).
    pub fn params() -> HoldoutEvaluationParams {
        HoldoutEvaluationParams(HoldoutEvaluationValidParams {
            max_frequency: 6,
            interrupt: Interrupt::default(),
        })
    }
}

/// Validated parameters of the holdout evaluation.
#[derive(Debug, Clone)]
pub struct HoldoutEvaluationValidParams {
    max_frequency: usize,
    interrupt: Interrupt,
}

/// Builder of [`HoldoutEvaluationValidParams`].
#[derive(Debug, Clone)]
pub struct HoldoutEvaluationParams(HoldoutEvaluationValidParams);

impl HoldoutEvaluationParams {
    /// Calibration frequency of the last bin, which holds it and every
    /// larger one (`"6+"`; default 6, at least 1).
    #[must_use]
    pub fn max_frequency(mut self, k: usize) -> Self {
        self.0.max_frequency = k;
        self
    }

    /// Token that stops the evaluation ([`CiblageError::Interrupted`]).
    #[must_use]
    pub fn interrupt(mut self, token: Interrupt) -> Self {
        self.0.interrupt = token;
        self
    }

    /// Validates the parameters.
    ///
    /// # Errors
    /// `max_frequency` of 0 or beyond 10^6.
    pub fn check(self) -> Result<HoldoutEvaluationValidParams> {
        let k = self.0.max_frequency;
        if !(1..=1_000_000).contains(&k) {
            return Err(CiblageError::param(
                "max_frequency",
                format!("expected 1 to 1000000, got {k}"),
            ));
        }
        Ok(self.0)
    }

    /// Validates, then evaluates (see [`HoldoutEvaluationValidParams::score`]).
    ///
    /// # Errors
    /// Invalid parameters, or as [`HoldoutEvaluationValidParams::score`].
    pub fn score(
        self,
        summary: &PurchaseSummary,
        model: &dyn PurchaseModel,
    ) -> Result<HoldoutDiagnostics> {
        self.check()?.score(summary, model)
    }
}

/// Holdout purchases of the customers of one calibration frequency.
#[derive(Debug, Clone, PartialEq)]
pub struct FrequencyBin {
    /// Calibration frequency (repeat periods); the last bin holds this one
    /// and every larger one.
    pub frequency: u32,
    /// True for the last bin (`"k+"`).
    pub and_more: bool,
    /// Customers in the bin.
    pub customers: u64,
    /// Mean actual holdout purchases (distinct periods).
    pub actual: f64,
    /// Mean expected holdout purchases over the holdout duration.
    pub expected: f64,
}

impl FrequencyBin {
    /// `"3"`, or `"6+"` for the last bin.
    pub fn label(&self) -> String {
        if self.and_more {
            format!("{}+", self.frequency)
        } else {
            self.frequency.to_string()
        }
    }
}

/// Repeat purchases of the cohort (the customers of the summary, first
/// seen up to the calibration end) per period, over calibration and
/// holdout, actual and expected. A period is one unit of time (`n` days
/// for `"nD"`), counted from the cohort's first purchase period.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TrackingSeries {
    /// First day of each period.
    pub start: Vec<NaiveDate>,
    /// True for the periods after the calibration end.
    pub holdout: Vec<bool>,
    /// Repeat purchases (distinct purchase periods after each customer's
    /// first) in the period.
    pub actual: Vec<f64>,
    /// Expected repeat purchases in the period.
    pub expected: Vec<f64>,
    /// Repeat purchases up to the end of the period.
    pub cumulative_actual: Vec<f64>,
    /// Expected repeat purchases up to the end of the period: the sum over
    /// the customers of a new customer's expected purchases at their age.
    pub cumulative_expected: Vec<f64>,
}

/// Errors of the holdout predictions at the customer level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HoldoutMetrics {
    /// Customers evaluated.
    pub customers: u64,
    /// Mean absolute error of the expected vs actual holdout purchases.
    pub mae: f64,
    /// Root mean squared error.
    pub rmse: f64,
    /// Pearson correlation of expected and actual (NaN when either is constant).
    pub correlation: f64,
    /// Actual holdout purchases, all customers.
    pub actual_total: f64,
    /// Expected holdout purchases, all customers.
    pub expected_total: f64,
    /// `100 · (expected − actual) / actual` of the totals (NaN without an
    /// actual holdout purchase).
    pub aggregate_error_pct: f64,
}

/// The result of a holdout evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct HoldoutDiagnostics {
    by_frequency: Vec<FrequencyBin>,
    tracking: TrackingSeries,
    metrics: HoldoutMetrics,
    expected: Vec<f64>,
    duration: f64,
}

impl HoldoutDiagnostics {
    /// Actual vs expected holdout purchases by calibration frequency (the
    /// non-empty bins, in order).
    pub fn by_frequency(&self) -> &[FrequencyBin] {
        &self.by_frequency
    }
    /// The tracking series.
    pub fn tracking(&self) -> &TrackingSeries {
        &self.tracking
    }
    /// Error metrics at the customer level.
    pub fn metrics(&self) -> &HoldoutMetrics {
        &self.metrics
    }
    /// Expected holdout purchases of each customer, in the summary's order.
    pub fn expected(&self) -> &[f64] {
        &self.expected
    }
    /// Length of the holdout period, in units of time.
    pub fn duration(&self) -> f64 {
        self.duration
    }
}

impl HoldoutEvaluationValidParams {
    /// Evaluates `model`, fitted on the calibration columns of `summary`,
    /// on its holdout columns and purchase periods.
    ///
    /// # Errors
    /// A summary built without a calibration end
    /// ([`CiblageError::InvalidParameter`] naming `summary`); interrupted.
    pub fn score(
        &self,
        summary: &PurchaseSummary,
        model: &dyn PurchaseModel,
    ) -> Result<HoldoutDiagnostics> {
        let (Some(h), Some(fp)) = (summary.holdout(), summary.period_counts.as_ref()) else {
            return Err(CiblageError::param(
                "summary",
                "has no holdout columns: build it with a calibration end",
            ));
        };
        self.interrupt.check()?;
        let (x, r, t) = (summary.frequency(), summary.recency(), summary.t());
        let expected: Vec<f64> = (0..summary.len())
            .into_par_iter()
            .map(|i| model.expected_purchases_one(h.duration, f64::from(x[i]), r[i], t[i]))
            .collect();
        let actual: Vec<f64> = h.frequency.iter().map(|&f| f64::from(f)).collect();
        let by_frequency = bins(x, &actual, &expected, self.max_frequency);
        let metrics = metrics(&actual, &expected);
        self.interrupt.check()?;
        let tracking = tracking(summary, fp, model)?;
        Ok(HoldoutDiagnostics {
            by_frequency,
            tracking,
            metrics,
            expected,
            duration: h.duration,
        })
    }
}

/// Mean actual and expected per calibration frequency, `k` and more together.
fn bins(x: &[u32], actual: &[f64], expected: &[f64], k: usize) -> Vec<FrequencyBin> {
    let mut sums = vec![(0u64, 0.0, 0.0); k + 1];
    for ((&x, &a), &e) in x.iter().zip(actual).zip(expected) {
        let s = &mut sums[(x as usize).min(k)];
        s.0 += 1;
        s.1 += a;
        s.2 += e;
    }
    sums.into_iter()
        .enumerate()
        .filter(|(_, s)| s.0 > 0)
        .map(|(f, (n, a, e))| FrequencyBin {
            frequency: f as u32,
            and_more: f == k,
            customers: n,
            actual: a / n as f64,
            expected: e / n as f64,
        })
        .collect()
}

/// MAE, RMSE, Pearson correlation and the aggregate error.
fn metrics(actual: &[f64], expected: &[f64]) -> HoldoutMetrics {
    let n = actual.len() as f64;
    let (mut abs, mut sq) = (0.0, 0.0);
    for (&a, &e) in actual.iter().zip(expected) {
        abs += (e - a).abs();
        sq += (e - a) * (e - a);
    }
    let actual_total: f64 = actual.iter().sum();
    let expected_total: f64 = expected.iter().sum();
    let (ma, me) = (actual_total / n, expected_total / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (&a, &e) in actual.iter().zip(expected) {
        sab += (a - ma) * (e - me);
        saa += (a - ma) * (a - ma);
        sbb += (e - me) * (e - me);
    }
    let correlation = if saa > 0.0 && sbb > 0.0 {
        sab / (saa * sbb).sqrt()
    } else {
        f64::NAN
    };
    HoldoutMetrics {
        customers: actual.len() as u64,
        mae: abs / n,
        rmse: (sq / n).sqrt(),
        correlation,
        actual_total,
        expected_total,
        aggregate_error_pct: if actual_total > 0.0 {
            100.0 * (expected_total - actual_total) / actual_total
        } else {
            f64::NAN
        },
    }
}

/// First day of grouping period `p` of `freq`.
fn period_start(freq: Freq, p: i64) -> Option<NaiveDate> {
    match freq {
        Freq::Day | Freq::Days(_) => date_from_day(p),
        // Week `p` starts on day 7p − 3 (see `Freq::period_of_day`).
        Freq::Week => date_from_day(7 * p - 3),
        Freq::Month => {
            let (y, m) = (p.div_euclid(12), p.rem_euclid(12));
            NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, 1, 1)?
                .checked_add_months(Months::new(m as u32))
        }
    }
}

/// The tracking series: periods of `m` grouping periods from the cohort's
/// first; the expected cumulative purchases at the end of period `k` are
/// `Σ_f first[f] · E[X((e_k − f) / m)]`, `E[X(t)]` evaluated once per age.
fn tracking(
    summary: &PurchaseSummary,
    c: &crate::clv::summary_customers::PeriodCounts,
    model: &dyn PurchaseModel,
) -> Result<TrackingSeries> {
    let freq = summary.freq();
    let span = c.first.len();
    let m = match freq {
        Freq::Days(n) => n as usize,
        _ => 1,
    };
    let unit = m as f64;
    // A new customer's expected purchases at each age (in grouping periods):
    // the conditional expectation of a history (0, 0, 0).
    let by_age: Vec<f64> = (0..span)
        .into_par_iter()
        .map(|d| model.expected_purchases_one(d as f64 / unit, 0.0, 0.0, 0.0))
        .collect();
    let cal = summary
        .calibration_end()
        .map(|d| freq.period_of_day(crate::time::day_from_date(d)));
    let periods = span.div_ceil(m);
    // The periods with first purchases (few, whatever the span) and their counts.
    let cohorts: Vec<(usize, f64)> = c
        .first
        .iter()
        .enumerate()
        .filter(|(_, &n)| n > 0)
        .map(|(f, &n)| (f, n as f64))
        .collect();
    let mut out = TrackingSeries::default();
    let (mut cum_a, mut prev_e) = (0.0, 0.0);
    for k in 0..periods {
        let (lo, hi) = (k * m, ((k + 1) * m).min(span) - 1);
        let p0 = c.start + lo as i64;
        out.start.push(period_start(freq, p0).ok_or_else(|| {
            CiblageError::param("summary", format!("period {p0} is out of the date range"))
        })?);
        out.holdout.push(cal.is_some_and(|cal| p0 > cal));
        let a: u64 = c.repeat[lo..=hi].iter().sum();
        cum_a += a as f64;
        let e: f64 = cohorts
            .iter()
            .take_while(|(f, _)| *f <= hi)
            .map(|&(f, n)| n * by_age[hi - f])
            .sum();
        out.actual.push(a as f64);
        out.cumulative_actual.push(cum_a);
        out.expected.push(e - prev_e);
        out.cumulative_expected.push(e);
        prev_e = e;
    }
    Ok(out)
}

#[cfg(test)]
#[path = "holdout_tests.rs"]
mod tests;
