//! Maximum-likelihood fit shared by the four-parameter purchase models
//! (BG/NBD, Pareto/NBD): the weighted log-likelihood of the distinct
//! purchase patterns, minimised in log-parameters with times rescaled so
//! that the largest `T` is 1 (as lifetimes does), then the parameters
//! brought back to the data's time unit, the log-likelihood and the
//! standard errors computed there.

use crate::clv::histories::{Histories, Patterns};
use crate::clv::linalg::{hessian, inverse_spd};
use crate::clv::model::{optional, sum_chunks, sum_terms, FitReport};
use crate::clv::optim::{minimise, standard_errors_of, Objective};
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

/// A per-history log-likelihood in stages: what depends on the parameters
/// only (`Shared`, once per evaluation), on them and the frequency (`PerX`,
/// once per run of equal frequencies: the patterns are sorted by
/// frequency), on them and one time value (`PerTime`, once per distinct
/// `t_x` or `T` value when there are few), and the rest (once per history).
pub(crate) trait StagedLikelihood: Sync {
    /// The parameter-only terms.
    type Shared: Sync;
    /// The terms of one frequency.
    type PerX;
    /// The terms of one time value.
    type PerTime: Copy + Send + Sync;
    /// Parameter-only terms at natural parameters `p`.
    fn shared(&self, p: [f64; 4]) -> Self::Shared;
    /// Terms of frequency `x`.
    fn per_x(&self, shared: &Self::Shared, x: f64) -> Self::PerX;
    /// Terms of the time value `t`.
    fn per_time(&self, shared: &Self::Shared, t: f64) -> Self::PerTime;
    /// Log-likelihood of `(x, t_x, T)` and its gradient, from the terms of
    /// `t_x` and of `T` (`per_x` may keep what it computes for the next
    /// histories of the same frequency).
    fn one(
        &self,
        shared: &Self::Shared,
        per_x: &mut Self::PerX,
        x: f64,
        t_x: Self::PerTime,
        t: Self::PerTime,
    ) -> (f64, [f64; 4]);
}

/// The distinct time values (`t_x` and `T`) of some histories and, per
/// history, the positions of its `t_x` and `T` among them; `key` (address
/// and length of the `T` column) tells which histories, every lookup is
/// checked against the row's values all the same.
struct TimeIndex {
    key: (usize, usize),
    times: Vec<f64>,
    index: Vec<[u32; 2]>,
}

impl TimeIndex {
    fn of(h: &Histories) -> Self {
        use rayon::prelude::*;
        let mut times: Vec<f64> = h.recency.iter().chain(&h.t).copied().collect();
        times.par_sort_unstable_by(f64::total_cmp);
        times.dedup_by(|a, b| a.total_cmp(b).is_eq());
        let find = |v: f64| times.binary_search_by(|p| p.total_cmp(&v)).unwrap_or(0) as u32;
        let index = (0..h.len())
            .into_par_iter()
            .map(|i| [find(h.recency[i]), find(h.t[i])])
            .collect();
        Self {
            key: (h.t.as_ptr() as usize, h.len()),
            times,
            index,
        }
    }
}

/// A [`StagedLikelihood`] summed over histories (see [`PatternLikelihood`]);
/// the distinct time values of the histories it sums most often are indexed
/// once.
pub(crate) struct Staged<S> {
    stages: S,
    times: std::sync::Mutex<Vec<std::sync::Arc<TimeIndex>>>,
}

/// Time indices a [`Staged`] keeps (the fit's subsample and all patterns,
/// and the histories of a standard-error or log-likelihood evaluation).
const TIME_INDICES: usize = 3;

