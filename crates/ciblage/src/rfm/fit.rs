//! Scoring: transactions → activity per customer → values → classes per
//! criterion → segments, checked for sums beyond the float range. The
//! verbs of [`RfmParams`] and [`RfmValidParams`] live here, beside the
//! pipeline they run.

use rayon::prelude::*;

use crate::activity::CustomerActivity;
use crate::customers::CustomerIndex;
use crate::error::{CiblageError, Result};
use crate::rfm::binning::{classify, Binning, Classes};
use crate::rfm::params::{
    FrequencyMeasure, MonetaryMeasure, RfmParams, RfmValidParams, RfmVariant,
};
use crate::rfm::scores::RfmScores;
use crate::rfm::summary::{Criterion, CriterionReport};
use crate::time::{date_from_day, day_from_date, iso_day};
use crate::transactions::Transactions;

impl RfmParams {
    /// Validates, then scores `transactions`: `self.check()?.score(..)`.
    ///
    /// # Errors
    /// Invalid parameters, or see [`RfmValidParams::score`].
    pub fn score(self, transactions: &Transactions) -> Result<RfmScores> {
        self.check()?.score(transactions)
    }

    /// Validates, then scores aggregated activity:
    /// `self.check()?.score_activity(..)`.
    ///
    /// # Errors
    /// Invalid parameters, or see [`RfmValidParams::score_activity`].
    pub fn score_activity(
        self,
        activity: &CustomerActivity,
        customers: &CustomerIndex,
    ) -> Result<RfmScores> {
        self.check()?.score_activity(activity, customers)
    }
}

impl RfmValidParams {
    /// Aggregates and scores `transactions`.
    ///
    /// # Errors
    /// Margin asked without costs, negative amounts under the `Reject`
    /// policy, or no transaction left on or before the reference date.
    pub fn score(&self, transactions: &Transactions) -> Result<RfmScores> {
        let activity = CustomerActivity::from_transactions(
            transactions,
            self.activity_options(transactions.zone()),
        )?;
        self.score_activity(&activity, transactions.customers())
    }

    /// Scores aggregated activity (see [`crate::ActivityAccumulator`]);
    /// `customers` is the index whose codes the activity uses.
    ///
    /// # Errors
    /// As [`RfmValidParams::score`].
    pub fn score_activity(
        &self,
        activity: &CustomerActivity,
        customers: &CustomerIndex,
    ) -> Result<RfmScores> {
        // Progress: the scoring is one unit (the accumulation, when an
        // accumulator shares the token, counts its rows).
        self.interrupt.add_total(1);
        self.interrupt.check()?;
        let scores = run(self, activity, customers)?;
        self.interrupt.check()?;
        self.interrupt.advance(1);
        Ok(scores)
    }
}

