//! The sparse exact splitter grows the dense splitter's trees, node for
//! node (the dense matrix's trees are scikit-learn's, checked elsewhere):
//! classification and regression, weights (zero ones too), feature draws,
//! both growth orders and every limit.

use ndarray::Array2;
use proptest::prelude::*;

use crate::tree::cart::shared::data::TrainSet;
use crate::tree::cart::sparse::exact::SparseSplitter;
use crate::tree::cart::sparse::{Columns, CscView};
use crate::tree::cart::{Cart, CartCriterion, CartModel, CartSplitter};

/// CSC arrays of `x`: its cells other than +0.0, and an explicit zero in every
/// cell where `(r + 3f) % 13 == 0` (as a sparse matrix may hold them).
fn csc_of(x: &Array2<f64>) -> (Vec<i64>, Vec<i64>, Vec<f64>) {
    let (mut indptr, mut indices, mut data) = (vec![0i64], Vec::new(), Vec::new());
    for f in 0..x.ncols() {
        for r in 0..x.nrows() {
            let v = x[[r, f]];
            if v.to_bits() != 0 || (r + 3 * f) % 13 == 0 {
                indices.push(r as i64);
                data.push(v);
            }
        }
        indptr.push(indices.len() as i64);
    }
    (indptr, indices, data)
}

/// A deterministic generator (a 64-bit LCG), values in [0, 1).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `n` × `d`, about `density` of the cells non-zero: values on a coarse
/// grid (many ties), both signs when `signed`, some -0.0 and some values
/// too small for f32 (zeros once read as f32).
fn data(n: usize, d: usize, density: f64, signed: bool, seed: u64) -> Array2<f64> {
    let mut g = Lcg(seed);
    Array2::from_shape_fn((n, d), |_| {
        if g.next() >= density {
            return 0.0;
        }
        let u = g.next();
        if u < 0.03 {
            -0.0
        } else if u < 0.05 {
            1e-50
        } else if signed {
            ((g.next() * 24.0).floor() - 8.0) / 4.0
        } else {
            ((g.next() * 12.0).floor() + 1.0) / 4.0
        }
    })
}

/// Class codes in `0..k` from the rows' sums, with some noise.
fn classes(x: &Array2<f64>, k: u32, seed: u64) -> Vec<u32> {
    let mut g = Lcg(seed);
    (0..x.nrows())
        .map(|r| {
            let s: f64 = x
                .row(r)
                .iter()
                .enumerate()
                .map(|(f, v)| v * (f % 3) as f64)
                .sum();
            (((s * 2.0).abs() as u32) + u32::from(g.next() < 0.15)) % k
        })
        .collect()
}

/// Targets on a grid of halves (their sums are exact in any order).
fn targets(x: &Array2<f64>, seed: u64) -> Vec<f64> {
    let mut g = Lcg(seed);
    (0..x.nrows())
        .map(|r| {
            let s: f64 = x
                .row(r)
                .iter()
                .enumerate()
                .map(|(f, v)| v * (f % 4) as f64)
                .sum();
            (s * 2.0 + g.next() * 3.0).round().abs() / 2.0
        })
        .collect()
}

/// Whether a fit of `x` (CSC) by `criterion` takes the sparse splitter.
fn takes_sparse(x: CscView<'_>, criterion: CartCriterion) -> bool {
    let set = TrainSet {
        x: Columns::Sparse(x.0),
        n: x.nrows(),
        d: x.ncols(),
        classes: None,
        n_classes: 0,
        targets: None,
        weights: vec![1.0; x.nrows()],
        categorical: vec![false; x.ncols()],
        interrupt: Default::default(),
    };
    SparseSplitter::applies(&set, criterion, false)
}

/// The first node where two trees differ, and how (`None`: equal trees).
/// Under the Poisson criterion, impurities and values may differ by a
/// relative 1e-12: its losses are sums of logarithms, which the dense
/// splitter itself adds in an order that depends on its growth path.
fn first_difference(a: &CartModel, b: &CartModel) -> Option<String> {
    if a == b {
        return None;
    }
    let loose = a.criterion == CartCriterion::Poisson;
    let close = |x: f64, y: f64| x == y || (loose && (x - y).abs() <= 1e-12 * y.abs().max(1.0));
    let width = a.value.as_flat().len() / a.node_count().max(1);
    for i in 0..a.node_count().max(b.node_count()) {
        let node = |t: &CartModel| {
            (i < t.node_count()).then(|| {
                (
                    (t.children_left[i], t.children_right[i], t.feature[i]),
                    (t.threshold[i], t.missing_go_to_left[i]),
                    (t.n_node_samples[i], t.weighted_n_node_samples[i]),
                    t.impurity[i],
                    t.value.as_flat()[i * width..(i + 1) * width].to_vec(),
                )
            })
        };
        let same = match (node(a), node(b)) {
            (Some(x), Some(y)) => {
                (x.0, x.1, x.2) == (y.0, y.1, y.2)
                    && close(x.3, y.3)
                    && x.4.iter().zip(&y.4).all(|(p, q)| close(*p, *q))
            }
            _ => false,
        };
        if !same {
            return Some(format!("node {i}: {:?} against {:?}", node(a), node(b)));
        }
    }
    if loose {
        return None;
    }
    Some("the trees differ outside their nodes".into())
}

