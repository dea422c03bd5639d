//! The public verbs of CHAID: one `fit` per task, with the rows' weights
//! as one input ([`ChaidWeights`]).

use crate::error::{CiblageError, Result};
use crate::tree::chaid::data::Predictor;
use crate::tree::chaid::grow::{check_classes, check_inputs};
use crate::tree::chaid::model::ChaidModel;
use crate::tree::chaid::params::{ChaidParams, ChaidValidParams};
use crate::tree::chaid::tables::TargetRef;
use crate::tree::inputs::{check_finite_target, check_target_sums};
use crate::tree::task::{Classification, Regression};

/// Row weights of a CHAID fit, one per row each: optional `frequency`
/// weights count cases (node counts and predictions are weighted by them),
/// optional SPSS `case` weights (classification only, each > 0) enter the
/// χ² tests through expected counts fitted by iterative proportional
/// fitting.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ChaidWeights<'a> {
    /// Frequency weights (`sample_weight`), ≥ 0 and finite.
    pub frequency: Option<&'a [f64]>,
    /// Case weights (`case_weight`), > 0 and finite.
    pub case: Option<&'a [f64]>,
}

impl<'a> ChaidWeights<'a> {
    /// Frequency weights only (`None`: every row counts once).
    pub fn frequency(frequency: Option<&'a [f64]>) -> Self {
        Self {
            frequency,
            case: None,
        }
    }
}

impl ChaidParams<Classification> {
    /// Validates, then fits: `self.check()?.fit(..)`.
    ///
    /// # Errors
    /// Invalid parameters, or see [`ChaidValidParams::<Classification>::fit`].
    pub fn fit(
        self,
        predictors: Vec<Predictor>,
        target: &[u32],
        classes: Vec<String>,
        weights: ChaidWeights<'_>,
    ) -> Result<ChaidModel> {
        self.check()?.fit(predictors, target, classes, weights)
    }
}

impl ChaidParams<Regression> {
    /// Validates, then fits: `self.check()?.fit(..)`.
    ///
    /// # Errors
    /// Invalid parameters, or see [`ChaidValidParams::<Regression>::fit`].
    pub fn fit(
        self,
        predictors: Vec<Predictor>,
        target: &[f64],
        weights: ChaidWeights<'_>,
    ) -> Result<ChaidModel> {
        self.check()?.fit(predictors, target, weights)
    }
}

impl ChaidValidParams<Classification> {
    /// Grows a tree predicting `target` (class codes into `classes`) from
    /// `predictors`, with optional frequency and case weights (see
    /// [`ChaidWeights`]).
    ///
    /// # Errors
    /// Empty input, columns of different lengths, a class code out of range,
    /// negative or non-finite frequency weights; case weights of the wrong
    /// length, not finite or not positive, or with the `chaid` package
    /// preset (which has no case weights).
    pub fn fit(
        &self,
        predictors: Vec<Predictor>,
        target: &[u32],
        classes: Vec<String>,
        weights: ChaidWeights<'_>,
    ) -> Result<ChaidModel> {
        let ChaidWeights { frequency, case } = weights;
        check_inputs(&predictors, target.len(), frequency)?;
        if let Some(case) = case {
            self.check_case_weights(case, target.len())?;
        }
        check_classes(target, &classes)?;
        let j = classes.len();
        let target = match case {
            Some(case) => TargetRef::CaseWeighted(target, j, case),
            None => TargetRef::Classes(target, j),
        };
        self.unless_interrupted(self.grow(predictors, target, classes, frequency))
    }

    fn check_case_weights(&self, case: &[f64], n: usize) -> Result<()> {
        if case.len() != n {
            return Err(CiblageError::LengthMismatch {
                argument: "case_weight".into(),
                expected: n,
                got: case.len(),
            });
        }
        if let Some(row) = case.iter().position(|x| !(x.is_finite() && *x > 0.0)) {
            return Err(CiblageError::param(
                "case_weight",
                format!(
                    "must be positive and finite, got {} at row {row}",
                    case[row]
                ),
            ));
        }
        if self.params.package_merging {
            return Err(CiblageError::param(
                "case_weight",
                "the chaid package preset has no case weights",
            ));
        }
        Ok(())
    }
}

impl ChaidValidParams<Regression> {
    /// Grows a tree predicting a continuous `target` (ANOVA F tests; leaves
    /// predict the weighted mean), e.g. monetary value, with optional
    /// frequency weights.
    ///
    /// # Errors
    /// Empty input, columns of different lengths, non-finite targets or
    /// weights; case weights (they are for categorical targets).
    pub fn fit(
        &self,
        predictors: Vec<Predictor>,
        target: &[f64],
        weights: ChaidWeights<'_>,
    ) -> Result<ChaidModel> {
        let ChaidWeights { frequency, case } = weights;
        if case.is_some() {
            return Err(CiblageError::param(
                "case_weight",
                "case weights are for categorical targets; use sample_weight",
            ));
        }
        check_inputs(&predictors, target.len(), frequency)?;
        check_finite_target(target)?;
        check_target_sums(target, frequency)?;
        self.unless_interrupted(self.grow(
            predictors,
            TargetRef::Values(target),
            Vec::new(),
            frequency,
        ))
    }
}
