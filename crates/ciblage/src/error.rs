//! The one error type of the core crate.

/// Everything that can go wrong in `ciblage`.
///
/// Messages are lowercase, name the argument or parameter at fault, and say
/// where (row index) when a single value is at fault, so that nothing has to
/// be guessed from a stack trace.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CiblageError {
    /// An input that must hold at least one row holds none.
    #[error("{argument}: input is empty")]
    EmptyInput {
        /// The argument (or column) that is empty.
        argument: String,
    },
    /// Two columns that must have the same length do not.
    #[error("{argument}: has {got} rows, expected {expected} (the length of the first column)")]
    LengthMismatch {
        /// The argument whose length is wrong.
        argument: String,
        /// The length the other columns have.
        expected: usize,
        /// The length this one has.
        got: usize,
    },
    /// A NaN or infinite value where a finite number is needed.
    #[error("{argument}: non-finite value {value} at row {row}")]
    NonFinite {
        /// The argument (or column) holding the value.
        argument: String,
        /// Row index (0-based) of the first offending value.
        row: usize,
        /// The value itself (NaN or ±inf).
        value: f64,
    },
    /// A finite value outside the range the computation can represent.
    #[error("{argument}: value {value:e} at row {row} is out of range: {range}")]
    ValueOutOfRange {
        /// The argument (or column) holding the value.
        argument: String,
        /// Row index (0-based) of the first offending value.
        row: usize,
        /// The value itself.
        value: f64,
        /// The range allowed, and why.
        range: &'static str,
    },
    /// A categorical column with more categories than an algorithm can
    /// search in reasonable time and memory.
    #[error("{argument}: {found} categories, more than the {limit} allowed for {kind} predictors (categories are merged pair by pair): group rare categories first")]
    TooManyCategories {
        /// The argument (or column) holding the categories.
        argument: String,
        /// The number of categories found.
        found: usize,
        /// The most allowed.
        limit: usize,
        /// The kind of predictor (nominal, ordinal, binned).
        kind: &'static str,
    },
    /// A missing (null) value where none is allowed.
    #[error("{argument}: null value at row {row}")]
    NullValue {
        /// The argument (or column) holding the null.
        argument: String,
        /// Row index (0-based) of the first null.
        row: usize,
    },
    /// A negative amount while the negative-amount policy is `Reject`.
    #[error("{argument}: negative value {value} at row {row} (negative amounts are rejected; set negative_amounts to keep or exclude them)")]
    NegativeAmount {
        /// The argument (or column) holding the value.
        argument: String,
        /// Row index (0-based) of the first negative value.
        row: usize,
        /// The value itself.
        value: f64,
    },
    /// A timestamp that cannot be represented (outside ±262,000 years).
    #[error("{argument}: timestamp out of range at row {row}")]
    TimestampOutOfRange {
        /// The argument (or column) holding the value.
        argument: String,
        /// Row index (0-based).
        row: usize,
    },
    /// Customer ids of two kinds (integer and string) were mixed in one index.
    #[error("{argument}: customer ids must all be integers or all be strings, got both")]
    MixedIdKinds {
        /// The argument (or column) holding the ids.
        argument: String,
    },
    /// A sum of finite values that exceeds the range of `f64` (a total of
    /// amounts near 1e308): the result would be ±inf, so it is refused.
    #[error("{argument}: the {what} overflows the range of 64-bit floats (about ±1.8e308)")]
    SumOverflow {
        /// The argument (or column) whose values are summed.
        argument: String,
        /// Which sum overflows (e.g. "revenue of customer 17").
        what: String,
    },
    /// A column named by an argument is not in the table.
    #[error("{argument}: column {column:?} not found; the table has {available:?}")]
    ColumnNotFound {
        /// The argument that names the column (`amount`, …).
        argument: String,
        /// The column name asked for.
        column: String,
        /// The columns the table has.
        available: Vec<String>,
    },
    /// A column of a type the argument cannot take.
    #[error("{argument}: column {column:?} has type {found}, expected {expected}")]
    ColumnType {
        /// The argument that names the column.
        argument: String,
        /// The column name.
        column: String,
        /// The type found (Arrow's name of it).
        found: String,
        /// What is accepted.
        expected: &'static str,
    },
    /// Customer ids that cannot identify customers: a missing id, or an id
    /// repeated where one row per customer is expected.
    #[error("{argument}: {reason}")]
    InvalidIds {
        /// Where the ids are (`before column 'customer_id'`).
        argument: String,
        /// What is wrong, with an example.
        reason: String,
    },
    /// A customer id column of a type that cannot hold ids (neither
    /// integers nor strings), or whose values cannot be read as ids.
    #[error("{argument}: {reason}")]
    IdColumnType {
        /// Where the ids are.
        argument: String,
        /// What is wrong and what is accepted.
        reason: String,
    },
    /// A parameter value outside its domain.
    #[error("invalid parameter {name}: {reason}")]
    InvalidParameter {
        /// The parameter's name, as in the builder method.
        name: &'static str,
        /// What is wrong and what is allowed.
        reason: String,
    },
    /// A time-zone name that the IANA database does not know.
    #[error("invalid parameter timezone: unknown time zone {0:?}")]
    UnknownTimeZone(String),
    /// Every transaction falls after the reference date, or was excluded.
    #[error("as_of: no transaction left to score on or before {as_of} ({reason})")]
    NothingToScore {
        /// The reference date, ISO formatted.
        as_of: String,
        /// Why the rows were left out.
        reason: String,
    },
    /// A segment table that cannot be used (bad range, duplicate name, parse error).
    #[error("segment table: {0}")]
    InvalidSegmentTable(String),
    /// A serialized object written by an incompatible version, or corrupt.
    #[error("{what}: {reason}")]
    InvalidModelFile {
        /// What was being read.
        what: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A model fit by maximum likelihood that found no optimum.
    #[error("{model}: the fit failed: {reason}")]
    FitFailed {
        /// The model (`"BG/NBD"`, `"Pareto/NBD"`, …).
        model: &'static str,
        /// What went wrong and what may help.
        reason: String,
    },
    /// A covariate matrix that cannot be fitted: a constant or collinear
    /// column, an unknown or repeated name.
    #[error("{argument}: {reason}")]
    InvalidCovariates {
        /// The argument (`covariates`, `trans`, `life`).
        argument: String,
        /// What is wrong and with which columns.
        reason: String,
    },
    /// The computation was stopped by its [`crate::Interrupt`] token
    /// (Ctrl-C in Python); nothing it built is kept.
    #[error("interrupted")]
    Interrupted,
}

