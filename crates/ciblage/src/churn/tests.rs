//! Hand-computed cases and invariants of the retention analysis.

use chrono::{NaiveDate, Weekday};
use proptest::prelude::*;

use crate::churn::{Period, Retention};
use crate::time::day_from_date;
use crate::Transactions;

const DAY: i64 = 86_400_000_000;

fn at(y: i32, m: u32, d: u32) -> i64 {
    day_from_date(NaiveDate::from_ymd_opt(y, m, d).unwrap()) * DAY
}

/// Five customers over January–June 2024, monthly:
/// - 1: Jan, Feb, Mar, Jun
/// - 2: Jan, Mar (return in Apr: not active)
/// - 3: Feb, May
/// - 4: Mar (twice)
/// - 5: Apr only a return: never active
fn five_customers() -> Transactions {
    let rows = [
        (1, at(2024, 1, 5), 10.0),
        (2, at(2024, 1, 20), 20.0),
        (1, at(2024, 2, 2), 10.0),
        (3, at(2024, 2, 14), 30.0),
        (1, at(2024, 3, 1), 10.0),
        (2, at(2024, 3, 31), 20.0),
        (4, at(2024, 3, 3), 5.0),
        (4, at(2024, 3, 9), 5.0),
        (2, at(2024, 4, 2), -20.0),
        (5, at(2024, 4, 3), -1.0),
        (3, at(2024, 5, 5), 30.0),
        (1, at(2024, 6, 10), 10.0),
    ];
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    Transactions::from_int_ids(
        &ids,
        rows.iter().map(|r| r.1).collect(),
        rows.iter().map(|r| r.2).collect(),
    )
    .unwrap()
}

#[test]
fn periods_by_hand() {
    let r = Retention::params()
        .check()
        .unwrap()
        .score(&five_customers())
        .unwrap();
    let p = r.periods();
    let labels: Vec<&str> = p.iter().map(|x| x.label.as_str()).collect();
    assert_eq!(
        labels,
        ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06"]
    );
    // Active sets: Jan {1,2}, Feb {1,3}, Mar {1,2,4}, Apr {}, May {3}, Jun {1}.
    let active: Vec<u64> = p.iter().map(|x| x.active).collect();
    assert_eq!(active, [2, 2, 3, 0, 1, 1]);
    // Feb: 1 repeats, 3 new, 2 lapsed → retention 1/2.
    assert_eq!((p[1].new, p[1].repeating, p[1].lapsed), (1, 1, 1));
    assert_eq!(p[1].retention, Some(0.5));
    // Mar: 1 repeats, 2 reactivated, 4 new, 3 lapsed → 1/2.
    assert_eq!(
        (p[2].new, p[2].repeating, p[2].reactivated, p[2].lapsed),
        (1, 1, 1, 1)
    );
    // Apr: nobody; the three of March lapse → retention 0, attrition 1.
    assert_eq!(
        (p[3].lapsed, p[3].retention, p[3].attrition),
        (3, Some(0.0), Some(1.0))
    );
    // May: after an empty period retention is undefined; 3 reactivated.
    assert_eq!((p[4].reactivated, p[4].retention), (1, None));
    // Revenue: April holds the two returns (−21).
    assert_eq!(p[3].revenue, -21.0);
    assert_eq!(p[2].revenue, 40.0);
    // The default as_of is the day after the last row (June 10): June is
    // incomplete.
    assert!(!p[5].complete && p[4].complete);
}

