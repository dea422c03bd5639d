//! # ciblage-lifecycle
//!
//! Turns segments into decisions: each customer gets a lifecycle **stage**
//! (the domain's customer types: best, high potential, lead, new, inactive,
//! dissatisfied, former, friends of customers, sleepwalkers), the **moment**
//! of the relationship it belongs to (recruitment, retention, development,
//! win-back), a **channel** by value tier, and the **actions** of the rules
//! that fire for him, event rules included (a contract ending, a drop in
//! spend, a return). A **commercial-pressure cap** keeps the highest-priority
//! contacts within a number per rolling window, per stage, and records every
//! suppression with its reason.
//!
//! ```
//! use ciblage_lifecycle::{ContactHistory, CustomerStates, Field, Lifecycle, RuleSet, Stage};
//! let states = CustomerStates::new(3)
//!     .with(Field::Frequency, vec![12.0, 3.0, 5.0])?
//!     .with(Field::RecencyDays, vec![5.0, 250.0, 20.0])?
//!     .with(Field::TenureDays, vec![900.0, 700.0, 30.0])?
//!     .with_tiers(&["Best", "Small", "Small"])?;
//! let rules = RuleSet::default_rules();
//! let today = chrono::NaiveDate::from_ymd_opt(2024, 10, 4).unwrap();
//! let d = Lifecycle::params()
//!     .rules(rules.clone())
//!     .check()?
//!     .score(&states, &ContactHistory::empty(), today)?;
//! assert_eq!([d.stage(0), d.stage(1), d.stage(2)], [Stage::Best, Stage::Inactive, Stage::New]);
//! assert_eq!(d.channel(0), "personal");
//! let first = d.decisions(1)[0];
//! assert_eq!(rules.rule(first.rule as usize).action, "reactivation offer");
//! # Ok::<(), ciblage_lifecycle::LifecycleError>(())
//! ```

mod behaviour;
mod defaults;
mod engine;
mod error;
mod params;
mod ruleset;
mod spec;
mod stages;
mod state;

pub use behaviour::BehaviourChange;
pub use defaults::DEFAULT_RULES;
pub use engine::{ContactHistory, Decision, Decisions, HistoryCounts};
pub use error::{LifecycleError, Result};
pub use params::{
    Behaviour, BehaviourParams, BehaviourValidParams, Lifecycle, LifecycleParams,
    LifecycleValidParams,
};
pub use ruleset::RuleSet;
pub use spec::{
    ChannelSpec, ConditionSpec, Op, PressureSpec, RuleSetSpec, RuleSpec, StageThresholds,
    TriggerSpec, RULE_FILE_VERSION,
};
pub use stages::{Moment, Stage};
pub use state::{CustomerStates, Field};

#[cfg(test)]
mod fuzz;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod value_fields_tests;

/// The crate's own README (the one published with it), run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct CrateReadmeDoctests;
