"""scikit-learn conventions for ciblage's estimators, without importing
scikit-learn: input checks with scikit-learn's messages, tags built only when
scikit-learn asks for them, and scores."""

from __future__ import annotations

import sys
import warnings
from typing import Any

import numpy as np

from . import _native
from .exceptions import (
    ColumnTypeError,
    DataConversionWarning,
    InvalidInputError,
    InvalidParameterError,
    ModelFileError,
    NotFittedError,
)

# Classes deriving from both ciblage's and scikit-learn's, by scikit-learn class.
_SKLEARN_TWINS: dict[type, type] = {}


def _sklearn_exceptions() -> Any:
    """scikit-learn's ``exceptions`` module when scikit-learn is installed
    (imported at the first error that needs it), else ``None``."""
    loaded = sys.modules.get("sklearn.exceptions")
    if loaded is not None:
        return loaded
    try:
        import sklearn.exceptions
    except ImportError:
        return None
    return sklearn.exceptions


def not_fitted(estimator: Any, method: str = "") -> Exception:
    """The error for a method called before ``fit``: ciblage's
    :class:`NotFittedError` naming the estimator and the method, and
    scikit-learn's ``NotFittedError`` too when scikit-learn is installed
    (so that its tools recognise it)."""
    then = f"call fit before {method}" if method else "call fit first"
    message = f"this {type(estimator).__name__} is not fitted yet: {then}"
    sk = _sklearn_exceptions()
    if sk is None:
        return NotFittedError(message)
    base = sk.NotFittedError
    if base not in _SKLEARN_TWINS:
        _SKLEARN_TWINS[base] = type("NotFittedError", (NotFittedError, base), {"__module__": __name__})
    return _SKLEARN_TWINS[base](message)


def _conversion_warning() -> type[Warning]:
    """ciblage's :class:`DataConversionWarning`, and scikit-learn's too when
    scikit-learn is loaded (so that its warning filters apply)."""
    sk = sys.modules.get("sklearn.exceptions")
    if sk is None:
        return DataConversionWarning
    base = sk.DataConversionWarning
    if base not in _SKLEARN_TWINS:
        _SKLEARN_TWINS[base] = type("DataConversionWarning", (DataConversionWarning, base), {"__module__": __name__})
    return _SKLEARN_TWINS[base]


