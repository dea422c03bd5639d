//! The grouping of the rows of the CLV summary by customer: a counting sort
//! of the row numbers alone (4 bytes a row), read straight from the
//! customers' keys (their output positions), so that the per-customer pass
//! ([`summary_customers`](crate::clv::summary_customers)) reads each
//! customer's rows from the input in place. The grouped rows are held in
//! blocks of consecutive customers (about [`ROWS_PER_BLOCK`] rows each),
//! each freed by the pass as soon as its customers are written: the output
//! columns fill while the grouping is given back. Also the output order:
//! the rows' keys and the customer ids in that order.

use std::borrow::Cow;

use rayon::prelude::*;

use crate::clv::summary_scan::SummaryBatches;
use crate::customers::{CustomerIds, CustomerIndex};

/// Rows a block of the grouping aims at: 256 KiB of `u32` row numbers,
/// large enough to be mapped by the allocator (and unmapped when freed),
/// small enough that the blocks in flight are a small part of the output.
pub(crate) const ROWS_PER_BLOCK: usize = 1 << 16;

/// A row number (in the whole table) or an offset into the grouped rows:
/// `u32` (4 bytes a row) up to 2^32 rows, `u64` beyond.
pub(crate) trait Slot: Copy + Default + Send + Sync {
    /// The slot of `i` (which fits: the caller picks the type).
    fn of(i: usize) -> Self;
    /// The number held.
    fn get(self) -> usize;
}

impl Slot for u32 {
    #[inline]
    fn of(i: usize) -> Self {
        i as u32
    }
    #[inline]
    fn get(self) -> usize {
        self as usize
    }
}

impl Slot for u64 {
    #[inline]
    fn of(i: usize) -> Self {
        i as u64
    }
    #[inline]
    fn get(self) -> usize {
        self as usize
    }
}

/// The rows of a range of consecutive customers (by key), grouped:
/// customer `j` of the block has the row numbers
/// `rows[start[j]..start[j + 1]]`, in row order.
pub(crate) struct Block<S> {
    pub start: Vec<S>,
    pub rows: Vec<S>,
}

impl<S: Slot> Block<S> {
    /// Customers of the block.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.start.len() - 1
    }

    /// Row numbers of the block's customer `j`, in row order.
    #[inline]
    pub(crate) fn of(&self, j: usize) -> &[S] {
        &self.rows[self.start[j].get()..self.start[j + 1].get()]
    }
}

/// Customers per block (a power of two) for `n` customers and `total` rows:
/// about [`ROWS_PER_BLOCK`] rows a block, and at least 4 blocks a thread.
pub(crate) fn block_customers(n: usize, total: usize, threads: usize) -> usize {
    let per = ((ROWS_PER_BLOCK as u128 * n as u128) / total.max(1) as u128).max(1);
    let per = usize::try_from(per).unwrap_or(usize::MAX);
    // The largest power of two not above `per`.
    let per = 1usize << (usize::BITS - 1 - per.leading_zeros());
    let spread = n.div_ceil(4 * threads.max(1)).max(1).next_power_of_two();
    per.min(spread)
}

