//! k-means parameters: builder, validation, defaults (scikit-learn's), and
//! the fit that runs the initialisations and keeps the best.

use ndarray::ArrayView2;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::cluster::kmeans_init::{initial_centers, InitKind};
use crate::cluster::kmeans_iter::{fit_once, tolerance, Data, Run};
use crate::cluster::kmeans_minibatch::fit_mini_batch;
use crate::cluster::kmeans_options::{
    check_finite, check_weights, KMeansAlgorithm, KMeansInit, MiniBatch,
};
use crate::cluster::model::KMeansModel;
use crate::cluster::prepare::Preparation;
use crate::error::{CiblageError, Result};
use crate::interrupt::Interrupt;

/// Builder of a k-means fit; start from [`KMeans::params`].
#[derive(Debug, Clone, PartialEq)]
pub struct KMeansParams {
    pub(crate) n_clusters: usize,
    pub(crate) init: KMeansInit,
    pub(crate) n_init: Option<usize>,
    pub(crate) max_iter: usize,
    pub(crate) tol: f64,
    pub(crate) algorithm: KMeansAlgorithm,
    pub(crate) seed: u64,
    pub(crate) n_threads: Option<usize>,
    pub(crate) mini_batch: Option<MiniBatch>,
    pub(crate) prepare: Preparation,
    pub(crate) interrupt: Interrupt,
}

/// Entry point: `KMeans::params().n_clusters(5).check()?.fit(x, None)`.
#[derive(Debug, Clone, Copy)]
pub struct KMeans;

impl KMeans {
    /// scikit-learn's defaults: 8 clusters, k-means++, one initialisation
    /// for k-means++ and given centres and ten for random ones, at most 300
    /// iterations, `tol` 1e-4, Lloyd, seed 0, no preparation.
    pub fn params() -> KMeansParams {
        KMeansParams {
            n_clusters: 8,
            init: KMeansInit::KMeansPlusPlus,
            n_init: None,
            max_iter: 300,
            tol: 1e-4,
            algorithm: KMeansAlgorithm::Lloyd,
            seed: 0,
            n_threads: None,
            mini_batch: None,
            prepare: Preparation::default(),
            interrupt: Interrupt::default(),
        }
    }
}

