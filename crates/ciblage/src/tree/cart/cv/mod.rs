//! rpart-style cross-validation of CART's pruning level: the cp table.
//!
//! The full tree's minimal cost-complexity pruning path gives alphas
//! a_0 = 0 < a_1 < … ; each subtree is represented by the geometric mean
//! √(a_k·a_{k+1}) (a_k for the last), as rpart does. The rows are shuffled
//! (numpy's `RandomState(seed).permutation(n)`, so that a seed gives the
//! folds numpy gives) and cut into `folds` consecutive folds (numpy's
//! `array_split`: the first `n % folds` one row longer). For each fold, in
//! parallel, a tree grown on the other rows (in row order) is pruned at
//! every representative alpha and scored on the fold: misclassification
//! (classifier) or squared error (regressor), weighted by the sample
//! weights. Errors are relative to the root's (rpart's `xerror`), with
//! their standard error by rows (`xstd`); the 1-SE rule picks the smallest
//! tree within one standard error of the smallest error.
//!
//! ```
//! use ndarray::array;
//! use ciblage::tree::cart::{Cart, CartCv, CvTarget, FoldOrder};
//!
//! let x = array![[0.0], [1.0], [2.0], [3.0], [10.0], [11.0], [12.0], [13.0]];
//! let y = [0, 0, 0, 0, 1, 1, 1, 1];
//! let tree = Cart::classifier().check()?;
//! let table = CartCv::params()
//!     .folds(2)
//!     .order(FoldOrder::Rows(vec![0, 2, 4, 6, 1, 3, 5, 7]))
//!     .score(x.view(), CvTarget::Classes { codes: &y, n_classes: 2 }, None, &tree)?;
//! assert_eq!(table.n_leaves, [2, 1]);
//! assert_eq!(table.xerror, [0.0, 1.0]);
//! assert_eq!(table.one_se, 0);
//! # Ok::<(), ciblage::CiblageError>(())
//! ```

mod fold;
mod inputs;
mod shuffle;

use crate::tree::cart::sparse::Features;
use rayon::prelude::*;

use crate::error::{CiblageError, Result};
use crate::interrupt::Interrupt;
use crate::tree::inputs::check_sample_weight;
pub use inputs::{CvClassWeight, CvFit, CvTarget, CvTree, FoldOrder};
use shuffle::{checked_order, numpy_permutation};

/// Entry point: `CartCv::params().folds(10).check()?.score(x, y, w, &tree)`.
#[derive(Debug, Clone, Copy)]
pub struct CartCv;

impl CartCv {
    /// Defaults: 10 folds, rows shuffled with seed 0, no class weights.
    pub fn params() -> CartCvParams {
        CartCvParams {
            folds: 10,
            order: FoldOrder::Seed(0),
            class_weight: CvClassWeight::None,
            interrupt: Interrupt::default(),
        }
    }
}

/// Builder of a cross-validation (see [`CartCv::params`]).
#[derive(Debug, Clone)]
#[must_use]
pub struct CartCvParams {
    pub(super) folds: usize,
    pub(super) order: FoldOrder,
    pub(super) class_weight: CvClassWeight,
    pub(super) interrupt: Interrupt,
}

impl CartCvParams {
    /// Number of folds (at least 2, at most the number of rows).
    pub fn folds(mut self, k: usize) -> Self {
        self.folds = k;
        self
    }
    /// How rows are shuffled (default `FoldOrder::Seed(0)`).
    pub fn order(mut self, order: FoldOrder) -> Self {
        self.order = order;
        self
    }
    /// Class weights of the trees grown (classification).
    pub fn class_weight(mut self, weights: CvClassWeight) -> Self {
        self.class_weight = weights;
        self
    }
    /// The token that stops the cross-validation and its fits
    /// ([`CiblageError::Interrupted`]).
    pub fn interrupt(mut self, token: Interrupt) -> Self {
        self.interrupt = token;
        self
    }

    /// Validates the parameters (those depending on the data are checked
    /// by `score`).
    ///
    /// # Errors
    /// [`CiblageError::InvalidParameter`] naming `folds` or `class_weight`.
    pub fn check(self) -> Result<CartCvValidParams> {
        if self.folds < 2 {
            return Err(CiblageError::param(
                "folds",
                format!("must be at least 2, got {}", self.folds),
            ));
        }
        if let CvClassWeight::PerClass(w) = &self.class_weight {
            if let Some(v) = w.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
                return Err(CiblageError::param(
                    "class_weight",
                    format!("weights must be finite and >= 0, got {v}"),
                ));
            }
        }
        Ok(CartCvValidParams { p: self })
    }

    /// Shortcut for `self.check()?.score(..)`.
    ///
    /// # Errors
    /// As [`CartCvParams::check`] and [`CartCvValidParams::score`].
    pub fn score<'x>(
        self,
        x: impl Into<Features<'x>>,
        y: CvTarget<'_>,
        sample_weight: Option<&[f64]>,
        tree: impl Into<CvTree>,
    ) -> Result<CostComplexityCv> {
        self.check()?.score(x, y, sample_weight, tree)
    }

    /// Shortcut for `self.check()?.score_each(..)`.
    ///
    /// # Errors
    /// As [`CartCvParams::check`] and [`CartCvValidParams::score_each`].
    pub fn score_each<'x, F>(
        self,
        x: impl Into<Features<'x>>,
        y: CvTarget<'_>,
        sample_weight: Option<&[f64]>,
        tree: F,
    ) -> Result<CostComplexityCv>
    where
        F: Fn(CvFit) -> Result<CvTree> + Sync,
    {
        self.check()?.score_each(x, y, sample_weight, tree)
    }
}

