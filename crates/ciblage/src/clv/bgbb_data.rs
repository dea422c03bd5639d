//! Discrete-time purchase histories `(x, t_x, n)` read by BG/BB: the
//! number of transaction opportunities with a transaction, the last such
//! opportunity, and the opportunities observed.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::clv::summary::PurchaseSummary;
use crate::error::{CiblageError, Result};

/// Histories of customers with discrete transaction opportunities (yearly
/// donations, annual events, …): `frequency` x = opportunities with a
/// transaction among `opportunities` n (after the first transaction, which
/// starts the history), `recency` t_x = the last of them (0 without one),
/// and an optional weight per row (customers with the same history).
///
/// ```
/// use ciblage::clv::BgBbHistories;
/// let h = BgBbHistories::new(vec![0.0, 2.0, 6.0], vec![0.0, 4.0, 6.0], vec![6.0; 3])?
///     .with_weights(vec![3464.0, 155.0, 1203.0])?;
/// assert_eq!(h.len(), 3);
/// assert!(BgBbHistories::new(vec![3.0], vec![2.0], vec![6.0]).is_err()); // x > t_x
/// # Ok::<(), ciblage::CiblageError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct BgBbHistories {
    pub(crate) frequency: Vec<f64>,
    pub(crate) recency: Vec<f64>,
    pub(crate) opportunities: Vec<f64>,
    pub(crate) weights: Option<Vec<f64>>,
}

/// Most opportunities per history (the likelihood sums one term per
/// opportunity after the last transaction).
pub const MAX_OPPORTUNITIES: f64 = 1e6;

fn bad(argument: &str, row: usize, value: f64, range: &'static str) -> CiblageError {
    if value.is_finite() {
        CiblageError::ValueOutOfRange {
            argument: argument.into(),
            row,
            value,
            range,
        }
    } else {
        CiblageError::NonFinite {
            argument: argument.into(),
            row,
            value,
        }
    }
}

fn whole(v: f64) -> bool {
    v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= MAX_OPPORTUNITIES
}

impl BgBbHistories {
    /// Histories from three columns of equal length.
    ///
    /// # Errors
    /// Empty or unequal columns; `opportunities` not a whole number from 0
    /// to 10^6; `recency` not a whole number from 0 to `opportunities`;
    /// `frequency` not a whole number from 0 to `recency`, or 0 with a
    /// positive recency (the column and row are named).
    pub fn new(frequency: Vec<f64>, recency: Vec<f64>, opportunities: Vec<f64>) -> Result<Self> {
        if frequency.is_empty() {
            return Err(CiblageError::EmptyInput {
                argument: "frequency".into(),
            });
        }
        for (name, len) in [
            ("recency", recency.len()),
            ("opportunities", opportunities.len()),
        ] {
            if len != frequency.len() {
                return Err(CiblageError::LengthMismatch {
                    argument: name.into(),
                    expected: frequency.len(),
                    got: len,
                });
            }
        }
        for row in 0..frequency.len() {
            let (x, tx, n) = (frequency[row], recency[row], opportunities[row]);
            if !whole(n) {
                return Err(bad(
                    "opportunities",
                    row,
                    n,
                    "a whole number of opportunities from 0 to 10^6",
                ));
            }
            if !(whole(tx) && tx <= n) {
                return Err(bad(
                    "recency",
                    row,
                    tx,
                    "a whole number from 0 to opportunities (the last opportunity with a transaction)",
                ));
            }
            if !(whole(x) && x <= tx) {
                return Err(bad(
                    "frequency",
                    row,
                    x,
                    "a whole number from 0 to recency (one transaction per opportunity at most)",
                ));
            }
            if x == 0.0 && tx != 0.0 {
                return Err(bad(
                    "recency",
                    row,
                    tx,
                    "0 when frequency is 0 (no transaction after the first)",
                ));
            }
        }
        Ok(Self {
            frequency,
            recency,
            opportunities,
            weights: None,
        })
    }

    /// Adds a weight per row: the number of customers the row stands for.
    ///
    /// # Errors
    /// A length different from the other columns, weights that are not
    /// finite and positive.
    pub fn with_weights(mut self, weights: Vec<f64>) -> Result<Self> {
        if weights.len() != self.len() {
            return Err(CiblageError::LengthMismatch {
                argument: "weights".into(),
                expected: self.len(),
                got: weights.len(),
            });
        }
        if let Some(row) = weights.iter().position(|w| !(w.is_finite() && *w > 0.0)) {
            return Err(bad("weights", row, weights[row], "positive"));
        }
        self.weights = Some(weights);
        Ok(self)
    }

    /// The histories of a purchase summary computed with a period as the
    /// unit (`Freq::Week`, `Freq::Month`, …): repeat periods with a
    /// purchase, the last of them and the periods observed after the first
    /// purchase are `x`, `t_x` and `n`.
    ///
    /// # Errors
    /// A recency or `T` that is not a whole number of periods (a summary in
    /// fractional units) or is out of range, as [`BgBbHistories::new`].
    pub fn from_summary(summary: &PurchaseSummary) -> Result<Self> {
        Self::new(
            summary.frequency.iter().map(|&x| f64::from(x)).collect(),
            summary.recency.clone(),
            summary.t.clone(),
        )
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.frequency.len()
    }
    /// True when there is no row (never, once built).
    pub fn is_empty(&self) -> bool {
        self.frequency.is_empty()
    }
    /// Opportunities with a transaction, per row.
    pub fn frequency(&self) -> &[f64] {
        &self.frequency
    }
    /// Last opportunity with a transaction, per row.
    pub fn recency(&self) -> &[f64] {
        &self.recency
    }
    /// Opportunities observed, per row.
    pub fn opportunities(&self) -> &[f64] {
        &self.opportunities
    }
    /// Weight of row `i` (1 without weights).
    pub fn weight(&self, i: usize) -> f64 {
        self.weights.as_ref().map_or(1.0, |w| w[i])
    }

    /// Distinct `(x, t_x, n)` patterns with their summed weights, ordered.
    pub(crate) fn patterns(&self) -> Vec<([f64; 3], f64)> {
        let mut map: BTreeMap<[u64; 3], f64> = BTreeMap::new();
        for i in 0..self.len() {
            let key = [self.frequency[i], self.recency[i], self.opportunities[i]].map(|v| v as u64);
            *map.entry(key).or_insert(0.0) += self.weight(i);
        }
        map.into_iter()
            .map(|(k, w)| (k.map(|v| v as f64), w))
            .collect()
    }
}

/// The inputs BG/BB reads: [`BgBbHistories`], or a [`PurchaseSummary`]
/// in whole periods (see [`BgBbHistories::from_summary`]).
pub trait BgBbInput {
    /// The histories.
    ///
    /// # Errors
    /// Values that are not whole numbers of opportunities.
    fn bgbb_histories(&self) -> Result<Cow<'_, BgBbHistories>>;
}

impl BgBbInput for BgBbHistories {
    fn bgbb_histories(&self) -> Result<Cow<'_, BgBbHistories>> {
        Ok(Cow::Borrowed(self))
    }
}

impl BgBbInput for PurchaseSummary {
    fn bgbb_histories(&self) -> Result<Cow<'_, BgBbHistories>> {
        BgBbHistories::from_summary(self).map(Cow::Owned)
    }
}
