//! A deterministic generator of realistic transactions, for demos, tests and
//! benchmarks.
//!
//! Customers are acquired uniformly over the period and stay active for an
//! exponential lifetime (churn); the number of orders per customer follows a
//! Lomax (Pareto II) law (a few heavy buyers, many one-off buyers); amounts are
//! log-normal with a per-customer level; November and December sell more
//! (seasonality); a small share of rows are returns (negative amounts); costs
//! are 50–80 % of amounts. The same seed always gives the same rows, whatever
//! the number of threads.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp, LogNormal, Normal, Pareto};
use rayon::prelude::*;

use chrono::NaiveDate;

use crate::customers::{CustomerIds, StringIds};
use crate::error::{CiblageError, Result};
use crate::time::{day_from_date, MICROS_PER_DAY};
use crate::transactions::Transactions;

/// Customers per independently seeded block (keeps output thread-independent).
const BLOCK: usize = 4096;

/// Kind of customer ids to generate; ids are numbered in order of
/// acquisition, as a database sequence would number them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IdKind {
    /// Integers `100000, 100001, …`.
    #[default]
    Int,
    /// Strings `"C00100000"`, …
    Str,
}

/// Parameters of [`SyntheticTransactions`]; build with [`SyntheticTransactions::params`].
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticParams {
    customers: usize,
    transactions: usize,
    seed: u64,
    start: NaiveDate,
    days: u32,
    ids: IdKind,
    return_rate: f64,
}

impl Default for SyntheticParams {
    fn default() -> Self {
        Self {
            customers: 10_000,
            transactions: 100_000,
            seed: 42,
            start: NaiveDate::from_ymd_opt(2022, 1, 1).expect("valid date"),
            days: 730,
            ids: IdKind::Int,
            return_rate: 0.02,
        }
    }
}

/// Generated transactions, row by row, ordered by time.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticTransactions {
    /// Customer id of each row.
    pub ids: CustomerIds,
    /// Instant of each row, µs since the epoch (UTC).
    pub timestamps: Vec<i64>,
    /// Amount of each row (negative for returns), rounded to cents.
    pub amounts: Vec<f64>,
    /// Cost of each row, rounded to cents.
    pub costs: Vec<f64>,
}

impl SyntheticTransactions {
    /// Parameters with their defaults: 10,000 customers, 100,000 rows, seed
    /// 42, two years from 2022-01-01, integer ids, 2 % returns.
    ///
    /// ```
    /// use ciblage::SyntheticTransactions;
    /// let data = SyntheticTransactions::params().customers(100).transactions(1_000).generate()?;
    /// assert_eq!(data.timestamps.len(), 1_000);
    /// assert_eq!(data, SyntheticTransactions::params().customers(100).transactions(1_000).generate()?);
    /// # Ok::<(), ciblage::CiblageError>(())
    /// ```
    pub fn params() -> SyntheticParams {
        SyntheticParams::default()
    }

    /// The most rows one call generates: about 100 bytes per row are held
    /// at the peak (rows, columns and their Arrow copies), 10 GB here; more
    /// would exhaust the memory of most machines instead of failing cleanly.
    pub const MAX_TRANSACTIONS: usize = 100_000_000;

    /// The rows as a [`Transactions`] table, with costs.
    ///
    /// # Errors
    /// None in practice (the generator never makes invalid rows).
    pub fn to_transactions(&self) -> Result<Transactions> {
        let tx = match &self.ids {
            CustomerIds::Int(v) => {
                Transactions::from_int_ids(v, self.timestamps.clone(), self.amounts.clone())?
            }
            CustomerIds::Str(s) => {
                let ids: Vec<&str> = s.iter().collect();
                Transactions::from_str_ids(&ids, self.timestamps.clone(), self.amounts.clone())?
            }
        };
        tx.with_costs(self.costs.clone())
    }
}

impl SyntheticParams {
    /// Number of customers (each has at least one row).
    #[must_use]
    pub fn customers(mut self, n: usize) -> Self {
        self.customers = n;
        self
    }

    /// Number of rows (at least the number of customers).
    #[must_use]
    pub fn transactions(mut self, n: usize) -> Self {
        self.transactions = n;
        self
    }

    /// Random seed.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// First day of the period.
    #[must_use]
    pub fn start(mut self, date: NaiveDate) -> Self {
        self.start = date;
        self
    }

    /// Length of the period in days.
    #[must_use]
    pub fn days(mut self, days: u32) -> Self {
        self.days = days;
        self
    }

    /// Integer or string ids.
    #[must_use]
    pub fn ids(mut self, kind: IdKind) -> Self {
        self.ids = kind;
        self
    }

    /// Share of rows that are returns (negative amounts), in `[0, 1)`.
    #[must_use]
    pub fn return_rate(mut self, rate: f64) -> Self {
        self.return_rate = rate;
        self
    }

    /// Validates, then generates the rows: `self.check()?.generate()`.
    ///
    /// # Errors
    /// See [`SyntheticParams::check`].
    pub fn generate(self) -> Result<SyntheticTransactions> {
        self.check()?.generate()
    }

