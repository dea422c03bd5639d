//! A fitted model with covariates: per-customer parameters, predictions,
//! the covariance of the estimates and the JSON form.

use ndarray::Array2;
use rayon::prelude::*;

use crate::clv::covariates::likelihood::{customer_params, total, CovPatterns};
use crate::clv::covariates::{ClvCovariates, CovariateKind};
use crate::clv::gamma_gamma::PurchaseModel;
use crate::clv::model::{ClvInput, FitReport};
use crate::clv::{BgNbdModel, ParetoNbdModel};
use crate::error::{CiblageError, Result};

/// A fitted BG/NBD or Pareto/NBD model with covariates (see
/// [`crate::clv::CovariateClv`]). Times are in the unit of the histories
/// fitted; coefficients apply to the covariates as given.
#[derive(Debug, Clone, PartialEq)]
pub struct CovariateClvModel {
    kind: CovariateKind,
    base: [f64; 4],
    trans: Vec<String>,
    gamma_trans: Vec<f64>,
    life: Vec<String>,
    gamma_life: Vec<f64>,
    report: Option<FitReport>,
    covariance: Option<Array2<f64>>,
}

/// One customer's model: the base model at its own parameters.
#[derive(Debug, Clone)]
pub enum CustomerModel {
    /// BG/NBD at `(r, alpha_i, a_i, b_i)`.
    BgNbd(BgNbdModel),
    /// Pareto/NBD at `(r, alpha_i, s, beta_i)`.
    ParetoNbd(ParetoNbdModel),
    /// Parameters that overflow (extreme covariates): every prediction NaN.
    OutOfRange,
}

impl CustomerModel {
    /// P(alive) at `T` of the history `(x, t_x, T)`.
    pub fn p_alive_one(&self, x: f64, t_x: f64, t: f64) -> f64 {
        match self {
            Self::BgNbd(m) => m.p_alive_one(x, t_x, t),
            Self::ParetoNbd(m) => m.p_alive_one(x, t_x, t),
            Self::OutOfRange => f64::NAN,
        }
    }
    /// Expected purchases over `horizon` after the history.
    pub fn expected_purchases_one(&self, horizon: f64, x: f64, t_x: f64, t: f64) -> f64 {
        match self {
            Self::BgNbd(m) => m.expected_purchases_one(horizon, x, t_x, t),
            Self::ParetoNbd(m) => m.expected_purchases_one(horizon, x, t_x, t),
            Self::OutOfRange => f64::NAN,
        }
    }
    /// Expected purchases of a new customer over `horizon`.
    pub fn expected_purchases_new(&self, horizon: f64) -> f64 {
        match self {
            Self::BgNbd(m) => m.expected_purchases_new(horizon),
            Self::ParetoNbd(m) => m.expected_purchases_new(horizon),
            Self::OutOfRange => f64::NAN,
        }
    }
}

impl PurchaseModel for CustomerModel {
    fn expected_purchases_one(&self, horizon: f64, x: f64, t_x: f64, t: f64) -> f64 {
        Self::expected_purchases_one(self, horizon, x, t_x, t)
    }
}

/// Per-customer covariate rows, selected by the model's names.
#[derive(Debug, Clone)]
pub struct BoundCovariates {
    zt: Array2<f64>,
    zl: Array2<f64>,
}

impl BoundCovariates {
    /// Number of customers.
    pub fn len(&self) -> usize {
        self.zt.nrows()
    }
    /// True without customers.
    pub fn is_empty(&self) -> bool {
        self.zt.nrows() == 0
    }
}

