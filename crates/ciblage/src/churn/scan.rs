//! The second row pass of the retention analysis, in parallel (tasks as
//! in [`super::tasks`]): the period of every row, the active-period bitmap
//! of every customer and the revenue per period and per cohort cell.

use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use crate::prefetch::{prefetch, LOOKAHEAD};

use super::tasks::{PeriodSums, PeriodTotals, RowTasks};

/// Customers per parallel task.
pub(crate) const CUSTOMER_TASK: usize = 1 << 14;
/// Cohort of a customer who never bought.
pub(crate) const NO_PERIOD: u16 = u16::MAX;

/// Active periods of every customer: `words` 64-bit words per customer,
/// bit `p` set when the customer bought in period `p` (relative to the
/// first period).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ActiveBits {
    words: usize,
    bits: Vec<u64>,
}

impl ActiveBits {
    /// The words of customer `code`.
    #[inline]
    pub fn of(&self, code: usize) -> &[u64] {
        &self.bits[code * self.words..(code + 1) * self.words]
    }

    /// Number of customers.
    pub fn customers(&self) -> usize {
        self.bits.len().checked_div(self.words).unwrap_or(0)
    }

    /// Bitmaps of `words` words per customer, customer after customer.
    #[cfg(test)]
    pub fn from_words(words: usize, bits: Vec<u64>) -> Self {
        Self { words, bits }
    }

    /// Words per customer.
    pub fn words(&self) -> usize {
        self.words
    }

    /// The words of all customers, customer after customer.
    pub fn raw(&self) -> &[u64] {
        &self.bits
    }

    /// Active periods of customer `code`, ascending.
    pub fn periods(&self, code: usize) -> impl Iterator<Item = usize> + '_ {
        self.of(code)
            .iter()
            .enumerate()
            .flat_map(|(i, &w)| SetBits(w).map(move |p| i * 64 + p))
    }
}

/// The positions of the set bits of a word, ascending.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SetBits(pub u64);

impl Iterator for SetBits {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        (self.0 != 0).then(|| {
            let p = self.0.trailing_zeros() as usize;
            self.0 &= self.0 - 1;
            p
        })
    }
}

/// What the second pass gives: the active bitmaps, the revenue of each
/// period and of each cohort in each period since acquisition (triangular
/// layout of [`triangle_offset`](super::tasks::triangle_offset)). A row
/// counts in its own period; rows of a customer dated before his cohort
/// period (returns, zero rows) count in `before_cohort` of his cohort; rows
/// of customers who never bought count in the periods, not in the cohorts.
pub(crate) struct RowScan {
    pub bits: ActiveBits,
    pub revenue: Vec<f64>,
    pub cohort_revenue: Vec<f64>,
    pub before_cohort: Vec<f64>,
}

/// The columns of the rows.
#[derive(Clone, Copy)]
pub(crate) struct Rows<'a> {
    pub codes: &'a [u32],
    pub ts: &'a [i64],
    pub amounts: &'a [f64],
    /// Once set, the passes skip their remaining tasks (the analysis then
    /// returns `Interrupted`).
    pub interrupt: &'a crate::interrupt::Interrupt,
}

/// Bitmaps of active periods, revenue per period and per cohort cell.
/// `period_of` maps an instant to its period relative to the first one
/// (`None`: left out), below `n_periods`; `cohort_of` gives the first
/// purchase period of each customer ([`NO_PERIOD`] if none).
pub(crate) fn scan_rows<F: Fn(i64) -> Option<i64> + Sync>(
    rows: Rows<'_>,
    cohort_of: &[u16],
    n_periods: usize,
    period_of: F,
) -> RowScan {
    if n_periods <= PACKED_PERIODS {
        scan_rows_packed(rows, cohort_of, n_periods, period_of)
    } else {
        scan_rows_words(rows, cohort_of, n_periods, period_of)
    }
}

/// The revenue sums of the rows in `range`: `visit(row, period, amount)`
/// does the caller's work for each counted row and gives the customer's
/// cohort ([`NO_PERIOD`]: none).
#[inline(always)]
fn task_sums<F, V>(
    rows: Rows<'_>,
    range: std::ops::Range<usize>,
    n: usize,
    period_of: &F,
    mut visit: V,
) -> PeriodSums
where
    F: Fn(i64) -> Option<i64>,
    V: FnMut(usize, usize, f64) -> u16,
{
    let mut sums = PeriodSums::new(n);
    for i in range {
        let Some(r) = period_of(rows.ts[i]) else {
            continue;
        };
        // Periods start at the first row's, so `r` is never negative.
        let (r, a) = (r.max(0) as usize, rows.amounts[i]);
        let c0 = visit(i, r, a);
        sums.add(r, (c0 != NO_PERIOD).then_some(usize::from(c0)), a);
    }
    sums
}

