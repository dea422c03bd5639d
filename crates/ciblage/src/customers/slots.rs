//! The slots of one partition of the string-id table: open addressing with
//! linear probing in a power-of-two array kept at most half full, so that
//! a lookup's first slot is known from the hash alone and can be fetched
//! ahead of use (see [`SlotTable::home`]), which a general-purpose hash
//! table does not expose.
//!
//! A slot is one `u128`: the id's 96-bit key (see [`key_of`]) above its
//! 32-bit code. Four slots fill a cache line, and a slot never straddles
//! two.

/// Ids of up to this many bytes are their own key.
pub(super) const SHORT: usize = 11;
/// Last key byte of an id longer than [`SHORT`] (never a UTF-8 byte).
const LONG: u8 = 0xFF;
/// The key bits of a slot or key.
const KEY_MASK: u128 = !(u32::MAX as u128);
/// A free slot: its key bytes would hold `0xFF`, which no UTF-8 id has.
const FREE: u128 = u128::MAX;
/// Slots of a new table.
const MIN_SLOTS: usize = 16;

/// The key of string id `s` (low 32 bits zero). An id of at most [`SHORT`]
/// bytes: its bytes zero-padded to 11, then its length, so that keys are
/// equal exactly when ids are (and order as the ids do, byte-wise). A
/// longer id: `long_hash(s)`, its first three bytes and the [`LONG`]
/// marker; equal keys then mean "probably equal", checked on the ids.
#[inline]
pub(super) fn key_of(s: &str, long_hash: impl FnOnce(&str) -> u64) -> u128 {
    let b = s.as_bytes();
    let n = b.len();
    let be64 = |at: usize| u64::from_be_bytes(b[at..at + 8].try_into().expect("8 bytes"));
    let be32 = |at: usize| {
        u64::from(u32::from_be_bytes(
            b[at..at + 4].try_into().expect("4 bytes"),
        ))
    };
    // Built in registers: writing bytes to memory and reading them back as
    // one integer stalls the processor on every row. Loads of fixed size
    // overlap for lengths between the sizes; `hi` holds bytes 0..8 from
    // the top, `lo` bytes 8..11, then the length (or marker).
    let (hi, lo) = if n > SHORT {
        let first3 = be32(0) >> 8;
        (long_hash(s), first3 << 40 | u64::from(LONG) << 32)
    } else if n >= 8 {
        let tail = if n > 8 {
            let extra = 8 * (n - 8) as u32;
            (be32(n - 4) & ((1 << extra) - 1)) << (64 - extra)
        } else {
            0
        };
        (be64(0), tail | (n as u64) << 32)
    } else if n >= 4 {
        // Bytes n-4..n end at byte n-1 (shift 8 (8 - n)); the overlap with
        // bytes 0..4 carries the same bits.
        (
            be32(0) << 32 | be32(n - 4) << (8 * (8 - n)),
            (n as u64) << 32,
        )
    } else {
        let hi = b
            .iter()
            .enumerate()
            .fold(0u64, |h, (k, &c)| h | u64::from(c) << (8 * (7 - k)));
        (hi, (n as u64) << 32)
    };
    u128::from(hi) << 64 | u128::from(lo)
}

/// True when `key` is that of an id longer than [`SHORT`] bytes, whose
/// matches are checked on the ids.
#[inline]
pub(super) fn is_long(key: u128) -> bool {
    (key >> 32) as u8 == LONG
}

/// The key bits of a slot (or of a row: key and position).
#[inline]
pub(super) fn key_bits(slot: u128) -> u128 {
    slot & KEY_MASK
}

/// Code held in a slot (or position held in a row).
#[inline]
pub(super) fn low(slot: u128) -> u32 {
    slot as u32
}

/// Slots of one partition.
#[derive(Debug, Clone)]
pub(super) struct SlotTable {
    slots: Vec<u128>,
    used: usize,
}

impl SlotTable {
    pub fn new() -> Self {
        Self {
            slots: vec![FREE; MIN_SLOTS],
            used: 0,
        }
    }

    #[inline]
    fn mask(&self) -> usize {
        self.slots.len() - 1
    }

    /// The first slot a lookup of `hash` reads (to prefetch).
    #[inline]
    pub fn home(&self, hash: u64) -> &u128 {
        &self.slots[hash as usize & self.mask()]
    }

