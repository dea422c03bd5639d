//! The stable partitions of a split (the node's samples, targets and dense
//! columns moved so that the samples going left come first, each side in
//! its order), with the widest instructions the processor has, detected at
//! run time through `pulp`: AVX-512's compress ([`super::avx512`]: sixteen
//! values of a 32-bit array, eight of a 64-bit one, per instruction), or
//! AVX2's permutes by a table ([`super::avx2`]: eight, or four); the left
//! ones are packed at the front of the array and the right ones into a
//! scratch array copied back after them. The mask of the split is then
//! held as bits, sixteen positions a word. Without either, the branch-free
//! scalar loop of [`stable_partition`] runs. All move the same values to
//! the same places.

#[cfg(target_arch = "x86_64")]
use pulp::x86::{V3, V4};

#[cfg(target_arch = "x86_64")]
use super::{avx2, avx512};

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
    /// AVX2 (x86-64-v3), detected at run time.
    #[cfg(target_arch = "x86_64")]
    V3(V3),
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
        #[cfg(target_arch = "x86_64")]
        if let Some(simd) = V3::try_new() {
            return Self::V3(simd);
        }
        Self::Base
    }

    /// [`two_class_counts`] of one-byte codes: with AVX-512 (AVX2),
    /// sixteen (eight) values per compare, the counts by bit counts of the
    /// masks.
    pub(super) fn two_class_counts<const ML: bool>(
        self,
        vals: &[f32],
        codes: &[u8],
        t: f32,
    ) -> (usize, usize) {
        match self {
            #[cfg(target_arch = "x86_64")]
            Self::V4(simd) if vals.len() >= SHORT => {
                simd.vectorize(avx512::TwoClass::<ML>(simd, vals, codes, t))
            }
            #[cfg(target_arch = "x86_64")]
            Self::V3(simd) if vals.len() >= SHORT => {
                simd.vectorize(avx2::TwoClass::<ML>(simd, vals, codes, t))
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
                simd.vectorize(avx512::UnitValues::<ML>(simd, vals, y, t, &mut s))
            }
            _ => (0, 0),
        };
        unit_lanes::<ML>(&vals[done.1..], &y[done.1..], t, (&mut n, &mut s));
        let n = done.0 + n.iter().sum::<f64>() as usize;
        (n, n as f64, lanes_sum(&s))
    }

    /// The range of `values` (as [`range_of`]): with AVX-512 (AVX2),
    /// sixteen (eight) values per min, max and NaN compare (a NaN never becomes a bound:
    /// `min(v, lo)` keeps `lo` when `v` is NaN, as `range_of`'s compare).
    pub(super) fn range_of(self, values: &[f32]) -> Range {
        match self {
            #[cfg(target_arch = "x86_64")]
            Self::V4(simd) if values.len() >= SHORT => {
                simd.vectorize(avx512::RangeOf(simd, values))
            }
            #[cfg(target_arch = "x86_64")]
            Self::V3(simd) if values.len() >= SHORT => simd.vectorize(avx2::RangeOf(simd, values)),
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
            Isa::V4(simd) if a.len() >= SHORT => simd.vectorize(avx512::Part32 {
                simd,
                a,
                mask: &self.bytes,
                bits: &self.bits,
                scratch,
                keep,
            }),
            #[cfg(target_arch = "x86_64")]
            Isa::V3(simd) if a.len() >= SHORT => simd.vectorize(avx2::Part32 {
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
            Isa::V4(simd) if a.len() >= SHORT => simd.vectorize(avx512::Part8 {
                simd,
                a,
                mask: &self.bytes,
                bits: &self.bits,
                scratch,
            }),
            #[cfg(target_arch = "x86_64")]
            Isa::V3(simd) if a.len() >= SHORT => simd.vectorize(avx2::Part8 {
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
            Isa::V4(simd) if a.len() >= SHORT => simd.vectorize(avx512::Part64 {
                simd,
                a,
                mask: &self.bytes,
                bits: &self.bits,
                scratch,
            }),
            #[cfg(target_arch = "x86_64")]
            Isa::V3(simd) if a.len() >= SHORT => simd.vectorize(avx2::Part64 {
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
pub(super) fn tail<T: Copy>(
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

#[cfg(test)]
#[path = "partition_tests.rs"]
mod tests;
