//! Fitting a tree of several outputs: input checks, then growth depth
//! first (or best first under `max_leaf_nodes`) with [`MultiSplitter`].

use ndarray::ArrayView2;

use crate::error::{CiblageError, Result};
use crate::tree::cart::growth::{best_first, depth_first, NodeSplitter, Pending};
use crate::tree::cart::multi::absolute::MedianOutputs;
use crate::tree::cart::multi::stats::Outputs;
use crate::tree::cart::multi::MultiSplitter;
use crate::tree::cart::params::{CartCriterion, CartParams, CartSplitter, CartValidParams};
use crate::tree::cart::shared::data::{Columns, TrainSet};
use crate::tree::cart::shared::draw::FeatureDraw;
use crate::tree::cart::shared::limits::{LeafLimits, Limits};
use crate::tree::cart::sparse::{with_columns, Features};
use crate::tree::cart::tree::CartModel;
use crate::tree::cart::values::NodeValues;
use crate::tree::inputs::{check_finite_target, check_sample_weight, check_training_shape};
use crate::tree::task::{Classification, Regression, TreeTask};

impl CartParams<Classification> {
    /// Validates, then fits several outputs: `self.check()?.fit_outputs(..)`.
    ///
    /// # Errors
    /// Invalid parameters, or see
    /// [`CartValidParams::<Classification>::fit_outputs`].
    pub fn fit_outputs<'x>(
        self,
        x: impl Into<Features<'x>>,
        y: ArrayView2<'_, u32>,
        n_classes: &[usize],
        weights: Option<&[f64]>,
    ) -> Result<CartModel> {
        self.check()?.fit_outputs(x, y, n_classes, weights)
    }
}

impl CartParams<Regression> {
    /// Validates, then fits several outputs: `self.check()?.fit_outputs(..)`.
    ///
    /// # Errors
    /// Invalid parameters, or see
    /// [`CartValidParams::<Regression>::fit_outputs`].
    pub fn fit_outputs<'x>(
        self,
        x: impl Into<Features<'x>>,
        y: ArrayView2<'_, f64>,
        weights: Option<&[f64]>,
    ) -> Result<CartModel> {
        self.check()?.fit_outputs(x, y, weights)
    }
}

impl CartValidParams<Classification> {
    /// Fits one classification tree predicting every column of `y` (one
    /// row per sample, one column per output, class codes of output `o`
    /// below `n_classes[o]`), as scikit-learn does for a 2-D `y`: the
    /// impurity is the mean over outputs of each output's. The node values
    /// hold, per output, its class shares, `n_classes.max()` numbers per
    /// output (see [`CartModel::n_outputs`]). One column is the
    /// single-output fit.
    ///
    /// ```
    /// use ciblage::ndarray::array;
    /// use ciblage::tree::cart::Cart;
    /// let x = array![[0.0], [1.0], [2.0], [3.0]];
    /// let y = array![[0, 1], [0, 1], [1, 0], [1, 2]];
    /// let tree = Cart::classifier().fit_outputs(x.view(), y.view(), &[2, 3], None)?;
    /// assert_eq!(tree.n_outputs(), 2);
    /// assert_eq!(tree.threshold[0], 1.5);
    /// // The root's shares: output 0 [1/2, 1/2], output 1 [1/4, 1/2, 1/4].
    /// assert_eq!(tree.value.node(0), &[0.5, 0.5, 0.0, 0.25, 0.5, 0.25]);
    /// # Ok::<(), ciblage::CiblageError>(())
    /// ```
    ///
    /// # Errors
    /// Those of [`CartValidParams::<Classification>::fit`]; `n_classes`
    /// not one per column of `y`; a parameter the multi-output fit does not
    /// take (see [`CartValidParams::<Regression>::fit_outputs`]).
    pub fn fit_outputs<'x>(
        &self,
        x: impl Into<Features<'x>>,
        y: ArrayView2<'_, u32>,
        n_classes: &[usize],
        weights: Option<&[f64]>,
    ) -> Result<CartModel> {
        if y.ncols() == 1 {
            let n = n_classes.first().copied().unwrap_or(0);
            return self.fit(x, &y.column(0).to_vec(), n, weights);
        }
        with_columns(x.into(), |x| {
            check_training_shape(x.nrows(), x.ncols(), y.nrows())?;
            if n_classes.len() != y.ncols() {
                return Err(CiblageError::param(
                    "n_classes",
                    format!(
                        "{} numbers of classes for {} outputs (columns of y)",
                        n_classes.len(),
                        y.ncols()
                    ),
                ));
            }
            for (o, (col, &n)) in y.columns().into_iter().zip(n_classes).enumerate() {
                if let Some((row, c)) = col.iter().enumerate().find(|(_, &c)| c as usize >= n) {
                    return Err(CiblageError::param(
                        "y",
                        format!("class code {c} at row {row} of output {o} is not below {n}"),
                    ));
                }
            }
            let stride = n_classes.iter().copied().max().unwrap_or(1).max(1);
            let outputs = Outputs::Classes {
                codes: y.iter().copied().collect(),
                n_classes: n_classes.to_vec(),
                stride,
                k: y.ncols(),
            };
            self.grow_outputs(x, &outputs, weights, (stride, n_classes.to_vec()))
        })
    }
}

