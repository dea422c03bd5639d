//! Depth-first growth of the exact splitter from the top without presorting
//! every feature: nodes of more than a quarter of the samples keep only
//! their rows (ascending within each node), and each feature searched in
//! such a node is sorted there, by value then row, which is the order the
//! presorted orders would hold (they are stable partitions of the root's).
//! The first node of at most a quarter of the samples met presorts its own
//! rows and grows its whole subtree from them, drawing features from the
//! same generator; the buffers of the top are given back meanwhile (see
//! `ExactSplitter::grow_presorted`).
//!
//! Memory: the top holds 4 bytes per sample for the rows, and, while a node
//! is searched, one feature's order and values and its sort (about 24 bytes
//! per sample); a subtree's presort takes 8 bytes per value of its rows, at
//! most a quarter of all. Presorting everything would take 8 bytes per
//! value of all rows.

use crate::tree::cart::exact::orders::{sorted_by_value, Orders};
use crate::tree::cart::shared::data::TrainSet;

/// See the module documentation.
#[derive(Debug, Default)]
pub(crate) struct TopRows {
    /// The rows of every node not yet grown, ascending within each node.
    pub rows: Vec<u32>,
    /// Nodes of at most this many samples presort their rows.
    most: usize,
    /// Buffers of the feature shown (moved into the orders of that
    /// feature while it is).
    order: Vec<u32>,
    values: Vec<f32>,
}

impl TopRows {
    /// The top over `rows` (ascending): the root.
    pub(crate) fn new(rows: Vec<u32>) -> Self {
        Self {
            most: rows.len() / 4,
            rows,
            order: Vec::new(),
            values: Vec::new(),
        }
    }

    /// Fills the order and values of `feature` in `orders` at the
    /// positions of the node `start..end`.
    pub(crate) fn show(
        &mut self,
        orders: &mut Orders,
        data: &TrainSet<'_>,
        feature: usize,
        (start, end): (usize, usize),
    ) {
        let n = self.rows.len();
        let (mut order, mut values) = (
            std::mem::take(&mut self.order),
            std::mem::take(&mut self.values),
        );
        order.resize(n, 0);
        values.resize(n, 0.0);
        if orders.buf.len() < n {
            orders.buf.resize(n, 0);
            orders.vbuf.resize(n, 0.0);
        }
        let keyed = sorted_by_value(data, feature, &self.rows[start..end]);
        for (k, &(v, r)) in keyed.iter().enumerate() {
            order[start + k] = r;
            values[start + k] = v;
        }
        orders.sorted[feature] = order;
        orders.values[feature] = values;
    }

    /// Takes back the buffers `show` filled.
    pub(crate) fn hide(&mut self, orders: &mut Orders, feature: usize) {
        self.order = std::mem::take(&mut orders.sorted[feature]);
        self.values = std::mem::take(&mut orders.values[feature]);
    }

    /// Splits the rows of the node `start..end` into those flagged in
    /// `orders.goes_left` and the others, each side ascending.
    pub(crate) fn partition(&mut self, orders: &mut Orders, (start, end): (usize, usize)) {
        let rows = &mut self.rows;
        let (mut l, mut r) = (start, 0);
        for k in start..end {
            let smp = rows[k];
            let left = usize::from(orders.goes_left[smp as usize]);
            rows[l] = smp;
            orders.buf[r] = smp;
            l += left;
            r += 1 - left;
        }
        rows[l..end].copy_from_slice(&orders.buf[..r]);
    }

    /// Whether a node of `m` samples presorts its own rows; if so, the
    /// top's buffers are given back while its subtree grows.
    pub(crate) fn hands_over(&mut self, m: usize, orders: &mut Orders) -> bool {
        if m > self.most {
            return false;
        }
        self.order = Vec::new();
        self.values = Vec::new();
        orders.buf = Vec::new();
        orders.vbuf = Vec::new();
        true
    }
}
#[cfg(test)]
mod tests {
    use ndarray::Array2;
    use proptest::prelude::*;

