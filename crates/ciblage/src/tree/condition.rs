//! The condition type both tree kinds' rules are made of: a test on one
//! column ([`Test`]), the categories it lists ([`Category`]) and where
//! missing values go ([`Missing`]); shown as text by `Display` and as SQL
//! by [`Condition::to_sql`] (in [`crate::tree::sql`]).

use std::fmt;

/// One value a categorical condition lists.
#[derive(Debug, Clone, PartialEq)]
pub enum Category {
    /// A category known by its name: the name in text, a string literal in
    /// SQL.
    Label(String),
    /// A category known by its code only: the code in text and SQL.
    Code(u32),
    /// A category standing for a number (CHAID's numeric ordinal
    /// predictors): its label in text, the number in SQL.
    Number {
        /// As shown in text.
        label: String,
        /// As compared in SQL.
        value: f64,
    },
    /// A bin of a continuous predictor, `above < x <= at_most` (a missing
    /// bound: open on that side): its label in text, a range in SQL.
    Bin {
        /// As shown in text.
        label: String,
        /// Lower bound (exclusive).
        above: Option<f64>,
        /// Upper bound (inclusive).
        at_most: Option<f64>,
    },
}

impl Category {
    /// How the category reads in text rules.
    pub fn label(&self) -> String {
        match self {
            Self::Label(s) | Self::Number { label: s, .. } | Self::Bin { label: s, .. } => {
                s.clone()
            }
            Self::Code(c) => c.to_string(),
        }
    }
}

/// What a condition asks of its column's present values.
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    /// `x <= threshold`.
    AtMost(f64),
    /// `x > threshold`.
    Above(f64),
    /// `x` is one of the categories.
    In(Vec<Category>),
}

/// Which rows missing the column (or holding an unlisted category) meet a
/// condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Missing {
    /// Rows missing the column do not meet it.
    Excluded,
    /// Rows missing the column meet it (text: `<missing>` among the
    /// categories; thresholds do not show it in text, as scikit-learn's
    /// `export_text`).
    Included,
    /// Rows missing the column meet it, and so do rows holding a category
    /// other than `known` (one unseen where the split was made): text
    /// `… or missing or other`, SQL `IS NULL OR NOT IN (known)`.
    WithOthers {
        /// Every category the split places.
        known: Vec<Category>,
    },
}

/// One branch of a rule: a test on one column.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The column (feature or predictor name).
    pub column: String,
    /// What present values must satisfy.
    pub test: Test,
    /// Whether missing values (and unlisted categories) also satisfy it.
    pub missing: Missing,
}

impl fmt::Display for Condition {
    /// `name <= t`, `name > t`, `name in {a, b}` (with `<missing>` listed
    /// when missing values go there, or `or missing or other` after the
    /// set when other categories go with them).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = &self.column;
        match &self.test {
            Test::AtMost(t) => write!(f, "{name} <= {t}"),
            Test::Above(t) => write!(f, "{name} > {t}"),
            Test::In(cats) => {
                let mut labels: Vec<String> = cats.iter().map(Category::label).collect();
                if self.missing == Missing::Included {
                    labels.push("<missing>".to_owned());
                }
                write!(f, "{name} in {{{}}}", labels.join(", "))?;
                if matches!(self.missing, Missing::WithOthers { .. }) {
                    f.write_str(" or missing or other")?;
                }
                Ok(())
            }
        }
    }
}