#[test]
fn cohorts_censoring_and_survival_by_hand() {
    let r = Retention::params()
        .churn_after(2)
        .check()
        .unwrap()
        .score(&five_customers())
        .unwrap();
    let c = r.cohorts();
    // Cohorts: Jan {1, 2}, Feb {3}, Mar {4}; customer 5 never purchased.
    let sizes: Vec<(&str, u64)> = c.iter().map(|x| (x.label.as_str(), x.size)).collect();
    assert_eq!(sizes, [("2024-01", 2), ("2024-02", 1), ("2024-03", 1)]);
    let jan = &c[0];
    // Jan cohort, months 0..5: active {1,2}, {1}, {1,2}, {}, {}, {1}.
    assert_eq!(jan.active, [2, 1, 2, 0, 0, 1]);
    // Rolling: last purchases Jun (1) and Mar (2): active at k or later.
    assert_eq!(jan.rolling, [2, 2, 2, 1, 1, 1]);
    // Revenue: Jan 30, Feb 10, Mar 30, Apr −20 (2's return), May 0, Jun 10.
    assert_eq!(jan.revenue, [30.0, 10.0, 30.0, -20.0, 0.0, 10.0]);
    assert_eq!(jan.revenue_retention(2), Some(1.0));
    // Right-censoring: the March cohort has 4 observed months, no more.
    assert_eq!(c[2].active.len(), 4);
    assert_eq!(c[2].retention(4), None);
    // Churn after 2 silent months up to June (index 5): customer 2 (last
    // Mar = 2, 5 − 2 = 3 ≥ 2) churned with lifetime 3; customer 1 (last
    // Jun) censored at 6. KM for Jan: S(1) = S(2) = 1, S(3) = 1 − 1/2.
    assert_eq!((jan.churned, jan.censored), (1, 1));
    assert_eq!(&jan.survival[..3], &[1.0, 1.0, 0.5]);
    assert_eq!(jan.survival[5], 0.5);
    // Customer 3 (Feb, last May = 4): 5 − 4 = 1 < 2, censored at 4;
    // customer 4 (Mar only): 3 silent months, churned at lifetime 1.
    // Pooled: lifetimes 6 (c), 3 (e), 4 (c), 1 (e).
    // S(1) = 1 − 1/4 = 0.75; S(3) = 0.75 · (1 − 1/3) = 0.5; then flat to 4;
    // at 5 and 6 one at risk, no event: 0.5.
    let s = r.pooled_survival();
    assert_eq!(s.len(), 6);
    assert!((s[0] - 0.75).abs() < 1e-12);
    assert!((s[2] - 0.5).abs() < 1e-12);
    assert!((s[5] - 0.5).abs() < 1e-12);
}

#[test]
fn as_of_weeks_and_one_customer() {
    let tx = five_customers();
    // As of 2024-03-01: rows from March on are left out; the last period is
    // February, complete since as_of is the first day of March.
    let r = Retention::params()
        .as_of(NaiveDate::from_ymd_opt(2024, 3, 1).unwrap())
        .check()
        .unwrap()
        .score(&tx)
        .unwrap();
    assert_eq!(r.periods().len(), 2);
    assert!(r.periods()[1].complete);
    // Weeks starting on Sunday: 2024-01-05 is a Friday → week of Dec 31.
    let r = Retention::params()
        .period(Period::Week {
            start: Weekday::Sun,
        })
        .check()
        .unwrap()
        .score(&tx)
        .unwrap();
    assert_eq!(r.periods()[0].label, "2023-12-31");
    let one = Transactions::from_int_ids(&[9], vec![at(2024, 1, 1)], vec![1.0]).unwrap();
    let r = Retention::params().check().unwrap().score(&one).unwrap();
    assert_eq!(r.periods().len(), 1);
    assert_eq!(r.cohorts()[0].active, [1]);
    // Only returns: nothing to analyse, named.
    let none = Transactions::from_int_ids(&[9], vec![0], vec![-1.0]).unwrap();
    let e = Retention::params()
        .check()
        .unwrap()
        .score(&none)
        .unwrap_err();
    assert!(e.to_string().contains("no purchase"), "{e}");
    let e = Retention::params().churn_after(0).check().unwrap_err();
    assert!(e.to_string().starts_with("invalid parameter churn_after"));
}

proptest! {
    #[test]
    fn retention_attrition_and_cohort_sizes_add_up(
        rows in proptest::collection::vec((0i64..30, 0i64..400, -5.0..50.0f64), 1..200),
        period in 0usize..4,
    ) {
        let period = [Period::Day, Period::Week { start: Weekday::Mon }, Period::Month,
                      Period::Days { days: 45 }][period];
        let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
        let tx = Transactions::from_int_ids(
            &ids,
            rows.iter().map(|r| r.1 * DAY).collect(),
            rows.iter().map(|r| r.2).collect(),
        ).unwrap();
        let Ok(r) = Retention::params().period(period).check().unwrap().score(&tx) else {
            // Only when no row is a purchase.
            prop_assert!(rows.iter().all(|r| r.2 <= 0.0));
            return Ok(());
        };
        for p in r.periods() {
            if let (Some(a), Some(b)) = (p.retention, p.attrition) {
                prop_assert!((a + b - 1.0).abs() < 1e-12);
            }
        }
        let buyers = {
            let mut b: Vec<i64> = rows.iter().filter(|r| r.2 > 0.0).map(|r| r.0).collect();
            b.sort_unstable();
            b.dedup();
            b.len() as u64
        };
        prop_assert_eq!(r.cohorts().iter().map(|c| c.size).sum::<u64>(), buyers);
        let new: u64 = r.periods().iter().map(|p| p.new).sum();
        prop_assert_eq!(new, buyers);
        for c in r.cohorts() {
            prop_assert_eq!(c.active[0], c.size);
            prop_assert_eq!(c.rolling[0], c.size);
            prop_assert!(c.rolling.windows(2).all(|w| w[0] >= w[1]));
            prop_assert!(c.active.iter().zip(&c.rolling).all(|(a, r)| a <= r));
            prop_assert!(c.survival.iter().filter(|s| !s.is_nan()).all(|s| (0.0..=1.0).contains(s)));
        }
        // Revenue is conserved: every row before as_of lands in a period.
        let total: f64 = rows.iter().map(|r| r.2).sum();
        let by_period: f64 = r.periods().iter().map(|p| p.revenue).sum();
        prop_assert!((total - by_period).abs() < 1e-6);
    }
}

