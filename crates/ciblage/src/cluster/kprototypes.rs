//! k-prototypes (Huang 1998): clusters of rows described by numeric and
//! categorical features at once.
//!
//! The cost of a row in a cluster is the squared Euclidean distance of its
//! numeric features to the cluster's means plus `gamma` times the number of
//! its categorical features that differ from the cluster's modes (simple
//! matching). The algorithm is Huang's: every row is assigned in turn to its
//! nearest prototype, and a row that moves updates the means and modes of
//! the two clusters at once, before the next row is looked at; passes are
//! repeated until no row moves or the cost stops falling. It is the
//! algorithm of the `kmodes` Python package (version 0.12), whose results it
//! reproduces from the same initial prototypes:
//!
//! - `gamma` defaults to half the mean (population) standard deviation of
//!   the numeric features, `0.5 * mean_j std_j`, as `kmodes` computes it
//!   (Huang suggests a value of the order of that standard deviation);
//! - initialisation "Huang" draws each categorical feature of a prototype
//!   from the feature's frequencies and moves it to the nearest row,
//!   "Cao" picks rows by density and distance (Cao et al. 2009); the
//!   numeric part of both is drawn from a normal law with the mean and
//!   standard deviation of each feature; prototypes may also be given;
//! - a mode changes when another category's (weighted) count exceeds the
//!   mode's strictly, and when a mode loses a row it becomes the category
//!   with the largest count, the smallest code among equal counts;
//! - a pass that empties a cluster moves a random row of the largest
//!   cluster into it.
//!
//! The `n_init` runs go in parallel, each with its own random stream drawn
//! from `seed`; the run of least cost (the first among equal costs) is kept,
//! so the result is the same for any number of threads.
//!
//! ```
//! use ciblage::cluster::KPrototypes;
//! use ciblage::ndarray::array;
//!
//! let numeric = array![[1.0], [1.2], [0.9], [8.0], [8.1], [7.9]];
//! let categorical = array![[0u32], [0], [0], [1], [1], [1]];
//! let model = KPrototypes::params()
//!     .n_clusters(2)
//!     .seed(7)
//!     .fit(numeric.view(), categorical.view(), None)?;
//! let labels = model.labels();
//! assert_eq!(labels[0], labels[2]);
//! assert_ne!(labels[0], labels[3]);
//! assert_eq!(model.predict(array![[7.5]].view(), array![[1u32]].view())?, vec![labels[3]]);
//! # Ok::<(), ciblage::CiblageError>(())
//! ```

use std::str::FromStr;

use ndarray::{Array2, ArrayView2};

use crate::cluster::kprototypes_model::KPrototypesModel;
use crate::error::{CiblageError, Result};
use crate::interrupt::Interrupt;

/// How the first prototypes are chosen.
#[derive(Debug, Clone, PartialEq)]
pub enum KPrototypesInit {
    /// Huang (1998): categories drawn by frequency, moved to the nearest row.
    Huang,
    /// Cao et al. (2009): rows chosen by density and distance.
    Cao,
    /// Given prototypes: numeric means (`n_clusters` × numeric features)
    /// and categorical modes (`n_clusters` × categorical features, codes).
    Given {
        /// The numeric part, one row per cluster.
        numeric: Array2<f64>,
        /// The categorical part, one row per cluster.
        categorical: Array2<u32>,
    },
}

impl FromStr for KPrototypesInit {
    type Err = CiblageError;

    /// `"Huang"` or `"Cao"` (any case).
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "huang" => Ok(Self::Huang),
            "cao" => Ok(Self::Cao),
            _ => Err(CiblageError::InvalidParameter {
                name: "init",
                reason: format!("expected one of 'Huang', 'Cao' (or given prototypes), got {s:?}"),
            }),
        }
    }
}

/// Entry point of k-prototypes: [`KPrototypes::params`].
#[derive(Debug, Clone, Copy)]
pub struct KPrototypes;

impl KPrototypes {
    /// The parameter builder, with the defaults of the `kmodes` package:
    /// 8 clusters, init "Cao", 10 runs, 100 passes at most, `gamma` from the
    /// data, seed 0.
    #[must_use]
    pub fn params() -> KPrototypesParams {
        KPrototypesParams::default()
    }
}

/// The parameters of k-prototypes (a builder; see [`KPrototypes`]).
#[derive(Debug, Clone)]
pub struct KPrototypesParams {
    n_clusters: usize,
    init: KPrototypesInit,
    n_init: usize,
    max_iter: usize,
    gamma: Option<f64>,
    seed: u64,
    interrupt: Interrupt,
}

