//! Keys of string ids: the id itself, zero-padded, when it is short enough,
//! otherwise a hash and some bytes, checked on the ids when keys match.
//!
//! A key fills the slot of the id table that holds it, its code in the
//! low 32 bits; the same layout files a row (its position in the low
//! bits). [`NarrowKey`] (16 bytes, four to a cache line) holds ids of up to
//! 11 bytes; [`WideKey`] (32 bytes, two to a line) ids of up to 27.

use std::fmt::Debug;
use std::hash::BuildHasher;

use foldhash::fast::FixedState;
use rayon::prelude::*;

use super::StringIds;

/// Bits of the last `u128` of a key that hold the code or position.
const LOW_MASK: u128 = u32::MAX as u128;
/// Length byte of an id too long to be its own key (never a UTF-8 byte).
const LONG: u8 = 0xFF;

/// A key of a string id, with room for a code (see the module docs).
pub(super) trait SlotKey: Copy + Eq + Debug + Send + Sync + 'static {
    /// Ids of up to this many bytes are their own key.
    const SHORT: usize;
    /// A free slot: it holds `0xFF` bytes where ids have UTF-8 bytes.
    const FREE: Self;
    /// The key of `s` (low bits zero): an id of at most [`SlotKey::SHORT`]
    /// bytes, zero-padded, then its length, so that keys are equal exactly
    /// when ids are; a longer id, some of its bytes, `long_hash(s)` and the
    /// length byte `0xFF`: equal keys then mean "probably equal".
    fn of(s: &str, long_hash: impl FnOnce(&str) -> u64) -> Self;
    /// The key with `low` as its code (slot) or position (row).
    fn with_low(self, low: u32) -> Self;
    /// The code or position.
    fn low(self) -> u32;
    /// The key alone.
    fn key(self) -> Self;
    /// True for the key of an id longer than [`SlotKey::SHORT`] bytes.
    fn is_long(self) -> bool;
    /// The hash placing the key (partition and slot).
    fn place(self, hasher: &FixedState) -> u64;
}

/// Ids of up to 11 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C, align(16))]
pub(super) struct NarrowKey(u128);

/// Ids of up to 27 bytes: bytes 0..16 in `head`, the rest in `tail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C, align(32))]
pub(super) struct WideKey {
    head: u128,
    tail: u128,
}

impl SlotKey for NarrowKey {
    const SHORT: usize = 11;
    const FREE: Self = Self(u128::MAX);

    #[inline]
    fn of(s: &str, long_hash: impl FnOnce(&str) -> u64) -> Self {
        let b = s.as_bytes();
        let n = b.len();
        Self(if n > Self::SHORT {
            u128::from(long_hash(s)) << 64 | top(b, 0, 3) >> 64 | length_byte(LONG)
        } else {
            top(b, 0, n) | length_byte(n as u8)
        })
    }

    #[inline]
    fn with_low(self, low: u32) -> Self {
        Self(self.0 | u128::from(low))
    }

    #[inline]
    fn low(self) -> u32 {
        self.0 as u32
    }

    #[inline]
    fn key(self) -> Self {
        Self(self.0 & !LOW_MASK)
    }

    #[inline]
    fn is_long(self) -> bool {
        (self.0 >> 32) as u8 == LONG
    }

    #[inline]
    fn place(self, hasher: &FixedState) -> u64 {
        hasher.hash_one(self.0)
    }
}

impl SlotKey for WideKey {
    const SHORT: usize = 27;
    const FREE: Self = Self {
        head: u128::MAX,
        tail: u128::MAX,
    };

    #[inline]
    fn of(s: &str, long_hash: impl FnOnce(&str) -> u64) -> Self {
        let b = s.as_bytes();
        let n = b.len();
        if n > Self::SHORT {
            Self {
                head: top(b, 0, 16),
                tail: u128::from(long_hash(s)) << 64 | length_byte(LONG),
            }
        } else {
            Self {
                head: top(b, 0, n.min(16)),
                tail: top(b, 16, n.saturating_sub(16)) | length_byte(n as u8),
            }
        }
    }

