//! The input of the CLV summary (borrowed columns, as RFM reads them) and
//! which rows it keeps; the pass over the rows is in
//! [`summary_rows`](crate::clv::summary_rows), the rows are then grouped by
//! customer ([`summary_group`](crate::clv::summary_group)).

use std::borrow::Cow;

use crate::clv::freq::Freq;
use crate::customers::CustomerIndex;
use crate::error::{CiblageError, Result};
use crate::instants::Instants;
use crate::time::Zone;
use crate::transactions::{
    check_codes, check_finite, NegativeAmounts, TransactionView, Transactions,
};

/// The transactions a CLV summary reads: validated borrowed columns
/// ([`TransactionView`]), the customer ids of their codes, and optionally a
/// cost per row (the summary's spend is then the margin, amount less cost).
///
/// ```
/// use ciblage::clv::{ClvSummary, SummaryInput};
/// use ciblage::Transactions;
/// let day = 86_400_000_000_i64;
/// let tx = Transactions::from_int_ids(&[1, 1], vec![0, 2 * day], vec![10.0, 30.0])?;
/// let input = SummaryInput::new(tx.view(), tx.customers())?.with_costs(&[4.0, 12.0])?;
/// let s = ClvSummary::params().score(input)?;
/// assert_eq!(s.monetary_value(), [18.0]); // the repeat purchase's margin
/// assert!(s.is_margin());
/// # Ok::<(), ciblage::CiblageError>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct SummaryInput<'a> {
    pub(crate) view: TransactionView<'a>,
    pub(crate) customers: &'a CustomerIndex,
    pub(crate) costs: Option<&'a [f64]>,
}

impl<'a> SummaryInput<'a> {
    /// The columns of `view`, whose codes index `customers`.
    ///
    /// # Errors
    /// A view built for another number of customers than `customers` holds.
    pub fn new(view: TransactionView<'a>, customers: &'a CustomerIndex) -> Result<Self> {
        if view.customers() != customers.len() {
            return Err(CiblageError::LengthMismatch {
                argument: "customers".into(),
                expected: view.customers(),
                got: customers.len(),
            });
        }
        Ok(Self {
            view,
            customers,
            costs: None,
        })
    }

    /// Adds a cost per row: the spend columns become margins (amount less
    /// cost, summed per period). Negative costs are kept, as RFM's margin
    /// keeps them.
    ///
    /// # Errors
    /// A length different from the other columns, a non-finite cost.
    pub fn with_costs(mut self, costs: &'a [f64]) -> Result<Self> {
        if costs.len() != self.view.len() {
            return Err(CiblageError::LengthMismatch {
                argument: "cost".into(),
                expected: self.view.len(),
                got: costs.len(),
            });
        }
        crate::transactions::check_finite("cost", costs)?;
        self.costs = Some(costs);
        Ok(self)
    }
}

/// Transactions read in several pieces (the record batches of an Arrow
/// table, each borrowed in place), their codes indexing one
/// [`CustomerIndex`]: the summary reads them in order, as one table.
///
/// ```
/// use ciblage::clv::{ClvSummary, SummaryBatches, SummaryInput};
/// use ciblage::Transactions;
/// let day = 86_400_000_000_i64;
/// let tx = Transactions::from_int_ids(&[1, 2, 1], vec![0, day, 3 * day], vec![10.0, 5.0, 30.0])?;
/// let (codes, ts, amounts) = (tx.view().codes(), tx.view().timestamps(), tx.view().amounts());
/// let zone = tx.view().zone();
/// let mut batches = SummaryBatches::new(tx.customers());
/// for rows in [0..2, 2..3] {
///     let view = ciblage::TransactionView::new(
///         &codes[rows.clone()], &ts[rows.clone()], &amounts[rows], tx.customers().len(), zone,
///     )?;
///     batches.push(SummaryInput::new(view, tx.customers())?)?;
/// }
/// let whole = ClvSummary::params().score(&tx)?;
/// let pieces = ClvSummary::params().score(batches)?;
/// assert_eq!((pieces.frequency(), pieces.t()), (whole.frequency(), whole.t()));
/// # Ok::<(), ciblage::CiblageError>(())
/// ```
#[derive(Debug, Clone)]
pub struct SummaryBatches<'a> {
    /// The customer table, borrowed, or given by value
    /// ([`SummaryBatches::with_owned_index`]: its ids then become the
    /// summary's, moved).
    pub(crate) customers: Cow<'a, CustomerIndex>,
    pub(crate) parts: Vec<Part<'a>>,
    /// The codes of every row of every batch, owned
    /// ([`SummaryBatches::with_codes`]; the parts then hold no codes).
    pub(crate) codes: Option<Vec<u32>>,
}

