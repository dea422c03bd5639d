//! Tests of the activity accumulator.

use super::*;
use crate::time::{Zone, MICROS_PER_DAY as DAY};
use crate::transactions::{NegativeAmounts, Transactions};

fn opts() -> ActivityOptions {
    ActivityOptions::default()
}

#[test]
fn sums_counts_and_extremes() {
    let tx = Transactions::from_int_ids(
        &[1, 2, 1, 1],
        vec![3 * DAY, DAY, DAY, 2 * DAY],
        vec![10.0, 4.0, -2.0, 1.5],
    )
    .unwrap();
    let a = CustomerActivity::from_transactions(&tx, opts()).unwrap();
    // Customer 1 (code 0): rows on days 3, 1, 2; 10 - 2 + 1.5 = 9.5.
    assert_eq!(a.transactions, [3, 1]);
    assert_eq!(a.first, [DAY, DAY]);
    assert_eq!(a.last, [3 * DAY, DAY]);
    assert_eq!(a.revenue, [9.5, 4.0]);
    assert_eq!(a.report.negative_rows, 1);
}

#[test]
fn negative_policy_exclude_and_reject() {
    let tx =
        Transactions::from_int_ids(&[1, 1, 2], vec![0, DAY, 0], vec![5.0, -5.0, -1.0]).unwrap();
    let o = ActivityOptions {
        negative_amounts: NegativeAmounts::Exclude,
        ..opts()
    };
    let a = CustomerActivity::from_transactions(&tx, o).unwrap();
    assert_eq!(a.transactions, [1, 0]);
    assert_eq!(a.last[0], 0);
    assert!(!a.is_active(1));
    assert_eq!(a.report.negative_rows_excluded, 2);
    assert_eq!(a.report.customers_without_rows, 1);
    let o = ActivityOptions {
        negative_amounts: NegativeAmounts::Reject,
        ..opts()
    };
    let err = CustomerActivity::from_transactions(&tx, o).unwrap_err();
    assert_eq!(
        err.to_string(),
        "amount: negative value -5 at row 1 (negative amounts are rejected; set negative_amounts to keep or exclude them)"
    );
}

#[test]
fn rows_after_the_last_day_are_left_out_and_counted() {
    let tx = Transactions::from_int_ids(&[1, 1], vec![DAY + 5, 2 * DAY], vec![1.0, 2.0]).unwrap();
    let o = ActivityOptions {
        last_date: chrono::NaiveDate::from_ymd_opt(1970, 1, 2),
        ..opts()
    };
    let a = CustomerActivity::from_transactions(&tx, o).unwrap();
    assert_eq!(a.transactions, [1]);
    assert_eq!(a.report.rows_after_as_of, 1);
}

#[test]
fn distinct_days_merge_same_day_rows() {
    // Two rows on day 0, one on day 1; in Paris 23:30Z on day 0 is day 1.
    let tx = Transactions::from_int_ids(
        &[1, 1, 1],
        vec![0, DAY - 1_800_000_000, DAY + 60_000_000],
        vec![1.0, 1.0, 1.0],
    )
    .unwrap();
    let mut o = ActivityOptions {
        distinct_days: true,
        ..opts()
    };
    let utc = CustomerActivity::from_transactions(&tx, o).unwrap();
    assert_eq!(utc.purchase_days, Some(vec![2]));
    o.zone = Zone::parse("Europe/Paris").unwrap();
    let paris = CustomerActivity::from_transactions(&tx, o).unwrap();
    assert_eq!(paris.purchase_days, Some(vec![2]));
    o.zone = Zone::parse("America/New_York").unwrap();
    // New York (UTC-5 in winter): day -1 19:00, day 0 18:30, day 0 19:01 -> 2 days.
    let ny = CustomerActivity::from_transactions(&tx, o).unwrap();
    assert_eq!(ny.purchase_days, Some(vec![2]));
}

#[test]
fn parallel_and_serial_agree() {
    let n = 2 * PARALLEL_ROWS + 12_345;
    let codes: Vec<u32> = (0..n).map(|i| (i * 7919 % 1000) as u32).collect();
    let ts: Vec<i64> = (0..n).map(|i| (i as i64 * 31) % 100_000).collect();
    let amounts: Vec<f64> = (0..n).map(|i| (i % 97) as f64 * 0.25).collect();
    let mut big = ActivityAccumulator::new(opts(), false);
    big.push(&codes, &ts, &amounts, None, 1000).unwrap();
    let mut small = ActivityAccumulator::new(opts(), false);
    for lo in (0..n).step_by(100_000) {
        let hi = (lo + 100_000).min(n);
        small
            .push(&codes[lo..hi], &ts[lo..hi], &amounts[lo..hi], None, 1000)
            .unwrap();
    }
    let (a, b) = (big.finish(), small.finish());
    assert_eq!(a.transactions, b.transactions);
    assert_eq!(a.first, b.first);
    assert_eq!(a.last, b.last);
    // Exact sums: the bits do not depend on the cut.
    assert_eq!(a.revenue, b.revenue);
    assert_eq!(a.report.rows, n as u64);
}

