//! One call from transactions to a per-customer value table: the purchase
//! summary, a purchase model and the Gamma-Gamma spend model fitted on it,
//! and per customer P(alive), expected purchases, expected spend and
//! discounted CLV over a horizon.
//!
//! A transformation (`score`): its output is the table itself, which keeps
//! the two fitted models it was computed with.

use crate::clv::{Discounting, FittedPurchaseModel, PurchaseModelKind};

use rayon::prelude::*;

use crate::clv::gamma_gamma::PurchaseModel;
use crate::clv::{
    BgNbd, ClvSummary, ClvSummaryParams, Freq, GammaGamma, GammaGammaModel, Histories, MbgNbd,
    ParetoNbd, PurchaseSummary,
};
use crate::error::{CiblageError, Result};
use crate::interrupt::Interrupt;
use crate::{CustomerIds, Transactions};

/// Entry point of the per-customer value table (a transformation:
/// [`CustomerValueValidParams::score`]).
///
/// ```
/// use ciblage::clv::{ClvSummary, CustomerValue, Discounting, Freq};
/// use ciblage::SyntheticTransactions;
///
/// let tx = SyntheticTransactions::params().customers(400).transactions(4_000).generate()?.to_transactions()?;
/// let values = CustomerValue::params()
///     .summary(ClvSummary::params().freq(Freq::Week))
///     .horizon(12)
///     .discounting(Discounting::Continuous)
///     .score(&tx)?;
/// assert_eq!(values.len(), values.ids().map_or(0, |ids| ids.len()));
/// assert!(values.p_alive().iter().all(|p| (0.0..=1.0).contains(p)));
/// // Negative only for repeat buyers with net returns (their own mean spend).
/// assert!(values.clv().iter().filter(|v| **v < 0.0).count() <= values.spend_left_out());
/// # Ok::<(), ciblage::CiblageError>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct CustomerValue;

impl CustomerValue {
    /// Parameters with their defaults: weekly summary, BG/NBD, 12 months,
    /// 1 % per month discounted monthly, no penalty, 1000 iterations.
    pub fn params() -> CustomerValueParams {
        CustomerValueParams(CustomerValueValidParams::default())
    }
}

/// Validated parameters of the value table.
#[derive(Debug, Clone)]
pub struct CustomerValueValidParams {
    summary: ClvSummaryParams,
    model: PurchaseModelKind,
    horizon: usize,
    discount_rate: f64,
    discounting: Discounting,
    penalizer: f64,
    spend_penalizer: f64,
    max_iterations: usize,
    interrupt: Interrupt,
}

impl Default for CustomerValueValidParams {
    fn default() -> Self {
        Self {
            summary: ClvSummary::params().freq(Freq::Week),
            model: PurchaseModelKind::BgNbd,
            horizon: 12,
            discount_rate: 0.01,
            discounting: Discounting::Monthly,
            penalizer: 0.0,
            spend_penalizer: 0.0,
            max_iterations: 1000,
            interrupt: Interrupt::default(),
        }
    }
}

/// Builder of [`CustomerValueValidParams`].
#[derive(Debug, Clone, Default)]
pub struct CustomerValueParams(CustomerValueValidParams);

impl CustomerValueParams {
    /// How the summary is built from transactions (default weekly periods,
    /// see [`ClvSummary`]); its `freq` is the unit of time of the models.
    #[must_use]
    pub fn summary(mut self, params: ClvSummaryParams) -> Self {
        self.0.summary = params;
        self
    }
    /// The purchase model (default BG/NBD).
    #[must_use]
    pub fn model(mut self, kind: PurchaseModelKind) -> Self {
        self.0.model = kind;
        self
    }
    /// Months predicted (default 12, at least 1).
    #[must_use]
    pub fn horizon(mut self, months: usize) -> Self {
        self.0.horizon = months;
        self
    }
    /// Discount rate per month (default 0.01, `>= 0`).
    #[must_use]
    pub fn discount_rate(mut self, rate: f64) -> Self {
        self.0.discount_rate = rate;
        self
    }
    /// Monthly steps or continuous discounting (default monthly).
    #[must_use]
    pub fn discounting(mut self, discounting: Discounting) -> Self {
        self.0.discounting = discounting;
        self
    }
    /// L2 penalty of the purchase model (default 0).
    #[must_use]
    pub fn penalizer(mut self, coefficient: f64) -> Self {
        self.0.penalizer = coefficient;
        self
    }
    /// L2 penalty of the Gamma-Gamma spend model (default 0).
    #[must_use]
    pub fn spend_penalizer(mut self, coefficient: f64) -> Self {
        self.0.spend_penalizer = coefficient;
        self
    }
    /// Most L-BFGS iterations of each fit (default 1000).
    #[must_use]
    pub fn max_iterations(mut self, n: usize) -> Self {
        self.0.max_iterations = n;
        self
    }
    /// Token that stops the summary and the fits.
    #[must_use]
    pub fn interrupt(mut self, token: Interrupt) -> Self {
        self.0.interrupt = token;
        self
    }
    /// Validates every parameter.
    ///
    /// # Errors
    /// A horizon of 0 months (or beyond 12,000), a negative or non-finite
    /// discount rate or penalty, zero iterations, invalid summary parameters.
    pub fn check(self) -> Result<CustomerValueValidParams> {
        let p = self.0;
        if !(1..=12_000).contains(&p.horizon) {
            return Err(CiblageError::param(
                "horizon",
                format!("must be in [1, 12000] months, got {}", p.horizon),
            ));
        }
        if !(p.discount_rate.is_finite() && p.discount_rate >= 0.0) {
            return Err(CiblageError::param(
                "discount_rate",
                format!("must be a finite number >= 0, got {}", p.discount_rate),
            ));
        }
        crate::clv::model::check_fit_params(p.penalizer, p.max_iterations)?;
        if !(p.spend_penalizer.is_finite() && p.spend_penalizer >= 0.0) {
            return Err(CiblageError::param(
                "spend_penalizer",
                format!("must be a finite number >= 0, got {}", p.spend_penalizer),
            ));
        }
        p.summary.clone().check()?;
        Ok(p)
    }
    /// Validates, then scores `transactions`.
    ///
    /// # Errors
    /// See [`CustomerValueParams::check`] and [`CustomerValueValidParams::score`].
    pub fn score(self, transactions: &Transactions) -> Result<LifetimeValues> {
        self.check()?.score(transactions)
    }
}

