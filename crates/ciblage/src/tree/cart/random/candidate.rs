//! One drawn feature's candidate: its range in the node, its random
//! threshold (and the side of its missing values), its left sums and its
//! proxy, kept when it beats the node's best so far.

use super::features::{range_of, Range};
use super::targets::threshold_f32;
use super::{NodeFeatures, RandomSplitter};
use crate::tree::cart::exact::median_error_of;
use crate::tree::cart::params::CartCriterion;
use crate::tree::cart::shared::criterion::{self, ClassSums, Sums};
use crate::tree::cart::shared::data::FEATURE_THRESHOLD;
use crate::tree::cart::shared::draw::{rand_int, rand_uniform};
use crate::tree::cart::shared::monotonic::{self, Bounds, Monotonic};

/// The best candidate of a node so far.
pub(super) struct Candidate {
    pub(super) proxy: f64,
    pub(super) feature: usize,
    pub(super) threshold: f64,
    pub(super) missing_left: bool,
    /// The node's samples missing the feature.
    pub(super) n_missing: usize,
    /// Its proxy in scikit-learn's order and arithmetic (see [`super::ties`]).
    pub(super) sk_proxy: Option<f64>,
}

/// What a node's candidates share: its positions, its sums (and the
/// scratch sums of a candidate and of a sparse feature's stored entries),
/// its bounds under monotonic constraints.
pub(super) struct NodeSearch<'n> {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) base: &'n Sums,
    pub(super) sums: Sums,
    pub(super) stored: ClassSums,
    pub(super) bounds: Bounds,
    pub(super) monotonic: Option<&'n Monotonic>,
}

