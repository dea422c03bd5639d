//! Maximum likelihood with `argmin`'s L-BFGS (Moré-Thuente line search)
//! in log-parameter space, and standard errors from the Hessian.

use std::sync::Mutex;

use argmin::core::{CostFunction, Executor, Gradient, State, TerminationReason};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use serde::{Deserialize, Serialize};

use crate::error::{CiblageError, Result};
use crate::interrupt::Interrupt;

/// How a fit ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Convergence {
    /// L-BFGS iterations run.
    pub iterations: u64,
    /// Euclidean norm of the gradient of the objective (mean negative
    /// log-likelihood plus penalty, in log-parameter space) at the optimum.
    pub gradient_norm: f64,
    /// Why the optimiser stopped.
    pub reason: String,
}

/// The largest gradient norm accepted at the optimum (mean objective).
const ACCEPT_GRADIENT: f64 = 1e-5;

/// An objective in log-parameter space: `(value, gradient)`, both of the
/// mean negative log-likelihood plus penalty.
pub(crate) trait Objective: Sync {
    /// Value and gradient at `theta` (log-parameters); a non-finite value
    /// marks a point outside the domain.
    fn eval(&self, theta: &[f64]) -> (f64, Vec<f64>);
}

/// A point, the objective's value and its gradient there.
type Evaluation = (Vec<f64>, f64, Vec<f64>);

/// The argmin problem: one evaluation serves the cost and the gradient at
/// the same point.
struct Problem<'a, O: Objective> {
    objective: &'a O,
    last: Mutex<Option<Evaluation>>,
    interrupt: &'a Interrupt,
}

impl<O: Objective> Problem<'_, O> {
    fn eval(&self, theta: &[f64]) -> std::result::Result<(f64, Vec<f64>), argmin::core::Error> {
        if let Ok(guard) = self.last.lock() {
            if let Some((p, f, g)) = guard.as_ref() {
                if p.as_slice() == theta {
                    return Ok((*f, g.clone()));
                }
            }
        }
        if self.interrupt.check().is_err() {
            return Err(argmin::core::Error::msg("interrupted"));
        }
        // Progress: one unit per evaluation, against the iteration limit
        // (a fit that converges sooner jumps to the end).
        self.interrupt.advance(1);
        let (f, g) = self.objective.eval(theta);
        // Outside the domain (overflowing parameters): a large value with a
        // gradient pointing back, so that the line search shrinks its step.
        let (f, g) = if f.is_finite() && g.iter().all(|v| v.is_finite()) {
            (f, g)
        } else {
            (1e300, theta.iter().map(|t| t.signum()).collect())
        };
        if let Ok(mut guard) = self.last.lock() {
            *guard = Some((theta.to_vec(), f, g.clone()));
        }
        Ok((f, g))
    }
}

impl<O: Objective> CostFunction for Problem<'_, O> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, p: &Vec<f64>) -> std::result::Result<f64, argmin::core::Error> {
        self.eval(p).map(|r| r.0)
    }
}

impl<O: Objective> Gradient for Problem<'_, O> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, p: &Vec<f64>) -> std::result::Result<Vec<f64>, argmin::core::Error> {
        self.eval(p).map(|r| r.1)
    }
}

