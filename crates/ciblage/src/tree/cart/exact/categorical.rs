//! Categorical features in the exact splitter: a node's categories read
//! from the feature's order (codes ascending, missing values last), the
//! subset searched by the shared search (see
//! [`crate::tree::cart::shared::categorical`]), and the node partitioned
//! by the split kept.

use crate::tree::cart::exact::candidate::Best;
use crate::tree::cart::exact::ExactSplitter;
use crate::tree::cart::params::CartCriterion;
use crate::tree::cart::shared::categorical::{best_subset, CategoryStats};
use crate::tree::cart::shared::criterion::{self, Sums};
use crate::tree::cart::shared::data::Split;
use crate::tree::cart::shared::monotonic;

impl ExactSplitter<'_> {
    /// Searches categorical `feature` in the node `start..end` (its order
    /// shown), updating `best`; false when the feature is constant there
    /// (one category and no missing value).
    pub(super) fn search_categorical(
        &self,
        feature: usize,
        (start, end): (usize, usize),
        base: &Sums,
        best: &mut Option<Best>,
    ) -> bool {
        let order = &self.orders.sorted[feature][start..end];
        let values = &self.orders.values[feature][start..end];
        let width = base.total.len();
        // Runs of one category in the feature's order (codes ascending,
        // NaN last).
        let mut codes: Vec<Option<u32>> = Vec::new();
        let (mut count, mut w, mut stat) = (Vec::new(), Vec::new(), Vec::new());
        for (&smp, &v) in order.iter().zip(values) {
            let code = (!v.is_nan()).then_some(v as u32);
            if codes.last() != Some(&code) {
                codes.push(code);
                count.push(0u32);
                w.push(0.0);
                stat.resize(stat.len() + width, 0.0);
            }
            let k = codes.len() - 1;
            let mut sq = 0.0;
            self.add(&mut stat[k * width..], &mut sq, smp, 1.0);
            count[k] += 1;
            w[k] += self.data.weights[smp as usize];
        }
        let cats = CategoryStats {
            count: &count,
            w: &w,
            stat: &stat,
            has_missing: codes.last() == Some(&None),
        };
        let Some(found) = best_subset(self.criterion, self.leaf, base, &cats, end - start) else {
            return false;
        };
        if let Some(c) = found {
            if best.as_ref().is_none_or(|b| c.proxy > b.proxy) {
                let (left, right) = c.sides();
                let codes_of = |side: Vec<usize>| -> Vec<u32> {
                    side.into_iter().filter_map(|i| codes[i]).collect()
                };
                *best = Some(Best {
                    proxy: c.proxy,
                    feature,
                    threshold: -2.0,
                    missing_left: c.missing_left,
                    categories: Some((codes_of(left), codes_of(right))),
                });
            }
        }
        true
    }

    /// Partitions the node by a categorical split and returns it.
    pub(super) fn finish_categorical(
        &mut self,
        (feature, (left, right), missing_left): (usize, (Vec<u32>, Vec<u32>), bool),
        start: usize,
        end: usize,
        impurity: f64,
        base: Sums,
    ) -> Split {
        let mut s = base;
        s.left.iter_mut().for_each(|v| *v = 0.0);
        s.w_left = 0.0;
        let mut sq_left = 0.0;
        let mut n_left = 0;
        // Poisson: each side's samples, in the feature's order.
        let poisson = self.criterion == CartCriterion::Poisson;
        let (mut left_rows, mut right_rows) = (Vec::new(), Vec::new());
        for k in start..end {
            let (smp, v) = (
                self.orders.sorted[feature][k],
                self.orders.values[feature][k],
            );
            let goes_left = if v.is_nan() {
                missing_left
            } else {
                left.binary_search(&(v as u32)).is_ok()
            };
            if poisson {
                if goes_left {
                    left_rows.push(smp);
                } else {
                    right_rows.push(smp);
                }
            }
            if goes_left {
                self.orders.goes_left[smp as usize] = true;
                let mut left_sums = std::mem::take(&mut s.left);
                self.add(&mut left_sums, &mut sq_left, smp, 1.0);
                s.left = left_sums;
                s.w_left += self.data.weights[smp as usize];
                n_left += 1;
            }
        }
        self.partition_marked((start, end), n_left, None);
        let w_right = s.w_node - s.w_left;
        let (impurity_left, impurity_right) = if poisson {
            criterion::poisson_children(
                &s,
                self.poisson_loss(&left_rows, s.left[0], s.w_left),
                self.poisson_loss(&right_rows, s.total[0] - s.left[0], w_right),
            )
        } else {
            criterion::children_impurity(self.criterion, &s, sq_left)
        };
        let improvement =
            criterion::improvement(&s, self.w_total, impurity, (impurity_left, impurity_right));
        Split {
            feature,
            threshold: -2.0,
            pos: start + n_left,
            missing_left,
            categories: Some((left, right)),
            impurity_left,
            impurity_right,
            improvement,
            middle: monotonic::middle(s.first()),
        }
    }
}
