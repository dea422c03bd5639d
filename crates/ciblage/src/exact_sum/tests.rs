use proptest::prelude::*;

use super::*;

/// The exact sum of values `k · 2^-20` (`|k| < 2^60`), computed on `i128`
/// integers and rounded by the cast (round to nearest, ties to even): an
/// independent reference.
fn fixed_point_reference(ks: &[i64]) -> f64 {
    let total: i128 = ks.iter().map(|&k| i128::from(k)).sum();
    total as f64 / (1u64 << 20) as f64
}

fn exact(values: &[f64]) -> ExactSum {
    values.iter().copied().collect()
}

/// Finite values of every magnitude: subnormals, cents, huge ones.
fn wide() -> impl Strategy<Value = f64> {
    prop_oneof![
        (-1_000_000i64..1_000_000).prop_map(|c| c as f64 / 100.0),
        any::<f64>().prop_filter("finite", |x| x.is_finite()),
        (-1000i64..1000, -1074i32..-1000).prop_map(|(m, e)| m as f64 * 2f64.powi(e)),
        (-1.0e300f64..1.0e300),
    ]
}

#[test]
fn hand_computed_cases() {
    // 0.1 + 0.2 − 0.3 on the doubles is exactly 2^-55.
    assert_eq!(sum(&[0.1, 0.2, -0.3]), 2f64.powi(-55));
    // A running sum loses the 1.0 against 1e16 (ulp 2).
    assert_eq!(sum(&[1e16, 1.0, -1e16]), 1.0);
    // Beyond f64::MAX the correctly rounded value is infinity…
    assert_eq!(sum(&[f64::MAX, f64::MAX]), f64::INFINITY);
    // …but not when the total comes back into range.
    assert_eq!(sum(&[f64::MAX, f64::MAX, -f64::MAX]), f64::MAX);
    // Subnormals add exactly: 3 · 2^-1074.
    let tiny = f64::from_bits(1);
    assert_eq!(sum(&[tiny, tiny, tiny]), f64::from_bits(3));
    // 2^-1074 + 1 + (-1) with the extremes in the side accumulator.
    assert_eq!(sum(&[tiny, 1e300, 1.0, -1e300]), 1.0);
    assert_eq!(sum(&[tiny, 1e300, -1e300]), tiny);
    // A tie: 2^53 + 1 is halfway between 2^53 and 2^53 + 2: even wins.
    assert_eq!(sum(&[2f64.powi(53), 1.0]), 2f64.powi(53));
    // Just above the tie rounds up: the sticky bit below counts.
    assert_eq!(
        sum(&[2f64.powi(53), 1.0, 2f64.powi(-1000)]),
        2f64.powi(53) + 2.0
    );
    assert_eq!(
        sum(&[1e300, 2f64.powi(-1000), -1e300, 2f64.powi(53), 1.0]),
        2f64.powi(53) + 2.0
    );
    assert_eq!(sum(&[]), 0.0);
    assert_eq!(sum(&[-0.0, 0.0]), 0.0);
    assert_eq!(sum(&[-2.5, -0.25]), -2.75);
}

#[test]
fn the_side_accumulator_rounds_like_the_compact_state() {
    // The same exact value reached with and without the side accumulator.
    let mut a = ExactSum::new();
    a.add(1e-300);
    a.add(123.456);
    a.add(-1e-300);
    assert!(a.big.is_some());
    assert_eq!(a.value(), 123.456);
    // 2^120 terms of one mantissa push the compact state over 128 bits.
    let mut b = ExactSum::new();
    for _ in 0..200 {
        b.add(f64::MAX / 4.0);
        b.add(f64::from_bits(1));
    }
    let mut c = ExactSum::new();
    for _ in 0..200 {
        c.add(f64::MAX / 4.0);
    }
    assert_eq!(c.value(), f64::INFINITY);
    for _ in 0..200 {
        b.add(-f64::MAX / 4.0);
    }
    assert_eq!(b.value(), f64::from_bits(200));
}

#[test]
fn parts_round_trip_and_bad_parts_are_refused() {
    let a = exact(&[1e-300, 42.5, 1e300, -3.0]);
    let parts = a.to_parts();
    assert_eq!(parts.overflow.len(), BIG_LIMBS);
    let b = ExactSum::from_parts(&parts).unwrap();
    assert_eq!(b.to_parts(), parts);
    assert_eq!(b.value(), a.value());
    let mut bad = parts.clone();
    bad.overflow.pop();
    let err = ExactSum::from_parts(&bad).unwrap_err().to_string();
    assert!(err.contains("parts") && err.contains("limbs"), "{err}");
    let bad = ExactSumParts {
        mantissa_low: 1,
        exponent: 2000,
        ..Default::default()
    };
    assert!(ExactSum::from_parts(&bad).is_err());
    assert_eq!(
        ExactSum::from_parts(&ExactSumParts::default())
            .unwrap()
            .value(),
        0.0
    );
}

