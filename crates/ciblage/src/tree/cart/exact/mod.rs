//! The exact splitter, following scikit-learn's rules: features read as
//! f32, thresholds halfway between consecutive distinct values, ties of
//! values within 1e-7 skipped, the best split kept by strict improvement of
//! the criterion's proxy, features visited in the order of scikit-learn's
//! feature draw.
//!
//! Its parts: the sorted orders and their partition ([`orders`],
//! [`partition`]), growth from the top without presorting ([`top`]), the
//! search of one feature ([`scan`], the absolute error in [`absolute`],
//! categorical features in [`categorical`]) and the node's split
//! ([`split`]). It depends on the shared pieces and implements the
//! growth's splitter interface.

mod absolute;
pub(crate) use absolute::median_error_of;
pub(crate) use absolute::AbsoluteScratch;
mod candidate;
pub(crate) use candidate::Layout;
mod categorical;
mod monotonic;
mod orders;
#[cfg(test)]
pub(crate) use orders::sorted_by_value;
pub(crate) use orders::worth_releasing;
mod partition;
pub(crate) use orders::Orders;
pub(crate) use partition::partition_stable;
mod scan;
mod split;
mod top;

use crate::prefetch::prefetch;
use crate::tree::cart::exact::top::TopRows;
use crate::tree::cart::growth::{depth_first, NodeSplitter, NodeToSplit, Pending};
use crate::tree::cart::params::CartCriterion;
use crate::tree::cart::shared::criterion::{self, ClassSums, Sums};
use crate::tree::cart::shared::data::{NodeSummary, Split, TrainSet};
use crate::tree::cart::shared::draw::FeatureDraw;
use crate::tree::cart::shared::limits::{LeafLimits, Limits};
use crate::tree::cart::tree::CartModel;

/// Best splits searched on every distinct value of the features, read in
/// sorted orders.
pub(crate) struct ExactSplitter<'a> {
    data: &'a TrainSet<'a>,
    criterion: CartCriterion,
    /// Weight of all samples.
    w_total: f64,
    /// Every weight is 1 (no weight is read then).
    unit_weights: bool,
    leaf: LeafLimits,
    draw: FeatureDraw,
    /// The samples in each feature's order.
    orders: Orders,
    /// The feature whose order `update` reads.
    cur: usize,
    /// Whether the children of the node being split may be split in turn.
    children_split: bool,
    /// Samples taking part (those of non-zero weight).
    n_samples: usize,
    /// Growth from the top without presorting (see [`top`]).
    top: Option<TopRows>,
    /// Ranks and buffers of the absolute-error search.
    absolute: AbsoluteScratch,
    /// Features known constant in the node being split (its draw's
    /// `n_constant`): grown depth first, no node below it searches them.
    n_constant: usize,
    /// Per feature, whether the partition leaves its order as it is (see
    /// `partition_marked`).
    skip: Vec<bool>,
}

impl NodeSplitter for ExactSplitter<'_> {
    fn samples(&self) -> usize {
        self.n_samples
    }

    fn summarise(&self, start: usize, end: usize) -> NodeSummary {
        ExactSplitter::summarise(self, start, end)
    }

    fn node_split(
        &mut self,
        node: &NodeToSplit<'_>,
        lim: &Limits,
        n_constant: &mut usize,
    ) -> Option<Split> {
        self.children_split = lim.below_max_depth(node.depth + 1);
        ExactSplitter::node_split(self, node, n_constant, lim.monotonic.as_ref())
    }

    fn children(&self, start: usize, end: usize, pos: usize) -> [(usize, usize); 2] {
        self.orders.children_of(start, end, pos)
    }

    fn release_above(&mut self, end: usize) {
        self.orders.release_above(end);
    }
}

/// The samples of `data` taking part: those of non-zero weight, ascending.
fn weighted_rows(data: &TrainSet<'_>) -> Vec<u32> {
    (0..data.n as u32)
        .filter(|&i| data.weights[i as usize] != 0.0)
        .collect()
}

