//! Absorbing the per-customer totals of another activity (rows read
//! elsewhere: another partition, another machine) under a code map.

use super::{ActivityAccumulator, CustomerActivity};
use crate::error::{CiblageError, Result};

impl ActivityAccumulator {
    /// Adds the per-customer totals of `other` (the activity of other rows,
    /// built with the same options) to this accumulator: customer `i` of
    /// `other` is this accumulator's code `codes[i]`, below `n_customers`.
    /// First and last purchases take the minimum and maximum, counts and
    /// sums add, and the input reports add up.
    ///
    /// ```
    /// use ciblage::{ActivityAccumulator, ActivityOptions};
    /// let mut part = ActivityAccumulator::new(ActivityOptions::default(), false);
    /// part.push(&[0, 1], &[10, 20], &[5.0, 7.0], None, 2)?;
    /// let other = part.finish();
    /// let mut acc = ActivityAccumulator::new(ActivityOptions::default(), false);
    /// acc.push(&[0], &[30], &[1.0], None, 1)?;
    /// // `other`'s customer 0 is code 1 here, its customer 1 code 0.
    /// acc.push_activity(&[1, 0], &other, 2)?;
    /// let activity = acc.finish();
    /// assert_eq!(activity.transactions, [2, 1]);
    /// assert_eq!(activity.first, [20, 10]);
    /// assert_eq!(activity.last, [30, 10]);
    /// assert_eq!(activity.revenue, [8.0, 5.0]);
    /// # Ok::<(), ciblage::CiblageError>(())
    /// ```
    ///
    /// # Errors
    /// `codes` not one per customer of `other` or not below `n_customers`,
    /// costs present in one and not the other, or distinct purchase days
    /// asked for (their counts cannot be added).
    pub fn push_activity(
        &mut self,
        codes: &[u32],
        other: &CustomerActivity,
        n_customers: usize,
    ) -> Result<()> {
        if codes.len() != other.len() {
            return Err(CiblageError::LengthMismatch {
                argument: "codes".into(),
                expected: other.len(),
                got: codes.len(),
            });
        }
        if other.cost.is_some() != self.has_cost {
            return Err(CiblageError::param(
                "cost",
                "give costs with every part of the activity or with none",
            ));
        }
        if self.options.distinct_days || other.purchase_days.is_some() {
            return Err(CiblageError::param(
                "frequency",
                "distinct purchase days cannot be added across parts of the activity",
            ));
        }
        crate::transactions::check_codes(codes, n_customers)?;
        self.state.grow(n_customers, self.has_cost);
        for (i, &code) in codes.iter().enumerate() {
            let s = &mut self.state.customers[code as usize];
            let n = other.transactions[i];
            if n > 0 {
                s.first = s.first.min(other.first[i]);
                s.last = s.last.max(other.last[i]);
            }
            s.transactions = s.transactions.saturating_add(n);
            s.revenue += other.revenue[i];
        }
        if let Some(cost) = &other.cost {
            for (&code, &k) in codes.iter().zip(cost) {
                self.state.cost[code as usize] += k;
            }
        }
        self.state.report.merge(&other.report);
        Ok(())
    }
}
