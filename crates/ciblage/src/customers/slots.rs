//! The slots of one partition of the string-id table: open addressing with
//! linear probing in a power-of-two array kept at most half full, so that
//! a lookup's first slot is known from the hash alone and can be fetched
//! ahead of use (see [`SlotTable::home`]), which a general-purpose hash
//! table does not expose.

/// Bytes of a string id kept inside its slot.
pub(super) const HEAD: usize = 16;
/// `len` of a free slot (no id is 4 GiB long).
const FREE: u32 = u32::MAX;
/// Slots of a new table.
const MIN_SLOTS: usize = 16;

/// A slot: the id's hash, length and first bytes inline (ids of up to
/// [`HEAD`] bytes are matched without reading the id store), and its code.
/// Aligned to its size, so that no slot straddles two cache lines: a
/// lookup's first slot is one line, fetched ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(align(32))]
pub(super) struct Slot {
    pub hash: u64,
    pub head: [u8; HEAD],
    pub len: u32,
    pub code: u32,
}

const EMPTY: Slot = Slot {
    hash: 0,
    head: [0; HEAD],
    len: FREE,
    code: 0,
};

/// Slots of one partition.
#[derive(Debug, Clone)]
pub(super) struct SlotTable {
    slots: Vec<Slot>,
    used: usize,
}

impl SlotTable {
    pub fn new() -> Self {
        Self {
            slots: vec![EMPTY; MIN_SLOTS],
            used: 0,
        }
    }

    #[inline]
    fn mask(&self) -> usize {
        self.slots.len() - 1
    }

    /// The first slot a lookup of `hash` reads (to prefetch).
    #[inline]
    pub fn home(&self, hash: u64) -> &Slot {
        &self.slots[hash as usize & self.mask()]
    }

    /// The code of the id described by `key` (hash, head, length), if held;
    /// `same_id(code)` compares whole ids longer than the head.
    #[inline]
    pub fn find(&self, key: &Slot, same_id: impl Fn(u32) -> bool) -> Option<u32> {
        let mask = self.mask();
        let mut i = key.hash as usize & mask;
        loop {
            let slot = &self.slots[i];
            if slot.len == FREE {
                return None;
            }
            if slot.hash == key.hash
                && slot.len == key.len
                && slot.head == key.head
                && (key.len as usize <= HEAD || same_id(slot.code))
            {
                return Some(slot.code);
            }
            i = (i + 1) & mask;
        }
    }

    /// The slot of `hash` whose code satisfies `pick`.
    pub fn find_mut(&mut self, hash: u64, pick: impl Fn(&Slot) -> bool) -> Option<&mut Slot> {
        let mask = self.mask();
        let mut i = hash as usize & mask;
        loop {
            let slot = &self.slots[i];
            if slot.len == FREE {
                return None;
            }
            if slot.hash == hash && pick(slot) {
                return Some(&mut self.slots[i]);
            }
            i = (i + 1) & mask;
        }
    }

    /// Adds a slot known to be absent, doubling the array when it would be
    /// more than half full.
    pub fn insert(&mut self, slot: Slot) {
        if 2 * (self.used + 1) > self.slots.len() {
            let grown = vec![EMPTY; 2 * self.slots.len()];
            let old = std::mem::replace(&mut self.slots, grown);
            for s in old.into_iter().filter(|s| s.len != FREE) {
                self.place(s);
            }
        }
        self.place(slot);
        self.used += 1;
    }

    fn place(&mut self, slot: Slot) {
        let mask = self.mask();
        let mut i = slot.hash as usize & mask;
        while self.slots[i].len != FREE {
            i = (i + 1) & mask;
        }
        self.slots[i] = slot;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(hash: u64, code: u32) -> Slot {
        Slot {
            hash,
            head: [code as u8; HEAD],
            len: 1,
            code,
        }
    }

    #[test]
    fn colliding_hashes_probe_on_and_survive_growth() {
        let mut t = SlotTable::new();
        // Hashes equal modulo every table size: one long probe run.
        for code in 0..100u32 {
            t.insert(slot(u64::from(code) << 32, code));
        }
        for code in 0..100u32 {
            assert_eq!(
                t.find(&slot(u64::from(code) << 32, code), |_| true),
                Some(code)
            );
        }
        assert_eq!(t.find(&slot(7, 7), |_| true), None);
        // Same hash, different head: not the same id.
        assert_eq!(t.find(&slot(0, 1), |_| true), None);
        assert!(t.slots.len() >= 200);
        t.find_mut(5 << 32, |s| s.code == 5).unwrap().code = 500;
        assert_eq!(t.find(&slot(5 << 32, 5), |_| true), Some(500));
    }
}
