//! Trees of several outputs (scikit-learn's 2-D `y`): one tree predicting
//! every output at once, its impurity the mean over outputs of each
//! output's (Gini or entropy with the output's own classes, the squared
//! error or the Poisson loss), its node values `outputs × classes` numbers
//! per node (classes past an output's own held at zero).
//!
//! A tree of one output never comes here: the single-output splitters keep
//! their specialised loops. This splitter is scikit-learn's `BestSplitter`
//! (or `RandomSplitter`) as written: at each node every drawn feature is
//! sorted over the node's samples and scanned, the running sums updated
//! from the nearer end, the best candidate kept by strict improvement of
//! the proxy, features drawn by scikit-learn's generator. The trees are
//! scikit-learn's node for node. Entry points: `fit_outputs` of
//! [`crate::tree::cart::CartValidParams`].

mod absolute;
mod fit;
mod order;
mod stats;
#[cfg(test)]
mod tests;

use crate::tree::cart::growth::{NodeSplitter, NodeToSplit};
use crate::tree::cart::params::CartCriterion;
use crate::tree::cart::shared::criterion::{ClassSums, Sums};
use crate::tree::cart::shared::data::{
    threshold_between, NodeSummary, Split, TrainSet, FEATURE_THRESHOLD,
};
use crate::tree::cart::shared::draw::{rand_uniform, FeatureDraw};
use crate::tree::cart::shared::limits::{LeafLimits, Limits};
use absolute::MedianOutputs;
use stats::Outputs;

/// The running sums of a scan: the left child's, the right child's and
/// their weights.
struct Running {
    left: Vec<f64>,
    right: Vec<f64>,
    w_left: f64,
    w_right: f64,
    pos: usize,
}

/// The best candidate of a node so far.
struct Candidate {
    proxy: f64,
    feature: usize,
    threshold: f64,
}

