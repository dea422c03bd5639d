"""Moving tables in and out: pandas, polars, pyarrow and dicts of arrays in,
the caller's library out. No computation happens here."""

from __future__ import annotations

import datetime as _dt
import json
import os
from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa

from .exceptions import ColumnNotFoundError, ColumnTypeError, InvalidParameterError


def _module_of(obj: Any) -> str:
    return type(obj).__module__.split(".", 1)[0]


def table_kind(data: Any) -> str:
    """Which library a table comes from: pandas, polars, pyarrow or arrow."""
    root = _module_of(data)
    if root in ("pandas", "polars", "pyarrow"):
        return root
    return "arrow"


def to_arrow(data: Any, columns: Mapping[str, str], argument: str = "transactions") -> Any:
    """The columns ``{argument: column}`` of ``data`` as an object exposing
    ``__arrow_c_stream__``, zero-copy where the types allow it."""
    wanted = list(dict.fromkeys(columns.values()))
    kind = table_kind(data)
    # pyarrow's pool keeps memory freed by earlier work (reading a parquet
    # file into pandas leaves hundreds of MiB); hand it back to the system
    # before a job that allocates its own working memory.
    pa.default_memory_pool().release_unused()
    if kind == "polars":
        import polars as pl

        if isinstance(data, pl.LazyFrame):
            data = data.collect()
        if isinstance(data, pl.DataFrame):
            _check_columns(columns, list(data.columns))
            # `to_arrow` shares polars' chunks (strings as views); its Arrow
            # C stream export would copy every column into one chunk first.
            selected = data.select(wanted)
            try:
                return selected.to_arrow(compat_level=pl.CompatLevel.newest())
            except (AttributeError, TypeError):  # polars without compat levels
                return selected.to_arrow()
    if kind == "pandas":
        import pandas as pd

        if isinstance(data, pd.DataFrame):
            _check_columns(columns, [str(c) for c in data.columns])
            return pa.table({c: _pandas_column(data[c]) for c in wanted})
    if isinstance(data, (pa.Table, pa.RecordBatch)):
        _check_columns(columns, data.column_names)
        return data.select(wanted)
    if isinstance(data, Mapping):
        _check_columns(columns, [str(k) for k in data])
        try:
            return pa.table({k: _as_array(data[k]) for k in wanted})
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as e:
            raise ColumnTypeError(f"{argument}: cannot read the mapping as columns: {e}") from e
    if hasattr(data, "__arrow_c_stream__"):
        return data
    raise ColumnTypeError(
        f"{argument}: expected a pandas, polars or pyarrow table, a dict of arrays, or an "
        f"object with __arrow_c_stream__, got {type(data).__name__}"
    )


def _check_columns(columns: Mapping[str, str], available: list[str]) -> None:
    for arg, col in columns.items():
        if col not in available:
            raise ColumnNotFoundError(
                f"{arg}: column {json.dumps(col)} not found; the table has {json.dumps(available)}"
            )


def _pandas_column(series: Any) -> Any:
    """A pandas column as an Arrow array without a pass over the values where
    the memory layout allows it: NaN stays NaN (reported as non-finite), NaT
    stays the int64 minimum (reported as a null), and the native side checks."""
    import pandas as pd

    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        return pa.array(series.to_numpy(), from_pandas=False)
    if isinstance(dtype, pd.DatetimeTZDtype) or (isinstance(dtype, np.dtype) and dtype.kind == "M"):
        naive = series.dt.tz_convert(None) if isinstance(dtype, pd.DatetimeTZDtype) else series
        values = np.ascontiguousarray(naive.to_numpy())
        arrow_type = pa.array(series.iloc[:1]).type if len(series) else pa.timestamp("us")
        return pa.Array.from_buffers(arrow_type, len(values), [None, pa.py_buffer(values.view("int64"))])
    return pa.array(series)


def _as_array(values: Any) -> Any:
    if isinstance(values, np.ndarray) and values.dtype.kind == "M":
        return pa.array(values)
    return values


def from_arrow(table: Any, kind: str) -> Any:
    """An Arrow stream as a table of the caller's library (pyarrow otherwise)."""
    if kind == "polars":
        import polars as pl

        return pl.DataFrame(table)
    arrow = pa.RecordBatchReader.from_stream(table).read_all()
    if kind == "pandas":
        # One block per column: no consolidation copy.
        return arrow.to_pandas(split_blocks=True)
    return arrow


def iso_date(value: Any, argument: str = "as_of") -> str | None:
    """A date-like value as ``YYYY-MM-DD``: a ``date``, a ``datetime`` (its
    own calendar day), a numpy ``datetime64``, or an ISO 8601 string read
    whole (``"2024-01-05"``, ``"2024-01-05T10:30"``); anything after the date
    that is not a valid time (``"2024-01-05garbage"``) is refused, as are
    missing values (NaT) and numbers."""
    if value is None:
        return None
    bad = InvalidParameterError(
        f"invalid parameter {argument}: expected a date, datetime or 'YYYY-MM-DD' string, got {value!r}"
    )
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            raise bad
        value = value.astype("datetime64[D]").item()
        if not isinstance(value, _dt.date):  # out of the range of Python dates
            raise bad
    if isinstance(value, _dt.date) and value != value:  # pandas NaT
        raise bad
    if isinstance(value, _dt.datetime):
        try:
            return value.date().isoformat()
        except (ValueError, TypeError, AttributeError) as e:  # pandas NaT
            raise bad from e
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                return _dt.date.fromisoformat(text).isoformat()
            if len(text) > 10 and text[10] in "T ":
                return _dt.datetime.fromisoformat(text).date().isoformat()
        except ValueError as e:
            raise bad from e
    raise bad


def float_list(values: Any, name: str) -> list[float] | None:
    """A sequence of numbers as floats (``None`` stays ``None``)."""
    if values is None:
        return None
    try:
        return [float(v) for v in values]
    except (TypeError, ValueError) as e:
        raise InvalidParameterError(f"invalid parameter {name}: expected numbers, got {values!r}") from e


def read_text(path: str | os.PathLike[str]) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read()
