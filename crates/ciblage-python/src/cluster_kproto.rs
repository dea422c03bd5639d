//! `ciblage._native.kprototypes_fit`, `kmodes_fit`, `KPrototypesModel` and
//! the clustering metrics (see `ciblage.cluster`).

use ciblage::cluster::{
    adjusted_rand_score, calinski_harabasz_score, davies_bouldin_score, KModes, KPrototypes,
    KPrototypesInit, KPrototypesModel, Silhouette,
};
use numpy::{PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2, ToPyArray};
use pyo3::prelude::*;

use crate::error::BindResult;
use crate::run::{guard, run, run_reporting};

/// A fitted k-prototypes or k-modes model (see `ciblage.cluster.KPrototypes`).
#[pyclass(module = "ciblage._native", name = "KPrototypesModel", frozen)]
pub struct PyKPrototypesModel {
    inner: KPrototypesModel,
}

/// The initialisation from its name or the given prototypes.
fn init_of(
    init: &str,
    numeric: Option<PyReadonlyArray2<'_, f64>>,
    categorical: Option<PyReadonlyArray2<'_, u32>>,
) -> BindResult<KPrototypesInit> {
    Ok(match (numeric, categorical) {
        (Some(n), Some(c)) => KPrototypesInit::Given {
            numeric: n.as_array().to_owned(),
            categorical: c.as_array().to_owned(),
        },
        _ => init.parse()?,
    })
}

/// Fits k-prototypes (`numeric` rows × numeric features, `categorical`
/// rows × categorical codes); given prototypes when `init_numeric` and
/// `init_categorical` are both given.
#[pyfunction]
#[pyo3(signature = (numeric, categorical, *, sample_weight = None, n_clusters = 8, init = "Cao",
                    init_numeric = None, init_categorical = None, n_init = 10, max_iter = 100,
                    gamma = None, seed = 0, progress = None))]
#[allow(clippy::too_many_arguments)]
pub fn kprototypes_fit(
    py: Python<'_>,
    numeric: PyReadonlyArray2<'_, f64>,
    categorical: PyReadonlyArray2<'_, u32>,
    sample_weight: Option<PyReadonlyArray1<'_, f64>>,
    n_clusters: usize,
    init: &str,
    init_numeric: Option<PyReadonlyArray2<'_, f64>>,
    init_categorical: Option<PyReadonlyArray2<'_, u32>>,
    n_init: usize,
    max_iter: usize,
    gamma: Option<f64>,
    seed: u64,
    progress: Option<Bound<'_, PyAny>>,
) -> PyResult<PyKPrototypesModel> {
    guard(|| -> PyResult<_> {
        let params = KPrototypes::params()
            .n_clusters(n_clusters)
            .init(init_of(init, init_numeric, init_categorical)?)
            .n_init(n_init)
            .max_iter(max_iter)
            .gamma(gamma)
            .seed(seed);
        let (num, cat) = (numeric.as_array(), categorical.as_array());
        let w = sample_weight.as_ref().map(|w| w.as_array().to_vec());
        let inner = run_reporting(py, progress.as_ref(), |token| -> BindResult<_> {
            Ok(params
                .interrupt(token.clone())
                .fit(num, cat, w.as_deref())?)
        })?;
        Ok(PyKPrototypesModel { inner })
    })
}

/// Fits k-modes (`categorical` rows × codes); given modes with `init_modes`.
#[pyfunction]
#[pyo3(signature = (categorical, *, sample_weight = None, n_clusters = 8, init = "Cao",
                    init_modes = None, n_init = 10, max_iter = 100, seed = 0, progress = None))]
#[allow(clippy::too_many_arguments)]
pub fn kmodes_fit(
    py: Python<'_>,
    categorical: PyReadonlyArray2<'_, u32>,
    sample_weight: Option<PyReadonlyArray1<'_, f64>>,
    n_clusters: usize,
    init: &str,
    init_modes: Option<PyReadonlyArray2<'_, u32>>,
    n_init: usize,
    max_iter: usize,
    seed: u64,
    progress: Option<Bound<'_, PyAny>>,
) -> PyResult<PyKPrototypesModel> {
    guard(|| -> PyResult<_> {
        let mut params = KModes::params()
            .n_clusters(n_clusters)
            .n_init(n_init)
            .max_iter(max_iter)
            .seed(seed);
        params = match init_modes {
            Some(m) => params.init_modes(m.as_array().to_owned()),
            None => params.init(init.parse().map_err(crate::error::BindError::from)?),
        };
        let cat = categorical.as_array();
        let w = sample_weight.as_ref().map(|w| w.as_array().to_vec());
        let model = run_reporting(py, progress.as_ref(), |token| -> BindResult<_> {
            Ok(params.interrupt(token.clone()).fit(cat, w.as_deref())?)
        })?;
        Ok(PyKPrototypesModel {
            inner: model.as_prototypes().clone(),
        })
    })
}