fn assert_same(sparse: &CartModel, dense: &CartModel, case: &str) {
    assert!(
        dense.node_count() > 3,
        "{case}: {} nodes",
        dense.node_count()
    );
    if let Some(d) = first_difference(sparse, dense) {
        panic!("{case}: sparse against dense, {d}");
    }
}

#[test]
fn classification_trees_are_the_dense_ones() {
    for (n, d, density, signed, seed) in [
        (400, 6, 0.3, true, 1),
        (1_500, 12, 0.05, false, 2),
        (600, 30, 0.1, true, 3),
    ] {
        let x = data(n, d, density, signed, seed);
        let (p, i, v) = csc_of(&x);
        let csc = CscView::new(n, d, &p[..], &i[..], &v).unwrap();
        assert!(takes_sparse(csc, CartCriterion::Gini));
        // Weights 0, 1 and 2: rows of weight 0 take no part.
        let w: Vec<f64> = (0..n).map(|r| f64::from((r % 3) as u32)).collect();
        for k in [2, 3] {
            let y = classes(&x, k, seed);
            for (criterion, leaves, weights, max_features, min_leaf) in [
                (CartCriterion::Gini, None, None, None, 1),
                (CartCriterion::Gini, Some(30), None, None, 1),
                (CartCriterion::Entropy, None, Some(&w[..]), Some(3), 2),
                (CartCriterion::Gini, None, Some(&w[..]), None, 5),
                (CartCriterion::Entropy, Some(12), None, Some(2), 3),
            ] {
                let params = Cart::classifier()
                    .criterion(criterion)
                    .splitter(CartSplitter::Exact)
                    .max_leaf_nodes(leaves)
                    .max_features(max_features)
                    .min_samples_leaf(min_leaf)
                    .seed(7);
                let dense = params
                    .clone()
                    .fit(x.view(), &y, k as usize, weights)
                    .unwrap();
                let sparse = params.fit(csc, &y, k as usize, weights).unwrap();
                let case = format!(
                    "{n}×{d} k {k} {criterion:?} leaves {leaves:?} weights {} max_features {max_features:?}",
                    weights.is_some()
                );
                assert_same(&sparse, &dense, &case);
            }
        }
    }
}

#[test]
fn regression_trees_are_the_dense_ones() {
    let (n, d) = (900, 10);
    let x = data(n, d, 0.2, true, 11);
    let y = targets(&x, 5);
    let (p, i, v) = csc_of(&x);
    let csc = CscView::new(n, d, &p[..], &i[..], &v).unwrap();
    let w: Vec<f64> = (0..n).map(|r| f64::from((r % 4) as u32) / 2.0).collect();
    for criterion in [CartCriterion::SquaredError, CartCriterion::Poisson] {
        assert!(takes_sparse(csc, criterion));
        for (depth, weights, leaves) in [
            (None, None, None),
            (Some(5), Some(&w[..]), None),
            (None, None, Some(40)),
        ] {
            let params = Cart::regressor()
                .criterion(criterion)
                .max_depth(depth)
                .max_leaf_nodes(leaves)
                .min_samples_split(4);
            let dense = params.clone().fit(x.view(), &y, weights).unwrap();
            let sparse = params.fit(csc, &y, weights).unwrap();
            let case = format!("{criterion:?} depth {depth:?} leaves {leaves:?}");
            assert_same(&sparse, &dense, &case);
        }
    }
}

#[test]
fn fits_outside_its_reach_take_the_dense_orders() {
    let x = data(50, 3, 0.5, true, 4);
    let (p, i, mut v) = csc_of(&x);
    let csc = CscView::new(50, 3, &p[..], &i[..], &v).unwrap();
    assert!(takes_sparse(csc, CartCriterion::Entropy));
    assert!(!takes_sparse(csc, CartCriterion::AbsoluteError));
    v[0] = f64::NAN;
    let with_nan = CscView::new(50, 3, &p[..], &i[..], &v).unwrap();
    assert!(!takes_sparse(with_nan, CartCriterion::Gini));
}

