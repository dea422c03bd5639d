//! Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV"):
//! the mean spend of a customer's repeat purchases, and discounted CLV.

use serde::{Deserialize, Serialize};

use crate::clv::histories::Histories;
use crate::clv::model::{
    check_fit_params, check_positive_params, from_json, optional, sum_terms, to_json, ClvInput,
    FitReport,
};
use crate::clv::optim::{minimise, standard_errors, Objective};
use crate::clv::special::{digamma, ln_gamma};
use crate::error::{CiblageError, Result};
use crate::interrupt::Interrupt;

/// A model of repeat purchases that predicts the expected number of
/// purchases of a customer over a horizon (BG/NBD, Pareto/NBD).
pub trait PurchaseModel: Sync {
    /// Expected purchases in the next `horizon` units of time of a
    /// customer with history `(x, t_x, T)`.
    fn expected_purchases_one(&self, horizon: f64, x: f64, t_x: f64, t: f64) -> f64;

    /// Discounted expected residual transactions (DERT) of one history:
    /// continuous discount rate `delta` per unit of time, over `horizon`
    /// units of time (`None`: no end, which needs `delta > 0`). By default
    /// integrated numerically by parts (see `clv/dert.rs`); models
    /// with a closed form override it.
    fn dert_one(&self, delta: f64, horizon: Option<f64>, x: f64, t_x: f64, t: f64) -> f64 {
        crate::clv::quadrature::dert_by_parts(
            |h| self.expected_purchases_one(h, x, t_x, t),
            delta,
            horizon,
        )
    }
}

impl PurchaseModel for crate::clv::BgNbdModel {
    fn expected_purchases_one(&self, horizon: f64, x: f64, t_x: f64, t: f64) -> f64 {
        Self::expected_purchases_one(self, horizon, x, t_x, t)
    }
}

/// Entry point of the Gamma-Gamma spend model (a learner:
/// [`GammaGammaValidParams::fit`]), fitted on the customers with at least
/// one repeat purchase.
///
/// ```
/// use ciblage::clv::{GammaGamma, Histories};
/// let h = Histories::new(vec![1.0, 3.0, 2.0, 5.0, 0.0], vec![5.0, 9.0, 7.0, 12.0, 0.0], vec![12.0; 5])?
///     .with_monetary_value(vec![20.0, 35.0, 18.0, 40.0, 0.0])?;
/// let model = GammaGamma::params().penalizer(0.1).fit(&h)?;
/// let spend = model.expected_average_spend(&h)?;
/// assert!(spend[..4].iter().all(|s| *s > 0.0)); // the repeat buyers
/// # Ok::<(), ciblage::CiblageError>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct GammaGamma;

impl GammaGamma {
    /// Parameters with their defaults: no penalty, at most 1000
    /// iterations, a warning when |correlation| of frequency and spend
    /// exceeds 0.3.
    pub fn params() -> GammaGammaParams {
        GammaGammaParams(GammaGammaValidParams::default())
    }
}

/// Validated Gamma-Gamma fitting parameters.
#[derive(Debug, Clone)]
pub struct GammaGammaValidParams {
    penalizer: f64,
    max_iterations: usize,
    correlation_threshold: f64,
    interrupt: Interrupt,
}

impl Default for GammaGammaValidParams {
    fn default() -> Self {
        Self {
            penalizer: 0.0,
            max_iterations: 1000,
            correlation_threshold: 0.3,
            interrupt: Interrupt::default(),
        }
    }
}

/// Builder of [`GammaGammaValidParams`].
#[derive(Debug, Clone, Default)]
pub struct GammaGammaParams(GammaGammaValidParams);

