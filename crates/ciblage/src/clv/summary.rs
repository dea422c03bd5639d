//! From transactions to the per-customer purchase histories the CLV
//! models read: repeat purchase periods (`frequency`), age at the last
//! purchase (`recency`), age at the end of observation (`T`) and mean spend
//! of the repeat periods (`monetary_value`), with `lifetimes`' semantics
//! (`summary_data_from_transaction_data`, `calibration_and_holdout_data`).

use std::borrow::Cow;

use chrono::NaiveDate;

use crate::activity::InputReport;
use crate::clv::freq::Freq;
use crate::clv::summary_customers::{customer_pass, CustomerColumns, Frame, PeriodCounts};
use crate::clv::summary_group::{
    block_customers, group_rows, kept_ids, ordered_ids, output_keys, Slot,
};
use crate::clv::summary_rows::{row_pass, RowPass};
use crate::clv::summary_scan::{RowFilter, SummaryBatches};
use crate::customers::{CustomerIds, CustomerIndex};
use crate::error::{CiblageError, Result};
use crate::interrupt::Interrupt;
use crate::time::{date_from_day, day_from_date, iso_day};
use crate::transactions::NegativeAmounts;

/// Entry point of the CLV summary (a transformation: [`ClvSummaryValidParams::score`]).
///
/// ```
/// use ciblage::clv::ClvSummary;
/// use ciblage::Transactions;
/// let day = 86_400_000_000_i64;
/// // Customer 1 buys on days 0, 0, 3 and 10; customer 2 on day 5.
/// let tx = Transactions::from_int_ids(
///     &[1, 1, 1, 1, 2],
///     vec![0, 0, 3 * day, 10 * day, 5 * day],
///     vec![10.0, 5.0, 20.0, 40.0, 7.0],
/// )?;
/// let s = ClvSummary::params().score(&tx)?;
/// assert_eq!(s.frequency(), [2, 0]); // same-day purchases count once
/// assert_eq!(s.recency(), [10.0, 0.0]);
/// assert_eq!(s.t(), [10.0, 5.0]); // the end is the last purchase's day
/// assert_eq!(s.monetary_value(), [30.0, 0.0]); // mean of the repeat days
/// # Ok::<(), ciblage::CiblageError>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct ClvSummary;

impl ClvSummary {
    /// Parameters with their defaults: daily periods, the end of
    /// observation on the day of the last purchase, no holdout, negative
    /// amounts kept (netted within their period, as `lifetimes`).
    pub fn params() -> ClvSummaryParams {
        ClvSummaryParams(ClvSummaryValidParams::default())
    }
}

/// Validated parameters of the CLV summary.
#[derive(Debug, Clone, Default)]
pub struct ClvSummaryValidParams {
    freq: Freq,
    observation_end: Option<NaiveDate>,
    calibration_end: Option<NaiveDate>,
    negative_amounts: NegativeAmounts,
    interrupt: Interrupt,
}

/// Builder of [`ClvSummaryValidParams`].
#[derive(Debug, Clone, Default)]
pub struct ClvSummaryParams(ClvSummaryValidParams);

impl ClvSummaryParams {
    /// Period of grouping and unit of time (default [`Freq::Day`]).
    #[must_use]
    pub fn freq(mut self, freq: Freq) -> Self {
        self.0.freq = freq;
        self
    }

    /// Last day observed (local, inclusive; its whole period is included,
    /// as `lifetimes` snaps it to its period). Default: the day of the
    /// last purchase.
    #[must_use]
    pub fn observation_end(mut self, date: NaiveDate) -> Self {
        self.0.observation_end = Some(date);
        self
    }

    /// End of the calibration period: the histories stop there and the
    /// purchases after it, up to the end of observation, fill the holdout
    /// columns. Default: none.
    #[must_use]
    pub fn calibration_end(mut self, date: NaiveDate) -> Self {
        self.0.calibration_end = Some(date);
        self
    }

    /// Policy for negative amounts (default keep: netted in their period).
    #[must_use]
    pub fn negative_amounts(mut self, policy: NegativeAmounts) -> Self {
        self.0.negative_amounts = policy;
        self
    }

