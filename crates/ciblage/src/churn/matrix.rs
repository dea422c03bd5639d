//! The cohort tables of a [`RetentionAnalysis`] as `ndarray` matrices.

use std::str::FromStr;

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use crate::churn::analysis::RetentionAnalysis;
use crate::churn::cohorts::CohortRow;
use crate::error::{CiblageError, Result};

/// What the cells of a cohort matrix hold ([`RetentionAnalysis::cohort_matrix`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CohortMeasure {
    /// Customers of the cohort active in period `cohort + k`
    /// ([`CohortRow::active`]); as shares, over the cohort size.
    #[default]
    Classic,
    /// Customers active in `cohort + k` or later ([`CohortRow::rolling`]);
    /// as shares, over the cohort size.
    Rolling,
    /// Revenue of the cohort in `cohort + k` ([`CohortRow::revenue`]); as
    /// shares, over the revenue of the cohort period (revenue retention,
    /// [`CohortRow::revenue_retention`]).
    Revenue,
    /// Kaplan–Meier survival: column `j` is the probability of a lifetime
    /// longer than `j + 1` periods ([`CohortRow::survival`]); shares
    /// already.
    Survival,
}

impl FromStr for CohortMeasure {
    type Err = CiblageError;

    /// Parses `"classic"`, `"rolling"`, `"revenue"` or `"survival"`.
    ///
    /// # Errors
    /// [`CiblageError::InvalidParameter`] naming `kind` and the choices.
    fn from_str(name: &str) -> Result<Self> {
        match name {
            "classic" => Ok(Self::Classic),
            "rolling" => Ok(Self::Rolling),
            "revenue" => Ok(Self::Revenue),
            "survival" => Ok(Self::Survival),
            other => Err(CiblageError::param(
                "kind",
                format!(
                    "expected \"classic\", \"rolling\", \"revenue\" or \"survival\", got {other:?}"
                ),
            )),
        }
    }
}

impl CohortMeasure {
    /// The cell of `row` at column `k`, `None` where unobserved.
    fn cell(self, row: &CohortRow, k: usize, shares: bool) -> Option<f64> {
        let size = if shares { row.size as f64 } else { 1.0 };
        match self {
            Self::Classic => row.active.get(k).map(|&a| a as f64 / size),
            Self::Rolling => row.rolling.get(k).map(|&a| a as f64 / size),
            Self::Revenue if shares => row.revenue_retention(k),
            Self::Revenue => row.revenue.get(k).copied(),
            Self::Survival => row.survival.get(k).copied().filter(|s| !s.is_nan()),
        }
    }
}

impl RetentionAnalysis {
    /// A cohort matrix: one row per acquisition cohort
    /// ([`RetentionAnalysis::cohorts`], oldest first), one column per period
    /// since acquisition (as many as [`RetentionAnalysis::periods`]); counts
    /// or, with `shares`, shares. Cells not observed (later cohorts have
    /// shorter rows; a revenue retention over a first period without
    /// revenue; a survival with nobody left at risk) are NaN.
    ///
    /// ```
    /// use ciblage::churn::{CohortMeasure, Period, Retention};
    /// use ciblage::Transactions;
    /// let day = 86_400_000_000i64;
    /// let jan = 19_723 * day; // 2024-01-01
    /// // Customers 1 and 2 join in January, 1 comes back in February; 3
    /// // joins in February.
    /// let tx = Transactions::from_int_ids(&[1, 2, 1, 3], vec![jan, jan, jan + 31 * day, jan + 31 * day],
    ///                                     vec![10.0, 5.0, 20.0, 7.0])?;
    /// let r = Retention::params().period(Period::Month).score(&tx)?;
    /// let m = r.cohort_matrix(CohortMeasure::Classic, true);
    /// assert_eq!(m.dim(), (2, 2));
    /// assert_eq!((m[[0, 0]], m[[0, 1]], m[[1, 0]]), (1.0, 0.5, 1.0));
    /// assert!(m[[1, 1]].is_nan()); // February's cohort is not observed a month later
    /// let revenue = r.cohort_matrix(CohortMeasure::Revenue, false);
    /// assert_eq!(revenue[[0, 1]], 20.0);
    /// # Ok::<(), ciblage::CiblageError>(())
    /// ```
    pub fn cohort_matrix(&self, measure: CohortMeasure, shares: bool) -> ndarray::Array2<f64> {
        let cohorts = self.cohorts();
        let width = self.periods().len();
        Array2::from_shape_fn((cohorts.len(), width), |(i, k)| {
            measure.cell(&cohorts[i], k, shares).unwrap_or(f64::NAN)
        })
    }
}
