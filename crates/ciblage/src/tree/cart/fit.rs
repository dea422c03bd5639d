//! Fitting a CART tree: input checks, then growth depth first (or best
//! first under `max_leaf_nodes`) with the exact or histogram splitter.

use std::cell::RefCell;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use crate::error::{CiblageError, Result};
use crate::tree::cart::exact::{worth_releasing, ExactSplitter};
use crate::tree::cart::growth::{best_first, depth_first, subtrees, NodeSplitter, Pending};
use crate::tree::cart::hist::{bin_features, HistSplitter, NodeRows};
use crate::tree::cart::monotonic_cst;
use crate::tree::cart::params::{CartCriterion, CartParams, CartSplitter, CartValidParams};
use crate::tree::cart::random::RandomSplitter;
use crate::tree::cart::shared::data::{Columns, TrainSet};
use crate::tree::cart::shared::draw::FeatureDraw;
use crate::tree::cart::shared::limits::{LeafLimits, Limits};
use crate::tree::cart::shared::monotonic::Monotonic;
use crate::tree::cart::sparse::exact::SparseSplitter;
use crate::tree::cart::sparse::{with_columns, Features};
use crate::tree::cart::tree::CartModel;
use crate::tree::inputs::{
    check_class_codes, check_finite_target, check_sample_weight, check_target_sums,
    check_training_shape,
};
use crate::tree::task::{Classification, Regression, TreeTask};

/// Largest magnitude of a feature value: features are read as `f32` (as
/// scikit-learn does), and a finite value beyond `f32::MAX` would become
/// an infinity there (splits between ±inf have NaN thresholds).
const FEATURE_MAX: f64 = f32::MAX as f64;

fn check_x(x: &Columns<'_>, n: usize) -> Result<()> {
    check_training_shape(x.nrows(), x.ncols(), n)?;
    // NaN is a missing value; infinities and values beyond the f32 range
    // are refused. A contiguous array is first checked as one slice
    // (vector compares); the row of a bad value is looked for only when
    // there is one.
    if let Some((row, col, v)) = x.first_beyond(FEATURE_MAX) {
        if v.is_infinite() {
            return Err(CiblageError::NonFinite {
                argument: "X".into(),
                row,
                value: v,
            });
        }
        return Err(CiblageError::ValueOutOfRange {
            argument: format!("X column {col}"),
            row,
            value: v,
            range: "features are read as float32 (32-bit floats, as scikit-learn reads them), at most about ±3.4e38",
        });
    }
    Ok(())
}

fn weights_of(w: Option<&[f64]>, n: usize) -> Result<Vec<f64>> {
    check_sample_weight(w, n)?;
    Ok(w.map_or_else(|| vec![1.0; n], <[f64]>::to_vec))
}

thread_local! {
    /// The pool whose first thread is this one (with its size), built at
    /// the thread's first fit outside any pool.
    static OWN_POOL: RefCell<Option<(usize, Arc<rayon::ThreadPool>)>> = const { RefCell::new(None) };
}

/// Threads of rayon's global pool (`RAYON_NUM_THREADS`, else the cores),
/// read at the first fit from a thread outside any pool.
fn global_threads() -> usize {
    static THREADS: OnceLock<usize> = OnceLock::new();
    *THREADS.get_or_init(|| {
        if rayon::current_thread_index().is_none() {
            rayon::current_num_threads()
        } else {
            std::thread::scope(|s| s.spawn(rayon::current_num_threads).join().unwrap_or(1))
        }
    })
}