    #[inline]
    fn with_low(self, low: u32) -> Self {
        Self {
            tail: self.tail | u128::from(low),
            ..self
        }
    }

    #[inline]
    fn low(self) -> u32 {
        self.tail as u32
    }

    #[inline]
    fn key(self) -> Self {
        Self {
            tail: self.tail & !LOW_MASK,
            ..self
        }
    }

    #[inline]
    fn is_long(self) -> bool {
        (self.tail >> 32) as u8 == LONG
    }

    #[inline]
    fn place(self, hasher: &FixedState) -> u64 {
        if self.is_long() {
            // The id's own hash, already in the key.
            (self.tail >> 64) as u64
        } else {
            hasher.hash_one((self.head, self.tail))
        }
    }
}

/// Codes `0..ids.len()` in the byte-wise order of their ids.
pub(super) fn byte_order(ids: &StringIds) -> Vec<u32> {
    let codes = 0..ids.len() as u32;
    let id = |c: u32| ids.get(c as usize);
    if codes.clone().all(|c| id(c).len() <= NarrowKey::SHORT) {
        // Short keys order as their ids do ("ab" before "ab\0": zero
        // padding, then the length); with the code below, integers sorted
        // without a comparison function.
        let mut keyed: Vec<u128> = codes
            .into_par_iter()
            .map(|c| {
                NarrowKey::of(id(c), |_| unreachable!("short ids"))
                    .with_low(c)
                    .0
            })
            .collect();
        keyed.par_sort_unstable();
        return keyed.into_iter().map(|k| k as u32).collect();
    }
    // The first 16 bytes zero-padded order as the ids do where they differ;
    // whole ids are compared on equal prefixes only.
    let mut keyed: Vec<(u128, u32)> = codes
        .into_par_iter()
        .map(|c| {
            let b = id(c).as_bytes();
            (top(b, 0, b.len().min(16)), c)
        })
        .collect();
    keyed.par_sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| id(a.1).cmp(id(b.1))));
    keyed.into_iter().map(|(_, c)| c).collect()
}

/// The length byte of a key's last `u128` (byte 11 from the top).
#[inline]
fn length_byte(len: u8) -> u128 {
    u128::from(len) << 32
}

/// Bytes `at..at + m` of `b` (`m` ≤ 16) from the top of a `u128`, zeros
/// below.
#[inline]
fn top(b: &[u8], at: usize, m: usize) -> u128 {
    if m > 8 {
        u128::from(top64(b, at, 8)) << 64 | u128::from(top64(b, at + 8, m - 8))
    } else {
        u128::from(top64(b, at, m)) << 64
    }
}

