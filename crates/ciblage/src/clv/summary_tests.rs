//! Edge cases of the CLV summary, each checked against numbers worked out
//! by hand (in the comments) or a plain per-customer recomputation.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use super::*;
use crate::clv::SummaryInput;
use crate::time::{day_from_date, Zone, MICROS_PER_DAY};
use crate::transactions::{TransactionView, Transactions};

const DAY: i64 = MICROS_PER_DAY;
const HOUR: i64 = DAY / 24;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn at(y: i32, m: u32, d: u32) -> i64 {
    day_from_date(date(y, m, d)) * DAY
}

#[test]
fn purchases_in_one_period_count_once_at_every_freq() {
    // 2024-01-07 is a Sunday, 2024-01-08 a Monday.
    let ts = vec![
        at(2024, 1, 1),
        at(2024, 1, 1) + 23 * HOUR,
        at(2024, 1, 7),
        at(2024, 1, 8),
        at(2024, 1, 31),
        at(2024, 2, 1),
    ];
    let tx = Transactions::from_int_ids(&[1; 6], ts, vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0]).unwrap();
    let run = |f: Freq| ClvSummary::params().freq(f).score(&tx).unwrap();
    // Days: 01-01 (twice), 01-07, 01-08, 01-31, 02-01 → 5 days, 4 repeats;
    // recency = T = 31 days; repeat spend (4 + 8 + 16 + 32) / 4 = 15.
    let d = run(Freq::Day);
    assert_eq!(
        (d.frequency()[0], d.recency()[0], d.t()[0]),
        (4, 31.0, 31.0)
    );
    assert_eq!(d.monetary_value(), [15.0]);
    // Weeks from Monday: {01-01, 01-07}, {01-08}, {01-29..02-04: 01-31, 02-01}:
    // 3 weeks, 2 repeats, recency 4 weeks, spend (8 + 48) / 2 = 28.
    let w = run(Freq::Week);
    assert_eq!((w.frequency()[0], w.recency()[0]), (2, 4.0));
    assert_eq!(w.monetary_value(), [28.0]);
    // Months: January (1 + 2 + 4 + 8 + 16), February (32): 1 repeat.
    let m = run(Freq::Month);
    assert_eq!((m.frequency()[0], m.recency()[0]), (1, 1.0));
    assert_eq!(m.monetary_value(), [32.0]);
    // 7D: grouped by day, times in weeks: recency 31 / 7.
    let n = run(Freq::Days(7));
    assert_eq!(n.frequency()[0], 4);
    assert!((n.recency()[0] - 31.0 / 7.0).abs() < 1e-12);
}

#[test]
fn rows_after_the_end_and_returns_are_reported() {
    let ts = vec![
        at(2024, 1, 1),
        at(2024, 1, 3),
        at(2024, 1, 3),
        at(2024, 1, 10),
        at(2024, 1, 11),
    ];
    let amounts = vec![10.0, 20.0, -5.0, -1.0, 7.0];
    let tx = Transactions::from_int_ids(&[1, 1, 1, 1, 2], ts, amounts).unwrap();
    let params = || ClvSummary::params().observation_end(date(2024, 1, 10));
    let kept = params().score(&tx).unwrap();
    // Customer 2's only row is after the end: left out and counted.
    assert_eq!(kept.len(), 1);
    let r = kept.report();
    assert_eq!((r.rows, r.rows_after_as_of, r.negative_rows), (5, 1, 2));
    assert_eq!(r.customers_without_rows, 1);
    // Kept returns net within their day: (20 − 5) and −1 → mean 7.
    assert_eq!(kept.monetary_value(), [7.0]);
    let excluded = params()
        .negative_amounts(NegativeAmounts::Exclude)
        .score(&tx)
        .unwrap();
    assert_eq!(excluded.report().negative_rows_excluded, 2);
    // Without the returns: days 01-01 and 01-03 (20): one repeat of 20.
    assert_eq!(
        (excluded.frequency()[0], excluded.monetary_value()[0]),
        (1, 20.0)
    );
    let e = params()
        .negative_amounts(NegativeAmounts::Reject)
        .score(&tx)
        .unwrap_err();
    assert!(
        matches!(e, CiblageError::NegativeAmount { row: 2, .. }),
        "{e}"
    );
}

