//! The exact splitter of a sparse matrix, working on the stored entries of
//! each node only, as scikit-learn's sparse splitter does: per feature the
//! non-zero entries are sorted once at the root (see [`entries`]); a node
//! holds one sorted range of entries per feature present in its rows; the
//! rows holding zero are one block between the negative and the positive
//! entries, whose statistics are the node's totals minus the entries' (no
//! zero is read); one pass over a feature's entries gives every candidate
//! split, the zero block taking its place in the order (see [`scan`]).
//!
//! A node costs its stored entries (search and partition) plus its rows
//! once (its sums and the partition of its rows), where the dense orders
//! cost rows × features. Trees are the dense splitter's, node for node:
//! the same candidates, thresholds (midpoints around zero included),
//! feature draw and first-of-equal-proxies rule.
//!
//! It takes numeric features without missing values and the criteria whose
//! candidates are judged by sums (Gini, entropy, squared error, Poisson),
//! without monotonic constraints; a fit outside those uses the dense
//! orders ([`SparseSplitter::applies`]).

mod entries;
mod scan;
#[cfg(test)]
mod tests;

use std::collections::HashMap;

use crate::tree::cart::growth::{NodeSplitter, NodeToSplit};
use crate::tree::cart::params::CartCriterion;
use crate::tree::cart::shared::criterion::{self, ClassSums, Sums};
use crate::tree::cart::shared::data::{Columns, NodeSummary, Split, TrainSet};
use crate::tree::cart::shared::draw::FeatureDraw;
use crate::tree::cart::shared::limits::{LeafLimits, Limits};
use crate::tree::cart::shared::monotonic;
use entries::{Entries, Span};
use scan::Found;

/// A feature without entries in the node being split.
const ABSENT: u32 = u32::MAX;

/// See the module documentation.
pub(crate) struct SparseSplitter<'a> {
    data: &'a TrainSet<'a>,
    criterion: CartCriterion,
    /// Weight of all samples.
    w_total: f64,
    /// Every weight is 1 (no weight is read then).
    unit_weights: bool,
    leaf: LeafLimits,
    draw: FeatureDraw,
    /// The rows taking part (non-zero weight); every node is one range of
    /// positions, its rows ascending.
    rows: Vec<u32>,
    /// The features' sorted entries.
    entries: Entries,
    /// The spans of the nodes still to split, by their first position.
    spans: HashMap<usize, Vec<Span>>,
    /// Per feature, its span's index in the node being split, or
    /// [`ABSENT`].
    slot: Vec<u32>,
    /// Per row, whether it goes left in the partition being made.
    goes_left: Vec<bool>,
    /// The right side of the rows being partitioned.
    row_buf: Vec<u32>,
    /// Span lists given back, reused for the next children.
    spare: Vec<Vec<Span>>,
}

impl<'a> SparseSplitter<'a> {
    /// Whether the fit of `data` by `criterion` (monotonic constraints
    /// given or not) is the sparse splitter's: CSC features without NaN,
    /// a criterion judged by sums, no constraint.
    pub(crate) fn applies(
        data: &TrainSet<'_>,
        criterion: CartCriterion,
        constrained: bool,
    ) -> bool {
        match &data.x {
            Columns::Sparse(x) => {
                criterion != CartCriterion::AbsoluteError
                    && !constrained
                    && !x.data.iter().any(|v| v.is_nan())
            }
            Columns::Dense(_) | Columns::Dense32(_) => false,
        }
    }

    /// The splitter of `data` (see [`SparseSplitter::applies`]): every
    /// feature's entries sorted, the root's spans ready.
    pub(crate) fn new(
        data: &'a TrainSet<'a>,
        criterion: CartCriterion,
        (leaf, draw): (LeafLimits, FeatureDraw),
    ) -> Self {
        let Columns::Sparse(x) = &data.x else {
            unreachable!("the sparse splitter reads CSC columns")
        };
        let taking_part: Vec<bool> = data.weights.iter().map(|&w| w != 0.0).collect();
        let rows: Vec<u32> = (0..data.n as u32)
            .filter(|&r| taking_part[r as usize])
            .collect();
        let (entries, root) = Entries::at_root(x, &taking_part);
        let mut spans = HashMap::new();
        spans.insert(0, root);
        Self {
            data,
            criterion,
            w_total: data.weights.iter().sum(),
            unit_weights: data.weights.iter().all(|&w| w == 1.0),
            leaf,
            draw,
            row_buf: vec![0; rows.len()],
            rows,
            entries,
            spans,
            slot: vec![ABSENT; data.d],
            goes_left: vec![false; data.n],
            spare: Vec::new(),
        }
    }

    /// Number of classes, or 1 (regression).
    fn width(&self) -> usize {
        if self.criterion.is_regression() {
            1
        } else {
            self.data.n_classes
        }
    }

