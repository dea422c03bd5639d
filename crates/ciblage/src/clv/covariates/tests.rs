//! Tests of the models with covariates: reduction to the models without,
//! the gradient, recovery of a simulated effect, input faults, JSON.

use ndarray::{array, Array2};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Distribution, Exp, Gamma};

use crate::clv::covariates::likelihood::{total, CovPatterns};
use crate::clv::{
    BgNbd, ClvCovariates, CovariateClv, CovariateClvModel, CovariateKind, Histories, ParetoNbd,
};
use crate::CiblageError;

fn small() -> Histories {
    Histories::new(
        vec![0.0, 1.0, 4.0, 0.0, 2.0, 7.0, 0.0, 1.0, 3.0, 0.0, 5.0, 1.0],
        vec![
            0.0, 10.0, 30.0, 0.0, 5.0, 35.0, 0.0, 38.0, 20.0, 0.0, 33.0, 2.0,
        ],
        vec![
            39.0, 39.0, 39.0, 20.0, 30.0, 39.0, 10.0, 39.0, 39.0, 39.0, 36.0, 25.0,
        ],
    )
    .unwrap()
}

/// BG/NBD histories where the purchase rate's scale is `alpha0 exp(-gamma z)`
/// for a binary `z` (every other customer), `T = 52`.
fn simulate(n: usize, gamma: f64, seed: u64) -> (Histories, ClvCovariates) {
    let (r, alpha0, a, b) = (0.8, 4.0, 0.6, 2.5);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let beta = Beta::new(a, b).unwrap();
    let (mut x, mut tx, mut tt, mut z) = (vec![], vec![], vec![], vec![]);
    for i in 0..n {
        let zi = (i % 2) as f64;
        let alpha = alpha0 * (-gamma * zi).exp();
        let lambda: f64 = Gamma::new(r, 1.0 / alpha).unwrap().sample(&mut rng);
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
        tt.push(52.0);
        z.push(zi);
    }
    let z = Array2::from_shape_vec((n, 1), z).unwrap();
    (
        Histories::new(x, tx, tt).unwrap(),
        ClvCovariates::new(z.view(), &["group"]).unwrap(),
    )
}

#[test]
fn without_covariates_the_fit_is_the_base_fit() {
    let h = small();
    let none =
        ClvCovariates::new(Array2::<f64>::zeros((h.len(), 0)).view(), &[] as &[&str]).unwrap();
    let bg = BgNbd::params().penalizer(0.01).fit(&h).unwrap();
    let cov = CovariateClv::bg_nbd()
        .penalizer(0.01)
        .fit(&h, &none)
        .unwrap();
    // Both stop where the gradient norm is below the same tolerance; the
    // two likelihoods sum the same terms in another order.
    for (u, v) in bg.params().iter().zip(cov.base_params()) {
        assert!((u - v).abs() < 1e-6 * u, "{u} {v}");
    }
    let pn = ParetoNbd::params().penalizer(0.01).fit(&h).unwrap();
    let cov = CovariateClv::pareto_nbd()
        .penalizer(0.01)
        .fit(&h, &none)
        .unwrap();
    for (u, v) in pn.params().iter().zip(cov.base_params()) {
        assert!((u - v).abs() < 1e-6 * u, "{u} {v}");
    }
    // Without a penalty (at a stationary point of the likelihood) the
    // standard errors agree too (the delta method from log-parameters).
    let (h, _) = simulate(600, 0.0, 5);
    let none =
        ClvCovariates::new(Array2::<f64>::zeros((h.len(), 0)).view(), &[] as &[&str]).unwrap();
    let pn = ParetoNbd::params().fit(&h).unwrap();
    let cov = CovariateClv::pareto_nbd().fit(&h, &none).unwrap();
    let (se_base, se_cov) = (
        &pn.report().unwrap().standard_errors,
        &cov.report().unwrap().standard_errors,
    );
    for (u, v) in se_base.iter().zip(se_cov) {
        let (u, v) = (u.unwrap(), v.unwrap());
        assert!((u - v).abs() < 1e-3 * u, "{u} {v}");
    }
}

