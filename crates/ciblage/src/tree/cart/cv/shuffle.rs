//! The rows of a cross-validation in fold order: numpy's shuffle (the
//! Mersenne Twister of its legacy `RandomState`), or an order given and
//! checked.

use crate::error::{CiblageError, Result};

/// `rows` checked to be a permutation of `0..n`.
pub(super) fn checked_order(rows: &[usize], n: usize) -> Result<Vec<usize>> {
    let mut seen = vec![false; n];
    let bad = rows.len() != n
        || rows
            .iter()
            .any(|&r| r >= n || std::mem::replace(&mut seen[r], true));
    if bad {
        return Err(CiblageError::param(
            "order",
            format!("expected a permutation of the {n} rows"),
        ));
    }
    Ok(rows.to_vec())
}

/// numpy's `RandomState(seed).permutation(n)`: a Fisher–Yates shuffle of
/// `0..n` drawing from the Mersenne Twister MT19937 by masked rejection.
pub(super) fn numpy_permutation(n: usize, seed: u32) -> Vec<usize> {
    let mut rng = Mt19937::new(seed);
    let mut out: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = rng.interval(i as u64) as usize;
        out.swap(i, j);
    }
    out
}

/// The Mersenne Twister MT19937, seeded as numpy's legacy `RandomState`.
pub(super) struct Mt19937 {
    key: [u32; 624],
    pos: usize,
}

impl Mt19937 {
    pub(super) fn new(seed: u32) -> Self {
        let mut key = [0u32; 624];
        key[0] = seed;
        for i in 1..624 {
            let prev = key[i - 1];
            key[i] = 1_812_433_253u32
                .wrapping_mul(prev ^ (prev >> 30))
                .wrapping_add(i as u32);
        }
        Self { key, pos: 624 }
    }

    pub(super) fn next_u32(&mut self) -> u32 {
        const UPPER: u32 = 0x8000_0000;
        const LOWER: u32 = 0x7fff_ffff;
        const MATRIX_A: u32 = 0x9908_b0df;
        if self.pos == 624 {
            for i in 0..624 {
                let y = (self.key[i] & UPPER) | (self.key[(i + 1) % 624] & LOWER);
                let mag = if y & 1 == 1 { MATRIX_A } else { 0 };
                self.key[i] = self.key[(i + 397) % 624] ^ (y >> 1) ^ mag;
            }
            self.pos = 0;
        }
        let mut y = self.key[self.pos];
        self.pos += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// A number in `0..=max` (numpy's `random_interval`).
    fn interval(&mut self, max: u64) -> u64 {
        if max == 0 {
            return 0;
        }
        let mask = u64::MAX >> max.leading_zeros();
        loop {
            let v = if max <= u64::from(u32::MAX) {
                u64::from(self.next_u32()) & mask
            } else {
                ((u64::from(self.next_u32()) << 32) | u64::from(self.next_u32())) & mask
            };
            if v <= max {
                return v;
            }
        }
    }
}
