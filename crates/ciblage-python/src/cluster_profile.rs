//! `ciblage._native` segment profile (conversion only; see
//! `ciblage._cluster_profile`).

use ciblage::cluster::{Profile, ProfileData};
use numpy::{PyArray1, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::error::BindResult;
use crate::run::run;

/// The profile of the segments of `labels`, as a dict: `segments`,
/// `size`, `share`, `revenue_share`, `margin_share`, `numeric` (a list of
/// dicts: `name`, `mean`, `median`, `lift`), `categorical` (a list of dicts:
/// `name`, `top`: per segment a list of `(code, share, lift)`), `names`.
#[pyfunction]
#[pyo3(signature = (numeric, categorical, labels, revenue = None, margin = None, *, top = 3,
                    numeric_names = None, categorical_names = None, category_names = None))]
#[allow(clippy::too_many_arguments)]
pub fn segment_profile<'py>(
    py: Python<'py>,
    numeric: PyReadonlyArray2<'_, f64>,
    categorical: PyReadonlyArray2<'_, u32>,
    labels: PyReadonlyArray1<'_, u32>,
    revenue: Option<PyReadonlyArray1<'_, f64>>,
    margin: Option<PyReadonlyArray1<'_, f64>>,
    top: usize,
    numeric_names: Option<Vec<String>>,
    categorical_names: Option<Vec<String>>,
    category_names: Option<Vec<Vec<String>>>,
) -> PyResult<Bound<'py, PyDict>> {
    let mut params = Profile::params().top(top);
    if let Some(v) = numeric_names {
        params = params.numeric_names(v);
    }
    if let Some(v) = categorical_names {
        params = params.categorical_names(v);
    }
    if let Some(v) = category_names {
        params = params.category_names(v);
    }
    let labels = labels.as_array().to_vec();
    let revenue = revenue.map(|v| v.as_array().to_vec());
    let margin = margin.map(|v| v.as_array().to_vec());
    let (num, cat) = (numeric.as_array(), categorical.as_array());
    let p = run(py, |_| -> BindResult<_> {
        let mut data = ProfileData::new(num, cat, &labels);
        data.revenue = revenue.as_deref();
        data.margin = margin.as_deref();
        Ok(params.score(&data)?)
    })?;
    let out = PyDict::new(py);
    out.set_item("segments", PyArray1::from_vec(py, p.segments.clone()))?;
    out.set_item(
        "size",
        PyArray1::from_vec(py, p.sizes.iter().map(|&c| c as i64).collect()),
    )?;
    out.set_item("share", PyArray1::from_vec(py, p.shares.clone()))?;
    out.set_item(
        "revenue_share",
        p.revenue_shares.clone().map(|v| PyArray1::from_vec(py, v)),
    )?;
    out.set_item(
        "margin_share",
        p.margin_shares.clone().map(|v| PyArray1::from_vec(py, v)),
    )?;
    let numeric = PyList::empty(py);
    for f in &p.numeric {
        let d = PyDict::new(py);
        d.set_item("name", &f.name)?;
        d.set_item("mean", PyArray1::from_vec(py, f.mean.clone()))?;
        d.set_item("median", PyArray1::from_vec(py, f.median.clone()))?;
        d.set_item("lift", PyArray1::from_vec(py, f.lift.clone()))?;
        numeric.append(d)?;
    }
    out.set_item("numeric", numeric)?;
    let categorical = PyList::empty(py);
    for f in &p.categorical {
        let d = PyDict::new(py);
        d.set_item("name", &f.name)?;
        let top: Vec<Vec<(u32, f64, f64)>> = f
            .top
            .iter()
            .map(|seg| seg.iter().map(|t| (t.code, t.share, t.lift)).collect())
            .collect();
        d.set_item("top", top)?;
        categorical.append(d)?;
    }
    out.set_item("categorical", categorical)?;
    out.set_item("names", p.names.clone())?;
    Ok(out)
}
