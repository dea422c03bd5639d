//! The one place where errors become Python exceptions.
//!
//! The exception classes are defined in Python (`ciblage/exceptions.py`) so
//! that they can derive from both `CiblageError` and `ValueError`/`TypeError`.

use ciblage::CiblageError;
use ciblage_lifecycle::LifecycleError;
use pyo3::prelude::*;

pyo3::import_exception!(ciblage.exceptions, InvalidInputError);
pyo3::import_exception!(ciblage.exceptions, InvalidParameterError);
pyo3::import_exception!(ciblage.exceptions, SegmentTableError);
pyo3::import_exception!(ciblage.exceptions, ColumnNotFoundError);
pyo3::import_exception!(ciblage.exceptions, ColumnTypeError);
pyo3::import_exception!(ciblage.exceptions, ModelFileError);
pyo3::import_exception!(ciblage.exceptions, RuleFileError);
pyo3::import_exception!(ciblage.exceptions, InternalError);
pyo3::import_exception!(ciblage.exceptions, FitError);

/// Errors of the binding layer; `Send`, so they can leave `py.detach`.
#[derive(Debug)]
pub enum BindError {
    /// An error of the core crate.
    Core(CiblageError),
}

impl From<CiblageError> for BindError {
    fn from(e: CiblageError) -> Self {
        Self::Core(e)
    }
}

/// Result of the binding layer.
pub type BindResult<T> = Result<T, BindError>;

impl From<BindError> for PyErr {
    fn from(e: BindError) -> Self {
        match e {
            BindError::Core(e) => core_to_py(&e),
        }
    }
}

/// Maps every core error variant to its documented Python class.
pub fn core_to_py(e: &CiblageError) -> PyErr {
    let msg = e.to_string();
    match e {
        CiblageError::EmptyInput { .. }
        | CiblageError::LengthMismatch { .. }
        | CiblageError::NonFinite { .. }
        | CiblageError::ValueOutOfRange { .. }
        | CiblageError::TooManyCategories { .. }
        | CiblageError::NullValue { .. }
        | CiblageError::NegativeAmount { .. }
        | CiblageError::TimestampOutOfRange { .. }
        | CiblageError::MixedIdKinds { .. }
        | CiblageError::SumOverflow { .. }
        | CiblageError::NothingToScore { .. }
        | CiblageError::InvalidIds { .. }
        | CiblageError::InvalidCovariates { .. } => InvalidInputError::new_err(msg),
        CiblageError::InvalidParameter { .. } | CiblageError::UnknownTimeZone(_) => {
            InvalidParameterError::new_err(msg)
        }
        CiblageError::ColumnNotFound { .. } => ColumnNotFoundError::new_err(msg),
        CiblageError::ColumnType { .. } | CiblageError::IdColumnType { .. } => {
            ColumnTypeError::new_err(msg)
        }
        CiblageError::InvalidSegmentTable(_) => SegmentTableError::new_err(msg),
        CiblageError::InvalidModelFile { .. } => ModelFileError::new_err(msg),
        CiblageError::FitFailed { .. } => FitError::new_err(msg),
        // Raised with the signal's own exception by `run::run`; this is the
        // fallback of a token set by other means.
        CiblageError::Interrupted => pyo3::exceptions::PyKeyboardInterrupt::new_err(msg),
    }
}

/// Maps every lifecycle error variant to its documented Python class (the
/// same table as [`core_to_py`], which its `Core` variant goes through).
pub fn lifecycle_to_py(e: LifecycleError) -> PyErr {
    let msg = e.to_string();
    match e {
        LifecycleError::RuleFileSyntax { .. } | LifecycleError::InvalidRule { .. } => {
            RuleFileError::new_err(msg)
        }
        LifecycleError::InvalidParameter { .. } => InvalidParameterError::new_err(msg),
        LifecycleError::LengthMismatch { .. } | LifecycleError::UnknownCustomer { .. } => {
            InvalidInputError::new_err(msg)
        }
        LifecycleError::Core(c) => core_to_py(&c),
    }
}

/// Core errors name arguments generically (`amount`); say which column too
/// (see [`CiblageError::naming_columns`]).
pub fn name_columns(e: CiblageError, columns: &[(&str, &str)]) -> CiblageError {
    e.naming_columns(columns)
}
