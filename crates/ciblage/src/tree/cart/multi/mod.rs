//! Trees of several outputs (scikit-learn's 2-D `y`): one tree predicting
//! every output at once, its impurity the mean over outputs of each
//! output's (Gini or entropy with the output's own classes, the squared
//! error or the Poisson loss), its node values `outputs × classes` numbers
//! per node (classes past an output's own held at zero).
//!
//! A tree of one output never comes here: the single-output splitters keep
//! their specialised loops. The trees are scikit-learn's `BestSplitter` (or
//! `RandomSplitter`) node for node: the candidates, the running sums
//! updated from the nearer end, the best kept by strict improvement of the
//! proxy, features drawn by scikit-learn's generator, missing values (NaN)
//! sent right then left as there.
//!
//! scikit-learn sorts every drawn feature over the node's samples in place
//! ([`order`]); the sums are added in the order it leaves, and that order
//! only changes their rounding where a feature has equal values. The best
//! splitter therefore reads each feature's samples from orders sorted once
//! at the root and partitioned stably at each split ([`presorted`]), which
//! are scikit-learn's orders wherever the values are distinct; it sorts a
//! node's samples as scikit-learn does only for a feature with equal
//! values (or missing ones) where the sums are not exact (see
//! [`presorted::exact_sums`]). It keeps scikit-learn's order of every
//! node's samples, in which the node's own sums are added. Entry points:
//! `fit_outputs` of [`crate::tree::cart::CartValidParams`].

mod absolute;
mod bounded;
mod counts;
mod fit;
mod order;
mod presorted;
mod random;
mod running;
mod scan_counts;
mod scan_values;
mod search;
mod stats;
#[cfg(test)]
mod tests;

use crate::tree::cart::growth::{NodeSplitter, NodeToSplit};
use crate::tree::cart::params::CartCriterion;
use crate::tree::cart::shared::criterion::{ClassSums, Sums};
use crate::tree::cart::shared::data::{NodeSummary, Split, TrainSet};
use crate::tree::cart::shared::draw::FeatureDraw;
use crate::tree::cart::shared::limits::{LeafLimits, Limits};
use absolute::MedianOutputs;
use presorted::Presorted;
use stats::Outputs;

/// Sums of every output (classes): on the stack up to 16 numbers.
type Wide = smallvec::SmallVec<[f64; 16]>;

/// The best candidate of a node so far.
struct Candidate {
    proxy: f64,
    feature: usize,
    threshold: f64,
    /// The side of the samples missing the feature (or, none missing in
    /// the node, of those missing it at prediction).
    missing_left: bool,
    /// How far scikit-learn's proxy may be from `proxy` (0: equal to the
    /// bit; see [`bounded`]).
    bound: f64,
    /// The candidate's position in its feature's scan.
    at: usize,
}

impl Candidate {
    /// No candidate yet.
    fn none() -> Self {
        Self {
            proxy: f64::NEG_INFINITY,
            feature: usize::MAX,
            threshold: f64::NAN,
            missing_left: false,
            bound: 0.0,
            at: 0,
        }
    }
}

/// Splits nodes of several outputs (exact, or one random threshold per
/// feature).
pub(crate) struct MultiSplitter<'a> {
    data: &'a TrainSet<'a>,
    outputs: &'a Outputs,
    criterion: CartCriterion,
    /// The Gini index is kept incrementally (see [`counts::gini_counts`]).
    counted: bool,
    /// Random thresholds (`splitter="random"`) instead of every one.
    random: bool,
    w_total: f64,
    /// Every weight is 1: the fused scans read none.
    unit: bool,
    leaf: LeafLimits,
    draw: FeatureDraw,
    /// The samples taking part (non-zero weight), each node's contiguous,
    /// in scikit-learn's order.
    samples: Vec<u32>,
    /// Sparse features: the position of each sample in `samples` (read
    /// when a node's column is gathered).
    at: Vec<u32>,
    /// Scratch: the values of a node's samples for one feature.
    values: Vec<f32>,
    /// Scratch: the pairs (value, sample) of scikit-learn's sort.
    pairs: Vec<(f32, u32)>,
    /// Per feature, whether it misses a value (NaN) in some sample.
    has_missing: Vec<bool>,
    /// The best splitter's presorted orders (`None`: random splitter).
    presorted: Option<Presorted>,
    /// The feature the node's samples were last ordered by (random
    /// splitter: partitioned by).
    last_feature: usize,
    /// The absolute error's medians (that criterion only).
    medians: Option<MedianOutputs<'a>>,
    /// Nodes are searched without scikit-learn's sorts where the outcome
    /// is surely its own ([`bounded`]).
    bounded: bool,
    /// Per position of `samples`: the node there is not in scikit-learn's
    /// order (bounded search only).
    taint: Vec<bool>,
    /// A node not in scikit-learn's order was too close to call: the fit
    /// starts again without the bounded search.
    failed: bool,
    /// The bounded search's lists of features, kept from node to node.
    bounded_lists: bounded::BoundedLists,
    /// The last node of the bounded search: its bound's coefficient and
    /// its number of samples (see [`bounded::Contest::node`]).
    node_bound: (f64, usize),
}

