//! Per-customer partial state keyed by customer id, for transactions cut
//! into partitions that different processes or machines read (Spark, Dask).
//!
//! Each partition's rows become a [`PartialActivity`]: the per-customer
//! activity of [`crate::ActivityAccumulator`] (first and last purchase,
//! transactions, revenue, cost, and the input report), keyed by the
//! customer's own id rather than a process-local code, with the position
//! of the customer's first row, and the exact revenue and cost sums behind
//! the rounded ones ([`ExactTotals`]). Partial states merge (associatively
//! and commutatively: counts and exact sums add, first and last take the
//! minimum and maximum), so that the merged sums are those of a single
//! pass to the last bit, and travel as Arrow record batches
//! ([`PartialActivity::to_arrow`], [`PartialActivity::from_arrow`]); the
//! merged state gives back a [`crate::CustomerIndex`] and a
//! [`CustomerActivity`] that the local scoring takes as is
//! ([`crate::RfmValidParams::score_activity`],
//! [`crate::value::CustomerTotals::from_activity`]).
//!
//! ```
//! use ciblage::partial_state::PartialActivity;
//! use ciblage::{ActivityOptions, Rfm};
//! let day = 86_400_000_000i64;
//! let options = ActivityOptions::default();
//! // Two partitions of the same transactions.
//! let a = PartialActivity::from_rows(&[7, 8], &[0, day], &[10.0, 5.0], None, options, 0)?;
//! let b = PartialActivity::from_rows(&[7, 9], &[3 * day, 4 * day], &[2.5, 1.0], None, options, 2)?;
//! // Through Arrow, as an engine would ship them.
//! let b = PartialActivity::from_arrow(&b.to_arrow()?, options, false)?;
//! let (index, activity) = a.merge(b)?.into_activity()?;
//! let scores = Rfm::params().bins(2).score_activity(&activity, &index)?;
//! assert_eq!(scores.monetary(), &[12.5, 5.0, 1.0]); // ids 7, 8, 9
//! # Ok::<(), ciblage::CiblageError>(())
//! ```

use crate::error::{CiblageError, Result};
use crate::exact_sum::ExactSum;
use crate::{
    ActivityAccumulator, ActivityOptions, CustomerActivity, CustomerIds, CustomerIndex, ExactTotals,
};

#[cfg(feature = "arrow")]
mod arrow_form;
mod day_accumulator;
mod days;
#[cfg(feature = "arrow")]
mod days_arrow;
mod days_terms;

pub use day_accumulator::{DayCollapse, DayStateAccumulator};
pub use days::{DayKey, DaySums, PartialDays, RoundedSums};
#[cfg(feature = "arrow")]
pub use days_arrow::{PARTIAL_DAYS_COLUMNS, PARTIAL_DAYS_VERSION, PARTIAL_DAYS_VERSION_KEY};
pub use days_terms::{exact_terms, LocalRows};

#[cfg(feature = "arrow")]
pub use arrow_form::{PARTIAL_STATE_COLUMNS, PARTIAL_STATE_VERSION, PARTIAL_STATE_VERSION_KEY};

/// The per-customer activity of some of the transactions, keyed by
/// customer id; see the module documentation.
#[derive(Debug, Clone)]
pub struct PartialActivity {
    options: ActivityOptions,
    has_cost: bool,
    index: CustomerIndex,
    activity: CustomerActivity,
    exact: ExactTotals,
    first_seen: Vec<i64>,
}

impl PartialActivity {
    /// A partial state from an index and the activity of its codes;
    /// `first_seen[c]` is the position of customer `c`'s first row in the
    /// order of the whole input (partition, then row, say). The activity's
    /// rounded sums stand for the exact ones: see
    /// [`PartialActivity::new_exact`] to keep the exact sums.
    ///
    /// # Errors
    /// Lengths that differ, costs present against `has_cost`, or distinct
    /// purchase days (their counts cannot be added across partitions).
    pub fn new(
        index: CustomerIndex,
        activity: CustomerActivity,
        options: ActivityOptions,
        has_cost: bool,
        first_seen: Vec<i64>,
    ) -> Result<Self> {
        let n = index.len();
        for (argument, got) in [
            ("activity", activity.len()),
            ("first_seen", first_seen.len()),
        ] {
            if got != n {
                return Err(CiblageError::LengthMismatch {
                    argument: argument.into(),
                    expected: n,
                    got,
                });
            }
        }
        // Checks costs and purchase days the way a merge does.
        let mut acc = ActivityAccumulator::new(options, has_cost);
        let codes: Vec<u32> = (0..n as u32).collect();
        acc.push_activity(&codes, &activity, n)?;
        let activity = acc.finish();
        Ok(Self {
            options,
            has_cost,
            exact: ExactTotals::of_rounded(&activity),
            index,
            activity,
            first_seen,
        })
    }

