//! The slots of one partition of the string-id table: open addressing with
//! linear probing in a power-of-two array kept at most half full, so that
//! a lookup's first slot is known from the hash alone and can be fetched
//! ahead of use (see [`SlotTable::home`]), which a general-purpose hash
//! table does not expose. A slot is a key holding its code (see
//! [`super::keys`]), aligned to its size: none straddles two cache lines.

use super::keys::SlotKey;

/// Slots of a new table.
const MIN_SLOTS: usize = 16;

/// Slots of one partition.
#[derive(Debug, Clone)]
pub(super) struct SlotTable<K> {
    slots: Vec<K>,
    used: usize,
}

impl<K: SlotKey> SlotTable<K> {
    pub fn new() -> Self {
        Self {
            slots: vec![K::FREE; MIN_SLOTS],
            used: 0,
        }
    }

    #[inline]
    fn mask(&self) -> usize {
        self.slots.len() - 1
    }

    /// The first slot a lookup of `hash` reads (to prefetch).
    #[inline]
    pub fn home(&self, hash: u64) -> &K {
        &self.slots[hash as usize & self.mask()]
    }

    /// The code of the id whose key is `key`, placed by `hash`, if held;
    /// `same_id(code)` compares whole ids for long keys.
    #[inline]
    pub fn find(&self, key: K, hash: u64, same_id: impl Fn(u32) -> bool) -> Option<u32> {
        let mask = self.mask();
        let mut i = hash as usize & mask;
        loop {
            let slot = self.slots[i];
            if slot == K::FREE {
                return None;
            }
            if slot.key() == key && (!key.is_long() || same_id(slot.low())) {
                return Some(slot.low());
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
            if slot == K::FREE {
                return;
            }
            if slot.low() == old {
                self.slots[i] = slot.key().with_low(code);
                return;
            }
            i = (i + 1) & mask;
        }
    }

    /// Adds `key` with `code`, known to be absent, placed by `hash`;
    /// doubles the array when it would be more than half full (`hash_of`
    /// places the keys held).
    pub fn insert(&mut self, key: K, hash: u64, code: u32, hash_of: impl Fn(K) -> u64) {
        if 2 * (self.used + 1) > self.slots.len() {
            let grown = vec![K::FREE; 2 * self.slots.len()];
            let old = std::mem::replace(&mut self.slots, grown);
            for s in old.into_iter().filter(|&s| s != K::FREE) {
                self.place(s, hash_of(s.key()));
            }
        }
        self.place(key.with_low(code), hash);
        self.used += 1;
    }

    fn place(&mut self, slot: K, hash: u64) {
        let mask = self.mask();
        let mut i = hash as usize & mask;
        while self.slots[i] != K::FREE {
            i = (i + 1) & mask;
        }
        self.slots[i] = slot;
    }
}

#[cfg(test)]
mod tests {
    use super::super::keys::{NarrowKey, WideKey};
    use super::*;

    fn collisions<K: SlotKey>() {
        let key = |code: u32| K::of(&format!("c{code}"), |_| unreachable!());
        // Every key placed by one hash: one long probe run.
        let mut t = SlotTable::<K>::new();
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
        let long = K::of(&"x".repeat(40), |_| 42);
        t.insert(long, 7, 1000, |_| 7);
        assert_eq!(t.find(long, 7, |_| false), None);
        assert_eq!(t.find(long, 7, |code| code == 1000), Some(1000));
    }

    #[test]
    fn colliding_hashes_probe_on_and_survive_growth() {
        collisions::<NarrowKey>();
        collisions::<WideKey>();
    }
}
