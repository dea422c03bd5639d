//! Properties of the models: analytic gradients against finite
//! differences, predictions against their definitions, invariance of the
//! fits to row order, weights and threads.

#![allow(clippy::needless_range_loop)] // gradients of two computations compared side by side

use proptest::prelude::*;

use crate::clv::bgnbd::ll_one;
use crate::clv::properties_pareto::extreme_histories;
use crate::clv::tests::cdnow_histories;
use crate::clv::{BgNbd, BgNbdModel, Histories};

/// Five-point central difference of `f` in parameter `k`, with a step of
/// 10^-3 of the parameter: its truncation error is O(h^4), and the step is
/// wide enough that the rounding of large log-likelihoods (10^4 for
/// thousands of purchases) stays far below the tolerance (a two-point
/// difference with a step of 10^-6 lost three digits there).
fn numeric<const N: usize>(f: impl Fn([f64; N]) -> f64, p: [f64; N], k: usize) -> f64 {
    let h = 1e-3 * p[k].max(1e-3);
    let at = |c: f64| {
        let mut q = p;
        q[k] += c * h;
        f(q)
    };
    (-at(2.0) + 8.0 * at(1.0) - 8.0 * at(-1.0) + at(-2.0)) / (12.0 * h)
}

/// Checks the analytic gradient of a log-likelihood `ll` (value and
/// gradient) at `p` against central differences of its value, each
/// parameter within `tol` relative (plus `tol` absolute); the value must
/// be finite.
fn check_gradient<const N: usize>(
    ll: impl Fn([f64; N]) -> (f64, [f64; N]),
    p: [f64; N],
    tol: f64,
) -> Result<(), TestCaseError> {
    let (v, g) = ll(p);
    prop_assert!(v.is_finite(), "value {} at {:?}", v, p);
    for (k, &analytic) in g.iter().enumerate() {
        let n = numeric(|q| ll(q).0, p, k);
        prop_assert!(
            (analytic - n).abs() <= tol * (1.0 + n.abs()),
            "k {} analytic {} numeric {} at {:?}",
            k,
            analytic,
            n,
            p
        );
    }
    Ok(())
}

proptest! {
    #[test]
    fn bg_nbd_gradient_matches_finite_differences(
        r in 0.05f64..5.0, alpha in 0.1f64..50.0, a in 0.05f64..5.0, b in 0.05f64..10.0,
        x in 0u32..50, tx_share in 0.0f64..1.0, t in 0.5f64..200.0,
    ) {
        let x = f64::from(x);
        let t_x = if x == 0.0 { 0.0 } else { (tx_share * t).max(1e-3) };
        check_gradient(|q| ll_one(q, x, t_x, t), [r, alpha, a, b], 1e-5)?;
    }

    #[test]
    fn mbg_nbd_gradient_matches_finite_differences(
        r in 0.05f64..5.0, alpha in 0.1f64..50.0, a in 0.05f64..5.0, b in 0.05f64..10.0,
        x in 0u32..50, tx_share in 0.0f64..1.0, t in 0.5f64..200.0,
    ) {
        let x = f64::from(x);
        let t_x = if x == 0.0 { 0.0 } else { (tx_share * t).max(1e-3) };
        check_gradient(|q| crate::clv::mbgnbd::ll_one(q, x, t_x, t), [r, alpha, a, b], 1e-5)?;
    }

    #[test]
    fn gamma_gamma_gradient_matches_finite_differences(
        p in 0.1f64..20.0, q in 0.5f64..20.0, v in 0.1f64..100.0, x in 1u32..1000, m in 0.01f64..1e4,
    ) {
        let x = f64::from(x);
        check_gradient(|c| crate::clv::gamma_gamma::ll_one(c, x, m), [p, q, v], 1e-4)?;
    }

    #[test]
    fn pareto_nbd_gradient_matches_finite_differences(
        r in 0.05f64..5.0, alpha in 0.1f64..50.0, s in 0.05f64..5.0, beta in 0.1f64..50.0,
        x in 0u32..200, tx_share in 0.0f64..1.0, t in 0.5f64..200.0,
    ) {
        let x = f64::from(x);
        let t_x = if x == 0.0 { 0.0 } else { tx_share * t };
        check_gradient(|q| crate::clv::pareto_nbd::ll_one(q, x, t_x, t), [r, alpha, s, beta], 1e-4)?;
    }

    #[test]
    fn bg_nbd_p_alive_is_a_probability_and_purchases_grow_with_the_horizon(
        x in 0u32..10_000, tx_share in 0.0f64..1.0, t in 0.5f64..10_000.0, h in 0.1f64..100.0,
    ) {
        let m = BgNbdModel::from_params(0.2426, 4.414, 0.7929, 2.426).unwrap();
        let x = f64::from(x);
        let t_x = if x == 0.0 { 0.0 } else { tx_share * t };
        let p = m.p_alive_one(x, t_x, t);
        prop_assert!((0.0..=1.0).contains(&p));
        let (e1, e2) = (m.expected_purchases_one(h, x, t_x, t), m.expected_purchases_one(2.0 * h, x, t_x, t));
        prop_assert!(e1.is_finite() && e1 >= 0.0 && e2 >= e1, "{} {}", e1, e2);
    }
}

