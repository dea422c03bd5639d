//! What a retention analysis holds: the figures of each period and the
//! activity of every customer per period, with their accessors.

use chrono::{NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use crate::churn::cohorts::{CohortRow, PeriodMoves};
use crate::churn::period::Period;
use crate::churn::scan::ActiveBits;
use crate::time::{date_from_day, Zone};

/// Figures of one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeriodRow {
    /// Period number (see [`Period::index_of`]).
    pub index: i64,
    /// Readable label (`2024-03`, `2024-Q1`, first day otherwise).
    pub label: String,
    /// First local day of the period.
    pub start: NaiveDate,
    /// Customers with a purchase in the period.
    pub active: u64,
    /// Active customers whose first purchase is in the period.
    pub new: u64,
    /// Active customers who were also active in the previous period.
    pub repeating: u64,
    /// Active customers inactive in the previous period but seen before.
    pub reactivated: u64,
    /// Customers active in the previous period and not in this one.
    pub lapsed: u64,
    /// `repeating / active(previous)`; `None` for the first period or after
    /// a period with nobody active.
    pub retention: Option<f64>,
    /// `lapsed / active(previous)` = `1 − retention`.
    pub attrition: Option<f64>,
    /// Sum of amounts of the period's rows (returns included).
    pub revenue: f64,
    /// False for the last period when `as_of` falls inside it.
    pub complete: bool,
}

/// The activity of every customer per period, and what follows from it.
#[derive(Debug, Clone, PartialEq)]
pub struct RetentionAnalysis {
    pub(super) period: Period,
    pub(super) origin: i64,
    pub(super) first: i64,
    /// Active periods per customer code, relative to `first`.
    pub(super) bits: ActiveBits,
    pub(super) periods: Vec<PeriodRow>,
    pub(super) cohorts: Vec<CohortRow>,
    pub(super) pooled_survival: Vec<f64>,
    pub(super) churn_after: usize,
    pub(super) zone: Zone,
    pub(super) rows_read: u64,
    pub(super) rows_after_as_of: u64,
    pub(super) customers_without_purchase: u64,
}

/// Empty rows of the `n` periods from period number `first`.
pub(super) fn period_rows(period: Period, origin: i64, first: i64, n: usize) -> Vec<PeriodRow> {
    (0..n)
        .map(|k| {
            let index = first + k as i64;
            PeriodRow {
                index,
                label: period.label_from_day(index, origin),
                start: date_from_day(period.start_day(index, origin)).unwrap_or_default(),
                active: 0,
                new: 0,
                repeating: 0,
                reactivated: 0,
                lapsed: 0,
                retention: None,
                attrition: None,
                revenue: 0.0,
                complete: true,
            }
        })
        .collect()
}

/// Active, new, repeating, reactivated and lapsed counts, revenue, and the
/// rates.
pub(super) fn fill_moves(rows: &mut [PeriodRow], moves: &PeriodMoves, revenue: &[f64]) {
    for (k, row) in rows.iter_mut().enumerate() {
        row.active = moves.active[k];
        row.new = moves.new[k];
        row.repeating = moves.repeating[k];
        row.reactivated = moves.reactivated[k];
        row.lapsed = moves.lapsed[k];
        row.revenue = revenue[k];
    }
    for k in 1..rows.len() {
        let before = rows[k - 1].active;
        if before > 0 {
            rows[k].retention = Some(rows[k].repeating as f64 / before as f64);
            rows[k].attrition = Some(rows[k].lapsed as f64 / before as f64);
        }
    }
}

impl RetentionAnalysis {
    /// One row per period, first to last, empty periods included.
    pub fn periods(&self) -> &[PeriodRow] {
        &self.periods
    }

    /// One row per acquisition cohort (period of first purchase), oldest
    /// first; each row is as long as the periods observed since the cohort.
    pub fn cohorts(&self) -> &[CohortRow] {
        &self.cohorts
    }

    /// Kaplan–Meier survival of all customers together, by periods since
    /// acquisition: entry `k − 1` is the probability of still being a
    /// customer after `k` periods.
    pub fn pooled_survival(&self) -> &[f64] {
        &self.pooled_survival
    }

    /// The period used.
    pub fn period(&self) -> Period {
        self.period
    }

    /// The time zone of the day boundaries.
    pub fn zone(&self) -> Zone {
        self.zone
    }

    /// Periods without purchase after which a customer counts as churned.
    pub fn churn_after(&self) -> usize {
        self.churn_after
    }

    /// Period numbers in which customer `code` was active, ascending.
    pub fn active_periods(&self, code: u32) -> impl Iterator<Item = i64> + '_ {
        self.bits
            .periods(code as usize)
            .map(move |p| self.first + p as i64)
    }

    /// Label of period number `index`.
    pub fn label(&self, index: i64) -> String {
        self.period.label_from_day(index, self.origin)
    }

    /// Rows of the transactions read.
    pub fn rows_read(&self) -> u64 {
        self.rows_read
    }

    /// Rows on or after `as_of`, left out of every table.
    pub fn rows_after_as_of(&self) -> u64 {
        self.rows_after_as_of
    }

    /// Customers without a purchase before `as_of`: their rows (returns,
    /// zero rows) count in the period revenue, in no cohort.
    pub fn customers_without_purchase(&self) -> u64 {
        self.customers_without_purchase
    }

    /// The week start, when the period is weeks.
    pub fn week_start(&self) -> Option<Weekday> {
        match self.period {
            Period::Week { start } => Some(start),
            _ => None,
        }
    }
}
