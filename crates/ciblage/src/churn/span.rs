//! The first row pass of the retention analysis: the span of local days
//! and the first purchase day of every customer.

use std::sync::atomic::{AtomicI32, Ordering};

use rayon::prelude::*;

use crate::prefetch::{prefetch, LOOKAHEAD};
use crate::time::Zone;

use super::scan::{Rows, CUSTOMER_TASK};
use super::tasks::RowTasks;

/// Local days spanned by the rows before the cutoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DaySpan {
    /// First day with a purchase (positive amount), `i64::MAX` if none.
    pub first_purchase: i64,
    /// First day of any row.
    pub first: i64,
    /// Last day of any row.
    pub last: i64,
    /// Rows on or after the cutoff (left out).
    pub after_cutoff: u64,
}

impl DaySpan {
    const EMPTY: Self = Self {
        first_purchase: i64::MAX,
        first: i64::MAX,
        last: i64::MIN,
        after_cutoff: 0,
    };

    fn merge(self, o: Self) -> Self {
        Self {
            first_purchase: self.first_purchase.min(o.first_purchase),
            first: self.first.min(o.first),
            last: self.last.max(o.last),
            after_cutoff: self.after_cutoff + o.after_cutoff,
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
    let tasks = RowTasks::new(rows.ts.len(), 0).interrupt(rows.interrupt);
    match tasks.private_copies(n_customers * 4) {
        Some(copies) => span_private(rows, n_customers, zone, cutoff, tasks, copies),
        None => span_shared(rows, n_customers, zone, cutoff, tasks),
    }
}

/// Days since 1970 of instants within ±292,000 years.
fn day32(d: i64) -> i32 {
    d.clamp(i64::from(i32::MIN), i64::from(i32::MAX - 1)) as i32
}

/// [`day_span`] with one copy of the first days per run of tasks: no
/// atomics, and a row updates its customer's slot without a branch (rows
/// of no purchase write the slot back unchanged).
fn span_private(
    rows: Rows<'_>,
    n_customers: usize,
    zone: Zone,
    cutoff: i64,
    tasks: RowTasks,
    copies: usize,
) -> (DaySpan, Vec<i32>) {
    let runs = tasks.run(
        copies,
        |_| vec![i32::MAX; n_customers],
        |first_day, range| {
            let mut s = DaySpan::EMPTY;
            for i in range {
                let t = rows.ts[i];
                if t >= cutoff {
                    s.after_cutoff += 1;
                    continue;
                }
                if let Some(&ahead) = rows.codes.get(i + LOOKAHEAD) {
                    prefetch(&first_day[ahead as usize]);
                }
                let d = zone.day_of(t);
                s.first = s.first.min(d);
                s.last = s.last.max(d);
                let bought = rows.amounts[i] > 0.0;
                s.first_purchase = s.first_purchase.min(if bought { d } else { i64::MAX });
                let slot = &mut first_day[rows.codes[i] as usize];
                *slot = (*slot).min(if bought { day32(d) } else { i32::MAX });
            }
            s
        },
    );
    let mut span = DaySpan::EMPTY;
    let mut merged: Option<Vec<i32>> = None;
    for (first_day, spans) in runs {
        span = spans.into_iter().fold(span, DaySpan::merge);
        match merged.as_mut() {
            None => merged = Some(first_day),
            Some(m) => min_into(m, &first_day),
        }
    }
    (span, merged.unwrap_or_else(|| vec![i32::MAX; n_customers]))
}

/// `m[i] = min(m[i], other[i])`, in parallel.
fn min_into(m: &mut [i32], other: &[i32]) {
    m.par_chunks_mut(CUSTOMER_TASK)
        .zip(other.par_chunks(CUSTOMER_TASK))
        .for_each(|(m, o)| m.iter_mut().zip(o).for_each(|(a, &b)| *a = (*a).min(b)));
}

/// [`day_span`] with one array of first days shared by all threads.
fn span_shared(
    rows: Rows<'_>,
    n_customers: usize,
    zone: Zone,
    cutoff: i64,
    tasks: RowTasks,
) -> (DaySpan, Vec<i32>) {
    let first_day: Vec<AtomicI32> = std::iter::repeat_with(|| AtomicI32::new(i32::MAX))
        .take(n_customers)
        .collect();
    let runs = tasks.run(
        // One run per task: rayon balances them over the threads.
        tasks.count(),
        |_| (),
        |_, range| {
            let mut s = DaySpan::EMPTY;
            for i in range {
                let t = rows.ts[i];
                s.after_cutoff += u64::from(t >= cutoff);
                if t < cutoff {
                    let d = zone.day_of(t);
                    s.first = s.first.min(d);
                    s.last = s.last.max(d);
                    if let Some(&ahead) = rows.codes.get(i + LOOKAHEAD) {
                        prefetch(&first_day[ahead as usize]);
                    }
                    if rows.amounts[i] > 0.0 {
                        s.first_purchase = s.first_purchase.min(d);
                        let d = day32(d);
                        let slot = &first_day[rows.codes[i] as usize];
                        if d < slot.load(Ordering::Relaxed) {
                            slot.fetch_min(d, Ordering::Relaxed);
                        }
                    }
                }
            }
            s
        },
    );
    let span = runs
        .into_iter()
        .flat_map(|(_, s)| s)
        .fold(DaySpan::EMPTY, DaySpan::merge);
    (
        span,
        first_day.into_iter().map(AtomicI32::into_inner).collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_shared_spans_agree() {
        // 100,000 rows of 3,000 customers over 500 days, returns and rows
        // after the cutoff included; customers 2,999 and 2,998 have no row.
        let n_rows = 100_000usize;
        let codes: Vec<u32> = (0..n_rows).map(|i| ((i * 7_919) % 2_998) as u32).collect();
        let ts: Vec<i64> = (0..n_rows)
            .map(|i| ((i * 31) % 500) as i64 * 86_400_000_000 + 3_600_000_000)
            .collect();
        let amounts: Vec<f64> = (0..n_rows)
            .map(|i| if i % 11 == 0 { -3.0 } else { 10.0 })
            .collect();
        let rows = Rows {
            codes: &codes,
            ts: &ts,
            amounts: &amounts,
            interrupt: &crate::interrupt::Interrupt::default(),
        };
        let cutoff = 480 * 86_400_000_000;
        let tasks = RowTasks::new(n_rows, 0);
        let shared = span_shared(rows, 3_000, Zone::Utc, cutoff, tasks.clone());
        for copies in [1, 2, 5] {
            let private = span_private(rows, 3_000, Zone::Utc, cutoff, tasks.clone(), copies);
            assert_eq!(private, shared);
        }
        assert_eq!(
            shared.0,
            DaySpan {
                first_purchase: 0,
                first: 0,
                last: 479,
                // Days 480–499 of the 500-day cycle: 20 of every 500 rows.
                after_cutoff: (0..n_rows).filter(|i| (i * 31) % 500 >= 480).count() as u64,
            }
        );
        assert_eq!(shared.1[2_999], i32::MAX);
        // Customer 0's rows are i = 2,998·k; by hand, his first purchase
        // is the smallest (2,998·k·31) mod 500 over k with 11 ∤ 2,998·k.
        let by_hand = (0..n_rows)
            .filter(|i| i % 2_998 == 0 && i % 11 != 0 && (i * 31) % 500 < 480)
            .map(|i| ((i * 31) % 500) as i32)
            .min();
        assert_eq!(Some(shared.1[0]), by_hand);
    }
}