impl CustomerValueValidParams {
    /// The value table of `transactions`: their summary, then
    /// [`CustomerValueValidParams::score_summary`].
    ///
    /// # Errors
    /// Those of the summary and of [`CustomerValueValidParams::score_summary`].
    pub fn score(&self, transactions: &Transactions) -> Result<LifetimeValues> {
        let summary = self
            .summary
            .clone()
            .interrupt(self.interrupt.clone())
            .score(transactions)?;
        self.score_summary(&summary)
    }

    /// The value table of a purchase summary (its `monetary_value`, a mean
    /// spend or a mean margin, is what the Gamma-Gamma model fits), one row
    /// per customer of the summary, same order.
    ///
    /// # Errors
    /// Those of the fits (no repeat buyer with a positive mean spend, no
    /// optimum found, interrupted).
    pub fn score_summary(&self, summary: &PurchaseSummary) -> Result<LifetimeValues> {
        let mut out = self.score_histories(&summary.histories(), summary.freq())?;
        out.ids = Some(summary.ids().clone());
        Ok(out)
    }

    /// The value table of histories with monetary values, times in units of
    /// `freq` (which sets the length of a month).
    ///
    /// # Errors
    /// Histories without monetary values; those of
    /// [`CustomerValueValidParams::score_summary`].
    pub fn score_histories(&self, h: &Histories, freq: Freq) -> Result<LifetimeValues> {
        let monetary = h
            .monetary_value()
            .ok_or_else(|| {
                CiblageError::param("monetary_value", "the histories have no mean spend")
            })?
            .to_vec();
        let purchases = match self.model {
            PurchaseModelKind::BgNbd => FittedPurchaseModel::BgNbd(
                BgNbd::params()
                    .penalizer(self.penalizer)
                    .max_iterations(self.max_iterations)
                    .interrupt(self.interrupt.clone())
                    .fit(h)?,
            ),
            PurchaseModelKind::ParetoNbd => FittedPurchaseModel::ParetoNbd(
                ParetoNbd::params()
                    .penalizer(self.penalizer)
                    .max_iterations(self.max_iterations)
                    .interrupt(self.interrupt.clone())
                    .fit(h)?,
            ),
            PurchaseModelKind::MbgNbd => FittedPurchaseModel::MbgNbd(
                MbgNbd::params()
                    .penalizer(self.penalizer)
                    .max_iterations(self.max_iterations)
                    .interrupt(self.interrupt.clone())
                    .fit(h)?,
            ),
        };
        // Gamma-Gamma is a model of positive amounts: repeat buyers whose
        // mean spend (or margin) is not positive are left out of its fit
        // and keep their own mean as their expected spend per purchase.
        let fitted: Vec<f64> = h
            .frequency()
            .iter()
            .zip(&monetary)
            .map(|(&x, &m)| if m > 0.0 { x } else { 0.0 })
            .collect();
        let spend_left_out = h
            .frequency()
            .iter()
            .zip(&fitted)
            .filter(|(a, b)| a != b)
            .count();
        let one_if_repeat = |&x: &f64| if x > 0.0 { 1.0 } else { 0.0 };
        let spend_input = Histories::new(
            fitted.clone(),
            fitted.iter().map(one_if_repeat).collect(),
            vec![1.0; fitted.len()],
        )?
        .with_monetary_value(monetary.clone())?
        .with_weights((0..h.len()).map(|i| h.weight(i)).collect())?;
        let spend = GammaGamma::params()
            .penalizer(self.spend_penalizer)
            .max_iterations(self.max_iterations)
            .interrupt(self.interrupt.clone())
            .fit(&spend_input)?;
        self.interrupt.check()?;
        let units = freq.units_per_month();
        let horizon = self.horizon as f64 * units;
        let (f, r, t) = (h.frequency(), h.recency(), h.t());
        let rows: Vec<[f64; 4]> = (0..h.len())
            .into_par_iter()
            .map(|i| {
                let (x, tx, tt) = (f[i], r[i], t[i]);
                let avg = if x > 0.0 && monetary[i] <= 0.0 {
                    monetary[i]
                } else {
                    spend.expected_average_spend_one(x, monetary[i])
                };
                let n = purchases.expected_purchases_one(horizon, x, tx, tt);
                let discounted = match self.discounting {
                    Discounting::Monthly => monthly(&purchases, self, units, x, tx, tt),
                    Discounting::Continuous => purchases.dert_one(
                        self.discount_rate.ln_1p() / units,
                        Some(horizon),
                        x,
                        tx,
                        tt,
                    ),
                };
                [
                    purchases.p_alive_one(x, tx, tt),
                    n,
                    n * avg,
                    discounted * avg,
                ]
            })
            .collect();
        let column = |k: usize| rows.iter().map(|row| row[k]).collect::<Vec<f64>>();
        Ok(LifetimeValues {
            ids: None,
            frequency: f.to_vec(),
            recency: r.to_vec(),
            t: t.to_vec(),
            monetary_value: monetary,
            p_alive: column(0),
            expected_purchases: column(1),
            expected_spend: column(2),
            clv: column(3),
            purchases,
            spend,
            spend_left_out,
        })
    }
}

