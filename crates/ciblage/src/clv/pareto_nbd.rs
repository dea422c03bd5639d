//! Pareto/NBD (Schmittlein, Morrison & Colombo 1987): purchases at a
//! gamma-Poisson rate, an exponential lifetime with a gamma-distributed
//! rate. The likelihood is Fader & Hardie's closed form ("A note on
//! deriving the Pareto/NBD model", 2005), both branches (`alpha >= beta`
//! and `alpha < beta`) evaluated in log space with a hypergeometric series
//! of positive terms, so that no term overflows (the failure of
//! `lifetimes` #25/#262/#419 for large frequencies).

use crate::clv::fit_params::clv_fit_params;
use hashbrown::HashMap;
use serde::{Deserialize, Serialize};

use crate::clv::gamma_gamma::PurchaseModel;
use crate::clv::histories::{per_distinct, Histories};
use crate::clv::likelihood::{LikelihoodFit, PatternLikelihood, StagedLikelihood};
use crate::clv::model::{check_positive_params, from_json, to_json, ClvInput, FitReport};
use crate::clv::pareto_likelihood::{boundary_status, ParetoLikelihood};
use crate::clv::pareto_special::{ln_dead_between, ln_f, series_is_cheap};
use crate::clv::special::{digamma, ln_gamma, ln_one_minus_exp, log_add_exp, logistic_of_neg};
use crate::error::Result;

/// Entry point of the Pareto/NBD model (a learner: [`ParetoNbdValidParams::fit`]).
///
/// ```
/// use ciblage::clv::{Histories, ParetoNbd};
/// let h = Histories::new(
///     vec![0.0, 1.0, 4.0, 0.0, 2.0, 7.0, 0.0, 1.0],
///     vec![0.0, 10.0, 30.0, 0.0, 5.0, 35.0, 0.0, 38.0],
///     vec![39.0, 39.0, 39.0, 20.0, 30.0, 39.0, 10.0, 39.0],
/// )?;
/// let model = ParetoNbd::params().penalizer(0.01).fit(&h)?;
/// assert!(model.p_alive(&h).iter().all(|p| (0.0..=1.0).contains(p)));
/// # Ok::<(), ciblage::CiblageError>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct ParetoNbd;

clv_fit_params!(
    ParetoNbd,
    ParetoNbdParams,
    ParetoNbdValidParams,
    ClvInput,
    ParetoNbdModel,
    "Pareto/NBD",
    "L2 penalty on the parameters (times rescaled so that the largest `T` is 1), added to the mean negative log-likelihood. Default 0."
);

/// `ln(2F1(...) / den^(r+s+x))` at time `t` and its derivatives in
/// `(r, alpha, s, beta)`, on the branch that keeps `z` in `[0, 1)`.
pub(crate) fn branch(p: [f64; 4], x: f64, t: f64) -> Option<(f64, [f64; 4])> {
    let [r, alpha, s, beta] = p;
    let a = r + s + x;
    if alpha >= beta {
        let den = alpha + t;
        let z = (alpha - beta) / den;
        let (lf, [fa, fb, fz]) = ln_f(a, s + 1.0, z)?;
        let l = den.ln();
        Some((
            lf - a * l,
            [
                fa - l,
                fz * (beta + t) / (den * den) - a / den,
                fa + fb - l,
                -fz / den,
            ],
        ))
    } else {
        let den = beta + t;
        let z = (beta - alpha) / den;
        let (lf, [fa, fb, fz]) = ln_f(a, r + x, z)?;
        let l = den.ln();
        Some((
            lf - a * l,
            [
                fa + fb - l,
                -fz / den,
                fa - l,
                fz * (alpha + t) / (den * den) - a / den,
            ],
        ))
    }
}

/// A log term and its derivatives in `(r, alpha, s, beta)`.
pub(crate) type Term = (f64, [f64; 4]);

