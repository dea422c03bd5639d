//! Preparation of numeric features before clustering, fitted on the fit
//! data and kept in the model so that `predict` prepares new customers the
//! same way.
//!
//! Steps, per column, in this order: `log1p` (for the listed columns: long
//! tails of amounts and counts), winsorising (every column not ranked:
//! values clipped to the fit data's quantiles), rank (for the listed
//! columns: the share of fit rows at or below the value, in [0, 1]; linear
//! between at most 1001 stored quantiles), standardisation (every column:
//! minus the fit mean, divided by the fit standard deviation, 1 for a
//! constant column, as scikit-learn's `StandardScaler`). The statistics are
//! unweighted.
//!
//! ```
//! use ciblage::cluster::Preparation;
//! use ciblage::ndarray::array;
//!
//! let x = array![[0.0, 10.0], [1.0, 20.0], [3.0, 30.0], [7.0, 40.0]];
//! let (fitted, prepared) = Preparation::new().log1p(vec![0]).rank(vec![1]).fit(x.view())?;
//! let prepared = prepared.unwrap();
//! assert!((prepared[[3, 0]] - 8f64.ln()).abs() < 1e-12);
//! assert_eq!(prepared.column(1).to_vec(), vec![0.25, 0.5, 0.75, 1.0]);
//! // New rows are prepared with the fit data's statistics.
//! let new = fitted.unwrap().apply(array![[3.0, 25.0]].view())?;
//! assert!((new[[0, 1]] - 0.625).abs() < 1e-12);
//! # Ok::<(), ciblage::CiblageError>(())
//! ```

use ndarray::{Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use crate::error::{CiblageError, Result};

/// Most quantiles stored per ranked column.
const MAX_KNOTS: usize = 1001;

/// What to do to the features before clustering (nothing by default).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Preparation {
    log1p: Vec<usize>,
    rank: Vec<usize>,
    winsorize: Option<(f64, f64)>,
    standardize: bool,
}

impl Preparation {
    /// No preparation.
    pub fn new() -> Self {
        Self::default()
    }
    /// Columns (0-based) replaced by `ln(1 + x)` (values must be > -1).
    #[must_use]
    pub fn log1p(mut self, columns: Vec<usize>) -> Self {
        self.log1p = columns;
        self
    }
    /// Columns (0-based) replaced by their rank in [0, 1].
    #[must_use]
    pub fn rank(mut self, columns: Vec<usize>) -> Self {
        self.rank = columns;
        self
    }
    /// Clip every column not ranked to the fit data's `(low, high)`
    /// quantiles (numpy's linear interpolation), `0 <= low < high <= 1`.
    #[must_use]
    pub fn winsorize(mut self, quantiles: Option<(f64, f64)>) -> Self {
        self.winsorize = quantiles;
        self
    }
    /// Standardise every column (after the other steps).
    #[must_use]
    pub fn standardize(mut self, on: bool) -> Self {
        self.standardize = on;
        self
    }

    /// Whether nothing is done.
    pub fn is_identity(&self) -> bool {
        self.log1p.is_empty()
            && self.rank.is_empty()
            && self.winsorize.is_none()
            && !self.standardize
    }

    /// Validates the options that do not depend on the data.
    ///
    /// # Errors
    /// [`CiblageError::InvalidParameter`] naming `prepare.winsorize`,
    /// `prepare.log1p` or `prepare.rank`.
    pub fn check(&self) -> Result<()> {
        if let Some((lo, hi)) = self.winsorize {
            if !(lo.is_finite() && hi.is_finite() && 0.0 <= lo && lo < hi && hi <= 1.0) {
                return Err(CiblageError::param(
                    "prepare.winsorize",
                    format!("expected quantiles (low, high) with 0 <= low < high <= 1, got ({lo}, {hi})"),
                ));
            }
        }
        for (name, cols) in [("prepare.log1p", &self.log1p), ("prepare.rank", &self.rank)] {
            let mut seen = cols.clone();
            seen.sort_unstable();
            if let Some(w) = seen.windows(2).find(|w| w[0] == w[1]) {
                return Err(CiblageError::param(
                    name,
                    format!("column {} is listed twice", w[0]),
                ));
            }
        }
        Ok(())
    }

