//! Conformance with R `rfm` 0.3.0 on its own order data (`tests/data/`).
//!
//! Expected numbers are R `rfm`'s: its testthat suite (4906 orders, heatmap
//! sum 12634, Champions 158 customers / 1234 orders / 120178 revenue), its
//! automatic thresholds, the frequency score counts and the segment sizes of
//! its two published segment tables (analysis date 2006-12-31).

use std::collections::HashMap;

use chrono::NaiveDate;
use ciblage::time::{day_from_date, MICROS_PER_DAY};
use ciblage::{Binning, Criterion, Rfm, RfmScores, SegmentRule, SegmentTable, Transactions};

fn orders() -> Transactions {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/rfm_data_orders.csv"
    );
    let text = std::fs::read_to_string(path).expect("test data");
    let (mut ids, mut stamps, mut amounts) = (Vec::new(), Vec::new(), Vec::new());
    for line in text.lines().skip(1) {
        let mut fields = line.split(',');
        let (id, date, revenue) = (
            fields.next().unwrap(),
            fields.next().unwrap(),
            fields.next().unwrap(),
        );
        let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
        ids.push(id.to_owned());
        stamps.push(day_from_date(date) * MICROS_PER_DAY);
        amounts.push(revenue.parse::<f64>().unwrap());
    }
    Transactions::from_str_ids(&ids, stamps, amounts).unwrap()
}

/// A segment rule: name, then the R, F and M score ranges (inclusive).
type Rule = (&'static str, [u8; 2], [u8; 2], [u8; 2]);

fn scored(rules: &[Rule]) -> RfmScores {
    let rules = rules
        .iter()
        .map(|&(name, r, f, m)| SegmentRule::new(name, r, f, m).unwrap())
        .collect();
    Rfm::params()
        .method(Binning::RfmCompat)
        .as_of(NaiveDate::from_ymd_opt(2006, 12, 31).unwrap())
        .segments(SegmentTable::new(rules, "Others").unwrap())
        .score(&orders())
        .unwrap()
}

/// Segment table of R rfm's tests (0.2.x docs), first match wins.
const TEST_TABLE: [Rule; 10] = [
    ("Champions", [4, 5], [4, 5], [4, 5]),
    ("Loyal Customers", [2, 5], [3, 5], [3, 5]),
    ("Potential Loyalist", [3, 5], [1, 3], [1, 3]),
    ("New Customers", [4, 5], [1, 1], [1, 1]),
    ("Promising", [3, 4], [1, 1], [1, 1]),
    ("Need Attention", [2, 3], [2, 3], [2, 3]),
    ("About To Sleep", [2, 3], [1, 2], [1, 2]),
    ("At Risk", [1, 2], [2, 5], [2, 5]),
    ("Can't Lose Them", [1, 1], [4, 5], [4, 5]),
    ("Lost", [1, 2], [1, 2], [1, 2]),
];

/// Segment table of R rfm 0.3.0's README and vignette, first match wins.
const README_TABLE: [Rule; 10] = [
    ("Champions", [5, 5], [5, 5], [5, 5]),
    ("Potential Loyalist", [3, 5], [3, 5], [2, 5]),
    ("Loyal Customers", [2, 4], [2, 4], [2, 4]),
    ("Promising", [3, 4], [1, 3], [3, 5]),
    ("New Customers", [4, 5], [1, 3], [1, 5]),
    ("Can't Lose Them", [1, 2], [3, 4], [4, 5]),
    ("At Risk", [1, 2], [2, 5], [4, 5]),
    ("Need Attention", [1, 3], [3, 5], [3, 5]),
    ("About To Sleep", [2, 3], [1, 3], [1, 4]),
    ("Lost", [1, 1], [1, 5], [1, 5]),
];

fn sizes(scores: &RfmScores) -> HashMap<String, u64> {
    scores
        .segment_summary()
        .into_iter()
        .map(|s| (s.segment, s.customers))
        .collect()
}

#[test]
fn orders_customers_and_heatmap_as_r_rfm() {
    let s = scored(&TEST_TABLE);
    assert_eq!(s.len(), 995);
    assert_eq!(
        s.frequency().iter().map(|&f| u64::from(f)).sum::<u64>(),
        4906
    );
    // rfm_plot_heatmap: mean monetary per (F score, R score) cell, summed.
    let mut cells: HashMap<(u8, u8), (f64, f64)> = HashMap::new();
    for i in 0..s.len() {
        let cell = cells.entry((s.f_scores()[i], s.r_scores()[i])).or_default();
        cell.0 += s.monetary()[i];
        cell.1 += 1.0;
    }
    let heatmap: f64 = cells.values().map(|(sum, n)| sum / n).sum();
    assert_eq!(heatmap.round(), 12634.0);
}

#[test]
fn thresholds_and_frequency_counts_as_r_rfm() {
    let s = scored(&TEST_TABLE);
    let report = |c: Criterion| {
        s.criteria()
            .iter()
            .find(|r| r.criterion == c)
            .unwrap()
            .clone()
    };
    assert_eq!(
        report(Criterion::Frequency).lower,
        vec![1.0, 4.0, 5.0, 6.0, 8.0]
    );
    let recency = report(Criterion::Recency).lower;
    let want = [1.0, 115.0, 181.0, 297.4, 482.0];
    assert!(
        recency.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-9),
        "{recency:?}"
    );
    assert_eq!(
        report(Criterion::Frequency).counts,
        vec![268, 187, 176, 244, 120]
    );
}

#[test]
fn champions_and_segment_sizes_of_the_test_table() {
    let s = scored(&TEST_TABLE);
    let summary = s.segment_summary();
    let champions = summary.iter().find(|r| r.segment == "Champions").unwrap();
    assert_eq!((champions.customers, champions.orders), (158, 1234));
    assert_eq!(champions.revenue, 120_178.0);
    let got = sizes(&s);
    for (name, n) in [
        ("Loyal Customers", 278),
        ("Potential Loyalist", 229),
        ("Champions", 158),
        ("Lost", 111),
        ("At Risk", 86),
        ("About To Sleep", 50),
        ("Others", 48),
        ("Need Attention", 35),
    ] {
        assert_eq!(got.get(name).copied().unwrap_or(0), n, "{name}");
    }
}

#[test]
fn segment_sizes_of_the_readme_table() {
    let got = sizes(&scored(&README_TABLE));
    for (name, n) in [
        ("Potential Loyalist", 342),
        ("Loyal Customers", 170),
        ("Lost", 148),
        ("New Customers", 104),
        ("About To Sleep", 102),
        ("Can't Lose Them", 47),
        ("Champions", 35),
        ("At Risk", 28),
        ("Need Attention", 10),
        ("Promising", 9),
    ] {
        assert_eq!(got.get(name).copied().unwrap_or(0), n, "{name}");
    }
    assert_eq!(got.get("Others").copied().unwrap_or(0), 0);
}
