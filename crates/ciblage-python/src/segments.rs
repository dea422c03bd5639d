//! `ciblage.SegmentTable`: named segments over R, F and M scores.

use ciblage::{SegmentRule, SegmentTable};
use pyo3::prelude::*;
use pyo3::types::PyDict;

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

#[pymethods]
impl PySegmentTable {
    #[new]
    #[pyo3(signature = (rules, *, fallback = "Others"))]
    fn new(rules: Vec<RuleTuple>, fallback: &str) -> PyResult<Self> {
        guard(|| -> PyResult<_> {
            let rules = rules
                .into_iter()
                .map(|(name, r, f, m)| SegmentRule::new(&name, [r.0, r.1], [f.0, f.1], [m.0, m.1]))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| core_to_py(&e))?;
            let table = SegmentTable::new(rules, fallback).map_err(|e| core_to_py(&e))?;
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
    fn from_json(text: &str) -> PyResult<Self> {
        guard(|| -> PyResult<_> {
            SegmentTable::from_json(text)
                .map(|table| Self { table })
                .map_err(|e| core_to_py(&e))
        })
    }

    /// Reads a table from TOML text.
    #[staticmethod]
    fn from_toml(text: &str) -> PyResult<Self> {
        guard(|| -> PyResult<_> {
            SegmentTable::from_toml(text)
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

    /// Name of the segment of scores `(r, f, m)`.
    fn name_of(&self, r: u8, f: u8, m: u8) -> PyResult<String> {
        guard(|| Ok::<_, PyErr>(self.table.name_of(r, f, m).to_owned()))
    }

    /// Gaps and dead rules on a `bins`-class scale: a dict with `uncovered`
    /// (score cells no rule matches) and `unreachable` (rules that never win).
    #[pyo3(signature = (bins = 5))]
    fn coverage<'py>(&self, py: Python<'py>, bins: u8) -> PyResult<Bound<'py, PyDict>> {
        guard(|| -> PyResult<_> {
            let cov = self.table.coverage(bins.min(9));
            let d = PyDict::new(py);
            d.set_item("uncovered", cov.uncovered)?;
            d.set_item("unreachable", cov.unreachable)?;
            Ok(d)
        })
    }

    fn __eq__(&self, other: &Self) -> bool {
        self.table == other.table
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

    #[allow(clippy::type_complexity)]
    fn __getnewargs_ex__(&self) -> ((Vec<RuleTuple>,), std::collections::HashMap<String, String>) {
        let mut kw = std::collections::HashMap::new();
        kw.insert("fallback".to_owned(), self.table.fallback().to_owned());
        ((self.rules(),), kw)
    }
}
