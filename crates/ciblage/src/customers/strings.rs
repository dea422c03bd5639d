//! The table of string ids: one hash table per partition of the hash, so
//! that a large column is coded by all threads (each owning partitions)
//! while codes still follow first appearance.

use std::hash::BuildHasher;

use foldhash::fast::FixedState;
use rayon::prelude::*;

use super::slots::{key_bits, key_of, low, SlotTable};
use super::{StringIds, HASH_SEED};
use crate::prefetch::{prefetch, LOOKAHEAD};

/// Partitions of the table (taken from hash bits far above those that pick
/// a slot within a partition).
const PART_BITS: u32 = 3;
const PARTS: usize = 1 << PART_BITS;
/// Rows coded per round of the parallel path.
const BLOCK: usize = 1 << 19;
/// Rows per task within a round.
const CHUNK: usize = 1 << 15;
/// Marks a code given to an id first seen in the current round.
const PROVISIONAL: u32 = 1 << 31;

/// What one partition's lookups give: (position in the round, code) of its
/// rows, and the position and hash of each id first seen in the round.
type PartLookup = (Vec<(u32, u32)>, Vec<u32>, Vec<u64>);

#[inline]
fn part_of(hash: u64) -> usize {
    ((hash >> 40) as usize) & (PARTS - 1)
}

/// How keys are made and placed: one seeded hasher for both.
#[derive(Debug, Clone)]
struct KeyHasher(FixedState);

impl KeyHasher {
    /// The key of `s` (see [`key_of`]).
    #[inline]
    fn key(&self, s: &str) -> u128 {
        key_of(s, |s| self.0.hash_one(s))
    }

    /// The hash placing `key`: partition and slot.
    #[inline]
    fn place(&self, key: u128) -> u64 {
        self.0.hash_one(key)
    }
}

/// Rows given in pieces (the chunks of a column): `get(p, i)` is row `i` of
/// piece `p`; rows are numbered across pieces, in piece order.
pub(super) struct PieceRows<F> {
    /// First row of each piece, then the number of rows.
    starts: Vec<usize>,
    get: F,
}

impl<'s, F> PieceRows<F>
where
    F: Fn(usize, usize) -> &'s str + Sync,
{
    /// Pieces of `lens[p]` rows each.
    pub fn new(lens: &[usize], get: F) -> Self {
        let mut starts = Vec::with_capacity(lens.len() + 1);
        let mut at = 0;
        starts.push(at);
        for &len in lens {
            at += len;
            starts.push(at);
        }
        Self { starts, get }
    }

    /// Rows in all pieces.
    pub fn len(&self) -> usize {
        self.starts[self.starts.len() - 1]
    }

    /// The piece holding row `i` (`i` below [`PieceRows::len`]).
    fn piece_of(&self, i: usize) -> usize {
        self.starts.partition_point(|&s| s <= i) - 1
    }

    /// Row `i`.
    pub fn get(&self, i: usize) -> &'s str {
        let p = self.piece_of(i);
        (self.get)(p, i - self.starts[p])
    }

    /// Calls `f(i, row i)` for rows `from..to` in order, locating a piece
    /// once rather than once per row.
    pub fn each(&self, from: usize, to: usize, mut f: impl FnMut(usize, &'s str)) {
        if from >= to {
            return;
        }
        let (mut p, mut i) = (self.piece_of(from), from);
        while i < to {
            let (start, end) = (self.starts[p], self.starts[p + 1].min(to));
            for j in i..end {
                f(j, (self.get)(p, j - start));
            }
            i = i.max(end);
            p += 1;
        }
    }
}

/// The partitioned table of string ids.
#[derive(Debug, Clone)]
pub(super) struct StrTable {
    parts: Vec<SlotTable>,
    hasher: KeyHasher,
}

impl StrTable {
    pub fn new() -> Self {
        Self {
            parts: (0..PARTS).map(|_| SlotTable::new()).collect(),
            hasher: KeyHasher(FixedState::with_seed(HASH_SEED)),
        }
    }

    /// The table of ids already coded (code = position in `known`).
    pub fn rebuilt(known: &StringIds) -> Self {
        let mut table = Self::new();
        let hasher = table.hasher.clone();
        for (code, s) in known.iter().enumerate() {
            let key = hasher.key(s);
            let hash = hasher.place(key);
            table.parts[part_of(hash)].insert(key, hash, code as u32, |k| hasher.place(k));
        }
        table
    }