#[test]
fn zero_coefficients_predict_as_the_base_model() {
    let h = small();
    let z = Array2::from_shape_fn((h.len(), 2), |(i, j)| (i * (j + 2)) as f64 * 0.3);
    let cov = ClvCovariates::new(z.view(), &["u", "v"]).unwrap();
    let bg = BgNbd::params().penalizer(0.01).fit(&h).unwrap();
    let m = CovariateClvModel::from_params(
        CovariateKind::BgNbd,
        bg.params(),
        &[("u", 0.0)],
        &[("v", 0.0)],
    )
    .unwrap();
    let (pa, pb) = (bg.p_alive(&h), m.p_alive(&h, &cov).unwrap());
    assert_eq!(pa, pb);
    let (ea, eb) = (
        bg.expected_purchases(10.0, &h),
        m.expected_purchases(10.0, &h, &cov).unwrap(),
    );
    assert_eq!(ea, eb);
    assert!((bg.log_likelihood(&h) - m.log_likelihood(&h, &cov).unwrap()).abs() < 1e-9);
}

#[test]
fn covariates_scale_each_customers_parameters() {
    // alpha_i = 2 exp(-0.5 * 1), beta_i = 3 exp(-(-0.2) * 2).
    let m = CovariateClvModel::from_params(
        CovariateKind::ParetoNbd,
        [0.5, 2.0, 0.7, 3.0],
        &[("u", 0.5)],
        &[("v", -0.2)],
    )
    .unwrap();
    let cov = ClvCovariates::new(array![[1.0, 2.0]].view(), &["u", "v"]).unwrap();
    let h = Histories::new(vec![2.0], vec![5.0], vec![9.0]).unwrap();
    let by_hand = crate::clv::ParetoNbdModel::from_params(
        0.5,
        2.0 * (-0.5f64).exp(),
        0.7,
        3.0 * 0.4f64.exp(),
    )
    .unwrap();
    let got = m.p_alive(&h, &cov).unwrap()[0];
    assert!((got - by_hand.p_alive_one(2.0, 5.0, 9.0)).abs() < 1e-15);
    // BG/NBD: a_i = a exp(g z), b_i = b exp(g z).
    let m = CovariateClvModel::from_params(
        CovariateKind::BgNbd,
        [0.5, 2.0, 0.7, 3.0],
        &[],
        &[("v", 0.3)],
    )
    .unwrap();
    let by_hand =
        crate::clv::BgNbdModel::from_params(0.5, 2.0, 0.7 * 0.6f64.exp(), 3.0 * 0.6f64.exp())
            .unwrap();
    let got = m.expected_purchases(4.0, &h, &cov).unwrap()[0];
    assert!((got - by_hand.expected_purchases_one(4.0, 2.0, 5.0, 9.0)).abs() < 1e-14);
}

#[test]
fn gradient_matches_finite_differences() {
    let h = small();
    let z = Array2::from_shape_fn((h.len(), 2), |(i, j)| ((i * 7 + j * 3) % 5) as f64 - 2.0);
    for kind in [CovariateKind::BgNbd, CovariateKind::ParetoNbd] {
        let pats = CovPatterns::new(
            &h,
            z.slice(ndarray::s![.., 0..1]),
            z.slice(ndarray::s![.., 1..2]),
        );
        for theta in [
            vec![-0.3, 1.2, 0.1, 0.9, 0.25, -0.15],
            vec![0.4, 2.0, -0.5, 1.5, -0.4, 0.3],
        ] {
            let (_, g) = total(kind, &pats, &theta, 1.0);
            for k in 0..theta.len() {
                let e = 1e-6;
                let (mut up, mut down) = (theta.clone(), theta.clone());
                up[k] += e;
                down[k] -= e;
                let num =
                    (total(kind, &pats, &up, 1.0).0 - total(kind, &pats, &down, 1.0).0) / (2.0 * e);
                assert!(
                    (g[k] - num).abs() < 1e-5 * (1.0 + num.abs()),
                    "{kind:?} {k}: {} {num}",
                    g[k]
                );
            }
        }
    }
}

#[test]
fn a_simulated_purchase_effect_is_recovered_within_its_standard_error() {
    let gamma = 0.7;
    let (h, cov) = simulate(3000, gamma, 11);
    let m = CovariateClv::bg_nbd()
        .trans(&["group"])
        .fit(&h, &cov)
        .unwrap();
    let est = m.gamma_trans().next().unwrap().1;
    let se = m.report().unwrap().standard_errors[4].unwrap();
    assert!(se > 0.0 && se < 0.2, "{se}");
    assert!((est - gamma).abs() < 2.5 * se, "gamma {est} +- {se}");
    // Covariance present and its diagonal the squared standard errors of θ.
    let c = m.covariance().unwrap();
    assert!((c[[4, 4]].sqrt() - se).abs() < 1e-12);
    // A fit with the life process too: its coefficient is near 0 (no effect simulated).
    let m = CovariateClv::bg_nbd()
        .trans(&["group"])
        .life(&["group"])
        .fit(&h, &cov)
        .unwrap();
    let (gl, se) = (
        m.gamma_life().next().unwrap().1,
        m.report().unwrap().standard_errors[5].unwrap(),
    );
    assert!(gl.abs() < 3.0 * se, "{gl} +- {se}");
}

