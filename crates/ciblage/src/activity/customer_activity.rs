//! The records of per-customer activity: the chunks read, the reading
//! options, the input report and the per-customer aggregates.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::partial::NO_ROW;
use super::ActivityAccumulator;
use crate::error::Result;
use crate::time::Zone;
use crate::transactions::{NegativeAmounts, Transactions};

/// One chunk of transaction rows: a customer code, an instant (µs since
/// the epoch) and an amount per row, and a cost when the accumulator takes
/// costs.
#[derive(Debug, Clone, Copy)]
pub struct RowChunk<'a> {
    /// Customer code of each row.
    pub codes: &'a [u32],
    /// Instant of each row, µs since the epoch.
    pub timestamps: &'a [i64],
    /// Amount of each row.
    pub amounts: &'a [f64],
    /// Cost of each row, if the accumulator takes costs.
    pub costs: Option<&'a [f64]>,
}

/// How transactions are read into per-customer activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ActivityOptions {
    /// Zone of day boundaries.
    pub zone: Zone,
    /// Policy for negative amounts.
    pub negative_amounts: NegativeAmounts,
    /// Rows on local dates after this one are left out (none when `None`).
    pub last_date: Option<NaiveDate>,
    /// Also count distinct purchase days per customer.
    pub distinct_days: bool,
}

/// What reading the transactions left out, so that nothing is lost silently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct InputReport {
    /// Rows read.
    pub rows: u64,
    /// Rows dated after the reference date, left out.
    pub rows_after_as_of: u64,
    /// Rows with a negative amount (kept, excluded or rejected by policy).
    pub negative_rows: u64,
    /// Negative rows left out (policy `Exclude`).
    pub negative_rows_excluded: u64,
    /// Customers all of whose rows were left out; they get no score.
    pub customers_without_rows: u64,
}

impl InputReport {
    pub(crate) fn merge(&mut self, other: &Self) {
        self.rows += other.rows;
        self.rows_after_as_of += other.rows_after_as_of;
        self.negative_rows += other.negative_rows;
        self.negative_rows_excluded += other.negative_rows_excluded;
    }
}

/// Per-customer aggregates, indexed by customer code.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerActivity {
    /// Instant of the first counted row (`i64::MAX` if none).
    pub first: Vec<i64>,
    /// Instant of the last counted row (`i64::MAX` if none).
    pub last: Vec<i64>,
    /// Counted rows (transactions).
    pub transactions: Vec<u32>,
    /// Distinct local purchase days, when asked for.
    pub purchase_days: Option<Vec<u32>>,
    /// Sum of amounts (exact, rounded once: see [`crate::exact_sum`]).
    pub revenue: Vec<f64>,
    /// Sum of costs (exact, rounded once), when costs were given.
    pub cost: Option<Vec<f64>>,
    /// What was left out.
    pub report: InputReport,
    /// Zone of day boundaries.
    pub zone: Zone,
}

impl CustomerActivity {
    /// Aggregates a whole [`Transactions`] table.
    ///
    /// # Errors
    /// Negative amounts under [`NegativeAmounts::Reject`].
    pub fn from_transactions(tx: &Transactions, options: ActivityOptions) -> Result<Self> {
        let mut acc = ActivityAccumulator::new(options, tx.costs().is_some());
        acc.push(
            tx.codes(),
            tx.timestamps(),
            tx.amounts(),
            tx.costs(),
            tx.customers().len(),
        )?;
        Ok(acc.finish())
    }

    /// Number of customers (codes).
    pub fn len(&self) -> usize {
        self.first.len()
    }

    /// True when there is no customer.
    pub fn is_empty(&self) -> bool {
        self.first.is_empty()
    }

    /// True when customer `code` has at least one counted row.
    #[inline]
    pub fn is_active(&self, code: usize) -> bool {
        self.last[code] != NO_ROW
    }
}
