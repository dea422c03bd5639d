//! Per-customer activity: first and last purchase, counts, revenue and cost.
//!
//! [`ActivityAccumulator`] absorbs transactions chunk by chunk (Arrow record
//! batches, say) and keeps a partial state that can be merged with another
//! one, so the same code serves one thread, many threads and many machines.

use chrono::NaiveDate;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{CiblageError, Result};
use crate::interrupt::Interrupt;
use crate::time::{day_from_date, Zone};
use crate::transactions::{NegativeAmounts, Transactions};

/// Chunks of at least this many rows are absorbed by several threads.
#[cfg(not(test))]
const PARALLEL_ROWS: usize = 1 << 17;
#[cfg(test)]
const PARALLEL_ROWS: usize = 1 << 12;
/// Rows partitioned at once by customer range: bounds the scratch copy of
/// the rows (about 20 bytes a row, 28 with costs).
#[cfg(not(test))]
const BLOCK_ROWS: usize = 1 << 20;
#[cfg(test)]
const BLOCK_ROWS: usize = 1 << 13;
/// Day keys kept before they are sorted and deduplicated: distinct days are
/// counted in memory proportional to the customer-days, not to the rows.
const DAY_KEYS_COMPACT: usize = 1 << 20;

mod partial;
mod scatter;

use partial::{Partial, Rows, TaskOutput, NO_ROW};

/// One chunk of transaction rows: a customer code, an instant (µs since
/// the epoch) and an amount per row, and a cost when the accumulator takes
/// costs.
#[derive(Debug, Clone, Copy)]
pub struct RowChunk<'a> {
    /// Customer code of each row.
    pub codes: &'a [u32],
    /// Instant of each row, µs since the epoch.
    pub timestamps: &'a [i64],
    /// Amount of each row.
    pub amounts: &'a [f64],
    /// Cost of each row, if the accumulator takes costs.
    pub costs: Option<&'a [f64]>,
}

/// How transactions are read into per-customer activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ActivityOptions {
    /// Zone of day boundaries.
    pub zone: Zone,
    /// Policy for negative amounts.
    pub negative_amounts: NegativeAmounts,
    /// Rows on local dates after this one are left out (none when `None`).
    pub last_date: Option<NaiveDate>,
    /// Also count distinct purchase days per customer.
    pub distinct_days: bool,
}

/// What reading the transactions left out, so that nothing is lost silently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct InputReport {
    /// Rows read.
    pub rows: u64,
    /// Rows dated after the reference date, left out.
    pub rows_after_as_of: u64,
    /// Rows with a negative amount (kept, excluded or rejected by policy).
    pub negative_rows: u64,
    /// Negative rows left out (policy `Exclude`).
    pub negative_rows_excluded: u64,
    /// Customers all of whose rows were left out; they get no score.
    pub customers_without_rows: u64,
}

impl InputReport {
    pub(crate) fn merge(&mut self, other: &Self) {
        self.rows += other.rows;
        self.rows_after_as_of += other.rows_after_as_of;
        self.negative_rows += other.negative_rows;
        self.negative_rows_excluded += other.negative_rows_excluded;
    }
}

/// Per-customer aggregates, indexed by customer code.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerActivity {
    /// Instant of the first counted row (`i64::MAX` if none).
    pub first: Vec<i64>,
    /// Instant of the last counted row (`i64::MAX` if none).
    pub last: Vec<i64>,
    /// Counted rows (transactions).
    pub transactions: Vec<u32>,
    /// Distinct local purchase days, when asked for.
    pub purchase_days: Option<Vec<u32>>,
    /// Sum of amounts.
    pub revenue: Vec<f64>,
    /// Sum of costs, when costs were given.
    pub cost: Option<Vec<f64>>,
    /// What was left out.
    pub report: InputReport,
    /// Zone of day boundaries.
    pub zone: Zone,
}

impl CustomerActivity {
    /// Aggregates a whole [`Transactions`] table.
    ///
    /// # Errors
    /// Negative amounts under [`NegativeAmounts::Reject`].
    pub fn from_transactions(tx: &Transactions, options: ActivityOptions) -> Result<Self> {
        let mut acc = ActivityAccumulator::new(options, tx.costs().is_some());
        acc.push(
            tx.codes(),
            tx.timestamps(),
            tx.amounts(),
            tx.costs(),
            tx.customers().len(),
        )?;
        Ok(acc.finish())
    }

