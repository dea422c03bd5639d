//! The scan of one feature for 2, 3 or 4 regression outputs under the
//! squared error, every sum held in registers: the running sums moved as
//! [`MultiSplitter::update`] moves them (from the nearer end), the right
//! sums and the proxy computed as [`Outputs::proxy`] does, in the same
//! order of operations, so that every proxy is equal to the bit.

use crate::prefetch::{prefetch, LOOKAHEAD};
use crate::tree::cart::multi::bounded::Contest;
use crate::tree::cart::multi::stats::Outputs;
use crate::tree::cart::multi::{Candidate, MultiSplitter};
use crate::tree::cart::params::CartCriterion;
use crate::tree::cart::shared::data::{threshold_between, FEATURE_THRESHOLD};

impl MultiSplitter<'_> {
    /// Whether [`MultiSplitter::scan_values`] scans for this splitter:
    /// the squared error of 2 to 4 outputs.
    pub(super) fn scans_values(&self) -> bool {
        self.criterion == CartCriterion::SquaredError
            && self.medians.is_none()
            && matches!(self.outputs, Outputs::Values { k: 2..=4, .. })
    }

    /// [`MultiSplitter::scan`] of a feature none of whose node samples
    /// misses it, `K` outputs (see the module documentation).
    pub(super) fn scan_values<const K: usize>(
        &self,
        feature: usize,
        at: (&[u32], &[f32]),
        node: (&[f64], f64),
        best: &mut Candidate,
        contest: Option<&mut Contest>,
    ) {
        if self.unit {
            self.scan_values_with::<K, true>(feature, at, node, best, contest);
        } else {
            self.scan_values_with::<K, false>(feature, at, node, best, contest);
        }
    }

    /// [`MultiSplitter::scan_values`], every weight 1 (`U`: none read, the
    /// same numbers) or not.
    fn scan_values_with<const K: usize, const U: bool>(
        &self,
        feature: usize,
        (order, xf): (&[u32], &[f32]),
        (total, w_node): (&[f64], f64),
        best: &mut Candidate,
        mut contest: Option<&mut Contest>,
    ) {
        let Outputs::Values { y, .. } = self.outputs else {
            unreachable!("values")
        };
        let w = &self.data.weights;
        let total: [f64; K] = total.try_into().expect("K sums");
        let n = order.len();
        let (min_leaf, min_weight) = (self.leaf.min_samples, self.leaf.min_weight);
        let mut left = [0.0f64; K];
        let (mut w_left, mut pos) = (0.0f64, 0usize);
        let mut p = 0usize;
        while p < n {
            p += 1;
            while p < n && xf[p] <= xf[p - 1] + FEATURE_THRESHOLD {
                p += 1;
            }
            if p >= n {
                break;
            }
            if p < min_leaf || n - p < min_leaf {
                continue;
            }
            if p - pos <= n - p {
                for j in pos..p {
                    if let Some(&a) = order.get(j + LOOKAHEAD) {
                        prefetch(&y[a as usize * K]);
                        if !U {
                            prefetch(&w[a as usize]);
                        }
                    }
                    let i = order[j] as usize;
                    let ws = if U { 1.0 } else { w[i] };
                    let row: &[f64; K] = y[i * K..(i + 1) * K].try_into().expect("K values");
                    for (s, v) in left.iter_mut().zip(row) {
                        *s += ws * v;
                    }
                    w_left += ws;
                }
            } else {
                // Reverse reset: everything left, then the tail taken back.
                left = total;
                w_left = w_node;
                for &r in order[p..].iter().rev() {
                    let i = r as usize;
                    let ws = if U { -1.0 } else { -w[i] };
                    let row: &[f64; K] = y[i * K..(i + 1) * K].try_into().expect("K values");
                    for (s, v) in left.iter_mut().zip(row) {
                        *s += ws * v;
                    }
                    w_left += ws;
                }
            }
            pos = p;
            let w_right = w_node - w_left;
            if w_left < min_weight || w_right < min_weight {
                continue;
            }
            let (mut pl, mut pr) = (0.0, 0.0);
            for (l, t) in left.iter().zip(&total) {
                let r = t - l;
                pl += l * l;
                pr += r * r;
            }
            // Nothing changes for a candidate surely below the best so far
            // and below what the contest keeps: its divisions are spared.
            let floor = contest
                .as_deref()
                .map_or(best.proxy, |c| best.proxy.min(c.floor()));
            if surely_below((pl, pr), (w_left, w_right), floor) {
                continue;
            }
            let proxy = pl / w_left + pr / w_right;
            let bound = match contest.as_deref_mut() {
                Some(c) => c.record(proxy, (w_left, w_right), (feature, p)),
                None => 0.0,
            };
            if proxy > best.proxy {
                *best = Candidate {
                    proxy,
                    feature,
                    threshold: threshold_between(xf[p - 1], xf[p]),
                    missing_left: p > n - p,
                    bound,
                    at: p,
                };
            }
        }
    }
}

/// Whether the squared-error proxy `pl/w_L + pr/w_R` (sums of squares
/// `pl`, `pr` ≥ 0, weights > 0) is surely below `floor`: in exact
/// arithmetic the proxy is below `floor` when `pl·w_R + pr·w_L <
/// floor·w_L·w_R`. Two products and no division for the many candidates
/// far below the best; the margin (relative 1e−12, no cancellation on
/// either side) covers the rounding of both sides and of the proxy, so a
/// candidate that may reach `floor` is never screened out.
#[inline]
pub(super) fn surely_below(
    (pl, pr): (f64, f64),
    (w_left, w_right): (f64, f64),
    floor: f64,
) -> bool {
    let lhs = pl * w_right + pr * w_left;
    let scale = w_left * w_right;
    let rhs = floor * scale;
    lhs < rhs - 1e-12 * (lhs + rhs.abs())
}

#[cfg(test)]
mod tests {
    use super::surely_below;

    #[test]
    fn the_screen_lets_through_every_proxy_that_may_reach_the_floor() {
        // Sums of squares 9 and 4 over weights 3 and 2: the proxy is
        // 9/3 + 4/2 = 5 (by hand); 9·2 + 4·3 = 30 against floor·6.
        let (sums, w) = ((9.0, 4.0), (3.0, 2.0));
        assert!(!surely_below(sums, w, 5.0));
        assert!(!surely_below(sums, w, 5.0 * (1.0 + 1e-15)));
        assert!(!surely_below(sums, w, 4.0));
        assert!(!surely_below(sums, w, f64::NEG_INFINITY));
        assert!(surely_below(sums, w, 5.001));
        // Large weights and sums: proxies a relative 1e−15 apart are not
        // screened, 1e−9 apart are.
        let (sums, w) = ((1.0e18, 3.0e17), (1.0e5, 3.0e4));
        let proxy = 1.0e18 / 1.0e5 + 3.0e17 / 3.0e4;
        assert!(!surely_below(sums, w, proxy));
        assert!(!surely_below(sums, w, proxy * (1.0 + 1e-15)));
        assert!(surely_below(sums, w, proxy * (1.0 + 1e-9)));
    }
}
