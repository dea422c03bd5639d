use proptest::prelude::*;

use super::*;
use crate::basket::FpGrowth;

fn to_lines(pairs: &[(u32, u32)]) -> OrderLines {
    let orders: Vec<u32> = pairs.iter().map(|p| p.0).collect();
    let products: Vec<u32> = pairs.iter().map(|p| p.1).collect();
    OrderLines::from_codes(&orders, &products).unwrap()
}

fn candidates_of(sets: &FrequentItemsets) -> Candidates {
    let (items, ends) = sets.flat();
    Candidates::from_flat(items.to_vec(), ends.to_vec()).unwrap()
}

#[test]
fn counts_match_a_hand_count() {
    // Baskets {a,b,c}, {a,b}, {a,c}, {b,c}, {a,b,c}; a=0, b=1, c=2.
    // By hand: a 4, ab 3, abc 2, bc 3, c 4, {3} 0 (no basket), {a, 9} 0.
    let lines = to_lines(&[
        (0, 0),
        (0, 1),
        (0, 2),
        (1, 0),
        (1, 1),
        (2, 0),
        (2, 2),
        (3, 1),
        (3, 2),
        (4, 0),
        (4, 1),
        (4, 2),
    ]);
    let sets = Candidates::from_flat(
        vec![1, 2, 0, 0, 1, 0, 1, 2, 2, 3, 0, 9],
        vec![2, 3, 5, 8, 9, 10, 12],
    )
    .unwrap();
    let counts = ItemsetCount::params().score(&lines, &sets).unwrap();
    assert_eq!(counts.counts(), &[3, 4, 3, 2, 4, 0, 0]);
}

#[test]
fn bad_candidates_and_counts_are_refused() {
    for (items, ends) in [
        (vec![1, 0], vec![2]),
        (vec![0, 0], vec![2]),
        (vec![0], vec![0, 1]),
        (vec![0, 1], vec![1]),
        (vec![0], vec![2]),
    ] {
        assert!(matches!(
            Candidates::from_flat(items, ends),
            Err(CiblageError::InvalidParameter {
                name: "candidates",
                ..
            })
        ));
    }
    let sets = Candidates::from_flat(vec![0], vec![1]).unwrap();
    let share = MinSupport::Share(0.5);
    assert!(matches!(
        FrequentItemsets::from_counts(&sets, &[], 3, share, ItemsetKind::All),
        Err(CiblageError::LengthMismatch { .. })
    ));
    assert!(matches!(
        FrequentItemsets::from_counts(&sets, &[1], 0, share, ItemsetKind::All),
        Err(CiblageError::EmptyInput { .. })
    ));
    for bad in [
        MinSupport::Share(0.0),
        MinSupport::Share(1.5),
        MinSupport::Count(0),
    ] {
        assert!(matches!(
            FrequentItemsets::from_counts(&sets, &[1], 3, bad, ItemsetKind::All),
            Err(CiblageError::InvalidParameter {
                name: "min_support",
                ..
            })
        ));
    }
}

#[test]
fn interrupted_counting_stops() {
    let lines = to_lines(&[(0, 0)]);
    let sets = Candidates::from_flat(vec![0], vec![1]).unwrap();
    let token = Interrupt::new();
    token.set();
    assert!(matches!(
        ItemsetCount::params().interrupt(token).score(&lines, &sets),
        Err(CiblageError::Interrupted)
    ));
}

proptest! {
    /// The counts of the itemsets FP-growth finds (at the least count 1:
    /// every itemset some basket holds) are the supports it found.
    #[test]
    fn counts_equal_the_miners_supports(
        pairs in prop::collection::vec((0u32..25, 0u32..7), 1..120),
        max_len in 1usize..5,
    ) {
        let lines = to_lines(&pairs);
        let mined = FpGrowth::params().min_count(1).max_len(Some(max_len)).score(&lines).unwrap();
        let counts = ItemsetCount::params().score(&lines, &candidates_of(&mined)).unwrap();
        prop_assert_eq!(counts.counts(), mined.counts());
    }

    /// SON: baskets cut into parts, each mined at its proportional least
    /// count (rounded down), the union of what they find counted in every
    /// part and summed gives the itemsets of mining every basket at once.
    #[test]
    fn two_passes_equal_one_mining(
        pairs in prop::collection::vec((0u32..30, 0u32..6), 1..150),
        cuts in prop::collection::vec(0u32..30, 0..4),
        share in 0.05f64..1.0,
        kind in 0usize..3,
    ) {
        let kind = [ItemsetKind::All, ItemsetKind::Closed, ItemsetKind::Maximal][kind];
        let whole = to_lines(&pairs);
        let expected = FpGrowth::params().min_support(share).kind(kind).score(&whole).unwrap();
        // Part of an order: how many cuts are below its code.
        let part_of = |o: u32| cuts.iter().filter(|&&c| c < o).count();
        let parts: Vec<OrderLines> = (0..=cuts.len())
            .map(|k| to_lines(&pairs.iter().copied().filter(|p| part_of(p.0) == k).collect::<Vec<_>>()))
            .collect();
        let mut union: Vec<Vec<u32>> = Vec::new();
        for part in parts.iter().filter(|p| !p.is_empty()) {
            let local = ((share * part.len() as f64 * (1.0 - 1e-9)).floor() as usize).max(1);
            let found = FpGrowth::params().min_count(local).score(part).unwrap();
            union.extend(found.iter().map(|(s, _)| s.to_vec()));
        }
        union.sort();
        union.dedup();
        let ends: Vec<usize> = union.iter().scan(0, |e, s| { *e += s.len(); Some(*e) }).collect();
        let sets = Candidates::from_flat(union.concat(), ends).unwrap();
        let mut total = vec![0u64; sets.len()];
        for part in &parts {
            let c = ItemsetCount::params().score(part, &sets).unwrap();
            for (t, x) in total.iter_mut().zip(c.counts()) {
                *t += x;
            }
        }
        let n: usize = parts.iter().map(OrderLines::len).sum();
        let got = FrequentItemsets::from_counts(&sets, &total, n, MinSupport::Share(share), kind).unwrap();
        prop_assert_eq!(got, expected);
    }
}
