//! The stable partitions of a split (the node's samples, targets and dense
//! columns moved so that the samples going left come first, each side in
//! its order), with AVX-512's compress where the processor has it: sixteen
//! values of a 32-bit array (eight of a 64-bit one) are moved per
//! instruction, the left ones packed at the front of the array and the
//! right ones into a scratch array copied back after them. The mask of the
//! split is then held as bits, sixteen positions a word. Without AVX-512
//! (detected at run time through `pulp`), the branch-free scalar loop of
//! [`stable_partition`] runs. Both move the same values to the same places.

#[cfg(target_arch = "x86_64")]
use pulp::x86::V4;
#[cfg(target_arch = "x86_64")]
use pulp::{cast, NullaryFnOnce};

use super::features::{range_of, Range};
use super::targets::{lanes_sum, stable_partition, two_class_counts, unit_lanes, L};

/// Fewer values than this (a small node's) go by the scalar loops: the
/// vectorised body would run its scalar tail only, after the dispatch.
const SHORT: usize = 16;

/// The instructions of the partitions.
#[derive(Debug, Clone, Copy)]
pub(super) enum Isa {
    /// The scalar loop of the build's target.
    Base,
    /// AVX-512 (x86-64-v4), detected at run time.
    #[cfg(target_arch = "x86_64")]
    V4(V4),
}

impl Isa {
    /// The widest instructions available here.
    pub(super) fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        if let Some(simd) = V4::try_new() {
            return Self::V4(simd);
        }
        Self::Base
    }

    /// [`two_class_counts`] of one-byte codes: with AVX-512, sixteen
    /// values per compare, the counts by bit counts of the masks.
    pub(super) fn two_class_counts<const ML: bool>(
        self,
        vals: &[f32],
        codes: &[u8],
        t: f32,
    ) -> (usize, usize) {
        match self {
            #[cfg(target_arch = "x86_64")]
            Self::V4(simd) if vals.len() >= SHORT => {
                simd.vectorize(TwoClass::<ML>(simd, vals, codes, t))
            }
            _ => two_class_counts::<u8, ML>(vals, codes, t),
        }
    }

    /// The count and Σ y of the values going left (every weight 1): with AVX-512, eight sums per masked add, lane `j` adding the
    /// positions `j` modulo eight as the scalar lanes do (the same sums).
    pub(super) fn unit_values<const ML: bool>(
        self,
        vals: &[f32],
        y: &[f64],
        t: f32,
    ) -> (usize, f64, f64) {
        let (mut n, mut s) = ([0.0f64; L], [0.0f64; L]);
        let done = match self {
            #[cfg(target_arch = "x86_64")]
            Self::V4(simd) if vals.len() >= SHORT => {
                simd.vectorize(UnitValues::<ML>(simd, vals, y, t, &mut s))
            }
            _ => (0, 0),
        };
        unit_lanes::<ML>(&vals[done.1..], &y[done.1..], t, (&mut n, &mut s));
        let n = done.0 + n.iter().sum::<f64>() as usize;
        (n, n as f64, lanes_sum(&s))
    }

    /// The range of `values` (as [`range_of`]): with AVX-512, sixteen
    /// values per min, max and NaN compare (a NaN never becomes a bound:
    /// `min(v, lo)` keeps `lo` when `v` is NaN, as `range_of`'s compare).
    pub(super) fn range_of(self, values: &[f32]) -> Range {
        match self {
            #[cfg(target_arch = "x86_64")]
            Self::V4(simd) if values.len() >= SHORT => simd.vectorize(RangeOf(simd, values)),
            _ => range_of(values),
        }
    }
}

/// A split's mask: per position of the node, 1 when its sample goes left
/// (one byte each), and the same as bits (sixteen positions a word, the
/// first in the lowest bit) when AVX-512 partitions.
pub(super) struct Mask {
    isa: Isa,
    /// One byte per position.
    pub bytes: Vec<u8>,
    /// `bytes` as bits (AVX-512 only).
    bits: Vec<u16>,
}

