//! Reports on a scoring: per-criterion cut points and degeneracy, and the
//! rows of the per-segment summary table (computed by
//! [`super::RfmScores::segment_summary`]).

use serde::{Deserialize, Serialize};

use crate::rfm::binning::{Binning, Classes};

/// One of the scored criteria.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    /// Days since the last purchase.
    Recency,
    /// Transactions or purchase days.
    Frequency,
    /// Total revenue or margin.
    Monetary,
    /// Average amount per purchase (RFA).
    Average,
}

impl Criterion {
    /// Lowercase name: `recency`, `frequency`, `monetary`, `average`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Recency => "recency",
            Self::Frequency => "frequency",
            Self::Monetary => "monetary",
            Self::Average => "average",
        }
    }
}

/// How one criterion was cut, and whether it discriminates at all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriterionReport {
    /// The criterion.
    pub criterion: Criterion,
    /// Binning method name (`quantile`, `rfm_compat`, `equal_count`, `fixed`).
    pub method: String,
    /// Number of classes `k`.
    pub classes: u8,
    /// Lower bound of each class in ascending value order (R `rfm`'s
    /// `threshold` table); for recency, class `i` is score `k + 1 - i`.
    pub lower: Vec<f64>,
    /// Upper bound of each class in ascending value order.
    pub upper: Vec<f64>,
    /// Customers per score, `counts[s - 1]` for score `s`.
    pub counts: Vec<u64>,
    /// Scores that at least one customer has.
    pub classes_used: u8,
    /// True when the scores collapse to one or two classes (one, for k = 2):
    /// the criterion has little discriminating power (most customers share
    /// a value) and may be left out of the segmentation.
    pub degenerate: bool,
}

impl CriterionReport {
    pub(crate) fn new(criterion: Criterion, binning: &Binning, k: u8, c: &Classes) -> Self {
        let mut counts = vec![0u64; usize::from(k)];
        for &s in &c.classes {
            counts[usize::from(s - 1)] += 1;
        }
        let classes_used = counts.iter().filter(|&&n| n > 0).count() as u8;
        let degenerate = classes_used <= if k >= 3 { 2 } else { 1 };
        Self {
            criterion,
            method: binning.name().to_owned(),
            classes: k,
            lower: c.lower.clone(),
            upper: c.upper.clone(),
            counts,
            classes_used,
            degenerate,
        }
    }

    /// A sentence for logs and warnings when the criterion is degenerate.
    pub fn warning(&self) -> Option<String> {
        self.degenerate.then(|| {
            format!(
                "{}: scores collapse to {} of {} classes; most customers share the same value, so this criterion has little discriminating power",
                self.criterion.name(),
                self.classes_used,
                self.classes
            )
        })
    }
}

/// One row of the per-segment summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentSummary {
    /// Segment name.
    pub segment: String,
    /// Customers in the segment.
    pub customers: u64,
    /// Share of all scored customers.
    pub customer_share: f64,
    /// Transactions (or purchase days) of the segment's customers.
    pub orders: u64,
    /// Monetary value (revenue or margin) of the segment.
    pub revenue: f64,
    /// Share of the total monetary value (NaN when the total is zero).
    pub revenue_share: f64,
    /// Revenue per order.
    pub average_order_value: f64,
    /// Mean days since last purchase.
    pub mean_recency_days: f64,
    /// Mean frequency.
    pub mean_frequency: f64,
    /// Mean monetary value.
    pub mean_monetary: f64,
    /// Mean recency score.
    pub mean_r_score: f64,
    /// Mean frequency score.
    pub mean_f_score: f64,
    /// Mean monetary score.
    pub mean_m_score: f64,
}

#[cfg(test)]
mod tests {
    use crate::rfm::Rfm;
    use crate::time::MICROS_PER_DAY as DAY;
    use crate::transactions::Transactions;

    #[test]
    fn degenerate_frequency_is_reported() {
        // Everybody buys exactly once: frequency has one value, one class.
        let ids: Vec<i64> = (0..50).collect();
        let ts: Vec<i64> = (0..50).map(|i| i * DAY).collect();
        let amounts: Vec<f64> = (0..50).map(|i| f64::from(i as u8) + 1.0).collect();
        let tx = Transactions::from_int_ids(&ids, ts, amounts).unwrap();
        let s = Rfm::params().score(&tx).unwrap();
        let [r, f, m] = s.criteria();
        assert!(!r.degenerate && !m.degenerate);
        assert!(f.degenerate);
        assert_eq!(f.classes_used, 1);
        assert_eq!(f.counts, [50, 0, 0, 0, 0]);
        assert!(f
            .warning()
            .unwrap()
            .starts_with("frequency: scores collapse to 1 of 5 classes"));
        assert_eq!(m.counts, [10, 10, 10, 10, 10]);
    }

    #[test]
    fn summary_adds_up() {
        let ids: Vec<i64> = (0..40).map(|i| i % 13).collect();
        let ts: Vec<i64> = (0..40).map(|i| (i * 7 % 30) * DAY).collect();
        let amounts: Vec<f64> = (0..40)
            .map(|i| f64::from((i * 37 % 11) as u8) * 2.5)
            .collect();
        let tx = Transactions::from_int_ids(&ids, ts, amounts.clone()).unwrap();
        let s = Rfm::params().score(&tx).unwrap();
        let rows = s.segment_summary();
        assert_eq!(rows.len(), 12);
        assert_eq!(rows.iter().map(|r| r.customers).sum::<u64>(), 13);
        assert_eq!(rows.iter().map(|r| r.orders).sum::<u64>(), 40);
        let total: f64 = amounts.iter().sum();
        assert!((rows.iter().map(|r| r.revenue).sum::<f64>() - total).abs() < 1e-9);
        assert!((rows.iter().map(|r| r.customer_share).sum::<f64>() - 1.0).abs() < 1e-12);
        assert_eq!(rows.last().unwrap().segment, "Others");
    }

    #[test]
    fn huge_weights_give_the_same_weighted_scores_as_small_ones() {
        let tx = Transactions::from_int_ids(&[1, 2, 3], vec![0, DAY, 2 * DAY], vec![1.0, 2.0, 3.0])
            .unwrap();
        let small = Rfm::params()
            .bins(3)
            .weights(1.0, 0.0, 1.0)
            .score(&tx)
            .unwrap();
        let huge = Rfm::params()
            .bins(3)
            .weights(1e308, 0.0, 1e308)
            .score(&tx)
            .unwrap();
        // (R + M) / 2 in both cases: customer 3 has R = 3, M = 3 → 3.
        assert_eq!(small.weighted_scores(), huge.weighted_scores());
        assert_eq!(huge.weighted_scores()[2], 3.0);
        let one = Rfm::params()
            .bins(3)
            .weights(f64::MAX, 0.0, 0.0)
            .score(&tx)
            .unwrap();
        let r: Vec<f64> = one.r_scores().iter().map(|&s| f64::from(s)).collect();
        assert_eq!(one.weighted_scores(), r);
    }
}
