//! CART parameters: builder, validation, defaults (scikit-learn's).

use std::marker::PhantomData;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{CiblageError, Result};
use crate::interrupt::Interrupt;
use crate::tree::cart::monotonic_cst;
use crate::tree::task::{Classification, Regression, TreeTask};

/// Split quality measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CartCriterion {
    /// Gini impurity (classification, the default).
    Gini,
    /// Shannon entropy in bits (classification).
    Entropy,
    /// Mean squared error (regression).
    SquaredError,
    /// Half Poisson deviance (regression of counts: y ≥ 0, Σy > 0).
    Poisson,
    /// Mean absolute error around the weighted median (regression; the
    /// exact splitter, numeric features).
    AbsoluteError,
}

impl CartCriterion {
    /// Whether the criterion is for regression.
    pub fn is_regression(self) -> bool {
        matches!(
            self,
            Self::SquaredError | Self::Poisson | Self::AbsoluteError
        )
    }

    /// The name `from_str` reads (`"gini"`, `"squared_error"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Self::Gini => "gini",
            Self::Entropy => "entropy",
            Self::SquaredError => "squared_error",
            Self::Poisson => "poisson",
            Self::AbsoluteError => "absolute_error",
        }
    }
}

impl FromStr for CartCriterion {
    type Err = CiblageError;

    /// Parses the `criterion` option: `"gini"`, `"entropy"` (or its
    /// scikit-learn alias `"log_loss"`), `"squared_error"`, `"poisson"`,
    /// `"absolute_error"`.
    fn from_str(name: &str) -> Result<Self> {
        match name {
            "gini" => Ok(Self::Gini),
            "entropy" | "log_loss" => Ok(Self::Entropy),
            "squared_error" => Ok(Self::SquaredError),
            "poisson" => Ok(Self::Poisson),
            "absolute_error" => Ok(Self::AbsoluteError),
            other => Err(CiblageError::param(
                "criterion",
                format!(
                    "expected \"gini\", \"entropy\", \"log_loss\", \"squared_error\", \"poisson\" or \"absolute_error\", got {other:?}"
                ),
            )),
        }
    }
}

/// How split points are searched.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CartSplitter {
    /// Every threshold between consecutive distinct values (scikit-learn's
    /// `splitter="best"`): trees identical to scikit-learn's.
    #[default]
    Exact,
    /// Thresholds between bins: each feature cut once into at most
    /// `max_bins` (2..=255) bins, its distinct values when it has no more,
    /// else quantiles; nodes searched on per-bin sums. Much faster on large
    /// data; the same trees as `Exact` when no feature has more distinct
    /// values than bins.
    Histogram {
        /// Bins per feature (missing values get one more).
        max_bins: u16,
    },
    /// One threshold per drawn feature, drawn uniformly between the
    /// node's smallest and largest value of it; the best of those kept
    /// (scikit-learn's `splitter="random"`, its extra trees). Numeric
    /// features only.
    Random,
}

impl FromStr for CartSplitter {
    type Err = CiblageError;

    /// Parses the `splitter` option, with scikit-learn's names: `"best"`
    /// ([`CartSplitter::Exact`]), `"random"` ([`CartSplitter::Random`]) or
    /// `"hist"` ([`CartSplitter::Histogram`] with 255 bins; see
    /// [`CartSplitter::with_max_bins`]).
    fn from_str(name: &str) -> Result<Self> {
        match name {
            "best" => Ok(Self::Exact),
            "hist" => Ok(Self::Histogram { max_bins: 255 }),
            "random" => Ok(Self::Random),
            other => Err(CiblageError::param(
                "splitter",
                format!("expected \"best\", \"random\" or \"hist\", got {other:?}"),
            )),
        }
    }
}

impl CartSplitter {
    /// The histogram splitter with `max_bins` bins per feature; the exact
    /// and random splitters unchanged (they have no bins).
    #[must_use]
    pub fn with_max_bins(self, max_bins: u16) -> Self {
        match self {
            Self::Exact => Self::Exact,
            Self::Random => Self::Random,
            Self::Histogram { .. } => Self::Histogram { max_bins },
        }
    }
}

