//! scikit-learn's arithmetic where it is not the candidates' sums: the
//! Poisson proxy, the size of a proxy's terms (for near ties), and the
//! children's impurities of a split.
//!
//! scikit-learn's Poisson proxy takes its logarithms in base 2 (its
//! `log`, ln(x)/ln(2)): the same order between candidates as natural
//! logarithms in exact arithmetic, but rounded otherwise, so that near
//! ties are settled in it.
//!
//! A proxy is a sum of terms that can cancel (Gini and entropy: both
//! children pure, the proxy is rounding noise around 0; Poisson: children's
//! means on either side of 1): its near ties are then measured against the
//! size of its terms, not its own.
//!
//! scikit-learn does not sum a child afresh for its impurity: once the
//! node is partitioned by its best split, it sums the smaller side one
//! sample after the other (`reset`, `update`, as for a candidate), takes
//! the other side as the node's sums minus those, and reads the
//! impurities off these sums (Σ w·y² of the left side summed afresh under
//! the squared error; the Poisson losses over each side's samples). Those
//! impurities are the children's in the tree, and a child whose impurity
//! is at most `f64::EPSILON` is a leaf. Where sums can round (weighted
//! classes, real targets) a pure child's impurity is then rounding noise,
//! below `f64::EPSILON` or above it as the sums round: the splits of such
//! children, and so the trees, follow scikit-learn's only when the
//! impurities are computed as there, in its order (see [`super::ties`]).

use super::{NodeSearch, RandomSplitter};
use crate::tree::cart::params::CartCriterion;
use crate::tree::cart::shared::criterion::{self, Sums};
use crate::tree::cart::shared::data::TrainSet;

/// scikit-learn's `log`: ln(x)/ln(2).
fn log2(x: f64) -> f64 {
    x.ln() / 2.0f64.ln()
}

/// The proxy of the candidate summed in `s` in scikit-learn's arithmetic:
/// [`criterion::proxy`], but for Poisson's base-2 logarithms (and its
/// terms' order: −(−L·log₂ ȳ_L) − (−R·log₂ ȳ_R)).
pub(super) fn sk_proxy_of(c: CartCriterion, s: &Sums) -> f64 {
    if c != CartCriterion::Poisson {
        return criterion::proxy(c, s);
    }
    let (left, right) = (s.left[0], s.total[0] - s.left[0]);
    if left <= f64::EPSILON || right <= f64::EPSILON {
        return f64::NEG_INFINITY;
    }
    let proxy_left = 0.0 - left * log2(left / s.w_left);
    let proxy_right = 0.0 - right * log2(right / (s.w_node - s.w_left));
    -proxy_left - proxy_right
}

impl RandomSplitter<'_> {
    /// The size of the terms of the node's proxies where they can cancel:
    /// the node's weight under Gini and entropy (each child's term is its
    /// weight times an impurity of at most log₂ of the classes), its
    /// weight and |Σ w·y| under Poisson; 0 under the squared error (two
    /// non-negative terms: a proxy is as large as its terms).
    pub(super) fn tie_scale(&self, node: &NodeSearch<'_>) -> f64 {
        let s = node.base;
        match self.criterion {
            CartCriterion::SquaredError | CartCriterion::AbsoluteError => 0.0,
            CartCriterion::Poisson => s.w_node + s.total[0].abs(),
            CartCriterion::Gini | CartCriterion::Entropy => s.w_node,
        }
    }

    /// Σ w·y² of the node `start..end` in scikit-learn's order as the node
    /// starts (its `init`), under the squared error (0 otherwise).
    pub(super) fn sk_square_sum(&self, (start, end): (usize, usize)) -> f64 {
        let (Some(order), Some(y)) = (self.order.as_ref(), self.data.targets) else {
            return 0.0;
        };
        if self.criterion != CartCriterion::SquaredError {
            return 0.0;
        }
        let w = &self.data.weights;
        let mut sq = 0.0;
        for &i in &order.sk[start..end] {
            let i = i as usize;
            sq += w[i] * y[i] * y[i];
        }
        sq
    }

    /// The sums of the node split at `pos` (scikit-learn's order already
    /// partitioned by the split) and its children's impurities, in
    /// scikit-learn's order and arithmetic; `None` without the order.
    pub(super) fn sk_children(
        &self,
        node: &NodeSearch<'_>,
        pos: usize,
    ) -> Option<(Sums, f64, f64)> {
        let order = self.order.as_ref()?;
        let (start, end) = (node.start, node.end);
        let mut sums = order.sums(self.data, (start, end), pos - start);
        sums.sq_total = self.sk_sq_total;
        let (il, ir) = match self.criterion {
            CartCriterion::Poisson => (
                poisson_loss(self.data, &order.sk[start..pos], sums.left[0], sums.w_left),
                poisson_loss(
                    self.data,
                    &order.sk[pos..end],
                    sums.total[0] - sums.left[0],
                    sums.w_node - sums.w_left,
                ),
            ),
            CartCriterion::SquaredError => {
                let (w, y) = (&self.data.weights, self.data.targets?);
                let mut sq_left = 0.0;
                for &i in &order.sk[start..pos] {
                    let i = i as usize;
                    sq_left += w[i] * y[i] * y[i];
                }
                criterion::children_impurity(self.criterion, &sums, sq_left)
            }
            c => criterion::children_impurity(c, &sums, 0.0),
        };
        Some((sums, il, ir))
    }
}

/// scikit-learn's Poisson loss of the samples `rows` (in its order) of
/// Σ w·y `sum` and weight `weight`: Σ w·(y·ln(y/ȳ)) / weight, infinite
/// when `sum` is at most `f64::EPSILON`.
fn poisson_loss(data: &TrainSet<'_>, rows: &[u32], sum: f64, weight: f64) -> f64 {
    if sum <= f64::EPSILON {
        return f64::INFINITY;
    }
    let (w, y) = (&data.weights, data.targets.expect("regression"));
    let mean = sum / weight;
    let mut loss = 0.0;
    for &i in rows {
        let (wi, yi) = (w[i as usize], y[i as usize]);
        // xlogy(y, y/ȳ): 0 when y is 0.
        let term = if yi == 0.0 {
            0.0
        } else {
            yi * (yi / mean).ln()
        };
        loss += wi * term;
    }
    loss / weight
}
