use super::*;
use crate::transactions::NegativeAmounts;
use crate::value::CustomerTotals;
use crate::{CustomerId, Rfm};
use chrono::NaiveDate;
use proptest::prelude::*;

const DAY: i64 = 86_400_000_000;

/// The activity of the whole input read in one pass, as the local path does.
fn whole(
    ids: &[i64],
    ts: &[i64],
    amounts: &[f64],
    options: ActivityOptions,
) -> (CustomerIndex, CustomerActivity) {
    let mut index = CustomerIndex::named("customer");
    let mut codes = Vec::new();
    index.encode_i64_all(&[ids], &mut codes).unwrap();
    let mut acc = ActivityAccumulator::new(options, false);
    acc.push(&codes, ts, amounts, None, index.len()).unwrap();
    (index, acc.finish())
}

/// The partial states of the parts cut at `cuts`, merged in `order`.
fn by_parts(
    ids: &[i64],
    ts: &[i64],
    amounts: &[f64],
    options: ActivityOptions,
    cuts: &[usize],
    order: &[usize],
) -> PartialActivity {
    let mut bounds: Vec<usize> = cuts.iter().map(|&c| c % (ids.len() + 1)).collect();
    bounds.extend([0, ids.len()]);
    bounds.sort_unstable();
    let parts: Vec<PartialActivity> = bounds
        .windows(2)
        .map(|w| {
            let (a, b) = (w[0], w[1]);
            let p =
                PartialActivity::from_rows(&ids[a..b], &ts[a..b], &amounts[a..b], None, options, a)
                    .unwrap();
            // Every part travels through Arrow.
            PartialActivity::from_arrow(&p.to_arrow().unwrap(), options, false).unwrap()
        })
        .collect();
    let mut parts: Vec<Option<PartialActivity>> = parts.into_iter().map(Some).collect();
    let k = parts.len();
    let mut merged = PartialActivity::empty(options, false);
    for o in order.iter().copied().chain(0..k) {
        if let Some(p) = parts[o % k].take() {
            merged = p.merge(merged).unwrap();
        }
    }
    merged
}

#[test]
fn merged_parts_give_the_activity_and_scores_of_the_whole() {
    // Customer 5 in every part, 9 only at the end, 2 with a late row.
    let ids = [5, 2, 5, 9, 2, 5];
    let ts = [0, DAY, 2 * DAY, 3 * DAY, 40 * DAY, 5 * DAY];
    let amounts = [10.0, 4.0, 1.0, 7.0, 3.0, 2.0];
    let options = Rfm::params()
        .as_of(NaiveDate::from_ymd_opt(1970, 1, 10).unwrap())
        .check()
        .unwrap()
        .activity_options(crate::Zone::Utc);
    let merged = by_parts(&ids, &ts, &amounts, options, &[1, 4], &[2, 0, 1]);
    let (index, activity) = merged.into_activity().unwrap();
    // By hand: 5 -> 3 rows, 13.0, days 0..5; 2 -> 1 row (day 40 is after
    // as_of), 4.0; 9 -> 1 row, 7.0; one row left out.
    assert_eq!(activity.report.rows, 6);
    assert_eq!(activity.report.rows_after_as_of, 1);
    let id = |c: usize| index.id(c as u32);
    let at = |want: i64| (0..3).find(|&c| id(c) == CustomerId::Int(want)).unwrap();
    assert_eq!(activity.transactions[at(5)], 3);
    assert_eq!(activity.revenue[at(5)], 13.0);
    assert_eq!((activity.first[at(5)], activity.last[at(5)]), (0, 5 * DAY));
    assert_eq!(activity.transactions[at(2)], 1);
    assert_eq!(activity.revenue[at(9)], 7.0);
    let (w_index, w_activity) = whole(&ids, &ts, &amounts, options);
    assert_eq!(activity, w_activity);
    let params = Rfm::params()
        .bins(2)
        .as_of(NaiveDate::from_ymd_opt(1970, 1, 10).unwrap());
    let a = params.clone().score_activity(&activity, &index).unwrap();
    let b = params.score_activity(&w_activity, &w_index).unwrap();
    assert_eq!(a.monetary(), b.monetary());
    assert_eq!(a.monetary(), &[4.0, 13.0, 7.0]); // ids 2, 5, 9
}

