//! The split search of a small node from its sorted keys (see
//! [`super::small`]): a feature's left sums grown row by row, a candidate
//! taken at the end of each bin. The candidates, their order and their
//! thresholds are those of the histogram search (see [`super::search`]).

use super::keys::{code, row};
use super::search::{admitted, missing_side};
use super::*;
use crate::tree::cart::shared::monotonic::Bounds;

/// One pass over a feature's sorted keys.
struct RowPass<'k> {
    keys: &'k [u16],
    n_present: usize,
    has_missing: bool,
    missing_first: bool,
    /// A monotonic constraint on the feature (sign, node's bounds).
    constraint: Option<(i8, Bounds)>,
}

impl RowPass<'_> {
    /// Whether a candidate split follows the `j`-th present row: it ends
    /// a bin, and something is left for the right side.
    fn ends_candidate(&self, j: usize) -> bool {
        if j + 1 < self.n_present {
            code(self.keys[j + 1]) != code(self.keys[j])
        } else {
            self.has_missing && !self.missing_first
        }
    }
}

/// Nodes of at most this many rows bound the squared-error proxy of any
/// split before their features are searched (see
/// [`HistSplitter::best_possible_squared`]).
const BOUNDED_ROWS: usize = 8;

/// The largest squared-error proxy (`L²/w_L + R²/w_R`) of any partition of
/// `rows` (target, weight; at least two, weights positive) into two
/// non-empty groups, when only one partition reaches it; the rows are
/// sorted by target.
///
/// Every best two-group partition of weighted values on a line leaves the
/// smaller values on one side (Fisher, 1958: a value nearer the other
/// group's mean would lower the squared error by moving), so it is a cut of
/// the rows sorted by target. When the best cut falls between distinct
/// targets and no other cut comes within rounding of it (a relative 1e-9),
/// that partition is the only best one.
fn best_partition_squared(rows: &mut [(f64, f64)]) -> Option<f64> {
    let m = rows.len();
    rows.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let (total, w_node) = rows
        .iter()
        .fold((0.0, 0.0), |(s, w), &(y, wi)| (s + wi * y, w + wi));
    let (mut left, mut w_left) = (0.0, 0.0);
    let (mut best, mut second, mut cut) = (f64::NEG_INFINITY, f64::NEG_INFINITY, 0);
    for (c, &(y, w)) in rows[..m - 1].iter().enumerate() {
        left += w * y;
        w_left += w;
        let right = total - left;
        let proxy = left * left / w_left + right * right / (w_node - w_left);
        if proxy > best {
            (second, best, cut) = (best, proxy, c);
        } else {
            second = second.max(proxy);
        }
    }
    let alone = second < best * (1.0 - 1e-9) && rows[cut].0 < rows[cut + 1].0;
    alone.then_some(best)
}

