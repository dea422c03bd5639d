"""Moving tables in and out: pandas, polars, pyarrow and dicts of arrays in,
the caller's library out. No computation happens here."""

from __future__ import annotations

import datetime as _dt
import json
import numbers
import os
from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa

from ._html import html_summary, html_table, native_html, table_head
from .exceptions import (
    ColumnNotFoundError,
    ColumnTypeError,
    InvalidInputError,
    InvalidParameterError,
)

__all__ = [
    "as_timezone",
    "attach_report",
    "column_arg",
    "float_list",
    "from_arrow",
    "html_summary",
    "html_table",
    "iso_date",
    "native_html",
    "native_order",
    "opt_column_arg",
    "read_text",
    "table_head",
    "table_kind",
    "to_arrow",
]

_ARROW_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, ValueError, OverflowError)


def _module_of(obj: Any) -> str:
    return type(obj).__module__.split(".", 1)[0]


def table_kind(data: Any) -> str:
    """Which library a table comes from: pandas, polars, pyarrow or arrow."""
    root = _module_of(data)
    if root in ("pandas", "polars", "pyarrow"):
        return root
    return "arrow"


def column_arg(value: Any, name: str) -> str:
    """A column-name argument as the name of the Arrow column: a string, or
    an integer label (pandas tables whose columns are ``0, 1, 2``), which
    becomes its decimal text as pandas' own Arrow conversion names it."""
    if isinstance(value, str):
        return value
    if isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)):
        return str(int(value))
    raise InvalidParameterError(
        f"invalid parameter {name}: expected a column name (a string, or an integer label), got {value!r}"
    )


def opt_column_arg(value: Any, name: str) -> str | None:
    """``None`` or :func:`column_arg`."""
    return None if value is None else column_arg(value, name)


def _is_column_like(data: Any) -> bool:
    """A single column (Series, array, list) rather than a table."""
    if isinstance(data, (np.ndarray, list, tuple, pa.Array, pa.ChunkedArray)):
        return True
    return table_kind(data) in ("pandas", "polars") and type(data).__name__ == "Series"


def to_arrow(data: Any, columns: Mapping[str, str], argument: str = "transactions") -> Any:
    """The columns ``{argument: column}`` of ``data`` as an object exposing
    ``__arrow_c_stream__``, zero-copy where the types allow it.

    Refused with our exception classes, naming the argument or column: a
    single column (Series, array) instead of a table, a column named twice
    in the table, a column whose values cannot be read as one Arrow type
    (mixed types in an object column), and an object column of timestamps
    in several time zones (a single zone is honoured)."""
    wanted = list(dict.fromkeys(columns.values()))
    kind = table_kind(data)
    if _is_column_like(data):
        raise ColumnTypeError(
            f"{argument}: expected a pandas, polars or pyarrow table, a dict of arrays, or an object with "
            f"__arrow_c_stream__, got a single column ({type(data).__module__.split('.')[0]}.{type(data).__name__}); "
            "pass a table with named columns"
        )
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
                try:
                    return selected.to_arrow(compat_level=pl.CompatLevel.newest())
                except (AttributeError, TypeError):  # polars without compat levels
                    return selected.to_arrow()
            except _ARROW_ERRORS as e:  # a polars type Arrow cannot read (Int128, Object, ...)
                raise _untransferable(argument, columns, selected, e) from e
    if kind == "pandas":
        import pandas as pd

        if isinstance(data, pd.DataFrame):
            names = [str(c) for c in data.columns]
            _check_columns(columns, names)
            position = {n: i for i, n in reversed(list(enumerate(names)))}
            by_name = {c: data.iloc[:, position[c]] for c in wanted}
            return pa.table({c: _pandas_column(by_name[c], _argument_of(columns, c), c) for c in wanted})
    if isinstance(data, (pa.Table, pa.RecordBatch)):
        _check_columns(columns, data.column_names)
        return data.select(wanted)
    if isinstance(data, Mapping):
        _check_columns(columns, [str(k) for k in data])
        keys = {str(k): k for k in data}
        arrays = {c: _as_array(data[keys[c]], _argument_of(columns, c), c) for c in wanted}
        try:
            return pa.table(arrays)
        except _ARROW_ERRORS as e:
            raise ColumnTypeError(f"{argument}: cannot read the mapping as columns: {e}") from e
    if hasattr(data, "__arrow_c_stream__"):
        try:
            reader = pa.RecordBatchReader.from_stream(data)
        except _ARROW_ERRORS as e:
            raise ColumnTypeError(f"{argument}: cannot read {type(data).__name__} as a table: {e}") from e
        _check_columns(columns, reader.schema.names)
        return reader
    raise ColumnTypeError(
        f"{argument}: expected a pandas, polars or pyarrow table, a dict of arrays, or an "
        f"object with __arrow_c_stream__, got {type(data).__name__}"
    )


