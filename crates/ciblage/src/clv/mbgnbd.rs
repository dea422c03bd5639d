//! MBG/NBD (Batislam, Denizel & Filiztekin 2007; `lifetimes`'
//! `ModifiedBetaGeoFitter`): BG/NBD where a customer can also drop out at
//! time 0, right after the first purchase, so that a customer without a
//! repeat purchase is not certainly alive.

use crate::clv::fit_params::clv_fit_params;
use serde::{Deserialize, Serialize};

use crate::clv::bgnbd::{alive_or_dropped, each};
use crate::clv::gamma_gamma::PurchaseModel;
use crate::clv::histories::per_distinct;
use crate::clv::likelihood::{LikelihoodFit, PatternLikelihood, Staged, StagedLikelihood};
use crate::clv::model::{check_positive_params, from_json, to_json, ClvInput, FitReport};
use crate::clv::special::{
    digamma, ln_beta, ln_gamma, ln_hyp2f1, ln_one_minus_exp, log_add_exp, logistic_of_neg,
};
use crate::error::Result;

/// Entry point of the MBG/NBD model (a learner: [`MbgNbdValidParams::fit`]).
///
/// ```
/// use ciblage::clv::{Histories, MbgNbd};
/// let h = Histories::new(
///     vec![0.0, 1.0, 4.0, 0.0, 2.0, 7.0, 0.0, 1.0],
///     vec![0.0, 10.0, 30.0, 0.0, 5.0, 35.0, 0.0, 38.0],
///     vec![39.0, 39.0, 39.0, 20.0, 30.0, 39.0, 10.0, 39.0],
/// )?;
/// let model = MbgNbd::params().penalizer(0.01).fit(&h)?;
/// let p = model.p_alive(&h);
/// assert!(p.iter().all(|p| (0.0..=1.0).contains(p)));
/// assert!(model.expected_purchases_new(10.0) < model.expected_purchases_new(20.0));
/// # Ok::<(), ciblage::CiblageError>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct MbgNbd;

clv_fit_params!(
    MbgNbd,
    MbgNbdParams,
    MbgNbdValidParams,
    ClvInput,
    MbgNbdModel,
    "MBG/NBD",
    "L2 penalty on the parameters (times rescaled so that the largest `T` is 1, as `lifetimes`), added to the mean negative log-likelihood. Default 0."
);

/// Log-likelihood of one history and its derivatives in `(r, alpha, a, b)`:
/// `A1 + A2 + ln(exp(A3) + exp(A4))` with
/// `A1 = lnΓ(r+x) − lnΓ(r) + r ln α`,
/// `A2 = lnΓ(a+b) + lnΓ(b+x+1) − lnΓ(b) − lnΓ(a+b+x+1)`,
/// `A3 = −(r+x) ln(α+T)`, `A4 = ln a − ln(b+x) − (r+x) ln(α+t_x)`
/// (for every `x`, 0 included).
pub(crate) fn ll_one(p: [f64; 4], x: f64, t_x: f64, t: f64) -> (f64, [f64; 4]) {
    let [r, alpha, a, b] = p;
    let a1 = ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln();
    let a2 = ln_gamma(a + b) + ln_gamma(b + x + 1.0) - ln_gamma(b) - ln_gamma(a + b + x + 1.0);
    let a3 = -(r + x) * (alpha + t).ln();
    let a4 = a.ln() - (b + x).ln() - (r + x) * (alpha + t_x).ln();
    let d1 = [
        digamma(r + x) - digamma(r) + alpha.ln(),
        r / alpha,
        0.0,
        0.0,
    ];
    let psi_ab = digamma(a + b) - digamma(a + b + x + 1.0);
    let d2 = [0.0, 0.0, psi_ab, psi_ab + digamma(b + x + 1.0) - digamma(b)];
    let d3 = [-(alpha + t).ln(), -(r + x) / (alpha + t), 0.0, 0.0];
    let d4 = [
        -(alpha + t_x).ln(),
        -(r + x) / (alpha + t_x),
        1.0 / a,
        -1.0 / (b + x),
    ];
    let l = log_add_exp(a3, a4);
    let (w3, w4) = ((a3 - l).exp(), (a4 - l).exp());
    let g = std::array::from_fn(|k| d1[k] + d2[k] + w3 * d3[k] + w4 * d4[k]);
    (a1 + a2 + l, g)
}

/// The MBG/NBD likelihood in stages (see [`StagedLikelihood`]): the
/// `ln Γ` and digamma terms once per frequency, the logs of `α + t` once
/// per distinct time, one exponential and one `ln_1p` per history; the
/// same terms as [`ll_one`].
pub(crate) struct Stages;

/// Parameter-only terms of the MBG/NBD likelihood.
pub(crate) struct Shared {
    p: [f64; 4],
    ln_alpha: f64,
    ln_a: f64,
    inv_a: f64,
    lg_r: f64,
    dg_r: f64,
    lg_ab: f64,
    lg_b: f64,
    dg_ab: f64,
    dg_b: f64,
}

