//! Per-customer day states: what retention, churn flags and the CLV
//! summary read of partitioned transactions (Spark, Dask).
//!
//! Those three read, of each row, its customer, its local day, the sign of
//! its amount (a purchase is a positive amount, a return a negative one)
//! and its amount and margin (amount less cost, rounded per row as the
//! local CLV summary computes it), summed exactly per period. So the rows
//! become one entry per (customer, local day, sign) holding the number of
//! rows and the exact sums ([`ExactSum`]) of their amounts and margins: a
//! [`PartialDays`]. States merge by adding the entries of a key (exactly
//! associative and commutative: any cut of the rows, merged in any order,
//! gives the state of the whole input to the last bit), and the merged
//! state stands for transactions the local functions read as the whole
//! input ([`PartialDays::local_rows`]: rows whose amounts add up, per key,
//! to the exact sums, so that any sum of whole keys rounds as the local
//! sum of the original rows).
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

use foldhash::fast::FixedState;
use hashbrown::HashMap;

use crate::error::{CiblageError, Result};
use crate::exact_sum::ExactSum;
use crate::{CustomerId, CustomerIds, CustomerIndex, Transactions};

/// The key of an entry: customer code, local day (days since
/// 1970-01-01), sign of the amount (−1, 0, 1).
pub type DayKey = (u32, i64, i8);

/// A row count and the rounded sums of amounts and margins
/// ([`DaySums::rounded`]).
pub type RoundedSums = (u64, f64, f64);

/// What the rows of one key add up to.
#[derive(Debug, Clone, Default)]
pub struct DaySums {
    /// Number of rows.
    pub rows: u64,
    /// Exact sum of their amounts.
    pub amount: ExactSum,
    /// Exact sum of their margins, each `amount - cost` rounded (empty
    /// without costs).
    pub margin: ExactSum,
}

impl DaySums {
    /// The sums of one row (`cost` `None` without costs).
    pub fn of_row(amount: f64, cost: Option<f64>) -> Self {
        let mut s = Self {
            rows: 1,
            ..Self::default()
        };
        s.amount.add(amount);
        if let Some(c) = cost {
            s.margin.add(amount - c);
        }
        s
    }

    /// The row count and the rounded sums (amount, margin): a form to
    /// compare, equal for equal exact sums however they were added.
    pub fn rounded(&self) -> RoundedSums {
        (self.rows, self.amount.value(), self.margin.value())
    }

    fn add(&mut self, other: &DaySums) {
        self.rows += other.rows;
        self.amount.merge(&other.amount);
        self.margin.merge(&other.margin);
    }
}

/// Per-customer day state of some transactions; see the module
/// documentation.
#[derive(Debug, Clone)]
pub struct PartialDays {
    has_cost: bool,
    index: CustomerIndex,
    slots: HashMap<DayKey, usize, FixedState>,
    keys: Vec<DayKey>,
    sums: Vec<DaySums>,
}

