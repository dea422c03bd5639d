//! `ciblage._native` choice of the number of clusters (conversion only;
//! see `ciblage._cluster_choose`).

use ciblage::cluster::{ChooseK, ClusterCountChoice, KMeans, KModes, KPrototypes, Preparation};
use numpy::{PyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::error::BindResult;
use crate::run::run_reporting;

/// The measures and the recommendation as a dict of columns and values.
fn to_dict<'py>(py: Python<'py>, c: &ClusterCountChoice) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    let col = |f: fn(&ciblage::cluster::KScore) -> f64| {
        PyArray1::from_vec(py, c.scores.iter().map(f).collect())
    };
    out.set_item(
        "k",
        PyArray1::from_vec(py, c.scores.iter().map(|s| s.k as i64).collect()),
    )?;
    out.set_item("inertia", col(|s| s.inertia))?;
    out.set_item("silhouette", col(|s| s.silhouette))?;
    out.set_item("calinski_harabasz", col(|s| s.calinski_harabasz))?;
    out.set_item("davies_bouldin", col(|s| s.davies_bouldin))?;
    out.set_item("recommended", c.recommended)?;
    out.set_item("reason", &c.reason)?;
    out.set_item("elbow", c.elbow)?;
    out.set_item("silhouette_rows", c.silhouette_rows)?;
    out.set_item("silhouette_sampled", c.silhouette_sampled)?;
    Ok(out)
}

/// k-means for each `k` of `k_range` on `x` (prepared as `KMeans`'s
/// `prepare=`: `log1p`, `rank`, `winsorize`, `standardize`; the measures
/// are taken in the prepared space), with the measures and the
/// recommended `k`.
#[pyfunction]
#[pyo3(signature = (x, *, k_range, n_init = Some(4), max_iter = 300, algorithm = "lloyd",
                    seed = 0, sample_size = Some(20_000), log1p = Vec::new(), rank = Vec::new(),
                    winsorize = None, standardize = false, progress = None))]
#[allow(clippy::too_many_arguments)]
pub fn choose_k<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'_, f64>,
    k_range: Vec<usize>,
    n_init: Option<usize>,
    max_iter: usize,
    algorithm: &str,
    seed: u64,
    sample_size: Option<usize>,
    log1p: Vec<usize>,
    rank: Vec<usize>,
    winsorize: Option<(f64, f64)>,
    standardize: bool,
    progress: Option<Bound<'_, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let algorithm = algorithm.parse().map_err(crate::error::BindError::from)?;
    let params = ChooseK::params()
        .k_range(k_range)
        .kmeans(
            KMeans::params()
                .n_init(n_init)
                .max_iter(max_iter)
                .algorithm(algorithm)
                .seed(seed)
                .prepare(
                    Preparation::new()
                        .log1p(log1p)
                        .rank(rank)
                        .winsorize(winsorize)
                        .standardize(standardize),
                ),
        )
        .sample_size(sample_size)
        .seed(seed);
    let xv = x.as_array();
    let choice = run_reporting(py, progress.as_ref(), |token| -> BindResult<_> {
        Ok(params.interrupt(token.clone()).score(xv)?)
    })?;
    to_dict(py, &choice)
}

/// k-prototypes for each `k` of `k_range` on mixed rows.
#[pyfunction]
#[pyo3(signature = (numeric, categorical, *, k_range, n_init = 10, max_iter = 100, gamma = None,
                    seed = 0, sample_size = Some(20_000), progress = None))]
#[allow(clippy::too_many_arguments)]
pub fn choose_k_mixed<'py>(
    py: Python<'py>,
    numeric: PyReadonlyArray2<'_, f64>,
    categorical: PyReadonlyArray2<'_, u32>,
    k_range: Vec<usize>,
    n_init: usize,
    max_iter: usize,
    gamma: Option<f64>,
    seed: u64,
    sample_size: Option<usize>,
    progress: Option<Bound<'_, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let params = ChooseK::params()
        .k_range(k_range)
        .kprototypes(
            KPrototypes::params()
                .n_init(n_init)
                .max_iter(max_iter)
                .gamma(gamma)
                .seed(seed),
        )
        .kmodes(
            KModes::params()
                .n_init(n_init)
                .max_iter(max_iter)
                .seed(seed),
        )
        .sample_size(sample_size)
        .seed(seed);
    let (num, cat) = (numeric.as_array(), categorical.as_array());
    let choice = run_reporting(py, progress.as_ref(), |token| -> BindResult<_> {
        Ok(params.interrupt(token.clone()).score_mixed(num, cat)?)
    })?;
    to_dict(py, &choice)
}