    /// Token that stops the summary ([`CiblageError::Interrupted`]).
    #[must_use]
    pub fn interrupt(mut self, token: Interrupt) -> Self {
        self.0.interrupt = token;
        self
    }

    /// Validates the parameters.
    ///
    /// # Errors
    /// `freq` of zero days; a calibration end on or after the end of
    /// observation (or in the same period).
    pub fn check(self) -> Result<ClvSummaryValidParams> {
        let p = self.0;
        if p.freq == Freq::Days(0) {
            return Err(CiblageError::param(
                "freq",
                "a number of days must be at least 1",
            ));
        }
        if let (Some(cal), Some(end)) = (p.calibration_end, p.observation_end) {
            let (c, e) = (day_from_date(cal), day_from_date(end));
            if p.freq.period_of_day(c) >= p.freq.period_of_day(e) {
                return Err(CiblageError::param(
                    "calibration_end",
                    format!("{cal} must fall in a period before the end of observation {end}"),
                ));
            }
        }
        Ok(p)
    }

    /// Validates, then summarises `transactions`.
    ///
    /// # Errors
    /// Invalid parameters, or see [`ClvSummaryValidParams::score`].
    pub fn score<'a>(self, input: impl Into<SummaryBatches<'a>>) -> Result<PurchaseSummary> {
        self.check()?.score(input)
    }
}

/// Purchases after the calibration period, per customer.
#[derive(Debug, Clone, PartialEq)]
pub struct Holdout {
    /// Distinct periods with a purchase in the holdout period (every one
    /// counts, unlike the calibration's first).
    pub frequency: Vec<u32>,
    /// Mean of the per-period sums of the holdout periods (0 if none).
    pub monetary_value: Vec<f64>,
    /// Length of the holdout period, in units of time.
    pub duration: f64,
}

/// The per-customer columns of a [`PurchaseSummary`], owned (see
/// [`PurchaseSummary::into_columns`]).
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryColumns {
    /// Customer ids, sorted.
    pub ids: CustomerIds,
    /// Repeat purchase periods.
    pub frequency: Vec<u32>,
    /// Time from the first purchase period to the last.
    pub recency: Vec<f64>,
    /// Time from the first purchase period to the end.
    pub t: Vec<f64>,
    /// Mean per-period spend of the repeat periods.
    pub monetary_value: Vec<f64>,
    /// The holdout columns, with a calibration end.
    pub holdout: Option<Holdout>,
}

/// Per-customer purchase histories, in customer-id order: the input of
/// the CLV models (see [`crate::clv::Histories`]).
#[derive(Debug, Clone, PartialEq)]
pub struct PurchaseSummary {
    pub(crate) ids: CustomerIds,
    pub(crate) frequency: Vec<u32>,
    pub(crate) recency: Vec<f64>,
    pub(crate) t: Vec<f64>,
    pub(crate) monetary_value: Vec<f64>,
    pub(crate) holdout: Option<Holdout>,
    pub(crate) freq: Freq,
    pub(crate) observation_end: NaiveDate,
    pub(crate) calibration_end: Option<NaiveDate>,
    pub(crate) report: InputReport,
    pub(crate) holdout_only_customers: u64,
    pub(crate) holdout_only_rows: u64,
    pub(crate) margin: bool,
    /// Per-period first and repeat purchases of the customers (with a
    /// calibration end), behind the holdout evaluation's tracking series.
    pub(crate) period_counts: Option<PeriodCounts>,
}

