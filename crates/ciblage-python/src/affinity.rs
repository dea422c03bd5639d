//! `ciblage._native` affinity by segment, keep report and next-best
//! product (conversion only; see `ciblage._affinity`).

use ciblage::basket::{
    AffinityLines, AffinityTable, CandidateRule, Correction, Keep, NextBest, NextBestRank,
    PValueTest, PurchaseHistory, SegmentAffinity,
};
use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::error::{BindError, BindResult};
use crate::run::{guard, run_reporting};

/// An affinity table computed by the core.
#[pyclass(module = "ciblage._native", name = "AffinityTable", frozen)]
pub struct PyAffinityTable {
    inner: AffinityTable,
}

/// Affinity of each segment for each product from order lines given as
/// codes: `customer` indexes `segments` (a segment code per customer, -1
/// for none), `product` codes `0..products`; `test` "fisher" or "chi2".
#[pyfunction]
#[pyo3(signature = (customer, product, amount, segments, cost = None, *, test = "fisher", correction = "none", progress = None))]
#[allow(clippy::too_many_arguments)]
pub fn segment_affinity(
    py: Python<'_>,
    customer: PyReadonlyArray1<'_, u32>,
    product: PyReadonlyArray1<'_, u32>,
    amount: PyReadonlyArray1<'_, f64>,
    segments: PyReadonlyArray1<'_, i64>,
    cost: Option<PyReadonlyArray1<'_, f64>>,
    test: &str,
    correction: &str,
    progress: Option<Bound<'_, PyAny>>,
) -> PyResult<PyAffinityTable> {
    let test: PValueTest = test.parse().map_err(BindError::from)?;
    let correction: Correction = correction.parse().map_err(BindError::from)?;
    let labels: Vec<Option<u32>> = segments
        .as_array()
        .iter()
        .map(|&s| u32::try_from(s).ok())
        .collect();
    let (c, p, a) = (
        customer.as_slice()?,
        product.as_slice()?,
        amount.as_slice()?,
    );
    let k = cost.as_ref().map(|k| k.as_slice()).transpose()?;
    let inner = run_reporting(py, progress.as_ref(), |token| -> BindResult<_> {
        let mut lines = AffinityLines::new(c, p, a);
        if let Some(k) = k {
            lines = lines.with_cost(k);
        }
        Ok(SegmentAffinity::params()
            .test(test)
            .correction(correction)
            .interrupt(token.clone())
            .score(&lines, &labels)?)
    })?;
    Ok(PyAffinityTable { inner })
}

#[pymethods]
impl PyAffinityTable {
    /// Segment totals, product totals, the cells (product-major, flat) and
    /// the report, as a dict of numpy arrays and ints.
    fn columns<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let t = &self.inner;
        let out = PyDict::new(py);
        let u = |v: Vec<u64>| PyArray1::from_vec(py, v.into_iter().map(|x| x as i64).collect());
        out.set_item(
            "segment_customers",
            u(t.segments.iter().map(|s| s.customers).collect()),
        )?;
        out.set_item(
            "segment_buyers",
            u(t.segments.iter().map(|s| s.buyers).collect()),
        )?;
        let f = |v: Vec<f64>| PyArray1::from_vec(py, v);
        out.set_item(
            "segment_revenue",
            f(t.segments.iter().map(|s| s.revenue).collect()),
        )?;
        out.set_item(
            "segment_margin",
            f(t.segments.iter().map(|s| s.margin).collect()),
        )?;
        out.set_item(
            "product_buyers",
            u(t.products.iter().map(|s| s.buyers).collect()),
        )?;
        out.set_item(
            "product_revenue",
            f(t.products.iter().map(|s| s.revenue).collect()),
        )?;
        out.set_item(
            "product_margin",
            f(t.products.iter().map(|s| s.margin).collect()),
        )?;
        out.set_item("buyers", u(t.cells.iter().map(|c| c.buyers).collect()))?;
        out.set_item(
            "penetration",
            f(t.cells.iter().map(|c| c.penetration).collect()),
        )?;
        out.set_item("lift", f(t.cells.iter().map(|c| c.lift).collect()))?;
        out.set_item("revenue", f(t.cells.iter().map(|c| c.revenue).collect()))?;
        out.set_item("margin", f(t.cells.iter().map(|c| c.margin).collect()))?;
        out.set_item(
            "revenue_share",
            f(t.cells.iter().map(|c| c.revenue_share).collect()),
        )?;
        out.set_item(
            "margin_share",
            f(t.cells.iter().map(|c| c.margin_share).collect()),
        )?;
        out.set_item("p_value", f(t.cells.iter().map(|c| c.p_value).collect()))?;
        out.set_item(
            "p_adjusted",
            f(t.cells.iter().map(|c| c.p_adjusted).collect()),
        )?;
        out.set_item("has_margin", t.has_margin)?;
        let r = &t.report;
        out.set_item("lines_read", r.lines_read)?;
        out.set_item("lines_without_segment", r.lines_without_segment)?;
        out.set_item("customers_without_segment", r.customers_without_segment)?;
        out.set_item("customers_without_lines", r.customers_without_lines)?;
        Ok(out)
    }

    /// The keep report as a dict: `ranking`, `values` and the row columns.
    #[pyo3(signature = (*, max_margin_rate, min_lift, alpha, top_segments, segment_value = None))]
    fn keep<'py>(
        &self,
        py: Python<'py>,
        max_margin_rate: f64,
        min_lift: f64,
        alpha: f64,
        top_segments: Option<usize>,
        segment_value: Option<Vec<f64>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let report = guard(|| -> BindResult<_> {
            let mut params = Keep::params()
                .max_margin_rate(max_margin_rate)
                .min_lift(min_lift)
                .alpha(alpha)
                .top_segments(top_segments);
            if let Some(v) = segment_value {
                params = params.segment_value(v);
            }
            Ok(params.score(&self.inner)?)
        })?;
        let out = PyDict::new(py);
        let rows = &report.rows;
        let f = |g: fn(&ciblage::basket::KeepRow) -> f64| {
            PyArray1::from_vec(py, rows.iter().map(g).collect())
        };
        out.set_item("ranking", PyArray1::from_vec(py, report.ranking.clone()))?;
        out.set_item("values", PyArray1::from_vec(py, report.values.clone()))?;
        out.set_item(
            "product",
            PyArray1::from_vec(py, rows.iter().map(|r| r.product).collect()),
        )?;
        out.set_item(
            "segment",
            PyArray1::from_vec(py, rows.iter().map(|r| r.segment).collect()),
        )?;
        out.set_item(
            "segment_rank",
            PyArray1::from_vec(py, rows.iter().map(|r| r.segment_rank as i64).collect()),
        )?;
        out.set_item("segment_value", f(|r| r.segment_value))?;
        out.set_item("margin_rate", f(|r| r.margin_rate))?;
        out.set_item("margin", f(|r| r.margin))?;
        out.set_item("revenue", f(|r| r.revenue))?;
        out.set_item("penetration", f(|r| r.penetration))?;
        out.set_item("base_penetration", f(|r| r.base_penetration))?;
        out.set_item("lift", f(|r| r.lift))?;
        out.set_item("p_adjusted", f(|r| r.p_adjusted))?;
        out.set_item("revenue_share", f(|r| r.revenue_share))?;
        Ok(out)
    }
}

