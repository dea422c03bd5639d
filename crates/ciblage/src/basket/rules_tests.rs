use proptest::prelude::*;

use super::*;
use crate::basket::{FpGrowth, OrderLines};

/// Baskets {a,b,c}, {a,b}, {a,c}, {b,c}, {a,b,c}, {a}; a=0, b=1, c=2.
fn six() -> FrequentItemsets {
    let lines = OrderLines::from_codes(
        &[0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 4, 5],
        &[0, 1, 2, 0, 1, 0, 2, 1, 2, 0, 1, 2, 0],
    )
    .unwrap();
    FpGrowth::params().min_count(2).score(&lines).unwrap()
}

#[test]
fn every_split_or_single_consequents() {
    let sets = six();
    // 3 pairs give 2 rules each, the triple 6 (all) or 3 (single).
    let all = AssociationRules::params()
        .min_threshold(0.0)
        .score(&sets)
        .unwrap();
    assert_eq!(all.len(), 12);
    let single = AssociationRules::params()
        .min_threshold(0.0)
        .consequents(Consequents::Single)
        .score(&sets)
        .unwrap();
    assert_eq!(single.len(), 9);
    assert!((0..single.len()).all(|i| single.consequent(i).len() == 1));
    // {a,b} -> {c}: a∪b in 3 of 6, c in 4, a∪b∪c in 2.
    let k = (0..all.len())
        .find(|&i| all.antecedent(i) == [0, 1] && all.consequent(i) == [2])
        .unwrap();
    assert_eq!(all.counts(k), [3, 4, 2]);
    let m = all.measures(k);
    let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
    assert!(close(m.confidence, 2.0 / 3.0));
    assert!(close(m.lift, (2.0 / 3.0) / (4.0 / 6.0)));
    assert!(close(m.leverage, 2.0 / 6.0 - 0.5 * 4.0 / 6.0));
    // The first rule of the triple has the largest antecedent {a,b}.
    assert_eq!(all.antecedent(6), &[0, 1]);
}

#[test]
fn thresholds_p_values_and_errors() {
    let sets = six();
    // Confidence: a->b 3/5, b->a 3/4, a->c 3/5, c->a 3/4, b->c 3/4, c->b 3/4,
    // ab->c 2/3, ac->b 2/3, bc->a 2/3, a->bc 2/5, b->ac 2/4, c->ab 2/4.
    let strong = AssociationRules::params()
        .min_threshold(0.7)
        .score(&sets)
        .unwrap();
    assert_eq!(strong.len(), 4);
    let tested = AssociationRules::params()
        .min_threshold(0.7)
        .p_value(Some(PValueTest::Fisher))
        .correction(Correction::Bonferroni)
        .score(&sets)
        .unwrap();
    let raw = tested.p_values().unwrap();
    let adjusted = tested.p_values_adjusted().unwrap();
    // Bonferroni over the 12 candidate rules, not the 4 kept.
    for (r, a) in raw.iter().zip(adjusted) {
        assert!((a - (r * 12.0).min(1.0)).abs() < 1e-12);
    }
    assert!(strong.p_values().is_none());
    let err = AssociationRules::params()
        .min_threshold(f64::NAN)
        .check()
        .unwrap_err();
    assert!(matches!(
        err,
        CiblageError::InvalidParameter {
            name: "min_threshold",
            ..
        }
    ));
    let err = AssociationRules::params()
        .correction(Correction::Holm)
        .check()
        .unwrap_err();
    assert!(matches!(
        err,
        CiblageError::InvalidParameter {
            name: "correction",
            ..
        }
    ));
    let lines = OrderLines::from_codes(&[0, 0], &[0, 1]).unwrap();
    let closed = FpGrowth::params()
        .min_count(1)
        .kind(ItemsetKind::Closed)
        .score(&lines)
        .unwrap();
    let err = AssociationRules::params().score(&closed).unwrap_err();
    assert!(matches!(
        err,
        CiblageError::InvalidParameter {
            name: "itemsets",
            ..
        }
    ));
    assert!("both".parse::<Consequents>().is_err());
}

proptest! {
    #[test]
    fn measures_follow_from_counted_supports(
        pairs in prop::collection::vec((0u32..25, 0u32..6), 1..120),
        single in any::<bool>(),
    ) {
        let orders: Vec<u32> = pairs.iter().map(|p| p.0).collect();
        let products: Vec<u32> = pairs.iter().map(|p| p.1).collect();
        let lines = OrderLines::from_codes(&orders, &products).unwrap();
        let sets = FpGrowth::params().min_count(2).score(&lines).unwrap();
        let consequents = if single { Consequents::Single } else { Consequents::All };
        let rules = AssociationRules::params().min_threshold(0.0).consequents(consequents).score(&sets).unwrap();
        let n = lines.len() as f64;
        let count = |set: &[u32]| lines.baskets().filter(|b| set.iter().all(|x| b.contains(x))).count() as f64;
        let mut expected_rules = 0;
        for (set, _) in sets.iter() {
            if set.len() >= 2 {
                expected_rules += if single { set.len() } else { (1 << set.len()) - 2 };
            }
        }
        prop_assert_eq!(rules.len(), expected_rules);
        for i in 0..rules.len() {
            let a = rules.antecedent(i);
            let c = rules.consequent(i);
            let mut both: Vec<u32> = a.iter().chain(c).copied().collect();
            both.sort_unstable();
            let want = Measures::from_supports(count(a) / n, count(c) / n, count(&both) / n);
            prop_assert_eq!(rules.measures(i), &want);
        }
    }
}
