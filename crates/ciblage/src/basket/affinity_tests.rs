//! Tests of affinity by segment and of the keep report.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::pvalue::fisher_greater;
use super::*;
use crate::error::CiblageError;
use crate::interrupt::Interrupt;
use crate::testing::{fuzz_cases, on_threads};

/// Customer, product, amount, cost columns and the labelling.
type Example = (Vec<u32>, Vec<u32>, Vec<f64>, Vec<f64>, Vec<Option<u32>>);

/// Customer, product, amount columns, the labelling and a shuffling seed.
type Generated = (Vec<u32>, Vec<u32>, Vec<f64>, Vec<Option<u32>>, u64);

/// Lines and labelling of a small example: 6 customers, 2 segments, one
/// unlabelled customer (5) and one labelled customer without lines (4).
fn example() -> Example {
    let customer = vec![0, 0, 1, 2, 3, 3, 5, 1, 0];
    let product = vec![0, 1, 1, 0, 0, 2, 1, 1, 1];
    let amount = vec![10.0, 4.0, 6.0, 20.0, 8.0, 1.0, 9.0, 2.0, 3.0];
    let cost = vec![5.0, 5.0, 7.0, 10.0, 4.0, 0.5, 1.0, 3.0, 1.0];
    let segments = vec![Some(0), Some(0), Some(1), Some(1), Some(1), None];
    (customer, product, amount, cost, segments)
}

#[test]
fn example_by_hand() {
    let (c, p, a, k, s) = example();
    let lines = AffinityLines::new(&c, &p, &a).with_cost(&k);
    let t = SegmentAffinity::params().score(&lines, &s).unwrap();
    // Segment 0 = customers {0, 1}; segment 1 = {2, 3, 4}; base of 5.
    assert_eq!(
        t.segments[0],
        SegmentTotals {
            customers: 2,
            buyers: 2,
            revenue: 25.0,
            margin: 4.0
        }
    );
    assert_eq!(t.segments[1].customers, 3);
    assert_eq!(t.segments[1].buyers, 2);
    assert_eq!(t.segments[1].revenue, 29.0);
    // Product 1: customers 0 and 1 (segment 0), not 5 (no segment).
    let cell = t.cell(0, 1);
    assert_eq!(cell.buyers, 2);
    assert_eq!(cell.penetration, 1.0);
    // Base penetration 2/5: lift 2.5.
    assert!((cell.lift - 2.5).abs() < 1e-15);
    // Revenue 4 + 6 + 2 + 3 = 15 of the segment's 25; margin -1 -1 -1 +2 = -1 of 4.
    assert_eq!((cell.revenue, cell.margin), (15.0, -1.0));
    assert!((cell.revenue_share - 0.6).abs() < 1e-15 && (cell.margin_share + 0.25).abs() < 1e-15);
    // P(X ≥ 2), X ~ Hypergeometric(5, 2, 2) = 1 / C(5, 2) = 0.1.
    assert!((cell.p_value - 0.1).abs() < 1e-14);
    assert_eq!(t.cell(1, 1).buyers, 0);
    assert_eq!(t.cell(1, 1).lift, 0.0);
    assert_eq!(t.cell(1, 1).p_value, 1.0);
    assert_eq!(t.products[1].buyers, 2);
    assert!((t.margin_rate(1) + 1.0 / 15.0).abs() < 1e-15);
    assert_eq!(
        t.report,
        AffinityReport {
            lines_read: 9,
            lines_without_segment: 1,
            customers_without_segment: 1,
            customers_without_lines: 1,
        }
    );
}

/// The table computed naively (maps of sets), for comparison.
fn naive(c: &[u32], p: &[u32], a: &[f64], s: &[Option<u32>]) -> BTreeMap<(u32, u32), (u64, f64)> {
    let mut buyers: BTreeMap<(u32, u32), BTreeSet<u32>> = BTreeMap::new();
    let mut revenue: BTreeMap<(u32, u32), f64> = BTreeMap::new();
    for i in 0..c.len() {
        if let Some(seg) = s[c[i] as usize] {
            buyers.entry((seg, p[i])).or_default().insert(c[i]);
            *revenue.entry((seg, p[i])).or_default() += a[i];
        }
    }
    buyers
        .into_iter()
        .map(|(key, set)| (key, (set.len() as u64, revenue[&key])))
        .collect()
}

fn lines_strategy() -> impl Strategy<Value = Generated> {
    (1usize..12, 1u32..6, 1u32..4, 1usize..80).prop_flat_map(|(n_cust, n_prod, n_seg, n)| {
        (
            prop::collection::vec(0..n_cust as u32, n),
            prop::collection::vec(0..n_prod, n),
            prop::collection::vec(-50i32..500, n)
                .prop_map(|v| v.into_iter().map(|x| f64::from(x) / 7.0).collect()),
            prop::collection::vec(prop::option::weighted(0.85, 0..n_seg), n_cust)
                .prop_filter("a labelled customer", |s| s.iter().any(Option::is_some)),
            any::<u64>(),
        )
    })
}

