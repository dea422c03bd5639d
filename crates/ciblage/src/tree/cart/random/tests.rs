//! The random splitter's semantics: thresholds inside the node's range,
//! `max_features` respected, trees fixed by the seed.

use ndarray::Array2;

use crate::tree::cart::{Cart, CartCriterion, CartModel, CartSplitter, LEAF};

/// Uniform values in [0, 1) from a fixed linear congruential sequence.
fn uniforms(n: usize, mut state: u64) -> Vec<f64> {
    (0..n)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect()
}

/// `n` rows of `d` uniform features; the class is `x0 > 0.5`.
fn data(n: usize, d: usize, state: u64) -> (Array2<f64>, Vec<u32>) {
    let x = Array2::from_shape_vec((n, d), uniforms(n * d, state)).unwrap();
    let y = x.column(0).iter().map(|&v| u32::from(v > 0.5)).collect();
    (x, y)
}

fn random_classifier(
    x: &Array2<f64>,
    y: &[u32],
    seed: u32,
    max_features: Option<usize>,
) -> CartModel {
    Cart::classifier()
        .splitter(CartSplitter::Random)
        .max_features(max_features)
        .seed(seed)
        .fit(x.view(), y, 2, None)
        .unwrap()
}

/// The training rows reaching each node.
fn rows_of_nodes(t: &CartModel, x: &Array2<f64>) -> Vec<Vec<usize>> {
    let mut rows = vec![Vec::new(); t.node_count()];
    for r in 0..x.nrows() {
        let row = x.row(r).to_vec();
        let mut i = 0;
        loop {
            rows[i].push(r);
            if t.children_left[i] == LEAF {
                break;
            }
            i = t.child(i, &row);
        }
    }
    rows
}

#[test]
fn thresholds_lie_in_the_nodes_range_of_their_feature() {
    let (mut x, y) = data(300, 4, 3);
    // Some missing values: the range is that of the others.
    for r in (0..300).step_by(7) {
        x[[r, 1]] = f64::NAN;
    }
    for seed in 1..6 {
        let t = random_classifier(&x, &y, seed, None);
        assert!(t.node_count() > 3);
        for (i, rows) in rows_of_nodes(&t, &x).iter().enumerate() {
            if t.children_left[i] == LEAF {
                continue;
            }
            let f = t.feature[i] as usize;
            let values: Vec<f64> = rows
                .iter()
                .map(|&r| f64::from(x[[r, f]] as f32))
                .filter(|v| !v.is_nan())
                .collect();
            let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let th = t.threshold[i];
            assert!(lo <= th && th < hi, "node {i}: {th} outside [{lo}, {hi})");
        }
    }
}

#[test]
fn the_seed_fixes_the_tree_and_not_the_threads() {
    let (x, y) = data(400, 5, 11);
    let a = random_classifier(&x, &y, 42, Some(2));
    assert_eq!(a, random_classifier(&x, &y, 42, Some(2)));
    let on_one = Cart::classifier()
        .splitter(CartSplitter::Random)
        .max_features(Some(2))
        .seed(42)
        .n_threads(Some(1))
        .fit(x.view(), &y, 2, None)
        .unwrap();
    let on_two = Cart::classifier()
        .splitter(CartSplitter::Random)
        .max_features(Some(2))
        .seed(42)
        .n_threads(Some(2))
        .fit(x.view(), &y, 2, None)
        .unwrap();
    assert_eq!(a, on_one);
    assert_eq!(a, on_two);
    // Another seed draws other thresholds.
    let b = random_classifier(&x, &y, 43, Some(2));
    assert_ne!(a.threshold, b.threshold);
}

#[test]
fn max_features_limits_the_features_searched() {
    // Only feature 0 tells the classes apart. Searching every feature, the
    // root splits on it for nearly every seed; searching one drawn feature
    // of five, the root splits on whichever was drawn.
    let (x, y) = data(400, 5, 5);
    let roots = |max_features| {
        (1..=60)
            .map(|seed| random_classifier(&x, &y, seed, max_features).feature[0])
            .collect::<Vec<_>>()
    };
    let all = roots(None);
    assert!(all.iter().filter(|&&f| f == 0).count() >= 50, "{all:?}");
    let one = roots(Some(1));
    let on_zero = one.iter().filter(|&&f| f == 0).count();
    // 60 draws of 1 feature in 5: about 12 on feature 0 (binomial sd 3.1).
    assert!((3..=25).contains(&on_zero), "{one:?}");
    for f in 1..5 {
        assert!(one.contains(&f), "feature {f} never drawn: {one:?}");
    }
}

#[test]
fn constant_features_are_not_split_and_pure_data_gives_a_leaf() {
    let (mut x, y) = data(200, 3, 9);
    x.column_mut(2).fill(4.0);
    for seed in 1..10 {
        let t = random_classifier(&x, &y, seed, None);
        assert!(t.feature.iter().all(|&f| f != 2));
    }
    let t = random_classifier(&x, &[1; 200], 1, None);
    assert_eq!(t.node_count(), 1);
}

