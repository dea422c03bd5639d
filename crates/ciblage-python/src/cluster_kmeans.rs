//! `ciblage._native` k-means (conversion only; see `ciblage._kmeans`).

use ciblage::cluster::{KMeans, KMeansInit, KMeansModel, MiniBatch, Preparation};
use ciblage::CiblageError;
use numpy::{PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2, ToPyArray};
use pyo3::prelude::*;

use crate::error::{BindError, BindResult};
use crate::run::{guard, run, run_reporting};

/// Runs a short core call with the GIL, its error becoming our exception.
fn core<T>(work: impl FnOnce() -> Result<T, CiblageError>) -> PyResult<T> {
    guard(|| work().map_err(BindError::from))
}

/// Labels as numpy `int32` (scikit-learn's dtype of `labels_`).
fn labels<'py>(py: Python<'py>, l: &[u32]) -> Bound<'py, PyArray1<i32>> {
    PyArray1::from_vec(py, l.iter().map(|&v| v as i32).collect())
}

/// A fitted k-means model (see `ciblage.cluster.KMeans`).
#[pyclass(module = "ciblage._native", name = "KMeansModel", frozen)]
pub struct PyKMeansModel {
    inner: KMeansModel,
}

/// Fits k-means on `x` (`batch_size` set: the mini-batch mode).
#[pyfunction]
#[pyo3(signature = (x, sample_weight = None, *, n_clusters = 8, init = "k-means++",
                    init_centers = None, n_init = None, max_iter = 300, tol = 1e-4,
                    algorithm = "lloyd", seed = 0, n_threads = None, batch_size = None,
                    max_no_improvement = Some(10), init_size = None, log1p = Vec::new(),
                    rank = Vec::new(), winsorize = None, standardize = false, progress = None))]
#[allow(clippy::too_many_arguments)]
pub fn kmeans_fit(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    sample_weight: Option<PyReadonlyArray1<'_, f64>>,
    n_clusters: usize,
    init: &str,
    init_centers: Option<PyReadonlyArray2<'_, f64>>,
    n_init: Option<usize>,
    max_iter: usize,
    tol: f64,
    algorithm: &str,
    seed: u64,
    n_threads: Option<usize>,
    batch_size: Option<usize>,
    max_no_improvement: Option<usize>,
    init_size: Option<usize>,
    log1p: Vec<usize>,
    rank: Vec<usize>,
    winsorize: Option<(f64, f64)>,
    standardize: bool,
    progress: Option<Bound<'_, PyAny>>,
) -> PyResult<PyKMeansModel> {
    let init = match init_centers {
        Some(c) => KMeansInit::Centers(c.as_array().to_owned()),
        None => core(|| init.parse::<KMeansInit>())?,
    };
    let algorithm = core(|| algorithm.parse())?;
    let mini_batch = batch_size.map(|batch_size| MiniBatch {
        batch_size,
        max_no_improvement,
        init_size,
    });
    let params = KMeans::params()
        .n_clusters(n_clusters)
        .init(init)
        .n_init(n_init)
        .max_iter(max_iter)
        .tol(tol)
        .algorithm(algorithm)
        .seed(seed)
        .n_threads(n_threads)
        .mini_batch(mini_batch)
        .prepare(
            Preparation::new()
                .log1p(log1p)
                .rank(rank)
                .winsorize(winsorize)
                .standardize(standardize),
        );
    core(|| params.clone().check().map(|_| ()))?;
    let xv = x.as_array();
    // Contiguous weights are read in place (as `x`), others copied once.
    let copied: Option<Vec<f64>>;
    let w: Option<&[f64]> = match &sample_weight {
        None => None,
        Some(a) => match a.as_slice() {
            Ok(s) => Some(s),
            Err(_) => {
                copied = Some(a.as_array().to_vec());
                copied.as_deref()
            }
        },
    };
    let inner = run_reporting(py, progress.as_ref(), |token| -> BindResult<KMeansModel> {
        Ok(params.interrupt(token.clone()).fit(xv, w)?)
    })?;
    Ok(PyKMeansModel { inner })
}

#[pymethods]
impl PyKMeansModel {
    /// Reads a model saved by `to_json`.
    #[staticmethod]
    fn from_json(text: &str) -> PyResult<Self> {
        Ok(Self {
            inner: core(|| KMeansModel::from_json(text))?,
        })
    }
    /// The model as versioned JSON.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }
    /// The cluster of every fit row (int32).
    fn labels<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<i32>> {
        labels(py, self.inner.labels())
    }
    /// The centres, in the prepared space.
    fn centers<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f64>> {
        self.inner.centers().to_pyarray(py)
    }
    /// Weighted inertia of the fit rows.
    #[getter]
    fn inertia(&self) -> f64 {
        self.inner.inertia()
    }
    /// Iterations run (passes in mini-batch mode).
    #[getter]
    fn n_iter(&self) -> usize {
        self.inner.n_iter()
    }
    /// Features of the input.
    #[getter]
    fn n_features(&self) -> usize {
        self.inner.n_features()
    }
    /// Number of clusters.
    #[getter]
    fn n_clusters(&self) -> usize {
        self.inner.n_clusters()
    }
    /// The nearest centre of every row of `x` (int32).
    fn predict<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'_, f64>,
    ) -> PyResult<Bound<'py, PyArray1<i32>>> {
        let xv = x.as_array();
        let l = run(py, |_| -> BindResult<Vec<u32>> {
            Ok(self.inner.predict(xv)?)
        })?;
        Ok(labels(py, &l))
    }
    /// Distances of every row of `x` to every centre.
    fn transform<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'_, f64>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let xv = x.as_array();
        let t = run(py, |_| -> BindResult<_> { Ok(self.inner.transform(xv)?) })?;
        Ok(PyArray2::from_owned_array(py, t))
    }
    /// Weighted inertia of the rows of `x` against the centres.
    #[pyo3(signature = (x, sample_weight = None))]
    fn inertia_of(
        &self,
        py: Python<'_>,
        x: PyReadonlyArray2<'_, f64>,
        sample_weight: Option<PyReadonlyArray1<'_, f64>>,
    ) -> PyResult<f64> {
        let xv = x.as_array();
        let w: Option<Vec<f64>> = sample_weight.map(|w| w.as_array().to_vec());
        run(py, |_| -> BindResult<f64> {
            Ok(self.inner.inertia_of(xv, w.as_deref())?)
        })
    }
    /// `x` prepared as the fit data was (itself without preparation).
    fn prepare<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'_, f64>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let xv = x.as_array();
        let out = core(|| match self.inner.preparation() {
            Some(p) => p.apply(xv),
            None => Ok(xv.to_owned()),
        })?;
        Ok(PyArray2::from_owned_array(py, out))
    }
    /// Whether the model prepares its input.
    #[getter]
    fn has_preparation(&self) -> bool {
        self.inner.preparation().is_some()
    }
}
