"""Reading mixed numeric and categorical columns for k-prototypes and
k-modes (:mod:`ciblage._kprototypes`) and the cluster helpers: the columns of
a frame or an array, numeric checks, category tables and codes."""

from __future__ import annotations

from typing import Any

import numpy as np

from .exceptions import ColumnTypeError, InvalidInputError


def _frame_columns(X: Any) -> tuple[list[Any], list[np.ndarray]] | None:
    """Column names and values of a pandas or polars DataFrame."""
    mod = type(X).__module__
    if mod.startswith("pandas") and hasattr(X, "columns") and hasattr(X, "iloc"):
        from pandas.api.types import is_bool_dtype, is_numeric_dtype

        cols = []
        for j in range(X.shape[1]):
            s = X.iloc[:, j]
            if is_numeric_dtype(s.dtype) and not is_bool_dtype(s.dtype):
                # Nullable integer and float columns: their missing values as NaN.
                cols.append(s.to_numpy(dtype=np.float64, na_value=np.nan))
            else:
                cols.append(s.to_numpy())
        return list(X.columns), cols
    if mod.startswith("polars") and hasattr(X, "get_columns"):
        return list(X.columns), [c.to_numpy() for c in X.get_columns()]
    return None


def _columns(X: Any) -> tuple[list[Any] | None, list[np.ndarray]]:
    if X is None:
        raise InvalidInputError("X: expected a 2-D array or a DataFrame, got None")
    frame = _frame_columns(X)
    if frame is not None:
        names, cols = frame
        if not cols or len(cols[0]) == 0:
            raise InvalidInputError(
                f"X: found {len(cols[0]) if cols else 0} row(s) and {len(cols)} column(s): "
                "at least one of each is required"
            )
        return names, cols
    try:
        arr = np.asarray(X)
    except (TypeError, ValueError) as e:
        raise InvalidInputError(f"X: cannot be read as an array: {e}") from e
    if arr.ndim != 2:
        raise InvalidInputError(f"X: expected a 2-D array, got {arr.ndim} dimension(s)")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise InvalidInputError(f"X: found array with shape {arr.shape}: at least one row and one column are required")
    return None, [arr[:, j] for j in range(arr.shape[1])]


def _is_numeric(col: np.ndarray) -> bool:
    return col.dtype.kind in "iuf"


def _label(names: list[Any] | None, j: int) -> str:
    return f"column {names[j]!r}" if names is not None else f"column {j}"


def _numeric(col: np.ndarray, what: str) -> np.ndarray:
    if col.dtype.kind not in "iufb":
        try:
            col = col.astype(np.float64)
        except (TypeError, ValueError) as e:
            raise ColumnTypeError(f"X: {what} is numeric but cannot be read as numbers ({e})") from None
    out = np.asarray(col, dtype=np.float64)
    bad = ~np.isfinite(out)
    if bad.any():
        at = int(np.flatnonzero(bad)[0])
        raise InvalidInputError(f"X: {what}: non-finite value {out[at]} at row {at}")
    return out


def _missing(col: np.ndarray) -> np.ndarray:
    if col.dtype.kind == "f":
        return np.isnan(col)
    if col.dtype.kind == "O":
        try:
            import pandas as pd

            return np.asarray(pd.isna(col), dtype=bool)
        except ImportError:
            return np.array([v is None or (isinstance(v, float) and v != v) for v in col], dtype=bool)
    return np.zeros(len(col), dtype=bool)


def _categories(col: np.ndarray, what: str) -> np.ndarray:
    miss = _missing(col)
    if miss.any():
        raise InvalidInputError(
            f"X: {what}: missing value at row {int(np.flatnonzero(miss)[0])} (replace it by a category of its own)"
        )
    try:
        if col.dtype.kind == "O":
            # Hashing, then sorting the distinct values, is much faster than
            # numpy's sort of every Python object; the same sorted categories.
            try:
                distinct = sorted(set(col.tolist()))
            except TypeError:
                return np.unique(col)
            out = np.empty(len(distinct), dtype=object)
            for i, v in enumerate(distinct):
                out[i] = v
            return out
        return np.unique(col)
    except TypeError as e:
        raise ColumnTypeError(f"X: {what}: categories of different types cannot be ordered ({e})") from None


def _codes(col: np.ndarray, cats: np.ndarray, what: str) -> np.ndarray:
    """Codes of ``col`` in ``cats``; unseen values get ``len(cats)`` (they
    match no mode)."""
    miss = _missing(col)
    if miss.any():
        raise InvalidInputError(f"X: {what}: missing value at row {int(np.flatnonzero(miss)[0])}")
    if col.dtype.kind == "O" and cats.dtype.kind == "O":
        # A lookup by hash; when every value is a known category (always at
        # fit) these are the codes of the sorted search below.
        index = {v: i for i, v in enumerate(cats.tolist())}
        try:
            codes = np.fromiter((index.get(v, -1) for v in col.tolist()), dtype=np.int64, count=len(col))
        except TypeError:
            codes = None
        if codes is not None and (codes >= 0).all():
            return codes.astype(np.uint32)
    try:
        pos = np.searchsorted(cats, col)
    except TypeError as e:
        raise ColumnTypeError(f"X: {what}: values cannot be compared with the categories seen in fit ({e})") from None
    pos = np.minimum(pos, len(cats) - 1)
    known = cats[pos] == col
    return np.where(known, pos, len(cats)).astype(np.uint32)
