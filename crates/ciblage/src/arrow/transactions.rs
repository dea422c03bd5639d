//! A whole transaction table read from Arrow record batches.

use std::borrow::Cow;

use arrow_array::RecordBatch;
use arrow_schema::Schema;

use super::time::TimeKind;
use crate::customers::CustomerIndex;
use crate::error::{CiblageError, Result};
use crate::interrupt::Interrupt;
use crate::time::Zone;
use crate::transactions::{TransactionView, Transactions};

/// Column names of a transaction table. Errors name the argument and, when
/// it differs, the column (`amount (column "price")`).
///
/// ```
/// use ciblage::arrow::TransactionColumns;
/// let names = TransactionColumns { amount: "price", ..TransactionColumns::default() };
/// assert_eq!((names.customer, names.timestamp, names.cost), ("customer_id", "timestamp", None));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransactionColumns<'a> {
    /// Customer id column.
    pub customer: &'a str,
    /// Timestamp or date column.
    pub timestamp: &'a str,
    /// Amount column.
    pub amount: &'a str,
    /// Cost column, if any.
    pub cost: Option<&'a str>,
}

impl Default for TransactionColumns<'_> {
    /// `customer_id`, `timestamp`, `amount`, no cost (the Python defaults).
    fn default() -> Self {
        Self {
            customer: "customer_id",
            timestamp: "timestamp",
            amount: "amount",
            cost: None,
        }
    }
}

impl TransactionColumns<'_> {
    /// Renames the generic arguments of a core error after the columns
    /// (see [`CiblageError::naming_columns`]).
    #[must_use]
    pub fn name(&self, e: CiblageError) -> CiblageError {
        e.naming_columns(&[
            ("customer", self.customer),
            ("timestamp", self.timestamp),
            ("amount", self.amount),
            ("cost", self.cost.unwrap_or("cost")),
        ])
    }
}

/// Column positions, time encoding and zone of a transaction table.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedColumns {
    /// Position of the customer column.
    pub customer: usize,
    /// Position of the timestamp column.
    pub timestamp: usize,
    /// Position of the amount column.
    pub amount: usize,
    /// Position of the cost column, if named.
    pub cost: Option<usize>,
    /// How the timestamp column encodes time.
    pub kind: TimeKind,
    /// Zone of day boundaries.
    pub zone: Zone,
}

impl ResolvedColumns {
    /// Finds and type-checks the columns, picks the zone (the timestamp
    /// column's own unless `timezone` is given; UTC for dates), and refuses
    /// an empty table, before any row is read.
    ///
    /// # Errors
    /// [`CiblageError::ColumnNotFound`], [`CiblageError::EmptyInput`],
    /// [`CiblageError::ColumnType`], [`CiblageError::NullValue`] (a column
    /// of nulls only), [`CiblageError::UnknownTimeZone`].
    pub fn resolve(
        batches: &[RecordBatch],
        schema: &Schema,
        names: &TransactionColumns<'_>,
        timezone: Option<&str>,
    ) -> Result<Self> {
        let ci = super::column_index(schema, "customer", names.customer)?;
        let ti = super::column_index(schema, "timestamp", names.timestamp)?;
        let ai = super::column_index(schema, "amount", names.amount)?;
        let ki = names
            .cost
            .map(|c| super::column_index(schema, "cost", c))
            .transpose()?;
        // An empty table first: its columns may have no type (a dict of
        // empty lists reads as nulls, an empty pandas frame as floats).
        if batches.iter().map(RecordBatch::num_rows).sum::<usize>() == 0 {
            return Err(CiblageError::EmptyInput {
                argument: "transactions".into(),
            });
        }
        super::check_id_type("customer", names.customer, schema.field(ci).data_type())?;
        let kind = super::time_kind("timestamp", names.timestamp, schema.field(ti).data_type())?;
        super::check_number_type("amount", names.amount, schema.field(ai).data_type())?;
        if let (Some(k), Some(c)) = (ki, names.cost) {
            super::check_number_type("cost", c, schema.field(k).data_type())?;
        }
        let zone = super::zone_for(&kind, timezone)?;
        Ok(Self {
            customer: ci,
            timestamp: ti,
            amount: ai,
            cost: ki,
            kind,
            zone,
        })
    }
}

