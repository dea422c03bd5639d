//! Per-customer activity: first and last purchase, counts, revenue and cost.
//!
//! [`ActivityAccumulator`] absorbs transactions chunk by chunk (Arrow record
//! batches, say) and keeps a partial state that can be merged with another
//! one, so the same code serves one thread, many threads and many machines.

use rayon::prelude::*;

use crate::error::{CiblageError, Result};
use crate::exact_sum::{sample_exp, split_raw};
use crate::interrupt::Interrupt;
use crate::time::day_from_date;

/// Chunks of at least this many rows are absorbed by several threads.
const PARALLEL_ROWS: usize = 1 << 18;
/// Rows per piece of a large chunk (the last piece takes the rest); small
/// in tests, so that they see several pieces.
#[cfg(not(test))]
const PIECE_ROWS: usize = 1 << 22;
#[cfg(test)]
const PIECE_ROWS: usize = 1 << 17;
/// Bytes of per-customer state of the pieces after the first allowed at once.
const PIECE_BUDGET: usize = 256 << 20;
/// Fewest rows per piece: below this, a piece's own per-customer state
/// costs more to clear and merge than its rows to read.
const MIN_PIECE_ROWS: usize = PIECE_ROWS >> 4;
/// Rows per customer in a piece (within [`MIN_PIECE_ROWS`]..[`PIECE_ROWS`]):
/// with few customers the pieces are small and many (their per-customer
/// states are small and cheap to merge), so that every thread reads its
/// own rows rather than every row of one piece.
const PIECE_ROWS_PER_CUSTOMER: usize = 4;

/// Rows per piece for `n_customers` customers; like the number of pieces,
/// it depends on the data size alone, never on the number of threads.
pub(crate) fn piece_rows(n_customers: usize) -> usize {
    n_customers
        .saturating_mul(PIECE_ROWS_PER_CUSTOMER)
        .clamp(MIN_PIECE_ROWS, PIECE_ROWS)
}
mod absorb;
mod customer_activity;
mod exact;
mod partial;

pub use customer_activity::{ActivityOptions, CustomerActivity, InputReport, RowChunk};
pub use exact::ExactTotals;

use partial::{Exps, Partial, Rows, TaskOutput, NO_ROW};

