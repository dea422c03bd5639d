//! The best splitter's presorted orders of several outputs: per feature,
//! the samples sorted once by value at the root (the exact splitter's
//! [`Orders`]), every node one range of positions, the same in every
//! feature and in the splitter's `samples`; a split partitions each
//! feature's range stably, so that each child's range stays sorted.
//!
//! Where a feature's values in a node are distinct, its sorted order is the
//! one scikit-learn's sort yields; where some are equal, scikit-learn's
//! order of the equal ones is that of its introsort, which the splitter
//! then runs itself, unless the sums are exact ([`exact_sums`]): then the
//! order of the samples changes no sum, no candidate and no node.

use crate::tree::cart::exact::{partition_stable, Orders};
use crate::tree::cart::multi::stats::Outputs;
use crate::tree::cart::params::CartCriterion;
use crate::tree::cart::shared::data::TrainSet;
use crate::tree::cart::shared::limits::Limits;

#[cfg(test)]
thread_local! {
    /// Tests: the best splitter sorts every feature at every node as
    /// scikit-learn does, reading no presorted order.
    pub(crate) static SORT_EVERY_FEATURE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether the best splitter reads presorted orders (always, outside
/// tests).
pub(crate) fn presorting() -> bool {
    #[cfg(test)]
    return !SORT_EVERY_FEATURE.with(std::cell::Cell::get);
    #[cfg(not(test))]
    true
}

/// Largest integer below which every integer is an f64 (2^53).
const EXACT_LIMIT: f64 = 9_007_199_254_740_992.0;

/// Whether every sum the search adds (weights, class weights, w·y, w·y²)
/// is an integer below 2^53, so exact in any order: classification (Gini,
/// entropy) with integer weights, or the squared error with integer
/// weights and targets.
pub(crate) fn exact_sums(data: &TrainSet<'_>, outputs: &Outputs, criterion: CartCriterion) -> bool {
    let integral = |v: f64| v.is_finite() && v == v.trunc();
    let w = &data.weights;
    if !w.iter().all(|&v| integral(v) && v >= 0.0) || w.iter().sum::<f64>() >= EXACT_LIMIT {
        return false;
    }
    match (outputs, criterion) {
        (Outputs::Classes { .. }, CartCriterion::Gini | CartCriterion::Entropy) => true,
        (Outputs::Values { y, k }, CartCriterion::SquaredError) => {
            let (mut abs, mut sq) = (0.0, 0.0);
            for (row, &wi) in y.chunks(*k).zip(w) {
                for &v in row {
                    if !integral(v) {
                        return false;
                    }
                    abs += wi * v.abs();
                    sq += wi * v * v;
                }
            }
            abs < EXACT_LIMIT && sq < EXACT_LIMIT
        }
        _ => false,
    }
}

/// Whether one of two children at `depth`, of `sizes` samples and
/// `impurities` as their parent computed them, may be searched: false
/// when the growth surely stops both before any search (their depth,
/// their numbers of samples, or pure in every output), so that the
/// presorted orders need not follow the split.
pub(crate) fn some_child_searched(
    lim: &Limits,
    depth: usize,
    sizes: (usize, usize),
    impurities: (f64, f64),
) -> bool {
    let surely_leaf = |n: usize, impurity: f64| {
        !lim.below_max_depth(depth)
            || n < lim.min_samples_split
            || n < 2 * lim.leaf.min_samples
            || impurity <= f64::EPSILON
    };
    !surely_leaf(sizes.0, impurities.0) || !surely_leaf(sizes.1, impurities.1)
}

/// See the module documentation.
pub(crate) struct Presorted {
    orders: Orders,
    /// The sums are exact in any order (see [`exact_sums`]).
    pub exact: bool,
}

impl Presorted {
    /// Every feature of `data` sorted over `rows` (ascending; missing
    /// values last).
    pub(crate) fn new(data: &TrainSet<'_>, rows: &[u32], exact: bool) -> Self {
        let mut orders = Orders::empty(data.d);
        orders.presort(data, rows, false, &[]);
        orders.goes_left = vec![false; data.n];
        Self { orders, exact }
    }

    /// The samples of positions `start..end` in `feature`'s order, and
    /// their values.
    #[inline]
    pub(crate) fn feature(&self, feature: usize, (start, end): (usize, usize)) -> (&[u32], &[f32]) {
        (
            &self.orders.sorted[feature][start..end],
            &self.orders.values[feature][start..end],
        )
    }

    /// Splits every feature's range `start..end` into the samples of
    /// `samples[start..pos]` then the others, each side in its order.
    pub(crate) fn partition(&mut self, samples: &[u32], (start, pos, end): (usize, usize, usize)) {
        let o = &mut self.orders;
        for &s in &samples[start..pos] {
            o.goes_left[s as usize] = true;
        }
        for (order, values) in o.sorted.iter_mut().zip(&mut o.values) {
            partition_stable(
                (&mut order[start..end], &mut values[start..end]),
                (&mut o.buf, &mut o.vbuf),
                &o.goes_left,
                true,
            );
        }
        for &s in &samples[start..pos] {
            o.goes_left[s as usize] = false;
        }
    }
}
