//! The mergeable per-customer state behind [`super::ActivityAccumulator`].

use rayon::prelude::*;

use crate::error::{CiblageError, Result};
use crate::prefetch::{prefetch, LOOKAHEAD};
use crate::transactions::NegativeAmounts;

use super::{ActivityOptions, InputReport};

/// First/last marker of a customer none of whose rows were counted.
pub(super) const NO_ROW: i64 = i64::MAX;

/// The running totals of one customer, kept together so that a row touches
/// one cache line (32 bytes, aligned).
#[derive(Debug, Clone, Copy)]
#[repr(C, align(32))]
pub(super) struct CustomerState {
    pub first: i64,
    pub last: i64,
    pub revenue: f64,
    pub transactions: u32,
}

impl Default for CustomerState {
    fn default() -> Self {
        Self {
            first: NO_ROW,
            last: i64::MIN,
            revenue: 0.0,
            transactions: 0,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub(super) struct Partial {
    pub customers: Vec<CustomerState>,
    pub cost: Vec<f64>,
    pub day_keys: Vec<u64>,
    pub report: InputReport,
}

/// Rows of one chunk, shared by every task.
#[derive(Clone, Copy)]
pub(super) struct Rows<'a> {
    pub codes: &'a [u32],
    pub ts: &'a [i64],
    pub amounts: &'a [f64],
    pub costs: Option<&'a [f64]>,
    pub row0: usize,
}

/// The state of the customers with codes `base..base + first.len()`.
pub(super) struct CodeRange<'a> {
    base: usize,
    customers: &'a mut [CustomerState],
    cost: &'a mut [f64],
}

/// What one task found besides the per-customer state.
#[derive(Default)]
pub(super) struct TaskOutput {
    pub day_keys: Vec<u64>,
    pub report: InputReport,
}

impl CodeRange<'_> {
    /// Absorbs the rows whose customer falls in this range, in row order, so
    /// that every sum is the same whatever the number of ranges.
    pub fn absorb(
        &mut self,
        opts: &ActivityOptions,
        cutoff: i64,
        rows: Rows<'_>,
    ) -> Result<TaskOutput> {
        let mut out = TaskOutput::default();
        let (lo, len) = (self.base, self.customers.len());
        if len == 0 {
            return Ok(out);
        }
        // Rows fall in or out of this range at random: the loop tests it
        // without a branch, rows of other ranges updating a scratch state
        // (a mispredicted branch per row would stall the cache misses the
        // loop overlaps). Rare cases (non-finite, late or negative amounts)
        // take a branch, for rows of this range only.
        let mut overflow = CustomerState::default();
        let mut overflow_cost = 0.0;
        for i in 0..rows.codes.len() {
            if let Some(&ahead) = rows.codes.get(i + LOOKAHEAD) {
                let k = (ahead as usize).wrapping_sub(lo).min(len - 1);
                prefetch(&self.customers[k]);
            }
            let code = rows.codes[i] as usize;
            let c = code.wrapping_sub(lo);
            let inside = c < len;
            let (a, t) = (rows.amounts[i], rows.ts[i]);
            if inside & (!a.is_finite() | (t > cutoff) | (a < 0.0)) {
                if !a.is_finite() {
                    return Err(CiblageError::NonFinite {
                        argument: "amount".into(),
                        row: rows.row0 + i,
                        value: a,
                    });
                }
                if t > cutoff {
                    out.report.rows_after_as_of += 1;
                    continue;
                }
                out.report.negative_rows += 1;
                match opts.negative_amounts {
                    NegativeAmounts::Keep => {}
                    NegativeAmounts::Exclude => {
                        out.report.negative_rows_excluded += 1;
                        continue;
                    }
                    NegativeAmounts::Reject => {
                        return Err(CiblageError::NegativeAmount {
                            argument: "amount".into(),
                            row: rows.row0 + i,
                            value: a,
                        })
                    }
                }
            }
            let at = if inside { c } else { 0 };
            let state = if inside {
                &mut self.customers[at]
            } else {
                &mut overflow
            };
            state.first = state.first.min(t);
            state.last = state.last.max(t);
            state.transactions += 1;
            state.revenue += a;
            if let Some(costs) = rows.costs {
                let k = costs[i];
                if inside & !k.is_finite() {
                    return Err(CiblageError::NonFinite {
                        argument: "cost".into(),
                        row: rows.row0 + i,
                        value: k,
                    });
                }
                let cost = if inside {
                    &mut self.cost[at]
                } else {
                    &mut overflow_cost
                };
                *cost += k;
            }
            if opts.distinct_days && inside {
                let day = opts.zone.day_of(t);
                out.day_keys
                    .push(((code as u64) << 32) | u64::from((day + (1 << 31)) as u32));
            }
        }
        Ok(out)
    }
}

