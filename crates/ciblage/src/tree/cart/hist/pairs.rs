//! The search of a small node's features two at a time (squared error,
//! numeric features, no monotonic constraint): the features the draw would
//! search are listed first (a numeric feature's draw depends only on
//! whether it varies in the node), then scanned in pairs, both features'
//! running sums advancing in one loop. Each feature's left sum is a chain
//! of dependent additions; two chains side by side keep the core busy
//! where one leaves it waiting on each addition.
//!
//! The split found is the one the features' search one after the other
//! finds: each feature's sums run in the same order, each scan keeps its
//! first candidate of largest proxy above the best before the pair, and
//! the second feature's is kept only when strictly above the first's (as
//! when its scan starts from the best the first one left). A pair is
//! scanned only once some split is known (the node's first candidate is
//! taken whatever its proxy, see [`HistSplitter::search_rows`]).

use super::keys::{code, row};
use super::search::missing_side;
use super::*;

/// Nodes of at least this many rows are searched in pairs of features
/// (smaller ones keep the bound of the tiny nodes' search).
pub(super) const PAIR_ROWS: usize = 16;

/// One feature's result of a scan: key index, proxy, rows left.
type Found = Option<(usize, f64, usize)>;

impl HistSplitter<'_> {
    /// Whether the small node `start..end` is searched in pairs of
    /// features (see the module documentation), the fit having no
    /// monotonic constraint.
    pub(super) fn pairs_apply(&self, (start, end): (usize, usize)) -> bool {
        end - start >= PAIR_ROWS
            && self.criterion == CartCriterion::SquaredError
            && !self.data.categorical.iter().any(|&c| c)
    }

    /// Searches the features `order` (each varying in the node, in the
    /// order of the draw) of the small node `start..end` (keys ready);
    /// updates `best` as their search one after the other does.
    pub(super) fn search_in_pairs(
        &self,
        order: &[usize],
        range: (usize, usize),
        node: &NodeSummary,
        (s, best): (&mut Sums, &mut Option<Best>),
    ) {
        let m = range.1 - range.0;
        let complete = |f: usize| code(self.small.of(f, range)[m - 1]) != MISSING;
        let mut i = 0;
        while i < order.len() {
            let fa = order[i];
            let paired =
                best.is_some() && i + 1 < order.len() && complete(fa) && complete(order[i + 1]);
            if !paired {
                self.search_rows(fa, range, (node, None), (s, best));
                i += 1;
                continue;
            }
            let fb = order[i + 1];
            let current = best.as_ref().map_or(f64::NEG_INFINITY, |b| b.proxy);
            let (ka, kb) = (self.small.of(fa, range), self.small.of(fb, range));
            let found = if self.unit_weights {
                self.scan_pair::<true>((ka, kb), &node.sums, current)
            } else {
                self.scan_pair::<false>((ka, kb), &node.sums, current)
            };
            for (f, keys, found) in [(fa, ka, found.0), (fb, kb, found.1)] {
                let Some((j, proxy, n_left)) = found else {
                    continue;
                };
                if best.as_ref().is_none_or(|b| proxy > b.proxy) {
                    let next = (j + 1 < m).then(|| usize::from(code(keys[j + 1])));
                    *best = Some(self.cut_after(
                        f,
                        proxy,
                        (usize::from(code(keys[j])), next),
                        missing_side(false, false, (n_left, m)),
                    ));
                }
            }
            i += 2;
        }
    }

    /// The scans of two features without missing values in the node (keys
    /// `ka`, `kb`), each as [`Self::scan_rows_squared`] from the best
    /// proxy `current`: per feature, the first candidate of largest proxy
    /// above `current`, if any.
    fn scan_pair<const UNIT: bool>(
        &self,
        (ka, kb): (&[u16], &[u16]),
        node: &Sums,
        current: f64,
    ) -> (Found, Found) {
        let m = ka.len();
        let (total, w_node) = (node.total[0], node.w_node);
        let (ws, labels) = (&self.small.w, &self.small.label);
        let (mut la, mut wa) = (node.left[0], node.w_left);
        let (mut lb, mut wb) = (node.left[0], node.w_left);
        let take = |k: u16, left: &mut f64, w_left: &mut f64| {
            let i = row(k);
            if UNIT {
                *w_left += 1.0;
                *left += labels[i];
            } else {
                let w = ws[i];
                *w_left += w;
                *left += w * labels[i];
            }
        };
        let (min_leaf, min_weight) = (self.leaf.min_samples, self.leaf.min_weight);
        let first = min_leaf.max(1) - 1;
        let Some(last) = m.checked_sub(min_leaf.max(1) + 1) else {
            return (None, None);
        };
        for (&a, &b) in ka.iter().zip(kb).take(first) {
            take(a, &mut la, &mut wa);
            take(b, &mut lb, &mut wb);
        }
        let (mut best_a, mut best_b) = (current, current);
        let (mut found_a, mut found_b): (Found, Found) = (None, None);
        // A candidate of one feature at key j: the end of a bin, leaves
        // enough weight on each side and beats that feature's best.
        let offer =
            |j: usize, keys: &[u16], left: f64, w_left: f64, best: &mut f64, found: &mut Found| {
                if j + 1 >= m || code(keys[j + 1]) == code(keys[j]) {
                    return;
                }
                let w_right = w_node - w_left;
                if min_weight > 0.0 && (w_left < min_weight || w_right < min_weight) {
                    return;
                }
                let right = total - left;
                if !criterion::may_beat_squared(left, w_left, right, w_right, *best) {
                    return;
                }
                let proxy = left * left / w_left + right * right / w_right;
                if proxy > *best {
                    *best = proxy;
                    *found = Some((j, proxy, j + 1));
                }
            };
        for j in first..=last.min(m - 1) {
            take(ka[j], &mut la, &mut wa);
            take(kb[j], &mut lb, &mut wb);
            offer(j, ka, la, wa, &mut best_a, &mut found_a);
            offer(j, kb, lb, wb, &mut best_b, &mut found_b);
        }
        (found_a, found_b)
    }
}

