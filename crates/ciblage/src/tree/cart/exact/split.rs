//! The exact splitter's split of a node: its features drawn and searched,
//! then the node partitioned by the best split found, whose children's
//! impurities and improvement are computed from their samples.

use crate::tree::cart::exact::candidate::{Best, Layout};
use crate::tree::cart::exact::ExactSplitter;
use crate::tree::cart::growth::NodeToSplit;
use crate::tree::cart::params::CartCriterion;
use crate::tree::cart::shared::criterion::{self, Sums};
use crate::tree::cart::shared::data::Split;
use crate::tree::cart::shared::monotonic::{self, Monotonic};

impl ExactSplitter<'_> {
    /// The best split of `node`; `n_constant` is the number of features
    /// known constant in the parent, updated in place; candidates on
    /// features constrained by `monotonic` must keep their constraint.
    pub(super) fn node_split(
        &mut self,
        node: &NodeToSplit<'_>,
        n_constant: &mut usize,
        monotonic: Option<&Monotonic>,
    ) -> Option<Split> {
        let (start, end, impurity) = (node.start, node.end, node.impurity);
        let mut best: Option<Best> = None;
        let base = node.summary.sums.clone();
        let mut scratch = Sums::zero(base.total.len());
        if self.criterion == CartCriterion::AbsoluteError {
            self.rank_node(start, end);
        }
        let mut draw = std::mem::take(&mut self.draw);
        draw.draw(n_constant, &self.data.interrupt, |feature| {
            self.show(feature, start, end);
            let sign = monotonic.map_or(0, |m| m.sign(feature));
            let varies = if sign == 0 {
                self.search_feature(feature, (start, end), (&base, &mut scratch), &mut best)
            } else {
                self.search_constrained(
                    feature,
                    (start, end),
                    &base,
                    (sign, node.bounds),
                    &mut best,
                )
            };
            self.hide(feature);
            varies
        });
        self.draw = draw;
        self.n_constant = *n_constant;
        let Best {
            feature,
            threshold,
            missing_left,
            categories,
            ..
        } = best?;
        self.show(feature, start, end);
        if let Some(cats) = categories {
            let split =
                self.finish_categorical((feature, cats, missing_left), start, end, impurity, base);
            self.hide(feature);
            return Some(split);
        }
        // Rows with x <= threshold go left (a prefix of the feature's
        // order), and the missing ones (last) when they go left.
        self.cur = feature;
        let values = &self.orders.values[feature][start..end];
        let n_missing = values.iter().rev().take_while(|v| v.is_nan()).count();
        let end_nm = end - n_missing;
        let below = values
            .iter()
            .take_while(|&&v| f64::from(v) <= threshold)
            .count();
        let moved = if missing_left { n_missing } else { 0 };
        let pos = start + below + moved;
        let lay = Layout {
            start,
            end_nm,
            n_missing,
            missing_first: missing_left,
        };
        let mut sums = base;
        sums.pos = start;
        self.update(&mut sums, &lay, end, pos);
        // The middle of the children's values: of their means or shares,
        // of their medians for the absolute error.
        let mut middle = monotonic::middle(sums.first());
        let (impurity_left, impurity_right) = match self.criterion {
            CartCriterion::Poisson => {
                let order = &self.orders.sorted[feature];
                let left: Vec<u32> = (start..pos).map(|q| order[lay.at(q)]).collect();
                let right: Vec<u32> = (pos..end).map(|q| order[lay.at(q)]).collect();
                let sum_right = sums.total[0] - sums.left[0];
                let w_right = sums.w_node - sums.w_left;
                criterion::poisson_children(
                    &sums,
                    self.poisson_loss(&left, sums.left[0], sums.w_left),
                    self.poisson_loss(&right, sum_right, w_right),
                )
            }
            CartCriterion::AbsoluteError => {
                let order = &self.orders.sorted[feature];
                let (median_left, left) =
                    self.absolute_error_of((start..pos).map(|q| order[lay.at(q)]));
                let (median_right, right) =
                    self.absolute_error_of((pos..end).map(|q| order[lay.at(q)]));
                middle = (median_left + median_right) / 2.0;
                (left / sums.w_left, right / (sums.w_node - sums.w_left))
            }
            CartCriterion::SquaredError => {
                let sq_left = self.sq_left(&lay, pos);
                criterion::children_impurity(self.criterion, &sums, sq_left)
            }
            _ => criterion::children_impurity(self.criterion, &sums, 0.0),
        };
        let improvement = criterion::improvement(
            &sums,
            self.w_total,
            impurity,
            (impurity_left, impurity_right),
        );
        self.partition(feature, start, start + below, (end_nm, moved), end);
        self.hide(feature);
        Some(Split {
            feature,
            threshold,
            pos,
            missing_left,
            categories: None,
            impurity_left,
            impurity_right,
            improvement,
            middle,
        })
    }

    /// Σ w·y² of the samples read at positions `start..pos` (regression).
    fn sq_left(&self, lay: &Layout, pos: usize) -> f64 {
        let targets = self.data.targets.expect("regression");
        (lay.start..pos)
            .map(|q| {
                let smp = self.orders.sorted[self.cur][lay.at(q)] as usize;
                self.data.weights[smp] * targets[smp] * targets[smp]
            })
            .sum()
    }
}
