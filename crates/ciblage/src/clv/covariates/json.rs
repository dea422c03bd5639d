//! The JSON form of a model with covariates, validated whole at load.

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use crate::clv::covariates::{CovariateClvModel, CovariateKind};
use crate::clv::model::FitReport;
use crate::error::{CiblageError, Result};

/// Current version of the JSON form.
const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelFile {
    model: String,
    version: u32,
    params: Vec<(String, f64)>,
    trans: Vec<String>,
    life: Vec<String>,
    fit: Option<FitReport>,
    covariance: Option<Vec<Vec<f64>>>,
}

impl CovariateClvModel {
    /// The model as versioned JSON (parameters by name, the covariate
    /// columns of each process, the fit report and the covariance).
    pub fn to_json(&self) -> String {
        let trans: Vec<String> = self.gamma_trans().map(|(n, _)| n.to_owned()).collect();
        let life: Vec<String> = self.gamma_life().map(|(n, _)| n.to_owned()).collect();
        let file = ModelFile {
            model: self.kind().key().into(),
            version: VERSION,
            params: self
                .param_names()
                .into_iter()
                .zip(self.param_values())
                .collect(),
            trans,
            life,
            fit: self.report().cloned(),
            covariance: self
                .covariance()
                .map(|c| c.rows().into_iter().map(|r| r.to_vec()).collect()),
        };
        serde_json::to_string(&file).unwrap_or_default()
    }

    /// Reads a model written by [`CovariateClvModel::to_json`], checked
    /// whole: the kind, the version, the parameter names against the
    /// covariate columns, the values, the report and the covariance.
    ///
    /// # Errors
    /// [`CiblageError::InvalidModelFile`] naming the field at fault.
    pub fn from_json(text: &str) -> Result<Self> {
        let what = "CLV model with covariates";
        let fault = |reason: String| CiblageError::InvalidModelFile { what, reason };
        let file: ModelFile =
            serde_json::from_str(text).map_err(|e| fault(format!("not a saved model: {e}")))?;
        let kind = match file.model.as_str() {
            "bg_nbd_cov" => CovariateKind::BgNbd,
            "pareto_nbd_cov" => CovariateKind::ParetoNbd,
            other => {
                return Err(fault(format!(
                    "model: expected \"bg_nbd_cov\" or \"pareto_nbd_cov\", got {other:?}"
                )))
            }
        };
        if file.version != VERSION {
            return Err(fault(format!(
                "version: expected {VERSION}, got {}",
                file.version
            )));
        }
        let mut names: Vec<String> = kind.base_names().iter().map(|s| (*s).to_owned()).collect();
        names.extend(file.trans.iter().map(|n| format!("trans.{n}")));
        names.extend(file.life.iter().map(|n| format!("life.{n}")));
        let got: Vec<&str> = file.params.iter().map(|p| p.0.as_str()).collect();
        if got != names {
            return Err(fault(format!("params: expected {names:?}, got {got:?}")));
        }
        let k = names.len();
        if let Some(r) = &file.fit {
            if r.standard_errors.len() != k {
                return Err(fault(format!(
                    "fit.standard_errors: expected {k} values, got {}",
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
            if !(r.log_likelihood.is_finite() && r.customers.is_finite() && r.customers > 0.0) {
                return Err(fault(
                    "fit: log_likelihood and customers must be finite".into(),
                ));
            }
            if !(r.penalizer.is_finite() && r.penalizer >= 0.0) {
                return Err(fault("fit.penalizer: expected a number >= 0".into()));
            }
        }
        let covariance = match file.covariance {
            None => None,
            Some(rows) => {
                if rows.len() != k || rows.iter().any(|r| r.len() != k) {
                    return Err(fault(format!("covariance: expected a {k} x {k} matrix")));
                }
                let flat: Vec<f64> = rows.into_iter().flatten().collect();
                if flat.iter().any(|v| !v.is_finite()) {
                    return Err(fault("covariance: expected finite numbers".into()));
                }
                let m = Array2::from_shape_vec((k, k), flat)
                    .map_err(|e| fault(format!("covariance: {e}")))?;
                if (0..k).any(|i| m[[i, i]] < 0.0)
                    || (0..k).any(|i| (0..i).any(|j| m[[i, j]] != m[[j, i]]))
                {
                    return Err(fault(
                        "covariance: expected a symmetric matrix with a non-negative diagonal"
                            .into(),
                    ));
                }
                Some(m)
            }
        };
        let v: Vec<f64> = file.params.iter().map(|p| p.1).collect();
        let kt = file.trans.len();
        Self::build(
            kind,
            [v[0], v[1], v[2], v[3]],
            file.trans,
            v[4..4 + kt].to_vec(),
            file.life,
            v[4 + kt..].to_vec(),
            file.fit,
            covariance,
        )
        .map_err(|e| fault(e.to_string()))
    }
}
