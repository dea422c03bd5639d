//! Reading a whole transaction table into the core's columns: the core's
//! reader ([`ciblage::arrow::ArrowTransactions`], the one implementation),
//! with the binding's error type and the errors named after the columns.

use arrow_array::RecordBatch;
use arrow_schema::Schema;
use ciblage::arrow::{self, ResolvedColumns};
use ciblage::{Interrupt, Zone};

pub use ciblage::arrow::ArrowTransactions as ReadTransactions;

use crate::arrow_in::TimeKind;
use crate::error::{BindError, BindResult};

/// Column names of a transaction table (customer, timestamp, amount).
pub struct TransactionColumns<'a> {
    /// Customer id column.
    pub customer: &'a str,
    /// Timestamp or date column.
    pub timestamp: &'a str,
    /// Amount column.
    pub amount: &'a str,
}

impl TransactionColumns<'_> {
    /// The core's column names (no cost).
    pub fn core(&self) -> arrow::TransactionColumns<'_> {
        arrow::TransactionColumns {
            customer: self.customer,
            timestamp: self.timestamp,
            amount: self.amount,
            cost: None,
        }
    }

    /// Renames generic arguments in a core error after the columns.
    pub fn name(&self, e: BindError) -> BindError {
        match e {
            BindError::Core(c) => BindError::Core(self.core().name(c)),
        }
    }
}

/// Column positions, time encoding and zone of a transaction table.
pub struct Resolved {
    /// Position of the customer column.
    pub customer: usize,
    /// Position of the timestamp column.
    pub timestamp: usize,
    /// Position of the amount column.
    pub amount: usize,
    /// How the timestamp column encodes time.
    pub kind: TimeKind,
    /// Zone of day boundaries.
    pub zone: Zone,
}

/// Finds and type-checks the three columns, picks the zone (the column's
/// own unless `timezone` is given), and refuses an empty table (see
/// [`ResolvedColumns::resolve`]).
pub fn resolve(
    batches: &[RecordBatch],
    schema: &Schema,
    names: &TransactionColumns<'_>,
    timezone: Option<&str>,
) -> BindResult<Resolved> {
    let r = ResolvedColumns::resolve(batches, schema, &names.core(), timezone)?;
    Ok(Resolved {
        customer: r.customer,
        timestamp: r.timestamp,
        amount: r.amount,
        kind: r.kind,
        zone: r.zone,
    })
}

/// Reads and validates the columns of `batches`; the time zone is the
/// column's own unless `timezone` is given (see [`ReadTransactions::read`]).
pub fn read_transactions<'b>(
    batches: &'b [RecordBatch],
    schema: &Schema,
    names: &TransactionColumns<'_>,
    timezone: Option<&str>,
    token: &Interrupt,
) -> BindResult<ReadTransactions<'b>> {
    Ok(ReadTransactions::read(
        batches,
        schema,
        &names.core(),
        timezone,
        token,
    )?)
}