    /// Number of customers (codes).
    pub fn len(&self) -> usize {
        self.first.len()
    }

    /// True when there is no customer.
    pub fn is_empty(&self) -> bool {
        self.first.is_empty()
    }

    /// True when customer `code` has at least one counted row.
    #[inline]
    pub fn is_active(&self, code: usize) -> bool {
        self.last[code] != NO_ROW
    }
}

/// Builds [`CustomerActivity`] from transactions given chunk by chunk.
///
/// A stream of batches (of unknown total size) is absorbed batch by batch:
/// a [`crate::CustomerIndex`] codes the ids as they come, the accumulator
/// keeps per-customer state (memory proportional to the customers, not the
/// rows), and the result is the one of the whole table, to the bit:
///
/// ```
/// use ciblage::{ActivityAccumulator, CustomerIndex, Rfm};
/// let day = 86_400_000_000i64;
/// let params = Rfm::params().bins(2).check()?;
/// let mut index = CustomerIndex::new();
/// let mut acc = ActivityAccumulator::new(params.activity_options(Default::default()), false);
/// let batches: [(&[i64], &[i64], &[f64]); 3] = [
///     (&[7, 8], &[0, day], &[10.0, 5.0]),
///     (&[], &[], &[]),
///     (&[7, 9], &[3 * day, 4 * day], &[2.5, 1.0]),
/// ];
/// let mut codes = Vec::new();
/// for (ids, instants, amounts) in batches {
///     codes.clear();
///     index.encode_i64(ids, &mut codes)?;
///     acc.push(&codes, instants, amounts, None, index.len())?;
/// }
/// let scores = params.score_activity(&acc.finish(), &index)?;
/// assert_eq!(scores.len(), 3);
/// assert_eq!(scores.monetary(), &[12.5, 5.0, 1.0]); // ids 7, 8, 9
/// # Ok::<(), ciblage::CiblageError>(())
/// ```
///
/// ```
/// use ciblage::{ActivityAccumulator, ActivityOptions};
/// let mut acc = ActivityAccumulator::new(ActivityOptions::default(), false);
/// acc.push(&[0, 1], &[10, 20], &[5.0, 7.0], None, 2)?;
/// acc.push(&[0], &[30], &[1.0], None, 2)?;
/// let activity = acc.finish();
/// assert_eq!(activity.transactions, [2, 1]);
/// assert_eq!(activity.last, [30, 20]);
/// assert_eq!(activity.revenue, [6.0, 7.0]);
/// # Ok::<(), ciblage::CiblageError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ActivityAccumulator {
    options: ActivityOptions,
    has_cost: bool,
    cutoff: i64,
    state: Partial,
    interrupt: Interrupt,
    /// Day keys left by the last compaction.
    days_kept: usize,
}

impl ActivityAccumulator {
    /// An empty accumulator. `has_cost` says whether costs will be pushed.
    pub fn new(options: ActivityOptions, has_cost: bool) -> Self {
        // The last instant counted, inclusive: without a reference date
        // every instant is (`i64::MAX` included, which an exclusive bound
        // of `i64::MAX` left out as "after the reference date").
        let cutoff = options.last_date.map_or(i64::MAX, |date| {
            options.zone.day_start(day_from_date(date) + 1) - 1
        });
        Self {
            options,
            has_cost,
            cutoff,
            state: Partial::default(),
            interrupt: Interrupt::default(),
            days_kept: 0,
        }
    }

    /// The token that stops [`ActivityAccumulator::push_chunks`]
    /// ([`CiblageError::Interrupted`]); checked once per block of about 1M
    /// rows and task (see [`Interrupt`]). An interrupted accumulator is to
    /// be dropped.
    pub fn interrupt(mut self, token: Interrupt) -> Self {
        self.interrupt = token;
        self
    }

