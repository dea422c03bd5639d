// The mpmath reference values are written with all the digits printed.
#![allow(clippy::excessive_precision)]

use super::*;
use crate::clv::{BgNbdModel, ParetoNbdModel, PurchaseModel};

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1e-300)
}

#[test]
fn scaled_upper_gamma_matches_closed_forms() {
    // Γ(0, z) = E1(z) (reference values of E1 to 16 digits).
    for (z, e1) in [
        (0.5, 0.559_773_594_776_160_8),
        (1.0, 0.219_383_934_395_520_27),
        (2.0, 0.048_900_510_708_061_12),
    ] {
        let got = ln_scaled_upper_gamma(0.0, z);
        assert!(close(got, z + f64::ln(e1), 1e-12), "{z}: {got}");
    }
    // e^z Γ(a, z) from mpmath (`mp.e**z * mp.gammainc(a, z)`, 30 digits).
    let zs = [1e-6, 0.01, 0.3, 0.999, 1.001, 2.5, 40.0];
    let table: [(f64, [f64; 7]); 5] = [
        (
            0.5,
            [
                1.7704556220269193,
                1.5889286263174076,
                1.0493253129417689,
                0.75811441300332783,
                0.75763015715156778,
                0.54732232872240789,
                0.15620730824247645,
            ],
        ),
        (
            -0.5,
            [
                1996.4590887559462,
                16.822142747365185,
                1.5528330908175696,
                0.4847719246188917,
                0.48374043507241092,
                0.17026640662253595,
                0.003813149531885034,
            ],
        ),
        (
            -1.5,
            [
                666665335.69394087,
                655.45190483508986,
                3.021982069122851,
                0.3444866350473813,
                0.34317429182836498,
                0.055143870793956267,
                9.3131695550293415e-5,
            ],
        ),
        (
            0.9,
            [
                1.0686253473332215,
                1.0616656705329385,
                1.000506596464276,
                0.94298815676022583,
                0.94287401887056923,
                0.88542850833789749,
                0.68981935568584913,
            ],
        ),
        (
            -7.3,
            [
                8.6432499223048134e+42,
                54448827936980.811,
                858.32445671058267,
                0.1194854756255347,
                0.11772265307830698,
                0.00012363743741316532,
                4.1928748293925234e-14,
            ],
        ),
    ];
    for (a, values) in table {
        for (z, want) in zs.into_iter().zip(values) {
            let got = ln_scaled_upper_gamma(a, z).exp();
            assert!(close(got, want, 1e-11), "a {a} z {z}: {got} {want}");
        }
    }
    for z in zs {
        // Near a = 0 the value is continuous.
        let at0 = ln_scaled_upper_gamma(0.0, z);
        assert!(close(ln_scaled_upper_gamma(3e-6, z), at0, 1e-4), "{z}");
        assert!(close(ln_scaled_upper_gamma(-3e-6, z), at0, 1e-4), "{z}");
    }
}

/// CDNOW's Pareto/NBD (Fader-Hardie 2005: r .55, α 10.58, s .61, β 11.67).
fn pareto() -> ParetoNbdModel {
    ParetoNbdModel::from_params(0.5533, 10.578, 0.6062, 11.667).unwrap()
}

#[test]
fn pareto_closed_form_matches_numerical_integration() {
    let m = pareto();
    // Customers of CDNOW's summary, a one-time buyer, a last purchase at T.
    let customers = [
        (2.0, 30.43, 38.86),
        (0.0, 0.0, 38.86),
        (6.0, 38.0, 38.0),
        (1.0, 1.0, 10.0),
    ];
    for (x, tx, t) in customers {
        for delta in [0.0023, 0.02, 0.3] {
            for horizon in [Some(52.0), Some(520.0), None] {
                let closed = m.dert_one(delta, horizon, x, tx, t);
                let numeric =
                    dert_by_parts(|h| m.expected_purchases_one(h, x, tx, t), delta, horizon);
                assert!(
                    close(closed, numeric, 1e-7),
                    "{x} {tx} {t} {delta} {horizon:?}: {closed} {numeric}"
                );
            }
        }
        // s > 1 (the recurrence branch) and s = 1 (E1).
        for s in [1.0, 2.7] {
            let m2 = ParetoNbdModel::from_params(0.5533, 10.578, s, 11.667).unwrap();
            let closed = m2.dert_one(0.01, None, x, tx, t);
            let numeric = dert_by_parts(|h| m2.expected_purchases_one(h, x, tx, t), 0.01, None);
            assert!(close(closed, numeric, 1e-7), "s {s}: {closed} {numeric}");
        }
    }
}

