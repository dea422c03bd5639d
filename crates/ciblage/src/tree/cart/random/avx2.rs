//! The AVX2 kernels of the random splitter's passes (x86-64-v3, detected
//! at run time), for processors without AVX-512: eight values per compare
//! or min/max, and the partitions by a table of permutations (AVX2 has no
//! compress): the eight positions of a mask byte going left are gathered
//! to the front of a register by one permute whose indices the table holds
//! for each of the 256 bytes, and the register is stored whole at the
//! left cursor (the lanes past the moved values are written over by the
//! next store, or lie at positions already read). Each kernel gives the
//! values of its scalar loop in [`super::targets`], [`super::features`]
//! and [`super::partition`].

use core::arch::x86_64::{__m128i, __m256, __m256i};

use pulp::x86::V3;
use pulp::{cast, NullaryFnOnce};

use super::features::{range_of, Range};
use super::partition::{tail, Keep};
use super::targets::two_class_counts;

/// Per mask byte, the positions of its set bits in order (the rest 0):
/// the indices of the permute that packs the lanes going left.
static PACK8: [[u8; 8]; 256] = pack_table();

/// Per mask nibble, the 32-bit lane indices packing the 64-bit lanes of
/// its set bits (lane `j` is the 32-bit lanes `2j`, `2j + 1`).
static PACK4: [[u8; 8]; 16] = pack_table_64();

const fn pack_table() -> [[u8; 8]; 256] {
    let mut t = [[0u8; 8]; 256];
    let mut m = 0;
    while m < 256 {
        let (mut k, mut j) = (0, 0);
        while j < 8 {
            if (m >> j) & 1 == 1 {
                t[m][k] = j as u8;
                k += 1;
            }
            j += 1;
        }
        m += 1;
    }
    t
}

const fn pack_table_64() -> [[u8; 8]; 16] {
    let mut t = [[0u8; 8]; 16];
    let mut m = 0;
    while m < 16 {
        let (mut k, mut j) = (0, 0);
        while j < 4 {
            if (m >> j) & 1 == 1 {
                t[m][2 * k] = 2 * j as u8;
                t[m][2 * k + 1] = 2 * j as u8 + 1;
                k += 1;
            }
            j += 1;
        }
        m += 1;
    }
    t
}

/// The permute indices of `PACK8`/`PACK4` row `row`, widened to eight
/// 32-bit lanes.
#[inline(always)]
fn indices(simd: V3, row: &[u8; 8]) -> __m256i {
    let low: __m128i = cast([u64::from_le_bytes(*row), 0]);
    simd.avx2._mm256_cvtepu8_epi32(low)
}

/// The mask (a bit per lane) of the eight values `v` going left of `t` (a
/// NaN going left when `ML`).
#[inline(always)]
fn goes8<const ML: bool>(simd: V3, v: __m256, t: __m256) -> u32 {
    let m = if ML {
        // 26: not greater than, unordered true (v <= t or v NaN).
        simd.avx._mm256_cmp_ps::<26>(v, t)
    } else {
        // 18: at most, ordered (a NaN false).
        simd.avx._mm256_cmp_ps::<18>(v, t)
    };
    simd.avx._mm256_movemask_ps(m) as u32
}

/// The AVX2 two-class counts: values `.1`, codes `.2`, threshold `.3`.
pub(super) struct TwoClass<'a, const ML: bool>(
    pub(super) V3,
    pub(super) &'a [f32],
    pub(super) &'a [u8],
    pub(super) f32,
);

impl<const ML: bool> NullaryFnOnce for TwoClass<'_, ML> {
    type Output = (usize, usize);

    #[inline(always)]
    fn call(self) -> (usize, usize) {
        let Self(simd, vals, codes, t) = self;
        let tt = simd.avx._mm256_set1_ps(t);
        let zero = simd.sse2._mm_setzero_si128();
        let blocks = vals.len() / 16;
        let (mut n, mut n1) = (0usize, 0usize);
        for b in 0..blocks {
            let i = 16 * b;
            let v0: [f32; 8] = vals[i..i + 8].try_into().expect("8 values");
            let v1: [f32; 8] = vals[i + 8..i + 16].try_into().expect("8 values");
            let c: [u8; 16] = codes[i..i + 16].try_into().expect("16 codes");
            let m = goes8::<ML>(simd, cast(v0), tt) | (goes8::<ML>(simd, cast(v1), tt) << 8);
            // The codes not zero (class 1).
            let zeros = simd.sse2._mm_cmpeq_epi8(cast(c), zero);
            let ones = !(simd.sse2._mm_movemask_epi8(zeros) as u32) & 0xFFFF;
            n += m.count_ones() as usize;
            n1 += (m & ones).count_ones() as usize;
        }
        let i = 16 * blocks;
        let (rn, rn1) = two_class_counts::<u8, ML>(&vals[i..], &codes[i..], t);
        (n + rn, n1 + rn1)
    }
}

/// The AVX2 range of a feature's values.
pub(super) struct RangeOf<'a>(pub(super) V3, pub(super) &'a [f32]);

