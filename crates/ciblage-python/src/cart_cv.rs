//! `ciblage._native.cart_cost_complexity_cv`: the computation of
//! `CartClassifier.cost_complexity_cv` / `CartRegressor.cost_complexity_cv`.

use ciblage::tree::cart::{
    Cart, CartCv, CartSplitter, CvClassWeight, CvFit, CvTarget, CvTree, FoldOrder,
};
use ciblage::CiblageError;
use numpy::PyReadonlyArray1;
use pyo3::prelude::*;

use crate::cart::CartOptions;
use crate::cart_arrays::Features;
use crate::error::BindError;
use crate::run::{guard, run_reporting};

/// The cp table of `cost_complexity_cv`: alphas, cp, leaves, rel_error,
/// xerror, xstd, and the rows of the smallest xerror and of the 1-SE rule.
type CvTable = (
    Vec<f64>,
    Vec<f64>,
    Vec<usize>,
    Vec<f64>,
    Vec<f64>,
    Vec<f64>,
    usize,
    usize,
);

/// rpart-style cross-validation of the pruning level (the computation of
/// `cost_complexity_cv`). `fits` holds `(min_samples_split,
/// min_samples_leaf, seed)` of the tree grown on every row, then of each
/// fold's tree; rows are shuffled by `seed` (numpy's
/// `RandomState(seed).permutation`) or taken in `order`; `class_weight`
/// (one weight per class) or `balanced` weights the classes.
#[pyfunction]
#[pyo3(signature = (x, *, y_codes = None, n_classes = 0, y_values = None, sample_weight = None,
                    folds = 10, seed = None, order = None, class_weight = None, balanced = false,
                    fits = Vec::new(), criterion = "gini", max_depth = None,
                    min_weight_fraction_leaf = 0.0, min_impurity_decrease = 0.0, max_features = None,
                    max_leaf_nodes = None, splitter = "best", max_bins = 255, n_threads = None,
                    categorical_features = Vec::new(), monotonic_cst = None, progress = None))]
#[allow(clippy::too_many_arguments)]
pub fn cart_cost_complexity_cv(
    py: Python<'_>,
    x: Features<'_>,
    y_codes: Option<PyReadonlyArray1<'_, u32>>,
    n_classes: usize,
    y_values: Option<PyReadonlyArray1<'_, f64>>,
    sample_weight: Option<PyReadonlyArray1<'_, f64>>,
    folds: usize,
    seed: Option<u32>,
    order: Option<Vec<usize>>,
    class_weight: Option<Vec<f64>>,
    balanced: bool,
    fits: Vec<(usize, usize, u32)>,
    criterion: &str,
    max_depth: Option<usize>,
    min_weight_fraction_leaf: f64,
    min_impurity_decrease: f64,
    max_features: Option<usize>,
    max_leaf_nodes: Option<usize>,
    splitter: &str,
    max_bins: u16,
    n_threads: Option<usize>,
    categorical_features: Vec<usize>,
    monotonic_cst: Option<Vec<i8>>,
    progress: Option<Bound<'_, PyAny>>,
) -> PyResult<CvTable> {
    guard(|| -> PyResult<_> {
        let options = CartOptions {
            criterion: criterion.parse().map_err(BindError::from)?,
            splitter: splitter
                .parse::<CartSplitter>()
                .map_err(BindError::from)?
                .with_max_bins(max_bins),
            max_depth,
            min_weight_fraction_leaf,
            min_impurity_decrease,
            max_features,
            max_leaf_nodes,
            n_threads,
            categorical_features,
            monotonic_cst,
        };
        if fits.len() != folds + 1 {
            return Err(BindError::from(CiblageError::param(
                "fits",
                format!(
                    "expected {} fits (all rows, then each fold), got {}",
                    folds + 1,
                    fits.len()
                ),
            ))
            .into());
        }
        let cv = CartCv::params()
            .folds(folds)
            .order(match (order, seed) {
                (Some(rows), _) => FoldOrder::Rows(rows),
                (None, seed) => FoldOrder::Seed(seed.unwrap_or(0)),
            })
            .class_weight(match (class_weight, balanced) {
                (_, true) => CvClassWeight::Balanced,
                (Some(w), false) => CvClassWeight::PerClass(w),
                (None, false) => CvClassWeight::None,
            });
        let fit_of = |fit: CvFit| fits[fit.fold.map_or(0, |j| j + 1)];
        let classifier = options.apply(Cart::classifier());
        let regressor = options.apply(Cart::regressor());
        let is_classifier = y_codes.is_some();
        let tree = |fit: CvFit| -> ciblage::Result<CvTree> {
            let (split, leaf, seed) = fit_of(fit);
            if is_classifier {
                let p = classifier.clone().min_samples_split(split);
                Ok(p.min_samples_leaf(leaf).seed(seed).check()?.into())
            } else {
                let p = regressor.clone().min_samples_split(split);
                Ok(p.min_samples_leaf(leaf).seed(seed).check()?.into())
            }
        };
        // The tree's parameters are validated once before the work starts.
        tree(CvFit {
            fold: None,
            n_rows: 0,
        })
        .map_err(BindError::from)?;
        let w = sample_weight.as_ref().map(|w| w.as_slice()).transpose()?;
        let codes = y_codes.as_ref().map(|c| c.as_slice()).transpose()?;
        let values = y_values.as_ref().map(|v| v.as_slice()).transpose()?;
        let target = match (codes, values) {
            (Some(codes), _) => CvTarget::Classes { codes, n_classes },
            (_, Some(v)) => CvTarget::Values(v),
            _ => return Err(BindError::from(CiblageError::param("y", "no target given")).into()),
        };
        let t = x.with_core(|xv| {
            run_reporting(py, progress.as_ref(), |token| {
                cv.clone()
                    .interrupt(token.clone())
                    .check()?
                    .score_each(xv, target, w, tree)
                    .map_err(BindError::from)
            })
        })?;
        Ok((
            t.ccp_alpha,
            t.cp,
            t.n_leaves,
            t.rel_error,
            t.xerror,
            t.xstd,
            t.min,
            t.one_se,
        ))
    })
}
