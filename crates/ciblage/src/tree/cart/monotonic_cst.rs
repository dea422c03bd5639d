//! The checks of the monotonic constraints given to a fit (scikit-learn's
//! `monotonic_cst`): their values with the parameters, their number and
//! the number of classes with the data. Their effect on the growth is in
//! `shared::monotonic`.

use crate::error::{CiblageError, Result};

/// The constraints' values (−1, 0 or 1), and none on a feature of
/// `categorical` (categories have no order).
///
/// # Errors
/// [`CiblageError::InvalidParameter`] naming `monotonic_cst`.
pub(crate) fn check(cst: &[i8], categorical: &[usize]) -> Result<()> {
    if let Some((f, c)) = cst.iter().enumerate().find(|(_, c)| !(-1..=1).contains(*c)) {
        return Err(CiblageError::param(
            "monotonic_cst",
            format!("expected -1, 0 or 1 for each feature, got {c} for feature {f}"),
        ));
    }
    if let Some(f) = categorical
        .iter()
        .find(|&&f| cst.get(f).is_some_and(|&c| c != 0))
    {
        return Err(CiblageError::param(
            "monotonic_cst",
            format!("feature {f} is categorical: its categories have no order to constrain"),
        ));
    }
    Ok(())
}

/// The constraints (if any) against the data: one per feature of the `d`,
/// and a classifier of at most two classes (`n_classes`; `None`: a
/// regressor). The messages are scikit-learn's.
///
/// # Errors
/// [`CiblageError::InvalidParameter`] naming `monotonic_cst`.
pub(crate) fn check_data(cst: Option<&[i8]>, d: usize, n_classes: Option<usize>) -> Result<()> {
    let Some(cst) = cst else {
        return Ok(());
    };
    if cst.len() != d {
        return Err(CiblageError::param(
            "monotonic_cst",
            format!(
                "monotonic_cst has shape {} but the input data X has {d} features.",
                cst.len()
            ),
        ));
    }
    if let Some(k @ 3..) = n_classes {
        return Err(CiblageError::param(
            "monotonic_cst",
            format!(
                "Monotonicity constraints are not supported with multiclass classification ({k} classes)"
            ),
        ));
    }
    Ok(())
}
