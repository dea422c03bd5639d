//! Acquisition cohorts: retention matrices (classic and rolling), revenue
//! retention and Kaplan–Meier survival, with right-censoring explicit.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::churn::scan::{ActiveBits, SetBits, CUSTOMER_TASK};
use crate::churn::tasks::triangle_offset;

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
    /// Revenue of the cohort's customers in periods before the cohort period
    /// (returns or zero rows dated before their first purchase): in the
    /// period table, in no cell of `revenue`.
    pub revenue_before: f64,
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

/// Kaplan–Meier product over durations `1..=m`: `S(k) = Π_{j ≤ k} (1 −
/// d_j / n_j)` with `n_j` the lifetimes ≥ j (events and censored alike;
/// censoring at j counts as at risk at j). `events[j − 1]` and
/// `censored[j − 1]` are the customers whose lifetime is `j`.
fn kaplan_meier(events: &[u64], censored: &[u64], m: usize) -> Vec<f64> {
    // at_risk(j) = Σ_{i ≥ j} (events_i + censored_i).
    let mut at_risk = vec![0u64; m + 1];
    for j in (0..m).rev() {
        at_risk[j] = at_risk[j + 1] + events[j] + censored[j];
    }
    let mut s = 1.0;
    (0..m)
        .map(|j| {
            if at_risk[j] == 0 {
                return f64::NAN;
            }
            s *= 1.0 - events[j] as f64 / at_risk[j] as f64;
            s
        })
        .collect()
}

/// Counts per period of the moves between active sets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PeriodMoves {
    pub active: Vec<u64>,
    pub new: Vec<u64>,
    pub repeating: Vec<u64>,
    pub reactivated: Vec<u64>,
    pub lapsed: Vec<u64>,
}

/// Integer counts gathered from the customers' active periods. Per-cohort
/// cells are in the triangular layout of [`triangle_offset`]; lifetimes
/// `1..=n − c0` are stored at `life − 1`.
struct Tally {
    n: usize,
    churn_after: usize,
    moves: PeriodMoves,
    size: Vec<u64>,
    churned: Vec<u64>,
    censored: Vec<u64>,
    active: Vec<u64>,
    lifetimes: Vec<u64>,
    events: Vec<u64>,
    censored_at: Vec<u64>,
}

impl Tally {
    fn new(n: usize, churn_after: usize) -> Self {
        let cells = n * (n + 1) / 2;
        Self {
            n,
            churn_after,
            moves: PeriodMoves {
                active: vec![0; n],
                new: vec![0; n],
                repeating: vec![0; n],
                reactivated: vec![0; n],
                lapsed: vec![0; n],
            },
            size: vec![0; n],
            churned: vec![0; n],
            censored: vec![0; n],
            active: vec![0; cells],
            lifetimes: vec![0; cells],
            events: vec![0; cells],
            censored_at: vec![0; cells],
        }
    }

    /// Bytes held by one tally of `n` periods.
    fn bytes(n: usize) -> usize {
        (8 * n + 2 * n * (n + 1)) * 8
    }

    /// Adds `weight` customers with the same active periods, given in
    /// ascending order. A customer's lifetime runs from his first to his
    /// last active period (both counted); his churn is observed when at
    /// least `churn_after` periods follow the last one.
    fn add(&mut self, mut periods: impl Iterator<Item = usize>, weight: u64) {
        let Some(c0) = periods.next() else {
            return;
        };
        let (n, off, w) = (self.n, triangle_offset(c0, self.n), weight);
        let m = &mut self.moves;
        m.active[c0] += w;
        m.new[c0] += w;
        self.size[c0] += w;
        self.active[off] += w;
        let mut prev = c0;
        for p in periods {
            // Counted without a branch: whether a period follows the
            // previous one is a coin toss for the branch predictor.
            let next = w * u64::from(p == prev + 1);
            m.active[p] += w;
            m.repeating[p] += next;
            m.reactivated[p] += w - next;
            m.lapsed[prev + 1] += w - next;
            self.active[off + p - c0] += w;
            prev = p;
        }
        // Lapsed after his last period, unless it is the last one.
        m.lapsed[(prev + 1).min(n - 1)] += w * u64::from(prev + 1 < n);
        let life = prev - c0 + 1;
        self.lifetimes[off + life - 1] += w;
        let churned = w * u64::from(n - 1 - prev >= self.churn_after);
        self.churned[c0] += churned;
        self.events[off + life - 1] += churned;
        self.censored[c0] += w - churned;
        self.censored_at[off + life - 1] += w - churned;
    }

    fn merge(mut self, o: Self) -> Self {
        fn add(a: &mut [u64], b: &[u64]) {
            a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        }
        add(&mut self.moves.active, &o.moves.active);
        add(&mut self.moves.new, &o.moves.new);
        add(&mut self.moves.repeating, &o.moves.repeating);
        add(&mut self.moves.reactivated, &o.moves.reactivated);
        add(&mut self.moves.lapsed, &o.moves.lapsed);
        add(&mut self.size, &o.size);
        add(&mut self.churned, &o.churned);
        add(&mut self.censored, &o.censored);
        add(&mut self.active, &o.active);
        add(&mut self.lifetimes, &o.lifetimes);
        add(&mut self.events, &o.events);
        add(&mut self.censored_at, &o.censored_at);
        self
    }
}

/// What the customers' activity gives: moves per period, cohort rows
/// (indices relative to the first period, labels empty) and the pooled
/// survival curve.
pub(crate) struct CohortTables {
    pub moves: PeriodMoves,
    pub cohorts: Vec<CohortRow>,
    pub pooled_survival: Vec<f64>,
}