/// The two log terms of the likelihood bracket: alive at `T`
/// (`L1`), and dead between `t_x` and `T` (`L2`, `-inf` when `t_x = T`),
/// with their derivatives. `L2` is the difference of the hypergeometric
/// terms at `t_x` and `T` where their series is short, else the integral
/// they stand for, by quadrature: finite for every positive parameter.
fn terms(p: [f64; 4], x: f64, t_x: f64, t: f64, cache: Option<&mut Branches>) -> (Term, Term) {
    let [r, alpha, s, beta] = p;
    let l1 = -(r + x) * (alpha + t).ln() - s * (beta + t).ln();
    let d1 = [
        -(alpha + t).ln(),
        -(r + x) / (alpha + t),
        -(beta + t).ln(),
        -s / (beta + t),
    ];
    if t_x >= t {
        return ((l1, d1), (f64::NEG_INFINITY, [0.0; 4]));
    }
    // The series' largest argument is at t_x.
    let z = if alpha >= beta {
        (alpha - beta) / (alpha + t_x)
    } else {
        (beta - alpha) / (beta + t_x)
    };
    // ln_f sums the series whose second parameter is the smaller of s + 1
    // and r + x (directly or in Euler's form).
    let b = (s + 1.0).min(r + x);
    let by_series = match (series_is_cheap(b, z), cache) {
        (false, _) => None,
        (true, None) => dead_by_series(p, x, t_x, t),
        (true, Some(c)) => {
            let (b1, b2) = (c.at_tx(p, x, t_x), c.at_t(p, x, t));
            b1.zip(b2).map(|(u, v)| combine(p, x, u, v))
        }
    };
    let l2 = by_series.unwrap_or_else(|| ln_dead_between(p, x, t_x, t));
    ((l1, d1), l2)
}

/// `L2` as the difference of the hypergeometric terms at `t_x` and `T`;
/// `None` if a series does not settle.
pub(crate) fn dead_by_series(p: [f64; 4], x: f64, t_x: f64, t: f64) -> Option<Term> {
    Some(combine(p, x, branch(p, x, t_x)?, branch(p, x, t)?))
}

/// `L2` from the hypergeometric terms at `t_x` and at `T`.
pub(crate) fn combine(p: [f64; 4], x: f64, (u1, g1): Term, (u2, g2): Term) -> Term {
    let [r, _, s, _] = p;
    let delta = u2 - u1;
    let a = r + s + x;
    if delta >= 0.0 {
        // t_x and T too close to tell apart: nothing dies in between.
        return (f64::NEG_INFINITY, [0.0; 4]);
    }
    let e = delta.exp();
    let ln_a0 = u1 + ln_one_minus_exp(delta);
    let d: [f64; 4] = std::array::from_fn(|k| (g1[k] - e * g2[k]) / (1.0 - e));
    let l2 = s.ln() - a.ln() + ln_a0;
    (l2, [d[0] - 1.0 / a, d[1], d[2] + 1.0 / s - 1.0 / a, d[3]])
}

/// The value of [`combine`] from the values of the hypergeometric terms.
fn combine_value(p: [f64; 4], x: f64, u1: f64, u2: f64) -> f64 {
    let [r, _, s, _] = p;
    let delta = u2 - u1;
    if delta >= 0.0 {
        return f64::NEG_INFINITY;
    }
    s.ln() - (r + s + x).ln() + (u1 + ln_one_minus_exp(delta))
}

/// The log-likelihood of a history and its gradient from the terms of its
/// frequency (`base`) and its two bracket terms (alive at `T`, dead
/// between `t_x` and `T`).
pub(crate) fn join((base, db): Term, (l1, d1): Term, (l2, d2): Term) -> Term {
    let l = log_add_exp(l1, l2);
    let (w1, w2) = ((l1 - l).exp(), (l2 - l).exp());
    (
        base + l,
        std::array::from_fn(|k| db[k] + w1 * d1[k] + if w2 > 0.0 { w2 * d2[k] } else { 0.0 }),
    )
}

/// The hypergeometric terms of one frequency already computed: at the
/// last `t_x` (the patterns come sorted by `t_x` within a frequency) and at
/// every `T` met.
#[derive(Default)]
pub(crate) struct Branches {
    last: Option<(u64, Option<Term>)>,
    by_t: HashMap<u64, Option<Term>, foldhash::fast::FixedState>,
}