/// At most `k` products per customer from the rules matching his history,
/// as a dict of columns (`customer`, `rank`, `product`, `score`,
/// `confidence`, `lift`, `rule`) and counts.
#[pyfunction]
#[pyo3(signature = (customer, product, antecedents, consequents, confidence, lift, *, k = 3,
                    rank = "lift_confidence", margins = None, progress = None))]
#[allow(clippy::too_many_arguments)]
pub fn next_best_products<'py>(
    py: Python<'py>,
    customer: PyReadonlyArray1<'_, u32>,
    product: PyReadonlyArray1<'_, u32>,
    antecedents: Vec<Vec<u32>>,
    consequents: Vec<Vec<u32>>,
    confidence: Vec<f64>,
    lift: Vec<f64>,
    k: usize,
    rank: &str,
    margins: Option<Vec<f64>>,
    progress: Option<Bound<'_, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let rank: NextBestRank = rank.parse().map_err(BindError::from)?;
    let n = antecedents.len();
    if consequents.len() != n || confidence.len() != n || lift.len() != n {
        return Err(BindError::from(ciblage::CiblageError::LengthMismatch {
            argument: "rules".into(),
            expected: n,
            got: consequents.len().min(confidence.len()).min(lift.len()),
        })
        .into());
    }
    let rules: Vec<CandidateRule> = antecedents
        .into_iter()
        .zip(consequents)
        .zip(confidence.into_iter().zip(lift))
        .map(
            |((antecedent, consequent), (confidence, lift))| CandidateRule {
                antecedent,
                consequent,
                confidence,
                lift,
            },
        )
        .collect();
    let (c, p) = (customer.as_slice()?, product.as_slice()?);
    let table = run_reporting(py, progress.as_ref(), |token| -> BindResult<_> {
        let mut params = NextBest::params().k(k).rank(rank).interrupt(token.clone());
        if let Some(m) = margins {
            params = params.margins(m);
        }
        Ok(params.score(&PurchaseHistory::new(c, p), &rules)?)
    })?;
    let rows = &table.rows;
    let out = PyDict::new(py);
    out.set_item(
        "customer",
        PyArray1::from_vec(py, rows.iter().map(|r| r.customer).collect()),
    )?;
    out.set_item(
        "rank",
        PyArray1::from_vec(py, rows.iter().map(|r| r.rank).collect()),
    )?;
    out.set_item(
        "product",
        PyArray1::from_vec(py, rows.iter().map(|r| r.product).collect()),
    )?;
    out.set_item(
        "score",
        PyArray1::from_vec(py, rows.iter().map(|r| r.score).collect()),
    )?;
    out.set_item(
        "confidence",
        PyArray1::from_vec(py, rows.iter().map(|r| r.confidence).collect()),
    )?;
    out.set_item(
        "lift",
        PyArray1::from_vec(py, rows.iter().map(|r| r.lift).collect()),
    )?;
    out.set_item(
        "rule",
        PyArray1::from_vec(py, rows.iter().map(|r| r.rule).collect()),
    )?;
    out.set_item("customers", table.customers)?;
    out.set_item(
        "customers_without_candidates",
        table.customers_without_candidates,
    )?;
    Ok(out)
}