def _untransferable(argument: str, columns: Mapping[str, str], frame: Any, e: Exception) -> ColumnTypeError:
    """A polars table Arrow cannot take: names the first column at fault."""
    for arg, col in columns.items():
        try:
            frame.select([col]).to_arrow()
        except _ARROW_ERRORS:
            return ColumnTypeError(
                f"{arg}: column {json.dumps(col)} has polars type {frame.schema[col]}, which cannot be read "
                f"through Arrow: {e}"
            )
    return ColumnTypeError(f"{argument}: cannot read the polars table through Arrow: {e}")


def _argument_of(columns: Mapping[str, str], column: str) -> str:
    return next(arg for arg, col in columns.items() if col == column)


def _check_columns(columns: Mapping[str, str], available: list[str]) -> None:
    for arg, col in columns.items():
        if col not in available:
            raise ColumnNotFoundError(
                f"{arg}: column {json.dumps(col)} not found; the table has {json.dumps(available)}"
            )
        times = available.count(col)
        if times > 1:
            raise InvalidInputError(
                f"{arg}: column {json.dumps(col)} appears {times} times in the table; column names must be unique"
            )


def _unreadable(argument: str, column: str, e: Exception) -> ColumnTypeError:
    return ColumnTypeError(
        f"{argument}: column {json.dumps(column)} cannot be read as one type (mixed types in an object column?): {e}"
    )


def _zone_key(tz: Any) -> str | None:
    if tz is None:
        return None
    return str(getattr(tz, "key", None) or getattr(tz, "zone", None) or tz)


def _check_one_zone(values: Any, argument: str, column: str) -> None:
    """Refuses Python datetimes of several time zones (or naive mixed with
    aware) in one column: Arrow would read them in the first value's zone,
    putting day boundaries in the wrong place for the others."""
    # Only a column of datetimes is scanned (a column of strings, the usual
    # object column, is not): its first present value tells.
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


def _pandas_column(series: Any, argument: str = "column", column: str = "") -> Any:
    """A pandas column as an Arrow array without a pass over the values where
    the memory layout allows it: NaN stays NaN (reported as non-finite), NaT
    stays the int64 minimum (reported as a null), and the native side checks."""
    import pandas as pd

    dtype = series.dtype
    if isinstance(dtype, np.dtype) and not dtype.isnative:
        # Arrow reads native byte order only (big-endian data from files).
        dtype = dtype.newbyteorder("=")
        series = series.astype(dtype)
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        return pa.array(series.to_numpy(), from_pandas=False)
    if isinstance(dtype, pd.DatetimeTZDtype) or (isinstance(dtype, np.dtype) and dtype.kind == "M"):
        naive = series.dt.tz_convert(None) if isinstance(dtype, pd.DatetimeTZDtype) else series
        values = np.ascontiguousarray(naive.to_numpy())
        arrow_type = pa.array(series.iloc[:1]).type if len(series) else pa.timestamp("us")
        return pa.Array.from_buffers(arrow_type, len(values), [None, pa.py_buffer(values.view("int64"))])
    if isinstance(dtype, np.dtype) and dtype.kind == "O":
        _check_one_zone(series.to_numpy(), argument, column)
    try:
        return pa.array(series)
    except _ARROW_ERRORS as e:
        raise _unreadable(argument, column, e) from e


def _as_array(values: Any, argument: str = "column", column: str = "") -> Any:
    if table_kind(values) == "pandas" and type(values).__name__ == "Series":
        return _pandas_column(values, argument, column)
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values
    if isinstance(values, np.ndarray) and values.ndim != 1:
        raise ColumnTypeError(
            f"{argument}: column {json.dumps(column)} must be 1-D, got an array of shape {values.shape}"
        )
    if isinstance(values, np.ndarray):
        values = native_order(values)
    if isinstance(values, np.ndarray) and values.dtype.kind == "M":
        unit, _ = np.datetime_data(values.dtype)
        if unit not in ("s", "ms", "us", "ns", "D"):
            # Arrow has no years, months, weeks, hours or minutes: the same
            # instants in seconds (exact for every unit coarser than that).
            values = values.astype("datetime64[s]")
    if isinstance(values, (list, tuple)) or (isinstance(values, np.ndarray) and values.dtype.kind == "O"):
        _check_one_zone(values, argument, column)
    try:
        return pa.array(values)
    except _ARROW_ERRORS as e:
        raise _unreadable(argument, column, e) from e


