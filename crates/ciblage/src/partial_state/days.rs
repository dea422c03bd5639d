//! Per-customer day states: what retention, churn flags and the CLV
//! summary read of partitioned transactions (Spark, Dask).
//!
//! Those three read, of each row, its customer, its local day, the sign of
//! its amount (a purchase is a positive amount, a return a negative one)
//! and its amount and cost, summed per period. So the rows become one
//! entry per (customer, local day, sign) holding the number of rows and
//! the sums of their amounts and costs: a [`PartialDays`]. States merge by
//! adding the entries of a key (associative and commutative: any cut of
//! the rows, merged in any order, gives the state of the whole input; the
//! sums exactly so when the amounts are integers), and the merged state
//! stands for transactions the local functions read as the whole input.
//!
//! ```
//! use ciblage::partial_state::PartialDays;
//! use ciblage::Transactions;
//! let day = 86_400_000_000i64;
//! // Customer 7 buys twice on day 0 and returns an item on day 0.
//! let a = Transactions::from_int_ids(&[7, 7], vec![0, day / 2], vec![10.0, 5.0])?;
//! let b = Transactions::from_int_ids(&[7, 8], vec![day / 3, 2 * day], vec![-2.0, 4.0])?;
//! let whole = PartialDays::from_transactions(&a).merge(PartialDays::from_transactions(&b))?;
//! assert_eq!(whole.len(), 3); // (7, day 0, +), (7, day 0, −), (8, day 2, +)
//! assert_eq!(whole.rows(), 4);
//! # Ok::<(), ciblage::CiblageError>(())
//! ```

use std::collections::HashMap;

use crate::error::{CiblageError, Result};
use crate::{CustomerId, CustomerIds, CustomerIndex, Transactions};

/// The key of an entry: customer code, local day (days since
/// 1970-01-01), sign of the amount (−1, 0, 1).
pub type DayKey = (u32, i64, i8);

/// What the rows of one key add up to.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct DaySums {
    /// Number of rows.
    pub rows: u64,
    /// Sum of their amounts.
    pub amount: f64,
    /// Sum of their costs (0 without costs).
    pub cost: f64,
}

impl DaySums {
    fn add(&mut self, other: DaySums) {
        self.rows += other.rows;
        self.amount += other.amount;
        self.cost += other.cost;
    }
}

/// Per-customer day state of some transactions; see the module
/// documentation.
#[derive(Debug, Clone)]
pub struct PartialDays {
    has_cost: bool,
    index: CustomerIndex,
    slots: HashMap<DayKey, usize>,
    keys: Vec<DayKey>,
    sums: Vec<DaySums>,
}

/// The sign of a (finite) amount.
fn sign(a: f64) -> i8 {
    if a > 0.0 {
        1
    } else if a < 0.0 {
        -1
    } else {
        0
    }
}

impl PartialDays {
    /// The state of no row.
    pub fn empty(has_cost: bool) -> Self {
        Self {
            has_cost,
            index: CustomerIndex::named("customer"),
            slots: HashMap::new(),
            keys: Vec::new(),
            sums: Vec::new(),
        }
    }

    /// The state of the rows of `tx`, their days in its zone; the sums of
    /// a key add its rows in row order.
    pub fn from_transactions(tx: &Transactions) -> Self {
        let costs = tx.costs();
        let mut state = Self::empty(costs.is_some());
        state.index = tx.customers().clone();
        let zone = tx.zone();
        let (codes, ts, amounts) = (tx.codes(), tx.timestamps(), tx.amounts());
        for (i, (&code, &a)) in codes.iter().zip(amounts).enumerate() {
            let sums = DaySums {
                rows: 1,
                amount: a,
                cost: costs.map_or(0.0, |c| c[i]),
            };
            state.add((code, zone.day_of(ts[i]), sign(a)), sums);
        }
        state
    }

    /// Replaces the (empty) index of a state being read.
    #[cfg(feature = "arrow")]
    pub(crate) fn set_index(&mut self, index: CustomerIndex) {
        self.index = index;
    }

    /// Adds the sums of a key (a new entry for a key not seen yet).
    pub(crate) fn add(&mut self, key: DayKey, sums: DaySums) {
        match self.slots.get(&key) {
            Some(&slot) => self.sums[slot].add(sums),
            None => {
                self.slots.insert(key, self.keys.len());
                self.keys.push(key);
                self.sums.push(sums);
            }
        }
    }

    /// Number of entries (keys).
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True without any entry.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Number of rows the state stands for.
    pub fn rows(&self) -> u64 {
        self.sums.iter().map(|s| s.rows).sum()
    }

    /// True when the state holds costs.
    pub fn has_cost(&self) -> bool {
        self.has_cost
    }

    /// The customer ids, indexed by the codes of the keys.
    pub fn ids(&self) -> &CustomerIds {
        self.index.ids()
    }

