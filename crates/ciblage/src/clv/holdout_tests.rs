//! The holdout evaluation on CDNOW (weekly, calibration to 1997-09-30,
//! holdout to 1998-06-30), against plain recomputations.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};

use super::*;
use crate::clv::tests::cdnow_transactions;
use crate::clv::{BgNbd, ClvSummary, ParetoNbd};
use crate::time::day_from_date;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn cdnow_weekly() -> PurchaseSummary {
    ClvSummary::params()
        .freq(Freq::Week)
        .calibration_end(date(1997, 9, 30))
        .observation_end(date(1998, 6, 30))
        .score(&cdnow_transactions())
        .unwrap()
}

#[test]
fn a_new_customer_is_the_history_zero_zero_zero() {
    let s = cdnow_weekly();
    let bg = BgNbd::params().fit(&s).unwrap();
    let pn = ParetoNbd::params().fit(&s).unwrap();
    for t in [0.5, 1.0, 13.0, 52.0] {
        let (a, b) = (
            bg.expected_purchases_one(t, 0.0, 0.0, 0.0),
            bg.expected_purchases_new(t),
        );
        assert!((a - b).abs() <= 1e-9 * b.max(1.0), "BG/NBD {t}: {a} vs {b}");
        let (a, b) = (
            pn.expected_purchases_one(t, 0.0, 0.0, 0.0),
            pn.expected_purchases_new(t),
        );
        assert!(
            (a - b).abs() <= 1e-9 * b.max(1.0),
            "Pareto/NBD {t}: {a} vs {b}"
        );
    }
}

#[test]
fn cdnow_tables_match_plain_recomputations() {
    let s = cdnow_weekly();
    let model = BgNbd::params().fit(&s).unwrap();
    let e = HoldoutEvaluation::params().score(&s, &model).unwrap();
    let h = s.holdout().unwrap();
    // Per customer: expected holdout purchases over 39 weeks.
    assert_eq!(h.duration, 39.0);
    let pred: Vec<f64> = (0..s.len())
        .map(|i| {
            model.expected_purchases_one(
                39.0,
                f64::from(s.frequency()[i]),
                s.recency()[i],
                s.t()[i],
            )
        })
        .collect();
    // Bins 0..5 and "6+".
    let mut groups: BTreeMap<u32, (f64, f64, f64)> = BTreeMap::new();
    for (i, p) in pred.iter().enumerate() {
        let g = groups.entry(s.frequency()[i].min(6)).or_default();
        g.0 += 1.0;
        g.1 += f64::from(h.frequency[i]);
        g.2 += p;
    }
    assert_eq!(e.by_frequency().len(), groups.len());
    for (bin, (k, g)) in e.by_frequency().iter().zip(&groups) {
        assert_eq!(bin.frequency, *k);
        assert_eq!(bin.customers as f64, g.0);
        assert!((bin.actual - g.1 / g.0).abs() < 1e-12);
        assert!((bin.expected - g.2 / g.0).abs() < 1e-9);
    }
    assert_eq!(e.by_frequency().last().unwrap().label(), "6+");
    // Metrics.
    let n = s.len() as f64;
    let act: Vec<f64> = h.frequency.iter().map(|&f| f64::from(f)).collect();
    let mae = pred
        .iter()
        .zip(&act)
        .map(|(p, a)| (p - a).abs())
        .sum::<f64>()
        / n;
    assert!((e.metrics().mae - mae).abs() < 1e-9);
    let total_a: f64 = act.iter().sum();
    let total_p: f64 = pred.iter().sum();
    assert!((e.metrics().aggregate_error_pct - 100.0 * (total_p - total_a) / total_a).abs() < 1e-9);
    assert!(e.metrics().correlation > 0.0 && e.metrics().correlation <= 1.0);
    // Tracking: repeat purchase weeks of the cohort, counted from the raw file.
    let week = |d: NaiveDate| (day_from_date(d) + 3).div_euclid(7);
    let (cal, end) = (week(date(1997, 9, 30)), week(date(1998, 6, 30)));
    let mut weeks: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
    for line in include_str!("../../../../tests/data/clv/CDNOW_sample.txt").lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 3 {
            continue;
        }
        let w = week(NaiveDate::parse_from_str(f[2], "%Y%m%d").unwrap());
        if w <= end {
            weeks.entry(f[1].parse().unwrap()).or_default().insert(w);
        }
    }
    let mut repeat: BTreeMap<i64, f64> = BTreeMap::new();
    for ws in weeks.values().filter(|ws| *ws.first().unwrap() <= cal) {
        for w in ws.iter().skip(1) {
            *repeat.entry(*w).or_default() += 1.0;
        }
    }
    let t = e.tracking();
    let start = week(t.start[0]);
    assert_eq!(t.start[0].weekday(), chrono::Weekday::Mon);
    assert_eq!(t.actual.len() as i64, end - start + 1);
    for (k, a) in t.actual.iter().enumerate() {
        let w = start + k as i64;
        assert_eq!(*a, repeat.get(&w).copied().unwrap_or(0.0), "week {w}");
        assert_eq!(t.holdout[k], w > cal);
    }
    let all: f64 = repeat.values().sum();
    assert_eq!(*t.cumulative_actual.last().unwrap(), all);
    // Expected, cumulative at the last week: every customer at its age.
    let firsts: Vec<i64> = weeks
        .values()
        .map(|ws| *ws.first().unwrap())
        .filter(|f| *f <= cal)
        .collect();
    let expected: f64 = firsts
        .iter()
        .map(|f| model.expected_purchases_new((end - f) as f64))
        .sum();
    let got = *t.cumulative_expected.last().unwrap();
    assert!(
        (got - expected).abs() < 1e-6 * expected,
        "{got} vs {expected}"
    );
    let incremental: f64 = t.expected.iter().sum();
    assert!((incremental - got).abs() < 1e-6 * got);
}

#[test]
fn a_summary_without_holdout_or_a_bad_bin_is_refused() {
    let tx = cdnow_transactions();
    let s = ClvSummary::params().freq(Freq::Week).score(&tx).unwrap();
    let model = BgNbd::params().fit(&s).unwrap();
    let e = HoldoutEvaluation::params().score(&s, &model).unwrap_err();
    assert!(e.to_string().contains("summary"), "{e}");
    let e = HoldoutEvaluation::params()
        .max_frequency(0)
        .check()
        .unwrap_err();
    assert!(e.to_string().contains("max_frequency"), "{e}");
}
