//! Tests of [`super`].
use super::*;
use crate::rfm::params::{FrequencyMeasure, MonetaryMeasure, Rfm, RfmVariant};
use crate::rfm::summary::Criterion;
use crate::rfm::Binning;
use crate::time::MICROS_PER_DAY as DAY;
use crate::transactions::{NegativeAmounts, Transactions};
use proptest::prelude::*;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[test]
fn values_by_hand() {
    // Customer "a": days 0 and 9 (10 + 20); "b": day 5 (5); as of day 10.
    let tx = Transactions::from_str_ids(
        &["b", "a", "a"],
        vec![5 * DAY, 0, 9 * DAY + 7],
        vec![5.0, 10.0, 20.0],
    )
    .unwrap()
    .with_costs(vec![1.0, 4.0, 6.0])
    .unwrap();
    let s = Rfm::params().bins(2).score(&tx).unwrap();
    assert_eq!(s.as_of(), date(1970, 1, 11));
    assert_eq!(
        s.ids(),
        &CustomerIds::Str({
            let mut ids = crate::customers::StringIds::new();
            ids.push("a");
            ids.push("b");
            ids
        })
    );
    assert_eq!(s.recency_days(), [1, 5]);
    assert_eq!(s.tenure_days(), [10, 5]);
    assert_eq!(s.frequency(), [2, 1]);
    assert_eq!(s.monetary(), [30.0, 5.0]);
    assert_eq!(s.average_amount(), [15.0, 5.0]);
    // Two values, k = 2: the median cut is their midpoint; the smaller
    // recency (1) is class 1, reversed to score 2.
    assert_eq!(s.r_scores(), [2, 1]);
    assert_eq!(s.f_scores(), [2, 1]);
    assert_eq!(s.cell_codes(), [222, 111]);
    assert_eq!(s.score_sums(), [6, 3]);
    let margin = Rfm::params()
        .bins(2)
        .monetary(MonetaryMeasure::Margin)
        .score(&tx)
        .unwrap();
    // a: 30 - (4 + 6) = 20; b: 5 - 1 = 4.
    assert_eq!(margin.monetary(), [20.0, 4.0]);
}

#[test]
fn margin_without_costs_is_an_error() {
    let tx = Transactions::from_int_ids(&[1], vec![0], vec![1.0]).unwrap();
    let err = Rfm::params()
        .monetary(MonetaryMeasure::Margin)
        .score(&tx)
        .unwrap_err();
    assert!(err.to_string().starts_with("invalid parameter monetary"));
}

#[test]
fn as_of_excludes_later_rows_and_reports_them() {
    let tx =
        Transactions::from_int_ids(&[1, 1, 2], vec![0, 20 * DAY, 30 * DAY], vec![1.0, 2.0, 3.0])
            .unwrap();
    let s = Rfm::params().as_of(date(1970, 1, 11)).score(&tx).unwrap();
    assert_eq!(s.len(), 1);
    assert_eq!(s.monetary(), [1.0]);
    assert_eq!(s.recency_days(), [10]);
    assert_eq!(s.input_report().rows_after_as_of, 2);
    assert_eq!(s.input_report().customers_without_rows, 1);
    let err = Rfm::params()
        .as_of(date(1969, 1, 1))
        .score(&tx)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "as_of: no transaction left to score on or before 1969-01-01 (3 rows read, 3 after the reference date, 0 negative rows excluded)"
    );
}

#[test]
fn purchase_days_and_rfa() {
    // Customer 1: two orders on day 0 (10 + 30) and one on day 3 (20).
    let tx = Transactions::from_int_ids(
        &[1, 1, 1, 2],
        vec![0, 5, 3 * DAY, DAY],
        vec![10.0, 30.0, 20.0, 8.0],
    )
    .unwrap();
    let s = Rfm::params()
        .frequency(FrequencyMeasure::PurchaseDays)
        .variant(RfmVariant::Rfa)
        .bins(2)
        .score(&tx)
        .unwrap();
    assert_eq!(s.frequency(), [2, 1]);
    assert_eq!(s.average_amount(), [30.0, 8.0]);
    assert_eq!(s.criteria()[2].criterion, Criterion::Average);
}

#[test]
fn negative_exclusion_can_unscore_a_customer() {
    let tx = Transactions::from_int_ids(&[1, 2], vec![0, 0], vec![5.0, -5.0]).unwrap();
    let s = Rfm::params()
        .negative_amounts(NegativeAmounts::Exclude)
        .score(&tx)
        .unwrap();
    assert_eq!(s.len(), 1);
    assert_eq!(s.input_report().customers_without_rows, 1);
    // Every row excluded, no as_of: no default date to show (was 1970-01-01).
    let tx = Transactions::from_int_ids(&[1, 2], vec![0, 0], vec![-1.0, -5.0]).unwrap();
    let e = Rfm::params()
        .negative_amounts(NegativeAmounts::Exclude)
        .score(&tx)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "as_of: no transaction left to score on or before the default reference date \
         (2 rows read, 0 after the reference date, 2 negative rows excluded)"
    );
}

