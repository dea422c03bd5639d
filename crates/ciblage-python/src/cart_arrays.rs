//! The numpy side of `CartTree`: the feature matrices its `apply` /
//! `decision_path` take, and the read-only arrays its node getters give.

use ciblage::tree::cart::{CscView, CsrView, Features as CoreFeatures, SparseIndex};
use ciblage::CiblageError;
use numpy::{Element, PyArray1, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::prelude::*;

use crate::error::BindError;

/// An index array of a sparse matrix, 32- or 64-bit as scipy holds it.
#[derive(FromPyObject)]
pub(crate) enum IndexArray<'py> {
    /// int32 (scipy's default).
    I32(PyReadonlyArray1<'py, i32>),
    /// int64.
    I64(PyReadonlyArray1<'py, i64>),
}

impl IndexArray<'_> {
    fn index(&self) -> PyResult<SparseIndex<'_>> {
        Ok(match self {
            Self::I32(a) => SparseIndex::I32(a.as_slice()?),
            Self::I64(a) => SparseIndex::I64(a.as_slice()?),
        })
    }
}

/// A sparse matrix as `ciblage._cart_sparse.SparseX` passes it: its
/// layout (`"csc"` or `"csr"`), rows, columns and its three arrays, read in
/// place.
#[derive(FromPyObject)]
pub(crate) struct SparseArrays<'py>(
    String,
    usize,
    usize,
    IndexArray<'py>,
    IndexArray<'py>,
    PyReadonlyArray1<'py, f64>,
);

/// A feature matrix given to the native module: dense (float64 or
/// float32, as scikit-learn's trees take) or sparse.
#[derive(FromPyObject)]
pub(crate) enum Features<'py> {
    /// float64, read in place.
    F64(PyReadonlyArray2<'py, f64>),
    /// float32, read in place.
    F32(PyReadonlyArray2<'py, f32>),
    /// A sparse matrix's arrays, read in place.
    Sparse(SparseArrays<'py>),
}

impl Features<'_> {
    /// Calls `g` with the matrix as the core reads it (a view of the
    /// caller's arrays: float64, float32 or sparse).
    pub(crate) fn with_core<T>(
        &self,
        g: impl FnOnce(CoreFeatures<'_>) -> PyResult<T>,
    ) -> PyResult<T> {
        let bad = |e: CiblageError| PyErr::from(BindError::from(e));
        match self {
            Self::F64(a) => g(a.as_array().into()),
            Self::F32(a) => g(a.as_array().into()),
            Self::Sparse(SparseArrays(layout, n, d, indptr, indices, data)) => {
                let (p, i) = (indptr.index()?, indices.index()?);
                let data = data.as_slice()?;
                match layout.as_str() {
                    "csc" => g(CscView::new(*n, *d, p, i, data).map_err(bad)?.into()),
                    "csr" => g(CsrView::new(*n, *d, p, i, data).map_err(bad)?.into()),
                    other => Err(bad(CiblageError::param(
                        "X",
                        format!("unknown sparse layout {other:?} (expected \"csc\" or \"csr\")"),
                    ))),
                }
            }
        }
    }
}

/// `x` as a float64/float32 matrix, or a sparse matrix (a scipy.sparse
/// matrix or array is read as CSR by `ciblage._cart_sparse.native_rows`);
/// else an `InvalidInputError` (an array that is not 2-D) or a
/// `ColumnTypeError` (another dtype or type), naming `X`.
pub(crate) fn features<'py>(x: &Bound<'py, PyAny>) -> PyResult<Features<'py>> {
    let module = x
        .get_type()
        .module()
        .map(|m| m.to_string())
        .unwrap_or_default();
    if module.starts_with("scipy.sparse") {
        let rows = x
            .py()
            .import("ciblage._cart_sparse")?
            .call_method1("native_rows", (x,))?;
        return rows.extract::<Features<'py>>();
    }
    x.extract::<Features<'py>>()
        .map_err(|_| match x.cast::<numpy::PyUntypedArray>() {
            Ok(a) if a.ndim() != 2 => crate::error::InvalidInputError::new_err(format!(
                "X: expected a 2-D array, got {} dimension(s)",
                a.ndim()
            )),
            Ok(a) => crate::error::ColumnTypeError::new_err(format!(
                "X: expected a 2-D array of float64 or float32, got {}",
                a.dtype()
            )),
            Err(_) => crate::error::ColumnTypeError::new_err(format!(
                "X: expected a 2-D numpy array of float64 or float32, got {}",
                x.get_type()
            )),
        })
}

/// A read-only 1-D numpy array of `values` (as scikit-learn's `tree_`
/// arrays: writing into them would not change the tree).
pub(crate) fn frozen<'py, T: Element>(
    py: Python<'py>,
    values: Vec<T>,
) -> PyResult<Bound<'py, PyArray1<T>>> {
    let a = PyArray1::from_vec(py, values);
    a.getattr("flags")?.setattr("writeable", false)?;
    Ok(a)
}

/// Node indices (`LEAF` = -1 for none) as numpy's `intp`.
pub(crate) fn intp(v: &[i64]) -> Vec<isize> {
    v.iter().map(|&i| i as isize).collect()
}