#[test]
fn pieces_give_the_exact_sums_for_any_thread_count() {
    // Few customers: many small pieces (4 rows per customer: 20,000 rows),
    // one task each; many customers: 4 pieces of PIECE_ROWS rows, each read
    // by several tasks owning ranges of customers (5 threads). Costs and
    // returns included.
    let n = 4 * PIECE_ROWS + 777;
    for (customers, rows_per_piece) in [(5000, 20_000), (200_000, PIECE_ROWS)] {
        let codes: Vec<u32> = (0..n).map(|i| (i * 7919 % customers) as u32).collect();
        let ts: Vec<i64> = (0..n).map(|i| (i as i64 * 31) % 900_000).collect();
        // Amounts k / 1024 of mixed magnitudes: the exact sums are the
        // integer sums of k, divided by 1024 after rounding.
        let ks: Vec<i64> = (0..n)
            .map(|i| ((i * 7919 % 200_003) as i64 - 100_000) << (i % 5 * 9))
            .collect();
        let amounts: Vec<f64> = ks.iter().map(|&k| k as f64 / 1024.0).collect();
        let run = |threads: usize| {
            crate::testing::on_threads(threads, || {
                let mut acc = ActivityAccumulator::new(opts(), true);
                acc.push(&codes, &ts, &amounts, Some(&amounts), customers)
                    .unwrap();
                acc.finish()
            })
        };
        let one = run(1);
        assert_eq!(one, run(2));
        assert_eq!(one, run(5));
        assert_eq!(super::piece_rows(customers), rows_per_piece);
        let mut totals = vec![0i128; customers];
        for (&c, &k) in codes.iter().zip(&ks) {
            totals[c as usize] += i128::from(k);
        }
        let expected: Vec<f64> = totals.iter().map(|&t| t as f64 / 1024.0).collect();
        assert_eq!(one.revenue, expected);
        assert_eq!(one.cost, Some(expected));
        assert_eq!(
            one.transactions.iter().map(|&t| t as usize).sum::<usize>(),
            n
        );
    }
}

#[test]
fn chunks_give_the_sums_of_one_push() {
    // Rows over several pieces (in tests), cut into uneven chunks whose
    // ends fall inside pieces; distinct days counted too.
    let n = 3 * PIECE_ROWS + 501;
    let codes: Vec<u32> = (0..n).map(|i| (i * 7919 % 3000) as u32).collect();
    let ts: Vec<i64> = (0..n)
        .map(|i| (i as i64 * 7_777_777) % (400 * DAY))
        .collect();
    let amounts: Vec<f64> = (0..n).map(|i| (i as f64).sqrt() - 20.0).collect();
    let options = ActivityOptions {
        distinct_days: true,
        ..opts()
    };
    let mut whole = ActivityAccumulator::new(options, true);
    whole
        .push(&codes, &ts, &amounts, Some(&amounts), 3000)
        .unwrap();
    let cuts = [0, 1, 70_000, 70_001, 200_000, n - 3, n];
    let chunks: Vec<RowChunk<'_>> = cuts
        .windows(2)
        .map(|w| RowChunk {
            codes: &codes[w[0]..w[1]],
            timestamps: &ts[w[0]..w[1]],
            amounts: &amounts[w[0]..w[1]],
            costs: Some(&amounts[w[0]..w[1]]),
        })
        .collect();
    let mut split = ActivityAccumulator::new(options, true);
    split.push_chunks(&chunks, 3000).unwrap();
    assert_eq!(split.finish(), whole.finish());
    // An error is reported with its row counted over all chunks.
    let mut bad = amounts.clone();
    bad[70_000] = f64::INFINITY;
    let chunks: Vec<RowChunk<'_>> = cuts
        .windows(2)
        .map(|w| RowChunk {
            codes: &codes[w[0]..w[1]],
            timestamps: &ts[w[0]..w[1]],
            amounts: &bad[w[0]..w[1]],
            costs: Some(&amounts[w[0]..w[1]]),
        })
        .collect();
    let mut acc = ActivityAccumulator::new(options, true);
    let err = acc.push_chunks(&chunks, 3000).unwrap_err();
    assert_eq!(err.to_string(), "amount: non-finite value inf at row 70000");
}