#[test]
fn weighted_score_is_on_the_score_scale() {
    let tx = Transactions::from_int_ids(&[1, 2], vec![0, DAY], vec![5.0, 1.0]).unwrap();
    let s = Rfm::params()
        .bins(2)
        .weights(2.0, 1.0, 1.0)
        .score(&tx)
        .unwrap();
    // Customer 1: R 1, F 1 (tie at 1 shares class 1), M 2 -> (2 + 1 + 2) / 4.
    assert_eq!(s.cell_codes()[0], 112);
    assert_eq!(s.weighted_scores()[0], 1.25);
}

fn arb_transactions() -> impl Strategy<Value = (Vec<i64>, Vec<i64>, Vec<f64>)> {
    (1usize..120).prop_flat_map(|n| {
        (
            proptest::collection::vec(0i64..25, n),
            proptest::collection::vec(0i64..400 * DAY, n),
            proptest::collection::vec((0u32..2000).prop_map(|q| f64::from(q) * 0.25), n),
        )
    })
}

proptest! {
    #[test]
    fn scores_in_range_monotone_and_order_free((ids, ts, amounts) in arb_transactions(), k in 2u8..10, m in 0usize..3, seed in any::<u64>()) {
        let binning = [Binning::Quantile, Binning::RfmCompat, Binning::EqualCount][m].clone();
        let params = Rfm::params().bins(usize::from(k)).method(binning.clone());
        let tx = Transactions::from_int_ids(&ids, ts.clone(), amounts.clone()).unwrap();
        let s = params.clone().score(&tx).unwrap();
        for scores in [s.r_scores(), s.f_scores(), s.m_scores()] {
            prop_assert!(scores.iter().all(|&x| (1..=k).contains(&x)));
        }
        if binning != Binning::EqualCount {
            for i in 0..s.len() {
                for j in 0..s.len() {
                    if s.recency_days()[i] < s.recency_days()[j] {
                        prop_assert!(s.r_scores()[i] >= s.r_scores()[j]);
                    }
                    if s.frequency()[i] < s.frequency()[j] {
                        prop_assert!(s.f_scores()[i] <= s.f_scores()[j]);
                    }
                    if s.monetary()[i] < s.monetary()[j] {
                        prop_assert!(s.m_scores()[i] <= s.m_scores()[j]);
                    }
                }
            }
        }
        // A permutation of the rows gives the same result.
        let mut perm: Vec<usize> = (0..ids.len()).collect();
        let mut state = seed | 1;
        for i in (1..perm.len()).rev() {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17;
            perm.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let tx2 = Transactions::from_int_ids(
            &perm.iter().map(|&i| ids[i]).collect::<Vec<_>>(),
            perm.iter().map(|&i| ts[i]).collect(),
            perm.iter().map(|&i| amounts[i]).collect(),
        ).unwrap();
        let s2 = params.score(&tx2).unwrap();
        prop_assert_eq!(s.ids(), s2.ids());
        prop_assert_eq!(s.cell_codes(), s2.cell_codes());
        prop_assert_eq!(s.recency_days(), s2.recency_days());
        prop_assert_eq!(s.frequency(), s2.frequency());
        for (a, b) in s.monetary().iter().zip(s2.monetary()) {
            prop_assert!((a - b).abs() <= 1e-9 * a.abs().max(1.0));
        }
    }
}

#[test]
fn segment_names_of_the_table_and_of_each_customer() {
    // "a": days 0 and 9, 30 in all; "b": day 5, 5 in all; as of day 10.
    // Bins 2: recency 1 < 5 → a scores R 2, b R 1; F: a 2 rows, b 1 → a 2,
    // b 1; M: 30 > 5 → a 2, b 1. Each customer's name is looked up here
    // in the table from its scores, independently of `customer_segments`.
    let tx = Transactions::from_str_ids(
        &["b", "a", "a"],
        vec![5 * DAY, 0, 9 * DAY],
        vec![5.0, 10.0, 20.0],
    )
    .unwrap();
    let s = Rfm::params().bins(2).score(&tx).unwrap();
    let table = s.segment_table_names();
    // The table: 11 rules of the classic table, then the fallback.
    assert_eq!(table.len(), s.params().segments().rules().len() + 1);
    assert_eq!(*table.last().unwrap(), s.params().segments().fallback());
    let per_customer = s.customer_segments();
    assert_eq!(per_customer.len(), 2);
    for (i, name) in per_customer.iter().enumerate() {
        assert_eq!(*name, table[usize::from(s.segment_indices()[i])]);
        assert_eq!(*name, s.segment_of(i));
        let [r, f, m] = [s.r_scores()[i], s.f_scores()[i], s.m_scores()[i]];
        assert_eq!(*name, s.params().segments().name_of(r, f, m));
    }
    assert_eq!(
        (s.r_scores(), s.f_scores(), s.m_scores()),
        (&[2, 1][..], &[2, 1][..], &[2, 1][..])
    );
}