    /// Fits the preparation on `x` (finite values) and returns it with the
    /// prepared copy of `x`; `(None, None)` when nothing is to be done.
    ///
    /// # Errors
    /// [`CiblageError::InvalidParameter`] for a column out of range or a
    /// bad option, [`CiblageError::ValueOutOfRange`] for a `log1p` column
    /// holding a value <= -1.
    pub fn fit(
        &self,
        x: ArrayView2<'_, f64>,
    ) -> Result<(Option<FittedPreparation>, Option<Array2<f64>>)> {
        self.check()?;
        if self.is_identity() {
            return Ok((None, None));
        }
        let d = x.ncols();
        for (name, cols) in [("prepare.log1p", &self.log1p), ("prepare.rank", &self.rank)] {
            if let Some(c) = cols.iter().find(|&&c| c >= d) {
                return Err(CiblageError::param(
                    name,
                    format!("column {c} is out of range: x has {d} columns"),
                ));
            }
        }
        let mut out = x.as_standard_layout().into_owned();
        let mut columns = Vec::with_capacity(d);
        for (j, mut col) in out.axis_iter_mut(Axis(1)).enumerate() {
            let mut step = ColumnStep {
                log1p: self.log1p.contains(&j),
                ..ColumnStep::default()
            };
            if step.log1p {
                for (row, v) in col.iter_mut().enumerate() {
                    *v = log1p(*v, j, row)?;
                }
            }
            let ranked = self.rank.contains(&j);
            if ranked || self.winsorize.is_some() {
                let mut sorted = col.to_vec();
                sorted.sort_unstable_by(f64::total_cmp);
                if ranked {
                    step.rank = Some(RankTable::of_sorted(&sorted));
                } else if let Some((lo, hi)) = self.winsorize {
                    step.clip = Some([quantile(&sorted, lo), quantile(&sorted, hi)]);
                }
            }
            step.apply_pre_scale(col.iter_mut());
            if self.standardize {
                let n = col.len() as f64;
                let mean = col.sum() / n;
                let var = col.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
                let sd = var.sqrt();
                let sd = if sd > 0.0 && sd.is_finite() { sd } else { 1.0 };
                step.scale = Some([mean, sd]);
                col.iter_mut().for_each(|v| *v = (*v - mean) / sd);
            }
            columns.push(step);
        }
        Ok((Some(FittedPreparation { columns }), Some(out)))
    }
}

/// `ln(1 + v)`, refusing values at or below -1.
fn log1p(v: f64, column: usize, row: usize) -> Result<f64> {
    if v <= -1.0 {
        return Err(CiblageError::ValueOutOfRange {
            argument: format!("x column {column}"),
            row,
            value: v,
            range: "log1p needs values > -1",
        });
    }
    Ok(v.ln_1p())
}

/// numpy's default (linear) quantile of sorted values.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    let frac = pos - lo as f64;
    sorted[lo] + frac * (sorted[hi] - sorted[lo])
}

/// The empirical CDF of a fitted column at stored values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RankTable {
    /// Increasing values.
    pub knots: Vec<f64>,
    /// Share of fit rows at or below each knot (non-decreasing, in [0, 1]).
    pub cdf: Vec<f64>,
}

impl RankTable {
    fn of_sorted(sorted: &[f64]) -> Self {
        let n = sorted.len();
        let share = |v: f64| sorted.partition_point(|&s| s <= v) as f64 / n as f64;
        let mut knots: Vec<f64> = Vec::new();
        let mut distinct = sorted.to_vec();
        distinct.dedup();
        if distinct.len() <= MAX_KNOTS {
            knots = distinct;
        } else {
            for i in 0..MAX_KNOTS {
                let v =
                    sorted[((i as f64 / (MAX_KNOTS - 1) as f64) * (n - 1) as f64).round() as usize];
                if knots.last() != Some(&v) {
                    knots.push(v);
                }
            }
        }
        let cdf = knots.iter().map(|&v| share(v)).collect();
        Self { knots, cdf }
    }

    /// The rank of `v`: 0 below the first knot, linear between knots, the
    /// last share at and above the last knot.
    fn rank(&self, v: f64) -> f64 {
        let i = self.knots.partition_point(|&k| k <= v);
        if i == 0 {
            return 0.0;
        }
        if i == self.knots.len() {
            return self.cdf[i - 1];
        }
        let (k0, k1) = (self.knots[i - 1], self.knots[i]);
        let (c0, c1) = (self.cdf[i - 1], self.cdf[i]);
        c0 + (c1 - c0) * (v - k0) / (k1 - k0)
    }

