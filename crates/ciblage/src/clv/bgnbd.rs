//! BG/NBD (Fader, Hardie & Lee 2005): purchases at a gamma-Poisson rate,
//! dropout after any purchase with a beta-distributed probability.

use crate::clv::fit_params::clv_fit_params;
use serde::{Deserialize, Serialize};

use crate::clv::histories::{per_distinct, Histories};
use crate::clv::likelihood::{LikelihoodFit, PatternLikelihood, Staged, StagedLikelihood};
use crate::clv::model::{check_positive_params, from_json, to_json, ClvInput, FitReport};
use crate::clv::special::{
    digamma, integrate, ln_beta, ln_gamma, ln_hyp2f1_within, ln_one_minus_exp, log_add_exp,
    logistic_of_neg,
};
use crate::error::Result;

/// Entry point of the BG/NBD model (a learner: [`BgNbdValidParams::fit`]).
///
/// ```
/// use ciblage::clv::{BgNbd, Histories};
/// let h = Histories::new(
///     vec![0.0, 1.0, 4.0, 0.0, 2.0, 7.0, 0.0, 1.0],
///     vec![0.0, 10.0, 30.0, 0.0, 5.0, 35.0, 0.0, 38.0],
///     vec![39.0, 39.0, 39.0, 20.0, 30.0, 39.0, 10.0, 39.0],
/// )?;
/// let model = BgNbd::params().penalizer(0.01).fit(&h)?;
/// let p = model.p_alive(&h);
/// assert!(p.iter().all(|p| (0.0..=1.0).contains(p)));
/// assert!(model.expected_purchases_new(10.0) < model.expected_purchases_new(20.0));
/// # Ok::<(), ciblage::CiblageError>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct BgNbd;

clv_fit_params!(
    BgNbd,
    BgNbdParams,
    BgNbdValidParams,
    ClvInput,
    BgNbdModel,
    "BG/NBD",
    "L2 penalty on the parameters (with times rescaled so that the largest `T` is 1, as `lifetimes`), added to the mean negative log-likelihood. Default 0."
);

/// Log-likelihood of one history and its derivatives in `(r, alpha, a, b)`
/// (the fits sum [`Stages`] over patterns).
pub(crate) fn ll_one(p: [f64; 4], x: f64, t_x: f64, t: f64) -> (f64, [f64; 4]) {
    let shared = Stages.shared(p);
    let (ptx, pt) = (Stages.per_time(&shared, t_x), Stages.per_time(&shared, t));
    Stages.one(&shared, &mut Stages.per_x(&shared, x), x, ptx, pt)
}

/// The BG/NBD likelihood in stages (see [`StagedLikelihood`]).
pub(crate) struct Stages;

/// Parameter-only terms of the BG/NBD likelihood.
pub(crate) struct Shared {
    p: [f64; 4],
    ln_alpha: f64,
    ln_a: f64,
    inv_a: f64,
    lg_r: f64,
    dg_r: f64,
    lg_ab_b: f64,
    dg_ab: f64,
    dg_b: f64,
}

/// Terms of one frequency: `ln Γ` ratios of the likelihood and their
/// derivatives, `ln(b + x - 1)` and `1 / (b + x - 1)`.
pub(crate) struct PerX {
    base: f64,
    d_base: [f64; 4],
    ln_bx1: f64,
    inv_bx1: f64,
}

impl StagedLikelihood for Stages {
    type Shared = Shared;
    type PerX = PerX;
    /// `ln(alpha + t)` and `1 / (alpha + t)`.
    type PerTime = (f64, f64);

    fn shared(&self, p: [f64; 4]) -> Shared {
        let [r, alpha, a, b] = p;
        Shared {
            p,
            ln_alpha: alpha.ln(),
            ln_a: a.ln(),
            inv_a: 1.0 / a,
            lg_r: ln_gamma(r),
            dg_r: digamma(r),
            lg_ab_b: ln_gamma(a + b) - ln_gamma(b),
            dg_ab: digamma(a + b),
            dg_b: digamma(b),
        }
    }

