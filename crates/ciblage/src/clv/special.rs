//! Special functions of the CLV likelihoods, in log space: log-gamma,
//! digamma, log-sum-exp and the Gauss hypergeometric series.

pub(crate) use statrs::function::gamma::{digamma, ln_gamma};

/// `ln(exp(a) + exp(b))` without overflow.
#[inline]
pub(crate) fn log_add_exp(a: f64, b: f64) -> f64 {
    if a == f64::NEG_INFINITY {
        return b;
    }
    if b == f64::NEG_INFINITY {
        return a;
    }
    let (hi, lo) = if a > b { (a, b) } else { (b, a) };
    hi + (lo - hi).exp().ln_1p()
}

/// `ln(1 - exp(x))` for `x <= 0`, accurate near 0 and far below it.
#[inline]
pub(crate) fn ln_one_minus_exp(x: f64) -> f64 {
    if x > -std::f64::consts::LN_2 {
        (-x.exp_m1()).ln()
    } else {
        (-x.exp()).ln_1p()
    }
}

/// `1 / (1 + exp(x))` without overflow.
#[inline]
pub(crate) fn logistic_of_neg(x: f64) -> f64 {
    if x > 0.0 {
        let e = (-x).exp();
        e / (1.0 + e)
    } else {
        1.0 / (1.0 + x.exp())
    }
}

/// `ln B(a, b)`.
#[inline]
pub(crate) fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

/// [`ln_hyp2f1_within`] with a budget of 20 million terms (reached only for
/// `z` within about 1e-6 of 1).
pub(crate) fn ln_hyp2f1(a: f64, b: f64, c: f64, z: f64) -> Option<(f64, f64)> {
    ln_hyp2f1_within(a, b, c, z, 20_000_000)
}

/// `ln |2F1(a, b; c; z)|` and the sign of `2F1`, for `0 <= z < 1`, by the
/// power series summed with rescaling, so that parameters of 10^4 and more
/// (a frequency of 10^4 purchases) do not overflow; at most `max_terms`
/// terms. `None` when `c` is a pole (0, −1, …) or the series does not
/// settle within `max_terms` terms (the callers then turn to quadrature).
/// The term ratios are multiplied (no logarithm per term) and the running sum rescaled when the
/// terms grow past 1e200.
pub(crate) fn ln_hyp2f1_within(
    a: f64,
    b: f64,
    c: f64,
    z: f64,
    max_terms: usize,
) -> Option<(f64, f64)> {
    if !(0.0..1.0).contains(&z) {
        return None;
    }
    if z == 0.0 {
        return Some((0.0, 1.0));
    }
    let finish = |sum: f64, scale: f64| {
        (sum != 0.0 && sum.is_finite()).then(|| (scale + sum.abs().ln(), sum.signum()))
    };
    // Running sum and current term, both times exp(-scale).
    let (mut sum, mut term, mut scale) = (1.0_f64, 1.0_f64, 0.0_f64);
    for n in 0..max_terms {
        let k = n as f64;
        let (an, bn, cn) = (a + k, b + k, c + k);
        if cn == 0.0 {
            return None;
        }
        if an == 0.0 || bn == 0.0 {
            // The series terminates: a polynomial.
            return finish(sum, scale);
        }
        let ratio = an / cn * (bn / (k + 1.0)) * z;
        term *= ratio;
        if term.abs() > 1e200 {
            sum /= term.abs();
            scale += term.abs().ln();
            term = term.signum();
        }
        sum += term;
        // Once the terms shrink geometrically (ratio below 1 and every
        // factor positive), the tail is below term * ratio / (1 - ratio).
        if ratio.abs() < 1.0 && an > 0.0 && bn > 0.0 && cn > 0.0 {
            let tail = term.abs() * ratio / (1.0 - ratio);
            if tail < 1e-17 * sum.abs() {
                return finish(sum, scale);
            }
        }
        if !term.is_finite() {
            return None;
        }
    }
    None
}

/// Gauss-Kronrod 15-point abscissae on `[-1, 1]` (the positive half; the
/// odd indices are the 7-point Gauss abscissae).
const XGK: [f64; 8] = [
    0.991_455_371_120_812_6,
    0.949_107_912_342_758_5,
    0.864_864_423_359_769_1,
    0.741_531_185_599_394_4,
    0.586_087_235_467_691_1,
    0.405_845_151_377_397_2,
    0.207_784_955_007_898_5,
    0.0,
];
/// Kronrod weights of [`XGK`].
const WGK: [f64; 8] = [
    0.022_935_322_010_529_22,
    0.063_092_092_629_978_55,
    0.104_790_010_322_250_2,
    0.140_653_259_715_525_9,
    0.169_004_726_639_267_9,
    0.190_350_578_064_785_4,
    0.204_432_940_075_298_9,
    0.209_482_141_084_727_8,
];
/// Gauss weights of `XGK[1]`, `XGK[3]`, `XGK[5]`, `XGK[7]`.
const WG: [f64; 4] = [
    0.129_484_966_168_869_7,
    0.279_705_391_489_276_7,
    0.381_830_050_505_118_9,
    0.417_959_183_673_469_4,
];

