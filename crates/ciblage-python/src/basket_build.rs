//! `ciblage._native.basket_lines_builder`: order lines coded batch by batch
//! (order and product ids factorised as they come, optionally a customer
//! code per line), so that reading a stream keeps the coded lines only,
//! never a copy of the input table; then grouped into baskets, for all
//! lines or per customer segment (`SegmentLines`).

use std::sync::Mutex;

use arrow_array::{ArrayRef, RecordBatch};
use ciblage::basket::{
    AssociationRules, Consequents, Correction, ItemsetKind, Metric, OrderLines, PValueTest,
    SegmentBaskets, SegmentRules, SegmentedRules,
};
use ciblage::{CiblageError, CustomerIndex, Interrupt};
use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3_arrow::{PyArray, PyRecordBatch};

use crate::arrow_in;
use crate::arrow_out as out;
use crate::basket::{fpgrowth_params, rules_parts, PyOrderLines, RulesParts};
use crate::error::{BindError, BindResult};
use crate::run::{guard, run, run_reporting};

/// The coded lines absorbed so far.
struct Builder {
    order: String,
    product: String,
    orders: CustomerIndex,
    products: CustomerIndex,
    order_codes: Vec<u32>,
    product_codes: Vec<u32>,
    customer_codes: Vec<u32>,
}

impl Builder {
    fn absorb(&mut self, batch: &RecordBatch, customers: Option<&[u32]>) -> BindResult<()> {
        let schema = batch.schema();
        let batches = std::slice::from_ref(batch);
        for (argument, name, index, codes) in [
            (
                "order",
                &self.order,
                &mut self.orders,
                &mut self.order_codes,
            ),
            (
                "product",
                &self.product,
                &mut self.products,
                &mut self.product_codes,
            ),
        ] {
            let col = arrow_in::column_index(&schema, argument, name)?;
            arrow_in::check_id_type(argument, name, schema.field(col).data_type())?;
            ciblage::arrow::encode_all_ids(index, batches, col, argument, name, codes)?;
        }
        if let Some(c) = customers {
            if c.len() != batch.num_rows() {
                return Err(CiblageError::LengthMismatch {
                    argument: "customer".into(),
                    expected: batch.num_rows(),
                    got: c.len(),
                }
                .into());
            }
            self.customer_codes.extend_from_slice(c);
        }
        Ok(())
    }

    /// Codes renumbered in the order of the ids (integers numerically,
    /// strings byte-wise), so that no output order depends on the order of
    /// the rows; and the ids by code.
    fn ranked(index: &mut CustomerIndex, codes: &mut [u32]) -> ArrayRef {
        let sorted = index.sorted_codes();
        index.release_lookup();
        let mut rank = vec![0u32; sorted.len()];
        for (k, &c) in sorted.iter().enumerate() {
            rank[c as usize] = k as u32;
        }
        for c in codes.iter_mut() {
            *c = rank[*c as usize];
        }
        out::ids_array(&index.ids().gather(&sorted))
    }

    fn finish(&mut self, token: &Interrupt) -> BindResult<(Vec<u32>, Vec<u32>, ArrayRef)> {
        let mut orders = std::mem::take(&mut self.order_codes);
        let mut products = std::mem::take(&mut self.product_codes);
        Self::ranked(&mut self.orders, &mut orders);
        token.check()?;
        let ids = Self::ranked(&mut self.products, &mut products);
        Ok((orders, products, ids))
    }
}

/// Order lines being read batch by batch (see the module documentation).
#[pyclass(module = "ciblage._native", name = "BasketLinesBuilder", frozen)]
pub struct PyLinesBuilder {
    state: Mutex<Builder>,
}

impl PyLinesBuilder {
    fn with<T>(&self, work: impl FnOnce(&mut Builder) -> PyResult<T>) -> PyResult<T> {
        let mut state = self
            .state
            .lock()
            .map_err(|_| BindError::from(CiblageError::param("lines", "used after a failure")))?;
        work(&mut state)
    }
}

/// A builder of order lines read from the columns `order` and `product`.
#[pyfunction]
#[pyo3(signature = (*, order, product))]
pub fn basket_lines_builder(order: &str, product: &str) -> PyLinesBuilder {
    PyLinesBuilder {
        state: Mutex::new(Builder {
            order: order.into(),
            product: product.into(),
            orders: CustomerIndex::named("order"),
            products: CustomerIndex::named("product"),
            order_codes: Vec::new(),
            product_codes: Vec::new(),
            customer_codes: Vec::new(),
        }),
    }
}

#[pymethods]
impl PyLinesBuilder {
    /// Codes one record batch (no null order or product: the glue drops
    /// them first); `customer`: a customer code per row, for
    /// `finish_segments`.
    #[pyo3(signature = (batch, customer = None))]
    fn absorb(
        &self,
        py: Python<'_>,
        batch: PyRecordBatch,
        customer: Option<PyReadonlyArray1<'_, u32>>,
    ) -> PyResult<()> {
        let batch = batch.into_inner();
        let customers = customer.as_ref().map(|c| c.as_slice()).transpose()?;
        self.with(|state| run(py, |_| state.absorb(&batch, customers)))
    }

    /// The lines absorbed grouped into baskets.
    fn finish(&self, py: Python<'_>) -> PyResult<PyOrderLines> {
        self.with(|state| {
            let (inner, products) = run(py, |token| -> BindResult<_> {
                let (orders, products, ids) = state.finish(token)?;
                Ok((OrderLines::from_codes(&orders, &products)?, ids))
            })?;
            Ok(PyOrderLines::new(inner, products))
        })
    }

