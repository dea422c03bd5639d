//! The domain's customer types as lifecycle stages, each in one of the four
//! moments of the relationship.

use serde::{Deserialize, Serialize};

use crate::error::LifecycleError;
use crate::spec::StageThresholds;
use crate::state::{CustomerStates, Field};

/// The four moments of the customer relationship.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Moment {
    /// Winning new customers (costs about twice as much as keeping one).
    Recruitment,
    /// Keeping customers.
    Retention,
    /// Cross-selling and up-selling.
    Development,
    /// Bringing back customers who left.
    WinBack,
}

impl Moment {
    /// Snake-case name.
    pub fn name(self) -> &'static str {
        match self {
            Moment::Recruitment => "recruitment",
            Moment::Retention => "retention",
            Moment::Development => "development",
            Moment::WinBack => "win_back",
        }
    }
}

/// A lifecycle stage: the domain's customer types, plus `active` for
/// customers none of them describes. The order of the variants is the order
/// in which the default rules test them (first match wins).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Prospects (no purchase) of the same profile as customers: referral programmes.
    FriendsOfCustomers,
    /// No purchase for more than `former_days`: offers, but know when to stop.
    Former,
    /// Complained at least `min_complaints` times: apologise, segment differently.
    Dissatisfied,
    /// Low satisfaction without complaint, still buying by habit: solicit little.
    Sleepwalker,
    /// No purchase for more than `inactive_days`: find the offer that reactivates.
    Inactive,
    /// First purchase within `new_days`: get to know and educate.
    New,
    /// In a best tier: invest without overdoing pressure.
    Best,
    /// Opinion leaders and prolific referrers: involve them.
    Lead,
    /// In a potential tier: invest, watch return and pressure.
    HighPotential,
    /// Everybody else.
    Active,
}

impl std::str::FromStr for Stage {
    type Err = LifecycleError;

    /// The stage called `name` ([`Stage::name`]); the error names the
    /// parameter `stage` and lists the stages.
    fn from_str(name: &str) -> Result<Self, LifecycleError> {
        Stage::ALL
            .into_iter()
            .find(|s| s.name() == name)
            .ok_or_else(|| LifecycleError::InvalidParameter {
                name: "stage",
                reason: format!(
                    "expected one of {}, got {name:?}",
                    Stage::ALL.map(Stage::name).join(", ")
                ),
            })
    }
}

impl Stage {
    /// Every stage, in test order.
    pub const ALL: [Stage; 10] = [
        Stage::FriendsOfCustomers,
        Stage::Former,
        Stage::Dissatisfied,
        Stage::Sleepwalker,
        Stage::Inactive,
        Stage::New,
        Stage::Best,
        Stage::Lead,
        Stage::HighPotential,
        Stage::Active,
    ];

    /// Snake-case name.
    pub fn name(self) -> &'static str {
        match self {
            Stage::FriendsOfCustomers => "friends_of_customers",
            Stage::Former => "former",
            Stage::Dissatisfied => "dissatisfied",
            Stage::Sleepwalker => "sleepwalker",
            Stage::Inactive => "inactive",
            Stage::New => "new",
            Stage::Best => "best",
            Stage::Lead => "lead",
            Stage::HighPotential => "high_potential",
            Stage::Active => "active",
        }
    }

    /// The moment of the relationship the stage belongs to.
    pub fn moment(self) -> Moment {
        match self {
            Stage::FriendsOfCustomers | Stage::New => Moment::Recruitment,
            Stage::Former | Stage::Inactive => Moment::WinBack,
            Stage::Lead | Stage::HighPotential => Moment::Development,
            Stage::Dissatisfied | Stage::Sleepwalker | Stage::Best | Stage::Active => {
                Moment::Retention
            }
        }
    }
}

/// The stage of customer `i` and the reason, by the default rules.
pub(crate) fn assign(
    states: &CustomerStates,
    t: &StageThresholds,
    tiers: &TierSets,
    i: usize,
) -> Stage {
    let v = |f: Field| states.value(f, i);
    if v(Field::Frequency) == 0.0 {
        Stage::FriendsOfCustomers
    } else if v(Field::RecencyDays) > t.former_days {
        Stage::Former
    } else if v(Field::Complaints) >= t.min_complaints {
        Stage::Dissatisfied
    } else if v(Field::Satisfaction) <= t.low_satisfaction {
        Stage::Sleepwalker
    } else if v(Field::RecencyDays) > t.inactive_days {
        Stage::Inactive
    } else if v(Field::TenureDays) <= t.new_days {
        Stage::New
    } else if tiers.best(states.tier_code(i)) {
        Stage::Best
    } else if v(Field::OpinionLeader) >= 1.0 || v(Field::Referrals) >= t.lead_referrals {
        Stage::Lead
    } else if tiers.potential(states.tier_code(i)) {
        Stage::HighPotential
    } else {
        Stage::Active
    }
}

/// Why customer `i` has `stage` (for explanations).
pub(crate) fn reason(
    states: &CustomerStates,
    t: &StageThresholds,
    stage: Stage,
    i: usize,
) -> String {
    let v = |f: Field| states.value(f, i);
    match stage {
        Stage::FriendsOfCustomers => "frequency = 0 (no purchase yet)".into(),
        Stage::Former => format!(
            "recency_days = {} > {}",
            v(Field::RecencyDays),
            t.former_days
        ),
        Stage::Dissatisfied => format!(
            "complaints = {} >= {}",
            v(Field::Complaints),
            t.min_complaints
        ),
        Stage::Sleepwalker => format!(
            "satisfaction = {} <= {} without complaint",
            v(Field::Satisfaction),
            t.low_satisfaction
        ),
        Stage::Inactive => format!(
            "recency_days = {} > {}",
            v(Field::RecencyDays),
            t.inactive_days
        ),
        Stage::New => format!("tenure_days = {} <= {}", v(Field::TenureDays), t.new_days),
        Stage::Best => format!(
            "value tier {:?} is a best tier",
            states.tier(i).unwrap_or("")
        ),
        Stage::Lead => format!(
            "opinion_leader = {}, referrals = {} (>= {})",
            v(Field::OpinionLeader),
            v(Field::Referrals),
            t.lead_referrals
        ),
        Stage::HighPotential => {
            format!(
                "value tier {:?} is a potential tier",
                states.tier(i).unwrap_or("")
            )
        }
        Stage::Active => "no other stage applies".into(),
    }
}

/// Tier codes of a state table that are best / potential tiers.
pub(crate) struct TierSets {
    best: Vec<bool>,
    potential: Vec<bool>,
}

impl TierSets {
    pub(crate) fn new(states: &CustomerStates, t: &StageThresholds) -> Self {
        let of = |list: &[String]| {
            states
                .tier_names()
                .iter()
                .map(|n| list.contains(n))
                .collect()
        };
        Self {
            best: of(&t.best_tiers),
            potential: of(&t.potential_tiers),
        }
    }

    fn best(&self, code: u32) -> bool {
        self.best.get(code as usize).copied().unwrap_or(false)
    }

    fn potential(&self, code: u32) -> bool {
        self.potential.get(code as usize).copied().unwrap_or(false)
    }
}
