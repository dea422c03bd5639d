//! `ciblage._native` CLV covariate models and prediction intervals
//! (conversion only; see `ciblage.clv`).

use ciblage::clv::{
    block_diagonal, BgNbdModel, Bootstrap, BoundCovariates, ClvCovariates, CovariateClv,
    CovariateClvModel, GammaGammaModel, Histories, Intervals, MbgNbdModel, ParetoNbdModel, Perturb,
};
use ciblage::ndarray::{Array2, ArrayView2};
use ciblage::CiblageError;
use numpy::{PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2, ToPyArray};
use pyo3::prelude::*;

use crate::clv::{array, core, histories, histories_with, Model, PyClvModel};
use crate::error::{BindError, BindResult};
use crate::run::{run, run_reporting};

/// A covariate table from a matrix and its column names.
fn covariates(values: PyReadonlyArray2<'_, f64>, names: Vec<String>) -> PyResult<ClvCovariates> {
    let v = values.as_array().to_owned();
    core(|| ClvCovariates::new(v.view(), &names))
}

/// A fitted BG/NBD or Pareto/NBD model with covariates.
#[pyclass(module = "ciblage._native", name = "ClvCovModel", frozen)]
pub struct PyClvCovModel {
    inner: CovariateClvModel,
}

/// Fits a model with covariates: `kind` is `"bg_nbd"` or `"pareto_nbd"`;
/// `covariates` has one row per history, columns named by `names`.
#[pyfunction]
#[pyo3(signature = (kind, frequency, recency, t, covariates, names, *, trans, life, weights = None,
                    penalizer = 0.0, max_iterations = 1000))]
#[allow(clippy::too_many_arguments)]
pub fn clv_cov_fit(
    py: Python<'_>,
    kind: &str,
    frequency: PyReadonlyArray1<'_, f64>,
    recency: PyReadonlyArray1<'_, f64>,
    t: PyReadonlyArray1<'_, f64>,
    covariates: PyReadonlyArray2<'_, f64>,
    names: Vec<String>,
    trans: Vec<String>,
    life: Vec<String>,
    weights: Option<PyReadonlyArray1<'_, f64>>,
    penalizer: f64,
    max_iterations: usize,
) -> PyResult<PyClvCovModel> {
    let h = histories_with(frequency, recency, t, None, weights)?;
    let cov = self::covariates(covariates, names)?;
    let params = match kind {
        "bg_nbd" => CovariateClv::bg_nbd(),
        "pareto_nbd" => CovariateClv::pareto_nbd(),
        other => {
            return Err(BindError::Core(CiblageError::param(
                "kind",
                format!("expected \"bg_nbd\" or \"pareto_nbd\", got {other:?}"),
            ))
            .into())
        }
    };
    let inner = run(py, move |token| -> BindResult<CovariateClvModel> {
        Ok(params
            .trans(&trans)
            .life(&life)
            .penalizer(penalizer)
            .max_iterations(max_iterations)
            .interrupt(token.clone())
            .fit(&h, &cov)?)
    })?;
    Ok(PyClvCovModel { inner })
}