/// Which side of a split keeps its values: `(left, right)`.
pub(super) type Keep = (bool, bool);

impl Mask {
    /// An empty mask, partitioning with `isa`.
    pub(super) fn new(isa: Isa) -> Self {
        Self {
            isa,
            bytes: Vec::new(),
            bits: Vec::new(),
        }
    }

    /// The mask `bytes`, packed, partitioning with `isa`.
    #[cfg(test)]
    pub(super) fn of(isa: Isa, bytes: &[u8]) -> Self {
        let mut m = Self::new(isa);
        m.bytes.extend_from_slice(bytes);
        m.pack();
        m
    }

    /// Packs `bytes` into bits once they are set (before the partitions).
    pub(super) fn pack(&mut self) {
        if matches!(self.isa, Isa::Base) {
            return;
        }
        self.bits.clear();
        let chunks = self.bytes.chunks_exact(16);
        let rest = chunks.remainder();
        self.bits.extend(chunks.map(|c| {
            c.iter()
                .enumerate()
                .fold(0u16, |w, (b, &m)| w | (u16::from(m) << b))
        }));
        if !rest.is_empty() {
            let w = rest
                .iter()
                .enumerate()
                .fold(0u16, |w, (b, &m)| w | (u16::from(m) << b));
            self.bits.push(w);
        }
    }

    /// Partitions `a` (as long as the mask) by the mask; only the sides
    /// `keep` get their values (the other side's positions are left as
    /// they happen to be). Returns the number of values going left.
    pub(super) fn part_u32(&self, a: &mut [u32], keep: Keep, scratch: &mut Vec<u32>) -> usize {
        grow(scratch, a.len());
        match self.isa {
            #[cfg(target_arch = "x86_64")]
            Isa::V4(simd) if a.len() >= SHORT => simd.vectorize(Part32 {
                simd,
                a,
                mask: &self.bytes,
                bits: &self.bits,
                scratch,
                keep,
            }),
            _ => base(a, &self.bytes, keep, scratch),
        }
    }

    /// [`Mask::part_u32`] for f32 values (the same bits moved).
    pub(super) fn part_f32(&self, a: &mut [f32], keep: Keep, scratch: &mut Vec<u32>) -> usize {
        self.part_u32(pulp::bytemuck::cast_slice_mut(a), keep, scratch)
    }

    /// [`Mask::part_u32`] for bytes (both sides kept).
    pub(super) fn part_u8(&self, a: &mut [u8], scratch: &mut Vec<u8>) -> usize {
        grow(scratch, a.len());
        match self.isa {
            #[cfg(target_arch = "x86_64")]
            Isa::V4(simd) if a.len() >= SHORT => simd.vectorize(Part8 {
                simd,
                a,
                mask: &self.bytes,
                bits: &self.bits,
                scratch,
            }),
            _ => stable_partition(a, &self.bytes, scratch),
        }
    }

    /// [`Mask::part_u32`] for f64 values (both sides kept).
    pub(super) fn part_f64(&self, a: &mut [f64], scratch: &mut Vec<f64>) -> usize {
        grow(scratch, a.len());
        match self.isa {
            #[cfg(target_arch = "x86_64")]
            Isa::V4(simd) if a.len() >= SHORT => simd.vectorize(Part64 {
                simd,
                a,
                mask: &self.bytes,
                bits: &self.bits,
                scratch,
            }),
            _ => stable_partition(a, &self.bytes, scratch),
        }
    }
}

/// Makes `scratch` at least `k` long.
fn grow<T: Copy + Default>(scratch: &mut Vec<T>, k: usize) {
    if scratch.len() < k {
        scratch.resize(k, T::default());
    }
}

