//! Categorical splits in the histogram splitter: bins of categories ordered
//! as the exact splitter orders categories, the best prefix taken.

use super::*;

impl HistSplitter<'_> {
    /// Categorical feature: bins (categories, missing values as one more)
    /// ordered by mean target, the best prefix kept — the exact splitter's
    /// rule (see the `categorical` module).
    pub(super) fn search_categorical(
        &self,
        f: usize,
        (h, range): (&FeatureHist, std::ops::Range<usize>),
        node: &NodeSummary,
        n_node: usize,
        best: &mut Option<Best>,
    ) -> bool {
        if range.len() < 2 {
            return false;
        }
        let nb = self.bins[f].len();
        let k = self.width;
        let class = match (self.criterion, k) {
            (c, _) if c.is_regression() => 0,
            (_, 2) => 1,
            _ => (0..k).fold(0, |b, j| {
                if node.sums.total[j] > node.sums.total[b] {
                    j
                } else {
                    b
                }
            }),
        };
        let key = |i: usize| {
            if h.w[i] > 0.0 {
                h.stat[i * k + class] / h.w[i]
            } else {
                0.0
            }
        };
        let mut order: Vec<usize> = range.clone().collect();
        // Entries are in bin order (category codes ascending, missing last).
        order.sort_by(|&a, &b| key(a).total_cmp(&key(b)).then(a.cmp(&b)));
        let mut s = node.sums.clone();
        let mut n_left = 0;
        let mut found: Option<(f64, usize, usize)> = None;
        for (j, &i) in order.iter().enumerate().take(order.len() - 1) {
            self.take_bin(&mut s, &mut n_left, h, i);
            let limits = (self.min_samples_leaf, self.min_weight_leaf);
            let Some(proxy) =
                criterion::limited_proxy(self.criterion, &s, (n_left, n_node - n_left), limits)
            else {
                continue;
            };
            if found.is_none_or(|x| proxy > x.0) {
                found = Some((proxy, j + 1, n_left));
            }
        }
        if let Some((proxy, prefix, n_left)) = found {
            if best.as_ref().is_none_or(|x| proxy > x.proxy) {
                let code = |i: usize| self.bins[f].lo[usize::from(h.bin[i])] as u32;
                let is_missing = |i: usize| usize::from(h.bin[i]) == nb;
                let mut left_bins = vec![false; nb + 1];
                let (mut left, mut right) = (Vec::new(), Vec::new());
                for (j, &i) in order.iter().enumerate() {
                    if j < prefix {
                        left_bins[usize::from(h.bin[i])] = true;
                    }
                    if !is_missing(i) {
                        if j < prefix {
                            left.push(code(i))
                        } else {
                            right.push(code(i))
                        }
                    }
                }
                left.sort_unstable();
                right.sort_unstable();
                let has_missing = order.iter().any(|&i| is_missing(i));
                let missing_left = if has_missing {
                    left_bins[nb]
                } else {
                    n_left > n_node - n_left
                };
                left_bins[nb] = missing_left;
                *best = Some(Best {
                    proxy,
                    feature: f,
                    threshold: -2.0,
                    missing_left,
                    bin: 0,
                    categorical: Some((left_bins, left, right)),
                });
            }
        }
        true
    }
}