/// The columns of a transaction table read from record batches, borrowed
/// from the Arrow buffers where their types allow it (one batch,
/// `timestamp[us]`, `float64`). The row buffers go back to the kept
/// buffers when it is dropped (see [`super::release_buffers`]).
///
/// ```
/// use std::sync::Arc;
/// use ciblage::arrow::{ArrowTransactions, TransactionColumns};
/// use ciblage::churn::ChurnFlags;
/// use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, TimestampMicrosecondArray};
///
/// let day = 86_400_000_000i64;
/// let batch = RecordBatch::try_from_iter([
///     ("customer_id", Arc::new(Int64Array::from(vec![7, 8, 7])) as ArrayRef),
///     ("timestamp", Arc::new(TimestampMicrosecondArray::from(vec![0, day, 2 * day])) as ArrayRef),
///     ("amount", Arc::new(Float64Array::from(vec![10.0, 5.0, 2.5])) as ArrayRef),
/// ]).unwrap();
/// let batches = [batch];
/// let tx = ArrowTransactions::read(&batches, &batches[0].schema(), &TransactionColumns::default(),
///                                  None, &Default::default())?;
/// let flags = ChurnFlags::params().score(tx.view()?)?;
/// assert_eq!(flags.days_since_last(), &[Some(1), Some(2)]);
/// # Ok::<(), ciblage::CiblageError>(())
/// ```
#[derive(Debug)]
pub struct ArrowTransactions<'b> {
    /// Customer ids and their codes.
    pub index: CustomerIndex,
    /// Code of each row.
    pub codes: Vec<u32>,
    /// Instants, µs since 1970-01-01T00:00 UTC.
    pub timestamps: Cow<'b, [i64]>,
    /// Amounts.
    pub amounts: Cow<'b, [f64]>,
    /// Costs, when a cost column was named.
    pub costs: Option<Cow<'b, [f64]>>,
    /// Zone of day boundaries.
    pub zone: Zone,
    /// How the timestamp column encodes time (to write results back alike).
    pub kind: TimeKind,
}

impl<'b> ArrowTransactions<'b> {
    /// Reads and validates the columns of `batches` (which share
    /// `schema`); the zone is the timestamp column's own unless `timezone`
    /// is given. `interrupt` is checked between batches.
    ///
    /// # Errors
    /// As [`ResolvedColumns::resolve`]; a null, NaT or out-of-range value
    /// ([`CiblageError::NullValue`], [`CiblageError::TimestampOutOfRange`]),
    /// naming its row and column; [`CiblageError::Interrupted`].
    pub fn read(
        batches: &'b [RecordBatch],
        schema: &Schema,
        names: &TransactionColumns<'_>,
        timezone: Option<&str>,
        interrupt: &Interrupt,
    ) -> Result<Self> {
        let r = ResolvedColumns::resolve(batches, schema, names, timezone)?;
        let total: usize = batches.iter().map(RecordBatch::num_rows).sum();
        let (index, codes) = super::customer_codes(batches, r.customer, names.customer)?;
        // From here on the buffers go back when `read` fails: `out` owns them.
        let mut out = Self {
            index,
            codes,
            timestamps: Cow::Borrowed(&[]),
            amounts: Cow::Borrowed(&[]),
            costs: None,
            zone: r.zone,
            kind: r.kind.clone(),
        };
        interrupt.check()?;
        let cost = r.cost.zip(names.cost);
        if let [batch] = batches {
            out.timestamps = super::micros(
                batch.column(r.timestamp).as_ref(),
                "timestamp",
                names.timestamp,
                0,
            )?;
            out.amounts =
                super::floats(batch.column(r.amount).as_ref(), "amount", names.amount, 0)?;
            if let Some((k, c)) = cost {
                out.costs = Some(super::floats(batch.column(k).as_ref(), "cost", c, 0)?);
            }
            return Ok(out);
        }
        let mut ts = Vec::with_capacity(total);
        let mut amounts = Vec::with_capacity(total);
        let mut costs = cost.map(|_| Vec::with_capacity(total));
        let mut row0 = 0;
        for batch in batches {
            interrupt.check()?;
            let t = batch.column(r.timestamp);
            ts.extend_from_slice(&super::micros(
                t.as_ref(),
                "timestamp",
                names.timestamp,
                row0,
            )?);
            let a = batch.column(r.amount);
            amounts.extend_from_slice(&super::floats(a.as_ref(), "amount", names.amount, row0)?);
            if let (Some((k, c)), Some(all)) = (cost, costs.as_mut()) {
                all.extend_from_slice(&super::floats(batch.column(k).as_ref(), "cost", c, row0)?);
            }
            row0 += batch.num_rows();
        }
        out.timestamps = Cow::Owned(ts);
        out.amounts = Cow::Owned(amounts);
        out.costs = costs.map(Cow::Owned);
        Ok(out)
    }

