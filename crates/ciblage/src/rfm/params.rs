//! RFM/RFA parameters: builder, validation, defaults.

use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::activity::ActivityOptions;
use crate::error::{CiblageError, Result};
use crate::interrupt::Interrupt;
use crate::rfm::binning::Binning;
use crate::rfm::segments::SegmentTable;
use crate::time::Zone;
use crate::transactions::NegativeAmounts;

/// What "frequency" counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FrequencyMeasure {
    /// Transactions (rows), as R `rfm` and most RFM tools. The default.
    #[default]
    Transactions,
    /// Distinct local purchase days, as `lifetimes`/pymc-marketing count
    /// purchase periods (several orders on one day count once).
    PurchaseDays,
}

impl FromStr for FrequencyMeasure {
    type Err = CiblageError;

    /// Parses `"transactions"` or `"purchase_days"`.
    fn from_str(name: &str) -> Result<Self> {
        match name {
            "transactions" => Ok(Self::Transactions),
            "purchase_days" => Ok(Self::PurchaseDays),
            other => Err(CiblageError::param(
                "frequency",
                format!("expected \"transactions\" or \"purchase_days\", got {other:?}"),
            )),
        }
    }
}

/// What "monetary" sums.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MonetaryMeasure {
    /// Sum of amounts. The default.
    #[default]
    Revenue,
    /// Sum of amounts minus costs (needs a cost column).
    Margin,
}

impl FromStr for MonetaryMeasure {
    type Err = CiblageError;

    /// Parses `"revenue"` or `"margin"`.
    fn from_str(name: &str) -> Result<Self> {
        match name {
            "revenue" => Ok(Self::Revenue),
            "margin" => Ok(Self::Margin),
            other => Err(CiblageError::param(
                "monetary",
                format!("expected \"revenue\" or \"margin\", got {other:?}"),
            )),
        }
    }
}

/// Which value the third score is computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RfmVariant {
    /// RFM: the total monetary value. The default.
    #[default]
    Rfm,
    /// RFA: the average amount per purchase (monetary / frequency).
    Rfa,
}

impl FromStr for RfmVariant {
    type Err = CiblageError;

    /// Parses `"rfm"` or `"rfa"`.
    fn from_str(name: &str) -> Result<Self> {
        match name {
            "rfm" => Ok(Self::Rfm),
            "rfa" => Ok(Self::Rfa),
            other => Err(CiblageError::param(
                "variant",
                format!("expected \"rfm\" or \"rfa\", got {other:?}"),
            )),
        }
    }
}

/// Entry point of RFM/RFA scoring.
///
/// ```
/// use ciblage::{Rfm, Transactions};
/// let day = 86_400_000_000_i64;
/// let tx = Transactions::from_int_ids(
///     &[1, 1, 2, 3, 3, 3],
///     vec![0, 9 * day, 5 * day, 1 * day, 2 * day, 3 * day],
///     vec![10.0, 20.0, 5.0, 50.0, 50.0, 50.0],
/// )?;
/// let scores = Rfm::params().bins(3).score(&tx)?;
/// assert_eq!(scores.len(), 3);
/// assert_eq!(scores.recency_days(), [1, 5, 7]); // as of day 10
/// assert_eq!(scores.r_scores(), [3, 2, 1]);
/// assert_eq!(scores.m_scores(), [2, 1, 3]);
/// # Ok::<(), ciblage::CiblageError>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Rfm;

impl Rfm {
    /// Parameters with their defaults: 5 classes, [`Binning::Quantile`] for
    /// every criterion, frequency = transactions, monetary = revenue, RFM
    /// (not RFA), weights 1/1/1, reference date = the day after the last
    /// transaction, negative amounts kept, the classic segment table.
    pub fn params() -> RfmParams {
        RfmParams::default()
    }
}