    /// As [`PartialActivity::new`], with the exact sums behind the
    /// activity's revenue and cost (from
    /// [`ActivityAccumulator::finish_exact`]): merged states then add the
    /// exact sums and round once.
    ///
    /// # Errors
    /// As [`PartialActivity::new`], and exact sums not one per customer
    /// or with costs against `has_cost`.
    pub fn new_exact(
        index: CustomerIndex,
        activity: CustomerActivity,
        exact: ExactTotals,
        options: ActivityOptions,
        has_cost: bool,
        first_seen: Vec<i64>,
    ) -> Result<Self> {
        let n = index.len();
        let lens = [
            ("exact", exact.revenue.len()),
            ("exact", exact.cost.as_ref().map_or(n, Vec::len)),
        ];
        if let Some(&(argument, got)) = lens.iter().find(|&&(_, got)| got != n) {
            return Err(CiblageError::LengthMismatch {
                argument: argument.into(),
                expected: n,
                got,
            });
        }
        if exact.cost.is_some() != has_cost {
            return Err(CiblageError::param(
                "exact",
                "give exact costs with costs, and only then",
            ));
        }
        let mut state = Self::new(index, activity, options, has_cost, first_seen)?;
        state.set_exact(exact);
        Ok(state)
    }

    /// Puts `exact` in and the activity's sums in step with it.
    fn set_exact(&mut self, exact: ExactTotals) {
        self.activity.revenue = exact.revenue.iter().map(ExactSum::value).collect();
        self.activity.cost = exact
            .cost
            .as_ref()
            .map(|c| c.iter().map(ExactSum::value).collect());
        self.exact = exact;
    }

    /// An empty partial state (the state of no row).
    pub fn empty(options: ActivityOptions, has_cost: bool) -> Self {
        Self {
            options,
            has_cost,
            index: CustomerIndex::new(),
            activity: ActivityAccumulator::new(options, has_cost).finish(),
            exact: ExactTotals {
                revenue: Vec::new(),
                cost: has_cost.then(Vec::new),
            },
            first_seen: Vec::new(),
        }
    }

    /// The partial state of rows with integer customer ids; row `i` is at
    /// position `row0 + i` of the whole input (also the row number in
    /// error messages).
    ///
    /// # Errors
    /// As [`ActivityAccumulator::push`].
    pub fn from_rows(
        ids: &[i64],
        timestamps: &[i64],
        amounts: &[f64],
        costs: Option<&[f64]>,
        options: ActivityOptions,
        row0: usize,
    ) -> Result<Self> {
        let mut index = CustomerIndex::new();
        let mut codes = Vec::with_capacity(ids.len());
        index.encode_i64(ids, &mut codes)?;
        let mut acc = ActivityAccumulator::new(options, costs.is_some());
        let mut first_seen = Vec::new();
        record_first_rows(&codes, row0 as i64, &mut first_seen);
        acc.push(&codes, timestamps, amounts, costs, index.len())
            .map_err(|e| shift_row(e, row0))?;
        let (activity, exact) = acc.finish_exact();
        Self::new_exact(index, activity, exact, options, costs.is_some(), first_seen)
    }

    /// Number of customers.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// True when there is no customer.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The options the activity was read with.
    pub fn options(&self) -> ActivityOptions {
        self.options
    }

    /// True when the state holds costs.
    pub fn has_cost(&self) -> bool {
        self.has_cost
    }

    /// The customer ids, in the order of [`PartialActivity::activity`].
    pub fn ids(&self) -> &CustomerIds {
        self.index.ids()
    }

    /// The per-customer activity (one entry per id).
    pub fn activity(&self) -> &CustomerActivity {
        &self.activity
    }

    /// The exact sums behind the activity's revenue and cost.
    pub fn exact(&self) -> &ExactTotals {
        &self.exact
    }

    /// Position of each customer's first row in the whole input.
    pub fn first_seen(&self) -> &[i64] {
        &self.first_seen
    }

