//! Tests of the clustering metrics against hand computations.

use ndarray::array;

use super::*;

#[test]
fn silhouette_of_two_pairs_by_hand() {
    // Rows 0,1 at distance 1; rows 2,3 at distance 1; across: row 0 to
    // rows 2 and 3 at 4 and 5 (x = 0, 1 | 4, 5 on a line).
    let x = array![[0.0], [1.0], [4.0], [5.0]];
    let s = Silhouette::params().score(x.view(), &[7, 7, 9, 9]).unwrap();
    // a = 1 for every row; b: row0 (4+5)/2 = 4.5, row1 (3+4)/2 = 3.5,
    // row2 (4+3)/2 = 3.5, row3 (5+4)/2 = 4.5; s = 1 - 1/b.
    let want = ((1.0 - 1.0 / 4.5) * 2.0 + (1.0 - 1.0 / 3.5) * 2.0) / 4.0;
    assert!((s.score - want).abs() < 1e-15);
    assert_eq!((s.rows_used, s.sampled), (4, false));
}

#[test]
fn silhouette_singleton_counts_zero_and_sample_is_stated() {
    let x = array![[0.0], [1.0], [10.0]];
    let s = Silhouette::params().score(x.view(), &[0, 0, 1]).unwrap();
    // rows 0,1: a = 1, b = 10 and 9; row 2 alone: 0.
    let want = ((1.0 - 0.1) + (1.0 - 1.0 / 9.0)) / 3.0;
    assert!((s.score - want).abs() < 1e-15);
    let x =
        ndarray::Array2::from_shape_fn((50, 1), |(i, _)| (i % 2) as f64 * 10.0 + i as f64 * 1e-3);
    let labels: Vec<u32> = (0..50).map(|i| i % 2).collect();
    let s = Silhouette::params()
        .sample_size(Some(10))
        .seed(3)
        .score(x.view(), &labels)
        .unwrap();
    assert_eq!((s.rows_used, s.sampled), (10, true));
    assert!(s.score > 0.9);
}

#[test]
fn label_count_is_checked() {
    let x = array![[0.0], [1.0], [2.0]];
    let e = calinski_harabasz_score(x.view(), &[1, 1, 1]).unwrap_err();
    assert!(matches!(
        e,
        CiblageError::InvalidParameter { name: "labels", .. }
    ));
    let e = davies_bouldin_score(x.view(), &[0, 1, 2]).unwrap_err();
    assert!(matches!(
        e,
        CiblageError::InvalidParameter { name: "labels", .. }
    ));
    let e = calinski_harabasz_score(x.view(), &[0, 1]).unwrap_err();
    assert!(matches!(e, CiblageError::LengthMismatch { .. }));
    let x = array![[0.0], [f64::NAN], [2.0]];
    assert!(matches!(
        davies_bouldin_score(x.view(), &[0, 0, 1]),
        Err(CiblageError::NonFinite { row: 1, .. })
    ));
    assert!(Silhouette::params().sample_size(Some(1)).check().is_err());
}

#[test]
fn calinski_harabasz_by_hand() {
    // Clusters {0, 2} and {10, 12}: means 1 and 11, overall 6.
    // extra = 2*25 + 2*25 = 100; intra = 4 * 1 = 4; (n-k)/(k-1) = 2.
    let x = array![[0.0], [2.0], [10.0], [12.0]];
    let v = calinski_harabasz_score(x.view(), &[0, 0, 1, 1]).unwrap();
    assert!((v - 100.0 * 2.0 / 4.0).abs() < 1e-12);
    // No spread within clusters: 1.
    let x = array![[0.0], [0.0], [3.0], [3.0]];
    assert_eq!(
        calinski_harabasz_score(x.view(), &[0, 0, 1, 1]).unwrap(),
        1.0
    );
}

#[test]
fn davies_bouldin_by_hand() {
    // Spreads 1 and 2 (mean distance to centroid), centroids 1 and 12.
    let x = array![[0.0], [2.0], [10.0], [14.0]];
    let v = davies_bouldin_score(x.view(), &[0, 0, 1, 1]).unwrap();
    assert!((v - 3.0 / 11.0).abs() < 1e-12);
    let x = array![[1.0], [1.0], [3.0], [3.0]];
    assert_eq!(davies_bouldin_score(x.view(), &[0, 0, 1, 1]).unwrap(), 0.0);
}

#[test]
fn adjusted_rand_by_hand() {
    assert_eq!(
        adjusted_rand_score(&[0, 0, 1, 1], &[5, 5, 3, 3]).unwrap(),
        1.0
    );
    // scikit-learn's documented example: [0,0,1,2] vs [0,0,1,1] = 0.5714285714285715.
    let v = adjusted_rand_score(&[0, 0, 1, 2], &[0, 0, 1, 1]).unwrap();
    assert!((v - 4.0 / 7.0).abs() < 1e-15);
    // [0,0,1,1] vs [0,1,0,1]: tp = 0, fp = fn = 4, tn = 4 → 2(0−16)/(4·8+4·8) = −0.5.
    assert_eq!(
        adjusted_rand_score(&[0, 0, 1, 1], &[0, 1, 0, 1]).unwrap(),
        -0.5
    );
    assert!(adjusted_rand_score(&[0, 1], &[0]).is_err());
}