#[test]
fn amounts_far_apart_are_summed_exactly() {
    // Amounts K·2^900 and J·2^-900 (any shared exponent misses one of the
    // two kinds, which then go to the side table): the exact sum rounds
    // to K·2^900 when K ≠ 0 (the small part is far below half an ulp),
    // else to J·2^-900; cut, pushed in any order and merged, on 1 and 4
    // threads.
    let n = 3 * PIECE_ROWS + 17;
    let customers = 700;
    let codes: Vec<u32> = (0..n).map(|i| (i * 7919 % customers) as u32).collect();
    let ts = vec![0i64; n];
    let (big, small) = (2f64.powi(900), 2f64.powi(-900));
    let ks: Vec<i64> = (0..n).map(|i| (i * 31 % 201) as i64 - 100).collect();
    // Customers with a code divisible by 7 get only small amounts.
    let amounts: Vec<f64> = (0..n)
        .map(|i| {
            let k = ks[i] as f64;
            if codes[i] % 7 == 0 || i % 3 == 0 {
                k * small
            } else {
                k * big
            }
        })
        .collect();
    let (mut kb, mut ks_small) = (vec![0i64; customers], vec![0i64; customers]);
    for i in 0..n {
        let c = codes[i] as usize;
        if codes[i] % 7 == 0 || i % 3 == 0 {
            ks_small[c] += ks[i];
        } else {
            kb[c] += ks[i];
        }
    }
    let expected: Vec<f64> = (0..customers)
        .map(|c| {
            if kb[c] != 0 {
                kb[c] as f64 * big
            } else {
                ks_small[c] as f64 * small
            }
        })
        .collect();
    for threads in [1, 4] {
        let (whole, parts) = crate::testing::on_threads(threads, || {
            let mut whole = ActivityAccumulator::new(opts(), true);
            whole
                .push(&codes, &ts, &amounts, Some(&amounts), customers)
                .unwrap();
            // Uneven cuts, pushed to separate accumulators merged last
            // first, the first cut alone holding only small amounts.
            let cuts = [0, 5, 1000, 70_001, n - 2, n];
            let mut merged = ActivityAccumulator::new(opts(), true);
            for w in cuts.windows(2).rev() {
                let r = w[0]..w[1];
                let mut part = ActivityAccumulator::new(opts(), true);
                part.push(
                    &codes[r.clone()],
                    &ts[r.clone()],
                    &amounts[r.clone()],
                    Some(&amounts[r]),
                    customers,
                )
                .unwrap();
                merged.merge(part).unwrap();
            }
            (whole.finish(), merged.finish())
        });
        assert_eq!(whole.revenue, expected);
        assert_eq!(whole.cost.as_deref(), Some(&expected[..]));
        assert_eq!(parts.revenue, expected);
        assert_eq!(parts.cost.as_deref(), Some(&expected[..]));
    }
}

#[test]
fn cents_of_any_size_fit_the_compact_sums() {
    // Amounts in cents from 0.01 to 100,000, integers and quarters (few
    // mantissa bits) included: none goes to the (slower) side table.
    let n = 10_000;
    let amounts: Vec<f64> = (0..n)
        .map(|i| ((i * 7919) % 10_000_000) as f64 / 100.0)
        .collect();
    let codes: Vec<u32> = (0..n).map(|i| (i % 100) as u32).collect();
    let mut acc = ActivityAccumulator::new(opts(), true);
    acc.push(&codes, &vec![0; n], &amounts, Some(&amounts), 100)
        .unwrap();
    assert!(acc.state.revenue_spill.is_empty());
    assert!(acc.state.cost_spill.is_empty());
}

#[test]
fn row_numbers_in_errors_count_from_the_first_push() {
    let mut acc = ActivityAccumulator::new(opts(), false);
    acc.push(&[0, 0], &[0, 0], &[1.0, 1.0], None, 1).unwrap();
    let err = acc.push(&[0], &[0], &[f64::NAN], None, 1).unwrap_err();
    assert_eq!(err.to_string(), "amount: non-finite value NaN at row 2");
}

