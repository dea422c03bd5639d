//! The input of the CLV summary (borrowed columns, as RFM reads them) and
//! its two passes: one over the rows, on all threads, keeping the rows up
//! to the end as `(customer, period)` keys with their amount (or margin);
//! after a counting sort by customer, one over each customer's keys sorted
//! by period, on all threads, into per-customer periods.

use rayon::prelude::*;

use crate::activity::InputReport;
use crate::clv::freq::Freq;
use crate::customers::CustomerIndex;
use crate::error::{CiblageError, Result};
use crate::transactions::{NegativeAmounts, TransactionView, Transactions};

/// Rows per task of the pass over the rows.
const ROW_CHUNK: usize = 1 << 16;
/// Offset that makes a period (days since 1970, or a month ordinal) a `u32`.
const PERIOD_BIAS: i64 = 1 << 31;

/// The transactions a CLV summary reads: validated borrowed columns
/// ([`TransactionView`]), the customer ids of their codes, and optionally a
/// cost per row (the summary's spend is then the margin, amount less cost).
///
/// ```
/// use ciblage::clv::{ClvSummary, SummaryInput};
/// use ciblage::Transactions;
/// let day = 86_400_000_000_i64;
/// let tx = Transactions::from_int_ids(&[1, 1], vec![0, 2 * day], vec![10.0, 30.0])?;
/// let input = SummaryInput::new(tx.view(), tx.customers())?.with_costs(&[4.0, 12.0])?;
/// let s = ClvSummary::params().score(input)?;
/// assert_eq!(s.monetary_value(), [18.0]); // the repeat purchase's margin
/// assert!(s.is_margin());
/// # Ok::<(), ciblage::CiblageError>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct SummaryInput<'a> {
    pub(crate) view: TransactionView<'a>,
    pub(crate) customers: &'a CustomerIndex,
    pub(crate) costs: Option<&'a [f64]>,
}

impl<'a> SummaryInput<'a> {
    /// The columns of `view`, whose codes index `customers`.
    ///
    /// # Errors
    /// A view built for another number of customers than `customers` holds.
    pub fn new(view: TransactionView<'a>, customers: &'a CustomerIndex) -> Result<Self> {
        if view.customers() != customers.len() {
            return Err(CiblageError::LengthMismatch {
                argument: "customers".into(),
                expected: view.customers(),
                got: customers.len(),
            });
        }
        Ok(Self {
            view,
            customers,
            costs: None,
        })
    }

    /// Adds a cost per row: the spend columns become margins (amount less
    /// cost, summed per period). Negative costs are kept, as RFM's margin
    /// keeps them.
    ///
    /// # Errors
    /// A length different from the other columns, a non-finite cost.
    pub fn with_costs(mut self, costs: &'a [f64]) -> Result<Self> {
        if costs.len() != self.view.len() {
            return Err(CiblageError::LengthMismatch {
                argument: "cost".into(),
                expected: self.view.len(),
                got: costs.len(),
            });
        }
        crate::transactions::check_finite("cost", costs)?;
        self.costs = Some(costs);
        Ok(self)
    }
}

/// Transactions read in several pieces (the record batches of an Arrow
/// table, each borrowed in place), their codes indexing one
/// [`CustomerIndex`]: the summary reads them in order, as one table.
///
/// ```
/// use ciblage::clv::{ClvSummary, SummaryBatches, SummaryInput};
/// use ciblage::Transactions;
/// let day = 86_400_000_000_i64;
/// let tx = Transactions::from_int_ids(&[1, 2, 1], vec![0, day, 3 * day], vec![10.0, 5.0, 30.0])?;
/// let (codes, ts, amounts) = (tx.view().codes(), tx.view().timestamps(), tx.view().amounts());
/// let zone = tx.view().zone();
/// let mut batches = SummaryBatches::new(tx.customers());
/// for rows in [0..2, 2..3] {
///     let view = ciblage::TransactionView::new(
///         &codes[rows.clone()], &ts[rows.clone()], &amounts[rows], tx.customers().len(), zone,
///     )?;
///     batches.push(SummaryInput::new(view, tx.customers())?)?;
/// }
/// let whole = ClvSummary::params().score(&tx)?;
/// let pieces = ClvSummary::params().score(batches)?;
/// assert_eq!((pieces.frequency(), pieces.t()), (whole.frequency(), whole.t()));
/// # Ok::<(), ciblage::CiblageError>(())
/// ```
#[derive(Debug, Clone)]
pub struct SummaryBatches<'a> {
    pub(crate) customers: &'a CustomerIndex,
    pub(crate) parts: Vec<SummaryInput<'a>>,
}