impl GammaGammaParams {
    /// L2 penalty on `(p, q, v)` added to the mean negative log-likelihood
    /// (default 0).
    #[must_use]
    pub fn penalizer(mut self, coefficient: f64) -> Self {
        self.0.penalizer = coefficient;
        self
    }
    /// Most L-BFGS iterations (default 1000).
    #[must_use]
    pub fn max_iterations(mut self, n: usize) -> Self {
        self.0.max_iterations = n;
        self
    }
    /// |Pearson correlation| of frequency and mean spend of the repeat
    /// buyers above which the model warns that its independence
    /// assumption does not hold (default 0.3, in `[0, 1]`).
    #[must_use]
    pub fn correlation_threshold(mut self, threshold: f64) -> Self {
        self.0.correlation_threshold = threshold;
        self
    }
    /// Token that stops the fit ([`CiblageError::Interrupted`]).
    #[must_use]
    pub fn interrupt(mut self, token: Interrupt) -> Self {
        self.0.interrupt = token;
        self
    }
    /// Validates the parameters.
    ///
    /// # Errors
    /// A negative or non-finite penalizer, zero iterations, a threshold
    /// outside `[0, 1]`.
    pub fn check(self) -> Result<GammaGammaValidParams> {
        check_fit_params(self.0.penalizer, self.0.max_iterations)?;
        let c = self.0.correlation_threshold;
        if !(0.0..=1.0).contains(&c) {
            return Err(CiblageError::param(
                "correlation_threshold",
                format!("must be in [0, 1], got {c}"),
            ));
        }
        Ok(self.0)
    }
    /// Validates, then fits.
    ///
    /// # Errors
    /// See [`GammaGammaParams::check`] and [`GammaGammaValidParams::fit`].
    pub fn fit<D: ClvInput + ?Sized>(self, data: &D) -> Result<GammaGammaModel> {
        self.check()?.fit(data)
    }
}

/// Log-likelihood of one repeat buyer (x purchases of mean `m`) and its
/// derivatives in `(p, q, v)`.
pub(crate) fn ll_one(par: [f64; 3], x: f64, m: f64) -> (f64, [f64; 3]) {
    let [p, q, v] = par;
    let px = p * x;
    let ln_xmv = (x * m + v).ln();
    let ll = ln_gamma(px + q) - ln_gamma(px) - ln_gamma(q)
        + q * v.ln()
        + (px - 1.0) * m.ln()
        + px * x.ln()
        - (px + q) * ln_xmv;
    let psi = digamma(px + q);
    let dp = x * (psi - digamma(px) + m.ln() + x.ln() - ln_xmv);
    let dq = psi - digamma(q) + v.ln() - ln_xmv;
    let dv = q / v - (px + q) / (x * m + v);
    (ll, [dp, dq, dv])
}

/// The repeat buyers: (frequency, mean spend, weight).
fn repeat_buyers(h: &Histories) -> Result<Vec<(f64, f64, f64)>> {
    let m = h.monetary_value().ok_or_else(|| {
        CiblageError::param(
            "monetary_value",
            "the Gamma-Gamma model needs the mean spend of the repeat purchases",
        )
    })?;
    let mut rows = Vec::new();
    for (i, (&x, &mi)) in h.frequency.iter().zip(m).enumerate() {
        if x > 0.0 {
            if mi <= 0.0 {
                return Err(CiblageError::ValueOutOfRange {
                    argument: "monetary_value".into(),
                    row: i,
                    value: mi,
                    range: "positive for customers with a repeat purchase (the Gamma-Gamma model is of positive spend: \
                            leave returns out with negative_amounts=\"exclude\")",
                });
            }
            rows.push((x, mi, h.weight(i)));
        }
    }
    if rows.is_empty() {
        return Err(CiblageError::EmptyInput {
            argument: "frequency (no customer with a repeat purchase)".into(),
        });
    }
    Ok(rows)
}

fn total(rows: &[(f64, f64, f64)], p: [f64; 3]) -> (f64, [f64; 3]) {
    sum_terms(rows.len(), |i| {
        let (x, m, w) = rows[i];
        let (v, g) = ll_one(p, x, m);
        (w * v, g.map(|d| w * d))
    })
}

struct Mean<'a> {
    rows: &'a [(f64, f64, f64)],
    total_weight: f64,
    penalizer: f64,
}

impl Objective for Mean<'_> {
    fn eval(&self, theta: &[f64]) -> (f64, Vec<f64>) {
        let p: [f64; 3] = std::array::from_fn(|k| theta[k].exp());
        let (ll, g) = total(self.rows, p);
        let value = -ll / self.total_weight + self.penalizer * p.iter().map(|v| v * v).sum::<f64>();
        let grad = (0..3)
            .map(|k| -g[k] * p[k] / self.total_weight + self.penalizer * 2.0 * p[k] * p[k])
            .collect();
        (value, grad)
    }
}