impl<'a> MultiSplitter<'a> {
    /// The splitter over the samples of non-zero weight of `data`.
    fn new(
        data: &'a TrainSet<'a>,
        (outputs, medians): (&'a Outputs, Option<MedianOutputs<'a>>),
        (criterion, random): (CartCriterion, bool),
        (leaf, draw): (LeafLimits, FeatureDraw),
    ) -> Self {
        let samples: Vec<u32> = (0..data.n as u32)
            .filter(|&i| data.weights[i as usize] != 0.0)
            .collect();
        let has_missing: Vec<bool> = (0..data.d)
            .map(|f| data.x.column_f32(f).iter().any(|v| v.is_nan()))
            .collect();
        let presorted = (!random && presorted::presorting()).then(|| {
            Presorted::new(
                data,
                &samples,
                presorted::exact_sums(data, outputs, criterion),
            )
        });
        let bounded = presorted.as_ref().is_some_and(|p| !p.exact)
            && medians.is_none()
            && bounded::bounded_search(data, outputs, criterion, &has_missing);
        let mut at = Vec::new();
        if data.x.is_sparse() {
            at = vec![u32::MAX; data.n];
        }
        let samples_len = samples.len();
        Self {
            data,
            outputs,
            criterion,
            counted: counts::gini_counts(outputs, criterion, &data.weights),
            random,
            w_total: data.weights.iter().sum(),
            unit: data.weights.iter().all(|&w| w == 1.0),
            leaf,
            draw,
            samples,
            at,
            values: Vec::new(),
            pairs: Vec::new(),
            has_missing,
            presorted,
            last_feature: usize::MAX,
            medians,
            bounded,
            taint: if bounded {
                vec![false; samples_len]
            } else {
                Vec::new()
            },
            failed: false,
            bounded_lists: bounded::BoundedLists::default(),
            node_bound: (0.0, 0),
        }
    }

    /// The values of `feature` for the samples of `start..end`, in their
    /// order, into `out` (a sparse column read once for the node).
    fn read_column(&mut self, feature: usize, (start, end): (usize, usize), out: &mut Vec<f32>) {
        if self.data.x.is_sparse() {
            for q in start..end {
                self.at[self.samples[q] as usize] = q as u32;
            }
        }
        self.data
            .x
            .node_column_f32(feature, &self.samples, (start, end), &self.at, out);
    }
}

