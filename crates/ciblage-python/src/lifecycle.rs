//! `ciblage._native.RuleSet` and `lifecycle_evaluate`.

use std::collections::HashMap;

use chrono::NaiveDate;

use ciblage_lifecycle::{ContactHistory, CustomerStates, Field, Lifecycle, RuleSet};
use numpy::PyReadonlyArray1;
use pyo3::prelude::*;
use pyo3_arrow::PyTable;

use crate::arrow_out::{self as out, TableBuilder};
use crate::error::{core_to_py, lifecycle_to_py, InvalidParameterError, RuleFileError};
use crate::run::{guard, run};

/// History rows in the window, before it, after today, and of customers
/// not evaluated.
type HistoryRows = (u64, u64, u64, u64);

/// A checked lifecycle rule set (see `ciblage.lifecycle.RuleSet`).
#[pyclass(module = "ciblage._native", name = "RuleSet", frozen)]
pub struct PyRuleSet {
    inner: RuleSet,
}

#[pymethods]
impl PyRuleSet {
    /// The default rule set.
    #[staticmethod]
    fn default() -> PyResult<Self> {
        guard(|| {
            Ok::<_, PyErr>(Self {
                inner: RuleSet::default_rules(),
            })
        })
    }

    /// Reads a TOML rule file's text (`str`, or `bytes` of UTF-8).
    #[staticmethod]
    fn from_toml(text: &Bound<'_, PyAny>) -> PyResult<Self> {
        guard(|| -> PyResult<_> {
            RuleSet::from_toml(&rule_text(text, "toml")?)
                .map(|inner| Self { inner })
                .map_err(lifecycle_to_py)
        })
    }

    /// Reads a JSON rule file's text (`str`, or `bytes` of UTF-8).
    #[staticmethod]
    fn from_json(text: &Bound<'_, PyAny>) -> PyResult<Self> {
        guard(|| -> PyResult<_> {
            RuleSet::from_json(&rule_text(text, "json")?)
                .map(|inner| Self { inner })
                .map_err(lifecycle_to_py)
        })
    }

    /// The rule set as TOML.
    fn to_toml(&self) -> PyResult<String> {
        guard(|| Ok::<_, PyErr>(self.inner.to_toml()))
    }

    /// The rule set as JSON.
    fn to_json(&self) -> PyResult<String> {
        guard(|| Ok::<_, PyErr>(self.inner.to_json()))
    }

    /// Rule names in evaluation order.
    #[getter]
    fn rule_names(&self) -> Vec<String> {
        self.inner
            .rule_names()
            .into_iter()
            .map(String::from)
            .collect()
    }

    fn __repr__(&self) -> String {
        let names = self.inner.rule_names();
        let shown: Vec<&str> = names.iter().take(4).copied().collect();
        let more = if names.len() > 4 { ", ..." } else { "" };
        format!("RuleSet({} rules: {}{more})", names.len(), shown.join(", "))
    }

    /// Notebook display (`ciblage._tables.native_html`).
    fn _repr_html_(slf: &Bound<'_, Self>) -> PyResult<String> {
        crate::segments::native_html(slf.as_any())
    }

    fn __eq__(&self, other: &Self) -> bool {
        self.inner == other.inner
    }

    fn __getnewargs__(&self) -> PyResult<(String,)> {
        guard(|| Ok::<_, PyErr>((self.inner.to_json(),)))
    }

    #[new]
    fn new(json: &Bound<'_, PyAny>) -> PyResult<Self> {
        Self::from_json(json)
    }
}

/// The text of a rule file given as `str` or UTF-8 `bytes`; anything else is
/// an invalid parameter, bytes that are not UTF-8 a rule-file error naming
/// the line.
fn rule_text(text: &Bound<'_, PyAny>, format: &str) -> PyResult<String> {
    if let Ok(s) = text.extract::<String>() {
        return Ok(s);
    }
    if let Ok(b) = text.extract::<Vec<u8>>() {
        if let Ok(s) = std::str::from_utf8(&b) {
            return Ok(s.to_owned());
        }
        let at = std::str::from_utf8(&b).err().map_or(0, |e| e.valid_up_to());
        let line = b[..at].iter().filter(|&&c| c == b'\n').count() + 1;
        return Err(RuleFileError::new_err(format!(
            "rule file ({format}): line {line}: not UTF-8 text (byte {:#04x} at offset {at})",
            b[at]
        )));
    }
    let kind = text
        .get_type()
        .name()
        .map_or_else(|_| "?".to_owned(), |n| n.to_string());
    Err(InvalidParameterError::new_err(format!(
        "invalid parameter text: expected the rule file's text (str or bytes), got {kind}"
    )))
}

