//! Shifted-beta-geometric model of contractual retention (Fader & Hardie
//! 2007, "How to project customer retention"): each customer renews at the
//! end of every period with a constant probability `1 − θ`, `θ` beta(α, β)
//! across customers, so that the retention rate of a cohort rises with
//! tenure.

use crate::clv::fit_params::clv_fit_params;
use serde::{Deserialize, Serialize};

use crate::churn::RetentionAnalysis;
use crate::clv::model::{
    check_positive_params, from_json, optional, sum_terms, to_json, FitReport,
};
use crate::clv::optim::{minimise, standard_errors, Objective};
pub use crate::clv::sbg_data::{SurvivalCounts, SurvivalInput};
use crate::clv::special::{digamma, ln_beta};
use crate::error::{CiblageError, Result};

/// Entry point of the shifted-beta-geometric retention model (a learner:
/// [`ShiftedBetaGeoValidParams::fit`]).
///
/// ```
/// use ciblage::clv::{ShiftedBetaGeo, SurvivalCounts};
/// let s = SurvivalCounts::from_survivors(&[vec![1000.0, 631.0, 468.0, 382.0, 326.0, 289.0, 262.0, 241.0]])?;
/// let model = ShiftedBetaGeo::params().fit(&s)?;
/// let [alpha, beta] = model.params();
/// assert!((alpha - 0.7041).abs() < 1e-3 && (beta - 1.1820).abs() < 1e-3);
/// assert!((1000.0 * model.survival(8) - 220.1).abs() < 0.1);
/// # Ok::<(), ciblage::CiblageError>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct ShiftedBetaGeo;

clv_fit_params!(
    ShiftedBetaGeo,
    ShiftedBetaGeoParams,
    ShiftedBetaGeoValidParams,
    SurvivalInput,
    ShiftedBetaGeoModel,
    "shifted-BG",
    "L2 penalty on `(alpha, beta)` added to the mean negative log-likelihood (default 0)."
);

/// `Σ events ln P(T = ℓ) + Σ censored ln S(ℓ − 1)` and its gradient in
/// `(α, β)`, with `P(T = t) = B(α+1, β+t−1)/B(α, β)` and
/// `S(t) = B(α, β+t)/B(α, β)`.
fn log_likelihood(s: &SurvivalCounts, p: [f64; 2]) -> (f64, [f64; 2]) {
    let [a, b] = p;
    let base = ln_beta(a, b);
    let (pa, pb) = (digamma(a), digamma(b));
    let pab = digamma(a + b);
    sum_terms(s.events.len(), |i| {
        let t = (i + 1) as f64;
        let (e, c) = (s.events[i], s.censored[i]);
        let mut v = 0.0;
        let mut g = [0.0; 2];
        if e > 0.0 {
            // ln B(α+1, β+t−1) − ln B(α, β).
            let d = digamma(a + b + t);
            v += e * (ln_beta(a + 1.0, b + t - 1.0) - base);
            g[0] += e * ((digamma(a + 1.0) - d) - (pa - pab));
            g[1] += e * ((digamma(b + t - 1.0) - d) - (pb - pab));
        }
        if c > 0.0 {
            // ln B(α, β+t−1) − ln B(α, β).
            let d = digamma(a + b + t - 1.0);
            v += c * (ln_beta(a, b + t - 1.0) - base);
            g[0] += c * ((pa - d) - (pa - pab));
            g[1] += c * ((digamma(b + t - 1.0) - d) - (pb - pab));
        }
        (v, g)
    })
}

/// The churn rate per period when the likelihood keeps rising towards a
/// homogeneous base (alpha and beta scaled up together around the
/// geometric estimate): the case with no finite optimum. `None` with a
/// penalty (which bounds the parameters) or when it does not rise.
fn homogeneous(s: &SurvivalCounts, penalizer: f64) -> Option<f64> {
    if penalizer > 0.0 {
        return None;
    }
    let events: f64 = s.events.iter().sum();
    let exposure: f64 = (0..s.events.len())
        .map(|i| s.events[i] * (i + 1) as f64 + s.censored[i] * i as f64)
        .sum();
    let rate = events / exposure;
    if !(rate > 0.0 && rate < 1.0) {
        return None;
    }
    let at = |c: f64| log_likelihood(s, [c * rate, c * (1.0 - rate)]).0;
    (at(1e6) > at(1e4) && at(1e4) > at(1e2)).then_some(rate)
}

struct Mean<'a> {
    s: &'a SurvivalCounts,
    total: f64,
    penalizer: f64,
}

