//! `ciblage._native` segment stability (conversion only; see
//! `ciblage._cluster_stability`).

use ciblage::cluster::{KMeans, Preparation, Stability};
use numpy::{PyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::error::{BindError, BindResult};
use crate::run::run_reporting;

/// k-means on `x` and on `n_resamples` bootstrap resamples, as a dict:
/// `labels`, `ari`, `mean_ari`, `segment_jaccard`, `unstable`,
/// `resamples` (`None`, or a list of `(rows, labels)`). Each k-means first
/// prepares its rows as `KMeans`'s `prepare=` (`log1p`, `rank`,
/// `winsorize`, `standardize`).
#[pyfunction]
#[pyo3(signature = (x, *, n_clusters, n_resamples = 20, threshold = 0.6, seed = 0,
                    kmeans_seed = 0, n_init = Some(4), max_iter = 300, algorithm = "lloyd",
                    keep_resamples = false, log1p = Vec::new(), rank = Vec::new(),
                    winsorize = None, standardize = false, progress = None))]
#[allow(clippy::too_many_arguments)]
pub fn cluster_stability<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'_, f64>,
    n_clusters: usize,
    n_resamples: usize,
    threshold: f64,
    seed: u64,
    kmeans_seed: u64,
    n_init: Option<usize>,
    max_iter: usize,
    algorithm: &str,
    keep_resamples: bool,
    log1p: Vec<usize>,
    rank: Vec<usize>,
    winsorize: Option<(f64, f64)>,
    standardize: bool,
    progress: Option<Bound<'_, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let algorithm = algorithm.parse().map_err(BindError::from)?;
    let params = Stability::params()
        .kmeans(
            KMeans::params()
                .n_clusters(n_clusters)
                .n_init(n_init)
                .max_iter(max_iter)
                .algorithm(algorithm)
                .seed(kmeans_seed)
                .prepare(
                    Preparation::new()
                        .log1p(log1p)
                        .rank(rank)
                        .winsorize(winsorize)
                        .standardize(standardize),
                ),
        )
        .n_resamples(n_resamples)
        .threshold(threshold)
        .seed(seed)
        .keep_resamples(keep_resamples);
    let xv = x.as_array();
    let s = run_reporting(py, progress.as_ref(), |token| -> BindResult<_> {
        Ok(params.interrupt(token.clone()).score(xv)?)
    })?;
    let out = PyDict::new(py);
    out.set_item("labels", PyArray1::from_vec(py, s.labels.clone()))?;
    out.set_item("ari", PyArray1::from_vec(py, s.ari.clone()))?;
    out.set_item("mean_ari", s.mean_ari)?;
    out.set_item(
        "segment_jaccard",
        PyArray1::from_vec(py, s.segment_jaccard.clone()),
    )?;
    out.set_item("unstable", s.unstable.clone())?;
    match &s.resamples {
        None => out.set_item("resamples", py.None())?,
        Some(all) => {
            let list = PyList::empty(py);
            for r in all {
                let rows: Vec<i64> = r.rows.iter().map(|&i| i as i64).collect();
                list.append((
                    PyArray1::from_vec(py, rows),
                    PyArray1::from_vec(py, r.labels.clone()),
                ))?;
            }
            out.set_item("resamples", list)?;
        }
    }
    Ok(out)
}
