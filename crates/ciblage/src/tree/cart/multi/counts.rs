//! The Gini index of several outputs kept incrementally: per output the
//! sum of the squared class weights of each child, updated by each moved
//! sample (`(L + s)² − L² = s·(2L + s)`), so that a candidate's proxy costs
//! one division per output and child instead of a pass over every class.
//!
//! scikit-learn adds the squares class by class. With integer weights
//! whose total is below 2^26 every class weight, square and sum of squares
//! is an integer below 2^53, exact in any order: the incremental sums are
//! then the very numbers scikit-learn adds up, and the proxy (computed from
//! them in scikit-learn's order of operations) is equal bit for bit. Other
//! weights keep the pass over the classes ([`gini_counts`]).

use crate::prefetch::prefetch;
use crate::tree::cart::multi::stats::Outputs;
use crate::tree::cart::params::CartCriterion;

/// Largest total weight whose class weights, squares and doubled squares
/// are integers below 2^53 (2^26).
const COUNT_LIMIT: f64 = 67_108_864.0;

#[cfg(test)]
thread_local! {
    /// Tests: the Gini index by the pass over the classes whatever the
    /// weights.
    pub(crate) static PASS_OVER_CLASSES: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether the Gini index may be kept incrementally (see the module
/// documentation): classes under the Gini criterion, integer weights of
/// total below 2^26.
pub(crate) fn gini_counts(outputs: &Outputs, criterion: CartCriterion, weights: &[f64]) -> bool {
    #[cfg(test)]
    if PASS_OVER_CLASSES.with(std::cell::Cell::get) {
        return false;
    }
    matches!(outputs, Outputs::Classes { .. })
        && criterion == CartCriterion::Gini
        && weights
            .iter()
            .all(|&w| w.is_finite() && w >= 0.0 && w == w.trunc())
        && weights.iter().sum::<f64>() < COUNT_LIMIT
}

impl Outputs {
    /// Per output, the sum of the squared class weights of `sums`, into
    /// `out` (the squares added class by class as scikit-learn does).
    pub(crate) fn squared_counts(&self, sums: &[f64], out: &mut [f64]) {
        let Self::Classes {
            n_classes, stride, ..
        } = self
        else {
            unreachable!("classes")
        };
        for ((o, &n), q) in n_classes.iter().enumerate().zip(out) {
            let mut sq = 0.0;
            for c in &sums[o * stride..o * stride + n] {
                sq += c * c;
            }
            *q = sq;
        }
    }

    /// [`Outputs::move_rows`] of classes that also keeps, per output, the
    /// sums of squared class weights of the left (`sq_left`) and right
    /// (`sq_right`) children of a node of sums `total`.
    #[inline]
    pub(crate) fn move_rows_counted(
        &self,
        (sums, total): (&mut [f64], &[f64]),
        (sq_left, sq_right): (&mut [f64], &mut [f64]),
        w_sum: &mut f64,
        (rows, ahead): (&[u32], &[u32]),
        weights: &[f64],
        sign: f64,
    ) {
        let Self::Classes {
            codes, stride, k, ..
        } = self
        else {
            unreachable!("classes")
        };
        let (stride, k) = (*stride, *k);
        let mut step = |j: usize, i: usize| {
            if let Some(&a) = ahead.get(j) {
                prefetch(&weights[a as usize]);
                prefetch(&codes[a as usize * k]);
            }
            let s = sign * weights[i];
            for (o, &c) in codes[i * k..(i + 1) * k].iter().enumerate() {
                let at = o * stride + c as usize;
                let l = sums[at];
                let r = total[at] - l;
                // (L + s)² − L² and (R − s)² − R².
                sq_left[o] += s * (2.0 * l + s);
                sq_right[o] += s * (s - 2.0 * r);
                sums[at] = l + s;
            }
            *w_sum += s;
        };
        if sign > 0.0 {
            rows.iter()
                .enumerate()
                .for_each(|(j, &r)| step(j, r as usize));
        } else {
            rows.iter()
                .rev()
                .enumerate()
                .for_each(|(j, &r)| step(j, r as usize));
        }
    }

    /// Whether a candidate of these sums of squared class weights may have
    /// a proxy above `floor` (the best so far) in a node of weight
    /// `w_node`: false only when it is below by far more than any rounding.
    ///
    /// In exact arithmetic the proxy is `(S_L/w_L + S_R/w_R)/k − w_node`
    /// (`S` the sums over outputs), above `floor` when `S_L·w_R + S_R·w_L >
    /// k·(floor + w_node)·w_L·w_R`: four products instead of the proxy's
    /// `2k + 2` divisions, for the many candidates far below the best.
    #[inline]
    pub(crate) fn gini_may_exceed(
        (sq_left, sq_right): (&[f64], &[f64]),
        (w_left, w_right): (f64, f64),
        w_node: f64,
        floor: f64,
    ) -> bool {
        let (sl, sr): (f64, f64) = (sq_left.iter().sum(), sq_right.iter().sum());
        let k = sq_left.len() as f64;
        let lhs = sl * w_right + sr * w_left;
        let scale = k * w_left * w_right;
        let rhs = (floor + w_node) * scale;
        // The margin covers the rounding of both sides (relative 1e−9,
        // the cancellation in `floor + w_node` included): a candidate
        // within it is computed in full.
        let margin = 1e-9 * (lhs.abs() + (floor.abs() + w_node) * scale);
        let surely_below = lhs < rhs - margin;
        !surely_below
    }

    /// The Gini proxy (`−w_R·I_R − w_L·I_L`) from the children's sums of
    /// squared class weights per output, in scikit-learn's order of
    /// operations (equal to [`Outputs::proxy`]'s under [`gini_counts`]).
    #[inline]
    pub(crate) fn gini_proxy_counted(
        (sq_left, sq_right): (&[f64], &[f64]),
        (w_left, w_right): (f64, f64),
    ) -> f64 {
        let (wl2, wr2) = (w_left * w_left, w_right * w_right);
        let (mut gl, mut gr) = (0.0, 0.0);
        for (l, r) in sq_left.iter().zip(sq_right) {
            gl += 1.0 - l / wl2;
            gr += 1.0 - r / wr2;
        }
        let k = sq_left.len() as f64;
        let (il, ir) = (gl / k, gr / k);
        -w_right * ir - w_left * il
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_proxy_equals_the_pass_over_classes_at_every_position() {
        // Two outputs (3 and 2 classes) over 40 rows of weights 1, 2 or 0:
        // at every position, forward from nothing and back from the whole
        // node, the incremental sums of squares give the proxy of the
        // class-by-class pass bit for bit.
        let n = 40usize;
        let codes: Vec<u32> = (0..n)
            .flat_map(|i| [((i * 7) % 3) as u32, ((i * 5 + i / 3) % 2) as u32])
            .collect();
        let out = Outputs::Classes {
            codes,
            n_classes: vec![3, 2],
            stride: 3,
            k: 2,
        };
        let w: Vec<f64> = (0..n).map(|i| (i % 3) as f64).collect();
        assert!(gini_counts(&out, CartCriterion::Gini, &w));
        assert!(!gini_counts(&out, CartCriterion::Entropy, &w));
        let half: Vec<f64> = w.iter().map(|v| v + 0.5).collect();
        assert!(!gini_counts(&out, CartCriterion::Gini, &half));
        let rows: Vec<u32> = (0..n as u32).rev().collect();
        let (total, _, w_node) = out.node_sums(&rows, &w);
        let mut sq_total = [0.0; 2];
        out.squared_counts(&total, &mut sq_total);
        for p in 1..n {
            // Forward: rows[..p] moved left one by one.
            let mut left = vec![0.0; total.len()];
            let (mut sl, mut sr) = ([0.0; 2], sq_total);
            let mut wl = 0.0;
            out.move_rows_counted(
                (&mut left, &total),
                (&mut sl, &mut sr),
                &mut wl,
                (&rows[..p], &[]),
                &w,
                1.0,
            );
            // Backward: everything left, rows[p..] taken back.
            let mut back = total.clone();
            let (mut bl, mut br) = (sq_total, [0.0; 2]);
            let mut wb = w_node;
            out.move_rows_counted(
                (&mut back, &total),
                (&mut bl, &mut br),
                &mut wb,
                (&rows[p..], &[]),
                &w,
                -1.0,
            );
            assert_eq!((left.as_slice(), sl, wl), (back.as_slice(), bl, wb));
            assert_eq!(sr, br);
            let wr = w_node - wl;
            if wl == 0.0 || wr == 0.0 {
                continue;
            }
            let right: Vec<f64> = total.iter().zip(&left).map(|(t, l)| t - l).collect();
            let pass = out.proxy(CartCriterion::Gini, (&left, &right), (wl, wr));
            let counted = Outputs::gini_proxy_counted((&sl, &sr), (wl, wr));
            assert_eq!(pass.to_bits(), counted.to_bits(), "position {p}");
            // The screen lets through every proxy at or above the floor,
            // and rejects those far below it.
            assert!(Outputs::gini_may_exceed((&sl, &sr), (wl, wr), w_node, pass));
            let below = pass - 1e-9 * pass.abs().max(1.0);
            assert!(Outputs::gini_may_exceed(
                (&sl, &sr),
                (wl, wr),
                w_node,
                below
            ));
            assert!(!Outputs::gini_may_exceed(
                (&sl, &sr),
                (wl, wr),
                w_node,
                pass + 1.0
            ));
        }
    }
}
