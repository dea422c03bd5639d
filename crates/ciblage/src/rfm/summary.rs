//! Reports on a scoring: per-criterion cut points and degeneracy, and the
//! per-segment summary table.

use serde::{Deserialize, Serialize};

use crate::activity::CustomerActivity;
use crate::customers::CustomerIndex;
use crate::error::{CiblageError, Result};
use crate::rfm::binning::{Binning, Classes};
use crate::rfm::scores::RfmScores;

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

impl SegmentSummary {
    pub(crate) fn compute(s: &RfmScores) -> Vec<Self> {
        let names = s.segment_names();
        let g = names.len();
        let mut n = vec![0u64; g];
        let mut orders = vec![0u64; g];
        let mut revenue = vec![0.0; g];
        let mut recency = vec![0.0; g];
        let mut score_sums = vec![[0u64; 3]; g];
        for i in 0..s.len() {
            let k = usize::from(s.segment[i]);
            n[k] += 1;
            orders[k] += u64::from(s.frequency[i]);
            revenue[k] += s.monetary[i];
            recency[k] += s.recency_days[i] as f64;
            for (acc, scores) in score_sums[k].iter_mut().zip(&s.scores) {
                *acc += u64::from(scores[i]);
            }
        }
        let total_n = s.len() as f64;
        let total_rev: f64 = revenue.iter().sum();
        let mean = |sum: f64, count: u64| {
            if count == 0 {
                f64::NAN
            } else {
                sum / count as f64
            }
        };
        (0..g)
            .map(|k| Self {
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
        let s = Rfm::params().fit(&tx).unwrap();
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
        let s = Rfm::params().fit(&tx).unwrap();
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
    fn sums_beyond_the_float_range_are_refused() {
        // Customer 1 buys 1e308 twice: every row is finite, the total
        // (2e308 > f64::MAX ≈ 1.797e308) is not.
        let tx = Transactions::from_int_ids(&[1, 1, 2], vec![0, DAY, DAY], vec![1e308, 1e308, 1.0])
            .unwrap();
        let e = Rfm::params().fit(&tx).unwrap_err();
        assert_eq!(
            e.to_string(),
            "amount: the sum of amounts of customer 1 overflows the range of 64-bit floats (about ±1.8e308)"
        );
        // Two customers of 1e308 each are finite; the segment holding both
        // is not (bins 2 with equal values: both land in one segment).
        let tx = Transactions::from_int_ids(&[1, 2], vec![0, 0], vec![1e308, 1e308]).unwrap();
        let e = Rfm::params().bins(2).fit(&tx).unwrap_err();
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
            .monetary(crate::rfm::MonetaryMeasure::Margin)
            .fit(&tx)
            .unwrap_err();
        assert!(e.to_string().contains("margin"), "{e}");
    }

    #[test]
    fn huge_weights_give_the_same_weighted_scores_as_small_ones() {
        let tx = Transactions::from_int_ids(&[1, 2, 3], vec![0, DAY, 2 * DAY], vec![1.0, 2.0, 3.0])
            .unwrap();
        let small = Rfm::params()
            .bins(3)
            .weights(1.0, 0.0, 1.0)
            .fit(&tx)
            .unwrap();
        let huge = Rfm::params()
            .bins(3)
            .weights(1e308, 0.0, 1e308)
            .fit(&tx)
            .unwrap();
        // (R + M) / 2 in both cases: customer 3 has R = 3, M = 3 → 3.
        assert_eq!(small.weighted_scores(), huge.weighted_scores());
        assert_eq!(huge.weighted_scores()[2], 3.0);
        let one = Rfm::params()
            .bins(3)
            .weights(f64::MAX, 0.0, 0.0)
            .fit(&tx)
            .unwrap();
        let r: Vec<f64> = one.r_scores().iter().map(|&s| f64::from(s)).collect();
        assert_eq!(one.weighted_scores(), r);
    }
}
