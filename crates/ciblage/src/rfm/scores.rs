//! The scoring pipeline and its result, [`RfmScores`].

use chrono::NaiveDate;
use rayon::prelude::*;

use crate::activity::{CustomerActivity, InputReport};
use crate::customers::{CustomerIds, CustomerIndex};
use crate::error::{CiblageError, Result};
use crate::rfm::binning::{classify, Classes};
use crate::rfm::params::{FrequencyMeasure, MonetaryMeasure, RfmValidParams, RfmVariant};
use crate::rfm::summary::{
    check_customer_sums, check_segment_sums, Criterion, CriterionReport, SegmentSummary,
};
use crate::time::{date_from_day, day_from_date, iso_day, Zone};

/// Per-customer RFM values, scores and segments, one row per customer that
/// has at least one counted transaction, ordered by customer id.
#[derive(Debug, Clone, PartialEq)]
pub struct RfmScores {
    pub(crate) params: RfmValidParams,
    pub(crate) as_of: NaiveDate,
    pub(crate) zone: Zone,
    pub(crate) ids: CustomerIds,
    pub(crate) first_purchase: Vec<i64>,
    pub(crate) last_purchase: Vec<i64>,
    pub(crate) recency_days: Vec<i64>,
    pub(crate) tenure_days: Vec<i64>,
    pub(crate) frequency: Vec<u32>,
    pub(crate) monetary: Vec<f64>,
    pub(crate) average: Vec<f64>,
    pub(crate) scores: [Vec<u8>; 3],
    pub(crate) segment: Vec<u16>,
    pub(crate) criteria: [CriterionReport; 3],
    pub(crate) report: InputReport,
}

/// Runs the whole pipeline; see [`RfmValidParams::score`].
pub(crate) fn score(
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
        .any(|b| **b == crate::rfm::Binning::EqualCount);
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

impl RfmScores {
    /// Number of scored customers.
    pub fn len(&self) -> usize {
        self.segment.len()
    }

    /// True when no customer was scored (never, in practice: scoring fails instead).
    pub fn is_empty(&self) -> bool {
        self.segment.is_empty()
    }

    /// The parameters used.
    pub fn params(&self) -> &RfmValidParams {
        &self.params
    }

    /// The reference date.
    pub fn as_of(&self) -> NaiveDate {
        self.as_of
    }

    /// Zone of day boundaries.
    pub fn zone(&self) -> Zone {
        self.zone
    }

    /// Customer ids, ascending.
    pub fn ids(&self) -> &CustomerIds {
        &self.ids
    }

    /// Instant of the first counted transaction (µs since the epoch).
    pub fn first_purchase(&self) -> &[i64] {
        &self.first_purchase
    }

    /// Instant of the last counted transaction (µs since the epoch).
    pub fn last_purchase(&self) -> &[i64] {
        &self.last_purchase
    }

    /// Days from the last purchase's local date to the reference date.
    pub fn recency_days(&self) -> &[i64] {
        &self.recency_days
    }

    /// Days from the first purchase's local date to the reference date.
    pub fn tenure_days(&self) -> &[i64] {
        &self.tenure_days
    }

    /// Transactions or distinct purchase days, per the parameters.
    pub fn frequency(&self) -> &[u32] {
        &self.frequency
    }

    /// Revenue or margin, summed.
    pub fn monetary(&self) -> &[f64] {
        &self.monetary
    }

    /// Average amount per purchase (monetary / frequency), the A of RFA.
    pub fn average_amount(&self) -> &[f64] {
        &self.average
    }

    /// Recency scores (high = recent).
    pub fn r_scores(&self) -> &[u8] {
        &self.scores[0]
    }

    /// Frequency scores (high = frequent).
    pub fn f_scores(&self) -> &[u8] {
        &self.scores[1]
    }

    /// Monetary (or average amount, for RFA) scores (high = valuable).
    pub fn m_scores(&self) -> &[u8] {
        &self.scores[2]
    }

    /// Cell codes `100 R + 10 F + M` (e.g. 543).
    pub fn cell_codes(&self) -> Vec<u16> {
        (0..self.len())
            .map(|i| {
                100 * u16::from(self.scores[0][i])
                    + 10 * u16::from(self.scores[1][i])
                    + u16::from(self.scores[2][i])
            })
            .collect()
    }

    /// Sums `R + F + M`.
    pub fn score_sums(&self) -> Vec<u8> {
        (0..self.len())
            .map(|i| self.scores[0][i] + self.scores[1][i] + self.scores[2][i])
            .collect()
    }

    /// Weighted scores `(wR R + wF F + wM M) / (wR + wF + wM)`, on the score scale.
    pub fn weighted_scores(&self) -> Vec<f64> {
        let mut w = self.params.weights;
        let mut total: f64 = w.iter().sum();
        if !(total * 9.0).is_finite() {
            // Weights near 1.8e308: scaled by the largest, so that no sum
            // or product of a weight and a score leaves the float range.
            let largest = w.iter().copied().fold(0.0, f64::max);
            w = w.map(|x| x / largest);
            total = w.iter().sum();
        }
        (0..self.len())
            .map(|i| {
                (w[0] * f64::from(self.scores[0][i])
                    + w[1] * f64::from(self.scores[1][i])
                    + w[2] * f64::from(self.scores[2][i]))
                    / total
            })
            .collect()
    }

    /// Segment index per customer, into [`RfmScores::segment_names`].
    pub fn segment_indices(&self) -> &[u16] {
        &self.segment
    }

    /// Segment names: the table's rules in order, then the fallback.
    pub fn segment_names(&self) -> Vec<&str> {
        self.params.segments.names()
    }

    /// Segment name of customer row `i`.
    pub fn segment_of(&self, i: usize) -> &str {
        let names = self.params.segments.names();
        names[usize::from(self.segment[i])]
    }

    /// Cut points and class counts of recency, frequency and monetary (or
    /// average), with the degenerate-criterion flag.
    pub fn criteria(&self) -> &[CriterionReport; 3] {
        &self.criteria
    }

    /// What reading the transactions left out.
    pub fn input_report(&self) -> &InputReport {
        &self.report
    }

    /// One row per segment (table order, fallback last), empty segments included.
    pub fn segment_summary(&self) -> Vec<SegmentSummary> {
        SegmentSummary::compute(self)
    }
}

#[cfg(test)]
#[path = "scores_tests.rs"]
mod tests;
