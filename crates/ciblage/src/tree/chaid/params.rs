//! CHAID parameters: builder, validation, defaults (SPSS's), and the preset
//! that reproduces the `chaid` Python package.

use std::marker::PhantomData;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{CiblageError, Result};
use crate::interrupt::Interrupt;
use crate::tree::chaid::data::PredictorKind;
use crate::tree::task::{AnyTask, Classification, Regression, TreeTask};

/// How the best predictor of a node is chosen among candidates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TieRule {
    /// Smallest ln(adjusted p); values within a relative `tolerance` tie and
    /// are broken by the larger statistic, then the first column. The default
    /// (tolerance 1e-9): exact at any sample size.
    LogP {
        /// Relative tolerance on ln p.
        tolerance: f64,
    },
    /// Smallest raw p, ties (exactly equal p, e.g. both underflowing to 0 in
    /// the package) broken by the larger statistic, as the `chaid` package.
    ChaidPackage,
}

/// The χ² statistic of categorical targets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChaidStatistic {
    /// Pearson's χ² (SPSS's default).
    #[default]
    Pearson,
    /// Likelihood-ratio χ², G² = 2 Σ o·ln(o/e).
    LikelihoodRatio,
}

impl FromStr for ChaidStatistic {
    type Err = CiblageError;

    /// Parses the `statistic` option: `"pearson"` or `"likelihood_ratio"`.
    fn from_str(name: &str) -> Result<Self> {
        match name {
            "pearson" => Ok(Self::Pearson),
            "likelihood_ratio" => Ok(Self::LikelihoodRatio),
            other => Err(CiblageError::param(
                "statistic",
                format!("expected \"pearson\" or \"likelihood_ratio\", got {other:?}"),
            )),
        }
    }
}

impl FromStr for PredictorKind {
    type Err = CiblageError;

    /// Parses a predictor kind (the `column_types` option): `"nominal"`,
    /// `"ordinal"` or `"continuous"`.
    fn from_str(name: &str) -> Result<Self> {
        match name {
            "nominal" => Ok(Self::Nominal),
            "ordinal" => Ok(Self::Ordinal),
            "continuous" => Ok(Self::Continuous),
            other => Err(CiblageError::param(
                "column_types",
                format!("expected \"nominal\", \"ordinal\" or \"continuous\", got {other:?}"),
            )),
        }
    }
}

impl PredictorKind {
    /// The name `from_str` reads.
    pub fn name(self) -> &'static str {
        match self {
            Self::Nominal => "nominal",
            Self::Ordinal => "ordinal",
            Self::Continuous => "continuous",
        }
    }
}

/// A set of defaults: SPSS's, or the `chaid` Python package's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ChaidPreset {
    /// SPSS's CHAID (the default): alpha_merge 0.05, alpha_split 0.05,
    /// max_depth 3, min_parent 100, min_child 50, Bonferroni on.
    #[default]
    Spss,
    /// The `chaid` Python package's choices (version 5.5.1): no Bonferroni,
    /// categories merged while alpha_merge allows (down to one group, so
    /// alpha_merge is also the split threshold), best predictor by raw p,
    /// max_depth 2, min_parent 30, min_child 30, the root always tried,
    /// pairs showing a single class never merged, and its minimum-child
    /// rule and weighted χ² (see the `package` module). For users migrating
    /// from it.
    ChaidPackage,
}

impl FromStr for ChaidPreset {
    type Err = CiblageError;

    /// Parses the `preset` option: `"spss"` or `"chaid_package"`.
    fn from_str(name: &str) -> Result<Self> {
        match name {
            "spss" => Ok(Self::Spss),
            "chaid_package" => Ok(Self::ChaidPackage),
            other => Err(CiblageError::param(
                "preset",
                format!("expected \"spss\" or \"chaid_package\", got {other:?}"),
            )),
        }
    }
}