#[test]
fn bg_nbd_expectations_are_continuous_through_a_equal_one() {
    let at = |a: f64| BgNbdModel::from_params(0.25, 4.4, a, 2.4).unwrap();
    let (below, one, above) = (at(0.999), at(1.0), at(1.001));
    for m in [&below, &one, &above] {
        assert!(m.expected_purchases_new(39.0).is_finite());
    }
    let mid = 0.5 * (below.expected_purchases_new(39.0) + above.expected_purchases_new(39.0));
    assert!((one.expected_purchases_new(39.0) - mid).abs() < 1e-4);
    assert!(one
        .expected_purchases_one(10.0, 3.0, 20.0, 30.0)
        .is_finite());
}

#[test]
fn purchase_probabilities_sum_to_one_and_to_the_expected_count() {
    let m = BgNbdModel::from_params(0.2426, 4.414, 0.7929, 2.426).unwrap();
    let t = 39.0;
    let probs: Vec<f64> = (0..400).map(|n| m.prob_n_purchases(n, t)).collect();
    let total: f64 = probs.iter().sum();
    let mean: f64 = probs.iter().enumerate().map(|(n, p)| n as f64 * p).sum();
    assert!((total - 1.0).abs() < 1e-6, "{total}");
    assert!((mean - m.expected_purchases_new(t)).abs() < 1e-4, "{mean}");
}

#[test]
fn weights_equal_repeated_rows_and_order_does_not_matter() {
    let h = cdnow_histories();
    let base = BgNbd::params().fit(&h).unwrap();
    // Reversed rows, and the first 100 rows doubled by weight 2 versus repeated.
    let rev = |v: &[f64]| v.iter().rev().copied().collect::<Vec<_>>();
    let hr = Histories::new(rev(h.frequency()), rev(h.recency()), rev(h.t())).unwrap();
    assert_eq!(BgNbd::params().fit(&hr).unwrap().params(), base.params());
    let mut w = vec![1.0; h.len()];
    w[..100].fill(2.0);
    let hw = Histories::new(h.frequency().to_vec(), h.recency().to_vec(), h.t().to_vec())
        .unwrap()
        .with_weights(w)
        .unwrap();
    let rep = |v: &[f64]| v.iter().chain(&v[..100]).copied().collect::<Vec<_>>();
    let hd = Histories::new(rep(h.frequency()), rep(h.recency()), rep(h.t())).unwrap();
    let (mw, md) = (
        BgNbd::params().fit(&hw).unwrap(),
        BgNbd::params().fit(&hd).unwrap(),
    );
    assert_eq!(mw.params(), md.params());
}

#[test]
fn fits_do_not_depend_on_the_number_of_threads() {
    let h = cdnow_histories();
    let fit = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| BgNbd::params().fit(&h).unwrap())
    };
    assert_eq!(fit(1), fit(3));
}