    /// The entries, in the order they were first met.
    pub fn entries(&self) -> impl ExactSizeIterator<Item = (DayKey, DaySums)> + '_ {
        self.keys.iter().copied().zip(self.sums.iter().copied())
    }

    /// The state of the rows of both: the customers of `other` are found
    /// by id, the sums of a key add up.
    ///
    /// # Errors
    /// States with and without costs, or integer ids against string ids.
    pub fn merge(mut self, other: Self) -> Result<Self> {
        if self.has_cost != other.has_cost {
            return Err(CiblageError::param(
                "other",
                "day states with and without costs cannot be merged",
            ));
        }
        if other.is_empty() {
            return Ok(self);
        }
        let mut codes = Vec::with_capacity(other.ids().len());
        match other.ids() {
            CustomerIds::Int(v) => self.index.encode_i64(v, &mut codes)?,
            CustomerIds::Str(s) => self.index.encode_str(s.iter(), &mut codes)?,
        }
        for ((code, day, s), sums) in other.entries() {
            self.add((codes[code as usize], day, s), sums);
        }
        Ok(self)
    }

    /// The entries sorted by customer id, day and sign, each with its id:
    /// a form that does not depend on the order the rows came in.
    pub fn sorted(&self) -> Vec<(CustomerId<'_>, i64, i8, DaySums)> {
        let ids = self.ids();
        let mut out: Vec<_> = self
            .entries()
            .map(|((code, day, s), sums)| (ids.get(code), day, s, sums))
            .collect();
        out.sort_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DAY: i64 = 86_400_000_000;

    fn state(rows: &[(i64, i64, i32)]) -> PartialDays {
        if rows.is_empty() {
            return PartialDays::empty(false);
        }
        let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
        // Hours apart within a day: several rows of a key on one day.
        let ts: Vec<i64> = rows.iter().map(|r| r.1 * DAY / 5).collect();
        let amounts: Vec<f64> = rows.iter().map(|r| f64::from(r.2)).collect();
        PartialDays::from_transactions(&Transactions::from_int_ids(&ids, ts, amounts).unwrap())
    }

    #[test]
    fn keys_by_customer_day_and_sign() {
        // Customer 1: +10 and +5 on day 0, −3 on day 0, 0 on day 1;
        // customer 2: +4 on day 1. Counted by hand: 4 keys, 5 rows.
        let tx = Transactions::from_int_ids(
            &[1, 1, 1, 1, 2],
            vec![0, DAY / 2, DAY / 3, DAY + 1, DAY + 2],
            vec![10.0, 5.0, -3.0, 0.0, 4.0],
        )
        .unwrap();
        let s = PartialDays::from_transactions(&tx);
        assert_eq!((s.len(), s.rows()), (4, 5));
        let sorted = s.sorted();
        let plus = DaySums {
            rows: 2,
            amount: 15.0,
            cost: 0.0,
        };
        assert_eq!(sorted[1], (CustomerId::Int(1), 0, 1, plus));
        assert_eq!(sorted[0].2, -1);
        assert_eq!(sorted[2].2, 0);
        let e = s.merge(PartialDays::empty(true)).unwrap_err();
        assert!(e.to_string().contains("with and without costs"), "{e}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Any cut of the rows, merged in any order, gives the state of
        /// the whole input (integer amounts: the sums are exact).
        #[test]
        fn merge_of_any_cut_in_any_order_is_the_whole(
            rows in proptest::collection::vec((0i64..9, 0i64..40, -3i32..30), 1..150),
            cuts in proptest::collection::vec(0usize..300, 0..6),
            reverse in any::<bool>(),
        ) {
            let whole = state(&rows);
            let mut bounds: Vec<usize> = cuts.iter().map(|c| c % (rows.len() + 1)).collect();
            bounds.push(0);
            bounds.push(rows.len());
            bounds.sort_unstable();
            let mut parts: Vec<PartialDays> =
                bounds.windows(2).map(|w| state(&rows[w[0]..w[1]])).collect();
            if reverse {
                parts.reverse();
            }
            // Left fold, and a fold of pairs (another grouping).
            let left = parts.clone().into_iter().reduce(|a, b| a.merge(b).unwrap()).unwrap();
            prop_assert_eq!(left.sorted(), whole.sorted());
            let mut level = parts;
            while level.len() > 1 {
                let mut next = Vec::new();
                let mut it = level.into_iter();
                while let Some(a) = it.next() {
                    next.push(match it.next() {
                        Some(b) => b.merge(a).unwrap(),
                        None => a,
                    });
                }
                level = next;
            }
            let grouped = level.pop().unwrap();
            prop_assert_eq!(grouped.sorted(), whole.sorted());
            prop_assert_eq!(whole.rows(), rows.len() as u64);
        }
    }
}
