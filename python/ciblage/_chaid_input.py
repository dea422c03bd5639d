"""Input coding of the CHAID estimators: X as pandas columns, each typed
(nominal, ordinal, continuous) and coded as the native fit and apply take it."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _estimator as est
from ._estimator import small_int_codes
from ._params import as_choice
from .exceptions import ColumnTypeError, InvalidInputError, InvalidParameterError


def frame(X: Any) -> Any:
    """X as a pandas DataFrame (pandas and numpy kept, polars/pyarrow converted)."""
    import pandas as pd

    if isinstance(X, pd.DataFrame):
        return X
    mod = type(X).__module__.split(".", 1)[0]
    if mod == "polars" and type(X).__name__ in ("DataFrame", "LazyFrame"):
        return (X.collect() if type(X).__name__ == "LazyFrame" else X).to_pandas()
    if mod == "pyarrow" and type(X).__name__ in ("Table", "RecordBatch"):
        return X.to_pandas()
    if mod in ("polars", "pyarrow"):
        raise InvalidInputError(f"X: expected a 2-D array or a table, got a {mod} {type(X).__name__} (one column)")
    if X is None:
        raise InvalidInputError("X: expected a 2-D array or a table, got None")
    if mod == "scipy" and type(X).__module__.startswith("scipy.sparse"):
        # CART's message: a sparse matrix's zeros are values to CHAID, not
        # missing entries, and its columns would all be continuous anyway.
        raise ColumnTypeError(
            "X: sparse input is not supported (Sparse data was passed for X, but dense data is "
            "required: convert it with X.toarray())"
        )
    try:
        arr = np.asarray(X)
    except (TypeError, ValueError) as e:
        raise InvalidInputError(f"X: cannot be read as an array: {e}") from e
    if arr.ndim != 2:
        raise InvalidInputError(
            f"X: expected a 2-D array or a table, got {arr.ndim} dimension(s). Reshape your data with "
            "X.reshape(-1, 1) for a single feature or X.reshape(1, -1) for a single sample"
        )
    if arr.dtype.kind == "c":
        # As CART and scikit-learn (a DataFrame's complex column is refused
        # by name when it is read).
        raise InvalidInputError("X: Complex data not supported")
    return pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])


def kind(series: Any, override: str | None) -> str:
    import pandas as pd

    if override is not None:
        return as_choice(override, f"column_types[{str(series.name)!r}]", ("nominal", "ordinal", "continuous"))
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return "ordinal" if dtype.ordered else "nominal"
    if est.is_time_column(series):
        raise est.time_column_error(series.name, 'set its kind in column_types (e.g. "ordinal")')
    if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
        return "nominal"
    return "continuous"


def labels_and_codes(series: Any, kind: str) -> tuple[list[str], np.ndarray]:
    """Category labels and codes (int64 with −1 = missing, or uint32 for
    small-range integers without missing values): a categorical's own
    categories, else the sorted distinct values."""
    import pandas as pd

    if isinstance(series.dtype, pd.CategoricalDtype):
        cats = series.cat.categories
        return [label(c) for c in cats], series.cat.codes.to_numpy(dtype=np.int64)
    if not series.hasnans:
        fast = small_int_codes(series.to_numpy())
        if fast is not None:
            return [label(u) for u in fast[0].tolist()], fast[1]
    codes, uniques = pd.factorize(series, sort=True, use_na_sentinel=True)
    return [label(u) for u in uniques], np.ascontiguousarray(codes, dtype=np.int64)


def label(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{value:g}"
    return str(value)


def column_types(value: Any, names: list[str]) -> dict[str, str]:
    """``column_types``: ``None`` or a mapping of existing column names to a kind."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidParameterError(
            f"invalid parameter column_types: expected a dict {{column: kind}} or None, got {value!r}"
        )
    unknown = [k for k in value if str(k) not in names]
    if unknown:
        raise InvalidParameterError(f"invalid parameter column_types: no column {unknown[0]!r} in X (columns: {names})")
    return {str(k): v for k, v in value.items()}


