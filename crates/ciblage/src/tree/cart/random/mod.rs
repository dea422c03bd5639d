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
//! The node's samples are held in one array partitioned in place; a
//! candidate costs one pass over the node's samples (its minimum and
//! maximum) and one more (its left sums): no feature is sorted.

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
            samples,
            right: Vec::new(),
        }
    }

    /// Feature `f` of sample `s`, read as f32 (as scikit-learn reads it).
    #[inline]
    fn value(&self, s: u32, f: usize) -> f32 {
        self.data.x.get(s as usize, f) as f32
    }

    /// Whether sample `s` goes left: `x <= threshold`, or the side of the
    /// missing values.
    #[inline]
    fn goes_left(&self, s: u32, f: usize, threshold: f64, missing_left: bool) -> bool {
        let v = self.value(s, f);
        if v.is_nan() {
            missing_left
        } else {
            f64::from(v) <= threshold
        }
    }

    /// Draws the threshold of `feature` in the node `start..end` (and the
    /// side of its missing values); `None` when the feature is constant
    /// there (every value missing, or the values spanning at most
    /// [`FEATURE_THRESHOLD`] with none missing).
    fn draw_threshold(
        &self,
        feature: usize,
        (start, end): (usize, usize),
        rng: &mut u32,
    ) -> Option<(f64, bool)> {
        let (mut lo, mut hi, mut n_missing) = (f32::INFINITY, f32::NEG_INFINITY, 0usize);
        for &s in &self.samples[start..end] {
            let v = self.value(s, feature);
            if v.is_nan() {
                n_missing += 1;
            } else {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
        if n_missing == end - start || (hi <= lo + FEATURE_THRESHOLD && n_missing == 0) {
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

    /// The proxy of the candidate (`feature`, `threshold`, `missing_left`)
    /// of the node `start..end` summed in `base`; `None` when a child
    /// would be smaller than the leaf limits allow.
    fn candidate_proxy(
        &self,
        (feature, threshold, missing_left): (usize, f64, bool),
        (start, end): (usize, usize),
        base: &Sums,
        sums: &mut Sums,
    ) -> Option<f64> {
        sums.reset_from(base);
        sums.left.iter_mut().for_each(|v| *v = 0.0);
        sums.w_left = 0.0;
        let mut n_left = 0usize;
        for &s in &self.samples[start..end] {
            if self.goes_left(s, feature, threshold, missing_left) {
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
                    .copied()
                    .filter(|&s| self.goes_left(s, feature, threshold, missing_left) == left);
                median_error_of(self.data, rows).1 / w
            };
            let w_right = sums.w_node - sums.w_left;
            let (il, ir) = (impurity_of(true, sums.w_left), impurity_of(false, w_right));
            return Some(-w_right * ir - sums.w_left * il);
        }
        Some(criterion::proxy(self.criterion, sums))
    }

    /// Moves the samples of `start..end` going left before those going
    /// right (each side in its order); returns the first right position.
    fn partition(
        &mut self,
        start: usize,
        end: usize,
        (feature, threshold, missing_left): (usize, f64, bool),
    ) -> usize {
        let mut right = std::mem::take(&mut self.right);
        right.clear();
        let mut pos = start;
        for q in start..end {
            let s = self.samples[q];
            if self.goes_left(s, feature, threshold, missing_left) {
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
        _lim: &Limits,
        n_constant: &mut usize,
    ) -> Option<Split> {
        let (start, end) = (node.start, node.end);
        let base = &node.summary.sums;
        let mut sums = base.clone();
        let mut best: Option<Candidate> = None;
        let mut draw = std::mem::take(&mut self.draw);
        draw.draw_with(n_constant, &self.data.interrupt, |feature, rng| {
            let Some((threshold, missing_left)) = self.draw_threshold(feature, (start, end), rng)
            else {
                return false;
            };
            let cand = (feature, threshold, missing_left);
            if let Some(proxy) = self.candidate_proxy(cand, (start, end), base, &mut sums) {
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
        let best = best?;
        let cand = (best.feature, best.threshold, best.missing_left);
        let pos = self.partition(start, end, cand);
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
        let has_missing = self.samples[start..end]
            .iter()
            .any(|&s| self.value(s, best.feature).is_nan());
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
            // Only monotonic constraints read the middle of the children's
            // values, and they are refused with the random splitter.
            middle: f64::NAN,
        })
    }
}
