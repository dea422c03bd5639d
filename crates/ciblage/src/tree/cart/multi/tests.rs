//! Trees of several outputs against hand-computed splits.

use ndarray::array;

use crate::tree::cart::{Cart, CartCriterion, CartModel, CartSplitter};

#[test]
fn the_split_minimises_the_mean_impurity_of_the_outputs() {
    // Output 0 is split best at 0.5 (rows {0} | {1, 2, 3}), output 1 at
    // 2.5 ({0, 1, 2} | {3}). Gini proxies −w_R·I_R − w_L·I_L, mean of the
    // outputs: at 0.5, output 0 is pure on both sides, output 1 has [0]
    // left and [0, 0, 1] right (Gini 4/9): I_L = 0, I_R = (0 + 4/9)/2;
    // proxy −3·2/9 = −2/3. At 2.5: output 0 [0, 1, 1] | [1] (4/9), output
    // 1 pure: the same −2/3; the first (0.5) is kept (strict improvement).
    // At 1.5: output 0 [0, 1] | [1, 1] (1/2, 0), output 1 [0, 0] | [0, 1]
    // (0, 1/2): I_L = I_R = 1/4, proxy −1: worse.
    let x = array![[0.0], [1.0], [2.0], [3.0]];
    let y = array![[0, 0], [1, 0], [1, 0], [1, 1]];
    let t = Cart::classifier()
        .fit_outputs(x.view(), y.view(), &[2, 2], None)
        .unwrap();
    assert_eq!(t.threshold[0], 0.5);
    assert_eq!(t.n_outputs(), 2);
    // Root impurity: output 0 Gini 3/8, output 1 3/8: mean 3/8.
    assert!((t.impurity[0] - 0.375).abs() < 1e-15);
    // The right child (node 2): output 0 all class 1, output 1 2/3, 1/3.
    let right = t.value.node(2);
    assert_eq!(&right[..2], &[0.0, 1.0]);
    assert!((right[2] - 2.0 / 3.0).abs() < 1e-15);
    // Predictions come back per output.
    let p = t.predict_outputs(x.view()).unwrap();
    assert_eq!(p.shape(), &[4, 2]);
}

#[test]
fn regression_means_and_impurity_per_output() {
    // Outputs [1, 1, 5, 5] and [10, 10, 0, 2]: the best split 1.5 (both
    // outputs agree); the root's impurity is the mean of the variances
    // (4 and 74.0 − 5.5² = 18.75... computed: mean 5.5, Σy² = 204,
    // 204/4 − 30.25 = 20.75): (4 + 20.75)/2 = 12.375.
    let x = array![[0.0], [1.0], [2.0], [3.0]];
    let y = array![[1.0, 10.0], [1.0, 10.0], [5.0, 0.0], [5.0, 2.0]];
    let t = Cart::regressor()
        .fit_outputs(x.view(), y.view(), None)
        .unwrap();
    assert_eq!(t.threshold[0], 1.5);
    assert!((t.impurity[0] - 12.375).abs() < 1e-12, "{}", t.impurity[0]);
    assert_eq!(t.value.node(1), &[1.0, 10.0]);
    // One column is the single-output fit, node for node.
    let one = Cart::regressor()
        .fit_outputs(x.view(), y.slice(ndarray::s![.., 0..1]), None)
        .unwrap();
    let single = Cart::regressor()
        .fit(x.view(), &[1.0, 1.0, 5.0, 5.0], None)
        .unwrap();
    assert_eq!(one, single);
}

#[test]
fn absolute_error_sums_the_outputs_errors_about_their_medians() {
    // Output 0 [1, 1, 5, 5]: the cumulative weight reaches half (2) at the
    // second 1, so the median is the midpoint 3, error 2·2 + 2·2 = 8.
    // Output 1 [10, 10, 0, 2] sorted [0, 2, 10, 10]: median 6, error
    // 6 + 4 + 4 + 4 = 18. Root impurity (8 + 18) / (4 weights × 2
    // outputs) = 3.25.
    let x = array![[0.0], [1.0], [2.0], [3.0]];
    let y = array![[1.0, 10.0], [1.0, 10.0], [5.0, 0.0], [5.0, 2.0]];
    let t = Cart::regressor()
        .criterion(CartCriterion::AbsoluteError)
        .fit_outputs(x.view(), y.view(), None)
        .unwrap();
    assert_eq!(t.impurity[0], 3.25);
    assert_eq!(t.value.node(0), &[3.0, 6.0]);
    assert_eq!(t.threshold[0], 1.5);
    // Left child rows 0, 1: both outputs constant, impurity 0.
    assert_eq!(t.value.node(1), &[1.0, 10.0]);
    assert_eq!(t.impurity[1], 0.0);
}

