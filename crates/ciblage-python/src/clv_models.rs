//! `ciblage._native` BG/BB and shifted-BG models (conversion only; see
//! `ciblage._clv_models`).

use ciblage::clv::{
    BgBb, BgBbHistories, BgBbModel, ShiftedBetaGeo, ShiftedBetaGeoModel, SurvivalCounts,
};
use ciblage::CiblageError;
use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;

use crate::churn::PyRetention;
use crate::clv::{array, core, vec};
use crate::error::BindResult;
use crate::run::run;

/// Discrete histories `(frequency, recency, opportunities)`, with their
/// weights when given.
fn discrete(
    frequency: PyReadonlyArray1<'_, f64>,
    recency: PyReadonlyArray1<'_, f64>,
    opportunities: PyReadonlyArray1<'_, f64>,
    weights: Option<PyReadonlyArray1<'_, f64>>,
) -> PyResult<BgBbHistories> {
    let (f, r, n) = (vec(frequency), vec(recency), vec(opportunities));
    let w = weights.map(vec);
    core(|| {
        let h = BgBbHistories::new(f, r, n)?;
        match w {
            Some(w) => h.with_weights(w),
            None => Ok(h),
        }
    })
}

/// A fitted BG/BB model (see `ciblage.clv.BgBb`).
#[pyclass(module = "ciblage._native", name = "BgBbModel", frozen)]
pub struct PyBgBbModel {
    inner: BgBbModel,
}

/// Fits BG/BB on histories `(frequency, recency, opportunities)`.
#[pyfunction]
#[pyo3(signature = (frequency, recency, opportunities, *, weights = None, penalizer = 0.0,
                    max_iterations = 1000))]
pub fn bg_bb_fit(
    py: Python<'_>,
    frequency: PyReadonlyArray1<'_, f64>,
    recency: PyReadonlyArray1<'_, f64>,
    opportunities: PyReadonlyArray1<'_, f64>,
    weights: Option<PyReadonlyArray1<'_, f64>>,
    penalizer: f64,
    max_iterations: usize,
) -> PyResult<PyBgBbModel> {
    let h = discrete(frequency, recency, opportunities, weights)?;
    let inner = run(py, move |token| -> BindResult<BgBbModel> {
        Ok(BgBb::params()
            .penalizer(penalizer)
            .max_iterations(max_iterations)
            .interrupt(token.clone())
            .fit(&h)?)
    })?;
    Ok(PyBgBbModel { inner })
}

#[pymethods]
impl PyBgBbModel {
    /// Reads a model saved by `to_json`.
    #[staticmethod]
    fn from_json(text: &str) -> PyResult<Self> {
        Ok(Self {
            inner: core(|| BgBbModel::from_json(text))?,
        })
    }
    /// The model as versioned JSON.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }
    /// P(alive at the next opportunity) of every history.
    fn p_alive<'py>(
        &self,
        py: Python<'py>,
        frequency: PyReadonlyArray1<'_, f64>,
        recency: PyReadonlyArray1<'_, f64>,
        opportunities: PyReadonlyArray1<'_, f64>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let h = discrete(frequency, recency, opportunities, None)?;
        Ok(array(py, core(|| self.inner.p_alive(&h))?))
    }
    /// Expected transactions in the next `horizon` opportunities.
    fn expected_purchases<'py>(
        &self,
        py: Python<'py>,
        horizon: u32,
        frequency: PyReadonlyArray1<'_, f64>,
        recency: PyReadonlyArray1<'_, f64>,
        opportunities: PyReadonlyArray1<'_, f64>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let h = discrete(frequency, recency, opportunities, None)?;
        Ok(array(
            py,
            core(|| self.inner.expected_purchases(horizon, &h))?,
        ))
    }
    /// Expected transactions of a new customer in each number of opportunities.
    fn expected_purchases_new<'py>(
        &self,
        py: Python<'py>,
        horizons: Vec<u32>,
    ) -> Bound<'py, PyArray1<f64>> {
        let v = horizons
            .iter()
            .map(|&n| self.inner.expected_purchases_new(n))
            .collect();
        array(py, v)
    }
    /// Discounted expected residual transactions of every history.
    fn dert<'py>(
        &self,
        py: Python<'py>,
        discount_rate: f64,
        frequency: PyReadonlyArray1<'_, f64>,
        recency: PyReadonlyArray1<'_, f64>,
        opportunities: PyReadonlyArray1<'_, f64>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let h = discrete(frequency, recency, opportunities, None)?;
        Ok(array(py, core(|| self.inner.dert(discount_rate, &h))?))
    }
}

/// A fitted shifted-BG model (see `ciblage.clv.ShiftedBetaGeo`).
#[pyclass(module = "ciblage._native", name = "ShiftedBetaGeoModel", frozen)]
pub struct PyShiftedBetaGeoModel {
    inner: ShiftedBetaGeoModel,
}

fn fit_sbg(
    py: Python<'_>,
    s: SurvivalCounts,
    penalizer: f64,
    max_iterations: usize,
) -> PyResult<PyShiftedBetaGeoModel> {
    let inner = run(py, move |token| -> BindResult<ShiftedBetaGeoModel> {
        Ok(ShiftedBetaGeo::params()
            .penalizer(penalizer)
            .max_iterations(max_iterations)
            .interrupt(token.clone())
            .fit(&s)?)
    })?;
    Ok(PyShiftedBetaGeoModel { inner })
}