/// Runs `work` on `n_threads` threads (by default: in the pool the caller
/// works in, else as many as rayon's global pool). The calling thread is
/// one of them where it can be: it works where the caller's memory is and
/// allocates from the caller's heap, and one thread runs on the caller's
/// thread alone.
fn run_on_threads<T: Send>(n_threads: Option<usize>, work: impl FnOnce() -> T + Send) -> Result<T> {
    let in_own_pool = OWN_POOL.with_borrow(Option::is_some);
    let k = match n_threads {
        Some(k) => k,
        None if rayon::current_thread_index().is_some() && !in_own_pool => return Ok(work()),
        None => global_threads(),
    };
    let own = OWN_POOL.with_borrow_mut(|own| {
        if own.is_none() && rayon::current_thread_index().is_none() {
            // This thread becomes the first of a pool of its own, kept with
            // the thread (a thread cannot leave a pool it has joined).
            *own = rayon::ThreadPoolBuilder::new()
                .num_threads(k)
                .thread_name(|i| format!("ciblage-cart-{i}"))
                .use_current_thread()
                .build()
                .ok()
                .map(|pool| (k, Arc::new(pool)));
        }
        own.as_ref()
            .filter(|(n, _)| *n == k)
            .map(|(_, pool)| Arc::clone(pool))
    });
    let pool = match own {
        Some(pool) => pool,
        None => pool_of(k)?,
    };
    Ok(pool.install(work))
}

/// A pool of `k` threads shared by every caller, built at its first use.
fn pool_of(k: usize) -> Result<Arc<rayon::ThreadPool>> {
    static POOLS: Mutex<Vec<(usize, Arc<rayon::ThreadPool>)>> = Mutex::new(Vec::new());
    let mut pools = POOLS.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((_, pool)) = pools.iter().find(|(n, _)| *n == k) {
        return Ok(Arc::clone(pool));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(k)
        .thread_name(|i| format!("ciblage-cart-{i}"))
        .build()
        .map_err(|e| CiblageError::param("n_threads", e.to_string()))?;
    let pool = Arc::new(pool);
    pools.push((k, Arc::clone(&pool)));
    Ok(pool)
}

impl CartParams<Classification> {
    /// Validates, then fits: `self.check()?.fit(..)`.
    ///
    /// # Errors
    /// Invalid parameters, or see [`CartValidParams::<Classification>::fit`].
    pub fn fit<'x>(
        self,
        x: impl Into<Features<'x>>,
        y: &[u32],
        n_classes: usize,
        weights: Option<&[f64]>,
    ) -> Result<CartModel> {
        self.check()?.fit(x, y, n_classes, weights)
    }
}

impl CartParams<Regression> {
    /// Validates, then fits: `self.check()?.fit(..)`.
    ///
    /// # Errors
    /// Invalid parameters, or see [`CartValidParams::<Regression>::fit`].
    pub fn fit<'x>(
        self,
        x: impl Into<Features<'x>>,
        y: &[f64],
        weights: Option<&[f64]>,
    ) -> Result<CartModel> {
        self.check()?.fit(x, y, weights)
    }
}

impl CartValidParams<Classification> {
    /// Fits a classification tree: `x` has one row per sample (dense, or
    /// sparse: [`crate::tree::cart::CscView`] read in place, a
    /// [`crate::tree::cart::CsrView`] converted once), `y` holds class
    /// codes below `n_classes`, `weights` are optional sample weights.
    ///
    /// # Errors
    /// Empty or non-finite input, mismatched lengths, a code out of range.
    pub fn fit<'x>(
        &self,
        x: impl Into<Features<'x>>,
        y: &[u32],
        n_classes: usize,
        weights: Option<&[f64]>,
    ) -> Result<CartModel> {
        with_columns(x.into(), |x| self.fit_classes(x, y, n_classes, weights))
    }

    fn fit_classes(
        &self,
        x: Columns<'_>,
        y: &[u32],
        n_classes: usize,
        weights: Option<&[f64]>,
    ) -> Result<CartModel> {
        check_x(&x, y.len())?;
        self.check_max_features(x.ncols())?;
        check_class_codes(y, n_classes)?;
        monotonic_cst::check_data(
            self.params.monotonic_cst.as_deref(),
            x.ncols(),
            Some(n_classes),
        )?;
        let data = TrainSet {
            x: x.reborrow(),
            n: x.nrows(),
            d: x.ncols(),
            classes: Some(y),
            n_classes,
            targets: None,
            weights: weights_of(weights, y.len())?,
            categorical: self.categorical_mask(&x)?,
            interrupt: self.params.interrupt.clone(),
        };
        self.grow(data)
    }
}

