//! Tests of the cp table by cross-validation.

use ndarray::Array2;

use super::*;
use crate::tree::cart::cv::shuffle::{numpy_permutation, Mt19937};
use crate::tree::cart::Cart;

/// Eight rows, one feature 0 1 2 3 10 11 12 13, classes 0 0 0 0 1 1 1 1;
/// the tests take folds of the even and the odd rows, whose trees split
/// at 7 (odd rows) or 6 (even rows): no held-out row is near a threshold.
fn eight() -> (Array2<f64>, Vec<u32>) {
    let x = Array2::from_shape_fn(
        (8, 1),
        |(r, _)| if r < 4 { r as f64 } else { r as f64 + 6.0 },
    );
    (x, vec![0, 0, 0, 0, 1, 1, 1, 1])
}

#[test]
fn hand_checked_table() {
    // Full tree: the root (Gini 0.5) split at 6.5 into two pure leaves;
    // its one pruning step has alpha (0.5 − 0) / (2 − 1) = 0.5, so alphas
    // [0, 0.5], representatives [√(0·0.5) = 0, 0.5]. Each fold's tree (on
    // rows 1 3 5 7, or 0 2 4 6) splits the same way: at alpha 0 it is
    // right on every held-out row; pruned at 0.5 it is the root, whose
    // shares [0.5, 0.5] predict class 0: rows 4..7 wrong. The root's
    // error: 4 rows (majority class 0, the first of equal ones). So
    // xerror [0/4, 4/4]; at 0.5 the eight losses 0 0 0 0 1 1 1 1 have
    // mean 0.5 and squared deviations 8 · 0.25 = 2: xstd √2 / 4.
    let (x, y) = eight();
    let tree = Cart::classifier().check().unwrap();
    let table = CartCv::params()
        .folds(2)
        .order(FoldOrder::Rows(vec![0, 2, 4, 6, 1, 3, 5, 7]))
        .score(
            x.view(),
            CvTarget::Classes {
                codes: &y,
                n_classes: 2,
            },
            None,
            &tree,
        )
        .unwrap();
    assert_eq!(table.ccp_alpha, [0.0, 0.5]);
    assert_eq!(table.cp, [0.0, 1.0]);
    assert_eq!(table.rel_error, [0.0, 1.0]);
    assert_eq!(table.n_leaves, [2, 1]);
    assert_eq!(table.xerror, [0.0, 1.0]);
    assert_eq!(table.xstd[0], 0.0);
    assert!((table.xstd[1] - 2f64.sqrt() / 4.0).abs() < 1e-15);
    assert_eq!((table.min, table.one_se), (0, 0));
}

#[test]
fn weights_scale_the_losses() {
    // Row 7 weighs 3. Full tree: root shares 4/10 and 6/10, weighted
    // Gini 0.48, split into pure leaves: alphas [0, 0.48], representatives
    // [0, 0.48]; the root's error is the weight of class 0 (majority 1): 4.
    // Fold 0 holds rows 0 2 4 6; its tree, grown on 1 3 5 7 (weights
    // 1 1 1 3), has root Gini 1 − (2/6)² − (4/6)² = 4/9 ≤ 0.48: pruned to
    // its root, which predicts class 1, so rows 0 and 2 are wrong (loss 2).
    // Fold 1's tree (rows 0 2 4 6, Gini 0.5 > 0.48) stays split: no loss.
    // xerror [0, 2/4].
    let (x, y) = eight();
    let w = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 3.0];
    let tree = Cart::classifier().check().unwrap();
    let table = CartCv::params()
        .folds(2)
        .order(FoldOrder::Rows(vec![0, 2, 4, 6, 1, 3, 5, 7]))
        .score(
            x.view(),
            CvTarget::Classes {
                codes: &y,
                n_classes: 2,
            },
            Some(&w),
            &tree,
        )
        .unwrap();
    assert_eq!(table.ccp_alpha.len(), 2);
    assert!((table.ccp_alpha[1] - 0.48).abs() < 1e-15);
    assert_eq!(table.xerror, [0.0, 0.5]);
}

