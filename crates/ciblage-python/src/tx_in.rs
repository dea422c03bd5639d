//! Reading a whole transaction table into the core's [`Transactions`].

use std::borrow::Cow;

use arrow_array::RecordBatch;
use ciblage::{CiblageError, CustomerIndex, Interrupt, TransactionView, Zone};

use crate::arrow_in::{self, TimeKind};
use crate::error::{name_columns, BindError, BindResult};

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
    /// Renames generic arguments in a core error after the columns.
    pub fn name(&self, e: BindError) -> BindError {
        match e {
            BindError::Core(c) => BindError::Core(name_columns(
                c,
                &[
                    ("customer", self.customer),
                    ("timestamp", self.timestamp),
                    ("amount", self.amount),
                ],
            )),
            other => other,
        }
    }
}

/// The columns of a transaction table, borrowed from the Arrow buffers
/// where their types allow it (one batch, µs timestamps, f64 amounts).
pub struct ReadTransactions<'b> {
    /// Customer ids and their codes.
    pub index: CustomerIndex,
    /// Code of each row.
    pub codes: Vec<u32>,
    /// Instants, µs since the epoch.
    pub ts: Cow<'b, [i64]>,
    /// Amounts.
    pub amounts: Cow<'b, [f64]>,
    /// Zone of day boundaries.
    pub zone: Zone,
}

impl ReadTransactions<'_> {
    /// The validated core view of the columns.
    pub fn view(&self) -> Result<TransactionView<'_>, CiblageError> {
        TransactionView::new(
            &self.codes,
            &self.ts,
            &self.amounts,
            self.index.len(),
            self.zone,
        )
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
/// own unless `timezone` is given), and refuses an empty table.
pub fn resolve(
    batches: &[RecordBatch],
    schema: &arrow_schema::SchemaRef,
    names: &TransactionColumns<'_>,
    timezone: Option<&str>,
) -> BindResult<Resolved> {
    let ci = arrow_in::column_index(schema, "customer", names.customer)?;
    let ti = arrow_in::column_index(schema, "timestamp", names.timestamp)?;
    let ai = arrow_in::column_index(schema, "amount", names.amount)?;
    // An empty table first: its columns may have no type (a dict of empty
    // lists reads as nulls, an empty pandas frame as floats).
    if batches.iter().map(RecordBatch::num_rows).sum::<usize>() == 0 {
        return Err(CiblageError::EmptyInput {
            argument: "transactions".into(),
        }
        .into());
    }
    arrow_in::check_id_type("customer", names.customer, schema.field(ci).data_type())?;
    let kind = arrow_in::time_kind("timestamp", names.timestamp, schema.field(ti).data_type())?;
    arrow_in::check_number_type("amount", names.amount, schema.field(ai).data_type())?;
    let zone = arrow_in::zone_for(&kind, timezone)?;
    Ok(Resolved {
        customer: ci,
        timestamp: ti,
        amount: ai,
        kind,
        zone,
    })
}

/// Reads and validates the columns of `batches`; the time zone is the
/// column's own unless `timezone` is given.
impl Drop for ReadTransactions<'_> {
    /// The row buffers are kept for the next call (see `scratch`).
    fn drop(&mut self) {
        crate::scratch::give_codes(std::mem::take(&mut self.codes));
        crate::arrow_in::give_back(std::mem::take(&mut self.ts));
    }
}

pub fn read_transactions<'b>(
    batches: &'b [RecordBatch],
    schema: &arrow_schema::SchemaRef,
    names: &TransactionColumns<'_>,
    timezone: Option<&str>,
    token: &Interrupt,
) -> BindResult<ReadTransactions<'b>> {
    let Resolved {
        customer: ci,
        timestamp: ti,
        amount: ai,
        zone,
        ..
    } = resolve(batches, schema, names, timezone)?;
    let total: usize = batches.iter().map(RecordBatch::num_rows).sum();
    let (index, codes) = arrow_in::customer_codes(batches, ci, names.customer)?;
    token.check()?;
    let (ts, amounts) = if let [batch] = batches {
        (
            arrow_in::micros(batch.column(ti).as_ref(), "timestamp", names.timestamp, 0)?,
            arrow_in::floats(batch.column(ai).as_ref(), "amount", names.amount, 0)?,
        )
    } else {
        let mut ts = Vec::with_capacity(total);
        let mut amounts = Vec::with_capacity(total);
        let mut row0 = 0;
        for batch in batches {
            token.check()?;
            let t = batch.column(ti);
            ts.extend_from_slice(&arrow_in::micros(
                t.as_ref(),
                "timestamp",
                names.timestamp,
                row0,
            )?);
            let a = batch.column(ai);
            amounts.extend_from_slice(&arrow_in::floats(a.as_ref(), "amount", names.amount, row0)?);
            row0 += batch.num_rows();
        }
        (Cow::Owned(ts), Cow::Owned(amounts))
    };
    Ok(ReadTransactions {
        index,
        codes,
        ts,
        amounts,
        zone,
    })
}
