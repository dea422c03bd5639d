//! Activity per period: active sets, retention and attrition, new,
//! repeating, reactivated and lapsed customers, cohorts and survival.

use chrono::NaiveDate;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::churn::analysis::{fill_moves, period_rows, RetentionAnalysis};
use crate::churn::cohorts;
use crate::churn::period::Period;
use crate::churn::scan::{self, Rows};
use crate::churn::span;
use crate::error::{CiblageError, Result};
use crate::interrupt::Interrupt;
use crate::time::{day_from_date, Zone};
use crate::transactions::TransactionView;

/// Most periods an analysis may span. The cohort tables are triangular in
/// the number of periods (`n·(n + 1)/2` cells, eight of them per cell in
/// the working tables and the result): 2,000 periods are 2,001,000 cells,
/// about 130 MB at most; more is refused before anything is allocated.
pub const MAX_PERIODS: usize = 2_000;

/// Builder for [`Retention`]. Start from [`Retention::params`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetentionParams {
    period: Period,
    as_of: Option<NaiveDate>,
    origin: Option<NaiveDate>,
    churn_after: usize,
    #[serde(skip)]
    interrupt: Interrupt,
}

impl Default for RetentionParams {
    fn default() -> Self {
        Self {
            period: Period::Month,
            as_of: None,
            origin: None,
            churn_after: 3,
            interrupt: Interrupt::default(),
        }
    }
}

/// Validated parameters: call [`RetentionValidParams::score`].
#[derive(Debug, Clone, PartialEq)]
pub struct RetentionValidParams {
    params: RetentionParams,
}

/// Entry point: `Retention::params().period(Period::Month)…check()?.score(&tx)?`.
///
/// A customer is **active** in a period when he made at least one purchase
/// (a row with a positive amount) in it, in the local days of the
/// transactions' time zone; returns and zero rows count in revenue, not in
/// activity. The analysis spans the periods from the first purchase to the
/// one holding the day before `as_of` (default: the day after the last
/// transaction, as for RFM); rows on or after `as_of` are left out and
/// counted ([`RetentionAnalysis::rows_after_as_of`]). Every other row counts
/// in the revenue of its own period: the periods start at the first row's
/// period when a return or zero row precedes the first purchase.
///
/// ```
/// use ciblage::churn::{Period, Retention};
/// use ciblage::Transactions;
/// let day = 86_400_000_000i64; // one day in microseconds
/// // Customer 1 buys in January and February 2024, customer 2 in January
/// // and March: February retains 1 of 2 (50 %), March 0 of 1, and
/// // customer 2 is reactivated in March.
/// let jan = 19_723 * day; // 2024-01-01
/// let tx = Transactions::from_int_ids(
///     &[1, 2, 1, 2],
///     vec![jan, jan, jan + 31 * day, jan + 60 * day],
///     vec![10.0, 5.0, 20.0, 7.0],
/// )?;
/// let r = Retention::params().period(Period::Month).check()?.score(&tx)?;
/// let feb = &r.periods()[1];
/// assert_eq!((feb.active, feb.repeating, feb.lapsed), (1, 1, 1));
/// assert_eq!(feb.retention, Some(0.5));
/// let mar = &r.periods()[2];
/// assert_eq!((mar.reactivated, mar.lapsed, mar.retention), (1, 1, Some(0.0)));
/// # Ok::<(), ciblage::CiblageError>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Retention;

impl Retention {
    /// Default parameters: months, as of the day after the last row, churn
    /// after 3 inactive periods.
    pub fn params() -> RetentionParams {
        RetentionParams::default()
    }
}

impl RetentionParams {
    /// The period (default [`Period::Month`]).
    #[must_use]
    pub fn period(mut self, period: Period) -> Self {
        self.period = period;
        self
    }