    /// Class weights (or Σwy), Σwy² and weight of `rows`.
    fn sums_of(&self, rows: &[u32]) -> (ClassSums, f64, f64) {
        let mut sums = ClassSums::from_elem(0.0, self.width());
        let (mut sq, mut w) = (0.0, 0.0);
        let weights = &self.data.weights;
        match (self.data.classes, self.data.targets) {
            (Some(c), _) => {
                for &r in rows {
                    let wr = weights[r as usize];
                    sums[c[r as usize] as usize] += wr;
                    w += wr;
                }
            }
            (_, Some(t)) => {
                for &r in rows {
                    let (wr, y) = (weights[r as usize], t[r as usize]);
                    sums[0] += wr * y;
                    sq += wr * y * y;
                    w += wr;
                }
            }
            _ => unreachable!("a target is set"),
        }
        (sums, sq, w)
    }

    /// Σ w·y·ln(y/ȳ) of `rows`, ȳ = `sum / w` (Poisson).
    fn poisson_loss(&self, rows: &[u32], sum: f64, w: f64) -> f64 {
        let t = self.data.targets.expect("regression");
        let weights = &self.data.weights;
        criterion::poisson_loss(
            rows.iter().map(|&r| (weights[r as usize], t[r as usize])),
            sum,
            w,
        )
    }

    /// The span list of a child, from the spare ones.
    fn span_list(&mut self) -> Vec<Span> {
        let mut v = self.spare.pop().unwrap_or_default();
        v.clear();
        v
    }

    /// Gives a span list back.
    fn give_back(&mut self, v: Vec<Span>) {
        if v.capacity() > 0 {
            self.spare.push(v);
        }
    }

    /// The best split of `node` (see [`NodeSplitter::node_split`]).
    fn split_node(
        &mut self,
        node: &NodeToSplit<'_>,
        lim: &Limits,
        n_constant: &mut usize,
    ) -> Option<Split> {
        let (start, end) = (node.start, node.end);
        let spans = self.spans.remove(&start).unwrap_or_default();
        for (k, s) in spans.iter().enumerate() {
            self.slot[s.feature as usize] = k as u32;
        }
        let base = &node.summary.sums;
        let n_node = end - start;
        let mut best: Option<Found> = None;
        let mut draw = std::mem::take(&mut self.draw);
        draw.draw(n_constant, &self.data.interrupt, |feature| {
            match self.slot[feature] {
                // No entry: every row holds 0, the feature is constant.
                ABSENT => false,
                k => self.search(spans[k as usize], n_node, base, &mut best),
            }
        });
        self.draw = draw;
        for s in &spans {
            self.slot[s.feature as usize] = ABSENT;
        }
        let Some(found) = best else {
            self.give_back(spans);
            return None;
        };
        let split = self.partition(node, lim, &spans, &found);
        self.give_back(spans);
        Some(split)
    }

    /// Partitions the node `node` by the split `found` (its rows, and the
    /// entries of its children that may be split in turn); the split with
    /// its children's impurities.
    fn partition(
        &mut self,
        node: &NodeToSplit<'_>,
        lim: &Limits,
        spans: &[Span],
        found: &Found,
    ) -> Split {
        let (start, end) = (node.start, node.end);
        let span = found.span;
        let threshold = found.threshold;
        let e_rows = &self.entries.rows[span.range()];
        let e_vals = &self.entries.vals[span.range()];
        // Entries at most the threshold: a prefix of the sorted ones.
        let below = e_vals.partition_point(|&v| f64::from(v) <= threshold);
        let zeros_left = 0.0 <= threshold;
        if zeros_left {
            for &r in &self.rows[start..end] {
                self.goes_left[r as usize] = true;
            }
            for &r in &e_rows[below..] {
                self.goes_left[r as usize] = false;
            }
        } else {
            for &r in &e_rows[..below] {
                self.goes_left[r as usize] = true;
            }
        }
        // Poisson children are summed in the feature's order (the dense
        // splitter's), read before the rows move.
        let poisson = (self.criterion == CartCriterion::Poisson)
            .then(|| self.sides_in_order(span, below, zeros_left, (start, end)));
        // The rows: left ones first, each side ascending.
        let (mut l, mut r) = (start, 0);
        for k in start..end {
            let row = self.rows[k];
            let go = usize::from(self.goes_left[row as usize]);
            self.rows[l] = row;
            self.row_buf[r] = row;
            l += go;
            r += 1 - go;
        }
        self.rows[l..end].copy_from_slice(&self.row_buf[..r]);
        let pos = l;
        let split = self.finish(node, pos, found, poisson);
        // The entries, for the children the growth may split (those the
        // limits do not stop before their split is searched).
        let deeper = lim.below_max_depth(node.depth + 1);
        let may_split = |n: usize, impurity: f64| {
            deeper
                && n >= lim.min_samples_split
                && n >= 2 * lim.leaf.min_samples
                && impurity > f64::EPSILON
        };
        let left_ok = may_split(pos - start, split.impurity_left);
        let right_ok = may_split(end - pos, split.impurity_right);
        if left_ok || right_ok {
            let (mut left, mut right) = (self.span_list(), self.span_list());
            self.entries
                .partition(spans, &self.goes_left, (&mut left, &mut right));
            if left_ok {
                self.spans.insert(start, left);
            } else {
                self.give_back(left);
            }
            if right_ok {
                self.spans.insert(pos, right);
            } else {
                self.give_back(right);
            }
        }
        for &row in &self.rows[start..end] {
            self.goes_left[row as usize] = false;
        }
        split
    }

