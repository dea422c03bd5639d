//! The fitted k-prototypes model: prototypes, labels, cost; prediction and
//! its JSON form (versioned, checked whole at load).

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{CiblageError, Result};

/// Version of the JSON form written by [`KPrototypesModel::to_json`].
pub const KPROTOTYPES_MODEL_VERSION: u32 = 1;

/// What the JSON form calls itself.
const FORMAT: &str = "ciblage k-prototypes model";

/// A fitted k-prototypes (or k-modes) model.
#[derive(Debug, Clone, PartialEq)]
pub struct KPrototypesModel {
    numeric_centers: Array2<f64>,
    categorical_centers: Array2<u32>,
    gamma: f64,
    labels: Vec<u32>,
    inertia: f64,
    n_iter: usize,
}

/// The JSON form.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    format: String,
    version: u32,
    n_clusters: usize,
    n_numeric: usize,
    n_categorical: usize,
    numeric_centers: Vec<f64>,
    categorical_centers: Vec<u32>,
    gamma: f64,
    labels: Vec<u32>,
    inertia: f64,
    n_iter: usize,
}

impl KPrototypesModel {
    pub(crate) fn new(
        numeric_centers: Array2<f64>,
        categorical_centers: Array2<u32>,
        gamma: f64,
        labels: Vec<u32>,
        inertia: f64,
        n_iter: usize,
    ) -> Self {
        Self {
            numeric_centers,
            categorical_centers,
            gamma,
            labels,
            inertia,
            n_iter,
        }
    }

    /// The cluster of each row of the fit (0-based).
    pub fn labels(&self) -> &[u32] {
        &self.labels
    }

    /// The prototypes: numeric means (clusters × numeric features) and
    /// categorical modes (clusters × categorical features, codes).
    pub fn centers(&self) -> (ArrayView2<'_, f64>, ArrayView2<'_, u32>) {
        (self.numeric_centers.view(), self.categorical_centers.view())
    }

    /// Number of clusters.
    pub fn n_clusters(&self) -> usize {
        self.numeric_centers.nrows()
    }

    /// The weight of a categorical mismatch (given or computed).
    pub fn gamma(&self) -> f64 {
        self.gamma
    }

    /// The (weighted) cost of the fit: the sum over rows of their cost in
    /// their cluster.
    pub fn inertia(&self) -> f64 {
        self.inertia
    }