    /// The state of the rows of both: the customers of `other` are found
    /// by id; counts and sums add, first and last purchases and first rows
    /// take the minimum and maximum, the input reports add up.
    ///
    /// # Errors
    /// Options or costs that differ, or integer ids against string ids.
    pub fn merge(mut self, other: Self) -> Result<Self> {
        if self.options != other.options || self.has_cost != other.has_cost {
            return Err(CiblageError::param(
                "other",
                "partial states read with different options cannot be merged",
            ));
        }
        if self.is_empty() && self.activity.report.rows == 0 {
            return Ok(other);
        }
        if other.is_empty() {
            // No customer, hence no row: nothing to add but the report.
            self.activity.report.merge(&other.activity.report);
            return Ok(self);
        }
        let mut codes = Vec::with_capacity(other.len());
        encode_ids(&mut self.index, other.ids(), &mut codes)?;
        let n = self.index.len();
        let mut acc = ActivityAccumulator::new(self.options, self.has_cost);
        let own: Vec<u32> = (0..self.activity.len() as u32).collect();
        acc.push_activity(&own, &self.activity, n)?;
        acc.push_activity(&codes, &other.activity, n)?;
        self.first_seen.resize(n, i64::MAX);
        for (&code, &seen) in codes.iter().zip(&other.first_seen) {
            let mine = &mut self.first_seen[code as usize];
            *mine = (*mine).min(seen);
        }
        self.activity = acc.finish();
        // The exact sums add, rounded once.
        let mut exact = std::mem::take(&mut self.exact);
        let add = |mine: &mut Vec<ExactSum>, theirs: &[ExactSum]| {
            mine.resize(n, ExactSum::new());
            for (&code, s) in codes.iter().zip(theirs) {
                mine[code as usize].merge(s);
            }
        };
        add(&mut exact.revenue, &other.exact.revenue);
        if let (Some(mine), Some(theirs)) = (exact.cost.as_mut(), other.exact.cost.as_ref()) {
            add(mine, theirs);
        }
        self.set_exact(exact);
        Ok(self)
    }

    /// The index and activity to score, the customers coded in the order
    /// of their first row (as a single pass over the whole input codes
    /// them); what [`crate::RfmValidParams::score_activity`] and
    /// [`crate::value::CustomerTotals::from_activity`] take.
    ///
    /// # Errors
    /// No row at all ([`CiblageError::EmptyInput`], as for a table without
    /// rows).
    pub fn into_activity(self) -> Result<(CustomerIndex, CustomerActivity)> {
        if self.activity.report.rows == 0 {
            return Err(CiblageError::EmptyInput {
                argument: "transactions".into(),
            });
        }
        let n = self.len();
        let mut order: Vec<u32> = (0..n as u32).collect();
        order.sort_by_key(|&c| (self.first_seen[c as usize], c));
        let ids = self.index.ids().gather(&order);
        let mut index = CustomerIndex::named("customer");
        let mut new_codes = Vec::with_capacity(n);
        match &ids {
            CustomerIds::Int(v) => index.encode_i64_all(&[v], &mut new_codes)?,
            CustomerIds::Str(s) => index.encode_str(s.iter(), &mut new_codes)?,
        }
        // Customer `order[j]` of this state is code `new_codes[j]`.
        let mut codes = vec![0u32; n];
        for (&old, &new) in order.iter().zip(&new_codes) {
            codes[old as usize] = new;
        }
        let mut acc = ActivityAccumulator::new(self.options, self.has_cost);
        acc.push_activity(&codes, &self.activity, n)?;
        let mut activity = acc.finish();
        // The sums of the exact state, rounded once (the activity's are
        // already so; moved with the customers).
        let moved = |sums: &[ExactSum], out: &mut [f64]| {
            for (&code, s) in codes.iter().zip(sums) {
                out[code as usize] = s.value();
            }
        };
        moved(&self.exact.revenue, &mut activity.revenue);
        if let (Some(sums), Some(out)) = (self.exact.cost.as_ref(), activity.cost.as_mut()) {
            moved(sums, out);
        }
        Ok((index, activity))
    }
}

/// Appends, for each code of `codes` met for the first time (codes are
/// given in order of first appearance, from `first_seen.len()` on), the
/// position `row0 + i` of its first row.
pub fn record_first_rows(codes: &[u32], row0: i64, first_seen: &mut Vec<i64>) {
    for (i, &code) in codes.iter().enumerate() {
        if code as usize == first_seen.len() {
            first_seen.push(row0 + i as i64);
        }
    }
}

/// Encodes the ids of another index into `index`.
fn encode_ids(index: &mut CustomerIndex, ids: &CustomerIds, out: &mut Vec<u32>) -> Result<()> {
    match ids {
        CustomerIds::Int(v) => index.encode_i64(v, out),
        CustomerIds::Str(s) => index.encode_str(s.iter(), out),
    }
}

/// The error of a row counted from 0 (a non-finite or negative amount or
/// cost), its row counted from `row0`; other errors as they are.
pub fn shift_row(e: CiblageError, row0: usize) -> CiblageError {
    match e {
        CiblageError::NonFinite {
            argument,
            row,
            value,
        } => CiblageError::NonFinite {
            argument,
            row: row + row0,
            value,
        },
        CiblageError::NegativeAmount {
            argument,
            row,
            value,
        } => CiblageError::NegativeAmount {
            argument,
            row: row + row0,
            value,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests;
