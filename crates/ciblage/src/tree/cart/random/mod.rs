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
//! The features are read once as f32 (see [`features`]): a dense matrix as
//! one contiguous column per feature, in the samples' node order, a sparse
//! one by rows. The node's samples, their targets and weights (see
//! [`targets`]) and the dense columns are held in one array each,
//! partitioned in place by each split, each node's contiguous (the columns
//! of features found constant are left as they are: never read again
//! below); the partitions move sixteen values per AVX-512 compress where
//! the processor has it (see [`partition`]), and a feature's range and a
//! candidate's left sums (unit weights) take sixteen values per compare
//! there too. A drawn feature of a dense
//! matrix is read where it lies, with
//! no gather: one vectorised pass finds its range and another, once the
//! threshold is drawn, its left sums (compared in f32: no conversion per
//! value); a
//! sparse feature costs its stored entries in the node only (bucketed per
//! feature once per node), the implicit zeros' sums being the node's
//! minus the stored entries'. No feature is sorted. The children's
//! summaries, computed by the split, are kept until the growth asks for
//! them.

mod features;
mod partition;
mod summary;
mod targets;
#[cfg(test)]
mod tests;
mod ties;

use std::cell::RefCell;

use crate::tree::cart::exact::median_error_of;
use crate::tree::cart::growth::{NodeSplitter, NodeToSplit};
use crate::tree::cart::params::CartCriterion;
use crate::tree::cart::shared::criterion::{self, ClassSums, Sums};
use crate::tree::cart::shared::data::{NodeSummary, Split, TrainSet, FEATURE_THRESHOLD};
use crate::tree::cart::shared::draw::{rand_int, rand_uniform, FeatureDraw};
use crate::tree::cart::shared::limits::{LeafLimits, Limits};
use crate::tree::cart::shared::monotonic::{self, Bounds, Monotonic};
use features::{range_of, NodeFeatures, Range};
use partition::{Isa, Mask};
use targets::{goes_left, threshold_f32, NodeTargets};

/// Children's summaries kept at most (the growth asks for them in the
/// order they were made when it grows depth first; other orders clear
/// them and summarise again).
const KEPT: usize = 4096;

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
    /// Their targets and weights, in the same order.
    targets: NodeTargets,
    /// The features, as f32 (dense: in the order of `samples`).
    x: NodeFeatures,
    /// The values of the sparse feature being searched, one per sample of
    /// the node (in the order of `samples`; the absolute error only).
    column: Vec<f32>,
    /// The instructions of the passes over the node's values.
    isa: Isa,
    /// Per position of the node, whether its sample goes left.
    mask: Mask,
    /// The scratch of the dense columns' partition.
    scratch: Vec<u32>,
    /// Per feature, whether it is known constant in the node split last.
    constant: Vec<bool>,
    /// Per sample, its position in `samples` (sparse features under the
    /// absolute error only: see `Columns::node_column_f32`).
    at: Vec<u32>,
    /// Summaries of children made by splits, not yet asked for: (start,
    /// end, summary), the last made last.
    kept: RefCell<Vec<(usize, usize, NodeSummary)>>,
    /// scikit-learn's order of the samples, where sums can round (see
    /// [`ties`]).
    order: Option<ties::SkOrder>,
}

/// The best candidate of a node so far.
struct Candidate {
    proxy: f64,
    feature: usize,
    threshold: f64,
    missing_left: bool,
    /// The node's samples missing the feature.
    n_missing: usize,
    /// Its proxy in scikit-learn's order and arithmetic (see [`ties`]).
    sk_proxy: Option<f64>,
}