impl RandomSplitter<'_> {
    /// Whether a sample of value `v` goes left: `v <= threshold`, or the
    /// side of the missing values.
    #[inline]
    fn goes_left(v: f32, threshold: f64, missing_left: bool) -> bool {
        if v.is_nan() {
            missing_left
        } else {
            f64::from(v) <= threshold
        }
    }

    /// The range of feature `f` in the node, and the number of its
    /// implicit zeros (sparse).
    fn feature_range(&self, f: usize, (start, end): (usize, usize)) -> (Range, usize) {
        match &self.x {
            NodeFeatures::Dense { .. } => {
                let vals = self.dense(f, (start, end));
                (self.isa.range_of(vals), 0)
            }
            NodeFeatures::Sparse(rows) => {
                let (_, vals) = rows.entries(f);
                let mut r = range_of(vals);
                let n_zero = end - start - vals.len();
                if n_zero > 0 {
                    r.lo = if 0.0 < r.lo { 0.0 } else { r.lo };
                    r.hi = if 0.0 > r.hi { 0.0 } else { r.hi };
                }
                (r, n_zero)
            }
        }
    }

    /// Draws the threshold of a feature of node range `r` over `n_node`
    /// samples (and the side of its missing values); `None` when the
    /// feature is constant there (every value missing, or the values
    /// spanning at most [`FEATURE_THRESHOLD`] with none missing).
    fn draw_threshold(r: Range, n_node: usize, rng: &mut u32) -> Option<(f64, bool)> {
        if r.n_missing == n_node || (r.hi <= r.lo + FEATURE_THRESHOLD && r.n_missing == 0) {
            return None;
        }
        let (lo, hi) = (f64::from(r.lo), f64::from(r.hi));
        let mut threshold = rand_uniform(rng, lo, hi);
        let missing_left = r.n_missing > 0 && rand_int(rng, 0, 2) == 1;
        if threshold == hi {
            threshold = lo;
        }
        Some((threshold, missing_left))
    }

    /// Fills `node.sums` with the left sums of the candidate (`threshold`,
    /// `missing_left`) on feature `f` (`n_zero` implicit zeros); returns
    /// the number of samples going left.
    fn left_sums(
        &self,
        f: usize,
        (threshold, missing_left): (f64, bool),
        n_zero: usize,
        node: &mut NodeSearch<'_>,
    ) -> usize {
        let t = (threshold_f32(threshold), missing_left);
        let sums = &mut node.sums;
        sums.reset_from(node.base);
        match &self.x {
            NodeFeatures::Dense { .. } => {
                let vals = self.dense(f, (node.start, node.end));
                let l = self.targets.dense_left(node.start, vals, t, &mut sums.left);
                sums.w_left = l.w;
                l.n
            }
            NodeFeatures::Sparse(rows) => {
                let (l, s) = self.targets.entries_left(
                    node.start,
                    rows.entries(f),
                    t,
                    (&mut sums.left, &mut node.stored),
                );
                sums.w_left = l.w;
                if n_zero == 0 || 0.0 > t.0 {
                    return l.n;
                }
                // The implicit zeros go left: their sums are the node's
                // minus the stored entries'.
                sums.w_left += sums.w_node - s.w;
                for ((left, total), stored) in
                    sums.left.iter_mut().zip(&sums.total).zip(&node.stored)
                {
                    *left += total - stored;
                }
                l.n + n_zero
            }
        }
    }

    /// Reads the values of sparse feature `f` in the node `start..end`
    /// into `column` (the absolute error's medians read the samples of
    /// each side).
    fn sparse_column(&mut self, f: usize, (start, end): (usize, usize)) {
        self.data
            .x
            .node_column_f32(f, &self.samples, (start, end), &self.at, &mut self.column);
    }

    /// Searches feature `f`: draws its threshold, sums its candidate and
    /// keeps it in `best` when its proxy beats the best's. Returns false
    /// when the feature is constant in the node.
    pub(super) fn search(
        &mut self,
        f: usize,
        rng: &mut u32,
        node: &mut NodeSearch<'_>,
        best: &mut Option<Candidate>,
    ) -> bool {
        let (start, end) = (node.start, node.end);
        if let Some(o) = self.order.as_mut() {
            o.last = f;
        }
        let (range, n_zero) = self.feature_range(f, (start, end));
        self.sk_read(f, node);
        let Some(cand) = Self::draw_threshold(range, end - start, rng) else {
            return false;
        };
        let sk_left = if self.sparse_order.is_some() {
            self.sk_sparse_partition(cand.0, node)
        } else {
            self.sk_partition(f, cand, node)
        };
        let n_left = self.left_sums(f, cand, n_zero, node);
        let n_right = end - start - n_left;
        let sums = &node.sums;
        if n_left < self.leaf.min_samples || n_right < self.leaf.min_samples {
            return true;
        }
        if sums.w_left < self.leaf.min_weight || sums.w_node - sums.w_left < self.leaf.min_weight {
            return true;
        }
        let cst = node
            .monotonic
            .map(|m| m.sign(f))
            .filter(|&sign| sign != 0)
            .map(|sign| (sign, node.bounds));
        let proxy = if self.criterion == CartCriterion::AbsoluteError {
            let vals = if self.data.x.is_sparse() {
                self.sparse_column(f, (start, end));
                &self.column[..]
            } else {
                self.dense(f, (start, end))
            };
            self.median_proxy(vals, cand, (start, end), &node.sums, cst)
        } else {
            if let Some((sign, bounds)) = cst {
                let (left, right) = monotonic::side_values(sums.first());
                if !Monotonic::admits(sign, bounds, left, right) {
                    return true;
                }
            }
            Some(criterion::proxy(self.criterion, sums))
        };
        let Some(proxy) = proxy else {
            return true;
        };
        let better = if self.criterion == CartCriterion::AbsoluteError {
            best.as_ref()
                .is_none_or(|b| proxy > b.proxy)
                .then_some(None)
        } else {
            self.beats(proxy, sk_left, node, best.as_ref())
        };
        if let Some(sk_proxy) = better {
            *best = Some(Candidate {
                sk_proxy,
                proxy,
                feature: f,
                threshold: cand.0,
                missing_left: cand.1,
                n_missing: range.n_missing,
            });
        }
        true
    }

    /// The absolute error's proxy of the candidate (`threshold`,
    /// `missing_left`) of the node `start..end`, its values `vals`:
    /// −w_R·I_R − w_L·I_L (scikit-learn's terms, in its order: ties between
    /// candidates round as there), the children's impurities from their
    /// medians; `None` when `cst` (the feature's constraint, ±1, and the
    /// node's bounds) is given and the children's medians break it.
    fn median_proxy(
        &self,
        vals: &[f32],
        (threshold, missing_left): (f64, bool),
        (start, end): (usize, usize),
        sums: &Sums,
        cst: Option<(i8, Bounds)>,
    ) -> Option<f64> {
        let impurity_of = |left: bool, w: f64| {
            let rows = self.samples[start..end]
                .iter()
                .zip(vals)
                .filter(|&(_, &v)| Self::goes_left(v, threshold, missing_left) == left)
                .map(|(&s, _)| s);
            let (median, error) = median_error_of(self.data, rows);
            (median, error / w)
        };
        let w_right = sums.w_node - sums.w_left;
        let ((ml, il), (mr, ir)) = (impurity_of(true, sums.w_left), impurity_of(false, w_right));
        if let Some((sign, bounds)) = cst {
            if !Monotonic::admits(sign, bounds, ml, mr) {
                return None;
            }
        }
        Some(-w_right * ir - sums.w_left * il)
    }
}
