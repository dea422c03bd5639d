//! The absolute-error criterion of the exact splitter. A node predicts the
//! weighted median of its targets; its impurity is Σ w·|y − median| / Σ w.
//!
//! Median: the first target, in ascending order, whose cumulative weight
//! exceeds half the node's weight; when the cumulative weight of a target
//! equals half exactly, the midpoint of that target and the next one
//! (scikit-learn's definition, so that trees agree).
//!
//! A feature is searched with two passes over the node's samples in that
//! feature's order: forward, the absolute error of every prefix; backward,
//! of every suffix. The node's targets are ranked once; each pass adds one
//! sample at a time at its rank and moves the median's rank over the ranks
//! holding samples (a bit per rank, skipped 64 at a time), keeping the
//! weight and weighted sum below it, from which the error follows:
//! Σ_{y ≥ m} w·(y − m) + Σ_{y < m} w·(m − y). The median moves by about one
//! sample per sample added: a pass costs O(n) plus the skipped words, where
//! scikit-learn's Fenwick tree takes O(n log n).

use crate::prefetch::{prefetch, LOOKAHEAD};
use crate::tree::cart::exact::candidate::Layout;
use crate::tree::cart::shared::data::TrainSet;

/// Per-node ranks and the buffers of the two passes.
#[derive(Debug, Default)]
pub(crate) struct AbsoluteScratch {
    /// Each sample's target and its rank among the node's samples
    /// (indexed by row; only the node's rows are meaningful), read together.
    key_of: Vec<(f64, u32)>,
    /// The node's targets, ascending.
    sorted_y: Vec<f64>,
    sums: RankedMedian,
    /// Absolute error of the first k + 1 samples read (forward pass).
    pub prefix: Vec<f64>,
    /// Weight of the first k + 1 samples read, summed in reading order.
    pub prefix_w: Vec<f64>,
    /// Absolute error of the samples read from position k on.
    pub suffix: Vec<f64>,
    /// Medians of the same prefixes and suffixes (filled by
    /// [`AbsoluteScratch::passes_with_medians`] only).
    pub prefix_median: Vec<f64>,
    pub suffix_median: Vec<f64>,
}

/// The samples added so far, by target rank: each rank's weight, a bit per
/// rank holding a sample, and the median's rank with the weight and
/// weighted sum of the ranks below it, moved as samples come in.
#[derive(Debug, Default)]
struct RankedMedian {
    own_w: Vec<f64>,
    held: Vec<u64>,
    /// The first rank whose cumulative weight exceeds half the total.
    median: usize,
    w_below: f64,
    wy_below: f64,
    total_w: f64,
    total_wy: f64,
}

impl RankedMedian {
    /// Empties the ranks `0..size`; `unit`: every weight will be 1 (the
    /// ranks' weights are then their bits).
    fn reset(&mut self, size: usize, unit: bool) {
        self.own_w.clear();
        if !unit {
            self.own_w.resize(size, 0.0);
        }
        self.held.clear();
        self.held.resize(size.div_ceil(64), 0);
        (self.median, self.w_below, self.wy_below) = (usize::MAX, 0.0, 0.0);
        (self.total_w, self.total_wy) = (0.0, 0.0);
    }

    /// The next rank holding a sample after `rank` (one exists).
    fn next_held(&self, rank: usize) -> usize {
        let mut word = (rank + 1) / 64;
        let mut bits = self.held[word] & (u64::MAX << ((rank + 1) % 64));
        while bits == 0 {
            word += 1;
            bits = self.held[word];
        }
        word * 64 + bits.trailing_zeros() as usize
    }

    /// The last rank holding a sample before `rank` (one exists).
    fn prev_held(&self, rank: usize) -> usize {
        let mut word = rank / 64;
        let mut bits = self.held[word] & ((1u64 << (rank % 64)) - 1);
        while bits == 0 {
            word -= 1;
            bits = self.held[word];
        }
        word * 64 + 63 - bits.leading_zeros() as usize
    }

    /// The weight at `rank` (1 for a rank holding a sample when `UNIT`).
    #[inline(always)]
    fn own<const UNIT: bool>(&self, rank: usize) -> f64 {
        if UNIT {
            1.0
        } else {
            self.own_w[rank]
        }
    }

