//! BG/BB (Fader, Hardie & Shang 2010): discrete transaction opportunities;
//! while alive a customer transacts at each opportunity with probability
//! `p` ~ beta(α, β) and drops out before the next with probability `θ` ~
//! beta(γ, δ).

use crate::clv::fit_params::clv_fit_params;
use serde::{Deserialize, Serialize};

use crate::clv::bgbb_data::BgBbInput;
use crate::clv::model::{
    check_positive_params, from_json, optional, sum_terms, to_json, FitReport,
};
use crate::clv::optim::{minimise, standard_errors, Objective};
use crate::clv::sbg::{discounted_sum, rate_too_small};
use crate::clv::special::{digamma, ln_beta};
use crate::error::{CiblageError, Result};

/// Entry point of the BG/BB model (a learner: [`BgBbValidParams::fit`]).
///
/// ```
/// use ciblage::clv::{BgBb, BgBbHistories};
/// let h = BgBbHistories::new(vec![0.0, 1.0, 3.0, 5.0, 2.0], vec![0.0, 1.0, 5.0, 6.0, 6.0], vec![6.0; 5])?
///     .with_weights(vec![40.0, 12.0, 9.0, 14.0, 7.0])?;
/// let model = BgBb::params().fit(&h)?;
/// let p = model.p_alive(&h)?;
/// assert!(p.iter().all(|p| (0.0..=1.0).contains(p)));
/// assert!(model.expected_purchases_new(5) < model.expected_purchases_new(10));
/// # Ok::<(), ciblage::CiblageError>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct BgBb;

clv_fit_params!(
    BgBb,
    BgBbParams,
    BgBbValidParams,
    BgBbInput,
    BgBbModel,
    "BG/BB",
    "L2 penalty on `(alpha, beta, gamma, delta)` added to the mean negative log-likelihood (default 0)."
);

/// `ln B(u + i, v + j) − ln B(u, v)` and its derivatives in `(u, v)`.
#[inline]
fn ln_beta_ratio(u: f64, v: f64, i: f64, j: f64) -> (f64, [f64; 2]) {
    let d = digamma(u + v + i + j);
    let d0 = digamma(u + v);
    (
        ln_beta(u + i, v + j) - ln_beta(u, v),
        [
            digamma(u + i) - d - (digamma(u) - d0),
            digamma(v + j) - d - (digamma(v) - d0),
        ],
    )
}

/// A sum of terms `exp(v_i)` with gradients `exp(v_i) dv_i`, kept in log
/// space: `exp(max) * (sum, grad)`.
struct LogSum {
    max: f64,
    sum: f64,
    grad: [f64; 4],
}

impl LogSum {
    fn new() -> Self {
        Self {
            max: f64::NEG_INFINITY,
            sum: 0.0,
            grad: [0.0; 4],
        }
    }
    fn add(&mut self, v: f64, dv: [f64; 4]) {
        if v > self.max {
            let scale = (self.max - v).exp();
            self.sum *= scale;
            self.grad.iter_mut().for_each(|g| *g *= scale);
            self.max = v;
        }
        let w = (v - self.max).exp();
        self.sum += w;
        for (g, d) in self.grad.iter_mut().zip(dv) {
            *g += w * d;
        }
    }
    /// `ln Σ exp(v_i)` and the gradient of it.
    fn finish(self) -> (f64, [f64; 4]) {
        (self.max + self.sum.ln(), self.grad.map(|g| g / self.sum))
    }
}

