//! Fitting a CART tree: input checks, then growth depth first (or best
//! first under `max_leaf_nodes`) with the exact or histogram splitter.

use ndarray::ArrayView2;

use crate::error::{CiblageError, Result};
use crate::tree::cart::best_first;
use crate::tree::cart::bins::bin_features;
use crate::tree::cart::build::Splitter;
use crate::tree::cart::hist::{HistSplitter, NodeRows};
use crate::tree::cart::params::{CartCriterion, CartSplitter, CartValidParams};
use crate::tree::cart::partition::worth_releasing;
use crate::tree::cart::splitter::{NodeSplitter, TrainSet};
use crate::tree::cart::tree::{CartTree, LEAF};

fn check_x(x: &ArrayView2<'_, f64>, n: usize) -> Result<()> {
    if x.nrows() == 0 || x.ncols() == 0 {
        return Err(CiblageError::EmptyInput {
            argument: "X".into(),
        });
    }
    if x.nrows() != n {
        return Err(CiblageError::LengthMismatch {
            argument: "y".into(),
            expected: x.nrows(),
            got: n,
        });
    }
    // NaN is a missing value; infinities are refused. A contiguous array
    // is first checked as one slice (vector compares); the row of an
    // infinity is looked for only when there is one.
    if x.as_slice_memory_order()
        .is_some_and(|s| !s.iter().any(|v| v.is_infinite()))
    {
        return Ok(());
    }
    if let Some(((row, _), v)) = x.indexed_iter().find(|(_, v)| v.is_infinite()) {
        return Err(CiblageError::NonFinite {
            argument: "X".into(),
            row,
            value: *v,
        });
    }
    Ok(())
}

fn weights_of(w: Option<&[f64]>, n: usize) -> Result<Vec<f64>> {
    match w {
        None => Ok(vec![1.0; n]),
        Some(w) => {
            if w.len() != n {
                return Err(CiblageError::LengthMismatch {
                    argument: "sample_weight".into(),
                    expected: n,
                    got: w.len(),
                });
            }
            if let Some(row) = w.iter().position(|v| !v.is_finite()) {
                return Err(CiblageError::NonFinite {
                    argument: "sample_weight".into(),
                    row,
                    value: w[row],
                });
            }
            if let Some(row) = w.iter().position(|v| *v < 0.0) {
                return Err(CiblageError::param(
                    "sample_weight",
                    format!("negative weight {} at row {row}", w[row]),
                ));
            }
            if w.iter().all(|v| *v == 0.0) {
                return Err(CiblageError::param(
                    "sample_weight",
                    "every weight is zero: at least one must be positive",
                ));
            }
            Ok(w.to_vec())
        }
    }
}

impl CartValidParams {
    /// Fits a classification tree; `y` holds class codes below `n_classes`.
    ///
    /// # Errors
    /// Empty or non-finite input, mismatched lengths, a code out of range, a
    /// regression criterion.
    pub fn fit_classifier(
        &self,
        x: ArrayView2<'_, f64>,
        y: &[u32],
        n_classes: usize,
        weights: Option<&[f64]>,
    ) -> Result<CartTree> {
        check_x(&x, y.len())?;
        self.check_max_features(x.ncols())?;
        if self.params.criterion.is_regression() {
            return Err(CiblageError::param(
                "criterion",
                "squared_error and poisson are for regression; use gini or entropy",
            ));
        }
        if let Some(row) = y.iter().position(|&c| c as usize >= n_classes) {
            return Err(CiblageError::param(
                "y",
                format!(
                    "class code {} at row {row} is not below {n_classes}",
                    y[row]
                ),
            ));
        }
        let data = TrainSet {
            x,
            n: x.nrows(),
            d: x.ncols(),
            classes: Some(y),
            n_classes,
            targets: None,
            weights: weights_of(weights, y.len())?,
            categorical: self.categorical_mask(&x)?,
        };
        self.grow(data)
    }