impl Objective for Mean<'_> {
    fn eval(&self, theta: &[f64]) -> (f64, Vec<f64>) {
        let p = [theta[0].exp(), theta[1].exp()];
        let (ll, g) = log_likelihood(self.s, p);
        let value = -ll / self.total + self.penalizer * (p[0] * p[0] + p[1] * p[1]);
        let grad = (0..2)
            .map(|k| -g[k] * p[k] / self.total + self.penalizer * 2.0 * p[k] * p[k])
            .collect();
        (value, grad)
    }
}

impl ShiftedBetaGeoValidParams {
    /// Fits `alpha` and `beta` by maximum likelihood.
    ///
    /// # Errors
    /// [`CiblageError::FitFailed`] when the data cannot tell the two
    /// parameters apart (no churn, no renewal, a single period) or no
    /// optimum is found; [`CiblageError::Interrupted`].
    pub fn fit<D: SurvivalInput + ?Sized>(&self, data: &D) -> Result<ShiftedBetaGeoModel> {
        let s = data.survival_counts();
        let model = "shifted-BG";
        if let Some(reason) = s.unidentified() {
            return Err(CiblageError::FitFailed {
                model,
                reason: reason.into(),
            });
        }
        let total = s.total();
        let objective = Mean {
            s: &s,
            total,
            penalizer: self.penalizer,
        };
        let (theta, _, convergence) = minimise(
            model,
            &objective,
            vec![0.0; 2],
            self.max_iterations,
            &self.interrupt,
        )
        .map_err(|e| match (e, homogeneous(&s, self.penalizer)) {
            (CiblageError::FitFailed { model, .. }, Some(rate)) => CiblageError::FitFailed {
                model,
                reason: format!(
                    "every customer seems to churn at the same rate ({rate:.4} per period): \
                     alpha and beta grow without bound, the beta mixture reducing to one \
                     geometric lifetime; set a small penalizer for a finite fit"
                ),
            },
            (e, _) => e,
        })?;
        let p = [theta[0].exp(), theta[1].exp()];
        let (ll, _) = log_likelihood(&s, p);
        let se = standard_errors(&p, |q| {
            let (_, g) = log_likelihood(&s, [q[0], q[1]]);
            g.iter().map(|d| -d).collect()
        });
        let patterns = s
            .events
            .iter()
            .chain(&s.censored)
            .filter(|c| **c > 0.0)
            .count();
        Ok(ShiftedBetaGeoModel {
            alpha: p[0],
            beta: p[1],
            report: Some(FitReport {
                log_likelihood: ll,
                standard_errors: optional(se),
                log_covariance: None,
                customers: total,
                patterns,
                penalizer: self.penalizer,
                convergence,
            }),
        })
    }

    /// Fits one model per cohort of a retention analysis: the cohort's
    /// label with its model, or why it could not be fitted (too few
    /// periods observed, no churn yet, …).
    pub fn fit_cohorts(
        &self,
        analysis: &RetentionAnalysis,
    ) -> Vec<(String, Result<ShiftedBetaGeoModel>)> {
        SurvivalCounts::by_cohort(analysis)
            .into_iter()
            .map(|(label, s)| {
                let fit = self.fit(&s);
                (label, fit)
            })
            .collect()
    }
}

/// A fitted shifted-BG model. Periods are those of the data fitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShiftedBetaGeoModel {
    alpha: f64,
    beta: f64,
    report: Option<FitReport>,
}

/// Names of the parameters, in the order of [`ShiftedBetaGeoModel::params`].
pub const SHIFTED_BETA_GEO_PARAMS: [&str; 2] = ["alpha", "beta"];

/// Most terms of the discounted sums (a discount rate of about 1e-6 per
/// period needs them all).
const MAX_TERMS: usize = 50_000_000;

/// `2F1(1, u; v; z) = Σ_k z^k Π_{j<k} (u+j)/(v+j)` for `0 < u <= v`,
/// `0 < z < 1`, summed until the tail (at most `term z / (1 − z)`, every
/// ratio being below `z`) is below 1e-13 of the sum; `None` past
/// [`MAX_TERMS`] terms (`z` within about 1e-6 of 1).
pub(crate) fn discounted_sum(u: f64, v: f64, z: f64) -> Option<f64> {
    if z >= 1.0 {
        return None;
    }
    let tail_factor = z / (1.0 - z);
    let (mut term, mut sum) = (1.0_f64, 1.0_f64);
    for j in 0..MAX_TERMS {
        let jf = j as f64;
        term *= (u + jf) / (v + jf) * z;
        sum += term;
        if term * tail_factor < 1e-13 * sum {
            return Some(sum);
        }
    }
    None
}

/// The error of a discount rate too small for the discounted sums.
pub(crate) fn rate_too_small(discount_rate: f64) -> CiblageError {
    CiblageError::param(
        "discount_rate",
        format!("{discount_rate} is too small for the discounted sum to converge (use 1e-6 or more per period)"),
    )
}

