//! Invariants of CART trees.

use ndarray::Array2;
use proptest::prelude::*;

use super::*;
use crate::error::CiblageError;

fn matrix(rows: &[(f64, f64, f64)]) -> Array2<f64> {
    Array2::from_shape_fn((rows.len(), 3), |(r, c)| {
        [rows[r].0, rows[r].1, rows[r].2][c]
    })
}

#[test]
fn toy_classification_as_sklearn() {
    // scikit-learn's test_classification_toy: X = [[-2,-1],[-1,-1],[-1,-2],[1,1],[1,2],[2,1]],
    // y = [-1,-1,-1,1,1,1]; T = [[-1,-1],[2,2],[3,2]] → [-1, 1, 1].
    let x = ndarray::array![
        [-2., -1.],
        [-1., -1.],
        [-1., -2.],
        [1., 1.],
        [1., 2.],
        [2., 1.]
    ];
    let t = Cart::classifier()
        .check()
        .unwrap()
        .fit(x.view(), &[0, 0, 0, 1, 1, 1], 2, None)
        .unwrap();
    let leaves = t
        .apply(ndarray::array![[-1., -1.], [2., 2.], [3., 2.]].view())
        .unwrap();
    let class = |l: usize| {
        if t.value.node(l)[1] > t.value.node(l)[0] {
            1
        } else {
            0
        }
    };
    assert_eq!(
        leaves.iter().map(|&l| class(l)).collect::<Vec<_>>(),
        [0, 1, 1]
    );
    let e = Cart::classifier().min_samples_split(1).check().unwrap_err();
    assert!(e
        .to_string()
        .starts_with("invalid parameter min_samples_split"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]
    #[test]
    fn classifier_predicts_training_labels_regressor_leaves_are_means(
        rows in proptest::collection::vec((-5.0..5.0f64, 0u8..4, -3.0..3.0f64), 2..80),
        labels in proptest::collection::vec(0u32..3, 80),
        weights in proptest::collection::vec(0.1..4.0f64, 80),
        seed in any::<u32>(),
    ) {
        let pts: Vec<(f64, f64, f64)> = rows.iter().map(|r| (r.0, f64::from(r.1), r.2)).collect();
        let x = matrix(&pts);
        let y: Vec<u32> = labels[..pts.len()].to_vec();
        let tree = Cart::classifier().seed(seed).check().unwrap().fit(x.view(), &y, 3, None).unwrap();
        let leaves = tree.apply(x.view()).unwrap();
        // A full tree's leaf gives each training row a class seen in that leaf.
        for (r, &l) in leaves.iter().enumerate() {
            prop_assert!(tree.value.node(l)[y[r] as usize] > 0.0);
        }
        // Regressor: each leaf value is the weighted mean of its rows.
        let target: Vec<f64> = pts.iter().map(|p| p.0 * 2.0 + p.2).collect();
        let w = &weights[..pts.len()];
        let reg = Cart::regressor().max_depth(Some(3)).check().unwrap()
            .fit(x.view(), &target, Some(w)).unwrap();
        let leaves = reg.apply(x.view()).unwrap();
        for l in 0..reg.node_count() {
            let (mut sum, mut total) = (0.0, 0.0);
            for ((&leaf, &t), &wi) in leaves.iter().zip(&target).zip(w) {
                if leaf == l {
                    sum += wi * t;
                    total += wi;
                }
            }
            if total > 0.0 {
                let mean = sum / total;
                prop_assert!((reg.value.node(l)[0] - mean).abs() <= 1e-9 * (1.0 + mean.abs()));
            }
        }
        // Larger alpha never gives more leaves; the pruned tree round-trips.
        // Non-decreasing up to rounding: scikit-learn's own path can step
        // back by ~1e-17 (e.g. −6.9e-18 on a 46-row case, identical in both).
        let (alphas, _) = tree.cost_complexity_pruning_path();
        prop_assert!(alphas.windows(2).all(|w| w[0] <= w[1] + 1e-12));
        // Pruning is monotone in alpha (taken in increasing order).
        let mut sorted = alphas.clone();
        sorted.sort_by(f64::total_cmp);
        let mut last = usize::MAX;
        for &a in &sorted {
            let leaves = tree.pruned(a).n_leaves();
            prop_assert!(leaves <= last);
            last = leaves;
        }
        let back = CartModel::from_json(&tree.to_json()).unwrap();
        prop_assert_eq!(&back, &tree);
    }
}

#[test]
fn dot_lists_nodes_and_edges() {
    let x = ndarray::array![[0.0], [1.0], [2.0], [3.0]];
    let t = Cart::classifier()
        .check()
        .unwrap()
        .fit(x.view(), &[0, 0, 1, 1], 2, None)
        .unwrap();
    let dot = t.to_dot(&["x".into()], &["no".into(), "yes".into()]);
    assert!(
        dot.contains("0 [label=\"x <= 1.500\\nimpurity = 0.500\\nsamples = 4\\nclass = no\"] ;"),
        "{dot}"
    );
    assert!(
        dot.contains("0 -> 1 [headlabel=\"True\"] ;")
            && dot.contains("0 -> 2 [headlabel=\"False\"] ;")
    );
    assert!(dot.contains("class = yes"));
}

proptest! {
    /// Best-first growth never exceeds its leaf budget, and a larger budget
    /// never gives a worse fit (total leaf impurity, weighted).
    #[test]
    fn leaf_budget_holds(rows in prop::collection::vec((0.0f64..10.0, 0.0f64..10.0, 0.0f64..5.0), 8..60),
                         budget in 2usize..12) {
        let x = matrix(&rows);
        let y: Vec<f64> = rows.iter().map(|r| r.2.floor()).collect();
        let fit = |b: usize| {
            Cart::regressor().max_leaf_nodes(Some(b)).check().unwrap().fit(x.view(), &y, None).unwrap()
        };
        let (small, large) = (fit(budget), fit(budget + 3));
        prop_assert!(small.n_leaves() <= budget);
        let leaf_error = |t: &CartModel| -> f64 {
            (0..t.node_count())
                .filter(|&i| t.children_left[i] == LEAF)
                .map(|i| t.impurity[i] * t.weighted_n_node_samples[i])
                .sum()
        };
        prop_assert!(leaf_error(&large) <= leaf_error(&small) + 1e-9);
    }
}

#[test]
fn leaf_budget_must_allow_a_split() {
    let e = Cart::classifier()
        .max_leaf_nodes(Some(1))
        .check()
        .unwrap_err();
    assert!(e.to_string().contains("max_leaf_nodes"), "{e}");
    let e = Cart::classifier()
        .max_features(Some(0))
        .check()
        .unwrap_err();
    assert!(e.to_string().contains("max_features"), "{e}");
}

#[test]
fn missing_values_learn_their_direction() {
    // x = 1, 2, 3, 4 (classes 0, 0, 1, 1) and two NaN rows. Classes 1 for the
    // NaN rows: x <= 2.5 with the NaN rows right ({0, 0} | {1, 1, 1, 1}).
    // Classes 0: they go left instead ({0, 0, 0, 0} | {1, 1}).
    let x = ndarray::array![[1.0], [2.0], [3.0], [4.0], [f64::NAN], [f64::NAN]];
    let fit = |y: &[u32]| {
        Cart::classifier()
            .check()
            .unwrap()
            .fit(x.view(), y, 2, None)
            .unwrap()
    };
    let t = fit(&[0, 0, 1, 1, 1, 1]);
    assert_eq!(t.threshold[0], 2.5);
    assert!(!t.goes_left_if_missing(0));
    assert_eq!(t.n_node_samples, [6, 2, 4]);
    let t = fit(&[0, 0, 1, 1, 0, 0]);
    assert!(t.goes_left_if_missing(0));
    assert_eq!(t.n_node_samples, [6, 4, 2]);
    let leaves = t
        .apply(ndarray::array![[f64::NAN], [1.5], [3.5]].view())
        .unwrap();
    assert_eq!(leaves, [1, 1, 2]);
    // Infinities are refused.
    assert!(t.apply(ndarray::array![[f64::INFINITY]].view()).is_err());
}

#[test]
fn fit_names_the_row_of_an_infinity() {
    // C order, Fortran order and a strided view: the same row is named.
    let x = ndarray::array![[0.0, 1.0], [2.0, 3.0], [4.0, f64::NEG_INFINITY], [5.0, 6.0]];
    let f = x.t().as_standard_layout().t().to_owned();
    let strided = ndarray::array![
        [0.0, 9.0, 1.0],
        [2.0, 9.0, 3.0],
        [4.0, 9.0, f64::NEG_INFINITY],
        [5.0, 9.0, 6.0]
    ];
    let y = [0, 1, 0, 1];
    for view in [x.view(), f.view(), strided.slice(ndarray::s![.., ..;2])] {
        let e = Cart::classifier()
            .check()
            .unwrap()
            .fit(view, &y, 2, None)
            .unwrap_err();
        assert!(e.to_string().contains("row 2"), "{e}");
    }
    let finite = ndarray::array![[0.0, 1.0], [2.0, f64::NAN], [4.0, 5.0], [5.0, 6.0]];
    assert!(Cart::classifier()
        .check()
        .unwrap()
        .fit(finite.view(), &y, 2, None)
        .is_ok());
}

#[test]
fn fit_refuses_features_beyond_the_f32_range() {
    // ±1e308 become ±inf as f32: the split between them had a NaN
    // threshold, and the exact splitter grew without end.
    let x = ndarray::array![[-1e308], [-1e300], [1e300], [1e308]];
    let y = [0, 0, 1, 1];
    for splitter in [
        CartSplitter::Exact,
        CartSplitter::Histogram { max_bins: 255 },
    ] {
        let e = Cart::classifier()
            .splitter(splitter)
            .check()
            .unwrap()
            .fit(x.view(), &y, 2, None)
            .unwrap_err();
        assert!(
            matches!(e, CiblageError::ValueOutOfRange { row: 0, .. }),
            "{e}"
        );
        assert!(
            e.to_string()
                .starts_with("X column 0: value -1e308 at row 0"),
            "{e}"
        );
    }
    // f32::MAX itself is a feature value: the tree splits at its midpoint
    // with 1 (as f32 sums, the threshold is finite).
    let x = ndarray::array![[1.0], [2.0], [3.0e38], [f64::from(f32::MAX)]];
    let t = Cart::classifier()
        .check()
        .unwrap()
        .fit(x.view(), &y, 2, None)
        .unwrap();
    assert!(t.threshold[0].is_finite() && t.threshold[0] > 2.0);
}

#[test]
fn huge_minimums_forbid_every_split() {
    // 2 · min_samples_leaf overflowed usize (a panic); now no split is
    // allowed, as with any minimum above the row count.
    let x = matrix(&[
        (0.0, 0.0, 0.0),
        (1.0, 1.0, 1.0),
        (2.0, 2.0, 2.0),
        (3.0, 3.0, 3.0),
    ]);
    for (leaf, split) in [(usize::MAX, 2), (1 << 63, 2), (1, usize::MAX)] {
        let t = Cart::classifier()
            .min_samples_leaf(leaf)
            .min_samples_split(split)
            .check()
            .unwrap()
            .fit(x.view(), &[0, 0, 1, 1], 2, None)
            .unwrap();
        assert_eq!(t.node_count(), 1);
    }
}

#[test]
fn regression_sums_out_of_range_are_refused() {
    // (1e200)² overflows: node impurities were NaN and the root's value inf.
    let x = ndarray::array![[0.0], [1.0], [2.0]];
    let e = Cart::regressor()
        .check()
        .unwrap()
        .fit(x.view(), &[1e200, -1e200, 1.0], None)
        .unwrap_err();
    assert!(matches!(e, CiblageError::SumOverflow { .. }), "{e}");
    let e = Cart::classifier()
        .check()
        .unwrap()
        .fit(x.view(), &[0, 1, 1], 2, Some(&[1e308, 1e308, 1.0]))
        .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("sample_weight: the sum of the weights"),
        "{e}"
    );
}