impl CartValidParams<Regression> {
    /// Fits one regression tree predicting every column of `y` (one row
    /// per sample, one column per output), as scikit-learn does for a 2-D
    /// `y`: the impurity (squared error, Poisson loss, absolute error) is the mean over
    /// outputs of each output's; node values hold each output's mean. One
    /// column is the single-output fit.
    ///
    /// Several outputs take the exact (`Exact`) and random splitters,
    /// numeric features, missing values (NaN: sent right then left by the
    /// search, as scikit-learn's) and no monotonic constraints; the
    /// histogram splitter and categorical features are refused, naming
    /// the parameter. Under
    /// `AbsoluteError` the impurity is the sum of the outputs' absolute
    /// errors (about each output's weighted median) over `weight ×
    /// outputs`, as scikit-learn's.
    ///
    /// ```
    /// use ciblage::ndarray::array;
    /// use ciblage::tree::cart::Cart;
    /// let x = array![[0.0], [1.0], [2.0], [3.0]];
    /// let y = array![[1.0, 10.0], [1.0, 10.0], [5.0, 0.0], [5.0, 2.0]];
    /// let tree = Cart::regressor().max_depth(Some(1)).fit_outputs(x.view(), y.view(), None)?;
    /// assert_eq!(tree.threshold[0], 1.5);
    /// assert_eq!(tree.value.node(2), &[5.0, 1.0]);
    /// # Ok::<(), ciblage::CiblageError>(())
    /// ```
    ///
    /// # Errors
    /// Those of [`CartValidParams::<Regression>::fit`]; a parameter the
    /// multi-output fit does not take.
    pub fn fit_outputs<'x>(
        &self,
        x: impl Into<Features<'x>>,
        y: ArrayView2<'_, f64>,
        weights: Option<&[f64]>,
    ) -> Result<CartModel> {
        if y.ncols() == 1 {
            return self.fit(x, &y.column(0).to_vec(), weights);
        }
        with_columns(x.into(), |x| {
            check_training_shape(x.nrows(), x.ncols(), y.nrows())?;
            let flat: Vec<f64> = y.iter().copied().collect();
            check_finite_target(&flat).map_err(|e| match e {
                CiblageError::NonFinite {
                    argument,
                    row,
                    value,
                } => CiblageError::NonFinite {
                    argument,
                    row: row / y.ncols(),
                    value,
                },
                e => e,
            })?;
            check_sample_weight(weights, y.nrows())?;
            let squares: f64 = flat
                .chunks(y.ncols().max(1))
                .enumerate()
                .map(|(i, row)| {
                    weights.map_or(1.0, |w| w[i]) * row.iter().map(|v| v * v).sum::<f64>()
                })
                .sum();
            CiblageError::check_sum(
                "y",
                || "weighted sum of squares of y (node means and impurities)".into(),
                squares,
            )?;
            if self.params.criterion == CartCriterion::Poisson {
                if let Some(i) = flat.iter().position(|&v| v < 0.0) {
                    return Err(CiblageError::param(
                        "y",
                        format!(
                            "Some value(s) of y are negative which is not allowed for Poisson regression: value {} at row {} of output {} (poisson needs counts, y >= 0)",
                            flat[i], i / y.ncols(), i % y.ncols()
                        ),
                    ));
                }
                if flat.iter().sum::<f64>() <= 0.0 {
                    return Err(CiblageError::param(
                        "y",
                        "Sum of y is not positive which is necessary for Poisson regression",
                    ));
                }
                // An output summing to zero has no Poisson mean: its
                // impurity would be infinite at every node.
                for (o, col) in y.columns().into_iter().enumerate() {
                    if col.sum() <= 0.0 {
                        return Err(CiblageError::param(
                            "y",
                            format!("Sum of y is not positive which is necessary for Poisson regression: output {o} (column {o}) sums to 0"),
                        ));
                    }
                }
            }
            let outputs = Outputs::Values {
                y: flat,
                k: y.ncols(),
            };
            self.grow_outputs(x, &outputs, weights, (1, vec![1; y.ncols()]))
        })
    }
}

