//! Exact sums of `f64` values.
//!
//! An [`ExactSum`] holds the exact sum of the finite values added to it (no
//! rounding at all) and rounds once, when read: [`ExactSum::value`] is the
//! correctly rounded (to nearest, ties to even) value of the exact sum. The
//! result is therefore the same bits whatever the order of the terms, the
//! cut of the input into batches or partitions, and the order of the
//! merges: adding and merging are exactly associative and commutative.
//!
//! The state is compact, for millions of keys: an `i128` integer `m` and a
//! binary exponent `e` (value `m · 2^e`). A finite `f64` is an integer of
//! at most 53 bits times a power of two, so aligning the exponents is an
//! exact shift; when the spread of exponents or the number of terms would
//! overflow the 128 bits, the part that does not fit goes to a side
//! superaccumulator (a fixed-point integer covering the whole `f64` range),
//! allocated only for the keys that need it.
//!
//! ```
//! use ciblage::exact_sum::ExactSum;
//! let mut a = ExactSum::new();
//! for x in [1e16, 1.0, -1e16, 0.5] {
//!     a.add(x);
//! }
//! assert_eq!(a.value(), 1.5); // a running f64 sum gives 0.5
//! let parts = a.to_parts();
//! assert_eq!(ExactSum::from_parts(&parts)?.value(), 1.5);
//! # Ok::<(), ciblage::CiblageError>(())
//! ```

use crate::error::{CiblageError, Result};

/// Exponent of the least significant bit of the smallest subnormal `f64`.
pub(crate) const MIN_EXP: i32 = -1074;
/// Highest exponent `split` gives (2^1023 = 1 · 2^1023).
pub(crate) const MAX_EXP: i32 = 1023;
/// 64-bit limbs of the side accumulator: bits from 2^-1074 to 2^1165,
/// room for 2^140 terms of any finite magnitude.
pub const BIG_LIMBS: usize = 35;
/// Largest shift of a 53-bit mantissa that keeps it within a 96-bit sum.
pub(crate) const MAX_SHIFT96: u32 = 95 - 53;

/// Splits a finite `x` into `(m, e)` with `x = m · 2^e`, `|m| < 2^53` and
/// `m` odd (`m = 0` for zeros, `e` then meaningless).
#[inline(always)]
pub(crate) fn split(x: f64) -> (i64, i32) {
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let mant = (bits & ((1 << 52) - 1)) | (u64::from(biased != 0) << 52);
    let tz = mant.trailing_zeros().min(63);
    let m = (mant >> tz) as i64;
    let e = biased.max(1) - 1075 + tz as i32;
    (if bits >> 63 != 0 { -m } else { m }, e)
}

mod wide;

pub(crate) use wide::{add96, add_shifted, get96, sample_exp, set96, shift96, split_raw, Reach};

/// Exact sums of the few keys whose terms did not fit their 96-bit sum
/// (values out of the shared exponent's reach, or overflow), by code.
#[derive(Debug, Clone, Default)]
pub(crate) struct SpillTable(std::collections::HashMap<u32, ExactSum>);

impl SpillTable {
    /// Adds `x` to key `code`.
    pub fn add(&mut self, code: u32, x: f64) {
        self.0.entry(code).or_default().add(x);
    }

    /// Adds `v · 2^e` to key `code`.
    pub fn add_scaled(&mut self, code: u32, v: i128, e: i32) {
        if v != 0 {
            self.0.entry(code).or_default().add_scaled(v, e);
        }
    }

    /// True when no value was set aside.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds every key of `other`.
    pub fn merge(&mut self, other: &Self) {
        for (&code, s) in &other.0 {
            self.0.entry(code).or_default().merge(s);
        }
    }

    /// The exact total of key `code` whose 96-bit sum is `v · 2^e`.
    pub fn exact(&self, code: u32, v: i128, e: i32) -> ExactSum {
        let mut s = self.0.get(&code).cloned().unwrap_or_default();
        s.add_scaled(v, e);
        s
    }

    /// The rounded total of key `code` whose 96-bit sum is `v · 2^e`.
    #[inline]
    pub fn total(&self, code: u32, v: i128, e: i32) -> f64 {
        match self.0.get(&code) {
            None => scaled(v, e),
            Some(s) => {
                let mut s = s.clone();
                s.add_scaled(v, e);
                s.value()
            }
        }
    }
}

/// `2^k` as an `f64` (infinity above the range).
fn pow2(k: i32) -> f64 {
    if k > 1023 {
        f64::INFINITY
    } else if k >= -1022 {
        f64::from_bits(((k + 1023) as u64) << 52)
    } else {
        f64::from_bits(1 << (k - MIN_EXP).max(0))
    }
}