/// `Result` with [`CiblageError`] as the error type.
pub type Result<T, E = CiblageError> = std::result::Result<T, E>;

impl CiblageError {
    /// The error with its generic argument name (`amount`) followed by the
    /// column it was read from (`amount (column "price")`), for the errors
    /// that name a column's values; `columns` pairs arguments with column
    /// names. An argument named as its column is left as it is.
    ///
    /// ```
    /// use ciblage::CiblageError;
    /// let e = CiblageError::NullValue { argument: "amount".into(), row: 3 };
    /// let named = e.naming_columns(&[("amount", "price")]);
    /// assert_eq!(named.to_string(), "amount (column \"price\"): null value at row 3");
    /// ```
    #[must_use]
    pub fn naming_columns(self, columns: &[(&str, &str)]) -> Self {
        let rename = |argument: String| -> String {
            match columns.iter().find(|(arg, _)| *arg == argument) {
                Some((arg, col)) if arg != col => format!("{arg} (column {col:?})"),
                _ => argument,
            }
        };
        match self {
            Self::NonFinite {
                argument,
                row,
                value,
            } => Self::NonFinite {
                argument: rename(argument),
                row,
                value,
            },
            Self::NegativeAmount {
                argument,
                row,
                value,
            } => Self::NegativeAmount {
                argument: rename(argument),
                row,
                value,
            },
            Self::NullValue { argument, row } => Self::NullValue {
                argument: rename(argument),
                row,
            },
            Self::MixedIdKinds { argument } => Self::MixedIdKinds {
                argument: rename(argument),
            },
            Self::SumOverflow { argument, what } => Self::SumOverflow {
                argument: rename(argument),
                what,
            },
            Self::TimestampOutOfRange { argument, row } => Self::TimestampOutOfRange {
                argument: rename(argument),
                row,
            },
            other => other,
        }
    }

    /// Refuses a sum that is not finite (its terms are): a
    /// [`CiblageError::SumOverflow`] naming `argument` and `what`.
    pub fn check_sum(argument: &str, what: impl FnOnce() -> String, sum: f64) -> Result<f64> {
        if sum.is_finite() {
            Ok(sum)
        } else {
            Err(Self::SumOverflow {
                argument: argument.into(),
                what: what(),
            })
        }
    }

    /// Shorthand for an [`CiblageError::InvalidParameter`].
    pub fn param(name: &'static str, reason: impl Into<String>) -> Self {
        Self::InvalidParameter {
            name,
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_argument() {
        let e = CiblageError::NonFinite {
            argument: "amount".into(),
            row: 3,
            value: f64::NAN,
        };
        assert_eq!(e.to_string(), "amount: non-finite value NaN at row 3");
        let e = CiblageError::param("bins", "must be between 2 and 9, got 12");
        assert_eq!(
            e.to_string(),
            "invalid parameter bins: must be between 2 and 9, got 12"
        );
    }

    #[test]
    fn sums_out_of_range_name_the_argument() {
        assert_eq!(
            CiblageError::check_sum("amount", || unreachable!(), 2.5),
            Ok(2.5)
        );
        let e = CiblageError::check_sum("amount", || "sum of amounts".into(), 1e308 * 10.0);
        assert_eq!(
            e.unwrap_err().to_string(),
            "amount: the sum of amounts overflows the range of 64-bit floats (about ±1.8e308)"
        );
    }

    #[test]
    fn errors_are_send_and_sync() {
        fn check<T: Send + Sync + 'static>() {}
        check::<CiblageError>();
    }
}
