//! What every fitted CLV model shares: the fit report, the parallel and
//! deterministic sum of the likelihood over patterns, and the JSON form.

use std::borrow::Cow;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::clv::histories::Histories;
use crate::clv::optim::Convergence;
use crate::clv::summary::PurchaseSummary;
use crate::error::{CiblageError, Result};

/// The inputs a CLV model fits: [`Histories`] or a [`PurchaseSummary`].
pub trait ClvInput {
    /// The histories to fit.
    fn histories(&self) -> Cow<'_, Histories>;
}

impl ClvInput for Histories {
    fn histories(&self) -> Cow<'_, Histories> {
        Cow::Borrowed(self)
    }
}

impl ClvInput for PurchaseSummary {
    fn histories(&self) -> Cow<'_, Histories> {
        Cow::Owned(Histories::from_summary(self))
    }
}

/// How a model was fitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitReport {
    /// Log-likelihood of the data at the estimates (summed over customers,
    /// without the penalty).
    pub log_likelihood: f64,
    /// Standard errors of the parameters, in the order of the model's
    /// `params()`, from the inverse Hessian of the negative
    /// log-likelihood (`None` where it is not positive definite).
    pub standard_errors: Vec<Option<f64>>,
    /// Covariance of the logarithms of the parameters (same order), the
    /// inverse Hessian of the negative log-likelihood in log-parameters
    /// at the estimates, rows of the matrix; `None` where that Hessian is
    /// not positive definite or the model does not compute it at the fit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_covariance: Option<Vec<Vec<f64>>>,
    /// Customers fitted (sum of the weights).
    pub customers: f64,
    /// Distinct patterns the likelihood was evaluated on.
    pub patterns: usize,
    /// The L2 penalty coefficient used.
    pub penalizer: f64,
    /// Iterations and final gradient norm.
    pub convergence: Convergence,
}

/// Patterns per parallel task: the task boundaries depend only on the
/// number of patterns, and the task sums are added in task order, so the
/// result does not depend on the number of threads.
const CHUNK: usize = 512;

/// `Σ_i f(i)` over `n` items (a value and `N` derivatives), in parallel
/// with a fixed reduction order.
pub(crate) fn sum_terms<const N: usize>(
    n: usize,
    f: impl Fn(usize) -> (f64, [f64; N]) + Sync,
) -> (f64, [f64; N]) {
    sum_chunks(n, |range| {
        let mut acc = (0.0, [0.0; N]);
        for i in range {
            let (v, g) = f(i);
            acc.0 += v;
            for (a, d) in acc.1.iter_mut().zip(g) {
                *a += d;
            }
        }
        acc
    })
}

/// The sum of `f(range)` over consecutive ranges of [`CHUNK`] items, in
/// parallel, the range sums added in range order (deterministic).
pub(crate) fn sum_chunks<const N: usize>(
    n: usize,
    f: impl Fn(std::ops::Range<usize>) -> (f64, [f64; N]) + Sync,
) -> (f64, [f64; N]) {
    let parts: Vec<(f64, [f64; N])> = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| f(c * CHUNK..((c + 1) * CHUNK).min(n)))
        .collect();
    let mut total = (0.0, [0.0; N]);
    for (v, g) in parts {
        total.0 += v;
        for (a, d) in total.1.iter_mut().zip(g) {
            *a += d;
        }
    }
    total
}

/// The JSON form of every CLV model.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelFile {
    model: String,
    version: u32,
    params: Vec<(String, f64)>,
    fit: Option<FitReport>,
}

/// Current version of the JSON form.
const VERSION: u32 = 1;

/// Writes a model as JSON.
pub(crate) fn to_json(
    model: &str,
    names: &[&str],
    values: &[f64],
    report: Option<&FitReport>,
) -> String {
    let file = ModelFile {
        model: model.into(),
        version: VERSION,
        params: names
            .iter()
            .map(|n| (*n).to_owned())
            .zip(values.iter().copied())
            .collect(),
        fit: report.cloned(),
    };
    serde_json::to_string(&file).unwrap_or_default()
}