/// Log-likelihood of one history `(x, t_x, n)` and its gradient in
/// `(α, β, γ, δ)`: `ln[B(α+x, β+n−x)/B(α,β) B(γ, δ+n)/B(γ,δ) +
/// Σ_{i=0}^{n−t_x−1} B(α+x, β+t_x−x+i)/B(α,β) B(γ+1, δ+t_x+i)/B(γ,δ)]`.
/// The terms of the sum follow each other by rational factors, so that a
/// history costs a few special functions whatever its `n`.
pub(crate) fn ll_one(p: [f64; 4], x: f64, t_x: f64, n: f64) -> (f64, [f64; 4]) {
    let [a, b, g, d] = p;
    let term = |i: f64, j: f64, k: f64, l: f64| {
        let (u, du) = ln_beta_ratio(a, b, i, j);
        let (v, dv) = ln_beta_ratio(g, d, k, l);
        (u + v, [du[0], du[1], dv[0], dv[1]])
    };
    let mut acc = LogSum::new();
    let (v, dv) = term(x, n - x, 0.0, n);
    acc.add(v, dv);
    let extra = (n - t_x) as usize;
    if extra > 0 {
        let (mut v, mut dv) = term(x, t_x - x, 1.0, t_x);
        acc.add(v, dv);
        for j in 0..extra - 1 {
            // B(α+x, β+m+1)/B(α+x, β+m) = (β+m)/(α+β+x+m), m = t_x−x+j;
            // B(γ+1, δ+q+1)/B(γ+1, δ+q) = (δ+q)/(γ+δ+1+q), q = t_x+j.
            let jf = j as f64;
            let (bm, abm) = (b + t_x - x + jf, a + b + t_x + jf);
            let (dq, gdq) = (d + t_x + jf, g + d + 1.0 + t_x + jf);
            v += bm.ln() - abm.ln() + dq.ln() - gdq.ln();
            dv[0] -= 1.0 / abm;
            dv[1] += 1.0 / bm - 1.0 / abm;
            dv[2] -= 1.0 / gdq;
            dv[3] += 1.0 / dq - 1.0 / gdq;
            acc.add(v, dv);
        }
    }
    acc.finish()
}

/// The weighted log-likelihood of distinct patterns and its gradient.
fn total(patterns: &[([f64; 3], f64)], p: [f64; 4]) -> (f64, [f64; 4]) {
    sum_terms(patterns.len(), |i| {
        let ([x, tx, n], w) = patterns[i];
        let (v, g) = ll_one(p, x, tx, n);
        (w * v, g.map(|d| w * d))
    })
}

struct Mean<'a> {
    patterns: &'a [([f64; 3], f64)],
    total_weight: f64,
    penalizer: f64,
}

impl Objective for Mean<'_> {
    fn eval(&self, theta: &[f64]) -> (f64, Vec<f64>) {
        let p: [f64; 4] = std::array::from_fn(|k| theta[k].exp());
        let (ll, g) = total(self.patterns, p);
        let value = -ll / self.total_weight + self.penalizer * p.iter().map(|v| v * v).sum::<f64>();
        let grad = (0..4)
            .map(|k| -g[k] * p[k] / self.total_weight + self.penalizer * 2.0 * p[k] * p[k])
            .collect();
        (value, grad)
    }
}

impl BgBbValidParams {
    /// Fits the model by maximum likelihood on the distinct histories.
    ///
    /// # Errors
    /// Input that is not whole opportunities; [`CiblageError::FitFailed`]
    /// when no optimum is found; [`CiblageError::Interrupted`].
    pub fn fit<D: BgBbInput + ?Sized>(&self, data: &D) -> Result<BgBbModel> {
        let h = data.bgbb_histories()?;
        let patterns = h.patterns();
        let total_weight: f64 = patterns.iter().map(|p| p.1).sum();
        if patterns.iter().all(|p| p.0[2] == 0.0) {
            return Err(CiblageError::EmptyInput {
                argument: "opportunities (every customer has 0: none was observed after the first transaction)".into(),
            });
        }
        let objective = Mean {
            patterns: &patterns,
            total_weight,
            penalizer: self.penalizer,
        };
        let (theta, _, convergence) = minimise(
            "BG/BB",
            &objective,
            vec![0.0; 4],
            self.max_iterations,
            &self.interrupt,
        )?;
        let p: [f64; 4] = std::array::from_fn(|k| theta[k].exp());
        let (log_likelihood, _) = total(&patterns, p);
        let se = standard_errors(&p, |q| {
            let (_, g) = total(&patterns, [q[0], q[1], q[2], q[3]]);
            g.iter().map(|d| -d).collect()
        });
        Ok(BgBbModel {
            alpha: p[0],
            beta: p[1],
            gamma: p[2],
            delta: p[3],
            report: Some(FitReport {
                log_likelihood,
                standard_errors: optional(se),
                log_covariance: None,
                customers: total_weight,
                patterns: patterns.len(),
                penalizer: self.penalizer,
                convergence,
            }),
        })
    }
}

