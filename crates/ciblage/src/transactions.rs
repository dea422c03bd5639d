//! Columnar transactions: customer, instant, amount and optional cost.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::customers::CustomerIndex;
use crate::error::{CiblageError, Result};
use crate::time::Zone;

/// What to do with negative amounts (returns, refunds, credit notes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NegativeAmounts {
    /// Keep them: a return row counts as a transaction and its amount is
    /// netted into monetary value (R `rfm` semantics). The default.
    #[default]
    Keep,
    /// Drop those rows entirely before any computation; the report counts them.
    Exclude,
    /// Fail with [`CiblageError::NegativeAmount`] naming the first such row.
    Reject,
}

impl NegativeAmounts {
    /// Parses `"keep"`, `"exclude"` or `"reject"`.
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "keep" => Ok(Self::Keep),
            "exclude" => Ok(Self::Exclude),
            "reject" => Ok(Self::Reject),
            other => Err(CiblageError::param(
                "negative_amounts",
                format!("expected \"keep\", \"exclude\" or \"reject\", got {other:?}"),
            )),
        }
    }
}

/// A validated table of transactions, one row per purchase (or return).
///
/// Customer ids are factorised once into dense codes ([`CustomerIndex`]);
/// timestamps are microseconds since the epoch (UTC instants, or wall-clock
/// times for naive data) and `zone` sets the day boundaries.
///
/// ```
/// use ciblage::Transactions;
/// let day = 86_400_000_000_i64;
/// let tx = Transactions::from_int_ids(&[7, 8, 7], vec![0, day, 2 * day], vec![10.0, 5.0, 2.5])?;
/// assert_eq!(tx.len(), 3);
/// assert_eq!(tx.customers().len(), 2);
/// # Ok::<(), ciblage::CiblageError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Transactions {
    customers: CustomerIndex,
    codes: Vec<u32>,
    timestamps: Vec<i64>,
    amounts: Vec<f64>,
    costs: Option<Vec<f64>>,
    zone: Zone,
}

impl Transactions {
    /// Transactions of customers with integer ids.
    ///
    /// # Errors
    /// Empty input, columns of different lengths, non-finite amounts.
    pub fn from_int_ids(ids: &[i64], timestamps: Vec<i64>, amounts: Vec<f64>) -> Result<Self> {
        check_lengths(ids.len(), &timestamps, &amounts)?;
        let mut customers = CustomerIndex::named("customer");
        let mut codes = Vec::with_capacity(ids.len());
        customers.encode_i64_all(&[ids], &mut codes)?;
        Self::from_codes(customers, codes, timestamps, amounts)
    }

    /// Transactions of customers with string ids.
    ///
    /// # Errors
    /// Empty input, columns of different lengths, non-finite amounts.
    pub fn from_str_ids<S: AsRef<str> + Sync>(
        ids: &[S],
        timestamps: Vec<i64>,
        amounts: Vec<f64>,
    ) -> Result<Self> {
        check_lengths(ids.len(), &timestamps, &amounts)?;
        let mut customers = CustomerIndex::named("customer");
        let mut codes = Vec::with_capacity(ids.len());
        customers.encode_str_indexed(ids.len(), |i| ids[i].as_ref(), &mut codes)?;
        Self::from_codes(customers, codes, timestamps, amounts)
    }

    /// Transactions whose ids are already factorised: `codes[i]` is the code
    /// of row `i` in `customers`.
    ///
    /// # Errors
    /// Empty input, columns of different lengths, a code not in the index,
    /// non-finite amounts, instants outside [`crate::time::instant_range`].
    pub fn from_codes(
        customers: CustomerIndex,
        codes: Vec<u32>,
        timestamps: Vec<i64>,
        amounts: Vec<f64>,
    ) -> Result<Self> {
        check_lengths(codes.len(), &timestamps, &amounts)?;
        if let Some(row) = codes.iter().position(|&c| c as usize >= customers.len()) {
            return Err(CiblageError::InvalidParameter {
                name: "codes",
                reason: format!(
                    "code {} at row {row} is not in the customer index ({} customers)",
                    codes[row],
                    customers.len()
                ),
            });
        }
        check_finite("amount", &amounts)?;
        crate::time::check_instants(&timestamps, "timestamp", 0)?;
        Ok(Self {
            customers,
            codes,
            timestamps,
            amounts,
            costs: None,
            zone: Zone::Utc,
        })
    }