/// The date `day` days after 1970-01-01, if chrono holds it.
fn date_of_day(day: i64) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(1970, 1, 1)?.checked_add_signed(chrono::TimeDelta::try_days(day)?)
}

/// Evaluates `rules` over `n` customers whose fields are `columns` (name →
/// float64 array, NaN = missing) and tiers; history rows are customer row
/// indices (`u32::MAX`: a customer not evaluated) and local days. Returns
/// (customers table, decisions table, history counts: in the window, before
/// it, after today, of customers not evaluated).
#[pyfunction]
#[pyo3(signature = (rules, n, columns, tiers, history_rows, history_days, today))]
#[allow(clippy::too_many_arguments)]
pub fn lifecycle_evaluate(
    py: Python<'_>,
    rules: PyRef<'_, PyRuleSet>,
    n: usize,
    columns: HashMap<String, PyReadonlyArray1<'_, f64>>,
    tiers: Option<Vec<String>>,
    history_rows: PyReadonlyArray1<'_, u32>,
    history_days: PyReadonlyArray1<'_, i64>,
    today: i64,
) -> PyResult<(PyTable, PyTable, HistoryRows)> {
    guard(|| -> PyResult<_> {
        let mut states = CustomerStates::new(n);
        for (name, values) in &columns {
            let field = name.parse::<Field>().map_err(|_| {
                InvalidParameterError::new_err(format!(
                    "invalid parameter columns: unknown field {name:?}"
                ))
            })?;
            states = states
                .with(field, values.as_slice()?.to_vec())
                .map_err(lifecycle_to_py)?;
        }
        if let Some(t) = &tiers {
            states = states.with_tiers(t).map_err(lifecycle_to_py)?;
        }
        // Day numbers beyond the dates chrono holds (about ±262,000 years)
        // are clamped to its first or last date: still after `today` (a
        // date of years 1 to 9999), or before it and before the window,
        // as they were, unless the window reaches back beyond chrono's
        // first date (a window of more than 95 million days).
        let history = ContactHistory::new(
            history_rows.as_slice()?.to_vec(),
            history_days
                .as_slice()?
                .iter()
                .map(|&d| {
                    date_of_day(d).unwrap_or(if d < 0 {
                        NaiveDate::MIN
                    } else {
                        NaiveDate::MAX
                    })
                })
                .collect(),
        )
        .map_err(lifecycle_to_py)?;
        let today = date_of_day(today).ok_or_else(|| {
            InvalidParameterError::new_err(format!(
                "invalid parameter today: day {today} (days since 1970-01-01) is out of range"
            ))
        })?;
        let rules = &rules.inner;
        // The tables are built without the GIL too: explanations of millions
        // of decisions take a while.
        let (cust, dec, counts) = run(py, |token| {
            let decisions = Lifecycle::params()
                .rules(rules.clone())
                .interrupt(token.clone())
                .score(&states, &history, today)
                .map_err(lifecycle_to_py)?;
            let mut cust = TableBuilder::default();
            let stage_names: Vec<&str> = (0..n).map(|i| decisions.stage(i).name()).collect();
            cust.push("stage", out::strings_from(stage_names.iter().copied()));
            cust.push(
                "moment",
                out::strings_from((0..n).map(|i| decisions.moment(i).name())),
            );
            cust.push(
                "channel",
                out::strings_from((0..n).map(|i| decisions.channel(i))),
            );
            let joined = |kept: bool| -> Vec<String> {
                (0..n)
                    .map(|i| {
                        decisions
                            .decisions(i)
                            .iter()
                            .filter(|d| d.kept == kept)
                            .map(|d| rules.rule(d.rule as usize).action.as_str())
                            .collect::<Vec<_>>()
                            .join("; ")
                    })
                    .collect()
            };
            let actions = joined(true);
            let suppressed = joined(false);
            cust.push(
                "actions",
                out::strings_from(actions.iter().map(String::as_str)),
            );
            cust.push(
                "suppressed",
                out::strings_from(suppressed.iter().map(String::as_str)),
            );
            cust.push(
                "contacts_in_window",
                out::i64_array((0..n).map(|i| i64::from(decisions.contacts_in_window(i)))),
            );
            let mut rows = Vec::new();
            let mut rule_names = Vec::new();
            let mut action_names = Vec::new();
            let mut channels = Vec::new();
            let mut costs = Vec::new();
            let mut kept = Vec::new();
            let mut why = Vec::new();
            for i in 0..n {
                if i % (1 << 16) == 0 {
                    token.check().map_err(|e| core_to_py(&e))?;
                }
                for d in decisions.decisions(i) {
                    let r = rules.rule(d.rule as usize);
                    rows.push(i as i64);
                    rule_names.push(r.name.as_str());
                    action_names.push(r.action.as_str());
                    channels.push(rules.action_channel(&decisions, i, d.rule));
                    costs.push(r.cost);
                    kept.push(Some(d.kept));
                    why.push(decisions.explain(rules, &states, i, *d));
                }
            }
            let mut dec = TableBuilder::default();
            dec.push("row", out::i64_array(rows));
            dec.push("rule", out::strings_from(rule_names));
            dec.push("action", out::strings_from(action_names));
            dec.push("channel", out::strings_from(channels));
            dec.push("cost", out::f64_array(&costs));
            dec.push("kept", out::opt_bool_array(kept));
            dec.push(
                "explanation",
                out::strings_from(why.iter().map(String::as_str)),
            );
            let h = decisions.history_counts();
            let counts = (h.in_window, h.before_window, h.after_today, h.not_evaluated);
            Ok::<_, PyErr>((cust, dec, counts))
        })?;
        Ok((cust.into_py_table()?, dec.into_py_table()?, counts))
    })
}