    /// The lines absorbed grouped into the baskets of each segment, in
    /// one scan: `segments[c]` is customer code `c`'s segment code (-1 for
    /// none).
    fn finish_segments(
        &self,
        py: Python<'_>,
        segments: PyReadonlyArray1<'_, i64>,
    ) -> PyResult<PySegmentLines> {
        let labels: Vec<Option<u32>> = segments
            .as_array()
            .iter()
            .map(|&s| u32::try_from(s).ok())
            .collect();
        self.with(|state| {
            let customers = std::mem::take(&mut state.customer_codes);
            let (inner, products) = run(py, |token| -> BindResult<_> {
                let (orders, products, ids) = state.finish(token)?;
                let b = SegmentBaskets::from_codes(&orders, &products, &customers, &labels)?;
                Ok((b, ids))
            })?;
            Ok(PySegmentLines { inner, products })
        })
    }
}

/// The baskets of each customer segment, with the product ids by code.
#[pyclass(module = "ciblage._native", name = "SegmentLines", frozen)]
pub struct PySegmentLines {
    inner: SegmentBaskets,
    products: ArrayRef,
}

fn parse<T: std::str::FromStr<Err = CiblageError>>(s: &str) -> BindResult<T> {
    Ok(s.parse::<T>()?)
}

#[pymethods]
impl PySegmentLines {
    /// The number of baskets of each segment code.
    fn baskets(&self) -> Vec<usize> {
        (0..self.inner.n_segments())
            .map(|s| self.inner.segment(s).len())
            .collect()
    }

    /// Lines of customers without a segment.
    #[getter]
    fn lines_without_segment(&self) -> u64 {
        self.inner.lines_without_segment()
    }

    /// The product ids, by product code.
    fn products(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(PyArray::from_array_ref(self.products.clone())
            .to_pyarrow(py)?
            .unbind())
    }

    /// Frequent itemsets of every segment (as `OrderLines.fpgrowth`), the
    /// segments mined in parallel.
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
    ) -> PyResult<PySegmentItemsets> {
        let sets = fpgrowth_params(min_support, min_count, max_len, kind, items, exclude)?;
        let params = SegmentRules::params().itemsets(sets);
        params.clone().check().map_err(BindError::from)?;
        let inner = run_reporting(py, progress, |token| -> BindResult<_> {
            Ok(params.interrupt(token.clone()).score(&self.inner)?)
        })?;
        Ok(PySegmentItemsets {
            inner,
            products: self.products.clone(),
        })
    }
}

/// Frequent itemsets of every segment with the product ids they are coded on.
#[pyclass(module = "ciblage._native", name = "SegmentItemsets", frozen)]
pub struct PySegmentItemsets {
    inner: SegmentedRules,
    products: ArrayRef,
}

/// Segment codes, item codes (flat), list offsets, counts, and per segment
/// code its baskets and least count (0 for a segment without basket).
type SegmentParts<'py> = (
    Bound<'py, PyArray1<u32>>,
    Bound<'py, PyArray1<u32>>,
    Bound<'py, PyArray1<i64>>,
    Bound<'py, PyArray1<u64>>,
    Vec<usize>,
    Vec<u64>,
);

#[pymethods]
impl PySegmentItemsets {
    /// "all", "closed" or "maximal".
    #[getter]
    fn kind(&self) -> &'static str {
        let kind = (0..self.inner.n_segments())
            .find_map(|s| self.inner.itemsets(s))
            .map_or(ItemsetKind::All, |i| i.kind());
        match kind {
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

    /// The itemsets of every segment, segment after segment.
    fn parts<'py>(&self, py: Python<'py>) -> SegmentParts<'py> {
        let (mut segs, mut items, mut offsets, mut counts) = (vec![], vec![], vec![0i64], vec![]);
        let (mut baskets, mut min_counts) = (vec![], vec![]);
        for s in 0..self.inner.n_segments() {
            let Some(sets) = self.inner.itemsets(s) else {
                baskets.push(0);
                min_counts.push(0);
                continue;
            };
            baskets.push(sets.n_baskets());
            min_counts.push(sets.min_count());
            for (set, count) in sets.iter() {
                segs.push(s as u32);
                items.extend_from_slice(set);
                offsets.push(items.len() as i64);
                counts.push(count);
            }
        }
        (
            PyArray1::from_vec(py, segs),
            PyArray1::from_vec(py, items),
            PyArray1::from_vec(py, offsets),
            PyArray1::from_vec(py, counts),
            baskets,
            min_counts,
        )
    }

    /// The association rules of every segment (as
    /// `FrequentItemsets.rules`), with the segment code of each rule.
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
    ) -> PyResult<(Bound<'py, PyArray1<u32>>, RulesParts<'py>)> {
        let params = AssociationRules::params()
            .metric(parse::<Metric>(metric)?)
            .min_threshold(min_threshold)
            .consequents(parse::<Consequents>(consequents)?)
            .p_value(p_value.map(parse::<PValueTest>).transpose()?)
            .correction(parse::<Correction>(correction)?);
        params.clone().check().map_err(BindError::from)?;
        let found = run(py, |token| -> BindResult<_> {
            let valid = params.interrupt(token.clone()).check()?;
            let mut found = Vec::new();
            for s in 0..self.inner.n_segments() {
                token.check()?;
                if let Some(sets) = self.inner.itemsets(s) {
                    found.push((s as u32, valid.score(sets)?));
                }
            }
            Ok(found)
        })?;
        guard(|| -> PyResult<_> {
            let segs: Vec<u32> = found
                .iter()
                .flat_map(|(s, r)| std::iter::repeat_n(*s, r.len()))
                .collect();
            let rules: Vec<_> = found.into_iter().map(|(_, r)| r).collect();
            Ok((PyArray1::from_vec(py, segs), rules_parts(py, &rules)?))
        })
    }
}
