//! Categorical features in the histogram splitter: a feature's bins are its
//! categories (the missing values' bin last), searched by the shared subset
//! search (see [`crate::tree::cart::shared::categorical`]).

use super::*;
use crate::tree::cart::shared::categorical::{best_subset, CategoryStats};

impl HistSplitter<'_> {
    /// Searches categorical feature `f` on its histogram entries `range`
    /// (bin order: category codes ascending, missing last); updates `best`.
    /// Returns false when the feature is constant in the node.
    pub(super) fn search_categorical(
        &self,
        f: usize,
        (h, range): (&FeatureHist, std::ops::Range<usize>),
        node: &NodeSummary,
        n_node: usize,
        best: &mut Option<Best>,
    ) -> bool {
        let nb = self.bins[f].len();
        let k = self.width;
        let is_missing = |i: usize| usize::from(h.bin[i]) == nb;
        let cats = CategoryStats {
            count: &h.count[range.clone()],
            w: &h.w[range.clone()],
            stat: &h.stat[range.start * k..range.end * k],
            has_missing: !range.is_empty() && is_missing(range.end - 1),
        };
        let Some(found) = best_subset(self.criterion, self.leaf, &node.sums, &cats, n_node) else {
            return false;
        };
        let Some(c) = found else {
            return true;
        };
        if best.as_ref().is_none_or(|x| c.proxy > x.proxy) {
            let (left, right) = c.sides();
            let entry = |j: usize| range.start + j;
            let mut left_bins = vec![false; nb + 1];
            for &j in &left {
                left_bins[usize::from(h.bin[entry(j)])] = true;
            }
            left_bins[nb] = c.missing_left;
            let codes = |side: Vec<usize>| -> Vec<u32> {
                let mut codes: Vec<u32> = side
                    .into_iter()
                    .map(entry)
                    .filter(|&i| !is_missing(i))
                    .map(|i| self.bins[f].lo[usize::from(h.bin[i])] as u32)
                    .collect();
                codes.sort_unstable();
                codes
            };
            *best = Some(Best {
                proxy: c.proxy,
                feature: f,
                threshold: -2.0,
                missing_left: c.missing_left,
                bin: 0,
                categorical: Some((left_bins, codes(left), codes(right))),
            });
        }
        true
    }
}