/// [`scan_rows`] for any number of periods: bitmaps of `⌈n / 64⌉` words,
/// shared by the threads.
fn scan_rows_words<F: Fn(i64) -> Option<i64> + Sync>(
    rows: Rows<'_>,
    cohort_of: &[u16],
    n: usize,
    period_of: F,
) -> RowScan {
    let words = n.div_ceil(64).max(1);
    let bits: Vec<AtomicU64> = std::iter::repeat_with(|| AtomicU64::new(0))
        .take(cohort_of.len() * words)
        .collect();
    let tasks = RowTasks::new(rows.ts.len(), PeriodSums::bytes(n)).interrupt(rows.interrupt);
    let runs = tasks.run(
        tasks.count(),
        |_| (),
        |_, range| {
            task_sums(rows, range, n, &period_of, |i, r, a| {
                let code = rows.codes[i] as usize;
                let c0 = cohort_of[code];
                if c0 != NO_PERIOD && a > 0.0 {
                    let (at, bit) = (code * words + r / 64, 1u64 << (r % 64));
                    // Most rows find their bit set already: test before the locked write.
                    if bits[at].load(Ordering::Relaxed) & bit == 0 {
                        bits[at].fetch_or(bit, Ordering::Relaxed);
                    }
                }
                c0
            })
        },
    );
    let sums = PeriodSums::total(n, runs.iter().flat_map(|(_, s)| s));
    RowScan {
        bits: ActiveBits {
            words,
            bits: bits.into_iter().map(AtomicU64::into_inner).collect(),
        },
        revenue: sums.revenue,
        cohort_revenue: sums.cohort,
        before_cohort: sums.before,
    }
}

/// Periods that fit beside a 16-bit cohort in one 64-bit word.
const PACKED_PERIODS: usize = 48;
/// The active bits of a packed word.
const PACKED_BITS: u64 = (1 << PACKED_PERIODS) - 1;

/// [`scan_rows`] for at most [`PACKED_PERIODS`] periods: each customer's
/// cohort and active bits share one word, so a row reads one cache line
/// of customer state instead of two. Every thread updates its own copy of
/// the words when they fit the budget (no atomics, no branch on whether
/// the bit is set already: one that mispredicts half the time), else
/// one shared copy.
fn scan_rows_packed<F: Fn(i64) -> Option<i64> + Sync>(
    rows: Rows<'_>,
    cohort_of: &[u16],
    n: usize,
    period_of: F,
) -> RowScan {
    let tasks = RowTasks::new(rows.ts.len(), PeriodSums::bytes(n)).interrupt(rows.interrupt);
    let (sums, bits) = match tasks.private_copies(cohort_of.len() * 8) {
        Some(copies) => packed_private(rows, cohort_of, n, &period_of, tasks, copies),
        None => packed_shared(rows, cohort_of, n, &period_of, tasks),
    };
    RowScan {
        bits: ActiveBits { words: 1, bits },
        revenue: sums.revenue,
        cohort_revenue: sums.cohort,
        before_cohort: sums.before,
    }
}

/// A customer's packed word before the scan: his cohort, no bit.
fn packed(cohort: &u16) -> u64 {
    u64::from(*cohort) << PACKED_PERIODS
}

/// The packed scan with one copy of the words per run of tasks.
fn packed_private<F: Fn(i64) -> Option<i64> + Sync>(
    rows: Rows<'_>,
    cohort_of: &[u16],
    n: usize,
    period_of: &F,
    tasks: RowTasks,
    copies: usize,
) -> (PeriodTotals, Vec<u64>) {
    let runs = tasks.run(
        copies,
        |_| cohort_of.par_iter().map(packed).collect::<Vec<u64>>(),
        |state, range| {
            task_sums(rows, range, n, period_of, |i, r, a| {
                if let Some(&ahead) = rows.codes.get(i + LOOKAHEAD) {
                    prefetch(&state[ahead as usize]);
                }
                let slot = &mut state[rows.codes[i] as usize];
                let c0 = (*slot >> PACKED_PERIODS) as u16;
                // `&` of two flags, not `&&`: no branch.
                *slot |= u64::from((a > 0.0) & (c0 != NO_PERIOD)) << r;
                c0
            })
        },
    );
    let sums = PeriodSums::total(n, runs.iter().flat_map(|(_, s)| s));
    let mut states = runs.into_iter().map(|(state, _)| state);
    let mut bits = states
        .next()
        .unwrap_or_else(|| cohort_of.iter().map(packed).collect());
    for other in states {
        bits.par_chunks_mut(CUSTOMER_TASK)
            .zip(other.par_chunks(CUSTOMER_TASK))
            .for_each(|(b, o)| b.iter_mut().zip(o).for_each(|(b, o)| *b |= o));
    }
    bits.par_iter_mut().for_each(|b| *b &= PACKED_BITS);
    (sums, bits)
}

