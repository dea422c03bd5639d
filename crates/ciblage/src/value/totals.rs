//! Totals per customer: the customer's income statement (transactions,
//! revenue, cost, margin), the usual value to rank customers by.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::activity::CustomerActivity;
use crate::error::{CiblageError, Result};
use crate::exact_sum::{add96, get96, sample_exp, SpillTable};
use crate::interrupt::Interrupt;
use crate::prefetch::{prefetch, LOOKAHEAD};
use crate::transactions::{check_codes, check_finite, Transactions};

/// Rows per piece of the sums (the last piece takes the rest).
const PIECE_ROWS: usize = 1 << 22;
/// Bytes of per-piece sums allowed at once.
const PIECE_BUDGET: usize = 256 << 20;
/// Rows per customer in a piece, within `PIECE_ROWS / 16..=PIECE_ROWS`:
/// with few customers the pieces are many and small (so that every thread
/// has its own), their sums cheap to add.
const PIECE_ROWS_PER_CUSTOMER: usize = 4;

/// Rows per piece for `customers` customers (the data size alone sets it).
fn piece_rows(customers: usize) -> usize {
    customers
        .saturating_mul(PIECE_ROWS_PER_CUSTOMER)
        .clamp(PIECE_ROWS >> 4, PIECE_ROWS)
}

/// Transactions, revenue and (when costs are given) cost and margin of
/// every customer, indexed by customer code.
///
/// Every row counts, returns included: revenue is the net sum of amounts,
/// margin is revenue minus cost. Use [`crate::Rfm`]'s negative-amount
/// policy first if returns must be left out.
///
/// The rows are summed in pieces of 4 rows per customer, from 256k to 4
/// million rows, on all threads. Revenue and cost are exact sums rounded
/// once (see [`crate::exact_sum`]): the same bits for any number of
/// threads, order of the rows or cut into batches; the margin is the
/// difference of the two rounded sums.
///
/// ```
/// use ciblage::value::CustomerTotals;
/// // Customer 0 buys 10 and 30 (cost 4 and 12), customer 1 buys 5 then
/// // returns 5 (cost 2, then −2).
/// let t = CustomerTotals::params().score_codes(
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
    /// Parameters with their defaults (no interrupt token).
    pub fn params() -> CustomerTotalsParams {
        CustomerTotalsParams::default()
    }
}

/// Builder of [`CustomerTotals`]; [`CustomerTotalsParams::check`] validates it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CustomerTotalsParams {
    interrupt: Interrupt,
}

impl CustomerTotalsParams {
    /// The token that stops the sums (checked once per piece of rows, see
    /// [`Interrupt`]).
    #[must_use]
    pub fn interrupt(mut self, token: Interrupt) -> Self {
        self.interrupt = token;
        self
    }

    /// Validates the parameters.
    ///
    /// # Errors
    /// None today; kept so that every transformation validates the same way.
    pub fn check(self) -> Result<CustomerTotalsValidParams> {
        Ok(CustomerTotalsValidParams {
            interrupt: self.interrupt,
        })
    }

    /// Validates, then sums `tx`: `self.check()?.score(tx)`.
    ///
    /// # Errors
    /// See [`CustomerTotalsValidParams::score`].
    pub fn score(self, tx: &Transactions) -> Result<CustomerTotals> {
        self.check()?.score(tx)
    }

    /// Validates, then sums coded rows: `self.check()?.score_codes(..)`.
    ///
    /// # Errors
    /// See [`CustomerTotalsValidParams::score_codes`].
    pub fn score_codes(
        self,
        codes: &[u32],
        customers: usize,
        amounts: &[f64],
        costs: Option<&[f64]>,
    ) -> Result<CustomerTotals> {
        self.check()?.score_codes(codes, customers, amounts, costs)
    }
}

/// Validated parameters of [`CustomerTotals`].
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerTotalsValidParams {
    interrupt: Interrupt,
}

