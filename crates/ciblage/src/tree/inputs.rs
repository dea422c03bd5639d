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