impl<'a> SummaryBatches<'a> {
    /// No batch yet; codes index `customers`.
    pub fn new(customers: &'a CustomerIndex) -> Self {
        Self {
            customers,
            parts: Vec::new(),
        }
    }

    /// Appends the next batch (its rows follow the rows pushed before).
    ///
    /// # Errors
    /// A batch whose codes index another customer table, or whose zone of
    /// day boundaries differs from the first batch's, or with costs when
    /// the first batch had none (or the reverse).
    pub fn push(&mut self, part: SummaryInput<'a>) -> Result<()> {
        if !std::ptr::eq(part.customers, self.customers) {
            return Err(CiblageError::param(
                "batches",
                "every batch must index the same customer table",
            ));
        }
        if let Some(first) = self.parts.first() {
            if first.view.zone() != part.view.zone()
                || first.costs.is_some() != part.costs.is_some()
            {
                return Err(CiblageError::param(
                    "batches",
                    "every batch must have the same zone and the same columns",
                ));
            }
        }
        self.parts.push(part);
        Ok(())
    }

    /// Rows of all batches.
    pub fn len(&self) -> usize {
        self.parts.iter().map(|p| p.view.len()).sum()
    }

    /// Whether no batch holds a row.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the batches have costs (the spend is then a margin).
    pub fn has_costs(&self) -> bool {
        self.parts.first().is_some_and(|p| p.costs.is_some())
    }
}

impl<'a> From<SummaryInput<'a>> for SummaryBatches<'a> {
    /// One batch.
    fn from(input: SummaryInput<'a>) -> Self {
        Self {
            customers: input.customers,
            parts: vec![input],
        }
    }
}

impl<'a> From<&'a Transactions> for SummaryBatches<'a> {
    /// The table as one batch, with its costs when it has some.
    fn from(tx: &'a Transactions) -> Self {
        SummaryInput::from(tx).into()
    }
}

impl<'a> From<&'a Transactions> for SummaryInput<'a> {
    /// The table's columns, with its costs when it has some.
    fn from(tx: &'a Transactions) -> Self {
        Self {
            view: tx.view(),
            customers: tx.customers(),
            costs: tx.costs(),
        }
    }
}

/// A kept row: `code << 32 | biased period`, and its amount less cost.
pub(crate) type Key = (u64, f64);

/// The rows kept by the first pass, and what it saw.
pub(crate) struct KeptRows {
    pub keys: Vec<Key>,
    pub report: InputReport,
    /// Latest local day of any row (the default end of observation).
    pub max_day: i64,
}

/// What one task of the first pass found (its keys are written at the
/// start of its own range of the shared output).
struct ChunkRows {
    kept: usize,
    report: InputReport,
    max_day: i64,
    /// The first negative row under the `Reject` policy.
    rejected: Option<(usize, f64)>,
}

