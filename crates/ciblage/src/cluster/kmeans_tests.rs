//! Unit and property tests of k-means and the preparation.

use ndarray::{array, Array2};
use proptest::prelude::*;

use crate::cluster::kmeans_iter::{fit_once, inertia, Data};
use crate::cluster::{KMeans, KMeansAlgorithm, KMeansInit, KMeansModel, MiniBatch, Preparation};
use crate::error::CiblageError;
use crate::interrupt::Interrupt;
use crate::testing::on_threads;

/// Three well-separated blobs of `per` rows each (deterministic).
fn blobs(per: usize) -> Array2<f64> {
    let centres = [[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]];
    Array2::from_shape_fn((3 * per, 2), |(i, j)| {
        let c = centres[i % 3][j];
        let jitter = (((i * 7919 + j * 104_729) % 1000) as f64 / 1000.0) - 0.5;
        c + jitter
    })
}

#[test]
fn two_groups_on_a_line_by_hand() {
    // Centres 0.25 and 10.5: inertia 2 × 0.25² + 2 × 0.5² = 0.625.
    let x = array![[0.0], [0.5], [10.0], [10.5], [11.0]];
    for algo in [KMeansAlgorithm::Lloyd, KMeansAlgorithm::Elkan] {
        let init = KMeansInit::Centers(array![[0.0], [11.0]]);
        let m = KMeans::params()
            .n_clusters(2)
            .init(init)
            .algorithm(algo)
            .fit(x.view(), None)
            .unwrap();
        assert_eq!(m.labels(), &[0, 0, 1, 1, 1]);
        assert!((m.inertia() - 0.625).abs() < 1e-12);
        assert_eq!(m.centers().to_owned(), array![[0.25], [10.5]]);
    }
}

#[test]
fn weights_move_the_centres() {
    // Weighted mean of 0 (weight 3) and 1 (weight 1): 0.25.
    let x = array![[0.0], [1.0], [100.0]];
    let init = KMeansInit::Centers(array![[0.0], [100.0]]);
    let m = KMeans::params()
        .n_clusters(2)
        .init(init)
        .fit(x.view(), Some(&[3.0, 1.0, 2.0]))
        .unwrap();
    assert!((m.centers()[[0, 0]] - 0.25).abs() < 1e-12);
    // 3 × 0.25² + 1 × 0.75² = 0.75.
    assert!((m.inertia() - 0.75).abs() < 1e-12);
}

#[test]
fn lloyd_and_elkan_agree_and_threads_do_not_matter() {
    let x = blobs(3000);
    let fit = |algo, threads| {
        on_threads(threads, || {
            KMeans::params()
                .n_clusters(5)
                .seed(3)
                .algorithm(algo)
                .fit(x.view(), None)
                .unwrap()
        })
    };
    let base = fit(KMeansAlgorithm::Lloyd, 1);
    for threads in [1, 2, 4] {
        assert_eq!(fit(KMeansAlgorithm::Lloyd, threads), base);
        let e = fit(KMeansAlgorithm::Elkan, threads);
        assert_eq!(e.labels(), base.labels());
        assert_eq!(e.n_iter(), base.n_iter());
        assert!((e.inertia() - base.inertia()).abs() <= 1e-9 * base.inertia());
    }
}

#[test]
fn mini_batch_finds_the_blobs() {
    let x = blobs(2000);
    let m = KMeans::params()
        .n_clusters(3)
        .mini_batch(Some(MiniBatch {
            batch_size: 256,
            ..MiniBatch::default()
        }))
        .seed(1)
        .fit(x.view(), None)
        .unwrap();
    // Each blob in one cluster: rows i and i + 3 share a label.
    for i in 0..x.nrows() - 3 {
        assert_eq!(m.labels()[i], m.labels()[i + 3]);
    }
    let again = on_threads(3, || {
        KMeans::params()
            .n_clusters(3)
            .mini_batch(Some(MiniBatch {
                batch_size: 256,
                ..MiniBatch::default()
            }))
            .seed(1)
            .fit(x.view(), None)
            .unwrap()
    });
    assert_eq!(again, m);
}