/// Behaviour change per customer (ordered by id): frequency_change,
/// spend_change, reactivated, from a transaction table; and the row counts
/// (read, on or after `today`).
#[pyfunction]
#[pyo3(signature = (table, *, customer, timestamp, amount, today, window_days = 90, timezone = None))]
#[allow(clippy::too_many_arguments)]
pub fn behaviour_change(
    py: Python<'_>,
    table: PyTable,
    customer: &str,
    timestamp: &str,
    amount: &str,
    today: &str,
    window_days: u32,
    timezone: Option<&str>,
) -> PyResult<(PyTable, (u64, u64))> {
    guard(|| -> PyResult<_> {
        let day = chrono::NaiveDate::parse_from_str(today, "%Y-%m-%d").map_err(|_| {
            InvalidParameterError::new_err(format!(
                "invalid parameter today: expected a date (YYYY-MM-DD), got {today:?}"
            ))
        })?;
        let names = crate::tx_in::TransactionColumns {
            customer,
            timestamp,
            amount,
        };
        let (batches, schema) = table.into_inner();
        let rows_read = batches
            .iter()
            .map(arrow_array::RecordBatch::num_rows)
            .sum::<usize>() as u64;
        let (index, change) = run(py, |token| {
            (|| -> crate::error::BindResult<_> {
                let mut tx =
                    crate::tx_in::read_transactions(&batches, &schema, &names, timezone, token)?;
                token.check()?;
                let view = tx.view()?;
                let change = ciblage_lifecycle::Behaviour::params()
                    .window_days(window_days)
                    .interrupt(token.clone())
                    .score(view, day)
                    .map_err(|e| match e {
                        ciblage_lifecycle::LifecycleError::Core(c) => c,
                        e => ciblage::CiblageError::InvalidParameter {
                            name: "window_days",
                            reason: e.to_string(),
                        },
                    })?;
                Ok((std::mem::take(&mut tx.index), change))
            })()
            .map_err(|e| names.name(e))
        })?;
        let order = index.sorted_codes();
        let pick = |v: &[f64]| order.iter().map(|&c| v[c as usize]).collect::<Vec<f64>>();
        let mut t = TableBuilder::default();
        t.push("customer_id", out::ids_array(&index.ids().gather(&order)));
        t.push(
            "frequency_change",
            out::f64_array(&pick(&change.frequency_change)),
        );
        t.push("spend_change", out::f64_array(&pick(&change.spend_change)));
        t.push("reactivated", out::f64_array(&pick(&change.reactivated)));
        Ok((t.into_py_table()?, (rows_read, change.rows_after_today)))
    })
}