    /// Adds a cost per row, so that monetary value can be a margin.
    ///
    /// # Errors
    /// A length different from the other columns, non-finite costs.
    pub fn with_costs(mut self, costs: Vec<f64>) -> Result<Self> {
        if costs.len() != self.len() {
            return Err(CiblageError::LengthMismatch {
                argument: "cost".into(),
                expected: self.len(),
                got: costs.len(),
            });
        }
        check_finite("cost", &costs)?;
        self.costs = Some(costs);
        Ok(self)
    }

    /// Sets the time zone whose midnights are the day boundaries (default UTC).
    #[must_use]
    pub fn with_zone(mut self, zone: Zone) -> Self {
        self.zone = zone;
        self
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// Always false: an empty table is refused at construction.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// The customer index (codes ↔ original ids).
    pub fn customers(&self) -> &CustomerIndex {
        &self.customers
    }

    /// Customer code of each row.
    pub fn codes(&self) -> &[u32] {
        &self.codes
    }

    /// Instant of each row, microseconds since the epoch.
    pub fn timestamps(&self) -> &[i64] {
        &self.timestamps
    }

    /// Amount of each row.
    pub fn amounts(&self) -> &[f64] {
        &self.amounts
    }

    /// Cost of each row, if given.
    pub fn costs(&self) -> Option<&[f64]> {
        self.costs.as_deref()
    }

    /// The zone of day boundaries.
    pub fn zone(&self) -> Zone {
        self.zone
    }

    /// The columns, borrowed.
    pub fn view(&self) -> TransactionView<'_> {
        TransactionView {
            codes: &self.codes,
            timestamps: &self.timestamps,
            amounts: &self.amounts,
            customers: self.customers.len(),
            zone: self.zone,
        }
    }
}

/// Borrowed, validated columns of a transaction table: customer codes,
/// instants and amounts. For callers that hold the columns elsewhere (Arrow
/// buffers, memory maps) and must not copy them; [`Transactions::view`] gives
/// one of an owned table.
///
/// ```
/// use ciblage::{TransactionView, Zone};
/// let view = TransactionView::new(&[0, 1, 0], &[0, 10, 20], &[1.0, 2.0, 3.0], 2, Zone::Utc)?;
/// assert_eq!(view.len(), 3);
/// assert!(TransactionView::new(&[0, 2], &[0, 1], &[1.0, 1.0], 2, Zone::Utc).is_err());
/// # Ok::<(), ciblage::CiblageError>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct TransactionView<'a> {
    codes: &'a [u32],
    timestamps: &'a [i64],
    amounts: &'a [f64],
    customers: usize,
    zone: Zone,
}

impl<'a> TransactionView<'a> {
    /// Checks and wraps the columns; `customers` is the number of customer
    /// codes (every code must be below it).
    ///
    /// # Errors
    /// Empty input, columns of different lengths, a code out of range,
    /// non-finite amounts, instants outside [`crate::time::instant_range`].
    pub fn new(
        codes: &'a [u32],
        timestamps: &'a [i64],
        amounts: &'a [f64],
        customers: usize,
        zone: Zone,
    ) -> Result<Self> {
        check_lengths(codes.len(), timestamps, amounts)?;
        check_codes(codes, customers)?;
        check_finite("amount", amounts)?;
        crate::time::check_instants(timestamps, "timestamp", 0)?;
        Ok(Self {
            codes,
            timestamps,
            amounts,
            customers,
            zone,
        })
    }

    /// Number of rows (never 0).
    pub fn len(&self) -> usize {
        self.timestamps.len()
    }

    /// Always false: an empty view is refused at construction.
    pub fn is_empty(&self) -> bool {
        self.timestamps.is_empty()
    }

    /// Customer code of each row.
    pub fn codes(&self) -> &'a [u32] {
        self.codes
    }

    /// Instant of each row, microseconds since the epoch.
    pub fn timestamps(&self) -> &'a [i64] {
        self.timestamps
    }

    /// Amount of each row.
    pub fn amounts(&self) -> &'a [f64] {
        self.amounts
    }

    /// Number of customer codes.
    pub fn customers(&self) -> usize {
        self.customers
    }

    /// The zone of day boundaries.
    pub fn zone(&self) -> Zone {
        self.zone
    }
}

impl<'a> From<&'a Transactions> for TransactionView<'a> {
    /// [`Transactions::view`]: the verbs that read transactions take either
    /// form (`impl Into<TransactionView<'_>>`).
    fn from(tx: &'a Transactions) -> Self {
        tx.view()
    }
}