#[test]
fn string_ids_costs_and_totals() {
    let options = ActivityOptions::default();
    let mut idx = CustomerIndex::new();
    let mut codes = Vec::new();
    idx.encode_str(["b", "a"], &mut codes).unwrap();
    let mut acc = ActivityAccumulator::new(options, true);
    acc.push(&codes, &[1, 2], &[5.0, 3.0], Some(&[1.0, 2.0]), 2)
        .unwrap();
    let a = PartialActivity::new(idx, acc.finish(), options, true, vec![0, 1]).unwrap();
    let mut idx = CustomerIndex::new();
    let mut codes = Vec::new();
    idx.encode_str(["a", "c"], &mut codes).unwrap();
    let mut acc = ActivityAccumulator::new(options, true);
    acc.push(&codes, &[3, 4], &[2.0, 1.0], Some(&[0.5, 0.25]), 2)
        .unwrap();
    let b = PartialActivity::new(idx, acc.finish(), options, true, vec![2, 3]).unwrap();
    let b = PartialActivity::from_arrow(&b.to_arrow().unwrap(), options, true).unwrap();
    let (index, activity) = a.merge(b).unwrap().into_activity().unwrap();
    // First appearance: b, a, c.
    assert_eq!(index.id(0), CustomerId::Str("b"));
    assert_eq!(index.id(2), CustomerId::Str("c"));
    let totals = CustomerTotals::from_activity(&activity).unwrap();
    assert_eq!(totals.revenue(), [5.0, 5.0, 1.0]);
    assert_eq!(totals.cost().unwrap(), [1.0, 2.5, 0.25]);
    assert_eq!(totals.transactions(), [1, 2, 1]);
}

#[test]
fn row_numbers_of_errors_count_from_the_part_start() {
    let options = ActivityOptions {
        negative_amounts: NegativeAmounts::Reject,
        ..Default::default()
    };
    let e =
        PartialActivity::from_rows(&[1, 2], &[0, 0], &[1.0, -1.0], None, options, 10).unwrap_err();
    assert!(
        matches!(e, CiblageError::NegativeAmount { row: 11, .. }),
        "{e}"
    );
}

#[test]
fn mixed_options_ids_and_bad_batches_are_refused() {
    let options = ActivityOptions::default();
    let a = PartialActivity::from_rows(&[1], &[0], &[1.0], None, options, 0).unwrap();
    let other = ActivityOptions {
        negative_amounts: NegativeAmounts::Exclude,
        ..options
    };
    let b = PartialActivity::from_rows(&[1], &[0], &[1.0], None, other, 1).unwrap();
    assert!(matches!(
        a.clone().merge(b),
        Err(CiblageError::InvalidParameter { name: "other", .. })
    ));
    let batch = a.to_arrow().unwrap();
    // No version.
    let with_meta = |meta: HashMap<String, String>| {
        let schema = batch.schema().as_ref().clone().with_metadata(meta);
        RecordBatch::try_new(Arc::new(schema), batch.columns().to_vec()).unwrap()
    };
    let e = PartialActivity::from_arrow(&with_meta(HashMap::new()), options, false).unwrap_err();
    assert!(e.to_string().contains("ciblage.partial_state"), "{e}");
    // Another version.
    let meta = HashMap::from([(PARTIAL_STATE_VERSION_KEY.to_owned(), "99".to_owned())]);
    let e = PartialActivity::from_arrow(&with_meta(meta), options, false).unwrap_err();
    assert!(matches!(e, CiblageError::InvalidModelFile { .. }), "{e}");
    // A column missing.
    let e = PartialActivity::from_arrow(&batch.project(&[0, 1, 2]).unwrap(), options, false);
    assert!(matches!(e, Err(CiblageError::InvalidModelFile { .. })));
    // Costs expected, none given.
    let e = PartialActivity::from_arrow(&batch, options, true).unwrap_err();
    assert!(e.to_string().contains("cost"), "{e}");
    // No row at all.
    let e = PartialActivity::empty(options, false)
        .into_activity()
        .unwrap_err();
    assert!(matches!(e, CiblageError::EmptyInput { .. }));
}

#[test]
fn merged_sums_are_rounded_once() {
    // Customer 1: 1e16 and 1.0 in one part, 1.0 in the other. Exactly
    // 1e16 + 2, a double; the rounded part sums give 1e16 (1e16 + 1 is a
    // tie between 1e16 and 1e16 + 2, rounded to the even 1e16), then
    // 1e16 + 1 -> 1e16 again. Costs 0.1 three times: exactly
    // 3 x 0.1000000000000000055511151231257827, which rounds to
    // 0.30000000000000004 (math.fsum([0.1] * 3)).
    let options = ActivityOptions::default();
    let a = PartialActivity::from_rows(
        &[1, 1],
        &[0, 1],
        &[1e16, 1.0],
        Some(&[0.1, 0.1]),
        options,
        0,
    )
    .unwrap();
    assert_eq!(a.activity().revenue, [1e16]);
    let b = PartialActivity::from_rows(&[1], &[2], &[1.0], Some(&[0.1]), options, 2).unwrap();
    let through = |p: PartialActivity| {
        PartialActivity::from_arrow(&p.to_arrow().unwrap(), options, true).unwrap()
    };
    let merged = through(a).merge(through(b)).unwrap();
    let merged = through(merged);
    let (_, activity) = merged.into_activity().unwrap();
    assert_eq!(activity.revenue, [1e16 + 2.0]);
    assert_eq!(activity.cost.unwrap(), [0.30000000000000004]);
}