/// Builder for CART trees of task `T` ([`Classification`] or
/// [`Regression`]). Start from [`Cart::classifier`] or [`Cart::regressor`]:
/// the task is picked there, once, and decides what `fit` takes.
#[derive(Debug, Clone, PartialEq)]
pub struct CartParams<T: TreeTask> {
    pub(crate) criterion: CartCriterion,
    pub(crate) max_depth: Option<usize>,
    pub(crate) min_samples_split: usize,
    pub(crate) min_samples_leaf: usize,
    pub(crate) min_weight_fraction_leaf: f64,
    pub(crate) min_impurity_decrease: f64,
    pub(crate) max_features: Option<usize>,
    pub(crate) max_leaf_nodes: Option<usize>,
    pub(crate) splitter: CartSplitter,
    pub(crate) n_threads: Option<usize>,
    pub(crate) categorical: Vec<usize>,
    pub(crate) monotonic_cst: Option<Vec<i8>>,
    pub(crate) seed: u32,
    pub(crate) interrupt: Interrupt,
    pub(crate) task: PhantomData<T>,
}

/// Entry point: `Cart::classifier().max_depth(Some(3)).check()?.fit(...)`,
/// `Cart::regressor()...fit(...)`.
#[derive(Debug, Clone, Copy)]
pub struct Cart;

impl Cart {
    /// Classification defaults (Gini, unlimited depth, min_samples_split 2,
    /// min_samples_leaf 1), as scikit-learn's `DecisionTreeClassifier`.
    pub fn classifier() -> CartParams<Classification> {
        Self::defaults(CartCriterion::Gini)
    }

    /// Regression defaults (squared error), as `DecisionTreeRegressor`.
    pub fn regressor() -> CartParams<Regression> {
        Self::defaults(CartCriterion::SquaredError)
    }

    fn defaults<T: TreeTask>(criterion: CartCriterion) -> CartParams<T> {
        CartParams {
            criterion,
            max_depth: None,
            min_samples_split: 2,
            min_samples_leaf: 1,
            min_weight_fraction_leaf: 0.0,
            min_impurity_decrease: 0.0,
            max_features: None,
            max_leaf_nodes: None,
            splitter: CartSplitter::Exact,
            n_threads: None,
            categorical: Vec::new(),
            monotonic_cst: None,
            seed: 1,
            interrupt: Interrupt::default(),
            task: PhantomData,
        }
    }

    /// The internal seed scikit-learn derives from `random_state`
    /// (`RandomState(random_state).randint(0, 2**31 - 1)`) for
    /// `random_state = 0`; other values are computed by the Python binding
    /// with numpy.
    pub const SKLEARN_SEED_OF_RANDOM_STATE_0: u32 = 209_652_396;
}

impl<T: TreeTask> CartParams<T> {
    /// The criterion (parsed from its name with `str::parse`); it must be
    /// one of the task's: gini or entropy for a classifier, squared_error,
    /// poisson or absolute_error for a regressor.
    #[must_use]
    pub fn criterion(mut self, c: CartCriterion) -> Self {
        self.criterion = c;
        self
    }
    /// Maximum depth (`None`: unlimited).
    #[must_use]
    pub fn max_depth(mut self, d: Option<usize>) -> Self {
        self.max_depth = d;
        self
    }
    /// Minimum samples to split a node (≥ 2).
    #[must_use]
    pub fn min_samples_split(mut self, n: usize) -> Self {
        self.min_samples_split = n;
        self
    }
    /// Minimum samples in each leaf (≥ 1).
    #[must_use]
    pub fn min_samples_leaf(mut self, n: usize) -> Self {
        self.min_samples_leaf = n;
        self
    }
    /// Minimum share of the total weight in each leaf, in [0, 0.5].
    #[must_use]
    pub fn min_weight_fraction_leaf(mut self, f: f64) -> Self {
        self.min_weight_fraction_leaf = f;
        self
    }
    /// A split must decrease the weighted impurity by at least this.
    #[must_use]
    pub fn min_impurity_decrease(mut self, v: f64) -> Self {
        self.min_impurity_decrease = v;
        self
    }
    /// Features drawn (without replacement, from the seeded generator) and
    /// searched at each node (`None`: all). As in scikit-learn, the search
    /// goes on past this number while only constant features were drawn.
    #[must_use]
    pub fn max_features(mut self, n: Option<usize>) -> Self {
        self.max_features = n;
        self
    }
    /// Grow best first (largest impurity decrease first) up to this many
    /// leaves (`None`: depth first, unlimited), as scikit-learn's
    /// `max_leaf_nodes`; at least 2.
    #[must_use]
    pub fn max_leaf_nodes(mut self, n: Option<usize>) -> Self {
        self.max_leaf_nodes = n;
        self
    }
    /// How split points are searched (default [`CartSplitter::Exact`]).
    #[must_use]
    pub fn splitter(mut self, s: CartSplitter) -> Self {
        self.splitter = s;
        self
    }
    /// Threads used to fit (`None`: rayon's default, all cores). Trees do
    /// not depend on it.
    #[must_use]
    pub fn n_threads(mut self, n: Option<usize>) -> Self {
        self.n_threads = n;
        self
    }
    /// Features holding category codes (non-negative integers, NaN for
    /// missing), split by subsets of categories instead of thresholds (with
    /// the histogram splitter, at most `max_bins` categories each).
    #[must_use]
    pub fn categorical_features(mut self, features: Vec<usize>) -> Self {
        self.categorical = features;
        self
    }
    /// Monotonic constraints, one per feature (scikit-learn's
    /// `monotonic_cst`): 1, the prediction never falls as the feature
    /// rises; −1, it never rises; 0, free (`None`: no constraint). A
    /// classifier (two classes only) constrains the share of class 1.
    /// Splits on a constrained feature whose children break the order are
    /// refused, and every node's value is clipped into the bounds its
    /// ancestors' splits set. Categorical features cannot be constrained.
    #[must_use]
    pub fn monotonic_cst(mut self, cst: Option<Vec<i8>>) -> Self {
        self.monotonic_cst = cst;
        self
    }
    /// Seed of the feature visiting order (scikit-learn's xorshift); the
    /// order only matters between features giving exactly equal splits.
    /// The random splitter draws its thresholds from it too.
    #[must_use]
    pub fn seed(mut self, s: u32) -> Self {
        self.seed = s;
        self
    }