impl CustomerTotalsValidParams {
    /// Totals of the rows of `tx` (with its costs, if any).
    ///
    /// # Errors
    /// [`CiblageError::Interrupted`]; nothing else in practice: `tx` is
    /// already validated.
    pub fn score(&self, tx: &Transactions) -> Result<CustomerTotals> {
        self.score_codes(tx.codes(), tx.customers().len(), tx.amounts(), tx.costs())
    }

    /// Totals from one customer code per row (each below `customers`), the
    /// amounts and optionally the costs of the rows.
    ///
    /// # Errors
    /// [`CiblageError::EmptyInput`] for no rows,
    /// [`CiblageError::LengthMismatch`] naming `amount` or `cost`,
    /// [`CiblageError::NonFinite`] naming `amount` or `cost`,
    /// [`CiblageError::InvalidParameter`] (`codes`) for a code out of range,
    /// and [`CiblageError::Interrupted`].
    pub fn score_codes(
        &self,
        codes: &[u32],
        customers: usize,
        amounts: &[f64],
        costs: Option<&[f64]>,
    ) -> Result<CustomerTotals> {
        let interrupt = &self.interrupt;
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
        // The rows are cut into pieces; each piece sums its rows into its
        // own copy of the per-customer sums (no atomics, no branch per row),
        // exact 96-bit integers in units of a shared power of two (values
        // out of its reach go to an exact side table), and the copies are
        // added exactly: the sums do not depend on the cut.
        let exps = (
            sample_exp(std::iter::once(amounts), n).unwrap_or(0),
            costs
                .and_then(|c| sample_exp(std::iter::once(c), n))
                .unwrap_or(0),
        );
        let slot_bytes = 16 + costs.map_or(0, |_| 16);
        let affordable = (PIECE_BUDGET / (customers.max(1) * slot_bytes)).max(1);
        let pieces = (n / piece_rows(customers)).clamp(1, affordable);
        let step = n.div_ceil(pieces);
        let sums: Vec<PieceSums> = (0..pieces)
            .into_par_iter()
            .map(|p| {
                interrupt.check()?;
                let rows = p * step..((p + 1) * step).min(n);
                Ok(PieceSums::of(
                    &codes[rows.clone()],
                    &amounts[rows.clone()],
                    costs.map(|c| &c[rows]),
                    customers,
                    exps,
                ))
            })
            .collect::<Result<_>>()?;
        let (transactions, revenue, cost) = PieceSums::totals(&sums, exps);
        let totals = CustomerTotals {
            transactions,
            revenue,
            cost,
        };
        totals.check_sums()?;
        Ok(totals)
    }
}

impl CustomerTotals {
    /// Totals of per-customer activity (its counts and sums; aggregate with
    /// the default [`crate::ActivityOptions`] to count every row): the way to total
    /// a stream of batches.
    ///
    /// ```
    /// use ciblage::{ActivityAccumulator, ActivityOptions, CustomerIndex};
    /// use ciblage::value::CustomerTotals;
    /// let mut index = CustomerIndex::new();
    /// let mut acc = ActivityAccumulator::new(ActivityOptions::default(), false);
    /// // Two batches; the index codes new customers as they come.
    /// for (ids, amounts) in [(&["b", "a"][..], &[5.0, 7.0][..]), (&["a", "c"][..], &[1.0, 2.0][..])] {
    ///     let mut codes = Vec::new();
    ///     index.encode_str(ids.iter().copied(), &mut codes)?;
    ///     acc.push(&codes, &vec![0; codes.len()], amounts, None, index.len())?;
    /// }
    /// let totals = CustomerTotals::from_activity(&acc.finish())?;
    /// assert_eq!(totals.revenue(), &[5.0, 8.0, 2.0]); // b, a, c
    /// assert_eq!(totals.transactions(), &[1, 2, 1]);
    /// # Ok::<(), ciblage::CiblageError>(())
    /// ```
    ///
    /// # Errors
    /// A sum beyond the float range ([`CiblageError::SumOverflow`] naming
    /// `amount` or `cost`).
    pub fn from_activity(activity: &CustomerActivity) -> Result<Self> {
        let totals = CustomerTotals {
            transactions: activity
                .transactions
                .iter()
                .map(|&t| u64::from(t))
                .collect(),
            revenue: activity.revenue.clone(),
            cost: activity.cost.clone(),
        };
        totals.check_sums()?;
        Ok(totals)
    }
}

