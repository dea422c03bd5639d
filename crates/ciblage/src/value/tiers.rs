//! Pareto value tiers: count-based tiers and value-based ABC classes.

use std::str::FromStr;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{CiblageError, Result};
use crate::exact_sum::ExactSum;
use crate::interrupt::Interrupt;
use crate::value::{
    check_values, descending_key, packed_index, packed_key, sort_descending,
    value_of_descending_key,
};

/// How customers are cut into tiers once ranked by value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TierMethod {
    /// Count-based tiers: the top `shares[0]` of the ranked customers, the
    /// next `shares[1]`, … (shares of customers, summing to 1). The customer
    /// whose rank straddles a boundary goes to the upper tier: with `n`
    /// ranked customers, tier `k` ends at rank `ceil(n × (shares[0] + … +
    /// shares[k]))`.
    Count {
        /// Shares of customers per tier, best first; they sum to 1.
        shares: Vec<f64>,
    },
    /// Value-based ABC: a customer belongs to the first class whose
    /// cumulative-value bound is not yet reached before him, so the customer
    /// crossing a bound is placed in the upper class.
    Cumulative {
        /// Increasing cumulative shares of value in (0, 1), one per class
        /// but the last (e.g. `[0.80, 0.95]` for A/B/C).
        bounds: Vec<f64>,
    },
}

impl FromStr for TierMethod {
    type Err = CiblageError;

    /// Parses the `method` option: `"count"` (count tiers, default shares
    /// 5/15/80 %) or `"abc"` (cumulative classes, default bounds 80/95 %);
    /// set other shares or bounds with [`TierMethod::with_cuts`].
    fn from_str(name: &str) -> Result<Self> {
        match name {
            "count" => Ok(Self::default()),
            "abc" => Ok(Self::Cumulative {
                bounds: vec![0.80, 0.95],
            }),
            other => Err(CiblageError::param(
                "method",
                format!("expected \"count\" or \"abc\", got {other:?}"),
            )),
        }
    }
}

impl TierMethod {
    /// The same method with other cuts, when given: `shares` for count
    /// tiers, `bounds` for cumulative classes (the other is ignored).
    #[must_use]
    pub fn with_cuts(self, shares: Option<Vec<f64>>, bounds: Option<Vec<f64>>) -> Self {
        match self {
            Self::Count { shares: s } => Self::Count {
                shares: shares.unwrap_or(s),
            },
            Self::Cumulative { bounds: b } => Self::Cumulative {
                bounds: bounds.unwrap_or(b),
            },
        }
    }
}

impl Default for TierMethod {
    /// 5 % best, 15 % standard, 80 % small, as the domain's Pareto tiers.
    fn default() -> Self {
        Self::Count {
            shares: vec![0.05, 0.15, 0.80],
        }
    }
}

/// Builder for [`ValueTiers`]. Start from [`ValueTiers::params`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValueTierParams {
    method: TierMethod,
    names: Option<Vec<String>>,
    no_value_name: String,
    #[serde(skip)]
    interrupt: Interrupt,
}

impl Default for ValueTierParams {
    fn default() -> Self {
        Self {
            method: TierMethod::default(),
            names: None,
            no_value_name: "No value".into(),
            interrupt: Interrupt::default(),
        }
    }
}

/// Validated tier parameters: call [`ValueTierValidParams::score`].
#[derive(Debug, Clone, PartialEq)]
pub struct ValueTierValidParams {
    method: TierMethod,
    names: Vec<String>,
    no_value_name: String,
    interrupt: Interrupt,
}