    /// The token that stops the fit ([`CiblageError::Interrupted`]); checked
    /// once per node (see [`Interrupt`]).
    #[must_use]
    pub fn interrupt(mut self, token: Interrupt) -> Self {
        self.interrupt = token;
        self
    }

    /// Validates the parameters.
    ///
    /// # Errors
    /// [`CiblageError::InvalidParameter`] naming the parameter.
    pub fn check(mut self) -> Result<CartValidParams<T>> {
        // No node holds a quarter of the address space: larger minimums
        // forbid every split as these do, and `2 * min_samples_leaf`
        // stays in range.
        self.min_samples_leaf = self.min_samples_leaf.min(usize::MAX / 4);
        self.min_samples_split = self.min_samples_split.min(usize::MAX / 4);
        if self.min_samples_split < 2 {
            return Err(CiblageError::param(
                "min_samples_split",
                format!("must be at least 2, got {}", self.min_samples_split),
            ));
        }
        if self.min_samples_leaf < 1 {
            return Err(CiblageError::param(
                "min_samples_leaf",
                "must be at least 1",
            ));
        }
        if !(0.0..=0.5).contains(&self.min_weight_fraction_leaf) {
            return Err(CiblageError::param(
                "min_weight_fraction_leaf",
                format!("must be in [0, 0.5], got {}", self.min_weight_fraction_leaf),
            ));
        }
        if !(self.min_impurity_decrease.is_finite() && self.min_impurity_decrease >= 0.0) {
            return Err(CiblageError::param(
                "min_impurity_decrease",
                format!(
                    "must be a non-negative number, got {}",
                    self.min_impurity_decrease
                ),
            ));
        }
        if self.max_features == Some(0) {
            return Err(CiblageError::param(
                "max_features",
                "must be at least 1 (or None for all features)",
            ));
        }
        if let CartSplitter::Histogram { max_bins } = self.splitter {
            if !(2..=255).contains(&max_bins) {
                return Err(CiblageError::param(
                    "max_bins",
                    format!("must be in 2..=255, got {max_bins}"),
                ));
            }
        }
        if self.criterion == CartCriterion::AbsoluteError {
            if let CartSplitter::Histogram { .. } = self.splitter {
                return Err(CiblageError::param(
                    "splitter",
                    "absolute_error needs the exact or random splitter (bins' sums give no medians)",
                ));
            }
            if !self.categorical.is_empty() {
                return Err(CiblageError::param(
                    "categorical_features",
                    "absolute_error splits numeric features only",
                ));
            }
        }
        if let Some(cst) = &self.monotonic_cst {
            monotonic_cst::check(cst, &self.categorical)?;
        }
        if self.splitter == CartSplitter::Random && !self.categorical.is_empty() {
            return Err(CiblageError::param(
                "categorical_features",
                "the random splitter splits numeric features only (use splitter=\"best\" or \"hist\")",
            ));
        }
        if self.n_threads == Some(0) {
            return Err(CiblageError::param(
                "n_threads",
                "must be at least 1 (or None for all cores)",
            ));
        }
        if let Some(n @ 0..=1) = self.max_leaf_nodes {
            return Err(CiblageError::param(
                "max_leaf_nodes",
                format!("must be at least 2 (or None), got {n}"),
            ));
        }
        if self.max_depth == Some(0) {
            return Err(CiblageError::param(
                "max_depth",
                "must be at least 1 (or None)",
            ));
        }
        // Last: the other messages come first, as when fit checked it.
        if T::REGRESSION.is_some_and(|r| r != self.criterion.is_regression()) {
            let choices = if self.criterion.is_regression() {
                "\"gini\" or \"entropy\""
            } else {
                "\"squared_error\", \"poisson\" or \"absolute_error\""
            };
            return Err(CiblageError::param(
                "criterion",
                format!(
                    "expected {choices} for a {}, got {:?}",
                    T::NAME,
                    self.criterion.name()
                ),
            ));
        }
        Ok(CartValidParams {
            params: self,
            single_stream: false,
            presort_whole: false,
        })
    }
}