impl<T: TreeTask> CartValidParams<T> {
    /// Refuses what the multi-output fit does not take, naming it.
    fn check_outputs(&self, x: &Columns<'_>) -> Result<()> {
        let p = &self.params;
        if let CartSplitter::Histogram { .. } = p.splitter {
            return Err(CiblageError::param(
                "splitter",
                "a y of several outputs (columns) needs splitter=\"best\" or \"random\" (the histogram splitter, max_bins, takes one output)",
            ));
        }
        if p.monotonic_cst.is_some() {
            return Err(CiblageError::param(
                "monotonic_cst",
                "Monotonicity constraints are not supported with multiple outputs",
            ));
        }
        if !p.categorical.is_empty() {
            return Err(CiblageError::param(
                "categorical_features",
                "categorical features take a y of one output (column)",
            ));
        }
        if let Some(m) = p.max_features.filter(|&m| m > x.ncols()) {
            return Err(CiblageError::param(
                "max_features",
                format!(
                    "must be at most the number of features ({}), got {m}",
                    x.ncols()
                ),
            ));
        }
        Ok(())
    }

    /// Grows the tree of several `outputs`; `(stride, classes)`: numbers
    /// per output in the node values, and each output's classes (1 for
    /// regression).
    fn grow_outputs(
        &self,
        x: Columns<'_>,
        outputs: &Outputs,
        weights: Option<&[f64]>,
        (stride, classes): (usize, Vec<usize>),
    ) -> Result<CartModel> {
        self.check_outputs(&x)?;
        check_sample_weight(weights, x.nrows())?;
        let p = &self.params;
        let data = TrainSet {
            x: x.reborrow(),
            n: x.nrows(),
            d: x.ncols(),
            classes: None,
            n_classes: 0,
            targets: None,
            weights: weights.map_or_else(|| vec![1.0; x.nrows()], <[f64]>::to_vec),
            categorical: vec![false; x.ncols()],
            interrupt: p.interrupt.clone(),
        };
        let w_total: f64 = data.weights.iter().sum();
        let taking_part = data.weights.iter().filter(|&&w| w > 0.0).count();
        p.interrupt.add_total(taking_part as u64);
        let lim = Limits {
            max_depth: p.max_depth,
            min_samples_split: p.min_samples_split,
            leaf: LeafLimits {
                min_samples: p.min_samples_leaf,
                min_weight: p.min_weight_fraction_leaf * w_total,
            },
            min_impurity_decrease: p.min_impurity_decrease,
            interrupt: p.interrupt.clone(),
            monotonic: None,
        };
        let n_classes = if p.criterion.is_regression() {
            0
        } else {
            stride
        };
        let random = p.splitter == CartSplitter::Random;
        // The absolute error reads each output as a target of its own.
        let columns: Vec<Vec<f64>> = match outputs {
            Outputs::Values { y, k } if p.criterion == CartCriterion::AbsoluteError => (0..*k)
                .map(|o| y.iter().skip(o).step_by(*k).copied().collect())
                .collect(),
            _ => Vec::new(),
        };
        let grow = |bounded: bool| {
            let mut t = CartModel::empty(p.criterion, data.d, n_classes);
            t.value = NodeValues::new(outputs.width());
            t.output_classes = classes.clone();
            let medians = (!columns.is_empty()).then(|| MedianOutputs::new(&data, &columns));
            let mut sp = MultiSplitter::new(
                &data,
                (outputs, medians),
                (p.criterion, random),
                (
                    lim.leaf,
                    FeatureDraw::new(data.d, p.max_features.unwrap_or(data.d), p.seed),
                ),
            );
            // Best first, nodes are taken by their improvement, whose
            // rounding the bounded search does not follow.
            sp.bounded &= bounded && p.max_leaf_nodes.is_none();
            let n = sp.samples();
            match p.max_leaf_nodes {
                Some(max_leaf_nodes) => {
                    best_first::grow(&mut sp, &mut t, (&lim, max_leaf_nodes), n);
                }
                None => depth_first::grow(&mut sp, &mut t, &lim, Pending::root(n), |_, _, _| false),
            }
            (t, sp.failed)
        };
        let (mut t, failed) = grow(true);
        if failed {
            // A node too close to call out of scikit-learn's order: the
            // tree again, scikit-learn's sorts wherever values repeat.
            p.interrupt.add_total(taking_part as u64);
            t = grow(false).0;
        }
        p.interrupt.check()?;
        Ok(t)
    }
}
