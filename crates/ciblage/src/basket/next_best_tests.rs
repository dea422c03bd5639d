//! Tests of the next-best product.

use proptest::prelude::*;

use super::*;
use crate::error::CiblageError;
use crate::testing::{fuzz_cases, on_threads};

fn rule(antecedent: &[u32], consequent: &[u32], confidence: f64, lift: f64) -> CandidateRule {
    CandidateRule {
        antecedent: antecedent.to_vec(),
        consequent: consequent.to_vec(),
        confidence,
        lift,
    }
}

#[test]
fn ranks_by_lift_confidence_and_by_expected_margin() {
    let rules = vec![
        rule(&[0], &[5], 0.5, 2.0),       // 1.0
        rule(&[0, 1], &[6, 7], 0.4, 3.0), // 1.2
        rule(&[2], &[5], 0.8, 2.0),       // 1.6: the best rule of 5
        rule(&[], &[8], 0.1, 1.0),        // 0.1, everyone
        rule(&[9], &[6], 0.9, 9.0),       // antecedent not bought
    ];
    let history = PurchaseHistory::new(&[0, 0, 0, 1, 0], &[0, 1, 2, 7, 0]);
    let t = NextBest::params().k(3).score(&history, &rules).unwrap();
    let got: Vec<(u32, u32, u32, u32)> = t
        .rows
        .iter()
        .map(|r| (r.customer, r.rank, r.product, r.rule))
        .collect();
    // Customer 0: 5 (1.6, rule 2), then 6 and 7 (1.2 each, by code); 8 cut by k.
    // Customer 1 (bought 7): only the rule with an empty antecedent.
    assert_eq!(
        got,
        [(0, 1, 5, 2), (0, 2, 6, 1), (0, 3, 7, 1), (1, 1, 8, 3)]
    );
    assert!((t.rows[0].score - 1.6).abs() < 1e-15);
    assert_eq!((t.customers, t.customers_without_candidates), (2, 0));
    // Expected margin: confidence × margin; product 8's margin makes it first.
    let margins = vec![0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 0.5, 100.0, 0.0];
    let t = NextBest::params()
        .k(2)
        .rank(NextBestRank::ExpectedMargin)
        .margins(margins)
        .score(&history, &rules)
        .unwrap();
    let got: Vec<(u32, u32)> = t.rows.iter().map(|r| (r.customer, r.product)).collect();
    // 8: 0.1 × 100 = 10; 5: 0.8 × 1; 6: 0.4 × 2 = 0.8 (tie with 5: smaller code first).
    assert_eq!(got, [(0, 8), (0, 5), (1, 8)]);
}

#[test]
fn bad_rules_and_parameters_are_refused() {
    let history = PurchaseHistory::new(&[0], &[0]);
    let e = NextBest::params().k(0).score(&history, &[]).unwrap_err();
    assert!(matches!(
        e,
        CiblageError::InvalidParameter { name: "k", .. }
    ));
    let e = NextBest::params()
        .rank(NextBestRank::ExpectedMargin)
        .score(&history, &[])
        .unwrap_err();
    assert!(matches!(
        e,
        CiblageError::InvalidParameter {
            name: "margins",
            ..
        }
    ));
    let e = NextBest::params()
        .margins(vec![f64::NAN])
        .score(&history, &[])
        .unwrap_err();
    assert!(matches!(
        e,
        CiblageError::InvalidParameter {
            name: "margins",
            ..
        }
    ));
    let e = NextBest::params()
        .score(&history, &[rule(&[0], &[1], 1.5, 1.0)])
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "confidence: value 1.5e0 at row 0 is out of range: a confidence is in [0, 1]"
    );
    let e = NextBest::params()
        .score(
            &history,
            &[rule(&[0], &[1], 0.5, 1.0), rule(&[0], &[1], 0.5, -1.0)],
        )
        .unwrap_err();
    assert!(
        e.to_string().starts_with("lift: value -1e0 at row 1"),
        "{e}"
    );
    let e = NextBest::params()
        .rank(NextBestRank::ExpectedMargin)
        .margins(vec![1.0])
        .score(&history, &[rule(&[0], &[1], 0.5, 1.0)])
        .unwrap_err();
    assert!(
        e.to_string().contains("no margin for product code 1"),
        "{e}"
    );
    let e = NextBest::params()
        .score(&PurchaseHistory::new(&[0, 1], &[0]), &[])
        .unwrap_err();
    assert!(matches!(e, CiblageError::LengthMismatch { .. }));
}

/// The recommendations computed naively: every rule against every customer.
fn naive(c: &[u32], p: &[u32], rules: &[CandidateRule], k: usize) -> Vec<(u32, u32, u32)> {
    let n = c.iter().max().map_or(0, |&m| m as usize + 1);
    let mut out = vec![];
    for cust in 0..n as u32 {
        let items: Vec<u32> = (0..c.len())
            .filter(|&i| c[i] == cust)
            .map(|i| p[i])
            .collect();
        if items.is_empty() {
            continue; // a code without lines is no customer
        }
        let mut best: std::collections::BTreeMap<u32, (f64, usize)> = Default::default();
        for (ri, r) in rules.iter().enumerate() {
            if r.antecedent.iter().all(|a| items.contains(a)) {
                for &x in r.consequent.iter().filter(|x| !items.contains(x)) {
                    let s = r.lift * r.confidence;
                    let e = best.entry(x).or_insert((s, ri));
                    let cur = &rules[e.1];
                    let better = s > e.0
                        || (s == e.0 && (r.confidence, r.lift) > (cur.confidence, cur.lift));
                    if better {
                        *e = (s, ri);
                    }
                }
            }
        }
        let mut v: Vec<(u32, f64, usize)> = best.into_iter().map(|(x, (s, r))| (x, s, r)).collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out.extend(v.into_iter().take(k).map(|(x, _, r)| (cust, x, r as u32)));
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(fuzz_cases()))]

    #[test]
    fn matches_the_naive_recommender(
        lines in prop::collection::vec((0u32..8, 0u32..7), 1..40),
        raw in prop::collection::vec(
            (prop::collection::vec(0u32..7, 0..3), prop::collection::vec(0u32..7, 1..3), 0u32..5, 0u32..4),
            0..12,
        ),
        k in 1usize..4,
        seed in any::<u64>(),
    ) {
        let rules: Vec<CandidateRule> = raw
            .into_iter()
            .map(|(a, c, conf, lift)| rule(&a, &c, f64::from(conf) / 4.0, f64::from(lift) / 2.0))
            .collect();
        let (c, p): (Vec<u32>, Vec<u32>) = lines.iter().copied().unzip();
        let one = on_threads(1, || NextBest::params().k(k).score(&PurchaseHistory::new(&c, &p), &rules).unwrap());
        let got: Vec<(u32, u32, u32)> = one.rows.iter().map(|r| (r.customer, r.product, r.rule)).collect();
        prop_assert_eq!(got, naive(&c, &p, &rules, k));
        // Lines reversed and rotated, four threads: the same table.
        let shift = (seed % lines.len() as u64) as usize;
        let mut moved = lines.clone();
        moved.reverse();
        moved.rotate_left(shift);
        let (c2, p2): (Vec<u32>, Vec<u32>) = moved.into_iter().unzip();
        let four = on_threads(4, || NextBest::params().k(k).score(&PurchaseHistory::new(&c2, &p2), &rules).unwrap());
        prop_assert_eq!(one, four);
    }
}
