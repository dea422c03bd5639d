//! One block of rows partitioned by ranges of customers, one range a
//! thread: every thread sums the rows of its own customers, in row order,
//! so every sum is the one a serial pass gives.

use rayon::prelude::*;

use crate::error::{CiblageError, Result};
use crate::interrupt::Interrupt;

use super::partial::{Partial, Rows, TaskOutput};
use super::ActivityOptions;

/// The rows of one customer range out of one slice of a block, in row order.
#[derive(Default)]
struct Bucket {
    codes: Vec<u32>,
    ts: Vec<i64>,
    amounts: Vec<f64>,
    costs: Vec<f64>,
}

impl Bucket {
    fn with_capacity(n: usize, has_cost: bool) -> Self {
        Self {
            codes: Vec::with_capacity(n),
            ts: Vec::with_capacity(n),
            amounts: Vec::with_capacity(n),
            costs: Vec::with_capacity(if has_cost { n } else { 0 }),
        }
    }

    fn rows(&self, has_cost: bool) -> Rows<'_> {
        Rows {
            codes: &self.codes,
            ts: &self.ts,
            amounts: &self.amounts,
            costs: has_cost.then_some(&self.costs[..]),
            // Partitioned rows lose their numbers: the caller finds the
            // row of an error by a serial pass.
            row0: 0,
        }
    }
}

/// Absorbs the rows of `parts` (one block, in row order) into `state` with
/// `threads` tasks: the rows are first copied into one bucket per customer
/// range (by slices of the block, in parallel), then every range absorbs its
/// buckets slice after slice. Row numbers in errors are not meaningful.
pub(super) fn absorb_block(
    state: &mut Partial,
    parts: &[Rows<'_>],
    threads: usize,
    opts: &ActivityOptions,
    cutoff: i64,
    interrupt: &Interrupt,
) -> Result<TaskOutput> {
    let n_customers = state.customers.len();
    let has_cost = parts.first().is_some_and(|p| p.costs.is_some());
    let total: usize = parts.iter().map(|p| p.codes.len()).sum();
    let mut ranges = state.ranges(threads);
    let k = ranges.len().max(1);
    // The same step as `Partial::ranges`.
    let step = n_customers.div_ceil(threads.max(1)).max(1);
    let slice = total.div_ceil(threads.max(1)).max(1);
    let slices: Vec<Rows<'_>> = parts
        .iter()
        .flat_map(|p| {
            let len = p.codes.len();
            (0..len).step_by(slice).map(move |a| {
                let b = (a + slice).min(len);
                Rows {
                    codes: &p.codes[a..b],
                    ts: &p.ts[a..b],
                    amounts: &p.amounts[a..b],
                    costs: p.costs.map(|c| &c[a..b]),
                    row0: p.row0 + a,
                }
            })
        })
        .collect();
    interrupt.check()?;
    let scattered: Vec<Vec<Bucket>> = slices
        .par_iter()
        .map(|rows| scatter(rows, k, step, has_cost))
        .collect();
    interrupt.check()?;
    let outputs: Vec<Result<TaskOutput>> = ranges
        .par_iter_mut()
        .enumerate()
        .map(|(b, range)| {
            let mut out = TaskOutput::default();
            for buckets in &scattered {
                let bucket = &buckets[b];
                interrupt.check()?;
                let o = range.absorb(opts, cutoff, bucket.rows(has_cost))?;
                interrupt.advance(bucket.codes.len() as u64);
                out.report.merge(&o.report);
                out.day_keys.extend_from_slice(&o.day_keys);
            }
            Ok(out)
        })
        .collect();
    let mut all = TaskOutput::default();
    let mut first_error: Option<CiblageError> = None;
    for out in outputs {
        match out {
            Ok(out) => {
                all.report.merge(&out.report);
                all.day_keys.extend_from_slice(&out.day_keys);
            }
            Err(e) => {
                if first_error.is_none() || matches!(e, CiblageError::Interrupted) {
                    first_error = Some(e);
                }
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(all),
    }
}

/// Copies the rows into one bucket per customer range, in row order.
fn scatter(rows: &Rows<'_>, k: usize, step: usize, has_cost: bool) -> Vec<Bucket> {
    let n = rows.codes.len();
    let cap = n / k + n / (4 * k) + 16;
    let mut buckets: Vec<Bucket> = (0..k)
        .map(|_| Bucket::with_capacity(cap, has_cost))
        .collect();
    for i in 0..n {
        let code = rows.codes[i];
        let bucket = &mut buckets[(code as usize / step).min(k - 1)];
        bucket.codes.push(code);
        bucket.ts.push(rows.ts[i]);
        bucket.amounts.push(rows.amounts[i]);
        if let Some(costs) = rows.costs {
            bucket.costs.push(costs[i]);
        }
    }
    buckets
}