    /// Absorbs one chunk of rows. `n_customers` is the number of codes known
    /// so far (every code in `codes` is below it; it may grow from one push
    /// to the next, as a stream meets new customers).
    ///
    /// Every customer's sums run over its rows in row order, from the first
    /// push to the last, as a serial pass would: large chunks are cut into
    /// blocks whose rows are partitioned by ranges of customers, one range a
    /// thread, each range's rows kept in row order. So the results are the
    /// same, to the bit, for any number of threads and however the rows are
    /// cut into pushes and chunks (a table, or the same rows as a stream of
    /// batches).
    ///
    /// # Errors
    /// Columns of different lengths, costs given or missing against
    /// `has_cost`, non-finite amounts or costs, negative amounts under
    /// [`NegativeAmounts::Reject`]; rows are numbered from the first push.
    /// After an error the accumulator is to be dropped.
    pub fn push(
        &mut self,
        codes: &[u32],
        timestamps: &[i64],
        amounts: &[f64],
        costs: Option<&[f64]>,
        n_customers: usize,
    ) -> Result<()> {
        self.push_chunks(
            &[RowChunk {
                codes,
                timestamps,
                amounts,
                costs,
            }],
            n_customers,
        )
    }

    /// Absorbs several chunks of rows as one sequence (the batches of one
    /// table, say), without copying them; the sums are those of
    /// [`ActivityAccumulator::push`] chunk after chunk.
    ///
    /// ```
    /// use ciblage::{ActivityAccumulator, ActivityOptions, RowChunk};
    /// let mut acc = ActivityAccumulator::new(ActivityOptions::default(), false);
    /// let chunk = |codes, timestamps, amounts| RowChunk { codes, timestamps, amounts, costs: None };
    /// acc.push_chunks(
    ///     &[chunk(&[0, 1], &[10, 20], &[5.0, 7.0]), chunk(&[0], &[30], &[1.0])],
    ///     2,
    /// )?;
    /// let activity = acc.finish();
    /// assert_eq!(activity.transactions, [2, 1]);
    /// assert_eq!(activity.revenue, [6.0, 7.0]);
    /// # Ok::<(), ciblage::CiblageError>(())
    /// ```
    ///
    /// # Errors
    /// As [`ActivityAccumulator::push`], for any chunk.
    pub fn push_chunks(&mut self, chunks: &[RowChunk<'_>], n_customers: usize) -> Result<()> {
        for chunk in chunks {
            self.check_chunk(chunk, n_customers)?;
        }
        let n: usize = chunks.iter().map(|c| c.codes.len()).sum();
        let row0 = self.state.report.rows as usize;
        self.state.grow(n_customers, self.has_cost);
        self.interrupt.add_total(n as u64);
        let threads = rayon::current_num_threads().min(n_customers);
        // The rows of the push from `lo` to `hi`: their part of every chunk.
        let rows_between = |lo: usize, hi: usize| -> Vec<Rows<'_>> {
            let mut at = 0;
            let mut out = Vec::new();
            for c in chunks {
                let (c_lo, c_hi) = (at, at + c.codes.len());
                at = c_hi;
                let (a, b) = (lo.max(c_lo), hi.min(c_hi));
                if a < b {
                    let (a, b) = (a - c_lo, b - c_lo);
                    out.push(Rows {
                        codes: &c.codes[a..b],
                        ts: &c.timestamps[a..b],
                        amounts: &c.amounts[a..b],
                        costs: c.costs.map(|k| &k[a..b]),
                        row0: row0 + c_lo + a,
                    });
                }
            }
            out
        };
        if n < PARALLEL_ROWS || threads < 2 {
            let parts = rows_between(0, n);
            let out = self.absorb_serial(&parts)?;
            self.state.report.merge(&out.report);
            self.state.day_keys.extend_from_slice(&out.day_keys);
        } else {
            for lo in (0..n).step_by(BLOCK_ROWS) {
                let parts = rows_between(lo, (lo + BLOCK_ROWS).min(n));
                let out = match scatter::absorb_block(
                    &mut self.state,
                    &parts,
                    threads,
                    &self.options,
                    self.cutoff,
                    &self.interrupt,
                ) {
                    Ok(out) => out,
                    Err(CiblageError::Interrupted) => return Err(CiblageError::Interrupted),
                    // Rows were partitioned: the serial pass over a scratch
                    // state finds the error of the earliest row.
                    Err(e) => return Err(self.first_error(&parts, n_customers).unwrap_or(e)),
                };
                self.state.report.merge(&out.report);
                self.state.day_keys.extend_from_slice(&out.day_keys);
                self.compact_days();
            }
        }
        self.interrupt.check()?;
        self.compact_days();
        self.state.report.rows += n as u64;
        Ok(())
    }

