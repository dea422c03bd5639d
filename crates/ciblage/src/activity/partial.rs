//! The mergeable per-customer state behind [`super::ActivityAccumulator`].

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
        let (lo, hi) = (self.base, self.base + self.customers.len());
        for i in 0..rows.codes.len() {
            if let Some(&ahead) = rows.codes.get(i + LOOKAHEAD) {
                let ahead = ahead as usize;
                if ahead >= lo && ahead < hi {
                    prefetch(&self.customers[ahead - lo]);
                }
            }
            let code = rows.codes[i] as usize;
            if code < lo || code >= hi {
                continue;
            }
            let a = rows.amounts[i];
            if !a.is_finite() {
                return Err(CiblageError::NonFinite {
                    argument: "amount".into(),
                    row: rows.row0 + i,
                    value: a,
                });
            }
            let t = rows.ts[i];
            if t >= cutoff {
                out.report.rows_after_as_of += 1;
                continue;
            }
            if a < 0.0 {
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
            let c = code - lo;
            let state = &mut self.customers[c];
            state.first = state.first.min(t);
            state.last = state.last.max(t);
            state.transactions += 1;
            state.revenue += a;
            if let Some(costs) = rows.costs {
                let k = costs[i];
                if !k.is_finite() {
                    return Err(CiblageError::NonFinite {
                        argument: "cost".into(),
                        row: rows.row0 + i,
                        value: k,
                    });
                }
                self.cost[c] += k;
            }
            if opts.distinct_days {
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

    pub fn merge(mut self, other: Self) -> Self {
        if self.customers.len() < other.customers.len() {
            return other.merge(self);
        }
        for (mine, theirs) in self.customers.iter_mut().zip(&other.customers) {
            mine.first = mine.first.min(theirs.first);
            mine.last = mine.last.max(theirs.last);
            mine.transactions += theirs.transactions;
            mine.revenue += theirs.revenue;
        }
        for (mine, theirs) in self.cost.iter_mut().zip(&other.cost) {
            *mine += theirs;
        }
        self.day_keys.extend_from_slice(&other.day_keys);
        self.report.merge(&other.report);
        self
    }
}