/// What a node's candidates share: its positions, its sums (and the
/// scratch sums of a candidate and of a sparse feature's stored entries),
/// its bounds under monotonic constraints.
struct NodeSearch<'n> {
    start: usize,
    end: usize,
    base: &'n Sums,
    sums: Sums,
    stored: ClassSums,
    bounds: Bounds,
    monotonic: Option<&'n Monotonic>,
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
        let sparse_median = data.x.is_sparse() && criterion == CartCriterion::AbsoluteError;
        // Sums of unit-weight class counts are exact in any order.
        let rounds =
            data.classes.is_none() || samples.iter().any(|&s| data.weights[s as usize] != 1.0);
        let order = (rounds && !data.x.is_sparse() && criterion != CartCriterion::AbsoluteError)
            .then(|| ties::SkOrder::new(&samples, data.n));
        Self {
            data,
            criterion,
            w_total: data.weights.iter().sum(),
            leaf,
            draw,
            targets: NodeTargets::new(data, &samples),
            x: NodeFeatures::new(&data.x, &samples),
            at: if sparse_median {
                vec![u32::MAX; data.n]
            } else {
                Vec::new()
            },
            isa: Isa::detect(),
            mask: Mask::new(Isa::detect()),
            scratch: Vec::with_capacity(samples.len()),
            constant: vec![false; data.d],
            samples,
            column: Vec::new(),
            kept: RefCell::new(Vec::new()),
            order,
        }
    }

    /// The summary of the node `start..end` from its samples.
    fn summary_of(&self, start: usize, end: usize) -> NodeSummary {
        let sums = self.targets.node_sums(start, end);
        summary::summarise(self.data, self.criterion, &self.samples[start..end], sums)
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
    fn search(
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
        let Some(cand) = Self::draw_threshold(range, end - start, rng) else {
            return false;
        };
        let sk_left = self.sk_partition(f, cand, node);
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

    /// The values of dense feature `f` at positions `start..end`.
    #[inline]
    fn dense(&self, f: usize, range: (usize, usize)) -> &[f32] {
        self.x.dense(f, range).expect("dense features")
    }

    /// Moves the positions of the dense columns of the node at `start`
    /// as its samples were moved by `mask` (`n_left` of them left), but
    /// for the `n_constant` features known constant there; of the
    /// children, only those of `keep` (left, right) get their values (the
    /// other's are never read again).
    fn reorder_columns(
        &mut self,
        start: usize,
        n_left: usize,
        keep: (bool, bool),
        n_constant: usize,
    ) {
        self.constant.fill(false);
        for &f in self.draw.constants(n_constant) {
            self.constant[f] = true;
        }
        self.x.partition(
            start,
            (&self.mask, n_left),
            keep,
            &self.constant,
            &mut self.scratch,
        );
    }

    /// Marks in `mask` the positions of the node `start..end` going left
    /// under the best candidate.
    fn mark_left(&mut self, best: &Candidate, (start, end): (usize, usize)) {
        let t = (threshold_f32(best.threshold), best.missing_left);
        let goes = |v: f32| u8::from(goes_left(v, t));
        let mask = &mut self.mask.bytes;
        mask.clear();
        match &self.x {
            NodeFeatures::Dense { .. } => {
                let vals = self.x.dense(best.feature, (start, end));
                let vals = vals.expect("dense features");
                mask.extend(vals.iter().map(|&v| goes(v)));
            }
            NodeFeatures::Sparse(rows) => {
                mask.resize(end - start, goes(0.0));
                let (at, vals) = rows.entries(best.feature);
                for (&p, &v) in at.iter().zip(vals) {
                    mask[p as usize] = goes(v);
                }
            }
        }
        self.mask.pack();
    }
}

impl NodeSplitter for RandomSplitter<'_> {
    fn samples(&self) -> usize {
        self.samples.len()
    }

    fn summarise(&self, start: usize, end: usize) -> NodeSummary {
        let mut kept = self.kept.borrow_mut();
        if kept.last().is_some_and(|k| (k.0, k.1) == (start, end)) {
            return kept.pop().expect("a summary kept").2;
        }
        // Asked out of the order the summaries were made: they are
        // summarised again.
        kept.clear();
        drop(kept);
        self.summary_of(start, end)
    }

    fn forget(&mut self, start: usize, end: usize) {
        let kept = self.kept.get_mut();
        if kept.last().is_some_and(|k| (k.0, k.1) == (start, end)) {
            kept.pop();
        }
    }

    fn node_split(
        &mut self,
        node: &NodeToSplit<'_>,
        lim: &Limits,
        n_constant: &mut usize,
    ) -> Option<Split> {
        let (start, end) = (node.start, node.end);
        let base = &node.summary.sums;
        let mut search = NodeSearch {
            start,
            end,
            base,
            sums: base.clone(),
            stored: base.total.clone(),
            bounds: node.bounds,
            monotonic: lim.monotonic.as_ref(),
        };
        if let NodeFeatures::Sparse(rows) = &mut self.x {
            rows.bucket(&self.samples[start..end]);
        }
        if !self.at.is_empty() {
            for q in start..end {
                self.at[self.samples[q] as usize] = q as u32;
            }
        }
        if let Some(o) = self.order.as_mut() {
            o.start_node(self.data, (start, end));
        }
        let mut best: Option<Candidate> = None;
        let mut draw = std::mem::take(&mut self.draw);
        draw.draw_with(n_constant, &self.data.interrupt, |f, rng| {
            self.search(f, rng, &mut search, &mut best)
        });
        self.draw = draw;
        let best = best?;
        self.sk_final(&best, &search);
        self.mark_left(&best, (start, end));
        let pos = start + self.targets.partition(&mut self.samples, start, &self.mask);
        if let Some(o) = self.order.as_mut() {
            o.moved(start, &self.samples[start..end]);
        }
        let left = self.summary_of(start, pos);
        let right = self.summary_of(pos, end);
        if let NodeFeatures::Dense { .. } = self.x {
            // A child the growth will not split (the rule `evaluate`
            // applies to it) never reads its columns: they are left as
            // they are.
            let grown = |n: usize, s: &NodeSummary| !lim.stops(node.depth + 1, n, s.w, s.impurity);
            let (n_left, n_right) = (pos - start, end - pos);
            let keep = (grown(n_left, &left), grown(n_right, &right));
            if keep.0 || keep.1 {
                self.reorder_columns(start, n_left, keep, *n_constant);
            }
        }
        let mut sums = base.clone();
        sums.w_left = left.w;
        let improvement = criterion::improvement(
            &sums,
            self.w_total,
            node.impurity,
            (left.impurity, right.impurity),
        );
        let split = Split {
            feature: best.feature,
            threshold: best.threshold,
            pos,
            // Without missing values in the node, they go to the larger
            // child at prediction (as scikit-learn sends them).
            missing_left: if best.n_missing > 0 {
                best.missing_left
            } else {
                pos - start > end - pos
            },
            categories: None,
            impurity_left: left.impurity,
            impurity_right: right.impurity,
            improvement,
            middle: middle_of(self.criterion, &left, &right),
        };
        let kept = self.kept.get_mut();
        if kept.len() + 2 > KEPT {
            kept.clear();
        }
        // The left child is grown first: its summary is asked for first.
        kept.push((pos, end, right));
        kept.push((start, pos, left));
        Some(split)
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
