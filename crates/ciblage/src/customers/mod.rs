//! Customer ids, factorised once into dense `u32` codes.
//!
//! Every per-customer computation works on dense codes `0..n_customers`
//! (vector indexing, no hashing in hot loops). [`CustomerIndex`] assigns the
//! codes in order of first appearance and keeps the original ids, integer or
//! string, for output.

mod ids;
mod keys;
mod matching;
mod pieces;
mod slots;
mod strings;

pub use ids::{CustomerId, CustomerIds, StringIds};
pub use matching::IdColumn;

use foldhash::fast::FixedState;
use hashbrown::HashMap;
use rayon::prelude::*;

use crate::error::{CiblageError, Result};
use pieces::PieceRows;
use strings::StrTable;

/// Seed of the id hasher: fixed, so codes never depend on the process.
const HASH_SEED: u64 = 0x5eed_c1b1_a6e0_0001;
/// Marks an empty slot of the direct lookup table.
const ABSENT: u32 = u32::MAX;
/// Integer ids spanning at most this many values use a lookup table, not a hash map.
const DIRECT_MIN_SPAN: u64 = 1 << 16;
/// Upper bound on the lookup table (entries), i.e. 256 MiB.
const DIRECT_MAX_SPAN: u64 = 1 << 26;
/// Rows per parallel task when encoding.
const PARALLEL_ROWS: usize = 1 << 16;
/// String columns of at least this many rows are coded by all threads.
const PARALLEL_STR_ROWS: usize = 1 << 17;

#[derive(Debug, Clone)]
enum Lookup {
    Empty,
    Direct {
        base: i64,
        table: Vec<u32>,
    },
    IntHash(HashMap<i64, u32, FixedState>),
    Str(StrTable),
    /// Dropped by [`CustomerIndex::release_lookup`]; rebuilt from the ids
    /// when more ids are encoded.
    Released,
}

/// Assigns dense codes to customer ids, in order of first appearance (or of
/// ascending ids, see [`CustomerIndex::encode_i64_all`]).
///
/// Dense integer ids (a span of at most twice the rows seen, up to 2^26) use
/// a lookup table; other integer ids and string ids use a hash table with a
/// fixed seed, so the codes are the same in every process.
///
/// ```
/// use ciblage::{CustomerIndex, CustomerId};
/// let mut index = CustomerIndex::new();
/// let mut codes = Vec::new();
/// index.encode_str(["b", "a", "b"], &mut codes).unwrap();
/// assert_eq!(codes, [0, 1, 0]);
/// assert_eq!(index.id(1), CustomerId::Str("a"));
/// assert_eq!(index.sorted_codes(), [1, 0]); // "a" < "b"
/// ```
#[derive(Debug, Clone)]
pub struct CustomerIndex {
    ids: CustomerIds,
    lookup: Lookup,
    rows_seen: u64,
    argument: String,
}

impl Default for CustomerIndex {
    fn default() -> Self {
        Self::new()
    }
}

impl CustomerIndex {
    /// An empty index; errors name the argument `customer`.
    pub fn new() -> Self {
        Self::named("customer")
    }

    /// An empty index whose errors name `argument` (a column name, say).
    pub fn named(argument: impl Into<String>) -> Self {
        Self {
            ids: CustomerIds::Int(Vec::new()),
            lookup: Lookup::Empty,
            rows_seen: 0,
            argument: argument.into(),
        }
    }

    /// Number of distinct customers seen.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when no id has been seen.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The original ids, by code.
    pub fn ids(&self) -> &CustomerIds {
        &self.ids
    }

    /// The original ids, by code, moved out (the index is consumed).
    pub fn into_ids(self) -> CustomerIds {
        self.ids
    }

