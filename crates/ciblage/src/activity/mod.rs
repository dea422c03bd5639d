//! Per-customer activity: first and last purchase, counts, revenue and cost.
//!
//! [`ActivityAccumulator`] absorbs transactions chunk by chunk (Arrow record
//! batches, say) and keeps a partial state that can be merged with another
//! one, so the same code serves one thread, many threads and many machines.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{CiblageError, Result};
use crate::time::Zone;
use crate::transactions::{NegativeAmounts, Transactions};

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
mod partial;

use partial::{Partial, Rows, TaskOutput, NO_ROW};

/// How transactions are read into per-customer activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ActivityOptions {
    /// Zone of day boundaries.
    pub zone: Zone,
    /// Policy for negative amounts.
    pub negative_amounts: NegativeAmounts,
    /// Rows on local days after this day (days since 1970-01-01) are left out.
    pub last_day: Option<i64>,
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
}

impl ActivityAccumulator {
    /// An empty accumulator. `has_cost` says whether costs will be pushed.
    pub fn new(options: ActivityOptions, has_cost: bool) -> Self {
        let cutoff = options
            .last_day
            .map_or(i64::MAX, |day| options.zone.day_start(day + 1));
        Self {
            options,
            has_cost,
            cutoff,
            state: Partial::default(),
        }
    }

