//! The random splitter (scikit-learn's `splitter="random"`, the split of
//! its `ExtraTreeClassifier` / `ExtraTreeRegressor`): at each node the
//! features are drawn as the exact splitter draws them (`max_features`,
//! constant features skipped and remembered), and each drawn feature gets
//! one threshold, drawn uniformly between the node's smallest and largest
//! value of it (missing values left out) from the same generator; the best
//! of those candidates is kept, by strict improvement of the criterion's
//! proxy. Samples missing the feature go left or right by a coin drawn
//! from the generator too, as in scikit-learn 1.9. The draws are
//! scikit-learn's, in its order, from its generator seeded the same way:
//! the trees are scikit-learn's node for node.
//!
//! Under monotonic constraints (scikit-learn's `monotonic_cst`), a drawn
//! candidate on a constrained feature is admitted only when its children's
//! values keep the constraint and the node's bounds, checked after the
//! leaf limits and before its proxy, as scikit-learn's random splitter
//! does; the split's children are then bounded by the middle of their
//! values as under the exact splitter (see `shared::monotonic`).
//!
//! The node's samples are held in one array partitioned in place; a
//! drawn feature's values in the node are read once into a node-sized
//! buffer (a sparse column by a binary search per sample in a small node,
//! else by one walk over its stored entries); a candidate then costs one
//! pass over that buffer (its minimum and maximum) and one more (its left
//! sums): no feature is sorted.

mod summary;
#[cfg(test)]
mod tests;

use crate::tree::cart::exact::median_error_of;
use crate::tree::cart::growth::{NodeSplitter, NodeToSplit};
use crate::tree::cart::params::CartCriterion;
use crate::tree::cart::shared::criterion::{self, Sums};
use crate::tree::cart::shared::data::{NodeSummary, Split, TrainSet, FEATURE_THRESHOLD};
use crate::tree::cart::shared::draw::{rand_int, rand_uniform, FeatureDraw};
use crate::tree::cart::shared::limits::{LeafLimits, Limits};
use crate::tree::cart::shared::monotonic::{self, Bounds, Monotonic};

/// Splits on one random threshold per drawn feature.
pub(crate) struct RandomSplitter<'a> {
    data: &'a TrainSet<'a>,
    criterion: CartCriterion,
    /// Weight of all samples.
    w_total: f64,
    leaf: LeafLimits,
    draw: FeatureDraw,
    /// The samples taking part (non-zero weight), each node's contiguous.
    samples: Vec<u32>,
    /// Scratch of the partition.
    right: Vec<u32>,
    /// The values of the feature being read, one per sample of the node
    /// (in the order of `samples`).
    column: Vec<f32>,
    /// Per sample, its position in `samples` (set per node, sparse
    /// features only: see `Columns::node_column_f32`).
    at: Vec<u32>,
}

/// The best candidate of a node so far.
struct Candidate {
    proxy: f64,
    feature: usize,
    threshold: f64,
    missing_left: bool,
}

impl<'a> RandomSplitter<'a> {
    /// The splitter over the samples of non-zero weight of `data`.
    pub(crate) fn new(
        data: &'a TrainSet<'a>,
        criterion: CartCriterion,
        (leaf, draw): (LeafLimits, FeatureDraw),
    ) -> Self {
        let samples: Vec<u32> = (0..data.n as u32)
            .filter(|&i| data.weights[i as usize] != 0.0)
            .collect();
        Self {
            data,
            criterion,
            w_total: data.weights.iter().sum(),
            leaf,
            draw,
            at: if data.x.is_sparse() {
                vec![u32::MAX; data.n]
            } else {
                Vec::new()
            },
            samples,
            right: Vec::new(),
            column: Vec::new(),
        }
    }

    /// Reads feature `f` of the node `start..end` into `column` (its
    /// values as f32, as scikit-learn reads them, in the samples' order).
    fn read_column(&self, f: usize, (start, end): (usize, usize), column: &mut Vec<f32>) {
        self.data
            .x
            .node_column_f32(f, &self.samples, (start, end), &self.at, column);
    }

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