/// Validated RFM parameters; see [`Rfm::params`] for the defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RfmValidParams {
    pub(crate) bins: usize,
    pub(crate) recency: Binning,
    pub(crate) frequency: Binning,
    pub(crate) monetary: Binning,
    pub(crate) frequency_measure: FrequencyMeasure,
    pub(crate) monetary_measure: MonetaryMeasure,
    pub(crate) variant: RfmVariant,
    pub(crate) weights: [f64; 3],
    pub(crate) as_of: Option<NaiveDate>,
    pub(crate) negative_amounts: NegativeAmounts,
    pub(crate) segments: SegmentTable,
    /// Stops the scoring (see [`Interrupt`]); never serialized.
    #[serde(skip)]
    pub(crate) interrupt: Interrupt,
}

impl Default for RfmValidParams {
    fn default() -> Self {
        Self {
            bins: 5,
            recency: Binning::Quantile,
            frequency: Binning::Quantile,
            monetary: Binning::Quantile,
            frequency_measure: FrequencyMeasure::Transactions,
            monetary_measure: MonetaryMeasure::Revenue,
            variant: RfmVariant::Rfm,
            weights: [1.0; 3],
            as_of: None,
            negative_amounts: NegativeAmounts::Keep,
            segments: SegmentTable::classic(),
            interrupt: Interrupt::default(),
        }
    }
}

/// Builder of RFM parameters; [`RfmParams::check`] validates them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RfmParams(RfmValidParams);

impl RfmParams {
    /// The token that stops the aggregation and scoring
    /// ([`CiblageError::Interrupted`]); see [`Interrupt`].
    #[must_use]
    pub fn interrupt(mut self, token: Interrupt) -> Self {
        self.0.interrupt = token;
        self
    }

    /// Number of classes per criterion, 2 to 9 (default 5; the domain's
    /// flash cards use 4). Fixed cut points set their own number.
    #[must_use]
    pub fn bins(mut self, k: usize) -> Self {
        self.0.bins = k;
        self
    }

    /// The same binning method for the three criteria.
    #[must_use]
    pub fn method(mut self, binning: Binning) -> Self {
        self.0.recency = binning.clone();
        self.0.frequency = binning.clone();
        self.0.monetary = binning;
        self
    }

    /// Binning of recency (days since last purchase).
    #[must_use]
    pub fn recency_binning(mut self, binning: Binning) -> Self {
        self.0.recency = binning;
        self
    }

    /// Binning of frequency.
    #[must_use]
    pub fn frequency_binning(mut self, binning: Binning) -> Self {
        self.0.frequency = binning;
        self
    }

    /// Binning of the monetary value (or of the average amount, for RFA).
    #[must_use]
    pub fn monetary_binning(mut self, binning: Binning) -> Self {
        self.0.monetary = binning;
        self
    }

    /// What frequency counts.
    #[must_use]
    pub fn frequency(mut self, measure: FrequencyMeasure) -> Self {
        self.0.frequency_measure = measure;
        self
    }

    /// Revenue or margin.
    #[must_use]
    pub fn monetary(mut self, measure: MonetaryMeasure) -> Self {
        self.0.monetary_measure = measure;
        self
    }

    /// RFM (total) or RFA (average amount).
    #[must_use]
    pub fn variant(mut self, variant: RfmVariant) -> Self {
        self.0.variant = variant;
        self
    }

    /// Weights of the R, F and M scores in the weighted score (default 1, 1, 1).
    #[must_use]
    pub fn weights(mut self, recency: f64, frequency: f64, monetary: f64) -> Self {
        self.0.weights = [recency, frequency, monetary];
        self
    }

    /// Reference date: recency is counted up to it, and transactions on later
    /// days are left out (and counted in the report). Default: the day after
    /// the last transaction.
    #[must_use]
    pub fn as_of(mut self, date: NaiveDate) -> Self {
        self.0.as_of = Some(date);
        self
    }

    /// Policy for negative amounts (default keep).
    #[must_use]
    pub fn negative_amounts(mut self, policy: NegativeAmounts) -> Self {
        self.0.negative_amounts = policy;
        self
    }

    /// Segment table (default [`SegmentTable::classic`]).
    #[must_use]
    pub fn segments(mut self, table: SegmentTable) -> Self {
        self.0.segments = table;
        self
    }