fn check_lengths(n: usize, timestamps: &[i64], amounts: &[f64]) -> Result<()> {
    if n == 0 {
        return Err(CiblageError::EmptyInput {
            argument: "transactions".into(),
        });
    }
    for (argument, got) in [("timestamp", timestamps.len()), ("amount", amounts.len())] {
        if got != n {
            return Err(CiblageError::LengthMismatch {
                argument: argument.into(),
                expected: n,
                got,
            });
        }
    }
    Ok(())
}

/// Fails on the first customer code not below `customers`.
pub(crate) fn check_codes(codes: &[u32], customers: usize) -> Result<()> {
    // A branch-free pass on all threads; the first bad row only on failure.
    let bound = u32::try_from(customers).unwrap_or(u32::MAX);
    let all_below = customers > u32::MAX as usize
        || codes
            .par_chunks(CHECK_CHUNK)
            .all(|c| c.iter().fold(true, |ok, &x| ok & (x < bound)));
    if all_below {
        return Ok(());
    }
    match codes.iter().position(|&c| c as usize >= customers) {
        None => Ok(()),
        Some(row) => Err(CiblageError::InvalidParameter {
            name: "codes",
            reason: format!(
                "code {} at row {row} is not below the number of customers ({customers})",
                codes[row]
            ),
        }),
    }
}

/// Values per parallel task of the input checks.
const CHECK_CHUNK: usize = 1 << 16;

/// Fails on the first NaN or infinite value of `values`.
pub(crate) fn check_finite(argument: &str, values: &[f64]) -> Result<()> {
    if values
        .par_chunks(CHECK_CHUNK)
        .all(|c| c.iter().fold(true, |ok, v| ok & v.is_finite()))
    {
        return Ok(());
    }
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(row) => Err(CiblageError::NonFinite {
            argument: argument.into(),
            row,
            value: values[row],
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_outside_the_supported_range_are_refused() {
        // i64::MAX was taken for "no reference date"; days near it overflow.
        let err =
            Transactions::from_int_ids(&[1, 2], vec![0, i64::MAX], vec![1.0, 1.0]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "timestamp: timestamp out of range at row 1"
        );
        let err = TransactionView::new(&[0], &[i64::MIN + 1], &[1.0], 1, Zone::Utc).unwrap_err();
        assert_eq!(
            err.to_string(),
            "timestamp: timestamp out of range at row 0"
        );
    }

    #[test]
    fn empty_input_is_refused() {
        let err = Transactions::from_int_ids(&[], vec![], vec![]).unwrap_err();
        assert_eq!(err.to_string(), "transactions: input is empty");
    }

    #[test]
    fn mismatched_lengths_are_refused() {
        let err = Transactions::from_int_ids(&[1, 2], vec![0, 0], vec![1.0]).unwrap_err();
        assert_eq!(
            err,
            CiblageError::LengthMismatch {
                argument: "amount".into(),
                expected: 2,
                got: 1
            }
        );
        let tx = Transactions::from_int_ids(&[1], vec![0], vec![1.0]).unwrap();
        let err = tx.with_costs(vec![]).unwrap_err();
        assert!(err.to_string().starts_with("cost: has 0 rows, expected 1"));
    }

    #[test]
    fn non_finite_amounts_and_costs_are_refused() {
        let err = Transactions::from_str_ids(&["a", "b"], vec![0, 0], vec![1.0, f64::INFINITY])
            .unwrap_err();
        assert_eq!(err.to_string(), "amount: non-finite value inf at row 1");
        let tx = Transactions::from_str_ids(&["a"], vec![0], vec![1.0]).unwrap();
        let err = tx.with_costs(vec![f64::NAN]).unwrap_err();
        assert_eq!(err.to_string(), "cost: non-finite value NaN at row 0");
    }

    #[test]
    fn codes_must_be_in_the_index() {
        let index = CustomerIndex::new();
        let err = Transactions::from_codes(index, vec![0], vec![0], vec![1.0]).unwrap_err();
        assert!(err
            .to_string()
            .contains("code 0 at row 0 is not in the customer index"));
    }

    #[test]
    fn negative_policy_parses() {
        assert_eq!(
            NegativeAmounts::parse("exclude").unwrap(),
            NegativeAmounts::Exclude
        );
        let err = NegativeAmounts::parse("drop").unwrap_err();
        assert!(err
            .to_string()
            .starts_with("invalid parameter negative_amounts"));
    }
}
