//! `ciblage.SegmentTable`: named segments over R, F and M scores.

use ciblage::{CiblageError, SegmentRule, SegmentTable};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyString};

use crate::error::core_to_py;
use crate::run::guard;

/// An ordered table of segments over R, F and M scores; the first rule that
/// matches a customer names it, and the others get the fallback name.
///
/// Build it with `SegmentTable.classic()`, `SegmentTable.from_json(text)`,
/// `SegmentTable.from_toml(text)` or `SegmentTable(rules, fallback="Others")`
/// where each rule is `(name, (r_low, r_high), (f_low, f_high), (m_low, m_high))`.
#[pyclass(module = "ciblage._native", name = "SegmentTable", frozen)]
#[derive(Clone)]
pub struct PySegmentTable {
    pub(crate) table: SegmentTable,
}

type RuleTuple = (String, (u8, u8), (u8, u8), (u8, u8));

/// A Python integer (numpy integers included; bools, floats and strings
/// refused) within `low..=high`, or `None`.
fn small_int(obj: &Bound<'_, PyAny>, low: u8, high: u8) -> Option<u8> {
    if obj.is_instance_of::<PyBool>() || obj.get_type().name().ok()? == "bool" {
        return None;
    }
    let v: i64 = obj.extract().ok()?;
    u8::try_from(v).ok().filter(|v| (low..=high).contains(v))
}

/// A score parameter (`bins`, `r`, …) as an integer in `low..=high`.
fn score_param(obj: &Bound<'_, PyAny>, name: &'static str, low: u8, high: u8) -> PyResult<u8> {
    small_int(obj, low, high).ok_or_else(|| {
        core_to_py(&CiblageError::param(
            name,
            format!(
                "expected an integer from {low} to {high}, got {}",
                repr(obj)
            ),
        ))
    })
}

fn repr(obj: &Bound<'_, PyAny>) -> String {
    obj.repr()
        .map_or_else(|_| "an unprintable value".into(), |r| r.to_string())
}

fn string_param(obj: &Bound<'_, PyAny>, name: &'static str) -> PyResult<String> {
    obj.extract::<String>().map_err(|_| {
        core_to_py(&CiblageError::param(
            name,
            format!("expected a string, got {}", repr(obj)),
        ))
    })
}

/// One rule `(name, (r_low, r_high), (f_low, f_high), (m_low, m_high))`.
fn rule_of(i: usize, item: &Bound<'_, PyAny>) -> PyResult<SegmentRule> {
    let bad = |what: String| {
        core_to_py(&CiblageError::InvalidSegmentTable(format!(
            "rule {i}: {what}"
        )))
    };
    let shape = "expected (name, (r_low, r_high), (f_low, f_high), (m_low, m_high))";
    let parts: Vec<Bound<'_, PyAny>> = match item.extract() {
        Ok(p) if !item.is_instance_of::<PyString>() => p,
        _ => return Err(bad(format!("{shape}, got {}", repr(item)))),
    };
    let [name, ranges @ ..] = &parts[..] else {
        return Err(bad(format!("{shape}, got {}", repr(item))));
    };
    let name: String = name
        .extract()
        .map_err(|_| bad(format!("name: expected a string, got {}", repr(name))))?;
    if ranges.len() != 3 {
        return Err(bad(format!("{shape}, got {}", repr(item))));
    }
    let mut bounds = [[0u8; 2]; 3];
    for ((field, range), out) in ["recency", "frequency", "monetary"]
        .iter()
        .zip(ranges)
        .zip(&mut bounds)
    {
        let pair: Vec<Bound<'_, PyAny>> = range
            .extract()
            .ok()
            .filter(|p: &Vec<_>| p.len() == 2 && !range.is_instance_of::<PyString>())
            .ok_or_else(|| {
                bad(format!(
                    "{name:?} {field}: expected (low, high), got {}",
                    repr(range)
                ))
            })?;
        for (v, o) in pair.iter().zip(out.iter_mut()) {
            *o = small_int(v, 0, u8::MAX).ok_or_else(|| {
                bad(format!(
                    "{name:?} {field}: expected integer scores from 1 to 9, got {}",
                    repr(range)
                ))
            })?;
        }
    }
    let [r, f, m] = bounds;
    SegmentRule::new(&name, r, f, m).map_err(|e| core_to_py(&e))
}