/// Counts every customer's activity (in parallel over customers when the
/// per-task tables are small; integer counts, so the result does not depend
/// on the order) and builds the cohort rows. `revenue` is the cohort revenue
/// of [`crate::churn::scan::RowScan`], `before` the revenue of each cohort
/// before its period.
pub(crate) fn build(
    bits: &ActiveBits,
    n: usize,
    churn_after: usize,
    revenue: &[f64],
    before: &[f64],
) -> CohortTables {
    let customers = bits.customers();
    let t = if bits.words() == 1 && Tally::bytes(n) <= 4 << 20 {
        // One word per customer: customers sharing a pattern of active
        // periods are counted once, with their number. Sorting groups
        // them; the tally then works per pattern, in pattern order, so its
        // branches are predictable too.
        let mut words = bits.raw().to_vec();
        words.par_sort_unstable();
        let mut patterns: Vec<(u64, u64)> = Vec::new();
        for &w in &words {
            match patterns.last_mut() {
                Some((last, count)) if *last == w => *count += 1,
                _ => patterns.push((w, 1)),
            }
        }
        patterns
            .par_iter()
            .with_min_len(CUSTOMER_TASK)
            .fold(
                || Tally::new(n, churn_after),
                |mut t, &(w, count)| {
                    t.add(SetBits(w), count);
                    t
                },
            )
            .reduce(|| Tally::new(n, churn_after), Tally::merge)
    } else if Tally::bytes(n) <= 4 << 20 {
        (0..customers)
            .into_par_iter()
            .with_min_len(CUSTOMER_TASK)
            .fold(
                || Tally::new(n, churn_after),
                |mut t, c| {
                    t.add(bits.periods(c), 1);
                    t
                },
            )
            .reduce(|| Tally::new(n, churn_after), Tally::merge)
    } else {
        let mut t = Tally::new(n, churn_after);
        (0..customers).for_each(|c| t.add(bits.periods(c), 1));
        t
    };
    let mut pooled_events = vec![0u64; n];
    let mut pooled_censored = vec![0u64; n];
    let mut cohorts = Vec::new();
    for c0 in 0..n {
        let (off, m) = (triangle_offset(c0, n), n - c0);
        let cell = off..off + m;
        for (j, (&e, &c)) in t.events[cell.clone()]
            .iter()
            .zip(&t.censored_at[cell.clone()])
            .enumerate()
        {
            pooled_events[j] += e;
            pooled_censored[j] += c;
        }
        if t.size[c0] == 0 {
            continue;
        }
        // Rolling: active at k or later ⇔ lifetime ≥ k + 1 (suffix sums).
        let mut rolling = t.lifetimes[cell.clone()].to_vec();
        for k in (0..m.saturating_sub(1)).rev() {
            rolling[k] += rolling[k + 1];
        }
        cohorts.push(CohortRow {
            index: c0 as i64,
            label: String::new(),
            size: t.size[c0],
            active: t.active[cell.clone()].to_vec(),
            rolling,
            revenue: revenue[cell.clone()].to_vec(),
            revenue_before: before.get(c0).copied().unwrap_or(0.0),
            survival: kaplan_meier(&t.events[cell.clone()], &t.censored_at[cell], m),
            churned: t.churned[c0],
            censored: t.censored[c0],
        });
    }
    CohortTables {
        moves: t.moves,
        cohorts,
        pooled_survival: kaplan_meier(&pooled_events, &pooled_censored, n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_counted_once_give_the_per_customer_tables() {
        // 30,000 customers over 20 periods, many sharing a pattern, some
        // without purchase: one word each (counted per pattern) against the
        // same bits in two words each (counted customer by customer).
        let n = 20;
        let one: Vec<u64> = (0..30_000u64)
            .map(|c| {
                let w = c.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 44;
                if c % 7 == 0 {
                    0
                } else if c % 3 == 0 {
                    0b1011 << (c % 5)
                } else {
                    w & ((1 << n) - 1)
                }
            })
            .collect();
        let two: Vec<u64> = one.iter().flat_map(|&w| [w, 0]).collect();
        let revenue = vec![1.0; n * (n + 1) / 2];
        let before = vec![0.0; n];
        let a = build(&ActiveBits::from_words(1, one), n, 3, &revenue, &before);
        let b = build(&ActiveBits::from_words(2, two), n, 3, &revenue, &before);
        assert_eq!(a.moves, b.moves);
        assert_eq!(a.cohorts, b.cohorts);
        assert_eq!(a.pooled_survival, b.pooled_survival);
        assert_eq!(a.moves.new.iter().sum::<u64>(), 30_000 - 30_000 / 7 - 1);
    }

    #[test]
    fn kaplan_meier_by_hand() {
        // Lifetimes: 1 (event), 2 (censored), 2 (event), 3 (event), 3
        // (censored). n_1 = 5, d_1 = 1 → S(1) = 4/5; n_2 = 4, d_2 = 1 →
        // S(2) = 4/5 · 3/4 = 3/5; n_3 = 2, d_3 = 1 → S(3) = 3/5 · 1/2 = 3/10.
        let events = [1, 1, 1];
        let censored = [0, 1, 1];
        let s = kaplan_meier(&events, &censored, 3);
        assert!((s[0] - 0.8).abs() < 1e-12);
        assert!((s[1] - 0.6).abs() < 1e-12);
        assert!((s[2] - 0.3).abs() < 1e-12);
        // Nobody at risk past the data: NaN, not a made-up value.
        let s = kaplan_meier(&[1, 0, 0], &[0, 0, 0], 3);
        assert_eq!(s[0], 0.0);
        assert!(s[1].is_nan() && s[2].is_nan());
    }
}