proptest! {
    /// With no more distinct values than bins, the histogram splitter finds
    /// the exact splitter's tree (classification: sums are exact).
    #[test]
    fn histogram_equals_exact_with_few_values(
        rows in prop::collection::vec((0u8..6, 0u8..9, 0u8..4, 0u32..3), 10..700),
        missing in prop::collection::vec(any::<bool>(), 700),
        depth in 1usize..12,
    ) {
        let x = Array2::from_shape_fn((rows.len(), 3), |(r, c)| {
            let v = [rows[r].0, rows[r].1, rows[r].2][c];
            if c == 1 && missing[r] { f64::NAN } else { f64::from(v) * 0.5 }
        });
        let y: Vec<u32> = rows.iter().map(|r| r.3).collect();
        let fit = |s: CartSplitter| {
            Cart::classifier().max_depth(Some(depth)).splitter(s).seed(7).check().unwrap()
                .with_single_stream().fit(x.view(), &y, 3, None).unwrap()
        };
        let exact = fit(CartSplitter::Exact);
        let hist = fit(CartSplitter::Histogram { max_bins: 16 });
        prop_assert_eq!(&exact.children_left, &hist.children_left);
        prop_assert_eq!(&exact.feature, &hist.feature);
        prop_assert_eq!(&exact.threshold, &hist.threshold);
        prop_assert_eq!(&exact.n_node_samples, &hist.n_node_samples);
        prop_assert_eq!(&exact.impurity, &hist.impurity);
    }
}

