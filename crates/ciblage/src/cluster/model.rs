//! The fitted k-means model: centres, labels, preparation; prediction of
//! new rows; versioned JSON read back whole and validated.

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use serde::Serialize;

use crate::cluster::kmeans_iter::{labels_of, sq_dist, Data, CHUNK};
use crate::cluster::kmeans_options::{check_finite, check_weights};
use crate::cluster::prepare::FittedPreparation;
use crate::error::{CiblageError, Result};
use crate::tree::model_file::{read_model, size_bound, write_model, Fields, ModelFile};

/// The format version of [`KMeansModel::to_json`].
pub const KMEANS_MODEL_VERSION: u32 = 1;

/// What error messages call a k-means model file.
const WHAT: &str = "k-means model";

/// A fitted k-means model ([`crate::cluster::KMeans`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KMeansModel {
    version: u32,
    n_features: usize,
    n_clusters: usize,
    /// `n_clusters × n_features`, row-major, in the prepared space.
    centers: Vec<f64>,
    labels: Vec<u32>,
    inertia: f64,
    n_iter: usize,
    prepare: Option<FittedPreparation>,
}

impl KMeansModel {
    pub(crate) fn new(
        centers: Vec<f64>,
        n_features: usize,
        labels: Vec<u32>,
        inertia: f64,
        n_iter: usize,
        prepare: Option<FittedPreparation>,
    ) -> Self {
        Self {
            version: KMEANS_MODEL_VERSION,
            n_features,
            n_clusters: centers.len() / n_features,
            centers,
            labels,
            inertia,
            n_iter,
            prepare,
        }
    }

    /// The cluster of every fit row.
    pub fn labels(&self) -> &[u32] {
        &self.labels
    }
    /// The centres (`n_clusters × n_features`), in the prepared space.
    pub fn centers(&self) -> ArrayView2<'_, f64> {
        ArrayView2::from_shape((self.n_clusters, self.n_features), &self.centers)
            .expect("centres hold n_clusters × n_features values (checked at build and load)")
    }
    /// Weighted sum of squared distances of the fit rows to their centres.
    pub fn inertia(&self) -> f64 {
        self.inertia
    }
    /// Iterations run by the kept initialisation (passes in mini-batch mode).
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }
    /// Number of clusters.
    pub fn n_clusters(&self) -> usize {
        self.n_clusters
    }
    /// Number of features of the input.
    pub fn n_features(&self) -> usize {
        self.n_features
    }
    /// The fitted preparation (`None`: none).
    pub fn preparation(&self) -> Option<&FittedPreparation> {
        self.prepare.as_ref()
    }

    /// `x` checked and prepared as the fit data was.
    fn prepared(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        if x.ncols() != self.n_features {
            return Err(CiblageError::param(
                "x",
                format!(
                    "has {} columns, expected {} (as at fit)",
                    x.ncols(),
                    self.n_features
                ),
            ));
        }
        check_finite(x, "x")?;
        match &self.prepare {
            Some(p) => {
                let out = p.apply(x)?;
                check_finite(out.view(), "x (prepared)")?;
                Ok(out)
            }
            None => Ok(x.as_standard_layout().into_owned()),
        }
    }

    /// The nearest centre of every row of `x` (prepared as at fit).
    ///
    /// # Errors
    /// [`CiblageError::InvalidParameter`] for another number of columns,
    /// [`CiblageError::NonFinite`], [`CiblageError::ValueOutOfRange`].
    pub fn predict(&self, x: ArrayView2<'_, f64>) -> Result<Vec<u32>> {
        let x = self.prepared(x)?;
        let data = rows(&x);
        Ok(labels_of(&data, &self.centers).0)
    }

    /// Euclidean distances of every row of `x` (prepared as at fit) to
    /// every centre (`rows × n_clusters`).
    ///
    /// # Errors
    /// As [`KMeansModel::predict`].
    pub fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        let x = self.prepared(x)?;
        let (k, d) = (self.n_clusters, self.n_features);
        let mut out = Array2::zeros((x.nrows(), k));
        let src = x.as_slice().unwrap_or_default();
        if let Some(dst) = out.as_slice_mut() {
            dst.par_chunks_mut(CHUNK * k)
                .zip(src.par_chunks(CHUNK * d))
                .for_each(|(o, xs)| {
                    for (orow, xrow) in o.chunks_exact_mut(k).zip(xs.chunks_exact(d)) {
                        for (v, c) in orow.iter_mut().zip(self.centers.chunks_exact(d)) {
                            *v = sq_dist(xrow, c).sqrt();
                        }
                    }
                });
        }
        Ok(out)
    }

    /// Weighted sum of squared distances of the rows of `x` to their
    /// nearest centres (scikit-learn's `score` is its opposite).
    ///
    /// # Errors
    /// As [`KMeansModel::predict`]; bad weights as at fit.
    pub fn inertia_of(&self, x: ArrayView2<'_, f64>, weights: Option<&[f64]>) -> Result<f64> {
        check_weights(weights, x.nrows())?;
        let x = self.prepared(x)?;
        let mut data = rows(&x);
        data.w = weights;
        let (_, dists) = labels_of(&data, &self.centers);
        Ok(dists
            .iter()
            .enumerate()
            .map(|(i, v)| v * data.weight(i))
            .sum())
    }

    /// Serializes the model (JSON, with a format version; labels included).
    pub fn to_json(&self) -> String {
        write_model(self)
    }

    /// Reads a model written by [`KMeansModel::to_json`], every field
    /// checked.
    ///
    /// # Errors
    /// [`CiblageError::InvalidModelFile`] naming the field at fault.
    pub fn from_json(text: &str) -> Result<Self> {
        read_model(text)
    }
}

