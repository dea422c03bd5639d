//! How the row passes of the retention analysis share out their work.
//!
//! Rows are cut into tasks whose bounds depend only on the number of rows
//! and periods, never on the number of threads, and floating-point partial
//! sums are kept per task and added in task order: sums are the same for
//! any thread count.
//!
//! Per-customer state (first purchase day, active-period bits) is updated
//! at random. When it is small enough, every thread gets its own copy,
//! updated without atomics or branches and merged at the end (a minimum or
//! a bitwise or, whose result does not depend on the order); otherwise one
//! shared copy is updated with atomics.
//!
//! Cohort cells are laid out in one triangle ([`triangle_offset`]), shared
//! by the row scan, the task sums and the cohort tables.

use std::ops::Range;

use rayon::prelude::*;

use crate::exact_sum::ExactSum;
use crate::interrupt::Interrupt;

/// Rows per task.
const ROW_TASK: usize = 1 << 16;
/// Bytes of per-task partial sums allowed at once in one pass.
const PARTIAL_BUDGET: usize = 32 << 20;
/// Bytes of per-thread copies of customer state allowed in one pass.
const PRIVATE_BUDGET: usize = 256 << 20;

/// The row tasks of one pass.
#[derive(Debug, Clone)]
pub(crate) struct RowTasks {
    rows: usize,
    per_task: usize,
    count: usize,
    interrupt: Interrupt,
}

impl RowTasks {
    /// Tasks over `rows` rows, each keeping `partial_bytes` of partial sums.
    pub fn new(rows: usize, partial_bytes: usize) -> Self {
        let affordable = (PARTIAL_BUDGET / partial_bytes.max(1)).max(1);
        let wanted = rows.div_ceil(ROW_TASK).clamp(1, affordable);
        let per_task = rows.div_ceil(wanted).max(1);
        Self {
            rows,
            per_task,
            count: rows.div_ceil(per_task),
            interrupt: Interrupt::default(),
        }
    }

    /// The tasks left when `token` is set get no rows (see [`Interrupt`]).
    pub fn interrupt(mut self, token: &Interrupt) -> Self {
        self.interrupt = token.clone();
        self
    }

    /// Number of tasks.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Rows of task `task`.
    pub fn rows(&self, task: usize) -> Range<usize> {
        task * self.per_task..((task + 1) * self.per_task).min(self.rows)
    }

    /// Number of per-thread copies of a state of `state_bytes` to use: one
    /// per thread when they fit the budget, else `None` (share one copy).
    pub fn private_copies(&self, state_bytes: usize) -> Option<usize> {
        let threads = rayon::current_num_threads().clamp(1, self.count.max(1));
        (threads.saturating_mul(state_bytes) <= PRIVATE_BUDGET).then_some(threads)
    }

    /// Runs the tasks in `pieces` runs of consecutive tasks, in parallel;
    /// run `p` starts from `init(p)` and works its tasks in order, `work`
    /// giving one output per task. Returns each run's state and outputs,
    /// in task order.
    pub fn run<S, T, I, W>(&self, pieces: usize, init: I, work: W) -> Vec<(S, Vec<T>)>
    where
        S: Send,
        T: Send,
        I: Fn(usize) -> S + Sync,
        W: Fn(&mut S, Range<usize>) -> T + Sync,
    {
        let pieces = pieces.clamp(1, self.count.max(1));
        (0..pieces)
            .into_par_iter()
            .map(|p| {
                let mut state = init(p);
                let outputs = (p * self.count / pieces..(p + 1) * self.count / pieces)
                    .map(|task| {
                        let rows = if self.interrupt.is_set() {
                            0..0
                        } else {
                            self.rows(task)
                        };
                        work(&mut state, rows)
                    })
                    .collect();
                (state, outputs)
            })
            .collect()
    }
}

/// Revenue per period and per cohort cell (triangular layout of
/// [`triangle_offset`]) of one task, and per cohort the revenue of its
/// customers' rows dated before the cohort period (returns, zero rows):
/// exact sums (see [`crate::exact_sum`]), so that the totals do not depend
/// on the cut of the rows into tasks.
#[derive(Debug, Clone)]
pub(crate) struct PeriodSums {
    n: usize,
    revenue: Vec<ExactSum>,
    cohort: Vec<ExactSum>,
    before: Vec<ExactSum>,
}

/// The sums of all tasks, each rounded once.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PeriodTotals {
    pub revenue: Vec<f64>,
    pub cohort: Vec<f64>,
    pub before: Vec<f64>,
}

