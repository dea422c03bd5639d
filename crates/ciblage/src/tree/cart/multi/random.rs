//! The random splitter of several outputs (scikit-learn's
//! `node_split_random`): one threshold drawn per feature between the
//! node's smallest and largest present values, the side of the missing
//! values drawn too, the node's samples partitioned in place by it.

use crate::tree::cart::multi::{order, Candidate, MultiSplitter};
use crate::tree::cart::shared::data::FEATURE_THRESHOLD;
use crate::tree::cart::shared::draw::{rand_int, rand_uniform};

/// scikit-learn's `find_min_max`: the smallest and largest present values
/// (a value is tested against the largest only when not below the
/// smallest, as there) and how many are missing.
fn min_max(values: &[f32]) -> (f32, f32, usize) {
    let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
    let (mut n_missing, mut seen) = (0, false);
    for &v in values {
        if v.is_nan() {
            n_missing += 1;
        } else if !seen {
            (lo, hi, seen) = (v, v, true);
        } else if v < lo {
            lo = v;
        } else if v > hi {
            hi = v;
        }
    }
    (lo, hi, n_missing)
}

impl MultiSplitter<'_> {
    /// Draws one threshold of `feature` in the node `start..end` and
    /// evaluates it; false when the feature is constant there.
    pub(super) fn search_random(
        &mut self,
        feature: usize,
        (start, end): (usize, usize),
        (total, w_node): (&[f64], f64),
        best: &mut Candidate,
        rng: &mut u32,
    ) -> bool {
        let mut xf = std::mem::take(&mut self.values);
        self.read_column(feature, (start, end), &mut xf);
        self.last_feature = feature;
        let (lo, hi, n_missing) = min_max(&xf);
        let n = xf.len();
        if n_missing == n || (hi <= lo + FEATURE_THRESHOLD && n_missing == 0) {
            self.values = xf;
            return false;
        }
        let (lo, hi) = (f64::from(lo), f64::from(hi));
        let mut threshold = rand_uniform(rng, lo, hi);
        let missing_left = n_missing > 0 && rand_int(rng, 0, 2) == 1;
        if threshold == hi {
            threshold = lo;
        }
        let n_left = order::partition_by(&mut xf, &mut self.samples[start..end], |v| {
            if v.is_nan() {
                missing_left
            } else {
                f64::from(v) <= threshold
            }
        });
        self.values = xf;
        let n_right = n - n_left;
        if n_left < self.leaf.min_samples || n_right < self.leaf.min_samples {
            return true;
        }
        if let Some(m) = &mut self.medians {
            m.passes(&self.samples[start..end]);
        }
        let mut run = self.running(total, w_node);
        self.update(&mut run, &self.samples[start..end], n_left, (total, w_node));
        if let Some(proxy) = self.proxy(&run, best.proxy) {
            if proxy > best.proxy {
                *best = Candidate {
                    proxy,
                    feature,
                    threshold,
                    missing_left: if n_missing > 0 {
                        missing_left
                    } else {
                        n_left > n_right
                    },
                    bound: 0.0,
                    at: n_left,
                };
            }
        }
        true
    }
}
