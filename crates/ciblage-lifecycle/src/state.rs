//! What rules may read about each customer, stored column by column.

use serde::{Deserialize, Serialize};

use crate::error::{LifecycleError, Result};

/// A numeric attribute of a customer that conditions can test. Missing values
/// are NaN; a condition on a missing value is false.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// Days since the last purchase (RFM recency).
    RecencyDays,
    /// Purchases (RFM frequency); 0 for a prospect.
    Frequency,
    /// Monetary value (revenue or margin).
    Monetary,
    /// RFM recency score.
    RScore,
    /// RFM frequency score.
    FScore,
    /// RFM monetary score.
    MScore,
    /// Days since the first purchase.
    TenureDays,
    /// Complaints in the period.
    Complaints,
    /// Satisfaction score (any scale; thresholds in the same scale).
    Satisfaction,
    /// Customers referred.
    Referrals,
    /// 1 for an opinion leader, 0 otherwise.
    OpinionLeader,
    /// Days from the evaluation day to the end of the customer's contract
    /// (negative once ended).
    ContractEndDays,
    /// Relative change of frequency against the previous period (−0.5 = halved).
    FrequencyChange,
    /// Relative change of spend against the previous period.
    SpendChange,
    /// 1 when the customer came back this period after a silence.
    Reactivated,
    /// Probability that the customer is still active (a CLV purchase
    /// model's P(alive), in `[0, 1]`); missing for a customer without one.
    PAlive,
    /// Customer lifetime value (discounted, over the CLV horizon); missing
    /// for a customer without one.
    Clv,
}

impl Field {
    /// Every field, in declaration order.
    pub const ALL: [Field; 17] = [
        Field::RecencyDays,
        Field::Frequency,
        Field::Monetary,
        Field::RScore,
        Field::FScore,
        Field::MScore,
        Field::TenureDays,
        Field::Complaints,
        Field::Satisfaction,
        Field::Referrals,
        Field::OpinionLeader,
        Field::ContractEndDays,
        Field::FrequencyChange,
        Field::SpendChange,
        Field::Reactivated,
        Field::PAlive,
        Field::Clv,
    ];

    /// The snake-case name used in rule files and tables.
    pub fn name(self) -> &'static str {
        match self {
            Field::RecencyDays => "recency_days",
            Field::Frequency => "frequency",
            Field::Monetary => "monetary",
            Field::RScore => "r_score",
            Field::FScore => "f_score",
            Field::MScore => "m_score",
            Field::TenureDays => "tenure_days",
            Field::Complaints => "complaints",
            Field::Satisfaction => "satisfaction",
            Field::Referrals => "referrals",
            Field::OpinionLeader => "opinion_leader",
            Field::ContractEndDays => "contract_end_days",
            Field::FrequencyChange => "frequency_change",
            Field::SpendChange => "spend_change",
            Field::Reactivated => "reactivated",
            Field::PAlive => "p_alive",
            Field::Clv => "clv",
        }
    }

    fn slot(self) -> usize {
        self as usize
    }
}

impl std::str::FromStr for Field {
    type Err = LifecycleError;

    /// The field called `name` ([`Field::name`]); the error names the
    /// parameter `field` and lists the fields.
    fn from_str(name: &str) -> Result<Self> {
        Field::ALL
            .into_iter()
            .find(|f| f.name() == name)
            .ok_or_else(|| LifecycleError::InvalidParameter {
                name: "field",
                reason: format!(
                    "expected one of {}, got {name:?}",
                    Field::ALL.map(Field::name).join(", ")
                ),
            })
    }
}

/// The state of every customer: numeric fields and an optional value tier,
/// one entry per customer (customer `i` is row `i` everywhere).
///
/// ```
/// use ciblage_lifecycle::{CustomerStates, Field};
/// let states = CustomerStates::new(2)
///     .with(Field::RecencyDays, vec![10.0, 400.0])?
///     .with_tiers(&["Best", "Small"])?;
/// assert_eq!(states.value(Field::RecencyDays, 1), 400.0);
/// assert!(states.value(Field::Complaints, 0).is_nan()); // not given
/// assert_eq!(states.tier(0), Some("Best"));
/// # Ok::<(), ciblage_lifecycle::LifecycleError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerStates {
    n: usize,
    numeric: Vec<Option<Vec<f64>>>,
    tier_codes: Option<Vec<u32>>,
    tier_names: Vec<String>,
}