/// The sign of a (finite) amount.
pub(super) fn sign(a: f64) -> i8 {
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
            slots: HashMap::default(),
            keys: Vec::new(),
            sums: Vec::new(),
        }
    }

    /// The state of the rows of `tx`, their days in its zone; the sums of
    /// a key are the exact sums of its rows.
    pub fn from_transactions(tx: &Transactions) -> Self {
        let costs = tx.costs();
        let mut state = Self::empty(costs.is_some());
        state.index = tx.customers().clone();
        let zone = tx.zone();
        let (codes, ts, amounts) = (tx.codes(), tx.timestamps(), tx.amounts());
        for (i, (&code, &a)) in codes.iter().zip(amounts).enumerate() {
            let sums = DaySums::of_row(a, costs.map(|c| c[i]));
            state.add((code, zone.day_of(ts[i]), sign(a)), &sums);
        }
        state
    }

    /// Replaces the (empty) index of a state being read.
    pub(crate) fn set_index(&mut self, index: CustomerIndex) {
        self.index = index;
    }

    /// Adds the sums of a key (a new entry for a key not seen yet).
    pub(crate) fn add(&mut self, key: DayKey, sums: &DaySums) {
        match self.slots.get(&key) {
            Some(&slot) => self.sums[slot].add(sums),
            None => {
                self.slots.insert(key, self.keys.len());
                self.keys.push(key);
                self.sums.push(sums.clone());
            }
        }
    }

    /// Adds one row to the entry of `key` (a new entry for a key not seen
    /// yet): the sums of [`DaySums::of_row`], added in place.
    pub(crate) fn add_row(&mut self, key: DayKey, amount: f64, cost: Option<f64>) {
        let slot = *self.slots.entry(key).or_insert_with(|| {
            self.keys.push(key);
            self.sums.push(DaySums::default());
            self.keys.len() - 1
        });
        let sums = &mut self.sums[slot];
        sums.rows += 1;
        sums.amount.add(amount);
        if let Some(c) = cost {
            sums.margin.add(amount - c);
        }
    }

    /// Moves the entry of `from` to the key `to`, its sums added to those
    /// of `to` when both exist; nothing without an entry for `from`.
    pub(crate) fn rekey(&mut self, from: DayKey, to: DayKey) {
        if from == to {
            return;
        }
        let Some(slot) = self.slots.remove(&from) else {
            return;
        };
        match self.slots.get(&to) {
            Some(&kept) => {
                // Rare (keys collapse before this move): the moved entry's
                // sums join `to`'s, and the last entry takes its slot.
                let sums = std::mem::take(&mut self.sums[slot]);
                self.sums[kept].add(&sums);
                let last = self.keys.len() - 1;
                self.keys.swap_remove(slot);
                self.sums.swap_remove(slot);
                if slot != last {
                    self.slots.insert(self.keys[slot], slot);
                }
            }
            None => {
                self.keys[slot] = to;
                self.slots.insert(to, slot);
            }
        }
    }

    /// The customer index, the state dropped.
    pub(crate) fn into_index(self) -> CustomerIndex {
        self.index
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
    pub fn entries(&self) -> impl ExactSizeIterator<Item = (DayKey, &DaySums)> + '_ {
        self.keys.iter().copied().zip(self.sums.iter())
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

    /// The entries sorted by customer id, day and sign, each with its id
    /// and its rounded sums ([`DaySums::rounded`]): a form that does not
    /// depend on the order the rows came in.
    pub fn sorted(&self) -> Vec<(CustomerId<'_>, i64, i8, RoundedSums)> {
        let ids = self.ids();
        let mut out: Vec<_> = self
            .entries()
            .map(|((code, day, s), sums)| (ids.get(code), day, s, sums.rounded()))
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
        let rows: Vec<(i64, i64, f64, f64)> = rows
            .iter()
            .map(|r| (r.0, r.1, f64::from(r.2), 0.0))
            .collect();
        float_state(&rows, false)
    }

    /// The state of rows (id, fifth of a day, amount, cost).
    fn float_state(rows: &[(i64, i64, f64, f64)], has_cost: bool) -> PartialDays {
        if rows.is_empty() {
            return PartialDays::empty(has_cost);
        }
        let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
        // Hours apart within a day: several rows of a key on one day.
        let ts: Vec<i64> = rows.iter().map(|r| r.1 * DAY / 5).collect();
        let amounts: Vec<f64> = rows.iter().map(|r| r.2).collect();
        let tx = Transactions::from_int_ids(&ids, ts, amounts).unwrap();
        let tx = if has_cost {
            tx.with_costs(rows.iter().map(|r| r.3).collect()).unwrap()
        } else {
            tx
        };
        PartialDays::from_transactions(&tx)
    }

    /// A float of any size and many bits: cents, tiny and huge values.
    fn amount() -> impl Strategy<Value = f64> {
        prop_oneof![
            (-500_000i64..5_000_000).prop_map(|c| c as f64 / 100.0),
            (-1e6f64..1e9),
            (-3i32..3, -60i32..60).prop_map(|(m, e)| f64::from(m) * 2f64.powi(e) * 1.1),
            Just(1e16),
            Just(-1e16),
        ]
    }

    /// A key by customer id.
    type Key = (i64, i64, i8);

    /// The local way: per key, its row count and the correctly rounded
    /// sums of its rows' amounts and margins.
    fn by_key(rows: &[(i64, i64, f64, f64)]) -> Vec<(Key, RoundedSums)> {
        let mut keys: std::collections::BTreeMap<Key, (u64, Vec<f64>, Vec<f64>)> =
            Default::default();
        for &(id, t, a, c) in rows {
            let e = keys.entry((id, t / 5, sign(a))).or_default();
            e.0 += 1;
            e.1.push(a);
            e.2.push(a - c);
        }
        keys.into_iter()
            .map(|(k, (n, a, m))| (k, (n, crate::exact_sum::sum(&a), crate::exact_sum::sum(&m))))
            .collect()
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
        assert_eq!(sorted[1], (CustomerId::Int(1), 0, 1, (2, 15.0, 0.0)));
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

        /// Floats of any size: the exact parts of any cut, merged in any
        /// order, give per key the correctly rounded sums of its rows
        /// (amounts and margins), and the local rows add up to them.
        #[test]
        fn exact_parts_merge_to_the_bit(
            rows in proptest::collection::vec((0i64..6, 0i64..20, amount(), amount()), 1..120),
            cut in 0usize..200,
            reverse in any::<bool>(),
        ) {
            let whole = float_state(&rows, true);
            let cut = cut % (rows.len() + 1);
            let (a, b) = (float_state(&rows[..cut], true), float_state(&rows[cut..], true));
            let merged = if reverse { b.merge(a).unwrap() } else { a.merge(b).unwrap() };
            let want = by_key(&rows);
            let got: Vec<_> = merged
                .sorted()
                .into_iter()
                .map(|(id, day, s, sums)| match id {
                    CustomerId::Int(id) => ((id, day, s), sums),
                    CustomerId::Str(_) => unreachable!(),
                })
                .collect();
            // Bits compared (so 0.0 against -0.0 would show).
            let bits = |v: &[(Key, RoundedSums)]| -> Vec<_> {
                v.iter().map(|(k, (n, a, m))| (*k, *n, a.to_bits(), m.to_bits())).collect()
            };
            prop_assert_eq!(bits(&got), bits(&want));
            prop_assert_eq!(whole.sorted(), merged.sorted());
            // The local rows of each key add up to its exact sums.
            let local = merged.local_rows();
            for ((code, day, s), sums) in merged.entries() {
                let mine: Vec<usize> = (0..local.codes.len())
                    .filter(|&i| local.codes[i] == code && local.days[i] == day && local.keys[i] == s)
                    .collect();
                prop_assert!(!mine.is_empty());
                let costs = local.costs.as_ref().unwrap();
                let margins: Vec<f64> = mine.iter().map(|&i| local.amounts[i] - costs[i]).collect();
                prop_assert_eq!(crate::exact_sum::sum(&margins).to_bits(), sums.margin.value().to_bits());
                for &i in &mine {
                    prop_assert_eq!(sign(local.amounts[i]), s);
                }
            }
            let plain = float_state(
                &rows.iter().map(|r| (r.0, r.1, r.2, 0.0)).collect::<Vec<_>>(),
                false,
            );
            let local = plain.local_rows();
            for ((code, day, s), sums) in plain.entries() {
                let amounts: Vec<f64> = (0..local.codes.len())
                    .filter(|&i| local.codes[i] == code && local.days[i] == day && local.keys[i] == s)
                    .map(|i| local.amounts[i])
                    .collect();
                prop_assert!(amounts.iter().all(|&a| sign(a) == s));
                prop_assert_eq!(crate::exact_sum::sum(&amounts).to_bits(), sums.amount.value().to_bits());
            }
        }
    }
}
