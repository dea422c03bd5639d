//! Predictions beyond the end of observation: P(alive) at a future date and
//! continuous discounting, the discounted expected residual transactions
//! (DERT, Fader, Hardie & Lee 2005, "RFM and CLV", eq. 2; CLVTools' `DERT`).
//!
//! DERT over a horizon `H` (`None`: no end) at a continuous discount rate
//! `δ` per unit of time is `∫_0^H e^{-δt} dE[X(t)]`, `E[X(t)]` the
//! conditional expected purchases of the next `t` units of time. For
//! Pareto/NBD it has a closed form: given alive at `T`, `λ ~ Γ(r+x, α+T)`
//! and `μ ~ Γ(s, β+T)`, so with `b = β+T`
//!
//! `DERT = P(alive) (r+x)/(α+T) ∫_0^H e^{-δt} (b/(b+t))^s dt
//!       = P(alive) (r+x)/(α+T) b^s δ^{s-1} [U(s,s;δb) − e^{-δH} U(s,s;δ(b+H))]`
//!
//! (`U` the confluent hypergeometric function of the second kind, `U(s,s;z)
//! = e^z Γ(1−s, z)`). Every other purchase model is integrated numerically
//! by parts: `e^{-δH} E[X(H)] + ∫_0^{1−e^{-δH}} E[X(−ln(1−v)/δ)] dv`.

use rayon::prelude::*;

use crate::clv::gamma_gamma::PurchaseModel;
#[cfg(test)]
pub(crate) use crate::clv::quadrature::dert_by_parts;
use crate::clv::special::ln_gamma;
use crate::clv::{BgNbdModel, ClvInput, MbgNbdModel, ParetoNbdModel};
use crate::error::{CiblageError, Result};

/// Checks a continuous discount rate and a horizon: `δ >= 0` finite, a
/// horizon `> 0` finite, and a discount rate `> 0` without a horizon.
pub(crate) fn check_dert(delta: f64, horizon: Option<f64>) -> Result<()> {
    if !(delta.is_finite() && delta >= 0.0) {
        return Err(CiblageError::param(
            "discount_rate",
            format!("must be a finite number >= 0, got {delta}"),
        ));
    }
    match horizon {
        Some(h) if !(h.is_finite() && h > 0.0) => Err(CiblageError::param(
            "horizon",
            format!("must be a positive finite number, got {h}"),
        )),
        None if delta == 0.0 => Err(CiblageError::param(
            "horizon",
            "an unbounded horizon needs a discount rate > 0 (the undiscounted sum has no end)",
        )),
        _ => Ok(()),
    }
}

/// Checks `t_ahead` (named `t`): finite and `>= 0`.
fn check_ahead(t_ahead: f64) -> Result<()> {
    if t_ahead.is_finite() && t_ahead >= 0.0 {
        Ok(())
    } else {
        Err(CiblageError::param(
            "t",
            format!("must be a finite number >= 0, got {t_ahead}"),
        ))
    }
}

/// `f(x, t_x, T)` of every history, in parallel, in row order.
fn each<D: ClvInput + ?Sized>(data: &D, f: impl Fn(f64, f64, f64) -> f64 + Sync) -> Vec<f64> {
    let h = data.histories();
    let (x, tx, t) = (h.frequency(), h.recency(), h.t());
    (0..h.len())
        .into_par_iter()
        .map(|i| f(x[i], tx[i], t[i]))
        .collect()
}

/// Implements the per-history predictions over a whole input.
macro_rules! future_predictions {
    ($model:ty) => {
        impl $model {
            /// P(alive) of every history `t_ahead` units of time after its
            /// end, given no purchase meanwhile.
            ///
            /// # Errors
            /// `t_ahead` (named `t`) negative or not finite.
            pub fn p_alive_at<D: ClvInput + ?Sized>(
                &self,
                t_ahead: f64,
                data: &D,
            ) -> Result<Vec<f64>> {
                check_ahead(t_ahead)?;
                Ok(each(data, |x, tx, t| {
                    self.p_alive_at_one(t_ahead, x, tx, t)
                }))
            }

            /// DERT of every history: continuous discount rate `delta` per
            /// unit of time, over `horizon` units of time (`None`: no end).
            ///
            /// # Errors
            /// `delta` (named `discount_rate`) negative or not finite;
            /// `horizon` not positive and finite; no horizon and no discount.
            pub fn dert<D: ClvInput + ?Sized>(
                &self,
                delta: f64,
                horizon: Option<f64>,
                data: &D,
            ) -> Result<Vec<f64>> {
                check_dert(delta, horizon)?;
                Ok(each(data, |x, tx, t| {
                    PurchaseModel::dert_one(self, delta, horizon, x, tx, t)
                }))
            }
        }
    };
}

future_predictions!(BgNbdModel);
future_predictions!(ParetoNbdModel);
future_predictions!(MbgNbdModel);