impl KMeansParams {
    /// Number of clusters (at least 1, at most the rows).
    #[must_use]
    pub fn n_clusters(mut self, k: usize) -> Self {
        self.n_clusters = k;
        self
    }
    /// How the first centres are chosen.
    #[must_use]
    pub fn init(mut self, init: KMeansInit) -> Self {
        self.init = init;
        self
    }
    /// Initialisations run, the one of least inertia kept (`None`:
    /// scikit-learn's `"auto"`: 1 for k-means++ and given centres, 10 for
    /// random ones, 3 in mini-batch mode).
    #[must_use]
    pub fn n_init(mut self, n: Option<usize>) -> Self {
        self.n_init = n;
        self
    }
    /// Most iterations per initialisation (passes over the data in
    /// mini-batch mode).
    #[must_use]
    pub fn max_iter(mut self, n: usize) -> Self {
        self.max_iter = n;
        self
    }
    /// Convergence tolerance, relative to the mean variance of the
    /// features (scikit-learn's): the iterations stop when the squared
    /// moves of the centres add up to at most `tol` × that variance.
    #[must_use]
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }
    /// Lloyd or the bounded (`Elkan`) iterations.
    #[must_use]
    pub fn algorithm(mut self, a: KMeansAlgorithm) -> Self {
        self.algorithm = a;
        self
    }
    /// Seed of the initialisations and of the mini-batch draws.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// Threads (`None`: rayon's pool); the result does not depend on it.
    #[must_use]
    pub fn n_threads(mut self, n: Option<usize>) -> Self {
        self.n_threads = n;
        self
    }
    /// The mini-batch mode (`None`: full passes, the default).
    #[must_use]
    pub fn mini_batch(mut self, m: Option<MiniBatch>) -> Self {
        self.mini_batch = m;
        self
    }
    /// How features are prepared before clustering (kept in the model).
    #[must_use]
    pub fn prepare(mut self, p: Preparation) -> Self {
        self.prepare = p;
        self
    }
    /// Token that stops the fit (checked once per pass over the data).
    #[must_use]
    pub fn interrupt(mut self, token: Interrupt) -> Self {
        self.interrupt = token;
        self
    }

    /// Validates every parameter (errors name it).
    ///
    /// # Errors
    /// [`CiblageError::InvalidParameter`] naming the parameter.
    pub fn check(self) -> Result<KMeansValidParams> {
        if self.n_clusters == 0 {
            return Err(CiblageError::param(
                "n_clusters",
                "must be at least 1, got 0",
            ));
        }
        if self.n_init == Some(0) {
            return Err(CiblageError::param("n_init", "must be at least 1, got 0"));
        }
        if self.max_iter == 0 {
            return Err(CiblageError::param("max_iter", "must be at least 1, got 0"));
        }
        if !(self.tol.is_finite() && self.tol >= 0.0) {
            return Err(CiblageError::param(
                "tol",
                format!("must be a finite number >= 0, got {}", self.tol),
            ));
        }
        if self.n_threads == Some(0) {
            return Err(CiblageError::param(
                "n_threads",
                "must be at least 1, got 0",
            ));
        }
        if let KMeansInit::Centers(c) = &self.init {
            if c.nrows() != self.n_clusters {
                return Err(CiblageError::param(
                    "init",
                    format!(
                        "the initial centres have {} rows, expected n_clusters = {}",
                        c.nrows(),
                        self.n_clusters
                    ),
                ));
            }
            if c.ncols() == 0 {
                return Err(CiblageError::param(
                    "init",
                    "the initial centres have no column",
                ));
            }
            if let Some(v) = c.iter().find(|v| !v.is_finite()) {
                return Err(CiblageError::param(
                    "init",
                    format!("the initial centres hold a non-finite value {v}"),
                ));
            }
        }
        if let Some(m) = &self.mini_batch {
            if m.batch_size == 0 {
                return Err(CiblageError::param(
                    "batch_size",
                    "must be at least 1, got 0",
                ));
            }
            if m.max_no_improvement == Some(0) {
                return Err(CiblageError::param(
                    "max_no_improvement",
                    "must be at least 1 (or None: no limit), got 0",
                ));
            }
            if m.init_size == Some(0) {
                return Err(CiblageError::param(
                    "init_size",
                    "must be at least 1 (or None: the default), got 0",
                ));
            }
        }
        self.prepare.check()?;
        Ok(KMeansValidParams(self))
    }

    /// Validates, then fits: `self.check()?.fit(x, weights)`.
    ///
    /// # Errors
    /// As [`KMeansParams::check`] and [`KMeansValidParams::fit`].
    pub fn fit(self, x: ArrayView2<'_, f64>, weights: Option<&[f64]>) -> Result<KMeansModel> {
        self.check()?.fit(x, weights)
    }
}

/// Validated k-means parameters ([`KMeansParams::check`]).
#[derive(Debug, Clone, PartialEq)]
pub struct KMeansValidParams(KMeansParams);

impl KMeansValidParams {
    /// The parameters.
    pub fn params(&self) -> &KMeansParams {
        &self.0
    }