/// Validated CART parameters of task `T`: call `fit`.
#[derive(Debug, Clone, PartialEq)]
pub struct CartValidParams<T: TreeTask> {
    pub(crate) params: CartParams<T>,
    /// Histogram splitter, depth first: every node draws its features
    /// from the one generator, in node order (the exact splitter's draws),
    /// so the subtrees of small nodes grow one after the other. Tests
    /// compare such trees with the exact splitter's.
    pub(crate) single_stream: bool,
    /// Exact splitter, depth first: every feature presorted at the root
    /// (instead of growing from the top, see `top`). Tests compare both.
    pub(crate) presort_whole: bool,
}

#[cfg(test)]
impl<T: TreeTask> CartValidParams<T> {
    /// The same parameters, every node drawing from the one generator.
    pub(crate) fn with_single_stream(mut self) -> Self {
        self.single_stream = true;
        self
    }

    /// The same parameters, the exact splitter presorting every feature at
    /// the root.
    pub(crate) fn with_whole_presort(mut self) -> Self {
        self.presort_whole = true;
        self
    }
}

#[cfg(test)]
mod option_tests {
    use super::*;

    #[test]
    fn options_parse_by_name() {
        assert_eq!(
            "log_loss".parse::<CartCriterion>().unwrap(),
            CartCriterion::Entropy
        );
        assert_eq!(
            "absolute_error".parse::<CartCriterion>().unwrap(),
            CartCriterion::AbsoluteError
        );
        let e = "mae".parse::<CartCriterion>().unwrap_err();
        assert!(
            e.to_string()
                .starts_with("invalid parameter criterion: expected \"gini\""),
            "{e}"
        );
        assert_eq!(
            "hist".parse::<CartSplitter>().unwrap().with_max_bins(16),
            CartSplitter::Histogram { max_bins: 16 }
        );
        assert_eq!(
            "best".parse::<CartSplitter>().unwrap().with_max_bins(16),
            CartSplitter::Exact
        );
        assert_eq!(
            "random".parse::<CartSplitter>().unwrap().with_max_bins(16),
            CartSplitter::Random
        );
        let e = "extra".parse::<CartSplitter>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid parameter splitter: expected \"best\", \"random\" or \"hist\", got \"extra\""
        );
    }

    #[test]
    fn the_criterion_must_be_the_tasks() {
        let e = Cart::classifier()
            .criterion(CartCriterion::Poisson)
            .check()
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid parameter criterion: expected \"gini\" or \"entropy\" for a classifier, got \"poisson\""
        );
        let e = Cart::regressor()
            .criterion(CartCriterion::Gini)
            .check()
            .unwrap_err();
        assert!(
            e.to_string().contains("for a regressor, got \"gini\""),
            "{e}"
        );
        assert!(Cart::regressor()
            .criterion(CartCriterion::Poisson)
            .check()
            .is_ok());
    }
}
