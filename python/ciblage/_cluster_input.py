"""Reading the features of a clustering helper (choose_k, profile,
stability): numeric and categorical columns of an array or a DataFrame."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._mixed_columns import _categories, _codes, _columns, _is_numeric, _label, _numeric
from .exceptions import ColumnNotFoundError, InvalidParameterError


class Features:
    """The columns of ``X`` split into numeric ones (a float64 matrix) and
    categorical ones (uint32 codes into ``categories``)."""

    def __init__(self, X: Any, categorical: Any = None) -> None:
        names, cols = _columns(X)
        d = len(cols)
        self.n = len(cols[0])
        self.kind = type(X).__module__.split(".", 1)[0]
        #: The column names when they are all strings (else None).
        self.names: list[str] | None = (
            [str(c) for c in names] if names is not None and all(isinstance(c, str) for c in names) else None
        )
        self.labels = [str(names[j]) if names is not None else f"x{j}" for j in range(d)]
        cat_idx = categorical_indices(categorical, names, cols)
        self.cat_idx = cat_idx
        self.num_idx = [j for j in range(d) if j not in set(cat_idx)]
        self.numeric = np.ascontiguousarray(
            np.column_stack([_numeric(cols[j], _label(names, j)) for j in self.num_idx])
            if self.num_idx
            else np.zeros((self.n, 0))
        )
        self.categories: list[np.ndarray] = []
        codes = []
        for j in cat_idx:
            cats = _categories(cols[j], _label(names, j))
            self.categories.append(cats)
            codes.append(_codes(cols[j], cats, _label(names, j)))
        self.codes = np.ascontiguousarray(np.column_stack(codes) if codes else np.zeros((self.n, 0)), dtype=np.uint32)

    @property
    def numeric_labels(self) -> list[str]:
        return [self.labels[j] for j in self.num_idx]

    @property
    def categorical_labels(self) -> list[str]:
        return [self.labels[j] for j in self.cat_idx]


def categorical_indices(categorical: Any, names: list[Any] | None, cols: list[np.ndarray]) -> list[int]:
    """The categorical columns: ``categorical`` (indices or names), by
    default the non-numeric ones."""
    d = len(cols)
    if categorical is None:
        return [j for j in range(d) if not _is_numeric(cols[j])]
    items = [categorical] if isinstance(categorical, (str, int, np.integer)) else list(categorical)
    out = []
    for c in items:
        if isinstance(c, (int, np.integer)) and not isinstance(c, bool) and -d <= c < d:
            out.append(int(c) % d)
        elif names is not None and c in names:
            out.append(names.index(c))
        elif isinstance(c, str):
            raise ColumnNotFoundError(f"categorical: column {c!r} not found in X")
        else:
            raise InvalidParameterError(f"invalid parameter categorical: expected column indices or names, got {c!r}")
    return out


def as_table(columns: dict[str, Any], kind: str) -> Any:
    """A dict of columns as a table of the caller's library: polars or
    pyarrow for those inputs, pandas otherwise."""
    if kind == "polars":
        import polars as pl

        return pl.DataFrame(columns)
    if kind == "pyarrow":
        import pyarrow as pa

        return pa.table(columns)
    import pandas as pd

    return pd.DataFrame(columns)