impl NodeSplitter for MultiSplitter<'_> {
    fn samples(&self) -> usize {
        self.samples.len()
    }

    fn summarise(&self, start: usize, end: usize) -> NodeSummary {
        let rows = &self.samples[start..end];
        let w = &self.data.weights;
        let (total, sq, w_node) = self.outputs.node_sums(rows, w);
        let (impurity, value): (f64, ClassSums) = match &self.medians {
            Some(m) => {
                let (medians, error) = m.node(rows);
                (error / (w_node * m.k()), medians.into_iter().collect())
            }
            None => (
                self.outputs
                    .impurity(self.criterion, (&total, sq, w_node), rows, w),
                self.outputs.value(&total, w_node).into_iter().collect(),
            ),
        };
        NodeSummary {
            w: w_node,
            impurity,
            value,
            sums: Sums {
                left: ClassSums::from_elem(0.0, total.len()),
                total: total.into_iter().collect(),
                sq_total: sq,
                w_node,
                w_left: 0.0,
                pos: 0,
            },
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
        let total: ClassSums = base.total.clone();
        let w_node = base.w_node;
        let mut draw = std::mem::take(&mut self.draw);
        let interrupt = self.data.interrupt.clone();
        // scikit-learn's order of the node's samples: `samples` (`None`),
        // or a presorted feature's order.
        let mut sorted_by: Option<usize> = None;
        let mut best = Candidate::none();
        // The children are not in scikit-learn's order (bounded search).
        let mut child_taint = false;
        let mut replay = None;
        if self.bounded {
            if self.failed {
                self.draw = draw;
                return None;
            }
            match self.search_bounded((start, end), (&total, w_node), |search| {
                draw.draw_with(n_constant, &interrupt, |f, _| search(f));
            }) {
                bounded::Bounded::Decided(found, by, taint) => {
                    best = found.unwrap_or_else(Candidate::none);
                    sorted_by = by;
                    child_taint = taint;
                }
                bounded::Bounded::Replay(features) => replay = Some(features),
            }
        } else {
            draw.draw_with(n_constant, &interrupt, |feature, rng| {
                if self.random {
                    self.search_random(feature, (start, end), (&total, w_node), &mut best, rng)
                } else {
                    self.search_best(
                        feature,
                        (start, end),
                        (&total, w_node),
                        &mut best,
                        &mut sorted_by,
                    )
                }
            });
        }
        self.draw = draw;
        if let Some(features) = replay {
            // scikit-learn's search of the features drawn, in their order.
            for feature in features {
                self.search_best(
                    feature,
                    (start, end),
                    (&total, w_node),
                    &mut best,
                    &mut sorted_by,
                );
            }
        }
        if best.feature == usize::MAX {
            return None;
        }
        self.take_order(sorted_by, (start, end));
        let pos = self.partition((start, end), &best);
        // The children's sums and impurities, from the partitioned samples
        // (as scikit-learn's reset and update to the best position).
        let order = &self.samples[start..end];
        let mut run = self.running(&total, w_node);
        self.update(&mut run, order, pos - start, (&total, w_node));
        run.fill_right(&total);
        let (impurity_left, impurity_right) = match &self.medians {
            Some(m) => (
                m.node(&order[..pos - start]).1 / (run.w_left * m.k()),
                m.node(&order[pos - start..]).1 / (run.w_right * m.k()),
            ),
            None => self.outputs.children_impurity(
                self.criterion,
                (&run.left, &run.right),
                (run.w_left, run.w_right),
                (&order[..pos - start], &order[pos - start..], base.sq_total),
                &self.data.weights,
            ),
        };
        let mut sums = base.clone();
        sums.w_left = run.w_left;
        let improvement = crate::tree::cart::shared::criterion::improvement(
            &sums,
            self.w_total,
            node.impurity,
            (impurity_left, impurity_right),
        );
        if self.bounded
            && (child_taint || self.taint[start])
            && self.impurities_uncertain(
                (self.taint[start], child_taint),
                (
                    !lim.stops(node.depth + 1, pos - start, run.w_left, 1.0),
                    !lim.stops(node.depth + 1, end - pos, run.w_right, 1.0),
                ),
                (node.impurity, impurity_left, impurity_right),
                (w_node, run.w_left, run.w_right),
                (base.sq_total, improvement, lim.min_impurity_decrease),
            )
        {
            bounded::count(3);
            self.failed = true;
            return None;
        }
        // The presorted orders follow, unless both children are leaves.
        let sizes = (pos - start, end - pos);
        if presorted::some_child_searched(
            lim,
            node.depth + 1,
            sizes,
            (impurity_left, impurity_right),
        ) {
            if let Some(p) = &mut self.presorted {
                p.partition(&self.samples, (start, pos, end));
            }
            if self.bounded {
                self.taint[start..end].fill(child_taint);
            }
        }
        Some(Split {
            feature: best.feature,
            threshold: best.threshold,
            pos,
            missing_left: best.missing_left,
            categories: None,
            impurity_left,
            impurity_right,
            improvement,
            middle: f64::NAN,
        })
    }
}
