"""Checks made on an input table before its columns are handed to Arrow, for
the churn and lifecycle entry points: what Arrow would otherwise read wrongly
or refuse with an error of its own.

- a column named twice (pandas, pyarrow): which one would be read?
- an object column of datetimes in several time zones (or naive mixed with
  aware): Arrow reads them all in the first value's zone, which moves the
  day boundaries of the others;
- values Arrow cannot read as one type (an object column mixing strings and
  numbers, nested values): a :class:`ColumnTypeError` naming the column
  instead of a pyarrow error.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa

from ._tables import table_kind, to_arrow
from .exceptions import CiblageError, ColumnTypeError, InvalidInputError

_ARROW_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, ValueError,
                 OverflowError)


def read_columns(data: Any, columns: Mapping[str, str], argument: str) -> Any:
    """:func:`to_arrow` of ``data`` after the checks above; ``columns`` maps
    each argument (``"timestamp"``) to its column name."""
    names = _column_names(data)
    for arg, col in columns.items():
        times = names.count(col)
        if times > 1:
            raise InvalidInputError(
                f"{arg}: column {json.dumps(col)} appears {times} times in the table; column names must be unique"
            )
    for arg, col in columns.items():
        values = _raw_values(data, col)
        if values is not None:
            check_one_zone(values, arg, col)
    try:
        return to_arrow(data, columns, argument=argument)
    except CiblageError:
        raise
    except _ARROW_ERRORS as e:
        for arg, col in columns.items():
            values = _raw_values(data, col)
            if values is None:
                continue
            try:
                pa.array(values)
            except _ARROW_ERRORS as inner:
                raise ColumnTypeError(
                    f"{arg}: column {json.dumps(col)} cannot be read as one type (mixed types in an object "
                    f"column?): {inner}"
                ) from e
        raise ColumnTypeError(f"{argument}: cannot read the columns {list(columns.values())}: {e}") from e


def _column_names(data: Any) -> list[str]:
    kind = table_kind(data)
    if kind == "pandas" and hasattr(data, "columns"):
        return [str(c) for c in data.columns]
    if isinstance(data, (pa.Table, pa.RecordBatch)):
        return list(data.column_names)
    return []


def _raw_values(data: Any, column: str) -> Any:
    """The Python-level values of a column that Arrow will convert itself
    (a pandas object column, a list or an object array in a mapping), else
    ``None``."""
    if table_kind(data) == "pandas" and hasattr(data, "columns"):
        positions = [i for i, c in enumerate(data.columns) if str(c) == column]
        if len(positions) != 1:
            return None
        series = data.iloc[:, positions[0]]
        dtype = series.dtype
        return series.to_numpy() if isinstance(dtype, np.dtype) and dtype.kind == "O" else None
    if isinstance(data, Mapping):
        keys = [k for k in data if str(k) == column]
        if len(keys) != 1:
            return None
        values = data[keys[0]]
        if table_kind(values) == "pandas" and type(values).__name__ == "Series":
            dtype = values.dtype
            return values.to_numpy() if isinstance(dtype, np.dtype) and dtype.kind == "O" else None
        if isinstance(values, (list, tuple)) or (isinstance(values, np.ndarray) and values.dtype.kind == "O"):
            return values
    return None


def _zone_key(tz: Any) -> str | None:
    if tz is None:
        return None
    return str(getattr(tz, "key", None) or getattr(tz, "zone", None) or tz)


def check_one_zone(values: Any, argument: str, column: str) -> None:
    """Refuses Python datetimes of several time zones (or naive mixed with
    aware) in one column, naming the argument and column. A column whose
    first present value is not a datetime is not scanned."""
    first = next((v for v in values if v is not None and v == v), None)
    if not isinstance(first, _dt.datetime):
        return
    zones: set[str | None] = set()
    for v in values:
        if isinstance(v, _dt.datetime):
            zones.add(_zone_key(v.tzinfo))
            if len(zones) > 1:
                shown = ", ".join("naive" if z is None else repr(z) for z in sorted(zones, key=str))
                raise ColumnTypeError(
                    f"{argument}: column {json.dumps(column)} holds timestamps of several time zones ({shown}); "
                    "convert them to one zone first, e.g. pandas.to_datetime(column, utc=True)"
                )
