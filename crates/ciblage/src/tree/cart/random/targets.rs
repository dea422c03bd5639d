//! The targets and weights of the samples taking part, held in the
//! samples' node order (each node's contiguous, partitioned with them):
//! a candidate's left sums are one pass over contiguous arrays, a node's
//! sums another.

use crate::tree::cart::shared::criterion::ClassSums;
use crate::tree::cart::shared::data::TrainSet;

/// Lanes of the vectorised sums (independent accumulators).
const L: usize = 8;

/// Whether a value `v` goes left of the f32 threshold `t` (see
/// [`threshold_f32`]); a missing value (NaN) goes left when `ML`.
#[inline(always)]
fn goes<const ML: bool>(v: f32, t: f32) -> bool {
    if ML {
        v <= t || v.is_nan()
    } else {
        v <= t
    }
}

/// [`goes`] with the side of missing values chosen at run time.
#[inline]
pub(super) fn goes_left(v: f32, (t, missing_left): (f32, bool)) -> bool {
    if missing_left {
        goes::<true>(v, t)
    } else {
        goes::<false>(v, t)
    }
}

/// The largest f32 at most `t`: for every f32 `v`, `f64::from(v) <= t`
/// exactly when `v <= threshold_f32(t)`, so that the passes compare in
/// f32.
pub(super) fn threshold_f32(t: f64) -> f32 {
    let c = t as f32;
    if f64::from(c) <= t || c.is_nan() {
        return c;
    }
    // The f32 just below c (c is finite: t lies between f32 values).
    let bits = c.to_bits();
    if c == 0.0 {
        -f32::from_bits(1)
    } else if c > 0.0 {
        f32::from_bits(bits - 1)
    } else {
        f32::from_bits(bits + 1)
    }
}

/// The left sums of a candidate: samples, weight, and per class weights
/// (classification) or Σ w·y (regression, in `left[0]`).
pub(super) struct LeftSums {
    pub n: usize,
    pub w: f64,
}

/// Targets and weights in node order.
pub(super) struct NodeTargets {
    /// Class codes (classification; empty in regression).
    pub codes: Vec<u32>,
    /// Targets (regression; empty in classification).
    pub y: Vec<f64>,
    /// Weights (empty: every weight is 1).
    pub w: Vec<f64>,
    /// w·y (weighted regression only).
    pub wy: Vec<f64>,
    /// Classes (0 in regression).
    pub n_classes: usize,
    /// Partition scratch.
    scratch_u32: Vec<u32>,
    scratch_f64: Vec<f64>,
}

impl NodeTargets {
    /// The targets and weights of `samples` (in their order).
    pub(super) fn new(data: &TrainSet<'_>, samples: &[u32]) -> Self {
        let unit = samples.iter().all(|&s| data.weights[s as usize] == 1.0);
        let pick = |v: &[f64]| samples.iter().map(|&s| v[s as usize]).collect::<Vec<f64>>();
        let w = if unit {
            Vec::new()
        } else {
            pick(&data.weights)
        };
        let (codes, y, n_classes) = match (data.classes, data.targets) {
            (Some(c), _) => (
                samples.iter().map(|&s| c[s as usize]).collect(),
                Vec::new(),
                data.n_classes,
            ),
            (_, Some(t)) => (Vec::new(), pick(t), 0),
            _ => unreachable!("a target is set"),
        };
        let wy = if unit || y.is_empty() {
            Vec::new()
        } else {
            w.iter().zip(&y).map(|(w, y)| w * y).collect()
        };
        Self {
            codes,
            y,
            w,
            wy,
            n_classes,
            scratch_u32: Vec::new(),
            scratch_f64: Vec::new(),
        }
    }

    /// Whether every weight is 1.
    #[inline]
    pub(super) fn unit(&self) -> bool {
        self.w.is_empty()
    }

    /// The left sums, into `left` (zeroed first), of the positions
    /// `start..end` whose values are `vals` (one per position) against the
    /// f32 threshold `t`, missing values going left when `missing_left`.
    pub(super) fn dense_left(
        &self,
        start: usize,
        vals: &[f32],
        (t, missing_left): (f32, bool),
        left: &mut [f64],
    ) -> LeftSums {
        if missing_left {
            self.dense_left_of::<true>(start, vals, t, left)
        } else {
            self.dense_left_of::<false>(start, vals, t, left)
        }
    }