#[test]
fn what_several_outputs_do_not_take_is_refused_by_name() {
    let x = array![[0.0], [1.0], [2.0], [3.0]];
    let y = array![[1.0, 10.0], [1.0, 10.0], [5.0, 0.0], [5.0, 2.0]];
    let e = Cart::regressor()
        .splitter(CartSplitter::Histogram { max_bins: 255 })
        .fit_outputs(x.view(), y.view(), None)
        .unwrap_err();
    assert!(e.to_string().contains("splitter"), "{e}");
    let zero = array![[1.0, 0.0], [2.0, 0.0], [1.0, 0.0], [3.0, 0.0]];
    let e = Cart::regressor()
        .criterion(CartCriterion::Poisson)
        .fit_outputs(x.view(), zero.view(), None)
        .unwrap_err();
    assert!(e.to_string().contains("output 1"), "{e}");
    let yc = array![[0u32, 1], [0, 2]];
    let e = Cart::classifier()
        .fit_outputs(x.slice(ndarray::s![..2, ..]), yc.view(), &[2, 2], None)
        .unwrap_err();
    assert!(e.to_string().contains("output 1"), "{e}");
}

#[test]
fn several_outputs_are_saved_and_read_back_checked() {
    let x = array![[0.0], [1.0], [2.0], [3.0]];
    let y = array![[0u32, 1], [0, 1], [1, 0], [1, 2]];
    let t = Cart::classifier()
        .fit_outputs(x.view(), y.view(), &[2, 3], None)
        .unwrap();
    let back = CartModel::from_json(&t.to_json()).unwrap();
    assert_eq!(back, t);
    // An output of more classes than the tree's: refused at load.
    let bad = t
        .to_json()
        .replace("\"output_classes\":[2,3]", "\"output_classes\":[2,4]");
    assert_ne!(bad, t.to_json());
    let e = CartModel::from_json(&bad).unwrap_err();
    assert!(e.to_string().contains("output_classes"), "{e}");
}

#[test]
fn missing_values_go_to_the_side_that_splits_best() {
    // One feature [0, 1, NaN, 3]. Candidates with the missing sample sent
    // right: {0} | {1, 3, NaN}, {0, 1} | {3, NaN} (threshold 2), and
    // {0, 1, 3} | {NaN} (threshold ∞); sent left: {NaN, 0} | {1, 3} and
    // {NaN, 0, 1} | {3} (threshold 2).
    let x = array![[0.0], [1.0], [f64::NAN], [3.0]];
    // The missing sample is like the last: {0, 1} | {3, NaN} is pure.
    let y = array![[0.0, 1.0], [0.0, 1.0], [10.0, 5.0], [10.0, 5.0]];
    let t = Cart::regressor()
        .fit_outputs(x.view(), y.view(), None)
        .unwrap();
    assert_eq!((t.threshold[0], t.missing_go_to_left[0]), (2.0, false));
    assert_eq!(t.value.node(2), &[10.0, 5.0]);
    // Like the first two: {NaN, 0, 1} | {3} is pure, from the second pass.
    let y = array![[0.0, 1.0], [0.0, 1.0], [0.0, 1.0], [10.0, 5.0]];
    let t = Cart::regressor()
        .fit_outputs(x.view(), y.view(), None)
        .unwrap();
    assert_eq!((t.threshold[0], t.missing_go_to_left[0]), (2.0, true));
    let p = t.predict_outputs(array![[f64::NAN], [2.5]].view()).unwrap();
    assert_eq!(p.row(0).to_vec(), [0.0, 1.0]);
    assert_eq!(p.row(1).to_vec(), [10.0, 5.0]);
    // Unlike every other: only the missing sample goes right (∞).
    let y = array![[0.0, 1.0], [0.0, 1.0], [10.0, 5.0], [0.0, 1.0]];
    let t = Cart::classifier()
        .fit_outputs(
            x.view(),
            y.mapv(|v| u32::from(v > 0.0)).view(),
            &[2, 2],
            None,
        )
        .unwrap();
    assert_eq!(
        (t.threshold[0], t.missing_go_to_left[0]),
        (f64::INFINITY, false)
    );
}

