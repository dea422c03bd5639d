//! The mergeable per-customer state behind [`super::ActivityAccumulator`].

use rayon::prelude::*;

use crate::error::{CiblageError, Result};
use crate::exact_sum::{add96, add_shifted, get96, set96, shift96, Reach, SpillTable, MAX_SHIFT96};
use crate::prefetch::{prefetch, LOOKAHEAD};
use crate::transactions::NegativeAmounts;

use super::{ActivityOptions, InputReport};

/// First/last marker of a customer none of whose rows were counted.
pub(super) const NO_ROW: i64 = i64::MAX;

/// The running totals of one customer, kept together so that a row touches
/// one cache line (32 bytes, aligned). Revenue is an exact 96-bit integer
/// (`rev_lo`, `rev_hi`) in units of the partial state's shared exponent.
#[derive(Debug, Clone, Copy)]
#[repr(C, align(32))]
pub(super) struct CustomerState {
    pub first: i64,
    pub last: i64,
    pub rev_lo: u64,
    pub rev_hi: i32,
    pub transactions: u32,
}

impl Default for CustomerState {
    fn default() -> Self {
        Self {
            first: NO_ROW,
            last: i64::MIN,
            rev_lo: 0,
            rev_hi: 0,
            transactions: 0,
        }
    }
}

impl CustomerState {
    #[inline]
    pub(super) fn revenue(&self) -> i128 {
        get96(self.rev_lo, self.rev_hi)
    }
}

/// An exact 96-bit sum in units of a shared exponent (see
/// [`crate::exact_sum::add96`]).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Wide {
    lo: u64,
    hi: i32,
}

impl Wide {
    #[inline]
    pub(super) fn get(self) -> i128 {
        get96(self.lo, self.hi)
    }

    /// Adds `x` in units of `2^exp` when it fits (see
    /// [`crate::exact_sum::add96`]); false (nothing added) otherwise.
    #[inline]
    pub fn add(&mut self, x: f64, exp: i32) -> bool {
        add96(&mut self.lo, &mut self.hi, x, exp)
    }
}

/// Shared binary exponents of the 96-bit sums (`i32::MAX` until a value
/// sets one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Exps {
    pub revenue: i32,
    pub cost: i32,
}

impl Default for Exps {
    fn default() -> Self {
        Self {
            revenue: i32::MAX,
            cost: i32::MAX,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub(super) struct Partial {
    pub customers: Vec<CustomerState>,
    pub cost: Vec<Wide>,
    pub day_keys: Vec<u64>,
    pub report: InputReport,
    /// Exponents of the revenue and cost sums.
    pub exps: Exps,
    /// Revenue terms that did not fit a customer's 96-bit sum.
    pub revenue_spill: SpillTable,
    /// Cost terms that did not fit.
    pub cost_spill: SpillTable,
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
    cost: &'a mut [Wide],
    exps: Exps,
}

/// What one task found besides the per-customer state.
#[derive(Default)]
pub(super) struct TaskOutput {
    pub day_keys: Vec<u64>,
    pub report: InputReport,
    /// Rows (code, amount) whose amount did not fit the 96-bit sum.
    pub revenue_spill: Vec<(u32, f64)>,
    /// Rows (code, cost) whose cost did not fit.
    pub cost_spill: Vec<(u32, f64)>,
}

impl CodeRange<'_> {
    /// Absorbs the rows whose customer falls in this range. The sums are
    /// exact, so that they do not depend on the order of the rows nor on the
    /// number of ranges.
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
        let mut overflow_cost = Wide::default();
        let exps = self.exps;
        let (rev, cst) = (Reach::of(exps.revenue), Reach::of(exps.cost));
        for i in 0..rows.codes.len() {
            if let Some(&ahead) = rows.codes.get(i + LOOKAHEAD) {
                let k = (ahead as usize).wrapping_sub(lo).min(len - 1);
                prefetch(&self.customers[k]);
            }
            let code = rows.codes[i] as usize;
            let c = code.wrapping_sub(lo);
            let inside = c < len;
            let (a, t) = (rows.amounts[i], rows.ts[i]);
            // One unsigned comparison of the amount's sign and exponent
            // bits tells a positive amount within the shared exponent's
            // reach (the common case, added as an integer below) from a
            // non-finite, negative, zero or out-of-reach one.
            let shift = rev.shift(a);
            if inside & ((t > cutoff) | (shift > MAX_SHIFT96)) {
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
            // Amounts the 96-bit sum cannot take exactly (rare) are set
            // aside, per customer, in an exact side table.
            let fits = if shift <= MAX_SHIFT96 {
                add_shifted(&mut state.rev_lo, &mut state.rev_hi, a, shift)
            } else {
                add96(&mut state.rev_lo, &mut state.rev_hi, a, exps.revenue)
            };
            if inside & !fits {
                out.revenue_spill.push((code as u32, a));
            }
            if let Some(costs) = rows.costs {
                let k = costs[i];
                let shift = cst.shift(k);
                if inside & (shift > MAX_SHIFT96) & !k.is_finite() {
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
                let fits = if shift <= MAX_SHIFT96 {
                    add_shifted(&mut cost.lo, &mut cost.hi, k, shift)
                } else {
                    add96(&mut cost.lo, &mut cost.hi, k, exps.cost)
                };
                if inside & !fits {
                    out.cost_spill.push((code as u32, k));
                }
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
                self.cost.resize(n, Wide::default());
            }
        }
    }

    /// A state for `n` customers with exponents `exps`.
    pub fn fresh(exps: Exps, n: usize, has_cost: bool) -> Self {
        let mut part = Self {
            exps,
            ..Self::default()
        };
        part.grow(n, has_cost);
        part
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
                exps: self.exps,
            });
            (customers, cost) = (s2, c2);
            base += len;
        }
        out
    }