/// The scalar partition of `a` by `mask`, of the sides `keep`.
fn base(a: &mut [u32], mask: &[u8], keep: Keep, scratch: &mut [u32]) -> usize {
    match keep {
        (_, true) => {
            let (l, r) = tail(a, mask, 0, (0, 0), scratch);
            a[l..].copy_from_slice(&scratch[..r]);
            l
        }
        (true, false) => compact_left(a, mask),
        (false, false) => mask[..a.len()].iter().map(|&m| usize::from(m)).sum(),
    }
}

/// Moves the values of `a` whose `mask` is 1 to its front, in their order,
/// without branches (the rest of `a` is left as it happens to be); returns
/// how many moved.
fn compact_left<T: Copy>(a: &mut [T], mask: &[u8]) -> usize {
    let mask = &mask[..a.len()];
    let mut l = 0usize;
    for i in 0..a.len() {
        // l <= i: the value written over was already read.
        a[l] = a[i];
        l += usize::from(mask[i]);
    }
    l
}

/// The scalar tail of a vectorised partition: positions `from..` of `a`,
/// `l` and `r` values already moved left and right (into `s`).
#[inline(always)]
fn tail<T: Copy>(
    a: &mut [T],
    mask: &[u8],
    from: usize,
    (l, r): (usize, usize),
    s: &mut [T],
) -> (usize, usize) {
    let (mut l, mut r) = (l, r);
    for i in from..a.len() {
        let v = a[i];
        let m = usize::from(mask[i]);
        // l <= i: the value written over was already read.
        a[l] = v;
        s[r] = v;
        l += m;
        r += 1 - m;
    }
    (l, r)
}

/// The AVX-512 two-class counts: values `.1`, codes `.2`, threshold `.3`.
#[cfg(target_arch = "x86_64")]
struct TwoClass<'a, const ML: bool>(V4, &'a [f32], &'a [u8], f32);

#[cfg(target_arch = "x86_64")]
impl<const ML: bool> NullaryFnOnce for TwoClass<'_, ML> {
    type Output = (usize, usize);

    #[inline(always)]
    fn call(self) -> (usize, usize) {
        let Self(simd, vals, codes, t) = self;
        let f = simd.avx512f;
        let tt = f._mm512_set1_ps(t);
        let blocks = vals.len() / 16;
        let (mut n, mut n1) = (0usize, 0usize);
        for b in 0..blocks {
            let i = 16 * b;
            let v: [f32; 16] = vals[i..i + 16].try_into().expect("16 values");
            let c: [u8; 16] = codes[i..i + 16].try_into().expect("16 codes");
            let m = goes16::<ML>(simd, cast(v), tt);
            let c = cast(c);
            let ones = simd.avx512bw._mm_test_epi8_mask(c, c);
            n += m.count_ones() as usize;
            n1 += (m & ones).count_ones() as usize;
        }
        let i = 16 * blocks;
        let (rn, rn1) = two_class_counts::<u8, ML>(&vals[i..], &codes[i..], t);
        (n + rn, n1 + rn1)
    }
}

/// The mask of the sixteen values `v` going left of `t` (a NaN going
/// left when `ML`).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn goes16<const ML: bool>(
    simd: V4,
    v: core::arch::x86_64::__m512,
    t: core::arch::x86_64::__m512,
) -> u16 {
    let f = simd.avx512f;
    if ML {
        // 26: not greater than, unordered true (v <= t or v NaN).
        f._mm512_cmp_ps_mask::<26>(v, t)
    } else {
        // 18: at most, ordered (a NaN false).
        f._mm512_cmp_ps_mask::<18>(v, t)
    }
}

/// The AVX-512 count and lanes of Σ y of the values going left, over
/// whole blocks of sixteen: values `.1`, targets `.2`, threshold `.3`, the
/// lanes `.4` (added to); returns the count and the positions done.
#[cfg(target_arch = "x86_64")]
struct UnitValues<'a, const ML: bool>(V4, &'a [f32], &'a [f64], f32, &'a mut [f64; L]);