/// Validated cross-validation parameters.
#[derive(Debug, Clone)]
pub struct CartCvValidParams {
    pub(super) p: CartCvParams,
}

/// The cp table: one entry per subtree of the full tree's pruning path,
/// from the full tree to the root.
#[derive(Debug, Clone, PartialEq)]
pub struct CostComplexityCv {
    /// Effective alpha of each subtree (scikit-learn's `ccp_alphas`).
    pub ccp_alpha: Vec<f64>,
    /// Alpha over the root's impurity (rpart's `cp` scale).
    pub cp: Vec<f64>,
    /// Leaves of each subtree.
    pub n_leaves: Vec<usize>,
    /// Training impurity relative to the root's.
    pub rel_error: Vec<f64>,
    /// Cross-validated error relative to the root's.
    pub xerror: Vec<f64>,
    /// Standard error of `xerror`, by rows.
    pub xstd: Vec<f64>,
    /// Index of the smallest `xerror` (the first of equal ones).
    pub min: usize,
    /// Index of the smallest tree within one standard error of the
    /// smallest `xerror` (the 1-SE rule).
    pub one_se: usize,
}

/// Per representative alpha, the summed loss of a fold's rows and the sum
/// of their squared deviations from the fold's mean loss.
pub(super) type FoldLoss = Vec<(f64, f64)>;

