//! `ciblage._native` CLV functions: the purchase summary of a transaction
//! table and the fitted models (conversion only; see `ciblage.clv`).

use chrono::NaiveDate;
use ciblage::clv::{
    BgNbd, BgNbdModel, Freq, GammaGamma, GammaGammaModel, Histories, MbgNbd, MbgNbdModel,
    ParetoNbd, ParetoNbdModel, PurchaseModel,
};
use ciblage::CiblageError;
use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;

use crate::error::{BindError, BindResult};
use crate::run::{guard, run_reporting};

/// Runs a short core call with the GIL, its error becoming our exception.
pub(crate) fn core<T>(work: impl FnOnce() -> Result<T, CiblageError>) -> PyResult<T> {
    guard(|| work().map_err(BindError::from))
}

/// A `YYYY-MM-DD` parameter, its error naming it.
pub(crate) fn date_param(
    name: &'static str,
    text: Option<&str>,
) -> Result<Option<NaiveDate>, CiblageError> {
    text.map(|t| {
        NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|_| CiblageError::InvalidParameter {
            name,
            reason: format!("expected a date (YYYY-MM-DD), got {t:?}"),
        })
    })
    .transpose()
}

/// A fitted CLV model of any kind.
#[derive(Clone)]
pub(crate) enum Model {
    BgNbd(BgNbdModel),
    MbgNbd(MbgNbdModel),
    ParetoNbd(ParetoNbdModel),
    GammaGamma(GammaGammaModel),
}

/// The error of a purchase-model method called on the spend model.
pub(crate) fn not_purchases() -> PyErr {
    BindError::Core(CiblageError::param(
        "model",
        "a purchase model (BG/NBD, MBG/NBD or Pareto/NBD) is needed, not Gamma-Gamma",
    ))
    .into()
}

/// Evaluates `$e` with `$m` bound to the purchase model of a [`Model`]
/// (BG/NBD, MBG/NBD or Pareto/NBD, each with its own concrete type), or
/// returns the error of [`not_purchases`] for Gamma-Gamma.
macro_rules! with_purchases {
    ($model:expr, $m:ident => $e:expr) => {
        match $model {
            $crate::clv::Model::BgNbd($m) => $e,
            $crate::clv::Model::MbgNbd($m) => $e,
            $crate::clv::Model::ParetoNbd($m) => $e,
            $crate::clv::Model::GammaGamma(_) => return Err($crate::clv::not_purchases().into()),
        }
    };
}
pub(crate) use with_purchases;

/// A fitted CLV model (see `ciblage.clv`).
#[pyclass(module = "ciblage._native", name = "ClvModel", frozen)]
pub struct PyClvModel {
    pub(crate) inner: Model,
}

/// Histories `(frequency, recency, T)` read from numpy arrays.
pub(crate) fn histories(
    frequency: PyReadonlyArray1<'_, f64>,
    recency: PyReadonlyArray1<'_, f64>,
    t: PyReadonlyArray1<'_, f64>,
) -> PyResult<Histories> {
    histories_with(frequency, recency, t, None, None)
}

/// Histories with, when given, their mean spend and their weights.
pub(crate) fn histories_with(
    frequency: PyReadonlyArray1<'_, f64>,
    recency: PyReadonlyArray1<'_, f64>,
    t: PyReadonlyArray1<'_, f64>,
    monetary_value: Option<PyReadonlyArray1<'_, f64>>,
    weights: Option<PyReadonlyArray1<'_, f64>>,
) -> PyResult<Histories> {
    let (f, r, t) = (vec(frequency), vec(recency), vec(t));
    let (m, w) = (monetary_value.map(vec), weights.map(vec));
    core(|| {
        let mut h = Histories::new(f, r, t)?;
        if let Some(m) = m {
            h = h.with_monetary_value(m)?;
        }
        if let Some(w) = w {
            h = h.with_weights(w)?;
        }
        Ok(h)
    })
}

/// A numpy array's values.
pub(crate) fn vec(a: PyReadonlyArray1<'_, f64>) -> Vec<f64> {
    a.as_array().to_vec()
}

/// A numpy array of `v`.
pub(crate) fn array<'py>(py: Python<'py>, v: Vec<f64>) -> Bound<'py, PyArray1<f64>> {
    PyArray1::from_vec(py, v)
}

