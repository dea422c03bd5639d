//! Churn flags: a customer has churned when his silence exceeds a threshold,
//! fixed or relative to his own rhythm of purchase.

use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{CiblageError, Result};
use crate::interrupt::Interrupt;
use crate::time::day_from_date;
use crate::transactions::TransactionView;

/// When silence means churn.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChurnRule {
    /// More than `days` days since the last purchase.
    Days {
        /// Inactivity threshold in days.
        days: u32,
    },
    /// More than `multiple` × the customer's median gap between distinct
    /// purchase days; customers with a single purchase day use
    /// `fallback_days`.
    MedianGap {
        /// Multiple of the median inter-purchase time (e.g. 3).
        multiple: f64,
        /// Threshold for customers with one purchase day.
        fallback_days: u32,
    },
}

impl Default for ChurnRule {
    /// 365 days without purchase.
    fn default() -> Self {
        Self::Days { days: 365 }
    }
}

/// The kind of a [`ChurnRule`], as named in text (`"days"`,
/// `"median_gap"`).
///
/// ```
/// use ciblage::churn::{ChurnRule, ChurnRuleKind};
/// let kind: ChurnRuleKind = "median_gap".parse()?;
/// let rule = ChurnRule::of_kind(kind, 365, 3.0, 90);
/// assert_eq!(rule, ChurnRule::MedianGap { multiple: 3.0, fallback_days: 90 });
/// let e = "weeks".parse::<ChurnRuleKind>().unwrap_err();
/// assert_eq!(e.to_string(),
///            "invalid parameter rule: expected \"days\" or \"median_gap\", got \"weeks\"");
/// # Ok::<(), ciblage::CiblageError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChurnRuleKind {
    /// [`ChurnRule::Days`].
    #[default]
    Days,
    /// [`ChurnRule::MedianGap`].
    MedianGap,
}

impl FromStr for ChurnRuleKind {
    type Err = CiblageError;

    /// Parses `"days"` or `"median_gap"`.
    ///
    /// # Errors
    /// [`CiblageError::InvalidParameter`] naming `rule` and the choices.
    fn from_str(name: &str) -> Result<Self> {
        match name {
            "days" => Ok(Self::Days),
            "median_gap" => Ok(Self::MedianGap),
            other => Err(CiblageError::param(
                "rule",
                format!("expected \"days\" or \"median_gap\", got {other:?}"),
            )),
        }
    }
}

impl ChurnRule {
    /// The rule of `kind` with its options: `days` for
    /// [`ChurnRuleKind::Days`], `multiple` and `fallback_days` for
    /// [`ChurnRuleKind::MedianGap`] (the others are not read).
    pub fn of_kind(kind: ChurnRuleKind, days: u32, multiple: f64, fallback_days: u32) -> Self {
        match kind {
            ChurnRuleKind::Days => Self::Days { days },
            ChurnRuleKind::MedianGap => Self::MedianGap {
                multiple,
                fallback_days,
            },
        }
    }
}

/// Builder for [`ChurnFlags`]. Start from [`ChurnFlags::params`].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ChurnFlagsParams {
    rule: ChurnRule,
    as_of: Option<NaiveDate>,
    #[serde(skip)]
    interrupt: Interrupt,
}

/// Validated parameters: call [`ChurnFlagsValidParams::score`].
#[derive(Debug, Clone, PartialEq)]
pub struct ChurnFlagsValidParams {
    params: ChurnFlagsParams,
}

impl ChurnFlagsParams {
    /// When silence means churn (default [`ChurnRule::Days`] of 365 days).
    #[must_use]
    pub fn rule(mut self, rule: ChurnRule) -> Self {
        self.rule = rule;
        self
    }

    /// Reference date (default: the day after the last transaction); rows on
    /// or after it are left out.
    #[must_use]
    pub fn as_of(mut self, date: NaiveDate) -> Self {
        self.as_of = Some(date);
        self
    }

    /// The token that stops the computation ([`CiblageError::Interrupted`]);
    /// checked between its passes over the rows (see [`Interrupt`]).
    #[must_use]
    pub fn interrupt(mut self, token: Interrupt) -> Self {
        self.interrupt = token;
        self
    }

    /// Validates the parameters.
    ///
    /// # Errors
    /// [`CiblageError::InvalidParameter`] naming `multiple` for a multiple
    /// that is not a positive number.
    pub fn check(self) -> Result<ChurnFlagsValidParams> {
        if let ChurnRule::MedianGap { multiple, .. } = self.rule {
            if !(multiple.is_finite() && multiple > 0.0) {
                return Err(CiblageError::param(
                    "multiple",
                    format!("expected a positive number, got {multiple}"),
                ));
            }
        }
        Ok(ChurnFlagsValidParams { params: self })
    }

    /// `self.check()?.score(tx)`.
    ///
    /// # Errors
    /// As [`ChurnFlagsParams::check`] and [`ChurnFlagsValidParams::score`].
    pub fn score<'a>(self, tx: impl Into<TransactionView<'a>>) -> Result<ChurnFlags> {
        self.check()?.score(tx)
    }
}