proptest! {
    /// The two-class Gini searches (left sums in scalars) find the trees of
    /// the general search, reached by declaring a third, absent class: same
    /// splits, thresholds and impurities, both splitters, with weights,
    /// missing values and leaf limits.
    #[test]
    fn two_class_gini_equals_the_general_search(
        rows in prop::collection::vec((0u16..40, 0u8..9, -50i32..50, 0u32..2, 1u8..4), 10..600),
        missing in prop::collection::vec(any::<bool>(), 600),
        (depth, min_leaf) in (1usize..14, 1usize..4),
        weighted in any::<bool>(),
    ) {
        let x = Array2::from_shape_fn((rows.len(), 3), |(r, c)| match c {
            0 => f64::from(rows[r].0) * 0.25,
            1 if missing[r] => f64::NAN,
            1 => f64::from(rows[r].1),
            _ => f64::from(rows[r].2) / 7.0,
        });
        let y: Vec<u32> = rows.iter().map(|r| r.3).collect();
        let w: Vec<f64> = rows.iter().map(|r| f64::from(r.4) / 3.0).collect();
        for splitter in [CartSplitter::Exact, CartSplitter::Histogram { max_bins: 32 }] {
            let fit = |n_classes: usize| {
                Cart::classifier()
                    .max_depth(Some(depth))
                    .min_samples_leaf(min_leaf)
                    .splitter(splitter)
                    .seed(3)
                    .check()
                    .unwrap()
                    .fit(x.view(), &y, n_classes, weighted.then_some(&w[..]))
                    .unwrap()
            };
            let (two, general) = (fit(2), fit(3));
            prop_assert_eq!(&two.children_left, &general.children_left);
            prop_assert_eq!(&two.feature, &general.feature);
            prop_assert_eq!(&two.threshold, &general.threshold);
            prop_assert_eq!(&two.missing_go_to_left, &general.missing_go_to_left);
            prop_assert_eq!(&two.impurity, &general.impurity);
            prop_assert_eq!(&two.weighted_n_node_samples, &general.weighted_n_node_samples);
        }
    }
}