/// A permutation of `0..n` from a seed (a plain LCG shuffle).
fn permutation(n: usize, seed: u64) -> Vec<usize> {
    let mut v: Vec<usize> = (0..n).collect();
    let mut x = seed | 1;
    for i in (1..n).rev() {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        v.swap(i, (x >> 33) as usize % (i + 1));
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(fuzz_cases()))]

    #[test]
    fn matches_the_naive_count((c, p, a, s, _) in lines_strategy()) {
        let lines = AffinityLines::new(&c, &p, &a);
        let t = SegmentAffinity::params().score(&lines, &s).unwrap();
        let want = naive(&c, &p, &a, &s);
        let base: u64 = t.segments.iter().map(|x| x.customers).sum();
        for seg in 0..t.segments.len() {
            for prod in 0..t.products.len() {
                let cell = t.cell(seg, prod);
                let (buyers, revenue) = want.get(&(seg as u32, prod as u32)).copied().unwrap_or((0, 0.0));
                prop_assert_eq!(cell.buyers, buyers);
                prop_assert!((cell.revenue - revenue).abs() <= 1e-9 * (1.0 + revenue.abs()));
                let n = t.segments[seg].customers;
                if n > 0 && n < base {
                    let pv = fisher_greater(base, n, t.products[prod].buyers, buyers);
                    prop_assert_eq!(cell.p_value, pv);
                }
            }
        }
    }

    #[test]
    fn row_order_codes_and_threads_do_not_change_the_table((c, p, a, s, seed) in lines_strategy()) {
        let cost: Vec<f64> = a.iter().map(|x| x * 0.5 + 1.0).collect();
        let params = SegmentAffinity::params().correction(Correction::BenjaminiHochberg);
        let one = on_threads(1, || {
            params.clone().score(&AffinityLines::new(&c, &p, &a).with_cost(&cost), &s).unwrap()
        });
        // Rows shuffled, customer codes permuted (the labelling with them).
        let rows = permutation(c.len(), seed);
        let codes = permutation(s.len(), seed.rotate_left(17));
        let mut s2 = vec![None; s.len()];
        for (old, &new) in codes.iter().enumerate() {
            s2[new] = s[old];
        }
        let c2: Vec<u32> = rows.iter().map(|&r| codes[c[r] as usize] as u32).collect();
        let p2: Vec<u32> = rows.iter().map(|&r| p[r]).collect();
        let a2: Vec<f64> = rows.iter().map(|&r| a[r]).collect();
        let k2: Vec<f64> = rows.iter().map(|&r| cost[r]).collect();
        let four = on_threads(4, || {
            params.clone().score(&AffinityLines::new(&c2, &p2, &a2).with_cost(&k2), &s2).unwrap()
        });
        // Bit for bit (NaN included: compared through their debug text).
        prop_assert_eq!(format!("{one:?}"), format!("{four:?}"));
    }
}

#[test]
fn bad_input_is_refused_naming_the_argument() {
    let (c, p, a, k, s) = example();
    let score =
        |lines: AffinityLines<'_>, s: &[Option<u32>]| SegmentAffinity::params().score(&lines, s);
    let e = score(AffinityLines::new(&[], &[], &[]), &s).unwrap_err();
    assert_eq!(
        e,
        CiblageError::EmptyInput {
            argument: "lines".into()
        }
    );
    let e = score(AffinityLines::new(&c, &p[1..], &a), &s).unwrap_err();
    assert!(
        matches!(e, CiblageError::LengthMismatch { ref argument, .. } if argument == "product")
    );
    let e = score(AffinityLines::new(&c, &p, &a).with_cost(&k[1..]), &s).unwrap_err();
    assert!(matches!(e, CiblageError::LengthMismatch { ref argument, .. } if argument == "cost"));
    let mut bad = a.clone();
    bad[4] = f64::NAN;
    let e = score(AffinityLines::new(&c, &p, &bad), &s).unwrap_err();
    assert_eq!(e.to_string(), "amount: non-finite value NaN at row 4");
    let mut bad = k.clone();
    bad[2] = f64::INFINITY;
    let e = score(AffinityLines::new(&c, &p, &a).with_cost(&bad), &s).unwrap_err();
    assert_eq!(e.to_string(), "cost: non-finite value inf at row 2");
    let e = score(AffinityLines::new(&c, &p, &a), &s[..3]).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("customer: value 3e0 at row 4 is out of range"),
        "{e}"
    );
    let e = score(AffinityLines::new(&c, &p, &a), &[None; 6]).unwrap_err();
    assert_eq!(
        e,
        CiblageError::EmptyInput {
            argument: "segments".into()
        }
    );
    let big = [1e308, 1e308];
    let e = score(
        AffinityLines::new(&[0, 1], &[0, 0], &big),
        &[Some(0), Some(0)],
    )
    .unwrap_err();
    assert!(matches!(e, CiblageError::SumOverflow { .. }), "{e}");
}

