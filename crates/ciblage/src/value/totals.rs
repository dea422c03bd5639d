//! Totals per customer: the customer's income statement (transactions,
//! revenue, cost, margin), the usual value to rank customers by.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{CiblageError, Result};
use crate::prefetch::{prefetch, LOOKAHEAD};
use crate::transactions::{check_codes, check_finite, Transactions};

/// Rows from which the sums run on all threads.
const PARALLEL_ROWS: usize = 1 << 20;
/// Scratch slots per task for the rows of other tasks (a power of two).
const OVERFLOW: usize = 8;

/// Transactions, revenue and (when costs are given) cost and margin of
/// every customer, indexed by customer code.
///
/// Every row counts, returns included: revenue is the net sum of amounts,
/// margin is revenue minus cost. Use [`crate::Rfm`]'s negative-amount
/// policy first if returns must be left out.
///
/// ```
/// use ciblage::value::CustomerTotals;
/// // Customer 0 buys 10 and 30 (cost 4 and 12), customer 1 buys 5 then
/// // returns 5 (cost 2, then −2).
/// let t = CustomerTotals::from_codes(
///     &[0, 1, 0, 1],
///     2,
///     &[10.0, 5.0, 30.0, -5.0],
///     Some(&[4.0, 2.0, 12.0, -2.0]),
/// )?;
/// assert_eq!(t.transactions(), &[2, 2]);
/// assert_eq!(t.revenue(), &[40.0, 0.0]);
/// assert_eq!(t.margin().unwrap(), vec![24.0, 0.0]);
/// # Ok::<(), ciblage::CiblageError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerTotals {
    transactions: Vec<u64>,
    revenue: Vec<f64>,
    cost: Option<Vec<f64>>,
}

impl CustomerTotals {
    /// Totals of the rows of `tx` (with its costs, if any).
    ///
    /// # Errors
    /// None in practice: `tx` is already validated.
    pub fn of(tx: &Transactions) -> Result<Self> {
        Self::from_codes(tx.codes(), tx.customers().len(), tx.amounts(), tx.costs())
    }

    /// Totals from one customer code per row (each below `customers`), the
    /// amounts and optionally the costs of the rows.
    ///
    /// # Errors
    /// [`CiblageError::EmptyInput`] for no rows,
    /// [`CiblageError::LengthMismatch`] naming `amount` or `cost`,
    /// [`CiblageError::NonFinite`] naming `amount` or `cost`, and
    /// [`CiblageError::InvalidParameter`] (`codes`) for a code out of range.
    pub fn from_codes(
        codes: &[u32],
        customers: usize,
        amounts: &[f64],
        costs: Option<&[f64]>,
    ) -> Result<Self> {
        let n = codes.len();
        if n == 0 {
            return Err(CiblageError::EmptyInput {
                argument: "transactions".into(),
            });
        }
        let columns = [("amount", Some(amounts)), ("cost", costs)];
        for (argument, column) in columns {
            let Some(column) = column else { continue };
            if column.len() != n {
                return Err(CiblageError::LengthMismatch {
                    argument: argument.into(),
                    expected: n,
                    got: column.len(),
                });
            }
            check_finite(argument, column)?;
        }
        check_codes(codes, customers)?;
        // Count and revenue side by side (16 bytes): one cache line per row.
        // Each task owns a range of customers and reads every row: each
        // customer's sums run in row order, whatever the number of threads.
        let parts = if n < PARALLEL_ROWS {
            1
        } else {
            rayon::current_num_threads()
        };
        let width = customers.div_ceil(parts).max(1);
        let parts = customers.div_ceil(width);
        // OVERFLOW more slots per task, past its range: rows of other
        // customers add to them, so the loop has no branch (rows fall in or
        // out of a task's range at random; a mispredicted branch per row
        // would stall the cache misses that the loop overlaps). Consecutive
        // rows take turns among them: with one, every addition would wait
        // for the previous one.
        let stride = width + OVERFLOW;
        let mut slots = vec![(0u64, 0.0f64); parts * stride];
        let mut cost = costs.map(|_| vec![0.0; parts * stride]);
        let mut cost_parts: Vec<Option<&mut [f64]>> = match cost.as_mut() {
            Some(c) => c.chunks_mut(stride).map(Some).collect(),
            None => (0..parts).map(|_| None).collect(),
        };
        slots
            .par_chunks_mut(stride)
            .zip(cost_parts.par_iter_mut())
            .enumerate()
            .for_each(|(part, (slots, cost))| {
                let lo = (part * width) as u32;
                let len = (slots.len() - OVERFLOW) as u32;
                let slot_of = |c: u32, i: usize| {
                    let k = c.wrapping_sub(lo);
                    if k < len {
                        k as usize
                    } else {
                        len as usize + (i & (OVERFLOW - 1))
                    }
                };
                for (i, (&c, &a)) in codes.iter().zip(amounts).enumerate() {
                    if let Some(&ahead) = codes.get(i + LOOKAHEAD) {
                        prefetch(&slots[slot_of(ahead, i)]);
                    }
                    let slot = &mut slots[slot_of(c, i)];
                    slot.0 += 1;
                    slot.1 += a;
                }
                if let (Some(cost), Some(costs)) = (cost.as_deref_mut(), costs) {
                    for (i, (&c, &k)) in codes.iter().zip(costs).enumerate() {
                        cost[slot_of(c, i)] += k;
                    }
                }
            });
        // The real slots: each task's range without its overflow slots
        // (no division per customer).
        fn real<T, U>(
            all: &[T],
            stride: usize,
            width: usize,
            n: usize,
            f: impl Fn(&T) -> U,
        ) -> Vec<U> {
            let mut out = Vec::with_capacity(n);
            for part in all.chunks(stride) {
                let take = width.min(n - out.len());
                out.extend(part[..take].iter().map(&f));
            }
            out
        }
        let transactions = real(&slots, stride, width, customers, |s| s.0);
        let revenue = real(&slots, stride, width, customers, |s| s.1);
        let cost = cost.map(|c| real(&c, stride, width, customers, |&k| k));
        Ok(Self {
            transactions,
            revenue,
            cost,
        })
    }