#[test]
fn days_follow_the_zone_of_the_table() {
    // 2024-01-01 23:30 UTC is 2024-01-02 00:30 in Paris (UTC+1 in winter).
    let ts = vec![
        at(2024, 1, 1) + 2 * HOUR,
        at(2024, 1, 1) + 23 * HOUR + HOUR / 2,
    ];
    let utc = Transactions::from_int_ids(&[1, 1], ts.clone(), vec![1.0, 2.0]).unwrap();
    assert_eq!(ClvSummary::params().score(&utc).unwrap().frequency(), [0]);
    for zone in [Zone::parse("Europe/Paris").unwrap(), Zone::Fixed(3600)] {
        let tx = Transactions::from_int_ids(&[1, 1], ts.clone(), vec![1.0, 2.0])
            .unwrap()
            .with_zone(zone);
        let s = ClvSummary::params().score(&tx).unwrap();
        assert_eq!((s.frequency()[0], s.recency()[0]), (1, 1.0), "{zone:?}");
        assert_eq!(s.observation_end(), date(2024, 1, 2));
    }
}

#[test]
fn costs_make_the_spend_a_margin() {
    let ts = vec![
        at(2024, 1, 1),
        at(2024, 1, 2),
        at(2024, 1, 2),
        at(2024, 1, 5),
    ];
    let tx = Transactions::from_int_ids(&[1; 4], ts, vec![10.0, 20.0, 30.0, 40.0]).unwrap();
    let costs = [1.0, 5.0, 15.0, -2.0];
    let input = SummaryInput::new(tx.view(), tx.customers())
        .unwrap()
        .with_costs(&costs)
        .unwrap();
    let s = ClvSummary::params().score(input).unwrap();
    // Repeat days 01-02 (20 − 5 + 30 − 15 = 30) and 01-05 (40 + 2 = 42).
    assert_eq!(s.monetary_value(), [36.0]);
    assert!(s.is_margin());
    let short = SummaryInput::new(tx.view(), tx.customers())
        .unwrap()
        .with_costs(&costs[..3]);
    assert!(matches!(short, Err(CiblageError::LengthMismatch { .. })));
    let nan = [1.0, f64::NAN, 0.0, 0.0];
    let e = SummaryInput::new(tx.view(), tx.customers())
        .unwrap()
        .with_costs(&nan)
        .unwrap_err();
    assert_eq!(e.to_string(), "cost: non-finite value NaN at row 1");
    // A table's own costs are read too.
    let owned = tx.clone().with_costs(costs.to_vec()).unwrap();
    assert_eq!(
        ClvSummary::params().score(&owned).unwrap().monetary_value(),
        [36.0]
    );
}

/// Many rows in random order (several tasks of each pass) against a plain
/// recomputation with maps.
#[test]
fn large_inputs_match_a_plain_recomputation() {
    let n = 300_000;
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (mut ids, mut ts, mut amounts) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..n {
        ids.push((next() % 20_000) as i64);
        ts.push((next() % (400 * DAY as u64)) as i64);
        amounts.push((next() % 1000) as f64 / 8.0);
    }
    let tx = Transactions::from_int_ids(&ids, ts.clone(), amounts.clone()).unwrap();
    let cal = date(1970, 10, 1);
    let s = ClvSummary::params()
        .freq(Freq::Week)
        .calibration_end(cal)
        .observation_end(date(1971, 1, 31))
        .score(&tx)
        .unwrap();
    let week = |t: i64| (t.div_euclid(DAY) + 3).div_euclid(7);
    let cal_week = week(day_from_date(cal) * DAY);
    let end_week = week(day_from_date(date(1971, 1, 31)) * DAY);
    // Per customer, per week, the amounts in row order.
    let mut by: BTreeMap<i64, BTreeMap<i64, f64>> = BTreeMap::new();
    for i in (0..n).filter(|&i| week(ts[i]) <= end_week) {
        *by.entry(ids[i])
            .or_default()
            .entry(week(ts[i]))
            .or_insert(0.0) += amounts[i];
    }
    let mut out = 0;
    let (mut first_weeks, mut repeat_weeks) = (BTreeMap::new(), BTreeMap::new());
    for (id, weeks) in &by {
        let cal_weeks: Vec<(&i64, &f64)> = weeks.iter().filter(|(w, _)| **w <= cal_week).collect();
        if cal_weeks.is_empty() {
            continue;
        }
        let crate::CustomerIds::Int(got) = s.ids() else {
            panic!()
        };
        assert_eq!(got[out], *id);
        let first = *cal_weeks[0].0;
        assert_eq!(s.frequency()[out] as usize, cal_weeks.len() - 1);
        assert_eq!(s.t()[out], (cal_week - first) as f64);
        let last = *cal_weeks[cal_weeks.len() - 1].0;
        assert_eq!(s.recency()[out], (last - first) as f64);
        let repeat: f64 = cal_weeks[1..].iter().map(|(_, v)| **v).sum();
        let mean = if cal_weeks.len() > 1 {
            repeat / (cal_weeks.len() - 1) as f64
        } else {
            0.0
        };
        assert!((s.monetary_value()[out] - mean).abs() < 1e-9);
        let holdout: BTreeSet<&i64> = weeks.keys().filter(|w| **w > cal_week).collect();
        assert_eq!(s.holdout().unwrap().frequency[out] as usize, holdout.len());
        *first_weeks.entry(first).or_insert(0u64) += 1;
        for w in weeks.keys().skip(1) {
            *repeat_weeks.entry(*w).or_insert(0u64) += 1;
        }
        out += 1;
    }
    assert_eq!(out, s.len());
    let c = s.period_counts.as_ref().unwrap();
    for (i, (&f, &r)) in c.first.iter().zip(&c.repeat).enumerate() {
        let w = c.start + i as i64;
        assert_eq!(
            f,
            first_weeks.get(&w).copied().unwrap_or(0),
            "first, week {w}"
        );
        assert_eq!(
            r,
            repeat_weeks.get(&w).copied().unwrap_or(0),
            "repeat, week {w}"
        );
    }
}