impl Partial {
    pub fn grow(&mut self, n: usize, has_cost: bool) {
        if self.customers.len() < n {
            self.customers.resize(n, CustomerState::default());
            if has_cost {
                self.cost.resize(n, 0.0);
            }
        }
    }

    /// Splits the state into `parts` contiguous code ranges.
    pub fn ranges(&mut self, parts: usize) -> Vec<CodeRange<'_>> {
        let n = self.customers.len();
        let step = n.div_ceil(parts.max(1)).max(1);
        let mut out = Vec::with_capacity(parts);
        let mut customers = &mut self.customers[..];
        let mut cost = &mut self.cost[..];
        let mut base = 0;
        while base < n {
            let len = step.min(n - base);
            let (s, s2) = customers.split_at_mut(len);
            let (c, c2) = cost.split_at_mut(len.min(cost.len()));
            out.push(CodeRange {
                base,
                customers: s,
                cost: c,
            });
            (customers, cost) = (s2, c2);
            base += len;
        }
        out
    }

    /// Adds the per-customer state of `later` (rows that came after; the
    /// customers both know) to this one, on all threads.
    pub fn add_sums(&mut self, later: &Self) {
        self.customers
            .par_iter_mut()
            .zip(later.customers.par_iter())
            .for_each(|(mine, theirs)| {
                mine.first = mine.first.min(theirs.first);
                mine.last = mine.last.max(theirs.last);
                mine.transactions += theirs.transactions;
                mine.revenue += theirs.revenue;
            });
        self.cost
            .par_iter_mut()
            .zip(later.cost.par_iter())
            .for_each(|(mine, theirs)| *mine += theirs);
    }

    /// Adds the per-customer state of the `later` pieces, in order, to this
    /// one: the sums of [`Partial::add_sums`] piece after piece, in one pass
    /// over the customers (by blocks, on all threads) rather than one pass
    /// per piece.
    pub fn add_pieces(&mut self, later: &[Self]) {
        const BLOCK: usize = 1 << 12;
        if later.is_empty() {
            return;
        }
        self.customers
            .par_chunks_mut(BLOCK)
            .enumerate()
            .for_each(|(b, mine)| {
                let at = b * BLOCK;
                for piece in later {
                    let theirs = &piece.customers[at..at + mine.len()];
                    for (m, t) in mine.iter_mut().zip(theirs) {
                        m.first = m.first.min(t.first);
                        m.last = m.last.max(t.last);
                        m.transactions += t.transactions;
                        m.revenue += t.revenue;
                    }
                }
            });
        self.cost
            .par_chunks_mut(BLOCK)
            .enumerate()
            .for_each(|(b, mine)| {
                let at = b * BLOCK;
                for piece in later {
                    let theirs = &piece.cost[at..at + mine.len()];
                    mine.iter_mut().zip(theirs).for_each(|(m, t)| *m += t);
                }
            });
    }

    pub fn merge(mut self, other: Self) -> Self {
        if self.customers.len() < other.customers.len() {
            return other.merge(self);
        }
        self.add_sums(&other);
        self.day_keys.extend_from_slice(&other.day_keys);
        self.report.merge(&other.report);
        self
    }
}
