//! `ciblage._native.basket_count_itemsets`, `basket_itemsets_from_counts`:
//! the second pass of a partitioned (SON) mining of itemsets, for the
//! Spark and Dask adapters of `ciblage.basket`: each partition counts the
//! candidate itemsets exactly, and the summed counts give the frequent
//! itemsets of all the baskets.

use ciblage::basket::{Candidates, FrequentItemsets, ItemsetCount, ItemsetKind, MinSupport};
use ciblage::CiblageError;
use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3_arrow::PyArray;

use crate::basket::{PyItemsets, PyOrderLines};
use crate::error::{BindError, BindResult};
use crate::run::run;

/// Candidates from flat codes and offsets from 0.
fn candidates(items: &[u32], offsets: &[i64]) -> BindResult<Candidates> {
    if offsets.first().is_some_and(|&o| o != 0) {
        return Err(CiblageError::param("candidates", "offsets must start at 0").into());
    }
    let ends = offsets
        .iter()
        .skip(1)
        .map(|&o| usize::try_from(o))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| CiblageError::param("candidates", "negative offset"))?;
    Ok(Candidates::from_flat(items.to_vec(), ends)?)
}

/// Every candidate's count in the baskets of `lines` (candidates: product
/// codes of `lines`, flat, with offsets from 0).
#[pyfunction]
pub fn basket_count_itemsets<'py>(
    py: Python<'py>,
    lines: &Bound<'py, PyOrderLines>,
    items: PyReadonlyArray1<'py, u32>,
    offsets: PyReadonlyArray1<'py, i64>,
) -> PyResult<Bound<'py, PyArray1<u64>>> {
    let sets = candidates(items.as_slice()?, offsets.as_slice()?)?;
    let lines = lines.get();
    let counts = run(py, |token| -> BindResult<_> {
        Ok(ItemsetCount::params()
            .interrupt(token.clone())
            .score(lines.lines(), &sets)?)
    })?;
    Ok(PyArray1::from_vec(py, counts.into_counts()))
}

/// The frequent itemsets among distinct candidates (codes of `products`,
/// flat, with offsets from 0) with their counts over `n_baskets` baskets:
/// a share (`min_support`) or a count (`min_count`; wins when both are
/// given), `kind` "all", "closed" or "maximal".
#[pyfunction]
#[pyo3(signature = (products, items, offsets, counts, n_baskets, *, min_support = None,
                    min_count = None, kind = "all"))]
#[allow(clippy::too_many_arguments)]
pub fn basket_itemsets_from_counts(
    py: Python<'_>,
    products: PyArray,
    items: PyReadonlyArray1<'_, u32>,
    offsets: PyReadonlyArray1<'_, i64>,
    counts: PyReadonlyArray1<'_, u64>,
    n_baskets: usize,
    min_support: Option<f64>,
    min_count: Option<usize>,
    kind: &str,
) -> PyResult<PyItemsets> {
    let sets = candidates(items.as_slice()?, offsets.as_slice()?)?;
    let kind = kind.parse::<ItemsetKind>().map_err(BindError::from)?;
    let support = match (min_support, min_count) {
        (_, Some(c)) => MinSupport::Count(c),
        (Some(s), None) => MinSupport::Share(s),
        (None, None) => {
            return Err(BindError::from(CiblageError::param(
                "min_support",
                "a share or a count is needed",
            ))
            .into())
        }
    };
    let counts = counts.as_slice()?;
    let found = run(py, |_| -> BindResult<_> {
        Ok(FrequentItemsets::from_counts(
            &sets, counts, n_baskets, support, kind,
        )?)
    })?;
    let (products, _) = products.into_inner();
    Ok(PyItemsets::new(found, products))
}