    #[inline(always)]
    fn add<const UNIT: bool>(&mut self, rank: usize, y: f64, w: f64, sorted_y: &[f64]) {
        let wy = w * y;
        if !UNIT {
            self.own_w[rank] += w;
        }
        self.held[rank / 64] |= 1 << (rank % 64);
        self.total_w += w;
        self.total_wy += wy;
        if self.median == usize::MAX {
            self.median = rank;
            return;
        }
        if rank < self.median {
            self.w_below += w;
            self.wy_below += wy;
        }
        let half = 0.5 * self.total_w;
        while self.w_below > half {
            let prev = self.prev_held(self.median);
            let w_prev = self.own::<UNIT>(prev);
            self.w_below -= w_prev;
            self.wy_below -= w_prev * sorted_y[prev];
            self.median = prev;
        }
        while self.w_below + self.own::<UNIT>(self.median) <= half {
            let w_median = self.own::<UNIT>(self.median);
            self.w_below += w_median;
            self.wy_below += w_median * sorted_y[self.median];
            self.median = self.next_held(self.median);
        }
    }

    /// Median of the samples added so far.
    #[inline(always)]
    fn median(&self, sorted_y: &[f64]) -> f64 {
        let half = 0.5 * self.total_w;
        if self.w_below == half {
            // Half the weight exactly below the median's rank: the
            // midpoint of the last rank below and the median's.
            0.5 * (sorted_y[self.prev_held(self.median)] + sorted_y[self.median])
        } else {
            sorted_y[self.median]
        }
    }

    /// Absolute error of the samples added so far about their median.
    #[inline(always)]
    fn error(&self, sorted_y: &[f64]) -> f64 {
        let median = self.median(sorted_y);
        pinball(
            median,
            (self.w_below, self.wy_below),
            (self.total_w, self.total_wy),
        )
    }
}

/// Σ_{y ≥ m} w·(y − m) + Σ_{y < m} w·(m − y) from the weight and weighted
/// sum below the median and the totals.
#[inline]
fn pinball(median: f64, (w_left, wy_left): (f64, f64), (w, wy): (f64, f64)) -> f64 {
    let (w_right, wy_right) = (w - w_left, wy - wy_left);
    (wy_right - median * w_right) + (median * w_left - wy_left)
}

/// Weighted median and absolute error of `(target, weight)` pairs (weights
/// positive), sorting them.
pub(crate) fn median_and_error(pairs: &mut [(f64, f64)]) -> (f64, f64) {
    pairs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let (w, wy) = pairs
        .iter()
        .fold((0.0, 0.0), |(w, wy), &(y, wi)| (w + wi, wy + wi * y));
    let half = 0.5 * w;
    let (mut w_left, mut wy_left) = (0.0, 0.0);
    for (k, &(y, wi)) in pairs.iter().enumerate() {
        if w_left + wi < half {
            w_left += wi;
            wy_left += wi * y;
            continue;
        }
        if w_left + wi == half {
            let median = 0.5 * (y + pairs[k + 1].0);
            return (median, pinball(median, (half, wy_left + wi * y), (w, wy)));
        }
        return (y, pinball(y, (w_left, wy_left), (w, wy)));
    }
    (f64::NAN, 0.0)
}

/// Weighted median and absolute error of the targets of `rows`.
pub(crate) fn median_error_of(data: &TrainSet<'_>, rows: impl Iterator<Item = u32>) -> (f64, f64) {
    let t = data.targets.expect("regression");
    let mut pairs: Vec<(f64, f64)> = rows
        .map(|r| (t[r as usize], data.weights[r as usize]))
        .collect();
    median_and_error(&mut pairs)
}

impl AbsoluteScratch {
    /// Ranks the targets of a node's `rows` (before its features are
    /// searched).
    pub(crate) fn rank(&mut self, data: &TrainSet<'_>, rows: &[u32]) {
        let t = data.targets.expect("regression");
        self.key_of.resize(data.n, (0.0, 0));
        let mut keyed: Vec<(f64, u32)> = rows.iter().map(|&r| (t[r as usize], r)).collect();
        keyed.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        self.sorted_y.clear();
        for (k, &(y, r)) in keyed.iter().enumerate() {
            self.key_of[r as usize] = (y, k as u32);
            self.sorted_y.push(y);
        }
    }

    /// Fills the prefix and suffix errors of the samples of `order` read
    /// in `lay`'s order up to `end` (`unit`: every weight is 1).
    pub(crate) fn passes(
        &mut self,
        data: &TrainSet<'_>,
        order: &[u32],
        unit: bool,
        (lay, end): (&Layout, usize),
    ) {
        if unit {
            self.passes_with::<true, false>(data, order, lay, end);
        } else {
            self.passes_with::<false, false>(data, order, lay, end);
        }
    }