#[pymethods]
impl PySegmentTable {
    #[new]
    #[pyo3(signature = (rules, *, fallback = None), text_signature = "(rules, *, fallback='Others')")]
    fn new(rules: &Bound<'_, PyAny>, fallback: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        guard(|| -> PyResult<_> {
            let fallback =
                fallback.map_or(Ok("Others".to_owned()), |f| string_param(f, "fallback"))?;
            if rules.is_instance_of::<PyString>() || rules.is_instance_of::<PyDict>() {
                return Err(core_to_py(&CiblageError::param(
                    "rules",
                    format!("expected a list of rule tuples, got {}", repr(rules)),
                )));
            }
            let items = rules.try_iter().map_err(|_| {
                core_to_py(&CiblageError::param(
                    "rules",
                    format!("expected a list of rule tuples, got {}", repr(rules)),
                ))
            })?;
            let rules = items
                .enumerate()
                .map(|(i, item)| rule_of(i, &item?))
                .collect::<PyResult<Vec<_>>>()?;
            let table = SegmentTable::new(rules, &fallback).map_err(|e| core_to_py(&e))?;
            Ok(Self { table })
        })
    }

    /// The classic 11-segment table of R `rfm` (Champions … Lost, "Others").
    #[staticmethod]
    fn classic() -> Self {
        Self {
            table: SegmentTable::classic(),
        }
    }

    /// Reads a table from JSON text.
    #[staticmethod]
    fn from_json(text: &Bound<'_, PyAny>) -> PyResult<Self> {
        guard(|| -> PyResult<_> {
            SegmentTable::from_json(&string_param(text, "text")?)
                .map(|table| Self { table })
                .map_err(|e| core_to_py(&e))
        })
    }

    /// Reads a table from TOML text.
    #[staticmethod]
    fn from_toml(text: &Bound<'_, PyAny>) -> PyResult<Self> {
        guard(|| -> PyResult<_> {
            SegmentTable::from_toml(&string_param(text, "text")?)
                .map(|table| Self { table })
                .map_err(|e| core_to_py(&e))
        })
    }

    /// The table as JSON text.
    fn to_json(&self) -> PyResult<String> {
        guard(|| Ok::<_, PyErr>(self.table.to_json()))
    }

    /// The table as TOML text.
    fn to_toml(&self) -> PyResult<String> {
        guard(|| Ok::<_, PyErr>(self.table.to_toml()))
    }

    /// Segment names: the rules' in order, then the fallback.
    #[getter]
    fn names(&self) -> Vec<String> {
        self.table.names().into_iter().map(str::to_owned).collect()
    }

    /// The rules as `(name, (r_low, r_high), (f_low, f_high), (m_low, m_high))`.
    #[getter]
    fn rules(&self) -> Vec<RuleTuple> {
        self.table
            .rules()
            .iter()
            .map(|r| {
                (
                    r.name.clone(),
                    (r.recency.low(), r.recency.high()),
                    (r.frequency.low(), r.frequency.high()),
                    (r.monetary.low(), r.monetary.high()),
                )
            })
            .collect()
    }

    /// The fallback name.
    #[getter]
    fn fallback(&self) -> String {
        self.table.fallback().to_owned()
    }

    /// Name of the segment of scores `(r, f, m)`, each from 1 to 9.
    fn name_of(
        &self,
        r: &Bound<'_, PyAny>,
        f: &Bound<'_, PyAny>,
        m: &Bound<'_, PyAny>,
    ) -> PyResult<String> {
        guard(|| -> PyResult<_> {
            let (r, f, m) = (
                score_param(r, "r", 1, 9)?,
                score_param(f, "f", 1, 9)?,
                score_param(m, "m", 1, 9)?,
            );
            Ok(self.table.name_of(r, f, m).to_owned())
        })
    }

    /// Gaps and dead rules on a `bins`-class scale: a dict with `uncovered`
    /// (score cells no rule matches) and `unreachable` (rules that never win).
    #[pyo3(signature = (bins = None), text_signature = "(self, bins=5)")]
    fn coverage<'py>(
        &self,
        py: Python<'py>,
        bins: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        guard(|| -> PyResult<_> {
            let bins = bins.map_or(Ok(5), |b| score_param(b, "bins", 2, 9))?;
            let cov = self.table.coverage(bins).map_err(|e| core_to_py(&e))?;
            let d = PyDict::new(py);
            d.set_item("uncovered", cov.uncovered)?;
            d.set_item("unreachable", cov.unreachable)?;
            Ok(d)
        })
    }

    fn __eq__(&self, other: &Self) -> bool {
        self.table == other.table
    }

    /// Tables are immutable: equal tables hash alike (their JSON form).
    fn __hash__(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.table.to_json().hash(&mut h);
        h.finish()
    }

    fn __repr__(&self) -> PyResult<String> {
        guard(|| {
            Ok::<_, PyErr>(format!(
                "SegmentTable({} segments, fallback={:?})",
                self.table.rules().len(),
                self.table.fallback()
            ))
        })
    }

    /// Notebook display (`ciblage._tables.native_html`).
    fn _repr_html_(slf: &Bound<'_, Self>) -> PyResult<String> {
        native_html(slf.as_any())
    }

    #[allow(clippy::type_complexity)]
    fn __getnewargs_ex__(&self) -> ((Vec<RuleTuple>,), std::collections::HashMap<String, String>) {
        let mut kw = std::collections::HashMap::new();
        kw.insert("fallback".to_owned(), self.table.fallback().to_owned());
        ((self.rules(),), kw)
    }
}

/// The notebook HTML of a native object, made by the Python helper
/// `ciblage._tables.native_html` (one shared look for every result).
///
/// # Errors
/// Whatever the helper raises.
pub(crate) fn native_html(obj: &Bound<'_, PyAny>) -> PyResult<String> {
    obj.py()
        .import("ciblage._tables")?
        .call_method1("native_html", (obj,))?
        .extract()
}
