"""Sparse X for CART: scipy.sparse matrices and arrays (CSC, CSR, COO and
the other formats), handed to the native module as the three arrays of a
CSC matrix (fit) or a CSR matrix (prediction), as scikit-learn converts
them; never a dense copy. Implicit entries are zeros; an explicit NaN is
refused (``InvalidInputError``, scikit-learn's "Input X contains NaN"), as
scikit-learn refuses missing values in a sparse X: a dense X takes them."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .exceptions import ColumnTypeError, InvalidInputError, InvalidParameterError


class SparseX(NamedTuple):
    """A sparse matrix as the native module reads it: ``layout`` ("csc" or
    "csr"), its shape, and its ``indptr`` / ``indices`` (int32 or int64)
    and ``data`` (float64) arrays, sorted and without duplicates."""

    layout: str
    n_rows: int
    n_cols: int
    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return (self.n_rows, self.n_cols)


def is_sparse(X: Any) -> bool:
    """Whether ``X`` is a scipy.sparse matrix or array (scipy is imported
    only when ``X`` comes from it)."""
    if not type(X).__module__.startswith("scipy.sparse"):
        return False
    import scipy.sparse

    return bool(scipy.sparse.issparse(X))


def _arrays(X: Any, layout: str, estimator: Any, fitting: bool) -> SparseX:
    name = type(estimator).__name__ if estimator is not None else "CartTree"
    if len(X.shape) != 2:
        raise InvalidInputError(
            f"X: expected a 2-D array, got {len(X.shape)} dimension(s). Reshape your data with "
            "X.reshape(-1, 1) for a single feature or X.reshape(1, -1) for a single sample"
        )
    kind = X.dtype.kind
    if kind == "c":
        raise InvalidInputError("X: Complex data not supported")
    if kind not in "biuf":
        raise ColumnTypeError(f"X: a sparse matrix of real numbers is expected, got dtype {X.dtype}")
    n, d = (int(s) for s in X.shape)
    if n == 0:
        raise InvalidInputError(f"X: found array with 0 sample(s) (shape={(n, d)}) while a minimum of 1 is required.")
    if d == 0:
        raise InvalidInputError(f"X: found array with 0 feature(s) (shape={(n, d)}) while a minimum of 1 is required.")
    if not fitting and estimator is not None and d != estimator.n_features_in_:
        raise InvalidInputError(
            f"X has {d} features, but {name} is expecting {estimator.n_features_in_} features as input"
        )
    m = X.tocsc() if layout == "csc" else X.tocsr()
    if not m.has_canonical_format:
        # Sorted indices without duplicates (summed, as scipy reads them),
        # in a copy: never in the caller's matrix.
        m = m.copy()
        m.sum_duplicates()
    data = np.ascontiguousarray(m.data, dtype=np.float64)
    bad = ~np.isfinite(data)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        major = int(np.searchsorted(m.indptr, k, side="right") - 1)
        row = major if layout == "csr" else int(m.indices[k])
        if np.isnan(data[k]):
            # scikit-learn's wording (its trees take NaN in a dense X only).
            raise InvalidInputError(
                f"Input X contains NaN (row {row}): {name} takes no missing values in a sparse X; "
                "pass a dense array to have NaN read as a missing value"
            )
        raise InvalidInputError(f"X: non-finite value {float(data[k])} at row {row}")
    index_dtype = np.int32 if m.indices.dtype == np.int32 and m.indptr.dtype == np.int32 else np.int64
    indptr = np.ascontiguousarray(m.indptr, dtype=index_dtype)
    indices = np.ascontiguousarray(m.indices, dtype=index_dtype)
    return SparseX(layout, n, d, indptr, indices, data)


def fit_columns(X: Any, estimator: Any) -> SparseX:
    """``X`` (sparse) as CSC arrays for a fit."""
    return _arrays(X, "csc", estimator, fitting=True)


def refuse_categories() -> None:
    """Categorical features were chosen for a sparse ``X``."""
    raise InvalidParameterError(
        "invalid parameter categorical_features: categorical features need a dense X "
        "(a sparse X is numeric only); pass a DataFrame or a dense array"
    )


def predict_rows(X: Any, estimator: Any) -> SparseX:
    """``X`` (sparse) as CSR arrays for a prediction."""
    return _arrays(X, "csr", estimator, fitting=False)


def native_rows(X: Any) -> SparseX:
    """``X`` (sparse) as CSR arrays, for ``CartTree.apply`` /
    ``decision_path`` called directly (the tree checks the columns)."""
    return _arrays(X, "csr", None, fitting=False)


def refuse_sparse_y(y: Any) -> None:
    """A sparse ``y`` is a ``ColumnTypeError`` (a TypeError) naming it:
    targets are one dense column."""
    if is_sparse(y):
        raise ColumnTypeError(
            "y: a sparse y is not supported (targets are one dense column): convert it with y.toarray()"
        )