/// Several row tasks and customer tasks: the analysis is identical, to the
/// last bit of every revenue sum, with 1, 2 or 3 threads.
#[test]
fn same_result_for_any_thread_count() {
    let data = crate::SyntheticTransactions::params()
        .customers(40_000)
        .transactions(300_000)
        .return_rate(0.05)
        .generate()
        .unwrap();
    let tx = data.to_transactions().unwrap();
    let params = Retention::params().period(Period::Month).check().unwrap();
    let fit = |threads: usize| crate::testing::on_threads(threads, || params.score(&tx).unwrap());
    let one = fit(1);
    assert!(one.cohorts().len() > 1 && one.periods().iter().any(|p| p.reactivated > 0));
    // Survival holds NaN where nobody is at risk (NaN ≠ NaN): compare the
    // printed values, which show every bit of every float.
    let text = format!("{one:?}");
    for threads in [2, 3] {
        assert!(
            text == format!("{:?}", fit(threads)),
            "{threads} threads differ"
        );
    }
}

#[test]
fn every_row_is_booked_in_its_own_period_or_counted_out() {
    // Customer 1 returns 7 in December 2023, buys 10 in January and 20 in
    // February 2024; customer 2 returns 4 in January (never buys); a row
    // of March 2024 falls on as_of = 2024-03-01.
    let tx = Transactions::from_int_ids(
        &[1, 1, 1, 2, 1],
        vec![
            at(2023, 12, 15),
            at(2024, 1, 10),
            at(2024, 2, 10),
            at(2024, 1, 11),
            at(2024, 3, 1),
        ],
        vec![-7.0, 10.0, 20.0, -4.0, 50.0],
    )
    .unwrap();
    let r = Retention::params()
        .as_of(NaiveDate::from_ymd_opt(2024, 3, 1).unwrap())
        .check()
        .unwrap()
        .score(&tx)
        .unwrap();
    let labels: Vec<&str> = r.periods().iter().map(|p| p.label.as_str()).collect();
    assert_eq!(labels, ["2023-12", "2024-01", "2024-02"]);
    let revenue: Vec<f64> = r.periods().iter().map(|p| p.revenue).collect();
    // December: −7; January: 10 − 4; February: 20. March is after as_of.
    assert_eq!(revenue, [-7.0, 6.0, 20.0]);
    assert_eq!(r.periods()[0].active, 0);
    assert_eq!(r.periods()[1].new, 1);
    assert_eq!((r.rows_read(), r.rows_after_as_of()), (5, 1));
    assert_eq!(r.customers_without_purchase(), 1);
    // The January cohort: 10 then 20 in its cells, the December return
    // apart; customer 2's return is in no cohort.
    let c = &r.cohorts()[0];
    assert_eq!(c.label, "2024-01");
    assert_eq!(c.revenue, [10.0, 20.0]);
    assert_eq!(c.revenue_before, -7.0);
}

#[test]
fn too_many_periods_are_refused_before_allocating() {
    // 2,001 daily periods: refused, naming the period.
    let tx = Transactions::from_int_ids(&[1, 2], vec![0, 2_000 * DAY], vec![1.0, 1.0]).unwrap();
    let p = Retention::params().period(Period::Day).check().unwrap();
    let e = p.score(&tx).unwrap_err().to_string();
    assert!(e.starts_with("invalid parameter period"), "{e}");
    assert!(e.contains("2001 periods"), "{e}");
    // 2,000 are fine.
    let tx = Transactions::from_int_ids(&[1, 2], vec![0, 1_999 * DAY], vec![1.0, 1.0]).unwrap();
    assert_eq!(p.score(&tx).unwrap().periods().len(), 2_000);
}

#[test]
fn origin_is_refused_for_calendar_periods() {
    let origin = NaiveDate::from_ymd_opt(2024, 1, 3).unwrap();
    for period in [
        Period::Day,
        Period::Week {
            start: Weekday::Mon,
        },
        Period::Month,
        Period::Quarter,
        Period::Year,
    ] {
        let e = Retention::params()
            .period(period)
            .origin(origin)
            .check()
            .unwrap_err();
        assert!(e.to_string().contains("origin"), "{e}");
    }
    assert!(Retention::params()
        .period(Period::Days { days: 7 })
        .origin(origin)
        .check()
        .is_ok());
}