/// Runs the whole pipeline; see [`RfmValidParams::score_activity`].
fn run(
    params: &RfmValidParams,
    activity: &CustomerActivity,
    customers: &CustomerIndex,
) -> Result<RfmScores> {
    if activity.len() != customers.len() {
        return Err(CiblageError::LengthMismatch {
            argument: "activity".into(),
            expected: customers.len(),
            got: activity.len(),
        });
    }
    let revenue = &activity.revenue;
    let cost = match (params.monetary_measure, &activity.cost) {
        (MonetaryMeasure::Margin, None) => {
            return Err(CiblageError::param(
                "monetary",
                "\"margin\" needs a cost column (amount minus cost)",
            ))
        }
        (MonetaryMeasure::Margin, Some(c)) => Some(c),
        (MonetaryMeasure::Revenue, _) => None,
    };
    let counts = match params.frequency_measure {
        FrequencyMeasure::Transactions => &activity.transactions,
        FrequencyMeasure::PurchaseDays => activity
            .purchase_days
            .as_ref()
            .unwrap_or(&activity.transactions),
    };
    let zone = activity.zone;
    // Scored customers, in id order.
    let mut order = customers.sorted_codes();
    // A sequential scan first: usually every customer has a counted row,
    // and the filter's reads in id order would be random.
    if !(0..activity.len()).all(|c| activity.is_active(c)) {
        order = order
            .into_par_iter()
            .filter(|&c| activity.is_active(c as usize))
            .collect();
    }
    let as_of_day = match params.as_of {
        Some(d) => day_from_date(d),
        None => match order.iter().map(|&c| activity.last[c as usize]).max() {
            Some(last) => zone.day_of(last) + 1,
            None => 0,
        },
    };
    let as_of = date_from_day(as_of_day)
        .ok_or_else(|| CiblageError::param("as_of", format!("day {as_of_day} is out of range")))?;
    if order.is_empty() {
        let r = &activity.report;
        return Err(CiblageError::NothingToScore {
            // Without rows there is no default date (the day after the
            // last row): say so rather than show day 0, 1970-01-01.
            as_of: match params.as_of {
                Some(_) => iso_day(as_of_day),
                None => "the default reference date".into(),
            },
            reason: format!(
                "{} rows read, {} after the reference date, {} negative rows excluded",
                r.rows, r.rows_after_as_of, r.negative_rows_excluded
            ),
        });
    }
    let pick = |v: &[i64]| -> Vec<i64> { order.par_iter().map(|&c| v[c as usize]).collect() };
    let first_purchase = pick(&activity.first);
    let last_purchase = pick(&activity.last);
    let day = |t: &i64| zone.day_of(*t);
    let recency_days: Vec<i64> = last_purchase
        .par_iter()
        .map(|t| as_of_day - day(t))
        .collect();
    let tenure_days: Vec<i64> = first_purchase
        .par_iter()
        .map(|t| as_of_day - day(t))
        .collect();
    let frequency: Vec<u32> = order.par_iter().map(|&c| counts[c as usize]).collect();
    let monetary: Vec<f64> = order
        .par_iter()
        .map(|&c| {
            let c = c as usize;
            revenue[c] - cost.map_or(0.0, |k| k[c])
        })
        .collect();
    check_customer_sums(
        activity,
        cost.map(Vec::as_slice),
        &order,
        &monetary,
        customers,
    )?;
    let average: Vec<f64> = monetary
        .iter()
        .zip(&frequency)
        .map(|(&m, &f)| m / f64::from(f.max(1)))
        .collect();

    let ids = customers.ids().gather(&order);
    // Ties of equal-count classes are broken by customer id, i.e. row order here.
    let needs_ties = [&params.recency, &params.frequency, &params.monetary]
        .iter()
        .any(|b| **b == Binning::EqualCount);
    let tie_order: Vec<u32> = if needs_ties {
        (0..order.len() as u32).collect()
    } else {
        Vec::new()
    };
    let [kr, kf, km] = params.classes();
    let values_r: Vec<f64> = recency_days.iter().map(|&d| d as f64).collect();
    let values_f: Vec<f64> = frequency.iter().map(|&f| f64::from(f)).collect();
    let values_m = match params.variant {
        RfmVariant::Rfm => &monetary,
        RfmVariant::Rfa => &average,
    };
    let ((cr, cf), cm) = rayon::join(
        || {
            rayon::join(
                || classify(&values_r, &params.recency, kr, &tie_order),
                || classify(&values_f, &params.frequency, kf, &tie_order),
            )
        },
        || classify(values_m, &params.monetary, km, &tie_order),
    );
    let reverse = |c: Classes| -> Classes {
        let classes = c.classes.iter().map(|&x| kr + 1 - x).collect();
        Classes { classes, ..c }
    };
    let cr = reverse(cr);
    let m_criterion = match params.variant {
        RfmVariant::Rfm => Criterion::Monetary,
        RfmVariant::Rfa => Criterion::Average,
    };
    let criteria = [
        CriterionReport::new(Criterion::Recency, &params.recency, kr, &cr),
        CriterionReport::new(Criterion::Frequency, &params.frequency, kf, &cf),
        CriterionReport::new(m_criterion, &params.monetary, km, &cm),
    ];
    let scores = [cr.classes, cf.classes, cm.classes];
    let segment = (0..order.len())
        .map(|i| {
            params
                .segments
                .index_of(scores[0][i], scores[1][i], scores[2][i]) as u16
        })
        .collect();
    let scores = RfmScores {
        params: params.clone(),
        as_of,
        zone,
        ids,
        first_purchase,
        last_purchase,
        recency_days,
        tenure_days,
        frequency,
        monetary,
        average,
        scores,
        segment,
        criteria,
        report: activity.report,
    };
    check_segment_sums(&scores)?;
    Ok(scores)
}