impl Branches {
    fn at_tx(&mut self, p: [f64; 4], x: f64, t_x: f64) -> Option<Term> {
        match self.last {
            Some((key, v)) if key == t_x.to_bits() => v,
            _ => {
                let v = branch(p, x, t_x);
                self.last = Some((t_x.to_bits(), v));
                v
            }
        }
    }
    fn at_t(&mut self, p: [f64; 4], x: f64, t: f64) -> Option<Term> {
        *self
            .by_t
            .entry(t.to_bits())
            .or_insert_with(|| branch(p, x, t))
    }
}

/// Terms of one frequency: `ln(Γ(r+x) alpha^r beta^s / Γ(r))`, its
/// derivatives, and the hypergeometric terms met so far.
pub(crate) struct PerX {
    pub(crate) base: f64,
    pub(crate) d_base: [f64; 4],
    branches: Branches,
}

/// Log-likelihood of one history and its derivatives in `(r, alpha, s, beta)`
/// (the fits sum [`Stages`] over patterns).
pub(crate) fn ll_one(p: [f64; 4], x: f64, t_x: f64, t: f64) -> (f64, [f64; 4]) {
    let shared = Stages.shared(p);
    Stages.one(&shared, &mut Stages.per_x(&shared, x), x, t_x, t)
}

/// The Pareto/NBD likelihood in stages (see [`StagedLikelihood`]).
pub(crate) struct Stages;

/// Parameter-only terms: the parameters, `ln Γ(r)`, `ψ(r)`, `ln alpha`,
/// `ln beta`.
pub(crate) struct Shared {
    p: [f64; 4],
    lg_r: f64,
    dg_r: f64,
    ln_alpha: f64,
    ln_beta: f64,
}

impl StagedLikelihood for Stages {
    type Shared = Shared;
    type PerX = PerX;
    /// The time itself (the hypergeometric terms depend on `x` too).
    type PerTime = f64;

    fn per_time(&self, _: &Shared, t: f64) -> f64 {
        t
    }

    fn shared(&self, p: [f64; 4]) -> Shared {
        Shared {
            p,
            lg_r: ln_gamma(p[0]),
            dg_r: digamma(p[0]),
            ln_alpha: p[1].ln(),
            ln_beta: p[3].ln(),
        }
    }

    fn per_x(&self, sh: &Shared, x: f64) -> PerX {
        let [r, alpha, s, beta] = sh.p;
        let (lg, dg) = if x == 0.0 {
            (0.0, 0.0)
        } else {
            (ln_gamma(r + x) - sh.lg_r, digamma(r + x) - sh.dg_r)
        };
        PerX {
            base: lg + r * sh.ln_alpha + s * sh.ln_beta,
            d_base: [dg + sh.ln_alpha, r / alpha, sh.ln_beta, s / beta],
            branches: Branches::default(),
        }
    }

    fn one(&self, sh: &Shared, px: &mut PerX, x: f64, t_x: f64, t: f64) -> (f64, [f64; 4]) {
        let (l1, l2) = terms(sh.p, x, t_x, t, Some(&mut px.branches));
        join((px.base, px.d_base), l1, l2)
    }
}

impl ParetoNbdValidParams {
    /// Fits the model by maximum likelihood.
    ///
    /// # Errors
    /// [`CiblageError::FitFailed`](crate::CiblageError::FitFailed) when no optimum is found;
    /// [`CiblageError::Interrupted`](crate::CiblageError::Interrupted).
    /// Data with no sign of dropout have their optimum at the boundary
    /// `s / beta -> 0` (the NBD limit): the fit stops there within a few
    /// dozen iterations and its report's `convergence.reason` says so (a
    /// penalizer gives an interior estimate instead).
    pub fn fit<D: ClvInput + ?Sized>(&self, data: &D) -> Result<ParetoNbdModel> {
        let patterns = data.histories().patterns();
        let max_t = patterns.max_t();
        let (p, mut report) = LikelihoodFit {
            model: "Pareto/NBD",
            ll_one: ParetoLikelihood::default(),
            time_params: &[1, 3],
            penalizer: self.penalizer,
            max_iterations: self.max_iterations,
            interrupt: &self.interrupt,
        }
        .run(patterns)?;
        if let Some(status) = boundary_status(p, max_t) {
            report.convergence.reason = status;
        }
        Ok(ParetoNbdModel {
            r: p[0],
            alpha: p[1],
            s: p[2],
            beta: p[3],
            report: Some(report),
        })
    }
}