impl CartValidParams<Regression> {
    /// Fits a regression tree: `x` has one row per sample (dense or
    /// sparse, as for classification), `y` one target value per row,
    /// `weights` are optional sample weights.
    ///
    /// # Errors
    /// Empty or non-finite input, mismatched lengths, negative targets or a
    /// zero sum under the Poisson criterion.
    pub fn fit<'x>(
        &self,
        x: impl Into<Features<'x>>,
        y: &[f64],
        weights: Option<&[f64]>,
    ) -> Result<CartModel> {
        with_columns(x.into(), |x| self.fit_values(x, y, weights))
    }

    fn fit_values(&self, x: Columns<'_>, y: &[f64], weights: Option<&[f64]>) -> Result<CartModel> {
        check_x(&x, y.len())?;
        self.check_max_features(x.ncols())?;
        monotonic_cst::check_data(self.params.monotonic_cst.as_deref(), x.ncols(), None)?;
        check_finite_target(y)?;
        check_target_sums(y, weights)?;
        if self.params.criterion == CartCriterion::Poisson {
            if let Some(row) = y.iter().position(|&v| v < 0.0) {
                return Err(CiblageError::param(
                    "y",
                    format!(
                        "Some value(s) of y are negative which is not allowed for Poisson regression: value {} at row {row} (poisson needs counts, y >= 0)",
                        y[row]
                    ),
                ));
            }
            if y.iter().sum::<f64>() <= 0.0 {
                return Err(CiblageError::param(
                    "y",
                    "Sum of y is not positive which is necessary for Poisson regression",
                ));
            }
        }
        let data = TrainSet {
            x: x.reborrow(),
            n: x.nrows(),
            d: x.ncols(),
            classes: None,
            n_classes: 0,
            targets: Some(y),
            weights: weights_of(weights, y.len())?,
            categorical: self.categorical_mask(&x)?,
            interrupt: self.params.interrupt.clone(),
        };
        self.grow(data)
    }
}

impl<T: TreeTask> CartValidParams<T> {
    /// Which features are categorical, after checking their values are
    /// category codes (integers in 0..2^24, or NaN).
    fn categorical_mask(&self, x: &Columns<'_>) -> Result<Vec<bool>> {
        let mut mask = vec![false; x.ncols()];
        if x.is_sparse() {
            if self.params.categorical.is_empty() {
                return Ok(mask);
            }
            return Err(CiblageError::param(
                "categorical_features",
                "categorical features need a dense X (a sparse X is numeric only)",
            ));
        }
        for &f in &self.params.categorical {
            if f >= x.ncols() {
                return Err(CiblageError::param(
                    "categorical_features",
                    format!("feature {f} does not exist ({} features)", x.ncols()),
                ));
            }
            mask[f] = true;
            let col = x.dense_column_f64(f).expect("dense columns");
            if let CartSplitter::Histogram { max_bins } = self.params.splitter {
                let mut codes: Vec<u64> = col
                    .iter()
                    .filter(|v| !v.is_nan())
                    .map(|v| *v as u64)
                    .collect();
                codes.sort_unstable();
                codes.dedup();
                if codes.len() > usize::from(max_bins) {
                    // max_bins is at most 255: past that only the exact
                    // splitter can take the feature.
                    let fix = if codes.len() > 255 {
                        "use splitter=\"best\" (the histogram splitter holds at most 255 bins)"
                    } else {
                        "raise max_bins or use splitter=\"best\""
                    };
                    return Err(CiblageError::param(
                        "max_bins",
                        format!(
                            "feature {f} has {} categories, more than max_bins ({max_bins}): {fix}",
                            codes.len()
                        ),
                    ));
                }
            }
            if let Some((row, v)) = col.iter().enumerate().find(|(_, v)| {
                !(v.is_nan() || (**v >= 0.0 && **v < 16_777_216.0 && v.fract() == 0.0))
            }) {
                return Err(CiblageError::param(
                    "categorical_features",
                    format!("feature {f} holds {v} at row {row}: category codes are integers from 0 to 2^24 - 1 (NaN: missing)"),
                ));
            }
        }
        Ok(mask)
    }