#[test]
fn bad_parameters_and_inputs_are_named() {
    let x = array![[0.0], [1.0]];
    let e = KMeans::params().n_clusters(0).check().unwrap_err();
    assert!(e.to_string().contains("n_clusters"), "{e}");
    let e = KMeans::params()
        .n_clusters(3)
        .fit(x.view(), None)
        .unwrap_err();
    assert!(e.to_string().contains("n_clusters"), "{e}");
    let e = KMeans::params().tol(f64::NAN).check().unwrap_err();
    assert!(e.to_string().contains("tol"), "{e}");
    let e = KMeans::params()
        .n_clusters(1)
        .fit(array![[0.0], [f64::NAN]].view(), None)
        .unwrap_err();
    assert!(matches!(e, CiblageError::NonFinite { row: 1, .. }), "{e}");
    let e = KMeans::params()
        .n_clusters(1)
        .fit(x.view(), Some(&[1.0, -1.0]))
        .unwrap_err();
    assert!(e.to_string().contains("weights"), "{e}");
    let e = KMeans::params()
        .n_clusters(1)
        .fit(x.view(), Some(&[1.0]))
        .unwrap_err();
    assert!(matches!(e, CiblageError::LengthMismatch { .. }), "{e}");
    let e = "fast".parse::<KMeansAlgorithm>().unwrap_err();
    assert!(e.to_string().contains("algorithm"), "{e}");
    let init = KMeansInit::Centers(array![[0.0, 1.0]]);
    let e = KMeans::params()
        .n_clusters(1)
        .init(init)
        .fit(x.view(), None)
        .unwrap_err();
    assert!(e.to_string().contains("init"), "{e}");
    let e = Preparation::new()
        .winsorize(Some((0.9, 0.1)))
        .check()
        .unwrap_err();
    assert!(e.to_string().contains("winsorize"), "{e}");
    let e = KMeans::params()
        .n_clusters(1)
        .prepare(Preparation::new().rank(vec![4]))
        .fit(x.view(), None)
        .unwrap_err();
    assert!(e.to_string().contains("prepare.rank"), "{e}");
    let e = KMeans::params()
        .n_clusters(1)
        .prepare(Preparation::new().log1p(vec![0]))
        .fit(array![[-1.0], [1.0]].view(), None)
        .unwrap_err();
    assert!(
        matches!(e, CiblageError::ValueOutOfRange { row: 0, .. }),
        "{e}"
    );
}

#[test]
fn values_whose_squares_overflow_are_refused() {
    let x = array![[0.0], [1e200]];
    let e = KMeans::params()
        .n_clusters(1)
        .fit(x.view(), None)
        .unwrap_err();
    assert!(
        matches!(e, CiblageError::ValueOutOfRange { row: 1, .. }),
        "{e}"
    );
    let m = KMeans::params()
        .n_clusters(1)
        .fit(array![[0.0], [1.0]].view(), None)
        .unwrap();
    let e = m.predict(array![[-1e151]].view()).unwrap_err();
    assert!(
        matches!(e, CiblageError::ValueOutOfRange { row: 0, .. }),
        "{e}"
    );
    // Weights large enough for the inertia to overflow.
    let x = array![[0.0], [1e150]];
    let e = KMeans::params()
        .n_clusters(1)
        .fit(x.view(), Some(&[1e300, 1e300]))
        .unwrap_err();
    assert!(matches!(e, CiblageError::SumOverflow { .. }), "{e}");
}

#[test]
fn interrupted_fits_stop() {
    let token = Interrupt::new();
    token.set();
    let e = KMeans::params()
        .n_clusters(2)
        .interrupt(token)
        .fit(blobs(10).view(), None)
        .unwrap_err();
    assert_eq!(e, CiblageError::Interrupted);
}

#[test]
fn preparation_is_kept_and_applied_to_new_rows() {
    // Column 0: log1p then standardised; column 1 winsorised at the
    // quartiles of [1, 2, 3, 4, 100]: 2 and 4.
    let x = array![
        [0.0, 1.0],
        [1.0, 2.0],
        [3.0, 3.0],
        [7.0, 4.0],
        [15.0, 100.0]
    ];
    let prep = Preparation::new()
        .log1p(vec![0])
        .winsorize(Some((0.25, 0.75)))
        .standardize(true);
    let m = KMeans::params()
        .n_clusters(2)
        .prepare(prep)
        .fit(x.view(), None)
        .unwrap();
    let p = m.preparation().unwrap();
    let again = p.apply(x.view()).unwrap();
    // log1p column: ln 1, ln 2, ln 4, ln 8, ln 16 = (0..=4) × ln 2,
    // winsorised to (1, 1, 2, 3, 3) × ln 2: mean 2 ln 2, sd sqrt(0.8) ln 2;
    // the first row is -1 / sqrt(0.8).
    assert!((again[[0, 0]] + 1.0 / 0.8f64.sqrt()).abs() < 1e-12);
    // Winsorised column: [2, 2, 3, 4, 4], mean 3, sd sqrt(0.8).
    assert!((again[[4, 1]] - 1.0 / 0.8f64.sqrt()).abs() < 1e-12);
    assert_eq!(m.predict(x.view()).unwrap(), m.labels());
}

