//! The result of a scoring, [`RfmScores`]: per-customer values, scores
//! and segments, and the per-segment summary.

use chrono::NaiveDate;

use crate::activity::InputReport;
use crate::customers::CustomerIds;
use crate::exact_sum::ExactSum;
use crate::rfm::params::RfmValidParams;
use crate::rfm::summary::{CriterionReport, SegmentSummary};
use crate::time::Zone;

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

    /// Segment index per customer, into [`RfmScores::segment_table_names`].
    pub fn segment_indices(&self) -> &[u16] {
        &self.segment
    }

    /// The names of the segment table (not of each customer): its rules in
    /// order, then the fallback. [`RfmScores::segment_indices`] index it.
    pub fn segment_table_names(&self) -> Vec<&str> {
        self.params.segments.names()
    }

    /// The segment name of every customer, in row order (customer id order).
    pub fn customer_segments(&self) -> Vec<&str> {
        let names = self.params.segments.names();
        self.segment
            .iter()
            .map(|&k| names[usize::from(k)])
            .collect()
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
        summarize(self)
    }
}

/// One row per segment of `s` (table order, fallback last).
fn summarize(s: &RfmScores) -> Vec<SegmentSummary> {
    let names = s.segment_table_names();
    let g = names.len();
    let mut n = vec![0u64; g];
    let mut orders = vec![0u64; g];
    // Exact sums: the same bits whatever the order of the customers.
    let mut exact_revenue = vec![ExactSum::new(); g];
    let mut recency = vec![0.0; g];
    let mut score_sums = vec![[0u64; 3]; g];
    for i in 0..s.len() {
        let k = usize::from(s.segment[i]);
        n[k] += 1;
        orders[k] += u64::from(s.frequency[i]);
        exact_revenue[k].add(s.monetary[i]);
        recency[k] += s.recency_days[i] as f64;
        for (acc, scores) in score_sums[k].iter_mut().zip(&s.scores) {
            *acc += u64::from(scores[i]);
        }
    }
    let total_n = s.len() as f64;
    let revenue: Vec<f64> = exact_revenue.iter().map(ExactSum::value).collect();
    let total_rev = exact_revenue
        .iter()
        .fold(ExactSum::new(), |mut t, s| {
            t.merge(s);
            t
        })
        .value();
    let mean = |sum: f64, count: u64| {
        if count == 0 {
            f64::NAN
        } else {
            sum / count as f64
        }
    };
    (0..g)
        .map(|k| SegmentSummary {
            segment: names[k].to_owned(),
            customers: n[k],
            customer_share: n[k] as f64 / total_n,
            orders: orders[k],
            revenue: revenue[k],
            revenue_share: if total_rev == 0.0 {
                f64::NAN
            } else {
                revenue[k] / total_rev
            },
            average_order_value: mean(revenue[k], orders[k]),
            mean_recency_days: mean(recency[k], n[k]),
            mean_frequency: mean(orders[k] as f64, n[k]),
            mean_monetary: mean(revenue[k], n[k]),
            mean_r_score: mean(score_sums[k][0] as f64, n[k]),
            mean_f_score: mean(score_sums[k][1] as f64, n[k]),
            mean_m_score: mean(score_sums[k][2] as f64, n[k]),
        })
        .collect()
}

#[cfg(test)]
#[path = "scores_tests.rs"]
mod tests;
