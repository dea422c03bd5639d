//! The fit of a CART tree of several outputs (a 2-D `y`), called by
//! `cart_fit` when it is given `y_output_codes` or `y_output_values`.

use ciblage::tree::cart::{CartModel, CartParams, Features};
use ciblage::tree::{Classification, Regression};
use ciblage::CiblageError;
use numpy::PyReadonlyArray2;
use pyo3::prelude::*;

use crate::error::BindError;
use crate::run::run_reporting;

/// Fits a tree of several outputs: class codes (one column per output,
/// with `output_classes` classes each) with the `classifier` parameters,
/// or target values with the `regressor` ones.
pub(crate) fn fit_outputs(
    py: Python<'_>,
    (classifier, regressor): (CartParams<Classification>, CartParams<Regression>),
    xv: Features<'_>,
    (codes, output_classes, values): (
        Option<&PyReadonlyArray2<'_, u32>>,
        &[usize],
        Option<&PyReadonlyArray2<'_, f64>>,
    ),
    w: Option<&[f64]>,
    progress: Option<&Bound<'_, PyAny>>,
) -> PyResult<CartModel> {
    if let Some(c) = codes {
        let params = classifier;
        params.clone().check().map_err(BindError::from)?;
        let c = c.as_array();
        return run_reporting(py, progress, |token| {
            params
                .interrupt(token.clone())
                .fit_outputs(xv, c, output_classes, w)
                .map_err(BindError::from)
        });
    }
    let params = regressor;
    params.clone().check().map_err(BindError::from)?;
    let v = values
        .ok_or_else(|| BindError::from(CiblageError::param("y", "no target given")))?
        .as_array();
    run_reporting(py, progress, |token| {
        params
            .interrupt(token.clone())
            .fit_outputs(xv, v, w)
            .map_err(BindError::from)
    })
}