#[cfg(target_arch = "x86_64")]
impl<const ML: bool> NullaryFnOnce for UnitValues<'_, ML> {
    type Output = (usize, usize);

    #[inline(always)]
    fn call(self) -> (usize, usize) {
        let Self(simd, vals, y, t, lanes) = self;
        let f = simd.avx512f;
        let tt = f._mm512_set1_ps(t);
        let blocks = vals.len() / 16;
        let mut s = f._mm512_set1_pd(0.0);
        let mut n = 0usize;
        for b in 0..blocks {
            let i = 16 * b;
            let v: [f32; 16] = vals[i..i + 16].try_into().expect("16 values");
            let m = goes16::<ML>(simd, cast(v), tt);
            let y0: [f64; 8] = y[i..i + 8].try_into().expect("8 targets");
            let y1: [f64; 8] = y[i + 8..i + 16].try_into().expect("8 targets");
            // Lane j adds positions i + j, then i + 8 + j, as the scalar
            // lanes (a sum never −0: adding +0 is adding nothing).
            s = f._mm512_mask_add_pd(s, m as u8, s, cast(y0));
            s = f._mm512_mask_add_pd(s, (m >> 8) as u8, s, cast(y1));
            n += m.count_ones() as usize;
        }
        *lanes = cast(s);
        (n, 16 * blocks)
    }
}

/// The AVX-512 range of a feature's values.
#[cfg(target_arch = "x86_64")]
struct RangeOf<'a>(V4, &'a [f32]);

#[cfg(target_arch = "x86_64")]
impl NullaryFnOnce for RangeOf<'_> {
    type Output = Range;

    #[inline(always)]
    fn call(self) -> Range {
        let Self(simd, values) = self;
        let f = simd.avx512f;
        let mut lo = f._mm512_set1_ps(f32::INFINITY);
        let mut hi = f._mm512_set1_ps(f32::NEG_INFINITY);
        let mut nan = 0usize;
        let chunks = values.chunks_exact(16);
        let rest = chunks.remainder();
        for c in chunks {
            let c: [f32; 16] = c.try_into().expect("16 values");
            let v: core::arch::x86_64::__m512 = cast(c);
            lo = f._mm512_min_ps(v, lo);
            hi = f._mm512_max_ps(v, hi);
            // 3: unordered (a NaN).
            nan += f._mm512_cmp_ps_mask::<3>(v, v).count_ones() as usize;
        }
        let (lo, hi): ([f32; 16], [f32; 16]) = (cast(lo), cast(hi));
        let mut r = range_of(rest);
        for (&l, &h) in lo.iter().zip(&hi) {
            r.lo = if l < r.lo { l } else { r.lo };
            r.hi = if h > r.hi { h } else { r.hi };
        }
        r.n_missing += nan;
        r
    }
}

/// The AVX-512 partition of 32-bit values.
#[cfg(target_arch = "x86_64")]
struct Part32<'a> {
    simd: V4,
    a: &'a mut [u32],
    mask: &'a [u8],
    bits: &'a [u16],
    scratch: &'a mut [u32],
    keep: Keep,
}

#[cfg(target_arch = "x86_64")]
impl NullaryFnOnce for Part32<'_> {
    type Output = usize;

    #[inline(always)]
    fn call(self) -> usize {
        let Self {
            simd,
            a,
            mask,
            bits,
            scratch: s,
            keep,
        } = self;
        let f = simd.avx512f;
        let k = a.len();
        let full = k / 16;
        let (mut l, mut r) = (0usize, 0usize);
        for (j, &m) in bits[..full].iter().enumerate() {
            let i = 16 * j;
            let chunk: [u32; 16] = a[i..i + 16].try_into().expect("16 values");
            let v: core::arch::x86_64::__m512i = cast(chunk);
            // l <= i and r <= i: the 16 values written at l (and r) end
            // before i + 16, over values already read.
            if keep.0 {
                let left: [u32; 16] = cast(f._mm512_maskz_compress_epi32(m, v));
                a[l..l + 16].copy_from_slice(&left);
            }
            if keep.1 {
                let right: [u32; 16] = cast(f._mm512_maskz_compress_epi32(!m, v));
                s[r..r + 16].copy_from_slice(&right);
            }
            let n = m.count_ones() as usize;
            l += n;
            r += 16 - n;
        }
        let (l, r) = tail(a, mask, 16 * full, (l, r), s);
        if keep.1 {
            a[l..].copy_from_slice(&s[..r]);
        }
        l
    }
}