#[test]
fn results_do_not_depend_on_the_number_of_threads() {
    let n = 100_000_i64;
    let ids: Vec<i64> = (0..n).map(|i| i * 7919 % 5003).collect();
    let ts: Vec<i64> = (0..n).map(|i| (i * 104_729 % 500) * DAY / 3).collect();
    let amounts: Vec<f64> = (0..n).map(|i| 0.1 * (i % 97) as f64 - 1.0).collect();
    let tx = Transactions::from_int_ids(&ids, ts, amounts).unwrap();
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                ClvSummary::params()
                    .calibration_end(date(1970, 3, 1))
                    .score(&tx)
                    .unwrap()
            })
    };
    let one = run(1);
    assert_eq!(one, run(3));
    assert_eq!(one, run(8));
}

/// Rows left out in every task of the first pass (after the end, negative
/// under `Exclude`) give the summary of the rows kept, read alone.
#[test]
fn rows_left_out_in_every_task_match_the_kept_rows_alone() {
    let n = 200_000_i64;
    let ids: Vec<i64> = (0..n).map(|i| i * 7919 % 10_007).collect();
    let ts: Vec<i64> = (0..n).map(|i| (i * 104_729 % 700) * DAY / 2).collect();
    let amounts: Vec<f64> = (0..n).map(|i| 0.25 * (i % 41) as f64 - 2.0).collect();
    let end = date(1970, 8, 31);
    let end_day = day_from_date(end);
    let keep: Vec<usize> = (0..n as usize)
        .filter(|&i| amounts[i] >= 0.0 && ts[i].div_euclid(DAY) <= end_day)
        .collect();
    assert!(keep.len() < n as usize * 3 / 4 && keep.len() > n as usize / 4);
    let all = Transactions::from_int_ids(&ids, ts.clone(), amounts.clone()).unwrap();
    let kept = Transactions::from_int_ids(
        &keep.iter().map(|&i| ids[i]).collect::<Vec<_>>(),
        keep.iter().map(|&i| ts[i]).collect(),
        keep.iter().map(|&i| amounts[i]).collect(),
    )
    .unwrap();
    let run = |tx: &Transactions| {
        ClvSummary::params()
            .observation_end(end)
            .negative_amounts(NegativeAmounts::Exclude)
            .score(tx)
            .unwrap()
            .into_columns()
    };
    assert_eq!(run(&all), run(&kept));
}