    /// Passes over the rows made by the best run.
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }

    /// The nearest prototype of each row (the first among equal costs);
    /// a category never seen at fit matches no mode.
    ///
    /// # Errors
    /// [`CiblageError::LengthMismatch`] for inputs of different lengths or
    /// [`CiblageError::InvalidParameter`] for the wrong number of features,
    /// [`CiblageError::NonFinite`] for a NaN or infinite numeric value.
    pub fn predict(
        &self,
        numeric: ArrayView2<'_, f64>,
        categorical: ArrayView2<'_, u32>,
    ) -> Result<Vec<u32>> {
        Ok(self
            .costs(numeric, categorical)?
            .into_iter()
            .map(|(l, _)| l)
            .collect())
    }

    /// The nearest prototype of each row and its cost there.
    pub(crate) fn costs(
        &self,
        numeric: ArrayView2<'_, f64>,
        categorical: ArrayView2<'_, u32>,
    ) -> Result<Vec<(u32, f64)>> {
        let (p, q) = (
            self.numeric_centers.ncols(),
            self.categorical_centers.ncols(),
        );
        if numeric.ncols() != p || categorical.ncols() != q {
            return Err(CiblageError::InvalidParameter {
                name: "X",
                reason: format!(
                    "{} numeric and {} categorical features, the model was fitted on {p} and {q}",
                    numeric.ncols(),
                    categorical.ncols()
                ),
            });
        }
        let n = categorical.nrows();
        if numeric.nrows() != n {
            return Err(CiblageError::LengthMismatch {
                argument: "numeric".into(),
                expected: n,
                got: numeric.nrows(),
            });
        }
        if let Some((i, v)) = numeric
            .rows()
            .into_iter()
            .enumerate()
            .find_map(|(i, r)| r.iter().find(|v| !v.is_finite()).map(|v| (i, *v)))
        {
            return Err(CiblageError::NonFinite {
                argument: "numeric".into(),
                row: i,
                value: v,
            });
        }
        Ok((0..n)
            .into_par_iter()
            .with_min_len(1024)
            .map(|i| {
                let (x, z) = (numeric.row(i), categorical.row(i));
                let mut best = (0u32, f64::INFINITY);
                for c in 0..self.n_clusters() {
                    let mut num = 0.0;
                    for (a, b) in self.numeric_centers.row(c).iter().zip(x.iter()) {
                        num += (a - b) * (a - b);
                    }
                    let mismatches = self
                        .categorical_centers
                        .row(c)
                        .iter()
                        .zip(z.iter())
                        .filter(|(a, b)| a != b)
                        .count();
                    let v = num + self.gamma * mismatches as f64;
                    if v < best.1 || c == 0 {
                        best = (c as u32, v);
                    }
                }
                best
            })
            .collect())
    }

    /// The JSON form (with a format name and version).
    pub fn to_json(&self) -> String {
        let file = File {
            format: FORMAT.into(),
            version: KPROTOTYPES_MODEL_VERSION,
            n_clusters: self.n_clusters(),
            n_numeric: self.numeric_centers.ncols(),
            n_categorical: self.categorical_centers.ncols(),
            numeric_centers: self.numeric_centers.iter().copied().collect(),
            categorical_centers: self.categorical_centers.iter().copied().collect(),
            gamma: self.gamma,
            labels: self.labels.clone(),
            inertia: self.inertia,
            n_iter: self.n_iter,
        };
        serde_json::to_string(&file).unwrap_or_else(|e| unreachable!("{e}"))
    }

    /// Reads the form written by [`KPrototypesModel::to_json`], every field
    /// checked before the model is used.
    ///
    /// # Errors
    /// [`CiblageError::InvalidModelFile`] naming what is wrong.
    pub fn from_json(text: &str) -> Result<Self> {
        let bad = |reason: String| CiblageError::InvalidModelFile {
            what: "k-prototypes model",
            reason,
        };
        let f: File =
            serde_json::from_str(text).map_err(|e| bad(format!("not a model file: {e}")))?;
        if f.format != FORMAT {
            return Err(bad(format!("format {:?}, expected {FORMAT:?}", f.format)));
        }
        if f.version != KPROTOTYPES_MODEL_VERSION {
            return Err(bad(format!(
                "version {}, this ciblage reads version {KPROTOTYPES_MODEL_VERSION}",
                f.version
            )));
        }
        let k = f.n_clusters;
        if k == 0 {
            return Err(bad("n_clusters is 0".into()));
        }
        if f.n_categorical == 0 && f.n_numeric == 0 {
            return Err(bad("no feature".into()));
        }
        let sized = |n: usize, w: usize| n.checked_mul(w);
        if sized(k, f.n_numeric) != Some(f.numeric_centers.len()) {
            return Err(bad(
                "numeric_centers: size differs from n_clusters × n_numeric".into(),
            ));
        }
        if sized(k, f.n_categorical) != Some(f.categorical_centers.len()) {
            return Err(bad(
                "categorical_centers: size differs from n_clusters × n_categorical".into(),
            ));
        }
        if f.numeric_centers.iter().any(|v| !v.is_finite()) {
            return Err(bad("numeric_centers: non-finite value".into()));
        }
        if !f.gamma.is_finite() || f.gamma < 0.0 {
            return Err(bad(format!(
                "gamma {} is not a finite number >= 0",
                f.gamma
            )));
        }
        if !f.inertia.is_finite() || f.inertia < 0.0 {
            return Err(bad(format!(
                "inertia {} is not a finite number >= 0",
                f.inertia
            )));
        }
        if let Some(l) = f.labels.iter().find(|&&l| l as usize >= k) {
            return Err(bad(format!("labels: cluster {l} of {k}")));
        }
        let num = Array2::from_shape_vec((k, f.n_numeric), f.numeric_centers)
            .map_err(|e| bad(e.to_string()))?;
        let cat = Array2::from_shape_vec((k, f.n_categorical), f.categorical_centers)
            .map_err(|e| bad(e.to_string()))?;
        Ok(Self::new(num, cat, f.gamma, f.labels, f.inertia, f.n_iter))
    }
}