impl Default for KPrototypesParams {
    fn default() -> Self {
        Self {
            n_clusters: 8,
            init: KPrototypesInit::Cao,
            n_init: 10,
            max_iter: 100,
            gamma: None,
            seed: 0,
            interrupt: Interrupt::default(),
        }
    }
}

/// Validated k-prototypes parameters: [`KPrototypesValidParams::fit`] runs it.
#[derive(Debug, Clone)]
pub struct KPrototypesValidParams {
    pub(crate) n_clusters: usize,
    pub(crate) init: KPrototypesInit,
    pub(crate) n_init: usize,
    pub(crate) max_iter: usize,
    pub(crate) gamma: Option<f64>,
    pub(crate) seed: u64,
    pub(crate) interrupt: Interrupt,
}

impl KPrototypesParams {
    /// Number of clusters (at least 1; default 8).
    #[must_use]
    pub fn n_clusters(mut self, n: usize) -> Self {
        self.n_clusters = n;
        self
    }

    /// How the first prototypes are chosen (default [`KPrototypesInit::Cao`]).
    #[must_use]
    pub fn init(mut self, init: KPrototypesInit) -> Self {
        self.init = init;
        self
    }

    /// Number of runs from different initial prototypes, the best kept
    /// (at least 1; default 10; given prototypes make one run).
    #[must_use]
    pub fn n_init(mut self, n: usize) -> Self {
        self.n_init = n;
        self
    }

    /// Most passes over the rows per run (at least 1; default 100).
    #[must_use]
    pub fn max_iter(mut self, n: usize) -> Self {
        self.max_iter = n;
        self
    }

    /// Weight of a categorical mismatch against squared numeric distance
    /// (finite, >= 0); `None` (default): half the mean standard deviation
    /// of the numeric features.
    #[must_use]
    pub fn gamma(mut self, gamma: Option<f64>) -> Self {
        self.gamma = gamma;
        self
    }

    /// Seed of the random draws (default 0).
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Token that stops the fit (checked once per pass of each run).
    #[must_use]
    pub fn interrupt(mut self, token: Interrupt) -> Self {
        self.interrupt = token;
        self
    }

    /// Checks every parameter.
    ///
    /// # Errors
    /// [`CiblageError::InvalidParameter`] naming the parameter at fault.
    pub fn check(self) -> Result<KPrototypesValidParams> {
        let bad =
            |name: &'static str, reason: String| CiblageError::InvalidParameter { name, reason };
        if self.n_clusters == 0 {
            return Err(bad(
                "n_clusters",
                "expected at least 1 cluster, got 0".into(),
            ));
        }
        if self.n_init == 0 {
            return Err(bad("n_init", "expected at least 1 run, got 0".into()));
        }
        if self.max_iter == 0 {
            return Err(bad("max_iter", "expected at least 1 pass, got 0".into()));
        }
        if let Some(g) = self.gamma {
            if !g.is_finite() || g < 0.0 {
                return Err(bad(
                    "gamma",
                    format!("expected a finite number >= 0, got {g}"),
                ));
            }
        }
        let mut n_init = self.n_init;
        if let KPrototypesInit::Given {
            numeric,
            categorical,
        } = &self.init
        {
            if numeric.nrows() != self.n_clusters || categorical.nrows() != self.n_clusters {
                return Err(bad(
                    "init",
                    format!(
                        "expected {} prototypes (n_clusters), got {} numeric and {} categorical rows",
                        self.n_clusters,
                        numeric.nrows(),
                        categorical.nrows()
                    ),
                ));
            }
            if let Some(v) = numeric.iter().find(|v| !v.is_finite()) {
                return Err(bad(
                    "init",
                    format!("non-finite numeric prototype value {v}"),
                ));
            }
            // Given prototypes are deterministic: one run (as `kmodes`).
            n_init = 1;
        }
        Ok(KPrototypesValidParams {
            n_clusters: self.n_clusters,
            init: self.init,
            n_init,
            max_iter: self.max_iter,
            gamma: self.gamma,
            seed: self.seed,
            interrupt: self.interrupt,
        })
    }

    /// Shortcut for `self.check()?.fit(..)`.
    ///
    /// # Errors
    /// As [`KPrototypesParams::check`] and [`KPrototypesValidParams::fit`].
    pub fn fit(
        self,
        numeric: ArrayView2<'_, f64>,
        categorical: ArrayView2<'_, u32>,
        weights: Option<&[f64]>,
    ) -> Result<KPrototypesModel> {
        self.check()?.fit(numeric, categorical, weights)
    }
}

#[cfg(test)]
#[path = "kprototypes_tests.rs"]
mod tests;
