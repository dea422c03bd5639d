//! The one input check of both tree families (CART and CHAID): the same
//! rules and the same messages for the rows, the target and the weights.

use crate::error::{CiblageError, Result};

/// Checks the shape of a training set: at least one row and one column,
/// and a target of one value per row.
///
/// # Errors
/// [`CiblageError::EmptyInput`] (`X`) for no row or no column,
/// [`CiblageError::LengthMismatch`] (`y`) for a target of another length.
pub fn check_training_shape(rows: usize, columns: usize, y_len: usize) -> Result<()> {
    if rows == 0 || columns == 0 {
        return Err(CiblageError::EmptyInput {
            argument: "X".into(),
        });
    }
    if y_len != rows {
        return Err(CiblageError::LengthMismatch {
            argument: "y".into(),
            expected: rows,
            got: y_len,
        });
    }
    Ok(())
}

/// Checks optional sample weights: one per row, finite, non-negative, and
/// not all zero.
///
/// # Errors
/// [`CiblageError::LengthMismatch`] or [`CiblageError::NonFinite`]
/// (`sample_weight`), [`CiblageError::InvalidParameter`] (`sample_weight`)
/// for a negative weight or weights that are all zero.
pub fn check_sample_weight(weights: Option<&[f64]>, rows: usize) -> Result<()> {
    let Some(w) = weights else { return Ok(()) };
    if w.len() != rows {
        return Err(CiblageError::LengthMismatch {
            argument: "sample_weight".into(),
            expected: rows,
            got: w.len(),
        });
    }
    if let Some(row) = w.iter().position(|v| !v.is_finite()) {
        return Err(CiblageError::NonFinite {
            argument: "sample_weight".into(),
            row,
            value: w[row],
        });
    }
    if let Some(row) = w.iter().position(|v| *v < 0.0) {
        return Err(CiblageError::param(
            "sample_weight",
            format!("negative weight {} at row {row}", w[row]),
        ));
    }
    if w.iter().all(|v| *v == 0.0) {
        return Err(CiblageError::param(
            "sample_weight",
            "every weight is zero: at least one must be positive",
        ));
    }
    // Node weights are sums of these: the root's must stay finite.
    CiblageError::check_sum(
        "sample_weight",
        || "sum of the weights".into(),
        w.iter().sum(),
    )?;
    Ok(())
}

/// Checks the sums a regression tree keeps of its target: the weighted
/// sum of squares (and so every node's sum and mean, which it bounds) is
/// finite. Values near 1e308, or above about 1e154 squared, would give
/// infinite node values and NaN impurities.
///
/// # Errors
/// The errors of [`check_sample_weight`]; [`CiblageError::SumOverflow`]
/// (`y`) when the weighted sum of squares leaves the range of `f64`.
pub fn check_target_sums(y: &[f64], weights: Option<&[f64]>) -> Result<()> {
    check_sample_weight(weights, y.len())?;
    let squares: f64 = match weights {
        Some(w) => y.iter().zip(w).map(|(v, w)| w * v * v).sum(),
        None => y.iter().map(|v| v * v).sum(),
    };
    CiblageError::check_sum(
        "y",
        || "weighted sum of squares of y (node means and impurities)".into(),
        squares,
    )?;
    Ok(())
}

/// Checks class codes: every code below the number of classes.
///
/// # Errors
/// [`CiblageError::InvalidParameter`] (`y`) naming the first bad row.
pub fn check_class_codes(y: &[u32], n_classes: usize) -> Result<()> {
    match y.iter().position(|&c| c as usize >= n_classes) {
        None => Ok(()),
        Some(row) => Err(CiblageError::param(
            "y",
            format!(
                "class code {} at row {row} is not below {n_classes}",
                y[row]
            ),
        )),
    }
}

/// Checks a continuous target: every value finite.
///
/// # Errors
/// [`CiblageError::NonFinite`] (`y`) naming the first bad row.
pub fn check_finite_target(y: &[f64]) -> Result<()> {
    match y.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(row) => Err(CiblageError::NonFinite {
            argument: "y".into(),
            row,
            value: y[row],
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert!(matches!(
            check_training_shape(0, 3, 0),
            Err(CiblageError::EmptyInput { .. })
        ));
        assert!(matches!(
            check_training_shape(4, 0, 4),
            Err(CiblageError::EmptyInput { .. })
        ));
        let e = check_training_shape(4, 2, 3).unwrap_err();
        assert_eq!(
            e.to_string(),
            "y: has 3 rows, expected 4 (the length of the first column)"
        );
        assert!(check_training_shape(4, 2, 4).is_ok());
    }

    #[test]
    fn weights() {
        assert!(check_sample_weight(None, 3).is_ok());
        assert!(check_sample_weight(Some(&[0.0, 1.0, 2.5]), 3).is_ok());
        let msg = |w: &[f64], n| check_sample_weight(Some(w), n).unwrap_err().to_string();
        assert!(msg(&[1.0, 1.0], 3).starts_with("sample_weight: has 2 rows, expected 3"));
        assert_eq!(
            msg(&[1.0, f64::NAN], 2),
            "sample_weight: non-finite value NaN at row 1"
        );
        assert_eq!(
            msg(&[1.0, f64::NEG_INFINITY], 2),
            "sample_weight: non-finite value -inf at row 1"
        );
        assert_eq!(
            msg(&[1.0, -2.0], 2),
            "invalid parameter sample_weight: negative weight -2 at row 1"
        );
        assert!(msg(&[0.0, 0.0], 2).contains("every weight is zero"));
        // 2 × 1e308 is out of the f64 range: node weights would be inf.
        assert!(
            msg(&[1e308, 1e308], 2).starts_with("sample_weight: the sum of the weights overflows")
        );
    }

    #[test]
    fn target_sums() {
        assert!(check_target_sums(&[1e150, -1e150], None).is_ok());
        // (1e200)² = 1e400 is above f64::MAX ≈ 1.8e308.
        let e = check_target_sums(&[1.0, 1e200], None).unwrap_err();
        assert!(matches!(e, CiblageError::SumOverflow { .. }));
        assert!(e
            .to_string()
            .starts_with("y: the weighted sum of squares of y"));
        // 1e150² · 1e10 = 1e310: the weights count.
        assert!(check_target_sums(&[1e150], Some(&[1e10])).is_err());
        assert!(check_target_sums(&[1e150], Some(&[1.0])).is_ok());
        assert!(check_target_sums(&[1.0], Some(&[1.0, 2.0])).is_err());
    }

    #[test]
    fn targets() {
        assert!(check_class_codes(&[0, 1, 1], 2).is_ok());
        assert_eq!(
            check_class_codes(&[0, 2], 2).unwrap_err().to_string(),
            "invalid parameter y: class code 2 at row 1 is not below 2"
        );
        assert!(check_finite_target(&[1.0, -3.0]).is_ok());
        assert_eq!(
            check_finite_target(&[1.0, f64::INFINITY])
                .unwrap_err()
                .to_string(),
            "y: non-finite value inf at row 1"
        );
    }
}