/// Fits a model: `kind` is `"bg_nbd"`, `"mbg_nbd"`, `"pareto_nbd"` or
/// `"gamma_gamma"`.
#[pyfunction]
#[pyo3(signature = (kind, frequency, recency, t, *, monetary_value = None, weights = None,
                    penalizer = 0.0, max_iterations = 1000, correlation_threshold = 0.3, progress = None))]
#[allow(clippy::too_many_arguments)]
pub fn clv_fit(
    py: Python<'_>,
    kind: &str,
    frequency: PyReadonlyArray1<'_, f64>,
    recency: PyReadonlyArray1<'_, f64>,
    t: PyReadonlyArray1<'_, f64>,
    monetary_value: Option<PyReadonlyArray1<'_, f64>>,
    weights: Option<PyReadonlyArray1<'_, f64>>,
    penalizer: f64,
    max_iterations: usize,
    correlation_threshold: f64,
    progress: Option<Bound<'_, PyAny>>,
) -> PyResult<PyClvModel> {
    let h = histories_with(frequency, recency, t, monetary_value, weights)?;
    let kind = kind.to_owned();
    let inner = run_reporting(py, progress.as_ref(), move |token| -> BindResult<Model> {
        let token = token.clone();
        Ok(match kind.as_str() {
            "bg_nbd" => Model::BgNbd(
                BgNbd::params()
                    .penalizer(penalizer)
                    .max_iterations(max_iterations)
                    .interrupt(token)
                    .fit(&h)?,
            ),
            "mbg_nbd" => Model::MbgNbd(
                MbgNbd::params()
                    .penalizer(penalizer)
                    .max_iterations(max_iterations)
                    .interrupt(token)
                    .fit(&h)?,
            ),
            "pareto_nbd" => Model::ParetoNbd(
                ParetoNbd::params()
                    .penalizer(penalizer)
                    .max_iterations(max_iterations)
                    .interrupt(token)
                    .fit(&h)?,
            ),
            "gamma_gamma" => Model::GammaGamma(
                GammaGamma::params()
                    .penalizer(penalizer)
                    .max_iterations(max_iterations)
                    .correlation_threshold(correlation_threshold)
                    .interrupt(token)
                    .fit(&h)?,
            ),
            other => return Err(BindError::Core(unknown_kind(other))),
        })
    })?;
    Ok(PyClvModel { inner })
}

/// The error of an unknown model kind.
fn unknown_kind(kind: &str) -> CiblageError {
    CiblageError::param(
        "kind",
        format!(
            "expected \"bg_nbd\", \"mbg_nbd\", \"pareto_nbd\" or \"gamma_gamma\", got {kind:?}"
        ),
    )
}

impl PyClvModel {
    /// The purchase model, or an error naming `model` for Gamma-Gamma.
    pub(crate) fn purchases(&self) -> PyResult<&dyn PurchaseModel> {
        Ok(with_purchases!(&self.inner, m => m as &dyn PurchaseModel))
    }
    fn spend(&self) -> PyResult<&GammaGammaModel> {
        match &self.inner {
            Model::GammaGamma(m) => Ok(m),
            _ => Err(BindError::Core(CiblageError::param(
                "model",
                "only the Gamma-Gamma model predicts spend",
            ))
            .into()),
        }
    }
}

#[pymethods]
impl PyClvModel {
    /// Reads a model saved by `to_json`.
    #[staticmethod]
    fn from_json(kind: &str, text: &str) -> PyResult<Self> {
        let inner = core(|| -> Result<Model, CiblageError> {
            Ok(match kind {
                "bg_nbd" => Model::BgNbd(BgNbdModel::from_json(text)?),
                "mbg_nbd" => Model::MbgNbd(MbgNbdModel::from_json(text)?),
                "pareto_nbd" => Model::ParetoNbd(ParetoNbdModel::from_json(text)?),
                "gamma_gamma" => Model::GammaGamma(GammaGammaModel::from_json(text)?),
                other => return Err(unknown_kind(other)),
            })
        })?;
        Ok(Self { inner })
    }

    /// The model as versioned JSON (parameters and fit report).
    fn to_json(&self) -> String {
        match &self.inner {
            Model::BgNbd(m) => m.to_json(),
            Model::MbgNbd(m) => m.to_json(),
            Model::ParetoNbd(m) => m.to_json(),
            Model::GammaGamma(m) => m.to_json(),
        }
    }

