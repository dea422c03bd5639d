//! Monotonic constraints: predictions monotone along every constrained
//! feature for every fitted tree, the parameter's checks, and the
//! constraints kept in the model file.

use ndarray::Array2;
use proptest::prelude::*;

use super::*;

/// Rows of `n` samples, 3 features (the first two of few distinct values,
/// so that splits tie and bounds bind); `missing`: NaN in feature 1 of
/// every 7th row.
fn features(raw: &[(u8, u8, i16)], missing: bool) -> Array2<f64> {
    Array2::from_shape_fn((raw.len(), 3), |(r, c)| match c {
        0 => f64::from(raw[r].0 % 12),
        1 if missing && r % 7 == 3 => f64::NAN,
        1 => f64::from(raw[r].1 % 9),
        _ => f64::from(raw[r].2) / 10.0,
    })
}

/// Whether the tree's predictions (`pred` per row) are monotone along
/// every constrained feature: over a grid of the other features, the
/// constrained one swept from below its least to above its largest value
/// (NaN rows left out: a missing value has no place in the order).
fn monotone_on_grid(
    t: &CartModel,
    cst: &[i8],
    pred: impl Fn(&CartModel, &Array2<f64>) -> Vec<f64>,
) {
    let sweep: Vec<f64> = (-2..30).map(|v| f64::from(v) * 0.5).collect();
    let others = [-1.0, 0.5, 3.0, 7.5, 12.0];
    for (f, &sign) in cst.iter().enumerate() {
        if sign == 0 {
            continue;
        }
        for &a in &others {
            for &b in &[-5.0, 0.0, 2.5] {
                let x = Array2::from_shape_fn((sweep.len(), 3), |(r, c)| {
                    if c == f {
                        sweep[r]
                    } else if c == 2 {
                        b
                    } else {
                        a
                    }
                });
                let p = pred(t, &x);
                for w in p.windows(2) {
                    let step = (w[1] - w[0]) * f64::from(sign);
                    assert!(step >= 0.0, "feature {f} sign {sign}: {p:?}");
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// Every fitted tree (classifier on class 1's share, regressor on its
    /// mean, each criterion, exact, histogram and random splitters, depth first
    /// and best first, with missing values and weights) predicts
    /// monotonically along each constrained feature, and its node values
    /// are those of its children's order.
    #[test]
    fn predictions_are_monotone_along_constrained_features(
        raw in prop::collection::vec((any::<u8>(), any::<u8>(), -60i16..60), 20..300),
        cst in prop::collection::vec(-1i8..=1, 3),
        (kind, which, best_first, missing, weighted) in
            (0usize..5, 0usize..3, any::<bool>(), any::<bool>(), any::<bool>()),
        (min_leaf, noise) in (1usize..4, 0u32..1000),
    ) {
        let x = features(&raw, missing);
        let n = raw.len();
        let w: Vec<f64> = (0..n).map(|r| 1.0 + (r % 3) as f64).collect();
        let w = weighted.then_some(&w[..]);
        // A target rising with feature 0, falling with feature 1, plus
        // noise: constraints of either sign bind somewhere.
        let signal = |r: usize| {
            let (a, b, c) = raw[r];
            f64::from(a % 12) - f64::from(b % 9)
                + f64::from(c) / 20.0
                + f64::from(((r as u32).wrapping_mul(2_654_435_761) ^ noise) % 13) / 2.0
        };
        let splitter = [
            CartSplitter::Exact,
            CartSplitter::Histogram { max_bins: 8 },
            CartSplitter::Random,
        ][which];
        let hist = which == 1;
        let leaves = best_first.then_some(25);
        macro_rules! configured {
            ($base:expr, $crit:expr) => {
                $base
                    .criterion($crit)
                    .splitter(splitter)
                    .max_leaf_nodes(leaves)
                    .min_samples_leaf(min_leaf)
                    .monotonic_cst(Some(cst.clone()))
                    .seed(noise)
            };
        }
        if kind < 2 {
            let crit = [CartCriterion::Gini, CartCriterion::Entropy][kind];
            let y: Vec<u32> = (0..n).map(|r| u32::from(signal(r) > 4.0)).collect();
            let t = configured!(Cart::classifier(), crit).fit(x.view(), &y, 2, w).unwrap();
            // Shares of each node sum to 1 (the second is 1 − the first).
            for i in 0..t.node_count() {
                let v = t.value.node(i);
                prop_assert!((v[0] + v[1] - 1.0).abs() <= 1e-15);
            }
            monotone_on_grid(&t, &cst, |t, x| {
                t.predict_proba(x.view()).unwrap().column(1).to_vec()
            });
            prop_assert_eq!(&t.monotonic_cst, &cst);
        } else {
            let crit = [
                CartCriterion::SquaredError,
                CartCriterion::Poisson,
                CartCriterion::AbsoluteError,
            ][kind - 2];
            if crit == CartCriterion::AbsoluteError && hist {
                return Ok(());
            }
            let y: Vec<f64> = (0..n).map(|r| signal(r).max(0.0)).collect();
            let t = configured!(Cart::regressor(), crit).fit(x.view(), &y, w).unwrap();
            monotone_on_grid(&t, &cst, |t, x| t.predict(x.view()).unwrap().to_vec());
        }
    }
}

#[test]
fn constraints_reject_misordered_splits() {
    // y falls with x: a rising constraint allows no split (every split
    // would put the larger mean left), a falling one the usual tree.
    let x = Array2::from_shape_fn((8, 1), |(r, _)| r as f64);
    let y: Vec<f64> = (0..8).map(|r| 10.0 - r as f64).collect();
    let rising = Cart::regressor()
        .monotonic_cst(Some(vec![1]))
        .fit(x.view(), &y, None)
        .unwrap();
    assert_eq!(rising.node_count(), 1);
    let falling = Cart::regressor()
        .monotonic_cst(Some(vec![-1]))
        .fit(x.view(), &y, None)
        .unwrap();
    let free = Cart::regressor().fit(x.view(), &y, None).unwrap();
    assert_eq!(falling.threshold, free.threshold);
    assert_eq!(falling.value, free.value);
}

#[test]
fn children_are_bounded_by_the_middle_of_their_parents_split() {
    // x = 0..6, y = [0, 10, 4, 6, 20, 30], rising constraint, depth 2.
    // Root: the squared-error proxies L²/w_L + R²/w_R of the cuts after
    // 1..5 rows are 980, 950, 1110.7, 1350, 1220: after 4 rows (x <= 3.5),
    // means 5 and 25, middle 15. Left child {0, 10, 4, 6}, bounded above
    // by 15: proxies 133.3, 100, 101.3, so x <= 0.5 (means 0 and 20/3).
    // Right child {20, 30}, bounded below by 15: means 20 and 30.
    let x = Array2::from_shape_fn((6, 1), |(r, _)| r as f64);
    let y = [0.0, 10.0, 4.0, 6.0, 20.0, 30.0];
    let t = Cart::regressor()
        .max_depth(Some(2))
        .monotonic_cst(Some(vec![1]))
        .fit(x.view(), &y, None)
        .unwrap();
    assert_eq!(t.threshold[..3], [3.5, 0.5, -2.0]);
    let leaves: Vec<f64> = [2, 3, 5, 6].iter().map(|&i| t.value.node(i)[0]).collect();
    assert_eq!(leaves, [0.0, 20.0 / 3.0, 20.0, 30.0]);
    // Falling on the same data: every cut puts the smaller mean left (all
    // refused) except none; the root stays a leaf.
    let t = Cart::regressor()
        .monotonic_cst(Some(vec![-1]))
        .fit(x.view(), &y, None)
        .unwrap();
    assert_eq!(t.node_count(), 1);
}

#[test]
fn unconstrained_splits_are_clipped_into_the_bounds() {
    // Feature 0 rising, feature 1 free. Rows (x0, x1, y):
    // x0 = 0: (0, 0, 0), (0, 1, 0), (0, 2, 0), (0, 3, 10); x0 = 1: y = 8.
    // Root proxies: x0 <= 0.5 gives means 2.5 and 8, 10²/4 + 32²/4 = 281;
    // x1 <= 2.5: 24²/6 + 18²/2 = 258; x1 <= 0.5: 224.7; x1 <= 1.5: 233.
    // So x0 <= 0.5 (admitted: 2.5 <= 8), middle (2.5 + 8) / 2 = 5.25,
    // the left child's upper bound. The left child {0, 0, 0, 10} splits on
    // the free x1 <= 2.5 (no order asked): means 0 and 10, the latter
    // stored clipped to 5.25. The right child is pure (8).
    let x = ndarray::array![
        [0., 0.],
        [0., 1.],
        [0., 2.],
        [0., 3.],
        [1., 0.],
        [1., 1.],
        [1., 2.],
        [1., 3.]
    ];
    let y = [0.0, 0.0, 0.0, 10.0, 8.0, 8.0, 8.0, 8.0];
    let t = Cart::regressor()
        .max_depth(Some(2))
        .monotonic_cst(Some(vec![1, 0]))
        .fit(x.view(), &y, None)
        .unwrap();
    assert_eq!(t.feature[..2], [0, 1]);
    assert_eq!(t.threshold[..2], [0.5, 2.5]);
    let values: Vec<f64> = (0..t.node_count()).map(|i| t.value.node(i)[0]).collect();
    assert_eq!(values, [42.0 / 8.0, 2.5, 0.0, 5.25, 8.0]);
    // Without constraints the same tree stores the mean, 10.
    let free = Cart::regressor()
        .max_depth(Some(2))
        .fit(x.view(), &y, None)
        .unwrap();
    assert_eq!(free.value.node(3)[0], 10.0);
}

#[test]
fn the_parameter_is_checked() {
    let x = Array2::from_shape_fn((6, 2), |(r, c)| (r * (c + 1)) as f64);
    let y = [0u32, 1, 0, 1, 1, 1];
    let e = Cart::classifier()
        .monotonic_cst(Some(vec![1, 2]))
        .check()
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid parameter monotonic_cst: expected -1, 0 or 1 for each feature, got 2 for feature 1"
    );
    let e = Cart::classifier()
        .monotonic_cst(Some(vec![1, 0, 0]))
        .fit(x.view(), &y, 2, None)
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("monotonic_cst has shape 3 but the input data X has 2 features."),
        "{e}"
    );
    let three = [0u32, 1, 2, 1, 0, 2];
    let e = Cart::classifier()
        .monotonic_cst(Some(vec![1, 0]))
        .fit(x.view(), &three, 3, None)
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("Monotonicity constraints are not supported with multiclass classification"),
        "{e}"
    );
    let e = Cart::classifier()
        .categorical_features(vec![1])
        .monotonic_cst(Some(vec![0, -1]))
        .check()
        .unwrap_err();
    assert!(e.to_string().contains("feature 1 is categorical"), "{e}");
    // A categorical feature left free is fine.
    assert!(Cart::classifier()
        .categorical_features(vec![1])
        .monotonic_cst(Some(vec![1, 0]))
        .check()
        .is_ok());
}

#[test]
fn the_model_file_keeps_the_constraints() {
    let x = Array2::from_shape_fn((20, 2), |(r, c)| ((r * (c + 3)) % 11) as f64);
    let y: Vec<f64> = (0..20).map(|r| (r % 5) as f64).collect();
    let t = Cart::regressor()
        .monotonic_cst(Some(vec![1, -1]))
        .fit(x.view(), &y, None)
        .unwrap();
    let text = t.to_json();
    let back = CartModel::from_json(&text).unwrap();
    assert_eq!(back, t);
    assert_eq!(back.monotonic_cst, [1, -1]);
    // A file saved before constraints existed has no such field: none.
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v.as_object_mut().unwrap().remove("monotonic_cst");
    let old = CartModel::from_json(&v.to_string()).unwrap();
    assert!(old.monotonic_cst.is_empty());
    // Wrong values or lengths are refused, naming the field.
    for (bad, field) in [
        (serde_json::json!([1, 3]), "monotonic_cst[1]"),
        (serde_json::json!([1]), "monotonic_cst"),
    ] {
        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        v["monotonic_cst"] = bad;
        let e = CartModel::from_json(&v.to_string()).unwrap_err();
        assert!(e.to_string().contains(field), "{e}");
    }
}
