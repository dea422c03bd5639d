//! The per-customer pass of the CLV summary: each customer's rows, read
//! from the input in place through the grouped row numbers
//! ([`group_rows`](crate::clv::summary_group::group_rows)), sorted by
//! period, and its periods written straight into the output columns, in
//! output order (no per-customer intermediate, no copy of the rows). Each
//! block of grouped rows is freed as soon as its customers are written.

use rayon::prelude::*;

use crate::clv::summary_group::{Block, Slot};
use crate::clv::summary_scan::{RowFilter, SummaryBatches};
use crate::exact_sum::ExactSum;
use crate::instants::InstantUnit;

/// One customer's periods, read from its kept rows sorted by period.
#[derive(Debug, Clone, Copy, Default)]
struct CustomerPeriods {
    /// Kept rows (calibration and holdout).
    rows: u64,
    /// Distinct calibration periods.
    periods: u32,
    /// First and last calibration period.
    first: i64,
    last: i64,
    /// Sum of the per-period sums of the calibration periods after the first.
    repeat_sum: f64,
    /// Distinct holdout periods and their sum of amounts.
    holdout_periods: u32,
    holdout_sum: f64,
}

/// Per-period counts of the customers first seen up to the calibration
/// end: their first purchase periods and their repeat purchase periods
/// (distinct periods after the first, calibration and holdout), indexed
/// from period `start`.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct PeriodCounts {
    pub start: i64,
    pub first: Vec<u64>,
    pub repeat: Vec<u64>,
}

/// The per-customer columns in output order, of the customers with a
/// calibration period only, and what the pass counted.
pub(crate) struct CustomerColumns {
    /// Distinct calibration periods (at least 1).
    pub periods: Vec<u32>,
    pub recency: Vec<f64>,
    pub t: Vec<f64>,
    pub monetary_value: Vec<f64>,
    /// Holdout periods and mean holdout spend (with a calibration end).
    pub holdout: Option<(Vec<u32>, Vec<f64>)>,
    /// Customers with kept rows but no calibration period, and their rows.
    pub holdout_only_customers: u64,
    pub holdout_only_rows: u64,
    /// Customers without a kept row.
    pub customers_without_rows: u64,
    pub period_counts: Option<PeriodCounts>,
    /// Output positions (among all `n` customers, ascending) of the
    /// customers left out: no calibration period.
    pub dropped: Vec<u32>,
}

/// Where the summary ends and how it counts time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Frame {
    /// Which rows are kept, and their periods.
    pub filter: RowFilter,
    /// Last calibration period (the end of observation without holdout).
    pub cal: i64,
    /// Periods per unit of time.
    pub unit: f64,
    /// With a calibration end: the holdout columns.
    pub holdout: bool,
    /// With a calibration end: the periods (`start..=end`) of the
    /// per-period counts.
    pub counts: Option<(i64, i64)>,
}

/// One block's share of the output columns.
struct Out<'a> {
    /// Output position of the block's first customer.
    first: usize,
    /// Customers of the block with a calibration period: written at the
    /// front of the block's share, in order.
    kept: &'a mut usize,
    /// Output positions of the others.
    dropped: &'a mut Vec<u32>,
    periods: &'a mut [u32],
    recency: &'a mut [f64],
    t: &'a mut [f64],
    monetary_value: &'a mut [f64],
    holdout_periods: &'a mut [u32],
    holdout_value: &'a mut [f64],
}

/// The first `len` entries of `rest` (all of it when shorter: the absent
/// holdout columns are empty), the remainder left in `rest`.
fn take<'a, T>(rest: &mut &'a mut [T], len: usize) -> &'a mut [T] {
    let all = std::mem::take(rest);
    let (head, tail) = all.split_at_mut(len.min(all.len()));
    *rest = tail;
    head
}

/// What one task counted.
struct Tally {
    first: Vec<u64>,
    repeat: Vec<u64>,
    holdout_only_customers: u64,
    holdout_only_rows: u64,
    without_rows: u64,
}

impl Tally {
    /// Nothing counted, over `span` periods.
    fn new(span: usize) -> Self {
        Self {
            first: vec![0; span],
            repeat: vec![0; span],
            holdout_only_customers: 0,
            holdout_only_rows: 0,
            without_rows: 0,
        }
    }

    /// Adds `other`'s counts (integers: in any order).
    fn merge(mut self, other: Self) -> Self {
        self.holdout_only_customers += other.holdout_only_customers;
        self.holdout_only_rows += other.holdout_only_rows;
        self.without_rows += other.without_rows;
        for (a, b) in self.first.iter_mut().zip(other.first) {
            *a += b;
        }
        for (a, b) in self.repeat.iter_mut().zip(other.repeat) {
            *a += b;
        }
        self
    }
}