#[test]
fn presorted_orders_give_the_trees_of_the_sorting_search() {
    // A feature of many equal values, two of distinct ones, targets and
    // weights whose sums are not exact (scikit-learn's sort then runs for
    // the first feature where its values repeat, the presorted order is
    // read for the others), with and without missing values: the tree is
    // the one of scikit-learn's search sorting every feature at every node
    // (checked against scikit-learn in tests/test_cart_multioutput.py),
    // node for node. Integer targets and weights (exact sums) read every
    // presorted order.
    let n = 600usize;
    let hash = |i: usize, j: usize| ((i * 2_654_435_761 + j * 40_503 + 7) % 1_000_003) as f64;
    let x = ndarray::Array2::from_shape_fn((n, 3), |(i, j)| match j {
        0 => (hash(i, 0) as usize % 5) as f64,
        _ => hash(i, j) / 1000.0,
    });
    let mut xn = x.clone();
    for i in (0..n).step_by(7) {
        xn[[i, (i / 7) % 3]] = f64::NAN;
    }
    let y = ndarray::Array2::from_shape_fn((n, 2), |(i, o)| {
        x[[i, 0]] * (o as f64 + 1.0) + hash(i, 9 + o) / 1e6
    });
    let yi = y.mapv(f64::round);
    let codes = ndarray::Array2::from_shape_fn((n, 2), |(i, o)| {
        (x[[i, 0]] as u32 + u32::from(hash(i, 20 + o) % 4.0 == 0.0)) % 3
    });
    let w: Vec<f64> = (0..n).map(|i| 0.5 + (i % 3) as f64 * 0.25).collect();
    let wi: Vec<f64> = (0..n).map(|i| (i % 3) as f64).collect();
    let both = |fit: &dyn Fn() -> CartModel| {
        let presorted = fit();
        super::presorted::SORT_EVERY_FEATURE.with(|s| s.set(true));
        let sorting = fit();
        super::presorted::SORT_EVERY_FEATURE.with(|s| s.set(false));
        assert!(presorted.node_count() > 30, "{}", presorted.node_count());
        assert_eq!(presorted, sorting);
    };
    for x in [&x, &xn] {
        for (y, w) in [(&y, &w), (&yi, &wi)] {
            both(&|| {
                Cart::regressor()
                    .min_samples_leaf(3)
                    .fit_outputs(x.view(), y.view(), Some(w))
                    .unwrap()
            });
        }
        for w in [&w, &wi] {
            both(&|| {
                Cart::classifier()
                    .criterion(CartCriterion::Entropy)
                    .max_leaf_nodes(Some(40))
                    .fit_outputs(x.view(), codes.view(), &[3, 3], Some(w))
                    .unwrap()
            });
        }
    }
}

#[test]
fn gini_kept_incrementally_gives_the_trees_of_the_pass_over_classes() {
    // Two, three and four outputs of 2, 3, 4 and 2 classes over 3 features
    // (one of few values), weights none, integers, and integers with
    // zeros, leaves of 1 or 4 samples (or of a fiftieth of the weight), fully
    // grown or splitting from 9 samples: the tree with the Gini index kept
    // incrementally (candidates screened against the best, the scan of 2
    // to 4 outputs in registers, the presorted orders not partitioned
    // below children that are surely leaves) is the one of the pass over
    // the classes sorting every feature at every node (checked against
    // scikit-learn in tests/test_cart_multioutput.py), node for node,
    // impurities to the bit.
    let n = 900usize;
    let hash = |i: usize, j: usize| ((i * 2_654_435_761 + j * 40_503 + 11) % 1_000_003) as f64;
    let x = ndarray::Array2::from_shape_fn((n, 3), |(i, j)| match j {
        0 => (hash(i, 0) as usize % 7) as f64,
        _ => hash(i, j) / 1000.0,
    });
    let codes = ndarray::Array2::from_shape_fn((n, 4), |(i, o)| {
        let noise = u32::from(hash(i, 30 + o) % 5.0 == 0.0);
        ((x[[i, o % 3]] as u32 / (o as u32 + 1)) + noise) % [2, 3, 4, 2][o]
    });
    let classes = [2usize, 3, 4, 2];
    let wi: Vec<f64> = (0..n).map(|i| (1 + i % 3) as f64).collect();
    let wz: Vec<f64> = (0..n).map(|i| (i % 4) as f64).collect();
    for k in 2..=4 {
        let y = codes.slice(ndarray::s![.., ..k]);
        for w in [None, Some(&wi[..]), Some(&wz[..])] {
            for (leaf, fraction, split) in [
                (1usize, 0.0, 2usize),
                (4, 0.0, 2),
                (1, 0.02, 2),
                (1, 0.0, 9),
            ] {
                let fit = || {
                    Cart::classifier()
                        .min_samples_leaf(leaf)
                        .min_weight_fraction_leaf(fraction)
                        .min_samples_split(split)
                        .fit_outputs(x.view(), y, &classes[..k], w)
                        .unwrap()
                };
                let counted = fit();
                super::counts::PASS_OVER_CLASSES.with(|s| s.set(true));
                super::presorted::SORT_EVERY_FEATURE.with(|s| s.set(true));
                let pass = fit();
                super::counts::PASS_OVER_CLASSES.with(|s| s.set(false));
                super::presorted::SORT_EVERY_FEATURE.with(|s| s.set(false));
                assert!(counted.node_count() > 20, "{}", counted.node_count());
                assert_eq!(
                    counted, pass,
                    "{k} outputs, leaf {leaf}, fraction {fraction}, split {split}"
                );
            }
        }
    }
}