    /// Validates the parameters.
    ///
    /// # Errors
    /// [`CiblageError::InvalidParameter`] naming `customers` (zero, or more
    /// than 2^32 − 100,001), `transactions` (fewer than the customers, more
    /// than [`SyntheticTransactions::MAX_TRANSACTIONS`]), `days` (zero) or
    /// `return_rate` (outside `[0, 1)`).
    pub fn check(self) -> Result<SyntheticValidParams> {
        self.validate()?;
        Ok(SyntheticValidParams(self))
    }
}

/// Validated parameters of [`SyntheticTransactions`]
/// (see [`SyntheticParams::check`]).
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticValidParams(SyntheticParams);

impl SyntheticValidParams {
    /// Generates the rows.
    ///
    /// # Errors
    /// None in practice: the parameters are valid.
    pub fn generate(&self) -> Result<SyntheticTransactions> {
        let p = &self.0;
        let n = p.customers;
        let extra = p.transactions - n;
        let start_day = day_from_date(p.start);
        let days = f64::from(p.days);
        // Orders per customer: 1 + a Pareto-weighted share of the extra rows.
        let blocks = n.div_ceil(BLOCK);
        let weights: Vec<(f64, f64)> = (0..blocks)
            .into_par_iter()
            .flat_map_iter(|b| {
                let mut rng =
                    ChaCha8Rng::seed_from_u64(p.seed ^ (b as u64).wrapping_mul(0x9e37_79b9));
                // Lomax (Pareto minus its scale): most customers get few or
                // no extra orders, a heavy tail of loyal buyers, capped.
                let pareto = Pareto::new(1.0, 1.5).expect("valid Pareto");
                let len = BLOCK.min(n - b * BLOCK);
                (0..len)
                    .map(move |_| {
                        let weight: f64 = (pareto.sample(&mut rng) - 1.0_f64).min(400.0);
                        let acquired = rng.random_range(0.0..days);
                        (weight, acquired)
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        let (weights, acquired): (Vec<f64>, Vec<f64>) = weights.into_iter().unzip();
        // Ids are numbered in order of acquisition, as a database sequence would.
        let mut by_acquisition: Vec<u32> = (0..n as u32).collect();
        by_acquisition.par_sort_unstable_by(|&a, &b| {
            acquired[a as usize]
                .total_cmp(&acquired[b as usize])
                .then(a.cmp(&b))
        });
        let mut id_of = vec![0u32; n];
        for (rank, &c) in by_acquisition.iter().enumerate() {
            id_of[c as usize] = rank as u32;
        }
        let total: f64 = weights.iter().sum();
        let mut orders: Vec<usize> = weights
            .iter()
            .map(|w| 1 + (w / total * extra as f64).floor() as usize)
            .collect();
        let mut missing = p.transactions - orders.iter().sum::<usize>();
        let mut rng = ChaCha8Rng::seed_from_u64(p.seed.wrapping_add(1));
        while missing > 0 {
            orders[rng.random_range(0..n)] += 1;
            missing -= 1;
        }
        let mut offsets = vec![0usize; n + 1];
        for c in 0..n {
            offsets[c + 1] = offsets[c] + orders[c];
        }
        // Rows per customer block, each block with its own seeded RNG.
        let mut rows: Vec<(i64, u32, f64, f64)> = (0..blocks)
            .into_par_iter()
            .flat_map_iter(|b| {
                let mut rng = ChaCha8Rng::seed_from_u64(
                    p.seed.wrapping_add(0x5151) ^ (b as u64).wrapping_mul(0x2545_f491),
                );
                let lo = b * BLOCK;
                let hi = (lo + BLOCK).min(n);
                let mut out = Vec::with_capacity(offsets[hi] - offsets[lo]);
                let lifetime = Exp::new(1.0 / (1.5 * days)).expect("valid rate");
                let level = Normal::new(0.0, 0.4).expect("valid normal");
                for (c, &count) in orders.iter().enumerate().take(hi).skip(lo) {
                    let acquired = acquired[c];
                    let end = (acquired + lifetime.sample(&mut rng)).min(days);
                    let span = (end - acquired).max(1.0);
                    let mu = 3.4 + level.sample(&mut rng);
                    let amount = LogNormal::new(mu, 0.7).expect("valid log-normal");
                    for k in 0..count {
                        let day = if k == 0 {
                            acquired
                        } else {
                            seasonal_day(&mut rng, acquired, span)
                        };
                        let second = rng.random_range(8 * 3600..22 * 3600);
                        let ts = (start_day + day as i64) * MICROS_PER_DAY
                            + i64::from(second) * 1_000_000;
                        let mut a = cents(amount.sample(&mut rng));
                        if k > 0 && rng.random_bool(p.return_rate) {
                            a = -a;
                        }
                        let cost = cents(a * rng.random_range(0.5..0.8));
                        out.push((ts, id_of[c], a, cost));
                    }
                }
                out
            })
            .collect();
        rows.par_sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)).then(a.2.total_cmp(&b.2)));
        let ids = match p.ids {
            IdKind::Int => {
                CustomerIds::Int(rows.iter().map(|r| 100_000 + i64::from(r.1)).collect())
            }
            IdKind::Str => {
                let mut s = StringIds::new();
                for r in &rows {
                    s.push(&format!("C{:08}", 100_000 + r.1));
                }
                CustomerIds::Str(s)
            }
        };
        Ok(SyntheticTransactions {
            ids,
            timestamps: rows.iter().map(|r| r.0).collect(),
            amounts: rows.iter().map(|r| r.2).collect(),
            costs: rows.iter().map(|r| r.3).collect(),
        })
    }
}

impl SyntheticParams {
    fn validate(&self) -> Result<()> {
        if self.customers == 0 || self.customers > u32::MAX as usize - 100_000 {
            return Err(CiblageError::param(
                "customers",
                format!(
                    "must be between 1 and 2^32 - 100001, got {}",
                    self.customers
                ),
            ));
        }
        if self.transactions > SyntheticTransactions::MAX_TRANSACTIONS {
            return Err(CiblageError::param(
                "transactions",
                format!(
                    "expected at most {} rows, got {}",
                    SyntheticTransactions::MAX_TRANSACTIONS,
                    self.transactions
                ),
            ));
        }
        if self.transactions < self.customers {
            return Err(CiblageError::param(
                "transactions",
                format!(
                    "must be at least the number of customers ({}), got {}",
                    self.customers, self.transactions
                ),
            ));
        }
        if self.days == 0 {
            return Err(CiblageError::param("days", "must be at least 1"));
        }
        if !(0.0..1.0).contains(&self.return_rate) {
            return Err(CiblageError::param(
                "return_rate",
                format!("must be in [0, 1), got {}", self.return_rate),
            ));
        }
        Ok(())
    }
}

/// A day in `[from, from + span)`, November and December twice as likely.
fn seasonal_day(rng: &mut ChaCha8Rng, from: f64, span: f64) -> f64 {
    loop {
        let day = from + rng.random_range(0.0..span);
        // Day of year, roughly: Nov-Dec are days 304..365 of each year.
        let doy = day.rem_euclid(365.25);
        if doy >= 304.0 || rng.random_bool(0.5) {
            return day;
        }
    }
}

fn cents(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_determinism() {
        let p = SyntheticTransactions::params()
            .customers(500)
            .transactions(5_000)
            .seed(7);
        let valid = p.clone().check().unwrap();
        let a = valid.generate().unwrap();
        assert_eq!(a.amounts.len(), 5_000);
        assert!(a.timestamps.windows(2).all(|w| w[0] <= w[1]));
        let tx = a.to_transactions().unwrap();
        assert_eq!(tx.customers().len(), 500);
        assert_eq!(a, valid.generate().unwrap());
        assert_eq!(a, p.clone().generate().unwrap());
        let b = p.seed(8).generate().unwrap();
        assert_ne!(a.amounts, b.amounts);
    }

    #[test]
    fn skewed_spend_and_some_returns() {
        let data = SyntheticTransactions::params()
            .customers(2_000)
            .transactions(20_000)
            .generate()
            .unwrap();
        let tx = data.to_transactions().unwrap();
        let s = crate::Rfm::params().score(&tx).unwrap();
        let mut m: Vec<f64> = s.monetary().to_vec();
        m.sort_by(|a, b| b.total_cmp(a));
        let top: f64 = m[..400].iter().sum();
        let all: f64 = m.iter().sum();
        // The top 20 % of customers make well over 40 % of the value.
        assert!(top / all > 0.4, "{}", top / all);
        assert!(data.amounts.iter().any(|&a| a < 0.0));
        assert!(s.input_report().negative_rows > 0);
    }

    #[test]
    fn string_ids_are_formatted() {
        let data = SyntheticTransactions::params()
            .customers(10)
            .transactions(10)
            .ids(IdKind::Str)
            .generate()
            .unwrap();
        let CustomerIds::Str(s) = &data.ids else {
            panic!("string ids expected")
        };
        assert!(s.iter().all(|id| id.len() == 9 && id.starts_with('C')));
    }

    #[test]
    fn bad_parameters_are_named() {
        let err = SyntheticTransactions::params()
            .customers(10)
            .transactions(5)
            .generate()
            .unwrap_err();
        assert!(err
            .to_string()
            .starts_with("invalid parameter transactions"));
        assert!(SyntheticTransactions::params()
            .customers(0)
            .generate()
            .is_err());
        assert!(SyntheticTransactions::params()
            .return_rate(1.5)
            .generate()
            .is_err());
        // Refused before anything is allocated (a billion rows took ~100 GB).
        let err = SyntheticTransactions::params()
            .transactions(SyntheticTransactions::MAX_TRANSACTIONS + 1)
            .generate()
            .unwrap_err();
        assert!(err
            .to_string()
            .starts_with("invalid parameter transactions: expected at most 100000000 rows"));
    }
}
