//! The scan of one feature for 2, 3 or 4 classified outputs under the Gini
//! index kept incrementally ([`counts`](super::counts)): the per-output
//! sums of squared class weights and the weights held in registers, the
//! rows moved as [`MultiSplitter::update`] moves them (from the nearer
//! end), each candidate screened and its proxy computed as
//! [`MultiSplitter::proxy`] does, in the same order of operations, so that
//! every proxy is equal to the bit. One call per feature and node instead
//! of one per candidate: the fixed costs of a candidate (the running
//! sums' bookkeeping, the calls) are what a node of distinct values pays
//! at every sample.

use crate::prefetch::{prefetch, LOOKAHEAD};
use crate::tree::cart::multi::stats::Outputs;
use crate::tree::cart::multi::{Candidate, MultiSplitter, Wide};
use crate::tree::cart::shared::data::{threshold_between, FEATURE_THRESHOLD};

impl MultiSplitter<'_> {
    /// Whether [`MultiSplitter::scan_counts`] scans for this splitter: the
    /// Gini index kept incrementally, 2 to 4 outputs.
    pub(super) fn scans_counts(&self) -> bool {
        self.counted
            && self.medians.is_none()
            && matches!(self.outputs, Outputs::Classes { k: 2..=4, .. })
    }

    /// [`MultiSplitter::scan`] of a feature none of whose node samples
    /// misses it, `K` classified outputs (see the module documentation).
    pub(super) fn scan_counts<const K: usize>(
        &self,
        feature: usize,
        at: (&[u32], &[f32]),
        node: (&[f64], f64),
        best: &mut Candidate,
    ) {
        if self.unit {
            self.scan_counts_with::<K, true>(feature, at, node, best);
        } else {
            self.scan_counts_with::<K, false>(feature, at, node, best);
        }
    }

    /// [`MultiSplitter::scan_counts`], every weight 1 (`U`: none read, the
    /// same numbers) or not.
    fn scan_counts_with<const K: usize, const U: bool>(
        &self,
        feature: usize,
        (order, xf): (&[u32], &[f32]),
        (total, w_node): (&[f64], f64),
        best: &mut Candidate,
    ) {
        let Outputs::Classes { codes, stride, .. } = self.outputs else {
            unreachable!("classes")
        };
        let stride = *stride;
        let w = &self.data.weights;
        let n = order.len();
        let (min_leaf, min_weight) = (self.leaf.min_samples, self.leaf.min_weight);
        let mut left = Wide::from_elem(0.0, total.len());
        let mut sq_total = [0.0f64; K];
        self.outputs.squared_counts(total, &mut sq_total);
        let (mut sq_left, mut sq_right) = ([0.0f64; K], sq_total);
        let (mut w_left, mut pos) = (0.0f64, 0usize);
        // Sample `i`'s class codes, and their places in the sums.
        let row = |i: usize| -> [usize; K] {
            let codes: &[u32; K] = codes[i * K..(i + 1) * K].try_into().expect("K codes");
            std::array::from_fn(|o| o * stride + codes[o] as usize)
        };
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
                        if !U {
                            prefetch(&w[a as usize]);
                        }
                        prefetch(&codes[a as usize * K]);
                    }
                    let i = order[j] as usize;
                    step(
                        row(i),
                        total,
                        &mut left,
                        (&mut sq_left, &mut sq_right),
                        &mut w_left,
                        if U { 1.0 } else { w[i] },
                    );
                }
            } else {
                // Reverse reset: everything left, then the tail taken back.
                left.copy_from_slice(total);
                w_left = w_node;
                (sq_left, sq_right) = (sq_total, [0.0; K]);
                for &r in order[p..].iter().rev() {
                    let i = r as usize;
                    step(
                        row(i),
                        total,
                        &mut left,
                        (&mut sq_left, &mut sq_right),
                        &mut w_left,
                        if U { -1.0 } else { -w[i] },
                    );
                }
            }
            pos = p;
            let w_right = w_node - w_left;
            if w_left < min_weight || w_right < min_weight {
                continue;
            }
            let (sq, ws) = ((&sq_left[..], &sq_right[..]), (w_left, w_right));
            if !Outputs::gini_may_exceed(sq, ws, w_left + w_right, best.proxy) {
                continue;
            }
            let proxy = Outputs::gini_proxy_counted(sq, ws);
            if proxy > best.proxy {
                *best = Candidate {
                    proxy,
                    feature,
                    threshold: threshold_between(xf[p - 1], xf[p]),
                    missing_left: p > n - p,
                    bound: 0.0,
                    at: p,
                };
            }
        }
    }
}

/// Moves one sample, of class weights at `places` of the sums, by `s`
/// (its weight, negated to take it back) as
/// [`Outputs::move_rows_counted`] does: inlined, so that the sums of
/// squares and the weight stay in registers across the scan.
#[inline(always)]
fn step<const K: usize>(
    places: [usize; K],
    total: &[f64],
    left: &mut [f64],
    (sq_left, sq_right): (&mut [f64; K], &mut [f64; K]),
    w_left: &mut f64,
    s: f64,
) {
    for (o, at) in places.into_iter().enumerate() {
        let l = left[at];
        let r = total[at] - l;
        // (L + s)² − L² and (R − s)² − R².
        sq_left[o] += s * (2.0 * l + s);
        sq_right[o] += s * (s - 2.0 * r);
        left[at] = l + s;
    }
    *w_left += s;
}
