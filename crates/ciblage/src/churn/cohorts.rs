//! Acquisition cohorts: retention matrices (classic and rolling), revenue
//! retention and Kaplan–Meier survival, with right-censoring explicit.

use serde::{Deserialize, Serialize};

/// One acquisition cohort: the customers whose first purchase falls in the
/// same period. Every vector has one entry per period observed since the
/// cohort period (entry 0 = the cohort period itself), so later cohorts have
/// shorter rows: the future is not observed, not zero.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CohortRow {
    /// Period number of the cohort.
    pub index: i64,
    /// Readable label of the cohort period.
    pub label: String,
    /// Customers acquired in the period.
    pub size: u64,
    /// Classic retention counts: customers of the cohort active in period
    /// `cohort + k` (`active[0] = size`).
    pub active: Vec<u64>,
    /// Rolling retention counts: customers active in `cohort + k` or later.
    pub rolling: Vec<u64>,
    /// Revenue of the cohort's customers in period `cohort + k`.
    pub revenue: Vec<f64>,
    /// Kaplan–Meier survival: entry `k − 1` is the probability of a lifetime
    /// longer than `k` periods; NaN where nobody is left at risk.
    pub survival: Vec<f64>,
    /// Customers counted as churned (no purchase for `churn_after` periods
    /// before the end).
    pub churned: u64,
    /// Customers not (yet) churned: right-censored at their last purchase.
    pub censored: u64,
}

impl CohortRow {
    /// Classic retention share in period `cohort + k`, `None` if unobserved.
    pub fn retention(&self, k: usize) -> Option<f64> {
        self.active.get(k).map(|&a| a as f64 / self.size as f64)
    }

    /// Rolling retention share in period `cohort + k`, `None` if unobserved.
    pub fn rolling_retention(&self, k: usize) -> Option<f64> {
        self.rolling.get(k).map(|&a| a as f64 / self.size as f64)
    }

    /// Revenue in period `cohort + k` over revenue in the cohort period,
    /// `None` if unobserved or if the first period's revenue is zero.
    pub fn revenue_retention(&self, k: usize) -> Option<f64> {
        let base = self.revenue[0];
        (base != 0.0)
            .then(|| self.revenue.get(k).map(|&r| r / base))
            .flatten()
    }
}

/// Lifetime of a customer in periods (first to last purchase, both
/// counted) and whether his churn is observed.
fn lifetime(list: &[u32], n: usize, churn_after: u32) -> (usize, usize, bool) {
    let (c0, last) = (list[0] as usize, *list.last().expect("non-empty") as usize);
    let churned = n - 1 - last >= churn_after as usize;
    (c0, last - c0 + 1, churned)
}

/// Kaplan–Meier product over durations `1..=m`: `S(k) = Π_{j ≤ k} (1 −
/// d_j / n_j)` with `n_j` the lifetimes ≥ j (events and censored alike;
/// censoring at j counts as at risk at j).
fn kaplan_meier(events: &[u64], censored: &[u64], m: usize) -> Vec<f64> {
    // at_risk(j) = Σ_{i ≥ j} (events_i + censored_i).
    let mut at_risk = vec![0u64; m + 2];
    for j in (1..=m).rev() {
        at_risk[j] = at_risk[j + 1] + events[j] + censored[j];
    }
    let mut s = 1.0;
    (1..=m)
        .map(|j| {
            if at_risk[j] == 0 {
                return f64::NAN;
            }
            s *= 1.0 - events[j] as f64 / at_risk[j] as f64;
            s
        })
        .collect()
}

/// Relative period of an instant, `None` when left out.
pub(crate) type PeriodOf<'a> = &'a dyn Fn(i64) -> Option<i64>;