/// Minimises `objective` from `start`; returns the log-parameters, the
/// objective's value there and the convergence report.
///
/// # Errors
/// [`CiblageError::Interrupted`]; [`CiblageError::FitFailed`] naming
/// `model` when the optimiser stops away from a stationary point.
pub(crate) fn minimise<O: Objective>(
    model: &'static str,
    objective: &O,
    start: Vec<f64>,
    max_iterations: usize,
    interrupt: &Interrupt,
) -> Result<(Vec<f64>, f64, Convergence)> {
    let failed = |reason: String| CiblageError::FitFailed { model, reason };
    // A line search that gives up away from the optimum (a step into
    // overflow, say) restarts L-BFGS from the best point, its curvature
    // memory cleared; a few restarts at most.
    interrupt.add_total(max_iterations as u64);
    let (mut theta, mut reason, mut iterations) = (start, String::new(), 0u64);
    let mut at_theta = None;
    for _ in 0..RESTARTS {
        let (t, r, i, known) = run_once(
            model,
            objective,
            theta.clone(),
            max_iterations as u64 - iterations,
            interrupt,
        )?;
        theta = t;
        reason = r;
        iterations += i;
        // The optimiser's own evaluation of its best point when it kept it.
        let (v, g) = known.unwrap_or_else(|| objective.eval(&theta));
        let norm = g.iter().map(|v| v * v).sum::<f64>().sqrt();
        at_theta = Some((v, g));
        if norm < ACCEPT_GRADIENT || iterations >= max_iterations as u64 {
            break;
        }
    }
    let (value, gradient) = at_theta.unwrap_or_else(|| objective.eval(&theta));
    let gradient_norm = gradient.iter().map(|g| g * g).sum::<f64>().sqrt();
    if !value.is_finite() || !gradient_norm.is_finite() {
        return Err(failed(
            "the log-likelihood is not finite at the optimum".into(),
        ));
    }
    // A line search that gives up at the optimum (rounding) is a success.
    let reason = if gradient_norm < 1e-8 {
        "converged".to_owned()
    } else {
        reason
    };
    if gradient_norm > ACCEPT_GRADIENT {
        return Err(failed(format!(
            "no optimum found after {iterations} iterations ({reason}); gradient norm {gradient_norm:.3e} \
             (try a larger max_iterations or a small penalizer)"
        )));
    }
    Ok((
        theta,
        value,
        Convergence {
            iterations,
            gradient_norm,
            reason,
        },
    ))
}

/// L-BFGS runs at most (the first and the restarts).
const RESTARTS: usize = 4;

/// One L-BFGS run from `start`: the best point, why it stopped, iterations,
/// and the objective's value and gradient there when its last evaluation
/// was at that point.
#[allow(clippy::type_complexity)] // a private tuple read once by `minimise`
fn run_once<O: Objective>(
    model: &'static str,
    objective: &O,
    start: Vec<f64>,
    max_iterations: u64,
    interrupt: &Interrupt,
) -> Result<(Vec<f64>, String, u64, Option<(f64, Vec<f64>)>)> {
    let problem = Problem {
        objective,
        last: Mutex::new(None),
        interrupt,
    };
    let failed = |reason: String| CiblageError::FitFailed { model, reason };
    let solver = LBFGS::new(MoreThuenteLineSearch::new(), 10)
        .with_tolerance_grad(1e-10)
        // An iteration that leaves the objective exactly where it was ends
        // the run: the optimum is reached to rounding (the gradient of a sum
        // over many customers is not 0 there), or the objective flattens out
        // towards a boundary; line searches in rounding noise or along that
        // flat direction would otherwise spend hundreds of evaluations.
        // Away from a stationary point `minimise` restarts as before.
        .and_then(|s| s.with_tolerance_cost(f64::EPSILON))
        .map_err(|e| failed(e.to_string()))?;
    let run = Executor::new(problem, solver)
        .configure(|state| state.param(start.clone()).max_iters(max_iterations))
        .run();
    interrupt.check()?;
    match run {
        Ok(res) => {
            let state = res.state();
            let theta = state.get_best_param().cloned().unwrap_or(start);
            let reason = state
                .get_termination_reason()
                .map_or(TerminationReason::SolverConverged.text().to_owned(), |r| {
                    r.text().to_owned()
                });
            // Only a finite evaluation is the objective's own (see `Problem::eval`).
            let known = res.problem.problem.as_ref().and_then(|p| {
                let last = p.last.lock().ok()?;
                let (at, f, g) = last.as_ref()?;
                (at == &theta && f.is_finite() && *f < 1e300).then(|| (*f, g.clone()))
            });
            Ok((theta, reason, state.get_iter(), known))
        }
        Err(e) => Err(failed(format!("the optimiser stopped: {e}"))),
    }
}