/// The AVX-512 partition of bytes (widened to 32 bits, compressed,
/// narrowed back).
#[cfg(target_arch = "x86_64")]
struct Part8<'a> {
    simd: V4,
    a: &'a mut [u8],
    mask: &'a [u8],
    bits: &'a [u16],
    scratch: &'a mut [u8],
}

#[cfg(target_arch = "x86_64")]
impl NullaryFnOnce for Part8<'_> {
    type Output = usize;

    #[inline(always)]
    fn call(self) -> usize {
        let Self {
            simd,
            a,
            mask,
            bits,
            scratch: s,
        } = self;
        let f = simd.avx512f;
        let k = a.len();
        let full = k / 16;
        let (mut l, mut r) = (0usize, 0usize);
        for (j, &m) in bits[..full].iter().enumerate() {
            let i = 16 * j;
            let chunk: [u8; 16] = a[i..i + 16].try_into().expect("16 values");
            let v = f._mm512_cvtepu8_epi32(cast(chunk));
            let left: [u8; 16] = cast(f._mm512_cvtepi32_epi8(f._mm512_maskz_compress_epi32(m, v)));
            let right: [u8; 16] =
                cast(f._mm512_cvtepi32_epi8(f._mm512_maskz_compress_epi32(!m, v)));
            a[l..l + 16].copy_from_slice(&left);
            s[r..r + 16].copy_from_slice(&right);
            let n = m.count_ones() as usize;
            l += n;
            r += 16 - n;
        }
        let (l, r) = tail(a, mask, 16 * full, (l, r), s);
        a[l..].copy_from_slice(&s[..r]);
        l
    }
}

/// The AVX-512 partition of 64-bit values (eight per compress).
#[cfg(target_arch = "x86_64")]
struct Part64<'a> {
    simd: V4,
    a: &'a mut [f64],
    mask: &'a [u8],
    bits: &'a [u16],
    scratch: &'a mut [f64],
}

#[cfg(target_arch = "x86_64")]
impl NullaryFnOnce for Part64<'_> {
    type Output = usize;

    #[inline(always)]
    fn call(self) -> usize {
        let Self {
            simd,
            a,
            mask,
            bits,
            scratch: s,
        } = self;
        let f = simd.avx512f;
        let k = a.len();
        let full = k / 16;
        let (mut l, mut r) = (0usize, 0usize);
        for (j, &m) in bits[..full].iter().enumerate() {
            for h in 0..2 {
                let i = 16 * j + 8 * h;
                let m = (m >> (8 * h)) as u8;
                let chunk: [f64; 8] = a[i..i + 8].try_into().expect("8 values");
                let v: core::arch::x86_64::__m512d = cast(chunk);
                let left: [f64; 8] = cast(f._mm512_maskz_compress_pd(m, v));
                let right: [f64; 8] = cast(f._mm512_maskz_compress_pd(!m, v));
                a[l..l + 8].copy_from_slice(&left);
                s[r..r + 8].copy_from_slice(&right);
                let n = m.count_ones() as usize;
                l += n;
                r += 8 - n;
            }
        }
        let (l, r) = tail(a, mask, 16 * full, (l, r), s);
        a[l..].copy_from_slice(&s[..r]);
        l
    }
}

#[cfg(test)]
#[path = "partition_tests.rs"]
mod tests;