def model_text(text: str, where: str) -> str:
    """A saved model's JSON text, checked to be encodable as UTF-8 (a
    string with lone surrogates cannot be read)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise ModelFileError(f"{where}: not valid UTF-8 text ({e.reason} at position {e.start})") from None
    return text


def _is_sparse(x: Any) -> bool:
    return type(x).__module__.startswith("scipy.sparse")


def check_matrix(
    X: Any, estimator: Any, *, fitting: bool, allow_nan: bool = False, keep_float32: bool = False
) -> np.ndarray:
    """``X`` as a C-contiguous 2-D float64 array of finite numbers (NaN
    allowed, as a missing value, with ``allow_nan``); when not fitting, with
    as many columns as at fit time. With ``keep_float32``, a float32 array
    stays float32 (for estimators that read float32 as it is)."""
    name = type(estimator).__name__
    if X is None:
        raise InvalidInputError("X: expected a 2-D array of numbers, got None")
    if _is_sparse(X):
        raise ColumnTypeError(
            "X: sparse input is not supported (Sparse data was passed for X, but dense data is "
            "required: convert it with X.toarray())"
        )
    try:
        raw = np.asarray(X)
    except (TypeError, ValueError) as e:
        raise InvalidInputError(f"X: cannot be read as an array: {e}") from e
    if raw.dtype.kind == "c":
        raise InvalidInputError("X: Complex data not supported")
    if raw.dtype.kind in "US":
        # As scikit-learn: text is not parsed into numbers behind the
        # caller's back (a DataFrame's string columns are categories).
        raise ColumnTypeError(
            f"X: dtype='numeric' is not compatible with arrays of bytes/strings ({raw.dtype}); "
            "convert your data to numeric values explicitly, or pass a DataFrame whose text "
            "columns are categorical features"
        )
    if raw.dtype.kind in "mM":
        raise ColumnTypeError(
            f"X: cannot be read as numbers: dates or times ({raw.dtype}); convert them to numbers "
            "(e.g. days since a date)"
        )
    kept = np.float32 if keep_float32 and raw.dtype == np.float32 else np.float64
    try:
        arr = raw.astype(kept, copy=False)
    except TypeError as e:
        raise ColumnTypeError(f"X: cannot be read as numbers: {e}") from e
    except ValueError as e:
        raise InvalidInputError(f"X: cannot be read as numbers: {e}") from e
    if arr.ndim != 2:
        raise InvalidInputError(
            f"X: expected a 2-D array, got {arr.ndim} dimension(s). Reshape your data with "
            "X.reshape(-1, 1) for a single feature or X.reshape(1, -1) for a single sample"
        )
    n, d = arr.shape
    if n == 0:
        raise InvalidInputError(
            f"X: found array with 0 sample(s) (shape={arr.shape}) while a minimum of 1 is required."
        )
    if d == 0:
        raise InvalidInputError(
            f"X: found array with 0 feature(s) (shape={arr.shape}) while a minimum of 1 is required."
        )
    # Checked by blocks of about a million values: a mask of the whole
    # matrix would take a byte per value.
    step = max(1, (1 << 20) // d)
    for start in range(0, n, step):
        block = arr[start : start + step]
        # A finite sum proves every value finite (an infinity or a NaN makes
        # the sum infinite or NaN), as scikit-learn's check: one read of the
        # matrix in all; the values are looked at one by one only in a block
        # whose sum is not finite (a bad value, or finite values whose sum
        # overflows).
        with np.errstate(over="ignore", invalid="ignore"):
            if np.isfinite(np.add.reduce(block, axis=None)):
                continue
        bad = np.isinf(block) if allow_nan else ~np.isfinite(block)
        if bad.any():
            at = int(np.flatnonzero(bad.any(axis=1))[0])
            value = block[at][bad[at]][0]
            raise InvalidInputError(f"X: non-finite value {_show(value)} at row {start + at}")
    if not fitting and d != estimator.n_features_in_:
        raise InvalidInputError(
            f"X has {d} features, but {name} is expecting {estimator.n_features_in_} features as input"
        )
    return np.ascontiguousarray(arr)


def numeric_column(col: Any, what: str = "") -> np.ndarray:
    """A pandas column of numbers as float64, missing values as NaN (the
    one reading of numeric DataFrame columns for CART and CHAID). Complex
    numbers are refused (their imaginary part would be dropped), as are
    values that are not numbers, with a message naming the column."""
    name = col.name
    if getattr(col.dtype, "kind", "") == "c":
        raise ColumnTypeError(f"X: column {name!r} holds complex numbers{what}: trees take real numbers")
    try:
        return np.ascontiguousarray(col.to_numpy(dtype=np.float64, na_value=np.nan))
    except (TypeError, ValueError) as e:
        raise ColumnTypeError(f"X: column {name!r} cannot be read as numbers{what} ({e})") from e


_TIME_KINDS = ("datetime64", "datetime", "date", "timedelta64", "timedelta", "time", "period")


def is_time_column(col: Any) -> bool:
    """Whether a pandas column holds dates, times or durations (numpy or
    pandas datetime/timedelta/period dtypes, or objects all of one such kind)."""
    import pandas as pd

    dtype = col.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return False
    if dtype.kind in "mM" or isinstance(dtype, (pd.PeriodDtype, pd.DatetimeTZDtype)):
        return True
    if dtype == np.dtype(object):
        return pd.api.types.infer_dtype(col, skipna=True) in _TIME_KINDS
    return False


def time_column_error(name: Any, how: str) -> ColumnTypeError:
    """The error for a date/time column picked up by dtype: neither its
    reading as numbers (the unit decides the thresholds) nor one category
    per instant would be what the caller meant."""
    return ColumnTypeError(
        f"X: column {name!r} holds dates or times, which a tree reads neither as numbers nor as "
        f"categories by itself: convert it to numbers (e.g. days since a date) or {how}"
    )


def category_error(name: Any, e: Exception) -> ColumnTypeError:
    """The error for a column whose values cannot be categories (lists,
    dicts, arrays: unhashable or not comparable)."""
    return ColumnTypeError(
        f"X: column {name!r} holds values that are neither numbers nor category labels "
        f"(lists, structs or arrays cannot be predictors): {e}"
    )


def _column(y: Any, estimator: Any, n: int) -> np.ndarray:
    if y is None:
        raise InvalidInputError(f"y: {type(estimator).__name__} requires y to be passed, but the target y is None")
    yy = np.asarray(y)
    if yy.ndim == 2 and yy.shape[1] == 1:
        warnings.warn(
            "A column-vector y was passed when a 1d array was expected. Please change the shape of y "
            "to (n_samples,), for example using ravel().",
            _conversion_warning(),
            stacklevel=4,
        )
        yy = yy.ravel()
    if yy.ndim != 1:
        raise InvalidInputError(f"y: expected one target per row of X, got an array of shape {yy.shape}")
    if len(yy) != n:
        raise InvalidInputError(f"y: has {len(yy)} values for {n} rows of X")
    return yy


def _show(value: float) -> str:
    return "NaN" if np.isnan(value) else ("inf" if value > 0 else "-inf")


def _check_finite_target(yy: np.ndarray) -> None:
    if yy.dtype.kind == "f" and not np.isfinite(yy).all():
        row = int(np.flatnonzero(~np.isfinite(yy))[0])
        raise InvalidInputError(f"y: non-finite value {_show(yy[row])} at row {row}")


def small_int_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """For integers (or booleans) spanning a small range: the sorted
    distinct values and each value's index among them (uint32), by counting
    instead of sorting; ``None`` otherwise."""
    if values.dtype.kind not in "iub" or values.size == 0 or values.ndim != 1:
        return None
    coded = _native.small_int_codes(np.ascontiguousarray(values, dtype=np.int64))
    if coded is None:
        return None
    return coded[0].astype(values.dtype, copy=False), coded[1]


def _check_labels_present(yy: np.ndarray) -> None:
    """Every row of an object-typed class target holds a label (no None,
    NaN or pandas NA)."""
    if yy.dtype.kind != "O":
        return
    try:
        import pandas as pd

        missing = np.asarray(pd.isna(yy), dtype=bool)
    except ImportError:
        missing = np.fromiter((v is None or (isinstance(v, float) and v != v) for v in yy), dtype=bool, count=len(yy))
    if missing.any():
        row = int(np.flatnonzero(missing)[0])
        raise InvalidInputError(f"y: missing class label ({yy[row]!r}) at row {row}: every row needs a label")


def class_target(y: Any, estimator: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The classes (sorted) and the class code of every row (the one check
    of class targets for CART and CHAID)."""
    yy = _column(y, estimator, n)
    _check_finite_target(yy)
    _check_labels_present(yy)
    fractional = yy.dtype.kind in "fc" and not np.array_equal(yy, np.round(yy))
    if yy.dtype.kind == "O" and _object_kind(yy) not in ("string", "bytes", "integer", "boolean", "empty"):
        # Python floats among object labels: 1.5 is a value, not a class.
        fractional = any(isinstance(v, (float, np.floating)) and not float(v).is_integer() for v in yy)
    if fractional:
        raise InvalidInputError(
            "y: Unknown label type: continuous. A classifier needs class labels (integers, strings, "
            "booleans); use a regressor for a continuous target"
        )
    fast = small_int_codes(yy)
    if fast is not None:
        return fast[0], np.ascontiguousarray(fast[1], dtype=np.uint32)
    try:
        classes, codes = np.unique(yy, return_inverse=True)
    except TypeError as e:
        raise ColumnTypeError(f"y: labels cannot be compared ({e})") from e
    return classes, np.ascontiguousarray(codes, dtype=np.uint32)


