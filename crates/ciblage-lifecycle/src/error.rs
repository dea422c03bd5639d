//! The one error type of the lifecycle crate.

/// Everything that can go wrong when loading or evaluating lifecycle rules.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LifecycleError {
    /// A rule file that does not parse (syntax, unknown or missing field,
    /// wrong type): the parser's message names the line, column and field.
    #[error("rule file ({format}): {message}")]
    RuleFileSyntax {
        /// `toml` or `json`.
        format: &'static str,
        /// The parser's message, with line and column.
        message: String,
    },
    /// A rule file that parses but says something impossible.
    #[error("rule file: {location}: {field}: {reason}")]
    InvalidRule {
        /// Where: the rule (name and index) and, for TOML, its line.
        location: String,
        /// The field at fault.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// A customer column of the wrong length.
    #[error("{argument}: has {got} rows, expected {expected} (one per customer)")]
    LengthMismatch {
        /// The column.
        argument: String,
        /// Rows expected.
        expected: usize,
        /// Rows given.
        got: usize,
    },
    /// A parameter outside its domain.
    #[error("invalid parameter {name}: {reason}")]
    InvalidParameter {
        /// The parameter.
        name: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A contact history row naming a customer that is not in the table.
    #[error("history: customer index {customer} at row {row} is not below {customers}")]
    UnknownCustomer {
        /// Row of the history.
        row: usize,
        /// The index given.
        customer: u32,
        /// Number of customers.
        customers: usize,
    },
    /// An error of the core crate.
    #[error(transparent)]
    Core(#[from] ciblage::CiblageError),
}

/// `Result` with [`LifecycleError`].
pub type Result<T, E = LifecycleError> = std::result::Result<T, E>;