impl<'a> ExactSplitter<'a> {
    /// A splitter presorting every feature at the root; `mirror`: children
    /// laid out right then left (depth-first growth), the orders reserved
    /// for release when `releasing` (see [`orders`]).
    pub(crate) fn presorted(
        data: &'a TrainSet<'a>,
        criterion: CartCriterion,
        (leaf, draw): (LeafLimits, FeatureDraw),
        (mirror, releasing): (bool, bool),
    ) -> Self {
        let rows = weighted_rows(data);
        let mut sp = Self::unsorted(data, criterion, leaf, draw);
        sp.orders.presort(data, &rows, releasing, &[]);
        sp.orders.mirror = mirror;
        sp.n_samples = rows.len();
        sp.orders.goes_left = vec![false; data.n];
        sp
    }

    /// A splitter growing from the top (see [`top`]), depth first.
    pub(crate) fn from_top(
        data: &'a TrainSet<'a>,
        criterion: CartCriterion,
        (leaf, draw): (LeafLimits, FeatureDraw),
    ) -> Self {
        let mut sp = Self::unsorted(data, criterion, leaf, draw);
        let rows = weighted_rows(data);
        sp.n_samples = rows.len();
        sp.orders.goes_left = vec![false; data.n];
        sp.top = Some(TopRows::new(rows));
        sp
    }

    /// A splitter of no sample yet: no order, no buffer.
    fn unsorted(
        data: &'a TrainSet<'a>,
        criterion: CartCriterion,
        leaf: LeafLimits,
        draw: FeatureDraw,
    ) -> Self {
        Self {
            data,
            criterion,
            w_total: data.weights.iter().sum(),
            unit_weights: data.weights.iter().all(|&w| w == 1.0),
            leaf,
            draw,
            orders: Orders::empty(data.d),
            cur: 0,
            children_split: true,
            n_samples: 0,
            top: None,
            absolute: AbsoluteScratch::default(),
            n_constant: 0,
            skip: vec![false; data.d],
        }
    }

    /// Grows the subtree of `node` into `t` when it is small enough and
    /// the splitter grows from the top: presorts its rows and grows it
    /// from them, with this splitter's feature draw, which it then takes
    /// back. False (nothing done) otherwise.
    pub(crate) fn grow_presorted(
        &mut self,
        t: &mut CartModel,
        lim: &Limits,
        node: &Pending,
    ) -> bool {
        let Some(top) = &mut self.top else {
            return false;
        };
        let m = node.end - node.start;
        if !top.hands_over(m, &mut self.orders) {
            return false;
        }
        let data = self.data;
        let draw = std::mem::take(&mut self.draw);
        let mut sub = ExactSplitter::unsorted(data, self.criterion, self.leaf, draw);
        sub.w_total = self.w_total;
        sub.unit_weights = self.unit_weights;
        let depth_left = lim.max_depth.map(|k| k.saturating_sub(node.depth));
        let releasing = worth_releasing(m, data.d, depth_left);
        // The features known constant in the node are never searched in
        // its subtree: not sorted.
        let rows = &top.rows[node.start..node.end];
        let constant = sub.draw.constants(node.n_constant);
        sub.orders.presort(data, rows, releasing, constant);
        sub.n_samples = m;
        sub.orders.mirror = true;
        sub.orders.goes_left = std::mem::take(&mut self.orders.goes_left);
        let root = Pending {
            start: 0,
            end: m,
            ..*node
        };
        depth_first::grow(&mut sub, t, lim, root, |_, _, _| false);
        self.draw = std::mem::take(&mut sub.draw);
        self.orders.goes_left = std::mem::take(&mut sub.orders.goes_left);
        true
    }

    /// Fills the order of `feature` at the positions of the node
    /// `start..end` (growing from the top only).
    fn show(&mut self, feature: usize, start: usize, end: usize) {
        if let Some(top) = &mut self.top {
            top.show(&mut self.orders, self.data, feature, (start, end));
        }
    }