#[test]
fn fit_errors_are_typed() {
    let h = cdnow_histories();
    let e = BgNbd::params().max_iterations(2).fit(&h).unwrap_err();
    assert!(
        matches!(
            e,
            crate::CiblageError::FitFailed {
                model: "BG/NBD",
                ..
            }
        ),
        "{e}"
    );
    let e = BgNbd::params().penalizer(-1.0).check().unwrap_err();
    assert!(e.to_string().contains("penalizer"), "{e}");
    let e = BgNbdModel::from_json("{\"model\": \"bg_nbd\"}").unwrap_err();
    assert!(e.to_string().starts_with("BG/NBD model:"), "{e}");
}

#[test]
fn bg_nbd_expectations_agree_across_their_three_forms() {
    // Euler's series, the direct series (a short budget forces it) and the
    // integral over the dropout probability.
    for p in [
        [0.2426, 4.414, 0.7929, 2.426],
        [1.5, 0.3, 3.0, 0.4],
        [0.3, 20.0, 0.2, 8.0],
    ] {
        let m = BgNbdModel::from_params(p[0], p[1], p[2], p[3]).unwrap();
        for (h, x, t) in [(39.0, 2.0, 38.86), (1.0, 0.0, 10.0), (5.0, 150.0, 60.0)] {
            let series = m.if_alive(h, x, t);
            let quad = m.if_alive_by_quadrature(h, x, t);
            assert!(
                (series / quad - 1.0).abs() < 1e-9,
                "{p:?} {h} {x}: {series} {quad}"
            );
        }
    }
}