    fn dense_left_of<const ML: bool>(
        &self,
        start: usize,
        vals: &[f32],
        t: f32,
        left: &mut [f64],
    ) -> LeftSums {
        let range = start..start + vals.len();
        left.fill(0.0);
        if self.n_classes == 0 {
            let (n, w, s) = if self.unit() {
                unit_values::<ML>(vals, &self.y[range], t)
            } else {
                weighted_values::<ML>(vals, &self.w[range.clone()], &self.wy[range], t)
            };
            left[0] = s;
            return LeftSums { n, w };
        }
        let codes = &self.codes[range.clone()];
        if !self.unit() {
            // Sums in the samples' order, per class.
            let (mut n, mut w) = (0usize, 0.0);
            for ((&v, &c), &ws) in vals.iter().zip(codes).zip(&self.w[range]) {
                if goes::<ML>(v, t) {
                    n += 1;
                    w += ws;
                    left[c as usize] += ws;
                }
            }
            return LeftSums { n, w };
        }
        if self.n_classes == 2 {
            let (n, n1) = two_class_counts::<ML>(vals, codes, t);
            left[0] = (n - n1) as f64;
            left[1] = n1 as f64;
            return LeftSums { n, w: n as f64 };
        }
        let mut n = 0usize;
        for (&v, &c) in vals.iter().zip(codes) {
            let m = goes::<ML>(v, t);
            n += usize::from(m);
            left[c as usize] += f64::from(u8::from(m));
        }
        LeftSums { n, w: n as f64 }
    }

    /// The sums, into `left` (zeroed first), of the entries at positions
    /// `at` (relative to `start`) whose values `vals` go left, and into
    /// `stored` (zeroed first) the sums of every entry: the sparse
    /// candidate's stored part. Returns the left and stored counts and
    /// weights.
    pub(super) fn entries_left(
        &self,
        start: usize,
        (at, vals): (&[u32], &[f32]),
        (t, missing_left): (f32, bool),
        (left, stored): (&mut [f64], &mut [f64]),
    ) -> (LeftSums, LeftSums) {
        left.fill(0.0);
        stored.fill(0.0);
        let (mut l, mut s) = (LeftSums { n: 0, w: 0.0 }, LeftSums { n: 0, w: 0.0 });
        let unit = self.unit();
        for (&p, &v) in at.iter().zip(vals) {
            let i = start + p as usize;
            let m = goes_left(v, (t, missing_left));
            let w = if unit { 1.0 } else { self.w[i] };
            let (k, add) = if self.n_classes == 0 {
                (0, if unit { self.y[i] } else { self.wy[i] })
            } else {
                (self.codes[i] as usize, w)
            };
            s.n += 1;
            s.w += w;
            stored[k] += add;
            if m {
                l.n += 1;
                l.w += w;
                left[k] += add;
            }
        }
        (l, s)
    }

    /// Moves the positions of `start..start + mask.len()` whose `mask` is 1
    /// before the others (each side in its order), in `samples` and every
    /// array held; returns the number moved left.
    pub(super) fn partition(&mut self, samples: &mut [u32], start: usize, mask: &[u8]) -> usize {
        let end = start + mask.len();
        let n_left = stable_partition(&mut samples[start..end], mask, &mut self.scratch_u32);
        if !self.codes.is_empty() {
            stable_partition(&mut self.codes[start..end], mask, &mut self.scratch_u32);
        }
        for a in [&mut self.y, &mut self.w, &mut self.wy] {
            if !a.is_empty() {
                stable_partition(&mut a[start..end], mask, &mut self.scratch_f64);
            }
        }
        n_left
    }

    /// The sums of the node at positions `start..end`, in its samples'
    /// order (the order [`super::summary::summarise`] adds them in, so
    /// that the sums are the same to the last bit): per class weights or
    /// Σ w·y, Σ w·y² (regression), and the weight.
    pub(super) fn node_sums(&self, start: usize, end: usize) -> (ClassSums, f64, f64) {
        let r = start..end;
        if self.n_classes == 0 {
            let (mut total, mut sq) = (0.0, 0.0);
            if self.unit() {
                for &y in &self.y[r] {
                    total += y;
                    sq += y * y;
                }
                return (smallvec::smallvec![total], sq, (end - start) as f64);
            }
            let mut w = 0.0;
            for ((&ws, &wy), &y) in self.w[r.clone()]
                .iter()
                .zip(&self.wy[r.clone()])
                .zip(&self.y[r])
            {
                total += wy;
                sq += wy * y;
                w += ws;
            }
            return (smallvec::smallvec![total], sq, w);
        }
        let mut total = ClassSums::from_elem(0.0, self.n_classes);
        if self.unit() {
            let mut counts: smallvec::SmallVec<[u32; 4]> = smallvec::smallvec![0; self.n_classes];
            for &c in &self.codes[r] {
                counts[c as usize] += 1;
            }
            for (t, &k) in total.iter_mut().zip(&counts) {
                *t = f64::from(k);
            }
            return (total, 0.0, (end - start) as f64);
        }
        let mut w = 0.0;
        for (&c, &ws) in self.codes[r.clone()].iter().zip(&self.w[r]) {
            total[c as usize] += ws;
            w += ws;
        }
        (total, 0.0, w)
    }
}