/// Names of the parameters, in the order of [`ParetoNbdModel::params`].
pub const PARETO_NBD_PARAMS: [&str; 4] = ["r", "alpha", "s", "beta"];

/// A fitted Pareto/NBD model. Times are in the unit of the histories fitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParetoNbdModel {
    r: f64,
    alpha: f64,
    s: f64,
    beta: f64,
    report: Option<FitReport>,
}

impl ParetoNbdModel {
    /// A model with given parameters (all positive and finite).
    ///
    /// # Errors
    /// A parameter that is not positive and finite, named.
    pub fn from_params(r: f64, alpha: f64, s: f64, beta: f64) -> Result<Self> {
        check_positive_params(&PARETO_NBD_PARAMS, [r, alpha, s, beta])?;
        Ok(Self {
            r,
            alpha,
            s,
            beta,
            report: None,
        })
    }
    /// `[r, alpha, s, beta]`.
    pub fn params(&self) -> [f64; 4] {
        [self.r, self.alpha, self.s, self.beta]
    }
    /// The fit report, `None` for a model built from parameters.
    pub fn report(&self) -> Option<&FitReport> {
        self.report.as_ref()
    }
    /// Log-likelihood of `data` under the model (weighted sum).
    pub fn log_likelihood<D: ClvInput + ?Sized>(&self, data: &D) -> f64 {
        ParetoLikelihood::default()
            .total(&data.histories(), self.params(), 1.0)
            .0
    }
    /// P(alive) of one history at its end `T`.
    pub fn p_alive_one(&self, x: f64, t_x: f64, t: f64) -> f64 {
        // 1 / (1 + exp(L2 - L1)).
        let ((l1, _), (l2, _)) = terms(self.params(), x, t_x, t, None);
        logistic_of_neg(l2 - l1)
    }
    /// Expected purchases of one history in the next `horizon` units of
    /// time (conditional on the history).
    pub fn expected_purchases_one(&self, horizon: f64, x: f64, t_x: f64, t: f64) -> f64 {
        let (r, alpha, s, beta) = (self.r, self.alpha, self.s, self.beta);
        if horizon <= 0.0 {
            return 0.0;
        }
        let k = ((beta + t + horizon) / (beta + t)).ln();
        (r + x) * (beta + t) / (alpha + t) * lifetime_factor(s, k) * self.p_alive_one(x, t_x, t)
    }
    /// Expected purchases of a new customer in `horizon` units of time.
    pub fn expected_purchases_new(&self, horizon: f64) -> f64 {
        let (r, alpha, s, beta) = (self.r, self.alpha, self.s, self.beta);
        if horizon <= 0.0 {
            return 0.0;
        }
        r * beta / alpha * lifetime_factor(s, ((beta + horizon) / beta).ln())
    }
    /// P(alive) of every history (as [`ParetoNbdModel::p_alive_one`]), in
    /// parallel: the hypergeometric terms once per distinct `(x, t_x)` and
    /// `(x, T)`, the quadrature (where the series is long) once per distinct
    /// history, the rest per history.
    pub fn p_alive<D: ClvInput + ?Sized>(&self, data: &D) -> Vec<f64> {
        self.p_alive_all(&data.histories())
    }