    /// Draws the threshold of a feature of node values `column` (and the
    /// side of its missing values); `None` when the feature is constant
    /// there (every value missing, or the values spanning at most
    /// [`FEATURE_THRESHOLD`] with none missing).
    fn draw_threshold(column: &[f32], rng: &mut u32) -> Option<(f64, bool)> {
        let (mut lo, mut hi, mut n_missing) = (f32::INFINITY, f32::NEG_INFINITY, 0usize);
        for &v in column {
            if v.is_nan() {
                n_missing += 1;
            } else {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
        if n_missing == column.len() || (hi <= lo + FEATURE_THRESHOLD && n_missing == 0) {
            return None;
        }
        let (lo, hi) = (f64::from(lo), f64::from(hi));
        let mut threshold = rand_uniform(rng, lo, hi);
        let missing_left = n_missing > 0 && rand_int(rng, 0, 2) == 1;
        if threshold == hi {
            threshold = lo;
        }
        Some((threshold, missing_left))
    }

    /// The proxy of the candidate (`threshold`, `missing_left`) on the
    /// feature of values `column` of the node `start..end` summed in
    /// `base`; `None` when a child
    /// would be smaller than the leaf limits allow, or when `cst` (the
    /// feature's constraint, ±1, and the node's bounds) is given and the
    /// children's values (means, first class's shares, or medians under
    /// the absolute error) break it.
    fn candidate_proxy(
        &self,
        (threshold, missing_left): (f64, bool),
        ((start, end), column): ((usize, usize), &[f32]),
        (base, cst): (&Sums, Option<(i8, Bounds)>),
        sums: &mut Sums,
    ) -> Option<f64> {
        sums.reset_from(base);
        sums.left.iter_mut().for_each(|v| *v = 0.0);
        sums.w_left = 0.0;
        let mut n_left = 0usize;
        for (&s, &v) in self.samples[start..end].iter().zip(column) {
            if Self::goes_left(v, threshold, missing_left) {
                n_left += 1;
                let w = self.data.weights[s as usize];
                sums.w_left += w;
                match (self.data.classes, self.data.targets) {
                    (Some(c), _) => sums.left[c[s as usize] as usize] += w,
                    (_, Some(t)) => sums.left[0] += w * t[s as usize],
                    _ => unreachable!("a target is set"),
                }
            }
        }
        let n_right = end - start - n_left;
        if n_left < self.leaf.min_samples || n_right < self.leaf.min_samples {
            return None;
        }
        if sums.w_left < self.leaf.min_weight || sums.w_node - sums.w_left < self.leaf.min_weight {
            return None;
        }
        if self.criterion == CartCriterion::AbsoluteError {
            // −w_R·I_R − w_L·I_L (scikit-learn's terms, in its order: ties
            // between candidates round as there), the children's
            // impurities from their medians.
            let impurity_of = |left: bool, w: f64| {
                let rows = self.samples[start..end]
                    .iter()
                    .zip(column)
                    .filter(|&(_, &v)| Self::goes_left(v, threshold, missing_left) == left)
                    .map(|(&s, _)| s);
                let (median, error) = median_error_of(self.data, rows);
                (median, error / w)
            };
            let w_right = sums.w_node - sums.w_left;
            let ((ml, il), (mr, ir)) =
                (impurity_of(true, sums.w_left), impurity_of(false, w_right));
            if let Some((sign, bounds)) = cst {
                if !Monotonic::admits(sign, bounds, ml, mr) {
                    return None;
                }
            }
            return Some(-w_right * ir - sums.w_left * il);
        }
        if let Some((sign, bounds)) = cst {
            let (left, right) = monotonic::side_values(sums.first());
            if !Monotonic::admits(sign, bounds, left, right) {
                return None;
            }
        }
        Some(criterion::proxy(self.criterion, sums))
    }

    /// Moves the samples of `start..end` going left before those going
    /// right (each side in its order), their values being `column`;
    /// returns the first right position.
    fn partition(
        &mut self,
        (start, end): (usize, usize),
        column: &[f32],
        (threshold, missing_left): (f64, bool),
    ) -> usize {
        let mut right = std::mem::take(&mut self.right);
        right.clear();
        let mut pos = start;
        for (q, &v) in (start..end).zip(column) {
            let s = self.samples[q];
            if Self::goes_left(v, threshold, missing_left) {
                self.samples[pos] = s;
                pos += 1;
            } else {
                right.push(s);
            }
        }
        self.samples[pos..end].copy_from_slice(&right);
        self.right = right;
        pos
    }
}

impl NodeSplitter for RandomSplitter<'_> {
    fn samples(&self) -> usize {
        self.samples.len()
    }

    fn summarise(&self, start: usize, end: usize) -> NodeSummary {
        summary::summarise(self.data, self.criterion, &self.samples[start..end])
    }

    fn node_split(
        &mut self,
        node: &NodeToSplit<'_>,
        lim: &Limits,
        n_constant: &mut usize,
    ) -> Option<Split> {
        let (start, end) = (node.start, node.end);
        let monotonic = lim.monotonic.as_ref();
        let base = &node.summary.sums;
        let mut sums = base.clone();
        let mut best: Option<Candidate> = None;
        if self.data.x.is_sparse() {
            for q in start..end {
                self.at[self.samples[q] as usize] = q as u32;
            }
        }
        let mut draw = std::mem::take(&mut self.draw);
        let mut column = std::mem::take(&mut self.column);
        let mut last = None;
        draw.draw_with(n_constant, &self.data.interrupt, |feature, rng| {
            self.read_column(feature, (start, end), &mut column);
            last = Some(feature);
            let Some((threshold, missing_left)) = Self::draw_threshold(&column, rng) else {
                return false;
            };
            let cand = (threshold, missing_left);
            let cst = monotonic
                .map(|m| m.sign(feature))
                .filter(|&sign| sign != 0)
                .map(|sign| (sign, node.bounds));
            let node = ((start, end), column.as_slice());
            if let Some(proxy) = self.candidate_proxy(cand, node, (base, cst), &mut sums) {
                if best.as_ref().is_none_or(|b| proxy > b.proxy) {
                    best = Some(Candidate {
                        proxy,
                        feature,
                        threshold,
                        missing_left,
                    });
                }
            }
            true
        });
        self.draw = draw;
        let Some(best) = best else {
            self.column = column;
            return None;
        };
        if last != Some(best.feature) {
            self.read_column(best.feature, (start, end), &mut column);
        }
        let has_missing = column.iter().any(|v| v.is_nan());
        let cand = (best.threshold, best.missing_left);
        let pos = self.partition((start, end), &column, cand);
        self.column = column;
        let left = self.summarise(start, pos);
        let right = self.summarise(pos, end);
        let mut sums = base.clone();
        sums.w_left = left.w;
        let improvement = criterion::improvement(
            &sums,
            self.w_total,
            node.impurity,
            (left.impurity, right.impurity),
        );
        Some(Split {
            feature: best.feature,
            threshold: best.threshold,
            pos,
            // Without missing values in the node, they go to the larger
            // child at prediction (as scikit-learn sends them).
            missing_left: if has_missing {
                best.missing_left
            } else {
                pos - start > end - pos
            },
            categories: None,
            impurity_left: left.impurity,
            impurity_right: right.impurity,
            improvement,
            middle: middle_of(self.criterion, &left, &right),
        })
    }
}

/// The middle of the values of the children summarised in `left` and
/// `right` (scikit-learn's `middle_value`): of their means or first class's
/// shares, of their medians under the absolute error.
fn middle_of(c: CartCriterion, left: &NodeSummary, right: &NodeSummary) -> f64 {
    if c == CartCriterion::AbsoluteError {
        return (left.value[0] + right.value[0]) / 2.0;
    }
    left.sums.total[0] / (2.0 * left.w) + right.sums.total[0] / (2.0 * right.w)
}
