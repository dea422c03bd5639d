use super::*;
use crate::chrono::{Datelike, NaiveDate, Weekday};
use crate::partial_state::RoundedSums;
use crate::time::{date_from_day, day_from_date};
use crate::{CustomerId, Transactions};
use proptest::prelude::*;

const DAY: i64 = MICROS_PER_DAY;

fn day(y: i32, m: u32, d: u32) -> i64 {
    day_from_date(NaiveDate::from_ymd_opt(y, m, d).unwrap())
}

/// Rows (id, instant in µs, amount, cost) pushed in the batches cut at
/// `bounds` (sorted, from 0 to the number of rows).
fn absorbed(
    collapse: DayCollapse,
    rows: &[(i64, i64, f64, f64)],
    bounds: &[usize],
    has_cost: bool,
) -> PartialDays {
    let mut acc = DayStateAccumulator::new(collapse, Zone::Utc, has_cost);
    for w in bounds.windows(2) {
        let part = &rows[w[0]..w[1]];
        let ids: Vec<i64> = part.iter().map(|r| r.0).collect();
        let mut codes = Vec::new();
        acc.customers_mut().encode_i64(&ids, &mut codes).unwrap();
        let micros: Vec<i64> = part.iter().map(|r| r.1).collect();
        let amounts: Vec<f64> = part.iter().map(|r| r.2).collect();
        let costs: Vec<f64> = part.iter().map(|r| r.3).collect();
        acc.push(&codes, &micros, &amounts, has_cost.then_some(&costs[..]))
            .unwrap();
    }
    assert_eq!(acc.rows(), rows.len());
    acc.finish()
}

#[test]
fn retention_months_by_hand() {
    // Customer 1: 2024-01-05 (+10), 2024-01-20 (+5), 2024-01-20 (−2);
    // customer 2: 2024-02-03 (+4), 2024-02-10 (+1), the latest day.
    // By month: (1, 2024-01-01, +) 2 rows 15, (1, 2024-01-01, −) 1 row −2,
    // (2, 2024-02-10, +) 2 rows 5: February's key sits on the latest day.
    let rows = [
        (1, day(2024, 1, 5) * DAY, 10.0, 0.0),
        (1, day(2024, 1, 20) * DAY + 5, 5.0, 0.0),
        (1, day(2024, 1, 20) * DAY, -2.0, 0.0),
        (2, day(2024, 2, 3) * DAY, 4.0, 0.0),
        (2, day(2024, 2, 10) * DAY + 7, 1.0, 0.0),
    ];
    let collapse = DayCollapse::Retention {
        period: Period::Month,
        origin: None,
        as_of: None,
    };
    let s = absorbed(collapse, &rows, &[0, 2, 2, 5], false);
    assert_eq!(
        s.sorted(),
        [
            (CustomerId::Int(1), day(2024, 1, 1), -1, (1, -2.0, 0.0)),
            (CustomerId::Int(1), day(2024, 1, 1), 1, (2, 15.0, 0.0)),
            (CustomerId::Int(2), day(2024, 2, 10), 1, (2, 5.0, 0.0)),
        ]
    );
    // With as_of 2024-02-05: customer 2's 2024-02-10 goes to as_of, its
    // 2024-02-03 to 2024-02-01.
    let collapse = DayCollapse::Retention {
        period: Period::Month,
        origin: None,
        as_of: Some(day(2024, 2, 5)),
    };
    let s = absorbed(collapse, &rows, &[0, 5], false);
    let keys: Vec<_> = s.sorted().into_iter().map(|e| (e.1, e.3 .0)).collect();
    assert_eq!(
        keys,
        [
            (day(2024, 1, 1), 1),
            (day(2024, 1, 1), 2),
            (day(2024, 2, 1), 1),
            (day(2024, 2, 5), 1)
        ]
    );
}

#[test]
fn clv_weeks_start_on_monday_and_margins_add() {
    // 2024-03-10 is a Sunday, 2024-03-11 a Monday: two weeks, starting
    // 2024-03-04 and 2024-03-11. Margins 10 − 4 + 3 − 1 = 8 in the first.
    let rows = [
        (5, day(2024, 3, 10) * DAY, 10.0, 4.0),
        (5, day(2024, 3, 4) * DAY, 3.0, 1.0),
        (5, day(2024, 3, 11) * DAY, 2.0, 0.5),
    ];
    let collapse = DayCollapse::ClvSummary {
        period: Period::Week {
            start: Weekday::Mon,
        },
    };
    let s = absorbed(collapse, &rows, &[0, 1, 3], true);
    assert_eq!(
        s.sorted(),
        [
            (CustomerId::Int(5), day(2024, 3, 4), 1, (2, 13.0, 8.0)),
            (CustomerId::Int(5), day(2024, 3, 11), 1, (1, 2.0, 1.5)),
        ]
    );
}