impl NullaryFnOnce for RangeOf<'_> {
    type Output = Range;

    #[inline(always)]
    fn call(self) -> Range {
        let Self(simd, values) = self;
        let f = simd.avx;
        let mut lo = f._mm256_set1_ps(f32::INFINITY);
        let mut hi = f._mm256_set1_ps(f32::NEG_INFINITY);
        let mut nan = 0usize;
        let chunks = values.chunks_exact(8);
        let rest = chunks.remainder();
        for c in chunks {
            let c: [f32; 8] = c.try_into().expect("8 values");
            let v: __m256 = cast(c);
            // min(v, lo) keeps lo when v is NaN, as range_of's compare.
            lo = f._mm256_min_ps(v, lo);
            hi = f._mm256_max_ps(v, hi);
            // 3: unordered (a NaN).
            let m = f._mm256_movemask_ps(f._mm256_cmp_ps::<3>(v, v));
            nan += m.count_ones() as usize;
        }
        let (lo, hi): ([f32; 8], [f32; 8]) = (cast(lo), cast(hi));
        let mut r = range_of(rest);
        for (&l, &h) in lo.iter().zip(&hi) {
            r.lo = if l < r.lo { l } else { r.lo };
            r.hi = if h > r.hi { h } else { r.hi };
        }
        r.n_missing += nan;
        r
    }
}

/// The AVX2 partition of 32-bit values.
pub(super) struct Part32<'a> {
    pub(super) simd: V3,
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
        let p = simd.avx2;
        let full = a.len() / 16;
        let (mut l, mut r) = (0usize, 0usize);
        for (j, &word) in bits[..full].iter().enumerate() {
            for h in 0..2 {
                let i = 16 * j + 8 * h;
                let m = usize::from((word >> (8 * h)) as u8);
                let chunk: [u32; 8] = a[i..i + 8].try_into().expect("8 values");
                let v: __m256i = cast(chunk);
                // l <= i and r <= i: the 8 values written at l (and r) end
                // before i + 8, over values already read.
                if keep.0 {
                    let left: [u32; 8] =
                        cast(p._mm256_permutevar8x32_epi32(v, indices(simd, &PACK8[m])));
                    a[l..l + 8].copy_from_slice(&left);
                }
                if keep.1 {
                    let right: [u32; 8] =
                        cast(p._mm256_permutevar8x32_epi32(v, indices(simd, &PACK8[255 - m])));
                    s[r..r + 8].copy_from_slice(&right);
                }
                let n = m.count_ones() as usize;
                l += n;
                r += 8 - n;
            }
        }
        let (l, r) = tail(a, mask, 16 * full, (l, r), s);
        if keep.1 {
            a[l..].copy_from_slice(&s[..r]);
        }
        l
    }
}

/// The AVX2 partition of bytes (eight per byte shuffle).
pub(super) struct Part8<'a> {
    pub(super) simd: V3,
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
        let full = a.len() / 16;
        let (mut l, mut r) = (0usize, 0usize);
        let pack = |v: __m128i, row: &[u8; 8]| -> [u8; 8] {
            let idx: __m128i = cast([u64::from_le_bytes(*row), 0]);
            let packed = simd.ssse3._mm_shuffle_epi8(v, idx);
            let out: [u64; 2] = cast(packed);
            out[0].to_le_bytes()
        };
        for (j, &word) in bits[..full].iter().enumerate() {
            for h in 0..2 {
                let i = 16 * j + 8 * h;
                let m = usize::from((word >> (8 * h)) as u8);
                let chunk: [u8; 8] = a[i..i + 8].try_into().expect("8 values");
                let v: __m128i = cast([u64::from_le_bytes(chunk), 0]);
                a[l..l + 8].copy_from_slice(&pack(v, &PACK8[m]));
                s[r..r + 8].copy_from_slice(&pack(v, &PACK8[255 - m]));
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

/// The AVX2 partition of 64-bit values (four per permute).
pub(super) struct Part64<'a> {
    pub(super) simd: V3,
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
        let p = simd.avx2;
        let full = a.len() / 16;
        let (mut l, mut r) = (0usize, 0usize);
        for (j, &word) in bits[..full].iter().enumerate() {
            for q in 0..4 {
                let i = 16 * j + 4 * q;
                let m = usize::from((word >> (4 * q)) as u8 & 0xF);
                let chunk: [f64; 4] = a[i..i + 4].try_into().expect("4 values");
                let v: __m256i = cast(chunk);
                let left: [f64; 4] =
                    cast(p._mm256_permutevar8x32_epi32(v, indices(simd, &PACK4[m])));
                let right: [f64; 4] =
                    cast(p._mm256_permutevar8x32_epi32(v, indices(simd, &PACK4[15 - m])));
                a[l..l + 4].copy_from_slice(&left);
                s[r..r + 4].copy_from_slice(&right);
                let n = m.count_ones() as usize;
                l += n;
                r += 4 - n;
            }
        }
        let (l, r) = tail(a, mask, 16 * full, (l, r), s);
        a[l..].copy_from_slice(&s[..r]);
        l
    }
}