    /// Validates the parameters.
    ///
    /// # Errors
    /// [`CiblageError::InvalidParameter`] naming the parameter.
    pub fn check(self) -> Result<RfmValidParams> {
        let p = self.0;
        if !(2..=9).contains(&p.bins) {
            return Err(CiblageError::param(
                "bins",
                format!("must be between 2 and 9, got {}", p.bins),
            ));
        }
        p.recency.check("recency_cuts")?;
        p.frequency.check("frequency_cuts")?;
        p.monetary.check("monetary_cuts")?;
        if p.weights.iter().any(|w| !w.is_finite() || *w < 0.0) {
            return Err(CiblageError::param(
                "weights",
                format!("must be finite and non-negative, got {:?}", p.weights),
            ));
        }
        if p.weights.iter().sum::<f64>() <= 0.0 {
            return Err(CiblageError::param("weights", "must not all be zero"));
        }
        Ok(p)
    }
}

impl RfmValidParams {
    /// `bins`, 2 to 9 once checked.
    fn bins_u8(&self) -> u8 {
        u8::try_from(self.bins).unwrap_or(u8::MAX)
    }

    /// Number of classes of the recency, frequency and monetary scores.
    pub fn classes(&self) -> [u8; 3] {
        [
            self.recency.classes(self.bins_u8()),
            self.frequency.classes(self.bins_u8()),
            self.monetary.classes(self.bins_u8()),
        ]
    }

    /// The segment table.
    pub fn segments(&self) -> &SegmentTable {
        &self.segments
    }

    /// The reference date, if set.
    pub fn as_of(&self) -> Option<NaiveDate> {
        self.as_of
    }

    /// The binning of recency, frequency and monetary.
    pub fn binnings(&self) -> [&Binning; 3] {
        [&self.recency, &self.frequency, &self.monetary]
    }

    /// RFM or RFA.
    pub fn variant(&self) -> RfmVariant {
        self.variant
    }

    /// Options to aggregate transactions for these parameters.
    pub fn activity_options(&self, zone: Zone) -> ActivityOptions {
        ActivityOptions {
            zone,
            negative_amounts: self.negative_amounts,
            last_date: self.as_of,
            distinct_days: self.frequency_measure == FrequencyMeasure::PurchaseDays,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        let p = Rfm::params().check().unwrap();
        assert_eq!(p.classes(), [5, 5, 5]);
        assert_eq!(p.segments().rules().len(), 11);
    }

    #[test]
    fn bins_out_of_range_are_rejected() {
        for k in [0, 1, 10, 300] {
            let err = Rfm::params().bins(k).check().unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("invalid parameter bins: must be between 2 and 9, got {k}")
            );
        }
        assert!(Rfm::params().bins(4).check().is_ok());
    }

    #[test]
    fn weights_are_checked() {
        assert!(Rfm::params().weights(-1.0, 1.0, 1.0).check().is_err());
        assert!(Rfm::params().weights(0.0, 0.0, 0.0).check().is_err());
        assert!(Rfm::params().weights(f64::NAN, 1.0, 1.0).check().is_err());
        assert!(Rfm::params().weights(0.0, 0.0, 2.0).check().is_ok());
    }

    #[test]
    fn fixed_cuts_set_their_own_class_count() {
        let p = Rfm::params()
            .frequency_binning(Binning::Fixed(vec![2.0, 4.0, 8.0]))
            .check()
            .unwrap();
        assert_eq!(p.classes(), [5, 4, 5]);
        let err = Rfm::params()
            .monetary_binning(Binning::Fixed(vec![3.0, 3.0]))
            .check()
            .unwrap_err();
        assert!(err
            .to_string()
            .starts_with("invalid parameter monetary_cuts"));
    }

    #[test]
    fn names_parse() {
        assert_eq!(
            "purchase_days".parse::<FrequencyMeasure>().unwrap(),
            FrequencyMeasure::PurchaseDays
        );
        assert_eq!(
            "margin".parse::<MonetaryMeasure>().unwrap(),
            MonetaryMeasure::Margin
        );
        assert_eq!("rfa".parse::<RfmVariant>().unwrap(), RfmVariant::Rfa);
        assert!("rfx".parse::<RfmVariant>().is_err());
    }
}
