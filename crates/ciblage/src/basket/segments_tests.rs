use proptest::prelude::*;

use super::*;
use crate::basket::{AssociationRules, Consequents, FpGrowth};
use crate::testing::{fuzz_cases, on_threads};

/// The lines of segment `s` alone (orders, products), in input order.
fn lines_of(
    orders: &[u32],
    products: &[u32],
    customers: &[u32],
    segments: &[Option<u32>],
    s: u32,
) -> (Vec<u32>, Vec<u32>) {
    orders
        .iter()
        .zip(products)
        .zip(customers)
        .filter(|(_, &c)| segments[c as usize] == Some(s))
        .map(|((&o, &p), _)| (o, p))
        .unzip()
}

fn params(min_count: usize) -> SegmentRulesParams {
    SegmentRules::params()
        .itemsets(FpGrowth::params().min_count(min_count))
        .rules(Some(
            AssociationRules::params()
                .min_threshold(0.0)
                .consequents(Consequents::All),
        ))
}

#[test]
fn an_order_over_two_segments_gives_a_basket_in_each() {
    // Order 0 has lines of customer 0 (segment 0) and customer 1
    // (segment 1); order 1 only of customer 1.
    let b = SegmentBaskets::from_codes(
        &[0, 0, 0, 1, 1],
        &[1, 2, 3, 2, 3],
        &[0, 0, 1, 1, 1],
        &[Some(0), Some(1)],
    )
    .unwrap();
    assert_eq!(b.segment(0).len(), 1);
    assert_eq!(b.segment(0).basket(0), &[1, 2]);
    assert_eq!(b.segment(1).len(), 2);
    assert_eq!(b.segment(1).basket(0), &[3]);
    assert_eq!(b.segment(1).basket(1), &[2, 3]);
    assert_eq!(b.lines_without_segment(), 0);
}

#[test]
fn bad_input_is_refused_naming_the_argument() {
    assert!(matches!(
        SegmentBaskets::from_codes(&[0, 1], &[0], &[0, 0], &[Some(0)]),
        Err(CiblageError::LengthMismatch { ref argument, .. }) if argument == "product"
    ));
    assert!(matches!(
        SegmentBaskets::from_codes(&[0, 1], &[0, 1], &[0], &[Some(0)]),
        Err(CiblageError::LengthMismatch { ref argument, .. }) if argument == "customer"
    ));
    assert!(matches!(
        SegmentBaskets::from_codes(&[0], &[0], &[3], &[Some(0)]),
        Err(CiblageError::ValueOutOfRange { ref argument, row: 0, .. }) if argument == "customer"
    ));
    // Only unlabelled lines: nothing to mine.
    let b = SegmentBaskets::from_codes(&[0], &[0], &[0], &[None]).unwrap();
    assert_eq!((b.n_segments(), b.lines_without_segment()), (0, 1));
    assert!(matches!(
        params(1).score(&b),
        Err(CiblageError::EmptyInput { ref argument }) if argument == "lines"
    ));
    // Parameters are checked by both steps.
    assert!(matches!(
        SegmentRules::params()
            .itemsets(FpGrowth::params().min_support(0.0))
            .check(),
        Err(CiblageError::InvalidParameter {
            name: "min_support",
            ..
        })
    ));
    assert!(matches!(
        SegmentRules::params()
            .rules(Some(AssociationRules::params().min_threshold(f64::NAN)))
            .check(),
        Err(CiblageError::InvalidParameter {
            name: "min_threshold",
            ..
        })
    ));
}

#[test]
fn an_interrupted_mining_returns_interrupted() {
    let b = SegmentBaskets::from_codes(&[0, 0], &[0, 1], &[0, 0], &[Some(0)]).unwrap();
    let token = Interrupt::new();
    token.set();
    assert_eq!(
        params(1).interrupt(token).score(&b),
        Err(CiblageError::Interrupted)
    );
}

/// Lines of up to 30 orders over 6 products by 8 customers, a labelling
/// of the customers into up to 3 segments (some unlabelled).
type Generated = (Vec<(u32, u32, u32)>, Vec<Option<u32>>, usize);

fn generated() -> impl Strategy<Value = Generated> {
    (
        prop::collection::vec((0u32..30, 0u32..6, 0u32..8), 1..120),
        prop::collection::vec(prop::option::weighted(0.85, 0u32..3), 8),
        1usize..4,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(fuzz_cases()))]

    /// One scan and a mining per segment equal mining each segment's
    /// lines separately, on any thread count.
    #[test]
    fn equal_to_mining_each_segment_separately((rows, segments, min_count) in generated()) {
        let orders: Vec<u32> = rows.iter().map(|r| r.0).collect();
        let products: Vec<u32> = rows.iter().map(|r| r.1).collect();
        let customers: Vec<u32> = rows.iter().map(|r| r.2).collect();
        let b = SegmentBaskets::from_codes(&orders, &products, &customers, &segments).unwrap();
        let unlabelled = customers.iter().filter(|&&c| segments[c as usize].is_none()).count();
        prop_assert_eq!(b.lines_without_segment(), unlabelled as u64);
        let found = on_threads(2, || params(min_count).score(&b));
        let one = on_threads(1, || params(min_count).score(&b));
        if b.segments.iter().all(OrderLines::is_empty) {
            prop_assert!(found.is_err());
            return Ok(());
        }
        let found = found.unwrap();
        prop_assert_eq!(&found, &one.unwrap());
        for s in 0..b.n_segments() as u32 {
            let (o, p) = lines_of(&orders, &products, &customers, &segments, s);
            if o.is_empty() {
                prop_assert!(found.itemsets(s as usize).is_none());
                continue;
            }
            let alone = OrderLines::from_codes(&o, &p).unwrap();
            // The same baskets, as a set (the basket order may differ).
            let mut want: Vec<&[u32]> = alone.baskets().collect();
            let mut got: Vec<&[u32]> = b.segment(s as usize).baskets().collect();
            want.sort_unstable();
            got.sort_unstable();
            prop_assert_eq!(got, want);
            let sets = FpGrowth::params().min_count(min_count).score(&alone).unwrap();
            let rules = AssociationRules::params().min_threshold(0.0).score(&sets).unwrap();
            prop_assert_eq!(found.itemsets(s as usize).unwrap(), &sets);
            prop_assert_eq!(found.rules(s as usize).unwrap(), &rules);
        }
    }
}