/// The packed scan with one copy of the words shared by all threads.
fn packed_shared<F: Fn(i64) -> Option<i64> + Sync>(
    rows: Rows<'_>,
    cohort_of: &[u16],
    n: usize,
    period_of: &F,
    tasks: RowTasks,
) -> (PeriodTotals, Vec<u64>) {
    let state: Vec<AtomicU64> = cohort_of
        .iter()
        .map(|c| AtomicU64::new(packed(c)))
        .collect();
    let runs = tasks.run(
        tasks.count(),
        |_| (),
        |_, range| {
            task_sums(rows, range, n, period_of, |i, r, a| {
                if let Some(&ahead) = rows.codes.get(i + LOOKAHEAD) {
                    prefetch(&state[ahead as usize]);
                }
                let slot = &state[rows.codes[i] as usize];
                let word = slot.load(Ordering::Relaxed);
                let c0 = (word >> PACKED_PERIODS) as u16;
                let bit = 1u64 << r;
                // Most rows find their bit set already: test before the locked write.
                if c0 != NO_PERIOD && a > 0.0 && word & bit == 0 {
                    slot.fetch_or(bit, Ordering::Relaxed);
                }
                c0
            })
        },
    );
    let sums = PeriodSums::total(n, runs.iter().flat_map(|(_, s)| s));
    let bits = state
        .into_iter()
        .map(|w| w.into_inner() & PACKED_BITS)
        .collect();
    (sums, bits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_and_word_scans_agree_private_or_shared() {
        // 200,000 rows of 5,000 customers over 40 periods (10 days each),
        // returns included, some customers without a cohort.
        let n_rows = 200_000usize;
        let codes: Vec<u32> = (0..n_rows).map(|i| ((i * 7_919) % 5_000) as u32).collect();
        let ts: Vec<i64> = (0..n_rows).map(|i| ((i * 31) % 397) as i64).collect();
        let amounts: Vec<f64> = (0..n_rows)
            .map(|i| {
                if i % 13 == 0 {
                    -2.5
                } else {
                    (i % 97) as f64 + 0.25
                }
            })
            .collect();
        let cohort_of: Vec<u16> = (0..5_000u16)
            .map(|c| if c % 17 == 0 { NO_PERIOD } else { c % 40 })
            .collect();
        let rows = Rows {
            codes: &codes,
            ts: &ts,
            amounts: &amounts,
            interrupt: &crate::interrupt::Interrupt::default(),
        };
        let period_of = |t: i64| (t < 390).then_some(t / 10);
        let words = scan_rows_words(rows, &cohort_of, 40, period_of);
        let tasks = RowTasks::new(n_rows, PeriodSums::bytes(40));
        let shared = packed_shared(rows, &cohort_of, 40, &period_of, tasks.clone());
        assert_eq!(shared.1, words.bits.bits);
        assert_eq!(shared.0.revenue, words.revenue);
        assert_eq!(shared.0.cohort, words.cohort_revenue);
        for copies in [1, 2, 3] {
            let private = packed_private(rows, &cohort_of, 40, &period_of, tasks.clone(), copies);
            assert_eq!(private, shared, "{copies} copies");
        }
        assert!(shared.1.iter().any(|&w| w.count_ones() > 3));
        assert!(words.bits.bits.iter().step_by(17).all(|&w| w == 0));
    }

    #[test]
    fn bits_iterate_in_order_across_words() {
        let b = ActiveBits {
            words: 2,
            bits: vec![0b1010, 1 << 3, 0, 0],
        };
        assert_eq!(b.periods(0).collect::<Vec<_>>(), [1, 3, 67]);
        assert_eq!(b.periods(1).count(), 0);
        assert_eq!(b.customers(), 2);
    }
}