/// Standard errors from the Hessian of `neg_ll_gradient` (the gradient of
/// the total negative log-likelihood in natural parameters), by central
/// differences of the analytic gradient; `NaN` where the Hessian is not
/// positive definite.
#[allow(clippy::needless_range_loop)] // a small dense matrix, indexed as in the formulas
pub(crate) fn standard_errors(
    params: &[f64],
    neg_ll_gradient: impl Fn(&[f64]) -> Vec<f64>,
) -> Vec<f64> {
    let n = params.len();
    let mut h = vec![vec![0.0; n]; n];
    for j in 0..n {
        let step = 1e-5 * params[j].abs().max(1e-8);
        let mut up = params.to_vec();
        let mut down = params.to_vec();
        up[j] += step;
        down[j] -= step;
        let (gu, gd) = (neg_ll_gradient(&up), neg_ll_gradient(&down));
        for i in 0..n {
            h[i][j] = (gu[i] - gd[i]) / (2.0 * step);
        }
    }
    for i in 0..n {
        for j in 0..i {
            let m = 0.5 * (h[i][j] + h[j][i]);
            h[i][j] = m;
            h[j][i] = m;
        }
    }
    standard_errors_of(h)
}

/// Standard errors from a Hessian of the negative log-likelihood in
/// natural parameters: the square roots of its inverse's diagonal, `NaN`
/// where that is not positive (or everywhere when it is singular).
pub(crate) fn standard_errors_of(h: Vec<Vec<f64>>) -> Vec<f64> {
    let n = h.len();
    match invert(h) {
        Some(inv) => (0..n)
            .map(|i| {
                if inv[i][i] > 0.0 {
                    inv[i][i].sqrt()
                } else {
                    f64::NAN
                }
            })
            .collect(),
        None => vec![f64::NAN; n],
    }
}

/// Inverse of a small square matrix by Gauss-Jordan elimination with
/// partial pivoting; `None` when singular.
fn invert(mut a: Vec<Vec<f64>>) -> Option<Vec<Vec<f64>>> {
    let n = a.len();
    let mut inv: Vec<Vec<f64>> = (0..n)
        .map(|i| (0..n).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
        .collect();
    for col in 0..n {
        let pivot = (col..n).max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))?;
        if a[pivot][col].abs() < 1e-300 || !a[pivot][col].is_finite() {
            return None;
        }
        a.swap(col, pivot);
        inv.swap(col, pivot);
        let d = a[col][col];
        for j in 0..n {
            a[col][j] /= d;
            inv[col][j] /= d;
        }
        for row in 0..n {
            if row != col {
                let f = a[row][col];
                if f != 0.0 {
                    for j in 0..n {
                        a[row][j] -= f * a[col][j];
                        inv[row][j] -= f * inv[col][j];
                    }
                }
            }
        }
    }
    Some(inv)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Quadratic;
    impl Objective for Quadratic {
        fn eval(&self, t: &[f64]) -> (f64, Vec<f64>) {
            let v = (t[0] - 1.0).powi(2) + 10.0 * (t[1] + 2.0).powi(2);
            (v, vec![2.0 * (t[0] - 1.0), 20.0 * (t[1] + 2.0)])
        }
    }

    #[test]
    fn a_quadratic_is_minimised() {
        let (t, v, c) = minimise(
            "test",
            &Quadratic,
            vec![0.0, 0.0],
            100,
            &Interrupt::default(),
        )
        .unwrap();
        assert!(
            (t[0] - 1.0).abs() < 1e-8 && (t[1] + 2.0).abs() < 1e-8,
            "{t:?}"
        );
        assert!(v < 1e-15 && c.gradient_norm < 1e-6);
    }

    #[test]
    fn inverse_of_a_known_matrix() {
        let inv = invert(vec![vec![4.0, 7.0], vec![2.0, 6.0]]).unwrap();
        let expected = [[0.6, -0.7], [-0.2, 0.4]];
        for i in 0..2 {
            for j in 0..2 {
                assert!((inv[i][j] - expected[i][j]).abs() < 1e-12);
            }
        }
        assert!(invert(vec![vec![1.0, 2.0], vec![2.0, 4.0]]).is_none());
    }
}