/// Expected purchases of each month discounted by `(1 + rate)^month`
/// (`lifetimes`' steps; [`GammaGammaModel::clv`] divided by the spend).
fn monthly(
    m: &FittedPurchaseModel,
    p: &CustomerValueValidParams,
    units: f64,
    x: f64,
    tx: f64,
    t: f64,
) -> f64 {
    let (mut value, mut before) = (0.0, 0.0);
    for month in 1..=p.horizon {
        let now = m.expected_purchases_one(month as f64 * units, x, tx, t);
        value += (now - before) / (1.0 + p.discount_rate).powi(month as i32);
        before = now;
    }
    value
}

/// The per-customer value table ([`CustomerValue`]): one row per customer,
/// and the two models fitted.
#[derive(Debug, Clone)]
pub struct LifetimeValues {
    ids: Option<CustomerIds>,
    frequency: Vec<f64>,
    recency: Vec<f64>,
    t: Vec<f64>,
    monetary_value: Vec<f64>,
    p_alive: Vec<f64>,
    expected_purchases: Vec<f64>,
    expected_spend: Vec<f64>,
    clv: Vec<f64>,
    purchases: FittedPurchaseModel,
    spend: GammaGammaModel,
    spend_left_out: usize,
}

impl LifetimeValues {
    /// Number of customers.
    pub fn len(&self) -> usize {
        self.p_alive.len()
    }
    /// True without customers.
    pub fn is_empty(&self) -> bool {
        self.p_alive.is_empty()
    }
    /// The customer ids (those of the summary; `None` from bare histories).
    pub fn ids(&self) -> Option<&CustomerIds> {
        self.ids.as_ref()
    }
    /// Repeat purchase periods.
    pub fn frequency(&self) -> &[f64] {
        &self.frequency
    }
    /// First to last purchase.
    pub fn recency(&self) -> &[f64] {
        &self.recency
    }
    /// First purchase to the end of observation.
    pub fn t(&self) -> &[f64] {
        &self.t
    }
    /// Mean spend (or margin) of the repeat periods, 0 without one.
    pub fn monetary_value(&self) -> &[f64] {
        &self.monetary_value
    }
    /// P(alive) at the end of observation.
    pub fn p_alive(&self) -> &[f64] {
        &self.p_alive
    }
    /// Expected purchases over the horizon (not discounted).
    pub fn expected_purchases(&self) -> &[f64] {
        &self.expected_purchases
    }
    /// Expected purchases over the horizon times the Gamma-Gamma expected
    /// mean spend (not discounted).
    pub fn expected_spend(&self) -> &[f64] {
        &self.expected_spend
    }
    /// Discounted CLV over the horizon (`NaN` where the Gamma-Gamma mean
    /// spend does not exist, see [`GammaGammaModel::expected_average_spend_one`]).
    pub fn clv(&self) -> &[f64] {
        &self.clv
    }
    /// The fitted purchase model.
    pub fn purchase_model(&self) -> &FittedPurchaseModel {
        &self.purchases
    }
    /// The fitted spend model.
    pub fn spend_model(&self) -> &GammaGammaModel {
        &self.spend
    }
    /// Repeat buyers whose mean spend (or margin) is not positive: left
    /// out of the Gamma-Gamma fit (a model of positive amounts), their
    /// expected spend per purchase is their own mean.
    pub fn spend_left_out(&self) -> usize {
        self.spend_left_out
    }
}

#[cfg(test)]
#[path = "value_tests.rs"]
mod tests;
