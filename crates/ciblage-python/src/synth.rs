//! `ciblage._native.synthetic_transactions`.

use ciblage::{IdKind, SyntheticTransactions};
use pyo3::prelude::*;
use pyo3_arrow::PyTable;

use crate::arrow_in::TimeKind;
use crate::arrow_out::{self as out, TableBuilder};
use crate::error::BindError;
use crate::run::{guard, run};

/// Generates deterministic, realistic transactions (see the Rust docs of
/// `SyntheticTransactions`): columns customer_id, timestamp (UTC), amount, cost.
#[pyfunction]
#[pyo3(signature = (*, customers = 10_000, transactions = 100_000, seed = 42, string_ids = false, return_rate = 0.02))]
pub fn synthetic_transactions(
    py: Python<'_>,
    customers: usize,
    transactions: usize,
    seed: u64,
    string_ids: bool,
    return_rate: f64,
) -> PyResult<PyTable> {
    guard(|| -> PyResult<_> {
        let kind = if string_ids { IdKind::Str } else { IdKind::Int };
        let table = run(py, |_| {
            let data = SyntheticTransactions::params()
                .customers(customers)
                .transactions(transactions)
                .seed(seed)
                .ids(kind)
                .return_rate(return_rate)
                .generate()
                .map_err(BindError::Core)?;
            let mut t = TableBuilder::default();
            t.push("customer_id", out::ids_array(&data.ids));
            t.push(
                "timestamp",
                out::time_array(
                    &data.timestamps,
                    &TimeKind::Timestamp(Some("UTC".into())),
                    ciblage::Zone::Utc,
                ),
            );
            t.push("amount", out::f64_array(&data.amounts));
            t.push("cost", out::f64_array(&data.costs));
            Ok::<_, BindError>(t)
        })?;
        table.into_py_table()
    })
}