    /// The Gamma-Gamma correlation warning, if any, and the correlation.
    fn correlation(&self) -> (Option<f64>, Option<String>) {
        match &self.inner {
            Model::GammaGamma(m) => (m.correlation(), m.warning().map(str::to_owned)),
            _ => (None, None),
        }
    }

    /// P(alive) of every history.
    fn p_alive<'py>(
        &self,
        py: Python<'py>,
        frequency: PyReadonlyArray1<'_, f64>,
        recency: PyReadonlyArray1<'_, f64>,
        t: PyReadonlyArray1<'_, f64>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let h = histories(frequency, recency, t)?;
        Ok(array(py, with_purchases!(&self.inner, m => m.p_alive(&h))))
    }

    /// Conditional expected purchases over `horizon`.
    fn expected_purchases<'py>(
        &self,
        py: Python<'py>,
        horizon: f64,
        frequency: PyReadonlyArray1<'_, f64>,
        recency: PyReadonlyArray1<'_, f64>,
        t: PyReadonlyArray1<'_, f64>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let h = histories(frequency, recency, t)?;
        // The models' own vectorised form: once per distinct (x, T), in parallel.
        let v = with_purchases!(&self.inner, m => m.expected_purchases(horizon, &h));
        Ok(array(py, v))
    }

    /// Expected purchases of a new customer over each horizon.
    fn expected_purchases_new<'py>(
        &self,
        py: Python<'py>,
        horizons: PyReadonlyArray1<'_, f64>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let hs = horizons.as_array();
        let v = with_purchases!(&self.inner, m => hs.iter().map(|&t| m.expected_purchases_new(t)).collect());
        Ok(array(py, v))
    }

    /// P(X(horizon) = n) of a new customer (BG/NBD and MBG/NBD).
    fn prob_n_purchases(&self, n: u32, horizon: f64) -> PyResult<f64> {
        match &self.inner {
            Model::BgNbd(m) => Ok(m.prob_n_purchases(n, horizon)),
            Model::MbgNbd(m) => Ok(m.prob_n_purchases(n, horizon)),
            _ => Err(BindError::Core(CiblageError::param(
                "model",
                "prob_n_purchases is a BG/NBD and MBG/NBD prediction",
            ))
            .into()),
        }
    }

    /// Gamma-Gamma expected mean spend per purchase.
    fn expected_average_spend<'py>(
        &self,
        py: Python<'py>,
        frequency: PyReadonlyArray1<'_, f64>,
        monetary_value: PyReadonlyArray1<'_, f64>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let m = self.spend()?;
        let f = frequency.as_array();
        let v = monetary_value.as_array();
        Ok(array(
            py,
            f.iter()
                .zip(v.iter())
                .map(|(&x, &mv)| m.expected_average_spend_one(x, mv))
                .collect(),
        ))
    }

    /// Discounted CLV (Gamma-Gamma spend times `purchases`' expected purchases).
    #[allow(clippy::too_many_arguments)]
    fn clv<'py>(
        &self,
        py: Python<'py>,
        purchases: &PyClvModel,
        frequency: PyReadonlyArray1<'_, f64>,
        recency: PyReadonlyArray1<'_, f64>,
        t: PyReadonlyArray1<'_, f64>,
        monetary_value: PyReadonlyArray1<'_, f64>,
        months: usize,
        discount_rate: f64,
        units_per_month: f64,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let spend = self.spend()?;
        let pm = purchases.purchases()?;
        let h = histories_with(frequency, recency, t, Some(monetary_value), None)?;
        let v = core(|| spend.clv(&Dyn(pm), &h, months, discount_rate, units_per_month))?;
        Ok(array(py, v))
    }
}

/// A purchase model behind a reference to the trait.
struct Dyn<'a>(&'a dyn PurchaseModel);

impl PurchaseModel for Dyn<'_> {
    fn expected_purchases_one(&self, horizon: f64, x: f64, t_x: f64, t: f64) -> f64 {
        self.0.expected_purchases_one(horizon, x, t_x, t)
    }
    fn dert_one(&self, delta: f64, horizon: Option<f64>, x: f64, t_x: f64, t: f64) -> f64 {
        self.0.dert_one(delta, horizon, x, t_x, t)
    }
}

/// `Freq`'s months-to-units factor, for the Python side.
#[pyfunction]
pub fn clv_units_per_month(freq: &str) -> PyResult<f64> {
    core(|| freq.parse::<Freq>().map(Freq::units_per_month))
}