/// Churn flag per customer (by customer code).
///
/// A purchase is a row with a positive amount; days are local days of the
/// transactions' zone; `days_since_last` is `as_of − last purchase day` as
/// RFM recency. Customers without a purchase before `as_of` get `None`.
///
/// ```
/// use ciblage::churn::{ChurnFlags, ChurnRule};
/// use ciblage::chrono::NaiveDate;
/// use ciblage::Transactions;
/// let day = 86_400_000_000i64;
/// // Customer 7 buys on days 0, 10, 20 (median gap 10), customer 8 on
/// // day 5 only; as of day 60 (the default: day after the last row is 21).
/// let tx = Transactions::from_int_ids(&[7, 7, 7, 8], vec![0, 10 * day, 20 * day, 5 * day],
///                                     vec![1.0; 4])?;
/// let rule = ChurnRule::MedianGap { multiple: 3.0, fallback_days: 30 };
/// let as_of = NaiveDate::from_ymd_opt(1970, 3, 2).unwrap(); // day 60
/// let f = ChurnFlags::params().rule(rule).as_of(as_of).check()?.score(&tx)?;
/// // Customer 7: 40 days of silence > 3 × 10 → churned; customer 8: 55 > 30.
/// assert_eq!(f.days_since_last(), &[Some(40), Some(55)]);
/// assert_eq!(f.threshold_days(), &[Some(30.0), Some(30.0)]);
/// assert_eq!(f.churned(), &[Some(true), Some(true)]);
/// # Ok::<(), ciblage::CiblageError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChurnFlags {
    days_since_last: Vec<Option<i64>>,
    median_gap: Vec<Option<f64>>,
    threshold_days: Vec<Option<f64>>,
    churned: Vec<Option<bool>>,
    rows_read: u64,
    rows_after_as_of: u64,
    rows_not_purchases: u64,
}

impl ChurnFlags {
    /// Default parameters: 365 days without purchase, as of the day after
    /// the last transaction.
    pub fn params() -> ChurnFlagsParams {
        ChurnFlagsParams::default()
    }
}

impl ChurnFlagsValidParams {
    /// Flags every customer of `tx` (a [`&Transactions`](crate::Transactions) or
    /// a [`TransactionView`]) as of `as_of` (default: the day after the last
    /// transaction; rows on or after it are left out).
    ///
    /// # Errors
    /// [`CiblageError::Interrupted`].
    pub fn score<'a>(&self, tx: impl Into<TransactionView<'a>>) -> Result<ChurnFlags> {
        let tx: TransactionView<'a> = tx.into();
        let ChurnFlagsParams {
            rule,
            as_of,
            ref interrupt,
        } = self.params;
        let zone = tx.zone();
        let (ts, amounts, codes) = (tx.timestamps(), tx.amounts(), tx.codes());
        let n = tx.customers();
        // Rows are read in chunks, the token checked between them.
        const CHUNK: usize = crate::interrupt::CHECK_ROWS;
        let as_of_day = match as_of {
            Some(d) => day_from_date(d),
            None => {
                let mut last = None;
                for part in ts.chunks(CHUNK) {
                    interrupt.check()?;
                    last = last.max(part.iter().map(|&t| zone.day_of(t)).max());
                }
                last.unwrap_or(0) + 1
            }
        };
        let cutoff = zone.day_start(as_of_day);
        // Distinct (customer, day) purchase keys, days offset to stay positive;
        // the rows left out are counted in the same pass.
        const SHIFT: i64 = 1 << 31;
        let mut keys: Vec<u64> = Vec::new();
        let mut rows_after_as_of = 0u64;
        for lo in (0..ts.len()).step_by(CHUNK) {
            interrupt.check()?;
            let hi = (lo + CHUNK).min(ts.len());
            rows_after_as_of += ts[lo..hi].iter().filter(|&&t| t >= cutoff).count() as u64;
            keys.extend(
                (lo..hi)
                    .filter(|&i| ts[i] < cutoff && amounts[i] > 0.0)
                    .map(|i| {
                        (u64::from(codes[i]) << 32) | (zone.day_of(ts[i]) + SHIFT) as u32 as u64
                    }),
            );
        }
        // Rows on or before `as_of` that are not purchases (returns, zeros).
        let rows_not_purchases = ts.len() as u64 - rows_after_as_of - keys.len() as u64;
        let mut keys = crate::interrupt::sort_customer_keys(keys, n, interrupt)?;
        keys.dedup();
        let mut days_since_last = vec![None; n];
        let mut median_gap = vec![None; n];
        let mut threshold_days = vec![None; n];
        let mut churned = vec![None; n];
        let mut gaps: Vec<i64> = Vec::new();
        let mut start = 0;
        let mut customers_seen = 0usize;
        while start < keys.len() {
            customers_seen += 1;
            if customers_seen % (1 << 16) == 0 {
                interrupt.check()?;
            }
            let code = (keys[start] >> 32) as usize;
            let mut end = start;
            while end < keys.len() && (keys[end] >> 32) as usize == code {
                end += 1;
            }
            let day = |k: u64| i64::from(k as u32) - SHIFT;
            let last = day(keys[end - 1]);
            gaps.clear();
            gaps.extend(keys[start..end].windows(2).map(|w| day(w[1]) - day(w[0])));
            let median = median_of(&mut gaps);
            let silence = as_of_day - last;
            let threshold = match rule {
                ChurnRule::Days { days } => f64::from(days),
                ChurnRule::MedianGap {
                    multiple,
                    fallback_days,
                } => median.map_or(f64::from(fallback_days), |m| multiple * m),
            };
            days_since_last[code] = Some(silence);
            median_gap[code] = median;
            threshold_days[code] = Some(threshold);
            churned[code] = Some(silence as f64 > threshold);
            start = end;
        }
        Ok(ChurnFlags {
            days_since_last,
            median_gap,
            threshold_days,
            churned,
            rows_read: ts.len() as u64,
            rows_after_as_of,
            rows_not_purchases,
        })
    }
}

