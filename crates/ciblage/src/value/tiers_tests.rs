//! Tests of [`super`]: tiers against hand computations and invariants.

use super::*;
use proptest::prelude::*;

fn count(shares: &[f64]) -> ValueTierValidParams {
    ValueTiers::params()
        .method(TierMethod::Count {
            shares: shares.to_vec(),
        })
        .check()
        .unwrap()
}

#[test]
fn default_is_5_15_80_with_boundary_customer_upward() {
    // 20 customers valued 20..1: top 5 % = ceil(20·0.05) = 1 customer,
    // next up to ceil(20·0.20) = 4, the remaining 16 small.
    let values: Vec<f64> = (1..=20).rev().map(f64::from).collect();
    let t = ValueTiers::params()
        .check()
        .unwrap()
        .score(&values)
        .unwrap();
    let sizes: Vec<u64> = t.summary().iter().map(|r| r.customers).collect();
    assert_eq!(sizes, [1, 3, 16, 0]);
    assert_eq!(t.name_of(0), "Best");
    assert_eq!(t.name_of(1), "Standard");
    assert_eq!(t.name_of(4), "Small");
    // Value shares: 20/210, (19+18+17)/210, rest.
    assert!((t.summary()[0].share_of_value - 20.0 / 210.0).abs() < 1e-12);
    assert!((t.summary()[1].share_of_value - 54.0 / 210.0).abs() < 1e-12);
    // 7 customers, 5 %: 0.35 of a customer straddles the boundary: 1.
    let t7 = count(&[0.05, 0.15, 0.80]).score(&[1.0; 7]).unwrap();
    let sizes: Vec<u64> = t7.summary().iter().map(|r| r.customers).collect();
    // ceil(0.35) = 1, ceil(1.4) = 2 → 1 more, rest 5.
    assert_eq!(sizes, [1, 1, 5, 0]);
}

#[test]
fn ties_keep_input_order_and_zero_negative_go_to_no_value() {
    let values = [5.0, 0.0, 5.0, -3.0, 5.0, 1.0];
    let t = count(&[0.2, 0.3, 0.5]).score(&values).unwrap();
    // Ranked: 0 (5), 2 (5), 4 (5), 5 (1); n = 4: ceil(0.8) = 1, ceil(2) = 2.
    assert_eq!(t.rank(), &[1, 5, 2, 6, 3, 4]);
    assert_eq!(t.tier_of(), &[0, 3, 1, 3, 2, 2]);
    assert_eq!(t.names()[3], "No value");
    let nv = &t.summary()[3];
    assert_eq!((nv.customers, nv.value), (2, -3.0));
    // Net total 13: shares 5/13, 5/13, 6/13, -3/13.
    assert!((t.summary()[2].share_of_value - 6.0 / 13.0).abs() < 1e-12);
}

#[test]
fn abc_boundary_customer_goes_up_and_exact_bound_does_not() {
    // 8 + 2: before customer 2 the cumulative share is exactly 0.8, so
    // the bound is reached: customer 2 is B (the 80 % are made by A).
    let p = ValueTiers::params()
        .method(TierMethod::Cumulative {
            bounds: vec![0.8, 0.95],
        })
        .check()
        .unwrap();
    let t = p.score(&[8.0, 2.0]).unwrap();
    assert_eq!(t.tier_of(), &[0, 1]);
    // 7 + 2 + 1: customer 2 starts at 0.7 < 0.8 and crosses: A.
    // Customer 3 starts at 0.9 (≥ 0.8, < 0.95): B. C stays empty.
    let t = p.score(&[7.0, 2.0, 1.0]).unwrap();
    assert_eq!(t.tier_of(), &[0, 0, 1]);
    assert_eq!(t.summary()[2].customers, 0);
    assert!(t.summary()[2].mean_value.is_nan());
}

#[test]
fn one_customer_and_all_zero() {
    let t = ValueTiers::params().check().unwrap().score(&[3.0]).unwrap();
    assert_eq!(t.tier_of(), &[0]);
    let t = ValueTiers::params()
        .check()
        .unwrap()
        .score(&[0.0, 0.0])
        .unwrap();
    assert_eq!(t.tier_of(), &[3, 3]);
    assert!(t.summary()[3].share_of_value.is_nan());
    assert_eq!(t.summary()[3].share_of_customers, 1.0);
}