def value_target(y: Any, estimator: Any, n: int) -> np.ndarray:
    """The target of every row as float64 (real numbers: complex values,
    dates and durations are refused, not cast)."""
    yy = _column(y, estimator, n)
    _check_real(yy, "y")
    try:
        yy = np.ascontiguousarray(yy, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ColumnTypeError(f"y: cannot be read as numbers: {e}") from e
    _check_finite_target(yy)
    return yy


def _object_kind(values: np.ndarray) -> str:
    """pandas' name for what an object array holds ("string", "integer",
    "mixed", …; scanned in C), or "unknown" without pandas."""
    try:
        import pandas as pd
    except ImportError:
        return "unknown"
    return str(pd.api.types.infer_dtype(values, skipna=True))


def _check_real(values: np.ndarray, name: str) -> None:
    """Refuses arrays that numpy would cast to float64 by dropping or
    reinterpreting: complex numbers, dates, durations, text."""
    kind = values.dtype.kind
    if kind == "c":
        raise ColumnTypeError(f"{name}: cannot be read as numbers: complex values (the imaginary part would be lost)")
    if kind in "mM":
        raise ColumnTypeError(f"{name}: cannot be read as numbers: dates or durations ({values.dtype})")
    if kind in "USV" or (
        kind == "O"
        and _object_kind(values.ravel()) not in ("integer", "floating", "boolean", "decimal", "empty")
        and any(isinstance(v, (str, bytes)) for v in values.flat)
    ):
        raise ColumnTypeError(f"{name}: cannot be read as numbers: text values")


def sample_weights(sample_weight: Any, n: int, name: str = "sample_weight") -> np.ndarray | None:
    """``None``, or one float64 weight per row (a scalar is repeated);
    text, dates and complex numbers are refused."""
    if sample_weight is None:
        return None
    try:
        raw = np.asarray(sample_weight)
    except (TypeError, ValueError) as e:
        raise InvalidInputError(f"{name}: cannot be read as numbers ({e})") from e
    if raw.dtype.kind in "cmMUSVO":
        try:
            _check_real(raw, name)
        except ColumnTypeError as e:
            raise InvalidInputError(str(e)) from None
    try:
        w = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise InvalidInputError(f"{name}: cannot be read as numbers ({e})") from e
    if w.ndim == 0:
        return np.full(n, float(w))
    if w.ndim != 1 or len(w) != n:
        raise InvalidInputError(f"{name}: expected a 1-D array of {n} weights (one per row), got shape {w.shape}")
    return np.ascontiguousarray(w)


def checked_weights(sample_weight: Any, n: int) -> np.ndarray | None:
    """Weights of a scoring method, with the rules and messages of fit:
    finite, non-negative, not all zero."""
    w = sample_weights(sample_weight, n)
    if w is None:
        return None
    bad = ~np.isfinite(w)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InvalidInputError(f"sample_weight: non-finite value {_show(w[row])} at row {row}")
    if (w < 0).any():
        row = int(np.flatnonzero(w < 0)[0])
        raise InvalidParameterError(f"invalid parameter sample_weight: negative weight {w[row]:g} at row {row}")
    if not (w > 0).any():
        raise InvalidParameterError(
            "invalid parameter sample_weight: every weight is zero: at least one must be positive"
        )
    with np.errstate(over="ignore"):
        total = w.sum()
    if not np.isfinite(total):
        raise InvalidInputError("sample_weight: the sum of the weights overflows the range of 64-bit floats")
    return w


def class_labels(y: Any, n: int) -> np.ndarray:
    """``y`` of a classifier's scoring method: ``n`` labels, none missing."""
    yy = target_length(y, n)
    _check_labels_present(yy)
    return yy


def target_length(y: Any, n: int) -> np.ndarray:
    """``y`` of a scoring method as a 1-D array of ``n`` values."""
    yy = np.asarray(y)
    if yy.ndim == 2 and yy.shape[1] == 1:
        yy = yy.ravel()
    if yy.ndim != 1 or len(yy) != n:
        raise InvalidInputError(f"y: expected {n} values (one per row of X), got shape {yy.shape}")
    return yy


def sklearn_tags(estimator_type: str, allow_nan: bool = False) -> Any:
    """scikit-learn's tags for a tree estimator: dense numeric input (NaN
    as missing values with ``allow_nan``), one target."""
    from sklearn.utils import ClassifierTags, InputTags, RegressorTags, Tags, TargetTags

    return Tags(
        estimator_type=estimator_type,
        target_tags=TargetTags(required=True),
        classifier_tags=ClassifierTags() if estimator_type == "classifier" else None,
        regressor_tags=RegressorTags() if estimator_type == "regressor" else None,
        input_tags=InputTags(allow_nan=allow_nan),
    )


def accuracy(y_true: np.ndarray, y_pred: np.ndarray, weights: np.ndarray | None) -> float:
    """Share of rows predicted right, weighted."""
    return float(np.average(y_true == y_pred, weights=weights))


def r2(y_true: np.ndarray, y_pred: np.ndarray, weights: np.ndarray | None) -> float:
    """Coefficient of determination R², weighted (1 for a perfect fit, 0
    for the mean; a constant target gives 1 when predicted exactly, else 0)."""
    w = np.ones_like(y_true) if weights is None else weights
    # R² does not depend on the scale: values near 1e308 are scaled down
    # so that their squares stay finite (they gave NaN).
    scale = max(float(np.max(np.abs(y_true), initial=0.0)), float(np.max(np.abs(y_pred), initial=0.0)))
    if scale > 1e100:
        y_true, y_pred = y_true / scale, y_pred / scale
    mean = np.average(y_true, weights=w)
    ss_res = float(np.sum(w * (y_true - y_pred) ** 2))
    ss_tot = float(np.sum(w * (y_true - mean) ** 2))
    if ss_tot == 0.0:
        return 1.0 if ss_res == 0.0 else 0.0
    return 1.0 - ss_res / ss_tot