    /// Number of customers.
    pub fn len(&self) -> usize {
        self.revenue.len()
    }

    /// True when there is no customer (never, for totals built from rows).
    pub fn is_empty(&self) -> bool {
        self.revenue.is_empty()
    }

    /// Rows per customer, returns included.
    pub fn transactions(&self) -> &[u64] {
        &self.transactions
    }

    /// Net sum of amounts per customer.
    pub fn revenue(&self) -> &[f64] {
        &self.revenue
    }

    /// Sum of costs per customer, when costs were given.
    pub fn cost(&self) -> Option<&[f64]> {
        self.cost.as_deref()
    }

    /// Revenue minus cost per customer, when costs were given.
    pub fn margin(&self) -> Option<Vec<f64>> {
        self.cost
            .as_ref()
            .map(|c| self.revenue.iter().zip(c).map(|(r, k)| r - k).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bad_input_is_refused_with_the_column_named() {
        let e = CustomerTotals::from_codes(&[], 0, &[], None).unwrap_err();
        assert!(matches!(e, CiblageError::EmptyInput { .. }), "{e}");
        let e = CustomerTotals::from_codes(&[0, 0], 1, &[1.0], None).unwrap_err();
        assert!(e.to_string().contains("amount"), "{e}");
        let e = CustomerTotals::from_codes(&[0], 1, &[1.0], Some(&[f64::NAN])).unwrap_err();
        assert!(
            matches!(&e, CiblageError::NonFinite { argument, row: 0, .. } if argument == "cost"),
            "{e}"
        );
        let e = CustomerTotals::from_codes(&[0, 3], 2, &[1.0, 2.0], None).unwrap_err();
        assert!(e.to_string().contains("code 3 at row 1"), "{e}");
    }

    #[test]
    fn customers_without_rows_have_zero_totals() {
        let t = CustomerTotals::from_codes(&[2, 2], 3, &[1.5, 2.5], None).unwrap();
        assert_eq!(t.transactions(), &[0, 0, 2]);
        assert_eq!(t.revenue(), &[0.0, 0.0, 4.0]);
        assert!(t.cost().is_none() && t.margin().is_none());
    }

    #[test]
    fn same_sums_for_any_thread_count() {
        // Past PARALLEL_ROWS rows, amounts with many rounding steps.
        let n = PARALLEL_ROWS + 12_345;
        let codes: Vec<u32> = (0..n as u32)
            .map(|i| i.wrapping_mul(2_654_435_761) % 9_973)
            .collect();
        let amounts: Vec<f64> = (0..n).map(|i| (i as f64).sqrt() * 0.1).collect();
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| {
                    CustomerTotals::from_codes(&codes, 9_973, &amounts, Some(&amounts)).unwrap()
                })
        };
        let one = run(1);
        assert_eq!(one, run(2));
        assert_eq!(one, run(3));
    }

    proptest! {
        /// Totals add up to the column sums and the row count.
        #[test]
        fn totals_add_up(rows in prop::collection::vec((0u32..20, -100i32..1000), 1..200)) {
            let codes: Vec<u32> = rows.iter().map(|r| r.0).collect();
            let amounts: Vec<f64> = rows.iter().map(|r| f64::from(r.1)).collect();
            let t = CustomerTotals::from_codes(&codes, 20, &amounts, Some(&amounts)).unwrap();
            prop_assert_eq!(t.transactions().iter().sum::<u64>(), rows.len() as u64);
            // Integer amounts: sums are exact in any order.
            prop_assert_eq!(t.revenue().iter().sum::<f64>(), amounts.iter().sum::<f64>());
            prop_assert!(t.margin().unwrap().iter().all(|&m| m == 0.0));
        }
    }
}