/// Ids coded out of their sorted order (sparse integers coded by first
/// appearance, strings) give the columns of the same customers with dense
/// ids, in id order, with the customers first seen in the holdout period
/// dropped alike.
#[test]
fn ids_coded_out_of_order_give_the_columns_of_dense_ids() {
    let n = 50_000_i64;
    let dense: Vec<i64> = (0..n).map(|i| i * 7919 % 3001).collect();
    // Customers from 2900 on buy only from day 250.
    let ts: Vec<i64> = (0..n)
        .map(|i| (i * 104_729 % 300).max(if dense[i as usize] >= 2900 { 250 } else { 0 }) * DAY)
        .collect();
    let amounts: Vec<f64> = (0..n).map(|i| 0.5 * (i % 53) as f64).collect();
    let run = |tx: &Transactions| {
        ClvSummary::params()
            .calibration_end(date(1970, 8, 1))
            .score(tx)
            .unwrap()
    };
    let d = run(&Transactions::from_int_ids(&dense, ts.clone(), amounts.clone()).unwrap());
    // Some customers are first seen after the calibration end (day 212).
    assert_eq!((d.holdout_only_customers(), d.len()), (101, 2900));
    // Sparse ids decreasing with the dense id: the output is the reverse.
    let sparse: Vec<i64> = dense
        .iter()
        .map(|&i| 1_000_000_000_000 - i * 1000)
        .collect();
    let s = run(&Transactions::from_int_ids(&sparse, ts.clone(), amounts.clone()).unwrap());
    let rev = |v: &[f64]| v.iter().rev().copied().collect::<Vec<_>>();
    assert_eq!(
        s.frequency().iter().rev().copied().collect::<Vec<_>>(),
        d.frequency()
    );
    assert_eq!(rev(s.recency()), d.recency());
    assert_eq!(rev(s.t()), d.t());
    assert_eq!(rev(s.monetary_value()), d.monetary_value());
    let (sh, dh) = (s.holdout().unwrap(), d.holdout().unwrap());
    assert_eq!(rev(&sh.monetary_value), dh.monetary_value);
    assert_eq!(s.holdout_only_rows(), d.holdout_only_rows());
    // Zero-padded strings sort as the dense ids.
    let names: Vec<String> = dense.iter().map(|i| format!("c{i:05}")).collect();
    let st = run(&Transactions::from_str_ids(&names, ts, amounts).unwrap());
    assert_eq!((st.frequency(), st.t()), (d.frequency(), d.t()));
    assert_eq!(st.monetary_value(), d.monetary_value());
    let crate::CustomerIds::Int(want) = d.ids() else {
        panic!()
    };
    assert_eq!(st.ids().get(0).to_string(), format!("c{:05}", want[0]));
}

/// The grouping of the rows by customer: each customer's row numbers, in
/// row order, the same with 32- and 64-bit row numbers, over pieces of
/// keys, whatever the number of customers per block.
#[test]
fn rows_are_grouped_by_customer_in_row_order() {
    use crate::clv::summary_group::{block_customers, group_rows, Block};
    let codes: Vec<u32> = (0..10_000u32)
        .map(|i| i * 7 % 13 + u32::from(i % 5 == 0))
        .collect();
    let pieces = [&codes[..3_000], &codes[3_000..3_001], &codes[3_001..]];
    // Customer c's rows: block c / k, customer c % k within it.
    fn rows_of<S: crate::clv::summary_group::Slot>(
        blocks: &[Block<S>],
        k: usize,
        c: usize,
    ) -> Vec<usize> {
        blocks[c / k].of(c % k).iter().map(|r| r.get()).collect()
    }
    for k in [1, 2, 4, 16, 64] {
        let small = group_rows::<u32>(&pieces, 15, k);
        let large = group_rows::<u64>(&pieces, 15, k);
        assert_eq!(small.len(), 15usize.div_ceil(k));
        assert_eq!(small.iter().map(Block::len).sum::<usize>(), 15);
        for c in 0..15 {
            let want: Vec<usize> = (0..codes.len())
                .filter(|&r| codes[r] as usize == c)
                .collect();
            assert_eq!(rows_of(&small, k, c), want, "customer {c}, {k} a block");
            assert_eq!(rows_of(&large, k, c), want, "customer {c}, {k} a block");
        }
    }
    // About 65,536 rows a block (a power of two of customers), at least 4
    // blocks a thread.
    assert_eq!(block_customers(1_000_000, 2_400_000, 1), 16_384);
    assert_eq!(block_customers(200_000, 4_000_000, 2), 2_048);
    assert_eq!(block_customers(100, 1_000, 2), 16);
    assert_eq!(block_customers(10, 10_000_000, 2), 1);
    assert_eq!(block_customers(0, 0, 2), 1);
}

