//! Tests of the segment stability.

use ndarray::Array2;

use super::*;

fn two_groups(n: usize) -> Array2<f64> {
    Array2::from_shape_fn((n, 2), |(i, j)| {
        (i % 2) as f64 * 10.0 + ((i * 7 + j * 3) % 11) as f64 * 0.05
    })
}

#[test]
fn jaccard_by_hand() {
    // Full labels of rows 0..4: 0 0 1 1. Resample draws rows 0, 0, 1, 2
    // (distinct: 0, 1, 2) labelled 5, 5, 5, 6 (row 0 twice: 5).
    // Segment 0 = {0, 1}: with cluster 5 = {0, 1}: 2 / 2 = 1.
    // Segment 1 = {2} (row 3 not drawn): with cluster 6 = {2}: 1; with 5: 0.
    let j = best_jaccard(&[0, 0, 1, 1], &[0, 0, 1, 2], &[5, 5, 5, 6], 2);
    assert_eq!(j, [Some(1.0), Some(1.0)]);
    // Resample labels merging both: segment 0 {0,1} vs {0,1,2}: 2/3.
    let j = best_jaccard(&[0, 0, 1, 1], &[0, 1, 2], &[0, 0, 0], 3);
    assert_eq!(j, [Some(2.0 / 3.0), Some(1.0 / 3.0), None]);
}

#[test]
fn separated_groups_are_stable_and_noise_is_not() {
    let x = two_groups(200);
    let s = Stability::params()
        .kmeans(KMeans::params().n_clusters(2))
        .n_resamples(8)
        .keep_resamples(true)
        .score(x.view())
        .unwrap();
    assert_eq!(s.ari.len(), 8);
    assert!(s.ari.iter().all(|&a| (a - 1.0).abs() < 1e-12));
    assert!(s.segment_jaccard.iter().all(|&j| (j - 1.0).abs() < 1e-12));
    assert!(s.unstable.is_empty());
    let r = &s.resamples.as_ref().unwrap()[3];
    assert_eq!((r.rows.len(), r.labels.len()), (200, 200));
    // Six clusters forced on two groups: splits that move between resamples.
    let s = Stability::params()
        .kmeans(KMeans::params().n_clusters(6).n_init(Some(1)))
        .n_resamples(8)
        .threshold(0.95)
        .score(x.view())
        .unwrap();
    assert!(s.mean_ari < 0.99, "{}", s.mean_ari);
    assert!(!s.unstable.is_empty());
}

#[test]
fn same_result_for_any_number_of_threads() {
    let x = two_groups(300);
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                Stability::params()
                    .kmeans(KMeans::params().n_clusters(4))
                    .n_resamples(6)
                    .seed(9)
                    .keep_resamples(true)
                    .score(x.view())
                    .unwrap()
            })
    };
    assert_eq!(run(1), run(3));
}

#[test]
fn bad_parameters_are_named() {
    let x = two_groups(10);
    let err = |p: StabilityParams| p.score(x.view()).unwrap_err().to_string();
    assert!(err(Stability::params().n_resamples(0)).contains("n_resamples"));
    assert!(err(Stability::params().threshold(1.5)).contains("threshold"));
    assert!(err(Stability::params().threshold(f64::NAN)).contains("threshold"));
    assert!(err(Stability::params().kmeans(KMeans::params().n_clusters(0))).contains("n_clusters"));
    let token = Interrupt::new();
    token.set();
    assert!(matches!(
        Stability::params()
            .kmeans(KMeans::params().n_clusters(2))
            .interrupt(token)
            .score(x.view()),
        Err(CiblageError::Interrupted)
    ));
}
