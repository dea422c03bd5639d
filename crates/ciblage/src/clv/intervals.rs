//! Confidence intervals of per-customer predictions by parametric
//! bootstrap: parameter vectors drawn from the asymptotic normal of the
//! estimates in log-parameter space (mean the estimate, covariance the
//! inverse Hessian), the prediction evaluated at every draw, the
//! per-customer quantiles of those values.
//!
//! ```
//! use ciblage::clv::{BgNbd, Bootstrap, Histories};
//! let h = Histories::new(
//!     vec![0.0, 1.0, 4.0, 0.0, 2.0, 7.0, 0.0, 1.0, 3.0, 0.0],
//!     vec![0.0, 10.0, 30.0, 0.0, 5.0, 35.0, 0.0, 38.0, 20.0, 0.0],
//!     vec![39.0, 39.0, 39.0, 20.0, 30.0, 39.0, 10.0, 39.0, 39.0, 39.0],
//! )?;
//! let model = BgNbd::params().fit(&h)?;
//! let cov = model.log_covariance(&h)?;
//! let ci = Bootstrap::params().draws(200).level(0.9).seed(7).score(&model, cov.view(), h.len(), |m, i| {
//!     m.p_alive_one(h.frequency()[i], h.recency()[i], h.t()[i])
//! })?;
//! assert!((0..h.len()).all(|i| ci.low[i] <= ci.estimate[i] + 1e-12 && ci.estimate[i] <= ci.high[i] + 1e-12));
//! # Ok::<(), ciblage::CiblageError>(())
//! ```

use ndarray::{Array2, ArrayView2};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

use crate::clv::linalg::{cholesky, hessian};
use crate::clv::model::ClvInput;
use crate::clv::{bgnbd, mbgnbd, pareto_nbd};
use crate::clv::{
    gamma_gamma, likelihood, BgNbdModel, CovariateClvModel, GammaGammaModel, MbgNbdModel,
    ParetoNbdModel,
};
use crate::error::{CiblageError, Result};
use crate::interrupt::Interrupt;

/// A fitted model whose parameters can be perturbed: its estimates in the
/// log-parameter space of its covariance, and the model at other values.
pub trait Perturb: Sized + Sync + Send {
    /// The estimates, in the space of the covariance (logs of the positive
    /// parameters, covariate coefficients as they are).
    fn log_params(&self) -> Vec<f64>;
    /// The model at `theta` (same space).
    ///
    /// # Errors
    /// A `theta` of the wrong length or out of range.
    fn with_log_params(&self, theta: &[f64]) -> Result<Self>;
}

macro_rules! perturb_positive {
    ($model:ty, $n:literal, $build:expr) => {
        impl Perturb for $model {
            fn log_params(&self) -> Vec<f64> {
                self.params().iter().map(|p| p.ln()).collect()
            }
            fn with_log_params(&self, theta: &[f64]) -> Result<Self> {
                if theta.len() != $n {
                    return Err(CiblageError::param(
                        "params",
                        concat!("expected ", $n, " values"),
                    ));
                }
                let p: [f64; $n] = std::array::from_fn(|k| theta[k].exp());
                ($build)(p)
            }
        }
    };
}

perturb_positive!(BgNbdModel, 4, |p: [f64; 4]| BgNbdModel::from_params(
    p[0], p[1], p[2], p[3]
));
perturb_positive!(MbgNbdModel, 4, |p: [f64; 4]| MbgNbdModel::from_params(
    p[0], p[1], p[2], p[3]
));
perturb_positive!(
    ParetoNbdModel,
    4,
    |p: [f64; 4]| ParetoNbdModel::from_params(p[0], p[1], p[2], p[3])
);
perturb_positive!(GammaGammaModel, 3, |p: [f64; 3]| {
    GammaGammaModel::from_params(p[0], p[1], p[2])
});

impl Perturb for CovariateClvModel {
    fn log_params(&self) -> Vec<f64> {
        Self::log_params(self)
    }
    fn with_log_params(&self, theta: &[f64]) -> Result<Self> {
        Self::with_log_params(self, theta)
    }
}