/// Builder for CHAID trees of task `T`. Start from [`Chaid::classifier`] or
/// [`Chaid::regressor`]: the task is picked there, once, and decides what
/// `fit` takes. A fitted model records its parameters as
/// `ChaidParams<AnyTask>` (the default `T`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChaidParams<T: TreeTask = AnyTask> {
    pub(crate) alpha_merge: f64,
    pub(crate) alpha_split: f64,
    /// Levels of splits below the root (`None`: no limit).
    pub(crate) max_depth: Option<usize>,
    pub(crate) min_parent: f64,
    pub(crate) min_child: f64,
    pub(crate) exhaustive: bool,
    pub(crate) bonferroni: bool,
    pub(crate) merge_to_one: bool,
    pub(crate) tie_rule: TieRule,
    /// The `chaid` package always tries to split the root, whatever its size.
    pub(crate) root_always_split: bool,
    /// A pair whose table has one class only is "identical" (p = 1, merges
    /// first) under SPSS; the `chaid` package never merges it.
    pub(crate) single_class_pairs_merge: bool,
    /// Statistic of categorical targets (continuous targets use ANOVA F).
    #[serde(default)]
    pub(crate) statistic: ChaidStatistic,
    /// SPSS's alpha for splitting merged groups back (`None`: off).
    #[serde(default)]
    pub(crate) split_merged: Option<f64>,
    /// Merge and apply `min_child` as the `chaid` package does (during the
    /// merge, weighted χ² by its fit), instead of SPSS's rules.
    #[serde(default)]
    pub(crate) package_merging: bool,
    /// Stops the growth (see [`Interrupt`]); never serialized.
    #[serde(skip)]
    pub(crate) interrupt: Interrupt,
    #[serde(skip)]
    pub(crate) task: PhantomData<T>,
}

/// Entry point: `Chaid::classifier().max_depth(Some(3)).check()?.fit(...)`,
/// `Chaid::regressor()...fit(...)`.
#[derive(Debug, Clone, Copy)]
pub struct Chaid;

impl Chaid {
    /// A classification tree (χ² tests), SPSS's defaults (see
    /// [`ChaidPreset::Spss`]): alpha_merge 0.05, alpha_split 0.05,
    /// max_depth 3, min_parent 100, min_child 50, Bonferroni on, standard
    /// CHAID.
    pub fn classifier() -> ChaidParams<Classification> {
        ChaidParams::spss()
    }

    /// A regression tree (ANOVA F tests; leaves predict the weighted
    /// mean), SPSS's defaults as [`Chaid::classifier`].
    pub fn regressor() -> ChaidParams<Regression> {
        ChaidParams::spss()
    }
}

impl<T: TreeTask> ChaidParams<T> {
    fn spss() -> Self {
        ChaidParams {
            alpha_merge: 0.05,
            alpha_split: 0.05,
            max_depth: Some(3),
            min_parent: 100.0,
            min_child: 50.0,
            exhaustive: false,
            bonferroni: true,
            merge_to_one: false,
            tie_rule: TieRule::LogP { tolerance: 1e-9 },
            root_always_split: false,
            single_class_pairs_merge: true,
            statistic: ChaidStatistic::Pearson,
            split_merged: None,
            package_merging: false,
            interrupt: Interrupt::default(),
            task: PhantomData,
        }
    }

    fn chaid_package() -> Self {
        ChaidParams {
            alpha_merge: 0.05,
            alpha_split: 1.0,
            max_depth: Some(2),
            min_parent: 30.0,
            min_child: 30.0,
            exhaustive: false,
            bonferroni: false,
            merge_to_one: true,
            tie_rule: TieRule::ChaidPackage,
            root_always_split: true,
            single_class_pairs_merge: false,
            statistic: ChaidStatistic::Pearson,
            split_merged: None,
            package_merging: true,
            interrupt: Interrupt::default(),
            task: PhantomData,
        }
    }

    /// Every option set to `preset`'s defaults (the interrupt token is
    /// kept): call it first, then change single options.
    #[must_use]
    pub fn preset(self, preset: ChaidPreset) -> Self {
        let fresh = match preset {
            ChaidPreset::Spss => Self::spss(),
            ChaidPreset::ChaidPackage => Self::chaid_package(),
        };
        Self {
            interrupt: self.interrupt,
            ..fresh
        }
    }

    /// The same parameters for task `U` (a model records them as
    /// `ChaidParams<AnyTask>`).
    pub(crate) fn retask<U: TreeTask>(&self) -> ChaidParams<U> {
        ChaidParams {
            alpha_merge: self.alpha_merge,
            alpha_split: self.alpha_split,
            max_depth: self.max_depth,
            min_parent: self.min_parent,
            min_child: self.min_child,
            exhaustive: self.exhaustive,
            bonferroni: self.bonferroni,
            merge_to_one: self.merge_to_one,
            tie_rule: self.tie_rule,
            root_always_split: self.root_always_split,
            single_class_pairs_merge: self.single_class_pairs_merge,
            statistic: self.statistic,
            split_merged: self.split_merged,
            package_merging: self.package_merging,
            interrupt: self.interrupt.clone(),
            task: PhantomData,
        }
    }