#[test]
fn bad_covariates_are_named() {
    let h = small();
    let n = h.len();
    let constant = Array2::from_elem((n, 1), 3.0);
    let cov = ClvCovariates::new(constant.view(), &["c"]).unwrap();
    let e = CovariateClv::bg_nbd()
        .trans(&["c"])
        .fit(&h, &cov)
        .unwrap_err();
    assert!(
        matches!(e, CiblageError::InvalidCovariates { .. }) && e.to_string().contains("constant"),
        "{e}"
    );
    let z = Array2::from_shape_fn((n, 2), |(i, j)| (i as f64) * (j as f64 + 1.0));
    let cov = ClvCovariates::new(z.view(), &["u", "v"]).unwrap();
    let e = CovariateClv::pareto_nbd()
        .life(&["u", "v"])
        .fit(&h, &cov)
        .unwrap_err();
    assert!(
        e.to_string().starts_with("life:") && e.to_string().contains("collinear"),
        "{e}"
    );
    let e = CovariateClv::pareto_nbd()
        .trans(&["w"])
        .fit(&h, &cov)
        .unwrap_err();
    assert!(e.to_string().contains("\"w\" not found"), "{e}");
    let short = ClvCovariates::new(z.slice(ndarray::s![..3, ..]), &["u", "v"]).unwrap();
    let e = CovariateClv::pareto_nbd()
        .trans(&["u"])
        .fit(&h, &short)
        .unwrap_err();
    assert!(matches!(e, CiblageError::LengthMismatch { .. }), "{e}");
    let mut bad = z.clone();
    bad[[4, 1]] = f64::NAN;
    let e = ClvCovariates::new(bad.view(), &["u", "v"]).unwrap_err();
    assert_eq!(e.to_string(), "covariates.v: non-finite value NaN at row 4");
    assert!(CovariateClv::bg_nbd().trans(&["u", "u"]).check().is_err());
    assert!(ClvCovariates::new(z.view(), &["u", "u"]).is_err());
}

#[test]
fn json_round_trip_and_validation() {
    let (h, cov) = simulate(400, 0.5, 3);
    let m = CovariateClv::pareto_nbd()
        .trans(&["group"])
        .fit(&h, &cov)
        .unwrap();
    let text = m.to_json();
    let back = CovariateClvModel::from_json(&text).unwrap();
    assert_eq!(back.param_values(), m.param_values());
    assert_eq!(back.covariance(), m.covariance());
    // The coefficient names must match the covariate lists.
    let renamed = text.replace("\"trans.group\"", "\"trans.other\"");
    let e = CovariateClvModel::from_json(&renamed).unwrap_err();
    assert!(e.to_string().contains("params: expected"), "{e}");
    let e = CovariateClvModel::from_json(&text.replace("pareto_nbd_cov", "bg_nbd")).unwrap_err();
    assert!(e.to_string().contains("model:"), "{e}");
    // Predictions need the model's columns.
    let other = ClvCovariates::new(cov.values(), &["x"]).unwrap();
    assert!(back.p_alive(&h, &other).is_err());
}

#[test]
fn damaged_files_fail_with_a_typed_error() {
    let (h, cov) = simulate(300, 0.5, 8);
    let text = CovariateClv::bg_nbd()
        .trans(&["group"])
        .life(&["group"])
        .fit(&h, &cov)
        .unwrap()
        .to_json();
    for cut in (0..text.len()).step_by(5) {
        assert!(CovariateClvModel::from_json(&text[..cut]).is_err());
    }
    // Every number replaced by a negative, a huge or a non-number value.
    let numbers: Vec<(usize, usize)> = {
        let b = text.as_bytes();
        let mut out = vec![];
        let mut i = 0;
        while i < b.len() {
            if b[i].is_ascii_digit() || b[i] == b'-' {
                let start = i;
                while i < b.len() && (b[i].is_ascii_digit() || b"-+.eE".contains(&b[i])) {
                    i += 1;
                }
                out.push((start, i));
            } else {
                i += 1;
            }
        }
        out
    };
    for &(a, b) in &numbers {
        for bad in ["-1", "1e308", "null", "\"x\""] {
            let damaged = format!("{}{}{}", &text[..a], bad, &text[b..]);
            if let Ok(m) = CovariateClvModel::from_json(&damaged) {
                // Loaded: it predicts without panicking.
                let _ = m.p_alive(&h, &cov).unwrap();
            }
        }
    }
}
