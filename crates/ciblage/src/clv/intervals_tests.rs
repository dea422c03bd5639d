//! Tests of the parametric bootstrap: coverage on simulated data,
//! determinism across thread counts, narrower intervals with more data.

use ndarray::Array2;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Distribution, Exp, Gamma};

use super::*;
use crate::clv::{BgNbd, ClvCovariates, CovariateClv, GammaGamma, Histories};

const TRUE: [f64; 4] = [0.8, 4.0, 0.6, 2.5];

/// BG/NBD histories at [`TRUE`] parameters, `T = 52`.
fn simulate(n: usize, seed: u64) -> Histories {
    let [r, alpha, a, b] = TRUE;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (gamma, beta) = (
        Gamma::new(r, 1.0 / alpha).unwrap(),
        Beta::new(a, b).unwrap(),
    );
    let (mut x, mut tx) = (vec![], vec![]);
    for _ in 0..n {
        let lambda: f64 = gamma.sample(&mut rng);
        let p: f64 = beta.sample(&mut rng);
        let (mut t, mut k, mut last) = (0.0, 0.0, 0.0);
        loop {
            t += Exp::new(lambda).unwrap().sample(&mut rng);
            if t > 52.0 {
                break;
            }
            k += 1.0;
            last = t;
            if rng.random::<f64>() < p {
                break;
            }
        }
        x.push(k);
        tx.push(last);
    }
    Histories::new(x, tx, vec![52.0; n]).unwrap()
}

/// Probe histories the intervals are computed for.
const PROBES: [(f64, f64, f64); 4] = [
    (0.0, 0.0, 52.0),
    (2.0, 30.0, 52.0),
    (5.0, 50.0, 52.0),
    (1.0, 5.0, 52.0),
];

#[test]
fn the_interval_covers_the_true_prediction_at_its_level() {
    let truth = BgNbdModel::from_params(TRUE[0], TRUE[1], TRUE[2], TRUE[3]).unwrap();
    let (mut covered, mut total) = (0, 0);
    for rep in 0..30 {
        let h = simulate(400, 100 + rep);
        let model = BgNbd::params().fit(&h).unwrap();
        let cov = model.log_covariance(&h).unwrap();
        let ci = Bootstrap::params()
            .draws(300)
            .seed(rep)
            .score(&model, cov.view(), PROBES.len(), |m, i| {
                let (x, tx, t) = PROBES[i];
                m.expected_purchases_one(26.0, x, tx, t)
            })
            .unwrap();
        for (i, &(x, tx, t)) in PROBES.iter().enumerate() {
            let v = truth.expected_purchases_one(26.0, x, tx, t);
            covered += usize::from(ci.low[i] <= v && v <= ci.high[i]);
            total += 1;
        }
    }
    let rate = covered as f64 / total as f64;
    // 120 intervals (30 independent fits) at 90%: the rate within about 3
    // standard errors of 0.9 (sd of the rate about 0.03 per fit cluster).
    assert!((0.75..=0.99).contains(&rate), "coverage {rate}");
}

#[test]
fn intervals_do_not_depend_on_the_thread_count() {
    let h = simulate(3000, 1);
    let model = BgNbd::params().fit(&h).unwrap();
    let cov = model.log_covariance(&h).unwrap();
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                Bootstrap::params()
                    .draws(50)
                    .seed(9)
                    .score(&model, cov.view(), h.len(), |m, i| {
                        m.p_alive_one(h.frequency()[i], h.recency()[i], h.t()[i])
                    })
                    .unwrap()
            })
    };
    let one = run(1);
    assert_eq!(one, run(3));
    assert_eq!(one.low.len(), h.len());
    assert!(one.low.iter().zip(&one.high).all(|(l, u)| l <= u));
}

#[test]
fn intervals_narrow_with_more_customers() {
    let width = |n: usize| {
        let h = simulate(n, 4);
        let model = BgNbd::params().fit(&h).unwrap();
        let cov = model.log_covariance(&h).unwrap();
        let ci = Bootstrap::params()
            .draws(400)
            .score(&model, cov.view(), 1, |m, _| m.p_alive_one(2.0, 30.0, 52.0))
            .unwrap();
        ci.high[0] - ci.low[0]
    };
    let (small, large) = (width(300), width(4800));
    // Standard errors shrink like 1/sqrt(n): 16 times the data, about a quarter of the width.
    assert!(large < 0.5 * small && large > 0.0, "{small} {large}");
}

