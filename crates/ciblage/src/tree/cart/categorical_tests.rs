//! Categorical splits and Poisson trees.

use ndarray::Array2;
use proptest::prelude::*;

use super::*;

#[test]
fn categorical_split_groups_categories_by_rate() {
    // Categories 0..4 with class-1 rates 0.9, 0.1, 0.8, 0.2 (10 rows each):
    // no threshold on the codes separates them in one split, a subset does:
    // {1, 3} (rates 0.1, 0.2) left, {0, 2} right.
    let rates = [9usize, 1, 8, 2];
    let mut x = Vec::new();
    let mut y = Vec::new();
    for (c, &ones) in rates.iter().enumerate() {
        for k in 0..10 {
            x.push(c as f64);
            y.push(u32::from(k < ones));
        }
    }
    x.push(f64::NAN);
    y.push(1);
    let x = Array2::from_shape_vec((x.len(), 1), x).unwrap();
    let t = Cart::classifier()
        .max_depth(Some(1))
        .categorical_features(vec![0])
        .check()
        .unwrap()
        .fit(x.view(), &y, 2, None)
        .unwrap();
    let (left, right) = *t.categories[0].clone().unwrap();
    assert_eq!((left, right), (vec![1, 3], vec![0, 2]));
    // The missing row (class 1) sorts after the high-rate categories: right.
    assert!(!t.goes_left_if_missing(0));
    assert_eq!(t.n_node_samples, [41, 20, 21]);
    // Unseen category 7 and NaN follow the missing values; 3 goes left.
    let leaves = t
        .apply(ndarray::array![[3.0], [0.0], [7.0], [f64::NAN]].view())
        .unwrap();
    assert_eq!(leaves, [1, 2, 2, 2]);
    assert_eq!(
        t.rule(1, &["region".into()]),
        ["region in {1, 3}".to_string()]
    );
    assert!(t.sql_rule(2, &["region".into()]).contains("IS NULL"));
    // Codes must be non-negative integers.
    let bad = ndarray::array![[0.5], [1.0]];
    assert!(Cart::classifier()
        .categorical_features(vec![0])
        .check()
        .unwrap()
        .fit(bad.view(), &[0, 1], 2, None)
        .is_err());
    // The histogram splitter finds the same split; too many categories for
    // its bins are refused.
    let h = Cart::classifier()
        .max_depth(Some(1))
        .categorical_features(vec![0])
        .splitter(CartSplitter::Histogram { max_bins: 8 })
        .check()
        .unwrap()
        .fit(x.view(), &y, 2, None)
        .unwrap();
    assert_eq!(h.categories, t.categories);
    assert_eq!(h.n_node_samples, t.n_node_samples);
    let few = Cart::classifier()
        .categorical_features(vec![0])
        .splitter(CartSplitter::Histogram { max_bins: 3 })
        .check()
        .unwrap()
        .fit(x.view(), &y, 2, None);
    assert!(few.unwrap_err().to_string().contains("max_bins"));
}

proptest! {
    /// With categorical features too, the histogram splitter finds the
    /// exact splitter's tree (classification).
    #[test]
    fn histogram_equals_exact_with_categories(
        rows in prop::collection::vec((0u8..7, 0u8..5, 0u32..3), 10..700),
        missing in prop::collection::vec(any::<bool>(), 700),
        depth in 1usize..10,
    ) {
        let x = Array2::from_shape_fn((rows.len(), 2), |(r, c)| {
            if c == 0 && missing[r] { f64::NAN } else { f64::from([rows[r].0, rows[r].1][c]) }
        });
        let y: Vec<u32> = rows.iter().map(|r| r.2).collect();
        let fit = |s: CartSplitter| {
            Cart::classifier().max_depth(Some(depth)).categorical_features(vec![0]).splitter(s)
                .seed(3).check().unwrap().with_single_stream().fit(x.view(), &y, 3, None).unwrap()
        };
        let exact = fit(CartSplitter::Exact);
        let hist = fit(CartSplitter::Histogram { max_bins: 16 });
        prop_assert_eq!(&exact.children_left, &hist.children_left);
        prop_assert_eq!(&exact.categories, &hist.categories);
        prop_assert_eq!(&exact.threshold, &hist.threshold);
        prop_assert_eq!(&exact.n_node_samples, &hist.n_node_samples);
        prop_assert_eq!(&exact.missing_go_to_left, &hist.missing_go_to_left);
    }

    /// For two classes, the categorical split is the best of all subsets
    /// (Breiman's ordering theorem), checked by brute force with Gini.
    #[test]
    fn categorical_split_is_the_best_subset(counts in prop::collection::vec((0u32..12, 0u32..12), 2..6)) {
        let mut x = Vec::new();
        let mut y = Vec::new();
        for (c, &(zeros, ones)) in counts.iter().enumerate() {
            for k in 0..zeros + ones {
                x.push(c as f64);
                y.push(u32::from(k >= zeros));
            }
        }
        prop_assume!(x.len() >= 2 && y.contains(&0) && y.contains(&1));
        let present: Vec<usize> = (0..counts.len()).filter(|&c| counts[c].0 + counts[c].1 > 0).collect();
        prop_assume!(present.len() >= 2);
        let n = x.len();
        let x = Array2::from_shape_vec((n, 1), x).unwrap();
        let t = Cart::classifier().max_depth(Some(1)).categorical_features(vec![0]).check().unwrap()
            .fit(x.view(), &y, 2, None).unwrap();
        // Weighted Gini of the children, brute force over bipartitions.
        let gini = |z: f64, o: f64| if z + o == 0.0 { 0.0 } else { (z + o) * (1.0 - (z * z + o * o) / ((z + o) * (z + o))) };
        let m = present.len();
        let mut best = f64::INFINITY;
        for mask in 1..(1u32 << (m - 1)) {
            let (mut lz, mut lo, mut rz, mut ro) = (0.0, 0.0, 0.0, 0.0);
            for (k, &c) in present.iter().enumerate() {
                let (z, o) = (f64::from(counts[c].0), f64::from(counts[c].1));
                if k + 1 < m && mask & (1 << k) != 0 { lz += z; lo += o; } else { rz += z; ro += o; }
            }
            best = best.min(gini(lz, lo) + gini(rz, ro));
        }
        if t.node_count() == 3 {
            let got = t.impurity[1] * t.weighted_n_node_samples[1] + t.impurity[2] * t.weighted_n_node_samples[2];
            prop_assert!((got - best).abs() < 1e-9, "{} vs {}", got, best);
        } else {
            // No split: the root is pure in Gini terms or no partition improves.
            prop_assert!(best >= t.impurity[0] * t.weighted_n_node_samples[0] - 1e-9);
        }
    }
}