proptest! {
    /// Regression, weighted, with missing values, depth first or best
    /// first (`max_leaf_nodes`): with no more distinct
    /// values than bins and small whole targets and weights (sums exact in
    /// any order), the histogram splitter finds the exact splitter's tree,
    /// from nodes searched on histograms (over 256 rows) down to nodes
    /// searched from their rows.
    #[test]
    fn histogram_equals_exact_regression(
        rows in prop::collection::vec((0u8..12, 0u8..30, 0u8..5, 0u8..7, 1u8..4), 10..900),
        missing in prop::collection::vec(any::<bool>(), 900),
        min_leaf in 1usize..4,
        leaves in prop::option::of(2usize..40),
    ) {
        let x = Array2::from_shape_fn((rows.len(), 3), |(r, c)| {
            let v = [rows[r].0, rows[r].1, rows[r].2][c];
            if c == 2 && missing[r] { f64::NAN } else { f64::from(v) }
        });
        let y: Vec<f64> = rows.iter().map(|r| f64::from(r.3)).collect();
        let w: Vec<f64> = rows.iter().map(|r| f64::from(r.4)).collect();
        let fit = |s: CartSplitter| {
            Cart::regressor().min_samples_leaf(min_leaf).max_leaf_nodes(leaves).splitter(s).seed(5)
                .check().unwrap().with_single_stream().fit(x.view(), &y, Some(&w)).unwrap()
        };
        let exact = fit(CartSplitter::Exact);
        let hist = fit(CartSplitter::Histogram { max_bins: 64 });
        prop_assert_eq!(&exact.children_left, &hist.children_left);
        prop_assert_eq!(&exact.feature, &hist.feature);
        prop_assert_eq!(&exact.threshold, &hist.threshold);
        prop_assert_eq!(&exact.missing_go_to_left, &hist.missing_go_to_left);
        prop_assert_eq!(&exact.n_node_samples, &hist.n_node_samples);
        prop_assert_eq!(&exact.impurity, &hist.impurity);
    }
}