    /// Sets aside the terms a task could not add to the 96-bit sums.
    pub fn absorb_spills(&mut self, out: &TaskOutput) {
        for &(code, a) in &out.revenue_spill {
            self.revenue_spill.add(code, a);
        }
        for &(code, k) in &out.cost_spill {
            self.cost_spill.add(code, k);
        }
    }

    /// Lowers the shared exponents to `exps` (where lower), shifting every
    /// sum; a sum the shift would overflow moves to the side table.
    pub fn lower_exps(&mut self, exps: Exps) {
        let old = self.exps;
        if exps.revenue < old.revenue {
            self.exps.revenue = exps.revenue;
            if old.revenue != i32::MAX {
                let d = (old.revenue - exps.revenue) as u32;
                let spilled: Vec<(u32, i128)> = self
                    .customers
                    .par_iter_mut()
                    .enumerate()
                    .filter_map(|(c, s)| {
                        let v = s.revenue();
                        let (w, out) =
                            shift96(v, d).map_or((0, Some((c as u32, v))), |w| (w, None));
                        set96(&mut s.rev_lo, &mut s.rev_hi, w);
                        out
                    })
                    .collect();
                for (c, v) in spilled {
                    self.revenue_spill.add_scaled(c, v, old.revenue);
                }
            }
        }
        if exps.cost < old.cost {
            self.exps.cost = exps.cost;
            if old.cost != i32::MAX {
                let d = (old.cost - exps.cost) as u32;
                let spilled: Vec<(u32, i128)> = self
                    .cost
                    .par_iter_mut()
                    .enumerate()
                    .filter_map(|(c, s)| {
                        let v = s.get();
                        let (w, out) =
                            shift96(v, d).map_or((0, Some((c as u32, v))), |w| (w, None));
                        set96(&mut s.lo, &mut s.hi, w);
                        out
                    })
                    .collect();
                for (c, v) in spilled {
                    self.cost_spill.add_scaled(c, v, old.cost);
                }
            }
        }
    }

    /// Adds the per-customer state of the `later` pieces (same exponents)
    /// to this one, in one pass over the customers (by blocks, on all
    /// threads) rather than one pass per piece. The sums are exact: a sum
    /// that would overflow its 96 bits moves to the side table.
    pub fn add_pieces(&mut self, later: &[Self]) {
        const BLOCK: usize = 1 << 12;
        if later.is_empty() {
            return;
        }
        debug_assert!(later.iter().all(|p| p.exps == self.exps));
        let spilled: Vec<(u32, i128)> = self
            .customers
            .par_chunks_mut(BLOCK)
            .enumerate()
            .flat_map_iter(|(b, mine)| {
                let at = b * BLOCK;
                let mut spilled = Vec::new();
                for piece in later {
                    let theirs = &piece.customers[at..at + mine.len()];
                    for (i, (m, t)) in mine.iter_mut().zip(theirs).enumerate() {
                        m.first = m.first.min(t.first);
                        m.last = m.last.max(t.last);
                        m.transactions += t.transactions;
                        let (x, y) = (m.revenue(), t.revenue());
                        match shift96(x + y, 0) {
                            Some(s) => set96(&mut m.rev_lo, &mut m.rev_hi, s),
                            None => spilled.push(((at + i) as u32, y)),
                        }
                    }
                }
                spilled
            })
            .collect();
        for (c, v) in spilled {
            self.revenue_spill.add_scaled(c, v, self.exps.revenue);
        }
        let spilled: Vec<(u32, i128)> = self
            .cost
            .par_chunks_mut(BLOCK)
            .enumerate()
            .flat_map_iter(|(b, mine)| {
                let at = b * BLOCK;
                let mut spilled = Vec::new();
                for piece in later {
                    let theirs = &piece.cost[at..at + mine.len()];
                    for (i, (m, t)) in mine.iter_mut().zip(theirs).enumerate() {
                        match shift96(m.get() + t.get(), 0) {
                            Some(s) => set96(&mut m.lo, &mut m.hi, s),
                            None => spilled.push(((at + i) as u32, t.get())),
                        }
                    }
                }
                spilled
            })
            .collect();
        for (c, v) in spilled {
            self.cost_spill.add_scaled(c, v, self.exps.cost);
        }
        for piece in later {
            self.revenue_spill.merge(&piece.revenue_spill);
            self.cost_spill.merge(&piece.cost_spill);
        }
    }

    pub fn merge(mut self, mut other: Self) -> Self {
        if self.customers.len() < other.customers.len() {
            return other.merge(self);
        }
        let exps = Exps {
            revenue: self.exps.revenue.min(other.exps.revenue),
            cost: self.exps.cost.min(other.exps.cost),
        };
        self.lower_exps(exps);
        other.lower_exps(exps);
        // Room for the other's customers in a piece of this one's size.
        other.grow(self.customers.len(), !self.cost.is_empty());
        self.add_pieces(std::slice::from_ref(&other));
        self.day_keys.extend_from_slice(&other.day_keys);
        self.report.merge(&other.report);
        self
    }

    /// The rounded revenue and cost of every customer.
    pub fn totals(&self) -> (Vec<f64>, Vec<f64>) {
        let revenue = (self.customers.par_iter().enumerate())
            .map(|(c, s)| {
                self.revenue_spill
                    .total(c as u32, s.revenue(), self.exps.revenue)
            })
            .collect();
        let cost = (self.cost.par_iter().enumerate())
            .map(|(c, s)| self.cost_spill.total(c as u32, s.get(), self.exps.cost))
            .collect();
        (revenue, cost)
    }
}