#[test]
fn clv_and_covariate_models_are_bootstrapped() {
    let h = simulate(800, 2);
    let spend: Vec<f64> = (0..h.len()).map(|i| 20.0 + (i % 7) as f64 * 3.0).collect();
    let h = h.with_monetary_value(spend).unwrap();
    let purchases = BgNbd::params().fit(&h).unwrap();
    let gg = GammaGamma::params().fit(&h).unwrap();
    let cov = block_diagonal(
        purchases.log_covariance(&h).unwrap().view(),
        gg.log_covariance(&h).unwrap().view(),
    );
    let pair = (purchases.clone(), gg.clone());
    let m = h.monetary_value().unwrap();
    let ci = Bootstrap::params()
        .draws(100)
        .score(&pair, cov.view(), 20, |(p, g), i| {
            g.expected_average_spend_one(h.frequency()[i], m[i])
                * p.expected_purchases_one(12.0, h.frequency()[i], h.recency()[i], h.t()[i])
        })
        .unwrap();
    assert!((0..20).all(|i| ci.low[i] <= ci.high[i] && ci.estimate[i] >= 0.0));
    // The Gamma-Gamma covariance agrees with the fit's standard errors (delta method).
    let c = gg.log_covariance(&h).unwrap();
    for (k, se) in gg.report().unwrap().standard_errors.iter().enumerate() {
        let se = se.unwrap();
        assert!(
            (c[[k, k]].sqrt() * gg.params()[k] - se).abs() < 2e-3 * se,
            "{k}"
        );
    }

    let z = Array2::from_shape_fn((h.len(), 1), |(i, _)| (i % 2) as f64);
    let covariates = ClvCovariates::new(z.view(), &["g"]).unwrap();
    let model = CovariateClv::bg_nbd()
        .trans(&["g"])
        .fit(&h, &covariates)
        .unwrap();
    let bound = model.bind(&covariates, h.len()).unwrap();
    let ci = Bootstrap::params()
        .draws(100)
        .score(
            &model,
            model.covariance().unwrap().view(),
            h.len(),
            |m, i| {
                m.customer(&bound, i)
                    .p_alive_one(h.frequency()[i], h.recency()[i], h.t()[i])
            },
        )
        .unwrap();
    assert!((0..h.len()).all(|i| ci.low[i] <= ci.high[i] + 1e-15));
}

#[test]
fn bad_parameters_and_covariances_are_named() {
    let e = Bootstrap::params().draws(1).check().unwrap_err();
    assert!(e.to_string().contains("draws"), "{e}");
    let e = Bootstrap::params().level(1.0).check().unwrap_err();
    assert!(e.to_string().contains("level"), "{e}");
    let m = BgNbdModel::from_params(1.0, 2.0, 0.5, 2.0).unwrap();
    let bad = Array2::<f64>::zeros((3, 3));
    let e = Bootstrap::params()
        .score(&m, bad.view(), 1, |_, _| 0.0)
        .unwrap_err();
    assert!(e.to_string().contains("covariance"), "{e}");
    let singular = Array2::<f64>::zeros((4, 4));
    assert!(Bootstrap::params()
        .score(&m, singular.view(), 1, |_, _| 0.0)
        .is_err());
    let token = Interrupt::new();
    token.set();
    let e = Bootstrap::params()
        .interrupt(token)
        .score(&m, Array2::<f64>::eye(4).view(), 10, |_, _| 0.0)
        .unwrap_err();
    assert_eq!(e, CiblageError::Interrupted);
}

#[test]
fn quantiles_interpolate_linearly() {
    // R's quantile(c(1, 2, 3, 4), 0.25) = 1.75 (type 7).
    assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0], 0.25), 1.75);
    assert_eq!(quantile(&[5.0], 0.9), 5.0);
    assert!(quantile(&[], 0.5).is_nan());
}