/// Terms of one frequency: `A1 + A2` and their derivatives, `ln(b + x)`
/// and `1 / (b + x)`.
pub(crate) struct PerX {
    base: f64,
    d_base: [f64; 4],
    ln_bx: f64,
    inv_bx: f64,
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
            lg_ab: ln_gamma(a + b),
            lg_b: ln_gamma(b),
            dg_ab: digamma(a + b),
            dg_b: digamma(b),
        }
    }

    fn per_x(&self, sh: &Shared, x: f64) -> PerX {
        let [r, alpha, a, b] = sh.p;
        let a1 = ln_gamma(r + x) - sh.lg_r + r * sh.ln_alpha;
        let a2 = sh.lg_ab + ln_gamma(b + x + 1.0) - sh.lg_b - ln_gamma(a + b + x + 1.0);
        let psi_ab = sh.dg_ab - digamma(a + b + x + 1.0);
        PerX {
            base: a1 + a2,
            d_base: [
                digamma(r + x) - sh.dg_r + sh.ln_alpha,
                r / alpha,
                psi_ab,
                psi_ab + digamma(b + x + 1.0) - sh.dg_b,
            ],
            ln_bx: (b + x).ln(),
            inv_bx: 1.0 / (b + x),
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
        t_x: (f64, f64),
        t: (f64, f64),
    ) -> (f64, [f64; 4]) {
        alive_or_dropped(
            (px.base, &px.d_base),
            sh.p[0] + x,
            (sh.ln_a, sh.inv_a),
            (px.ln_bx, px.inv_bx),
            t_x,
            t,
        )
    }
}

impl MbgNbdValidParams {
    /// Fits the model by maximum likelihood.
    ///
    /// # Errors
    /// [`CiblageError::FitFailed`](crate::CiblageError::FitFailed) when no optimum is found;
    /// [`CiblageError::Interrupted`](crate::CiblageError::Interrupted); every `T` is 0.
    pub fn fit<D: ClvInput + ?Sized>(&self, data: &D) -> Result<MbgNbdModel> {
        let (p, report) = LikelihoodFit {
            model: "MBG/NBD",
            ll_one: Staged::new(Stages),
            time_params: &[1],
            penalizer: self.penalizer,
            max_iterations: self.max_iterations,
            interrupt: &self.interrupt,
        }
        .run(data.histories().patterns())?;
        Ok(MbgNbdModel {
            r: p[0],
            alpha: p[1],
            a: p[2],
            b: p[3],
            report: Some(report),
        })
    }
}

/// A fitted MBG/NBD model. Times are in the unit of the histories fitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MbgNbdModel {
    r: f64,
    alpha: f64,
    a: f64,
    b: f64,
    report: Option<FitReport>,
}

/// Names of the parameters, in the order of [`MbgNbdModel::params`].
pub const MBG_NBD_PARAMS: [&str; 4] = ["r", "alpha", "a", "b"];