#[test]
fn only_positive_normal_values_within_reach_take_the_fast_add() {
    // Units of 2^-20: the lowest mantissa bit of 1.0 is 2^-52, below the
    // unit, so 1.0 is out of reach; that of 2^32 is 2^-20 (shift 0), that
    // of 2^74 is 2^22 (shift 42, the most a 96-bit sum takes).
    let r = Reach::of(-20);
    assert_eq!(r.shift(2f64.powi(32)), 0);
    assert_eq!(r.shift(2f64.powi(74)), MAX_SHIFT96);
    for x in [
        1.0,
        2f64.powi(75),
        0.0,
        -0.0,
        -(2f64.powi(40)),
        f64::MIN_POSITIVE / 4.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
    ] {
        assert!(r.shift(x) > MAX_SHIFT96, "{x}");
    }
    // No reach at all before any exponent is set, nor next to the top.
    assert!(Reach::of(i32::MAX).shift(1.0) > MAX_SHIFT96);
    assert!(Reach::of(MAX_EXP).shift(f64::MAX) > MAX_SHIFT96);
    assert!(Reach::of(MAX_EXP - 52).shift(f64::INFINITY) > MAX_SHIFT96);
}

proptest! {
    #[test]
    fn equals_the_fixed_point_reference(ks in prop::collection::vec(-(1i64 << 60)..(1i64 << 60), 0..200)) {
        let values: Vec<f64> = ks.iter().map(|&k| k as f64 / (1u64 << 20) as f64).collect();
        // `k as f64` rounds k: the reference takes the values as they are.
        let exact_ks: Vec<i64> = values.iter().map(|&v| (v * (1u64 << 20) as f64) as i64).collect();
        prop_assert_eq!(sum(&values).to_bits(), fixed_point_reference(&exact_ks).to_bits());
    }

    #[test]
    fn the_fast_add_is_the_checked_one(
        exp in -1074i32..900,
        k in 0u32..=MAX_SHIFT96,
        frac in any::<u64>(),
        start in any::<i64>(),
    ) {
        // A positive normal value whose lowest mantissa bit is 2^(exp + k):
        // within reach, the add without exponent logic leaves the same
        // 96-bit sum as the checked one, and both fit or both do not.
        let x = f64::from_bits(((exp + 1075) as u64 + u64::from(k)) << 52 | (frac & ((1 << 52) - 1)));
        let shift = Reach::of(exp).shift(x);
        prop_assert_eq!(shift, k);
        let (mut lo, mut hi) = (start as u64, (start >> 33) as i32);
        let (mut lo2, mut hi2) = (lo, hi);
        let fast = add_shifted(&mut lo, &mut hi, x, shift);
        prop_assert_eq!(fast, add96(&mut lo2, &mut hi2, x, exp));
        prop_assert_eq!((lo, hi), (lo2, hi2));
    }

    #[test]
    fn order_cut_and_merge_do_not_change_the_bits(
        values in prop::collection::vec(wide(), 0..120),
        cuts in prop::collection::vec(0usize..120, 0..6),
        seed in any::<u64>(),
    ) {
        let whole = sum(&values);
        // Reversed and shuffled (a deterministic permutation from the seed).
        let mut shuffled = values.clone();
        let mut s = seed | 1;
        for i in (1..shuffled.len()).rev() {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            shuffled.swap(i, (s % (i as u64 + 1)) as usize);
        }
        prop_assert_eq!(sum(&shuffled).to_bits(), whole.to_bits());
        // Cut into parts, merged right to left.
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(values.len())).collect();
        cuts.sort_unstable();
        let mut bounds = vec![0];
        bounds.extend(cuts);
        bounds.push(values.len());
        let parts: Vec<ExactSum> = bounds.windows(2).map(|w| exact(&values[w[0]..w[1]])).collect();
        let mut merged = ExactSum::new();
        for p in parts.iter().rev() {
            let p = ExactSum::from_parts(&p.to_parts()).unwrap();
            merged.merge(&p);
        }
        prop_assert_eq!(merged.value().to_bits(), whole.to_bits());
    }

    #[test]
    fn merge_is_associative_and_commutative(
        a in prop::collection::vec(wide(), 0..30),
        b in prop::collection::vec(wide(), 0..30),
        c in prop::collection::vec(wide(), 0..30),
    ) {
        let (x, y, z) = (exact(&a), exact(&b), exact(&c));
        let mut left = x.clone();
        left.merge(&y);
        left.merge(&z);
        let mut right = y.clone();
        right.merge(&z);
        let mut right2 = z.clone();
        right2.merge(&x);
        right2.merge(&y);
        let mut yz_x = right;
        yz_x.merge(&x);
        prop_assert_eq!(left.value().to_bits(), yz_x.value().to_bits());
        prop_assert_eq!(left.value().to_bits(), right2.value().to_bits());
    }
}