/// Weighted Pearson correlation of frequency and mean spend.
fn correlation(rows: &[(f64, f64, f64)]) -> f64 {
    let w: f64 = rows.iter().map(|r| r.2).sum();
    let mx = rows.iter().map(|r| r.2 * r.0).sum::<f64>() / w;
    let mm = rows.iter().map(|r| r.2 * r.1).sum::<f64>() / w;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for &(x, m, wi) in rows {
        sxy += wi * (x - mx) * (m - mm);
        sxx += wi * (x - mx) * (x - mx);
        syy += wi * (m - mm) * (m - mm);
    }
    if sxx == 0.0 || syy == 0.0 {
        0.0
    } else {
        sxy / (sxx * syy).sqrt()
    }
}

impl GammaGammaValidParams {
    /// Fits the model on the rows with a repeat purchase.
    ///
    /// # Errors
    /// No monetary values; a repeat buyer whose mean spend is not
    /// positive (named by row); no repeat buyer;
    /// [`CiblageError::FitFailed`]; [`CiblageError::Interrupted`].
    pub fn fit<D: ClvInput + ?Sized>(&self, data: &D) -> Result<GammaGammaModel> {
        let rows = repeat_buyers(&data.histories())?;
        let total_weight: f64 = rows.iter().map(|r| r.2).sum();
        let objective = Mean {
            rows: &rows,
            total_weight,
            penalizer: self.penalizer,
        };
        let (theta, _, convergence) = minimise(
            "Gamma-Gamma",
            &objective,
            vec![0.0; 3],
            self.max_iterations,
            &self.interrupt,
        )?;
        let p: [f64; 3] = std::array::from_fn(|k| theta[k].exp());
        let (ll, _) = total(&rows, p);
        let se = standard_errors(&p, |q| {
            total(&rows, [q[0], q[1], q[2]])
                .1
                .iter()
                .map(|d| -d)
                .collect()
        });
        let corr = correlation(&rows);
        let warning = (corr.abs() > self.correlation_threshold).then(|| {
            format!(
                "frequency and mean spend of the repeat buyers are correlated ({corr:.3}, beyond {}): the Gamma-Gamma \
                 model assumes they are independent, its spend predictions may be biased",
                self.correlation_threshold
            )
        });
        Ok(GammaGammaModel {
            p: p[0],
            q: p[1],
            v: p[2],
            correlation: Some(corr),
            warning,
            report: Some(FitReport {
                log_likelihood: ll,
                standard_errors: optional(se),
                log_covariance: None,
                customers: total_weight,
                patterns: rows.len(),
                penalizer: self.penalizer,
                convergence,
            }),
        })
    }
}

/// Names of the parameters, in the order of [`GammaGammaModel::params`].
pub const GAMMA_GAMMA_PARAMS: [&str; 3] = ["p", "q", "v"];

/// A fitted Gamma-Gamma model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GammaGammaModel {
    p: f64,
    q: f64,
    v: f64,
    correlation: Option<f64>,
    warning: Option<String>,
    report: Option<FitReport>,
}