    fn per_x(&self, sh: &Shared, x: f64) -> PerX {
        let [r, alpha, a, b] = sh.p;
        if x == 0.0 {
            return PerX {
                base: r * sh.ln_alpha,
                d_base: [sh.ln_alpha, r / alpha, 0.0, 0.0],
                ln_bx1: 0.0,
                inv_bx1: 0.0,
            };
        }
        let psi_ab = sh.dg_ab - digamma(a + b + x);
        PerX {
            base: ln_gamma(r + x) - sh.lg_r + r * sh.ln_alpha + sh.lg_ab_b + ln_gamma(b + x)
                - ln_gamma(a + b + x),
            d_base: [
                digamma(r + x) - sh.dg_r + sh.ln_alpha,
                r / alpha,
                psi_ab,
                psi_ab + digamma(b + x) - sh.dg_b,
            ],
            ln_bx1: (b + x - 1.0).ln(),
            inv_bx1: 1.0 / (b + x - 1.0),
        }
    }

    fn per_time(&self, sh: &Shared, t: f64) -> (f64, f64) {
        let at = sh.p[1] + t;
        (at.ln(), 1.0 / at)
    }

    fn one(
        &self,
        sh: &Shared,
        px: &mut PerX,
        x: f64,
        (ln_atx, inv_atx): (f64, f64),
        (ln_at, inv_at): (f64, f64),
    ) -> (f64, [f64; 4]) {
        if x > 0.0 {
            alive_or_dropped(
                (px.base, &px.d_base),
                sh.p[0] + x,
                (sh.ln_a, sh.inv_a),
                (px.ln_bx1, px.inv_bx1),
                (ln_atx, inv_atx),
                (ln_at, inv_at),
            )
        } else {
            let rx = sh.p[0] + x;
            let a3 = -rx * ln_at;
            let d3 = [-ln_at, -rx * inv_at, 0.0, 0.0];
            (px.base + a3, std::array::from_fn(|k| px.d_base[k] + d3[k]))
        }
    }
}

/// `base + ln(e^a3 + e^a4)` and its gradient, the per-history part of the
/// BG/NBD and MBG/NBD likelihoods: `a3 = −(r+x) ln(α+T)` (alive at `T`),
/// `a4 = ln a − ln b' − (r+x) ln(α+t_x)` (dropped out after the last
/// purchase), `b' = b+x−1` (BG/NBD) or `b+x` (MBG/NBD); each log comes
/// with its derivative's factor (`1/a`, `1/b'`, `1/(α+t)`). One
/// exponential and one `ln_1p` per history.
#[inline]
pub(crate) fn alive_or_dropped(
    (base, d_base): (f64, &[f64; 4]),
    rx: f64,
    (ln_a, inv_a): (f64, f64),
    (ln_b, inv_b): (f64, f64),
    (ln_atx, inv_atx): (f64, f64),
    (ln_at, inv_at): (f64, f64),
) -> (f64, [f64; 4]) {
    let a3 = -rx * ln_at;
    let d3 = [-ln_at, -rx * inv_at, 0.0, 0.0];
    let a4 = ln_a - ln_b - rx * ln_atx;
    let d4 = [-ln_atx, -rx * inv_atx, inv_a, -inv_b];
    // ln(e^a3 + e^a4) and the weights e^a3, e^a4 over that sum,
    // from one exponential (of the smaller minus the larger).
    let (hi, e, hi_is_a3) = if a3 >= a4 {
        (a3, (a4 - a3).exp(), true)
    } else {
        (a4, (a3 - a4).exp(), false)
    };
    let l = hi + e.ln_1p();
    let (w_hi, w_lo) = (1.0 / (1.0 + e), e / (1.0 + e));
    let (w3, w4) = if hi_is_a3 { (w_hi, w_lo) } else { (w_lo, w_hi) };
    let g = std::array::from_fn(|k| d_base[k] + w3 * d3[k] + w4 * d4[k]);
    (base + l, g)
}