#[pymethods]
impl PyClvCovModel {
    /// Reads a model saved by `to_json`.
    #[staticmethod]
    fn from_json(text: &str) -> PyResult<Self> {
        Ok(Self {
            inner: core(|| CovariateClvModel::from_json(text))?,
        })
    }
    /// The model as versioned JSON.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }
    /// Covariance of (ln base parameters, coefficients), if known.
    fn covariance<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyArray2<f64>>> {
        self.inner.covariance().map(|c| c.to_pyarray(py))
    }
    /// P(alive) of every history with its covariate row.
    fn p_alive<'py>(
        &self,
        py: Python<'py>,
        frequency: PyReadonlyArray1<'_, f64>,
        recency: PyReadonlyArray1<'_, f64>,
        t: PyReadonlyArray1<'_, f64>,
        covariates: PyReadonlyArray2<'_, f64>,
        names: Vec<String>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let h = histories(frequency, recency, t)?;
        let cov = self::covariates(covariates, names)?;
        Ok(array(py, core(|| self.inner.p_alive(&h, &cov))?))
    }
    /// Conditional expected purchases over `horizon`.
    #[allow(clippy::too_many_arguments)]
    fn expected_purchases<'py>(
        &self,
        py: Python<'py>,
        horizon: f64,
        frequency: PyReadonlyArray1<'_, f64>,
        recency: PyReadonlyArray1<'_, f64>,
        t: PyReadonlyArray1<'_, f64>,
        covariates: PyReadonlyArray2<'_, f64>,
        names: Vec<String>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let h = histories(frequency, recency, t)?;
        let cov = self::covariates(covariates, names)?;
        Ok(array(
            py,
            core(|| self.inner.expected_purchases(horizon, &h, &cov))?,
        ))
    }
    /// Expected purchases over `horizon` of a new customer per covariate row.
    fn expected_purchases_new<'py>(
        &self,
        py: Python<'py>,
        horizon: f64,
        covariates: PyReadonlyArray2<'_, f64>,
        names: Vec<String>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let cov = self::covariates(covariates, names)?;
        Ok(array(
            py,
            core(|| self.inner.expected_purchases_new(horizon, &cov))?,
        ))
    }
}

/// Covariance of the log-parameters of a model fitted on these histories.
#[pyfunction]
#[pyo3(signature = (model, frequency, recency, t, *, monetary_value = None, weights = None))]
pub fn clv_log_covariance<'py>(
    py: Python<'py>,
    model: &PyClvModel,
    frequency: PyReadonlyArray1<'_, f64>,
    recency: PyReadonlyArray1<'_, f64>,
    t: PyReadonlyArray1<'_, f64>,
    monetary_value: Option<PyReadonlyArray1<'_, f64>>,
    weights: Option<PyReadonlyArray1<'_, f64>>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let h = histories_with(frequency, recency, t, monetary_value, weights)?;
    let c = core(|| match &model.inner {
        Model::BgNbd(m) => m.log_covariance(&h),
        Model::MbgNbd(m) => m.log_covariance(&h),
        Model::ParetoNbd(m) => m.log_covariance(&h),
        Model::GammaGamma(m) => m.log_covariance(&h),
    })?;
    Ok(c.to_pyarray(py))
}

/// Per-customer purchase predictions of the models an interval can be
/// drawn for (the covariate model reads the customer's covariate row).
trait Purchases: Perturb + Clone {
    fn p_alive_i(&self, z: Option<&BoundCovariates>, i: usize, h: &Histories) -> f64;
    fn expected_i(&self, z: Option<&BoundCovariates>, i: usize, horizon: f64, h: &Histories)
        -> f64;
}

macro_rules! base_purchases {
    ($t:ty) => {
        impl Purchases for $t {
            fn p_alive_i(&self, _: Option<&BoundCovariates>, i: usize, h: &Histories) -> f64 {
                self.p_alive_one(h.frequency()[i], h.recency()[i], h.t()[i])
            }
            fn expected_i(
                &self,
                _: Option<&BoundCovariates>,
                i: usize,
                horizon: f64,
                h: &Histories,
            ) -> f64 {
                self.expected_purchases_one(horizon, h.frequency()[i], h.recency()[i], h.t()[i])
            }
        }
    };
}
base_purchases!(BgNbdModel);
base_purchases!(MbgNbdModel);
base_purchases!(ParetoNbdModel);

impl Purchases for CovariateClvModel {
    fn p_alive_i(&self, z: Option<&BoundCovariates>, i: usize, h: &Histories) -> f64 {
        z.map_or(f64::NAN, |z| {
            self.customer(z, i)
                .p_alive_one(h.frequency()[i], h.recency()[i], h.t()[i])
        })
    }
    fn expected_i(
        &self,
        z: Option<&BoundCovariates>,
        i: usize,
        horizon: f64,
        h: &Histories,
    ) -> f64 {
        z.map_or(f64::NAN, |z| {
            self.customer(z, i).expected_purchases_one(
                horizon,
                h.frequency()[i],
                h.recency()[i],
                h.t()[i],
            )
        })
    }
}