/// Bytes `at..at + c` of `b` (`c` ≤ 8) from the top of a `u64`, zeros
/// below. Built in registers from loads of fixed size that overlap for
/// lengths between the sizes: writing bytes to memory and reading them
/// back as one integer would stall the processor on every row.
#[inline]
fn top64(b: &[u8], at: usize, c: usize) -> u64 {
    let be64 = |i: usize| u64::from_be_bytes(b[i..i + 8].try_into().expect("8 bytes"));
    let be32 = |i: usize| u64::from(u32::from_be_bytes(b[i..i + 4].try_into().expect("4 bytes")));
    let end = at + c;
    match c {
        0 => 0,
        8 => be64(at),
        // Bytes end-4..end end at byte c-1; the overlap with bytes at..at+4
        // carries the same bits.
        4..=7 => be32(at) << 32 | be32(end - 4) << (8 * (8 - c)),
        _ if end >= 4 => (be32(end - 4) & ((1 << (8 * c)) - 1)) << (64 - 8 * c),
        _ => b[at..end]
            .iter()
            .enumerate()
            .fold(0, |h, (k, &byte)| h | u64::from(byte) << (8 * (7 - k))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_hash(_: &str) -> u64 {
        unreachable!("short ids are their own key")
    }

    /// The bytes of `parts`, zero-padded to 16 each, then `len` at byte 11
    /// of the last.
    fn layout(parts: &[&[u8]], len: u8) -> Vec<u128> {
        let mut out: Vec<u128> = parts
            .iter()
            .map(|p| {
                let mut w = [0u8; 16];
                w[..p.len()].copy_from_slice(p);
                u128::from_be_bytes(w)
            })
            .collect();
        *out.last_mut().unwrap() |= length_byte(len);
        out
    }

    #[test]
    fn short_keys_are_the_bytes_then_the_length() {
        let text = "abcdefghijklmnopqrstuvwxyz0";
        for n in 0..=NarrowKey::SHORT {
            let key = NarrowKey::of(&text[..n], no_hash);
            assert_eq!(vec![key.0], layout(&[&text.as_bytes()[..n]], n as u8));
            assert!(!key.is_long());
        }
        for n in 0..=WideKey::SHORT {
            let key = WideKey::of(&text[..n], no_hash);
            let b = text.as_bytes();
            let want = layout(&[&b[..n.min(16)], &b[n.min(16)..n]], n as u8);
            assert_eq!(vec![key.head, key.tail], want, "length {n}");
            assert!(!key.is_long());
        }
        // Zero bytes and the length tell "a" from "a\0".
        assert_ne!(NarrowKey::of("a", no_hash), NarrowKey::of("a\0", no_hash));
        assert_ne!(WideKey::of("a", no_hash), WideKey::of("a\0", no_hash));
    }

    #[test]
    fn long_keys_hold_a_hash_and_are_never_free() {
        let hash = 0x0102_0304_0506_0708u64;
        let narrow = NarrowKey::of("abcdefghijkl", |_| hash);
        assert!(narrow.is_long());
        let mut want = [0u8; 16];
        want[..8].copy_from_slice(&hash.to_be_bytes());
        want[8..11].copy_from_slice(b"abc");
        want[11] = LONG;
        assert_eq!(narrow.0, u128::from_be_bytes(want));
        assert_ne!(narrow.with_low(u32::MAX), NarrowKey::FREE);
        let wide = WideKey::of("abcdefghijklmnopqrstuvwxyz0123", |_| hash);
        assert!(wide.is_long());
        assert_eq!(wide.head, u128::from_be_bytes(*b"abcdefghijklmnop"));
        assert_eq!(wide.tail, u128::from(hash) << 64 | length_byte(LONG));
        assert_ne!(wide.with_low(u32::MAX), WideKey::FREE);
    }

    #[test]
    fn codes_are_ordered_as_their_ids_byte_wise() {
        for pool in [
            vec!["b", "a", "ab\0", "ab", "", "a\0", "é", "z"],
            vec![
                "customer-b",
                "customer-a",
                "customer-a-long-tail",
                "c",
                "customer-",
                "é",
            ],
        ] {
            let mut ids = StringIds::new();
            pool.iter().for_each(|s| ids.push(s));
            let mut want: Vec<u32> = (0..pool.len() as u32).collect();
            want.sort_by_key(|&c| pool[c as usize].as_bytes());
            assert_eq!(byte_order(&ids), want);
        }
    }

    #[test]
    fn low_bits_hold_a_code_apart_from_the_key() {
        let k = WideKey::of("customer-000123", no_hash);
        assert_eq!(k.with_low(77).low(), 77);
        assert_eq!(k.with_low(77).key(), k);
        let k = NarrowKey::of("c-000123", no_hash);
        assert_eq!(k.with_low(u32::MAX).key(), k);
        assert_eq!(std::mem::size_of::<WideKey>(), 32);
        assert_eq!(std::mem::align_of::<WideKey>(), 32);
    }
}