    fn validate(&self, column: usize) -> Result<()> {
        let bad = |reason: &str| CiblageError::InvalidModelFile {
            what: "k-means model",
            reason: format!("prepare.columns[{column}].rank: {reason}"),
        };
        if self.knots.is_empty() || self.knots.len() != self.cdf.len() {
            return Err(bad(
                "knots and cdf must be non-empty and of the same length",
            ));
        }
        if self.knots.iter().any(|v| !v.is_finite()) || self.knots.windows(2).any(|w| w[0] >= w[1])
        {
            return Err(bad("knots must be finite and increasing"));
        }
        if self.cdf.iter().any(|v| !(0.0..=1.0).contains(v))
            || self.cdf.windows(2).any(|w| w[0] > w[1])
        {
            return Err(bad("cdf must be non-decreasing within [0, 1]"));
        }
        Ok(())
    }
}

/// The fitted steps of one column.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct ColumnStep {
    /// `ln(1 + x)` first.
    pub log1p: bool,
    /// Clip to `[low, high]`.
    pub clip: Option<[f64; 2]>,
    /// Rank by the fit data's empirical CDF.
    pub rank: Option<RankTable>,
    /// Standardise: `(x - mean) / sd`.
    pub scale: Option<[f64; 2]>,
}

impl ColumnStep {
    /// Clip and rank (after log1p, before the scaling).
    fn apply_pre_scale<'a>(&self, values: impl Iterator<Item = &'a mut f64>) {
        for v in values {
            if let Some([lo, hi]) = self.clip {
                *v = v.clamp(lo, hi);
            }
            if let Some(r) = &self.rank {
                *v = r.rank(*v);
            }
        }
    }
}

/// A preparation fitted on the fit data ([`Preparation::fit`]), applied
/// to new rows by [`FittedPreparation::apply`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedPreparation {
    pub(crate) columns: Vec<ColumnStep>,
}

impl FittedPreparation {
    /// Columns it prepares.
    pub fn n_features(&self) -> usize {
        self.columns.len()
    }

    /// Prepares `x` (finite values, as many columns as at fit).
    ///
    /// # Errors
    /// [`CiblageError::InvalidParameter`] for another number of columns,
    /// [`CiblageError::ValueOutOfRange`] for a `log1p` value <= -1.
    pub fn apply(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        if x.ncols() != self.columns.len() {
            return Err(CiblageError::param(
                "x",
                format!(
                    "has {} columns, expected {} (as at fit)",
                    x.ncols(),
                    self.columns.len()
                ),
            ));
        }
        let mut out = x.as_standard_layout().into_owned();
        for (j, (mut col, step)) in out.axis_iter_mut(Axis(1)).zip(&self.columns).enumerate() {
            if step.log1p {
                for (row, v) in col.iter_mut().enumerate() {
                    *v = log1p(*v, j, row)?;
                }
            }
            step.apply_pre_scale(col.iter_mut());
            if let Some([mean, sd]) = step.scale {
                col.iter_mut().for_each(|v| *v = (*v - mean) / sd);
            }
        }
        Ok(out)
    }

    /// Checks a preparation read from a file.
    pub(crate) fn validate(&self) -> Result<()> {
        for (j, c) in self.columns.iter().enumerate() {
            let bad = |reason: String| CiblageError::InvalidModelFile {
                what: "k-means model",
                reason: format!("prepare.columns[{j}]: {reason}"),
            };
            if let Some([lo, hi]) = c.clip {
                if !(lo.is_finite() && hi.is_finite() && lo <= hi) {
                    return Err(bad(format!("clip [{lo}, {hi}] is not a finite interval")));
                }
            }
            if let Some([mean, sd]) = c.scale {
                if !(mean.is_finite() && sd.is_finite() && sd > 0.0) {
                    return Err(bad(format!(
                        "scale [{mean}, {sd}] needs a finite mean and sd > 0"
                    )));
                }
            }
            if let Some(r) = &c.rank {
                r.validate(j)?;
            }
        }
        Ok(())
    }
}
