//! The table of string ids: one hash table per partition of the hash, so
//! that a large column is coded by all threads (each owning partitions)
//! while codes still follow first appearance.

use foldhash::fast::FixedState;
use rayon::prelude::*;

use super::keys::{NarrowKey, SlotKey, WideKey};
use super::pieces::PieceRows;
use super::slots::SlotTable;
use super::{StringIds, HASH_SEED};
use crate::prefetch::{prefetch, prefetch_lines, LOOKAHEAD};

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
/// Rows ahead whose long id is fetched for its check (below [`LOOKAHEAD`]).
const CHECK_AHEAD: usize = LOOKAHEAD / 2;
/// A round in which more than one row in this many has an id too long for
/// narrow keys moves the table to wide keys.
const LONG_SHARE: usize = 32;

/// What one partition's lookups give: (position in the round, code) of its
/// rows, and the position and hash of each id first seen in the round.
type PartLookup = (Vec<(u32, u32)>, Vec<u32>, Vec<u64>);

#[inline]
fn part_of(hash: u64) -> usize {
    ((hash >> 40) as usize) & (PARTS - 1)
}

/// The table of string ids: narrow keys (ids of up to 11 bytes held whole)
/// until a round of the parallel path shows many longer ids, then wide
/// keys (up to 27 bytes). Ids longer than the keys hold are found by hash
/// and checked on the ids.
#[derive(Debug, Clone)]
pub(super) enum StrTable {
    Narrow(KeyTable<NarrowKey>),
    Wide(KeyTable<WideKey>),
}

impl StrTable {
    pub fn new() -> Self {
        Self::Narrow(KeyTable::new())
    }

    /// The table of ids already coded (code = position in `known`).
    pub fn rebuilt(known: &StringIds) -> Self {
        let long = known.iter().filter(|s| s.len() > NarrowKey::SHORT).count();
        if long * LONG_SHARE > known.len() {
            Self::Wide(KeyTable::rebuilt(known))
        } else {
            Self::Narrow(KeyTable::rebuilt(known))
        }
    }

    /// Codes `ids` one after the other (new ids appended to `known`).
    pub fn encode<'s>(
        &mut self,
        known: &mut StringIds,
        ids: impl IntoIterator<Item = &'s str>,
        out: &mut Vec<u32>,
    ) {
        match self {
            Self::Narrow(t) => t.encode(known, ids, out),
            Self::Wide(t) => t.encode(known, ids, out),
        }
    }

    /// Codes the rows of `pieces` on all threads, in rounds of [`BLOCK`]
    /// rows (a round may span pieces).
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
        out.reserve(n);
        for r0 in (0..n).step_by(round) {
            let rows = r0..(r0 + round).min(n);
            if let Self::Narrow(t) = self {
                let most_long = rows.len() / LONG_SHARE;
                if t.encode_round(known, pieces, rows.clone(), chunk, Some(most_long), out) {
                    continue;
                }
                *self = Self::Wide(KeyTable::rebuilt(known));
            }
            if let Self::Wide(t) = self {
                t.encode_round(known, pieces, rows, chunk, None, out);
            }
        }
    }
}

/// One hash table of keys `K` per partition of the hash, so that a large
/// column is coded by all threads (each owning partitions) while codes
/// still follow first appearance.
#[derive(Debug, Clone)]
pub(super) struct KeyTable<K> {
    parts: Vec<SlotTable<K>>,
    hasher: FixedState,
}

impl<K: SlotKey> KeyTable<K> {
    fn new() -> Self {
        Self {
            parts: (0..PARTS).map(|_| SlotTable::new()).collect(),
            hasher: FixedState::with_seed(HASH_SEED),
        }
    }

    #[inline]
    fn key(&self, s: &str) -> K {
        K::of(s, |s| std::hash::BuildHasher::hash_one(&self.hasher, s))
    }

    fn rebuilt(known: &StringIds) -> Self {
        let mut table = Self::new();
        for (code, s) in known.iter().enumerate() {
            let key = table.key(s);
            let hasher = &table.hasher;
            let hash = key.place(hasher);
            table.parts[part_of(hash)].insert(key, hash, code as u32, |k| k.place(hasher));
        }
        table
    }