#[test]
fn codes_given_by_value_give_the_result_of_borrowed_codes() {
    // Ids coded out of order, rows of a customer spread over three batches,
    // costs and a holdout period.
    let ids = [30, 10, 30, 20, 10, 30, 20, 10];
    let ts: Vec<i64> = [1, 2, 5, 9, 12, 20, 25, 28]
        .iter()
        .map(|d| at(2024, 1, *d))
        .collect();
    let amounts = vec![10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0];
    let costs = vec![1.0; 8];
    let tx = Transactions::from_int_ids(&ids, ts.clone(), amounts.clone()).unwrap();
    let params = ClvSummary::params().calibration_end(date(2024, 1, 15));
    let whole = params
        .clone()
        .score(
            SummaryInput::new(tx.view(), tx.customers())
                .unwrap()
                .with_costs(&costs)
                .unwrap(),
        )
        .unwrap();
    let zone = tx.view().zone();
    let mut batches = SummaryBatches::with_codes(tx.customers(), tx.view().codes().to_vec());
    for rows in [0..3, 3..7, 7..8] {
        let r = rows.clone();
        batches
            .push_columns(&ts[r.clone()], &amounts[r.clone()], Some(&costs[r]), zone)
            .unwrap();
    }
    let pieces = params.score(batches).unwrap();
    assert_eq!(pieces.ids(), whole.ids());
    assert_eq!(pieces.frequency(), whole.frequency());
    assert_eq!(pieces.recency(), whole.recency());
    assert_eq!(pieces.t(), whole.t());
    assert_eq!(pieces.monetary_value(), whole.monetary_value());
    assert_eq!(pieces.holdout(), whole.holdout());
    assert_eq!(pieces.report(), whole.report());
    // Customer 30: days 1 and 5 in calibration (margin of the repeat
    // 30 - 1 = 29), day 20 in the holdout (60 - 1 = 59).
    assert_eq!(pieces.ids().get(2).to_string(), "30");
    assert_eq!(pieces.monetary_value()[2], 29.0);
    assert_eq!(pieces.holdout().unwrap().monetary_value[2], 59.0);
}

#[test]
fn codes_given_by_value_must_match_the_rows() {
    let tx = Transactions::from_int_ids(&[1, 2, 1], vec![0, DAY, 2 * DAY], vec![1.0; 3]).unwrap();
    let (ts, amounts, zone) = (tx.view().timestamps(), tx.view().amounts(), zone_of(&tx));
    let codes = || tx.view().codes().to_vec();
    // More rows than codes.
    let mut b = SummaryBatches::with_codes(tx.customers(), codes()[..2].to_vec());
    let e = b.push_columns(ts, amounts, None, zone).unwrap_err();
    assert!(
        matches!(
            e,
            CiblageError::LengthMismatch {
                expected: 3,
                got: 2,
                ..
            }
        ),
        "{e}"
    );
    // Fewer rows than codes: refused when scored.
    let mut b = SummaryBatches::with_codes(tx.customers(), codes());
    b.push_columns(&ts[..2], &amounts[..2], None, zone).unwrap();
    let e = ClvSummary::params().score(b).unwrap_err();
    assert!(
        matches!(
            e,
            CiblageError::LengthMismatch {
                expected: 2,
                got: 3,
                ..
            }
        ),
        "{e}"
    );
    // A code beyond the customers, as a borrowed view refuses it.
    let mut b = SummaryBatches::with_codes(tx.customers(), vec![0, 1, 2]);
    let e = b.push_columns(ts, amounts, None, zone).unwrap_err();
    let borrowed = TransactionView::new(&[0, 1, 2], ts, amounts, 2, zone).unwrap_err();
    assert_eq!(e.to_string(), borrowed.to_string());
    // A non-finite amount, numbered within the batch.
    let mut b = SummaryBatches::with_codes(tx.customers(), codes());
    b.push_columns(&ts[..1], &amounts[..1], None, zone).unwrap();
    let e = b
        .push_columns(&ts[1..], &[1.0, f64::NAN], None, zone)
        .unwrap_err();
    assert!(matches!(e, CiblageError::NonFinite { row: 1, .. }), "{e}");
    // The two ways of giving codes are not mixed.
    let mut b = SummaryBatches::with_codes(tx.customers(), codes());
    let part = SummaryInput::new(tx.view(), tx.customers()).unwrap();
    assert!(matches!(
        b.push(part),
        Err(CiblageError::InvalidParameter { .. })
    ));
    let mut b = SummaryBatches::new(tx.customers());
    let e = b.push_columns(ts, amounts, None, zone).unwrap_err();
    assert!(matches!(e, CiblageError::InvalidParameter { .. }), "{e}");
}

fn zone_of(tx: &Transactions) -> Zone {
    tx.view().zone()
}