impl CartCvValidParams {
    /// The cp table of trees grown with `tree` (every fit uses it).
    ///
    /// # Errors
    /// As [`CartCvValidParams::score_each`].
    pub fn score<'x>(
        &self,
        x: impl Into<Features<'x>>,
        y: CvTarget<'_>,
        sample_weight: Option<&[f64]>,
        tree: impl Into<CvTree>,
    ) -> Result<CostComplexityCv> {
        let tree = tree.into();
        self.score_each(x, y, sample_weight, |_| Ok(tree.clone()))
    }

    /// The cp table, the parameters of each tree given by `tree` (e.g.
    /// limits that are fractions of the rows a tree is grown on, or one
    /// seed per tree). The trees are grown with this cross-validation's
    /// interrupt token.
    ///
    /// # Errors
    /// Lengths of `y` or `sample_weight` other than the rows of `x`, more
    /// folds than rows, an order that is not a permutation of the rows,
    /// held-out rows whose complement weighs zero, the errors of the fits,
    /// [`CiblageError::Interrupted`].
    pub fn score_each<'x, F>(
        &self,
        x: impl Into<Features<'x>>,
        y: CvTarget<'_>,
        sample_weight: Option<&[f64]>,
        tree: F,
    ) -> Result<CostComplexityCv>
    where
        F: Fn(CvFit) -> Result<CvTree> + Sync,
    {
        let x: Features<'x> = x.into();
        let n = x.nrows();
        if y.len() != n {
            return Err(CiblageError::LengthMismatch {
                argument: "y".into(),
                expected: n,
                got: y.len(),
            });
        }
        check_sample_weight(sample_weight, n)?;
        let k = self.p.folds;
        if k > n {
            return Err(CiblageError::param(
                "folds",
                format!("{k} folds for {n} rows"),
            ));
        }
        let order = match &self.p.order {
            FoldOrder::Seed(seed) => numpy_permutation(n, *seed),
            FoldOrder::Rows(rows) => checked_order(rows, n)?,
        };
        let interrupt = &self.p.interrupt;
        let params_of = |fit: CvFit| -> Result<CvTree> { Ok(tree(fit)?.with_interrupt(interrupt)) };
        let all: Vec<usize> = (0..n).collect();
        let full = self.fit(
            params_of(CvFit {
                fold: None,
                n_rows: n,
            })?,
            x,
            y,
            sample_weight,
            &all,
        )?;
        let (alphas, impurities) = full.cost_complexity_pruning_path();
        let mut reps: Vec<f64> = alphas.windows(2).map(|a| (a[0] * a[1]).sqrt()).collect();
        reps.extend(alphas.last());
        let root = root_loss(y, sample_weight);
        let root = if root > 0.0 { root } else { 1.0 };

        let folds: Vec<(usize, usize)> = (0..k)
            .map(|j| {
                (
                    j * (n / k) + j.min(n % k),
                    (j + 1) * (n / k) + (j + 1).min(n % k),
                )
            })
            .collect();
        let per_fold = folds
            .par_iter()
            .enumerate()
            .map(|(j, &(start, end))| {
                interrupt.check()?;
                let held = &order[start..end];
                let mut is_held = vec![false; n];
                held.iter().for_each(|&r| is_held[r] = true);
                let train: Vec<usize> = (0..n).filter(|&r| !is_held[r]).collect();
                if let Some(w) = sample_weight {
                    if !train.iter().any(|&r| w[r] > 0.0) {
                        return Err(CiblageError::param(
                            "sample_weight",
                            format!(
                                "the rows outside fold {j} all weigh zero: no tree can be grown to \
                                 score it (use fewer folds or more rows of positive weight)"
                            ),
                        ));
                    }
                }
                let fit = CvFit {
                    fold: Some(j),
                    n_rows: train.len(),
                };
                let model = self.fit(params_of(fit)?, x, y, sample_weight, &train)?;
                self.fold_losses(&model, x, y, sample_weight, held, &reps)
            })
            .collect::<Result<Vec<FoldLoss>>>()?;

        // Folds merged by Chan's rule: sums add up, squared deviations add
        // up with a term for the difference of the fold means.
        let mut xerror = Vec::with_capacity(reps.len());
        let mut xstd = Vec::with_capacity(reps.len());
        for a in 0..reps.len() {
            let (mut count, mut sum, mut m2) = (0.0f64, 0.0f64, 0.0f64);
            for (&(start, end), losses) in folds.iter().zip(&per_fold) {
                let (c, (s, q)) = ((end - start) as f64, losses[a]);
                if c == 0.0 {
                    continue;
                }
                if count > 0.0 {
                    let delta = s / c - sum / count;
                    m2 += q + delta * delta * count * c / (count + c);
                } else {
                    m2 = q;
                }
                count += c;
                sum += s;
            }
            xerror.push(sum / root);
            xstd.push(m2.max(0.0).sqrt() / root);
        }
        let mut n_leaves = Vec::with_capacity(alphas.len());
        let mut last: Option<(usize, usize)> = None;
        let limits = running_max(&alphas);
        for &a in &alphas {
            interrupt.check()?;
            let key = limits.partition_point(|&m| m <= a);
            let leaves = match last {
                Some((k, leaves)) if k == key => leaves,
                _ => full.pruned(a).n_leaves(),
            };
            last = Some((key, leaves));
            n_leaves.push(leaves);
        }
        let root_imp = impurities
            .last()
            .copied()
            .filter(|&v| v > 0.0)
            .unwrap_or(1.0);
        let min = (0..xerror.len()).fold(0, |b, i| if xerror[i] < xerror[b] { i } else { b });
        let limit = xerror[min] + xstd[min];
        let one_se = (0..xerror.len())
            .rev()
            .find(|&i| xerror[i] <= limit)
            .unwrap_or(min);
        Ok(CostComplexityCv {
            cp: alphas.iter().map(|a| a / root_imp).collect(),
            rel_error: impurities.iter().map(|v| v / root_imp).collect(),
            ccp_alpha: alphas,
            n_leaves,
            xerror,
            xstd,
            min,
            one_se,
        })
    }
}

/// The running maximum of a pruning path's alphas: `pruned(a)` takes the
/// steps before the first alpha above `a`, i.e. those whose running
/// maximum is at most `a`.
pub(super) fn running_max(alphas: &[f64]) -> Vec<f64> {
    alphas
        .iter()
        .scan(f64::NEG_INFINITY, |m, &a| {
            *m = m.max(a);
            Some(*m)
        })
        .collect()
}

/// The error of the root's prediction: the weighted majority class (the
/// first of equal ones) or the weighted mean.
fn root_loss(y: CvTarget<'_>, sample_weight: Option<&[f64]>) -> f64 {
    let weight = |r: usize| sample_weight.map_or(1.0, |w| w[r]);
    match y {
        CvTarget::Classes { codes, n_classes } => {
            let mut totals = vec![0.0; n_classes.max(1)];
            codes
                .iter()
                .enumerate()
                .for_each(|(r, &c)| totals[c as usize] += weight(r));
            let major = (0..totals.len()).fold(0, |b, i| if totals[i] > totals[b] { i } else { b });
            codes
                .iter()
                .enumerate()
                .filter(|&(_, &c)| c as usize != major)
                .map(|(r, _)| weight(r))
                .sum()
        }
        CvTarget::Values(v) => {
            let total: f64 = (0..v.len()).map(weight).sum();
            let mean = (0..v.len()).map(|r| weight(r) * v[r]).sum::<f64>() / total;
            (0..v.len())
                .map(|r| weight(r) * (v[r] - mean).powi(2))
                .sum()
        }
    }
}

#[cfg(test)]
mod tests;