    /// The code of the id whose key is `key`, placed by `hash`, if held;
    /// `same_id(code)` compares whole ids for long keys.
    #[inline]
    pub fn find(&self, key: u128, hash: u64, same_id: impl Fn(u32) -> bool) -> Option<u32> {
        let mask = self.mask();
        let mut i = hash as usize & mask;
        loop {
            let slot = self.slots[i];
            if slot == FREE {
                return None;
            }
            if slot & KEY_MASK == key && (!is_long(key) || same_id(low(slot))) {
                return Some(low(slot));
            }
            i = (i + 1) & mask;
        }
    }

    /// Gives `code` to the slot placed by `hash` whose code is `old`.
    pub fn recode(&mut self, hash: u64, old: u32, code: u32) {
        let mask = self.mask();
        let mut i = hash as usize & mask;
        loop {
            let slot = self.slots[i];
            if slot == FREE {
                return;
            }
            if low(slot) == old {
                self.slots[i] = (slot & KEY_MASK) | u128::from(code);
                return;
            }
            i = (i + 1) & mask;
        }
    }

    /// Adds `key` with `code`, known to be absent, placed by `hash`;
    /// doubles the array when it would be more than half full (`hash_of`
    /// places the keys held).
    pub fn insert(&mut self, key: u128, hash: u64, code: u32, hash_of: impl Fn(u128) -> u64) {
        if 2 * (self.used + 1) > self.slots.len() {
            let grown = vec![FREE; 2 * self.slots.len()];
            let old = std::mem::replace(&mut self.slots, grown);
            for s in old.into_iter().filter(|&s| s != FREE) {
                self.place(s, hash_of(s & KEY_MASK));
            }
        }
        self.place(key | u128::from(code), hash);
        self.used += 1;
    }

    fn place(&mut self, slot: u128, hash: u64) {
        let mask = self.mask();
        let mut i = hash as usize & mask;
        while self.slots[i] != FREE {
            i = (i + 1) & mask;
        }
        self.slots[i] = slot;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_hash(_: &str) -> u64 {
        unreachable!("short ids are their own key")
    }

    #[test]
    fn short_keys_are_the_bytes_then_the_length() {
        let text = "abcdefghijk";
        for n in 0..=SHORT {
            let key = key_of(&text[..n], no_hash);
            let mut want = [0u8; 16];
            want[..n].copy_from_slice(&text.as_bytes()[..n]);
            want[SHORT] = n as u8;
            assert_eq!(key, u128::from_be_bytes(want), "length {n}");
            assert!(!is_long(key));
        }
        // Zero bytes and length tell "a" from "a\0".
        assert_ne!(key_of("a", no_hash), key_of("a\0", no_hash));
        assert!(key_of("ab", no_hash) < key_of("ab\0", no_hash));
        let long = key_of("abcdefghijkl", |_| 0x0102_0304_0506_0708);
        assert!(is_long(long));
        let mut want = [0u8; 16];
        want[..8].copy_from_slice(&0x0102_0304_0506_0708u64.to_be_bytes());
        want[8..11].copy_from_slice(b"abc");
        want[SHORT] = LONG;
        assert_eq!(long, u128::from_be_bytes(want));
        assert_ne!(long | u128::from(u32::MAX), FREE);
    }

    #[test]
    fn colliding_hashes_probe_on_and_survive_growth() {
        let key = |code: u32| key_of(&format!("c{code}"), no_hash);
        // Every key placed by one hash: one long probe run.
        let mut t = SlotTable::new();
        for code in 0..100u32 {
            t.insert(key(code), 7, code, |_| 7);
        }
        for code in 0..100u32 {
            assert_eq!(t.find(key(code), 7, |_| true), Some(code));
        }
        assert_eq!(t.find(key(100), 7, |_| true), None);
        assert!(t.slots.len() >= 200);
        t.recode(7, 5, 500);
        assert_eq!(t.find(key(5), 7, |_| true), Some(500));
        // Long keys are checked on the ids.
        let long = key_of("abcdefghijkl", |_| 42);
        t.insert(long, 9, 1000, |_| 7);
        assert_eq!(t.find(long, 9, |_| false), None);
        assert_eq!(t.find(long, 9, |code| code == 1000), Some(1000));
    }
}
