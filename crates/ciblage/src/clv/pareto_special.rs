//! The Gauss hypergeometric function of the Pareto/NBD likelihood,
//! `2F1(a, b; a + 1; z)` for `a, b > 0` and `0 <= z < 1`, in log space with
//! its derivatives in `a`, `b` and `z` (term by term: every term is
//! positive, so nothing cancels and nothing overflows).

/// Most terms summed: enough for `1 - z` down to about 2e-4 (the terms
/// shrink like `z^n`); closer to 1 the series is not used (see [`ln_f`]).
const MAX_TERMS: usize = 200_000;

/// `ln 2F1(a, b; a + 1; z)` and its derivatives in `a`, `b` and `z`;
/// `None` if the series does not settle.
pub(crate) fn ln_f(a: f64, b: f64, z: f64) -> Option<(f64, [f64; 3])> {
    if z == 0.0 {
        return Some((0.0, [0.0, 0.0, a * b / (a + 1.0)]));
    }
    // Σ T_n, Σ T_n ∂a ln T_n, Σ T_n ∂b ln T_n, Σ T_n n, all times exp(-scale);
    // the current term is `t` times exp(-scale) as well. Ratios are
    // multiplied, not exponentiated: no logarithm per term.
    let (mut s0, mut sa, mut sb, mut sz) = (1.0_f64, 0.0_f64, 0.0_f64, 0.0_f64);
    let mut scale = 0.0_f64;
    let mut t = 1.0_f64;
    let mut dlb = 0.0_f64; // Σ_{k<n} 1/(b+k)
    for n in 0..MAX_TERMS {
        let k = n as f64;
        // T_{n+1} / T_n = (a+k)(b+k) / ((a+1+k)(k+1)) z.
        let ratio = (a + k) / (a + 1.0 + k) * (b + k) / (k + 1.0) * z;
        t *= ratio;
        dlb += 1.0 / (b + k);
        let m = k + 1.0;
        // ∂a ln T_m = Σ_{k<m} 1/(a+k) - 1/(a+1+k) = 1/a - 1/(a+m).
        let dla = 1.0 / a - 1.0 / (a + m);
        if t > 1e200 {
            let f = 1.0 / t;
            s0 *= f;
            sa *= f;
            sb *= f;
            sz *= f;
            scale += t.ln();
            t = 1.0;
        }
        s0 += t;
        sa += t * dla;
        sb += t * dlb;
        sz += t * m;
        if ratio < 1.0 {
            // The tail of Σ T_n n (the largest weight) is below this bound
            // once the ratios keep shrinking, which they do past the peak.
            let tail = t * (m + 1.0 / (1.0 - ratio)) * ratio / (1.0 - ratio);
            if tail < 1e-17 * s0 && n > 2 {
                return Some((scale + s0.ln(), [sa / s0, sb / s0, sz / (s0 * z)]));
            }
        }
        if !t.is_finite() {
            return None;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_closed_forms_and_finite_differences() {
        // 2F1(1, 1; 2; z) = -ln(1 - z) / z.
        let (v, _) = ln_f(1.0, 1.0, 0.6).unwrap();
        assert!((v.exp() - (-(0.4f64).ln() / 0.6)).abs() < 1e-13);
        // 2F1(a, b; a+1; z) with a = 1e4 stays finite (b = 1: (a / z^a) B_z(a, 0)).
        let (v, d) = ln_f(1e4, 1.5, 0.9).unwrap();
        assert!(v.is_finite() && d.iter().all(|x| x.is_finite()));
        for (a, b, z) in [(2.5, 1.7, 0.3), (30.0, 0.6, 0.95), (0.8, 12.0, 0.5)] {
            let (_, d) = ln_f(a, b, z).unwrap();
            let h = 1e-6;
            let num = [
                (ln_f(a + h, b, z).unwrap().0 - ln_f(a - h, b, z).unwrap().0) / (2.0 * h),
                (ln_f(a, b + h, z).unwrap().0 - ln_f(a, b - h, z).unwrap().0) / (2.0 * h),
                (ln_f(a, b, z + h).unwrap().0 - ln_f(a, b, z - h).unwrap().0) / (2.0 * h),
            ];
            for k in 0..3 {
                assert!(
                    (d[k] - num[k]).abs() < 1e-6 * (1.0 + num[k].abs()),
                    "{a} {b} {z} {k}: {} {}",
                    d[k],
                    num[k]
                );
            }
        }
    }
}