/// The first pass: every row's local day and period; the rows of periods
/// up to `end` (all rows when `None`) kept under the negative-amount
/// policy, in row order.
pub(crate) fn keep_rows(
    input: &SummaryBatches<'_>,
    freq: Freq,
    end: Option<i64>,
    negative: NegativeAmounts,
) -> Result<KeptRows> {
    // Tasks of up to ROW_CHUNK rows within one batch: (batch, first row of
    // the batch in the whole table, rows of the task in the batch).
    let mut tasks = Vec::new();
    let mut row0 = 0;
    for (b, part) in input.parts.iter().enumerate() {
        let n = part.view.len();
        for c in 0..n.div_ceil(ROW_CHUNK) {
            tasks.push((b, row0, c * ROW_CHUNK..((c + 1) * ROW_CHUNK).min(n)));
        }
        row0 += n;
    }
    let total_rows = row0;
    // One output of a key per row, each task writing into its own rows'
    // range; the kept keys are then moved together in place, so the pass
    // needs no second copy of the keys.
    let mut keys: Vec<Key> = vec![(0, 0.0); total_rows];
    let lens: Vec<usize> = tasks.iter().map(|t| t.2.len()).collect();
    let mut outs = Vec::with_capacity(tasks.len());
    let mut rest = &mut keys[..];
    for (_, _, range) in &tasks {
        let (out, tail) = rest.split_at_mut(range.len());
        outs.push(out);
        rest = tail;
    }
    let parts: Vec<ChunkRows> = tasks
        .into_par_iter()
        .zip(outs)
        .map(|((b, row0, range), dst)| {
            let part = &input.parts[b];
            let view = &part.view;
            let zone = view.zone();
            let (codes, ts, amounts) = (view.codes(), view.timestamps(), view.amounts());
            let (lo, hi) = (range.start, range.end);
            let mut out = ChunkRows {
                kept: 0,
                report: InputReport::default(),
                max_day: i64::MIN,
                rejected: None,
            };
            for row in lo..hi {
                let day = zone.day_of(ts[row]);
                out.max_day = out.max_day.max(day);
                let p = freq.period_of_day(day);
                if end.is_some_and(|e| p > e) {
                    out.report.rows_after_as_of += 1;
                    continue;
                }
                let a = amounts[row];
                if a < 0.0 {
                    out.report.negative_rows += 1;
                    match negative {
                        NegativeAmounts::Keep => {}
                        NegativeAmounts::Exclude => {
                            out.report.negative_rows_excluded += 1;
                            continue;
                        }
                        NegativeAmounts::Reject => {
                            out.rejected = Some((row0 + row, a));
                            break;
                        }
                    }
                }
                let m = part.costs.map_or(a, |k| a - k[row]);
                let key = (u64::from(codes[row]) << 32) | (p + PERIOD_BIAS) as u64;
                dst[out.kept] = (key, m);
                out.kept += 1;
            }
            out
        })
        .collect();
    if let Some((row, value)) = parts.iter().find_map(|p| p.rejected) {
        return Err(CiblageError::NegativeAmount {
            argument: "amount".into(),
            row,
            value,
        });
    }
    let mut report = InputReport {
        rows: total_rows as u64,
        ..InputReport::default()
    };
    let mut max_day = i64::MIN;
    for p in &parts {
        report.merge(&p.report);
        max_day = max_day.max(p.max_day);
    }
    report.rows = total_rows as u64;
    let (mut at, mut to) = (0, 0);
    for (p, len) in parts.iter().zip(lens) {
        keys.copy_within(at..at + p.kept, to);
        to += p.kept;
        at += len;
    }
    keys.truncate(to);
    keys.shrink_to_fit();
    Ok(KeptRows {
        keys,
        report,
        max_day,
    })
}

/// Groups the keys by customer: a stable counting sort (customers in code
/// order, rows in row order within a customer), linear in the rows. Each
/// task owns a range of customers and their part of the output, and reads
/// every key, so the result does not depend on the number of threads.
pub(crate) fn group_by_customer(keys: &[Key], n: usize) -> Vec<Key> {
    let step = n.div_ceil(rayon::current_num_threads().max(1)).max(1);
    let code = |k: &Key| (k.0 >> 32) as usize;
    // Rows per customer, branch-free (rows of other ranges add 0).
    let mut start = vec![0usize; n + 1];
    start[1..]
        .par_chunks_mut(step)
        .enumerate()
        .for_each(|(t, c)| {
            let (lo, len) = (t * step, c.len());
            for k in keys {
                let i = code(k).wrapping_sub(lo);
                let inside = i < len;
                c[if inside { i } else { 0 }] += usize::from(inside);
            }
        });
    for i in 1..=n {
        start[i] += start[i - 1];
    }
    let mut out = vec![(0u64, 0.0); keys.len()];
    let mut regions = Vec::new();
    let mut rest = &mut out[..];
    for lo in (0..n).step_by(step) {
        let hi = (lo + step).min(n);
        let (region, tail) = rest.split_at_mut(start[hi] - start[lo]);
        regions.push((lo, hi, region));
        rest = tail;
    }
    regions.into_par_iter().for_each(|(lo, hi, region)| {
        let base = start[lo];
        let mut at: Vec<usize> = start[lo..hi].iter().map(|s| s - base).collect();
        for k in keys {
            let i = code(k).wrapping_sub(lo);
            if i < hi - lo {
                region[at[i]] = *k;
                at[i] += 1;
            }
        }
    });
    out
}

/// Period of a key.
#[inline]
pub(crate) fn key_period(key: u64) -> i64 {
    (key & 0xFFFF_FFFF) as i64 - PERIOD_BIAS
}

/// One customer's periods, read from the sorted keys.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CustomerPeriods {
    /// Kept rows (calibration and holdout).
    pub rows: u64,
    /// Distinct calibration periods.
    pub periods: u32,
    /// First and last calibration period (`i32`: a key holds a period
    /// in 32 bits).
    pub first: i32,
    pub last: i32,
    /// Sum of the per-period sums of the calibration periods after the first.
    pub repeat_sum: f64,
    /// Distinct holdout periods and their sum of amounts.
    pub holdout_periods: u32,
    pub holdout_sum: f64,
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

