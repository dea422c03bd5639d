//! Value segmentation: Pareto tiers, ABC classes, and the concentration of
//! value (Lorenz curve, Gini coefficient, "x % of customers make y % of
//! value").
//!
//! Everything here works on one value per customer (revenue, margin, or any
//! column), typically [`crate::RfmScores`]'s monetary column.

mod concentration;
mod tiers;

use rayon::slice::ParallelSliceMut;

pub use concentration::{Concentration, LorenzPoint};
pub use tiers::{
    TierMethod, TierSummary, ValueTierAssignment, ValueTierParams, ValueTierValidParams, ValueTiers,
};

use crate::error::{CiblageError, Result};

/// Rejects empty input and non-finite values, naming `argument`.
pub(crate) fn check_values(values: &[f64], argument: &str) -> Result<()> {
    if values.is_empty() {
        return Err(CiblageError::EmptyInput {
            argument: argument.into(),
        });
    }
    if let Some(row) = values.iter().position(|v| !v.is_finite()) {
        return Err(CiblageError::NonFinite {
            argument: argument.into(),
            row,
            value: values[row],
        });
    }
    Ok(())
}

/// Indices of `values`, highest value first, ties in index order.
pub(crate) fn rank_descending(values: &[f64]) -> Vec<u32> {
    let mut order: Vec<u32> = (0..values.len() as u32).collect();
    order.par_sort_unstable_by(|&a, &b| {
        values[b as usize]
            .total_cmp(&values[a as usize])
            .then(a.cmp(&b))
    });
    order
}
