//! Absorbing the per-customer totals of another activity (rows read
//! elsewhere: another partition, another machine) under a code map.

use super::partial::Exps;
use super::{ActivityAccumulator, CustomerActivity};
use crate::error::{CiblageError, Result};
use crate::exact_sum::{add96, sample_exp};

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
        // The sums are added exactly, as rows are.
        let n = other.len();
        self.state.lower_exps(Exps {
            revenue: sample_exp(std::iter::once(&other.revenue[..]), n).unwrap_or(i32::MAX),
            cost: sample_exp(other.cost.as_deref().into_iter(), n).unwrap_or(i32::MAX),
        });
        let exps = self.state.exps;
        for (i, &code) in codes.iter().enumerate() {
            let s = &mut self.state.customers[code as usize];
            let n = other.transactions[i];
            if n > 0 {
                s.first = s.first.min(other.first[i]);
                s.last = s.last.max(other.last[i]);
            }
            s.transactions = s.transactions.saturating_add(n);
            let x = other.revenue[i];
            if !add96(&mut s.rev_lo, &mut s.rev_hi, x, exps.revenue) {
                self.state.revenue_spill.add(code, x);
            }
        }
        if let Some(cost) = &other.cost {
            for (&code, &k) in codes.iter().zip(cost) {
                if !self.state.cost[code as usize].add(k, exps.cost) {
                    self.state.cost_spill.add(code, k);
                }
            }
        }
        self.state.report.merge(&other.report);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ActivityOptions;

    fn part(has_cost: bool) -> CustomerActivity {
        let mut acc = ActivityAccumulator::new(ActivityOptions::default(), has_cost);
        let costs = has_cost.then_some(&[1.0, 2.0][..]);
        acc.push(&[0, 0], &[5, 9], &[1.5, 2.0], costs, 1).unwrap();
        acc.finish()
    }

    #[test]
    fn customers_without_counted_rows_keep_no_dates() {
        // A customer whose only row was after the reference date: counted
        // nowhere, its dates stay unset after the merge.
        let options = ActivityOptions {
            last_date: chrono::NaiveDate::from_ymd_opt(1970, 1, 1),
            ..Default::default()
        };
        let mut late = ActivityAccumulator::new(options, false);
        late.push(&[0], &[10 * 86_400_000_000], &[4.0], None, 1)
            .unwrap();
        let late = late.finish();
        let mut acc = ActivityAccumulator::new(options, false);
        acc.push(&[0], &[7], &[1.0], None, 1).unwrap();
        acc.push_activity(&[1, 0][..1], &late, 2).unwrap();
        let a = acc.finish();
        assert_eq!(a.transactions, [1, 0]);
        assert_eq!((a.first[1], a.last[1]), (i64::MAX, i64::MAX));
        assert_eq!((a.first[0], a.last[0]), (7, 7));
        assert_eq!(a.report.rows, 2);
        assert_eq!(a.report.rows_after_as_of, 1);
        assert_eq!(a.report.customers_without_rows, 1);
    }

    #[test]
    fn costs_add_and_mismatches_are_refused() {
        let mut acc = ActivityAccumulator::new(ActivityOptions::default(), true);
        acc.push_activity(&[0], &part(true), 1).unwrap();
        acc.push_activity(&[0], &part(true), 1).unwrap();
        let a = acc.finish();
        // By hand: 2 x (1.5 + 2.0) and 2 x (1.0 + 2.0).
        assert_eq!((a.revenue[0], a.cost.as_ref().unwrap()[0]), (7.0, 6.0));
        assert_eq!(a.transactions, [4]);
        let mut acc = ActivityAccumulator::new(ActivityOptions::default(), true);
        let e = acc.push_activity(&[0], &part(false), 1).unwrap_err();
        assert!(matches!(
            e,
            CiblageError::InvalidParameter { name: "cost", .. }
        ));
        let e = acc.push_activity(&[0, 1], &part(true), 2).unwrap_err();
        assert!(matches!(e, CiblageError::LengthMismatch { .. }));
        let e = acc.push_activity(&[3], &part(true), 1).unwrap_err();
        assert!(e.to_string().contains('3'), "{e}");
        let days = ActivityOptions {
            distinct_days: true,
            ..Default::default()
        };
        let mut acc = ActivityAccumulator::new(days, false);
        let e = acc.push_activity(&[0], &part(false), 1).unwrap_err();
        assert!(matches!(
            e,
            CiblageError::InvalidParameter {
                name: "frequency",
                ..
            }
        ));
    }
}
