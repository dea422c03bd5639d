//! Tests of the choice of the number of clusters on data of known counts.

use ndarray::Array2;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;

/// `per` rows around each of `centres` well separated centres in 2-D
/// (on a circle of radius 30, noise uniform in [−1, 1]).
fn blobs(centres: usize, per: usize, seed: u64) -> Array2<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Array2::from_shape_fn((centres * per, 2), |(i, j)| {
        let angle = (i % centres) as f64 * std::f64::consts::TAU / centres as f64;
        let c = if j == 0 { angle.cos() } else { angle.sin() } * 30.0;
        c + rng.random_range(-1.0..1.0)
    })
}

#[test]
fn blobs_of_3_5_8_centres_recommend_3_5_8() {
    for (centres, seed) in [(3, 1), (5, 2), (8, 3)] {
        let x = blobs(centres, 40, seed);
        let choice = ChooseK::params().score(x.view()).unwrap();
        assert_eq!(choice.recommended, centres, "{}", choice.reason);
        assert_eq!(choice.scores.len(), 9);
        assert!(!choice.silhouette_sampled);
        assert_eq!(choice.silhouette_rows, centres * 40);
    }
}

#[test]
fn silhouette_sample_is_stated() {
    let x = blobs(3, 100, 4);
    let choice = ChooseK::params()
        .k_range(vec![4, 2, 3, 3])
        .sample_size(Some(50))
        .score(x.view())
        .unwrap();
    let ks: Vec<usize> = choice.scores.iter().map(|s| s.k).collect();
    assert_eq!(ks, [2, 3, 4]);
    assert_eq!(
        (choice.silhouette_rows, choice.silhouette_sampled),
        (50, true)
    );
    assert_eq!(choice.recommended, 3);
}

#[test]
fn kneedle_elbow_by_hand() {
    let s = |k, inertia| KScore {
        k,
        inertia,
        silhouette: 0.5,
        calinski_harabasz: 1.0,
        davies_bouldin: 1.0,
    };
    // k 2..5 scaled to 0, 1/3, 2/3, 1; inertia 100, 40, 30, 20 scaled to
    // 1, 0.25, 0.125, 0: gaps 0, 0.4167, 0.2083, 0 -> k = 3.
    let curve = [s(2, 100.0), s(3, 40.0), s(4, 30.0), s(5, 20.0)];
    assert_eq!(elbow(&curve), Some(3));
    assert_eq!(elbow(&curve[..2]), None);
    // Elbow and CH agree on 3 against the silhouette's 2: 3 wins.
    let mut fits: Vec<(KScore, usize, bool)> = curve.iter().map(|&c| (c, 10, false)).collect();
    fits[0].0.silhouette = 0.9;
    fits[1].0.calinski_harabasz = 5.0;
    let choice = choose(fits.clone());
    assert_eq!(choice.recommended, 3, "{}", choice.reason);
    // CH elsewhere: the silhouette decides.
    fits[1].0.calinski_harabasz = 1.0;
    fits[3].0.calinski_harabasz = 5.0;
    assert_eq!(choose(fits).recommended, 2);
}

#[test]
fn mixed_data_uses_the_cost_space() {
    // Two numeric groups, each with its own category.
    let n = 60;
    let num = Array2::from_shape_fn((n, 1), |(i, _)| {
        (i % 2) as f64 * 10.0 + (i / 2) as f64 * 0.01
    });
    let cat = Array2::from_shape_fn((n, 2), |(i, j)| {
        if j == 0 {
            (i % 2) as u32
        } else {
            (i % 5) as u32
        }
    });
    let choice = ChooseK::params()
        .k_range(vec![2, 3, 4])
        .score_mixed(num.view(), cat.view())
        .unwrap();
    assert_eq!(choice.recommended, 2, "{}", choice.reason);
    // Squared distances in the space are k-prototypes costs.
    let space = cost_space(num.view(), cat.view(), 4.0);
    let d2: f64 = (0..space.ncols())
        .map(|j| (space[[0, j]] - space[[1, j]]).powi(2))
        .sum();
    // Row 0: (0, cats 0, 0), row 1: (10, cats 1, 1): 10² + γ × 2 mismatches.
    assert!((d2 - 108.0).abs() < 1e-9);
    // One category of 2 values cannot give 3 prototypes: no measure for k = 3.
    let one = cat.slice(ndarray::s![.., ..1]);
    let choice = ChooseK::params()
        .k_range(vec![2, 3])
        .score_mixed(num.view(), one)
        .unwrap();
    assert_eq!(choice.recommended, 2);
}

#[test]
fn bad_parameters_are_named() {
    let x = blobs(3, 5, 0);
    let err = |p: ChooseKParams| p.score(x.view()).unwrap_err().to_string();
    assert!(err(ChooseK::params().k_range(vec![])).contains("k_range"));
    assert!(err(ChooseK::params().k_range(vec![1, 2])).contains("k_range"));
    assert!(err(ChooseK::params().k_range(vec![2, 15])).contains("k_range"));
    assert!(err(ChooseK::params().sample_size(Some(1))).contains("sample_size"));
    let token = Interrupt::new();
    token.set();
    assert!(matches!(
        ChooseK::params().interrupt(token).score(x.view()),
        Err(CiblageError::Interrupted)
    ));
}

#[test]
fn categorical_only_data_uses_k_modes() {
    // Three distinct rows repeated: k = 3 separates them, k = 4 has no fit.
    let cat = Array2::from_shape_fn((30, 2), |(i, j)| ((i % 3) * (j + 1)) as u32);
    let num = Array2::<f64>::zeros((30, 0));
    let choice = ChooseK::params()
        .k_range(vec![2, 3, 4])
        .score_mixed(num.view(), cat.view())
        .unwrap();
    assert_eq!(choice.recommended, 3, "{}", choice.reason);
    assert!(choice.scores[2].silhouette.is_nan());
}