#[test]
fn bg_nbd_is_finite_everywhere_on_a_grid_of_extremes() {
    for p in [
        [0.2426, 4.414, 0.7929, 2.426],
        [0.5, 1e-4, 0.3, 1e3],
        [50.0, 1e4, 50.0, 1e-4],
        [0.01, 1e-3, 1.0, 0.01],
        [1.0, 1.0, 1.0005, 1.0],
    ] {
        let m = BgNbdModel::from_params(p[0], p[1], p[2], p[3]).unwrap();
        for (x, t_x, t) in extreme_histories() {
            let (v, g) = ll_one(p, x, t_x, t);
            assert!(
                v.is_finite() && g.iter().all(|d| d.is_finite()),
                "{p:?} {x} {t_x} {t}"
            );
            let alive = m.p_alive_one(x, t_x, t);
            assert!((0.0..=1.0).contains(&alive), "{p:?} {x} {t_x} {t}: {alive}");
            let mut before = 0.0;
            for h in [1.0, 52.0, 1e7] {
                let e = m.expected_purchases_one(h, x, t_x, t);
                assert!(
                    e.is_finite() && e >= before * (1.0 - 1e-12),
                    "{p:?} {x} {t_x} {t} {h}: {e} {before}"
                );
                before = e;
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn pareto_nbd_gradient_matches_finite_differences_at_the_extremes(
        r in 0.05f64..5.0, la in -3.0f64..3.0, s in 0.05f64..5.0, lb in -4.0f64..-1.0,
        swap in proptest::bool::ANY,
        x in 0u32..2_000, tx_share in 0.0f64..1.0, t in 0.01f64..5.0,
    ) {
        // One rate 10^1..10^6 times the other: the quadrature branch.
        let (big, small) = (10f64.powf(la + 3.0), 10f64.powf(lb));
        let (alpha, beta) = if swap { (small, big) } else { (big, small) };
        let x = f64::from(x);
        let t_x = if x == 0.0 { 0.0 } else { tx_share * t };
        check_gradient(|q| crate::clv::pareto_nbd::ll_one(q, x, t_x, t), [r, alpha, s, beta], 1e-4)?;
    }

    #[test]
    fn pareto_nbd_p_alive_is_a_probability_and_purchases_grow_with_the_horizon(
        x in 0u32..10_000, tx_share in 0.0f64..1.0, t in 0.001f64..10_000.0, h in 0.1f64..1000.0,
        lb in -4.0f64..4.0,
    ) {
        let m = crate::clv::ParetoNbdModel::from_params(0.5533, 10.578, 0.6062, 10f64.powf(lb)).unwrap();
        let x = f64::from(x);
        let t_x = if x == 0.0 { 0.0 } else { tx_share * t };
        let p = m.p_alive_one(x, t_x, t);
        prop_assert!((0.0..=1.0).contains(&p));
        let (e1, e2) = (m.expected_purchases_one(h, x, t_x, t), m.expected_purchases_one(2.0 * h, x, t_x, t));
        prop_assert!(e1.is_finite() && e1 >= 0.0 && e2 >= e1, "{} {}", e1, e2);
    }
}

#[test]
fn pareto_nbd_weights_equal_repeated_rows() {
    use crate::clv::ParetoNbd;
    let h = cdnow_histories();
    let n = 300;
    let cut = |v: &[f64]| v[..n].to_vec();
    let mut w = vec![1.0; n];
    w[..50].fill(3.0);
    let hw = Histories::new(cut(h.frequency()), cut(h.recency()), cut(h.t()))
        .unwrap()
        .with_weights(w)
        .unwrap();
    let rep = |v: &[f64]| {
        let mut out = v[..n].to_vec();
        out.extend_from_slice(&v[..50]);
        out.extend_from_slice(&v[..50]);
        out
    };
    let hd = Histories::new(rep(h.frequency()), rep(h.recency()), rep(h.t())).unwrap();
    let fit = |d: &Histories| ParetoNbd::params().penalizer(0.01).fit(d).unwrap().params();
    assert_eq!(fit(&hw), fit(&hd));
}

/// Wall time of the fits and predictions on `CIBLAGE_CLV_TIMING` (default
/// 1,000,000) simulated BG/NBD customers in days, with the number of
/// likelihood evaluations. A measurement, not a check: run by hand in a
/// release build (`cargo test --release -p ciblage --lib clv_timing --
/// --ignored --nocapture`).
#[test]
#[ignore = "a timing, run by hand in a release build"]
fn clv_timing() {
    use rand::{RngExt, SeedableRng};
    use rand_distr::{Beta, Distribution, Exp, Gamma};
    use std::time::Instant;
    let n: usize = std::env::var("CIBLAGE_CLV_TIMING")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(42);
    let (rate, dropout) = (
        Gamma::<f64>::new(0.25, 1.0 / 30.0).unwrap(),
        Beta::<f64>::new(0.8, 2.4).unwrap(),
    );
    let (mut f, mut r, mut t) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..n {
        let end = f64::from(rng.random_range(1..=730u32));
        let (lambda, p): (f64, f64) = (rate.sample(&mut rng).max(1e-12), dropout.sample(&mut rng));
        let gap = Exp::new(lambda).unwrap();
        let (mut now, mut x, mut last) = (0.0, 0.0, 0.0);
        loop {
            now += gap.sample(&mut rng);
            if now > end {
                break;
            }
            x += 1.0;
            last = f64::floor(now).max(last);
            if rng.random::<f64>() < p {
                break;
            }
        }
        f.push(x);
        r.push(if x == 0.0 { 0.0 } else { last });
        t.push(end);
    }
    let h = Histories::new(f, r, t).unwrap();
    let clock = Instant::now();
    let patterns = h.patterns().len();
    println!(
        "{n} customers, {patterns} patterns: {:.3} s",
        clock.elapsed().as_secs_f64()
    );
    let clock = Instant::now();
    let bg = BgNbd::params().fit(&h).unwrap();
    println!(
        "BG/NBD fit {:.3} s, {:?}, {:?}",
        clock.elapsed().as_secs_f64(),
        bg.params(),
        bg.report().unwrap().convergence
    );
    let clock = Instant::now();
    let pn = crate::clv::ParetoNbd::params().fit(&h).unwrap();
    println!(
        "Pareto/NBD fit {:.3} s, {:?}, {:?}",
        clock.elapsed().as_secs_f64(),
        pn.params(),
        pn.report().unwrap().convergence
    );
    let clock = Instant::now();
    let (a, e) = (bg.p_alive(&h), bg.expected_purchases(30.0, &h));
    println!(
        "BG/NBD predictions {:.3} s ({})",
        clock.elapsed().as_secs_f64(),
        a.len() + e.len()
    );
    let clock = Instant::now();
    let (a, e) = (pn.p_alive(&h), pn.expected_purchases(30.0, &h));
    println!(
        "Pareto/NBD predictions {:.3} s ({})",
        clock.elapsed().as_secs_f64(),
        a.len() + e.len()
    );
}