    /// The token that stops the fit ([`CiblageError::Interrupted`]); checked
    /// once per node (see [`Interrupt`]).
    #[must_use]
    pub fn interrupt(mut self, token: Interrupt) -> Self {
        self.interrupt = token;
        self
    }
    /// Merge categories while their pair p exceeds this (default 0.05).
    #[must_use]
    pub fn alpha_merge(mut self, v: f64) -> Self {
        self.alpha_merge = v;
        self
    }
    /// Split a node only if the best adjusted p is at most this (default 0.05).
    #[must_use]
    pub fn alpha_split(mut self, v: f64) -> Self {
        self.alpha_split = v;
        self
    }
    /// Levels of splits below the root (default 3; `None`: no limit).
    #[must_use]
    pub fn max_depth(mut self, v: Option<usize>) -> Self {
        self.max_depth = v;
        self
    }
    /// Nodes with fewer (weighted) cases are not split (default 100). A
    /// threshold on weighted counts: fractions are meaningful with weights.
    #[must_use]
    pub fn min_parent(mut self, v: f64) -> Self {
        self.min_parent = v;
        self
    }
    /// Groups with fewer cases are merged into their most similar neighbour
    /// (default 50).
    #[must_use]
    pub fn min_child(mut self, v: f64) -> Self {
        self.min_child = v;
        self
    }
    /// Exhaustive CHAID (Biggs et al. 1991) instead of standard CHAID.
    #[must_use]
    pub fn exhaustive(mut self, v: bool) -> Self {
        self.exhaustive = v;
        self
    }
    /// Bonferroni-adjust p-values (default on).
    #[must_use]
    pub fn bonferroni(mut self, v: bool) -> Self {
        self.bonferroni = v;
        self
    }
    /// The χ² statistic of categorical targets (default Pearson).
    #[must_use]
    pub fn statistic(mut self, v: ChaidStatistic) -> Self {
        self.statistic = v;
        self
    }
    /// Split merged groups of three or more categories back when their best
    /// binary split has p at most `alpha` (SPSS's "allow splitting of merged
    /// categories", Kass's step 3); `None` (default) keeps merges.
    #[must_use]
    pub fn split_merged(mut self, alpha: Option<f64>) -> Self {
        self.split_merged = alpha;
        self
    }
    /// The rule choosing among predictors.
    #[must_use]
    pub fn tie_rule(mut self, v: TieRule) -> Self {
        self.tie_rule = v;
        self
    }

    /// Validates the parameters.
    ///
    /// # Errors
    /// [`CiblageError::InvalidParameter`] naming the parameter.
    pub fn check(self) -> Result<ChaidValidParams<T>> {
        let unit = |name: &'static str, v: f64| {
            if v > 0.0 && v <= 1.0 {
                Ok(())
            } else {
                Err(CiblageError::param(
                    name,
                    format!("expected a probability in (0, 1], got {v}"),
                ))
            }
        };
        unit("alpha_merge", self.alpha_merge)?;
        unit("alpha_split", self.alpha_split)?;
        if let Some(a) = self.split_merged {
            unit("split_merged", a)?;
        }
        for (name, v) in [
            ("min_parent", self.min_parent),
            ("min_child", self.min_child),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(CiblageError::param(
                    name,
                    format!("expected a non-negative count, got {v}"),
                ));
            }
        }
        if let TieRule::LogP { tolerance } = self.tie_rule {
            if !(tolerance.is_finite() && tolerance >= 0.0) {
                return Err(CiblageError::param(
                    "tie_rule",
                    format!("tolerance must be ≥ 0, got {tolerance}"),
                ));
            }
        }
        Ok(ChaidValidParams { params: self })
    }
}

/// Validated CHAID parameters of task `T`: call `fit`.
#[derive(Debug, Clone, PartialEq)]
pub struct ChaidValidParams<T: TreeTask = AnyTask> {
    pub(crate) params: ChaidParams<T>,
}
