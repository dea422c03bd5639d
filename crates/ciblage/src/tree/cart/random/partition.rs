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

use super::targets::stable_partition;

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

    /// Runs `f` compiled for these instructions (its passes vectorised
    /// with them: `f` and what it calls inlined).
    #[inline(always)]
    pub(super) fn vectorize<R>(self, f: impl FnOnce() -> R) -> R {
        match self {
            #[cfg(target_arch = "x86_64")]
            Self::V4(simd) => simd.vectorize(f),
            Self::Base => f(),
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
            Isa::V4(simd) => simd.vectorize(Part32 {
                simd,
                a,
                mask: &self.bytes,
                bits: &self.bits,
                scratch,
                keep,
            }),
            Isa::Base => base(a, &self.bytes, keep, scratch),
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
            Isa::V4(simd) => simd.vectorize(Part8 {
                simd,
                a,
                mask: &self.bytes,
                bits: &self.bits,
                scratch,
            }),
            Isa::Base => stable_partition(a, &self.bytes, scratch),
        }
    }

    /// [`Mask::part_u32`] for f64 values (both sides kept).
    pub(super) fn part_f64(&self, a: &mut [f64], scratch: &mut Vec<f64>) -> usize {
        grow(scratch, a.len());
        match self.isa {
            #[cfg(target_arch = "x86_64")]
            Isa::V4(simd) => simd.vectorize(Part64 {
                simd,
                a,
                mask: &self.bytes,
                bits: &self.bits,
                scratch,
            }),
            Isa::Base => stable_partition(a, &self.bytes, scratch),
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
mod tests {
    use super::*;

    /// The instructions to test: the scalar loop, and AVX-512 when here.
    fn isas() -> Vec<Isa> {
        let mut v = vec![Isa::Base];
        if !matches!(Isa::detect(), Isa::Base) {
            v.push(Isa::detect());
        }
        v
    }

    /// A mask of `k` positions from a simple generator (`seed`).
    fn mask_of(k: usize, seed: u64) -> Vec<u8> {
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..k)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                u8::from(x % 3 == 0)
            })
            .collect()
    }

    /// The partition by filters: the left values in order, then the right.
    fn expected<T: Copy>(a: &[T], mask: &[u8]) -> (Vec<T>, usize) {
        let left: Vec<T> = a
            .iter()
            .zip(mask)
            .filter(|p| *p.1 == 1)
            .map(|p| *p.0)
            .collect();
        let n = left.len();
        let right = a.iter().zip(mask).filter(|p| *p.1 == 0).map(|p| *p.0);
        (left.into_iter().chain(right).collect(), n)
    }

    #[test]
    fn every_width_moves_as_the_filters_on_either_instructions() {
        // Lengths around the 16-value chunks, masks of every density.
        for isa in isas() {
            for k in [0usize, 1, 15, 16, 17, 31, 32, 33, 100, 257] {
                for seed in 0..4 {
                    let mut bytes = mask_of(k, seed);
                    if seed == 2 {
                        bytes.fill(1);
                    } else if seed == 3 {
                        bytes.fill(0);
                    }
                    let mask = Mask::of(isa, &bytes);
                    let a: Vec<u32> = (0..k as u32).map(|i| i * 7 + 1).collect();
                    let (want, n) = expected(&a, &bytes);
                    let mut s32 = Vec::new();
                    let mut b = a.clone();
                    assert_eq!(mask.part_u32(&mut b, (true, true), &mut s32), n);
                    assert_eq!(b, want);
                    let mut b = a.clone();
                    assert_eq!(mask.part_u32(&mut b, (true, false), &mut s32), n);
                    assert_eq!(b[..n], want[..n]);
                    let mut b = a.clone();
                    assert_eq!(mask.part_u32(&mut b, (false, true), &mut s32), n);
                    assert_eq!(b[n..], want[n..]);
                    let mut f: Vec<f32> = a.iter().map(|&v| v as f32 - 0.5).collect();
                    let (want_f, _) = expected(&f, &bytes);
                    mask.part_f32(&mut f, (true, true), &mut s32);
                    assert_eq!(f, want_f);
                    let mut c: Vec<u8> = a.iter().map(|&v| (v % 251) as u8).collect();
                    let (want_c, _) = expected(&c, &bytes);
                    assert_eq!(mask.part_u8(&mut c, &mut Vec::new()), n);
                    assert_eq!(c, want_c);
                    let mut d: Vec<f64> = a.iter().map(|&v| f64::from(v) * 0.25).collect();
                    let (want_d, _) = expected(&d, &bytes);
                    assert_eq!(mask.part_f64(&mut d, &mut Vec::new()), n);
                    assert_eq!(d, want_d);
                }
            }
        }
    }
}
