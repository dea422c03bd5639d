//! Maximum-likelihood fit shared by the four-parameter purchase models
//! (BG/NBD, Pareto/NBD): the weighted log-likelihood of the distinct
//! purchase patterns, minimised in log-parameters with times rescaled so
//! that the largest `T` is 1 (as lifetimes does), then the parameters
//! brought back to the data's time unit, the log-likelihood and the
//! standard errors computed there.

use crate::clv::histories::{Histories, Patterns};
use crate::clv::model::{optional, sum_chunks, sum_terms, FitReport};
use crate::clv::optim::{minimise, standard_errors, Objective};
use crate::error::Result;
use crate::interrupt::Interrupt;

/// A model's log-likelihood of one history `(x, t_x, T)` at natural
/// parameters, with its gradient in those parameters.
pub(crate) trait HistoryLikelihood:
    Fn([f64; 4], f64, f64, f64) -> (f64, [f64; 4]) + Sync
{
}

impl<F: Fn([f64; 4], f64, f64, f64) -> (f64, [f64; 4]) + Sync> HistoryLikelihood for F {}

/// The weighted log-likelihood of many histories and its gradient, at
/// natural parameters `p`, times multiplied by `scale`: every
/// [`HistoryLikelihood`] sums its per-history values; [`Staged`] models
/// also share the work that depends on the parameters only, or on them and
/// the frequency only.
pub(crate) trait PatternLikelihood: Sync {
    /// Weighted total log-likelihood and gradient of `h`.
    fn total(&self, h: &Histories, p: [f64; 4], scale: f64) -> (f64, [f64; 4]);
}

impl<F: HistoryLikelihood> PatternLikelihood for F {
    fn total(&self, h: &Histories, p: [f64; 4], scale: f64) -> (f64, [f64; 4]) {
        total(self, h, p, scale)
    }
}

/// A per-history log-likelihood in three stages: what depends on the
/// parameters only (`Shared`, once per evaluation), on them and the
/// frequency (`PerX`, once per run of equal frequencies: the patterns are
/// sorted by frequency), and the rest (once per history).
pub(crate) trait StagedLikelihood: Sync {
    /// The parameter-only terms.
    type Shared: Sync;
    /// The terms of one frequency.
    type PerX;
    /// Parameter-only terms at natural parameters `p`.
    fn shared(&self, p: [f64; 4]) -> Self::Shared;
    /// Terms of frequency `x`.
    fn per_x(&self, shared: &Self::Shared, x: f64) -> Self::PerX;
    /// Log-likelihood of `(x, t_x, T)` and its gradient.
    fn one(
        &self,
        shared: &Self::Shared,
        per_x: &Self::PerX,
        x: f64,
        t_x: f64,
        t: f64,
    ) -> (f64, [f64; 4]);
}

/// A [`StagedLikelihood`] summed over histories (see [`PatternLikelihood`]).
pub(crate) struct Staged<S>(pub(crate) S);

impl<S: StagedLikelihood> PatternLikelihood for Staged<S> {
    fn total(&self, h: &Histories, p: [f64; 4], scale: f64) -> (f64, [f64; 4]) {
        let shared = self.0.shared(p);
        sum_chunks(h.len(), |range| {
            let mut acc = (0.0, [0.0; 4]);
            let mut cached: Option<(f64, S::PerX)> = None;
            for i in range {
                let x = h.frequency[i];
                if cached.as_ref().is_none_or(|c| c.0 != x) {
                    cached = Some((x, self.0.per_x(&shared, x)));
                }
                let Some((_, per_x)) = cached.as_ref() else {
                    continue;
                };
                let (v, g) = self
                    .0
                    .one(&shared, per_x, x, h.recency[i] * scale, h.t[i] * scale);
                let w = h.weight(i);
                acc.0 += w * v;
                for (a, d) in acc.1.iter_mut().zip(g) {
                    *a += w * d;
                }
            }
            acc
        })
    }
}

/// How a model is fitted: its name in messages, its per-history
/// likelihood, which parameters are rates per unit of time (divided by the
/// time scale once fitted), and the fit options.
pub(crate) struct LikelihoodFit<'a, L: PatternLikelihood> {
    pub(crate) model: &'static str,
    pub(crate) ll_one: L,
    pub(crate) time_params: &'a [usize],
    pub(crate) penalizer: f64,
    pub(crate) max_iterations: usize,
    pub(crate) interrupt: &'a Interrupt,
}

/// Total weighted log-likelihood and gradient of `h` at natural
/// parameters `p`, times multiplied by `scale`.
pub(crate) fn total<L: HistoryLikelihood>(
    ll_one: &L,
    h: &Histories,
    p: [f64; 4],
    scale: f64,
) -> (f64, [f64; 4]) {
    sum_terms(h.len(), |i| {
        let (v, g) = ll_one(p, h.frequency[i], h.recency[i] * scale, h.t[i] * scale);
        let w = h.weight(i);
        (w * v, g.map(|d| w * d))
    })
}

/// Mean negative log-likelihood plus the L2 penalty, in log-parameters.
struct Mean<'a, L: PatternLikelihood> {
    ll_one: &'a L,
    h: &'a Histories,
    scale: f64,
    total_weight: f64,
    penalizer: f64,
}

impl<L: PatternLikelihood> Objective for Mean<'_, L> {
    fn eval(&self, theta: &[f64]) -> (f64, Vec<f64>) {
        let p: [f64; 4] = std::array::from_fn(|k| theta[k].exp());
        let (ll, g) = self.ll_one.total(self.h, p, self.scale);
        let value = -ll / self.total_weight + self.penalizer * p.iter().map(|v| v * v).sum::<f64>();
        let grad = (0..4)
            .map(|k| -g[k] * p[k] / self.total_weight + self.penalizer * 2.0 * p[k] * p[k])
            .collect();
        (value, grad)
    }
}

impl<L: PatternLikelihood> LikelihoodFit<'_, L> {
    /// The fitted parameters (in the data's time unit) and the fit report.
    ///
    /// # Errors
    /// Every `T` is 0; [`crate::CiblageError::FitFailed`] when no optimum
    /// is found; [`crate::CiblageError::Interrupted`].
    pub(crate) fn run(&self, patterns: Patterns) -> Result<([f64; 4], FitReport)> {
        let scale = patterns.time_scale()?;
        let customers = patterns.total_weight();
        let n_patterns = patterns.len();
        let h = Histories {
            frequency: patterns.x,
            recency: patterns.t_x,
            t: patterns.t,
            monetary_value: None,
            weights: Some(patterns.weight),
        };
        let objective = Mean {
            ll_one: &self.ll_one,
            h: &h,
            scale,
            total_weight: customers,
            penalizer: self.penalizer,
        };
        let (theta, _, convergence) = minimise(
            self.model,
            &objective,
            vec![0.0; 4],
            self.max_iterations,
            self.interrupt,
        )?;
        let mut p: [f64; 4] = std::array::from_fn(|k| theta[k].exp());
        for &k in self.time_params {
            p[k] /= scale;
        }
        let (log_likelihood, _) = self.ll_one.total(&h, p, 1.0);
        let se = standard_errors(&p, |q| {
            let (_, g) = self.ll_one.total(&h, [q[0], q[1], q[2], q[3]], 1.0);
            g.iter().map(|d| -d).collect()
        });
        let report = FitReport {
            log_likelihood,
            standard_errors: optional(se),
            customers,
            patterns: n_patterns,
            penalizer: self.penalizer,
            convergence,
        };
        Ok((p, report))
    }
}