    fn encode<'s>(
        &mut self,
        known: &mut StringIds,
        ids: impl IntoIterator<Item = &'s str>,
        out: &mut Vec<u32>,
    ) {
        for s in ids {
            let key = self.key(s);
            let hasher = &self.hasher;
            let hash = key.place(hasher);
            let table = &mut self.parts[part_of(hash)];
            let code = match table.find(key, hash, |code| known.get(code as usize) == s) {
                Some(code) => code,
                None => {
                    let code = known.len() as u32;
                    known.push(s);
                    table.insert(key, hash, code, |k| k.place(hasher));
                    code
                }
            };
            out.push(code);
        }
    }

    /// Codes one round, `rows` of `pieces`: hash the rows, group them by
    /// partition, look every partition's rows up in its own table (new ids
    /// get provisional codes), then number the round's new ids in order of
    /// first appearance and write every row's code. Returns false, having
    /// changed nothing, when more than `most_long` rows (if given) have ids
    /// longer than `K` holds.
    fn encode_round<'s, F>(
        &mut self,
        known: &mut StringIds,
        pieces: &PieceRows<F>,
        rows: std::ops::Range<usize>,
        chunk: usize,
        most_long: Option<usize>,
        out: &mut Vec<u32>,
    ) -> bool
    where
        F: Fn(usize, usize) -> &'s str + Sync,
    {
        let (r0, r1) = (rows.start, rows.end);
        let get = |i: usize| pieces.get(i);
        // Each task reads its rows in order and files them by partition as
        // key and position in the round (one `K`), so that lookups read no
        // string unless an id is longer than a key holds.
        let this = &*self;
        let lists: Vec<(Vec<Vec<K>>, usize)> = (r0..r1)
            .step_by(chunk)
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|c0| {
                let mut by_part: Vec<Vec<K>> = (0..PARTS)
                    .map(|_| Vec::with_capacity(2 * chunk / PARTS))
                    .collect();
                let mut long = 0;
                pieces.each(c0, (c0 + chunk).min(r1), |i, s| {
                    let key = this.key(s);
                    long += usize::from(key.is_long());
                    let part = part_of(key.place(&this.hasher));
                    by_part[part].push(key.with_low((i - r0) as u32));
                });
                (by_part, long)
            })
            .collect();
        let long: usize = lists.iter().map(|(_, l)| l).sum();
        if most_long.is_some_and(|most| long > most) {
            return false;
        }
        let any_long = long > 0;
        let lists: Vec<Vec<Vec<K>>> = lists.into_iter().map(|(l, _)| l).collect();
        // Look up each partition's rows in its table.
        let known_ref: &StringIds = known;
        let hasher = &self.hasher;
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
                    // Hashes of the next LOOKAHEAD rows, whose first slots
                    // are fetched while earlier rows are looked up.
                    let mut ahead = [0u64; LOOKAHEAD];
                    for (h, &row) in ahead.iter_mut().zip(rows) {
                        *h = row.key().place(hasher);
                        prefetch(table.home(*h));
                    }
                    for (j, &row) in rows.iter().enumerate() {
                        let hash = ahead[j % LOOKAHEAD];
                        // Long ids are checked on the ids: the stored id a
                        // later row's first slot names, and that row's own
                        // id, are fetched in two steps (position, then bytes).
                        if any_long {
                            // The later long row at `d` and the code of a
                            // coded id its first slot names, if any.
                            let named = |d: usize| {
                                let soon = *rows.get(j + d).filter(|r| r.is_long())?;
                                let slot = *table.home(ahead[(j + d) % LOOKAHEAD]);
                                let code = slot.low();
                                let coded = slot.key() == soon.key() && code & PROVISIONAL == 0;
                                Some((soon, coded.then_some(code as usize)))
                            };
                            if let Some((_, Some(code))) = named(CHECK_AHEAD) {
                                known_ref.prefetch_position(code);
                            }
                            if let Some((soon, code)) = named(CHECK_AHEAD / 2) {
                                if let Some(code) = code {
                                    known_ref.prefetch_bytes(code);
                                }
                                prefetch_lines(get(r0 + soon.low() as usize).as_bytes());
                            }
                        }
                        if let Some(&later) = rows.get(j + LOOKAHEAD) {
                            let h = later.key().place(hasher);
                            prefetch(table.home(h));
                            ahead[j % LOOKAHEAD] = h;
                        }
                        let (key, off) = (row.key(), row.low());
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
                                table.insert(key, hash, code, |k| k.place(hasher));
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
        let mut piece = pieces.piece_of(r0);
        for &(off, p, k) in &new_ids {
            final_code[p as usize][k as usize] = known.len() as u32;
            known.push(pieces.get_after(&mut piece, r0 + off as usize));
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
        // Every row's code, in row order, chunk by chunk on all threads: a
        // chunk's rows are a run of each partition's list.
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
        true
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
        /// sharing their first bytes told apart, whether the table stays
        /// narrow, is wide from the start or turns wide midway.
        #[test]
        fn rounds_give_the_sequential_codes(
            picks in proptest::collection::vec(0usize..70, 1..3_000),
            short_until in 0usize..3_000,
            round in 1usize..700,
            chunk in 1usize..100,
        ) {
            // Ids around the 11 bytes of a narrow key and the 27 of a wide
            // one; the first `short_until` rows have short ids only.
            let pool: Vec<String> = (0..70)
                .map(|i| match i % 7 {
                    0 => format!("c{i}"),
                    1 => format!("{}{i}", "x".repeat(16)),
                    2 => format!("id-{i:04}-é"),
                    3 => format!("{i:011}"),
                    4 => format!("{i:012}"),
                    5 => format!("{i:027}"),
                    _ => format!("{i:028}"),
                })
                .collect();
            let ids: Vec<String> = picks
                .iter()
                .enumerate()
                .map(|(row, &k)| pool[if row < short_until { k - k % 7 } else { k }].clone())
                .collect();
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

    fn wide(table: &StrTable) -> bool {
        matches!(table, StrTable::Wide(_))
    }

    #[test]
    fn tables_turn_wide_when_many_ids_are_long() {
        // One long id in a hundred: narrow keys, long ids checked on the ids.
        let few: Vec<String> = (0..1_000)
            .map(|i| {
                if i % 100 == 0 {
                    format!("customer-{i:06}")
                } else {
                    format!("c{i}")
                }
            })
            .collect();
        let many: Vec<String> = (0..1_000).map(|i| format!("customer-{i:06}")).collect();
        for (ids, turns) in [(&few, false), (&many, true)] {
            let (mut known, mut out) = (StringIds::new(), Vec::new());
            let mut table = StrTable::new();
            let pieces = PieceRows::new(&[ids.len()], |_, i| ids[i].as_str());
            table.encode_in_rounds(&mut known, &pieces, &mut out, 256, 64);
            assert_eq!(wide(&table), turns);
            assert_eq!(out, (0..1_000).collect::<Vec<u32>>());
            assert_eq!(wide(&StrTable::rebuilt(&known)), turns);
            // Coded again, the same codes.
            out.clear();
            table.encode_in_rounds(&mut known, &pieces, &mut out, 300, 7);
            assert_eq!(out, (0..1_000).collect::<Vec<u32>>());
        }
    }
}
