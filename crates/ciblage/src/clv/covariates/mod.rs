//! Fixed (time-invariant) customer covariates on the purchase and dropout
//! processes of BG/NBD and Pareto/NBD, as R's CLVTools parameterises them
//! (`names.cov.trans`, `names.cov.life`): with `z` a customer's covariate
//! row,
//!
//! - purchase process (both models): `alpha_i = alpha0 exp(-gamma_trans' z)`;
//! - Pareto/NBD dropout: `beta_i = beta0 exp(-gamma_life' z)`;
//! - BG/NBD dropout: `a_i = a0 exp(gamma_life' z)`, `b_i = b0 exp(gamma_life' z)`.
//!
//! A positive `gamma_trans` raises the purchase rate; a positive Pareto/NBD
//! `gamma_life` raises the dropout rate.
//!
//! ```
//! use ciblage::clv::{ClvCovariates, CovariateClv, Histories};
//! use ciblage::ndarray::array;
//! let h = Histories::new(
//!     vec![0.0, 1.0, 4.0, 0.0, 2.0, 7.0, 0.0, 1.0],
//!     vec![0.0, 10.0, 30.0, 0.0, 5.0, 35.0, 0.0, 38.0],
//!     vec![39.0, 39.0, 39.0, 20.0, 30.0, 39.0, 10.0, 39.0],
//! )?;
//! let z = array![[0.0], [1.0], [1.0], [0.0], [1.0], [1.0], [0.0], [0.0]];
//! let cov = ClvCovariates::new(z.view(), &["loyal"])?;
//! let model = CovariateClv::pareto_nbd().trans(&["loyal"]).penalizer(0.01).fit(&h, &cov)?;
//! assert_eq!(model.param_names()[4], "trans.loyal");
//! let p = model.p_alive(&h, &cov)?;
//! assert!(p.iter().all(|p| (0.0..=1.0).contains(p)));
//! # Ok::<(), ciblage::CiblageError>(())
//! ```

mod fit;
mod json;
mod likelihood;
mod model;
#[cfg(test)]
mod tests;

use ndarray::{Array2, ArrayView2};

use crate::clv::model::{check_fit_params, ClvInput};
use crate::error::{CiblageError, Result};
use crate::interrupt::Interrupt;

pub use model::{BoundCovariates, CovariateClvModel, CustomerModel};

/// The base model the covariates enter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CovariateKind {
    /// BG/NBD: `alpha` (purchase) and `a`, `b` (dropout) scaled.
    BgNbd,
    /// Pareto/NBD: `alpha` (purchase) and `beta` (dropout) scaled.
    ParetoNbd,
}

impl CovariateKind {
    /// Names of the four base parameters.
    pub fn base_names(self) -> [&'static str; 4] {
        match self {
            Self::BgNbd => ["r", "alpha", "a", "b"],
            Self::ParetoNbd => ["r", "alpha", "s", "beta"],
        }
    }
    /// The model's name in messages.
    pub fn label(self) -> &'static str {
        match self {
            Self::BgNbd => "BG/NBD with covariates",
            Self::ParetoNbd => "Pareto/NBD with covariates",
        }
    }
    /// The model's name in JSON.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Self::BgNbd => "bg_nbd_cov",
            Self::ParetoNbd => "pareto_nbd_cov",
        }
    }
}

/// A numeric customer table: one row per customer (in the order of the
/// histories), named columns, every value finite.
///
/// ```
/// use ciblage::clv::ClvCovariates;
/// use ciblage::ndarray::array;
/// let z = array![[1.0, 20.0], [0.0, 35.0]];
/// let cov = ClvCovariates::new(z.view(), &["female", "age"])?;
/// assert_eq!(cov.len(), 2);
/// assert!(ClvCovariates::new(z.view(), &["age"]).is_err()); // two columns, one name
/// # Ok::<(), ciblage::CiblageError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ClvCovariates {
    names: Vec<String>,
    values: Array2<f64>,
}

fn fault(argument: &str, reason: impl Into<String>) -> CiblageError {
    CiblageError::InvalidCovariates {
        argument: argument.into(),
        reason: reason.into(),
    }
}