#[test]
fn one_hot_columns_split_zeros_from_ones() {
    // Two one-hot groups of 3 and 4 columns; the class is column 1's bit
    // or column 5's: the root splits a column at 0.5 (zeros left).
    let n = 84;
    let x = Array2::from_shape_fn((n, 7), |(r, f)| {
        let hot = if f < 3 {
            r % 3 == f
        } else {
            (r / 3) % 4 == f - 3
        };
        f64::from(u8::from(hot))
    });
    let y: Vec<u32> = (0..n)
        .map(|r| u32::from(x[[r, 1]] == 1.0 || x[[r, 5]] == 1.0))
        .collect();
    let (p, i, v) = csc_of(&x);
    let csc = CscView::new(n, 7, &p[..], &i[..], &v).unwrap();
    let dense = Cart::classifier().fit(x.view(), &y, 2, None).unwrap();
    let sparse = Cart::classifier().fit(csc, &y, 2, None).unwrap();
    assert_eq!(sparse, dense);
    assert_eq!(sparse.threshold[0], 0.5);
    // Pure leaves: each row's leaf holds its class only.
    let proba = sparse.predict_proba(csc).unwrap();
    for (r, &c) in y.iter().enumerate() {
        assert_eq!(proba[[r, c as usize]], 1.0);
    }
}

proptest! {
    /// Any small matrix (negative, zero, positive values, ties), any
    /// weights and limits: the sparse splitter's tree is the dense one's.
    #[test]
    fn any_matrix_gives_the_dense_tree(
        cells in prop::collection::vec((0u8..10, -6i8..7), 12..240),
        d in 1usize..5,
        (weighted, k, criterion) in (any::<bool>(), 2u32..4, 0usize..4),
        (min_leaf, depth, leaves, max_features, seed) in (
            1usize..4,
            prop::option::of(1usize..6),
            prop::option::of(2usize..12),
            prop::option::of(1usize..3),
            any::<u32>(),
        ),
    ) {
        let n = cells.len() / d;
        prop_assume!(n >= 4);
        // About 6 in 10 cells are zero.
        let x = Array2::from_shape_fn((n, d), |(r, f)| {
            let (z, v) = cells[r * d + f];
            if z < 6 { 0.0 } else { f64::from(v) / 2.0 }
        });
        let (p, i, v) = csc_of(&x);
        let csc = CscView::new(n, d, &p[..], &i[..], &v).unwrap();
        let w: Vec<f64> = cells.iter().take(n).map(|c| f64::from(c.0 % 3)).collect();
        let w = weighted.then_some(&w[..]);
        let max_features = max_features.map(|m| m.min(d));
        let (dense, sparse) = if criterion < 2 {
            let crit = [CartCriterion::Gini, CartCriterion::Entropy][criterion];
            let y: Vec<u32> = cells.iter().take(n).map(|c| (c.1.unsigned_abs() as u32 + c.0 as u32) % k).collect();
            let params = Cart::classifier().criterion(crit).min_samples_leaf(min_leaf)
                .max_depth(depth).max_leaf_nodes(leaves).max_features(max_features).seed(seed);
            let dense = params.clone().fit(x.view(), &y, k as usize, w);
            (dense, params.fit(csc, &y, k as usize, w))
        } else {
            let crit = [CartCriterion::SquaredError, CartCriterion::Poisson][criterion - 2];
            let y: Vec<f64> = cells.iter().take(n).map(|c| f64::from(c.1.unsigned_abs()) / 2.0 + f64::from(c.0 % 2)).collect();
            let params = Cart::regressor().criterion(crit).min_samples_leaf(min_leaf)
                .max_depth(depth).max_leaf_nodes(leaves).max_features(max_features).seed(seed);
            let dense = params.clone().fit(x.view(), &y, w);
            (dense, params.fit(csc, &y, w))
        };
        match (dense, sparse) {
            (Ok(a), Ok(b)) => prop_assert!(first_difference(&b, &a).is_none(), "{:?}", first_difference(&b, &a)),
            (Err(a), Err(b)) => prop_assert_eq!(b.to_string(), a.to_string()),
            (a, b) => prop_assert!(false, "dense {:?} sparse {:?}", a.is_ok(), b.is_ok()),
        }
    }
}