    /// Takes back the buffers `show` filled.
    fn hide(&mut self, feature: usize) {
        if let Some(top) = &mut self.top {
            top.hide(&mut self.orders, feature);
        }
    }

    fn width(&self) -> usize {
        if self.criterion.is_regression() {
            1
        } else {
            self.data.n_classes
        }
    }

    fn add(&self, sums: &mut [f64], sq: &mut f64, sample: u32, sign: f64) {
        let w = self.data.weights[sample as usize] * sign;
        match (self.data.classes, self.data.targets) {
            (Some(c), _) => sums[c[sample as usize] as usize] += w,
            (_, Some(t)) => {
                let y = t[sample as usize];
                sums[0] += w * y;
                *sq += w * y * y;
            }
            _ => unreachable!("a target is set"),
        }
    }

    /// The samples of the node `start..end` (in some order).
    fn node_samples(&self, start: usize, end: usize) -> &[u32] {
        match &self.top {
            Some(top) => &top.rows[start..end],
            None => &self.orders.sorted[0][start..end],
        }
    }

    fn node_sums(&self, start: usize, end: usize) -> Sums {
        let mut total = ClassSums::from_elem(0.0, self.width());
        let mut sq = 0.0;
        let mut w = 0.0;
        for &s in self.node_samples(start, end) {
            self.add(&mut total, &mut sq, s, 1.0);
            w += self.data.weights[s as usize];
        }
        Sums {
            left: ClassSums::from_elem(0.0, total.len()),
            total,
            sq_total: sq,
            w_node: w,
            w_left: 0.0,
            pos: start,
        }
    }

    /// Weighted samples, impurity and value of a node, from one pass over
    /// its samples.
    fn summarise(&self, start: usize, end: usize) -> NodeSummary {
        let mut sums = self.node_sums(start, end);
        let mut value: ClassSums = sums.total.iter().map(|v| v / sums.w_node).collect();
        match self.criterion {
            CartCriterion::Poisson => {
                sums.sq_total =
                    self.poisson_loss(self.node_samples(start, end), sums.total[0], sums.w_node);
            }
            CartCriterion::AbsoluteError => {
                let rows = self.node_samples(start, end).iter().copied();
                let (median, error) = self.absolute_error_of(rows);
                (value[0], sums.sq_total) = (median, error);
            }
            _ => {}
        }
        NodeSummary {
            w: sums.w_node,
            impurity: criterion::impurity(self.criterion, &sums.total, sums.sq_total, sums.w_node),
            value,
            sums,
        }
    }

    /// Weighted median and absolute error of `rows`.
    fn absolute_error_of(&self, rows: impl Iterator<Item = u32>) -> (f64, f64) {
        median_error_of(self.data, rows)
    }

    /// Ranks the targets of the node `start..end` (before its features are
    /// searched by the absolute error).
    fn rank_node(&mut self, start: usize, end: usize) {
        let mut scratch = std::mem::take(&mut self.absolute);
        scratch.rank(self.data, self.node_samples(start, end));
        self.absolute = scratch;
    }

    /// Asks for the weight and label of `sample` ahead of their use.
    #[inline(always)]
    fn prefetch_sample(&self, sample: usize) {
        if !self.unit_weights {
            if let Some(w) = self.data.weights.get(sample) {
                prefetch(w);
            }
        }
        match (self.data.classes, self.data.targets) {
            (Some(c), _) => c.get(sample).map(prefetch),
            (_, Some(t)) => t.get(sample).map(prefetch),
            _ => None,
        };
    }

    /// Σ w·y·ln(y/ȳ) of `samples`, ȳ = `sum / w` (Poisson).
    fn poisson_loss(&self, samples: &[u32], sum: f64, w: f64) -> f64 {
        let t = self.data.targets.expect("regression");
        criterion::poisson_loss(
            samples
                .iter()
                .map(|&s| (self.data.weights[s as usize], t[s as usize])),
            sum,
            w,
        )
    }
}
