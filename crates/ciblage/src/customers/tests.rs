//! Tests of the customer index: codes, ids restored, kinds and batches.

use super::*;
use proptest::prelude::*;

fn restore(index: &CustomerIndex, codes: &[u32]) -> Vec<String> {
    codes.iter().map(|&c| index.id(c).to_string()).collect()
}

#[test]
fn first_appearance_order() {
    let mut index = CustomerIndex::new();
    let mut codes = Vec::new();
    index.encode_i64(&[42, 7, 42, 9, 7], &mut codes).unwrap();
    assert_eq!(codes, [0, 1, 0, 2, 1]);
    assert_eq!(index.sorted_codes(), [1, 2, 0]); // 7 < 9 < 42
}

#[test]
fn sparse_ids_fall_back_to_hashing_and_keep_codes() {
    let mut index = CustomerIndex::new();
    let mut codes = Vec::new();
    index.encode_i64(&[5, 6], &mut codes).unwrap();
    assert!(matches!(index.lookup, Lookup::Direct { .. }));
    // A far-away id makes the span too large for a table.
    index
        .encode_i64(&[i64::MAX, 6, i64::MIN], &mut codes)
        .unwrap();
    assert!(matches!(index.lookup, Lookup::IntHash(_)));
    assert_eq!(codes, [0, 1, 2, 1, 3]);
    assert_eq!(index.sorted_codes(), [3, 0, 1, 2]);
}

#[test]
fn table_grows_downwards() {
    let mut index = CustomerIndex::new();
    let mut codes = Vec::new();
    index.encode_i64(&[100, 101], &mut codes).unwrap();
    index.encode_i64(&[90, 100], &mut codes).unwrap();
    assert_eq!(codes, [0, 1, 2, 0]);
    assert!(matches!(index.lookup, Lookup::Direct { base: 90, .. }));
}

#[test]
fn mixing_kinds_is_an_error() {
    let mut index = CustomerIndex::named("client");
    let mut codes = Vec::new();
    index.encode_i64(&[1], &mut codes).unwrap();
    let err = index.encode_str(["x"], &mut codes).unwrap_err();
    assert_eq!(
        err.to_string(),
        "client: customer ids must all be integers or all be strings, got both"
    );
}

#[test]
fn all_batches_at_once_dense_and_sparse() {
    let a: Vec<i64> = (0..150_000).map(|i| 5_000 + (i * 7_919) % 40_000).collect();
    let b = [5_000, 44_999, 60_000];
    let mut index = CustomerIndex::new();
    let mut codes = Vec::new();
    index.encode_i64_all(&[&a, &b], &mut codes).unwrap();
    assert_eq!(codes.len(), a.len() + 3);
    assert!(codes
        .iter()
        .zip(a.iter().chain(&b))
        .all(|(&c, &id)| index.id(c) == CustomerId::Int(id)));
    // Dense: codes in ascending id order.
    assert_eq!(
        index.sorted_codes(),
        (0..index.len() as u32).collect::<Vec<_>>()
    );
    // Sparse ids go through the hash table, in order of first appearance.
    let mut sparse = CustomerIndex::new();
    let mut codes = Vec::new();
    sparse
        .encode_i64_all(&[&[i64::MAX, 3], &[3, i64::MIN]], &mut codes)
        .unwrap();
    assert_eq!(codes, [0, 1, 1, 2]);
}

