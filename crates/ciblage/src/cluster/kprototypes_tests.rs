//! Tests of k-prototypes and k-modes.

use ndarray::{array, Array2};

use super::*;
use crate::cluster::{KModes, KPrototypesModel};

/// Two well separated groups of 20 rows.
fn groups() -> (Array2<f64>, Array2<u32>) {
    let num = Array2::from_shape_fn((40, 2), |(i, j)| {
        let base = if i < 20 { 0.0 } else { 10.0 };
        base + ((i * 7 + j * 3) % 5) as f64 * 0.1
    });
    let cat = Array2::from_shape_fn((40, 2), |(i, j)| {
        if (i + j) % 9 == 0 {
            2
        } else {
            u32::from(i >= 20)
        }
    });
    (num, cat)
}

#[test]
fn finds_the_groups_for_any_init_and_thread_count() {
    let (num, cat) = groups();
    for init in [KPrototypesInit::Huang, KPrototypesInit::Cao] {
        let fit = || {
            KPrototypes::params()
                .n_clusters(2)
                .init(init.clone())
                .n_init(4)
                .seed(11)
                .fit(num.view(), cat.view(), None)
                .unwrap()
        };
        let model = fit();
        let l = model.labels();
        assert!(l[..20].iter().all(|&v| v == l[0]));
        assert!(l[20..].iter().all(|&v| v == l[20]));
        assert_ne!(l[0], l[20]);
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        assert_eq!(one.install(fit), model);
    }
}

#[test]
fn gamma_is_half_the_mean_std_and_cost_adds_up() {
    let (num, cat) = groups();
    let model = KPrototypes::params()
        .n_clusters(2)
        .seed(1)
        .fit(num.view(), cat.view(), None)
        .unwrap();
    let std = |j: usize| {
        let c = num.column(j);
        let m = c.mean().unwrap();
        (c.iter().map(|v| (v - m).powi(2)).sum::<f64>() / 40.0).sqrt()
    };
    assert!((model.gamma() - 0.5 * (std(0) + std(1)) / 2.0).abs() < 1e-12);
    // The cost recomputed from the prototypes.
    let (mn, mc) = model.centers();
    let mut total = 0.0;
    for i in 0..40 {
        let c = model.labels()[i] as usize;
        let d: f64 = (0..2).map(|j| (num[(i, j)] - mn[(c, j)]).powi(2)).sum();
        let m = (0..2).filter(|&j| cat[(i, j)] != mc[(c, j)]).count();
        total += d + model.gamma() * m as f64;
    }
    assert!((model.inertia() - total).abs() < 1e-9);
    assert_eq!(
        model.predict(num.view(), cat.view()).unwrap(),
        model.labels()
    );
}

#[test]
fn given_prototypes_by_hand() {
    // Rows 0,1 near (0, cat 0), rows 2,3 near (5, cat 1). gamma = 1.
    let num = array![[0.0], [1.0], [5.0], [6.0]];
    let cat = array![[0u32], [0], [1], [1]];
    let init = KPrototypesInit::Given {
        numeric: array![[0.0], [6.0]],
        categorical: array![[0u32], [1]],
    };
    let model = KPrototypes::params()
        .n_clusters(2)
        .init(init)
        .gamma(Some(1.0))
        .fit(num.view(), cat.view(), None)
        .unwrap();
    assert_eq!(model.labels(), &[0, 0, 1, 1]);
    // Means 0.5 and 5.5: cost 4 × 0.25.
    assert_eq!(model.inertia(), 1.0);
    assert_eq!(model.centers().0, array![[0.5], [5.5]]);
    // Weights move the mean: row 1 weighs 3 → mean (0 + 3)/4 = 0.75.
    let init = KPrototypesInit::Given {
        numeric: array![[0.0], [6.0]],
        categorical: array![[0u32], [1]],
    };
    let model = KPrototypes::params()
        .n_clusters(2)
        .init(init)
        .gamma(Some(1.0))
        .fit(num.view(), cat.view(), Some(&[1.0, 3.0, 1.0, 1.0]))
        .unwrap();
    assert_eq!(model.centers().0[(0, 0)], 0.75);
}

#[test]
fn json_round_trip_and_corrupt_files() {
    let (num, cat) = groups();
    let model = KPrototypes::params()
        .n_clusters(3)
        .seed(2)
        .fit(num.view(), cat.view(), None)
        .unwrap();
    let back = KPrototypesModel::from_json(&model.to_json()).unwrap();
    assert_eq!(back, model);
    let text = model.to_json().replace("\"version\":1", "\"version\":9");
    assert!(matches!(
        KPrototypesModel::from_json(&text),
        Err(CiblageError::InvalidModelFile { .. })
    ));
    let text = model
        .to_json()
        .replace("\"n_clusters\":3", "\"n_clusters\":4");
    assert!(KPrototypesModel::from_json(&text).is_err());
    assert!(KPrototypesModel::from_json("{").is_err());
    assert!(crate::cluster::KModesModel::from_json(&model.to_json()).is_err());
}

