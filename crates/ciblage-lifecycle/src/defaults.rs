//! The default rule set: one action per stage and three event rules.

use crate::ruleset::RuleSet;

/// The default rule file (TOML), written out in `docs/lifecycle.md`.
pub const DEFAULT_RULES: &str = r#"version = 1

[stages]
former_days = 730.0
inactive_days = 180.0
new_days = 90.0
min_complaints = 1.0
low_satisfaction = 2.0
lead_referrals = 3.0
best_tiers = ["Best"]
potential_tiers = ["Standard"]

[pressure]
window_days = 30
max_contacts = 4

[pressure.per_stage]
sleepwalker = 1
dissatisfied = 1
former = 1

[channels]
default = "mass"

[channels.by_tier]
Best = "personal"
Standard = "semi_personal"

[[rule]]
name = "apologise"
priority = 50
when = [{ stage = ["dissatisfied"] }]
action = "apology and service call"
channel = "personal"
cost = 5.0

[[rule]]
name = "renewal"
priority = 40
trigger = { contract_end_within_days = 30 }
action = "renewal offer"
cost = 1.0

[[rule]]
name = "spend_drop"
priority = 35
trigger = { spend_drop = 0.5 }
when = [{ stage = ["best", "high_potential", "lead", "active"] }]
action = "check-in: what changed?"
cost = 1.0

[[rule]]
name = "welcome"
priority = 30
when = [{ stage = ["new"] }]
action = "welcome and onboarding, no promotion"
cost = 0.5

[[rule]]
name = "reactivate"
priority = 30
when = [{ stage = ["inactive"] }]
action = "reactivation offer"
cost = 1.0

[[rule]]
name = "welcome_back"
priority = 30
trigger = { reactivated = true }
action = "welcome back"
cost = 0.5

[[rule]]
name = "reward_best"
priority = 25
when = [{ stage = ["best"] }]
action = "loyalty reward"
cost = 3.0

[[rule]]
name = "develop_potential"
priority = 20
when = [{ stage = ["high_potential"] }]
action = "cross-sell / up-sell offer"
cost = 1.0

[[rule]]
name = "involve_leads"
priority = 20
when = [{ stage = ["lead"] }]
action = "ambassador programme invitation"
cost = 1.0

[[rule]]
name = "referral"
priority = 20
when = [{ stage = ["friends_of_customers"] }]
action = "referral programme"
cost = 0.5

[[rule]]
name = "listen_sleepwalkers"
priority = 15
when = [{ stage = ["sleepwalker"] }]
action = "satisfaction survey"
cost = 0.2

[[rule]]
name = "win_back"
priority = 10
when = [{ stage = ["former"] }]
action = "win-back offer"
cost = 1.0
"#;

impl RuleSet {
    /// The default rule set ([`DEFAULT_RULES`]).
    pub fn default_rules() -> Self {
        Self::from_toml(DEFAULT_RULES).expect("the default rules are valid")
    }
}
