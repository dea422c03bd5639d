//! The grouping of the rows of the CLV summary by customer: a counting sort
//! of the row numbers alone (4 bytes a row), read straight from the input's
//! customer codes, so that the per-customer pass
//! ([`summary_customers`](crate::clv::summary_customers)) reads each
//! customer's rows from the input in place.

use rayon::prelude::*;

use crate::clv::summary_scan::SummaryBatches;

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

/// The rows grouped by customer: customer `c`'s row numbers are
/// `rows[start[c]..start[c + 1]]`, in row order.
pub(crate) struct Grouped<S> {
    pub start: Vec<S>,
    pub rows: Vec<S>,
}

impl<S: Slot> Grouped<S> {
    /// Row numbers of customer `code`, in row order.
    #[inline]
    pub(crate) fn of(&self, code: u32) -> &[S] {
        let c = code as usize;
        &self.rows[self.start[c].get()..self.start[c + 1].get()]
    }
}

/// Groups every row by customer: a stable counting sort of the row numbers
/// (customers in code order, rows in row order within a customer), read
/// from the input's codes, linear in the rows. Each task owns a range of
/// customers and their part of the output and reads every code, so the
/// result does not depend on the number of threads.
pub(crate) fn group_rows<S: Slot>(input: &SummaryBatches<'_>, n: usize) -> Grouped<S> {
    let step = n.div_ceil(rayon::current_num_threads().max(1)).max(1);
    // The codes given by value cover every row at once.
    let slices: Vec<&[u32]> = match &input.codes {
        Some(all) => vec![&all[..]],
        None => input.parts.iter().map(|p| p.view.codes()).collect(),
    };
    let codes = || slices.iter().copied();
    // Rows per customer in start[c + 1], branch-free (rows of other
    // ranges add 0).
    let mut start = vec![S::default(); n + 1];
    start[1..]
        .par_chunks_mut(step)
        .enumerate()
        .for_each(|(t, c)| {
            let (lo, len) = (t * step, c.len());
            for part in codes() {
                for &code in part {
                    let i = (code as usize).wrapping_sub(lo);
                    let inside = i < len;
                    let at = if inside { i } else { 0 };
                    c[at] = S::of(c[at].get() + usize::from(inside));
                }
            }
        });
    for i in 1..=n {
        start[i] = S::of(start[i].get() + start[i - 1].get());
    }
    let total = start[n].get();
    let mut rows = vec![S::default(); total];
    // Each task advances the starts of its customers as cursors (start[c]
    // ends at the end of customer c), in its own region of the output.
    let mut tasks = Vec::new();
    let (mut rest, mut cursors) = (&mut rows[..], &mut start[..n]);
    let mut base = 0;
    while !cursors.is_empty() {
        let (mine, tail) = cursors.split_at_mut(step.min(cursors.len()));
        let end = tail.first().map_or(total, |s| s.get());
        let (region, rows_tail) = rest.split_at_mut(end - base);
        let lo = tasks.len() * step;
        tasks.push((lo, base, mine, region));
        (rest, cursors, base) = (rows_tail, tail, end);
    }
    tasks.into_par_iter().for_each(|(lo, base, at, region)| {
        let mut row = 0;
        for part in codes() {
            for &code in part {
                let i = (code as usize).wrapping_sub(lo);
                if i < at.len() {
                    region[at[i].get() - base] = S::of(row);
                    at[i] = S::of(at[i].get() + 1);
                }
                row += 1;
            }
        }
    });
    // start[c] is now the end of customer c: shift back to the starts.
    start.rotate_right(1);
    start[0] = S::default();
    Grouped { start, rows }
}
