//! Value segmentation: Pareto tiers, ABC classes, and the concentration of
//! value (Lorenz curve, Gini coefficient, "x % of customers make y % of
//! value").
//!
//! Everything here works on one value per customer (revenue, margin, or any
//! column): [`CustomerTotals`] sums them from transactions, and
//! [`crate::RfmScores`]'s monetary column is another.

mod concentration;
mod tiers;
mod totals;

use rayon::slice::ParallelSliceMut;

pub use concentration::{Concentration, LorenzPoint};
pub use tiers::{
    TierMethod, TierSummary, ValueTierAssignment, ValueTierParams, ValueTierValidParams, ValueTiers,
};
pub use totals::CustomerTotals;

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
    // Sort (key, index) pairs with the key inline, the key descending in
    // the order of `f64::total_cmp`: no indirect reads while sorting.
    let mut keyed: Vec<(u64, u32)> = values
        .iter()
        .enumerate()
        .map(|(i, &v)| (!total_order_key(v), i as u32))
        .collect();
    keyed.par_sort_unstable();
    keyed.into_iter().map(|(_, i)| i).collect()
}

/// An unsigned key whose order is the order of [`f64::total_cmp`].
fn total_order_key(v: f64) -> u64 {
    let b = v.to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b | 1 << 63
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_total_order() {
        let v = [-f64::INFINITY, -2.5, -0.0, 0.0, 1e-300, 3.0, f64::INFINITY];
        for w in v.windows(2) {
            assert!(total_order_key(w[0]) < total_order_key(w[1]), "{w:?}");
        }
    }

    #[test]
    fn ranks_descending_with_ties_in_index_order() {
        assert_eq!(
            rank_descending(&[2.0, 5.0, 2.0, -1.0, 5.0]),
            [1, 4, 0, 2, 3]
        );
    }
}
