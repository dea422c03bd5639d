//! The options of k-means that are not counts (algorithm, initialisation,
//! mini-batch mode) and the checks of its inputs, shared by the fit and the
//! model.

use std::str::FromStr;

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;

use crate::error::{CiblageError, Result};

/// How the iterations find each row's nearest centre.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum KMeansAlgorithm {
    /// Every distance, at every iteration (scikit-learn's `"lloyd"`).
    #[default]
    Lloyd,
    /// Triangle-inequality bounds that skip most distances once the centres
    /// settle (scikit-learn's `"elkan"`). This is Hamerly's variant (one
    /// upper and one lower bound per row, so memory grows with the rows,
    /// not rows × clusters); the iterations, labels and centres are those
    /// of Lloyd.
    Elkan,
}

impl FromStr for KMeansAlgorithm {
    type Err = CiblageError;

    /// Parses the `algorithm` option: `"lloyd"` or `"elkan"`.
    fn from_str(name: &str) -> Result<Self> {
        match name {
            "lloyd" => Ok(Self::Lloyd),
            "elkan" => Ok(Self::Elkan),
            other => Err(CiblageError::param(
                "algorithm",
                format!("expected \"lloyd\" or \"elkan\", got {other:?}"),
            )),
        }
    }
}

/// How the first centres are chosen.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum KMeansInit {
    /// k-means++ (scikit-learn's greedy variant: 2 + ln k candidates per
    /// centre, the one lowering the inertia most is kept).
    #[default]
    KMeansPlusPlus,
    /// `n_clusters` distinct rows drawn at random.
    Random,
    /// The given centres (`n_clusters` × features, in the prepared space);
    /// one initialisation.
    Centers(Array2<f64>),
}

impl FromStr for KMeansInit {
    type Err = CiblageError;

    /// Parses the `init` option: `"k-means++"` or `"random"`.
    fn from_str(name: &str) -> Result<Self> {
        match name {
            "k-means++" => Ok(Self::KMeansPlusPlus),
            "random" => Ok(Self::Random),
            other => Err(CiblageError::param(
                "init",
                format!("expected \"k-means++\", \"random\" or an array of centres, got {other:?}"),
            )),
        }
    }
}

/// The mini-batch mode (scikit-learn's `MiniBatchKMeans`): each step draws
/// `batch_size` rows (with replacement, seeded) and moves their centres
/// towards them by running weighted means. `max_iter` then counts passes
/// over the data.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MiniBatch {
    /// Rows drawn per step (default 1024).
    pub batch_size: usize,
    /// Steps without improvement of the smoothed batch inertia after which
    /// the fit stops (`None`: never; default 10).
    pub max_no_improvement: Option<usize>,
    /// Rows drawn to initialise the centres (`None`: 3 × batch_size, at
    /// least 3 × n_clusters, at most the rows).
    pub init_size: Option<usize>,
}

impl Default for MiniBatch {
    fn default() -> Self {
        Self {
            batch_size: 1024,
            max_no_improvement: Some(10),
            init_size: None,
        }
    }
}

/// Largest magnitude of a feature value: squared distances of values up to
/// this stay far from the range of `f64`.
pub(crate) const MAX_VALUE: f64 = 1e150;

/// Refuses NaN, infinities and values beyond ±[`MAX_VALUE`] in `x`
/// (`argument`), naming the first row holding one.
pub(crate) fn check_finite(x: ArrayView2<'_, f64>, argument: &str) -> Result<()> {
    // The common case, every value in range, is screened in parallel
    // without a branch per value; the rows are searched for the first bad
    // one only when there is one.
    if let Some(s) = x.as_slice() {
        let in_range = |c: &[f64]| c.iter().fold(true, |ok, v| ok & (v.abs() <= MAX_VALUE));
        if s.par_chunks(1 << 16).all(in_range) {
            return Ok(());
        }
    }
    for (row, r) in x.rows().into_iter().enumerate() {
        if let Some(&value) = r.iter().find(|v| !v.is_finite()) {
            return Err(CiblageError::NonFinite {
                argument: argument.into(),
                row,
                value,
            });
        }
        if let Some(&value) = r.iter().find(|v| v.abs() > MAX_VALUE) {
            return Err(CiblageError::ValueOutOfRange {
                argument: argument.into(),
                row,
                value,
                range: "k-means squares the features: their magnitude must be at most 1e150",
            });
        }
    }
    Ok(())
}

/// Refuses weights of the wrong length, non-finite or negative, or all zero.
pub(crate) fn check_weights(weights: Option<&[f64]>, n: usize) -> Result<()> {
    let Some(w) = weights else { return Ok(()) };
    if w.len() != n {
        return Err(CiblageError::LengthMismatch {
            argument: "weights".into(),
            expected: n,
            got: w.len(),
        });
    }
    for (row, &value) in w.iter().enumerate() {
        if !value.is_finite() {
            return Err(CiblageError::NonFinite {
                argument: "weights".into(),
                row,
                value,
            });
        }
        if value < 0.0 {
            return Err(CiblageError::ValueOutOfRange {
                argument: "weights".into(),
                row,
                value,
                range: "weights must be >= 0",
            });
        }
    }
    let total: f64 = w.iter().sum();
    if !(total > 0.0 && total.is_finite()) {
        return Err(CiblageError::param(
            "weights",
            "the weights must add up to a positive finite total",
        ));
    }
    Ok(())
}
