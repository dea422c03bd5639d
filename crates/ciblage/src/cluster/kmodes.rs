//! k-modes (Huang 1998): clusters of rows described by categorical
//! features only; the cost of a row in a cluster is the number of its
//! features that differ from the cluster's modes.
//!
//! It is k-prototypes without numeric features (see
//! [`crate::cluster::kprototypes`] for the algorithm, the initialisations
//! and the tie rules), with the same defaults as the `kmodes` package.
//!
//! ```
//! use ciblage::cluster::KModes;
//! use ciblage::ndarray::array;
//!
//! let x = array![[0u32, 0], [0, 0], [0, 1], [2, 3], [2, 3], [1, 3]];
//! let model = KModes::params().n_clusters(2).seed(1).fit(x.view(), None)?;
//! let labels = model.labels();
//! assert_eq!(labels[0], labels[1]);
//! assert_ne!(labels[0], labels[3]);
//! assert_eq!(model.inertia(), 2.0);
//! # Ok::<(), ciblage::CiblageError>(())
//! ```

use ndarray::{Array2, ArrayView2};

use crate::cluster::kprototypes::{
    KPrototypes, KPrototypesInit, KPrototypesParams, KPrototypesValidParams,
};
use crate::cluster::kprototypes_model::KPrototypesModel;
use crate::error::Result;
use crate::interrupt::Interrupt;

/// Entry point of k-modes: [`KModes::params`].
#[derive(Debug, Clone, Copy)]
pub struct KModes;

impl KModes {
    /// The parameter builder, with the defaults of the `kmodes` package:
    /// 8 clusters, init "Cao", 10 runs, 100 passes at most, seed 0.
    #[must_use]
    pub fn params() -> KModesParams {
        KModesParams {
            inner: KPrototypes::params(),
        }
    }
}

/// The parameters of k-modes (a builder; see [`KModes`]).
#[derive(Debug, Clone)]
pub struct KModesParams {
    inner: KPrototypesParams,
}

/// Validated k-modes parameters: [`KModesValidParams::fit`] runs it.
#[derive(Debug, Clone)]
pub struct KModesValidParams {
    inner: KPrototypesValidParams,
}

impl KModesParams {
    /// Number of clusters (at least 1; default 8).
    #[must_use]
    pub fn n_clusters(self, n: usize) -> Self {
        Self {
            inner: self.inner.n_clusters(n),
        }
    }

    /// `"Huang"` or `"Cao"` initialisation (default Cao).
    #[must_use]
    pub fn init(self, init: KPrototypesInit) -> Self {
        Self {
            inner: self.inner.init(init),
        }
    }

    /// Given initial modes (clusters × features, codes): one run.
    #[must_use]
    pub fn init_modes(self, modes: Array2<u32>) -> Self {
        let numeric = Array2::zeros((modes.nrows(), 0));
        self.init(KPrototypesInit::Given {
            numeric,
            categorical: modes,
        })
    }

    /// Number of runs, the best kept (at least 1; default 10).
    #[must_use]
    pub fn n_init(self, n: usize) -> Self {
        Self {
            inner: self.inner.n_init(n),
        }
    }

    /// Most passes over the rows per run (at least 1; default 100).
    #[must_use]
    pub fn max_iter(self, n: usize) -> Self {
        Self {
            inner: self.inner.max_iter(n),
        }
    }

    /// Seed of the random draws (default 0).
    #[must_use]
    pub fn seed(self, seed: u64) -> Self {
        Self {
            inner: self.inner.seed(seed),
        }
    }

    /// Token that stops the fit (checked once per pass of each run).
    #[must_use]
    pub fn interrupt(self, token: Interrupt) -> Self {
        Self {
            inner: self.inner.interrupt(token),
        }
    }

    /// Checks every parameter.
    ///
    /// # Errors
    /// [`crate::CiblageError::InvalidParameter`] naming the parameter at fault.
    pub fn check(self) -> Result<KModesValidParams> {
        Ok(KModesValidParams {
            inner: self.inner.check()?,
        })
    }

    /// Shortcut for `self.check()?.fit(..)`.
    ///
    /// # Errors
    /// As [`KModesParams::check`] and [`KModesValidParams::fit`].
    pub fn fit(
        self,
        categorical: ArrayView2<'_, u32>,
        weights: Option<&[f64]>,
    ) -> Result<KModesModel> {
        self.check()?.fit(categorical, weights)
    }
}

impl KModesValidParams {
    /// Clusters the rows of `categorical` (rows × features, category
    /// codes), weighted by `weights` (one per row, finite, >= 0).
    ///
    /// # Errors
    /// As [`KPrototypesValidParams::fit`].
    pub fn fit(
        &self,
        categorical: ArrayView2<'_, u32>,
        weights: Option<&[f64]>,
    ) -> Result<KModesModel> {
        if categorical.ncols() == 0 {
            return Err(crate::CiblageError::InvalidParameter {
                name: "X",
                reason: "no feature".into(),
            });
        }
        let numeric = Array2::<f64>::zeros((categorical.nrows(), 0));
        let inner = self.inner.fit_any(numeric.view(), categorical, weights)?;
        Ok(KModesModel { inner })
    }
}

/// A fitted k-modes model.
#[derive(Debug, Clone, PartialEq)]
pub struct KModesModel {
    inner: KPrototypesModel,
}

impl KModesModel {
    /// The cluster of each row of the fit (0-based).
    pub fn labels(&self) -> &[u32] {
        self.inner.labels()
    }

    /// The modes (clusters × features, codes).
    pub fn centers(&self) -> ArrayView2<'_, u32> {
        self.inner.centers().1
    }

    /// The (weighted) number of mismatches of the rows with their modes.
    pub fn inertia(&self) -> f64 {
        self.inner.inertia()
    }

    /// Passes over the rows made by the best run.
    pub fn n_iter(&self) -> usize {
        self.inner.n_iter()
    }

    /// The nearest mode of each row (the first among equal counts).
    ///
    /// # Errors
    /// As [`KPrototypesModel::predict`].
    pub fn predict(&self, categorical: ArrayView2<'_, u32>) -> Result<Vec<u32>> {
        let numeric = Array2::<f64>::zeros((categorical.nrows(), 0));
        self.inner.predict(numeric.view(), categorical)
    }

    /// The model as a k-prototypes model without numeric features.
    pub fn as_prototypes(&self) -> &KPrototypesModel {
        &self.inner
    }

    /// The JSON form (that of a k-prototypes model without numeric features).
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// Reads the form written by [`KModesModel::to_json`].
    ///
    /// # Errors
    /// [`crate::CiblageError::InvalidModelFile`] naming what is wrong, also
    /// for a k-prototypes model with numeric features.
    pub fn from_json(text: &str) -> Result<Self> {
        let inner = KPrototypesModel::from_json(text)?;
        if inner.centers().0.ncols() != 0 {
            return Err(crate::CiblageError::InvalidModelFile {
                what: "k-modes model",
                reason: "a k-prototypes model (it has numeric features)".into(),
            });
        }
        Ok(Self { inner })
    }
}