/// Refuses per-customer sums (revenue, cost, margin) that overflow to ±inf
/// although every row is finite; the customer is named. One pass over the
/// scored customers.
pub(crate) fn check_customer_sums(
    activity: &CustomerActivity,
    cost: Option<&[f64]>,
    order: &[u32],
    monetary: &[f64],
    customers: &CustomerIndex,
) -> Result<()> {
    if monetary.iter().all(|m| m.is_finite()) {
        return Ok(());
    }
    let Some(&c) = order
        .iter()
        .zip(monetary)
        .find_map(|(c, m)| (!m.is_finite()).then_some(c))
    else {
        return Ok(());
    };
    let id = customers.id(c);
    let (argument, what) = if !activity.revenue[c as usize].is_finite() {
        ("amount", "sum of amounts")
    } else if cost.is_some_and(|k| !k[c as usize].is_finite()) {
        ("cost", "sum of costs")
    } else {
        ("amount", "margin (sum of amounts minus sum of costs)")
    };
    CiblageError::check_sum(argument, || format!("{what} of customer {id}"), f64::NAN).map(|_| ())
}

/// Refuses a per-segment total of monetary values that leaves the float
/// range (customers' values are finite, their sum need not be).
pub(crate) fn check_segment_sums(scores: &RfmScores) -> Result<()> {
    for row in scores.segment_summary() {
        let what = || format!("total of segment {:?}", row.segment);
        CiblageError::check_sum("amount", what, row.revenue)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::error::CiblageError;
    use crate::rfm::params::{MonetaryMeasure, Rfm};
    use crate::time::MICROS_PER_DAY as DAY;
    use crate::transactions::Transactions;

    #[test]
    fn sums_beyond_the_float_range_are_refused() {
        // Customer 1 buys 1e308 twice: every row is finite, the total
        // (2e308 > f64::MAX ≈ 1.797e308) is not.
        let tx = Transactions::from_int_ids(&[1, 1, 2], vec![0, DAY, DAY], vec![1e308, 1e308, 1.0])
            .unwrap();
        let e = Rfm::params().score(&tx).unwrap_err();
        assert_eq!(
            e.to_string(),
            "amount: the sum of amounts of customer 1 overflows the range of 64-bit floats (about ±1.8e308)"
        );
        // Two customers of 1e308 each are finite; the segment holding both
        // is not (bins 2 with equal values: both land in one segment).
        let tx = Transactions::from_int_ids(&[1, 2], vec![0, 0], vec![1e308, 1e308]).unwrap();
        let e = Rfm::params().bins(2).score(&tx).unwrap_err();
        assert!(
            matches!(&e, CiblageError::SumOverflow { what, .. } if what.starts_with("total of segment")),
            "{e}"
        );
        // Margin: revenue 1e308 and cost −1e308 are finite, their difference is not.
        let tx = Transactions::from_int_ids(&[1, 2], vec![0, 0], vec![1e308, 1.0])
            .unwrap()
            .with_costs(vec![-1e308, 0.0])
            .unwrap();
        let e = Rfm::params()
            .monetary(MonetaryMeasure::Margin)
            .score(&tx)
            .unwrap_err();
        assert!(e.to_string().contains("margin"), "{e}");
    }
}