#[test]
fn regression_losses_are_squared_errors() {
    // y = 0 0 0 0 4 4 4 4: the root's error Σ(y − 2)² = 32. Folds of the
    // even and odd rows: pruned to the root, each fold's tree predicts 2,
    // every held-out row misses by 2: 8 · 4 = 32, xerror 1; unpruned, 0.
    let (x, _) = eight();
    let y = [0.0, 0.0, 0.0, 0.0, 4.0, 4.0, 4.0, 4.0];
    let tree = Cart::regressor().check().unwrap();
    let table = CartCv::params()
        .folds(2)
        .order(FoldOrder::Rows(vec![0, 2, 4, 6, 1, 3, 5, 7]))
        .score(x.view(), CvTarget::Values(&y), None, &tree)
        .unwrap();
    assert_eq!(table.xerror, [0.0, 1.0]);
    // Every loss is 4: no deviation from the mean.
    assert_eq!(table.xstd, [0.0, 0.0]);
    assert_eq!(table.n_leaves, [2, 1]);
}

#[test]
fn numpy_mersenne_twister_and_permutation() {
    // The reference first output of MT19937 seeded with 5489.
    assert_eq!(Mt19937::new(5489).next_u32(), 3_499_211_612);
    // numpy: np.random.RandomState(0).permutation(10).
    assert_eq!(numpy_permutation(10, 0), [2, 8, 4, 9, 1, 6, 7, 3, 0, 5]);
    assert_eq!(numpy_permutation(1, 7), [0]);
    assert!(numpy_permutation(0, 7).is_empty());
}

#[test]
fn folds_cut_as_numpy_array_split() {
    // 10 rows in 3 folds: 4 3 3 rows; each fold's rows are held out once.
    let x = Array2::from_shape_fn((10, 1), |(r, _)| r as f64);
    let y: Vec<f64> = (0..10).map(|r| (r * r) as f64).collect();
    let tree = Cart::regressor().max_depth(Some(1)).check().unwrap();
    let seen = std::sync::Mutex::new(Vec::new());
    CartCv::params()
        .folds(3)
        .check()
        .unwrap()
        .score_each(x.view(), CvTarget::Values(&y), None, |fit| {
            seen.lock().unwrap().push((fit.fold, fit.n_rows));
            Ok(tree.clone().into())
        })
        .unwrap();
    let mut seen = seen.into_inner().unwrap();
    seen.sort();
    assert_eq!(seen, [(None, 10), (Some(0), 6), (Some(1), 7), (Some(2), 7)]);
}

#[test]
fn bad_parameters_are_named() {
    let (x, y) = eight();
    let target = CvTarget::Classes {
        codes: &y,
        n_classes: 2,
    };
    let tree = Cart::classifier().check().unwrap();
    let name = |e: CiblageError| match e {
        CiblageError::InvalidParameter { name, .. } => name,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        name(CartCv::params().folds(1).check().unwrap_err()),
        "folds"
    );
    let e = CartCv::params()
        .folds(9)
        .score(x.view(), target, None, &tree);
    assert_eq!(name(e.unwrap_err()), "folds");
    let e = CartCv::params()
        .order(FoldOrder::Rows(vec![0, 0, 1, 2, 3, 4, 5, 6]))
        .folds(2)
        .score(x.view(), target, None, &tree);
    assert_eq!(name(e.unwrap_err()), "order");
    let e = CartCv::params()
        .class_weight(CvClassWeight::PerClass(vec![1.0, f64::NAN]))
        .check();
    assert_eq!(name(e.unwrap_err()), "class_weight");
    // Rows outside fold 0 all weigh zero.
    let w = [1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0];
    let e = CartCv::params()
        .folds(2)
        .order(FoldOrder::Rows(vec![0, 2, 4, 6, 1, 3, 5, 7]))
        .score(x.view(), target, Some(&w), &tree)
        .unwrap_err();
    assert!(e.to_string().contains("outside fold 0"), "{e}");
    let e = CartCv::params()
        .folds(2)
        .score(x.view(), CvTarget::Values(&[1.0]), None, &tree);
    assert!(matches!(e, Err(CiblageError::LengthMismatch { .. })));
}

#[test]
fn interrupted() {
    let (x, y) = eight();
    let token = Interrupt::new();
    token.set();
    let tree = Cart::classifier().check().unwrap();
    let e = CartCv::params().folds(2).interrupt(token).score(
        x.view(),
        CvTarget::Classes {
            codes: &y,
            n_classes: 2,
        },
        None,
        &tree,
    );
    assert_eq!(e.unwrap_err(), CiblageError::Interrupted);
}
