//! Activity and churn: calendar periods, active customers per period,
//! retention and attrition, acquisition cohorts with right-censoring,
//! Kaplan–Meier survival, churn flags by inactivity, and migration between
//! segments.

mod cohorts;
mod flags;
mod migration;
mod period;
mod retention;
mod scan;
mod span;
mod tasks;

pub use cohorts::CohortRow;
pub use flags::{ChurnFlags, ChurnRule};
pub use migration::Migration;
pub use period::Period;
pub use retention::{
    PeriodRow, Retention, RetentionAnalysis, RetentionParams, RetentionValidParams, MAX_PERIODS,
};

#[cfg(test)]
mod tests;