    /// The monotonic constraints of the fit, in the search's signs.
    fn monotonic(&self) -> Option<Monotonic> {
        self.params
            .monotonic_cst
            .as_ref()
            .map(|cst| Monotonic::new(cst, !self.params.criterion.is_regression()))
    }

    fn check_max_features(&self, d: usize) -> Result<()> {
        match self.params.max_features {
            Some(m) if m > d => Err(CiblageError::param(
                "max_features",
                format!("must be at most the number of features ({d}), got {m}"),
            )),
            _ => Ok(()),
        }
    }

    /// Grows the tree on `n_threads` threads (see [`run_on_threads`]).
    fn grow(&self, data: TrainSet<'_>) -> Result<CartModel> {
        let tree = run_on_threads(self.params.n_threads, || self.grow_here(data))?;
        // An interrupted growth made leaves of the nodes left: not the tree.
        self.params.interrupt.check()?;
        Ok(tree)
    }

    fn grow_here(&self, data: TrainSet<'_>) -> CartModel {
        let mut data = data.reborrow();
        let p = &self.params;
        let w_total: f64 = data.weights.iter().sum();
        // Progress: each sample that takes part (positive weight) once, as
        // its leaf is made.
        let taking_part = data.weights.iter().filter(|&&w| w > 0.0).count();
        p.interrupt.add_total(taking_part as u64);
        let lim = self.limits(p.min_weight_fraction_leaf * w_total);
        let draw = FeatureDraw::new(data.d, p.max_features.unwrap_or(data.d), p.seed);
        let mut t = CartModel::empty(p.criterion, data.d, data.n_classes);
        t.monotonic_cst = p.monotonic_cst.clone().unwrap_or_default();
        let constrained = lim.monotonic.is_some();
        match p.splitter {
            CartSplitter::Exact if SparseSplitter::applies(&data, p.criterion, constrained) => {
                // Sparse columns: the splitter of the stored entries.
                let mut sp = SparseSplitter::new(&data, p.criterion, (lim.leaf, draw));
                self.grow_with(&mut sp, &mut t, &lim);
            }
            CartSplitter::Exact if p.max_leaf_nodes.is_none() && !self.presort_whole => {
                // Depth first: from the top, presorting only subtrees of at
                // most a quarter of the samples.
                let mut sp = ExactSplitter::from_top(&data, p.criterion, (lim.leaf, draw));
                let root = Pending::root(sp.samples());
                depth_first::grow(&mut sp, &mut t, &lim, root, |sp, t, node| {
                    sp.grow_presorted(t, &lim, node)
                });
            }
            CartSplitter::Exact => {
                // Grown depth first, finished subtrees free their part of
                // the sorted orders.
                let depth_first = p.max_leaf_nodes.is_none();
                let releasing = depth_first && worth_releasing(data.n, data.d, p.max_depth);
                let mut sp = ExactSplitter::presorted(
                    &data,
                    p.criterion,
                    (lim.leaf, draw),
                    (depth_first, releasing),
                );
                self.grow_with(&mut sp, &mut t, &lim);
            }
            CartSplitter::Random => {
                // One generator for the features and thresholds of every
                // node, in node order: the tree depends on the seed only.
                let mut sp = RandomSplitter::new(&data, p.criterion, (lim.leaf, draw));
                self.grow_with(&mut sp, &mut t, &lim);
            }
            CartSplitter::Histogram { max_bins } => {
                let (codes, bins) = bin_features(&data, usize::from(max_bins));
                let rows = NodeRows::new(&data, codes);
                // The rows hold their weights from now on.
                data.weights = Vec::new();
                let depth_first = p.max_leaf_nodes.is_none();
                let mut sp = HistSplitter::new(
                    &data,
                    (rows, &bins),
                    p.criterion,
                    (lim.leaf, draw),
                    depth_first,
                );
                sp.monotonic.clone_from(&lim.monotonic);
                if depth_first && !self.single_stream {
                    subtrees::grow(sp, &mut t, &lim, p.seed);
                } else {
                    self.grow_with(&mut sp, &mut t, &lim);
                }
            }
        }
        t
    }