    /// Codes `ids` one after the other (new ids appended to `known`).
    pub fn encode<'s>(
        &mut self,
        known: &mut StringIds,
        ids: impl IntoIterator<Item = &'s str>,
        out: &mut Vec<u32>,
    ) -> u64 {
        let mut rows = 0;
        let hasher = &self.hasher;
        for s in ids {
            rows += 1;
            let key = hasher.key(s);
            let hash = hasher.place(key);
            let table = &mut self.parts[part_of(hash)];
            let code = match table.find(key, hash, |code| known.get(code as usize) == s) {
                Some(code) => code,
                None => {
                    let code = known.len() as u32;
                    known.push(s);
                    table.insert(key, hash, code, |k| hasher.place(k));
                    code
                }
            };
            out.push(code);
        }
        rows
    }

    /// Codes the rows of `pieces` on all threads, in rounds of [`BLOCK`]
    /// rows (a round may span pieces): hash the round's rows, group them by
    /// partition, look every partition's rows up in its own table (new ids
    /// get provisional codes), then number the round's new ids in order of
    /// first appearance and write every row's code.
    pub fn encode_pieces<'s, F>(
        &mut self,
        known: &mut StringIds,
        pieces: &PieceRows<F>,
        out: &mut Vec<u32>,
    ) where
        F: Fn(usize, usize) -> &'s str + Sync,
    {
        self.encode_in_rounds(known, pieces, out, BLOCK, CHUNK);
    }

    fn encode_in_rounds<'s, F>(
        &mut self,
        known: &mut StringIds,
        pieces: &PieceRows<F>,
        out: &mut Vec<u32>,
        round: usize,
        chunk: usize,
    ) where
        F: Fn(usize, usize) -> &'s str + Sync,
    {
        let n = pieces.len();
        let get = |i: usize| pieces.get(i);
        out.reserve(n);
        let hasher = self.hasher.clone();
        for r0 in (0..n).step_by(round) {
            let r1 = (r0 + round).min(n);
            // Each task reads its rows in order and files them by partition
            // as key and position in the round (one `u128`), so that lookups
            // read no string unless an id is longer than a key holds.
            let lists: Vec<Vec<Vec<u128>>> = (r0..r1)
                .step_by(chunk)
                .collect::<Vec<_>>()
                .into_par_iter()
                .map(|c0| {
                    let mut by_part: Vec<Vec<u128>> = (0..PARTS)
                        .map(|_| Vec::with_capacity(2 * chunk / PARTS))
                        .collect();
                    pieces.each(c0, (c0 + chunk).min(r1), |i, s| {
                        let key = hasher.key(s);
                        by_part[part_of(hasher.place(key))].push(key | (i - r0) as u128);
                    });
                    by_part
                })
                .collect();
            // Look up each partition's rows in its table.
            let known_ref: &StringIds = known;
            let found: Vec<PartLookup> = self
                .parts
                .par_iter_mut()
                .enumerate()
                .map(|(p, table)| {
                    let mut codes = Vec::with_capacity(lists.iter().map(|l| l[p].len()).sum());
                    let mut first_rows: Vec<u32> = Vec::new();
                    let mut first_hashes: Vec<u64> = Vec::new();
                    for list in &lists {
                        let rows = &list[p];
                        // Hashes of the next LOOKAHEAD rows, whose first
                        // slots are fetched while earlier rows are looked up.
                        let mut ahead = [0u64; LOOKAHEAD];
                        for (h, &row) in ahead.iter_mut().zip(rows) {
                            *h = hasher.place(key_bits(row));
                            prefetch(table.home(*h));
                        }
                        for (j, &row) in rows.iter().enumerate() {
                            let hash = ahead[j % LOOKAHEAD];
                            if let Some(&later) = rows.get(j + LOOKAHEAD) {
                                let h = hasher.place(key_bits(later));
                                prefetch(table.home(h));
                                ahead[j % LOOKAHEAD] = h;
                            }
                            let (key, off) = (key_bits(row), low(row));
                            let same_id = |code: u32| {
                                let other = if code & PROVISIONAL != 0 {
                                    let k = (code & !PROVISIONAL) as usize;
                                    get(r0 + first_rows[k] as usize)
                                } else {
                                    known_ref.get(code as usize)
                                };
                                other == get(r0 + off as usize)
                            };
                            let code = match table.find(key, hash, same_id) {
                                Some(code) => code,
                                None => {
                                    let code = PROVISIONAL | first_rows.len() as u32;
                                    first_rows.push(off);
                                    first_hashes.push(hash);
                                    table.insert(key, hash, code, |k| hasher.place(k));
                                    code
                                }
                            };
                            codes.push((off, code));
                        }
                    }
                    (codes, first_rows, first_hashes)
                })
                .collect();
            // Number the round's new ids by first appearance.
            let mut new_ids: Vec<(u32, u32, u32)> = found
                .iter()
                .enumerate()
                .flat_map(|(p, (_, firsts, _))| {
                    firsts
                        .iter()
                        .enumerate()
                        .map(move |(k, &off)| (off, p as u32, k as u32))
                })
                .collect();
            // Positions are distinct: a stable sort by position.
            radsort::sort_by_key(&mut new_ids, |id| id.0);
            let mut final_code: Vec<Vec<u32>> = found
                .iter()
                .map(|(_, firsts, _)| vec![0; firsts.len()])
                .collect();
            for &(off, p, k) in &new_ids {
                final_code[p as usize][k as usize] = known.len() as u32;
                known.push(get(r0 + off as usize));
            }
            // Give the new slots their codes (found again by hash).
            self.parts
                .par_iter_mut()
                .zip(&final_code)
                .zip(&found)
                .for_each(|((table, codes), (_, _, hashes))| {
                    for (k, (&code, &hash)) in codes.iter().zip(hashes).enumerate() {
                        if let Some(&ahead) = hashes.get(k + LOOKAHEAD) {
                            prefetch(table.home(ahead));
                        }
                        table.recode(hash, PROVISIONAL | k as u32, code);
                    }
                });
            // Every row's code, in row order, chunk by chunk on all
            // threads: a chunk's rows are a run of each partition's list.
            let starts: Vec<Vec<usize>> = (0..PARTS)
                .map(|p| {
                    let mut at = 0;
                    lists
                        .iter()
                        .map(|list| {
                            let from = at;
                            at += list[p].len();
                            from
                        })
                        .collect()
                })
                .collect();
            let base = out.len();
            out.resize(base + (r1 - r0), 0);
            out[base..]
                .par_chunks_mut(chunk)
                .zip(&lists)
                .enumerate()
                .for_each(|(c, (dest, list))| {
                    let c0 = (c * chunk) as u32;
                    for (p, ((codes, _, _), remap)) in found.iter().zip(&final_code).enumerate() {
                        let from = starts[p][c];
                        for &(off, code) in &codes[from..from + list[p].len()] {
                            dest[(off - c0) as usize] = if code & PROVISIONAL != 0 {
                                remap[(code & !PROVISIONAL) as usize]
                            } else {
                                code
                            };
                        }
                    }
                });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sequential(ids: &[String]) -> (Vec<u32>, StringIds) {
        let (mut known, mut out) = (StringIds::new(), Vec::new());
        StrTable::new().encode(&mut known, ids.iter().map(String::as_str), &mut out);
        (out, known)
    }

    proptest! {
        /// Rounds of any size give the codes of the one-by-one path: ids
        /// first seen in any round numbered by first appearance, long ids
        /// sharing their first bytes told apart.
        #[test]
        fn rounds_give_the_sequential_codes(
            picks in proptest::collection::vec(0usize..60, 1..3_000),
            round in 1usize..700,
            chunk in 1usize..100,
        ) {
            // Short and long ids, around the 11 bytes a key holds.
            let pool: Vec<String> = (0..60)
                .map(|i| match i % 5 {
                    0 => format!("c{i}"),
                    1 => format!("{}{i}", "x".repeat(16)),
                    2 => format!("id-{i:04}-é"),
                    3 => format!("{i:011}"),
                    _ => format!("{i:012}"),
                })
                .collect();
            let ids: Vec<String> = picks.iter().map(|&k| pool[k].clone()).collect();
            let (want, want_known) = sequential(&ids);
            let (mut known, mut out) = (StringIds::new(), Vec::new());
            let mut table = StrTable::new();
            // A third one by one, a third in rounds, the rest one by one.
            let (a, b) = (ids.len() / 3, 2 * ids.len() / 3);
            table.encode(&mut known, ids[..a].iter().map(String::as_str), &mut out);
            // The middle third in pieces of 1, 2, 3, ... rows (and empty
            // pieces between them), so that rounds and chunks span pieces.
            let mut lens = Vec::new();
            let mut left = b - a;
            while left > 0 {
                let len = (lens.len() / 2 + 1).min(left);
                lens.extend([len, 0]);
                left -= len;
            }
            let starts: Vec<usize> = lens
                .iter()
                .scan(a, |at, &len| {
                    let s = *at;
                    *at += len;
                    Some(s)
                })
                .collect();
            let pieces = PieceRows::new(&lens, |p, i| ids[starts[p] + i].as_str());
            table.encode_in_rounds(&mut known, &pieces, &mut out, round, chunk);
            table.encode(&mut known, ids[b..].iter().map(String::as_str), &mut out);
            prop_assert_eq!(out, want);
            prop_assert_eq!(known, want_known);
        }
    }
}
