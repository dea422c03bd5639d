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

/// Most terms summed by [`ln_hyp2f1`] before giving up (the series
/// converges like `z^n`; this bound is reached only for `z` within about
/// 1e-6 of 1).
const MAX_TERMS: usize = 20_000_000;

/// `ln |2F1(a, b; c; z)|` and the sign of `2F1`, for `0 <= z < 1`, by the
/// power series summed in log space: the terms are rescaled as they grow,
/// so that parameters of 10^4 and more (a frequency of 10^4 purchases) do
/// not overflow. `None` when `c` is a pole (0, −1, …) or the series does
/// not settle within [`MAX_TERMS`] terms.
pub(crate) fn ln_hyp2f1(a: f64, b: f64, c: f64, z: f64) -> Option<(f64, f64)> {
    if !(0.0..1.0).contains(&z) {
        return None;
    }
    if z == 0.0 {
        return Some((0.0, 1.0));
    }
    let ln_z = z.ln();
    // Running sum `sum * exp(scale)`, current term `sign * exp(ln_term)`.
    let (mut sum, mut scale) = (1.0_f64, 0.0_f64);
    let (mut ln_term, mut sign) = (0.0_f64, 1.0_f64);
    for n in 0..MAX_TERMS {
        let k = n as f64;
        let (an, bn, cn) = (a + k, b + k, c + k);
        if cn == 0.0 {
            return None;
        }
        if an == 0.0 || bn == 0.0 {
            // The series terminates: a polynomial.
            break;
        }
        let ratio_ln = an.abs().ln() + bn.abs().ln() - cn.abs().ln() - (k + 1.0).ln() + ln_z;
        if (an < 0.0) ^ (bn < 0.0) ^ (cn < 0.0) {
            sign = -sign;
        }
        ln_term += ratio_ln;
        if ln_term > scale {
            sum *= (scale - ln_term).exp();
            scale = ln_term;
        }
        sum += sign * (ln_term - scale).exp();
        // Once the terms shrink geometrically (ratio below 1 and every
        // factor positive), the tail is below term * ratio / (1 - ratio).
        if ratio_ln < 0.0 && an > 0.0 && bn > 0.0 && cn > 0.0 {
            let ratio = ratio_ln.exp();
            let tail = ln_term - scale + (ratio / (1.0 - ratio)).ln();
            if tail < -38.0 + sum.abs().ln() {
                if sum == 0.0 {
                    return None;
                }
                return Some((scale + sum.abs().ln(), sum.signum()));
            }
        }
    }
    if sum == 0.0 || !sum.is_finite() {
        return None;
    }
    Some((scale + sum.abs().ln(), sum.signum()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hypergeometric_series_matches_closed_forms() {
        // 2F1(1, 1; 2; z) = -ln(1 - z) / z.
        for z in [0.1, 0.5, 0.9, 0.999] {
            let (ln, sign) = ln_hyp2f1(1.0, 1.0, 2.0, z).unwrap();
            let exact = -(1.0 - z).ln() / z;
            assert!((sign * ln.exp() / exact - 1.0).abs() < 1e-12, "{z}");
        }
        // 2F1(a, b; b; z) = (1 - z)^-a, with a large a (10^4).
        let (ln, sign) = ln_hyp2f1(1e4, 3.5, 3.5, 0.7).unwrap();
        assert_eq!(sign, 1.0);
        assert!((ln - (-1e4 * 0.3_f64.ln())).abs() < 1e-8 * ln.abs());
        // A terminating series: 2F1(-2, 1; 1; z) = (1 - z)^2.
        let (ln, sign) = ln_hyp2f1(-2.0, 1.0, 1.0, 0.25).unwrap();
        assert!((sign * ln.exp() - 0.5625).abs() < 1e-14);
        // Pole of c.
        assert!(ln_hyp2f1(1.0, 1.0, -1.0, 0.5).is_none());
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