#[cfg(test)]
mod tests {
    use crate::tree::cart::{Cart, CartSplitter};
    use ndarray::Array2;
    use proptest::prelude::*;

    proptest! {
        /// Fully grown regression trees with six features (nodes of 16 to
        /// 255 rows searched in pairs of features), weighted or not, some
        /// features with missing values: with no more distinct values than
        /// bins and whole targets and weights (sums exact in any order),
        /// the histogram splitter finds the exact splitter's tree, whose
        /// features are searched one after the other (ties between
        /// features included: few distinct targets).
        #[test]
        fn pairs_find_the_exact_tree(
            rows in prop::collection::vec(
                (prop::array::uniform6(0u8..40), -9i8..9, 1u8..4), 20..600),
            missing in prop::collection::vec(any::<bool>(), 600),
            (weighted, with_missing, min_leaf) in (any::<bool>(), any::<bool>(), 1usize..4),
        ) {
            let x = Array2::from_shape_fn((rows.len(), 6), |(r, c)| {
                if with_missing && c == 4 && missing[r] {
                    f64::NAN
                } else {
                    f64::from(rows[r].0[c])
                }
            });
            let y: Vec<f64> = rows.iter().map(|r| f64::from(r.1)).collect();
            let w: Vec<f64> = rows.iter().map(|r| f64::from(r.2)).collect();
            let fit = |s: CartSplitter| {
                Cart::regressor().min_samples_leaf(min_leaf).splitter(s).seed(11)
                    .check().unwrap().with_single_stream()
                    .fit(x.view(), &y, weighted.then_some(&w[..])).unwrap()
            };
            let exact = fit(CartSplitter::Exact);
            let hist = fit(CartSplitter::Histogram { max_bins: 64 });
            prop_assert_eq!(&exact.children_left, &hist.children_left);
            prop_assert_eq!(&exact.feature, &hist.feature);
            prop_assert_eq!(&exact.threshold, &hist.threshold);
            prop_assert_eq!(&exact.missing_go_to_left, &hist.missing_go_to_left);
            prop_assert_eq!(&exact.n_node_samples, &hist.n_node_samples);
            prop_assert_eq!(&exact.impurity, &hist.impurity);
        }
    }
}