def native_order(values: np.ndarray) -> np.ndarray:
    """The array in the machine's byte order (Arrow reads no other): a
    big-endian array read from a file is converted, others returned as
    they are."""
    if values.dtype.isnative:
        return values
    return values.astype(values.dtype.newbyteorder("="))


def as_timezone(value: Any, name: str = "timezone") -> str | None:
    """A time-zone parameter as its name: a string, or a ``tzinfo`` with an
    IANA key (``zoneinfo.ZoneInfo``, pytz zones) or UTC; ``None`` stays."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, _dt.tzinfo):
        key = getattr(value, "key", None) or getattr(value, "zone", None)
        if isinstance(key, str):
            return key
        if value.utcoffset(None) == _dt.timedelta(0) and value.tzname(None) in ("UTC", "UTC+00:00"):
            return "UTC"
        offset = value.utcoffset(None)
        if offset is not None:
            minutes = int(offset.total_seconds()) // 60
            sign = "+" if minutes >= 0 else "-"
            return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    raise InvalidParameterError(
        f"invalid parameter {name}: expected a string (an IANA zone name such as 'Europe/Paris') or a tzinfo, "
        f"got {value!r}"
    )


def from_arrow(table: Any, kind: str) -> Any:
    """An Arrow stream as a table of the caller's library (pyarrow otherwise)."""
    if kind == "polars":
        import polars as pl

        return pl.DataFrame(table)
    arrow = pa.RecordBatchReader.from_stream(table).read_all()
    if kind == "pandas":
        # One block per column: no consolidation copy.
        try:
            return arrow.to_pandas(split_blocks=True)
        except (ValueError, OverflowError, pa.ArrowInvalid):
            # Dates outside the years 1 to 9999 have no Python date: date
            # columns then come back as datetime64[ms], which holds them.
            return arrow.to_pandas(split_blocks=True, date_as_object=False)
    return arrow


def attach_report(table: Any, report: Mapping[str, Any]) -> Any:
    """The input report attached to a plain result table: ``attrs
    ["input_report"]`` of a pandas DataFrame, schema metadata
    ``b"ciblage.input_report"`` (JSON) of a pyarrow Table; polars frames
    have no metadata and are returned as they are."""
    if isinstance(table, pa.Table):
        metadata = dict(table.schema.metadata or {})
        metadata[b"ciblage.input_report"] = json.dumps(dict(report)).encode()
        return table.replace_schema_metadata(metadata)
    if table_kind(table) == "pandas":
        table.attrs["input_report"] = dict(report)
    return table


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
    """A sequence of numbers as floats (``None`` stays ``None``). Strings,
    bools and other non-numbers are refused; NaN and inf pass through, for
    the native side's own message."""
    if values is None:
        return None
    bad = InvalidParameterError(f"invalid parameter {name}: expected numbers, got {values!r}")
    if isinstance(values, (str, bytes, Mapping)):
        raise bad
    try:
        items = list(values)
    except TypeError as e:
        raise bad from e
    if any(isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real) for v in items):
        raise bad
    return [float(v) for v in items]


def read_text(
    path: str | os.PathLike[str], argument: str = "path", error: type[InvalidParameterError] = InvalidParameterError
) -> str:
    """The UTF-8 text of a file; a missing file, a directory, an unreadable
    or non-UTF-8 file raise ``error`` naming the argument and the file."""
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except UnicodeDecodeError as e:
        raise error(f"{argument}: file {os.fspath(path)!r} is not UTF-8 text ({e.reason} at byte {e.start})") from e
    except FileNotFoundError as e:
        raise error(f"{argument}: file {os.fspath(path)!r} not found") from e
    except IsADirectoryError as e:
        raise error(f"{argument}: {os.fspath(path)!r} is a directory, expected a file") from e
    except OSError as e:
        raise error(f"{argument}: cannot read file {os.fspath(path)!r}: {e.strerror or e}") from e