    /// Absorbs rows on the calling thread, in row order.
    fn absorb_serial(&mut self, parts: &[Rows<'_>]) -> Result<TaskOutput> {
        let mut out = TaskOutput::default();
        let mut ranges = self.state.ranges(1);
        let Some(range) = ranges.first_mut() else {
            return Ok(out);
        };
        for part in parts {
            self.interrupt.check()?;
            let o = range.absorb(&self.options, self.cutoff, *part)?;
            self.interrupt.advance(part.codes.len() as u64);
            out.report.merge(&o.report);
            out.day_keys.extend_from_slice(&o.day_keys);
        }
        Ok(out)
    }

    /// The error a serial pass over `parts` meets first, on a scratch state.
    fn first_error(&self, parts: &[Rows<'_>], n_customers: usize) -> Option<CiblageError> {
        let mut scratch = Partial::default();
        scratch.grow(n_customers, self.has_cost);
        let mut ranges = scratch.ranges(1);
        let range = ranges.first_mut()?;
        parts
            .iter()
            .find_map(|part| range.absorb(&self.options, self.cutoff, *part).err())
    }

    /// Sorts and deduplicates the day keys once they have doubled since the
    /// last time: their memory follows the customer-days, not the rows.
    fn compact_days(&mut self) {
        let keys = &mut self.state.day_keys;
        if keys.len() >= DAY_KEYS_COMPACT.max(2 * self.days_kept) {
            keys.par_sort_unstable();
            keys.dedup();
            self.days_kept = keys.len();
        }
    }

    /// Checks one chunk's lengths, costs and codes.
    fn check_chunk(&self, chunk: &RowChunk<'_>, n_customers: usize) -> Result<()> {
        let n = chunk.codes.len();
        for (argument, got) in [
            ("timestamp", chunk.timestamps.len()),
            ("amount", chunk.amounts.len()),
        ] {
            if got != n {
                return Err(CiblageError::LengthMismatch {
                    argument: argument.into(),
                    expected: n,
                    got,
                });
            }
        }
        match (chunk.costs, self.has_cost) {
            (Some(c), true) if c.len() != n => {
                return Err(CiblageError::LengthMismatch {
                    argument: "cost".into(),
                    expected: n,
                    got: c.len(),
                })
            }
            (Some(_), true) | (None, false) => {}
            (None, true) | (Some(_), false) => {
                return Err(CiblageError::param(
                    "cost",
                    "give costs with every chunk or with none",
                ))
            }
        }
        crate::transactions::check_codes(chunk.codes, n_customers)
    }

    /// Merges the partial state of another accumulator built with the same
    /// options over other rows.
    ///
    /// # Errors
    /// Options that differ.
    pub fn merge(&mut self, other: Self) -> Result<()> {
        if self.options != other.options || self.has_cost != other.has_cost {
            return Err(CiblageError::param(
                "other",
                "accumulators built with different options cannot be merged",
            ));
        }
        let state = std::mem::take(&mut self.state);
        self.state = state.merge(other.state);
        self.compact_days();
        Ok(())
    }

    /// Makes room for `n_customers` customers (codes met by an index but
    /// none of whose rows was pushed yet keep an empty state).
    pub fn grow_to(&mut self, n_customers: usize) {
        self.state.grow(n_customers, self.has_cost);
    }

    /// Rows pushed so far.
    pub fn rows(&self) -> u64 {
        self.state.report.rows
    }

    /// The per-customer activity.
    pub fn finish(self) -> CustomerActivity {
        let Partial {
            customers,
            cost,
            mut day_keys,
            mut report,
        } = self.state;
        let first: Vec<i64> = customers.iter().map(|s| s.first).collect();
        // Customers none of whose rows were counted.
        let last = customers
            .iter()
            .map(|s| if s.transactions == 0 { NO_ROW } else { s.last })
            .collect();
        let transactions: Vec<u32> = customers.iter().map(|s| s.transactions).collect();
        let revenue = customers.iter().map(|s| s.revenue).collect();
        report.customers_without_rows += transactions.iter().filter(|&&t| t == 0).count() as u64;
        drop(customers);
        let purchase_days = self.options.distinct_days.then(|| {
            day_keys.par_sort_unstable();
            day_keys.dedup();
            let mut days = vec![0u32; first.len()];
            for key in day_keys {
                days[(key >> 32) as usize] += 1;
            }
            days
        });
        CustomerActivity {
            first,
            last,
            transactions,
            purchase_days,
            revenue,
            cost: self.has_cost.then_some(cost),
            report,
            zone: self.options.zone,
        }
    }
}

#[cfg(test)]
mod tests;
