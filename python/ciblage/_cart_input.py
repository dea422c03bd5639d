"""Reading CART inputs: numeric matrices, and DataFrames whose categorical
columns become category codes (NaN for missing or unseen categories)."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _cart_sparse as sparse
from . import _estimator as est
from ._tables import table_kind
from .exceptions import ColumnTypeError, InvalidParameterError


def sample_weights(sample_weight: Any, n: int) -> np.ndarray | None:
    """The weights of a CART fit, by scikit-learn's rule: ``None``, one
    weight per row, or a number (Python or numpy scalar) repeated to every
    row; a 0-d array is refused with scikit-learn's ``TypeError`` wording."""
    if isinstance(sample_weight, np.ndarray) and sample_weight.ndim == 0:
        shown = sample_weight.astype(np.float64) if sample_weight.dtype.kind in "biuf" else sample_weight
        raise ColumnTypeError(
            "sample_weight: Input should have at least 1 dimension i.e. satisfy `len(x.shape) > 0`, "
            f"got scalar `{shown!r}` instead."
        )
    return est.sample_weights(sample_weight, n)


def check_poisson_target(y: Any) -> None:
    """Poisson targets (counts) before any other check of ``y``, as
    scikit-learn orders them and with its wording: no negative value, a
    positive sum. A ``y`` not read as a 1-D array of numbers is left to
    the other checks."""
    try:
        v = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError):
        return
    if v.ndim != 1:
        return
    negative = np.flatnonzero(v < 0)
    if len(negative):
        row = int(negative[0])
        raise InvalidParameterError(
            "invalid parameter y: Some value(s) of y are negative which is not allowed for Poisson regression: "
            f"value {v[row]:g} at row {row} (poisson needs counts, y >= 0)"
        )
    if v.sum() <= 0:
        raise InvalidParameterError(
            "invalid parameter y: Sum of y is not positive which is necessary for Poisson regression"
        )


def _is_categorical(col: Any) -> bool:
    import pandas as pd

    dtype = col.dtype
    return (
        isinstance(dtype, pd.CategoricalDtype)
        or pd.api.types.is_bool_dtype(dtype)
        or not pd.api.types.is_numeric_dtype(dtype)
    )


def _as_pandas(X: Any) -> Any:
    kind = table_kind(X)
    if kind == "pandas" and X.__class__.__name__ == "DataFrame":
        return X
    if kind == "polars" and X.__class__.__name__ in ("DataFrame", "LazyFrame"):
        frame = X.collect() if X.__class__.__name__ == "LazyFrame" else X
        return frame.to_pandas()
    if kind == "pyarrow" and X.__class__.__name__ in ("Table", "RecordBatch"):
        # Read as pandas reads it, so that string and dictionary columns
        # become categorical predictors as with pandas and polars.
        return X.to_pandas()
    return None


def _category_codes(col: Any, cats: list[Any]) -> np.ndarray:
    """Index of each value in ``cats`` as float, NaN when missing or unseen."""
    import pandas as pd

    values = col.astype(object).to_numpy() if isinstance(col.dtype, pd.CategoricalDtype) else col.to_numpy()
    codes = pd.Index(cats, dtype=object).get_indexer(pd.Index(values, dtype=object)).astype(np.float64)
    codes[codes < 0] = np.nan
    return codes


def _sorted_labels(values: Any) -> list[Any]:
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=str)


def _selected(spec: Any, names: list[str], n: int) -> list[int]:
    """Column positions named by ``categorical_features`` (names or positions)."""
    if isinstance(spec, (str, bytes)) or not hasattr(spec, "__iter__") or np.ndim(spec) == 0:
        raise InvalidParameterError(
            f'invalid parameter categorical_features: expected "from_dtype", None or a list of column names '
            f"or positions, got {spec!r}"
        )
    out = []
    for item in spec:
        if isinstance(item, (bool, np.bool_)):
            raise InvalidParameterError(f"invalid parameter categorical_features: got {item!r}")
        if isinstance(item, (int, np.integer)):
            if not 0 <= item < n:
                raise InvalidParameterError(
                    f"invalid parameter categorical_features: column {item} does not exist ({n} columns)"
                )
            out.append(int(item))
        elif str(item) in names:
            out.append(names.index(str(item)))
        else:
            raise InvalidParameterError(f"invalid parameter categorical_features: no column {item!r}")
    return sorted(set(out))


def _unique_names(frame: Any) -> list[str]:
    """The column names of a DataFrame as text, refusing duplicates (a
    name must select one column)."""
    names = [str(c) for c in frame.columns]
    if len(set(names)) != len(names):
        raise est.InvalidInputError(f"X: column names must be unique, got {names}")
    return names


def _is_from_dtype(spec: Any) -> bool:
    return isinstance(spec, str) and spec == "from_dtype"