    /// Grows `t` (empty) best first under `max_leaf_nodes`, else depth
    /// first.
    fn grow_with(&self, sp: &mut impl NodeSplitter, t: &mut CartModel, lim: &Limits) {
        let n = sp.samples();
        match self.params.max_leaf_nodes {
            Some(max_leaf_nodes) => best_first::grow(sp, t, (lim, max_leaf_nodes), n),
            None => depth_first::grow(sp, t, lim, Pending::root(n), |_, _, _| false),
        }
    }

    /// The growth limits, the leaves' least weight being `min_weight_leaf`.
    fn limits(&self, min_weight_leaf: f64) -> Limits {
        let p = &self.params;
        Limits {
            max_depth: p.max_depth,
            min_samples_split: p.min_samples_split,
            leaf: LeafLimits {
                min_samples: p.min_samples_leaf,
                min_weight: min_weight_leaf,
            },
            min_impurity_decrease: p.min_impurity_decrease,
            interrupt: p.interrupt.clone(),
            monotonic: self.monotonic(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use rayon::prelude::*;

    use super::*;

    /// Threads that take part in a parallel loop run by `run_on_threads`.
    fn threads_used(n_threads: Option<usize>) -> usize {
        run_on_threads(n_threads, || {
            (0..64)
                .into_par_iter()
                .map(|_| {
                    std::thread::sleep(std::time::Duration::from_millis(2));
                    std::thread::current().id()
                })
                .collect::<HashSet<_>>()
                .len()
        })
        .unwrap()
    }

    #[test]
    fn range_and_poisson_errors_use_scikit_learns_words() {
        use crate::tree::cart::Cart;
        let x = ndarray::array![[1e40], [0.0]];
        let e = Cart::classifier()
            .fit(x.view(), &[0, 1], 2, None)
            .unwrap_err();
        assert!(
            e.to_string().starts_with(
                "X column 0: value 1e40 at row 0 is out of range: features are read as float32"
            ),
            "{e}"
        );
        let x = ndarray::array![[0.0], [1.0]];
        let poisson = || Cart::regressor().criterion(CartCriterion::Poisson);
        let e = poisson().fit(x.view(), &[0.0, 0.0], None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid parameter y: Sum of y is not positive which is necessary for Poisson regression"
        );
        let e = poisson().fit(x.view(), &[1.0, -0.5], None).unwrap_err();
        assert!(e.to_string().starts_with("invalid parameter y: Some value(s) of y are negative which is not allowed for Poisson regression: value -0.5 at row 1"), "{e}");
    }

    #[test]
    fn every_fit_of_a_thread_gets_its_threads() {
        // On a thread of its own (outside any pool), as a caller's: the
        // first call makes it the first thread of a pool, later calls work
        // in that pool again, with all its threads.
        std::thread::spawn(|| {
            let all = global_threads();
            let takes_all = |n: usize| (all.min(2)..=all).contains(&n);
            for _ in 0..3 {
                assert!(takes_all(threads_used(None)));
            }
            assert_eq!(threads_used(Some(1)), 1);
            assert_eq!(threads_used(Some(2)), 2);
            assert!(takes_all(threads_used(None)));
            // The caller's thread is the pool's first.
            let caller = std::thread::current().id();
            assert_eq!(
                run_on_threads(None, || std::thread::current().id()).unwrap(),
                caller
            );
        })
        .join()
        .unwrap();
        // Asked from inside another pool, a fit without a thread count
        // works in that pool.
        let inside = crate::testing::on_threads(3, || threads_used(None));
        assert!((2..=3).contains(&inside), "{inside}");
    }
}
