//! 96-bit sums in units of a shared power of two: the compact per-key
//! state of [`super::ExactSum`]'s users with millions of keys (per-customer
//! revenue and cost), and the tests and adds of their hot loops.

use super::{MAX_SHIFT96, MIN_EXP};

/// Splits a finite `x` into `(m, e)` with `x = m · 2^e`, `|m| < 2^53` its
/// stored mantissa (trailing zeros kept): `|x| < 2^(53 + e)`, so that the
/// exponent alone bounds the magnitude (the test of [`add96`]).
#[inline(always)]
pub(crate) fn split_raw(x: f64) -> (i64, i32) {
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let m = ((bits & ((1 << 52) - 1)) | (u64::from(biased != 0) << 52)) as i64;
    (if bits >> 63 != 0 { -m } else { m }, biased.max(1) - 1075)
}

/// The 96-bit integer held as a low `u64` and a high `i32` (so that a
/// per-customer state keeps to 32 bytes).
#[inline(always)]
pub(crate) fn get96(lo: u64, hi: i32) -> i128 {
    (i128::from(hi) << 64) | i128::from(lo)
}

/// Stores `v` (which [`fits96`]) as a low and a high part.
#[inline(always)]
pub(crate) fn set96(lo: &mut u64, hi: &mut i32, v: i128) {
    *lo = v as u64;
    *hi = (v >> 64) as i32;
}

/// True when `v` lies in `[-2^95, 2^95)`.
#[inline(always)]
pub(crate) fn fits96(v: i128) -> bool {
    ((v >> 95) as i64).wrapping_add(1) as u64 <= 1
}

/// Adds finite `x` to the 96-bit sum `(lo, hi)` in units of `2^exp` when
/// the result is exact and fits; returns false (nothing added) otherwise,
/// and the caller sets `x` aside in a [`SpillTable`]. Branch-free.
#[inline(always)]
pub(crate) fn add96(lo: &mut u64, hi: &mut i32, x: f64, exp: i32) -> bool {
    let (m, e) = split_raw(x);
    let sh = if m == 0 {
        0
    } else {
        e.wrapping_sub(exp) as u32
    };
    let cur = get96(*lo, *hi);
    let s = cur.wrapping_add(i128::from(m) << sh.min(MAX_SHIFT96));
    let ok = (sh <= MAX_SHIFT96) & fits96(s);
    set96(lo, hi, if ok { s } else { cur });
    ok
}

/// The bits of the positive normal values that a 96-bit sum in units of
/// `2^exp` takes without rounding: their biased exponent from `low` to
/// `low + MAX_SHIFT96`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reach {
    low: u32,
}

impl Reach {
    /// The reach of sums in units of `2^exp` (none for `i32::MAX`, the
    /// exponent of sums of no value yet).
    pub fn of(exp: i32) -> Self {
        // Biased exponent of the values whose lowest mantissa bit is
        // 2^exp; none when the top of the reach would meet the
        // non-finite values' biased exponent (0x7ff).
        let low = i64::from(exp) + 1075;
        let low = if (1..=0x7fe - i64::from(MAX_SHIFT96)).contains(&low) {
            low as u32
        } else {
            0x1000
        };
        Self { low }
    }

    /// The shift of `x`'s mantissa onto the sums' units: at most
    /// [`MAX_SHIFT96`] exactly for a positive normal `x` within reach;
    /// larger for any other `x` (negative, zero, subnormal, non-finite, or
    /// out of reach), which [`add96`] then takes.
    #[inline(always)]
    pub fn shift(self, x: f64) -> u32 {
        ((x.to_bits() >> 52) as u32).wrapping_sub(self.low)
    }
}

/// Adds `x`, a value whose [`Reach::shift`] is `shift` (at most
/// [`MAX_SHIFT96`]), to the 96-bit sum `(lo, hi)`; false (nothing added)
/// when the sum would overflow.
#[inline(always)]
pub(crate) fn add_shifted(lo: &mut u64, hi: &mut i32, x: f64, shift: u32) -> bool {
    let m = (x.to_bits() & ((1 << 52) - 1)) | (1 << 52);
    let s = get96(*lo, *hi).wrapping_add(i128::from(m) << shift.min(MAX_SHIFT96));
    let ok = fits96(s);
    if ok {
        set96(lo, hi, s);
    }
    ok
}

/// `v << d` when it [`fits96`].
#[inline]
pub(crate) fn shift96(v: i128, d: u32) -> Option<i128> {
    if v == 0 {
        return Some(0);
    }
    (d < 96 && v.unsigned_abs().leading_zeros() > d + 1)
        .then(|| v << d)
        .filter(|&s| fits96(s))
}

/// The lowest exponent (of [`split_raw`]) among a sample of up to about 1024
/// of the finite nonzero `values`, less a margin of [`SAMPLE_MARGIN`] bits
/// for the values the sample missed, `None` when there is none: the shared
/// exponent of 96-bit sums that nearly every row fits.
pub(crate) fn sample_exp<'a>(chunks: impl Iterator<Item = &'a [f64]>, n: usize) -> Option<i32> {
    let step = (n / 1024).max(1);
    chunks
        .flat_map(|c| c.iter().step_by(step))
        .filter(|x| x.is_finite())
        .map(|&x| split_raw(x))
        .filter(|&(m, _)| m != 0)
        .map(|(_, e)| e)
        .min()
        .map(|e| (e - SAMPLE_MARGIN).max(MIN_EXP))
}

/// Bits below the sample's lowest exponent that the shared exponent of
/// 96-bit sums also covers (values 1000 times smaller than the sample's
/// smallest), leaving room for values 2^32 times larger than it.
const SAMPLE_MARGIN: i32 = 10;