    /// Fits a regression tree.
    ///
    /// # Errors
    /// Empty or non-finite input, mismatched lengths, a classification criterion.
    pub fn fit_regressor(
        &self,
        x: ArrayView2<'_, f64>,
        y: &[f64],
        weights: Option<&[f64]>,
    ) -> Result<CartTree> {
        check_x(&x, y.len())?;
        self.check_max_features(x.ncols())?;
        if !self.params.criterion.is_regression() {
            return Err(CiblageError::param(
                "criterion",
                "gini and entropy are for classification; use squared_error or poisson",
            ));
        }
        if self.params.criterion == CartCriterion::Poisson {
            if let Some(row) = y.iter().position(|&v| v < 0.0) {
                return Err(CiblageError::param(
                    "y",
                    format!(
                        "negative value {} at row {row}: poisson needs counts (y >= 0)",
                        y[row]
                    ),
                ));
            }
            if y.iter().sum::<f64>() <= 0.0 {
                return Err(CiblageError::param(
                    "y",
                    "the sum of y must be positive for poisson",
                ));
            }
        }
        if let Some(row) = y.iter().position(|v| !v.is_finite()) {
            return Err(CiblageError::NonFinite {
                argument: "y".into(),
                row,
                value: y[row],
            });
        }
        let data = TrainSet {
            x,
            n: x.nrows(),
            d: x.ncols(),
            classes: None,
            n_classes: 0,
            targets: Some(y),
            weights: weights_of(weights, y.len())?,
            categorical: self.categorical_mask(&x)?,
        };
        self.grow(data)
    }

