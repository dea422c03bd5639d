//! `ciblage._native.retention`, `churn_flags` and `migration`.

use std::sync::Arc;

use arrow_array::{ArrayRef, Date32Array};
use chrono::NaiveDate;
use ciblage::churn::{
    ChurnFlags, ChurnRule, ChurnRuleKind, CohortMeasure, Migration, Period, Retention,
    RetentionAnalysis,
};
use ciblage::time::day_from_date;
use ciblage::CiblageError;
use pyo3::prelude::*;
use pyo3_arrow::PyTable;

use crate::arrow_out::{self as out, TableBuilder};
use crate::error::{BindError, BindResult};
use crate::run::{guard, run, run_reporting};
use crate::tx_in::{read_transactions, TransactionColumns};

fn date_param(name: &'static str, text: Option<&str>) -> Result<Option<NaiveDate>, CiblageError> {
    text.map(|t| {
        NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|_| CiblageError::InvalidParameter {
            name,
            reason: format!("expected a date (YYYY-MM-DD), got {t:?}"),
        })
    })
    .transpose()
}

/// Activity per period, cohorts and survival (see `ciblage.retention`).
#[pyclass(module = "ciblage._native", name = "RetentionResult", frozen)]
pub struct PyRetention {
    pub(crate) inner: RetentionAnalysis,
}

/// Computes the retention analysis of a transaction table.
#[pyfunction]
#[pyo3(signature = (table, *, customer, timestamp, amount, period = "month", week_start = "monday",
                    as_of = None, origin = None, churn_after = 3, timezone = None, progress = None))]
#[allow(clippy::too_many_arguments)]
pub fn retention(
    py: Python<'_>,
    table: PyTable,
    customer: &str,
    timestamp: &str,
    amount: &str,
    period: &str,
    week_start: &str,
    as_of: Option<&str>,
    origin: Option<&str>,
    churn_after: u32,
    timezone: Option<&str>,
    progress: Option<Bound<'_, PyAny>>,
) -> PyResult<PyRetention> {
    guard(|| -> PyResult<_> {
        let build = || -> Result<_, CiblageError> {
            let period = Period::parse(period, Period::parse_weekday(week_start)?)?;
            let mut p = Retention::params()
                .period(period)
                .churn_after(churn_after as usize);
            if let Some(d) = date_param("as_of", as_of)? {
                p = p.as_of(d);
            }
            if let Some(d) = date_param("origin", origin)? {
                p = p.origin(d);
            }
            p.clone().check()?;
            Ok(p)
        };
        let params = build().map_err(BindError::from)?;
        let names = TransactionColumns {
            customer,
            timestamp,
            amount,
        };
        let (batches, schema) = table.into_inner();
        let inner = run_reporting(py, progress.as_ref(), |token| {
            (|| -> BindResult<_> {
                let params = params.interrupt(token.clone()).check()?;
                let tx = read_transactions(&batches, &schema, &names, timezone, token)?;
                token.check()?;
                Ok(params.score(tx.view()?)?)
            })()
            .map_err(|e| names.name(e))
        })?;
        Ok(PyRetention { inner })
    })
}

/// A wide cohort table: cohort label and size, then one column per
/// period since acquisition (`first_k` names the first); NaN cells of the
/// core's matrix (unobserved) are nulls.
fn matrix(r: &RetentionAnalysis, measure: CohortMeasure, shares: bool) -> PyResult<PyTable> {
    let cohorts = r.cohorts();
    let m = r.cohort_matrix(measure, shares);
    let first_k = usize::from(measure == CohortMeasure::Survival);
    let mut t = TableBuilder::default();
    t.push(
        "cohort",
        out::strings_from(cohorts.iter().map(|c| c.label.as_str())),
    );
    t.push(
        "size",
        out::i64_array(cohorts.iter().map(|c| c.size as i64)),
    );
    for (j, column) in m.columns().into_iter().enumerate() {
        t.push(
            &(j + first_k).to_string(),
            out::opt_f64_array(column.iter().map(|&v| (!v.is_nan()).then_some(v))),
        );
    }
    t.into_py_table()
}

#[pymethods]
impl PyRetention {
    /// One row per period.
    fn periods(&self) -> PyResult<PyTable> {
        guard(|| -> PyResult<_> {
            let p = self.inner.periods();
            let mut t = TableBuilder::default();
            t.push(
                "period",
                out::strings_from(p.iter().map(|r| r.label.as_str())),
            );
            let starts: ArrayRef = Arc::new(Date32Array::from_iter_values(
                p.iter().map(|r| day_from_date(r.start) as i32),
            ));
            t.push("start", starts);
            let count = |f: fn(&ciblage::churn::PeriodRow) -> u64| {
                out::i64_array(p.iter().map(|r| f(r) as i64))
            };
            t.push("active", count(|r| r.active));
            t.push("new", count(|r| r.new));
            t.push("repeating", count(|r| r.repeating));
            t.push("reactivated", count(|r| r.reactivated));
            t.push("lapsed", count(|r| r.lapsed));
            t.push(
                "retention",
                out::opt_f64_array(p.iter().map(|r| r.retention)),
            );
            t.push(
                "attrition",
                out::opt_f64_array(p.iter().map(|r| r.attrition)),
            );
            t.push(
                "revenue",
                out::f64_array(&p.iter().map(|r| r.revenue).collect::<Vec<_>>()),
            );
            t.push(
                "complete",
                out::opt_bool_array(p.iter().map(|r| Some(r.complete))),
            );
            t.into_py_table()
        })
    }