    /// Fits k-means on `x` (rows = customers, finite values), each row
    /// weighted by `weights` (non-negative, not all zero; `None`: 1).
    ///
    /// ```
    /// use ciblage::cluster::{KMeans, KMeansAlgorithm};
    /// use ciblage::ndarray::array;
    ///
    /// let x = array![[0.0], [0.5], [10.0], [10.5], [11.0]];
    /// let model = KMeans::params().n_clusters(2).algorithm(KMeansAlgorithm::Elkan)
    ///     .check()?.fit(x.view(), None)?;
    /// // Centres 0.25 and 10.5: inertia 2 × 0.25² + 2 × 0.5².
    /// assert!((model.inertia() - 0.625).abs() < 1e-12);
    /// # Ok::<(), ciblage::CiblageError>(())
    /// ```
    ///
    /// # Errors
    /// [`CiblageError::EmptyInput`], [`CiblageError::NonFinite`] (naming
    /// `x` or `weights` and the row), [`CiblageError::LengthMismatch`] for
    /// weights, [`CiblageError::InvalidParameter`] for fewer rows than
    /// clusters, initial centres of the wrong width or preparation columns
    /// out of range, [`CiblageError::Interrupted`].
    pub fn fit(&self, x: ArrayView2<'_, f64>, weights: Option<&[f64]>) -> Result<KMeansModel> {
        let p = &self.0;
        let (n, d) = x.dim();
        if n == 0 {
            return Err(CiblageError::EmptyInput {
                argument: "x".into(),
            });
        }
        if d == 0 {
            return Err(CiblageError::param("x", "has no column"));
        }
        check_finite(x, "x")?;
        check_weights(weights, n)?;
        if p.n_clusters > n {
            return Err(CiblageError::param(
                "n_clusters",
                format!("n_samples={n} should be >= n_clusters={}", p.n_clusters),
            ));
        }
        if let KMeansInit::Centers(c) = &p.init {
            if c.ncols() != d {
                return Err(CiblageError::param(
                    "init",
                    format!(
                        "the initial centres have {} columns, expected {d} (the columns of x)",
                        c.ncols()
                    ),
                ));
            }
        }
        let (prepared, data) = p.prepare.fit(x)?;
        if let Some(data) = &data {
            check_finite(data.view(), "x (prepared)")?;
        }
        let owned;
        let rows: &[f64] = match data.as_ref().map(|a| a.as_slice()) {
            Some(Some(s)) => s,
            _ => match x.as_slice() {
                Some(s) => s,
                None => {
                    owned = x.as_standard_layout().into_owned();
                    owned.as_slice().unwrap_or_default()
                }
            },
        };
        let data = Data {
            x: rows,
            n,
            d,
            w: weights,
        };
        let threads = p.n_threads;
        let run = || self.fit_rows(&data);
        let best = match threads {
            None => run(),
            Some(k) => rayon::ThreadPoolBuilder::new()
                .num_threads(k)
                .build()
                .map_err(|e| CiblageError::param("n_threads", e.to_string()))?
                .install(run),
        }?;
        CiblageError::check_sum(
            "x",
            || "inertia (weighted sum of squared distances)".into(),
            best.inertia,
        )?;
        Ok(KMeansModel::new(
            best.centers,
            d,
            best.labels,
            best.inertia,
            best.n_iter,
            prepared,
        ))
    }

    /// The initialisations and iterations on prepared rows.
    fn fit_rows(&self, data: &Data<'_>) -> Result<Run> {
        let p = &self.0;
        let mut rng = ChaCha8Rng::seed_from_u64(p.seed);
        let tol = tolerance(data, p.tol);
        let kind = match &p.init {
            KMeansInit::KMeansPlusPlus => InitKind::PlusPlus,
            KMeansInit::Random => InitKind::Random,
            KMeansInit::Centers(c) => {
                InitKind::Given(c.as_standard_layout().iter().copied().collect())
            }
        };
        if let Some(m) = &p.mini_batch {
            let n_init = p.n_init.unwrap_or(match kind {
                InitKind::Random => 3,
                _ => 1,
            });
            return fit_mini_batch(
                data,
                (p.n_clusters, p.max_iter),
                m,
                &kind,
                n_init,
                tol,
                &mut rng,
                &p.interrupt,
            );
        }
        let n_init = p.n_init.unwrap_or(match kind {
            InitKind::Random => 10,
            _ => 1,
        });
        let mut best: Option<Run> = None;
        for _ in 0..n_init {
            let centers = initial_centers(data, p.n_clusters, &kind, &mut rng, &p.interrupt)?;
            let run = fit_once(data, centers, p.max_iter, tol, p.algorithm, &p.interrupt)?;
            if best.as_ref().is_none_or(|b| run.inertia < b.inertia) {
                best = Some(run);
            }
        }
        best.ok_or_else(|| CiblageError::param("n_init", "must be at least 1, got 0"))
    }
}
