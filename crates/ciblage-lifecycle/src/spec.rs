//! The rule-file format (TOML or JSON), as read by serde. Unknown fields are
//! errors, never ignored.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::state::Field;

/// Version of the rule-file format this crate reads and writes.
pub const RULE_FILE_VERSION: u32 = 1;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    /// `>`
    #[serde(rename = ">")]
    Gt,
    /// `>=`
    #[serde(rename = ">=")]
    Ge,
    /// `<`
    #[serde(rename = "<")]
    Lt,
    /// `<=`
    #[serde(rename = "<=")]
    Le,
    /// `==`
    #[serde(rename = "==")]
    Eq,
    /// `!=`
    #[serde(rename = "!=")]
    Ne,
}

impl Op {
    /// `lhs op rhs`; false when `lhs` is NaN (missing).
    #[inline]
    pub fn holds(self, lhs: f64, rhs: f64) -> bool {
        match self {
            Op::Gt => lhs > rhs,
            Op::Ge => lhs >= rhs,
            Op::Lt => lhs < rhs,
            Op::Le => lhs <= rhs,
            Op::Eq => lhs == rhs,
            Op::Ne => !lhs.is_nan() && lhs != rhs,
        }
    }

    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Eq => "==",
            Op::Ne => "!=",
        }
    }
}

/// One condition: either `{ field, op, value }` on a numeric field, or
/// `{ tier = [...] }` on the value tier, or `{ stage = [...] }` on the
/// lifecycle stage.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionSpec {
    /// Numeric field tested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<Field>,
    /// Operator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op: Option<Op>,
    /// Right-hand side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// Value tiers accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<Vec<String>>,
    /// Lifecycle stages accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<Vec<String>>,
}

/// An event that makes a rule fire (in addition to its conditions).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriggerSpec {
    /// The contract ends within this many days of the evaluation day
    /// (0 ≤ `contract_end_days` ≤ n).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract_end_within_days: Option<u32>,
    /// Frequency fell by at least this share against the previous period
    /// (`frequency_change` ≤ −x).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency_drop: Option<f64>,
    /// Spend fell by at least this share (`spend_change` ≤ −x).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spend_drop: Option<f64>,
    /// The customer came back this period (`reactivated` = 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reactivated: Option<bool>,
}

/// One action rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Unique name, reported with every decision.
    pub name: String,
    /// Higher runs first and survives the pressure cap first; equal
    /// priorities keep file order.
    #[serde(default)]
    pub priority: i32,
    /// All must hold.
    #[serde(default)]
    pub when: Vec<ConditionSpec>,
    /// Optional event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<TriggerSpec>,
    /// What to do (free text, e.g. "win-back offer").
    pub action: String,
    /// Channel; default: the channel policy of the customer's tier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Cost of one contact.
    #[serde(default)]
    pub cost: f64,
    /// False for actions that are not contacts (no pressure counted).
    #[serde(default = "yes")]
    pub contact: bool,
}

fn yes() -> bool {
    true
}

/// Thresholds of the default stage rules (see `docs/lifecycle.md`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StageThresholds {
    /// Former: no purchase for more than this many days.
    pub former_days: f64,
    /// Inactive: no purchase for more than this many days.
    pub inactive_days: f64,
    /// New: first purchase at most this many days ago.
    pub new_days: f64,
    /// Dissatisfied: at least this many complaints.
    pub min_complaints: f64,
    /// Sleepwalker: satisfaction at or below this (and no complaint).
    pub low_satisfaction: f64,
    /// Lead customer: at least this many referrals (or opinion_leader = 1).
    pub lead_referrals: f64,
    /// Tiers of best customers.
    pub best_tiers: Vec<String>,
    /// Tiers of high-potential customers.
    pub potential_tiers: Vec<String>,
}

impl Default for StageThresholds {
    fn default() -> Self {
        Self {
            former_days: 730.0,
            inactive_days: 180.0,
            new_days: 90.0,
            min_complaints: 1.0,
            low_satisfaction: 2.0,
            lead_referrals: 3.0,
            best_tiers: vec!["Best".into()],
            potential_tiers: vec!["Standard".into()],
        }
    }
}

/// The cap on contacts per customer over a rolling window of days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PressureSpec {
    /// Length of the window, in days, ending on the evaluation day.
    pub window_days: u32,
    /// Contacts allowed per customer in any window.
    pub max_contacts: u32,
    /// Lower (or higher) caps for some stages.
    pub per_stage: BTreeMap<String, u32>,
}

impl Default for PressureSpec {
    /// 4 contacts per 30 days; 1 for sleepwalkers, dissatisfied and former
    /// customers, whom pressure drives away.
    fn default() -> Self {
        Self {
            window_days: 30,
            max_contacts: 4,
            per_stage: [("sleepwalker", 1), ("dissatisfied", 1), ("former", 1)]
                .into_iter()
                .map(|(s, n)| (s.to_owned(), n))
                .collect(),
        }
    }
}

/// Which channel serves which value tier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChannelSpec {
    /// Channel per tier.
    pub by_tier: BTreeMap<String, String>,
    /// Channel of customers whose tier is not listed (or who have none).
    pub default: String,
}

impl Default for ChannelSpec {
    /// Personal for the best, semi-personal for the middle, mass otherwise.
    fn default() -> Self {
        Self {
            by_tier: [("Best", "personal"), ("Standard", "semi_personal")]
                .into_iter()
                .map(|(t, c)| (t.to_owned(), c.to_owned()))
                .collect(),
            default: "mass".into(),
        }
    }
}

/// A whole rule file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSetSpec {
    /// Format version, [`RULE_FILE_VERSION`].
    pub version: u32,
    /// Stage thresholds (defaults when absent).
    #[serde(default)]
    pub stages: StageThresholds,
    /// The pressure cap.
    #[serde(default)]
    pub pressure: PressureSpec,
    /// The channel policy.
    #[serde(default)]
    pub channels: ChannelSpec,
    /// Action rules, in file order.
    #[serde(default, rename = "rule")]
    pub rules: Vec<RuleSpec>,
}
