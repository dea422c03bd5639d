use proptest::prelude::*;

use super::*;

/// Every itemset over products `0..n_products` with its count, counted
/// basket by basket, the frequent ones sorted as FP-growth sorts them.
fn brute_force(
    lines: &OrderLines,
    n_products: u32,
    min_count: u64,
    max_len: usize,
) -> Vec<(Vec<u32>, u64)> {
    let mut out = Vec::new();
    for mask in 1u32..(1 << n_products) {
        let set: Vec<u32> = (0..n_products).filter(|&p| mask & (1 << p) != 0).collect();
        if set.len() > max_len {
            continue;
        }
        let count = lines
            .baskets()
            .filter(|b| set.iter().all(|p| b.contains(p)))
            .count() as u64;
        if count >= min_count {
            out.push((set, count));
        }
    }
    out.sort_by(|a, b| a.0.len().cmp(&b.0.len()).then_with(|| a.0.cmp(&b.0)));
    out
}

fn owned(sets: &FrequentItemsets) -> Vec<(Vec<u32>, u64)> {
    sets.iter().map(|(s, c)| (s.to_vec(), c)).collect()
}

/// Random order lines: (order, product) pairs over 30 orders, 7 products.
fn arb_lines() -> impl Strategy<Value = Vec<(u32, u32)>> {
    prop::collection::vec((0u32..30, 0u32..7), 1..150)
}

fn to_lines(pairs: &[(u32, u32)]) -> OrderLines {
    let orders: Vec<u32> = pairs.iter().map(|p| p.0).collect();
    let products: Vec<u32> = pairs.iter().map(|p| p.1).collect();
    OrderLines::from_codes(&orders, &products).unwrap()
}

#[test]
fn matches_a_hand_count() {
    // Baskets {a,b,c}, {a,b}, {a,c}, {b,c}, {a,b,c}; a=0, b=1, c=2.
    // Counts: a 4, b 4, c 4, ab 3, ac 3, bc 3, abc 2.
    let lines = OrderLines::from_codes(
        &[0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 4],
        &[0, 1, 2, 0, 1, 0, 2, 1, 2, 0, 1, 2],
    )
    .unwrap();
    let all = FpGrowth::params().min_count(2).score(&lines).unwrap();
    let expected: Vec<(Vec<u32>, u64)> = vec![
        (vec![0], 4),
        (vec![1], 4),
        (vec![2], 4),
        (vec![0, 1], 3),
        (vec![0, 2], 3),
        (vec![1, 2], 3),
        (vec![0, 1, 2], 2),
    ];
    assert_eq!(owned(&all), expected);
    // 3 of 5 baskets = 0.6: pairs in, the triple out.
    let pairs = FpGrowth::params().min_support(0.6).score(&lines).unwrap();
    assert_eq!(pairs.len(), 6);
    let short = FpGrowth::params()
        .min_count(2)
        .max_len(Some(1))
        .score(&lines)
        .unwrap();
    assert_eq!(short.len(), 3);
    // Every set has a superset of the same count but the triple: closed
    // = {abc} plus singles/pairs whose count differs from their supersets'.
    let closed = FpGrowth::params()
        .min_count(2)
        .kind(ItemsetKind::Closed)
        .score(&lines)
        .unwrap();
    assert_eq!(owned(&closed), expected);
    let maximal = FpGrowth::params()
        .min_count(2)
        .kind(ItemsetKind::Maximal)
        .score(&lines)
        .unwrap();
    assert_eq!(owned(&maximal), vec![(vec![0, 1, 2], 2)]);
    let filtered = FpGrowth::params()
        .min_count(2)
        .exclude(vec![1])
        .score(&lines)
        .unwrap();
    assert_eq!(
        owned(&filtered),
        vec![(vec![0], 4), (vec![2], 4), (vec![0, 2], 3)]
    );
    let only = FpGrowth::params()
        .min_count(2)
        .items(Some(vec![1, 2]))
        .score(&lines)
        .unwrap();
    assert_eq!(
        owned(&only),
        vec![(vec![1], 4), (vec![2], 4), (vec![1, 2], 3)]
    );
}

#[test]
fn closed_keeps_sets_without_equal_supersets() {
    // Baskets {0,1} x2, {0}: counts 0:3, 1:2, 01:2 -> closed {0}, {0,1}.
    let lines = OrderLines::from_codes(&[0, 0, 1, 1, 2], &[0, 1, 0, 1, 0]).unwrap();
    let closed = FpGrowth::params()
        .min_count(1)
        .kind(ItemsetKind::Closed)
        .score(&lines)
        .unwrap();
    assert_eq!(owned(&closed), vec![(vec![0], 3), (vec![0, 1], 2)]);
}

