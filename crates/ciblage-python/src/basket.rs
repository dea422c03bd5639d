//! `ciblage._native.OrderLines`, `FrequentItemsets`: order lines grouped
//! into baskets (built by `basket_lines_builder`, see `basket_build`),
//! FP-growth itemsets and association rules, for the glue of
//! `ciblage.basket`.

use arrow_array::ArrayRef;
use ciblage::basket::{
    AssociationRules, Consequents, Correction, FpGrowth, FpGrowthParams, FrequentItemsets,
    ItemsetKind, Metric, OrderLines, PValueTest, Rules,
};
use ciblage::CiblageError;
use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3_arrow::{PyArray, PyTable};

use crate::arrow_out::{self as out, TableBuilder};
use crate::error::{BindError, BindResult};
use crate::run::{guard, run, run_reporting};

/// Baskets of order lines, with the product ids by product code.
#[pyclass(module = "ciblage._native", name = "OrderLines", frozen)]
pub struct PyOrderLines {
    inner: OrderLines,
    products: ArrayRef,
}

fn parse<T: std::str::FromStr<Err = CiblageError>>(s: &str) -> BindResult<T> {
    Ok(s.parse::<T>()?)
}

/// FP-growth's parameters from the binding's keywords (one place for
/// `OrderLines.fpgrowth` and the per-segment `SegmentLines.fpgrowth`): a
/// count wins over a share when both are given.
pub(crate) fn fpgrowth_params(
    min_support: Option<f64>,
    min_count: Option<usize>,
    max_len: Option<usize>,
    kind: &str,
    items: Option<Vec<u32>>,
    exclude: Option<Vec<u32>>,
) -> BindResult<FpGrowthParams> {
    let params = FpGrowth::params()
        .max_len(max_len)
        .kind(parse::<ItemsetKind>(kind)?)
        .items(items)
        .exclude(exclude.unwrap_or_default());
    Ok(match (min_support, min_count) {
        (_, Some(c)) => params.min_count(c),
        (Some(s), None) => params.min_support(s),
        (None, None) => params,
    })
}

impl PyOrderLines {
    /// Baskets with the product ids by product code.
    pub(crate) fn new(inner: OrderLines, products: ArrayRef) -> Self {
        Self { inner, products }
    }

    /// The baskets.
    pub(crate) fn lines(&self) -> &OrderLines {
        &self.inner
    }
}

#[pymethods]
impl PyOrderLines {
    /// The number of baskets.
    fn __len__(&self) -> usize {
        self.inner.len()
    }

    /// The number of distinct products.
    #[getter]
    fn n_products(&self) -> usize {
        self.products.len()
    }

    /// The product ids, by product code.
    fn products(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(PyArray::from_array_ref(self.products.clone())
            .to_pyarrow(py)?
            .unbind())
    }

    /// Frequent itemsets by FP-growth: a share (`min_support`) or a count
    /// (`min_count`), `kind` "all", "closed" or "maximal", `items` /
    /// `exclude` product codes.
    #[pyo3(signature = (*, min_support = None, min_count = None, max_len = None, kind = "all",
                        items = None, exclude = None, progress = None))]
    #[allow(clippy::too_many_arguments)]
    fn fpgrowth(
        &self,
        py: Python<'_>,
        min_support: Option<f64>,
        min_count: Option<usize>,
        max_len: Option<usize>,
        kind: &str,
        items: Option<Vec<u32>>,
        exclude: Option<Vec<u32>>,
        progress: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyItemsets> {
        let params = fpgrowth_params(min_support, min_count, max_len, kind, items, exclude)?;
        params.clone().check().map_err(BindError::from)?;
        let inner = run_reporting(py, progress, |token| -> BindResult<_> {
            Ok(params.interrupt(token.clone()).score(&self.inner)?)
        })?;
        Ok(PyItemsets {
            inner,
            products: self.products.clone(),
        })
    }
}

/// Frequent itemsets with the product ids they are coded on.
#[pyclass(module = "ciblage._native", name = "FrequentItemsets", frozen)]
pub struct PyItemsets {
    inner: FrequentItemsets,
    products: ArrayRef,
}

impl PyItemsets {
    /// Itemsets with the product ids they are coded on.
    pub(crate) fn new(inner: FrequentItemsets, products: ArrayRef) -> Self {
        Self { inner, products }
    }
}

/// Flat codes as a numpy array and the ends as offsets from 0 (for an
/// Arrow list array).
fn flat_arrays<'py>(
    py: Python<'py>,
    items: &[u32],
    ends: &[usize],
) -> (Bound<'py, PyArray1<u32>>, Bound<'py, PyArray1<i64>>) {
    let offsets: Vec<i64> = std::iter::once(0)
        .chain(ends.iter().map(|&e| e as i64))
        .collect();
    (
        PyArray1::from_slice(py, items),
        PyArray1::from_vec(py, offsets),
    )
}