    /// The rows of the node `start..end` going left and right by the
    /// split on `span`'s feature (its first `below` entries and, when
    /// `zeros_left`, its zeros go left), each side in the feature's sorted
    /// order (zeros by row).
    fn sides_in_order(
        &self,
        span: Span,
        below: usize,
        zeros_left: bool,
        (start, end): (usize, usize),
    ) -> (Vec<u32>, Vec<u32>) {
        let e_rows = &self.entries.rows[span.range()];
        let e_vals = &self.entries.vals[span.range()];
        // The zeros are the node's rows not among the entries' (sorted
        // for the look-ups).
        let mut held: Vec<u32> = e_rows.to_vec();
        held.sort_unstable();
        let zeros: Vec<u32> = self.rows[start..end]
            .iter()
            .copied()
            .filter(|r| held.binary_search(r).is_err())
            .collect();
        let negatives = e_vals.partition_point(|&v| v.is_sign_negative());
        let mut in_order: Vec<u32> = Vec::with_capacity(end - start);
        in_order.extend_from_slice(&e_rows[..negatives]);
        in_order.extend_from_slice(&zeros);
        in_order.extend_from_slice(&e_rows[negatives..]);
        let n_left = below + if zeros_left { zeros.len() } else { 0 };
        let right = in_order.split_off(n_left);
        (in_order, right)
    }

    /// The split sending positions `start..pos` of the partitioned node
    /// left: its children's sums and impurities, its improvement.
    fn finish(
        &self,
        node: &NodeToSplit<'_>,
        pos: usize,
        found: &Found,
        poisson: Option<(Vec<u32>, Vec<u32>)>,
    ) -> Split {
        let (start, end) = (node.start, node.end);
        let mut sums: Sums = node.summary.sums.clone();
        let (left, sq_left, w_left) = self.sums_of(&self.rows[start..pos]);
        sums.left = left;
        sums.w_left = w_left;
        sums.pos = pos;
        let (impurity_left, impurity_right) = match (self.criterion, poisson) {
            (CartCriterion::Poisson, Some((l, r))) => {
                let sum_right = sums.total[0] - sums.left[0];
                let w_right = sums.w_node - sums.w_left;
                criterion::poisson_children(
                    &sums,
                    self.poisson_loss(&l, sums.left[0], sums.w_left),
                    self.poisson_loss(&r, sum_right, w_right),
                )
            }
            (c, _) => criterion::children_impurity(c, &sums, sq_left),
        };
        let improvement = criterion::improvement(
            &sums,
            self.w_total,
            node.impurity,
            (impurity_left, impurity_right),
        );
        debug_assert!(pos > start && pos < end);
        Split {
            feature: found.feature,
            threshold: found.threshold,
            pos,
            missing_left: found.missing_left,
            categories: None,
            impurity_left,
            impurity_right,
            improvement,
            middle: monotonic::middle(sums.first()),
        }
    }
}

impl NodeSplitter for SparseSplitter<'_> {
    fn samples(&self) -> usize {
        self.rows.len()
    }

    fn summarise(&self, start: usize, end: usize) -> NodeSummary {
        let rows = &self.rows[start..end];
        let (total, mut sq, w) = self.sums_of(rows);
        let value: ClassSums = total.iter().map(|v| v / w).collect();
        if self.criterion == CartCriterion::Poisson {
            sq = self.poisson_loss(rows, total[0], w);
        }
        let sums = Sums {
            left: ClassSums::from_elem(0.0, total.len()),
            total,
            sq_total: sq,
            w_node: w,
            w_left: 0.0,
            pos: start,
        };
        NodeSummary {
            w,
            impurity: criterion::impurity(self.criterion, &sums.total, sums.sq_total, w),
            value,
            sums,
        }
    }

    fn node_split(
        &mut self,
        node: &NodeToSplit<'_>,
        lim: &Limits,
        n_constant: &mut usize,
    ) -> Option<Split> {
        self.split_node(node, lim, n_constant)
    }

    fn forget(&mut self, start: usize, _end: usize) {
        if let Some(v) = self.spans.remove(&start) {
            self.give_back(v);
        }
    }
}