#[test]
fn poisson_leaves_are_means_and_counts_are_required() {
    // Counts 0, 1 at x < 5 and 6, 8 above: one split at 4.5; the left
    // child's loss is Σ y·ln(y/ȳ) = 1·ln(1/0.5) = ln 2 over 2 rows.
    let x = ndarray::array![[1.0], [2.0], [8.0], [9.0]];
    let y = [0.0, 1.0, 6.0, 8.0];
    let t = Cart::regressor()
        .criterion(CartCriterion::Poisson)
        .max_depth(Some(1))
        .check()
        .unwrap()
        .fit(x.view(), &y, None)
        .unwrap();
    assert_eq!(t.threshold[0], 5.0);
    assert_eq!((t.value.node(1)[0], t.value.node(2)[0]), (0.5, 7.0));
    assert!((t.impurity[1] - std::f64::consts::LN_2 / 2.0).abs() < 1e-12);
    let bad = Cart::regressor()
        .criterion(CartCriterion::Poisson)
        .check()
        .unwrap()
        .fit(x.view(), &[0.0, -1.0, 2.0, 3.0], None);
    assert!(bad
        .unwrap_err()
        .to_string()
        .contains("poisson needs counts"));
}

#[test]
fn poisson_categorical_leaves_have_their_own_losses() {
    // Category 1 holds the large counts (8, 9); categories 0 and 2 the small
    // ones (1, 2 and 3, 1). Feature 0 cannot separate them, so the root
    // splits feature 1 into {0, 2} | {1} and, at depth 1, the children are
    // leaves. Each child's impurity is Σ y·ln(y/ȳ) / n over its own rows.
    let x = ndarray::array![
        [1.0, 1.0],
        [2.0, 0.0],
        [3.0, 2.0],
        [4.0, 1.0],
        [5.0, 0.0],
        [6.0, 2.0]
    ];
    let y = [8.0, 1.0, 3.0, 9.0, 2.0, 1.0];
    let loss = |ys: &[f64]| {
        let mean = ys.iter().sum::<f64>() / ys.len() as f64;
        ys.iter().map(|y| y * (y / mean).ln()).sum::<f64>() / ys.len() as f64
    };
    let (small, large) = (loss(&[1.0, 3.0, 2.0, 1.0]), loss(&[8.0, 9.0]));
    for splitter in [
        CartSplitter::Exact,
        CartSplitter::Histogram { max_bins: 255 },
    ] {
        let t = Cart::regressor()
            .criterion(CartCriterion::Poisson)
            .max_depth(Some(1))
            .categorical_features(vec![1])
            .splitter(splitter)
            .check()
            .unwrap()
            .fit(x.view(), &y, None)
            .unwrap();
        assert_eq!(t.feature[0], 1);
        let (l, r) = (t.children_left[0] as usize, t.children_right[0] as usize);
        let (low, high) = if t.value.node(l)[0] < t.value.node(r)[0] {
            (l, r)
        } else {
            (r, l)
        };
        assert_eq!((t.value.node(low)[0], t.value.node(high)[0]), (1.75, 8.5));
        assert!(
            (t.impurity[low] - small).abs() < 1e-12,
            "{} vs {small}",
            t.impurity[low]
        );
        assert!(
            (t.impurity[high] - large).abs() < 1e-12,
            "{} vs {large}",
            t.impurity[high]
        );
    }
}