impl<'a> SummaryBatches<'a> {
    /// No batch yet; codes index `customers`.
    pub fn new(customers: &'a CustomerIndex) -> Self {
        Self {
            customers: Cow::Borrowed(customers),
            parts: Vec::new(),
            codes: None,
        }
    }

    /// No batch yet; `codes` holds the customer code of every row of the
    /// batches to come ([`SummaryBatches::push_columns`]), in row order,
    /// given by value: the summary frees them as soon as the rows are
    /// grouped by customer, before its per-customer pass.
    ///
    /// ```
    /// use ciblage::clv::{ClvSummary, SummaryBatches};
    /// use ciblage::Transactions;
    /// let day = 86_400_000_000_i64;
    /// let tx = Transactions::from_int_ids(&[1, 2, 1], vec![0, day, 3 * day], vec![10.0, 5.0, 30.0])?;
    /// let (ts, amounts, zone) = (tx.view().timestamps(), tx.view().amounts(), tx.view().zone());
    /// let mut batches = SummaryBatches::with_codes(tx.customers(), tx.view().codes().to_vec());
    /// batches.push_columns(&ts[..2], &amounts[..2], None, zone)?;
    /// batches.push_columns(&ts[2..], &amounts[2..], None, zone)?;
    /// let whole = ClvSummary::params().score(&tx)?;
    /// let pieces = ClvSummary::params().score(batches)?;
    /// assert_eq!((pieces.frequency(), pieces.t()), (whole.frequency(), whole.t()));
    /// # Ok::<(), ciblage::CiblageError>(())
    /// ```
    pub fn with_codes(customers: &'a CustomerIndex, codes: Vec<u32>) -> Self {
        Self {
            customers: Cow::Borrowed(customers),
            parts: Vec::new(),
            codes: Some(codes),
        }
    }

    /// As [`SummaryBatches::with_codes`], the customer table given by value
    /// too: the summary moves its ids into its own (in output order,
    /// without a copy of integer ids) instead of copying them.
    ///
    /// ```
    /// use ciblage::clv::{ClvSummary, SummaryBatches};
    /// use ciblage::{CustomerIds, CustomerIndex};
    /// let day = 86_400_000_000_i64;
    /// let mut index = CustomerIndex::new();
    /// let mut codes = Vec::new();
    /// index.encode_i64(&[30, 10, 30], &mut codes)?;
    /// let (ts, amounts) = ([0, day, 3 * day], [10.0, 5.0, 30.0]);
    /// let mut batches = SummaryBatches::with_owned_index(index, codes);
    /// batches.push_columns(&ts, &amounts, None, ciblage::Zone::Utc)?;
    /// let s = ClvSummary::params().score(batches)?;
    /// assert_eq!(s.ids(), &CustomerIds::Int(vec![10, 30]));
    /// assert_eq!(s.frequency(), [0, 1]);
    /// # Ok::<(), ciblage::CiblageError>(())
    /// ```
    pub fn with_owned_index(customers: CustomerIndex, codes: Vec<u32>) -> Self {
        Self {
            customers: Cow::Owned(customers),
            parts: Vec::new(),
            codes: Some(codes),
        }
    }

