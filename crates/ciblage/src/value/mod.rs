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
    CustomerTiers, TierMethod, TierSummary, ValueTierParams, ValueTierValidParams, ValueTiers,
};
pub use totals::{CustomerTotals, CustomerTotalsParams, CustomerTotalsValidParams};

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

/// Every value's [`descending_key`] and index, packed as `key << 32 |
/// index`, highest value first, ties in index order. Requires fewer than
/// 2^32 values.
pub(crate) fn sort_descending(values: &[f64]) -> Vec<u128> {
    // The key inline (no indirect reads while sorting), one 128-bit
    // integer compared at once rather than a pair compared in two steps.
    let mut keyed: Vec<u128> = values
        .iter()
        .enumerate()
        // −0.0 equals 0.0: the same key, so that ties keep index order.
        .map(|(i, &v)| (u128::from(descending_key(v + 0.0)) << 32) | i as u128)
        .collect();
    keyed.par_sort_unstable();
    keyed
}

/// The key of a packed entry of [`sort_descending`].
pub(crate) fn packed_key(p: u128) -> u64 {
    (p >> 32) as u64
}

/// The index of a packed entry of [`sort_descending`].
pub(crate) fn packed_index(p: u128) -> usize {
    (p as u32) as usize
}

/// A key ascending as `v` descends in the order of [`f64::total_cmp`].
pub(crate) fn descending_key(v: f64) -> u64 {
    !total_order_key(v)
}

/// The value of a [`descending_key`].
pub(crate) fn value_of_descending_key(k: u64) -> f64 {
    let b = !k;
    f64::from_bits(if b >> 63 == 1 { b & !(1 << 63) } else { !b })
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
    fn descending_keys_give_back_their_values() {
        for v in [-f64::INFINITY, -2.5, -0.0, 0.0, 1e-300, 3.0, f64::MAX] {
            let back = value_of_descending_key(descending_key(v));
            assert_eq!(back.to_bits(), v.to_bits(), "{v}");
        }
    }

    #[test]
    fn ranks_descending_with_ties_in_index_order() {
        assert_eq!(
            sort_descending(&[2.0, 5.0, 2.0, -1.0, 5.0])
                .into_iter()
                .map(packed_index)
                .collect::<Vec<_>>(),
            [1, 4, 0, 2, 3]
        );
        // −0.0 and 0.0 are tied: index order (−0.0 was ranked after 0.0).
        assert_eq!(
            sort_descending(&[-0.0, 1.0, 0.0])
                .into_iter()
                .map(packed_index)
                .collect::<Vec<_>>(),
            [1, 0, 2]
        );
    }
}