impl ClvCovariates {
    /// Covariates from a matrix (rows = customers) and its column names.
    ///
    /// # Errors
    /// Names not one per column, empty or repeated; a non-finite value
    /// (named by column and row).
    pub fn new<S: AsRef<str>>(values: ArrayView2<'_, f64>, names: &[S]) -> Result<Self> {
        let names: Vec<String> = names.iter().map(|s| s.as_ref().to_owned()).collect();
        if names.len() != values.ncols() {
            return Err(fault(
                "covariates",
                format!(
                    "{} column names for {} columns",
                    names.len(),
                    values.ncols()
                ),
            ));
        }
        check_names("covariates", &names)?;
        for (j, name) in names.iter().enumerate() {
            if let Some(row) = values.column(j).iter().position(|v| !v.is_finite()) {
                return Err(CiblageError::NonFinite {
                    argument: format!("covariates.{name}"),
                    row,
                    value: values[[row, j]],
                });
            }
        }
        Ok(Self {
            names,
            values: values.to_owned(),
        })
    }
    /// Number of rows (customers).
    pub fn len(&self) -> usize {
        self.values.nrows()
    }
    /// True without rows.
    pub fn is_empty(&self) -> bool {
        self.values.nrows() == 0
    }
    /// The column names.
    pub fn names(&self) -> &[String] {
        &self.names
    }
    /// The values (rows = customers).
    pub fn values(&self) -> ArrayView2<'_, f64> {
        self.values.view()
    }
    /// The columns `names`, in that order, for `rows` customers.
    pub(crate) fn select(
        &self,
        argument: &str,
        names: &[String],
        rows: usize,
    ) -> Result<Array2<f64>> {
        if self.len() != rows {
            return Err(CiblageError::LengthMismatch {
                argument: "covariates".into(),
                expected: rows,
                got: self.len(),
            });
        }
        let mut out = Array2::zeros((rows, names.len()));
        for (k, name) in names.iter().enumerate() {
            let j = self.names.iter().position(|n| n == name).ok_or_else(|| {
                fault(
                    argument,
                    format!(
                        "column {name:?} not found; the covariates have {:?}",
                        self.names
                    ),
                )
            })?;
            out.column_mut(k).assign(&self.values.column(j));
        }
        Ok(out)
    }
}

/// Names must be non-empty and distinct.
fn check_names(argument: &str, names: &[String]) -> Result<()> {
    for (i, n) in names.iter().enumerate() {
        if n.is_empty() {
            return Err(fault(argument, "an empty column name"));
        }
        if names[..i].contains(n) {
            return Err(fault(argument, format!("column {n:?} named twice")));
        }
    }
    Ok(())
}

/// Entry point of BG/NBD and Pareto/NBD with fixed covariates (a learner:
/// [`CovariateClvValidParams::fit`]); the base model is picked by the
/// constructor.
#[derive(Debug, Clone, Copy)]
pub struct CovariateClv;

impl CovariateClv {
    /// BG/NBD with covariates, default parameters.
    pub fn bg_nbd() -> CovariateClvParams {
        CovariateClvParams(CovariateClvValidParams::new(CovariateKind::BgNbd))
    }
    /// Pareto/NBD with covariates, default parameters.
    pub fn pareto_nbd() -> CovariateClvParams {
        CovariateClvParams(CovariateClvValidParams::new(CovariateKind::ParetoNbd))
    }
}

/// Validated fitting parameters of [`CovariateClv`].
#[derive(Debug, Clone)]
pub struct CovariateClvValidParams {
    kind: CovariateKind,
    trans: Vec<String>,
    life: Vec<String>,
    penalizer: f64,
    max_iterations: usize,
    interrupt: Interrupt,
}

impl CovariateClvValidParams {
    fn new(kind: CovariateKind) -> Self {
        Self {
            kind,
            trans: Vec::new(),
            life: Vec::new(),
            penalizer: 0.0,
            max_iterations: 1000,
            interrupt: Interrupt::default(),
        }
    }
}

/// Builder of [`CovariateClvValidParams`].
#[derive(Debug, Clone)]
pub struct CovariateClvParams(CovariateClvValidParams);

impl CovariateClvParams {
    /// Covariate columns on the purchase process (CLVTools'
    /// `names.cov.trans`); default none.
    #[must_use]
    pub fn trans<S: AsRef<str>>(mut self, names: &[S]) -> Self {
        self.0.trans = names.iter().map(|s| s.as_ref().to_owned()).collect();
        self
    }
    /// Covariate columns on the dropout process (CLVTools'
    /// `names.cov.life`); default none.
    #[must_use]
    pub fn life<S: AsRef<str>>(mut self, names: &[S]) -> Self {
        self.0.life = names.iter().map(|s| s.as_ref().to_owned()).collect();
        self
    }
    /// L2 penalty added to the mean negative log-likelihood: on the base
    /// parameters as the models without covariates, and on the
    /// coefficients of the standardised covariates. Default 0.
    #[must_use]
    pub fn penalizer(mut self, coefficient: f64) -> Self {
        self.0.penalizer = coefficient;
        self
    }
    /// Most L-BFGS iterations (default 1000).
    #[must_use]
    pub fn max_iterations(mut self, n: usize) -> Self {
        self.0.max_iterations = n;
        self
    }
    /// Token that stops the fit ([`CiblageError::Interrupted`]).
    #[must_use]
    pub fn interrupt(mut self, token: Interrupt) -> Self {
        self.0.interrupt = token;
        self
    }
    /// Validates the parameters.
    ///
    /// # Errors
    /// A negative or non-finite penalizer, zero iterations, an empty or
    /// repeated column name in `trans` or `life`.
    pub fn check(self) -> Result<CovariateClvValidParams> {
        check_fit_params(self.0.penalizer, self.0.max_iterations)?;
        check_names("trans", &self.0.trans)?;
        check_names("life", &self.0.life)?;
        Ok(self.0)
    }
    /// Validates, then fits.
    ///
    /// # Errors
    /// See [`CovariateClvParams::check`] and [`CovariateClvValidParams::fit`].
    pub fn fit<D: ClvInput + ?Sized>(
        self,
        data: &D,
        covariates: &ClvCovariates,
    ) -> Result<CovariateClvModel> {
        self.check()?.fit(data, covariates)
    }
}