#[test]
fn dert_without_discount_is_expected_purchases_and_falls_with_the_rate() {
    let bg = BgNbdModel::from_params(0.242593, 4.413532, 0.792886, 2.425752).unwrap();
    let pn = pareto();
    let (x, tx, t) = (2.0, 30.43, 38.86);
    let e = bg.expected_purchases_one(52.0, x, tx, t);
    assert_eq!(PurchaseModel::dert_one(&bg, 0.0, Some(52.0), x, tx, t), e);
    // A tiny rate: barely below the undiscounted expectation.
    let tiny = PurchaseModel::dert_one(&bg, 1e-9, Some(52.0), x, tx, t);
    assert!(tiny < e && close(tiny, e, 1e-7), "{tiny} {e}");
    let ep = pn.expected_purchases_one(52.0, x, tx, t);
    assert!(close(pn.dert_one(1e-7, Some(52.0), x, tx, t), ep, 1e-5));
    let mut last = f64::INFINITY;
    for delta in [0.001, 0.01, 0.1, 1.0] {
        let d = PurchaseModel::dert_one(&bg, delta, None, x, tx, t);
        assert!(d > 0.0 && d < last, "{delta}: {d}");
        last = d;
    }
    // The unbounded horizon holds more than any bounded one.
    assert!(pn.dert_one(0.01, None, x, tx, t) > pn.dert_one(0.01, Some(1000.0), x, tx, t));
}

#[test]
fn dert_hand_formula_at_s_2() {
    // Pareto/NBD at s = 2: DERT = P(alive) (r+x)/(α+T) ∫_0^∞ e^{-δt} (b/(b+t))^2 dt,
    // and the integral is b − δ b² e^{δb} E1(δb); at δ = 1/b it is b (1 − e E1(1)).
    let (r, alpha, s, beta) = (1.0, 2.0, 2.0, 4.0);
    let m = ParetoNbdModel::from_params(r, alpha, s, beta).unwrap();
    let (x, tx, t) = (3.0, 6.0, 6.0);
    let b = beta + t;
    let delta = 1.0 / b;
    let e1 = 0.219_383_934_395_520_27;
    let integral = b * (1.0 - std::f64::consts::E * e1);
    let expected = m.p_alive_one(x, tx, t) * (r + x) / (alpha + t) * integral;
    assert!(close(m.dert_one(delta, None, x, tx, t), expected, 1e-12));
}

#[test]
fn checks_and_future_p_alive() {
    assert!(check_dert(0.0, None).is_err());
    assert!(check_dert(-0.1, Some(1.0)).is_err());
    assert!(check_dert(0.1, Some(0.0)).is_err());
    assert!(check_dert(0.1, None).is_ok());
    let bg = BgNbdModel::from_params(0.242593, 4.413532, 0.792886, 2.425752).unwrap();
    // lifetimes: P(alive) of (x, t_x, T + m) — falls with m.
    let now = bg.p_alive_one(2.0, 30.43, 38.86);
    assert_eq!(bg.p_alive_at_one(0.0, 2.0, 30.43, 38.86), now);
    let later = bg.p_alive_at_one(10.0, 2.0, 30.43, 38.86);
    // Hand formula: 1 / (1 + a/(b+x-1) ((α+T+m)/(α+t_x))^(r+x)).
    let [r, alpha, a, b] = bg.params();
    let hand = 1.0 / (1.0 + a / (b + 1.0) * ((alpha + 48.86) / (alpha + 30.43)).powf(r + 2.0));
    assert!(close(later, hand, 1e-12) && later < now);
    let pn = pareto();
    assert!(pn.p_alive_at_one(10.0, 2.0, 30.43, 38.86) < pn.p_alive_one(2.0, 30.43, 38.86));
}