#[test]
fn histogram_trees_do_not_depend_on_threads() {
    // 3,000 rows, 5 features with many values (quantile bins).
    let n = 3_000;
    let x = Array2::from_shape_fn((n, 5), |(r, c)| {
        ((r * (7 + c) * 2_654_435_761) % 10_007) as f64 / 7.0
    });
    let y: Vec<f64> = (0..n)
        .map(|r| x[[r, 0]] * 0.3 - x[[r, 3]] * 0.1 + (r % 13) as f64)
        .collect();
    let fit = |threads: usize| {
        Cart::regressor()
            .max_depth(Some(8))
            .splitter(CartSplitter::Histogram { max_bins: 32 })
            .n_threads(Some(threads))
            .check()
            .unwrap()
            .fit(x.view(), &y, None)
            .unwrap()
    };
    let one = fit(1);
    assert!(one.node_count() > 100);
    assert_eq!(one, fit(2));
    assert_eq!(one, fit(3));
    let e = Cart::regressor()
        .splitter(CartSplitter::Histogram { max_bins: 1 })
        .check()
        .unwrap_err();
    assert!(e.to_string().contains("max_bins"), "{e}");
}

proptest! {
    /// The presort (a radix sort) orders values as `f32::total_cmp`, ties by
    /// row: the same trees as a comparison sort would give.
    #[test]
    fn radix_presort_matches_total_order(values in prop::collection::vec(
        prop_oneof![Just(0.0f32), Just(-0.0f32), Just(f32::NAN), Just(1.5f32), -1e3f32..1e3], 1..200)) {
        let mut keyed: Vec<(f32, u32)> = values.iter().enumerate().map(|(i, &v)| (v, i as u32)).collect();
        let mut expected = keyed.clone();
        expected.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        radsort::sort_by_key(&mut keyed, |e| e.0);
        let bits = |v: &[(f32, u32)]| v.iter().map(|e| (e.0.to_bits(), e.1)).collect::<Vec<_>>();
        prop_assert_eq!(bits(&keyed), bits(&expected));
    }
}