impl BgNbdValidParams {
    /// Fits the model by maximum likelihood.
    ///
    /// # Errors
    /// [`CiblageError::FitFailed`](crate::CiblageError::FitFailed) when no optimum is found;
    /// [`CiblageError::Interrupted`](crate::CiblageError::Interrupted).
    pub fn fit<D: ClvInput + ?Sized>(&self, data: &D) -> Result<BgNbdModel> {
        let (p, report) = LikelihoodFit {
            model: "BG/NBD",
            ll_one: Staged::new(Stages),
            time_params: &[1],
            penalizer: self.penalizer,
            max_iterations: self.max_iterations,
            interrupt: &self.interrupt,
        }
        .run(data.histories().patterns())?;
        Ok(BgNbdModel {
            r: p[0],
            alpha: p[1],
            a: p[2],
            b: p[3],
            report: Some(report),
        })
    }
}

/// A fitted BG/NBD model. Times are in the unit of the histories fitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BgNbdModel {
    r: f64,
    alpha: f64,
    a: f64,
    b: f64,
    report: Option<FitReport>,
}

/// Names of the parameters, in the order of [`BgNbdModel::params`].
pub const BG_NBD_PARAMS: [&str; 4] = ["r", "alpha", "a", "b"];

impl BgNbdModel {
    /// A model with given parameters (all positive and finite), for
    /// predictions from published or saved values.
    ///
    /// # Errors
    /// A parameter that is not positive and finite, named.
    pub fn from_params(r: f64, alpha: f64, a: f64, b: f64) -> Result<Self> {
        check_positive_params(&BG_NBD_PARAMS, [r, alpha, a, b])?;
        Ok(Self {
            r,
            alpha,
            a,
            b,
            report: None,
        })
    }

    /// `[r, alpha, a, b]`.
    pub fn params(&self) -> [f64; 4] {
        [self.r, self.alpha, self.a, self.b]
    }
    /// The fit report (log-likelihood, standard errors, convergence);
    /// `None` for a model built by [`BgNbdModel::from_params`].
    pub fn report(&self) -> Option<&FitReport> {
        self.report.as_ref()
    }
    /// Log-likelihood of `data` under the model (weighted sum).
    pub fn log_likelihood<D: ClvInput + ?Sized>(&self, data: &D) -> f64 {
        Staged::new(Stages)
            .total(&data.histories(), self.params(), 1.0)
            .0
    }

    /// P(alive) of one history at its end `T`.
    pub fn p_alive_one(&self, x: f64, t_x: f64, t: f64) -> f64 {
        self.p_alive_given(self.a.ln(), x, t_x, t)
    }

    /// [`BgNbdModel::p_alive_one`] with `ln a` computed once for many rows.
    #[inline]
    fn p_alive_given(&self, ln_a: f64, x: f64, t_x: f64, t: f64) -> f64 {
        if x == 0.0 {
            return 1.0;
        }
        let (r, alpha, b) = (self.r, self.alpha, self.b);
        let lr = ln_a - (b + x - 1.0).ln() + (r + x) * ((alpha + t).ln() - (alpha + t_x).ln());
        logistic_of_neg(lr)
    }

    /// Expected purchases of one history in the next `horizon` units of
    /// time (conditional on the history).
    pub fn expected_purchases_one(&self, horizon: f64, x: f64, t_x: f64, t: f64) -> f64 {
        if horizon <= 0.0 {
            return 0.0;
        }
        // Divided by 1 + a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x): P(alive).
        self.if_alive(horizon, x, t) * self.p_alive_one(x, t_x, t)
    }

