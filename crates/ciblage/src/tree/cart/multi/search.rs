//! The best splitter's search of one feature of a node: from the presorted
//! order where it is scikit-learn's (or where the order changes no sum),
//! else after scikit-learn's own sort of the node's samples; the
//! candidates of scikit-learn's `next_p`, missing values sent right then
//! left.

use crate::tree::cart::multi::bounded::Contest;
use crate::tree::cart::multi::stats::Outputs;
use crate::tree::cart::multi::{order, Candidate, MultiSplitter};
use crate::tree::cart::shared::data::{threshold_between, FEATURE_THRESHOLD};

impl MultiSplitter<'_> {
    /// Searches every threshold of `feature` in the node `start..end`;
    /// false when the feature is constant there. `sorted_by`: the
    /// presorted feature whose order scikit-learn's order of the node's
    /// samples is now (`None`: `samples`'), updated.
    pub(super) fn search_best(
        &mut self,
        feature: usize,
        (start, end): (usize, usize),
        (total, w_node): (&[f64], f64),
        best: &mut Candidate,
        sorted_by: &mut Option<usize>,
    ) -> bool {
        if let Some(p) = &self.presorted {
            let (order, vals) = p.feature(feature, (start, end));
            let n = vals.len();
            if !vals[n - 1].is_nan() {
                let (lo, hi) = (vals[0], vals[n - 1]);
                if lo == hi {
                    // Every value equal: scikit-learn's sort leaves the
                    // samples as they are.
                    return false;
                }
                if p.exact || !vals.windows(2).any(|w| w[0] == w[1]) {
                    // Distinct values: the sorted order is scikit-learn's.
                    *sorted_by = Some(feature);
                    if hi <= lo + FEATURE_THRESHOLD {
                        return false;
                    }
                    if let Some(m) = &mut self.medians {
                        m.passes(order);
                    }
                    self.scan(
                        feature,
                        (order, vals),
                        (0, false),
                        (total, w_node),
                        best,
                        None,
                    );
                    return true;
                }
            }
            self.take_order(sorted_by.take(), (start, end));
        }
        self.search_sorted(feature, (start, end), (total, w_node), best)
    }

    /// Writes the order of the presorted feature `sorted_by` (if any) over
    /// the node's `samples`.
    pub(super) fn take_order(&mut self, sorted_by: Option<usize>, (start, end): (usize, usize)) {
        if let (Some(f), Some(p)) = (sorted_by, &self.presorted) {
            self.samples[start..end].copy_from_slice(p.feature(f, (start, end)).0);
        }
    }

    /// [`MultiSplitter::search_best`] as scikit-learn runs it: the node's
    /// samples sorted in place by the feature, those missing it moved last
    /// first; two passes when some are missing (the second after they are
    /// moved first, which the node's order keeps).
    fn search_sorted(
        &mut self,
        feature: usize,
        (start, end): (usize, usize),
        (total, w_node): (&[f64], f64),
        best: &mut Candidate,
    ) -> bool {
        let mut xf = std::mem::take(&mut self.values);
        self.read_column(feature, (start, end), &mut xf);
        let node = &mut self.samples[start..end];
        let n_missing = if self.has_missing[feature] {
            order::move_missing_last(&mut xf, node)
        } else {
            0
        };
        let end_nm = xf.len() - n_missing;
        order::sort(&mut xf[..end_nm], &mut node[..end_nm], &mut self.pairs);
        self.last_feature = feature;
        if end_nm == 0 || (n_missing == 0 && xf[end_nm - 1] <= xf[0] + FEATURE_THRESHOLD) {
            self.values = xf;
            return false;
        }
        if let Some(m) = &mut self.medians {
            m.passes(&self.samples[start..end]);
        }
        let node = &self.samples[start..end];
        self.scan(
            feature,
            (node, &xf),
            (n_missing, false),
            (total, w_node),
            best,
            None,
        );
        if n_missing > 0 {
            self.samples[start..end].rotate_right(n_missing);
            xf.rotate_right(n_missing);
            if let Some(m) = &mut self.medians {
                m.passes(&self.samples[start..end]);
            }
            let node = &self.samples[start..end];
            self.scan(
                feature,
                (node, &xf),
                (n_missing, true),
                (total, w_node),
                best,
                None,
            );
        }
        self.values = xf;
        true
    }

    /// One pass of scikit-learn's search over the node's samples `order`
    /// of values `xf` (sorted; `n_missing` missing ones last, or first when
    /// `missing_first`): every candidate between distinct values (and, the
    /// missing ones last, the one sending exactly them right), kept in
    /// `best` by strict improvement of the proxy; `contest` (bounded
    /// search) records every candidate with its bound.
    pub(super) fn scan(
        &self,
        feature: usize,
        (order, xf): (&[u32], &[f32]),
        (n_missing, missing_first): (usize, bool),
        (total, w_node): (&[f64], f64),
        best: &mut Candidate,
        mut contest: Option<&mut Contest>,
    ) {
        if n_missing == 0 && self.scans_values() {
            let at = (order, xf);
            match total.len() {
                2 => return self.scan_values::<2>(feature, at, (total, w_node), best, contest),
                3 => return self.scan_values::<3>(feature, at, (total, w_node), best, contest),
                4 => return self.scan_values::<4>(feature, at, (total, w_node), best, contest),
                _ => {}
            }
        }
        if let (0, None, Outputs::Classes { k, .. }) = (n_missing, &contest, self.outputs) {
            let at = (order, xf);
            match *k {
                2 if self.scans_counts() => {
                    return self.scan_counts::<2>(feature, at, (total, w_node), best)
                }
                3 if self.scans_counts() => {
                    return self.scan_counts::<3>(feature, at, (total, w_node), best)
                }
                4 if self.scans_counts() => {
                    return self.scan_counts::<4>(feature, at, (total, w_node), best)
                }
                _ => {}
            }
        }
        let n = order.len();
        let end_nm = if missing_first { n } else { n - n_missing };
        let min_leaf = self.leaf.min_samples;
        let mut run = self.running(total, w_node);
        let mut p = 0usize;
        while p < n {
            if !missing_first && p == end_nm {
                break;
            }
            if missing_first && p == 0 {
                p = n_missing;
            }
            p += 1;
            while p < end_nm && xf[p] <= xf[p - 1] + FEATURE_THRESHOLD {
                p += 1;
            }
            if p >= n {
                break;
            }
            if p < min_leaf || n - p < min_leaf {
                continue;
            }
            self.update(&mut run, order, p, (total, w_node));
            if let Some(proxy) = self.proxy(&run, best.proxy) {
                let bound = match contest.as_deref_mut() {
                    Some(c) => c.record(proxy, (run.w_left, run.w_right), (feature, p)),
                    None => 0.0,
                };
                if proxy > best.proxy {
                    let threshold = if p == end_nm && !missing_first {
                        // Only the missing samples go right: NaN <= ∞ is
                        // false.
                        f64::INFINITY
                    } else {
                        threshold_between(xf[p - 1], xf[p])
                    };
                    *best = Candidate {
                        proxy,
                        feature,
                        threshold,
                        missing_left: if n_missing == 0 {
                            p > n - p
                        } else {
                            missing_first
                        },
                        bound,
                        at: p,
                    };
                }
            }
        }
    }

    /// Moves the samples of `start..end` going left by `best` first
    /// (scikit-learn's final partition, by swaps, on the order the search
    /// left; the random splitter's samples are already partitioned when the
    /// best feature was the last drawn); returns the first right position.
    pub(super) fn partition(&mut self, (start, end): (usize, usize), best: &Candidate) -> usize {
        let mut values = std::mem::take(&mut self.values);
        self.read_column(best.feature, (start, end), &mut values);
        let goes_left = |v: f32| {
            if v.is_nan() {
                best.missing_left
            } else {
                f64::from(v) <= best.threshold
            }
        };
        let n_left = if self.random && self.last_feature == best.feature {
            // Already partitioned by this very split.
            values.iter().take_while(|&&v| goes_left(v)).count()
        } else {
            order::partition_by(&mut values, &mut self.samples[start..end], goes_left)
        };
        self.values = values;
        start + n_left
    }
}