impl MbgNbdModel {
    /// A model with given parameters (all positive and finite).
    ///
    /// # Errors
    /// A parameter that is not positive and finite, named.
    pub fn from_params(r: f64, alpha: f64, a: f64, b: f64) -> Result<Self> {
        check_positive_params(&MBG_NBD_PARAMS, [r, alpha, a, b])?;
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
    /// The fit report; `None` for a model built by [`MbgNbdModel::from_params`].
    pub fn report(&self) -> Option<&FitReport> {
        self.report.as_ref()
    }
    /// Log-likelihood of `data` under the model (weighted sum).
    pub fn log_likelihood<D: ClvInput + ?Sized>(&self, data: &D) -> f64 {
        Staged::new(Stages)
            .total(&data.histories(), self.params(), 1.0)
            .0
    }

    /// P(alive) of one history at its end `T`:
    /// `1 / (1 + a/(b+x) ((α+T)/(α+t_x))^(r+x))`.
    pub fn p_alive_one(&self, x: f64, t_x: f64, t: f64) -> f64 {
        self.p_alive_given(self.a.ln(), x, t_x, t)
    }

    /// [`MbgNbdModel::p_alive_one`] with `ln a` computed once for many rows.
    #[inline]
    fn p_alive_given(&self, ln_a: f64, x: f64, t_x: f64, t: f64) -> f64 {
        let (r, alpha, b) = (self.r, self.alpha, self.b);
        let lr = ln_a - (b + x).ln() + (r + x) * ((alpha + t).ln() - (alpha + t_x).ln());
        logistic_of_neg(lr)
    }

    /// Expected purchases of one history in the next `horizon` units of
    /// time (conditional on the history).
    pub fn expected_purchases_one(&self, horizon: f64, x: f64, t_x: f64, t: f64) -> f64 {
        if horizon <= 0.0 {
            return 0.0;
        }
        let alive_rate = self.at_a(|a| self.if_alive(a, horizon, x, t));
        alive_rate * self.p_alive_one(x, t_x, t)
    }

    /// `f(a)`, or at `a = 1` (a removable singularity of the closed forms)
    /// the mean of the values on either side.
    fn at_a(&self, f: impl Fn(f64) -> f64) -> f64 {
        if (self.a - 1.0).abs() < 1e-6 {
            0.5 * (f(self.a + 1e-6) + f(self.a - 1e-6))
        } else {
            f(self.a)
        }
    }

    /// `(a+b+x)/(a-1) [1 - ((α+T)/(α+T+t))^(r+x) 2F1(r+x, b+x+1; a+b+x;
    /// t/(α+T+t))]`: expected purchases of a customer alive at `T`.
    fn if_alive(&self, a: f64, horizon: f64, x: f64, t: f64) -> f64 {
        let (r, alpha, b) = (self.r, self.alpha, self.b);
        let z = horizon / (alpha + t + horizon);
        let Some((ln_f, sign)) = ln_hyp2f1(r + x, b + x + 1.0, a + b + x, z) else {
            return f64::NAN;
        };
        let ln_term = (r + x) * ((alpha + t).ln() - (alpha + t + horizon).ln()) + ln_f;
        let bracket = if sign > 0.0 {
            -ln_term.exp_m1()
        } else {
            1.0 + ln_term.exp()
        };
        (a + b + x) / (a - 1.0) * bracket
    }

    /// Expected purchases of a new customer in `horizon` units of time from
    /// the first purchase: `b/(a-1) [1 - (α/(α+t))^r 2F1(r, b+1; a+b;
    /// t/(α+t))]` (dropout at time 0 included).
    pub fn expected_purchases_new(&self, horizon: f64) -> f64 {
        if horizon <= 0.0 {
            return 0.0;
        }
        let (r, alpha, b) = (self.r, self.alpha, self.b);
        self.at_a(|a| {
            let z = horizon / (alpha + horizon);
            let Some((ln_f, sign)) = ln_hyp2f1(r, b + 1.0, a + b, z) else {
                return f64::NAN;
            };
            let ln_term = r * (alpha.ln() - (alpha + horizon).ln()) + ln_f;
            let bracket = if sign > 0.0 {
                -ln_term.exp_m1()
            } else {
                1.0 + ln_term.exp()
            };
            b / (a - 1.0) * bracket
        })
    }

    /// Probability that a new customer makes exactly `n` purchases in
    /// `horizon` units of time, P(X(t) = n): alive after the `n` purchases
    /// with `n` Poisson-gamma purchases, or dropped out right after the
    /// `n`-th (at time 0 for `n = 0`) with at least `n` of them.
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
        let first = (ln_beta(a, b + nf + 1.0) - ln_beta(a, b) + ln_nb(nf)).exp();
        let mut ln_cdf = f64::NEG_INFINITY;
        for j in 0..n {
            ln_cdf = log_add_exp(ln_cdf, ln_nb(f64::from(j)));
        }
        let tail = ln_one_minus_exp(ln_cdf.min(0.0));
        first + (ln_beta(a + 1.0, b + nf) - ln_beta(a, b) + tail).exp()
    }

    /// P(alive) of every history, in parallel.
    pub fn p_alive<D: ClvInput + ?Sized>(&self, data: &D) -> Vec<f64> {
        let h = data.histories();
        let ln_a = self.a.ln();
        each(&h, |x, tx, t| self.p_alive_given(ln_a, x, tx, t))
    }

    /// Conditional expected purchases of every history over `horizon` (as
    /// [`MbgNbdModel::expected_purchases_one`]): the expectation if alive
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
            |[x, t]| {
                let (x, t) = (f64::from_bits(x), f64::from_bits(t));
                self.at_a(|a| self.if_alive(a, horizon, x, t))
            },
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
            "mbg_nbd",
            &MBG_NBD_PARAMS,
            &self.params(),
            self.report.as_ref(),
        )
    }

    /// Reads a model written by [`MbgNbdModel::to_json`], checked whole.
    ///
    /// # Errors
    /// [`CiblageError::InvalidModelFile`](crate::CiblageError::InvalidModelFile) naming the field at fault.
    pub fn from_json(text: &str) -> Result<Self> {
        let (p, report) = from_json("MBG/NBD model", "mbg_nbd", &MBG_NBD_PARAMS, text)?;
        Ok(Self {
            r: p[0],
            alpha: p[1],
            a: p[2],
            b: p[3],
            report,
        })
    }
}

impl PurchaseModel for MbgNbdModel {
    fn expected_purchases_one(&self, horizon: f64, x: f64, t_x: f64, t: f64) -> f64 {
        Self::expected_purchases_one(self, horizon, x, t_x, t)
    }
}

#[cfg(test)]
#[path = "mbgnbd_tests.rs"]
mod tests;