#[pymethods]
impl PyKPrototypesModel {
    /// The cluster of each row of the fit.
    #[getter]
    fn labels<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<u32>> {
        PyArray1::from_slice(py, self.inner.labels())
    }

    /// Numeric prototypes (clusters × numeric features).
    #[getter]
    fn numeric_centers<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f64>> {
        self.inner.centers().0.to_pyarray(py)
    }

    /// Categorical prototypes (clusters × categorical features, codes).
    #[getter]
    fn categorical_centers<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<u32>> {
        self.inner.centers().1.to_pyarray(py)
    }

    /// The weight of a categorical mismatch.
    #[getter]
    fn gamma(&self) -> f64 {
        self.inner.gamma()
    }

    /// The cost of the fit.
    #[getter]
    fn inertia(&self) -> f64 {
        self.inner.inertia()
    }

    /// Passes made by the best run.
    #[getter]
    fn n_iter(&self) -> usize {
        self.inner.n_iter()
    }

    /// The nearest prototype of each row.
    fn predict<'py>(
        &self,
        py: Python<'py>,
        numeric: PyReadonlyArray2<'py, f64>,
        categorical: PyReadonlyArray2<'py, u32>,
    ) -> PyResult<Bound<'py, PyArray1<u32>>> {
        let (num, cat) = (numeric.as_array(), categorical.as_array());
        let labels = run(py, |_| -> BindResult<_> {
            Ok(self.inner.predict(num, cat)?)
        })?;
        Ok(PyArray1::from_vec(py, labels))
    }

    /// The model as versioned JSON.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// Pickles through the JSON form (unpickling validates it).
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        guard(|| -> PyResult<_> {
            let from_json = slf.get_type().getattr("from_json")?;
            Ok((from_json, (slf.get().inner.to_json(),)))
        })
    }

    /// Reads a model written by `to_json` (`str`, or `bytes` of UTF-8).
    #[staticmethod]
    fn from_json(text: &Bound<'_, PyAny>) -> PyResult<Self> {
        guard(|| -> BindResult<_> {
            let text = crate::cart::model_json(text, "k-prototypes model")?;
            Ok(Self {
                inner: KPrototypesModel::from_json(&text)?,
            })
        })
    }
}

/// The silhouette: `(score, rows_used, sampled)`.
#[pyfunction]
#[pyo3(signature = (x, labels, *, sample_size = Some(20_000), seed = 0))]
pub fn silhouette(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    labels: PyReadonlyArray1<'_, u32>,
    sample_size: Option<usize>,
    seed: u64,
) -> PyResult<(f64, usize, bool)> {
    let (x, labels) = (x.as_array(), labels.as_array().to_vec());
    let s = run(py, |token| -> BindResult<_> {
        Ok(Silhouette::params()
            .sample_size(sample_size)
            .seed(seed)
            .interrupt(token.clone())
            .score(x, &labels)?)
    })?;
    Ok((s.score, s.rows_used, s.sampled))
}

/// The Calinski–Harabasz index.
#[pyfunction]
pub fn calinski_harabasz(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    labels: PyReadonlyArray1<'_, u32>,
) -> PyResult<f64> {
    let (x, labels) = (x.as_array(), labels.as_array().to_vec());
    run(py, |_| -> BindResult<_> {
        Ok(calinski_harabasz_score(x, &labels)?)
    })
}

/// The Davies–Bouldin index.
#[pyfunction]
pub fn davies_bouldin(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    labels: PyReadonlyArray1<'_, u32>,
) -> PyResult<f64> {
    let (x, labels) = (x.as_array(), labels.as_array().to_vec());
    run(py, |_| -> BindResult<_> {
        Ok(davies_bouldin_score(x, &labels)?)
    })
}

/// The adjusted Rand index.
#[pyfunction]
pub fn adjusted_rand(
    labels_true: PyReadonlyArray1<'_, u32>,
    labels_pred: PyReadonlyArray1<'_, u32>,
) -> PyResult<f64> {
    let (a, b) = (
        labels_true.as_array().to_vec(),
        labels_pred.as_array().to_vec(),
    );
    guard(|| -> BindResult<_> { Ok(adjusted_rand_score(&a, &b)?) })
}
