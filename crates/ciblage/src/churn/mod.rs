//! Activity and churn: calendar periods, active customers per period,
//! retention and attrition, acquisition cohorts with right-censoring,
//! Kaplan–Meier survival, churn flags by inactivity, and migration between
//! segments.

mod analysis;
mod cohorts;
mod flags;
mod matrix;
mod migration;
mod period;
mod retention;
mod scan;
mod span;
mod tasks;

pub use analysis::{PeriodRow, RetentionAnalysis};
pub use cohorts::CohortRow;
pub use flags::{ChurnFlags, ChurnFlagsParams, ChurnFlagsValidParams, ChurnRule, ChurnRuleKind};
pub use matrix::CohortMeasure;
pub use migration::{MatchedCustomers, Migration, MigrationParams, MigrationValidParams};
pub use period::Period;
pub use retention::{Retention, RetentionParams, RetentionValidParams, MAX_PERIODS};

#[cfg(test)]
mod tests;