/// What an interval is asked for, with the prediction's options.
struct Ask<'a> {
    what: &'a str,
    horizon: f64,
    months: usize,
    discount_rate: f64,
    units_per_month: f64,
    bootstrap: ciblage::clv::BootstrapValidParams,
}

/// Discounted CLV of customer `i` as `GammaGammaModel::clv`.
fn clv_i<P: Purchases>(
    p: &P,
    g: &GammaGammaModel,
    z: Option<&BoundCovariates>,
    i: usize,
    h: &Histories,
    m: &[f64],
    ask: &Ask<'_>,
) -> f64 {
    let spend = g.expected_average_spend_one(h.frequency()[i], m[i]);
    let (mut value, mut before) = (0.0, 0.0);
    for month in 1..=ask.months {
        let now = p.expected_i(z, i, month as f64 * ask.units_per_month, h);
        value += spend * (now - before) / (1.0 + ask.discount_rate).powi(month as i32);
        before = now;
    }
    value
}

fn purchase_interval<P: Purchases>(
    p: &P,
    pcov: ArrayView2<'_, f64>,
    spend: Option<(&GammaGammaModel, ArrayView2<'_, f64>)>,
    z: Option<&BoundCovariates>,
    h: &Histories,
    ask: &Ask<'_>,
) -> Result<Intervals, CiblageError> {
    let b = &ask.bootstrap;
    let n = h.len();
    match ask.what {
        "p_alive" => b.score(p, pcov, n, |m, i| m.p_alive_i(z, i, h)),
        "expected_purchases" => b.score(p, pcov, n, |m, i| m.expected_i(z, i, ask.horizon, h)),
        "clv" => {
            let (g, gcov) = spend.ok_or_else(|| CiblageError::param("spend", "a Gamma-Gamma model is needed"))?;
            let m = h
                .monetary_value()
                .ok_or_else(|| CiblageError::param("monetary_value", "needed for CLV"))?;
            let cov = block_diagonal(pcov, gcov);
            let pair = (p.clone(), g.clone());
            b.score(&pair, cov.view(), n, |(pm, gm), i| clv_i(pm, gm, z, i, h, m, ask))
        }
        other => Err(CiblageError::param(
            "what",
            format!("expected \"p_alive\", \"expected_purchases\", \"expected_average_spend\" or \"clv\", got {other:?}"),
        )),
    }
}

/// Estimate, low and high bound per customer.
type Triple<'py> = (
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
);

/// Interval of a per-customer prediction (`what`: `"p_alive"`,
/// `"expected_purchases"`, `"expected_average_spend"`, `"clv"`) by
/// parametric bootstrap: returns (estimate, low, high). `progress` (a
/// callable taking `(done, total)`, or None) follows the predictions made.
#[pyfunction]
#[pyo3(signature = (what, purchases, purchases_covariance, spend, spend_covariance, frequency, recency, t, *,
                    monetary_value = None, covariates = None, names = None, horizon = 0.0, months = 12,
                    discount_rate = 0.0, units_per_month = 1.0, draws = 1000, level = 0.9, seed = 0,
                    progress = None))]