impl HistSplitter<'_> {
    /// The largest squared-error proxy of any split of the node
    /// `start..end` (at most [`BOUNDED_ROWS`] rows) into two non-empty
    /// sides, whichever the feature, when one partition alone reaches it
    /// (see [`best_partition_squared`]). Once a feature's split reaches
    /// it, no later feature can do better, and the node's other features
    /// are only checked for being constant: the feature draws stay those of
    /// a full search, and so does the partition chosen (the feature making
    /// it is the first drawn, where a full search could keep a later one
    /// whose sums round higher).
    pub(super) fn best_possible_squared(&self, range: (usize, usize)) -> Option<f64> {
        let mut rows = [(0.0f64, 0.0f64); BOUNDED_ROWS];
        let mut m = 0;
        self.for_each_row(range, |w, y| {
            rows[m] = (y, w);
            m += 1;
        });
        best_partition_squared(&mut rows[..m])
    }

    /// Tiny nodes (squared error, at most [`BOUNDED_ROWS`] rows): the
    /// best proxy any split can reach, when one split alone reaches it,
    /// less the rounding of another order of sums; else infinity.
    pub(super) fn ceiling(&self, (start, end): (usize, usize)) -> f64 {
        if self.criterion != CartCriterion::SquaredError || end - start > BOUNDED_ROWS {
            return f64::INFINITY;
        }
        self.best_possible_squared((start, end))
            .map_or(f64::INFINITY, |u| u * (1.0 - 1e-12))
    }

    /// Whether numeric feature `f` varies in the node `start..end` (keys
    /// ready), as [`Self::search_rows`] finds it, without searching it.
    pub(super) fn varies_in_rows(&self, f: usize, range: (usize, usize)) -> bool {
        let keys = self.small.of(f, range);
        code(keys[0]) != code(keys[keys.len() - 1])
    }

    /// Searches feature `f` of the node `start..end` (fewer than
    /// [`SMALL_ROWS`] rows, keys ready) from its rows; updates `best`.
    /// Returns false when the feature is constant in the node.
    pub(super) fn search_rows(
        &self,
        f: usize,
        (start, end): (usize, usize),
        (node, constraint): (&NodeSummary, Option<(i8, Bounds)>),
        (s, best): (&mut Sums, &mut Option<Best>),
    ) -> bool {
        let m = end - start;
        if self.data.categorical[f] {
            let h = self.small_hist(f, (start, end));
            return self.search_categorical(f, (&h.e, h.range(0)), node, m, best);
        }
        let keys = self.small.of(f, (start, end));
        if m == 2 && self.criterion == CartCriterion::SquaredError && constraint.is_none() {
            return self.search_pair(f, keys, node, best);
        }
        let n_missing = keys
            .iter()
            .rev()
            .take_while(|&&k| code(k) == MISSING)
            .count();
        let n_present = m - n_missing;
        let has_missing = n_missing > 0;
        if n_present == 0 || (!has_missing && code(keys[0]) == code(keys[n_present - 1])) {
            return false;
        }
        for missing_first in [false, true].into_iter().take(1 + usize::from(has_missing)) {
            let pass = RowPass {
                keys,
                n_present,
                has_missing,
                missing_first,
                constraint,
            };
            let current = best.as_ref().map(|b| b.proxy);
            let found = match self.criterion {
                _ if constraint.is_some() => self.scan_rows(&pass, (&node.sums, s), current),
                CartCriterion::SquaredError => self.scan_rows_squared(&pass, &node.sums, current),
                CartCriterion::Gini if self.width == 2 => {
                    self.scan_rows_gini2(&pass, &node.sums, current)
                }
                _ => self.scan_rows(&pass, (&node.sums, s), current),
            };
            let Some((j, proxy, n_left)) = found else {
                continue;
            };
            let next = (j + 1 < n_present).then(|| usize::from(code(keys[j + 1])));
            *best = Some(self.cut_after(
                f,
                proxy,
                (usize::from(code(keys[j])), next),
                missing_side(has_missing, missing_first, (n_left, m)),
            ));
        }
        true
    }

    /// [`Self::search_rows`] for two rows and the squared error: the one
    /// candidate, lower bin left (the higher one may be the missing
    /// values'), as the general search finds it.
    fn search_pair(
        &self,
        f: usize,
        keys: &[u16],
        node: &NodeSummary,
        best: &mut Option<Best>,
    ) -> bool {
        let (a, b) = (keys[0], keys[1]);
        let (low, high) = (code(a), code(b));
        if low == high {
            return false;
        }
        let (w_a, w_b) = (self.small.w[row(a)], self.small.w[row(b)]);
        if self.leaf.min_samples > 1 || w_a < self.leaf.min_weight || w_b < self.leaf.min_weight {
            return true;
        }
        let s = &node.sums;
        let left = s.left[0] + w_a * self.small.label[row(a)];
        let w_left = s.w_left + w_a;
        let right = s.total[0] - left;
        let w_right = s.w_node - w_left;
        let proxy = left * left / w_left + right * right / w_right;
        if best.as_ref().is_none_or(|c| proxy > c.proxy) {
            let next = (high != MISSING).then_some(usize::from(high));
            *best = Some(self.cut_after(f, proxy, (usize::from(low), next), false));
        }
        true
    }

    /// One pass of the row search, any criterion: the candidate (key
    /// index, proxy, rows left) that beats `current` and every candidate
    /// before it, if any (the first of equal ones is kept).
    fn scan_rows(
        &self,
        p: &RowPass<'_>,
        (node, s): (&Sums, &mut Sums),
        mut current: Option<f64>,
    ) -> Option<(usize, f64, usize)> {
        s.reset_from(node);
        let n_node = p.keys.len();
        let (ws, labels) = (&self.small.w, &self.small.label);
        let regression = self.criterion.is_regression();
        let take = |s: &mut Sums, j: usize| {
            let i = row(p.keys[j]);
            let w = ws[i];
            s.w_left += w;
            if regression {
                s.left[0] += w * labels[i];
            } else {
                s.left[labels[i] as usize] += w;
            }
        };
        let n_missing_left = if p.missing_first {
            (p.n_present..n_node).for_each(|j| take(s, j));
            n_node - p.n_present
        } else {
            0
        };
        let mut found = None;
        for j in 0..p.n_present {
            take(s, j);
            if !p.ends_candidate(j) {
                continue;
            }
            let n_left = j + 1 + n_missing_left;
            if p.constraint.is_some_and(|c| !admitted(c, s)) {
                continue;
            }
            self.offer(s, (j, n_left, n_node - n_left), &mut current, &mut found);
        }
        found
    }

    /// [`Self::scan_rows`] for Gini with two classes, on scalars (the
    /// proxy of [`criterion::gini2_proxy`]).
    fn scan_rows_gini2(
        &self,
        p: &RowPass<'_>,
        node: &Sums,
        mut current: Option<f64>,
    ) -> Option<(usize, f64, usize)> {
        let n_node = p.keys.len();
        let (total, w_node) = ([node.total[0], node.total[1]], node.w_node);
        let mut left = [node.left[0], node.left[1]];
        let mut w_left = node.w_left;
        let (ws, labels) = (&self.small.w, &self.small.label);
        let mut take = |j: usize| {
            let i = row(p.keys[j]);
            let w = ws[i];
            w_left += w;
            left[usize::from(labels[i] != 0.0)] += w;
            (left, w_left)
        };
        let n_missing_left = if p.missing_first {
            (p.n_present..n_node).for_each(|j| {
                take(j);
            });
            n_node - p.n_present
        } else {
            0
        };
        let (min_leaf, min_weight) = (self.leaf.min_samples, self.leaf.min_weight);
        let mut found = None;
        for j in 0..p.n_present {
            let (left, w_left) = take(j);
            if !p.ends_candidate(j) {
                continue;
            }
            let n_left = j + 1 + n_missing_left;
            let w_right = w_node - w_left;
            if n_left < min_leaf
                || n_node - n_left < min_leaf
                || w_left < min_weight
                || w_right < min_weight
            {
                continue;
            }
            let proxy = criterion::gini2_proxy(left, total, w_left, w_right);
            if current.is_none_or(|c| proxy > c) {
                current = Some(proxy);
                found = Some((j, proxy, n_left));
            }
        }
        found
    }

    /// [`Self::scan_rows`] for the squared error, on scalars (the proxy of
    /// [`criterion::proxy`]).
    fn scan_rows_squared(
        &self,
        p: &RowPass<'_>,
        node: &Sums,
        current: Option<f64>,
    ) -> Option<(usize, f64, usize)> {
        if self.unit_weights {
            self.scan_rows_squared_by::<true>(p, node, current)
        } else {
            self.scan_rows_squared_by::<false>(p, node, current)
        }
    }

    /// [`Self::scan_rows_squared`]; with `UNIT` weights, the left weight
    /// is the count of rows taken (the same sum of ones) and each target
    /// is added as it is (the same as times 1).
    fn scan_rows_squared_by<const UNIT: bool>(
        &self,
        p: &RowPass<'_>,
        node: &Sums,
        mut current: Option<f64>,
    ) -> Option<(usize, f64, usize)> {
        let n_node = p.keys.len();
        let (total, w_node) = (node.total[0], node.w_node);
        let (mut left, mut w_left) = (node.left[0], node.w_left);
        let (ws, labels) = (&self.small.w, &self.small.label);
        let mut take = |j: usize| {
            let i = row(p.keys[j]);
            if UNIT {
                w_left += 1.0;
                left += labels[i];
            } else {
                let w = ws[i];
                w_left += w;
                left += w * labels[i];
            }
            (left, w_left)
        };
        let n_missing_left = if p.missing_first {
            (p.n_present..n_node).for_each(|j| {
                take(j);
            });
            n_node - p.n_present
        } else {
            0
        };
        let (min_leaf, min_weight) = (self.leaf.min_samples, self.leaf.min_weight);
        // Candidates leave at least `min_leaf` rows on each side: the one
        // after key j has j + 1 + n_missing_left rows left.
        let first = (min_leaf.max(1) - 1).saturating_sub(n_missing_left);
        let last = (n_node - n_missing_left)
            .checked_sub(min_leaf.max(1) + 1)?
            .min(p.n_present - 1);
        (0..first.min(p.n_present)).for_each(|j| {
            take(j);
        });
        let mut found = None;
        let mut best = current.unwrap_or(f64::NEG_INFINITY);
        for j in first..=last {
            let (left, w_left) = take(j);
            if !p.ends_candidate(j) {
                continue;
            }
            let w_right = w_node - w_left;
            if min_weight > 0.0 && (w_left < min_weight || w_right < min_weight) {
                continue;
            }
            let right = total - left;
            if !criterion::may_beat_squared(left, w_left, right, w_right, best) {
                continue;
            }
            let proxy = left * left / w_left + right * right / w_right;
            if proxy > best || (current.is_none() && found.is_none()) {
                best = proxy;
                current = Some(proxy);
                found = Some((j, proxy, j + 1 + n_missing_left));
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Against every partition of up to 8 weighted targets: when a bound
        /// is given, it is the largest proxy of all partitions, and no other
        /// partition comes within 1e-9 of it.
        #[test]
        fn the_bound_is_the_only_best_partition(
            rows in prop::collection::vec((-20i32..20, 1u8..4), 2..=BOUNDED_ROWS),
            scale in prop_oneof![Just(1.0), Just(0.37)],
        ) {
            let rows: Vec<(f64, f64)> =
                rows.iter().map(|&(y, w)| (f64::from(y) * scale, f64::from(w))).collect();
            let m = rows.len();
            let mut proxies = Vec::new();
            // Row 0 on the left: each partition once.
            for mask in 0u32..(1 << (m - 1)) {
                let left = |i: usize| i == 0 || mask >> (i - 1) & 1 == 1;
                if (0..m).all(left) {
                    continue;
                }
                let (mut l, mut wl, mut r, mut wr) = (0.0, 0.0, 0.0, 0.0);
                for (i, &(y, w)) in rows.iter().enumerate() {
                    if left(i) { (l, wl) = (l + w * y, wl + w) } else { (r, wr) = (r + w * y, wr + w) }
                }
                proxies.push(l * l / wl + r * r / wr);
            }
            proxies.sort_by(|a, b| b.total_cmp(a));
            let mut sorted = rows.clone();
            if let Some(bound) = best_partition_squared(&mut sorted) {
                prop_assert!((bound - proxies[0]).abs() <= 1e-12 * proxies[0].abs().max(1.0));
                if proxies.len() > 1 {
                    prop_assert!(proxies[1] < proxies[0] * (1.0 - 1e-10));
                }
            }
        }
    }

    #[test]
    fn ties_give_no_bound() {
        // Two best cuts: 0 | 1, 2 and 0, 1 | 2 (both 4.5); weighted,
        // 0 | 5, 5, 10 and 0, 5, 5 | 10 (both 320).
        assert_eq!(
            best_partition_squared(&mut [(0.0, 1.0), (1.0, 1.0), (2.0, 1.0)]),
            None
        );
        let weighted = &mut [(0.0, 3.0), (5.0, 1.0), (5.0, 1.0), (10.0, 3.0)];
        assert_eq!(best_partition_squared(weighted), None);
        // 0 | 10, 11: the only best partition.
        let bound = best_partition_squared(&mut [(11.0, 1.0), (0.0, 1.0), (10.0, 1.0)]);
        assert_eq!(bound, Some(441.0 / 2.0));
    }
}