#[test]
fn bad_parameters_and_values_are_named() {
    let e = ValueTiers::params()
        .method(TierMethod::Count {
            shares: vec![0.5, 0.4],
        })
        .check()
        .unwrap_err();
    assert!(e.to_string().contains("shares must sum to 1"), "{e}");
    let e = ValueTiers::params()
        .method(TierMethod::Cumulative {
            bounds: vec![0.9, 0.8],
        })
        .check()
        .unwrap_err();
    assert!(e.to_string().starts_with("invalid parameter bounds"), "{e}");
    let e = ValueTiers::params().names(["a", "b"]).check().unwrap_err();
    assert!(e.to_string().contains("expected 3 names"), "{e}");
    let e = ValueTiers::params()
        .names(["a", "b", "No value"])
        .check()
        .unwrap_err();
    assert!(e.to_string().contains("distinct"), "{e}");
    let p = ValueTiers::params().check().unwrap();
    assert_eq!(
        p.score(&[]).unwrap_err(),
        CiblageError::EmptyInput {
            argument: "value".into()
        }
    );
    assert!(p
        .score(&[1.0, f64::NAN])
        .unwrap_err()
        .to_string()
        .starts_with("value: non-finite value NaN at row 1"));
}

proptest! {
    #[test]
    fn tiers_partition_customers_and_shares_sum_to_one(
        values in proptest::collection::vec(prop_oneof![0.0..1e4f64, Just(0.0), -50.0..0.0f64, Just(7.0)], 1..300),
        abc in any::<bool>(),
    ) {
        let method = if abc {
            TierMethod::Cumulative { bounds: vec![0.8, 0.95] }
        } else {
            TierMethod::Count { shares: vec![0.05, 0.15, 0.8] }
        };
        let t = ValueTiers::params().method(method).check().unwrap().score(&values).unwrap();
        let total: u64 = t.summary().iter().map(|r| r.customers).sum();
        prop_assert_eq!(total as usize, values.len());
        let share: f64 = t.summary().iter().map(|r| r.share_of_customers).sum();
        prop_assert!((share - 1.0).abs() < 1e-9);
        let net: f64 = values.iter().sum();
        if net > 0.0 {
            let vshare: f64 = t.summary().iter().map(|r| r.share_of_value).sum();
            prop_assert!((vshare - 1.0).abs() < 1e-6);
        }
        // Tiers are monotone in value: a better tier never holds a
        // smaller value than a worse one.
        for i in 0..values.len() {
            for j in 0..values.len() {
                if values[i] > values[j] {
                    prop_assert!(t.tier_of()[i] <= t.tier_of()[j]);
                }
            }
        }
        // Ranks are a permutation of 1..=n.
        let mut r = t.rank().to_vec();
        r.sort_unstable();
        prop_assert!(r.iter().enumerate().all(|(k, &x)| x as usize == k + 1));
    }
}

#[test]
fn sums_beyond_the_float_range_are_refused() {
    // Two customers of 1e308: each is finite, their total (2e308) is not.
    let e = count(&[0.5, 0.5]).score(&[1e308, 1e308]).unwrap_err();
    assert!(
        matches!(&e, CiblageError::SumOverflow { argument, .. } if argument == "value"),
        "{e}"
    );
    let abc = ValueTiers::params()
        .method(TierMethod::Cumulative { bounds: vec![0.8] })
        .check()
        .unwrap();
    assert!(abc.score(&[1e308, 1e308, 1.0]).is_err());
    // A total just inside the range is kept: 4 × 4e307 = 1.6e308.
    let t = count(&[0.5, 0.5]).score(&[4e307; 4]).unwrap();
    assert_eq!(t.summary()[0].value, 8e307);
}

#[test]
fn methods_parse_by_name() {
    assert_eq!(
        "count".parse::<TierMethod>().unwrap(),
        TierMethod::Count {
            shares: vec![0.05, 0.15, 0.80]
        }
    );
    assert_eq!(
        "abc"
            .parse::<TierMethod>()
            .unwrap()
            .with_cuts(None, Some(vec![0.5])),
        TierMethod::Cumulative { bounds: vec![0.5] }
    );
    // Shares do not apply to cumulative classes.
    assert_eq!(
        "abc"
            .parse::<TierMethod>()
            .unwrap()
            .with_cuts(Some(vec![1.0]), None),
        TierMethod::Cumulative {
            bounds: vec![0.80, 0.95]
        }
    );
    let e = "pareto".parse::<TierMethod>().unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid parameter method: expected \"count\" or \"abc\", got \"pareto\""
    );
}