    /// Wide cohort matrix: `kind` is "classic", "rolling", "revenue" or
    /// "survival"; `shares` divides counts by the cohort size (revenue by the
    /// cohort's first-period revenue). Unobserved cells are null.
    #[pyo3(signature = (kind = "classic", shares = true))]
    fn cohorts(&self, kind: &str, shares: bool) -> PyResult<PyTable> {
        guard(|| -> PyResult<_> {
            let measure = kind.parse::<CohortMeasure>().map_err(BindError::from)?;
            matrix(&self.inner, measure, shares)
        })
    }

    /// Rows read, rows on or after `as_of` (left out), and customers
    /// without a purchase (their rows count in no cohort).
    fn input_report(&self) -> PyResult<(u64, u64, u64)> {
        guard(|| {
            Ok::<_, PyErr>((
                self.inner.rows_read(),
                self.inner.rows_after_as_of(),
                self.inner.customers_without_purchase(),
            ))
        })
    }

    /// Churned and censored customers per cohort, and the revenue of its
    /// customers before the cohort period.
    fn cohort_sizes(&self) -> PyResult<PyTable> {
        guard(|| -> PyResult<_> {
            let c = self.inner.cohorts();
            let mut t = TableBuilder::default();
            t.push(
                "cohort",
                out::strings_from(c.iter().map(|r| r.label.as_str())),
            );
            t.push("size", out::i64_array(c.iter().map(|r| r.size as i64)));
            t.push(
                "churned",
                out::i64_array(c.iter().map(|r| r.churned as i64)),
            );
            t.push(
                "censored",
                out::i64_array(c.iter().map(|r| r.censored as i64)),
            );
            t.push(
                "revenue_before",
                out::f64_array(&c.iter().map(|r| r.revenue_before).collect::<Vec<_>>()),
            );
            t.into_py_table()
        })
    }

    /// Kaplan–Meier survival of all customers by periods since acquisition.
    fn survival(&self) -> PyResult<PyTable> {
        guard(|| -> PyResult<_> {
            let s = self.inner.pooled_survival();
            let mut t = TableBuilder::default();
            t.push("periods", out::i64_array(1..=s.len() as i64));
            t.push(
                "survival",
                out::opt_f64_array(s.iter().map(|&v| (!v.is_nan()).then_some(v))),
            );
            t.into_py_table()
        })
    }
}

/// Churn flag per customer, ordered by customer id, and the row counts
/// (read, on or after `as_of`, not purchases).
#[pyfunction]
#[pyo3(signature = (table, *, customer, timestamp, amount, rule = "days", days = 365,
                    multiple = 3.0, fallback_days = 365, as_of = None, timezone = None))]
#[allow(clippy::too_many_arguments)]
pub fn churn_flags(
    py: Python<'_>,
    table: PyTable,
    customer: &str,
    timestamp: &str,
    amount: &str,
    rule: &str,
    days: u32,
    multiple: f64,
    fallback_days: u32,
    as_of: Option<&str>,
    timezone: Option<&str>,
) -> PyResult<(PyTable, (u64, u64, u64))> {
    guard(|| -> PyResult<_> {
        let kind = rule.parse::<ChurnRuleKind>().map_err(BindError::from)?;
        let rule = ChurnRule::of_kind(kind, days, multiple, fallback_days);
        let as_of = date_param("as_of", as_of).map_err(BindError::from)?;
        let names = TransactionColumns {
            customer,
            timestamp,
            amount,
        };
        let (batches, schema) = table.into_inner();
        let (index, flags) = run(py, |token| {
            (|| -> BindResult<_> {
                let mut tx = read_transactions(&batches, &schema, &names, timezone, token)?;
                token.check()?;
                let mut params = ChurnFlags::params().rule(rule).interrupt(token.clone());
                if let Some(d) = as_of {
                    params = params.as_of(d);
                }
                let flags = params.score(tx.view()?)?;
                Ok((std::mem::take(&mut tx.index), flags))
            })()
            .map_err(|e| names.name(e))
        })?;
        let order = index.sorted_codes();
        let pick = |i: usize| order[i] as usize;
        let n = order.len();
        let mut t = TableBuilder::default();
        t.push("customer_id", out::ids_array(&index.ids().gather(&order)));
        t.push(
            "days_since_last",
            out::opt_i64_array((0..n).map(|i| flags.days_since_last()[pick(i)])),
        );
        t.push(
            "median_gap_days",
            out::opt_f64_array((0..n).map(|i| flags.median_gap()[pick(i)])),
        );
        t.push(
            "threshold_days",
            out::opt_f64_array((0..n).map(|i| flags.threshold_days()[pick(i)])),
        );
        t.push(
            "churned",
            out::opt_bool_array((0..n).map(|i| flags.churned()[pick(i)])),
        );
        let counts = (
            flags.rows_read(),
            flags.rows_after_as_of(),
            flags.rows_not_purchases(),
        );
        Ok((t.into_py_table()?, counts))
    })
}

/// Transition counts between two label lists: (labels, row-major counts).
#[pyfunction]
pub fn migration(
    before: Vec<String>,
    after: Vec<String>,
    order: Vec<String>,
) -> PyResult<(Vec<String>, Vec<u64>)> {
    guard(|| -> BindResult<_> {
        let m = Migration::params().order(&order).score(&before, &after)?;
        Ok((m.labels().to_vec(), m.counts().to_vec()))
    })
}