/// A fitted BG/BB model; times are counts of opportunities.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BgBbModel {
    alpha: f64,
    beta: f64,
    gamma: f64,
    delta: f64,
    report: Option<FitReport>,
}

/// Names of the parameters, in the order of [`BgBbModel::params`].
pub const BG_BB_PARAMS: [&str; 4] = ["alpha", "beta", "gamma", "delta"];

impl BgBbModel {
    /// A model with given parameters (all positive and finite).
    ///
    /// # Errors
    /// A parameter that is not positive and finite, named.
    pub fn from_params(alpha: f64, beta: f64, gamma: f64, delta: f64) -> Result<Self> {
        check_positive_params(&BG_BB_PARAMS, [alpha, beta, gamma, delta])?;
        Ok(Self {
            alpha,
            beta,
            gamma,
            delta,
            report: None,
        })
    }
    /// `[alpha, beta, gamma, delta]`.
    pub fn params(&self) -> [f64; 4] {
        [self.alpha, self.beta, self.gamma, self.delta]
    }
    /// The fit report; `None` for a model built by [`BgBbModel::from_params`].
    pub fn report(&self) -> Option<&FitReport> {
        self.report.as_ref()
    }
    /// Log-likelihood of `data` (weighted sum).
    ///
    /// # Errors
    /// Input that is not whole opportunities.
    pub fn log_likelihood<D: BgBbInput + ?Sized>(&self, data: &D) -> Result<f64> {
        let h = data.bgbb_histories()?;
        Ok(total(&h.patterns(), self.params()).0)
    }

    /// `ln B(γ, δ+t) − ln B(γ, δ)`: P(alive at opportunity `t`).
    fn ln_alive(&self, t: f64) -> f64 {
        ln_beta(self.gamma, self.delta + t) - ln_beta(self.gamma, self.delta)
    }

    /// `ln[B(α+x+1, β+n−x)/B(α,β)] − ln L`: the factor shared by the
    /// conditional expectations.
    fn ln_factor(&self, x: f64, t_x: f64, n: f64) -> f64 {
        let (l, _) = ll_one(self.params(), x, t_x, n);
        ln_beta(self.alpha + x + 1.0, self.beta + n - x) - ln_beta(self.alpha, self.beta) - l
    }

    /// P(alive at opportunity `n + 1`) of one history.
    pub fn p_alive_one(&self, x: f64, t_x: f64, n: f64) -> f64 {
        let (l, _) = ll_one(self.params(), x, t_x, n);
        let num = ln_beta(self.alpha + x, self.beta + n - x) - ln_beta(self.alpha, self.beta)
            + self.ln_alive(n + 1.0);
        (num - l).exp().min(1.0)
    }

    /// Expected transactions of one history in the next `horizon`
    /// opportunities `n+1 ..= n+horizon`.
    pub fn expected_purchases_one(&self, horizon: u32, x: f64, t_x: f64, n: f64) -> f64 {
        if horizon == 0 {
            return 0.0;
        }
        (self.ln_factor(x, t_x, n) + self.ln_alive(n + 1.0)).exp()
            * self.alive_sum(n + 1.0, horizon, 1.0)
    }

    /// `Σ_{k=0}^{count−1} z^k P(alive at t+k) / P(alive at t)`, by the
    /// ratio `P(alive at m+1) / P(alive at m) = (δ+m)/(γ+δ+m)`.
    fn alive_sum(&self, t: f64, count: u32, z: f64) -> f64 {
        let (g, d) = (self.gamma, self.delta);
        let (mut term, mut sum) = (1.0, 0.0);
        for k in 0..count {
            if k > 0 {
                let m = t + f64::from(k - 1);
                term *= (d + m) / (g + d + m) * z;
            }
            sum += term;
            if term < 1e-17 * sum && z < 1.0 {
                break;
            }
        }
        sum
    }

    /// Expected transactions of a new customer in the first `horizon`
    /// opportunities, `α/(α+β) Σ_{t=1}^{horizon} B(γ, δ+t)/B(γ, δ)`.
    pub fn expected_purchases_new(&self, horizon: u32) -> f64 {
        if horizon == 0 {
            return 0.0;
        }
        let p = self.alpha / (self.alpha + self.beta);
        p * self.ln_alive(1.0).exp() * self.alive_sum(1.0, horizon, 1.0)
    }