#[test]
fn models_round_trip_and_bad_files_are_refused() {
    let x = blobs(20);
    let prep = Preparation::new().rank(vec![1]).standardize(true);
    let m = KMeans::params()
        .n_clusters(3)
        .prepare(prep)
        .fit(x.view(), None)
        .unwrap();
    let back = KMeansModel::from_json(&m.to_json()).unwrap();
    assert_eq!(back, m);
    let text = m.to_json();
    for (from, to) in [
        ("\"version\":1", "\"version\":9"),
        ("\"n_clusters\":3", "\"n_clusters\":4"),
        ("\"n_features\":2", "\"n_features\":0"),
    ] {
        let bad = text.replacen(from, to, 1);
        assert_ne!(bad, text, "{from}");
        let e = KMeansModel::from_json(&bad).unwrap_err();
        assert!(matches!(e, CiblageError::InvalidModelFile { .. }), "{e}");
    }
    let e = KMeansModel::from_json("{").unwrap_err();
    assert!(matches!(e, CiblageError::InvalidModelFile { .. }), "{e}");
}

#[test]
fn transform_gives_distances_and_inertia_of_matches() {
    let x = array![[0.0, 0.0], [3.0, 4.0]];
    let init = KMeansInit::Centers(array![[0.0, 0.0], [3.0, 4.0]]);
    let m = KMeans::params()
        .n_clusters(2)
        .init(init)
        .fit(x.view(), None)
        .unwrap();
    let t = m.transform(array![[0.0, 4.0]].view()).unwrap();
    assert_eq!(t, array![[4.0, 3.0]]);
    // Nearest centre (3, 4) at distance 3: squared 9, weight 2.
    assert_eq!(
        m.inertia_of(array![[0.0, 4.0]].view(), Some(&[2.0]))
            .unwrap(),
        18.0
    );
}

fn small_data() -> impl Strategy<Value = (Vec<f64>, usize)> {
    (4usize..40).prop_flat_map(|n| (prop::collection::vec(-50.0f64..50.0, n * 2), Just(n)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn inertia_never_increases_across_lloyd_iterations((values, n) in small_data(), k in 1usize..4) {
        let data = Data { x: &values, n, d: 2, w: None };
        let init: Vec<f64> = values[..k * 2].to_vec();
        let mut last = f64::INFINITY;
        for max_iter in 1..8 {
            let run = fit_once(&data, init.clone(), max_iter, 0.0, KMeansAlgorithm::Lloyd, &Interrupt::default()).unwrap();
            prop_assert!(run.inertia <= last * (1.0 + 1e-12) + 1e-12);
            last = run.inertia;
            prop_assert!((inertia(&data, &run.centers, &run.labels) - run.inertia).abs() <= 1e-9 * (1.0 + run.inertia));
        }
    }

    #[test]
    fn predict_of_the_fit_data_is_the_labels((values, n) in small_data(), k in 1usize..4, elkan: bool) {
        let x = Array2::from_shape_vec((n, 2), values).unwrap();
        let algo = if elkan { KMeansAlgorithm::Elkan } else { KMeansAlgorithm::Lloyd };
        let m = KMeans::params().n_clusters(k).algorithm(algo).fit(x.view(), None).unwrap();
        prop_assert_eq!(m.predict(x.view()).unwrap(), m.labels().to_vec());
    }

    #[test]
    fn row_order_does_not_change_the_final_inertia((values, n) in small_data(), k in 1usize..4, shift in 1usize..7) {
        let x = Array2::from_shape_vec((n, 2), values).unwrap();
        let init = x.slice(ndarray::s![..k, ..]).to_owned();
        let fit = |x: &Array2<f64>| KMeans::params().n_clusters(k).init(KMeansInit::Centers(init.clone()))
            .tol(0.0).fit(x.view(), None).unwrap();
        let a = fit(&x);
        let order: Vec<usize> = (0..n).map(|i| (i + shift) % n).rev().collect();
        let y = x.select(ndarray::Axis(0), &order);
        let b = fit(&y);
        prop_assert!((a.inertia() - b.inertia()).abs() <= 1e-9 * (1.0 + a.inertia()));
    }
}

/// The parallel screen of the finite check: a bad value far past the first
/// screened block is still found, at its row, in a standard and in a
/// transposed (non-contiguous) view.
#[test]
fn the_first_bad_row_is_named_past_the_first_block() {
    use crate::cluster::kmeans_options::check_finite;
    let mut x = Array2::from_shape_fn((30_000, 4), |(i, j)| (i + j) as f64);
    assert!(check_finite(x.view(), "x").is_ok());
    x[[25_001, 2]] = f64::NAN;
    x[[29_000, 1]] = 2e150;
    let columns = x.t().to_owned();
    for view in [x.view(), columns.t()] {
        match check_finite(view, "x") {
            Err(CiblageError::NonFinite { row, .. }) => assert_eq!(row, 25_001),
            other => panic!("{other:?}"),
        }
    }
    x[[25_001, 2]] = 1.0;
    assert!(matches!(
        check_finite(x.view(), "x"),
        Err(CiblageError::ValueOutOfRange { row: 29_000, .. })
    ));
}
