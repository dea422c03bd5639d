//! The numpy side of `CartTree`: the feature matrices its `apply` /
//! `decision_path` take, and the read-only arrays its node getters give.

use numpy::ndarray::{CowArray, Ix2};
use numpy::{Element, PyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::prelude::*;

/// A matrix of features as `CartTree.apply` / `decision_path` take it:
/// float64, or float32 (what scikit-learn's `Tree.apply` takes), read as
/// float64 exactly.
#[derive(FromPyObject)]
pub(crate) enum Features<'py> {
    /// float64, read in place.
    F64(PyReadonlyArray2<'py, f64>),
    /// float32, widened (exactly) to float64.
    F32(PyReadonlyArray2<'py, f32>),
}

impl Features<'_> {
    /// The matrix as float64 (a view of float64 input, a copy of float32).
    pub(crate) fn view(&self) -> CowArray<'_, f64, Ix2> {
        match self {
            Self::F64(a) => CowArray::from(a.as_array()),
            Self::F32(a) => CowArray::from(a.as_array().mapv(f64::from)),
        }
    }
}

/// `x` as a float64/float32 matrix; else an `InvalidInputError` (an array
/// that is not 2-D) or a `ColumnTypeError` (another dtype or type), naming `X`.
pub(crate) fn features<'py>(x: &Bound<'py, PyAny>) -> PyResult<Features<'py>> {
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