    /// Appends the next batch's columns to batches built by
    /// [`SummaryBatches::with_codes`]: its codes are the next
    /// `timestamps.len()` of those codes. The columns are checked as
    /// [`TransactionView::new`] and [`SummaryInput::with_costs`] check
    /// them (rows numbered within the batch).
    ///
    /// # Errors
    /// Those checks; more rows than codes; batches built by
    /// [`SummaryBatches::new`]; a zone or costs differing from the first
    /// batch's.
    pub fn push_columns(
        &mut self,
        timestamps: &'a [i64],
        amounts: &'a [f64],
        costs: Option<&'a [f64]>,
        zone: Zone,
    ) -> Result<()> {
        self.push_instants(Instants::Micros(timestamps), amounts, costs, zone)
    }

    /// As [`SummaryBatches::push_columns`], the instants in the unit they
    /// are held in ([`Instants`]): read in place, each turned into
    /// microseconds as the summary reads it (no converted copy). Every
    /// batch must have the same unit.
    ///
    /// ```
    /// use ciblage::clv::{ClvSummary, SummaryBatches};
    /// use ciblage::{CustomerIndex, Instants, Zone};
    /// let mut index = CustomerIndex::new();
    /// let mut codes = Vec::new();
    /// index.encode_i64(&[1, 1, 2], &mut codes)?;
    /// let day_ns = 86_400_000_000_000_i64;
    /// let ns = [0, 3 * day_ns + 5, day_ns];
    /// let mut batches = SummaryBatches::with_owned_index(index, codes);
    /// batches.push_instants(Instants::Nanos(&ns), &[10.0, 30.0, 5.0], None, Zone::Utc)?;
    /// let s = ClvSummary::params().score(batches)?;
    /// assert_eq!((s.frequency(), s.recency()), (&[1, 0][..], &[3.0, 0.0][..]));
    /// # Ok::<(), ciblage::CiblageError>(())
    /// ```
    ///
    /// # Errors
    /// As [`SummaryBatches::push_columns`]; instants of another unit than
    /// the first batch's.
    pub fn push_instants(
        &mut self,
        instants: Instants<'a>,
        amounts: &'a [f64],
        costs: Option<&'a [f64]>,
        zone: Zone,
    ) -> Result<()> {
        let Some(codes) = &self.codes else {
            return Err(CiblageError::param(
                "batches",
                "batches built without their codes take them with each batch (push)",
            ));
        };
        let (row0, n) = (self.len(), instants.len());
        let mine = codes
            .get(row0..row0 + n)
            .ok_or_else(|| CiblageError::LengthMismatch {
                argument: "customer codes".into(),
                expected: row0 + n,
                got: codes.len(),
            })?;
        let customers = self.customers.len();
        // The checks of `TransactionView::new`, in its order.
        if n == 0 {
            return Err(CiblageError::EmptyInput {
                argument: "transactions".into(),
            });
        }
        if amounts.len() != n {
            return Err(CiblageError::LengthMismatch {
                argument: "amount".into(),
                expected: n,
                got: amounts.len(),
            });
        }
        check_codes(mine, customers)?;
        check_finite("amount", amounts)?;
        instants.check("timestamp", 0)?;
        if let Some(k) = costs {
            if k.len() != n {
                return Err(CiblageError::LengthMismatch {
                    argument: "cost".into(),
                    expected: n,
                    got: k.len(),
                });
            }
            check_finite("cost", k)?;
        }
        self.add(Part {
            codes: &[],
            instants,
            amounts,
            zone,
            costs,
        })
    }

    /// The codes given by value, checked against the rows pushed.
    pub(crate) fn check_codes(&self) -> Result<()> {
        match &self.codes {
            Some(codes) if codes.len() != self.len() => Err(CiblageError::LengthMismatch {
                argument: "customer codes".into(),
                expected: self.len(),
                got: codes.len(),
            }),
            _ => Ok(()),
        }
    }