    /// Expected purchases in the next `horizon` of a customer alive at `T`
    /// after `x` repeat purchases: `(a+b+x-1)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x)
    /// 2F1(r+x, b+x; a+b+x-1; z)]`, `z = t/(alpha+T+t)`. The bracket is
    /// taken in Euler's form `1 - (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z)`
    /// (its parameters do not grow with `x`: short and without cancellation
    /// for heavy buyers), else in the direct form; where both series are long
    /// (`z` close to 1) or near the removable singularity `a = 1`, as the
    /// defining integral over the dropout probability.
    pub(crate) fn if_alive(&self, horizon: f64, x: f64, t: f64) -> f64 {
        let (r, alpha, a, b) = (self.r, self.alpha, self.a, self.b);
        let z = horizon / (alpha + t + horizon);
        let ln_1mz = (alpha + t).ln() - (alpha + t + horizon).ln();
        let c = a + b + x - 1.0;
        if (a - 1.0).abs() > 1e-3 {
            let euler = ln_hyp2f1_within(a + b - 1.0 - r, a - 1.0, c, z, SERIES_BUDGET)
                .map(|(ln_f, sign)| ((a - 1.0) * ln_1mz + ln_f, sign));
            let direct = || {
                ln_hyp2f1_within(r + x, b + x, c, z, SERIES_BUDGET)
                    .map(|(ln_f, sign)| ((r + x) * ln_1mz + ln_f, sign))
            };
            if let Some((ln_term, sign)) = euler.or_else(direct) {
                // 1 - sign exp(ln_term), as -expm1 when it is near 1.
                let bracket = if sign > 0.0 {
                    -ln_term.exp_m1()
                } else {
                    1.0 + ln_term.exp()
                };
                return c / (a - 1.0) * bracket;
            }
        }
        self.if_alive_by_quadrature(horizon, x, t)
    }

    /// `E[(1 - (1 + p t/(alpha+T))^-(r+x)) / p]` over the dropout
    /// probability `p ~ Beta(a, b+x)` (the purchase rate integrated out), by
    /// quadrature in `u = logit(p)` where the density is smooth and unimodal.
    pub(crate) fn if_alive_by_quadrature(&self, horizon: f64, x: f64, t: f64) -> f64 {
        let (r, alpha, a, b) = (self.r, self.alpha, self.a, self.b);
        let (bx, m, c) = (b + x, r + x, horizon / (alpha + t));
        // ln of p^a (1-p)^(b+x) at p = logistic(u) (dp = p (1-p) du).
        let softplus = |u: f64| u.max(0.0) + (-u.abs()).exp().ln_1p();
        let ln_density = |u: f64| -a * softplus(-u) - bx * softplus(u);
        let mode = (a / bx).ln();
        let top = ln_density(mode);
        let q = integrate(
            |u| {
                let p = logistic_of_neg(-u);
                let f = -(-m * (p * c).ln_1p()).exp_m1() / p;
                [f * (ln_density(u) - top).exp()]
            },
            mode - 40.0 / a - 40.0,
            mode + 40.0 / bx + 40.0,
            1e-10,
        );
        q[0] * (top - ln_beta(a, bx)).exp()
    }

    /// Expected purchases of a new customer in `horizon` units of time from
    /// the first purchase, E\[X(t)\] (the conditional expectation of a
    /// history with `x = t_x = T = 0`).
    pub fn expected_purchases_new(&self, horizon: f64) -> f64 {
        self.expected_purchases_one(horizon, 0.0, 0.0, 0.0)
    }

    /// Probability that a new customer makes exactly `n` purchases in
    /// `horizon` units of time, P(X(t) = n).
    pub fn prob_n_purchases(&self, n: u32, horizon: f64) -> f64 {
        let (r, alpha, a, b) = (self.r, self.alpha, self.a, self.b);
        let nf = f64::from(n);
        let ln_p = alpha.ln() - (alpha + horizon).ln();
        let ln_q = if horizon > 0.0 {
            horizon.ln() - (alpha + horizon).ln()
        } else {
            f64::NEG_INFINITY
        };
        let ln_nb = |j: f64| {
            ln_gamma(r + j) - ln_gamma(r) - ln_gamma(j + 1.0)
                + r * ln_p
                + if j > 0.0 { j * ln_q } else { 0.0 }
        };
        let first = (ln_beta(a, b + nf) - ln_beta(a, b) + ln_nb(nf)).exp();
        if n == 0 {
            return first;
        }
        // 1 - P(NB <= n-1), as the log of the upper tail.
        let mut ln_cdf = f64::NEG_INFINITY;
        for j in 0..n {
            ln_cdf = log_add_exp(ln_cdf, ln_nb(f64::from(j)));
        }
        let tail = ln_one_minus_exp(ln_cdf.min(0.0));
        first + (ln_beta(a + 1.0, b + nf - 1.0) - ln_beta(a, b) + tail).exp()
    }