def encode_fit(model: Any, X: Any) -> tuple[Any, list[int]]:
    """The training matrix with categorical columns coded (a sparse matrix:
    its CSC arrays, numeric only); sets ``feature_names_in_`` (DataFrames)
    and ``categories_`` on ``model``."""
    spec = model.categorical_features
    if sparse.is_sparse(X):
        xs = sparse.fit_columns(X, model)
        if not (spec is None or _is_from_dtype(spec)) and _selected(spec, [], xs.n_cols):
            sparse.refuse_categories()
        if hasattr(model, "feature_names_in_"):
            del model.feature_names_in_
        model.categories_ = [None] * xs.n_cols
        return xs, []
    frame = _as_pandas(X)
    if frame is not None:
        names = _unique_names(frame)
        if spec is None or _is_from_dtype(spec):
            chosen = [j for j, c in enumerate(frame.columns) if _is_categorical(frame[c])]
        else:
            chosen = _selected(spec, names, len(names))
        auto = spec is None or _is_from_dtype(spec)
        for j, c in enumerate(frame.columns):
            if (auto or j not in chosen) and est.is_time_column(frame[c]):
                raise est.time_column_error(c, "name it in categorical_features to take each value as a category")
        categories: list[Any] = [None] * len(names)
        columns = []
        for j, c in enumerate(frame.columns):
            col = frame[c]
            if j in chosen:
                import pandas as pd

                try:
                    cats = (
                        list(col.cat.categories)
                        if isinstance(col.dtype, pd.CategoricalDtype)
                        else _sorted_labels(col.dropna().unique())
                    )
                    codes = _category_codes(col, cats)
                except TypeError as e:
                    raise est.category_error(c, e) from e
                categories[j] = cats
                columns.append(codes)
            else:
                columns.append(est.numeric_column(col))
        x = est.check_matrix(
            np.column_stack(columns) if columns else np.empty((len(frame), 0)), model, fitting=True, allow_nan=True
        )
        model.feature_names_in_ = np.array(names, dtype=object)
        model.categories_ = categories
        return x, chosen
    # float32 stays float32: the native fit reads features as float32 (as
    # scikit-learn does), with no float64 copy.
    x = est.check_matrix(X, model, fitting=True, allow_nan=True, keep_float32=True)
    if hasattr(model, "feature_names_in_"):
        del model.feature_names_in_
    chosen = [] if spec is None or _is_from_dtype(spec) else _selected(spec, [], x.shape[1])
    if chosen and (x is X or x.base is not None or not x.flags.writeable):
        # The columns are recoded in place: never in the caller's array
        # (which may be read-only or memory-mapped).
        x = x.copy()
    categories = [None] * x.shape[1]
    for j in chosen:
        col = x[:, j]
        seen = np.unique(col[~np.isnan(col)])
        categories[j] = seen.tolist()
        x[:, j] = _codes(col, seen)
    model.categories_ = categories
    return x, chosen


def _codes(col: np.ndarray, cats: np.ndarray) -> np.ndarray:
    """Index of each value in ``cats`` (sorted), NaN when absent."""
    pos = np.searchsorted(cats, col)
    pos_c = np.minimum(pos, max(len(cats) - 1, 0))
    found = (len(cats) > 0) & ~np.isnan(col) & (cats[pos_c] == col if len(cats) else False)
    return np.where(found, pos_c, np.nan).astype(np.float64)


def encode_predict(model: Any, X: Any) -> Any:
    """A matrix to predict, coded as at fit (unseen categories: NaN); a
    sparse matrix: its CSR arrays."""
    categories = getattr(model, "categories_", None) or []
    if sparse.is_sparse(X):
        if any(c is not None for c in categories):
            raise est.InvalidInputError(
                "X: the model was fitted with categorical features: predict from a dense array or a DataFrame"
            )
        return sparse.predict_rows(X, model)
    frame = _as_pandas(X)
    if frame is not None and hasattr(model, "feature_names_in_"):
        names = _unique_names(frame)
        expected = list(model.feature_names_in_)
        if names != expected:
            raise est.InvalidInputError(f"X: columns {names} differ from those seen in fit {expected}")
        columns = []
        for j, c in enumerate(frame.columns):
            col = frame[c]
            if categories[j] is not None:
                try:
                    columns.append(_category_codes(col, categories[j]))
                except TypeError as e:
                    raise est.category_error(c, e) from e
            else:
                columns.append(est.numeric_column(col))
        return est.check_matrix(np.column_stack(columns), model, fitting=False, allow_nan=True)
    x = est.check_matrix(X, model, fitting=False, allow_nan=True, keep_float32=True)
    if any(c is not None for c in categories):
        x = x.copy()
        for j, cats in enumerate(categories):
            if cats is not None:
                try:
                    values = np.asarray(cats, dtype=np.float64)
                except (TypeError, ValueError) as e:
                    raise est.InvalidInputError(
                        "X: the model was fitted on a DataFrame with categorical columns: predict from a DataFrame"
                    ) from e
                x[:, j] = _codes(x[:, j], values)
    return x


def category_names(model: Any) -> list[list[str]]:
    """Per feature, its category labels as text (empty for numeric ones)."""
    return [[] if c is None else [str(v) for v in c] for c in getattr(model, "categories_", [])]