/// The per-customer pass over the `n` customers in output order, whose
/// grouped rows `blocks` holds in that order (taken by value: each block
/// is freed once its customers are written), on all threads: each
/// customer's kept rows sorted by period (stable: the amounts of a period
/// are summed in row order), its periods, and the output columns.
pub(crate) fn customer_pass<S: Slot>(
    input: &SummaryBatches<'_>,
    blocks: Vec<Block<S>>,
    n: usize,
    frame: Frame,
) -> CustomerColumns {
    // Every batch holds its instants in the unit of the first.
    use crate::instants::{Days, Instants, Micros, Millis, Nanos, Seconds};
    match input.parts.first().map(|p| p.instants) {
        Some(Instants::Seconds(_)) => customer_pass_in::<Seconds, S>(input, blocks, n, frame),
        Some(Instants::Millis(_)) => customer_pass_in::<Millis, S>(input, blocks, n, frame),
        Some(Instants::Nanos(_)) => customer_pass_in::<Nanos, S>(input, blocks, n, frame),
        Some(Instants::Days(_)) => customer_pass_in::<Days, S>(input, blocks, n, frame),
        Some(Instants::Micros(_)) | None => customer_pass_in::<Micros, S>(input, blocks, n, frame),
    }
}

/// [`customer_pass`], the instants read in unit `U`.
fn customer_pass_in<U: InstantUnit, S: Slot>(
    input: &SummaryBatches<'_>,
    blocks: Vec<Block<S>>,
    n: usize,
    frame: Frame,
) -> CustomerColumns {
    let span = frame.counts.map_or(0, |(s, e)| (e - s + 1).max(0) as usize);
    let start = frame.counts.map_or(0, |c| c.0);
    // Each task counts periods in vectors of its own (2 x 8 bytes a
    // period), added up after: at most 64 MiB of them.
    let max_pieces = if span == 0 {
        64
    } else {
        ((64 << 20) / (16 * span)).clamp(1, 64)
    };
    let pieces = (rayon::current_num_threads() * 4).min(max_pieces).max(1);
    // Output columns touched only as they are written.
    let mut periods = vec![0u32; n];
    let mut recency = vec![0.0; n];
    let mut t = vec![0.0; n];
    let mut monetary_value = vec![0.0; n];
    let h = if frame.holdout { n } else { 0 };
    let (mut holdout_periods, mut holdout_value) = (vec![0u32; h], vec![0.0; h]);
    let mut outs = Vec::with_capacity(blocks.len());
    let mut kept = vec![0usize; blocks.len()];
    let mut dropped: Vec<Vec<u32>> = vec![Vec::new(); blocks.len()];
    let lens: Vec<usize> = blocks.iter().map(Block::len).collect();
    {
        let mut rest = (
            &mut periods[..],
            &mut recency[..],
            &mut t[..],
            &mut monetary_value[..],
            &mut holdout_periods[..],
            &mut holdout_value[..],
        );
        let mut first = 0;
        for ((&len, kept), dropped) in lens.iter().zip(&mut kept).zip(&mut dropped) {
            outs.push(Out {
                first,
                kept,
                dropped,
                periods: take(&mut rest.0, len),
                recency: take(&mut rest.1, len),
                t: take(&mut rest.2, len),
                monetary_value: take(&mut rest.3, len),
                holdout_periods: take(&mut rest.4, len),
                holdout_value: take(&mut rest.5, len),
            });
            first += len;
        }
    }
    // First row of each batch in the whole table, and the total.
    let mut bounds = Vec::with_capacity(input.parts.len() + 1);
    let mut row0 = 0;
    for part in &input.parts {
        bounds.push(row0);
        row0 += part.len();
    }
    bounds.push(row0);
    let times: Vec<&[U::Raw]> = input.parts.iter().map(|p| U::slice(&p.instants)).collect();
    // Consecutive blocks per task: at most `pieces` tallies at once.
    let per_task = blocks.len().div_ceil(pieces).max(1);
    let tally = blocks
        .into_par_iter()
        .zip(outs)
        .with_min_len(per_task)
        .fold(
            || Tally::new(span),
            |mut tally, (block, out)| {
                let mut rows: Vec<(i64, f64)> = Vec::new();
                for j in 0..block.len() {
                    rows.clear();
                    // A customer's rows are in row order: its batches follow.
                    let mut b = 0;
                    for &r in block.of(j) {
                        let r = r.get();
                        while r >= bounds[b + 1] {
                            b += 1;
                        }
                        let (part, i) = (&input.parts[b], r - bounds[b]);
                        let a = part.amounts[i];
                        let day = part.zone.day_of(U::micros(times[b][i]));
                        if let Some(p) = frame.filter.period(day, a) {
                            rows.push((p, part.costs.map_or(a, |k| a - k[i])));
                        }
                    }
                    rows.sort_by_key(|r| r.0);
                    let s = periods_of(&rows, frame.cal, start, span, &mut tally);
                    if s.rows == 0 {
                        tally.without_rows += 1;
                    } else if s.periods == 0 {
                        tally.holdout_only_customers += 1;
                        tally.holdout_only_rows += s.rows;
                    }
                    if s.periods == 0 {
                        // Left out: its share of the columns is not
                        // touched (the pages of a block's tail stay
                        // unwritten).
                        out.dropped.push((out.first + j) as u32);
                        continue;
                    }
                    let w = *out.kept;
                    *out.kept += 1;
                    out.periods[w] = s.periods;
                    out.recency[w] = (s.last - s.first) as f64 / frame.unit;
                    out.t[w] = (frame.cal - s.first) as f64 / frame.unit;
                    if s.periods > 1 {
                        out.monetary_value[w] = s.repeat_sum / f64::from(s.periods - 1);
                    }
                    if frame.holdout {
                        out.holdout_periods[w] = s.holdout_periods;
                        if s.holdout_periods > 0 {
                            out.holdout_value[w] = s.holdout_sum / f64::from(s.holdout_periods);
                        }
                    }
                }
                // The block's rows are given back here, its customers written.
                drop(block);
                tally
            },
        )
        .reduce(|| Tally::new(span), Tally::merge);
    // Each block's kept customers moved down behind the previous blocks'.
    if kept.iter().sum::<usize>() < n {
        let h = frame.holdout;
        close_gaps(&mut periods, &lens, &kept, true);
        close_gaps(&mut recency, &lens, &kept, true);
        close_gaps(&mut t, &lens, &kept, true);
        close_gaps(&mut monetary_value, &lens, &kept, true);
        close_gaps(&mut holdout_periods, &lens, &kept, h);
        close_gaps(&mut holdout_value, &lens, &kept, h);
    }
    CustomerColumns {
        dropped: dropped.concat(),
        periods,
        recency,
        t,
        monetary_value,
        holdout: frame.holdout.then_some((holdout_periods, holdout_value)),
        holdout_only_customers: tally.holdout_only_customers,
        holdout_only_rows: tally.holdout_only_rows,
        customers_without_rows: tally.without_rows,
        period_counts: frame.counts.map(|_| PeriodCounts {
            start,
            first: tally.first,
            repeat: tally.repeat,
        }),
    }
}

