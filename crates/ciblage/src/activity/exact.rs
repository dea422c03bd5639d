//! The exact per-customer sums behind an activity's rounded revenue and
//! cost, for partial states that travel between processes and must add up
//! to the bits of a single pass (see [`crate::partial_state`]).

use super::partial::Partial;
use super::{ActivityAccumulator, CustomerActivity};
use crate::exact_sum::ExactSum;

/// The exact (unrounded) per-customer revenue and cost sums of an
/// activity, one entry per customer; `cost` is `None` without costs.
/// Rounded, they are the activity's `revenue` and `cost`.
#[derive(Debug, Clone, Default)]
pub struct ExactTotals {
    /// Exact revenue sums.
    pub revenue: Vec<ExactSum>,
    /// Exact cost sums, when costs were given.
    pub cost: Option<Vec<ExactSum>>,
}

impl ExactTotals {
    /// The sums of an activity's rounded values (exact sums of one term
    /// each): what an activity known only by its rounded sums holds.
    pub fn of_rounded(activity: &CustomerActivity) -> Self {
        let one = |v: &[f64]| v.iter().map(|&x| std::iter::once(x).collect()).collect();
        Self {
            revenue: one(&activity.revenue),
            cost: activity.cost.as_deref().map(one),
        }
    }
}

impl ActivityAccumulator {
    /// The per-customer activity, as [`ActivityAccumulator::finish`], and
    /// the exact sums its revenue and cost are the rounding of.
    ///
    /// ```
    /// use ciblage::{ActivityAccumulator, ActivityOptions};
    /// let mut acc = ActivityAccumulator::new(ActivityOptions::default(), false);
    /// acc.push(&[0, 0, 0], &[1, 2, 3], &[1e16, 1.0, 1.0], None, 1)?;
    /// let (activity, exact) = acc.finish_exact();
    /// assert_eq!(activity.revenue, [1.0000000000000002e16]);
    /// // Less 1e16, the exact sum holds the 2 the rounding lost.
    /// let mut rest = exact.revenue[0].clone();
    /// rest.add(-1e16);
    /// assert_eq!(rest.value(), 2.0);
    /// # Ok::<(), ciblage::CiblageError>(())
    /// ```
    pub fn finish_exact(self) -> (CustomerActivity, ExactTotals) {
        let exact = self.state.exact_totals(self.has_cost);
        (self.finish(), exact)
    }
}

impl Partial {
    /// The exact revenue and cost sums of every customer.
    pub(super) fn exact_totals(&self, has_cost: bool) -> ExactTotals {
        let revenue = (self.customers.iter().enumerate())
            .map(|(c, s)| {
                self.revenue_spill
                    .exact(c as u32, s.revenue(), self.exps.revenue)
            })
            .collect();
        let cost = has_cost.then(|| {
            (self.cost.iter().enumerate())
                .map(|(c, s)| self.cost_spill.exact(c as u32, s.get(), self.exps.cost))
                .collect()
        });
        ExactTotals { revenue, cost }
    }
}