impl CustomerTotals {
    /// Refuses sums of finite rows that overflow to ±inf (amounts near
    /// 1e308): revenue, cost and margin of every customer. The error names
    /// the column and the customer's code (its position in the output).
    fn check_sums(&self) -> Result<()> {
        let bad = |v: &[f64]| v.iter().position(|x| !x.is_finite());
        if let Some(c) = bad(&self.revenue) {
            let what = || format!("revenue (sum of amounts) of customer #{c}");
            CiblageError::check_sum("amount", what, f64::INFINITY)?;
        }
        if let Some(cost) = &self.cost {
            if let Some(c) = bad(cost) {
                let what = || format!("sum of costs of customer #{c}");
                CiblageError::check_sum("cost", what, f64::INFINITY)?;
            }
            let margin = self.revenue.iter().zip(cost).map(|(r, k)| r - k);
            if let Some(c) = margin.clone().position(|m| !m.is_finite()) {
                let what = || format!("margin (revenue minus cost) of customer #{c}");
                CiblageError::check_sum("amount", what, f64::INFINITY)?;
            }
        }
        Ok(())
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

/// Count and revenue (an exact 96-bit integer) of one customer side by
/// side: 16 bytes, one cache line per row.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C, align(16))]
struct Slot {
    lo: u64,
    hi: i32,
    count: u32,
}

/// The sums of one piece of rows (at most 4M rows: counts fit a `u32`),
/// and the values set aside (code, value) that did not fit their sum.
struct PieceSums {
    slots: Vec<Slot>,
    cost: Option<Vec<Slot>>,
    spill: Vec<(u32, f64)>,
    cost_spill: Vec<(u32, f64)>,
}

impl PieceSums {
    fn of(
        codes: &[u32],
        amounts: &[f64],
        costs: Option<&[f64]>,
        customers: usize,
        (e, e_cost): (i32, i32),
    ) -> Self {
        let mut slots = vec![Slot::default(); customers];
        let mut spill = Vec::new();
        for (i, (&c, &a)) in codes.iter().zip(amounts).enumerate() {
            if let Some(&ahead) = codes.get(i + LOOKAHEAD) {
                prefetch(&slots[ahead as usize]);
            }
            let slot = &mut slots[c as usize];
            slot.count += 1;
            if !add96(&mut slot.lo, &mut slot.hi, a, e) {
                spill.push((c, a));
            }
        }
        let mut cost_spill = Vec::new();
        let cost = costs.map(|costs| {
            let mut cost = vec![Slot::default(); customers];
            for (&c, &k) in codes.iter().zip(costs) {
                let slot = &mut cost[c as usize];
                if !add96(&mut slot.lo, &mut slot.hi, k, e_cost) {
                    cost_spill.push((c, k));
                }
            }
            cost
        });
        Self {
            slots,
            cost,
            spill,
            cost_spill,
        }
    }

    /// Transactions, revenue and cost of every customer over all pieces:
    /// the counts and the 96-bit sums added on 128 bits (exact for up to
    /// 2^31 pieces), plus the values set aside, rounded once.
    fn totals(pieces: &[Self], (e, e_cost): (i32, i32)) -> (Vec<u64>, Vec<f64>, Option<Vec<f64>>) {
        const BLOCK: usize = 1 << 12;
        let customers = pieces[0].slots.len();
        let table = |take: fn(&Self) -> &[(u32, f64)]| {
            let mut t = SpillTable::default();
            for p in pieces {
                for &(c, x) in take(p) {
                    t.add(c, x);
                }
            }
            t
        };
        let spill = table(|p| &p.spill);
        let (transactions, revenue): (Vec<u64>, Vec<f64>) = (0..customers)
            .into_par_iter()
            .with_min_len(BLOCK)
            .map(|c| {
                let (mut n, mut v) = (0u64, 0i128);
                for p in pieces {
                    let s = p.slots[c];
                    n += u64::from(s.count);
                    v += get96(s.lo, s.hi);
                }
                (n, spill.total(c as u32, v, e))
            })
            .unzip();
        let cost = pieces[0].cost.is_some().then(|| {
            let spill = table(|p| &p.cost_spill);
            (0..customers)
                .into_par_iter()
                .with_min_len(BLOCK)
                .map(|c| {
                    let v: i128 = pieces
                        .iter()
                        .map(|p| {
                            let s = p.cost.as_ref().expect("costs in every piece")[c];
                            get96(s.lo, s.hi)
                        })
                        .sum();
                    spill.total(c as u32, v, e_cost)
                })
                .collect()
        });
        (transactions, revenue, cost)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bad_input_is_refused_with_the_column_named() {
        let e = CustomerTotals::params()
            .score_codes(&[], 0, &[], None)
            .unwrap_err();
        assert!(matches!(e, CiblageError::EmptyInput { .. }), "{e}");
        let e = CustomerTotals::params()
            .score_codes(&[0, 0], 1, &[1.0], None)
            .unwrap_err();
        assert!(e.to_string().contains("amount"), "{e}");
        let e = CustomerTotals::params()
            .score_codes(&[0], 1, &[1.0], Some(&[f64::NAN]))
            .unwrap_err();
        assert!(
            matches!(&e, CiblageError::NonFinite { argument, row: 0, .. } if argument == "cost"),
            "{e}"
        );
        let e = CustomerTotals::params()
            .score_codes(&[0, 3], 2, &[1.0, 2.0], None)
            .unwrap_err();
        assert!(e.to_string().contains("code 3 at row 1"), "{e}");
    }

    #[test]
    fn sums_beyond_the_float_range_are_refused() {
        // 1e308 + 1e308 = 2e308 > f64::MAX ≈ 1.797e308.
        let e = CustomerTotals::params()
            .score_codes(&[0, 1, 1], 2, &[1.0, 1e308, 1e308], None)
            .unwrap_err();
        assert!(
            matches!(&e, CiblageError::SumOverflow { argument, what } if argument == "amount" && what.contains("#1")),
            "{e}"
        );
        let e = CustomerTotals::params()
            .score_codes(&[0, 0], 1, &[1.0, 1.0], Some(&[-1e308, -1e308]))
            .unwrap_err();
        assert!(
            matches!(&e, CiblageError::SumOverflow { argument, .. } if argument == "cost"),
            "{e}"
        );
        // Revenue 1e308 and cost −1e308 are finite, their difference is not.
        let e = CustomerTotals::params()
            .score_codes(&[0], 1, &[1e308], Some(&[-1e308]))
            .unwrap_err();
        assert!(e.to_string().contains("margin"), "{e}");
        // Right at the edge, still finite: accepted.
        let t = CustomerTotals::params()
            .score_codes(&[0, 0], 1, &[f64::MAX / 2.0, f64::MAX / 2.0], None)
            .unwrap();
        assert_eq!(t.revenue(), &[f64::MAX]);
    }

    #[test]
    fn customers_without_rows_have_zero_totals() {
        let t = CustomerTotals::params()
            .score_codes(&[2, 2], 3, &[1.5, 2.5], None)
            .unwrap();
        assert_eq!(t.transactions(), &[0, 0, 2]);
        assert_eq!(t.revenue(), &[0.0, 0.0, 4.0]);
        assert!(t.cost().is_none() && t.margin().is_none());
    }

    /// Amounts k / 1024 of mixed magnitudes (k up to 2^53).
    fn fixed_point_amounts(n: usize) -> (Vec<i64>, Vec<f64>) {
        let ks: Vec<i64> = (0..n)
            .map(|i| ((i * 7919 % 200_003) as i64 - 100_000) << (i % 5 * 9))
            .collect();
        let amounts = ks.iter().map(|&k| k as f64 / 1024.0).collect();
        (ks, amounts)
    }

    /// The exact sums of k per customer on `i128`, rounded once (the cast
    /// rounds to nearest, ties to even), divided by 1024 (exact).
    fn exact_sums(codes: &[u32], ks: &[i64], customers: usize) -> Vec<f64> {
        let mut totals = vec![0i128; customers];
        for (&c, &k) in codes.iter().zip(ks) {
            totals[c as usize] += i128::from(k);
        }
        totals.iter().map(|&t| t as f64 / 1024.0).collect()
    }

    #[test]
    fn same_sums_for_any_thread_count() {
        // Two pieces of rows (many customers), amounts whose running sums
        // round often: the exact sums, whatever the thread count.
        let n = 2 * PIECE_ROWS + 12_345;
        let customers = 2_000_003;
        assert_eq!(piece_rows(customers), PIECE_ROWS);
        let codes: Vec<u32> = (0..n as u32)
            .map(|i| i.wrapping_mul(2_654_435_761) % customers as u32)
            .collect();
        let (ks, amounts) = fixed_point_amounts(n);
        let run = |threads: usize| {
            crate::testing::on_threads(threads, || {
                CustomerTotals::params()
                    .score_codes(&codes, customers, &amounts, Some(&amounts))
                    .unwrap()
            })
        };
        let one = run(1);
        assert_eq!(one, run(2));
        assert_eq!(one, run(3));
        let expected = exact_sums(&codes, &ks, customers);
        assert_eq!(one.revenue(), &expected[..]);
        assert_eq!(one.cost().unwrap(), &expected[..]);
    }

    #[test]
    fn few_customers_take_many_pieces_with_exact_sums() {
        // 50,000 rows of 1,000 customers: pieces of PIECE_ROWS / 16 rows
        // (4 rows per customer is below that), one per task.
        let (n, customers) = (3 * (PIECE_ROWS >> 4) + 777, 1_000);
        assert_eq!(piece_rows(customers), PIECE_ROWS >> 4);
        let codes: Vec<u32> = (0..n as u32)
            .map(|i| i.wrapping_mul(2_654_435_761) % customers as u32)
            .collect();
        let (ks, amounts) = fixed_point_amounts(n);
        let run = |threads: usize| {
            crate::testing::on_threads(threads, || {
                CustomerTotals::params()
                    .score_codes(&codes, customers, &amounts, Some(&amounts))
                    .unwrap()
            })
        };
        let one = run(1);
        assert_eq!(one, run(2));
        assert_eq!(one, run(7));
        let expected = exact_sums(&codes, &ks, customers);
        // Rows in reverse order: the same bits.
        let (rc, ra): (Vec<u32>, Vec<f64>) = codes.iter().rev().zip(amounts.iter().rev()).unzip();
        let reversed = CustomerTotals::params()
            .score_codes(&rc, customers, &ra, None)
            .unwrap();
        assert_eq!(reversed.revenue(), &expected[..]);
        assert_eq!(one.revenue(), &expected[..]);
        assert_eq!(one.cost().unwrap(), &expected[..]);
        assert_eq!(one.transactions().iter().sum::<u64>(), n as u64);
    }

    proptest! {
        /// Totals add up to the column sums and the row count.
        #[test]
        fn totals_add_up(rows in prop::collection::vec((0u32..20, -100i32..1000), 1..200)) {
            let codes: Vec<u32> = rows.iter().map(|r| r.0).collect();
            let amounts: Vec<f64> = rows.iter().map(|r| f64::from(r.1)).collect();
            let t = CustomerTotals::params().score_codes(&codes, 20, &amounts, Some(&amounts)).unwrap();
            prop_assert_eq!(t.transactions().iter().sum::<u64>(), rows.len() as u64);
            // Integer amounts: sums are exact in any order.
            prop_assert_eq!(t.revenue().iter().sum::<f64>(), amounts.iter().sum::<f64>());
            prop_assert!(t.margin().unwrap().iter().all(|&m| m == 0.0));
        }
    }
}
