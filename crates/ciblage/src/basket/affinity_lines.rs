//! The order lines that affinity by segment reads, and their checks.

use crate::error::{CiblageError, Result};

/// Order lines as columns: one entry per line.
#[derive(Debug, Clone, Copy)]
pub struct AffinityLines<'a> {
    /// The customer of each line: a code indexing the labelling.
    pub customer: &'a [u32],
    /// The product (or category) of each line: codes `0..products`.
    pub product: &'a [u32],
    /// The amount (revenue) of each line.
    pub amount: &'a [f64],
    /// The cost of each line, for margins (amount − cost).
    pub cost: Option<&'a [f64]>,
}

impl<'a> AffinityLines<'a> {
    /// Lines without costs.
    pub fn new(customer: &'a [u32], product: &'a [u32], amount: &'a [f64]) -> Self {
        Self {
            customer,
            product,
            amount,
            cost: None,
        }
    }

    /// The same lines with a cost per line.
    #[must_use]
    pub fn with_cost(mut self, cost: &'a [f64]) -> Self {
        self.cost = Some(cost);
        self
    }

    pub(crate) fn check(&self, customers: usize) -> Result<()> {
        let n = self.customer.len();
        if n == 0 {
            return Err(CiblageError::EmptyInput {
                argument: "lines".into(),
            });
        }
        if n > u32::MAX as usize {
            // Rows are indexed by `u32` while grouped by product.
            return Err(CiblageError::ValueOutOfRange {
                argument: "lines".into(),
                row: u32::MAX as usize,
                value: n as f64,
                range: "at most 4,294,967,295 lines per call",
            });
        }
        for (argument, len) in [
            ("product", self.product.len()),
            ("amount", self.amount.len()),
            ("cost", self.cost.map_or(n, <[f64]>::len)),
        ] {
            if len != n {
                return Err(CiblageError::LengthMismatch {
                    argument: argument.into(),
                    expected: n,
                    got: len,
                });
            }
        }
        if let Some(row) = self.customer.iter().position(|&c| c as usize >= customers) {
            return Err(CiblageError::ValueOutOfRange {
                argument: "customer".into(),
                row,
                value: f64::from(self.customer[row]),
                range: "customer codes index the segment labelling",
            });
        }
        for (argument, values) in [("amount", Some(self.amount)), ("cost", self.cost)] {
            if let Some(row) = values.and_then(|v| v.iter().position(|x| !x.is_finite())) {
                return Err(CiblageError::NonFinite {
                    argument: argument.into(),
                    row,
                    value: values.map_or(0.0, |v| v[row]),
                });
            }
        }
        Ok(())
    }
}