#[test]
fn an_interrupted_score_returns_interrupted() {
    let (c, p, a, _, s) = example();
    let token = Interrupt::new();
    token.set();
    let e = SegmentAffinity::params()
        .interrupt(token)
        .score(&AffinityLines::new(&c, &p, &a), &s)
        .unwrap_err();
    assert_eq!(e, CiblageError::Interrupted);
}

#[test]
fn a_single_segment_has_no_test() {
    let t = SegmentAffinity::params()
        .score(
            &AffinityLines::new(&[0, 1], &[0, 1], &[1.0, 2.0]),
            &[Some(0), Some(0)],
        )
        .unwrap();
    assert!(t.cell(0, 0).p_value.is_nan() && t.cell(0, 0).p_adjusted.is_nan());
    assert_eq!(t.cell(0, 0).lift, 1.0);
}

#[test]
fn keep_lists_loss_makers_loved_by_valuable_segments() {
    // Segment 0: 8 customers spending 100 on product 0 and buying the
    // loss-making product 1; segment 1: 8 customers spending 10, two of
    // whom buy product 1; segment 2: 8 customers spending 50, none.
    let (mut c, mut p, mut a, mut k) = (vec![], vec![], vec![], vec![]);
    let mut s = vec![];
    for cust in 0..24u32 {
        let seg = cust / 8;
        s.push(Some(seg));
        c.push(cust);
        p.push(0);
        a.push([100.0, 10.0, 50.0][seg as usize]);
        k.push(5.0);
        if seg == 0 || cust == 8 || cust == 9 {
            c.push(cust);
            p.push(1);
            a.push(2.0);
            k.push(3.0);
        }
    }
    let lines = AffinityLines::new(&c, &p, &a).with_cost(&k);
    let t = SegmentAffinity::params()
        .correction(Correction::Holm)
        .score(&lines, &s)
        .unwrap();
    let keep = Keep::params().score(&t).unwrap();
    // Revenue per customer: 102, 10.5, 50 → ranking 0, 2, 1.
    assert_eq!(keep.ranking, [0, 2, 1]);
    assert_eq!(keep.rows.len(), 1);
    let row = keep.rows[0];
    assert_eq!((row.product, row.segment, row.segment_rank), (1, 0, 1));
    // Penetration 8/8 against 10/24 in the base.
    assert!((row.lift - 2.4).abs() < 1e-12);
    assert!((row.margin_rate + 0.5).abs() < 1e-15);
    // A value per segment that ranks segment 1 first: its lift 0.6 is too low.
    let keep = Keep::params()
        .segment_value(vec![1.0, 3.0, 2.0])
        .top_segments(Some(1))
        .score(&t)
        .unwrap();
    assert_eq!(keep.ranking, [1, 2, 0]);
    assert!(keep.rows.is_empty());
    // A margin threshold below the product's rate: nothing listed.
    assert!(Keep::params()
        .max_margin_rate(-0.6)
        .score(&t)
        .unwrap()
        .rows
        .is_empty());
    for (params, name) in [
        (Keep::params().alpha(0.0), "alpha"),
        (Keep::params().min_lift(f64::NAN), "min_lift"),
        (
            Keep::params().max_margin_rate(f64::INFINITY),
            "max_margin_rate",
        ),
        (Keep::params().top_segments(Some(0)), "top_segments"),
        (Keep::params().segment_value(vec![1.0]), "segment_value"),
    ] {
        let e = params.score(&t).unwrap_err();
        assert!(
            matches!(e, CiblageError::InvalidParameter { name: n, .. } if n == name),
            "{e}"
        );
    }
    let no_cost = SegmentAffinity::params()
        .score(&AffinityLines::new(&c, &p, &a), &s)
        .unwrap();
    assert!(Keep::params().score(&no_cost).is_err());
}

#[test]
fn chi_squared_test_by_hand() {
    let (c, p, a, _, s) = example();
    let lines = AffinityLines::new(&c, &p, &a);
    let t = SegmentAffinity::params()
        .test(PValueTest::ChiSquared)
        .score(&lines, &s)
        .unwrap();
    assert_eq!(t.test, PValueTest::ChiSquared);
    // Product 1: segment 0 (2 customers) has 2 buyers, the rest of the
    // base (3 customers) none. χ² = 5 (2·3 − 0·0)² / (2·3·2·3) = 5, and
    // with one degree of freedom P(χ² ≥ 5) = erfc(√(5/2)) (statrs' erfc
    // is good to about 1e-12 here).
    let expected = statrs::function::erf::erfc((2.5f64).sqrt());
    let got = t.cell(0, 1).p_value;
    assert!((got - expected).abs() < 1e-11, "{got} vs {expected}");
    // The statistic is symmetric: segment 1 gets the same two-sided p.
    assert!((t.cell(1, 1).p_value - expected).abs() < 1e-11);
    // Fisher's one-sided test differs: P(X ≥ 2) = C(2,2) C(3,0) / C(5,2) = 0.1.
    let f = SegmentAffinity::params().score(&lines, &s).unwrap();
    assert_eq!(f.test, PValueTest::Fisher);
    assert!((f.cell(0, 1).p_value - 0.1).abs() < 1e-12);
}
