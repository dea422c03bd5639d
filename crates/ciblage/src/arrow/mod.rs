//! Columnar input from Arrow record batches (cargo feature `arrow`, on by
//! default): the one implementation of the column checks and conversions
//! that the Python binding also uses.
//!
//! [`crate::Transactions::from_record_batch`] reads a transaction table by
//! column names ([`TransactionColumns`]); [`ArrowTransactions::read`] does
//! the same over several batches and borrows the Arrow buffers where their
//! types allow it (one batch, `timestamp[us]`, `float64`). The pieces are
//! public for tables of other shapes: [`column_index`], the type checks
//! ([`check_id_type`], [`time_kind`], [`check_number_type`]) and the
//! readers ([`customer_codes`], [`micros`], [`floats`]).
//!
//! What is accepted, and refused with an error naming the argument and the
//! column:
//! - customer ids: integers of any width (unsigned up to 2⁶³ − 1), strings
//!   (`utf8`, `large_utf8`, `utf8_view`) or a dictionary of them;
//! - timestamps: `timestamp` of any unit, with or without a time zone, or
//!   `date32`/`date64`; numpy's NaT is a null; instants outside
//!   [`crate::time::instant_range`] are refused;
//! - amounts and costs: floats, integers or decimals, read as `f64`;
//! - no null anywhere; a column of type `null` is a null at row 0; an empty
//!   table is [`crate::CiblageError::EmptyInput`].
//!
//! The zone of day boundaries is the one asked for, else the timestamp
//! column's, else UTC; dates are calendar days and stay UTC.

mod buffers;
mod columns;
mod dates;
mod id_column;
mod ids;
mod numbers;
mod time;
mod transactions;

pub use buffers::{
    give_amounts, give_codes, give_instants, release_buffers, take_amounts, take_codes,
    take_instants,
};
pub use columns::column_index;
pub use dates::{append_local_days, local_dates};
pub use id_column::{id_column, id_kind};
pub use ids::{check_id_type, customer_codes, encode_all_ids, encode_ids};
pub use numbers::{check_number_type, floats};
pub use time::{give_back, instants, micros, time_kind, zone_for, TimeKind};
pub use transactions::{ArrowTransactions, ResolvedColumns, TransactionColumns};

#[cfg(test)]
mod tests;
