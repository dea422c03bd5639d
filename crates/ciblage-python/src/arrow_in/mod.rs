//! Reading transaction columns out of Arrow record batches, zero-copy where
//! the type allows it: column lookup and the shared errors
//! ([`columns`]), customer ids ([`ids`]), time columns ([`time`]) and
//! numeric columns ([`numbers`]).

mod columns;
mod ids;
mod numbers;
mod time;

pub use columns::column_index;
pub use ids::{check_id_type, customer_codes};
pub use numbers::{check_number_type, floats};
pub use time::{give_back, micros, time_kind, zone_for, TimeKind};

#[cfg(test)]
mod tests;
