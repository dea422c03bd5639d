//! The AVX-512 kernels of the random splitter's passes (x86-64-v4,
//! detected at run time): sixteen values per compare, compress or
//! min/max; each gives the values of its scalar loop in
//! [`super::targets`], [`super::features`] and [`super::partition`].

use pulp::x86::V4;
use pulp::{cast, NullaryFnOnce};

use super::features::{range_of, Range};
use super::partition::{tail, Keep};
use super::targets::{two_class_counts, L};

/// The AVX-512 two-class counts: values `.1`, codes `.2`, threshold `.3`.
pub(super) struct TwoClass<'a, const ML: bool>(
    pub(super) V4,
    pub(super) &'a [f32],
    pub(super) &'a [u8],
    pub(super) f32,
);

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
pub(super) struct UnitValues<'a, const ML: bool>(
    pub(super) V4,
    pub(super) &'a [f32],
    pub(super) &'a [f64],
    pub(super) f32,
    pub(super) &'a mut [f64; L],
);

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
pub(super) struct RangeOf<'a>(pub(super) V4, pub(super) &'a [f32]);

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
pub(super) struct Part32<'a> {
    pub(super) simd: V4,
    pub(super) a: &'a mut [u32],
    pub(super) mask: &'a [u8],
    pub(super) bits: &'a [u16],
    pub(super) scratch: &'a mut [u32],
    pub(super) keep: Keep,
}

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
pub(super) struct Part8<'a> {
    pub(super) simd: V4,
    pub(super) a: &'a mut [u8],
    pub(super) mask: &'a [u8],
    pub(super) bits: &'a [u16],
    pub(super) scratch: &'a mut [u8],
}

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
pub(super) struct Part64<'a> {
    pub(super) simd: V4,
    pub(super) a: &'a mut [f64],
    pub(super) mask: &'a [u8],
    pub(super) bits: &'a [u16],
    pub(super) scratch: &'a mut [f64],
}

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