impl GammaGammaModel {
    /// A model with given parameters (positive and finite).
    ///
    /// # Errors
    /// A parameter that is not positive and finite.
    pub fn from_params(p: f64, q: f64, v: f64) -> Result<Self> {
        check_positive_params(&GAMMA_GAMMA_PARAMS, [p, q, v])?;
        Ok(Self {
            p,
            q,
            v,
            correlation: None,
            warning: None,
            report: None,
        })
    }
    /// `[p, q, v]`.
    pub fn params(&self) -> [f64; 3] {
        [self.p, self.q, self.v]
    }
    /// The fit report, `None` for a model built from parameters.
    pub fn report(&self) -> Option<&FitReport> {
        self.report.as_ref()
    }
    /// Weighted Pearson correlation of frequency and mean spend of the
    /// repeat buyers fitted.
    pub fn correlation(&self) -> Option<f64> {
        self.correlation
    }
    /// The warning about that correlation, when beyond the threshold.
    pub fn warning(&self) -> Option<&str> {
        self.warning.as_deref()
    }
    /// Expected mean spend per purchase of a customer with `x` repeat
    /// purchases of mean `m` (for `x = 0`, the population mean `v p / (q - 1)`);
    /// `NaN` where that mean does not exist (`p x + q <= 1`).
    pub fn expected_average_spend_one(&self, x: f64, m: f64) -> f64 {
        let (p, q, v) = (self.p, self.q, self.v);
        let denominator = p * x + q - 1.0;
        if denominator <= 0.0 {
            return f64::NAN;
        }
        if x == 0.0 {
            return v * p / (q - 1.0);
        }
        p * (v + x * m) / denominator
    }
    /// Expected mean spend per purchase of every history.
    ///
    /// # Errors
    /// Histories without monetary values.
    pub fn expected_average_spend<D: ClvInput + ?Sized>(&self, data: &D) -> Result<Vec<f64>> {
        let h = data.histories();
        let m = monetary(&h)?;
        Ok((0..h.len())
            .map(|i| self.expected_average_spend_one(h.frequency[i], m[i]))
            .collect())
    }

    /// Discounted CLV of every history over `months` months, as
    /// `lifetimes`' `customer_lifetime_value`: expected spend times the
    /// expected purchases of each month (`units_per_month` units of time,
    /// see [`crate::clv::Freq::units_per_month`]) discounted by
    /// `(1 + discount_rate)^month`.
    ///
    /// # Errors
    /// Histories without monetary values; `months` 0; `discount_rate`
    /// not in `[0, ∞)`; `units_per_month` not positive.
    pub fn clv<D: ClvInput + ?Sized, M: PurchaseModel>(
        &self,
        purchases: &M,
        data: &D,
        months: usize,
        discount_rate: f64,
        units_per_month: f64,
    ) -> Result<Vec<f64>> {
        use rayon::prelude::*;
        if months == 0 {
            return Err(CiblageError::param("months", "must be at least 1"));
        }
        if !(discount_rate.is_finite() && discount_rate >= 0.0) {
            return Err(CiblageError::param(
                "discount_rate",
                format!("must be a finite number >= 0, got {discount_rate}"),
            ));
        }
        if !(units_per_month.is_finite() && units_per_month > 0.0) {
            return Err(CiblageError::param(
                "units_per_month",
                format!("must be positive, got {units_per_month}"),
            ));
        }
        let h = data.histories();
        let m = monetary(&h)?;
        Ok((0..h.len())
            .into_par_iter()
            .map(|i| {
                let (x, tx, t) = (h.frequency[i], h.recency[i], h.t[i]);
                let spend = self.expected_average_spend_one(x, m[i]);
                let mut value = 0.0;
                let mut before = 0.0;
                for month in 1..=months {
                    let now =
                        purchases.expected_purchases_one(month as f64 * units_per_month, x, tx, t);
                    value += spend * (now - before) / (1.0 + discount_rate).powi(month as i32);
                    before = now;
                }
                value
            })
            .collect())
    }

    /// The model as versioned JSON.
    pub fn to_json(&self) -> String {
        to_json(
            "gamma_gamma",
            &GAMMA_GAMMA_PARAMS,
            &self.params(),
            self.report.as_ref(),
        )
    }
    /// Reads a model written by [`GammaGammaModel::to_json`], checked whole
    /// (the correlation warning is not kept).
    ///
    /// # Errors
    /// [`CiblageError::InvalidModelFile`] naming the field at fault.
    pub fn from_json(text: &str) -> Result<Self> {
        let (p, report) = from_json(
            "Gamma-Gamma model",
            "gamma_gamma",
            &GAMMA_GAMMA_PARAMS,
            text,
        )?;
        Ok(Self {
            p: p[0],
            q: p[1],
            v: p[2],
            correlation: None,
            warning: None,
            report,
        })
    }
}

fn monetary(h: &Histories) -> Result<&[f64]> {
    h.monetary_value()
        .ok_or_else(|| CiblageError::param("monetary_value", "the histories have no mean spend"))
}