#[test]
fn the_reference_day_ends_at_its_last_instant_and_without_one_every_instant_counts() {
    // Last day 1: its last microsecond counts, the next day's first does not.
    let o = ActivityOptions {
        last_date: chrono::NaiveDate::from_ymd_opt(1970, 1, 2),
        ..opts()
    };
    let mut acc = ActivityAccumulator::new(o, false);
    acc.push(&[0, 0], &[2 * DAY - 1, 2 * DAY], &[1.0, 2.0], None, 1)
        .unwrap();
    let a = acc.finish();
    assert_eq!((a.transactions[0], a.report.rows_after_as_of), (1, 1));
    // No reference date: the largest instant is counted, not left out as
    // "after the reference date".
    let mut acc = ActivityAccumulator::new(opts(), false);
    acc.push(&[0], &[i64::MAX], &[1.0], None, 1).unwrap();
    let a = acc.finish();
    assert_eq!((a.transactions[0], a.report.rows_after_as_of), (1, 0));
}

mod stream {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        /// Rows of a table of one piece cut into batches of any sizes
        /// (empty and one-row ones included), pushed with the customers
        /// known so far: the bits of one push.
        #[test]
        fn batches_of_a_one_piece_table_give_the_bits_of_one_push(
            seed in 0u64..1000,
            n in 0usize..20_000,
            customers in 1u64..3000,
            mut cuts in proptest::collection::vec(0usize..20_000, 0..12),
        ) {
            // Codes in order of first appearance, as an incremental index
            // gives them; amounts of mixed magnitudes.
            let mut next = 0u32;
            let codes: Vec<u32> = (0..n as u64)
                .map(|i| {
                    let c = (i.wrapping_mul(2_654_435_761).wrapping_add(seed) % customers) as u32;
                    if c >= next { next += 1; next - 1 } else { c }
                })
                .collect();
            let ts: Vec<i64> = (0..n as i64).map(|i| (i * 7_777_777 + seed as i64) % (90 * DAY)).collect();
            let amounts: Vec<f64> = (0..n)
                .map(|i| ((i as f64 + seed as f64) * 0.37).sin() * 10f64.powi((i % 7) as i32))
                .collect();
            let options = ActivityOptions { distinct_days: true, ..opts() };
            let mut whole = ActivityAccumulator::new(options, true);
            whole.push(&codes, &ts, &amounts, Some(&amounts), next as usize).unwrap();
            cuts.push(0);
            cuts.push(n);
            cuts.iter_mut().for_each(|c| *c = (*c).min(n));
            cuts.sort_unstable();
            let mut split = ActivityAccumulator::new(options, true);
            for w in cuts.windows(2) {
                let r = w[0]..w[1];
                let known = codes[..w[1]].iter().map(|&c| c as usize + 1).max().unwrap_or(0);
                split.push(&codes[r.clone()], &ts[r.clone()], &amounts[r.clone()], Some(&amounts[r]), known).unwrap();
            }
            split.grow_to(next as usize);
            prop_assert_eq!(whole.finish(), split.finish());
        }

        /// Rows k·2^-7 of mixed magnitudes, in a random order, cut at
        /// random into pushes, on 1 or 4 threads: the sums are the exact
        /// integer sums of k, rounded once.
        #[test]
        fn any_order_cut_and_thread_count_give_the_exact_sums(
            rows in proptest::collection::vec((0u32..50, -(1i64 << 40)..(1i64 << 40), 0u32..30), 0..3000),
            mut cuts in proptest::collection::vec(0usize..3000, 0..8),
            four in any::<bool>(),
        ) {
            let n = rows.len();
            let codes: Vec<u32> = rows.iter().map(|r| r.0).collect();
            let ks: Vec<i64> = rows.iter().map(|r| r.1 >> r.2).collect();
            let amounts: Vec<f64> = ks.iter().map(|&k| k as f64 / 128.0).collect();
            let ts = vec![0i64; n];
            cuts.push(0);
            cuts.push(n);
            cuts.iter_mut().for_each(|c| *c = (*c).min(n));
            cuts.sort_unstable();
            let got = crate::testing::on_threads(if four { 4 } else { 1 }, || {
                let mut acc = ActivityAccumulator::new(opts(), true);
                for w in cuts.windows(2) {
                    let r = w[0]..w[1];
                    acc.push(&codes[r.clone()], &ts[r.clone()], &amounts[r.clone()], Some(&amounts[r]), 50).unwrap();
                }
                acc.finish()
            });
            let mut totals = [0i128; 50];
            for (&c, &k) in codes.iter().zip(&ks) {
                totals[c as usize] += i128::from(k);
            }
            let expected: Vec<f64> = totals.iter().map(|&t| t as f64 / 128.0).collect();
            prop_assert_eq!(&got.revenue, &expected);
            prop_assert_eq!(got.cost.as_deref(), Some(&expected[..]));
        }
    }
}