#[test]
fn exact_parts_are_checked_at_load() {
    let options = ActivityOptions::default();
    let a = PartialActivity::from_rows(&[1, 2], &[0, 1], &[1.5, 2.5], None, options, 0).unwrap();
    let batch = a.to_arrow().unwrap();
    let with_column = |name: &str, column: arrow_array::ArrayRef| {
        let at = batch.schema().index_of(name).unwrap();
        let mut columns = batch.columns().to_vec();
        columns[at] = column;
        RecordBatch::try_new(batch.schema(), columns).unwrap()
    };
    let refused = |b: &RecordBatch, what: &str| {
        let e = PartialActivity::from_arrow(b, options, false).unwrap_err();
        assert!(matches!(e, CiblageError::InvalidModelFile { .. }), "{e}");
        assert!(e.to_string().contains(what), "{what}: {e}");
    };
    // A rounded sum that its exact parts do not give.
    let revenue = arrow_array::Float64Array::from(vec![1.5, 2.0]);
    refused(&with_column("revenue", Arc::new(revenue)), "revenue");
    // An exponent out of range.
    let exponent = arrow_array::Int64Array::from(vec![5000, 0]);
    refused(
        &with_column("revenue_exponent", Arc::new(exponent)),
        "revenue_exponent",
    );
    // A side accumulator of the wrong size.
    let over = arrow_array::BinaryArray::from(vec![Some(&[0u8; 3][..]), None]);
    refused(
        &with_column("revenue_overflow", Arc::new(over)),
        "revenue_overflow",
    );
    // Exact costs where none were expected.
    let cost_high = arrow_array::Int64Array::from(vec![Some(0), None]);
    refused(&with_column("cost_high", Arc::new(cost_high)), "cost_high");
    // The state as written loads.
    assert!(PartialActivity::from_arrow(&batch, options, false).is_ok());
}

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::RecordBatch;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// Cut anywhere (empty parts included) and merged in any order, the
    /// parts give the activity of the whole input, to the bit: cents,
    /// millions and billionths mixed, whose running sums depend on the
    /// order (the merged exact sums do not).
    #[test]
    fn any_split_and_merge_order_gives_the_whole(
        rows in proptest::collection::vec((0i64..12, 0i64..50, -3i32..40), 1..200),
        cuts in proptest::collection::vec(0usize..400, 0..8),
        order in proptest::collection::vec(0usize..9, 0..9),
    ) {
        let ids: Vec<i64> = rows.iter().map(|r| r.0 * 7 - 20).collect();
        let ts: Vec<i64> = rows.iter().map(|r| r.1 * DAY / 3).collect();
        let scale = [0.01, 1.0e6 + 0.01, 1.0e-9];
        let amounts: Vec<f64> = rows.iter().map(|r| f64::from(r.2) * scale[(r.1 % 3) as usize]).collect();
        let options = ActivityOptions {
            negative_amounts: NegativeAmounts::Exclude,
            last_date: NaiveDate::from_ymd_opt(1970, 1, 12),
            ..Default::default()
        };
        let (index, activity) = by_parts(&ids, &ts, &amounts, options, &cuts, &order)
            .into_activity()
            .unwrap();
        let (w_index, w_activity) = whole(&ids, &ts, &amounts, options);
        prop_assert_eq!(index.ids(), w_index.ids());
        prop_assert_eq!(activity, w_activity);
    }

    /// merge(a, merge(b, c)) = merge(merge(a, b), c) and merge(a, b) =
    /// merge(b, a), customer by customer (the order of the ids aside).
    #[test]
    fn merge_is_associative_and_commutative(
        rows in proptest::collection::vec((0i64..6, 0i64..30, 0i32..9), 3..60),
    ) {
        let options = ActivityOptions::default();
        let third = rows.len() / 3;
        let part = |r: &[(i64, i64, i32)], row0: usize| {
            let ids: Vec<i64> = r.iter().map(|x| x.0).collect();
            let ts: Vec<i64> = r.iter().map(|x| x.1).collect();
            let am: Vec<f64> = r.iter().map(|x| f64::from(x.2) * 0.25).collect();
            PartialActivity::from_rows(&ids, &ts, &am, None, options, row0).unwrap()
        };
        let (a, b, c) = (part(&rows[..third], 0), part(&rows[third..2 * third], third), part(&rows[2 * third..], 2 * third));
        let left = a.clone().merge(b.clone()).unwrap().merge(c.clone()).unwrap();
        let right = a.clone().merge(b.clone().merge(c.clone()).unwrap()).unwrap();
        let swapped = c.merge(b.merge(a).unwrap()).unwrap();
        let norm = |p: PartialActivity| p.into_activity().unwrap();
        let l = norm(left);
        prop_assert_eq!(&l.1, &norm(right).1);
        let s = norm(swapped);
        prop_assert_eq!(l.0.ids(), s.0.ids());
        prop_assert_eq!(&l.1, &s.1);
    }
}