/// Entry point: `ValueTiers::params()…check()?.score(&values)`.
///
/// Customers are ranked by value, highest first; ties keep their input
/// order (ciblage's per-customer outputs are ordered by customer id, so the
/// tie rule is "smaller id first"). Customers whose value is zero or negative
/// are not ranked: they form an explicit last tier ("No value").
///
/// ```
/// use ciblage::value::{ValueTiers, TierMethod};
/// // 10 customers, value 10 down to 1 (total 55).
/// let values: Vec<f64> = (1..=10).rev().map(f64::from).collect();
/// let tiers = ValueTiers::params()
///     .method(TierMethod::Cumulative { bounds: vec![0.5, 0.8] })
///     .check()?
///     .score(&values)?;
/// // Cumulative shares before each customer: 0, 10/55, 19/55, 27/55 = 0.49
/// // (all < 0.5: A), 34/55 = 0.62, 40/55 = 0.73 (< 0.8: B), 45/55 = 0.82 … (C).
/// assert_eq!(tiers.tier_of(), &[0, 0, 0, 0, 1, 1, 2, 2, 2, 2]);
/// assert_eq!(tiers.names()[0], "A");
/// # Ok::<(), ciblage::CiblageError>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct ValueTiers;

impl ValueTiers {
    /// Default parameters: count tiers 5/15/80 named Best, Standard, Small.
    pub fn params() -> ValueTierParams {
        ValueTierParams::default()
    }
}

impl ValueTierParams {
    /// How to cut the ranking (default: count tiers 5/15/80).
    #[must_use]
    pub fn method(mut self, method: TierMethod) -> Self {
        self.method = method;
        self
    }