#[test]
fn leaves_respect_min_samples_leaf_and_regression_fits() {
    let (x, _) = data(300, 3, 21);
    let y: Vec<f64> = x.rows().into_iter().map(|r| 3.0 * r[0] - r[1]).collect();
    for criterion in [
        CartCriterion::SquaredError,
        CartCriterion::AbsoluteError,
        CartCriterion::Poisson,
    ] {
        let yy: Vec<f64> = y.iter().map(|v| v + 1.0).collect();
        let t = Cart::regressor()
            .criterion(criterion)
            .splitter(CartSplitter::Random)
            .min_samples_leaf(5)
            .seed(3)
            .fit(x.view(), &yy, None)
            .unwrap();
        let leaves = (0..t.node_count()).filter(|&i| t.children_left[i] == LEAF);
        for i in leaves {
            assert!(t.n_node_samples[i] >= 5, "{criterion:?} leaf {i}");
        }
        assert!(t.node_count() > 10, "{criterion:?}");
        // Every split improves: its children's weighted impurity is below
        // the node's.
        for i in 0..t.node_count() {
            let (l, r) = (t.children_left[i], t.children_right[i]);
            if l == LEAF {
                continue;
            }
            let (l, r) = (l as usize, r as usize);
            let children = (t.weighted_n_node_samples[l] * t.impurity[l]
                + t.weighted_n_node_samples[r] * t.impurity[r])
                / t.weighted_n_node_samples[i];
            assert!(children <= t.impurity[i] + 1e-12, "{criterion:?} node {i}");
        }
    }
}

#[test]
fn a_feature_missing_in_the_first_row_gets_a_finite_threshold() {
    // scikit-learn's test_random_splitter_missing_values_uses_non_missing_min_max.
    let x = ndarray::array![[f64::NAN], [0.0], [1.0], [2.0]];
    let t = Cart::regressor()
        .splitter(CartSplitter::Random)
        .max_depth(Some(1))
        .seed(7)
        .fit(x.view(), &[0.0, 1.0, 2.0, 3.0], None)
        .unwrap();
    assert_ne!(t.children_left[0], LEAF);
    assert!((0.0..2.0).contains(&t.threshold[0]), "{}", t.threshold[0]);
}

#[test]
fn categorical_features_need_another_splitter() {
    let e = Cart::classifier()
        .splitter(CartSplitter::Random)
        .categorical_features(vec![0])
        .check()
        .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("invalid parameter categorical_features: the random splitter"),
        "{e}"
    );
}

#[test]
fn a_constraint_refuses_every_misordered_random_split() {
    // y falls with x: every threshold puts the larger mean left, so a
    // rising constraint admits no split at all. A falling one admits the
    // root's candidates all (the root is unbounded): its split is the
    // unconstrained tree's (same draws, same seed); deeper, the bounds
    // may refuse some, and the predictions never rise with x.
    let x = Array2::from_shape_fn((40, 1), |(r, _)| r as f64);
    let y: Vec<f64> = (0..40).map(|r| 100.0 - (r * r) as f64).collect();
    let fit = |cst: Option<Vec<i8>>| {
        Cart::regressor()
            .splitter(CartSplitter::Random)
            .monotonic_cst(cst)
            .seed(7)
            .fit(x.view(), &y, None)
            .unwrap()
    };
    assert_eq!(fit(Some(vec![1])).node_count(), 1);
    let (falling, free) = (fit(Some(vec![-1])), fit(None));
    assert!(falling.node_count() > 1);
    assert_eq!(falling.threshold[0], free.threshold[0]);
    let grid = Array2::from_shape_fn((90, 1), |(r, _)| r as f64 / 2.0 - 2.0);
    let p = falling.predict(grid.view()).unwrap();
    assert!(p.windows(2).into_iter().all(|w| w[1] <= w[0]), "{p:?}");
}

#[test]
fn free_constraints_leave_the_random_tree_unchanged() {
    let (x, y) = data(300, 4, 11);
    let fit = |cst: Option<Vec<i8>>| {
        Cart::classifier()
            .splitter(CartSplitter::Random)
            .monotonic_cst(cst)
            .seed(3)
            .fit(x.view(), &y, 2, None)
            .unwrap()
    };
    let (zeros, none) = (fit(Some(vec![0; 4])), fit(None));
    // Same splits; the values are the same shares, the second written
    // 1 − the first under constraints (so equal to the last bit only).
    assert_eq!(zeros.feature, none.feature);
    assert_eq!(zeros.threshold, none.threshold);
    for i in 0..none.node_count() {
        let (a, b) = (zeros.value.node(i), none.value.node(i));
        assert_eq!(a[0], b[0]);
        assert!((a[1] - b[1]).abs() <= 1e-15);
    }
}

#[test]
fn children_of_a_constrained_random_split_are_bounded_by_its_middle() {
    // Two groups along x0 (y = 0 for x0 < 10, y = 10 above, plus a small
    // rise inside each): the root's split, wherever it falls between
    // 0 and 19, has children means m_L < m_R and middle (m_L + m_R) / 2;
    // every node of the left subtree then holds a value <= that middle and
    // every node of the right one a value >= it.
    let x = Array2::from_shape_fn((20, 1), |(r, _)| r as f64);
    let y: Vec<f64> = (0..20)
        .map(|r| if r < 10 { 0.0 } else { 10.0 } + r as f64 * 0.01)
        .collect();
    let t = Cart::regressor()
        .splitter(CartSplitter::Random)
        .monotonic_cst(Some(vec![1]))
        .seed(5)
        .fit(x.view(), &y, None)
        .unwrap();
    assert!(t.node_count() > 1);
    let threshold = t.threshold[0];
    let mean = |rows: &mut dyn Iterator<Item = usize>| {
        let v: Vec<f64> = rows.map(|r| y[r]).collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    let m_left = mean(&mut (0..20).filter(|&r| (r as f64) <= threshold));
    let m_right = mean(&mut (0..20).filter(|&r| (r as f64) > threshold));
    let middle = m_left / 2.0 + m_right / 2.0;
    let rows = rows_of_nodes(&t, &x);
    for (i, node_rows) in rows.iter().enumerate().skip(1) {
        let v = t.value.node(i)[0];
        if node_rows.iter().all(|&r| (r as f64) <= threshold) {
            assert!(v <= middle + 1e-12, "node {i}: {v} above {middle}");
        } else {
            assert!(v >= middle - 1e-12, "node {i}: {v} below {middle}");
        }
    }
}