/// Groups every row by key (`keys`: the key of every row, in row order, in
/// pieces; keys below `n`) into blocks of `k` consecutive keys (a power of
/// two, see [`block_customers`]): a stable counting sort of the row numbers
/// (keys in order, rows in row order within a key), linear in the rows.
/// Each task owns a range of blocks and reads every key, so the result does
/// not depend on the number of threads.
pub(crate) fn group_rows<S: Slot>(keys: &[&[u32]], n: usize, k: usize) -> Vec<Block<S>> {
    debug_assert!(k.is_power_of_two());
    let (shift, mask) = (k.trailing_zeros(), k - 1);
    let blocks = n.div_ceil(k);
    let threads = rayon::current_num_threads().max(1);
    // Blocks per task, and customers per task.
    let per_task = blocks.div_ceil(threads).max(1);
    let step = per_task * k;
    let keys = || keys.iter().copied();
    // Rows per key in start[c + 1], branch-free (rows of other ranges add
    // 0).
    let mut start = vec![S::default(); n + 1];
    start[1..]
        .par_chunks_mut(step)
        .enumerate()
        .for_each(|(t, c)| {
            let (lo, len) = (t * step, c.len());
            for part in keys() {
                for &key in part {
                    let i = (key as usize).wrapping_sub(lo);
                    let inside = i < len;
                    let at = if inside { i } else { 0 };
                    c[at] = S::of(c[at].get() + usize::from(inside));
                }
            }
        });
    // Each block's starts, from 0 (its rows are allocated, not touched).
    let mut out: Vec<Block<S>> = (0..blocks)
        .map(|b| {
            let (lo, hi) = (b * k, ((b + 1) * k).min(n));
            let mut local = Vec::with_capacity(hi - lo + 1);
            local.push(S::default());
            let mut total = 0;
            for c in &start[lo + 1..=hi] {
                total += c.get();
                local.push(S::of(total));
            }
            Block {
                start: local,
                rows: vec![S::default(); total],
            }
        })
        .collect();
    drop(start);
    // Each task advances the starts of its customers as cursors (start[j]
    // ends at the end of customer j), in its own blocks.
    out.par_chunks_mut(per_task)
        .enumerate()
        .for_each(|(t, mine)| {
            let lo = t * step;
            let len = mine.iter().map(Block::len).sum::<usize>();
            let mut row = 0;
            for part in keys() {
                for &key in part {
                    let i = (key as usize).wrapping_sub(lo);
                    if i < len {
                        let block = &mut mine[i >> shift];
                        let j = i & mask;
                        let at = block.start[j];
                        block.rows[at.get()] = S::of(row);
                        block.start[j] = S::of(at.get() + 1);
                    }
                    row += 1;
                }
            }
        });
    // start[j] is now the end of customer j: shift back to the starts.
    for block in &mut out {
        block.start.rotate_right(1);
        block.start[0] = S::default();
    }
    out
}

/// The output position of every row's customer (`order`: the codes in
/// output order), in row order: the codes given by value are rewritten in
/// place, borrowed codes are read into a new vector.
pub(crate) fn output_keys(input: &mut SummaryBatches<'_>, order: &[u32]) -> Vec<u32> {
    let mut rank = vec![0u32; order.len()];
    for (at, &code) in order.iter().enumerate() {
        rank[code as usize] = at as u32;
    }
    let mut keys = match input.codes.take() {
        Some(codes) => codes,
        None => {
            let mut all = Vec::with_capacity(input.len());
            for part in &input.parts {
                all.extend_from_slice(part.codes);
            }
            all
        }
    };
    keys.par_iter_mut().for_each(|k| *k = rank[*k as usize]);
    keys
}

/// The customer ids in output order (`order`: the codes in that order;
/// `None`: the codes in ascending order): moved out of a customer table
/// given by value (integer ids without a copy when already in order),
/// gathered from a borrowed one.
pub(crate) fn ordered_ids(
    customers: Cow<'_, CustomerIndex>,
    order: Option<Vec<u32>>,
) -> CustomerIds {
    match (customers, order) {
        (Cow::Owned(index), None) => index.into_ids(),
        (Cow::Borrowed(index), None) => index.ids().clone(),
        (customers, Some(o)) => customers.ids().gather(&o),
    }
}

/// The ids (in output order) but those at the positions `dropped`
/// (ascending): integer ids compacted in place, string ids gathered.
pub(crate) fn kept_ids(ids: CustomerIds, dropped: &[u32]) -> CustomerIds {
    match ids {
        CustomerIds::Int(mut v) => {
            let (mut to, mut next) = (0, dropped.iter().peekable());
            for i in 0..v.len() {
                if next.next_if_eq(&&(i as u32)).is_none() {
                    v[to] = v[i];
                    to += 1;
                }
            }
            v.truncate(to);
            v.shrink_to_fit();
            CustomerIds::Int(v)
        }
        CustomerIds::Str(s) => {
            let mut next = dropped.iter().peekable();
            let codes: Vec<u32> = (0..s.len() as u32)
                .filter(|c| next.next_if_eq(&c).is_none())
                .collect();
            CustomerIds::Str(s).gather(&codes)
        }
    }
}