#[test]
fn bad_input_and_parameters_are_named() {
    let (num, cat) = groups();
    let name = |r: Result<KPrototypesModel>| match r {
        Err(CiblageError::InvalidParameter { name, .. }) => name,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        name(
            KPrototypes::params()
                .n_clusters(0)
                .fit(num.view(), cat.view(), None)
        ),
        "n_clusters"
    );
    assert_eq!(
        name(
            KPrototypes::params()
                .n_init(0)
                .fit(num.view(), cat.view(), None)
        ),
        "n_init"
    );
    assert_eq!(
        name(
            KPrototypes::params()
                .gamma(Some(-1.0))
                .fit(num.view(), cat.view(), None)
        ),
        "gamma"
    );
    assert_eq!(
        name(
            KPrototypes::params()
                .n_clusters(41)
                .fit(num.view(), cat.view(), None)
        ),
        "n_clusters"
    );
    let same = Array2::<f64>::zeros((5, 1));
    let same_cat = Array2::<u32>::zeros((5, 1));
    assert_eq!(
        name(
            KPrototypes::params()
                .n_clusters(2)
                .fit(same.view(), same_cat.view(), None)
        ),
        "n_clusters"
    );
    assert!("kmeans++".parse::<KPrototypesInit>().is_err());
    assert_eq!(
        "huang".parse::<KPrototypesInit>().unwrap(),
        KPrototypesInit::Huang
    );
    let mut bad = num.clone();
    bad[(3, 1)] = f64::NAN;
    assert!(matches!(
        KPrototypes::params().fit(bad.view(), cat.view(), None),
        Err(CiblageError::NonFinite { row: 3, .. })
    ));
    let w = vec![1.0; 39];
    assert!(matches!(
        KPrototypes::params().fit(num.view(), cat.view(), Some(&w)),
        Err(CiblageError::LengthMismatch { .. })
    ));
    let mut w = vec![1.0; 40];
    w[5] = -1.0;
    assert!(matches!(
        KPrototypes::params().fit(num.view(), cat.view(), Some(&w)),
        Err(CiblageError::ValueOutOfRange { row: 5, .. })
    ));
    // A given prototype nearest to no row.
    let init = KPrototypesInit::Given {
        numeric: array![[0.0, 0.0], [100.0, 100.0], [10.0, 10.0]],
        categorical: array![[0u32, 0], [9, 9], [1, 1]],
    };
    assert_eq!(
        name(
            KPrototypes::params()
                .n_clusters(3)
                .init(init)
                .fit(num.view(), cat.view(), None)
        ),
        "init"
    );
}

#[test]
fn kmodes_by_hand() {
    let x = array![[0u32, 0], [0, 0], [0, 1], [2, 3], [2, 3], [1, 3]];
    let model = KModes::params()
        .n_clusters(2)
        .init_modes(array![[0u32, 0], [2, 3]])
        .fit(x.view(), None)
        .unwrap();
    assert_eq!(model.labels(), &[0, 0, 0, 1, 1, 1]);
    assert_eq!(model.centers(), array![[0u32, 0], [2, 3]]);
    assert_eq!(model.inertia(), 2.0);
    assert_eq!(model.predict(array![[2u32, 0]].view()).unwrap(), vec![0]);
    let back = crate::cluster::KModesModel::from_json(&model.to_json()).unwrap();
    assert_eq!(back, model);
}

#[test]
fn a_set_token_stops_the_fit_and_zero_weights_are_ignored() {
    let (num, cat) = groups();
    let token = crate::Interrupt::new();
    token.set();
    let r = KPrototypes::params()
        .n_clusters(2)
        .interrupt(token)
        .fit(num.view(), cat.view(), None);
    assert_eq!(r, Err(CiblageError::Interrupted));
    // Rows of weight 0 take no part in the means (but get a label).
    let mut w = vec![1.0; 40];
    w[0] = 0.0;
    let mut far = num.clone();
    far[(0, 0)] = 1e6;
    let init = || KPrototypesInit::Given {
        numeric: array![[0.2, 0.2], [10.2, 10.2]],
        categorical: array![[0u32, 0], [1, 1]],
    };
    let a = KPrototypes::params()
        .n_clusters(2)
        .init(init())
        .fit(far.view(), cat.view(), Some(&w))
        .unwrap();
    let b = KPrototypes::params()
        .n_clusters(2)
        .init(init())
        .fit(num.view(), cat.view(), Some(&w))
        .unwrap();
    assert_eq!(a.centers().0, b.centers().0);
}
