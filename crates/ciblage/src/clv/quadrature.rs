//! Discounting by parts with adaptive Gauss-Kronrod quadrature: the DERT
//! of any purchase model from its conditional expected purchases
//! (`clv/dert.rs` has the closed forms and the checks).

/// Numerical DERT of one history whose conditional expected purchases in
/// the next `t` units of time are `g(t)` (see `clv/dert.rs`); `delta` and
/// `horizon` as checked by `check_dert`.
pub(crate) fn dert_by_parts(g: impl Fn(f64) -> f64, delta: f64, horizon: Option<f64>) -> f64 {
    if delta == 0.0 {
        return horizon.map_or(f64::INFINITY, g);
    }
    // The discounted weight left beyond v = 1 - 1e-12 is 1e-12 of the total.
    let (end_term, v_max) = match horizon {
        Some(h) => ((-delta * h).exp() * g(h), -(-delta * h).exp_m1()),
        None => (0.0, 1.0 - 1e-12),
    };
    end_term + integrate(&|v: f64| g(-(-v).ln_1p() / delta), 0.0, v_max)
}

/// Gauss-Kronrod 15-point nodes (positive half), Kronrod weights, and the
/// weights of the embedded 7-point Gauss rule (odd nodes).
const XK: [f64; 8] = [
    0.991_455_371_120_812_6,
    0.949_107_912_342_758_5,
    0.864_864_423_359_769_1,
    0.741_531_185_599_394_4,
    0.586_087_235_467_691_1,
    0.405_845_151_377_397_2,
    0.207_784_955_007_898_5,
    0.0,
];
const WK: [f64; 8] = [
    0.022_935_322_010_529_22,
    0.063_092_092_629_978_55,
    0.104_790_010_322_250_18,
    0.140_653_259_715_525_92,
    0.169_004_726_639_267_9,
    0.190_350_578_064_785_4,
    0.204_432_940_075_298_9,
    0.209_482_141_084_727_83,
];
const WG: [f64; 4] = [
    0.129_484_966_168_869_7,
    0.279_705_391_489_276_7,
    0.381_830_050_505_118_9,
    0.417_959_183_673_469_4,
];

/// `∫_a^b f` and the error estimate on one interval.
fn kronrod(f: &dyn Fn(f64) -> f64, a: f64, b: f64) -> (f64, f64) {
    let (c, h) = (0.5 * (a + b), 0.5 * (b - a));
    let fc = f(c);
    let (mut k, mut g) = (WK[7] * fc, WG[3] * fc);
    for j in 0..7 {
        let pair = f(c - h * XK[j]) + f(c + h * XK[j]);
        k += WK[j] * pair;
        if j % 2 == 1 {
            g += WG[j / 2] * pair;
        }
    }
    (k * h, ((k - g) * h).abs())
}

/// Adaptive Gauss-Kronrod `∫_a^b f` to about 1e-10 relative (intervals
/// bisected where the error is largest, at most 200 of them).
pub(crate) fn integrate(f: &dyn Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    let mut parts = vec![(a, b, kronrod(f, a, b))];
    for _ in 0..200 {
        let total: f64 = parts.iter().map(|p| p.2 .0).sum();
        let error: f64 = parts.iter().map(|p| p.2 .1).sum();
        if !(error > 1e-10 * total.abs() && error > 1e-300) {
            break;
        }
        let worst = parts
            .iter()
            .enumerate()
            .max_by(|p, q| p.1 .2 .1.total_cmp(&q.1 .2 .1))
            .map_or(0, |p| p.0);
        let (lo, hi, _) = parts.swap_remove(worst);
        let mid = 0.5 * (lo + hi);
        parts.push((lo, mid, kronrod(f, lo, mid)));
        parts.push((mid, hi, kronrod(f, mid, hi)));
    }
    parts.iter().map(|p| p.2 .0).sum()
}