impl PurchaseSummary {
    /// Number of customers.
    pub fn len(&self) -> usize {
        self.frequency.len()
    }
    /// True when there is no customer.
    pub fn is_empty(&self) -> bool {
        self.frequency.is_empty()
    }
    /// Customer ids, in output order (sorted).
    pub fn ids(&self) -> &CustomerIds {
        &self.ids
    }
    /// Repeat purchase periods: distinct periods with a purchase, less one.
    pub fn frequency(&self) -> &[u32] {
        &self.frequency
    }
    /// Time from the first purchase period to the last (0 for one-time buyers).
    pub fn recency(&self) -> &[f64] {
        &self.recency
    }
    /// Time from the first purchase period to the end (of calibration if any).
    pub fn t(&self) -> &[f64] {
        &self.t
    }
    /// Mean of the per-period sums of amounts (margins, with costs) of the
    /// repeat periods (0 if none).
    pub fn monetary_value(&self) -> &[f64] {
        &self.monetary_value
    }
    /// The holdout columns, with a calibration end.
    pub fn holdout(&self) -> Option<&Holdout> {
        self.holdout.as_ref()
    }
    /// The per-customer columns, moved out without a copy (to hand them
    /// to another table format; read the report and dates first).
    ///
    /// ```
    /// use ciblage::clv::ClvSummary;
    /// use ciblage::Transactions;
    /// let day = 86_400_000_000_i64;
    /// let tx = Transactions::from_int_ids(&[1, 1], vec![0, 2 * day], vec![10.0, 30.0])?;
    /// let c = ClvSummary::params().score(&tx)?.into_columns();
    /// assert_eq!((c.frequency, c.recency, c.monetary_value), (vec![1], vec![2.0], vec![30.0]));
    /// # Ok::<(), ciblage::CiblageError>(())
    /// ```
    pub fn into_columns(self) -> SummaryColumns {
        SummaryColumns {
            ids: self.ids,
            frequency: self.frequency,
            recency: self.recency,
            t: self.t,
            monetary_value: self.monetary_value,
            holdout: self.holdout,
        }
    }
    /// Period and unit of time.
    pub fn freq(&self) -> Freq {
        self.freq
    }
    /// Last day observed.
    pub fn observation_end(&self) -> NaiveDate {
        self.observation_end
    }
    /// End of the calibration period, if any.
    pub fn calibration_end(&self) -> Option<NaiveDate> {
        self.calibration_end
    }
    /// What reading the transactions left out (`rows_after_as_of` counts
    /// the rows after the end of observation).
    pub fn report(&self) -> &InputReport {
        &self.report
    }
    /// Customers whose first purchase falls in the holdout period: left
    /// out, as `lifetimes` does, with their rows counted by
    /// [`PurchaseSummary::holdout_only_rows`].
    pub fn holdout_only_customers(&self) -> u64 {
        self.holdout_only_customers
    }
    /// Rows of the customers of [`PurchaseSummary::holdout_only_customers`].
    pub fn holdout_only_rows(&self) -> u64 {
        self.holdout_only_rows
    }
    /// True when the spend columns are margins (amount less cost).
    pub fn is_margin(&self) -> bool {
        self.margin
    }
    /// The histories the models fit, with `monetary_value`.
    pub fn histories(&self) -> crate::clv::Histories {
        crate::clv::Histories::from_summary(self)
    }
}

