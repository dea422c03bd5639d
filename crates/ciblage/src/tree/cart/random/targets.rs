//! The targets and weights of the samples taking part, held in the
//! samples' node order (each node's contiguous, partitioned with them):
//! a candidate's left sums are one pass over contiguous arrays, a node's
//! sums another.

use super::partition::{Isa, Mask};
use crate::tree::cart::shared::criterion::ClassSums;
use crate::tree::cart::shared::data::TrainSet;

/// Lanes of the vectorised sums (independent accumulators).
pub(super) const L: usize = 8;

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

/// Class codes in node order: one byte each when the classes number at
/// most 256 (a quarter of the bytes the passes over them read and move).
pub(super) enum Codes {
    Small(Vec<u8>),
    Wide(Vec<u32>),
}

impl Codes {
    /// The codes `codes` of `n_classes` classes.
    pub(super) fn new(codes: Vec<u32>, n_classes: usize) -> Self {
        if n_classes <= 256 {
            // Every code is below n_classes (checked at the fit's start).
            Self::Small(codes.iter().map(|&c| c as u8).collect())
        } else {
            Self::Wide(codes)
        }
    }

    /// The code at position `i`.
    #[inline]
    pub(super) fn at(&self, i: usize) -> usize {
        match self {
            Self::Small(c) => usize::from(c[i]),
            Self::Wide(c) => c[i] as usize,
        }
    }
}