#[allow(clippy::too_many_arguments)]
pub fn clv_interval<'py>(
    py: Python<'py>,
    what: &str,
    purchases: Option<&Bound<'py, PyAny>>,
    purchases_covariance: Option<PyReadonlyArray2<'py, f64>>,
    spend: Option<&Bound<'py, PyClvModel>>,
    spend_covariance: Option<PyReadonlyArray2<'py, f64>>,
    frequency: PyReadonlyArray1<'py, f64>,
    recency: PyReadonlyArray1<'py, f64>,
    t: PyReadonlyArray1<'py, f64>,
    monetary_value: Option<PyReadonlyArray1<'py, f64>>,
    covariates: Option<PyReadonlyArray2<'py, f64>>,
    names: Option<Vec<String>>,
    horizon: f64,
    months: usize,
    discount_rate: f64,
    units_per_month: f64,
    draws: usize,
    level: f64,
    seed: u64,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<Triple<'py>> {
    let h = histories_with(frequency, recency, t, monetary_value, None)?;
    let pcov: Option<Array2<f64>> = purchases_covariance.map(|c| c.as_array().to_owned());
    let gcov: Option<Array2<f64>> = spend_covariance.map(|c| c.as_array().to_owned());
    let cov_table = match (covariates, names) {
        (Some(c), Some(n)) => Some(self::covariates(c, n)?),
        _ => None,
    };
    let spend_model: Option<GammaGammaModel> = match spend {
        None => None,
        Some(s) => match &s.get().inner {
            Model::GammaGamma(g) => Some(g.clone()),
            _ => {
                return Err(BindError::Core(CiblageError::param(
                    "spend",
                    "expected a Gamma-Gamma model",
                ))
                .into())
            }
        },
    };
    enum Purchase {
        Bg(BgNbdModel),
        Mbg(MbgNbdModel),
        Pn(ParetoNbdModel),
        Cov(CovariateClvModel),
    }
    let purchase = match purchases {
        None => None,
        Some(obj) => {
            if let Ok(m) = obj.cast::<PyClvCovModel>() {
                Some(Purchase::Cov(m.get().inner.clone()))
            } else if let Ok(m) = obj.cast::<PyClvModel>() {
                match &m.get().inner {
                    Model::BgNbd(b) => Some(Purchase::Bg(b.clone())),
                    Model::MbgNbd(b) => Some(Purchase::Mbg(b.clone())),
                    Model::ParetoNbd(p) => Some(Purchase::Pn(p.clone())),
                    Model::GammaGamma(_) => None,
                }
            } else {
                None
            }
        }
    };
    // Checked with the GIL: a bad parameter raises before any work.
    core(|| {
        Bootstrap::params()
            .draws(draws)
            .level(level)
            .seed(seed)
            .check()
    })?;
    let what = what.to_owned();
    let out = run_reporting(
        py,
        progress.as_ref(),
        move |token| -> BindResult<Intervals> {
            let ask = Ask {
                what: &what,
                horizon,
                months,
                discount_rate,
                units_per_month,
                bootstrap: Bootstrap::params()
                    .draws(draws)
                    .level(level)
                    .seed(seed)
                    .interrupt(token.clone())
                    .check()?,
            };
            let missing = |name: &'static str| {
                CiblageError::param(name, "not available: fit the model first")
            };
            let spend = match (&spend_model, &gcov) {
                (Some(g), Some(c)) => Some((g, c.view())),
                _ => None,
            };
            if ask.what == "expected_average_spend" {
                let (g, c) = spend.ok_or_else(|| missing("spend_covariance"))?;
                let m = h
                    .monetary_value()
                    .ok_or_else(|| CiblageError::param("monetary_value", "needed for spend"))?;
                return Ok(ask.bootstrap.score(g, c, h.len(), |g, i| {
                    g.expected_average_spend_one(h.frequency()[i], m[i])
                })?);
            }
            let pcov = pcov
                .as_ref()
                .ok_or_else(|| missing("purchases_covariance"))?;
            Ok(
                match purchase.as_ref().ok_or_else(|| missing("purchases"))? {
                    Purchase::Bg(m) => purchase_interval(m, pcov.view(), spend, None, &h, &ask)?,
                    Purchase::Mbg(m) => purchase_interval(m, pcov.view(), spend, None, &h, &ask)?,
                    Purchase::Pn(m) => purchase_interval(m, pcov.view(), spend, None, &h, &ask)?,
                    Purchase::Cov(m) => {
                        let table = cov_table.as_ref().ok_or_else(|| {
                            CiblageError::param("covariates", "the model has covariates: give them")
                        })?;
                        let z = m.bind(table, h.len())?;
                        purchase_interval(m, pcov.view(), spend, Some(&z), &h, &ask)?
                    }
                },
            )
        },
    )?;
    Ok((
        PyArray1::from_vec(py, out.estimate),
        PyArray1::from_vec(py, out.low),
        PyArray1::from_vec(py, out.high),
    ))
}