impl ChurnFlags {
    /// Rows of the transactions read.
    pub fn rows_read(&self) -> u64 {
        self.rows_read
    }

    /// Rows on or after `as_of`, left out.
    pub fn rows_after_as_of(&self) -> u64 {
        self.rows_after_as_of
    }

    /// Rows before `as_of` that are not purchases (amount ≤ 0): a churn
    /// flag reads purchases only.
    pub fn rows_not_purchases(&self) -> u64 {
        self.rows_not_purchases
    }

    /// Days since the last purchase, per customer code.
    pub fn days_since_last(&self) -> &[Option<i64>] {
        &self.days_since_last
    }

    /// Median gap in days between distinct purchase days (`None` with one
    /// purchase day).
    pub fn median_gap(&self) -> &[Option<f64>] {
        &self.median_gap
    }

    /// The threshold applied to each customer, in days.
    pub fn threshold_days(&self) -> &[Option<f64>] {
        &self.threshold_days
    }

    /// True when the silence exceeds the threshold.
    pub fn churned(&self) -> &[Option<bool>] {
        &self.churned
    }
}

fn median_of(v: &mut [i64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let m = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[m] as f64
    } else {
        (v[m - 1] + v[m]) as f64 / 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Transactions;

    const DAY: i64 = 86_400_000_000;

    #[test]
    fn fixed_threshold_same_day_orders_and_returns() {
        // Customer 1: two orders on day 0 and one on day 4 → distinct days
        // 0, 4 (gap 4). Customer 2: a return only (no purchase) → None.
        let tx = Transactions::from_int_ids(
            &[1, 1, 1, 2],
            vec![0, DAY / 2, 4 * DAY, 3 * DAY],
            vec![5.0, 5.0, 5.0, -5.0],
        )
        .unwrap();
        let params = ChurnFlags::params().rule(ChurnRule::Days { days: 1 });
        let f = params.clone().score(&tx).unwrap();
        // as_of = day after the last row (day 4) = 5: silence 1, not > 1.
        assert_eq!(f.days_since_last(), &[Some(1), None]);
        assert_eq!(f.median_gap(), &[Some(4.0), None]);
        assert_eq!(f.churned(), &[Some(false), None]);
        // 4 rows: none after the default as_of, the return is no purchase.
        assert_eq!(
            (f.rows_read(), f.rows_after_as_of(), f.rows_not_purchases()),
            (4, 0, 1)
        );
        // As of day 1 (1970-01-02): the rows of days 3 and 4 are left out,
        // the return on day 3 among them.
        let as_of = NaiveDate::from_ymd_opt(1970, 1, 2).unwrap();
        let f = params.as_of(as_of).score(&tx).unwrap();
        assert_eq!((f.rows_after_as_of(), f.rows_not_purchases()), (2, 0));
        // Even count of gaps: days 0, 1, 4, 10 → gaps 1, 3, 6 → median 3;
        // days 0, 2, 3, 7, 8 → gaps 2, 1, 4, 1 → sorted 1 1 2 4 → 1.5.
        assert_eq!(median_of(&mut [1, 3, 6]), Some(3.0));
        assert_eq!(median_of(&mut [2, 1, 4, 1]), Some(1.5));
    }

    #[test]
    fn bad_multiple_is_named() {
        let tx = Transactions::from_int_ids(&[1], vec![0], vec![1.0]).unwrap();
        let rule = ChurnRule::MedianGap {
            multiple: f64::NAN,
            fallback_days: 3,
        };
        let e = ChurnFlags::params().rule(rule).score(&tx).unwrap_err();
        assert!(
            e.to_string().starts_with("invalid parameter multiple"),
            "{e}"
        );
    }
}