    /// The original id of one code.
    ///
    /// # Panics
    /// If `code >= self.len()`.
    pub fn id(&self, code: u32) -> CustomerId<'_> {
        self.ids.get(code)
    }

    /// Frees the hash table behind the codes (string ids and sparse integer
    /// ids; a dense integer table too when the codes follow ascending ids,
    /// as [`CustomerIndex::encode_i64_all`] gives them: otherwise it is kept,
    /// it orders the ids), keeping the ids and their codes. Call it once every id is coded, before the
    /// per-customer work, to lower peak memory; a later `encode_*` call
    /// rebuilds the table from the ids and gives the same codes.
    ///
    /// ```
    /// use ciblage::CustomerIndex;
    /// let mut index = CustomerIndex::new();
    /// let mut codes = Vec::new();
    /// index.encode_str(["b", "a"], &mut codes)?;
    /// index.release_lookup();
    /// index.encode_str(["a", "c"], &mut codes)?;
    /// assert_eq!(codes, [0, 1, 1, 2]);
    /// # Ok::<(), ciblage::CiblageError>(())
    /// ```
    pub fn release_lookup(&mut self) {
        let release = match (&self.lookup, &self.ids) {
            (Lookup::Str(_) | Lookup::IntHash(_), _) => true,
            (Lookup::Direct { .. }, CustomerIds::Int(v)) => ascending(v),
            _ => false,
        };
        if release {
            self.lookup = Lookup::Released;
        }
    }

    /// Rebuilds a released lookup from the ids.
    fn restore_lookup(&mut self) {
        if !matches!(self.lookup, Lookup::Released) {
            return;
        }
        self.lookup = match &self.ids {
            CustomerIds::Int(known) => {
                let mut map = HashMap::with_capacity_and_hasher(
                    known.len(),
                    FixedState::with_seed(HASH_SEED),
                );
                for (code, &id) in known.iter().enumerate() {
                    map.insert(id, code as u32);
                }
                Lookup::IntHash(map)
            }
            CustomerIds::Str(known) => Lookup::Str(StrTable::rebuilt(known)),
        };
    }

    /// Encodes every batch of integer ids at once, appending the codes of
    /// all batches, in order, to `out`.
    ///
    /// On an empty index with dense ids (a span of at most twice the rows,
    /// up to 2^26), the work is shared by all threads and codes follow
    /// ascending ids, so [`CustomerIndex::sorted_codes`] is `0..len`.
    /// Otherwise this is [`CustomerIndex::encode_i64`] batch after batch.
    ///
    /// ```
    /// use ciblage::CustomerIndex;
    /// let mut index = CustomerIndex::new();
    /// let mut codes = Vec::new();
    /// index.encode_i64_all(&[&[30, 10], &[20, 10]], &mut codes)?;
    /// assert_eq!(codes, [2, 0, 1, 0]);
    /// # Ok::<(), ciblage::CiblageError>(())
    /// ```
    ///
    /// # Errors
    /// [`CiblageError::MixedIdKinds`] if string ids were encoded before.
    pub fn encode_i64_all(&mut self, batches: &[&[i64]], out: &mut Vec<u32>) -> Result<()> {
        self.restore_lookup();
        let rows: usize = batches.iter().map(|b| b.len()).sum();
        let range = batches
            .par_iter()
            .flat_map(|b| b.par_chunks(PARALLEL_ROWS))
            .map(|chunk| {
                chunk
                    .iter()
                    .fold((i64::MAX, i64::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)))
            })
            .reduce_with(|a, b| (a.0.min(b.0), a.1.max(b.1)));
        let dense = range
            .filter(|&(lo, hi)| hi.abs_diff(lo).saturating_add(1) <= direct_limit(rows as u64));
        let (Some((base, hi)), true) = (dense, matches!(self.lookup, Lookup::Empty)) else {
            for batch in batches {
                self.encode_i64(batch, out)?;
            }
            return Ok(());
        };
        let span = (hi - base) as usize + 1;
        let words = span.div_ceil(64);
        // Which ids occur: one bitmap per task, OR-ed together.
        let seen = batches
            .par_iter()
            .flat_map(|b| b.par_chunks(PARALLEL_ROWS))
            .fold(
                || vec![0u64; words],
                |mut bits, chunk| {
                    for &id in chunk {
                        let slot = (id - base) as usize;
                        bits[slot >> 6] |= 1 << (slot & 63);
                    }
                    bits
                },
            )
            .reduce(
                || vec![0u64; words],
                |mut a, b| {
                    a.iter_mut().zip(&b).for_each(|(x, y)| *x |= y);
                    a
                },
            );
        let mut table = vec![ABSENT; span];
        let mut known = Vec::new();
        for (w, &bits) in seen.iter().enumerate() {
            let mut rest = bits;
            while rest != 0 {
                let slot = w * 64 + rest.trailing_zeros() as usize;
                table[slot] = known.len() as u32;
                known.push(base + slot as i64);
                rest &= rest - 1;
            }
        }
        out.reserve(rows);
        if known.len() == span {
            // Every id of the span occurs: the code is the offset.
            for batch in batches {
                out.par_extend(batch.par_iter().map(|&id| (id - base) as u32));
            }
        } else {
            for batch in batches {
                out.par_extend(batch.par_iter().map(|&id| table[(id - base) as usize]));
            }
        }
        self.ids = CustomerIds::Int(known);
        self.lookup = Lookup::Direct { base, table };
        self.rows_seen += rows as u64;
        Ok(())
    }

    /// Encodes integer ids, appending one code per id to `out`.
    ///
    /// # Errors
    /// [`CiblageError::MixedIdKinds`] if string ids were encoded before.
    pub fn encode_i64(&mut self, ids: &[i64], out: &mut Vec<u32>) -> Result<()> {
        self.restore_lookup();
        if matches!(self.lookup, Lookup::Str { .. }) {
            return Err(self.mixed());
        }
        self.rows_seen += ids.len() as u64;
        out.reserve(ids.len());
        if ids.is_empty() {
            return Ok(());
        }
        self.prepare_int_lookup(ids);
        let CustomerIds::Int(known) = &mut self.ids else {
            unreachable!("integer lookup with string ids")
        };
        match &mut self.lookup {
            Lookup::Direct { base, table } => {
                let base = *base;
                for &id in ids {
                    let slot = &mut table[id.wrapping_sub(base) as usize];
                    if *slot == ABSENT {
                        *slot = known.len() as u32;
                        known.push(id);
                    }
                    out.push(*slot);
                }
            }
            Lookup::IntHash(map) => {
                for &id in ids {
                    let next = known.len() as u32;
                    let code = *map.entry(id).or_insert_with(|| {
                        known.push(id);
                        next
                    });
                    out.push(code);
                }
            }
            Lookup::Empty | Lookup::Str { .. } | Lookup::Released => {
                unreachable!("prepared above")
            }
        }
        Ok(())
    }

    /// Makes sure the lookup can take every id of `ids`: creates, widens or
    /// abandons the direct table as needed.
    fn prepare_int_lookup(&mut self, ids: &[i64]) {
        let (mut lo, mut hi) = (i64::MAX, i64::MIN);
        for &v in ids {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        let limit = direct_limit(self.rows_seen);
        match &mut self.lookup {
            Lookup::Empty => {
                let span = hi.abs_diff(lo).saturating_add(1);
                self.lookup = if span <= limit {
                    Lookup::Direct {
                        base: lo,
                        table: vec![ABSENT; span as usize],
                    }
                } else {
                    Lookup::IntHash(HashMap::with_hasher(FixedState::with_seed(HASH_SEED)))
                };
            }
            Lookup::Direct { base, table } => {
                let old_hi = *base + table.len() as i64 - 1;
                if lo >= *base && hi <= old_hi {
                    return;
                }
                let new_lo = lo.min(*base);
                let new_hi = hi.max(old_hi);
                let span = new_hi.abs_diff(new_lo).saturating_add(1);
                if span <= limit {
                    let mut grown = vec![ABSENT; span as usize];
                    let shift = (*base - new_lo) as usize;
                    grown[shift..shift + table.len()].copy_from_slice(table);
                    *base = new_lo;
                    *table = grown;
                } else {
                    let CustomerIds::Int(known) = &self.ids else {
                        unreachable!("integer lookup with string ids")
                    };
                    let mut map = HashMap::with_capacity_and_hasher(
                        known.len(),
                        FixedState::with_seed(HASH_SEED),
                    );
                    for (code, &id) in known.iter().enumerate() {
                        map.insert(id, code as u32);
                    }
                    self.lookup = Lookup::IntHash(map);
                }
            }
            Lookup::IntHash(_) | Lookup::Str { .. } | Lookup::Released => {}
        }
    }

    /// Encodes string ids, appending one code per id to `out`.
    ///
    /// # Errors
    /// [`CiblageError::MixedIdKinds`] if integer ids were encoded before.
    pub fn encode_str<'s>(
        &mut self,
        ids: impl IntoIterator<Item = &'s str>,
        out: &mut Vec<u32>,
    ) -> Result<()> {
        let (known, table) = self.str_lookup()?;
        let before = out.len();
        table.encode(known, ids, out);
        self.rows_seen += (out.len() - before) as u64;
        Ok(())
    }

    /// Encodes `n` string ids given by position (`get(i)` is the id of row
    /// `i`), appending one code per id to `out`: the same codes as
    /// [`CustomerIndex::encode_str`], found by all threads.
    ///
    /// ```
    /// use ciblage::CustomerIndex;
    /// let ids = ["b", "a", "b", "c"];
    /// let mut index = CustomerIndex::new();
    /// let mut codes = Vec::new();
    /// index.encode_str_indexed(ids.len(), |i| ids[i], &mut codes)?;
    /// assert_eq!(codes, [0, 1, 0, 2]);
    /// # Ok::<(), ciblage::CiblageError>(())
    /// ```
    ///
    /// # Errors
    /// [`CiblageError::MixedIdKinds`] if integer ids were encoded before.
    pub fn encode_str_indexed<'s, F>(&mut self, n: usize, get: F, out: &mut Vec<u32>) -> Result<()>
    where
        F: Fn(usize) -> &'s str + Sync,
    {
        self.encode_str_pieces(&[n], |_, i| get(i), out)
    }

    /// Encodes string ids given in pieces, such as the chunks of a column
    /// (`get(p, i)` is row `i` of piece `p`, which has `lens[p]` rows),
    /// appending one code per row, pieces in order, to `out`: the codes of
    /// [`CustomerIndex::encode_str`] over the concatenated pieces, found by
    /// all threads in rounds that span pieces.
    ///
    /// ```
    /// use ciblage::CustomerIndex;
    /// let chunks = [vec!["b", "a"], vec![], vec!["b", "c"]];
    /// let lens: Vec<usize> = chunks.iter().map(Vec::len).collect();
    /// let mut index = CustomerIndex::new();
    /// let mut codes = Vec::new();
    /// index.encode_str_pieces(&lens, |p, i| chunks[p][i], &mut codes)?;
    /// assert_eq!(codes, [0, 1, 0, 2]);
    /// # Ok::<(), ciblage::CiblageError>(())
    /// ```
    ///
    /// # Errors
    /// [`CiblageError::MixedIdKinds`] if integer ids were encoded before.
    pub fn encode_str_pieces<'s, F>(
        &mut self,
        lens: &[usize],
        get: F,
        out: &mut Vec<u32>,
    ) -> Result<()>
    where
        F: Fn(usize, usize) -> &'s str + Sync,
    {
        let (known, table) = self.str_lookup()?;
        let n: usize = lens.iter().sum();
        if n < PARALLEL_STR_ROWS {
            let rows = lens
                .iter()
                .enumerate()
                .flat_map(|(p, &len)| (0..len).map(move |i| (p, i)));
            table.encode(known, rows.map(|(p, i)| get(p, i)), out);
        } else {
            table.encode_pieces(known, &PieceRows::new(lens, get), out);
        }
        self.rows_seen += n as u64;
        Ok(())
    }

    /// The string ids and their table, created on first use.
    fn str_lookup(&mut self) -> Result<(&mut StringIds, &mut StrTable)> {
        self.restore_lookup();
        match self.lookup {
            Lookup::Empty => {
                self.ids = CustomerIds::Str(StringIds::new());
                self.lookup = Lookup::Str(StrTable::new());
            }
            Lookup::Str(_) => {}
            _ => return Err(self.mixed()),
        }
        match (&mut self.ids, &mut self.lookup) {
            (CustomerIds::Str(known), Lookup::Str(table)) => Ok((known, table)),
            _ => unreachable!("string lookup prepared above"),
        }
    }

    /// Codes ordered by their original id (integers numerically, strings
    /// byte-wise), the order in which results are reported.
    pub fn sorted_codes(&self) -> Vec<u32> {
        if let Lookup::Direct { table, .. } = &self.lookup {
            // Every code is in the table once.
            let mut codes = Vec::with_capacity(self.len());
            codes.extend(table.iter().copied().filter(|&c| c != ABSENT));
            return codes;
        }
        match &self.ids {
            CustomerIds::Int(v) if ascending(v) => (0..self.len() as u32).collect(),
            CustomerIds::Int(v) => {
                let mut codes: Vec<u32> = (0..self.len() as u32).collect();
                codes.par_sort_unstable_by_key(|&c| v[c as usize]);
                codes
            }
            CustomerIds::Str(s) => keys::byte_order(s),
        }
    }

    fn mixed(&self) -> CiblageError {
        CiblageError::MixedIdKinds {
            argument: self.argument.clone(),
        }
    }
}

/// Whether the ids rise strictly with their codes (codes in id order).
fn ascending(ids: &[i64]) -> bool {
    ids.par_windows(2).all(|w| w[0] < w[1])
}

/// Largest integer-id span served by a lookup table after `rows` rows.
fn direct_limit(rows: u64) -> u64 {
    (2 * rows).clamp(DIRECT_MIN_SPAN, DIRECT_MAX_SPAN)
}

#[cfg(test)]
mod tests;
