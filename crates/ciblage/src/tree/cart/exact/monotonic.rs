//! The exact splitter's search over a feature under a monotonic
//! constraint: the candidates, sums and kept best of the unconstrained
//! search (see [`super::scan`]), each candidate first checked against the
//! constraint and the node's bounds (see `shared::monotonic`). Only
//! constrained features come here: the others keep the unconstrained
//! loops.

use crate::tree::cart::exact::candidate::{Best, Layout};
use crate::tree::cart::exact::ExactSplitter;
use crate::tree::cart::params::CartCriterion;
use crate::tree::cart::shared::criterion::Sums;
use crate::tree::cart::shared::data::FEATURE_THRESHOLD;
use crate::tree::cart::shared::monotonic::{self, Bounds, Monotonic};

impl ExactSplitter<'_> {
    /// Searches `feature`, constrained by `sign` (±1), in the node
    /// `start..end` of value bounds `bounds`, updating `best`; false when
    /// the feature is constant there.
    pub(super) fn search_constrained(
        &mut self,
        feature: usize,
        (start, end): (usize, usize),
        base: &Sums,
        (sign, bounds): (i8, Bounds),
        best: &mut Option<Best>,
    ) -> bool {
        self.cur = feature;
        let vals = &self.orders.values[feature];
        let n_missing = vals[start..end]
            .iter()
            .rev()
            .take_while(|v| v.is_nan())
            .count();
        let end_nm = end - n_missing;
        if end_nm == start
            || (vals[end_nm - 1] <= vals[start] + FEATURE_THRESHOLD && n_missing == 0)
        {
            return false;
        }
        if self.criterion == CartCriterion::AbsoluteError {
            self.scan_absolute(
                feature,
                (start, end_nm, end),
                base.w_node,
                Some((sign, bounds)),
                best,
            );
            return true;
        }
        let passes: &[bool] = if n_missing == 0 {
            &[false]
        } else {
            &[false, true]
        };
        for &missing_first in passes {
            let lay = Layout {
                start,
                end_nm,
                n_missing,
                missing_first,
            };
            let mut sums = base.clone();
            sums.pos = start;
            for (p, threshold) in self.layout_candidates(feature, lay, end) {
                self.update(&mut sums, &lay, end, p);
                let (left, right) = monotonic::side_values(sums.first());
                if !Monotonic::admits(sign, bounds, left, right) {
                    continue;
                }
                if sums.w_left < self.leaf.min_weight
                    || sums.w_node - sums.w_left < self.leaf.min_weight
                {
                    continue;
                }
                if let Some(proxy) = self.proxy_if_better(&sums, best.as_ref()) {
                    *best = Some(Best {
                        proxy,
                        feature,
                        threshold,
                        missing_left: if n_missing == 0 {
                            p - start > end - p
                        } else {
                            missing_first
                        },
                        categories: None,
                    });
                }
            }
        }
        true
    }
}