/// Two models fitted apart (a purchase model and Gamma-Gamma, for CLV):
/// their parameters side by side; give the block-diagonal covariance
/// ([`block_diagonal`]).
impl<A: Perturb, B: Perturb> Perturb for (A, B) {
    fn log_params(&self) -> Vec<f64> {
        let mut v = self.0.log_params();
        v.extend(self.1.log_params());
        v
    }
    fn with_log_params(&self, theta: &[f64]) -> Result<Self> {
        let k = self.0.log_params().len();
        if theta.len() < k {
            return Err(CiblageError::param("params", "too few values"));
        }
        Ok((
            self.0.with_log_params(&theta[..k])?,
            self.1.with_log_params(&theta[k..])?,
        ))
    }
}

/// The covariance of two independent estimates side by side.
pub fn block_diagonal(a: ArrayView2<'_, f64>, b: ArrayView2<'_, f64>) -> Array2<f64> {
    let (n, m) = (a.nrows(), b.nrows());
    let mut out = Array2::zeros((n + m, n + m));
    out.slice_mut(ndarray::s![..n, ..n]).assign(&a);
    out.slice_mut(ndarray::s![n.., n..]).assign(&b);
    out
}

/// Inverse Hessian of the negative log-likelihood in log-parameters at
/// `p`, by central differences of `grad` (the gradient of the
/// log-likelihood in natural parameters).
fn log_covariance_of(p: &[f64], grad: impl Fn(&[f64]) -> Vec<f64>) -> Result<Array2<f64>> {
    let theta: Vec<f64> = p.iter().map(|v| v.ln()).collect();
    let h = hessian(&theta, &vec![1e-5; theta.len()], |t| {
        let q: Vec<f64> = t.iter().map(|v| v.exp()).collect();
        grad(&q).iter().zip(&q).map(|(g, v)| -g * v).collect()
    });
    crate::clv::linalg::inverse_spd(&h).ok_or_else(|| CiblageError::FitFailed {
        model: "covariance",
        reason: "the Hessian of the log-likelihood is not positive definite at these parameters \
                 (the estimates are not a maximum on these data)"
            .into(),
    })
}

/// Implements `log_covariance` of a four-parameter purchase model from
/// its per-history log-likelihood (value and gradient).
macro_rules! purchase_log_covariance {
    ($model:ty, $ll:path, $names:literal) => {
        impl $model {
            #[doc = concat!("Covariance of the log-parameters `ln ", $names, "` of a fit on")]
            /// `data` (the data fitted): the inverse Hessian of the negative
            /// log-likelihood there.
            ///
            /// # Errors
            /// [`CiblageError::FitFailed`] when that Hessian is not positive definite.
            pub fn log_covariance<D: ClvInput + ?Sized>(&self, data: &D) -> Result<Array2<f64>> {
                // The sum over customers as a weighted sum over their
                // distinct histories.
                let h = data.histories().patterns().into_histories();
                log_covariance_of(&self.params(), |q| {
                    likelihood::total(&$ll, &h, [q[0], q[1], q[2], q[3]], 1.0)
                        .1
                        .to_vec()
                })
            }
        }
    };
}

purchase_log_covariance!(BgNbdModel, bgnbd::ll_one, "(r, alpha, a, b)");
purchase_log_covariance!(MbgNbdModel, mbgnbd::ll_one, "(r, alpha, a, b)");
purchase_log_covariance!(ParetoNbdModel, pareto_nbd::ll_one, "(r, alpha, s, beta)");

impl GammaGammaModel {
    /// Covariance of the log-parameters `ln (p, q, v)` of a fit on `data`
    /// (its repeat buyers).
    ///
    /// # Errors
    /// Histories without monetary values; [`CiblageError::FitFailed`] when
    /// the Hessian is not positive definite.
    pub fn log_covariance<D: ClvInput + ?Sized>(&self, data: &D) -> Result<Array2<f64>> {
        let h = data.histories();
        let m = h.monetary_value().ok_or_else(|| {
            CiblageError::param("monetary_value", "the histories have no mean spend")
        })?;
        let rows: Vec<(f64, f64, f64)> = (0..h.len())
            .filter(|&i| h.frequency[i] > 0.0 && m[i] > 0.0)
            .map(|i| (h.frequency[i], m[i], h.weight(i)))
            .collect();
        log_covariance_of(&self.params(), |q| {
            let mut g = vec![0.0; 3];
            for &(x, mv, w) in &rows {
                let (_, d) = gamma_gamma::ll_one([q[0], q[1], q[2]], x, mv);
                for k in 0..3 {
                    g[k] += w * d[k];
                }
            }
            g
        })
    }
}