    fn p_alive_all(&self, h: &Histories) -> Vec<f64> {
        use rayon::prelude::*;
        let p = self.params();
        let [r, alpha, s, beta] = p;
        let n = h.len();
        let (x, t_x, t) = (&h.frequency, &h.recency, &h.t);
        // The hypergeometric term at time `u` where `terms` sums its series
        // (NaN where it does not).
        let at = |[xb, ub]: [u64; 2]| {
            let (xv, u) = (f64::from_bits(xb), f64::from_bits(ub));
            let z = if alpha >= beta {
                (alpha - beta) / (alpha + u)
            } else {
                (beta - alpha) / (beta + u)
            };
            if series_is_cheap((s + 1.0).min(r + xv), z) {
                branch(p, xv, u).map_or(f64::NAN, |b| b.0)
            } else {
                f64::NAN
            }
        };
        let at_tx = per_distinct(n, |i| [x[i].to_bits(), t_x[i].to_bits()], at);
        let at_t = per_distinct(n, |i| [x[i].to_bits(), t[i].to_bits()], at);
        let slow: Vec<usize> = (0..n)
            .into_par_iter()
            .filter(|&i| t_x[i] < t[i] && (at_tx[i].is_nan() || at_t[i].is_nan()))
            .collect();
        let slow_l2 = per_distinct(
            slow.len(),
            |j| [x[slow[j]], t_x[slow[j]], t[slow[j]]].map(f64::to_bits),
            |k| {
                let [xv, u1, u2] = k.map(f64::from_bits);
                ln_dead_between(p, xv, u1, u2).0
            },
        );
        (0..n)
            .into_par_iter()
            .map(|i| {
                let l2 = if t_x[i] >= t[i] {
                    f64::NEG_INFINITY
                } else if at_tx[i].is_nan() || at_t[i].is_nan() {
                    // A row of `slow` (they are in row order).
                    slow.binary_search(&i)
                        .map_or_else(|_| ln_dead_between(p, x[i], t_x[i], t[i]).0, |j| slow_l2[j])
                } else {
                    combine_value(p, x[i], at_tx[i], at_t[i])
                };
                let l1 = -(r + x[i]) * (alpha + t[i]).ln() - s * (beta + t[i]).ln();
                logistic_of_neg(l2 - l1)
            })
            .collect()
    }

    /// Conditional expected purchases of every history over `horizon` (as
    /// [`ParetoNbdModel::expected_purchases_one`]; P(alive) as in
    /// [`ParetoNbdModel::p_alive`]).
    pub fn expected_purchases<D: ClvInput + ?Sized>(&self, horizon: f64, data: &D) -> Vec<f64> {
        use rayon::prelude::*;
        let h = data.histories();
        if horizon <= 0.0 {
            return vec![0.0; h.len()];
        }
        let (r, alpha, s, beta) = (self.r, self.alpha, self.s, self.beta);
        let mut out = self.p_alive_all(&h);
        out.par_iter_mut().enumerate().for_each(|(i, v)| {
            let (x, t) = (h.frequency[i], h.t[i]);
            let k = ((beta + t + horizon) / (beta + t)).ln();
            *v *= (r + x) * (beta + t) / (alpha + t) * lifetime_factor(s, k);
        });
        out
    }
    /// The model as versioned JSON.
    pub fn to_json(&self) -> String {
        to_json(
            "pareto_nbd",
            &PARETO_NBD_PARAMS,
            &self.params(),
            self.report.as_ref(),
        )
    }
    /// Reads a model written by [`ParetoNbdModel::to_json`], checked whole.
    ///
    /// # Errors
    /// [`CiblageError::InvalidModelFile`](crate::CiblageError::InvalidModelFile) naming the field at fault.
    pub fn from_json(text: &str) -> Result<Self> {
        let (p, report) = from_json("Pareto/NBD model", "pareto_nbd", &PARETO_NBD_PARAMS, text)?;
        Ok(Self {
            r: p[0],
            alpha: p[1],
            s: p[2],
            beta: p[3],
            report,
        })
    }
}

/// `(1 - exp(-(s-1) k)) / (s - 1)`, its limit `k` at `s = 1`.
fn lifetime_factor(s: f64, k: f64) -> f64 {
    let c = s - 1.0;
    if c.abs() < 1e-12 {
        k
    } else {
        -(-c * k).exp_m1() / c
    }
}

impl PurchaseModel for ParetoNbdModel {
    fn expected_purchases_one(&self, horizon: f64, x: f64, t_x: f64, t: f64) -> f64 {
        Self::expected_purchases_one(self, horizon, x, t_x, t)
    }
    fn dert_one(&self, delta: f64, horizon: Option<f64>, x: f64, t_x: f64, t: f64) -> f64 {
        Self::dert_one(self, delta, horizon, x, t_x, t)
    }
}

#[cfg(test)]
#[path = "pareto_nbd_tests.rs"]
mod tests;
