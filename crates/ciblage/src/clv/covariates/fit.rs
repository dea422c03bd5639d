//! The maximum-likelihood fit with covariates: covariates standardised and
//! times rescaled for the optimiser (the results brought back to the
//! caller's units), the covariance of `θ` from the Hessian.

use ndarray::Array2;

use crate::clv::covariates::likelihood::{total, CovPatterns};
use crate::clv::covariates::{
    fault, ClvCovariates, CovariateClvModel, CovariateClvValidParams, CovariateKind,
};
use crate::clv::histories::Patterns;
use crate::clv::linalg::{cholesky, hessian, inverse_spd};
use crate::clv::model::{ClvInput, FitReport};
use crate::clv::optim::{minimise, Objective};
use crate::error::Result;

/// Mean negative log-likelihood plus penalty in the optimiser's `θ`.
struct Mean<'a> {
    kind: CovariateKind,
    pats: &'a CovPatterns,
    scale: f64,
    total_weight: f64,
    penalizer: f64,
}

impl Objective for Mean<'_> {
    fn eval(&self, theta: &[f64]) -> (f64, Vec<f64>) {
        let (ll, g) = total(self.kind, self.pats, theta, self.scale);
        let mut value = -ll / self.total_weight;
        let mut grad: Vec<f64> = g.iter().map(|d| -d / self.total_weight).collect();
        for (k, t) in theta.iter().enumerate() {
            // The base parameters penalised as without covariates.
            let (pen, d) = if k < 4 {
                let p = t.exp();
                (p * p, 2.0 * p * p)
            } else {
                (t * t, 2.0 * t)
            };
            value += self.penalizer * pen;
            grad[k] += self.penalizer * d;
        }
        (value, grad)
    }
}

/// Means and standard deviations of the columns of `z`.
///
/// # Errors
/// A constant column; columns collinear with each other.
fn standardise(
    argument: &str,
    names: &[String],
    z: &mut Array2<f64>,
) -> Result<(Vec<f64>, Vec<f64>)> {
    let n = z.nrows() as f64;
    let mut means = Vec::new();
    let mut sds = Vec::new();
    for (j, name) in names.iter().enumerate() {
        let mut col = z.column_mut(j);
        let mean = col.sum() / n;
        let sd = (col.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n).sqrt();
        if !(sd.is_finite() && sd > 1e-12 * mean.abs().max(1.0)) {
            return Err(fault(
                argument,
                format!("column {name:?} is constant: its effect is the base parameter's (leave it out)"),
            ));
        }
        col.mapv_inplace(|v| (v - mean) / sd);
        means.push(mean);
        sds.push(sd);
    }
    // Correlation matrix: not positive definite when columns are collinear.
    let corr = z.t().dot(&*z) / n;
    if cholesky(&corr).is_none() {
        return Err(fault(
            argument,
            format!("columns {names:?} are collinear (one is a linear combination of the others): leave one out"),
        ));
    }
    Ok((means, sds))
}

impl CovariateClvValidParams {
    /// Fits the model by maximum likelihood, from the base parameters of
    /// the model without covariates' starting point and coefficients 0.
    ///
    /// # Errors
    /// `covariates` with a row count other than the histories', a missing
    /// column, a constant or collinear column
    /// ([`crate::CiblageError::InvalidCovariates`]);
    /// [`crate::CiblageError::FitFailed`]; [`crate::CiblageError::Interrupted`].
    pub fn fit<D: ClvInput + ?Sized>(
        &self,
        data: &D,
        covariates: &ClvCovariates,
    ) -> Result<CovariateClvModel> {
        let h = data.histories();
        let zt = covariates.select("trans", &self.trans, h.len())?;
        let zl = covariates.select("life", &self.life, h.len())?;
        let (mut st, mut sl) = (zt.clone(), zl.clone());
        let (mt, sdt) = standardise("trans", &self.trans, &mut st)?;
        let (ml, sdl) = standardise("life", &self.life, &mut sl)?;
        let pats = CovPatterns::new(&h, st.view(), sl.view());
        let scale = Patterns {
            x: Vec::new(),
            t_x: Vec::new(),
            t: pats.t.clone(),
            weight: Vec::new(),
        }
        .time_scale()?;
        let customers: f64 = pats.weight.iter().sum();
        let objective = Mean {
            kind: self.kind,
            pats: &pats,
            scale,
            total_weight: customers,
            penalizer: self.penalizer,
        };
        let (kt, kl) = (self.trans.len(), self.life.len());
        let (theta, _, convergence) = minimise(
            self.kind.label(),
            &objective,
            vec![0.0; 4 + kt + kl],
            self.max_iterations,
            &self.interrupt,
        )?;
        // Back to the caller's units: times, then unstandardised covariates.
        let mut base: [f64; 4] = std::array::from_fn(|k| theta[k].exp());
        base[1] /= scale;
        let gt: Vec<f64> = (0..kt).map(|k| theta[4 + k] / sdt[k]).collect();
        let gl: Vec<f64> = (0..kl).map(|k| theta[4 + kt + k] / sdl[k]).collect();
        let shift_t: f64 = gt.iter().zip(&mt).map(|(g, m)| g * m).sum();
        let shift_l: f64 = gl.iter().zip(&ml).map(|(g, m)| g * m).sum();
        base[1] *= shift_t.exp();
        match self.kind {
            CovariateKind::ParetoNbd => base[3] = base[3] / scale * shift_l.exp(),
            CovariateKind::BgNbd => {
                base[2] *= (-shift_l).exp();
                base[3] *= (-shift_l).exp();
            }
        }
        let raw = CovPatterns::new(&h, zt.view(), zl.view());
        let mut final_theta: Vec<f64> = base.iter().map(|p| p.ln()).collect();
        final_theta.extend(&gt);
        final_theta.extend(&gl);
        let (log_likelihood, _) = total(self.kind, &raw, &final_theta, 1.0);
        let covariance = covariance(self.kind, &raw, &final_theta, &sdt, &sdl);
        let standard_errors = (0..final_theta.len())
            .map(|k| {
                let v = covariance.as_ref()?[[k, k]];
                let se = v.sqrt();
                Some(if k < 4 { se * base[k] } else { se })
            })
            .collect();
        let report = FitReport {
            log_likelihood,
            standard_errors,
            log_covariance: None,
            customers,
            patterns: raw.len(),
            penalizer: self.penalizer,
            convergence,
        };
        CovariateClvModel::build(
            self.kind,
            base,
            self.trans.clone(),
            gt,
            self.life.clone(),
            gl,
            Some(report),
            covariance,
        )
    }
}

/// Covariance of `θ = (ln base, gamma_trans, gamma_life)`: the inverse
/// Hessian of the negative log-likelihood (central differences of the
/// analytic gradient; steps scaled by the covariates' spread); `None`
/// where it is not positive definite.
fn covariance(
    kind: CovariateKind,
    pats: &CovPatterns,
    theta: &[f64],
    sdt: &[f64],
    sdl: &[f64],
) -> Option<Array2<f64>> {
    let steps: Vec<f64> = (0..theta.len())
        .map(|k| match k {
            0..4 => 1e-5,
            _ if k < 4 + sdt.len() => 1e-5 / sdt[k - 4],
            _ => 1e-5 / sdl[k - 4 - sdt.len()],
        })
        .collect();
    let h = hessian(theta, &steps, |t| {
        total(kind, pats, t, 1.0).1.iter().map(|d| -d).collect()
    });
    inverse_spd(&h)
}
