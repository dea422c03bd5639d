//! The Gauss hypergeometric function of the Pareto/NBD likelihood,
//! `2F1(a, b; a + 1; z)` for `a, b > 0` and `0 <= z < 1`, in log space with
//! its derivatives in `a`, `b` and `z` (term by term: every term is
//! positive, so nothing cancels and nothing overflows); and, where that
//! series would need too many terms (`z` close to 1), the integral it
//! stands for, `s ∫ (α+y)^-(r+x) (β+y)^-(s+1) dy`, by adaptive quadrature.

use crate::clv::special::integrate;

/// Most terms summed: enough for `1 - z` down to about 2e-4 (the terms
/// shrink like `z^n`); closer to 1 the series is not used (see [`ln_f`]).
const MAX_TERMS: usize = 200_000;

/// `ln 2F1(a, b; a + 1; z)` and its derivatives in `a`, `b` and `z`;
/// `None` if the series does not settle.
pub(crate) fn ln_f(a: f64, b: f64, z: f64) -> Option<(f64, [f64; 3])> {
    if z == 0.0 {
        return Some((0.0, [0.0, 0.0, a * b / (a + 1.0)]));
    }
    // Euler's form where its second parameter is the smaller and positive
    // (always so for the likelihood: a + 1 - b is s + 1 or r + x).
    if b > a + 1.0 - b && a + 1.0 - b > 0.0 {
        return ln_f_euler(a, b, z);
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

/// [`ln_f`] through Euler's transformation, `2F1(a, b; a+1; z) = (1-z)^(1-b)
/// 2F1(1, a+1-b; a+1; z)`: positive terms whose ratios `(a+1-b+n)/(a+1+n) z`
/// stay below `z`, so that a large `b` (a heavy buyer's `r + x`) costs no
/// more terms than a small one.
fn ln_f_euler(a: f64, b: f64, z: f64) -> Option<(f64, [f64; 3])> {
    let (p, c) = (a + 1.0 - b, a + 1.0);
    // Σ T_n, Σ T_n ∂p ln T_n, Σ T_n ∂c ln T_n, Σ T_n n (T_0 = 1).
    let (mut s0, mut sp, mut sc, mut sz) = (1.0_f64, 0.0_f64, 0.0_f64, 0.0_f64);
    let (mut t, mut dp, mut dc) = (1.0_f64, 0.0_f64, 0.0_f64);
    for n in 0..MAX_TERMS {
        let k = n as f64;
        t *= (p + k) / (c + k) * z;
        dp += 1.0 / (p + k);
        dc -= 1.0 / (c + k);
        s0 += t;
        sp += t * dp;
        sc += t * dc;
        sz += t * (k + 1.0);
        // The ratios rise towards z: the tail is below t z / (1 - z)
        // (and its n-weighted sum below that times (n + 1/(1-z))).
        let tail = t * z / (1.0 - z) * (k + 2.0 + 1.0 / (1.0 - z));
        if tail < 1e-17 * s0 && n > 2 {
            let (ln_h, h_p, h_c, h_z) = (s0.ln(), sp / s0, sc / s0, sz / (s0 * z));
            let ln_1mz = (-z).ln_1p();
            return Some((
                (1.0 - b) * ln_1mz + ln_h,
                // p = a + 1 - b and c = a + 1.
                [h_p + h_c, -ln_1mz - h_p, (b - 1.0) / (1.0 - z) + h_z],
            ));
        }
        if !t.is_finite() {
            return None;
        }
    }
    None
}

/// Terms of the series of [`ln_f`] the likelihood spends at most before
/// the quadrature of [`ln_dead_between`] is cheaper.
const SERIES_BUDGET: f64 = 4_000.0;

/// Whether [`ln_f`]`(a, b, z)` settles within [`SERIES_BUDGET`] terms: its
/// terms grow while `(b + n) z > n + 1`, then shrink like `z^n`.
pub(crate) fn series_is_cheap(b: f64, z: f64) -> bool {
    z < 1.0 && ((b - 1.0).max(0.0) * z + 40.0) / (1.0 - z) < SERIES_BUDGET
}

/// `ln(s ∫_{t1}^{t2} (α+y)^-(r+x) (β+y)^-(s+1) dy)` for `t1 < t2` (the
/// Pareto/NBD likelihood of having dropped out between the last purchase
/// and the end) and its derivatives in `(r, α, s, β)`, by quadrature in
/// `v = ln(min(α, β) + y)`: the integrand, relative to its value at `t1`,
/// is smooth, at most 1 and free of overflow for any parameters.
pub(crate) fn ln_dead_between(p: [f64; 4], x: f64, t1: f64, t2: f64) -> (f64, [f64; 4]) {
    let [r, alpha, s, beta] = p;
    let (m, sp1) = (r + x, s + 1.0);
    let kappa = alpha.min(beta);
    let (near, far) = (kappa + t1, alpha.max(beta) + t1);
    let (v1, v2) = (near.ln(), (kappa + t2).ln());
    let (la1, lb1) = if alpha <= beta {
        (v1, far.ln())
    } else {
        (far.ln(), v1)
    };
    // (ln(α+y) - ln(α+t1), ln(β+y) - ln(β+t1)) at v = ln(κ+y): the
    // difference of the larger rate's logarithm as ln_1p((y - t1) / (max + t1))
    // with y - t1 = (κ + t1) expm1(v - v1), not as a difference of two
    // logarithms, which would leave only rounding where that difference is
    // tiny (a dropout rate far above the times) and keep the quadrature's
    // relative error test from ever passing.
    let diffs = |v: f64| {
        let dv = v - v1;
        let d_far = (near * dv.exp_m1() / far).ln_1p();
        if alpha <= beta {
            (dv, d_far)
        } else {
            (d_far, dv)
        }
    };
    // ln of g(y) (κ+y) = (α+y)^-(r+x) (β+y)^-(s+1) dy/dv.
    let g1 = -m * la1 - sp1 * lb1 + v1;
    let q = integrate(
        |v| {
            let (da, db) = diffs(v);
            let w = (-m * da - sp1 * db + (v - v1)).exp();
            [
                w,
                w * da,
                w * (-(la1 + da)).exp(),
                w * db,
                w * (-(lb1 + db)).exp(),
            ]
        },
        v1,
        v2,
        1e-10,
    );
    let value = s.ln() + g1 + q[0].ln();
    (
        value,
        [
            -(la1 + q[1] / q[0]),
            -m * q[2] / q[0],
            1.0 / s - (lb1 + q[3] / q[0]),
            -sp1 * q[4] / q[0],
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The dead-between term where the dropout rate is far above the
    /// times (`beta` 1e6, `s` 1e-7: a fit to data without dropout) against
    /// composite Simpson sums of its integral in `y` (an independent
    /// computation; the integrand is smooth there).
    #[test]
    fn dead_between_is_accurate_for_a_dropout_rate_far_above_the_times() {
        for (p, x, t1, t2) in [
            ([0.52, 0.0558, 1e-7, 1e6], 3.0, 0.5, 1.0),
            ([0.52, 0.0558, 1e-7, 1e6], 0.0, 0.0, 0.8),
            ([1.3, 2e5, 0.4, 0.02], 7.0, 0.1, 0.9),
        ] {
            let [r, alpha, s, beta] = p;
            // Σ w_i (f(y_i), f(y_i) ln(α+y_i), f(y_i) ln(β+y_i)) over Simpson nodes.
            let steps = 200_000;
            let h = (t2 - t1) / f64::from(steps);
            let (mut i0, mut ia, mut ib) = (0.0, 0.0, 0.0);
            for k in 0..=steps {
                let y = t1 + h * f64::from(k);
                let w = if k == 0 || k == steps {
                    1.0
                } else if k % 2 == 1 {
                    4.0
                } else {
                    2.0
                };
                let f = ((alpha + y).ln() * -(r + x) + (beta + y).ln() * -(s + 1.0)).exp();
                i0 += w * f;
                ia += w * f * (alpha + y).ln();
                ib += w * f * (beta + y).ln();
            }
            let value = s.ln() + (i0 * h / 3.0).ln();
            // ∂r ln I = -∫ f ln(α+y) / ∫ f; ∂s ln I = 1/s - ∫ f ln(β+y) / ∫ f.
            let (d_r, d_s) = (-ia / i0, 1.0 / s - ib / i0);
            let (v, d) = ln_dead_between(p, x, t1, t2);
            assert!((v - value).abs() < 1e-9 * value.abs(), "{p:?}: {v} {value}");
            assert!((d[0] - d_r).abs() < 1e-8 * d_r.abs(), "{p:?}: {d:?} {d_r}");
            assert!((d[2] - d_s).abs() < 1e-8 * d_s.abs(), "{p:?}: {d:?} {d_s}");
        }
    }

    #[test]
    fn matches_closed_forms_and_finite_differences() {
        // 2F1(1, 1; 2; z) = -ln(1 - z) / z.
        let (v, _) = ln_f(1.0, 1.0, 0.6).unwrap();
        assert!((v.exp() - (-(0.4f64).ln() / 0.6)).abs() < 1e-13);
        // 2F1(a, b; a+1; z) with a = 1e4 stays finite (b = 1: (a / z^a) B_z(a, 0)).
        let (v, d) = ln_f(1e4, 1.5, 0.9).unwrap();
        assert!(v.is_finite() && d.iter().all(|x| x.is_finite()));
        // Euler's form (b > a + 1 - b) against the direct sum
        // Σ a/(a+n) (b)_n/n! z^n.
        let (a, b, z) = (100.3, 99.5, 0.6);
        let (mut sum, mut poch) = (1.0_f64, 1.0_f64);
        for n in 1..2_000 {
            let k = f64::from(n);
            poch *= (b + k - 1.0) / k * z;
            sum += a / (a + k) * poch;
        }
        let (v, _) = ln_f(a, b, z).unwrap();
        assert!((v - sum.ln()).abs() < 1e-12 * sum.ln(), "{v} {}", sum.ln());
        for (a, b, z) in [
            (2.5, 1.7, 0.3),
            (30.0, 0.6, 0.95),
            (0.8, 12.0, 0.5),
            (100.3, 99.5, 0.6),
        ] {
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