    /// [`AbsoluteScratch::passes`], also filling the prefixes' and
    /// suffixes' medians (for monotonic constraints).
    pub(crate) fn passes_with_medians(
        &mut self,
        data: &TrainSet<'_>,
        order: &[u32],
        unit: bool,
        (lay, end): (&Layout, usize),
    ) {
        let m = end - lay.start;
        self.prefix_median.resize(m, 0.0);
        self.suffix_median.resize(m, 0.0);
        if unit {
            self.passes_with::<true, true>(data, order, lay, end);
        } else {
            self.passes_with::<false, true>(data, order, lay, end);
        }
    }

    fn passes_with<const UNIT: bool, const MEDIANS: bool>(
        &mut self,
        data: &TrainSet<'_>,
        order: &[u32],
        lay: &Layout,
        end: usize,
    ) {
        let s = self;
        let m = end - lay.start;
        let sample = |k: usize| order[lay.at(lay.start + k)] as usize;
        let weight = |smp: usize| if UNIT { 1.0 } else { data.weights[smp] };
        s.prefix.resize(m, 0.0);
        s.prefix_w.resize(m, 0.0);
        s.suffix.resize(m, 0.0);
        let AbsoluteScratch {
            key_of,
            sorted_y,
            sums,
            prefix,
            prefix_w,
            suffix,
            prefix_median,
            suffix_median,
        } = s;
        // The samples come in the feature's order, at random rows: their
        // keys are asked for ahead.
        let ahead = |k: usize| {
            if k < m {
                prefetch(&key_of[sample(k)]);
            }
        };
        sums.reset(m, UNIT);
        let mut w_run = 0.0;
        for k in 0..m {
            ahead(k + LOOKAHEAD);
            let smp = sample(k);
            let (y, rank) = key_of[smp];
            let w = weight(smp);
            sums.add::<UNIT>(rank as usize, y, w, sorted_y);
            w_run += w;
            prefix[k] = sums.error(sorted_y);
            prefix_w[k] = w_run;
            if MEDIANS {
                prefix_median[k] = sums.median(sorted_y);
            }
        }
        sums.reset(m, UNIT);
        for k in (0..m).rev() {
            if k >= LOOKAHEAD {
                ahead(k - LOOKAHEAD);
            }
            let smp = sample(k);
            let (y, rank) = key_of[smp];
            sums.add::<UNIT>(rank as usize, y, weight(smp), sorted_y);
            suffix[k] = sums.error(sorted_y);
            if MEDIANS {
                suffix_median[k] = sums.median(sorted_y);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The error about `m` computed term by term.
    fn direct_error(pairs: &[(f64, f64)], m: f64) -> f64 {
        pairs.iter().map(|&(y, w)| w * (y - m).abs()).sum()
    }

    #[test]
    fn medians_by_hand() {
        // Odd count: the middle value; 1 + 2 + 0 + 6 around 3.
        let (m, e) =
            median_and_error(&mut [(9.0, 1.0), (1.0, 1.0), (3.0, 1.0), (2.0, 1.0), (5.0, 1.0)]);
        assert_eq!((m, e), (3.0, 2.0 + 1.0 + 0.0 + 2.0 + 6.0));
        // Even count: half the weight exactly up to 2, so the midpoint 2.5.
        let (m, e) = median_and_error(&mut [(1.0, 1.0), (2.0, 1.0), (3.0, 1.0), (7.0, 1.0)]);
        assert_eq!((m, e), (2.5, 1.5 + 0.5 + 0.5 + 4.5));
        // Weighted: 10 has weight 3 of 5, beyond half at once.
        let (m, _) = median_and_error(&mut [(1.0, 1.0), (10.0, 3.0), (20.0, 1.0)]);
        assert_eq!(m, 10.0);
    }

    proptest! {
        /// The running median gives, for every prefix, the median and error
        /// of sorting that prefix; the median minimises the error.
        #[test]
        fn ranked_sums_agree_with_sorting(
            pairs in prop::collection::vec((-20i32..20, 1u8..4), 1..60),
        ) {
            let pairs: Vec<(f64, f64)> =
                pairs.iter().map(|&(y, w)| (f64::from(y) / 2.0, f64::from(w))).collect();
            let mut ranked: Vec<(f64, usize)> =
                pairs.iter().enumerate().map(|(i, p)| (p.0, i)).collect();
            ranked.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let mut rank_of = vec![0; pairs.len()];
            for (k, &(_, i)) in ranked.iter().enumerate() {
                rank_of[i] = k;
            }
            let sorted_y: Vec<f64> = ranked.iter().map(|r| r.0).collect();
            let mut sums = RankedMedian::default();
            sums.reset(pairs.len(), false);
            for (i, &(y, w)) in pairs.iter().enumerate() {
                sums.add::<false>(rank_of[i], y, w, &sorted_y);
                let mut prefix = pairs[..=i].to_vec();
                let (m, e) = median_and_error(&mut prefix);
                // Dyadic values and small integer weights: exact sums.
                prop_assert_eq!(sums.error(&sorted_y), e);
                prop_assert_eq!(direct_error(&prefix, m), e);
                for &(y, _) in &prefix {
                    prop_assert!(direct_error(&prefix, y) >= e);
                }
            }
            // Unit weights: the ranks' weights are their bits.
            let mut unit = RankedMedian::default();
            unit.reset(pairs.len(), true);
            for (i, &(y, _)) in pairs.iter().enumerate() {
                unit.add::<true>(rank_of[i], y, 1.0, &sorted_y);
                let mut prefix: Vec<(f64, f64)> = pairs[..=i].iter().map(|p| (p.0, 1.0)).collect();
                prop_assert_eq!(unit.error(&sorted_y), median_and_error(&mut prefix).1);
            }
        }
    }
}

#[cfg(test)]
mod split_tests {
    use ndarray::Array2;
    use proptest::prelude::*;

    use super::median_and_error;
    use crate::tree::cart::{Cart, CartCriterion};

    /// Σ w·|y − median| of the rows `rows` of (y, w).
    fn error_of(rows: &[(f64, f64)]) -> f64 {
        median_and_error(&mut rows.to_vec()).1
    }

    proptest! {
        /// The root split minimises the children's total absolute error over
        /// every threshold of every feature, missing values sent either way
        /// (searched here by brute force, medians by sorting).
        #[test]
        fn root_split_is_the_least_absolute_error(
            rows in prop::collection::vec((0u8..8, 0u8..5, -10i32..10, 1u8..4), 4..40),
            missing in prop::collection::vec(any::<bool>(), 40),
            weighted in any::<bool>(),
        ) {
            let n = rows.len();
            let x = Array2::from_shape_fn((n, 2), |(r, c)| match c {
                0 => f64::from(rows[r].0),
                _ if missing[r] => f64::NAN,
                _ => f64::from(rows[r].1),
            });
            let y: Vec<f64> = rows.iter().map(|r| f64::from(r.2)).collect();
            let w: Vec<f64> = rows.iter().map(|r| if weighted { f64::from(r.3) } else { 1.0 }).collect();
            let t = Cart::regressor()
                .criterion(CartCriterion::AbsoluteError)
                .max_depth(Some(1))
                .check()
                .unwrap()
                .fit(x.view(), &y, Some(&w))
                .unwrap();
            let mut best = f64::INFINITY;
            for f in 0..2 {
                let mut cuts: Vec<f64> = (0..n).map(|r| x[[r, f]]).filter(|v| !v.is_nan()).collect();
                cuts.sort_by(f64::total_cmp);
                cuts.dedup();
                for &cut in &cuts {
                    for missing_left in [false, true] {
                        let side = |r: usize| {
                            let v = x[[r, f]];
                            if v.is_nan() { missing_left } else { v <= cut }
                        };
                        let left: Vec<(f64, f64)> = (0..n).filter(|&r| side(r)).map(|r| (y[r], w[r])).collect();
                        let right: Vec<(f64, f64)> = (0..n).filter(|&r| !side(r)).map(|r| (y[r], w[r])).collect();
                        if !left.is_empty() && !right.is_empty() {
                            best = best.min(error_of(&left) + error_of(&right));
                        }
                    }
                }
            }
            let all: Vec<(f64, f64)> = y.iter().copied().zip(w.iter().copied()).collect();
            if t.node_count() == 1 {
                // No split: every feature constant, or no split lowers the
                // error (an improvement rounding below zero is refused, as
                // by scikit-learn).
                let root = median_and_error(&mut all.clone()).1;
                prop_assert!(best >= root - 1e-9 * (1.0 + root), "{} < {}", best, root);
            } else {
                let (l, r) = (t.children_left[0] as usize, t.children_right[0] as usize);
                let got = t.impurity[l] * t.weighted_n_node_samples[l]
                    + t.impurity[r] * t.weighted_n_node_samples[r];
                prop_assert!((got - best).abs() <= 1e-9 * (1.0 + best), "{} vs {}", got, best);
                let (median, error) = median_and_error(&mut all.clone());
                prop_assert_eq!(t.value.node(0)[0], median);
                prop_assert!((t.impurity[0] * t.weighted_n_node_samples[0] - error).abs() <= 1e-9);
            }
        }
    }
}