/// `m · 2^e` correctly rounded, for `e ≥ MIN_EXP`: the cast rounds `m` to
/// nearest-even and the scaling is exact whenever the result is normal;
/// a subnormal result has `|m| < 2^52`, which the cast keeps exactly.
#[inline]
pub(crate) fn scaled(m: i128, e: i32) -> f64 {
    if m == 0 {
        0.0
    } else {
        m as f64 * pow2(e)
    }
}

/// A fixed-point two's-complement integer in units of 2^-1074: the exact
/// sum of any number (up to 2^140) of finite values, for the rare keys whose
/// compact state overflows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BigSum {
    limbs: [u64; BIG_LIMBS],
}

impl BigSum {
    fn zero() -> Self {
        Self {
            limbs: [0; BIG_LIMBS],
        }
    }

    /// Adds `v · 2^e`, `e` in `MIN_EXP..=MAX_EXP`.
    fn add_scaled(&mut self, v: i128, e: i32) {
        if v == 0 {
            return;
        }
        let off = (e - MIN_EXP) as usize;
        let (q, r) = (off / 64, (off % 64) as u32);
        let ext = if v < 0 { u64::MAX } else { 0 };
        let w = [v as u64, (v >> 64) as u64, ext, ext];
        let s: [u64; 4] = std::array::from_fn(|i| {
            let carried = if r > 0 && i > 0 {
                w[i - 1] >> (64 - r)
            } else {
                0
            };
            (w[i] << r) | carried
        });
        let mut carry = false;
        for (i, limb) in self.limbs.iter_mut().enumerate().skip(q) {
            let add = s.get(i - q).copied().unwrap_or(ext);
            let (x, c1) = limb.overflowing_add(add);
            let (x, c2) = x.overflowing_add(u64::from(carry));
            *limb = x;
            carry = c1 | c2;
        }
    }

    fn add(&mut self, other: &Self) {
        let mut carry = false;
        for (a, &b) in self.limbs.iter_mut().zip(&other.limbs) {
            let (x, c1) = a.overflowing_add(b);
            let (x, c2) = x.overflowing_add(u64::from(carry));
            *a = x;
            carry = c1 | c2;
        }
    }

    /// The value, correctly rounded.
    fn to_f64(&self) -> f64 {
        let neg = self.limbs[BIG_LIMBS - 1] >> 63 != 0;
        let mut mag = self.limbs;
        if neg {
            let mut carry = true;
            for l in &mut mag {
                let (x, c) = (!*l).overflowing_add(u64::from(carry));
                *l = x;
                carry = c;
            }
        }
        let Some(top) = (0..BIG_LIMBS).rev().find(|&i| mag[i] != 0) else {
            return 0.0;
        };
        let top_bit = top * 64 + 63 - mag[top].leading_zeros() as usize;
        // The 64 bits from the top one, and a sticky bit for the rest:
        // 11 bits below the 53 kept, so the cast rounds as the whole would.
        let (bits, low) = if top_bit < 64 {
            (mag[0], 0)
        } else {
            let low = top_bit - 63;
            let (q, r) = (low / 64, (low % 64) as u32);
            let mut bits = mag[q] >> r;
            if r > 0 {
                bits |= mag[q + 1] << (64 - r);
            }
            let below = r > 0 && mag[q] << (64 - r) != 0;
            let sticky = below || mag[..q].iter().any(|&l| l != 0);
            (bits | u64::from(sticky), low)
        };
        let x = bits as f64 * pow2(low as i32 + MIN_EXP);
        if neg {
            -x
        } else {
            x
        }
    }
}

/// The exact sum of finite `f64` values, rounded once when read.
///
/// Adding and merging are exact, so [`ExactSum::value`] does not depend on
/// the order of the terms nor on how they were split between accumulators
/// later merged. 32 bytes, plus a 280-byte side accumulator for sums whose
/// terms span more than about 70 binary orders of magnitude.
#[derive(Debug, Clone, Default)]
pub struct ExactSum {
    m: i128,
    e: i32,
    big: Option<Box<BigSum>>,
}

/// The state of an [`ExactSum`] as plain integers (for Arrow or any other
/// serialisation): the value is `mantissa · 2^exponent` plus the side
/// accumulator `overflow` (empty, or [`BIG_LIMBS`] little-endian limbs of a
/// two's-complement integer in units of 2^-1074).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExactSumParts {
    /// High 64 bits of the two's-complement 128-bit mantissa.
    pub mantissa_high: i64,
    /// Low 64 bits of the mantissa.
    pub mantissa_low: u64,
    /// Binary exponent of the mantissa (`-1074..=1023` when it is not zero).
    pub exponent: i32,
    /// The side accumulator's limbs, empty when there is none.
    pub overflow: Vec<u64>,
}

impl ExactSum {
    /// An empty sum (value 0).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a finite value. Non-finite values are refused where the data
    /// come in; here they would be meaningless, so they are not added
    /// (and a debug build panics).
    #[inline]
    pub fn add(&mut self, x: f64) {
        debug_assert!(x.is_finite(), "ExactSum::add({x})");
        if !x.is_finite() {
            return;
        }
        let (m, e) = split(x);
        if m != 0 {
            self.add_scaled(i128::from(m), e);
        }
    }