    use crate::tree::cart::{Cart, CartCriterion, CartSplitter};

    proptest! {
        /// Growing from the top (features sorted in each large node, small
        /// subtrees presorted) gives the tree of presorting every feature at
        /// the root: same nodes, splits, thresholds, impurities and values,
        /// for every criterion, with weights, missing values, categorical
        /// features, feature draws and the depth and size limits.
        #[test]
        fn growing_from_the_top_is_presorting_everything(
            rows in prop::collection::vec(
                (0u16..60, 0u8..6, -40i32..40, 0u8..4, 1u8..4, 0u8..9), 8..500),
            missing in prop::collection::vec(any::<bool>(), 500),
            (criterion, depth, min_leaf) in (0usize..6, prop::option::of(1usize..12), 1usize..4),
            (weighted, categorical, max_features, seed) in
                (any::<bool>(), any::<bool>(), prop::option::of(1usize..4), any::<u32>()),
        ) {
            let n = rows.len();
            let x = Array2::from_shape_fn((n, 3), |(r, c)| match c {
                0 => f64::from(rows[r].0) * 0.5,
                1 if missing[r] => f64::NAN,
                1 => f64::from(rows[r].1),
                _ => f64::from(rows[r].2) / 3.0,
            });
            let w: Vec<f64> = rows.iter().map(|r| f64::from(r.4)).collect();
            let w = weighted.then_some(&w[..]);
            let crit = [
                CartCriterion::Gini,
                CartCriterion::Entropy,
                CartCriterion::SquaredError,
                CartCriterion::Poisson,
                CartCriterion::Gini,
                CartCriterion::AbsoluteError,
            ][criterion];
            // The absolute error splits numeric features only.
            let categorical = categorical && crit != CartCriterion::AbsoluteError;
            macro_rules! configured {
                ($base:expr) => {
                    $base
                        .criterion(crit)
                        .max_depth(depth)
                        .min_samples_leaf(min_leaf)
                        .max_features(max_features)
                        .categorical_features(if categorical { vec![1] } else { vec![] })
                        .splitter(CartSplitter::Exact)
                        .seed(seed)
                        .check()
                        .unwrap()
                };
            }
            let (top, whole) = if crit.is_regression() {
                let params = configured!(Cart::regressor());
                let y: Vec<f64> = rows.iter().map(|r| f64::from(r.5)).collect();
                (
                    params.fit(x.view(), &y, w).unwrap(),
                    params.clone().with_whole_presort().fit(x.view(), &y, w).unwrap(),
                )
            } else {
                let params = configured!(Cart::classifier());
                let y: Vec<u32> = rows.iter().map(|r| u32::from(r.3)).collect();
                (
                    params.fit(x.view(), &y, 4, w).unwrap(),
                    params.clone().with_whole_presort().fit(x.view(), &y, 4, w).unwrap(),
                )
            };
            prop_assert_eq!(&top.children_left, &whole.children_left);
            prop_assert_eq!(&top.children_right, &whole.children_right);
            prop_assert_eq!(&top.feature, &whole.feature);
            prop_assert_eq!(&top.threshold, &whole.threshold);
            prop_assert_eq!(&top.missing_go_to_left, &whole.missing_go_to_left);
            prop_assert_eq!(&top.categories, &whole.categories);
            prop_assert_eq!(&top.n_node_samples, &whole.n_node_samples);
            prop_assert_eq!(&top.weighted_n_node_samples, &whole.weighted_n_node_samples);
            // The large nodes' sums run in row order (as scikit-learn's at
            // the root), the presorted ones in the first feature's order:
            // the root's impurity and those nodes' means may round apart.
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1.0);
            for (a, b) in top.impurity.iter().zip(&whole.impurity) {
                prop_assert!(close(*a, *b), "impurity {} vs {}", a, b);
            }
            for (a, b) in top.value.as_flat().iter().zip(whole.value.as_flat()) {
                prop_assert!(close(*a, *b), "value {} vs {}", a, b);
            }
        }
    }
}