/// The second pass over keys grouped by customer in row order
/// ([`group_by_customer`]): each customer's rows sorted by period (stable),
/// then its periods (amounts summed in row order within a period), and
/// with `counts` (`start..=end`) the per-period counts of the customers
/// first seen up to `cal`.
pub(crate) fn scan(
    keys: &mut [Key],
    cal: i64,
    n: usize,
    counts: Option<(i64, i64)>,
) -> (Vec<CustomerPeriods>, Option<PeriodCounts>) {
    // Pieces cut at customer boundaries, so that each customer is read by
    // one task; the per-period counts of a piece are added up after.
    let span = counts.map_or(0, |(s, e)| (e - s + 1).max(0) as usize);
    let max_pieces = if span == 0 {
        64
    } else {
        ((64 << 20) / (16 * span)).clamp(1, 64)
    };
    let pieces = (rayon::current_num_threads() * 4).min(max_pieces).max(1);
    let mut bounds = vec![0usize];
    for p in 1..pieces {
        let mut at = (keys.len() * p / pieces).max(*bounds.last().unwrap_or(&0));
        while at > 0 && at < keys.len() && keys[at].0 >> 32 == keys[at - 1].0 >> 32 {
            at += 1;
        }
        bounds.push(at);
    }
    bounds.push(keys.len());
    let start = counts.map_or(0, |c| c.0);
    // Each piece writes its customers' entries in place: the keys are in
    // code order and the pieces cut at customer boundaries, so the pieces
    // own disjoint, increasing ranges of codes (no per-piece copies).
    let code_at = |b: usize| {
        if b == 0 {
            0
        } else if b < keys.len() {
            (keys[b].0 >> 32) as usize
        } else {
            n
        }
    };
    let code_bounds: Vec<usize> = bounds.iter().map(|&b| code_at(b)).collect();
    let mut per = vec![CustomerPeriods::default(); n];
    let mut slices = Vec::with_capacity(pieces);
    let (mut rest, mut per_rest) = (keys, &mut per[..]);
    for (w, c) in bounds.windows(2).zip(code_bounds.windows(2)) {
        let (piece, tail) = rest.split_at_mut(w[1] - w[0]);
        let (out, per_tail) = per_rest.split_at_mut(c[1] - c[0]);
        slices.push((piece, c[0], out));
        rest = tail;
        per_rest = per_tail;
    }
    let parts: Vec<(Vec<u64>, Vec<u64>)> = slices
        .into_par_iter()
        .map(|(keys, code0, out)| {
            let (mut first, mut repeat) = (vec![0u64; span], vec![0u64; span]);
            let mut i = 0;
            while i < keys.len() {
                let code = (keys[i].0 >> 32) as u32;
                let len = keys[i..]
                    .iter()
                    .take_while(|k| (k.0 >> 32) as u32 == code)
                    .count();
                keys[i..i + len].sort_by_key(|k| k.0);
                let mut s = CustomerPeriods::default();
                while i < keys.len() && (keys[i].0 >> 32) as u32 == code {
                    let key = keys[i].0;
                    let mut sum = 0.0;
                    let mut rows = 0;
                    while i < keys.len() && keys[i].0 == key {
                        sum += keys[i].1;
                        rows += 1;
                        i += 1;
                    }
                    s.rows += rows;
                    let p = key_period(key);
                    if p <= cal {
                        if s.periods == 0 {
                            s.first = p as i32;
                            if span > 0 {
                                first[(p - start) as usize] += 1;
                            }
                        } else {
                            s.repeat_sum += sum;
                            if span > 0 {
                                repeat[(p - start) as usize] += 1;
                            }
                        }
                        s.last = p as i32;
                        s.periods += 1;
                    } else if s.periods > 0 {
                        s.holdout_periods += 1;
                        s.holdout_sum += sum;
                        if span > 0 {
                            repeat[(p - start) as usize] += 1;
                        }
                    }
                }
                out[code as usize - code0] = s;
            }
            (first, repeat)
        })
        .collect();
    let mut total = counts.map(|_| PeriodCounts {
        start,
        first: vec![0; span],
        repeat: vec![0; span],
    });
    if let Some(t) = total.as_mut() {
        for (first, repeat) in parts {
            for (a, b) in t.first.iter_mut().zip(first) {
                *a += b;
            }
            for (a, b) in t.repeat.iter_mut().zip(repeat) {
                *a += b;
            }
        }
    }
    (per, total)
}