impl CovariateClvModel {
    /// A model from its parameters (`base` in the order of
    /// [`CovariateKind::base_names`]), coefficients paired with their
    /// column names.
    ///
    /// # Errors
    /// A base parameter that is not positive and finite, a coefficient that
    /// is not finite, names not one per coefficient or repeated.
    pub fn from_params(
        kind: CovariateKind,
        base: [f64; 4],
        trans: &[(&str, f64)],
        life: &[(&str, f64)],
    ) -> Result<Self> {
        Self::build(
            kind,
            base,
            trans.iter().map(|p| p.0.to_owned()).collect(),
            trans.iter().map(|p| p.1).collect(),
            life.iter().map(|p| p.0.to_owned()).collect(),
            life.iter().map(|p| p.1).collect(),
            None,
            None,
        )
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn build(
        kind: CovariateKind,
        base: [f64; 4],
        trans: Vec<String>,
        gamma_trans: Vec<f64>,
        life: Vec<String>,
        gamma_life: Vec<f64>,
        report: Option<FitReport>,
        covariance: Option<Array2<f64>>,
    ) -> Result<Self> {
        for (name, v) in kind.base_names().iter().zip(base) {
            if !(v.is_finite() && v > 0.0) {
                return Err(CiblageError::param(
                    "params",
                    format!("{name} must be positive and finite, got {v}"),
                ));
            }
        }
        super::check_names("trans", &trans)?;
        super::check_names("life", &life)?;
        if trans.len() != gamma_trans.len() || life.len() != gamma_life.len() {
            return Err(CiblageError::param(
                "params",
                "one coefficient per covariate name",
            ));
        }
        if let Some(g) = gamma_trans
            .iter()
            .chain(&gamma_life)
            .find(|g| !g.is_finite())
        {
            return Err(CiblageError::param(
                "params",
                format!("coefficients must be finite, got {g}"),
            ));
        }
        Ok(Self {
            kind,
            base,
            trans,
            gamma_trans,
            life,
            gamma_life,
            report,
            covariance,
        })
    }

    /// The base model.
    pub fn kind(&self) -> CovariateKind {
        self.kind
    }
    /// The four base parameters (a customer whose covariates are all 0).
    pub fn base_params(&self) -> [f64; 4] {
        self.base
    }
    /// Covariates of the purchase process with their coefficients.
    pub fn gamma_trans(&self) -> impl Iterator<Item = (&str, f64)> {
        self.trans
            .iter()
            .map(String::as_str)
            .zip(self.gamma_trans.iter().copied())
    }
    /// Covariates of the dropout process with their coefficients.
    pub fn gamma_life(&self) -> impl Iterator<Item = (&str, f64)> {
        self.life
            .iter()
            .map(String::as_str)
            .zip(self.gamma_life.iter().copied())
    }
    /// Names of every parameter: the base ones, `trans.<column>`,
    /// `life.<column>` (CLVTools' names).
    pub fn param_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .kind
            .base_names()
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        names.extend(self.trans.iter().map(|n| format!("trans.{n}")));
        names.extend(self.life.iter().map(|n| format!("life.{n}")));
        names
    }
    /// Every parameter's value, in the order of [`Self::param_names`].
    pub fn param_values(&self) -> Vec<f64> {
        let mut v = self.base.to_vec();
        v.extend(&self.gamma_trans);
        v.extend(&self.gamma_life);
        v
    }
    /// `θ = (ln base, gamma_trans, gamma_life)`, the space of the
    /// covariance.
    pub fn log_params(&self) -> Vec<f64> {
        let mut v: Vec<f64> = self.base.iter().map(|p| p.ln()).collect();
        v.extend(&self.gamma_trans);
        v.extend(&self.gamma_life);
        v
    }
    /// The model at `θ = (ln base, gamma_trans, gamma_life)`, without
    /// report or covariance.
    ///
    /// # Errors
    /// A `θ` of the wrong length or out of range.
    pub fn with_log_params(&self, theta: &[f64]) -> Result<Self> {
        let (kt, kl) = (self.trans.len(), self.life.len());
        if theta.len() != 4 + kt + kl {
            return Err(CiblageError::param(
                "params",
                format!("expected {} values", 4 + kt + kl),
            ));
        }
        Self::build(
            self.kind,
            std::array::from_fn(|k| theta[k].exp()),
            self.trans.clone(),
            theta[4..4 + kt].to_vec(),
            self.life.clone(),
            theta[4 + kt..].to_vec(),
            None,
            None,
        )
    }
    /// The fit report; `None` for a model built from parameters.
    pub fn report(&self) -> Option<&FitReport> {
        self.report.as_ref()
    }
    /// Covariance of the estimates of `θ` (see [`Self::log_params`]), from
    /// the inverse Hessian of the negative log-likelihood; `None` for a
    /// model built from parameters or a Hessian not positive definite.
    pub fn covariance(&self) -> Option<&Array2<f64>> {
        self.covariance.as_ref()
    }