    /// Discounted expected residual transactions (Fader, Hardie & Shang
    /// 2010, eq. 14) of one history: `Σ_{k ≥ 1} E[transaction at n+k] /
    /// (1+d)^k`, with `d` the discount rate per opportunity.
    ///
    /// # Errors
    /// A discount rate that is not positive and finite, or too small (below
    /// about 1e-6) for the sum to converge.
    pub fn dert_one(&self, discount_rate: f64, x: f64, t_x: f64, n: f64) -> Result<f64> {
        if !(discount_rate.is_finite() && discount_rate > 0.0) {
            return Err(CiblageError::param(
                "discount_rate",
                format!("must be a positive number, got {discount_rate}"),
            ));
        }
        let (g, d) = (self.gamma, self.delta);
        let z = 1.0 / (1.0 + discount_rate);
        // Σ_{k≥1} B(γ, δ+n+k)/B(γ, δ) z^k = B(γ, δ+n+1)/B(γ, δ) z
        // 2F1(1, δ+n+1; γ+δ+n+1; z).
        let first = self.ln_factor(x, t_x, n) + self.ln_alive(n + 1.0);
        let sum = discounted_sum(d + n + 1.0, g + d + n + 1.0, z)
            .ok_or_else(|| rate_too_small(discount_rate))?;
        Ok(first.exp() * z * sum)
    }

    fn each(
        &self,
        h: &crate::clv::BgBbHistories,
        f: impl Fn(f64, f64, f64) -> f64 + Sync,
    ) -> Vec<f64> {
        use rayon::prelude::*;
        (0..h.len())
            .into_par_iter()
            .map(|i| f(h.frequency[i], h.recency[i], h.opportunities[i]))
            .collect()
    }

    /// P(alive) of every history.
    ///
    /// # Errors
    /// Input that is not whole opportunities.
    pub fn p_alive<D: BgBbInput + ?Sized>(&self, data: &D) -> Result<Vec<f64>> {
        let h = data.bgbb_histories()?;
        Ok(self.each(&h, |x, tx, n| self.p_alive_one(x, tx, n)))
    }

    /// Expected transactions of every history in the next `horizon`
    /// opportunities.
    ///
    /// # Errors
    /// Input that is not whole opportunities.
    pub fn expected_purchases<D: BgBbInput + ?Sized>(
        &self,
        horizon: u32,
        data: &D,
    ) -> Result<Vec<f64>> {
        let h = data.bgbb_histories()?;
        Ok(self.each(&h, |x, tx, n| {
            self.expected_purchases_one(horizon, x, tx, n)
        }))
    }

    /// Discounted expected residual transactions of every history.
    ///
    /// # Errors
    /// Input that is not whole opportunities; a discount rate that is not
    /// positive and finite, or too small for the sum to converge.
    pub fn dert<D: BgBbInput + ?Sized>(&self, discount_rate: f64, data: &D) -> Result<Vec<f64>> {
        let h = data.bgbb_histories()?;
        use rayon::prelude::*;
        (0..h.len())
            .into_par_iter()
            .map(|i| {
                self.dert_one(
                    discount_rate,
                    h.frequency[i],
                    h.recency[i],
                    h.opportunities[i],
                )
            })
            .collect()
    }

    /// The model as versioned JSON.
    pub fn to_json(&self) -> String {
        to_json("bg_bb", &BG_BB_PARAMS, &self.params(), self.report.as_ref())
    }

    /// Reads a model written by [`BgBbModel::to_json`], checked whole.
    ///
    /// # Errors
    /// [`CiblageError::InvalidModelFile`] naming the field at fault.
    pub fn from_json(text: &str) -> Result<Self> {
        let (p, report) = from_json("BG/BB model", "bg_bb", &BG_BB_PARAMS, text)?;
        Ok(Self {
            alpha: p[0],
            beta: p[1],
            gamma: p[2],
            delta: p[3],
            report,
        })
    }
}

#[cfg(test)]
#[path = "bgbb_tests.rs"]
mod tests;