/// Count of values going left, and Σ y of those (every weight 1).
fn unit_values<const ML: bool>(vals: &[f32], y: &[f64], t: f32) -> (usize, f64, f64) {
    let (mut n, mut s) = ([0u32; L], [0.0f64; L]);
    let (vc, yc) = (vals.chunks_exact(L), y.chunks_exact(L));
    let (vr, yr) = (vc.remainder(), yc.remainder());
    for (v, y) in vc.zip(yc) {
        for j in 0..L {
            let m = goes::<ML>(v[j], t);
            n[j] += u32::from(m);
            s[j] += if m { y[j] } else { 0.0 };
        }
    }
    for (j, (&v, &y)) in vr.iter().zip(yr).enumerate() {
        let m = goes::<ML>(v, t);
        n[j] += u32::from(m);
        s[j] += if m { y } else { 0.0 };
    }
    let n: usize = n.iter().map(|&k| k as usize).sum();
    (n, n as f64, lanes_sum(&s))
}

/// Count, Σ w and Σ w·y of the values going left.
fn weighted_values<const ML: bool>(
    vals: &[f32],
    w: &[f64],
    wy: &[f64],
    t: f32,
) -> (usize, f64, f64) {
    let (mut n, mut sw, mut s) = ([0u32; L], [0.0f64; L], [0.0f64; L]);
    let (vc, wc, yc) = (vals.chunks_exact(L), w.chunks_exact(L), wy.chunks_exact(L));
    let (vr, wr, yr) = (vc.remainder(), wc.remainder(), yc.remainder());
    for ((v, w), y) in vc.zip(wc).zip(yc) {
        for j in 0..L {
            let m = goes::<ML>(v[j], t);
            n[j] += u32::from(m);
            sw[j] += if m { w[j] } else { 0.0 };
            s[j] += if m { y[j] } else { 0.0 };
        }
    }
    for (j, ((&v, &w), &y)) in vr.iter().zip(wr).zip(yr).enumerate() {
        let m = goes::<ML>(v, t);
        n[j] += u32::from(m);
        sw[j] += if m { w } else { 0.0 };
        s[j] += if m { y } else { 0.0 };
    }
    (
        n.iter().map(|&k| k as usize).sum(),
        lanes_sum(&sw),
        lanes_sum(&s),
    )
}

/// Count of values going left, and count of those of class 1 (two
/// classes, every weight 1).
fn two_class_counts<const ML: bool>(vals: &[f32], codes: &[u32], t: f32) -> (usize, usize) {
    let (mut n, mut n1) = ([0u32; L], [0u32; L]);
    let (vc, cc) = (vals.chunks_exact(L), codes.chunks_exact(L));
    let (vr, cr) = (vc.remainder(), cc.remainder());
    for (v, c) in vc.zip(cc) {
        for j in 0..L {
            let m = u32::from(goes::<ML>(v[j], t));
            n[j] += m;
            n1[j] += m & c[j];
        }
    }
    for (j, (&v, &c)) in vr.iter().zip(cr).enumerate() {
        let m = u32::from(goes::<ML>(v, t));
        n[j] += m;
        n1[j] += m & c;
    }
    let total = |a: [u32; L]| a.iter().map(|&k| k as usize).sum::<usize>();
    (total(n), total(n1))
}

/// The sum of the lanes, pairwise (a fixed order: the same sums every
/// time).
fn lanes_sum(s: &[f64; L]) -> f64 {
    ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7]))
}

/// Moves the elements of `a` whose `mask` is 1 before the others, each
/// side in its order, without branches; returns how many moved first.
pub(super) fn stable_partition<T: Copy + Default>(
    a: &mut [T],
    mask: &[u8],
    scratch: &mut Vec<T>,
) -> usize {
    if scratch.len() < a.len() {
        scratch.resize(a.len(), T::default());
    }
    let (mut l, mut r) = (0usize, 0usize);
    for i in 0..a.len() {
        let v = a[i];
        let m = usize::from(mask[i]);
        // l <= i: the element written over was already read.
        a[l] = v;
        scratch[r] = v;
        l += m;
        r += 1 - m;
    }
    a[l..].copy_from_slice(&scratch[..r]);
    l
}

#[cfg(test)]
#[path = "targets_tests.rs"]
mod tests;