#[test]
fn bad_rows_are_numbered_from_the_first_batch_and_add_nothing() {
    let mut acc = DayStateAccumulator::new(DayCollapse::Keep, Zone::Utc, false);
    let mut codes = Vec::new();
    acc.customers_mut().encode_i64(&[1, 2], &mut codes).unwrap();
    acc.push(&codes, &[0, DAY], &[1.0, 2.0], None).unwrap();
    let e = acc
        .push(&codes, &[0, DAY], &[1.0, f64::NAN], None)
        .unwrap_err();
    assert!(matches!(e, CiblageError::NonFinite { row: 3, .. }), "{e}");
    let e = acc
        .push(&codes, &[0, i64::MIN], &[1.0, 1.0], None)
        .unwrap_err();
    assert!(
        matches!(e, CiblageError::TimestampOutOfRange { row: 3, .. }),
        "{e}"
    );
    let e = acc.push(&[9], &[0], &[1.0], None).unwrap_err();
    assert!(e.to_string().contains("row 2"), "{e}");
    let e = acc
        .push(&codes, &[0, 0], &[1.0, 1.0], Some(&[0.0, 0.0]))
        .unwrap_err();
    assert!(e.to_string().contains("cost"), "{e}");
    assert_eq!((acc.rows(), acc.finish().rows()), (2, 2));
}

/// The first day of the period of `d`, by the calendar (chrono), not by
/// the code of [`Period`].
fn calendar_start(period: Period, d: i64, origin: i64) -> i64 {
    let date = date_from_day(d).unwrap();
    match period {
        Period::Day => d,
        Period::Week { start } => {
            d - i64::from(
                (7 + date.weekday().num_days_from_monday() - start.num_days_from_monday()) % 7,
            )
        }
        Period::Month => day(date.year(), date.month(), 1),
        Period::Quarter => day(date.year(), date.month0() / 3 * 3 + 1, 1),
        Period::Year => day(date.year(), 1, 1),
        Period::Days { days } => {
            origin + (d - origin).div_euclid(i64::from(days)) * i64::from(days)
        }
    }
}