/// Prepared rows as [`Data`] (standard layout by construction).
fn rows(x: &Array2<f64>) -> Data<'_> {
    Data {
        x: x.as_slice().unwrap_or_default(),
        n: x.nrows(),
        d: x.ncols(),
        w: None,
    }
}

impl ModelFile for KMeansModel {
    const FORMAT: &'static str = WHAT;
    const VERSION: u32 = KMEANS_MODEL_VERSION;
    const BODY: &'static [&'static str] = &[
        "n_features",
        "n_clusters",
        "centers",
        "labels",
        "inertia",
        "n_iter",
        "prepare",
    ];

    fn read_body(f: &Fields<'_>, text_len: usize) -> Result<Self> {
        let bound = size_bound(text_len);
        let n_features: usize = f.get("n_features")?;
        let n_clusters: usize = f.get("n_clusters")?;
        for (key, v) in [("n_features", n_features), ("n_clusters", n_clusters)] {
            if v == 0 || v > bound {
                return Err(f.fault(key, format!("{v} is not between 1 and {bound}")));
            }
        }
        let centers: Vec<f64> = f.list("centers", false)?;
        if centers.len() != n_clusters.saturating_mul(n_features) {
            return Err(f.fault(
                "centers",
                format!(
                    "{} values, expected n_clusters × n_features = {}",
                    centers.len(),
                    n_clusters.saturating_mul(n_features)
                ),
            ));
        }
        if let Some(v) = centers.iter().find(|v| !v.is_finite()) {
            return Err(f.fault("centers", format!("non-finite value {v}")));
        }
        let labels: Vec<u32> = f.list("labels", false)?;
        if let Some((i, l)) = labels
            .iter()
            .enumerate()
            .find(|(_, &l)| l as usize >= n_clusters)
        {
            return Err(f.fault(
                &format!("labels[{i}]"),
                format!("{l} is not below n_clusters = {n_clusters}"),
            ));
        }
        let inertia = f.shown_number("inertia")?;
        let n_iter: usize = f.get("n_iter")?;
        let prepare: Option<FittedPreparation> = f.get_or_default("prepare")?;
        Ok(Self {
            version: KMEANS_MODEL_VERSION,
            n_features,
            n_clusters,
            centers,
            labels,
            inertia,
            n_iter,
            prepare,
        })
    }

    fn validate(&self) -> Result<()> {
        if let Some(p) = &self.prepare {
            if p.n_features() != self.n_features {
                return Err(CiblageError::InvalidModelFile {
                    what: WHAT,
                    reason: format!(
                        "prepare: {} columns, expected n_features = {}",
                        p.n_features(),
                        self.n_features
                    ),
                });
            }
            p.validate()?;
        }
        Ok(())
    }
}