    /// Reference date: rows on or after it are left out, and the last period
    /// is the one holding the day before it.
    #[must_use]
    pub fn as_of(mut self, date: NaiveDate) -> Self {
        self.as_of = Some(date);
        self
    }

    /// Origin of [`Period::Days`] blocks (default: the first purchase day).
    #[must_use]
    pub fn origin(mut self, date: NaiveDate) -> Self {
        self.origin = Some(date);
        self
    }

    /// Number of whole periods without purchase, up to the last period,
    /// after which a customer counts as churned in the survival curves
    /// (default 3, at least 1).
    #[must_use]
    pub fn churn_after(mut self, periods: usize) -> Self {
        self.churn_after = periods;
        self
    }

    /// The token that stops the analysis ([`CiblageError::Interrupted`]);
    /// checked between its passes over the rows (see [`Interrupt`]).
    #[must_use]
    pub fn interrupt(mut self, token: Interrupt) -> Self {
        self.interrupt = token;
        self
    }

    /// Validates the parameters.
    ///
    /// # Errors
    /// [`CiblageError::InvalidParameter`] naming `churn_after`, `period`,
    /// or `origin` when it is given for a period that is not blocks of days
    /// (calendar periods have no origin: it would be ignored).
    pub fn check(self) -> Result<RetentionValidParams> {
        if self.churn_after == 0 {
            return Err(CiblageError::param(
                "churn_after",
                "must be at least 1 period",
            ));
        }
        if let Period::Days { days: 0 } = self.period {
            return Err(CiblageError::param("period", "blocks of 0 days"));
        }
        if let (Some(origin), false) = (self.origin, matches!(self.period, Period::Days { .. })) {
            return Err(CiblageError::param(
                "origin",
                format!(
                    "only blocks of days (period=\"30d\", …) have an origin; calendar periods \
                     start on calendar boundaries, got origin {origin} with period {:?}",
                    self.period
                ),
            ));
        }
        Ok(RetentionValidParams { params: self })
    }

    /// `self.check()?.score(tx)`.
    ///
    /// # Errors
    /// As [`RetentionParams::check`] and [`RetentionValidParams::score`].
    pub fn score<'a>(self, tx: impl Into<TransactionView<'a>>) -> Result<RetentionAnalysis> {
        self.check()?.score(tx)
    }
}

