//! What a cross-validation is given: the trees it grows, the target, the
//! class weights, the order of the folds, and which tree a callback is
//! asked about.

use crate::interrupt::Interrupt;
use crate::tree::cart::params::CartValidParams;
use crate::tree::task::{Classification, Regression};

/// The parameters of the trees a cross-validation grows: a classifier's,
/// fitted to [`CvTarget::Classes`], or a regressor's, fitted to
/// [`CvTarget::Values`].
#[derive(Debug, Clone, PartialEq)]
pub enum CvTree {
    /// Classification trees.
    Classifier(CartValidParams<Classification>),
    /// Regression trees.
    Regressor(CartValidParams<Regression>),
}

impl CvTree {
    /// The same parameters, the trees grown with `token`.
    pub(super) fn with_interrupt(mut self, token: &Interrupt) -> Self {
        match &mut self {
            Self::Classifier(p) => p.params.interrupt = token.clone(),
            Self::Regressor(p) => p.params.interrupt = token.clone(),
        }
        self
    }
}

impl From<CartValidParams<Classification>> for CvTree {
    fn from(p: CartValidParams<Classification>) -> Self {
        Self::Classifier(p)
    }
}

impl From<CartValidParams<Regression>> for CvTree {
    fn from(p: CartValidParams<Regression>) -> Self {
        Self::Regressor(p)
    }
}

impl From<&CartValidParams<Classification>> for CvTree {
    fn from(p: &CartValidParams<Classification>) -> Self {
        Self::Classifier(p.clone())
    }
}

impl From<&CartValidParams<Regression>> for CvTree {
    fn from(p: &CartValidParams<Regression>) -> Self {
        Self::Regressor(p.clone())
    }
}

/// The target of a cross-validation: class codes below `n_classes`, or
/// values.
#[derive(Debug, Clone, Copy)]
pub enum CvTarget<'a> {
    /// Class codes (classification trees).
    Classes {
        /// Code of every row, below `n_classes`.
        codes: &'a [u32],
        /// Number of classes.
        n_classes: usize,
    },
    /// Target values (regression trees).
    Values(&'a [f64]),
}

impl CvTarget<'_> {
    pub(super) fn len(&self) -> usize {
        match self {
            Self::Classes { codes, .. } => codes.len(),
            Self::Values(v) => v.len(),
        }
    }
}

/// Class weights multiplied into the sample weights of every tree grown
/// (as scikit-learn's `class_weight`); the errors stay weighted by the
/// sample weights alone.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum CvClassWeight {
    /// No class weights.
    #[default]
    None,
    /// `n / (k · n_c)` over the rows a tree is grown on (`k`: the classes
    /// present there, `n_c`: rows of class `c`).
    Balanced,
    /// One weight per class code.
    PerClass(Vec<f64>),
}

/// How the rows are shuffled before they are cut into folds.
#[derive(Debug, Clone, PartialEq)]
pub enum FoldOrder {
    /// numpy's `RandomState(seed).permutation(n)` (the Mersenne Twister).
    Seed(u32),
    /// This order of the rows (a permutation of `0..n`).
    Rows(Vec<usize>),
}

/// Which tree a [`super::CartCvValidParams::score_each`] callback is asked the
/// parameters of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CvFit {
    /// `None` for the tree grown on every row, else the fold held out.
    pub fold: Option<usize>,
    /// Rows the tree is grown on.
    pub n_rows: usize,
}