impl CustomerStates {
    /// States of `n` customers with no field given yet.
    pub fn new(n: usize) -> Self {
        Self {
            n,
            numeric: vec![None; Field::ALL.len()],
            tier_codes: None,
            tier_names: Vec::new(),
        }
    }

    /// Sets a numeric field (NaN = missing).
    ///
    /// # Errors
    /// [`LifecycleError::LengthMismatch`] unless there is one value per
    /// customer; [`ciblage::CiblageError::NonFinite`] (naming the field and
    /// the row) for an infinite value, which no threshold can be meant for;
    /// [`ciblage::CiblageError::ValueOutOfRange`] for a `p_alive` outside
    /// `[0, 1]`.
    pub fn with(mut self, field: Field, values: Vec<f64>) -> Result<Self> {
        if values.len() != self.n {
            return Err(LifecycleError::LengthMismatch {
                argument: field.name().into(),
                expected: self.n,
                got: values.len(),
            });
        }
        if let Some(row) = values.iter().position(|v| v.is_infinite()) {
            return Err(ciblage::CiblageError::NonFinite {
                argument: field.name().into(),
                row,
                value: values[row],
            }
            .into());
        }
        if field == Field::PAlive {
            if let Some(row) = values
                .iter()
                .position(|v| !(0.0..=1.0).contains(v) && !v.is_nan())
            {
                return Err(ciblage::CiblageError::ValueOutOfRange {
                    argument: field.name().into(),
                    row,
                    value: values[row],
                    range: "[0, 1] (a probability; NaN for a customer without one)",
                }
                .into());
            }
        }
        self.numeric[field.slot()] = Some(values);
        Ok(self)
    }

    /// Sets the value tier of every customer (e.g. ciblage's Best / Standard
    /// / Small); an empty string means no tier.
    ///
    /// # Errors
    /// [`LifecycleError::LengthMismatch`] unless there is one per customer.
    pub fn with_tiers<S: AsRef<str>>(mut self, tiers: &[S]) -> Result<Self> {
        if tiers.len() != self.n {
            return Err(LifecycleError::LengthMismatch {
                argument: "value_tier".into(),
                expected: self.n,
                got: tiers.len(),
            });
        }
        let mut names: Vec<String> = Vec::new();
        let mut codes = Vec::with_capacity(self.n);
        for t in tiers {
            let t = t.as_ref();
            if t.is_empty() {
                codes.push(u32::MAX);
                continue;
            }
            let code = match names.iter().position(|n| n == t) {
                Some(c) => c,
                None => {
                    names.push(t.to_owned());
                    names.len() - 1
                }
            };
            codes.push(code as u32);
        }
        self.tier_codes = Some(codes);
        self.tier_names = names;
        Ok(self)
    }

    /// Number of customers.
    pub fn len(&self) -> usize {
        self.n
    }

    /// True when there is no customer.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The value of `field` for customer `i` (NaN when not given).
    #[inline]
    pub fn value(&self, field: Field, i: usize) -> f64 {
        self.numeric[field.slot()]
            .as_ref()
            .map_or(f64::NAN, |v| v[i])
    }

    /// True when the field was given.
    pub fn has(&self, field: Field) -> bool {
        self.numeric[field.slot()].is_some()
    }

    /// The value tier of customer `i`, if any.
    pub fn tier(&self, i: usize) -> Option<&str> {
        let code = *self.tier_codes.as_ref()?.get(i)?;
        self.tier_names.get(code as usize).map(String::as_str)
    }

    /// Tier code of customer `i` into [`Self::tier_names`] (`u32::MAX`: none).
    pub(crate) fn tier_code(&self, i: usize) -> u32 {
        self.tier_codes.as_ref().map_or(u32::MAX, |c| c[i])
    }

    /// The distinct tiers, in order of first appearance.
    pub fn tier_names(&self) -> &[String] {
        &self.tier_names
    }
}