    /// The model's covariate columns of `covariates` for `rows` customers.
    ///
    /// # Errors
    /// A missing column, a row count other than `rows`.
    pub fn bind(&self, covariates: &ClvCovariates, rows: usize) -> Result<BoundCovariates> {
        Ok(BoundCovariates {
            zt: covariates.select("trans", &self.trans, rows)?,
            zl: covariates.select("life", &self.life, rows)?,
        })
    }
    /// The model of customer `i` of `z`.
    pub fn customer(&self, z: &BoundCovariates, i: usize) -> CustomerModel {
        let zt = z.zt.row(i);
        let zl = z.zl.row(i);
        let p = customer_params(
            self.kind,
            self.base,
            &self.gamma_trans,
            &self.gamma_life,
            zt.as_slice().unwrap_or(&zt.to_vec()),
            zl.as_slice().unwrap_or(&zl.to_vec()),
        );
        // Overflowing coefficients give a parameter out of range: NaN predictions.
        let [a, b, c, d] = p;
        match self.kind {
            CovariateKind::BgNbd => BgNbdModel::from_params(a, b, c, d)
                .map_or(CustomerModel::OutOfRange, CustomerModel::BgNbd),
            CovariateKind::ParetoNbd => ParetoNbdModel::from_params(a, b, c, d)
                .map_or(CustomerModel::OutOfRange, CustomerModel::ParetoNbd),
        }
    }

    /// `f(customer model, x, t_x, T)` of every customer, in parallel.
    fn each<D: ClvInput + ?Sized>(
        &self,
        data: &D,
        covariates: &ClvCovariates,
        f: impl Fn(&CustomerModel, f64, f64, f64) -> f64 + Sync,
    ) -> Result<Vec<f64>> {
        let h = data.histories();
        let z = self.bind(covariates, h.len())?;
        Ok((0..h.len())
            .into_par_iter()
            .map(|i| f(&self.customer(&z, i), h.frequency[i], h.recency[i], h.t[i]))
            .collect())
    }
    /// P(alive) of every customer at its `T`.
    ///
    /// # Errors
    /// Covariates without the model's columns or with another row count.
    pub fn p_alive<D: ClvInput + ?Sized>(
        &self,
        data: &D,
        covariates: &ClvCovariates,
    ) -> Result<Vec<f64>> {
        self.each(data, covariates, |m, x, tx, t| m.p_alive_one(x, tx, t))
    }
    /// Conditional expected purchases of every customer over `horizon`.
    ///
    /// # Errors
    /// As [`Self::p_alive`].
    pub fn expected_purchases<D: ClvInput + ?Sized>(
        &self,
        horizon: f64,
        data: &D,
        covariates: &ClvCovariates,
    ) -> Result<Vec<f64>> {
        self.each(data, covariates, |m, x, tx, t| {
            m.expected_purchases_one(horizon, x, tx, t)
        })
    }
    /// Expected purchases over `horizon` of a new customer with each row's
    /// covariates.
    ///
    /// # Errors
    /// Covariates without the model's columns.
    pub fn expected_purchases_new(
        &self,
        horizon: f64,
        covariates: &ClvCovariates,
    ) -> Result<Vec<f64>> {
        let z = self.bind(covariates, covariates.len())?;
        Ok((0..z.len())
            .into_par_iter()
            .map(|i| self.customer(&z, i).expected_purchases_new(horizon))
            .collect())
    }
    /// Log-likelihood of `data` with `covariates` (weighted sum).
    ///
    /// # Errors
    /// As [`Self::p_alive`].
    pub fn log_likelihood<D: ClvInput + ?Sized>(
        &self,
        data: &D,
        covariates: &ClvCovariates,
    ) -> Result<f64> {
        let h = data.histories();
        let z = self.bind(covariates, h.len())?;
        let pats = CovPatterns::new(&h, z.zt.view(), z.zl.view());
        Ok(total(self.kind, &pats, &self.log_params(), 1.0).0)
    }
}
