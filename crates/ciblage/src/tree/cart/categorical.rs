//! Native categorical splits: a subset of a feature's categories goes left.
//!
//! The node's categories (the missing values counted as one more) are
//! ordered by their mean target — the share of the second class for two
//! classes, the share of the node's majority class for more, the mean for
//! regression — and the best split is searched among the prefixes of that
//! order. For two classes and for regression this is the best of all
//! subsets (Breiman et al. 1984, §9.4); for more classes it is a heuristic
//! with the same cost. Ties in the order go by category code (missing last),
//! so trees are deterministic.

use crate::tree::cart::build::Splitter;
use crate::tree::cart::criterion::{self, Sums};
use crate::tree::cart::params::CartCriterion;
use crate::tree::cart::splitter::Split;

/// The best categorical split of one feature in one node.
pub(super) struct CategoricalCandidate {
    pub proxy: f64,
    pub left: Vec<u32>,
    pub right: Vec<u32>,
    pub missing_left: bool,
}

/// One category of the node (`None`: the missing values) and its sums.
struct Category {
    code: Option<u32>,
    count: usize,
    w: f64,
    stat: Vec<f64>,
}

impl Splitter<'_> {
    /// The best subset split of categorical `feature` in the node
    /// `start..end`: `None` when the feature is constant there (one
    /// category and no missing value), `Some(None)` when no split meets the
    /// size limits.
    pub(super) fn categorical_split(
        &self,
        feature: usize,
        start: usize,
        end: usize,
        base: &Sums,
    ) -> Option<Option<CategoricalCandidate>> {
        let order = &self.sorted[feature][start..end];
        let values = &self.sorted_values[feature][start..end];
        let width = base.total.len();
        // Runs of one category in the feature's order (codes ascending, NaN last).
        let mut cats: Vec<Category> = Vec::new();
        for (&smp, &v) in order.iter().zip(values) {
            let code = (!v.is_nan()).then_some(v as u32);
            if cats.last().is_none_or(|c| c.code != code) {
                cats.push(Category {
                    code,
                    count: 0,
                    w: 0.0,
                    stat: vec![0.0; width],
                });
            }
            let c = cats.last_mut().expect("pushed");
            let mut sq = 0.0;
            self.add(&mut c.stat, &mut sq, smp, 1.0);
            c.count += 1;
            c.w += self.data.weights[smp as usize];
        }
        if cats.len() < 2 {
            return None;
        }
        let class = match (self.criterion, width) {
            (c, _) if c.is_regression() => 0,
            (_, 2) => 1,
            _ => (0..width).fold(0, |b, k| if base.total[k] > base.total[b] { k } else { b }),
        };
        let key = |c: &Category| if c.w > 0.0 { c.stat[class] / c.w } else { 0.0 };
        cats.sort_by(|a, b| {
            key(a)
                .total_cmp(&key(b))
                .then(a.code.unwrap_or(u32::MAX).cmp(&b.code.unwrap_or(u32::MAX)))
        });
        let n_node = end - start;
        let has_missing = cats.iter().any(|c| c.code.is_none());
        let mut s = base.clone();
        s.left.iter_mut().for_each(|v| *v = 0.0);
        s.w_left = 0.0;
        let mut n_left = 0;
        let mut best: Option<(f64, usize, usize)> = None; // proxy, prefix length, n_left
        for (k, c) in cats.iter().enumerate().take(cats.len() - 1) {
            n_left += c.count;
            s.w_left += c.w;
            for (l, v) in s.left.iter_mut().zip(&c.stat) {
                *l += v;
            }
            let limits = (self.min_samples_leaf, self.min_weight_leaf);
            let Some(proxy) =
                criterion::limited_proxy(self.criterion, &s, (n_left, n_node - n_left), limits)
            else {
                continue;
            };
            if best.is_none_or(|b| proxy > b.0) {
                best = Some((proxy, k + 1, n_left));
            }
        }
        let Some((proxy, prefix, n_left)) = best else {
            return Some(None);
        };
        let codes = |cs: &[Category]| {
            let mut v: Vec<u32> = cs.iter().filter_map(|c| c.code).collect();
            v.sort_unstable();
            v
        };
        let missing_left = if has_missing {
            cats[..prefix].iter().any(|c| c.code.is_none())
        } else {
            n_left > n_node - n_left
        };
        Some(Some(CategoricalCandidate {
            proxy,
            left: codes(&cats[..prefix]),
            right: codes(&cats[prefix..]),
            missing_left,
        }))
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
            let (smp, v) = (self.sorted[feature][k], self.sorted_values[feature][k]);
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
                self.goes_left[smp as usize] = true;
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
        let improvement = (s.w_node / self.w_total)
            * (impurity
                - w_right / s.w_node * impurity_right
                - s.w_left / s.w_node * impurity_left);
        Split {
            feature,
            threshold: -2.0,
            pos: start + n_left,
            missing_left,
            categories: Some((left, right)),
            impurity_left,
            impurity_right,
            improvement,
        }
    }
}