/// Reads a model written by [`to_json`], checking the kind, the version
/// and that every parameter is present, finite and positive.
pub(crate) fn from_json(
    what: &'static str,
    model: &str,
    names: &[&str],
    text: &str,
) -> Result<(Vec<f64>, Option<FitReport>)> {
    let fault = |reason: String| CiblageError::InvalidModelFile { what, reason };
    let file: ModelFile =
        serde_json::from_str(text).map_err(|e| fault(format!("not a saved model: {e}")))?;
    if file.model != model {
        return Err(fault(format!(
            "model: expected {model:?}, got {:?}",
            file.model
        )));
    }
    if file.version != VERSION {
        return Err(fault(format!(
            "version: expected {VERSION}, got {}",
            file.version
        )));
    }
    let got: Vec<&str> = file.params.iter().map(|p| p.0.as_str()).collect();
    if got != names {
        return Err(fault(format!("params: expected {names:?}, got {got:?}")));
    }
    if let Some((name, v)) = file.params.iter().find(|p| !(p.1.is_finite() && p.1 > 0.0)) {
        return Err(fault(format!(
            "params.{name}: expected a positive number, got {v}"
        )));
    }
    if let Some(r) = &file.fit {
        if r.standard_errors.len() != names.len() {
            return Err(fault(format!(
                "fit.standard_errors: expected {} values, got {}",
                names.len(),
                r.standard_errors.len()
            )));
        }
        if r.standard_errors
            .iter()
            .flatten()
            .any(|s| !(s.is_finite() && *s >= 0.0))
        {
            return Err(fault(
                "fit.standard_errors: expected numbers >= 0 or null".into(),
            ));
        }
        if let Some(c) = &r.log_covariance {
            let n = names.len();
            if c.len() != n || c.iter().any(|row| row.len() != n) {
                return Err(fault(format!(
                    "fit.log_covariance: expected a {n} x {n} matrix"
                )));
            }
            let symmetric = (0..n).all(|i| (0..n).all(|j| c[i][j] == c[j][i]));
            if !(symmetric && c.iter().flatten().all(|v| v.is_finite()))
                || (0..n).any(|i| c[i][i] < 0.0)
            {
                return Err(fault(
                    "fit.log_covariance: expected a finite symmetric matrix with a diagonal >= 0"
                        .into(),
                ));
            }
        }
        if !r.log_likelihood.is_finite() {
            return Err(fault("fit.log_likelihood: expected a finite number".into()));
        }
        if !(r.customers.is_finite() && r.customers > 0.0) {
            return Err(fault("fit.customers: expected a positive number".into()));
        }
        if !(r.penalizer.is_finite() && r.penalizer >= 0.0) {
            return Err(fault("fit.penalizer: expected a number >= 0".into()));
        }
    }
    Ok((file.params.iter().map(|p| p.1).collect(), file.fit))
}

/// Checks a penalty coefficient and an iteration limit.
pub(crate) fn check_fit_params(penalizer: f64, max_iterations: usize) -> Result<()> {
    if !(penalizer.is_finite() && penalizer >= 0.0) {
        return Err(CiblageError::param(
            "penalizer",
            format!("must be a finite number >= 0, got {penalizer}"),
        ));
    }
    if max_iterations == 0 {
        return Err(CiblageError::param("max_iterations", "must be at least 1"));
    }
    Ok(())
}

/// Checks the parameters given to a model's `from_params`: each positive
/// and finite, the first that is not named in the error (argument
/// `params`).
pub(crate) fn check_positive_params<const N: usize>(
    names: &[&str; N],
    values: [f64; N],
) -> Result<()> {
    for (name, v) in names.iter().zip(values) {
        if !(v.is_finite() && v > 0.0) {
            return Err(CiblageError::param(
                "params",
                format!("{name} must be positive and finite, got {v}"),
            ));
        }
    }
    Ok(())
}

/// Standard errors with `NaN` as `None`.
pub(crate) fn optional(v: Vec<f64>) -> Vec<Option<f64>> {
    v.into_iter().map(|x| x.is_finite().then_some(x)).collect()
}