/// Cohort rows (indices relative to the first period, labels empty).
/// `rows` = (customer code, amount, period of an instant) with `ts` the
/// instants of the rows.
pub(crate) fn build(
    offsets: &[usize],
    active: &[u32],
    n: usize,
    churn_after: u32,
    rows: (&[u32], &[f64], PeriodOf<'_>),
    ts: &[i64],
) -> Vec<CohortRow> {
    let mut cohorts: Vec<CohortRow> = (0..n)
        .map(|c| CohortRow {
            index: c as i64,
            label: String::new(),
            size: 0,
            active: vec![0; n - c],
            rolling: vec![0; n - c],
            revenue: vec![0.0; n - c],
            survival: Vec::new(),
            churned: 0,
            censored: 0,
        })
        .collect();
    let mut events = vec![vec![0u64; n + 1]; n];
    let mut censored = vec![vec![0u64; n + 1]; n];
    let mut cohort_of = vec![u32::MAX; offsets.len() - 1];
    for (code, w) in offsets.windows(2).enumerate() {
        let list = &active[w[0]..w[1]];
        if list.is_empty() {
            continue;
        }
        let (c0, life, churned) = lifetime(list, n, churn_after);
        cohort_of[code] = c0 as u32;
        let row = &mut cohorts[c0];
        row.size += 1;
        for &p in list {
            row.active[p as usize - c0] += 1;
        }
        // Rolling: active at k or later ⇔ k ≤ life − 1; add by suffix later.
        row.rolling[life - 1] += 1;
        if churned {
            row.churned += 1;
            events[c0][life] += 1;
        } else {
            row.censored += 1;
            censored[c0][life] += 1;
        }
    }
    let (codes, amounts, period_of) = rows;
    for i in 0..codes.len() {
        let c0 = cohort_of[codes[i] as usize];
        if c0 == u32::MAX {
            continue;
        }
        let Some(r) = period_of(ts[i]) else {
            continue;
        };
        let k = (r - i64::from(c0)).max(0) as usize;
        cohorts[c0 as usize].revenue[k] += amounts[i];
    }
    for (c0, row) in cohorts.iter_mut().enumerate() {
        for k in (0..row.rolling.len().saturating_sub(1)).rev() {
            row.rolling[k] += row.rolling[k + 1];
        }
        row.survival = kaplan_meier(&events[c0], &censored[c0], n - c0);
    }
    cohorts.retain(|c| c.size > 0);
    cohorts
}

/// Kaplan–Meier survival of all customers, durations counted from each
/// customer's own cohort.
pub(crate) fn pooled_survival(
    offsets: &[usize],
    active: &[u32],
    n: usize,
    churn_after: u32,
) -> Vec<f64> {
    let mut events = vec![0u64; n + 1];
    let mut censored = vec![0u64; n + 1];
    for w in offsets.windows(2) {
        let list = &active[w[0]..w[1]];
        if list.is_empty() {
            continue;
        }
        let (_, life, churned) = lifetime(list, n, churn_after);
        if churned {
            events[life] += 1;
        } else {
            censored[life] += 1;
        }
    }
    kaplan_meier(&events, &censored, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kaplan_meier_by_hand() {
        // Lifetimes: 1 (event), 2 (censored), 2 (event), 3 (event), 3
        // (censored). n_1 = 5, d_1 = 1 → S(1) = 4/5; n_2 = 4, d_2 = 1 →
        // S(2) = 4/5 · 3/4 = 3/5; n_3 = 2, d_3 = 1 → S(3) = 3/5 · 1/2 = 3/10.
        let events = [0, 1, 1, 1];
        let censored = [0, 0, 1, 1];
        let s = kaplan_meier(&events, &censored, 3);
        assert!((s[0] - 0.8).abs() < 1e-12);
        assert!((s[1] - 0.6).abs() < 1e-12);
        assert!((s[2] - 0.3).abs() < 1e-12);
        // Nobody at risk past the data: NaN, not a made-up value.
        let s = kaplan_meier(&[0, 1, 0, 0], &[0, 0, 0, 0], 3);
        assert_eq!(s[0], 0.0);
        assert!(s[1].is_nan() && s[2].is_nan());
    }
}
