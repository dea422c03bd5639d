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

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
mod candidate;
mod features;
mod partition;
mod sk_arithmetic;
mod sparse_ties;
mod summary;
mod targets;
#[cfg(test)]
mod tests;
mod ties;

use std::cell::RefCell;

use crate::tree::cart::growth::{NodeSplitter, NodeToSplit};
use crate::tree::cart::params::CartCriterion;
use crate::tree::cart::shared::criterion;
use crate::tree::cart::shared::data::{NodeSummary, Split, TrainSet};
use crate::tree::cart::shared::draw::FeatureDraw;
use crate::tree::cart::shared::limits::{LeafLimits, Limits};
use candidate::{Candidate, NodeSearch};
use features::NodeFeatures;
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
    /// What scikit-learn's sparse partitioner keeps besides its order
    /// (sparse `X`, with the order; see [`sparse_ties`]).
    sparse_order: Option<sparse_ties::SparseOrder>,
    /// Σ w·y² of the node being split in scikit-learn's order (squared
    /// error, with the order; see [`sk_arithmetic`]).
    sk_sq_total: f64,
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
        let order = (rounds && criterion != CartCriterion::AbsoluteError)
            .then(|| ties::SkOrder::new(&samples, data.n));
        let sparse_order = (order.is_some() && data.x.is_sparse())
            .then(|| sparse_ties::SparseOrder::new(&samples, data.n));
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
            sparse_order,
            sk_sq_total: 0.0,
        }
    }

    /// The summary of the node `start..end` from its samples.
    fn summary_of(&self, start: usize, end: usize) -> NodeSummary {
        let sums = self.targets.node_sums(start, end);
        summary::summarise(self.data, self.criterion, &self.samples[start..end], sums)
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
        self.sk_sq_total = self.sk_square_sum((start, end));
        let mut best: Option<Candidate> = None;
        let mut draw = std::mem::take(&mut self.draw);
        draw.draw_with(n_constant, &self.data.interrupt, |f, rng| {
            self.search(f, rng, &mut search, &mut best)
        });
        self.draw = draw;
        let best = best?;
        self.sk_final(&best, &search);
        self.sk_sparse_final(best.feature, best.threshold, &search);
        self.mark_left(&best, (start, end));
        let pos = start + self.targets.partition(&mut self.samples, start, &self.mask);
        if let Some(o) = self.order.as_mut() {
            o.moved(start, &self.samples[start..end]);
        }
        let mut left = self.summary_of(start, pos);
        let mut right = self.summary_of(pos, end);
        // The children's impurities as scikit-learn computes them, where
        // sums can round (see [`sk_arithmetic`]): the growth stops on them.
        let mut sums = base.clone();
        sums.w_left = left.w;
        if let Some((sk_sums, il, ir)) = self.sk_children(&search, pos) {
            (sums, left.impurity, right.impurity) = (sk_sums, il, ir);
        }
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