    /// Adds `v · 2^e`, `e` in `MIN_EXP..=MAX_EXP`.
    pub(crate) fn add_scaled(&mut self, v: i128, e: i32) {
        if v == 0 {
            return;
        }
        if self.m == 0 {
            (self.m, self.e) = (v, e);
            return;
        }
        // Shift the term, or the state, onto the lower exponent of the
        // two when it fits; otherwise the part that would not goes aside.
        let fits = |x: i128, sh: i32| sh < 127 && x.unsigned_abs().leading_zeros() as i32 > sh + 1;
        if e >= self.e {
            let sh = e - self.e;
            if fits(v, sh) {
                if let Some(s) = self.m.checked_add(v << sh) {
                    self.m = s;
                    return;
                }
            }
            self.big_mut().add_scaled(v, e);
        } else {
            let sh = self.e - e;
            if fits(self.m, sh) {
                if let Some(s) = (self.m << sh).checked_add(v) {
                    (self.m, self.e) = (s, e);
                    return;
                }
            }
            let (m, old) = (self.m, self.e);
            self.big_mut().add_scaled(m, old);
            (self.m, self.e) = (v, e);
        }
    }

    fn big_mut(&mut self) -> &mut BigSum {
        self.big.get_or_insert_with(|| Box::new(BigSum::zero()))
    }

    /// Adds everything `other` holds.
    pub fn merge(&mut self, other: &Self) {
        self.add_scaled(other.m, other.e);
        if let Some(b) = &other.big {
            self.big_mut().add(b);
        }
    }

    /// The exact sum, correctly rounded to the nearest `f64` (ties to
    /// even; ±infinity only when the exact sum is beyond `f64::MAX`).
    pub fn value(&self) -> f64 {
        match &self.big {
            None => scaled(self.m, self.e),
            Some(b) => {
                let mut total = (**b).clone();
                total.add_scaled(self.m, self.e);
                total.to_f64()
            }
        }
    }

    /// True when the sum holds no nonzero term (or terms cancelling at the
    /// compact level only: the value decides).
    pub fn is_zero(&self) -> bool {
        self.m == 0
            && self
                .big
                .as_ref()
                .is_none_or(|b| b.limbs.iter().all(|&l| l == 0))
    }

    /// The state as plain integers (see [`ExactSumParts`]).
    pub fn to_parts(&self) -> ExactSumParts {
        ExactSumParts {
            mantissa_high: (self.m >> 64) as i64,
            mantissa_low: self.m as u64,
            exponent: if self.m == 0 { 0 } else { self.e },
            overflow: self
                .big
                .as_ref()
                .map_or_else(Vec::new, |b| b.limbs.to_vec()),
        }
    }

    /// The sum whose state is `parts`, checked.
    ///
    /// # Errors
    /// An exponent outside `-1074..=1023` with a nonzero mantissa, or a side
    /// accumulator of another length than [`BIG_LIMBS`]
    /// ([`CiblageError::InvalidParameter`] naming `parts`).
    pub fn from_parts(parts: &ExactSumParts) -> Result<Self> {
        let m = (i128::from(parts.mantissa_high) << 64) | i128::from(parts.mantissa_low);
        if m != 0 && !(MIN_EXP..=MAX_EXP).contains(&parts.exponent) {
            return Err(CiblageError::param(
                "parts",
                format!("exponent {} outside {MIN_EXP}..={MAX_EXP}", parts.exponent),
            ));
        }
        let big = match parts.overflow.len() {
            0 => None,
            BIG_LIMBS => {
                let mut b = BigSum::zero();
                b.limbs.copy_from_slice(&parts.overflow);
                Some(Box::new(b))
            }
            n => {
                return Err(CiblageError::param(
                    "parts",
                    format!("overflow holds {n} limbs, expected 0 or {BIG_LIMBS}"),
                ))
            }
        };
        Ok(Self {
            m,
            e: if m == 0 { 0 } else { parts.exponent },
            big,
        })
    }
}

impl Extend<f64> for ExactSum {
    fn extend<I: IntoIterator<Item = f64>>(&mut self, iter: I) {
        for x in iter {
            self.add(x);
        }
    }
}

impl FromIterator<f64> for ExactSum {
    fn from_iter<I: IntoIterator<Item = f64>>(iter: I) -> Self {
        let mut s = Self::new();
        s.extend(iter);
        s
    }
}

/// The correctly rounded sum of `values` (finite).
///
/// ```
/// assert_eq!(ciblage::exact_sum::sum(&[0.1, 0.2, -0.3]), 2.7755575615628914e-17);
/// ```
pub fn sum(values: &[f64]) -> f64 {
    values.iter().copied().collect::<ExactSum>().value()
}

#[cfg(test)]
mod tests;