/// Entry point of the parametric bootstrap of predictions (a
/// transformation: [`BootstrapValidParams::score`]).
#[derive(Debug, Clone, Copy)]
pub struct Bootstrap;

impl Bootstrap {
    /// Parameters with their defaults: 1000 draws, a 90% interval, seed 0.
    pub fn params() -> BootstrapParams {
        BootstrapParams(BootstrapValidParams {
            draws: 1000,
            level: 0.9,
            seed: 0,
            interrupt: Interrupt::default(),
        })
    }
}

/// Validated bootstrap parameters.
#[derive(Debug, Clone)]
pub struct BootstrapValidParams {
    draws: usize,
    level: f64,
    seed: u64,
    interrupt: Interrupt,
}

/// Builder of [`BootstrapValidParams`].
#[derive(Debug, Clone)]
pub struct BootstrapParams(BootstrapValidParams);

impl BootstrapParams {
    /// Parameter vectors drawn (default 1000; at least 2).
    #[must_use]
    pub fn draws(mut self, n: usize) -> Self {
        self.0.draws = n;
        self
    }
    /// Coverage of the interval, in `(0, 1)` (default 0.9: the 5% and 95%
    /// quantiles).
    #[must_use]
    pub fn level(mut self, level: f64) -> Self {
        self.0.level = level;
        self
    }
    /// Seed of the draws (default 0): the same seed, the same intervals,
    /// whatever the number of threads.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.0.seed = seed;
        self
    }
    /// Token that stops the computation ([`CiblageError::Interrupted`]).
    #[must_use]
    pub fn interrupt(mut self, token: Interrupt) -> Self {
        self.0.interrupt = token;
        self
    }
    /// Validates the parameters.
    ///
    /// # Errors
    /// Fewer than 2 draws; a level outside `(0, 1)`.
    pub fn check(self) -> Result<BootstrapValidParams> {
        if self.0.draws < 2 {
            return Err(CiblageError::param(
                "draws",
                format!("must be at least 2, got {}", self.0.draws),
            ));
        }
        if !(self.0.level > 0.0 && self.0.level < 1.0) {
            return Err(CiblageError::param(
                "level",
                format!("must be between 0 and 1 (exclusive), got {}", self.0.level),
            ));
        }
        Ok(self.0)
    }
    /// Validates, then computes the intervals.
    ///
    /// # Errors
    /// See [`BootstrapParams::check`] and [`BootstrapValidParams::score`].
    pub fn score<M: Perturb>(
        self,
        model: &M,
        covariance: ArrayView2<'_, f64>,
        customers: usize,
        predict: impl Fn(&M, usize) -> f64 + Sync,
    ) -> Result<Intervals> {
        self.check()?.score(model, covariance, customers, predict)
    }
}

/// Point predictions and their confidence intervals, one per customer.
#[derive(Debug, Clone, PartialEq)]
pub struct Intervals {
    /// The prediction at the estimates.
    pub estimate: Vec<f64>,
    /// Lower bound: the `(1 - level) / 2` quantile over the draws.
    pub low: Vec<f64>,
    /// Upper bound: the `(1 + level) / 2` quantile over the draws.
    pub high: Vec<f64>,
}

/// Customers per parallel task: a task holds `CUSTOMERS × draws` values.
const CUSTOMERS: usize = 256;

/// Draws evaluated between two checks of the token (and progress reports).
const DRAW_BLOCK: usize = 8;

/// The `q` quantile of sorted values (linear interpolation, R's type 7).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * q;
    let (lo, frac) = (h.floor() as usize, h - h.floor());
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + frac * (sorted[hi] - sorted[lo])
}