    /// Names of the tiers, best first (default: Best/Standard/Small for
    /// three count tiers, A/B/C… for cumulative classes, "Tier 1"… else).
    #[must_use]
    pub fn names<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.names = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Name of the tier of customers with zero or negative value (default
    /// "No value").
    #[must_use]
    pub fn no_value_name(mut self, name: impl Into<String>) -> Self {
        self.no_value_name = name.into();
        self
    }

    /// The token that stops the scoring ([`CiblageError::Interrupted`]);
    /// checked around the ranking (see [`Interrupt`]).
    #[must_use]
    pub fn interrupt(mut self, token: Interrupt) -> Self {
        self.interrupt = token;
        self
    }

    /// Validates the parameters.
    ///
    /// # Errors
    /// [`CiblageError::InvalidParameter`] naming `shares`, `bounds`, `names`
    /// or `no_value_name`.
    pub fn check(self) -> Result<ValueTierValidParams> {
        let tiers = match &self.method {
            TierMethod::Count { shares } => {
                if shares.is_empty() {
                    return Err(CiblageError::param("shares", "need at least one tier"));
                }
                if let Some(s) = shares.iter().find(|s| !(s.is_finite() && **s > 0.0)) {
                    return Err(CiblageError::param(
                        "shares",
                        format!("every share must be a number in (0, 1], got {s}"),
                    ));
                }
                let total: f64 = shares.iter().sum();
                if (total - 1.0).abs() > 1e-9 {
                    return Err(CiblageError::param(
                        "shares",
                        format!("shares must sum to 1, they sum to {total}"),
                    ));
                }
                shares.len()
            }
            TierMethod::Cumulative { bounds } => {
                if bounds.is_empty() {
                    return Err(CiblageError::param(
                        "bounds",
                        "need at least one bound (e.g. [0.8, 0.95])",
                    ));
                }
                let ok = bounds.iter().all(|b| b.is_finite() && *b > 0.0 && *b < 1.0)
                    && bounds.windows(2).all(|w| w[0] < w[1]);
                if !ok {
                    return Err(CiblageError::param(
                        "bounds",
                        format!("bounds must increase strictly within (0, 1), got {bounds:?}"),
                    ));
                }
                bounds.len() + 1
            }
        };
        let names = match self.names {
            Some(names) => {
                if names.len() != tiers {
                    return Err(CiblageError::param(
                        "names",
                        format!("expected {tiers} names (one per tier), got {}", names.len()),
                    ));
                }
                names
            }
            None => default_names(&self.method, tiers),
        };
        let mut all: Vec<&String> = names.iter().chain([&self.no_value_name]).collect();
        all.sort();
        if let Some(w) = all.windows(2).find(|w| w[0] == w[1]) {
            return Err(CiblageError::param(
                "names",
                format!("tier names must be distinct, {:?} appears twice", w[0]),
            ));
        }
        Ok(ValueTierValidParams {
            method: self.method,
            names,
            no_value_name: self.no_value_name,
            interrupt: self.interrupt,
        })
    }
}

impl ValueTierParams {
    /// Validates, then scores `values`: `self.check()?.score(values)`.
    ///
    /// # Errors
    /// Invalid parameters, or see [`ValueTierValidParams::score`].
    pub fn score(self, values: &[f64]) -> Result<CustomerTiers> {
        self.check()?.score(values)
    }
}

fn default_names(method: &TierMethod, tiers: usize) -> Vec<String> {
    match method {
        TierMethod::Count { .. } if tiers == 3 => {
            ["Best", "Standard", "Small"].map(String::from).to_vec()
        }
        TierMethod::Cumulative { .. } if tiers <= 26 => (0..tiers)
            .map(|k| char::from(b'A' + k as u8).to_string())
            .collect(),
        _ => (1..=tiers).map(|k| format!("Tier {k}")).collect(),
    }
}

impl ValueTierValidParams {
    /// Ranks `values` (one per customer) and gives each customer a tier.
    ///
    /// # Errors
    /// [`CiblageError::EmptyInput`] or [`CiblageError::NonFinite`] on `value`.
    pub fn score(&self, values: &[f64]) -> Result<CustomerTiers> {
        check_values(values, "value")?;
        if values.len() > u32::MAX as usize {
            return Err(CiblageError::param(
                "value",
                "more than 2^32 − 1 customers: ranks are 32-bit",
            ));
        }
        self.interrupt.check()?;
        let keyed = sort_descending(values);
        self.interrupt.check()?;
        // Customers with a positive value come first.
        let zero = descending_key(0.0);
        let ranked = keyed.partition_point(|&p| packed_key(p) < zero);
        let mut rank = vec![0u32; values.len()];
        for (r, &p) in keyed.iter().enumerate() {
            rank[packed_index(p)] = r as u32 + 1;
        }
        // The rank after the last customer of each tier.
        let ends: Vec<usize> = match &self.method {
            TierMethod::Count { shares } => {
                let mut cum = 0.0;
                shares
                    .iter()
                    .enumerate()
                    .map(|(k, s)| {
                        cum += s;
                        if k + 1 == shares.len() {
                            ranked
                        } else {
                            // ceil(n × cum), robust to cum = 0.2000000001.
                            (((ranked as f64 * cum) - 1e-9).ceil().max(0.0) as usize).min(ranked)
                        }
                    })
                    .collect()
            }
            TierMethod::Cumulative { bounds } => {
                let value = |r: usize| value_of_descending_key(packed_key(keyed[r]));
                let total: f64 = (0..ranked).map(value).sum();
                CiblageError::check_sum("value", || "sum of positive values".into(), total)?;
                let mut ends = Vec::with_capacity(bounds.len() + 1);
                let mut before = 0.0;
                for r in 0..ranked {
                    // Relative tolerance: 8 + 2 reaching exactly 0.8 of 10.
                    while ends.len() < bounds.len()
                        && before >= bounds[ends.len()] * total * (1.0 - 1e-12)
                    {
                        ends.push(r);
                    }
                    before += value(r);
                }
                ends.resize(bounds.len() + 1, ranked);
                ends
            }
        };
        let no_value = self.names.len() as u32;
        // Tier of a 1-based rank: the number of tiers ending before it
        // (`no_value` past the ranked customers).
        let tier_of: Vec<u32> = rank
            .par_iter()
            .map(|&r| {
                let r = r as usize;
                if r > ranked {
                    no_value
                } else {
                    ends.iter().map(|&e| u32::from(e < r)).sum()
                }
            })
            .collect();
        let mut names = self.names.clone();
        names.push(self.no_value_name.clone());
        let (summary, total) = summarise(values, &tier_of, &names);
        for row in &summary {
            let what = || format!("total of tier {:?}", row.tier);
            CiblageError::check_sum("value", what, row.value)?;
        }
        CiblageError::check_sum("value", || "sum of values".into(), total)?;
        Ok(CustomerTiers {
            tier_of,
            rank,
            names,
            summary,
        })
    }
}

/// Tiers of every customer, with the per-tier summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerTiers {
    tier_of: Vec<u32>,
    rank: Vec<u32>,
    names: Vec<String>,
    summary: Vec<TierSummary>,
}

