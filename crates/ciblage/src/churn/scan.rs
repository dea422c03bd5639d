//! The row passes of the retention analysis, in parallel: the span of
//! local days, then the period of every row, the active-period bitmap of
//! every customer and the revenue per period and per cohort cell.
//!
//! Rows are cut into tasks whose bounds depend only on the number of rows
//! and periods, never on the number of threads, and floating-point partial
//! sums are added in task order: results are the same for any thread count.

use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};

use rayon::prelude::*;

use crate::prefetch::{prefetch, LOOKAHEAD};
use crate::time::Zone;

/// Rows per parallel task.
const ROW_TASK: usize = 1 << 16;
/// Customers per parallel task.
pub(crate) const CUSTOMER_TASK: usize = 1 << 14;
/// Bytes of per-task partial sums allowed at once in one pass.
const PARTIAL_BUDGET: usize = 32 << 20;
/// Cohort of a customer who never bought.
pub(crate) const NO_PERIOD: u16 = u16::MAX;

/// Local days spanned by the rows before the cutoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DaySpan {
    /// First day with a purchase (positive amount), `i64::MAX` if none.
    pub first_purchase: i64,
    /// First day of any row.
    pub first: i64,
    /// Last day of any row.
    pub last: i64,
}

impl DaySpan {
    const EMPTY: Self = Self {
        first_purchase: i64::MAX,
        first: i64::MAX,
        last: i64::MIN,
    };

    fn merge(self, o: Self) -> Self {
        Self {
            first_purchase: self.first_purchase.min(o.first_purchase),
            first: self.first.min(o.first),
            last: self.last.max(o.last),
        }
    }
}

/// The local days of the rows strictly before `cutoff`, and the first
/// purchase day of every customer (`i32::MAX`: no purchase).
pub(crate) fn day_span(
    rows: Rows<'_>,
    n_customers: usize,
    zone: Zone,
    cutoff: i64,
) -> (DaySpan, Vec<i32>) {
    let first_day: Vec<AtomicI32> = std::iter::repeat_with(|| AtomicI32::new(i32::MAX))
        .take(n_customers)
        .collect();
    let span = rows
        .ts
        .par_chunks(ROW_TASK)
        .enumerate()
        .map(|(task, ts)| {
            let lo = task * ROW_TASK;
            let mut s = DaySpan::EMPTY;
            for (j, &t) in ts.iter().enumerate() {
                if t < cutoff {
                    let d = zone.day_of(t);
                    s.first = s.first.min(d);
                    s.last = s.last.max(d);
                    if let Some(&ahead) = rows.codes.get(lo + j + LOOKAHEAD) {
                        prefetch(&first_day[ahead as usize]);
                    }
                    if rows.amounts[lo + j] > 0.0 {
                        s.first_purchase = s.first_purchase.min(d);
                        // Days since 1970 of instants within ±292,000 years.
                        let d = d.clamp(i64::from(i32::MIN), i64::from(i32::MAX - 1)) as i32;
                        let slot = &first_day[rows.codes[lo + j] as usize];
                        if d < slot.load(Ordering::Relaxed) {
                            slot.fetch_min(d, Ordering::Relaxed);
                        }
                    }
                }
            }
            s
        })
        .reduce(|| DaySpan::EMPTY, DaySpan::merge);
    (
        span,
        first_day.into_iter().map(AtomicI32::into_inner).collect(),
    )
}

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

    /// Active periods of customer `code`, ascending.
    pub fn periods(&self, code: usize) -> impl Iterator<Item = usize> + '_ {
        self.of(code).iter().enumerate().flat_map(|(i, &w)| {
            let mut w = w;
            std::iter::from_fn(move || {
                (w != 0).then(|| {
                    let p = i * 64 + w.trailing_zeros() as usize;
                    w &= w - 1;
                    p
                })
            })
        })
    }
}

/// What the second pass gives: the active bitmaps, the revenue of each
/// period and of each cohort in each period since acquisition (triangular
/// layout of [`triangle_offset`]). Rows before the first purchase period,
/// returns, count in period 0; rows of customers who never bought count in
/// the periods, not in the cohorts.
pub(crate) struct RowScan {
    pub bits: ActiveBits,
    pub revenue: Vec<f64>,
    pub cohort_revenue: Vec<f64>,
}

/// The columns of the rows.
#[derive(Clone, Copy)]
pub(crate) struct Rows<'a> {
    pub codes: &'a [u32],
    pub ts: &'a [i64],
    pub amounts: &'a [f64],
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