fn periods() -> impl Strategy<Value = Period> {
    prop_oneof![
        Just(Period::Day),
        Just(Period::Week {
            start: Weekday::Mon
        }),
        Just(Period::Week {
            start: Weekday::Sun
        }),
        Just(Period::Month),
        Just(Period::Quarter),
        Just(Period::Year),
        (1u32..40).prop_map(|days| Period::Days { days }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any cut into batches gives the state of one batch, and that state
    /// is the day state of the rows ([`PartialDays::from_transactions`])
    /// with each key's day moved to its period's first day by the
    /// calendar (days on or after as_of to as_of; without as_of, the
    /// latest day's key as it was).
    #[test]
    fn any_cut_gives_the_collapsed_day_state(
        rows in proptest::collection::vec((0i64..7, 19_000i64..19_800, -3i32..30, 0i32..3), 1..150),
        cuts in proptest::collection::vec(0usize..300, 0..6),
        period in periods(),
        origin in proptest::option::of(18_990i64..19_100),
        as_of in proptest::option::of(19_000i64..19_900),
        retention in any::<bool>(),
    ) {
        // A row per (id, day, amount, cost): several hours of a day apart.
        let rows: Vec<(i64, i64, f64, f64)> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.0, r.1 * DAY + (i as i64 % 24) * 3_600_000_000, f64::from(r.2), f64::from(r.3)))
            .collect();
        let collapse = if retention {
            DayCollapse::Retention { period, origin, as_of }
        } else {
            DayCollapse::ClvSummary { period }
        };
        let mut bounds: Vec<usize> = cuts.iter().map(|c| c % (rows.len() + 1)).collect();
        bounds.extend([0, rows.len()]);
        bounds.sort_unstable();
        let cut = absorbed(collapse, &rows, &bounds, true);
        let whole = absorbed(collapse, &rows, &[0, rows.len()], true);
        prop_assert_eq!(cut.sorted(), whole.sorted());

        // The reference: the day state of the rows, each key moved by
        // the calendar, the keys that meet merged.
        let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
        let tx = Transactions::from_int_ids(&ids, rows.iter().map(|r| r.1).collect(), rows.iter().map(|r| r.2).collect())
            .unwrap()
            .with_costs(rows.iter().map(|r| r.3).collect())
            .unwrap();
        let days = PartialDays::from_transactions(&tx);
        let last = days.entries().map(|(k, _)| k.1).max().unwrap();
        let keeps_period = !matches!(period, Period::Days { .. }) || origin.is_some();
        let moved = |d: i64| -> i64 {
            if retention {
                match as_of {
                    Some(a) if d >= a => a,
                    _ if keeps_period => calendar_start(period, d, origin.unwrap_or(0)),
                    _ => d,
                }
            } else if matches!(period, Period::Days { .. }) {
                d
            } else {
                calendar_start(period, d, 0)
            }
        };
        let mut want = PartialDays::empty(true);
        want.set_index(tx.customers().clone());
        for ((code, d, s), sums) in days.entries() {
            want.add((code, moved(d), s), sums);
        }
        if retention && as_of.is_none() {
            // The latest day stays: on the key of one of its rows.
            let (code, s) = days.entries().find(|(k, _)| k.1 == last).map(|(k, _)| (k.0, k.2)).unwrap();
            prop_assert!(cut.sorted().iter().any(|e| e.1 == last));
            want.rekey((code, moved(last), s), (code, last, s));
            // Which of the latest day's keys stays may differ from the
            // reference's pick: compare the keys with their days moved.
            let norm = |p: &PartialDays| -> Vec<(String, i64, i8, RoundedSums)> {
                let mut v: Vec<_> = p.sorted().into_iter().map(|e| (format!("{:?}", e.0), moved(e.1), e.2, e.3)).collect();
                v.sort_by(|a, b| (&a.0, a.1, a.2).cmp(&(&b.0, b.1, b.2)));
                v
            };
            prop_assert_eq!(norm(&cut), norm(&want));
        } else {
            prop_assert_eq!(cut.sorted(), want.sorted());
        }
        prop_assert_eq!(cut.rows(), rows.len() as u64);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Partitions' day states, merged then collapsed (as Spark and Dask
    /// merge theirs, collapsing again at every merge), give the state the
    /// accumulator reads from the same rows in one stream.
    #[test]
    fn collapsed_merges_give_the_streamed_state(
        rows in proptest::collection::vec((0i64..7, 19_000i64..19_400, -3i32..30), 1..120),
        cut in 0usize..200,
        period in periods(),
        as_of in proptest::option::of(19_000i64..19_500),
        retention in any::<bool>(),
    ) {
        let rows: Vec<(i64, i64, f64, f64)> =
            rows.iter().map(|r| (r.0, r.1 * DAY + 7, f64::from(r.2), 0.0)).collect();
        let collapse = if retention {
            DayCollapse::Retention { period, origin: Some(19_001), as_of }
        } else {
            DayCollapse::ClvSummary { period }
        };
        let cut = cut % (rows.len() + 1);
        let part = |r: &[(i64, i64, f64, f64)]| {
            let ids: Vec<i64> = r.iter().map(|x| x.0).collect();
            let tx = Transactions::from_int_ids(&ids, r.iter().map(|x| x.1).collect(), r.iter().map(|x| x.2).collect());
            tx.map_or_else(|_| PartialDays::empty(false), |t| PartialDays::from_transactions(&t))
                .collapsed(collapse)
        };
        let merged = part(&rows[..cut]).merge(part(&rows[cut..])).unwrap().collapsed(collapse);
        let streamed = absorbed(collapse, &rows, &[0, rows.len()], false);
        // The latest day's key may sit on another customer: compare with
        // the days moved, and the latest day held by both.
        let moved = |p: &PartialDays| -> Vec<(String, i64, i8, RoundedSums)> {
            let mut out = PartialDays::empty(false);
            out.set_index(p.clone().into_index());
            for ((c, d, s), sums) in p.entries() {
                out.add((c, collapse.key_day(d), s), sums);
            }
            let mut v: Vec<_> = out.sorted().into_iter().map(|e| (format!("{:?}", e.0), e.1, e.2, e.3)).collect();
            v.sort_by(|a, b| (&a.0, a.1, a.2).cmp(&(&b.0, b.1, b.2)));
            v
        };
        prop_assert_eq!(moved(&merged), moved(&streamed));
        let latest = |p: &PartialDays| p.entries().map(|(k, _)| k.1).max();
        prop_assert_eq!(latest(&merged), latest(&streamed));
    }
}

#[test]
fn negatives_refused_up_to_the_observation_end_period() {
    // Summary by month, observation end 2024-01-28 (its month: January
    // 2024). A first batch of one purchase; then a return on 2024-03-18
    // (after January: kept) and one on 2023-12-09 (refused): row 2 of the
    // stream, nothing of its batch added.
    let collapse = DayCollapse::ClvSummary {
        period: Period::Month,
    };
    let mut acc = DayStateAccumulator::new(collapse, Zone::Utc, false)
        .refusing_negatives(Freq::Month, Some(day(2024, 1, 28)));
    let mut codes = Vec::new();
    acc.customers_mut().encode_i64(&[1], &mut codes).unwrap();
    acc.push(&codes, &[day(2024, 1, 2) * DAY], &[4.0], None)
        .unwrap();
    codes.clear();
    acc.customers_mut().encode_i64(&[1, 2], &mut codes).unwrap();
    let micros = [day(2024, 3, 18) * DAY, day(2023, 12, 9) * DAY];
    let e = acc.push(&codes, &micros, &[-1.0, -2.0], None).unwrap_err();
    assert_eq!(
        e.to_string(),
        "amount: negative value -2 at row 2 (negative amounts are rejected; set negative_amounts to keep or exclude them)"
    );
    assert_eq!((acc.rows(), acc.len()), (1, 1));
    // Without an end every negative row is refused: the first one.
    let mut acc =
        DayStateAccumulator::new(collapse, Zone::Utc, false).refusing_negatives(Freq::Month, None);
    codes.clear();
    acc.customers_mut().encode_i64(&[1, 2], &mut codes).unwrap();
    let e = acc.push(&codes, &micros, &[-1.0, -2.0], None).unwrap_err();
    assert!(e.to_string().contains("-1 at row 0"), "{e}");
}