    /// The validated core view of the columns.
    ///
    /// # Errors
    /// As [`TransactionView::new`] (a non-finite amount, …).
    pub fn view(&self) -> Result<TransactionView<'_>> {
        TransactionView::new(
            &self.codes,
            &self.timestamps,
            &self.amounts,
            self.index.len(),
            self.zone,
        )
    }

    /// An owned [`Transactions`] table of the columns (costs included).
    ///
    /// # Errors
    /// As [`Transactions::from_codes`] and [`Transactions::with_costs`].
    pub fn into_transactions(mut self) -> Result<Transactions> {
        let index = std::mem::take(&mut self.index);
        let codes = std::mem::take(&mut self.codes);
        let ts = std::mem::take(&mut self.timestamps).into_owned();
        let amounts = std::mem::take(&mut self.amounts).into_owned();
        let costs = self.costs.take().map(Cow::into_owned);
        let zone = self.zone;
        let tx = Transactions::from_codes(index, codes, ts, amounts)?.with_zone(zone);
        match costs {
            Some(c) => tx.with_costs(c),
            None => Ok(tx),
        }
    }
}

impl Drop for ArrowTransactions<'_> {
    /// The row buffers are kept for the next call (see [`super::release_buffers`]).
    fn drop(&mut self) {
        super::give_codes(std::mem::take(&mut self.codes));
        super::give_back(std::mem::take(&mut self.timestamps));
    }
}

impl Transactions {
    /// Reads a transaction table out of an Arrow record batch, by column
    /// names; the zone of day boundaries is the timestamp column's own
    /// (UTC for naive timestamps and dates). See [`crate::arrow`] for the
    /// types accepted.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use ciblage::arrow::TransactionColumns;
    /// use ciblage::Transactions;
    /// use arrow_array::{ArrayRef, Date32Array, Float64Array, RecordBatch, StringArray};
    ///
    /// let batch = RecordBatch::try_from_iter([
    ///     ("client", Arc::new(StringArray::from(vec!["a", "b", "a"])) as ArrayRef),
    ///     ("day", Arc::new(Date32Array::from(vec![19_723, 19_724, 19_730])) as ArrayRef),
    ///     ("price", Arc::new(Float64Array::from(vec![10.0, 5.0, f64::NAN])) as ArrayRef),
    /// ]).unwrap();
    /// let names = TransactionColumns { customer: "client", timestamp: "day", amount: "price", cost: None };
    /// let e = Transactions::from_record_batch(&batch, &names).unwrap_err();
    /// assert_eq!(e.to_string(), "amount (column \"price\"): non-finite value NaN at row 2");
    /// # Ok::<(), ciblage::CiblageError>(())
    /// ```
    ///
    /// # Errors
    /// As [`ArrowTransactions::read`] and [`Transactions::from_codes`].
    pub fn from_record_batch(batch: &RecordBatch, names: &TransactionColumns<'_>) -> Result<Self> {
        Self::from_record_batches(std::slice::from_ref(batch), names, None)
    }

    /// Reads a transaction table out of Arrow record batches sharing one
    /// schema; the zone is `timezone` when given, else the timestamp
    /// column's own.
    ///
    /// # Errors
    /// As [`Transactions::from_record_batch`]; an empty slice is
    /// [`CiblageError::EmptyInput`].
    pub fn from_record_batches(
        batches: &[RecordBatch],
        names: &TransactionColumns<'_>,
        timezone: Option<&str>,
    ) -> Result<Self> {
        let Some(first) = batches.first() else {
            return Err(CiblageError::EmptyInput {
                argument: "transactions".into(),
            });
        };
        let schema = first.schema();
        ArrowTransactions::read(batches, &schema, names, timezone, &Interrupt::default())
            .and_then(ArrowTransactions::into_transactions)
            .map_err(|e| names.name(e))
    }
}