impl PeriodSums {
    /// Zero sums over `n` periods.
    pub fn new(n: usize) -> Self {
        Self {
            n,
            revenue: vec![ExactSum::new(); n],
            cohort: vec![ExactSum::new(); n * (n + 1) / 2],
            before: vec![ExactSum::new(); n],
        }
    }

    /// Bytes held by the sums of `n` periods.
    pub fn bytes(n: usize) -> usize {
        (2 * n + n * (n + 1) / 2) * std::mem::size_of::<ExactSum>()
    }

    /// Adds amount `a` of a row in period `r` of a customer of cohort `c0`
    /// (`None`: no cohort). Rows before the cohort's period count apart, in
    /// `before`: no cell of the cohort row holds them.
    #[inline]
    pub fn add(&mut self, r: usize, c0: Option<usize>, a: f64) {
        self.revenue[r].add(a);
        if let Some(c0) = c0 {
            if r < c0 {
                self.before[c0].add(a);
            } else {
                self.cohort[triangle_offset(c0, self.n) + r - c0].add(a);
            }
        }
    }

    /// The sums of all tasks, rounded.
    pub fn total<'a>(n: usize, parts: impl IntoIterator<Item = &'a PeriodSums>) -> PeriodTotals {
        let mut total = Self::new(n);
        for p in parts {
            add_to(&mut total.revenue, &p.revenue);
            add_to(&mut total.cohort, &p.cohort);
            add_to(&mut total.before, &p.before);
        }
        let round = |v: Vec<ExactSum>| v.iter().map(ExactSum::value).collect();
        PeriodTotals {
            revenue: round(total.revenue),
            cohort: round(total.cohort),
            before: round(total.before),
        }
    }
}

fn add_to(total: &mut [ExactSum], part: &[ExactSum]) {
    total.iter_mut().zip(part).for_each(|(t, v)| t.merge(v));
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
    fn tasks_cover_rows_once_in_order_for_any_piece_count() {
        let tasks = RowTasks::new(300_001, 8);
        for pieces in [1, 2, 3, 7, 100] {
            let runs = tasks.run(pieces, |_| (), |_, r| r);
            let ranges: Vec<Range<usize>> = runs.into_iter().flat_map(|(_, t)| t).collect();
            assert_eq!(ranges.first().map(|r| r.start), Some(0));
            assert!(ranges.windows(2).all(|w| w[0].end == w[1].start));
            assert_eq!(ranges.last().map(|r| r.end), Some(300_001));
        }
    }

    #[test]
    fn partial_budget_limits_task_count() {
        // 1 MiB of sums per task: at most 32 tasks, however many rows.
        let tasks = RowTasks::new(10_000_000, 1 << 20);
        assert_eq!(tasks.count, 32);
        assert_eq!(RowTasks::new(0, 8).count, 0);
    }

    #[test]
    fn sums_keep_rows_before_the_cohort_apart() {
        // n = 3: cohort 1 has cells (1, k=0) at 3 and (1, k=1) at 4. A
        // return in period 0 of a customer acquired in period 1 is revenue
        // of period 0, and of no cohort cell: it is kept in `before[1]`.
        let mut s = PeriodSums::new(3);
        s.add(2, Some(1), 5.0);
        s.add(0, Some(1), -1.0);
        s.add(1, None, 2.0);
        let one = PeriodSums::total(3, [&s]);
        assert_eq!(one.revenue, [-1.0, 2.0, 5.0]);
        assert_eq!(one.cohort, [0.0, 0.0, 0.0, 0.0, 5.0, 0.0]);
        assert_eq!(one.before, [0.0, -1.0, 0.0]);
        let t = PeriodSums::total(3, [&s, &s]);
        // Exact sums: 1e16 + 1 − 1e16 is 1 however the rows fall into
        // tasks (a running f64 sum gives 0 in this order).
        let mut a = PeriodSums::new(1);
        let mut b = PeriodSums::new(1);
        a.add(0, Some(0), 1e16);
        a.add(0, Some(0), 1.0);
        b.add(0, Some(0), -1e16);
        let (ab, ba) = (
            PeriodSums::total(1, [&a, &b]),
            PeriodSums::total(1, [&b, &a]),
        );
        assert_eq!((ab.revenue[0], ab.cohort[0]), (1.0, 1.0));
        assert_eq!(ab, ba);
        assert_eq!(t.revenue, [-2.0, 4.0, 10.0]);
        assert_eq!(t.before, [0.0, -2.0, 0.0]);
    }
}