impl ClvSummaryValidParams {
    /// Summarises transactions: a [`Transactions`](crate::Transactions) table, or borrowed
    /// columns ([`SummaryInput`](crate::clv::SummaryInput), with costs for margins), or several
    /// batches of them read in place ([`SummaryBatches`]).
    ///
    /// # Errors
    /// Negative amounts under the `Reject` policy; no customer with a
    /// purchase on or before the end; a per-customer sum of amounts beyond
    /// the float range.
    pub fn score<'a>(&self, input: impl Into<SummaryBatches<'a>>) -> Result<PurchaseSummary> {
        let mut input = input.into();
        input.check_codes()?;
        self.interrupt.check()?;
        let freq = self.freq;
        let end_day = self.observation_end.map(day_from_date);
        let mut filter = RowFilter {
            freq,
            end: end_day.map(|d| freq.period_of_day(d)),
            negative: self.negative_amounts,
        };
        let RowPass {
            mut report,
            max_day,
            min_period,
        } = row_pass(&input, filter)?;
        let end_day = end_day.unwrap_or(max_day);
        let end = freq.period_of_day(end_day);
        filter.end = Some(end);
        let cal = match self.calibration_end {
            Some(d) => {
                let c = freq.period_of_day(day_from_date(d));
                if c >= end {
                    return Err(CiblageError::param(
                        "calibration_end",
                        format!(
                            "{d} must fall in a period before the end of observation {}",
                            iso_day(end_day)
                        ),
                    ));
                }
                c
            }
            None => end,
        };
        self.interrupt.check()?;
        let unit = freq.periods_per_unit();
        let frame = Frame {
            filter,
            cal,
            unit,
            holdout: self.calibration_end.is_some(),
            counts: self
                .calibration_end
                .and((min_period != i64::MAX).then_some((min_period, end))),
        };
        // Output order: customer ids sorted (`None`: codes in ascending
        // order, as dense integer ids are coded, with no list of them). The
        // ids are put in that order now (moved out of a customer table
        // given by value), and the rows grouped by output position; the
        // customers without a calibration period are dropped after the
        // pass, in place.
        let customers = std::mem::replace(&mut input.customers, Cow::Owned(CustomerIndex::new()));
        let order = Some(customers.sorted_codes())
            .filter(|o| o.iter().enumerate().any(|(i, &c)| c as usize != i));
        let n = customers.len();
        let keys = order.as_deref().map(|o| output_keys(&mut input, o));
        let mut ids = ordered_ids(customers, order);
        let columns = if u32::try_from(input.len()).is_ok() {
            self.summarise::<u32>(&mut input, keys, n, frame)?
        } else {
            self.summarise::<u64>(&mut input, keys, n, frame)?
        };
        let CustomerColumns {
            periods,
            recency,
            t,
            monetary_value,
            holdout,
            holdout_only_customers,
            holdout_only_rows,
            customers_without_rows,
            period_counts,
            dropped,
        } = columns;
        report.customers_without_rows = customers_without_rows;
        // The columns hold the customers with a calibration period only:
        // the ids of the others are left out too.
        if !dropped.is_empty() {
            ids = kept_ids(ids, &dropped);
        }
        if periods.is_empty() {
            return Err(CiblageError::NothingToScore {
                as_of: iso_day(end_day),
                reason: format!(
                    "{} rows read, {} after the end of observation, {} negative rows excluded, {} rows of customers first seen after the calibration end",
                    report.rows, report.rows_after_as_of, report.negative_rows_excluded, holdout_only_rows
                ),
            });
        }
        // Repeat periods: all periods but the first.
        let mut frequency = periods;
        frequency.iter_mut().for_each(|p| *p -= 1);
        let holdout = holdout.map(|(frequency, monetary_value)| Holdout {
            frequency,
            monetary_value,
            duration: (end - cal) as f64 / unit,
        });
        let argument = if input.has_costs() {
            "amount less cost"
        } else {
            "amount"
        };
        if let Some(i) = monetary_value
            .iter()
            .chain(holdout.iter().flat_map(|h| &h.monetary_value))
            .position(|m| !m.is_finite())
        {
            let id = ids.get((i % frequency.len()) as u32);
            CiblageError::check_sum(
                argument,
                || format!("sum of {argument} of customer {id}"),
                f64::NAN,
            )?;
        }
        let observation_end = date_from_day(end_day).ok_or_else(|| {
            CiblageError::param("observation_end", format!("day {end_day} is out of range"))
        })?;
        Ok(PurchaseSummary {
            ids,
            frequency,
            recency,
            t,
            monetary_value,
            holdout,
            freq,
            observation_end,
            calibration_end: self.calibration_end,
            report,
            holdout_only_customers,
            holdout_only_rows,
            margin: input.has_costs(),
            period_counts,
        })
    }
}

impl ClvSummaryValidParams {
    /// Groups the rows by output position (`keys`: the position of every
    /// row's customer; `None`: the codes, which are then the positions),
    /// frees the keys and the codes given by value, and runs the
    /// per-customer pass over the `n` customers, which frees the grouping
    /// block by block as it writes the output.
    fn summarise<S: Slot>(
        &self,
        input: &mut SummaryBatches<'_>,
        keys: Option<Vec<u32>>,
        n: usize,
        frame: Frame,
    ) -> Result<CustomerColumns> {
        let total = input.len();
        let k = block_customers(n, total, rayon::current_num_threads());
        let blocks = {
            let slices: Vec<&[u32]> = match (&keys, &input.codes) {
                (Some(all), _) | (None, Some(all)) => vec![&all[..]],
                (None, None) => input.parts.iter().map(|p| p.codes).collect(),
            };
            group_rows::<S>(&slices, n, k)
        };
        drop(keys);
        input.codes = None;
        self.interrupt.check()?;
        Ok(customer_pass(input, blocks, n, frame))
    }
}

#[cfg(test)]
#[path = "summary_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "summary_unit_tests.rs"]
mod unit_tests;