impl CustomerTiers {
    /// Tier index per customer (input order): an index into [`Self::names`];
    /// the last index is the zero/negative-value tier.
    pub fn tier_of(&self) -> &[u32] {
        &self.tier_of
    }

    /// Rank per customer by value (1 = highest; ties in input order),
    /// zero/negative-value customers included after the others.
    pub fn rank(&self) -> &[u32] {
        &self.rank
    }

    /// Tier names, best first, the zero/negative-value tier last.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The tier name of customer `i`.
    pub fn name_of(&self, i: usize) -> &str {
        &self.names[self.tier_of[i] as usize]
    }

    /// One row per tier, in the order of [`Self::names`].
    pub fn summary(&self) -> &[TierSummary] {
        &self.summary
    }
}

/// Per-tier figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TierSummary {
    /// Tier name.
    pub tier: String,
    /// Customers in the tier.
    pub customers: u64,
    /// Share of all customers.
    pub share_of_customers: f64,
    /// Sum of the tier's values.
    pub value: f64,
    /// Share of the total (net) value of all customers; NaN when that total
    /// is not positive.
    pub share_of_value: f64,
    /// Mean value per customer of the tier (NaN for an empty tier).
    pub mean_value: f64,
    /// Smallest value in the tier (NaN for an empty tier).
    pub min_value: f64,
    /// Largest value in the tier (NaN for an empty tier).
    pub max_value: f64,
}

/// Summary rows for any labelling `tier_of` of `values` (finite) into
/// `names`, and the total of `values`, correctly rounded.
pub(crate) fn summarise(
    values: &[f64],
    tier_of: &[u32],
    names: &[String],
) -> (Vec<TierSummary>, f64) {
    let mut rows: Vec<TierSummary> = names
        .iter()
        .map(|n| TierSummary {
            tier: n.clone(),
            customers: 0,
            share_of_customers: 0.0,
            value: 0.0,
            share_of_value: f64::NAN,
            mean_value: f64::NAN,
            min_value: f64::INFINITY,
            max_value: f64::NEG_INFINITY,
        })
        .collect();
    // Exact sums: the same bits whatever the order of the customers; the
    // total is the tiers' exact sums merged (one pass over the values).
    debug_assert!(values.iter().all(|v| v.is_finite()));
    let mut sums = vec![ExactSum::default(); rows.len()];
    for (&v, &t) in values.iter().zip(tier_of) {
        let row = &mut rows[t as usize];
        row.customers += 1;
        sums[t as usize].add(v);
        row.min_value = row.min_value.min(v);
        row.max_value = row.max_value.max(v);
    }
    for (row, sum) in rows.iter_mut().zip(&sums) {
        row.value = sum.value();
    }
    let mut all = ExactSum::default();
    sums.iter().for_each(|s| all.merge(s));
    let total = all.value();
    let n = values.len() as f64;
    for row in &mut rows {
        row.share_of_customers = row.customers as f64 / n;
        if total > 0.0 {
            row.share_of_value = row.value / total;
        }
        if row.customers > 0 {
            row.mean_value = row.value / row.customers as f64;
        } else {
            row.min_value = f64::NAN;
            row.max_value = f64::NAN;
        }
    }
    (rows, total)
}

#[cfg(test)]
#[path = "tiers_tests.rs"]
mod tests;
