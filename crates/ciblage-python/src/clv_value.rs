//! `ciblage._native` CLV value functions: the per-customer value table,
//! P(alive) at a future date and DERT (conversion only; see
//! `ciblage.clv.customer_value`).

use ciblage::clv::{CustomerValue, Discounting, FittedPurchaseModel, Freq, PurchaseModelKind};
use ciblage::CiblageError;
use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::clv::{array, core, histories, histories_with, with_purchases, Model, PyClvModel};
use crate::error::BindResult;
use crate::run::run;

/// The per-customer value table of histories with monetary values: a dict
/// of columns (and `spend_left_out`, a count), the fitted purchase model
/// and the fitted spend model.
#[pyfunction]
#[pyo3(signature = (frequency, recency, t, monetary_value, *, freq, model = "bgnbd", horizon = 12,
                    discount_rate = 0.01, discounting = "monthly", penalizer = 0.0,
                    spend_penalizer = 0.0, max_iterations = 1000))]
#[allow(clippy::too_many_arguments)]
pub fn clv_customer_value<'py>(
    py: Python<'py>,
    frequency: PyReadonlyArray1<'_, f64>,
    recency: PyReadonlyArray1<'_, f64>,
    t: PyReadonlyArray1<'_, f64>,
    monetary_value: PyReadonlyArray1<'_, f64>,
    freq: &str,
    model: &str,
    horizon: usize,
    discount_rate: f64,
    discounting: &str,
    penalizer: f64,
    spend_penalizer: f64,
    max_iterations: usize,
) -> PyResult<(Bound<'py, PyDict>, PyClvModel, PyClvModel)> {
    let freq = core(|| freq.parse::<Freq>())?;
    let kind = core(|| model.parse::<PurchaseModelKind>())?;
    let discounting = core(|| discounting.parse::<Discounting>())?;
    let h = histories_with(frequency, recency, t, Some(monetary_value), None)?;
    let params = CustomerValue::params()
        .model(kind)
        .horizon(horizon)
        .discount_rate(discount_rate)
        .discounting(discounting)
        .penalizer(penalizer)
        .spend_penalizer(spend_penalizer)
        .max_iterations(max_iterations);
    let values = run(py, move |token| -> BindResult<_> {
        Ok(params
            .interrupt(token.clone())
            .check()?
            .score_histories(&h, freq)?)
    })?;
    let out = PyDict::new(py);
    for (name, column) in [
        ("p_alive", values.p_alive()),
        ("expected_purchases", values.expected_purchases()),
        ("expected_spend", values.expected_spend()),
        ("clv", values.clv()),
    ] {
        out.set_item(name, array(py, column.to_vec()))?;
    }
    out.set_item("spend_left_out", values.spend_left_out())?;
    let purchases = match values.purchase_model() {
        FittedPurchaseModel::BgNbd(m) => Model::BgNbd(m.clone()),
        FittedPurchaseModel::ParetoNbd(m) => Model::ParetoNbd(m.clone()),
        FittedPurchaseModel::MbgNbd(m) => Model::MbgNbd(m.clone()),
    };
    Ok((
        out,
        PyClvModel { inner: purchases },
        PyClvModel {
            inner: Model::GammaGamma(values.spend_model().clone()),
        },
    ))
}

/// P(alive) of every history `t_ahead` units of time after its end, given
/// no purchase meanwhile.
#[pyfunction]
pub fn clv_p_alive_at<'py>(
    py: Python<'py>,
    model: &PyClvModel,
    t_ahead: f64,
    frequency: PyReadonlyArray1<'_, f64>,
    recency: PyReadonlyArray1<'_, f64>,
    t: PyReadonlyArray1<'_, f64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let h = histories(frequency, recency, t)?;
    let v = with_purchases!(&model.inner, m => core(|| m.p_alive_at(t_ahead, &h))?);
    Ok(array(py, v))
}

/// DERT of every history: continuous discount rate `delta` per unit of
/// time over `horizon` units of time (`None`: no end).
#[pyfunction]
#[pyo3(signature = (model, delta, horizon, frequency, recency, t))]
pub fn clv_dert<'py>(
    py: Python<'py>,
    model: &PyClvModel,
    delta: f64,
    horizon: Option<f64>,
    frequency: PyReadonlyArray1<'_, f64>,
    recency: PyReadonlyArray1<'_, f64>,
    t: PyReadonlyArray1<'_, f64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let h = histories(frequency, recency, t)?;
    let inner = &model.inner;
    model.purchases()?;
    let v = py.detach(|| -> Result<Vec<f64>, CiblageError> {
        match inner {
            Model::BgNbd(m) => m.dert(delta, horizon, &h),
            Model::MbgNbd(m) => m.dert(delta, horizon, &h),
            Model::ParetoNbd(m) => m.dert(delta, horizon, &h),
            Model::GammaGamma(_) => Ok(Vec::new()),
        }
    });
    Ok(array(py, core(|| v)?))
}