impl ShiftedBetaGeoModel {
    /// A model with given parameters (both positive and finite).
    ///
    /// # Errors
    /// A parameter that is not positive and finite, named.
    pub fn from_params(alpha: f64, beta: f64) -> Result<Self> {
        check_positive_params(&SHIFTED_BETA_GEO_PARAMS, [alpha, beta])?;
        Ok(Self {
            alpha,
            beta,
            report: None,
        })
    }
    /// `[alpha, beta]`.
    pub fn params(&self) -> [f64; 2] {
        [self.alpha, self.beta]
    }
    /// The fit report; `None` for a model built by [`ShiftedBetaGeoModel::from_params`].
    pub fn report(&self) -> Option<&FitReport> {
        self.report.as_ref()
    }
    /// Log-likelihood of `data` under the model.
    pub fn log_likelihood<D: SurvivalInput + ?Sized>(&self, data: &D) -> f64 {
        log_likelihood(&data.survival_counts(), self.params()).0
    }
    /// Retention rate of period `t` (1 or more): the share of the
    /// customers alive in period `t` who renew, `(β+t−1)/(α+β+t−1)`.
    pub fn retention_rate(&self, t: u32) -> f64 {
        let t = f64::from(t.max(1));
        (self.beta + t - 1.0) / (self.alpha + self.beta + t - 1.0)
    }
    /// Survival `S(t)`: the share of a cohort still customers after `t`
    /// renewals (`S(0) = 1`), `B(α, β+t)/B(α, β)`.
    pub fn survival(&self, t: u32) -> f64 {
        (ln_beta(self.alpha, self.beta + f64::from(t)) - ln_beta(self.alpha, self.beta)).exp()
    }
    /// `P(T = t)`: the share of a cohort that churns at the end of period
    /// `t` (1 or more; 0 for `t = 0`).
    pub fn churn_probability(&self, t: u32) -> f64 {
        if t == 0 {
            return 0.0;
        }
        let t = f64::from(t);
        (ln_beta(self.alpha + 1.0, self.beta + t - 1.0) - ln_beta(self.alpha, self.beta)).exp()
    }
    /// Expected lifetime of a new customer in periods, `E[T] =
    /// (α+β−1)/(α−1)`; infinite when `α <= 1`.
    pub fn expected_lifetime(&self) -> f64 {
        if self.alpha <= 1.0 {
            f64::INFINITY
        } else {
            (self.alpha + self.beta - 1.0) / (self.alpha - 1.0)
        }
    }
    /// Discounted expected residual lifetime (Fader & Hardie 2010) of a
    /// customer who has renewed `renewals` times, in periods: `Σ_{k ≥ 1}
    /// P(T > n + k − 1 | T > n) / (1 + d)^(k − 1)` with `n = renewals`,
    /// i.e. `(β+n)/(α+β+n) 2F1(1, β+n+1; α+β+n+1; 1/(1+d))` (the periods
    /// still paid for, the next one undiscounted). Multiply by the margin
    /// per period for the residual value.
    ///
    /// # Errors
    /// A discount rate that is not positive and finite.
    pub fn derl(&self, discount_rate: f64, renewals: u32) -> Result<f64> {
        if !(discount_rate.is_finite() && discount_rate > 0.0) {
            return Err(CiblageError::param(
                "discount_rate",
                format!("must be a positive number, got {discount_rate}"),
            ));
        }
        let (a, b, n) = (self.alpha, self.beta, f64::from(renewals));
        let z = 1.0 / (1.0 + discount_rate);
        // (β+n)/(α+β+n) Σ_k z^k Π_{j<k} (β+n+1+j)/(α+β+n+1+j).
        discounted_sum(b + n + 1.0, a + b + n + 1.0, z)
            .map(|s| (b + n) / (a + b + n) * s)
            .ok_or_else(|| rate_too_small(discount_rate))
    }

    /// The model as versioned JSON.
    pub fn to_json(&self) -> String {
        to_json(
            "shifted_beta_geo",
            &SHIFTED_BETA_GEO_PARAMS,
            &self.params(),
            self.report.as_ref(),
        )
    }

    /// Reads a model written by [`ShiftedBetaGeoModel::to_json`], checked whole.
    ///
    /// # Errors
    /// [`CiblageError::InvalidModelFile`] naming the field at fault.
    pub fn from_json(text: &str) -> Result<Self> {
        let (p, report) = from_json(
            "shifted-BG model",
            "shifted_beta_geo",
            &SHIFTED_BETA_GEO_PARAMS,
            text,
        )?;
        Ok(Self {
            alpha: p[0],
            beta: p[1],
            report,
        })
    }
}

#[cfg(test)]
#[path = "sbg_tests.rs"]
mod tests;