    /// Appends the next batch (its rows follow the rows pushed before).
    ///
    /// # Errors
    /// A batch whose codes index another customer table, or whose zone of
    /// day boundaries differs from the first batch's, or with costs when
    /// the first batch had none (or the reverse).
    pub fn push(&mut self, part: SummaryInput<'a>) -> Result<()> {
        if !std::ptr::eq(part.customers, &*self.customers) {
            return Err(CiblageError::param(
                "batches",
                "every batch must index the same customer table",
            ));
        }
        if self.codes.is_some() {
            return Err(CiblageError::param(
                "batches",
                "batches built with their codes take only columns (push_columns)",
            ));
        }
        self.add(Part::of(part))
    }

    /// Appends a checked batch of the same zone and columns as the first.
    fn add(&mut self, part: Part<'a>) -> Result<()> {
        if let Some(first) = self.parts.first() {
            if first.zone != part.zone || first.costs.is_some() != part.costs.is_some() {
                return Err(CiblageError::param(
                    "batches",
                    "every batch must have the same zone and the same columns",
                ));
            }
            if !first.instants.same_unit(&part.instants) {
                return Err(CiblageError::param(
                    "batches",
                    "every batch must hold its instants in the same unit",
                ));
            }
        }
        self.parts.push(part);
        Ok(())
    }

    /// Rows of all batches.
    pub fn len(&self) -> usize {
        self.parts.iter().map(Part::len).sum()
    }

    /// Whether no batch holds a row.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the batches have costs (the spend is then a margin).
    pub fn has_costs(&self) -> bool {
        self.parts.first().is_some_and(|p| p.costs.is_some())
    }
}

/// One batch's columns, checked: its codes (empty when the batches hold
/// them), instants in their own unit, amounts, zone and optional costs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Part<'a> {
    pub codes: &'a [u32],
    pub instants: Instants<'a>,
    pub amounts: &'a [f64],
    pub zone: Zone,
    pub costs: Option<&'a [f64]>,
}

impl<'a> Part<'a> {
    /// The columns of a checked input, its instants in µs.
    fn of(input: SummaryInput<'a>) -> Self {
        Self {
            codes: input.view.codes(),
            instants: Instants::Micros(input.view.timestamps()),
            amounts: input.view.amounts(),
            zone: input.view.zone(),
            costs: input.costs,
        }
    }

    /// Rows of the batch.
    pub(crate) fn len(&self) -> usize {
        self.amounts.len()
    }
}

impl<'a> From<SummaryInput<'a>> for SummaryBatches<'a> {
    /// One batch.
    fn from(input: SummaryInput<'a>) -> Self {
        Self {
            customers: Cow::Borrowed(input.customers),
            parts: vec![Part::of(input)],
            codes: None,
        }
    }
}

impl<'a> From<&'a Transactions> for SummaryBatches<'a> {
    /// The table as one batch, with its costs when it has some.
    fn from(tx: &'a Transactions) -> Self {
        SummaryInput::from(tx).into()
    }
}

impl<'a> From<&'a Transactions> for SummaryInput<'a> {
    /// The table's columns, with its costs when it has some.
    fn from(tx: &'a Transactions) -> Self {
        Self {
            view: tx.view(),
            customers: tx.customers(),
            costs: tx.costs(),
        }
    }
}

/// Which rows the summary keeps: those of periods up to `end` (all when
/// `None`), under the negative-amount policy. The pass over the rows and
/// the per-customer pass both ask it, so that they agree row by row.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RowFilter {
    pub freq: Freq,
    pub end: Option<i64>,
    pub negative: NegativeAmounts,
}

impl RowFilter {
    /// The period of a row at local `day` with amount `amount`, if kept
    /// (a negative amount under `Reject` is kept here: the pass over the
    /// rows refuses it first).
    #[inline]
    pub(crate) fn period(&self, day: i64, amount: f64) -> Option<i64> {
        let p = self.freq.period_of_day(day);
        if self.end.is_some_and(|e| p > e)
            || (amount < 0.0 && self.negative == NegativeAmounts::Exclude)
        {
            return None;
        }
        Some(p)
    }
}