/// Targets and weights in node order.
pub(super) struct NodeTargets {
    /// Class codes (classification; empty in regression).
    pub codes: Codes,
    /// Targets (regression; empty in classification).
    pub y: Vec<f64>,
    /// Weights (empty: every weight is 1).
    pub w: Vec<f64>,
    /// w·y (weighted regression only).
    pub wy: Vec<f64>,
    /// Classes (0 in regression).
    pub n_classes: usize,
    /// The instructions of the passes.
    isa: Isa,
    /// Partition scratch.
    scratch_u8: Vec<u8>,
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
                Codes::new(
                    samples.iter().map(|&s| c[s as usize]).collect(),
                    data.n_classes,
                ),
                Vec::new(),
                data.n_classes,
            ),
            (_, Some(t)) => (Codes::Small(Vec::new()), pick(t), 0),
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
            isa: Isa::detect(),
            scratch_u8: Vec::new(),
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
                self.isa.unit_values::<ML>(vals, &self.y[range], t)
            } else {
                weighted_values::<ML>(vals, &self.w[range.clone()], &self.wy[range], t)
            };
            left[0] = s;
            return LeftSums { n, w };
        }
        let w = if self.unit() {
            None
        } else {
            Some(&self.w[range.clone()])
        };
        match &self.codes {
            Codes::Small(c) if w.is_none() && left.len() == 2 => {
                let (n, n1) = self.isa.two_class_counts::<ML>(vals, &c[range], t);
                left[0] = (n - n1) as f64;
                left[1] = n1 as f64;
                LeftSums { n, w: n as f64 }
            }
            Codes::Small(c) => class_left::<u8, ML>(vals, &c[range], w, t, left),
            Codes::Wide(c) => class_left::<u32, ML>(vals, &c[range], w, t, left),
        }
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
                (self.codes.at(i), w)
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
    pub(super) fn partition(&mut self, samples: &mut [u32], start: usize, mask: &Mask) -> usize {
        let end = start + mask.bytes.len();
        let both = (true, true);
        let n_left = mask.part_u32(&mut samples[start..end], both, &mut self.scratch_u32);
        match &mut self.codes {
            Codes::Small(c) if !c.is_empty() => {
                mask.part_u8(&mut c[start..end], &mut self.scratch_u8);
            }
            Codes::Wide(c) if !c.is_empty() => {
                mask.part_u32(&mut c[start..end], both, &mut self.scratch_u32);
            }
            _ => {}
        }
        for a in [&mut self.y, &mut self.w, &mut self.wy] {
            if !a.is_empty() {
                mask.part_f64(&mut a[start..end], &mut self.scratch_f64);
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
        let w = if self.unit() {
            None
        } else {
            Some(&self.w[r.clone()])
        };
        let (total, w) = match &self.codes {
            Codes::Small(c) => class_totals(&c[r], w, self.n_classes),
            Codes::Wide(c) => class_totals(&c[r], w, self.n_classes),
        };
        (total, 0.0, w)
    }
}

/// A code of a class (`u8` or `u32`).
pub(super) trait Code: Copy + Into<u32> {}
impl Code for u8 {}
impl Code for u32 {}

/// The left sums, into `left` (zeroed), of the samples of class codes
/// `codes` and weights `w` (`None`: every weight 1) whose values `vals`
/// go left of `t`.
fn class_left<C: Code, const ML: bool>(
    vals: &[f32],
    codes: &[C],
    w: Option<&[f64]>,
    t: f32,
    left: &mut [f64],
) -> LeftSums {
    if let Some(w) = w {
        // Sums in the samples' order, per class.
        let (mut n, mut sw) = (0usize, 0.0);
        for ((&v, &c), &ws) in vals.iter().zip(codes).zip(w) {
            if goes::<ML>(v, t) {
                n += 1;
                sw += ws;
                left[c.into() as usize] += ws;
            }
        }
        return LeftSums { n, w: sw };
    }
    if left.len() == 2 {
        let (n, n1) = two_class_counts::<C, ML>(vals, codes, t);
        left[0] = (n - n1) as f64;
        left[1] = n1 as f64;
        return LeftSums { n, w: n as f64 };
    }
    let mut n = 0usize;
    for (&v, &c) in vals.iter().zip(codes) {
        let m = goes::<ML>(v, t);
        n += usize::from(m);
        left[c.into() as usize] += f64::from(u8::from(m));
    }
    LeftSums { n, w: n as f64 }
}

/// Per class, the weight of the samples of codes `codes` and weights `w`
/// (`None`: every weight 1), and their total weight.
fn class_totals<C: Code>(codes: &[C], w: Option<&[f64]>, n_classes: usize) -> (ClassSums, f64) {
    let mut total = ClassSums::from_elem(0.0, n_classes);
    let Some(w) = w else {
        let mut counts: smallvec::SmallVec<[u32; 4]> = smallvec::smallvec![0; n_classes];
        for &c in codes {
            counts[c.into() as usize] += 1;
        }
        for (t, &k) in total.iter_mut().zip(&counts) {
            *t = f64::from(k);
        }
        return (total, codes.len() as f64);
    };
    let mut sw = 0.0;
    for (&c, &ws) in codes.iter().zip(w) {
        total[c.into() as usize] += ws;
        sw += ws;
    }
    (total, sw)
}

/// Whether the value `x` (an f32 widened: the same order) goes left of
/// the f32 threshold `t` (widened), missing values going left when `ML`:
/// one compare, in the width of the sums (the pass then vectorises with
/// no branch).
#[inline(always)]
fn goes_f64<const ML: bool>(x: f64, t: f64) -> bool {
    if ML {
        // One "unordered or at most" compare.
        x <= t || x.is_nan()
    } else {
        x <= t
    }
}

/// The lanes of the unit-weight left sums (see `Isa::unit_values`): adds to lane `j` of `n` and `s` the count and
/// Σ y of the values going left at positions `j` modulo [`L`] of `vals`.
pub(super) fn unit_lanes<const ML: bool>(
    vals: &[f32],
    y: &[f64],
    t: f32,
    (n, s): (&mut [f64; L], &mut [f64; L]),
) {
    // Counts in f64 lanes (exact below 2^53), as the sums: every lane of
    // the pass has one width.
    let t = f64::from(t);
    let (vc, yc) = (vals.chunks_exact(L), y.chunks_exact(L));
    let (vr, yr) = (vc.remainder(), yc.remainder());
    for (v, y) in vc.zip(yc) {
        for j in 0..L {
            let m = goes_f64::<ML>(f64::from(v[j]), t);
            n[j] += if m { 1.0 } else { 0.0 };
            s[j] += if m { y[j] } else { 0.0 };
        }
    }
    for (j, (&v, &y)) in vr.iter().zip(yr).enumerate() {
        let m = goes_f64::<ML>(f64::from(v), t);
        n[j] += if m { 1.0 } else { 0.0 };
        s[j] += if m { y } else { 0.0 };
    }
}

/// Count, Σ w and Σ w·y of the values going left.
fn weighted_values<const ML: bool>(
    vals: &[f32],
    w: &[f64],
    wy: &[f64],
    t: f32,
) -> (usize, f64, f64) {
    let t = f64::from(t);
    let (mut n, mut sw, mut s) = ([0.0f64; L], [0.0f64; L], [0.0f64; L]);
    let (vc, wc, yc) = (vals.chunks_exact(L), w.chunks_exact(L), wy.chunks_exact(L));
    let (vr, wr, yr) = (vc.remainder(), wc.remainder(), yc.remainder());
    for ((v, w), y) in vc.zip(wc).zip(yc) {
        for j in 0..L {
            let m = goes_f64::<ML>(f64::from(v[j]), t);
            n[j] += if m { 1.0 } else { 0.0 };
            sw[j] += if m { w[j] } else { 0.0 };
            s[j] += if m { y[j] } else { 0.0 };
        }
    }
    for (j, ((&v, &w), &y)) in vr.iter().zip(wr).zip(yr).enumerate() {
        let m = goes_f64::<ML>(f64::from(v), t);
        n[j] += if m { 1.0 } else { 0.0 };
        sw[j] += if m { w } else { 0.0 };
        s[j] += if m { y } else { 0.0 };
    }
    (
        n.iter().sum::<f64>() as usize,
        lanes_sum(&sw),
        lanes_sum(&s),
    )
}

/// Count of values going left, and count of those of class 1 (two
/// classes, every weight 1).
pub(super) fn two_class_counts<C: Code, const ML: bool>(
    vals: &[f32],
    codes: &[C],
    t: f32,
) -> (usize, usize) {
    let (mut n, mut n1) = ([0u32; L], [0u32; L]);
    let (vc, cc) = (vals.chunks_exact(L), codes.chunks_exact(L));
    let (vr, cr) = (vc.remainder(), cc.remainder());
    for (v, c) in vc.zip(cc) {
        for j in 0..L {
            let m = u32::from(goes::<ML>(v[j], t));
            n[j] += m;
            n1[j] += m & c[j].into();
        }
    }
    for (j, (&v, &c)) in vr.iter().zip(cr).enumerate() {
        let m = u32::from(goes::<ML>(v, t));
        n[j] += m;
        n1[j] += m & c.into();
    }
    let total = |a: [u32; L]| a.iter().map(|&k| k as usize).sum::<usize>();
    (total(n), total(n1))
}

/// The sum of the lanes, pairwise (a fixed order: the same sums every
/// time).
pub(super) fn lanes_sum(s: &[f64; L]) -> f64 {
    ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7]))
}

/// Moves the elements of `a` whose `mask` is 1 before the others, each
/// side in its order, without branches; returns how many moved first.
pub(super) fn stable_partition<T: Copy + Default>(
    a: &mut [T],
    mask: &[u8],
    scratch: &mut Vec<T>,
) -> usize {
    let k = a.len();
    if scratch.len() < k {
        scratch.resize(k, T::default());
    }
    // Plain slices: the loop keeps their addresses in registers (not
    // reloaded from the vector at each store).
    let (s, mask) = (&mut scratch[..k], &mask[..k]);
    let (mut l, mut r) = (0usize, 0usize);
    for i in 0..k {
        let v = a[i];
        let m = usize::from(mask[i]);
        // l <= i: the element written over was already read.
        a[l] = v;
        s[r] = v;
        l += m;
        r += 1 - m;
    }
    a[l..].copy_from_slice(&s[..r]);
    l
}

#[cfg(test)]
#[path = "targets_tests.rs"]
mod tests;