/// Fits shifted-BG on cohort survivor tables (alive at the start of each period).
#[pyfunction]
#[pyo3(signature = (survivors, *, penalizer = 0.0, max_iterations = 1000))]
pub fn sbg_fit_survivors(
    py: Python<'_>,
    survivors: Vec<Vec<f64>>,
    penalizer: f64,
    max_iterations: usize,
) -> PyResult<PyShiftedBetaGeoModel> {
    let s = core(|| SurvivalCounts::from_survivors(&survivors))?;
    fit_sbg(py, s, penalizer, max_iterations)
}

/// Fits shifted-BG on per-customer lifetimes (periods) and censoring flags.
#[pyfunction]
#[pyo3(signature = (lifetime, censored, *, penalizer = 0.0, max_iterations = 1000))]
pub fn sbg_fit_lifetimes(
    py: Python<'_>,
    lifetime: PyReadonlyArray1<'_, f64>,
    censored: Vec<bool>,
    penalizer: f64,
    max_iterations: usize,
) -> PyResult<PyShiftedBetaGeoModel> {
    let l = vec(lifetime);
    let s = core(|| SurvivalCounts::from_lifetimes(&l, &censored))?;
    fit_sbg(py, s, penalizer, max_iterations)
}

/// Fits shifted-BG on every cohort of a retention analysis, pooled.
#[pyfunction]
#[pyo3(signature = (result, *, penalizer = 0.0, max_iterations = 1000))]
pub fn sbg_fit_retention(
    py: Python<'_>,
    result: &PyRetention,
    penalizer: f64,
    max_iterations: usize,
) -> PyResult<PyShiftedBetaGeoModel> {
    let s = SurvivalCounts::from_retention(&result.inner);
    fit_sbg(py, s, penalizer, max_iterations)
}

/// Per cohort of a retention analysis: its label, its fitted model, or
/// why it could not be fitted.
type CohortFit = (String, Option<PyShiftedBetaGeoModel>, Option<String>);

/// Fits shifted-BG on each cohort of a retention analysis.
#[pyfunction]
#[pyo3(signature = (result, *, penalizer = 0.0, max_iterations = 1000))]
pub fn sbg_fit_retention_cohorts(
    py: Python<'_>,
    result: &PyRetention,
    penalizer: f64,
    max_iterations: usize,
) -> PyResult<Vec<CohortFit>> {
    let cohorts = SurvivalCounts::by_cohort(&result.inner);
    let fits = run(py, move |token| -> BindResult<Vec<_>> {
        let params = ShiftedBetaGeo::params()
            .penalizer(penalizer)
            .max_iterations(max_iterations)
            .interrupt(token.clone())
            .check()?;
        let mut out = Vec::with_capacity(cohorts.len());
        for (label, s) in cohorts {
            match params.fit(&s) {
                Ok(m) => out.push((label, Some(m), None)),
                Err(CiblageError::Interrupted) => return Err(CiblageError::Interrupted.into()),
                Err(e) => out.push((label, None, Some(e.to_string()))),
            }
        }
        Ok(out)
    })?;
    Ok(fits
        .into_iter()
        .map(|(l, m, e)| (l, m.map(|inner| PyShiftedBetaGeoModel { inner }), e))
        .collect())
}

#[pymethods]
impl PyShiftedBetaGeoModel {
    /// Reads a model saved by `to_json`.
    #[staticmethod]
    fn from_json(text: &str) -> PyResult<Self> {
        Ok(Self {
            inner: core(|| ShiftedBetaGeoModel::from_json(text))?,
        })
    }
    /// The model as versioned JSON.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }
    /// Retention rate of each period `t` (1 or more).
    fn retention_rate<'py>(&self, py: Python<'py>, t: Vec<u32>) -> Bound<'py, PyArray1<f64>> {
        array(
            py,
            t.iter().map(|&t| self.inner.retention_rate(t)).collect(),
        )
    }
    /// Survival S(t) after each number of periods `t`.
    fn survival<'py>(&self, py: Python<'py>, t: Vec<u32>) -> Bound<'py, PyArray1<f64>> {
        array(py, t.iter().map(|&t| self.inner.survival(t)).collect())
    }
    /// P(T = t) for each `t`.
    fn churn_probability<'py>(&self, py: Python<'py>, t: Vec<u32>) -> Bound<'py, PyArray1<f64>> {
        array(
            py,
            t.iter().map(|&t| self.inner.churn_probability(t)).collect(),
        )
    }
    /// Expected lifetime of a new customer (periods; inf when alpha <= 1).
    fn expected_lifetime(&self) -> f64 {
        self.inner.expected_lifetime()
    }
    /// Discounted expected residual lifetime after each number of renewals.
    fn derl<'py>(
        &self,
        py: Python<'py>,
        discount_rate: f64,
        renewals: Vec<u32>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let v = core(|| {
            renewals
                .iter()
                .map(|&n| self.inner.derl(discount_rate, n))
                .collect::<Result<Vec<f64>, _>>()
        })?;
        Ok(array(py, v))
    }
}