proptest! {
    #[test]
    fn factorise_then_restore_is_identity_int(ids in proptest::collection::vec(any::<i64>(), 0..200),
                                              small in proptest::collection::vec(-50i64..50, 0..200)) {
        for input in [ids, small] {
            let mut index = CustomerIndex::new();
            let mut codes = Vec::new();
            // Encode in two batches to exercise growth.
            let (a, b) = input.split_at(input.len() / 2);
            index.encode_i64(a, &mut codes).unwrap();
            index.encode_i64(b, &mut codes).unwrap();
            let mut at_once = CustomerIndex::new();
            let mut codes2 = Vec::new();
            at_once.encode_i64_all(&[a, b], &mut codes2).unwrap();
            prop_assert!(codes2.iter().zip(&input).all(|(&c, &id)| at_once.id(c) == CustomerId::Int(id)));
            prop_assert_eq!(at_once.len(), index.len());
            let back: Vec<i64> = codes.iter().map(|&c| match index.id(c) {
                CustomerId::Int(v) => v,
                CustomerId::Str(_) => unreachable!(),
            }).collect();
            prop_assert_eq!(&back, &input);
            prop_assert!(codes.iter().all(|&c| (c as usize) < index.len()));
            let sorted = index.sorted_codes();
            prop_assert_eq!(sorted.len(), index.len());
            prop_assert!(sorted.windows(2).all(|w| index.id(w[0]) < index.id(w[1])));
        }
    }

    #[test]
    fn factorise_then_restore_is_identity_str(input in proptest::collection::vec("[a-c]{0,3}|[é✓]{1,2}|[a\\x00]{7,10}|[ab]{15,17}|x{16}[ab\\x00]{0,3}", 0..200)) {
        // Ids around the 16 bytes kept inline in a hash slot: equal heads
        // with different tails or lengths must stay distinct.
        let mut index = CustomerIndex::new();
        let mut codes = Vec::new();
        index.encode_str(input.iter().map(String::as_str), &mut codes).unwrap();
        prop_assert_eq!(restore(&index, &codes), input.clone());
        let distinct: std::collections::BTreeSet<&String> = input.iter().collect();
        prop_assert_eq!(index.len(), distinct.len());
        let sorted: Vec<&str> = index.sorted_codes().iter().map(|&c| match index.id(c) {
            CustomerId::Str(s) => s,
            CustomerId::Int(_) => unreachable!(),
        }).collect();
        let expected: Vec<&str> = distinct.iter().map(|s| s.as_str()).collect();
        prop_assert_eq!(sorted, expected);
    }

    #[test]
    fn short_string_ids_sort_bytewise(input in proptest::collection::vec("[a\\x00]{0,11}|[é✓b]{1,3}", 1..200)) {
        // Every id of at most 11 bytes: the packed-integer order, with ids
        // that differ only by trailing zero bytes.
        let mut index = CustomerIndex::new();
        let mut codes = Vec::new();
        index.encode_str(input.iter().map(String::as_str), &mut codes).unwrap();
        let sorted: Vec<&str> = index.sorted_codes().iter().map(|&c| match index.id(c) {
            CustomerId::Str(s) => s,
            CustomerId::Int(_) => unreachable!(),
        }).collect();
        let distinct: std::collections::BTreeSet<&String> = input.iter().collect();
        let expected: Vec<&str> = distinct.iter().map(|s| s.as_str()).collect();
        prop_assert_eq!(sorted, expected);
    }
}

#[test]
fn released_lookup_is_rebuilt_with_the_same_codes() {
    // Sparse integer ids (hash map) and string ids, coded in two halves
    // with the table released between them, give the codes of one pass.
    let ints: Vec<i64> = vec![i64::MAX, 3, i64::MIN, 3, 77, i64::MAX, 8, 77];
    let (mut once, mut split) = (CustomerIndex::new(), CustomerIndex::new());
    let (mut want, mut got) = (Vec::new(), Vec::new());
    once.encode_i64(&ints, &mut want).unwrap();
    split.encode_i64(&ints[..4], &mut got).unwrap();
    split.release_lookup();
    assert!(matches!(split.lookup, Lookup::Released));
    split.encode_i64(&ints[4..], &mut got).unwrap();
    assert_eq!(got, want);
    assert_eq!(got, [0, 1, 2, 1, 3, 0, 4, 3]);

    let strs = ["b", "a", "b", "a-much-longer-id-than-sixteen", "c", "a"];
    let (mut once, mut split) = (CustomerIndex::new(), CustomerIndex::new());
    let (mut want, mut got) = (Vec::new(), Vec::new());
    once.encode_str(strs, &mut want).unwrap();
    split
        .encode_str(strs[..4].iter().copied(), &mut got)
        .unwrap();
    split.release_lookup();
    split
        .encode_str(strs[4..].iter().copied(), &mut got)
        .unwrap();
    assert_eq!(got, want);
    assert_eq!(got, [0, 1, 0, 2, 3, 1]);
    assert_eq!(restore(&split, &got), strs);
    // A released index still refuses the other kind of id.
    split.release_lookup();
    assert!(matches!(
        split.encode_i64(&[1], &mut got),
        Err(CiblageError::MixedIdKinds { .. })
    ));
}

#[test]
fn dense_integer_table_is_released_when_codes_follow_the_ids() {
    let mut index = CustomerIndex::new();
    let mut codes = Vec::new();
    index.encode_i64_all(&[&[12, 10, 14]], &mut codes).unwrap();
    assert_eq!(codes, [1, 0, 2]); // 10 < 12 < 14
    index.release_lookup();
    assert!(matches!(index.lookup, Lookup::Released));
    assert_eq!(index.sorted_codes(), [0, 1, 2]);
    // Rebuilt on demand: known ids keep their codes, new ones follow.
    index.encode_i64(&[14, 9, 10], &mut codes).unwrap();
    assert_eq!(codes[3..], [2, 3, 0]);
    assert_eq!(index.sorted_codes(), [3, 0, 1, 2]); // 9 < 10 < 12 < 14
}

#[test]
fn dense_integer_table_is_kept_when_it_orders_the_ids() {
    let mut index = CustomerIndex::new();
    let mut codes = Vec::new();
    // First-appearance codes: the table is what sorts them.
    index.encode_i64(&[12, 10, 11], &mut codes).unwrap();
    index.release_lookup();
    assert!(matches!(index.lookup, Lookup::Direct { .. }));
    assert_eq!(index.sorted_codes(), [1, 2, 0]);
}