    /// Absorbs one chunk of rows. `n_customers` is the number of codes known
    /// so far (every code in `codes` is below it). Large chunks are cut into
    /// pieces of about 4M rows (their number set by the chunk's size), each
    /// summed in row order, then added in piece order; within a piece each
    /// thread owns a range of customers. The sums do not depend on the
    /// number of threads.
    ///
    /// # Errors
    /// Columns of different lengths, costs given or missing against
    /// `has_cost`, non-finite amounts or costs, negative amounts under
    /// [`NegativeAmounts::Reject`]; rows are numbered from the first push.
    pub fn push(
        &mut self,
        codes: &[u32],
        timestamps: &[i64],
        amounts: &[f64],
        costs: Option<&[f64]>,
        n_customers: usize,
    ) -> Result<()> {
        let n = codes.len();
        for (argument, got) in [("timestamp", timestamps.len()), ("amount", amounts.len())] {
            if got != n {
                return Err(CiblageError::LengthMismatch {
                    argument: argument.into(),
                    expected: n,
                    got,
                });
            }
        }
        match (costs, self.has_cost) {
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
        crate::transactions::check_codes(codes, n_customers)?;
        let row0 = self.state.report.rows as usize;
        self.state.grow(n_customers, self.has_cost);
        let (opts, cutoff, has_cost) = (self.options, self.cutoff, self.has_cost);
        // The rows are cut into pieces whose number depends only on the
        // chunk's size (and the memory a piece's sums take); the first
        // piece adds to the accumulated state, the others to fresh states
        // merged in piece order. Within a piece each task owns a range of
        // customers and reads every row of the piece, so every customer's
        // sums run in row order within the piece: results do not depend on
        // the number of threads.
        let (pieces, ranges) = if n < PARALLEL_ROWS {
            (1, 1)
        } else {
            let bytes = n_customers.max(1) * (32 + if has_cost { 8 } else { 0 });
            let pieces = (n / PIECE_ROWS).clamp(1, (PIECE_BUDGET / bytes).max(1));
            (pieces, rayon::current_num_threads().div_ceil(pieces))
        };
        let step = n.div_ceil(pieces);
        let piece_rows = |p: usize| {
            let (lo, hi) = (p * step, ((p + 1) * step).min(n));
            Rows {
                codes: &codes[lo..hi],
                ts: &timestamps[lo..hi],
                amounts: &amounts[lo..hi],
                costs: costs.map(|c| &c[lo..hi]),
                row0: row0 + lo,
            }
        };
        let mut later: Vec<Partial> = (1..pieces)
            .map(|_| {
                let mut part = Partial::default();
                part.grow(n_customers, has_cost);
                part
            })
            .collect();
        let mut tasks = Vec::with_capacity(pieces * ranges);
        for (p, part) in std::iter::once(&mut self.state)
            .chain(later.iter_mut())
            .enumerate()
        {
            tasks.extend(part.ranges(ranges).into_iter().map(|r| (r, piece_rows(p))));
        }
        let outputs: Vec<Result<TaskOutput>> = tasks
            .into_par_iter()
            .map(|(mut range, rows)| range.absorb(&opts, cutoff, rows))
            .collect();
        // Report the error of the earliest row, as a serial pass would.
        let mut first_error: Option<CiblageError> = None;
        for out in outputs {
            match out {
                Ok(out) => {
                    self.state.report.merge(&out.report);
                    self.state.day_keys.extend_from_slice(&out.day_keys);
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
        for part in later {
            self.state.add_sums(&part);
        }
        self.state.report.rows += n as u64;
        Ok(())
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

fn error_row(e: &CiblageError) -> usize {
    match e {
        CiblageError::NonFinite { row, .. } | CiblageError::NegativeAmount { row, .. } => *row,
        _ => usize::MAX,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::MICROS_PER_DAY as DAY;

    fn opts() -> ActivityOptions {
        ActivityOptions::default()
    }

    #[test]
    fn sums_counts_and_extremes() {
        let tx = Transactions::from_int_ids(
            &[1, 2, 1, 1],
            vec![3 * DAY, DAY, DAY, 2 * DAY],
            vec![10.0, 4.0, -2.0, 1.5],
        )
        .unwrap();
        let a = CustomerActivity::from_transactions(&tx, opts()).unwrap();
        // Customer 1 (code 0): rows on days 3, 1, 2; 10 - 2 + 1.5 = 9.5.
        assert_eq!(a.transactions, [3, 1]);
        assert_eq!(a.first, [DAY, DAY]);
        assert_eq!(a.last, [3 * DAY, DAY]);
        assert_eq!(a.revenue, [9.5, 4.0]);
        assert_eq!(a.report.negative_rows, 1);
    }

    #[test]
    fn negative_policy_exclude_and_reject() {
        let tx =
            Transactions::from_int_ids(&[1, 1, 2], vec![0, DAY, 0], vec![5.0, -5.0, -1.0]).unwrap();
        let o = ActivityOptions {
            negative_amounts: NegativeAmounts::Exclude,
            ..opts()
        };
        let a = CustomerActivity::from_transactions(&tx, o).unwrap();
        assert_eq!(a.transactions, [1, 0]);
        assert_eq!(a.last[0], 0);
        assert!(!a.is_active(1));
        assert_eq!(a.report.negative_rows_excluded, 2);
        assert_eq!(a.report.customers_without_rows, 1);
        let o = ActivityOptions {
            negative_amounts: NegativeAmounts::Reject,
            ..opts()
        };
        let err = CustomerActivity::from_transactions(&tx, o).unwrap_err();
        assert_eq!(
            err.to_string(),
            "amount: negative value -5 at row 1 (negative amounts are rejected; set negative_amounts to keep or exclude them)"
        );
    }

    #[test]
    fn rows_after_the_last_day_are_left_out_and_counted() {
        let tx =
            Transactions::from_int_ids(&[1, 1], vec![DAY + 5, 2 * DAY], vec![1.0, 2.0]).unwrap();
        let o = ActivityOptions {
            last_day: Some(1),
            ..opts()
        };
        let a = CustomerActivity::from_transactions(&tx, o).unwrap();
        assert_eq!(a.transactions, [1]);
        assert_eq!(a.report.rows_after_as_of, 1);
    }

    #[test]
    fn distinct_days_merge_same_day_rows() {
        // Two rows on day 0, one on day 1; in Paris 23:30Z on day 0 is day 1.
        let tx = Transactions::from_int_ids(
            &[1, 1, 1],
            vec![0, DAY - 1_800_000_000, DAY + 60_000_000],
            vec![1.0, 1.0, 1.0],
        )
        .unwrap();
        let mut o = ActivityOptions {
            distinct_days: true,
            ..opts()
        };
        let utc = CustomerActivity::from_transactions(&tx, o).unwrap();
        assert_eq!(utc.purchase_days, Some(vec![2]));
        o.zone = Zone::parse("Europe/Paris").unwrap();
        let paris = CustomerActivity::from_transactions(&tx, o).unwrap();
        assert_eq!(paris.purchase_days, Some(vec![2]));
        o.zone = Zone::parse("America/New_York").unwrap();
        // New York (UTC-5 in winter): day -1 19:00, day 0 18:30, day 0 19:01 -> 2 days.
        let ny = CustomerActivity::from_transactions(&tx, o).unwrap();
        assert_eq!(ny.purchase_days, Some(vec![2]));
    }

    #[test]
    fn parallel_and_serial_agree() {
        let n = 2 * PARALLEL_ROWS + 12_345;
        let codes: Vec<u32> = (0..n).map(|i| (i * 7919 % 1000) as u32).collect();
        let ts: Vec<i64> = (0..n).map(|i| (i as i64 * 31) % 100_000).collect();
        let amounts: Vec<f64> = (0..n).map(|i| (i % 97) as f64 * 0.25).collect();
        let mut big = ActivityAccumulator::new(opts(), false);
        big.push(&codes, &ts, &amounts, None, 1000).unwrap();
        let mut small = ActivityAccumulator::new(opts(), false);
        for lo in (0..n).step_by(100_000) {
            let hi = (lo + 100_000).min(n);
            small
                .push(&codes[lo..hi], &ts[lo..hi], &amounts[lo..hi], None, 1000)
                .unwrap();
        }
        let (a, b) = (big.finish(), small.finish());
        assert_eq!(a.transactions, b.transactions);
        assert_eq!(a.first, b.first);
        assert_eq!(a.last, b.last);
        for (x, y) in a.revenue.iter().zip(&b.revenue) {
            assert!((x - y).abs() < 1e-9 * x.abs().max(1.0));
        }
        assert_eq!(a.report.rows, n as u64);
    }

    #[test]
    fn pieces_give_the_same_sums_for_any_thread_count() {
        // Four pieces of rows (in tests), costs and returns included.
        let n = 4 * PIECE_ROWS + 777;
        let codes: Vec<u32> = (0..n).map(|i| (i * 7919 % 5000) as u32).collect();
        let ts: Vec<i64> = (0..n).map(|i| (i as i64 * 31) % 900_000).collect();
        let amounts: Vec<f64> = (0..n).map(|i| (i as f64).sqrt() - 20.0).collect();
        let run = |threads: usize| {
            crate::testing::on_threads(threads, || {
                let mut acc = ActivityAccumulator::new(opts(), true);
                acc.push(&codes, &ts, &amounts, Some(&amounts), 5000)
                    .unwrap();
                acc.finish()
            })
        };
        let one = run(1);
        assert_eq!(one, run(2));
        assert_eq!(one, run(5));
        // By hand: each piece summed in row order, the pieces in order.
        let step = n.div_ceil(4);
        let mut pieces = vec![vec![0.0; 5000]; 4];
        for (i, (&c, &a)) in codes.iter().zip(&amounts).enumerate() {
            pieces[i / step][c as usize] += a;
        }
        let expected: Vec<f64> = (0..5000)
            .map(|c| ((pieces[0][c] + pieces[1][c]) + pieces[2][c]) + pieces[3][c])
            .collect();
        assert_eq!(one.revenue, expected);
        assert_eq!(one.cost, Some(expected));
        assert_eq!(
            one.transactions.iter().map(|&t| t as usize).sum::<usize>(),
            n
        );
    }

    #[test]
    fn row_numbers_in_errors_count_from_the_first_push() {
        let mut acc = ActivityAccumulator::new(opts(), false);
        acc.push(&[0, 0], &[0, 0], &[1.0, 1.0], None, 1).unwrap();
        let err = acc.push(&[0], &[0], &[f64::NAN], None, 1).unwrap_err();
        assert_eq!(err.to_string(), "amount: non-finite value NaN at row 2");
    }
}