#[test]
fn min_count_of_a_share_follows_the_float_share() {
    assert_eq!(MinSupport::Share(0.1).min_count(30), 3);
    assert_eq!(MinSupport::Share(0.5).min_count(5), 3);
    assert_eq!(MinSupport::Share(1e-9).min_count(5), 1);
    assert_eq!(MinSupport::Share(1.0).min_count(7), 7);
    assert_eq!(MinSupport::Count(4).min_count(7), 4);
}

#[test]
fn bad_parameters_are_named() {
    for bad in [0.0, -0.1, 1.5, f64::NAN] {
        let err = FpGrowth::params().min_support(bad).check().unwrap_err();
        assert!(matches!(
            err,
            CiblageError::InvalidParameter {
                name: "min_support",
                ..
            }
        ));
    }
    let err = FpGrowth::params().min_count(0).check().unwrap_err();
    assert!(matches!(
        err,
        CiblageError::InvalidParameter {
            name: "min_support",
            ..
        }
    ));
    let err = FpGrowth::params().max_len(Some(0)).check().unwrap_err();
    assert!(matches!(
        err,
        CiblageError::InvalidParameter {
            name: "max_len",
            ..
        }
    ));
    let empty = OrderLines::from_codes(&[], &[]).unwrap();
    assert!(matches!(
        FpGrowth::params().score(&empty),
        Err(CiblageError::EmptyInput { .. })
    ));
    assert_eq!("closed".parse::<ItemsetKind>(), Ok(ItemsetKind::Closed));
    assert!("open".parse::<ItemsetKind>().is_err());
}

#[test]
fn a_set_token_stops_the_mining() {
    let lines = OrderLines::from_codes(&[0, 0, 1, 1], &[0, 1, 0, 1]).unwrap();
    let token = Interrupt::new();
    token.set();
    let err = FpGrowth::params()
        .min_count(1)
        .interrupt(token)
        .score(&lines)
        .unwrap_err();
    assert_eq!(err, CiblageError::Interrupted);
}

proptest! {
    #[test]
    fn equals_brute_force(pairs in arb_lines(), min_count in 1u64..6, max_len in 1usize..8) {
        let lines = to_lines(&pairs);
        let sets = FpGrowth::params().min_count(min_count as usize).max_len(Some(max_len)).score(&lines).unwrap();
        prop_assert_eq!(owned(&sets), brute_force(&lines, 7, min_count, max_len));
    }

    #[test]
    fn support_is_anti_monotone_and_closed_maximal_are_subsets(pairs in arb_lines(), min_count in 1u64..5) {
        let lines = to_lines(&pairs);
        let all = FpGrowth::params().min_count(min_count as usize).score(&lines).unwrap();
        let map: std::collections::HashMap<Vec<u32>, u64> = owned(&all).into_iter().collect();
        for (set, count) in &map {
            for drop in 0..set.len() {
                let mut sub = set.clone();
                sub.remove(drop);
                if !sub.is_empty() {
                    prop_assert!(map[&sub] >= *count);
                }
            }
        }
        for kind in [ItemsetKind::Closed, ItemsetKind::Maximal] {
            let some = FpGrowth::params().min_count(min_count as usize).kind(kind).score(&lines).unwrap();
            for (set, count) in some.iter() {
                prop_assert_eq!(map.get(set), Some(&count));
                // No superset in the full list is equal (closed) / present (maximal).
                for (other, c) in &map {
                    if other.len() > set.len() && set.iter().all(|x| other.contains(x)) {
                        prop_assert!(kind == ItemsetKind::Closed && *c != count);
                    }
                }
            }
        }
    }

    #[test]
    fn row_order_and_threads_do_not_matter(pairs in arb_lines(), seed in any::<u64>()) {
        let lines = to_lines(&pairs);
        let mut shuffled = pairs.clone();
        // A seeded Fisher–Yates shuffle.
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            shuffled.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let params = FpGrowth::params().min_count(2).check().unwrap();
        let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let four = rayon::ThreadPoolBuilder::new().num_threads(4).build().unwrap();
        let a = one.install(|| params.score(&lines).unwrap());
        let b = four.install(|| params.score(&to_lines(&shuffled)).unwrap());
        prop_assert_eq!(a, b);
    }
}