/// Moves the first `kept[b]` entries of each block `b` (of `lens[b]`
/// entries, back to back in `v`) down behind those of the blocks before,
/// then cuts `v` to them and gives back the rest (nothing when `apply` is
/// false: an absent column).
fn close_gaps<T: Copy>(v: &mut Vec<T>, lens: &[usize], kept: &[usize], apply: bool) {
    if !apply {
        return;
    }
    let (mut from, mut to) = (0, 0);
    for (&len, &k) in lens.iter().zip(kept) {
        v.copy_within(from..from + k, to);
        from += len;
        to += k;
    }
    v.truncate(to);
    v.shrink_to_fit();
}

/// One customer's periods from its kept rows sorted by period (amounts
/// summed exactly within a period, the period sums summed exactly), counted in `tally` from period
/// `start` when `span` is not 0.
fn periods_of(
    rows: &[(i64, f64)],
    cal: i64,
    start: i64,
    span: usize,
    tally: &mut Tally,
) -> CustomerPeriods {
    let mut s = CustomerPeriods {
        rows: rows.len() as u64,
        ..CustomerPeriods::default()
    };
    // Exact sums (rounded once), so that neither the order of the rows
    // within a period nor the cut of the input changes a bit.
    let (mut repeat, mut holdout) = (ExactSum::new(), ExactSum::new());
    let mut i = 0;
    while i < rows.len() {
        let p = rows[i].0;
        let mut period = ExactSum::new();
        while i < rows.len() && rows[i].0 == p {
            period.add(rows[i].1);
            i += 1;
        }
        let sum = period.value();
        if p <= cal {
            if s.periods == 0 {
                s.first = p;
                if span > 0 {
                    tally.first[(p - start) as usize] += 1;
                }
            } else {
                repeat.add(sum);
                if span > 0 {
                    tally.repeat[(p - start) as usize] += 1;
                }
            }
            s.last = p;
            s.periods += 1;
        } else if s.periods > 0 {
            s.holdout_periods += 1;
            holdout.add(sum);
            if span > 0 {
                tally.repeat[(p - start) as usize] += 1;
            }
        }
    }
    (s.repeat_sum, s.holdout_sum) = (repeat.value(), holdout.value());
    s
}