/// The parts of a rules table: antecedent codes and offsets, consequent
/// codes and offsets, the counts and measures.
pub(crate) type RulesParts<'py> = (
    Bound<'py, PyArray1<u32>>,
    Bound<'py, PyArray1<i64>>,
    Bound<'py, PyArray1<u32>>,
    Bound<'py, PyArray1<i64>>,
    PyTable,
);

#[pymethods]
impl PyItemsets {
    /// The number of itemsets.
    fn __len__(&self) -> usize {
        self.inner.len()
    }

    /// The number of baskets mined.
    #[getter]
    fn n_baskets(&self) -> usize {
        self.inner.n_baskets()
    }

    /// The least count of a frequent itemset.
    #[getter]
    fn min_count(&self) -> u64 {
        self.inner.min_count()
    }

    /// "all", "closed" or "maximal".
    #[getter]
    fn kind(&self) -> &'static str {
        match self.inner.kind() {
            ItemsetKind::All => "all",
            ItemsetKind::Closed => "closed",
            ItemsetKind::Maximal => "maximal",
        }
    }

    /// The product ids, by product code.
    fn products(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(PyArray::from_array_ref(self.products.clone())
            .to_pyarrow(py)?
            .unbind())
    }

    /// Item codes (flat), list offsets, counts.
    #[allow(clippy::type_complexity)]
    fn parts<'py>(
        &self,
        py: Python<'py>,
    ) -> (
        Bound<'py, PyArray1<u32>>,
        Bound<'py, PyArray1<i64>>,
        Bound<'py, PyArray1<u64>>,
    ) {
        let (items, ends) = self.inner.flat();
        let (codes, offsets) = flat_arrays(py, items, ends);
        (
            codes,
            offsets,
            PyArray1::from_slice(py, self.inner.counts()),
        )
    }

    /// Association rules: antecedent and consequent codes with their
    /// offsets, and a table of counts, measures and (when a test is given)
    /// p-values.
    #[pyo3(signature = (*, metric = "confidence", min_threshold = 0.8, consequents = "all",
                        p_value = None, correction = "none"))]
    fn rules<'py>(
        &self,
        py: Python<'py>,
        metric: &str,
        min_threshold: f64,
        consequents: &str,
        p_value: Option<&str>,
        correction: &str,
    ) -> PyResult<RulesParts<'py>> {
        let params = AssociationRules::params()
            .metric(parse::<Metric>(metric)?)
            .min_threshold(min_threshold)
            .consequents(parse::<Consequents>(consequents)?)
            .p_value(p_value.map(parse::<PValueTest>).transpose()?)
            .correction(parse::<Correction>(correction)?);
        params.clone().check().map_err(BindError::from)?;
        let rules = run(py, |token| -> BindResult<_> {
            Ok(params.interrupt(token.clone()).score(&self.inner)?)
        })?;
        guard(|| rules_parts(py, std::slice::from_ref(&rules)))
    }
}

/// The parts of the table of several rule sets one after the other
/// (one set: the rules of one mining; several: of each segment).
pub(crate) fn rules_parts<'py>(py: Python<'py>, sets: &[Rules]) -> PyResult<RulesParts<'py>> {
    let (mut a, mut a_ends, mut c, mut c_ends) = (vec![], vec![], vec![], vec![]);
    for rules in sets {
        let (ra, ra_ends, rc, rc_ends) = rules.flat();
        let (a0, c0) = (a.len(), c.len());
        a.extend_from_slice(ra);
        a_ends.extend(ra_ends.iter().map(|&e| e + a0));
        c.extend_from_slice(rc);
        c_ends.extend(rc_ends.iter().map(|&e| e + c0));
    }
    let (a, a_off) = flat_arrays(py, &a, &a_ends);
    let (c, c_off) = flat_arrays(py, &c, &c_ends);
    let mut t = TableBuilder::default();
    for (m, name) in Metric::ALL {
        t.push(
            name,
            out::f64_array(&sets.iter().flat_map(|r| r.column(m)).collect::<Vec<_>>()),
        );
    }
    let tested = sets.iter().all(|r| r.p_values().is_some());
    if tested && !sets.is_empty() {
        let p: Vec<f64> = sets
            .iter()
            .flat_map(|r| r.p_values().unwrap_or_default().to_vec())
            .collect();
        let adj: Vec<f64> = sets
            .iter()
            .flat_map(|r| r.p_values_adjusted().unwrap_or_default().to_vec())
            .collect();
        t.push("p_value", out::f64_array(&p));
        t.push("p_value_adjusted", out::f64_array(&adj));
    }
    let count = |k: usize| {
        out::i64_array(
            sets.iter()
                .flat_map(|r| (0..r.len()).map(move |i| r.counts(i)[k] as i64)),
        )
    };
    t.push("antecedent_count", count(0));
    t.push("consequent_count", count(1));
    t.push("count", count(2));
    Ok((a, a_off, c, c_off, t.into_py_table()?))
}