/// `ln(e^z Γ(a, z))` for `z > 0` and `a < 1` (the upper incomplete gamma
/// function, so that `ln U(s, s; z) = ln_scaled_upper_gamma(1 - s, z)`).
pub(crate) fn ln_scaled_upper_gamma(a: f64, z: f64) -> f64 {
    if z > 1.0 {
        // Continued fraction (modified Lentz), valid for every a when z > 0:
        // Γ(a, z) = e^{-z} z^a / (z+1-a- 1(1-a)/(z+3-a- 2(2-a)/(z+5-a- …))).
        const TINY: f64 = 1e-300;
        let mut b = z + 1.0 - a;
        let mut c = 1.0 / TINY;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..100_000 {
            let fi = f64::from(i);
            let an = -fi * (fi - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < TINY {
                d = TINY;
            }
            c = b + an / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            let step = d * c;
            h *= step;
            if (step - 1.0).abs() < 1e-16 {
                break;
            }
        }
        return a * z.ln() + h.ln();
    }
    // z <= 1: R(b) = Γ(b, z) e^z z^-b, from the series at b in [-0.5, 1)
    // down to a by R(b) = (z R(b+1) - 1) / b.
    let steps = if a < -0.5 { (-0.5 - a).ceil() } else { 0.0 };
    let top = a + steps;
    let mut r = series_upper_gamma(top, z) * z.exp() * (-top * z.ln()).exp();
    let mut b = top;
    for _ in 0..steps as usize {
        b -= 1.0;
        r = (z * r - 1.0) / b;
    }
    a * z.ln() + r.ln()
}

/// `Γ(a, z)` for `a` in `[-0.5, 1)` and `0 < z <= 1`:
/// `(Γ(1+a) − z^a)/a − z^a Σ_{n≥1} (−z)^n / (n! (a+n))`, the first term
/// computed without cancellation near `a = 0`.
fn series_upper_gamma(a: f64, z: f64) -> f64 {
    let ln_z = z.ln();
    // (Γ(1+a) - 1)/a, its Taylor series near 0.
    let gm1 = if a.abs() < 1e-5 {
        -0.577_215_664_901_532_9 + a * (0.989_055_995_327_972_6 - a * 0.907_479_076_080_886_3)
    } else {
        ln_gamma(1.0 + a).exp_m1() / a
    };
    // (z^a - 1)/a, its limit ln z at a = 0.
    let za1 = if a == 0.0 {
        ln_z
    } else {
        (a * ln_z).exp_m1() / a
    };
    let mut sum = 0.0;
    let mut term = 1.0; // (-z)^n / n!
    for n in 1..200 {
        let nf = f64::from(n);
        term *= -z / nf;
        let add = term / (a + nf);
        sum += add;
        if add.abs() < 1e-17 * sum.abs() {
            break;
        }
    }
    gm1 - za1 - (a * ln_z).exp() * sum
}

impl BgNbdModel {
    /// P(alive) of one history `t_ahead` units of time after its end,
    /// given no purchase meanwhile: the P(alive) of `(x, t_x, T + t_ahead)`
    /// (`lifetimes`' `conditional_probability_alive(m_periods_in_future)`).
    pub fn p_alive_at_one(&self, t_ahead: f64, x: f64, t_x: f64, t: f64) -> f64 {
        self.p_alive_one(x, t_x, t + t_ahead.max(0.0))
    }
}

impl MbgNbdModel {
    /// P(alive) of one history `t_ahead` units of time after its end,
    /// given no purchase meanwhile: the P(alive) of `(x, t_x, T + t_ahead)`
    /// (the likelihood of a history without purchases after `T` is that of
    /// the history ending at `T + t_ahead`).
    pub fn p_alive_at_one(&self, t_ahead: f64, x: f64, t_x: f64, t: f64) -> f64 {
        self.p_alive_one(x, t_x, t + t_ahead.max(0.0))
    }
}

impl ParetoNbdModel {
    /// P(alive) of one history `t_ahead` units of time after its end,
    /// given no purchase meanwhile: the P(alive) of `(x, t_x, T + t_ahead)`.
    pub fn p_alive_at_one(&self, t_ahead: f64, x: f64, t_x: f64, t: f64) -> f64 {
        self.p_alive_one(x, t_x, t + t_ahead.max(0.0))
    }

    /// DERT of one history in closed form (see the module documentation):
    /// discount rate `delta` per unit of time (continuous), over `horizon`
    /// units of time (`None`: no end, which needs `delta > 0`).
    pub fn dert_one(&self, delta: f64, horizon: Option<f64>, x: f64, t_x: f64, t: f64) -> f64 {
        if delta == 0.0 {
            return horizon.map_or(f64::INFINITY, |h| self.expected_purchases_one(h, x, t_x, t));
        }
        let [r, alpha, s, beta] = self.params();
        let b = beta + t;
        let ln_front = self.p_alive_one(x, t_x, t).ln() + (r + x).ln() - (alpha + t).ln()
            + s * b.ln()
            + (s - 1.0) * delta.ln();
        let ln_u = |z: f64| ln_scaled_upper_gamma(1.0 - s, z);
        let u_now = ln_u(delta * b);
        let bracket_ln = match horizon {
            None => u_now,
            // U(δb) - e^{-δH} U(δ(b+H)), as U(δb) (1 - exp(ln ratio)).
            Some(h) => {
                let later = -delta * h + ln_u(delta * (b + h));
                u_now + crate::clv::special::ln_one_minus_exp((later - u_now).min(0.0))
            }
        };
        (ln_front + bracket_ln).exp()
    }
}

#[cfg(test)]
#[path = "dert_tests.rs"]
mod tests;