/// One Gauss-Kronrod panel: the 15-point estimate of `∫_a^b f`, the
/// difference from the 7-point one (the error estimate) and `∫_a^b |f|`.
#[allow(clippy::needless_range_loop)] // components k of several arrays side by side
fn kronrod<const N: usize>(f: &impl Fn(f64) -> [f64; N], a: f64, b: f64) -> [[f64; N]; 3] {
    let (mid, half) = (0.5 * (a + b), 0.5 * (b - a));
    let mut k15 = [0.0; N];
    let mut g7 = [0.0; N];
    let mut abs = [0.0; N];
    for j in 0..8 {
        let points: &[f64] = if j == 7 {
            &[mid]
        } else {
            &[mid - half * XGK[j], mid + half * XGK[j]]
        };
        for &u in points {
            let v = f(u);
            for k in 0..N {
                k15[k] += WGK[j] * v[k];
                abs[k] += WGK[j] * v[k].abs();
                if j % 2 == 1 {
                    g7[k] += WG[j / 2] * v[k];
                }
            }
        }
    }
    let err = std::array::from_fn(|k| (k15[k] - g7[k]).abs() * half);
    [k15.map(|v| v * half), err, abs.map(|v| v * half)]
}

/// Panels [`integrate`] splits the interval into at most.
const MAX_PANELS: usize = 400;

/// `∫_a^b f` of a vector of smooth functions by adaptive Gauss-Kronrod
/// (7-15) quadrature: the panel with the largest estimated error is halved
/// until every component's estimated error is below `rel` times the
/// integral of its absolute value. The estimate (the difference of the
/// Kronrod and Gauss sums) is pessimistic: the 15-point sums converge much
/// faster than it, so `rel = 1e-10` gives about 14 correct digits on
/// smooth integrands. The integrand is never evaluated at the
/// ends (integrable end singularities are allowed).
#[allow(clippy::needless_range_loop)] // components k of several arrays side by side
pub(crate) fn integrate<const N: usize>(
    f: impl Fn(f64) -> [f64; N],
    a: f64,
    b: f64,
    rel: f64,
) -> [f64; N] {
    let mut panels = vec![(a, b, kronrod(&f, a, b))];
    loop {
        let mut total = [[0.0; N]; 3];
        for (_, _, r) in &panels {
            for i in 0..3 {
                for k in 0..N {
                    total[i][k] += r[i][k];
                }
            }
        }
        let [value, err, abs] = total;
        let done = (0..N).all(|k| err[k] <= rel * abs[k] || abs[k] == 0.0);
        if done || panels.len() >= MAX_PANELS {
            return value;
        }
        // The panel contributing most to the worst relative error.
        let badness = |r: &[[f64; N]; 3]| {
            (0..N)
                .map(|k| if abs[k] > 0.0 { r[1][k] / abs[k] } else { 0.0 })
                .fold(0.0, f64::max)
        };
        let worst = (0..panels.len())
            .max_by(|&i, &j| badness(&panels[i].2).total_cmp(&badness(&panels[j].2)))
            .unwrap_or(0);
        let (lo, hi, _) = panels.swap_remove(worst);
        let m = 0.5 * (lo + hi);
        if !(lo < m && m < hi) {
            return value;
        }
        panels.push((lo, m, kronrod(&f, lo, m)));
        panels.push((m, hi, kronrod(&f, m, hi)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hypergeometric_series_matches_closed_forms() {
        // 2F1(1, 1; 2; z) = -ln(1 - z) / z.
        for z in [0.1, 0.5, 0.9, 0.999] {
            let (ln, sign) = ln_hyp2f1_within(1.0, 1.0, 2.0, z, 1_000_000).unwrap();
            let exact = -(1.0 - z).ln() / z;
            assert!((sign * ln.exp() / exact - 1.0).abs() < 1e-12, "{z}");
        }
        // 2F1(a, b; b; z) = (1 - z)^-a, with a large a (10^4).
        let (ln, sign) = ln_hyp2f1_within(1e4, 3.5, 3.5, 0.7, 1_000_000).unwrap();
        assert_eq!(sign, 1.0);
        assert!((ln - (-1e4 * 0.3_f64.ln())).abs() < 1e-8 * ln.abs());
        // A terminating series: 2F1(-2, 1; 1; z) = (1 - z)^2.
        let (ln, sign) = ln_hyp2f1_within(-2.0, 1.0, 1.0, 0.25, 1_000_000).unwrap();
        assert!((sign * ln.exp() - 0.5625).abs() < 1e-14);
        // Pole of c.
        assert!(ln_hyp2f1_within(1.0, 1.0, -1.0, 0.5, 1_000_000).is_none());
    }

    #[test]
    fn quadrature_meets_closed_forms_and_end_singularities() {
        // ∫_0^1 [x^2, x^-1/2, e^(-40x)] = [1/3, 2, (1 - e^-40)/40].
        let q = integrate(
            |x| [x * x, 1.0 / x.sqrt(), (-40.0 * x).exp()],
            0.0,
            1.0,
            1e-10,
        );
        assert!((q[0] - 1.0 / 3.0).abs() < 1e-14);
        assert!((q[1] - 2.0).abs() < 1e-9, "{}", q[1]);
        assert!((q[2] - (1.0 - (-40f64).exp()) / 40.0).abs() < 1e-15);
    }

    #[test]
    fn log_helpers_are_stable() {
        assert_eq!(log_add_exp(f64::NEG_INFINITY, 1.0), 1.0);
        assert!((log_add_exp(1000.0, 1000.0) - (1000.0 + 2f64.ln())).abs() < 1e-12);
        assert!((ln_one_minus_exp(-1e-20) - (1e-20f64).ln()).abs() < 1e-9);
        assert!((ln_one_minus_exp(-50.0) + (-50.0f64).exp()).abs() < 1e-30);
        assert_eq!(logistic_of_neg(1e4), 0.0);
        assert_eq!(logistic_of_neg(-1e4), 1.0);
    }
}