    /// Which features are categorical, after checking their values are
    /// category codes (integers in 0..2^24, or NaN).
    fn categorical_mask(&self, x: &ArrayView2<'_, f64>) -> Result<Vec<bool>> {
        let mut mask = vec![false; x.ncols()];
        for &f in &self.params.categorical {
            if f >= x.ncols() {
                return Err(CiblageError::param(
                    "categorical_features",
                    format!("feature {f} does not exist ({} features)", x.ncols()),
                ));
            }
            mask[f] = true;
            let col = x.column(f);
            if let CartSplitter::Histogram { max_bins } = self.params.splitter {
                let mut codes: Vec<u64> = col
                    .iter()
                    .filter(|v| !v.is_nan())
                    .map(|v| *v as u64)
                    .collect();
                codes.sort_unstable();
                codes.dedup();
                if codes.len() > usize::from(max_bins) {
                    return Err(CiblageError::param(
                        "max_bins",
                        format!(
                            "feature {f} has {} categories, more than max_bins ({max_bins}): raise max_bins or use splitter=\"best\"",
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

    fn check_max_features(&self, d: usize) -> Result<()> {
        match self.params.max_features {
            Some(m) if m > d => Err(CiblageError::param(
                "max_features",
                format!("must be at most the number of features ({d}), got {m}"),
            )),
            _ => Ok(()),
        }
    }

    /// Grows the tree on `n_threads` threads (default: as many as the
    /// global pool). The calling thread is one of them where it can be (it
    /// is not already in a pool): it works where the caller's memory is and
    /// allocates from the caller's heap, and one thread runs on the caller's
    /// thread alone.
    fn grow(&self, data: TrainSet<'_>) -> Result<CartTree> {
        let k = self
            .params
            .n_threads
            .unwrap_or_else(rayon::current_num_threads);
        if let Ok(pool) = rayon::ThreadPoolBuilder::new()
            .num_threads(k)
            .use_current_thread()
            .build()
        {
            return Ok(pool.install(|| self.grow_here(data)));
        }
        match self.params.n_threads {
            None => Ok(self.grow_here(data)),
            Some(k) => {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(k)
                    .build()
                    .map_err(|e| CiblageError::param("n_threads", e.to_string()))?;
                Ok(pool.install(|| self.grow_here(data)))
            }
        }
    }

    fn grow_here(&self, data: TrainSet<'_>) -> CartTree {
        let mut data = data.reborrow();
        let p = &self.params;
        let w_total: f64 = data.weights.iter().sum();
        let min_weight_leaf = p.min_weight_fraction_leaf * w_total;
        let max_features = p.max_features.unwrap_or(data.d);
        match p.splitter {
            CartSplitter::Exact => {
                let mut sp = Splitter::new(
                    &data,
                    p.criterion,
                    p.seed,
                    p.min_samples_leaf,
                    min_weight_leaf,
                    max_features,
                    p.max_leaf_nodes.is_none() && worth_releasing(data.n, data.d, p.max_depth),
                );
                // Grown depth first, finished subtrees free their part of
                // the sorted orders.
                sp.mirror = p.max_leaf_nodes.is_none();
                self.grow_with(&mut sp, &data, min_weight_leaf)
            }
            CartSplitter::Histogram { max_bins } => {
                let (codes, bins) = bin_features(&data, usize::from(max_bins));
                let rows = NodeRows::new(&data, codes);
                // The rows hold their weights from now on.
                data.weights = Vec::new();
                let mut sp = HistSplitter::new(
                    &data,
                    (rows, bins),
                    p.criterion,
                    p.seed,
                    (p.min_samples_split, p.min_samples_leaf, min_weight_leaf),
                    (max_features, p.max_leaf_nodes.is_none()),
                );
                self.grow_with(&mut sp, &data, min_weight_leaf)
            }
        }
    }

    fn grow_with(
        &self,
        sp: &mut impl NodeSplitter,
        data: &TrainSet<'_>,
        min_weight_leaf: f64,
    ) -> CartTree {
        let p = &self.params;
        let max_depth = p.max_depth.unwrap_or(usize::MAX);
        let mut t = CartTree::empty(p.criterion, data.d, data.n_classes);
        if let Some(max_leaf_nodes) = p.max_leaf_nodes {
            let limits = best_first::Limits {
                max_depth,
                min_samples_split: p.min_samples_split,
                min_samples_leaf: p.min_samples_leaf,
                min_weight_leaf,
                min_impurity_decrease: p.min_impurity_decrease,
                max_leaf_nodes,
            };
            let n = sp.samples();
            best_first::grow(sp, &mut t, &limits, n);
            return t;
        }
        // (start, end, depth, parent, is_left, impurity, n_constant)
        // Samples of zero weight take no part (as in scikit-learn): the
        // splitter holds the others only.
        let mut stack: Vec<(usize, usize, usize, i64, bool, f64, usize)> =
            vec![(0, sp.samples(), 0, LEAF, false, f64::INFINITY, 0)];
        let mut first = true;
        while let Some((start, end, depth, parent, is_left, mut impurity, mut n_constant)) =
            stack.pop()
        {
            // The nodes left on the stack all lie below this one.
            sp.release_above(end);
            let n_node = end - start;
            let summary = sp.summarise(start, end);
            let (w_node, imp) = (summary.w, summary.impurity);
            let mut is_leaf = depth >= max_depth
                || n_node < p.min_samples_split
                || n_node < 2 * p.min_samples_leaf
                || w_node < 2.0 * min_weight_leaf;
            if first {
                impurity = imp;
                first = false;
            }
            is_leaf = is_leaf || impurity <= f64::EPSILON;
            let mut split = None;
            if is_leaf {
                sp.forget(start, end);
            } else {
                split = sp.node_split(
                    start,
                    end,
                    (impurity, depth + 1 < max_depth),
                    &summary,
                    &mut n_constant,
                );
                is_leaf = match &split {
                    None => true,
                    Some(s) => {
                        let rejected =
                            s.pos >= end || s.improvement + f64::EPSILON < p.min_impurity_decrease;
                        if rejected {
                            for (a, b) in sp.children(start, end, s) {
                                sp.forget(a, b);
                            }
                        }
                        rejected
                    }
                };
            }
            let id = t.push_node(parent, is_left, impurity, n_node, w_node, &summary.value);
            if let (false, Some(s)) = (is_leaf, split) {
                let [(left_start, left_end), (right_start, right_end)] =
                    sp.children(start, end, &s);
                t.feature[id as usize] = s.feature as i64;
                t.threshold[id as usize] = s.threshold;
                t.missing_go_to_left[id as usize] = s.missing_left;
                t.categories[id as usize] = s.categories.map(Box::new);
                stack.push((
                    right_start,
                    right_end,
                    depth + 1,
                    id,
                    false,
                    s.impurity_right,
                    n_constant,
                ));
                stack.push((
                    left_start,
                    left_end,
                    depth + 1,
                    id,
                    true,
                    s.impurity_left,
                    n_constant,
                ));
            }
        }
        t
    }
}