#[test]
fn bounded_search_gives_the_trees_of_the_sorting_search() {
    // Unit weights and float targets of full precision, features of few
    // values (ties in every node) and of distinct ones, a copy of a
    // feature (candidates equal in exact arithmetic, too close to call),
    // fully grown and shallow: the tree of the bounded search (no sort
    // where the best candidate is clear) is the one of scikit-learn's
    // search sorting every feature at every node (checked against
    // scikit-learn in tests/test_cart_multioutput.py): the same splits
    // node for node, sums within rounding. Without scikit-learn's order
    // replayed below a split, the fit starts again where a node out of its
    // order is too close to call.
    let n = 700usize;
    let hash = |i: usize, j: usize| ((i * 2_654_435_761 + j * 40_503 + 3) % 1_000_003) as f64;
    for (copy, no_replay) in [(false, false), (true, false), (false, true), (true, true)] {
        super::bounded::NO_REPLAY.with(|c| c.set(no_replay));
        let x = ndarray::Array2::from_shape_fn((n, 7), |(i, j)| match j {
            0 => (hash(i, 0) as usize % 6) as f64,
            1 => (hash(i, 1) as usize % 40) as f64 / 8.0,
            6 if copy => hash(i, 2) / 1000.0,
            _ => hash(i, j) / 1000.0,
        });
        let y = ndarray::Array2::from_shape_fn((n, 3), |(i, o)| {
            x[[i, 0]] * (o as f64 + 0.3) - x[[i, 1]] / 3.0 + hash(i, 9 + o) / 7e5
        });
        for depth in [None, Some(3)] {
            let fit = || {
                Cart::regressor()
                    .max_depth(depth)
                    .fit_outputs(x.view(), y.view(), None)
                    .unwrap()
            };
            super::bounded::COUNTS.with(|c| c.set([0; 4]));
            let bounded = fit();
            let counts = super::bounded::COUNTS.with(std::cell::Cell::get);
            super::presorted::SORT_EVERY_FEATURE.with(|s| s.set(true));
            let sorting = fit();
            super::presorted::SORT_EVERY_FEATURE.with(|s| s.set(false));
            assert!(counts[0] > 3, "{counts:?}");
            assert_eq!(bounded.feature, sorting.feature, "{copy} {depth:?}");
            assert_eq!(bounded.threshold, sorting.threshold);
            assert_eq!(bounded.children_left, sorting.children_left);
            assert_eq!(bounded.n_node_samples, sorting.n_node_samples);
            for (a, b) in bounded.impurity.iter().zip(&sorting.impurity) {
                assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{a} {b}");
            }
            for i in 0..bounded.node_count() {
                for (a, b) in bounded.value.node(i).iter().zip(sorting.value.node(i)) {
                    assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{a} {b}");
                }
            }
            if depth.is_none() {
                // Equal candidates (of the copied feature, or splitting
                // small nodes alike): searched again, or (no replay of
                // scikit-learn's order) the fit started again.
                assert!(counts[1] + counts[2] + counts[3] > 0, "{counts:?}");
                assert_eq!(counts[2] > 0, no_replay, "{counts:?}");
            }
        }
    }
    super::bounded::NO_REPLAY.with(|c| c.set(false));
}