/// Revenue per period and per cohort cell: rows cut into tasks fixed by the
/// data size, partial sums added in task order. `visit(row, period,
/// amount)` does the caller's work for a counted row and gives the
/// customer's cohort (`None`: no cohort).
fn revenue_sums<F, V>(rows: Rows<'_>, n: usize, period_of: &F, visit: V) -> (Vec<f64>, Vec<f64>)
where
    F: Fn(i64) -> Option<i64> + Sync,
    V: Fn(usize, usize, f64) -> Option<usize> + Sync,
{
    let cells = n * (n + 1) / 2;
    let row_count = rows.ts.len();
    let affordable = (PARTIAL_BUDGET / ((cells + n) * 8).max(1)).max(1);
    let tasks = row_count.div_ceil(ROW_TASK).clamp(1, affordable);
    let task_rows = row_count.div_ceil(tasks).max(1);
    let partial: Vec<(Vec<f64>, Vec<f64>)> = (0..row_count.div_ceil(task_rows))
        .into_par_iter()
        .map(|task| {
            let mut revenue = vec![0.0; n];
            let mut cohort = vec![0.0; cells];
            for i in task * task_rows..((task + 1) * task_rows).min(row_count) {
                let Some(r) = period_of(rows.ts[i]) else {
                    continue;
                };
                let r = r.max(0) as usize;
                let a = rows.amounts[i];
                revenue[r] += a;
                if let Some(c0) = visit(i, r, a) {
                    cohort[triangle_offset(c0, n) + r.saturating_sub(c0)] += a;
                }
            }
            (revenue, cohort)
        })
        .collect();
    let mut revenue = vec![0.0; n];
    let mut cohort_revenue = vec![0.0; cells];
    for (r, c) in &partial {
        add_to(&mut revenue, r);
        add_to(&mut cohort_revenue, c);
    }
    (revenue, cohort_revenue)
}

/// [`scan_rows`] for any number of periods: bitmaps of `⌈n / 64⌉` words.
fn scan_rows_words<F: Fn(i64) -> Option<i64> + Sync>(
    rows: Rows<'_>,
    cohort_of: &[u16],
    n_periods: usize,
    period_of: F,
) -> RowScan {
    let words = n_periods.div_ceil(64).max(1);
    let bits: Vec<AtomicU64> = std::iter::repeat_with(|| AtomicU64::new(0))
        .take(cohort_of.len() * words)
        .collect();
    let (revenue, cohort_revenue) = revenue_sums(rows, n_periods, &period_of, |i, r, a| {
        let code = rows.codes[i] as usize;
        let c0 = cohort_of[code];
        if c0 == NO_PERIOD {
            return None;
        }
        if a > 0.0 {
            let (at, bit) = (code * words + r / 64, 1u64 << (r % 64));
            // Most rows find their bit set already: test before the locked write.
            if bits[at].load(Ordering::Relaxed) & bit == 0 {
                bits[at].fetch_or(bit, Ordering::Relaxed);
            }
        }
        Some(usize::from(c0))
    });
    RowScan {
        bits: ActiveBits {
            words,
            bits: bits.into_iter().map(AtomicU64::into_inner).collect(),
        },
        revenue,
        cohort_revenue,
    }
}

/// Periods that fit beside a 16-bit cohort in one 64-bit word.
const PACKED_PERIODS: usize = 48;

/// [`scan_rows`] for at most [`PACKED_PERIODS`] periods: each customer's
/// cohort and active bits share one word, so a row reads one cache line
/// of customer state instead of two.
fn scan_rows_packed<F: Fn(i64) -> Option<i64> + Sync>(
    rows: Rows<'_>,
    cohort_of: &[u16],
    n_periods: usize,
    period_of: F,
) -> RowScan {
    const BITS: u64 = (1 << PACKED_PERIODS) - 1;
    let state: Vec<AtomicU64> = cohort_of
        .iter()
        .map(|&c| AtomicU64::new(u64::from(c) << PACKED_PERIODS))
        .collect();
    let (revenue, cohort_revenue) = revenue_sums(rows, n_periods, &period_of, |i, r, a| {
        if let Some(&ahead) = rows.codes.get(i + LOOKAHEAD) {
            prefetch(&state[ahead as usize]);
        }
        let slot = &state[rows.codes[i] as usize];
        let word = slot.load(Ordering::Relaxed);
        let c0 = (word >> PACKED_PERIODS) as u16;
        if c0 == NO_PERIOD {
            return None;
        }
        let bit = 1u64 << r;
        // Most rows find their bit set already: test before the locked write.
        if a > 0.0 && word & bit == 0 {
            slot.fetch_or(bit, Ordering::Relaxed);
        }
        Some(usize::from(c0))
    });
    RowScan {
        bits: ActiveBits {
            words: 1,
            bits: state.into_iter().map(|w| w.into_inner() & BITS).collect(),
        },
        revenue,
        cohort_revenue,
    }
}

fn add_to(total: &mut [f64], part: &[f64]) {
    total.iter_mut().zip(part).for_each(|(t, v)| *t += v);
}

/// Offset of cohort `c0` in a triangular layout of `n` cohorts, cohort
/// `c0` having `n − c0` cells.
#[inline]
pub(crate) fn triangle_offset(c0: usize, n: usize) -> usize {
    // Σ_{j < c0} (n − j) = c0·n − c0·(c0 − 1)/2.
    c0 * n - c0 * c0.saturating_sub(1) / 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triangle_offsets_pack_rows() {
        // n = 4: rows of 4, 3, 2, 1 cells start at 0, 4, 7, 9; 10 in all.
        let n = 4;
        let starts: Vec<usize> = (0..n).map(|c| triangle_offset(c, n)).collect();
        assert_eq!(starts, [0, 4, 7, 9]);
        assert_eq!(triangle_offset(n - 1, n) + 1, n * (n + 1) / 2);
    }

    #[test]
    fn packed_and_word_scans_agree() {
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
        };
        let period_of = |t: i64| (t < 390).then_some(t / 10);
        let packed = scan_rows_packed(rows, &cohort_of, 40, period_of);
        let words = scan_rows_words(rows, &cohort_of, 40, period_of);
        assert_eq!(packed.bits, words.bits);
        assert_eq!(packed.revenue, words.revenue);
        assert_eq!(packed.cohort_revenue, words.cohort_revenue);
        assert!(packed.bits.bits.iter().any(|&w| w.count_ones() > 3));
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