    /// P(alive) of every history, in parallel.
    pub fn p_alive<D: ClvInput + ?Sized>(&self, data: &D) -> Vec<f64> {
        let h = data.histories();
        let ln_a = self.a.ln();
        each(&h, |x, tx, t| self.p_alive_given(ln_a, x, tx, t))
    }

    /// Conditional expected purchases of every history over `horizon`
    /// (as [`BgNbdModel::expected_purchases_one`]): the expectation if alive
    /// depends on `x` and `T` only and is computed once per distinct pair,
    /// P(alive) per history.
    pub fn expected_purchases<D: ClvInput + ?Sized>(&self, horizon: f64, data: &D) -> Vec<f64> {
        use rayon::prelude::*;
        let h = data.histories();
        if horizon <= 0.0 {
            return vec![0.0; h.len()];
        }
        let mut out = per_distinct(
            h.len(),
            |i| [h.frequency[i].to_bits(), h.t[i].to_bits()],
            |[x, t]| self.if_alive(horizon, f64::from_bits(x), f64::from_bits(t)),
        );
        let ln_a = self.a.ln();
        out.par_iter_mut().enumerate().for_each(|(i, v)| {
            *v *= self.p_alive_given(ln_a, h.frequency[i], h.recency[i], h.t[i]);
        });
        out
    }

    /// The model as versioned JSON.
    pub fn to_json(&self) -> String {
        to_json(
            "bg_nbd",
            &BG_NBD_PARAMS,
            &self.params(),
            self.report.as_ref(),
        )
    }

    /// Reads a model written by [`BgNbdModel::to_json`], checked whole.
    ///
    /// # Errors
    /// [`CiblageError::InvalidModelFile`](crate::CiblageError::InvalidModelFile) naming the field at fault.
    pub fn from_json(text: &str) -> Result<Self> {
        let (p, report) = from_json("BG/NBD model", "bg_nbd", &BG_NBD_PARAMS, text)?;
        Ok(Self {
            r: p[0],
            alpha: p[1],
            a: p[2],
            b: p[3],
            report,
        })
    }
}

/// Terms of a hypergeometric series the predictions spend at most before
/// turning to quadrature.
const SERIES_BUDGET: usize = 20_000;

/// `f(x, t_x, T)` of every row of `h`, in parallel, in row order.
pub(crate) fn each(h: &Histories, f: impl Fn(f64, f64, f64) -> f64 + Sync) -> Vec<f64> {
    use rayon::prelude::*;
    (0..h.len())
        .into_par_iter()
        .map(|i| f(h.frequency[i], h.recency[i], h.t[i]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Histories in whole days with repeated `(x, T)` pairs, in no order.
    fn repeated() -> Histories {
        let (mut x, mut tx, mut t) = (vec![], vec![], vec![]);
        for i in 0..5_000u32 {
            let tt = f64::from(1 + (i * 7919) % 90);
            let xi = f64::from((i * 31) % 9);
            x.push(xi);
            t.push(tt);
            tx.push(if xi == 0.0 {
                0.0
            } else {
                f64::from((i * 13) % 91).min(tt)
            });
        }
        Histories::new(x, tx, t).unwrap()
    }

    #[test]
    fn predictions_per_distinct_history_are_the_per_customer_ones() {
        let h = repeated();
        let m = BgNbdModel::from_params(0.24, 4.4, 0.79, 2.43).unwrap();
        let (all, alive) = (m.expected_purchases(20.0, &h), m.p_alive(&h));
        for i in 0..h.len() {
            let (x, tx, t) = (h.frequency[i], h.recency[i], h.t[i]);
            assert_eq!(all[i], m.expected_purchases_one(20.0, x, tx, t), "row {i}");
            assert_eq!(alive[i], m.p_alive_one(x, tx, t), "row {i}");
        }
    }
}