/// Splits nodes of several outputs (exact, or one random threshold per
/// feature).
pub(crate) struct MultiSplitter<'a> {
    data: &'a TrainSet<'a>,
    outputs: &'a Outputs,
    criterion: CartCriterion,
    /// Random thresholds (`splitter="random"`) instead of every one.
    random: bool,
    w_total: f64,
    leaf: LeafLimits,
    draw: FeatureDraw,
    /// The samples taking part (non-zero weight), each node's contiguous.
    samples: Vec<u32>,
    /// Scratch: the values of a node's samples for one feature.
    values: Vec<f32>,
    /// The feature the node's samples were last ordered by (random
    /// splitter: partitioned by).
    last_feature: usize,
    /// The absolute error's medians (that criterion only).
    medians: Option<MedianOutputs<'a>>,
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
        Self {
            data,
            outputs,
            criterion,
            random,
            w_total: data.weights.iter().sum(),
            leaf,
            draw,
            samples,
            values: Vec::new(),
            last_feature: usize::MAX,
            medians,
        }
    }

    /// Feature `f` of sample `s`, read as f32.
    #[inline]
    fn value(&self, s: u32, f: usize) -> f32 {
        self.data.x.get(s as usize, f) as f32
    }

    /// Moves the running sums to position `new_pos` of `order` (the node's
    /// samples in the scanned order), from the nearer end as
    /// scikit-learn's `update` does; `total`, `w_node` are the node's.
    fn update(
        &self,
        run: &mut Running,
        order: &[u32],
        new_pos: usize,
        (total, w_node): (&[f64], f64),
    ) {
        let w = &self.data.weights;
        let end = order.len();
        if new_pos - run.pos <= end - new_pos {
            for &s in &order[run.pos..new_pos] {
                let ws = w[s as usize];
                self.outputs.add(&mut run.left, s as usize, ws);
                run.w_left += ws;
            }
        } else {
            // Reverse reset: everything left, then the tail taken back.
            run.left.copy_from_slice(total);
            run.w_left = w_node;
            for &s in order[new_pos..end].iter().rev() {
                let ws = w[s as usize];
                self.outputs.remove(&mut run.left, s as usize, ws);
                run.w_left -= ws;
            }
        }
        run.w_right = w_node - run.w_left;
        for ((r, t), l) in run.right.iter_mut().zip(total).zip(&run.left) {
            *r = t - l;
        }
        run.pos = new_pos;
    }

    /// The proxy of the running split, `None` when a child is lighter
    /// than the leaves may be.
    fn proxy(&self, run: &Running) -> Option<f64> {
        if run.w_left < self.leaf.min_weight || run.w_right < self.leaf.min_weight {
            return None;
        }
        if let Some(m) = &self.medians {
            // −w_R·I_R − w_L·I_L, the impurities from the summed errors.
            let (el, er) = m.split_errors(run.pos);
            let il = el / (run.w_left * m.k());
            let ir = er / (run.w_right * m.k());
            return Some(-run.w_right * ir - run.w_left * il);
        }
        Some(self.outputs.proxy(
            self.criterion,
            (&run.left, &run.right),
            (run.w_left, run.w_right),
        ))
    }

    /// The values of `feature` for the samples of `start..end`, in their
    /// order, in the scratch buffer (taken: give it back).
    fn take_values(&mut self, feature: usize, (start, end): (usize, usize)) -> Vec<f32> {
        let mut values = std::mem::take(&mut self.values);
        values.clear();
        values.extend(
            self.samples[start..end]
                .iter()
                .map(|&s| self.value(s, feature)),
        );
        values
    }

    /// Searches every threshold of `feature` in the node `start..end`
    /// (scikit-learn's best splitter: the node's samples sorted in place by
    /// the feature); false when the feature is constant there.
    fn search_all(
        &mut self,
        feature: usize,
        (start, end): (usize, usize),
        (total, w_node): (&[f64], f64),
        best: &mut Candidate,
    ) -> bool {
        let mut xf = self.take_values(feature, (start, end));
        order::sort(&mut xf, &mut self.samples[start..end]);
        self.last_feature = feature;
        let n = xf.len();
        if xf[n - 1] <= xf[0] + FEATURE_THRESHOLD {
            self.values = xf;
            return false;
        }
        if let Some(m) = &mut self.medians {
            m.passes(&self.samples[start..end]);
        }
        let mut run = self.running(total, w_node);
        let order = &self.samples[start..end];
        let mut p = 0usize;
        while p < n {
            while p + 1 < n && xf[p + 1] <= xf[p] + FEATURE_THRESHOLD {
                p += 1;
            }
            let p_prev = p;
            p += 1;
            if p >= n {
                break;
            }
            if p < self.leaf.min_samples || n - p < self.leaf.min_samples {
                continue;
            }
            self.update(&mut run, order, p, (total, w_node));
            if let Some(proxy) = self.proxy(&run) {
                if proxy > best.proxy {
                    *best = Candidate {
                        proxy,
                        feature,
                        threshold: threshold_between(xf[p_prev], xf[p]),
                    };
                }
            }
        }
        self.values = xf;
        true
    }

    /// Draws one threshold of `feature` in the node `start..end` and
    /// evaluates it (scikit-learn's random splitter: the node's samples
    /// partitioned in place by it); false when the feature is constant
    /// there.
    fn search_random(
        &mut self,
        feature: usize,
        (start, end): (usize, usize),
        (total, w_node): (&[f64], f64),
        best: &mut Candidate,
        rng: &mut u32,
    ) -> bool {
        let mut xf = self.take_values(feature, (start, end));
        self.last_feature = feature;
        let (mut lo, mut hi) = (xf[0], xf[0]);
        for &v in &xf[1..] {
            if v < lo {
                lo = v;
            } else if v > hi {
                hi = v;
            }
        }
        if hi <= lo + FEATURE_THRESHOLD {
            self.values = xf;
            return false;
        }
        let (lo, hi) = (f64::from(lo), f64::from(hi));
        let mut threshold = rand_uniform(rng, lo, hi);
        if threshold == hi {
            threshold = lo;
        }
        let n_left = order::partition(&mut xf, &mut self.samples[start..end], threshold);
        self.values = xf;
        let n_right = end - start - n_left;
        if n_left < self.leaf.min_samples || n_right < self.leaf.min_samples {
            return true;
        }
        if let Some(m) = &mut self.medians {
            m.passes(&self.samples[start..end]);
        }
        let mut run = self.running(total, w_node);
        self.update(&mut run, &self.samples[start..end], n_left, (total, w_node));
        if let Some(proxy) = self.proxy(&run) {
            if proxy > best.proxy {
                *best = Candidate {
                    proxy,
                    feature,
                    threshold,
                };
            }
        }
        true
    }

    /// Sums at the start of a scan: nothing left.
    fn running(&self, total: &[f64], w_node: f64) -> Running {
        Running {
            left: vec![0.0; total.len()],
            right: total.to_vec(),
            w_left: 0.0,
            w_right: w_node,
            pos: 0,
        }
    }

    /// Moves the samples of `start..end` with `feature <= threshold`
    /// first (scikit-learn's final partition; the random splitter's samples
    /// are already partitioned when the best feature was the last drawn);
    /// returns the first right position.
    fn partition(&mut self, (start, end): (usize, usize), feature: usize, threshold: f64) -> usize {
        let data = self.data;
        let value = |s: u32| data.x.get(s as usize, feature) as f32;
        if self.random && self.last_feature == feature {
            // Already partitioned by this very split.
            return start
                + self.samples[start..end]
                    .iter()
                    .take_while(|&&s| f64::from(value(s)) <= threshold)
                    .count();
        }
        start + order::partition_final(&mut self.samples[start..end], threshold, value)
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
        _lim: &Limits,
        n_constant: &mut usize,
    ) -> Option<Split> {
        let (start, end) = (node.start, node.end);
        let base = &node.summary.sums;
        let total: Vec<f64> = base.total.to_vec();
        let w_node = base.w_node;
        let mut best = Candidate {
            proxy: f64::NEG_INFINITY,
            feature: usize::MAX,
            threshold: f64::NAN,
        };
        let mut draw = std::mem::take(&mut self.draw);
        let interrupt = self.data.interrupt.clone();
        draw.draw_with(n_constant, &interrupt, |feature, rng| {
            if self.random {
                self.search_random(feature, (start, end), (&total, w_node), &mut best, rng)
            } else {
                self.search_all(feature, (start, end), (&total, w_node), &mut best)
            }
        });
        self.draw = draw;
        if best.feature == usize::MAX {
            return None;
        }
        let pos = self.partition((start, end), best.feature, best.threshold);
        // The children's sums and impurities, from the partitioned samples
        // (as scikit-learn's reset and update to the best position).
        let order = &self.samples[start..end];
        let mut run = self.running(&total, w_node);
        self.update(&mut run, order, pos - start, (&total, w_node));
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
        Some(Split {
            feature: best.feature,
            threshold: best.threshold,
            pos,
            // No missing values at fit: they go to the larger child at
            // prediction (as scikit-learn sends them).
            missing_left: pos - start > end - pos,
            categories: None,
            impurity_left,
            impurity_right,
            improvement,
            middle: f64::NAN,
        })
    }
}