impl BootstrapValidParams {
    /// The draws of the parameters: `θ̂ + L ε` with `L` the Cholesky factor
    /// of `covariance` and `ε` standard normal from `ChaCha8(seed)`.
    fn draws<M: Perturb>(&self, model: &M, covariance: ArrayView2<'_, f64>) -> Result<Vec<M>> {
        let theta = model.log_params();
        let k = theta.len();
        if covariance.dim() != (k, k) {
            return Err(CiblageError::param(
                "covariance",
                format!("expected a {k} x {k} matrix, got {:?}", covariance.dim()),
            ));
        }
        if covariance.iter().any(|v| !v.is_finite()) {
            return Err(CiblageError::param("covariance", "expected finite values"));
        }
        let l = cholesky(&covariance.to_owned())
            .ok_or_else(|| CiblageError::param("covariance", "not positive definite"))?;
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        // A draw out of the parameters' range (an overflowing exponent) is
        // left out, as a prediction that is not finite would be.
        Ok((0..self.draws)
            .filter_map(|_| {
                let eps: Vec<f64> = (0..k).map(|_| StandardNormal.sample(&mut rng)).collect();
                let t: Vec<f64> = (0..k)
                    .map(|i| theta[i] + (0..=i).map(|j| l[[i, j]] * eps[j]).sum::<f64>())
                    .collect();
                model.with_log_params(&t).ok()
            })
            .collect())
    }

    /// Intervals of `predict(model, customer)` for customers
    /// `0..customers`: the model's estimates and `covariance` (of
    /// [`Perturb::log_params`]) give the draws; customers are processed in
    /// fixed chunks, in parallel, each chunk holding its customers' values
    /// over the draws only (memory `threads × 256 × draws`). Draws whose
    /// prediction is not finite are left out of the quantiles. The token
    /// is checked every 8 draws of a chunk, which also report their
    /// predictions done as progress (`customers × (draws + 1)` in all,
    /// the estimates included).
    ///
    /// # Errors
    /// A covariance of the wrong shape, not finite or not positive
    /// definite (named `covariance`); [`CiblageError::Interrupted`].
    pub fn score<M: Perturb>(
        &self,
        model: &M,
        covariance: ArrayView2<'_, f64>,
        customers: usize,
        predict: impl Fn(&M, usize) -> f64 + Sync,
    ) -> Result<Intervals> {
        let draws = self.draws(model, covariance)?;
        let (q_low, q_high) = ((1.0 - self.level) / 2.0, (1.0 + self.level) / 2.0);
        self.interrupt
            .add_total((customers as u64).saturating_mul(draws.len() as u64 + 1));
        let chunks: Vec<Result<Vec<(f64, f64, f64)>>> = (0..customers.div_ceil(CUSTOMERS))
            .into_par_iter()
            .map(|c| {
                let range = c * CUSTOMERS..((c + 1) * CUSTOMERS).min(customers);
                let mut values = vec![0.0; range.len() * draws.len()];
                // The token is checked and the progress counted per block
                // of draws: a few thousand predictions, never one.
                for (b, block) in draws.chunks(DRAW_BLOCK).enumerate() {
                    self.interrupt.check()?;
                    for (k, m) in block.iter().enumerate() {
                        let d = b * DRAW_BLOCK + k;
                        for (j, i) in range.clone().enumerate() {
                            values[j * draws.len() + d] = predict(m, i);
                        }
                    }
                    self.interrupt.advance((block.len() * range.len()) as u64);
                }
                // Sorting each customer's draws costs as much as predicting
                // them: the token is checked every 16 customers here too.
                let mut out: Vec<(f64, f64, f64)> = Vec::with_capacity(range.len());
                for (j, i) in range.clone().enumerate() {
                    if j % 16 == 0 {
                        self.interrupt.check()?;
                    }
                    let row = &values[j * draws.len()..(j + 1) * draws.len()];
                    let mut finite: Vec<f64> =
                        row.iter().copied().filter(|v| v.is_finite()).collect();
                    finite.sort_unstable_by(f64::total_cmp);
                    out.push((
                        predict(model, i),
                        quantile(&finite, q_low),
                        quantile(&finite, q_high),
                    ));
                }
                self.interrupt.advance(range.len() as u64);
                Ok(out)
            })
            .collect();
        let mut out = Intervals {
            estimate: Vec::with_capacity(customers),
            low: Vec::with_capacity(customers),
            high: Vec::with_capacity(customers),
        };
        for chunk in chunks {
            for (e, l, h) in chunk? {
                out.estimate.push(e);
                out.low.push(l);
                out.high.push(h);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
#[path = "intervals_tests.rs"]
mod tests;