impl RetentionValidParams {
    /// Computes activity per period from transactions (a
    /// [`&Transactions`](crate::Transactions) or a [`TransactionView`]).
    ///
    /// # Errors
    /// [`CiblageError::NothingToScore`] when no purchase falls before
    /// `as_of`; [`CiblageError::InvalidParameter`] (`period`) past
    /// [`MAX_PERIODS`] periods; [`CiblageError::Interrupted`].
    pub fn score<'a>(&self, tx: impl Into<TransactionView<'a>>) -> Result<RetentionAnalysis> {
        let tx: TransactionView<'a> = tx.into();
        let p = &self.params;
        let zone = tx.zone();
        let (ts, amounts) = (tx.timestamps(), tx.amounts());
        // Without `as_of`, every row is kept.
        let cutoff = p
            .as_of
            .map_or(i64::MAX, |d| zone.day_start(day_from_date(d)));
        let rows = Rows {
            codes: tx.codes(),
            ts,
            amounts,
            interrupt: &p.interrupt,
        };
        // Progress in passes: the span, the scan, the cohort tables.
        p.interrupt.add_total(3);
        p.interrupt.check()?;
        let (span, first_days) = span::day_span(rows, tx.customers(), zone, cutoff);
        p.interrupt.check()?;
        p.interrupt.advance(1);
        if span.first_purchase == i64::MAX {
            return Err(CiblageError::NothingToScore {
                as_of: p
                    .as_of
                    .map_or_else(|| "the last transaction".into(), |d| d.to_string()),
                reason: "no purchase (row with a positive amount)".into(),
            });
        }
        let first_day = span.first_purchase;
        let end_day = match p.as_of {
            Some(d) => day_from_date(d) - 1,
            None => span.last,
        };
        let origin = p.origin.map_or(first_day, day_from_date);
        let period = p.period;
        // From the first row of any kind: a return dated before the first
        // purchase is revenue of its own period.
        let first = period.index_of_day(span.first.min(first_day), origin);
        let last = period.index_of_day(end_day, origin);
        let n_periods = usize::try_from(last - first + 1).unwrap_or(usize::MAX);
        if n_periods > MAX_PERIODS {
            return Err(CiblageError::param(
                "period",
                format!(
                    "the data spans {n_periods} periods, more than {MAX_PERIODS} (the cohort \
                     tables grow with the square of the number of periods): use a longer period \
                     or an as_of that leaves out the oldest rows"
                ),
            ));
        }
        let periods_of = RowPeriods::new(period, origin, first, span.first, end_day, zone, cutoff);
        let cohort_of: Vec<u16> = first_days
            .par_iter()
            .map(|&d| {
                if d == i32::MAX {
                    scan::NO_PERIOD
                } else {
                    periods_of.of_day(i64::from(d)) as u16
                }
            })
            .collect();
        drop(first_days);
        let customers_without_purchase =
            cohort_of.iter().filter(|&&c| c == scan::NO_PERIOD).count() as u64;
        let scanned = scan::scan_rows(rows, &cohort_of, n_periods, |t| periods_of.of(t));
        p.interrupt.check()?;
        p.interrupt.advance(1);
        let tables = cohorts::build(
            &scanned.bits,
            n_periods,
            p.churn_after,
            &scanned.cohort_revenue,
            &scanned.before_cohort,
        );
        p.interrupt.check()?;
        p.interrupt.advance(1);
        let mut periods = period_rows(period, origin, first, n_periods);
        fill_moves(&mut periods, &tables.moves, &scanned.revenue);
        let next_start = period.start_day(last + 1, origin);
        if let Some(row) = periods.last_mut() {
            row.complete = end_day + 1 >= next_start;
        }
        let cohorts = tables
            .cohorts
            .into_iter()
            .map(|mut c| {
                c.index += first;
                c.label = period.label_from_day(c.index, origin);
                c
            })
            .collect();
        Ok(RetentionAnalysis {
            period,
            origin,
            first,
            bits: scanned.bits,
            periods,
            cohorts,
            pooled_survival: tables.pooled_survival,
            churn_after: p.churn_after,
            zone,
            rows_read: ts.len() as u64,
            rows_after_as_of: span.after_cutoff,
            customers_without_purchase,
        })
    }
}

/// Maps an instant to its period relative to the first one (`None` on or
/// after the cutoff), through a table over the span of local days unless the
/// span is absurdly long.
struct RowPeriods {
    period: Period,
    origin: i64,
    first: i64,
    span_first: i64,
    table: Vec<i64>,
    zone: Zone,
    cutoff: i64,
}

impl RowPeriods {
    fn new(
        period: Period,
        origin: i64,
        first: i64,
        span_first: i64,
        end_day: i64,
        zone: Zone,
        cutoff: i64,
    ) -> Self {
        let table = if end_day - span_first < 400_000 {
            (span_first..=end_day)
                .map(|d| period.index_of_day(d, origin) - first)
                .collect()
        } else {
            Vec::new()
        };
        Self {
            period,
            origin,
            first,
            span_first,
            table,
            zone,
            cutoff,
        }
    }

    #[inline]
    fn of(&self, t: i64) -> Option<i64> {
        (t < self.cutoff).then(|| self.of_day(self.zone.day_of(t)))
    }

    /// Period of a local day within the span.
    #[inline]
    fn of_day(&self, d: i64) -> i64 {
        if self.table.is_empty() {
            self.period.index_of_day(d, self.origin) - self.first
        } else {
            self.table[(d - self.span_first) as usize]
        }
    }
}