def columns(estimator: Any, X: Any, fitting: bool) -> list[Any]:
    """The columns of ``X`` (pandas Series); at fit, records the feature
    names, else checks them against those seen at fit."""
    df = frame(X)
    # The messages of CART's matrix check.
    if df.shape[0] == 0:
        raise InvalidInputError(f"X: found array with 0 sample(s) (shape={df.shape}) while a minimum of 1 is required.")
    if df.shape[1] == 0:
        raise InvalidInputError(
            f"X: found array with 0 feature(s) (shape={df.shape}) while a minimum of 1 is required."
        )
    names = [str(c) for c in df.columns]
    if len(set(names)) != df.shape[1]:
        raise InvalidInputError(f"X: column names must be unique, got {names}")
    if fitting:
        estimator.feature_names_in_ = np.array(names, dtype=object)
        estimator.n_features_in_ = len(names)
    elif names != list(estimator.feature_names_in_):
        seen = list(estimator.feature_names_in_)
        width = ""
        if len(names) != len(seen):
            # scikit-learn's wording for a matrix of another width.
            width = (
                f"X has {len(names)} features, but {type(estimator).__name__} is expecting "
                f"{len(seen)} features as input: "
            )
        raise InvalidInputError(f"{width}X: columns {names} differ from those seen in fit {seen}")
    return [df[c] for c in df.columns]


def fit_spec(cols: list[Any], types_param: Any) -> list[tuple[Any, ...]]:
    """Per column: (name, kind, integer codes or None, labels or None,
    float values or None), as the native fit takes them."""
    spec: list[tuple[Any, ...]] = []
    types = column_types(types_param, [str(c.name) for c in cols])
    for c in cols:
        k = kind(c, types.get(str(c.name)))
        if k == "continuous":
            values = est.numeric_column(c, " for a continuous predictor")
            spec.append((str(c.name), k, None, [], values))
        elif isinstance(c.dtype, np.dtype) and (c.dtype.kind == "i" or (c.dtype.kind == "u" and c.dtype.itemsize < 8)):
            # Integers: each distinct value a category, coded natively.
            spec.append((str(c.name), k, np.ascontiguousarray(c.to_numpy(), dtype=np.int64), None, None))
        else:
            try:
                labels, codes = labels_and_codes(c, k)
            except TypeError as e:
                raise _category_error(c.name, e) from e
            spec.append((str(c.name), k, np.ascontiguousarray(codes), labels, None))
    return spec


def apply_codes(predictors: list[Any], cols: list[Any]) -> list[np.ndarray]:
    """The columns of new rows coded as at fit: float values of continuous
    predictors, category codes of the others (−1 missing, −2 a level unseen
    in training)."""
    import pandas as pd

    coded = []
    for (name, _kind, labels, edges), c in zip(predictors, cols, strict=True):
        if edges is not None:
            values = est.numeric_column(c, " for a continuous predictor")
            # NaN is a missing value; an infinity is refused, as at fit.
            infinite = np.flatnonzero(np.isinf(values))
            if infinite.size:
                row = int(infinite[0])
                raise InvalidInputError(f"{name}: non-finite value {values[row]} at row {row}")
            coded.append(values)
            continue
        if isinstance(c.dtype, pd.CategoricalDtype):
            c = c.astype(object)
        try:
            text = c.map(label, na_action="ignore")
            codes = pd.Index(labels).get_indexer(text.to_numpy()).astype(np.int64)
        except TypeError as e:
            raise _category_error(name, e) from e
        codes[(codes == -1) & c.notna().to_numpy()] = -2  # a level unseen in training
        coded.append(codes)
    return coded


def _category_error(name: Any, e: TypeError) -> ColumnTypeError:
    """The error for a column whose values cannot be category labels
    (unhashable or not comparable), saying what a label may be."""
    return est.category_error(name, TypeError(f"{e} (a label argument must be a string or a number)"))