/// Builds [`CustomerActivity`] from transactions given chunk by chunk.
///
/// A stream of batches (of unknown total size) is absorbed batch by batch:
/// a [`crate::CustomerIndex`] codes the ids as they come and the
/// accumulator keeps per-customer state (memory proportional to the
/// customers, not the rows):
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
        }
    }

    /// The token that stops [`ActivityAccumulator::push_chunks`]
    /// ([`CiblageError::Interrupted`]); checked once per piece of about 4M
    /// rows and task (see [`Interrupt`]). An interrupted accumulator is to
    /// be dropped.
    pub fn interrupt(mut self, token: Interrupt) -> Self {
        self.interrupt = token;
        self
    }

    /// Absorbs one chunk of rows. `n_customers` is the number of codes known
    /// so far (every code in `codes` is below it). Large chunks are cut into
    /// pieces of 4 rows per customer, from 256k to 4M rows; within a piece
    /// each thread owns a range of customers. Revenue and cost are exact
    /// sums (see [`crate::exact_sum`]), rounded once by
    /// [`ActivityAccumulator::finish`]: they do not depend on the number of
    /// threads, the order of the rows nor the cut into chunks and pushes.
    ///
    /// # Errors
    /// Columns of different lengths, costs given or missing against
    /// `has_cost`, non-finite amounts or costs, negative amounts under
    /// [`crate::NegativeAmounts::Reject`]; rows are numbered from the first push.
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
    /// table, say): the rows are cut into pieces as if the chunks were
    /// concatenated, without copying them (the sums are exact: the same as
    /// for any other cut).
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
        let (opts, cutoff, has_cost) = (self.options, self.cutoff, self.has_cost);
        // The money sums are exact 96-bit integers in units of a shared
        // power of two, low enough for (a sample of) the values: values
        // out of its reach go to an exact side table, so that any exponent
        // gives the same sums, and a good one keeps the side table empty.
        self.state.lower_exps(Exps {
            revenue: sample_exp(chunks.iter().map(|c| c.amounts), n).unwrap_or(i32::MAX),
            cost: sample_exp(chunks.iter().filter_map(|c| c.costs), n).unwrap_or(i32::MAX),
        });
        let exps = self.state.exps;
        let interrupt = &self.interrupt;
        // The rows are cut into pieces whose number depends only on the
        // number of rows (and the memory a piece's sums take); the first
        // piece adds to the accumulated state, the others to fresh states
        // then added to it. Within a piece each task owns a range of
        // customers and reads every row of the piece. The sums are exact,
        // so results do not depend on the number of threads, on the order of
        // the rows, nor on how they are cut into chunks or pushes.
        let (pieces, ranges) = if n < PARALLEL_ROWS {
            (1, 1)
        } else {
            let bytes = n_customers.max(1) * (32 + if has_cost { 8 } else { 0 });
            let pieces = (n / piece_rows(n_customers)).clamp(1, (PIECE_BUDGET / bytes).max(1));
            (pieces, rayon::current_num_threads().div_ceil(pieces))
        };
        let step = n.div_ceil(pieces).max(1);
        // The rows of piece `p`: its part of every chunk it overlaps.
        let piece_rows = |p: usize| -> Vec<Rows<'_>> {
            let (lo, hi) = (p * step, ((p + 1) * step).min(n));
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
        let mut later: Vec<Partial> = (1..pieces)
            .into_par_iter()
            .map(|_| Partial::fresh(exps, n_customers, has_cost))
            .collect();
        let mut tasks = Vec::with_capacity(pieces * ranges);
        for (p, part) in std::iter::once(&mut self.state)
            .chain(later.iter_mut())
            .enumerate()
        {
            tasks.extend(part.ranges(ranges).into_iter().map(|r| (r, piece_rows(p))));
        }
        // Progress: every task reads all the rows of its piece.
        interrupt.add_total((n * ranges) as u64);
        let outputs: Vec<Result<TaskOutput>> = tasks
            .into_par_iter()
            .map(|(mut range, rows)| {
                let mut out = TaskOutput::default();
                for part in rows {
                    interrupt.check()?;
                    interrupt.advance(part.codes.len() as u64);
                    let o = range.absorb(&opts, cutoff, part)?;
                    out.report.merge(&o.report);
                    out.day_keys.extend_from_slice(&o.day_keys);
                    out.revenue_spill.extend_from_slice(&o.revenue_spill);
                    out.cost_spill.extend_from_slice(&o.cost_spill);
                }
                Ok(out)
            })
            .collect();
        self.interrupt.check()?;
        // Report the error of the earliest row, as a serial pass would.
        let mut first_error: Option<CiblageError> = None;
        let (mut spilled, mut low) = (0, Exps::default());
        for out in outputs {
            match out {
                Ok(out) => {
                    self.state.report.merge(&out.report);
                    self.state.day_keys.extend_from_slice(&out.day_keys);
                    self.state.absorb_spills(&out);
                    spilled += out.revenue_spill.len() + out.cost_spill.len();
                    low.revenue = low.revenue.min(lowest_exp(&out.revenue_spill));
                    low.cost = low.cost.min(lowest_exp(&out.cost_spill));
                }
                Err(e) => {
                    if first_error
                        .as_ref()
                        .is_none_or(|f| error_row(&e) < error_row(f))
                    {
                        first_error = Some(e);
                    }
                }
            }
        }
        if let Some(e) = first_error {
            return Err(e);
        }
        self.state.add_pieces(&later);
        self.state.report.rows += n as u64;
        // Many values below the sample's exponent: lower it for the next
        // chunks (the side table is exact, only slower).
        if spilled > n / 64 + 64 {
            self.state.lower_exps(low);
        }
        Ok(())
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
        let (revenue, cost) = self.state.totals();
        let Partial {
            customers,
            mut day_keys,
            mut report,
            ..
        } = self.state;
        let first: Vec<i64> = customers.iter().map(|s| s.first).collect();
        // Customers none of whose rows were counted.
        let last = customers
            .iter()
            .map(|s| if s.transactions == 0 { NO_ROW } else { s.last })
            .collect();
        let transactions: Vec<u32> = customers.iter().map(|s| s.transactions).collect();
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

/// The lowest exponent among the set-aside values (`i32::MAX` if none).
fn lowest_exp(spilled: &[(u32, f64)]) -> i32 {
    spilled
        .iter()
        .map(|&(_, x)| split_raw(x))
        .filter(|&(m, _)| m != 0)
        .map(|(_, e)| e)
        .min()
        .unwrap_or(i32::MAX)
}

fn error_row(e: &CiblageError) -> usize {
    match e {
        CiblageError::NonFinite { row, .. } | CiblageError::NegativeAmount { row, .. } => *row,
        _ => usize::MAX,
    }
}

#[cfg(test)]
mod tests;
