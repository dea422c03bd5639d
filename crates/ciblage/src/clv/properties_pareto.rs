//! Properties of the Pareto/NBD likelihood: its defining integral, the
//! series and the quadrature where both apply, and finiteness at the
//! extremes.

#![allow(clippy::needless_range_loop)] // gradients of two computations compared side by side

/// The Pareto/NBD likelihood by its defining integral (Simpson's rule on
/// a fine grid, denser near t_x where the integrand is steepest: y = t_x +
/// (T - t_x) u^4): alive at T, or dead at y in (t_x, T].
fn pareto_by_quadrature(p: [f64; 4], x: f64, t_x: f64, t: f64) -> f64 {
    use crate::clv::special::ln_gamma;
    let [r, alpha, s, beta] = p;
    let c = (ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln() + s * beta.ln()).exp();
    let d = t - t_x;
    let f = |u: f64| {
        let y = t_x + d * u.powi(4);
        s * (alpha + y).powf(-(r + x)) * (beta + y).powf(-(s + 1.0)) * 4.0 * d * u.powi(3)
    };
    let n = 20_000;
    let h = 1.0 / n as f64;
    let mut integral = f(0.0) + f(1.0);
    for i in 1..n {
        integral += if i % 2 == 1 { 4.0 } else { 2.0 } * f(i as f64 * h);
    }
    integral *= h / 3.0;
    (c * ((alpha + t).powf(-(r + x)) * (beta + t).powf(-s) + integral)).ln()
}

#[test]
fn pareto_nbd_likelihood_matches_its_integral_on_both_branches() {
    for p in [
        [0.55, 10.58, 0.61, 11.67],
        [0.55, 30.0, 0.61, 2.0],
        [2.0, 1.0, 0.3, 5.0],
    ] {
        for (x, t_x, t) in [(0.0, 0.0, 38.0), (2.0, 30.43, 38.86), (7.0, 12.0, 20.0)] {
            let (closed, _) = crate::clv::pareto_nbd::ll_one(p, x, t_x, t);
            let quad = pareto_by_quadrature(p, x, t_x, t);
            assert!(
                (closed - quad).abs() < 1e-8,
                "{p:?} {x}: {closed} vs {quad}"
            );
        }
    }
}

/// Parameters from the published fits to the extremes: one dropout rate
/// far below the purchase rate and the reverse (the hypergeometric
/// argument within 1e-7 of 1), equal rates, tiny and large shapes.
const PARETO_EXTREMES: [[f64; 4]; 7] = [
    [0.5533, 10.578, 0.6062, 11.667],
    [0.5, 1_000.0, 0.3, 1e-4],
    [0.5, 1e-4, 0.3, 1_000.0],
    [2.0, 5.0, 2.0, 5.000_001],
    [0.01, 1e-3, 0.01, 1e3],
    [50.0, 1e4, 50.0, 1e-4],
    [1.0, 0.05, 1.0, 0.05],
];

/// Histories at the extremes: one-time buyers, 10^4 purchases, T from
/// 1e-3 to 10^4, the last purchase at T, just after the first, midway.
pub(super) fn extreme_histories() -> Vec<(f64, f64, f64)> {
    let mut out = Vec::new();
    for t in [1e-3, 39.0, 1e4] {
        out.push((0.0, 0.0, t));
        for x in [1.0, 1e4] {
            for share in [1e-6, 0.5, 1.0] {
                out.push((x, share * t, t));
            }
        }
    }
    out
}

#[test]
fn pareto_nbd_is_finite_everywhere_on_a_grid_of_extremes() {
    use crate::clv::pareto_nbd::ll_one as pareto_ll;
    use crate::clv::ParetoNbdModel;
    for p in PARETO_EXTREMES {
        let m = ParetoNbdModel::from_params(p[0], p[1], p[2], p[3]).unwrap();
        for (x, t_x, t) in extreme_histories() {
            let (v, g) = pareto_ll(p, x, t_x, t);
            assert!(v.is_finite(), "{p:?} {x} {t_x} {t}: {v}");
            assert!(
                g.iter().all(|d| d.is_finite()),
                "{p:?} {x} {t_x} {t}: {g:?}"
            );
            let alive = m.p_alive_one(x, t_x, t);
            assert!((0.0..=1.0).contains(&alive), "{p:?} {x} {t_x} {t}: {alive}");
            let mut before = 0.0;
            for h in [1.0, 1e4] {
                let e = m.expected_purchases_one(h, x, t_x, t);
                assert!(e.is_finite() && e >= before, "{p:?} {x} {t_x} {t} {h}: {e}");
                before = e;
            }
        }
    }
}

#[test]
fn pareto_nbd_quadrature_agrees_with_the_series_where_both_apply() {
    use crate::clv::pareto_nbd::dead_by_series;
    use crate::clv::pareto_special::ln_dead_between;
    for p in [
        [0.55, 10.58, 0.61, 11.67],
        [0.55, 30.0, 0.61, 2.0],
        [2.0, 1.0, 0.3, 5.0],
        [0.3, 4.0, 1.0, 0.4],
    ] {
        for (x, t_x, t) in [(0.0, 0.0, 38.0), (2.0, 30.43, 38.86), (70.0, 1.0, 20.0)] {
            let (a, ga) = dead_by_series(p, x, t_x, t).unwrap();
            let (b, gb) = ln_dead_between(p, x, t_x, t);
            assert!(
                (a - b).abs() < 1e-10 * (1.0 + a.abs()),
                "{p:?} {x}: {a} {b}"
            );
            for k in 0..4 {
                assert!(
                    (ga[k] - gb[k]).abs() < 1e-8 * (1.0 + ga[k].abs()),
                    "{p:?} {x} {k}"
                );
            }
        }
    }
}

#[test]
fn pareto_nbd_likelihood_matches_its_integral_where_the_series_stops() {
    // beta / (alpha + t) below 1e-4: the series would need ~10^6 terms.
    for p in [[0.5, 100.0, 0.4, 1e-3], [0.8, 1e-3, 1.5, 100.0]] {
        for (x, t_x, t) in [(0.0, 0.0, 1.0), (3.0, 1e-3, 2.0), (5.0, 0.5, 1.0)] {
            let (closed, _) = crate::clv::pareto_nbd::ll_one(p, x, t_x, t);
            let quad = pareto_by_quadrature(p, x, t_x, t);
            assert!(
                (closed - quad).abs() < 1e-6,
                "{p:?} {x}: {closed} vs {quad}"
            );
        }
    }
}