impl<S> Staged<S> {
    /// `stages` summed over histories.
    pub(crate) fn new(stages: S) -> Self {
        Self {
            stages,
            times: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// The time index of `h`, built the first time `h` is met.
    fn index_of(&self, h: &Histories) -> std::sync::Arc<TimeIndex> {
        let key = (h.t.as_ptr() as usize, h.len());
        let found = self.times.lock().ok().and_then(|list| {
            list.iter()
                .find(|index| index.key == key)
                .map(std::sync::Arc::clone)
        });
        found.unwrap_or_else(|| {
            let index = std::sync::Arc::new(TimeIndex::of(h));
            if let Ok(mut list) = self.times.lock() {
                if list.len() == TIME_INDICES {
                    list.remove(0);
                }
                list.push(std::sync::Arc::clone(&index));
            }
            index
        })
    }
}

impl<S: StagedLikelihood> Staged<S> {
    /// The weighted sum over `h`, with `times(i)` the terms of row `i`'s
    /// `t_x` and `T`.
    fn sum(
        &self,
        h: &Histories,
        shared: &S::Shared,
        times: impl Fn(usize) -> (S::PerTime, S::PerTime) + Sync,
    ) -> (f64, [f64; 4]) {
        sum_chunks(h.len(), |range| {
            let mut acc = (0.0, [0.0; 4]);
            let mut cached: Option<(f64, S::PerX)> = None;
            for i in range {
                let x = h.frequency[i];
                if cached.as_ref().is_none_or(|c| c.0 != x) {
                    cached = Some((x, self.stages.per_x(shared, x)));
                }
                let Some((_, per_x)) = cached.as_mut() else {
                    continue;
                };
                let (t_x, t) = times(i);
                let (v, g) = self.stages.one(shared, per_x, x, t_x, t);
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

impl<S: StagedLikelihood> PatternLikelihood for Staged<S> {
    fn total(&self, h: &Histories, p: [f64; 4], scale: f64) -> (f64, [f64; 4]) {
        use rayon::prelude::*;
        let shared = self.stages.shared(p);
        let index = self.index_of(h);
        // The table pays when the time values repeat (whole days or weeks).
        if index.times.len() < h.len() {
            let terms: Vec<S::PerTime> = index
                .times
                .par_iter()
                .map(|&t| self.stages.per_time(&shared, t * scale))
                .collect();
            let direct = |v: f64| self.stages.per_time(&shared, v * scale);
            self.sum(h, &shared, |i| {
                let [a, b] = index.index[i].map(|k| k as usize);
                // Checked per row (a cheap comparison): a table built for
                // other histories is never used by mistake.
                if index.times[a].to_bits() == h.recency[i].to_bits()
                    && index.times[b].to_bits() == h.t[i].to_bits()
                {
                    (terms[a], terms[b])
                } else {
                    (direct(h.recency[i]), direct(h.t[i]))
                }
            })
        } else {
            self.sum(h, &shared, |i| {
                (
                    self.stages.per_time(&shared, h.recency[i] * scale),
                    self.stages.per_time(&shared, h.t[i] * scale),
                )
            })
        }
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

/// Standard errors of the natural parameters `p` and the covariance of
/// their logarithms, from one Hessian: that of the negative
/// log-likelihood in log-parameters, by central differences (steps 1e-5)
/// of `gradient_at` (the log-likelihood's gradient in natural
/// parameters), whose value at `p` is `gradient`. The Hessian in natural
/// parameters follows from it exactly: with `D = diag(p)` and `g` the
/// negative log-likelihood's gradient, `H_log = D H D + diag(g p)`.
/// The covariance is `None` where `H_log` is not positive definite; a
/// standard error `NaN` where the inverse's diagonal is not positive.
#[allow(clippy::needless_range_loop)] // a 4 x 4 matrix, indexed as in the formula
fn curvature(
    p: &[f64; 4],
    gradient: [f64; 4],
    gradient_at: impl Fn([f64; 4]) -> [f64; 4],
) -> (Vec<f64>, Option<Vec<Vec<f64>>>) {
    let theta = p.map(f64::ln);
    let h_log = hessian(&theta, &[1e-5; 4], |t| {
        let q: [f64; 4] = std::array::from_fn(|k| t[k].exp());
        let g = gradient_at(q);
        (0..4).map(|k| -g[k] * q[k]).collect()
    });
    let log_covariance =
        inverse_spd(&h_log).map(|c| c.outer_iter().map(|row| row.to_vec()).collect());
    let mut h_nat = vec![vec![0.0; 4]; 4];
    for i in 0..4 {
        for j in 0..4 {
            let diagonal = if i == j { -gradient[i] * p[i] } else { 0.0 };
            h_nat[i][j] = (h_log[[i, j]] - diagonal) / (p[i] * p[j]);
        }
    }
    (standard_errors_of(h_nat), log_covariance)
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

/// Patterns above which a fit starts from the optimum of a subsample.
const SUBSAMPLE_ABOVE: usize = 40_000;
/// Patterns in that subsample (about).
const SUBSAMPLE: usize = 10_000;

/// About [`SUBSAMPLE`] of the patterns `h`, picked by a hash of their
/// position (spread over every frequency), with their weights.
fn subsample(h: &Histories) -> Histories {
    let every = (h.len() / SUBSAMPLE).max(1) as u64;
    let keep: Vec<usize> = (0..h.len())
        .filter(|&i| {
            // splitmix64 of the position.
            let mut z = (i as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (z ^ (z >> 31)) % every == 0
        })
        .collect();
    let pick = |v: &[f64]| keep.iter().map(|&i| v[i]).collect::<Vec<f64>>();
    Histories {
        frequency: pick(&h.frequency),
        recency: pick(&h.recency),
        t: pick(&h.t),
        monetary_value: None,
        weights: Some(keep.iter().map(|&i| h.weight(i)).collect()),
    }
}

impl<L: PatternLikelihood> LikelihoodFit<'_, L> {
    /// The log-parameters the fit of `h` starts from: the optimum of a
    /// subsample of the patterns when there are many (a few iterations
    /// of the full fit then reach its own optimum), else all 0.
    ///
    /// # Errors
    /// [`crate::CiblageError::Interrupted`].
    fn start(&self, h: &Histories, scale: f64) -> Result<Vec<f64>> {
        if h.len() <= SUBSAMPLE_ABOVE {
            return Ok(vec![0.0; 4]);
        }
        let sub = subsample(h);
        let objective = Mean {
            ll_one: &self.ll_one,
            h: &sub,
            scale,
            total_weight: (0..sub.len()).map(|i| sub.weight(i)).sum(),
            penalizer: self.penalizer,
        };
        match minimise(
            self.model,
            &objective,
            vec![0.0; 4],
            self.max_iterations,
            self.interrupt,
        ) {
            Ok((theta, _, _)) => Ok(theta),
            Err(e @ crate::CiblageError::Interrupted) => Err(e),
            // The full fit decides (and reports) whether there is an optimum.
            Err(_) => Ok(vec![0.0; 4]),
        }
    }

    /// The fitted parameters (in the data's time unit) and the fit report.
    ///
    /// # Errors
    /// Every `T` is 0; [`crate::CiblageError::FitFailed`] when no optimum
    /// is found; [`crate::CiblageError::Interrupted`].
    pub(crate) fn run(&self, patterns: Patterns) -> Result<([f64; 4], FitReport)> {
        let scale = patterns.time_scale()?;
        let customers = patterns.total_weight();
        let n_patterns = patterns.len();
        let h = patterns.into_histories();
        let objective = Mean {
            ll_one: &self.ll_one,
            h: &h,
            scale,
            total_weight: customers,
            penalizer: self.penalizer,
        };
        let start = self.start(&h, scale)?;
        let (theta, _, convergence) = minimise(
            self.model,
            &objective,
            start,
            self.max_iterations,
            self.interrupt,
        )?;
        let mut p: [f64; 4] = std::array::from_fn(|k| theta[k].exp());
        for &k in self.time_params {
            p[k] /= scale;
        }
        let (log_likelihood, gradient) = self.ll_one.total(&h, p, 1.0);
        let (se, log_covariance) = curvature(&p, gradient, |q| self.ll_one.total(&h, q, 1.0).1);
        let report = FitReport {
            log_likelihood,
            standard_errors: optional(se),
            log_covariance,
            customers,
            patterns: n_patterns,
            penalizer: self.penalizer,
            convergence,
        };
        Ok((p, report))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clv::bgnbd;
    use crate::clv::optim::standard_errors;
    use rand::{RngExt, SeedableRng};

    /// `n` distinct BG/NBD-like patterns (continuous times).
    fn patterns(n: usize) -> Patterns {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let (mut x, mut tx, mut t) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..n {
            let tt: f64 = rng.random_range(1.0..100.0);
            let xi = f64::from(rng.random_range(0..6u32));
            x.push(xi);
            t.push(tt);
            tx.push(if xi == 0.0 {
                0.0
            } else {
                rng.random_range(0.0..tt)
            });
        }
        Histories::new(x, tx, t).unwrap().patterns()
    }

    /// (With a small penalty: the random patterns are not drawn from the
    /// model, and the unpenalised optimum may lie at infinity.)
    #[test]
    fn a_fit_started_from_a_subsample_reaches_the_full_optimum() {
        let patterns = patterns(SUBSAMPLE_ABOVE + 5_000);
        assert!(patterns.len() > SUBSAMPLE_ABOVE);
        let interrupt = Interrupt::default();
        let fit = LikelihoodFit {
            model: "BG/NBD",
            ll_one: Staged::new(bgnbd::Stages),
            time_params: &[1],
            penalizer: 0.01,
            max_iterations: 1000,
            interrupt: &interrupt,
        };
        let (fast, _) = fit.run(patterns.clone()).unwrap();
        // The same objective minimised from the all-0 start.
        let scale = patterns.time_scale().unwrap();
        let total_weight = patterns.total_weight();
        let h = patterns.into_histories();
        let objective = Mean {
            ll_one: &bgnbd::ll_one,
            h: &h,
            scale,
            total_weight,
            penalizer: 0.01,
        };
        let (theta, _, _) = minimise("BG/NBD", &objective, vec![0.0; 4], 1000, &interrupt).unwrap();
        let mut plain: [f64; 4] = std::array::from_fn(|k| theta[k].exp());
        plain[1] /= scale;
        for k in 0..4 {
            assert!(
                (fast[k] - plain[k]).abs() < 1e-6 * plain[k],
                "{fast:?} {plain:?}"
            );
        }
    }

    /// The fit's one Hessian gives the same standard errors as central
    /// differences in natural parameters and the same log-covariance as
    /// [`crate::clv::BgNbdModel::log_covariance`] (with a penalty: the
    /// log-likelihood's gradient is not 0 at the estimates).
    #[test]
    fn one_hessian_gives_the_standard_errors_and_the_log_covariance() {
        let h = patterns(3_000).into_histories();
        let m = crate::clv::BgNbd::params().penalizer(0.05).fit(&h).unwrap();
        let report = m.report().unwrap();
        let p = m.params();
        let staged = Staged::new(bgnbd::Stages);
        let se = standard_errors(&p, |q| {
            let (_, g) = staged.total(&h, [q[0], q[1], q[2], q[3]], 1.0);
            g.iter().map(|d| -d).collect()
        });
        for (got, want) in report.standard_errors.iter().zip(&se) {
            let got = got.unwrap();
            assert!((got / want - 1.0).abs() < 1e-5, "{got} {want}");
        }
        let cov = m.log_covariance(&h).unwrap();
        let fitted = report.log_covariance.as_ref().unwrap();
        for i in 0..4 {
            for j in 0..4 {
                let scale = (cov[[i, i]] * cov[[j, j]]).sqrt();
                assert!((fitted[i][j] - cov[[i, j]]).abs() < 1e-6 * scale, "{i} {j}");
            }
        }
    }
}
