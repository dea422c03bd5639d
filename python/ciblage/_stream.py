"""Transactions given as a stream of record batches rather than one table:
a ``pyarrow.RecordBatchReader``, a ``pyarrow.dataset.Dataset`` (a folder of
parquet files; only the columns used are read), a polars ``LazyFrame``
(collected batch by batch), a DuckDB relation, or an iterable (list, tuple,
generator) of pyarrow RecordBatches or Tables, pandas or polars DataFrames.

``rfm`` and ``customer_totals`` absorb the batches one at a time into
per-customer state (memory proportional to the customers, not the rows),
with the results of the whole table, to the bit; ``retention`` and the CLV
``summary`` into per-(customer, day or period) states
(:mod:`ciblage._stream_days`). The other entry points gather the used
columns of the batches into one table first."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import pyarrow as pa

from ._progress import reporter
from ._tables import _check_columns, to_arrow
from .exceptions import ColumnTypeError

_TABLE_ITEMS = ("RecordBatch", "Table", "DataFrame")


def _root(obj: Any) -> str:
    return type(obj).__module__.split(".", 1)[0]


def _is_dataset(data: Any) -> bool:
    if _root(data) != "pyarrow" or "dataset" not in type(data).__module__:
        return False
    import pyarrow.dataset as ds

    return isinstance(data, ds.Dataset)


def _is_lazy(data: Any) -> bool:
    return _root(data) == "polars" and type(data).__name__ == "LazyFrame"


def _is_duckdb(data: Any) -> bool:
    return _root(data) == "duckdb" and type(data).__name__ == "DuckDBPyRelation"


def _is_table_item(item: Any) -> bool:
    return _root(item) in ("pyarrow", "pandas", "polars") and type(item).__name__ in _TABLE_ITEMS


def is_stream(data: Any) -> bool:
    """True for the stream forms this module reads (see the module doc)."""
    if isinstance(data, pa.RecordBatchReader) or _is_dataset(data) or _is_lazy(data) or _is_duckdb(data):
        return True
    if isinstance(data, (list, tuple)):
        return len(data) > 0 and all(_is_table_item(item) for item in data)
    return isinstance(data, Iterator)


def stream_kind(data: Any) -> str:
    """The library results of a stream come back in: polars for a
    ``LazyFrame`` or polars frames, pandas for pandas frames, else pyarrow."""
    if _is_lazy(data):
        return "polars"
    if isinstance(data, (list, tuple)) and data and _root(data[0]) in ("pandas", "polars"):
        return _root(data[0])
    return "pyarrow"


def _item_batches(item: Any, columns: Mapping[str, str], argument: str) -> Iterator[pa.RecordBatch]:
    """The used columns of one item of an iterable, as record batches."""
    wanted = list(dict.fromkeys(columns.values()))
    if isinstance(item, pa.RecordBatch):
        _check_columns(columns, item.schema.names)
        yield item.select(wanted)
        return
    if not _is_table_item(item):
        raise ColumnTypeError(
            f"{argument}: expected an iterable of pyarrow RecordBatches or Tables, pandas or polars DataFrames, "
            f"got an item of type {type(item).__module__.split('.')[0]}.{type(item).__name__}"
        )
    table = to_arrow(item, columns, argument)
    if not isinstance(table, pa.Table):
        table = pa.table(table)
    yield from table.to_batches()


def _duckdb_reader(rel: Any, wanted: list[str]) -> Any:
    projected = rel.project(", ".join(json.dumps(c) for c in wanted))
    for name in ("to_arrow_reader", "fetch_record_batch", "record_batch"):
        method = getattr(projected, name, None)
        if method is not None:
            return method(1 << 17)
    return pa.RecordBatchReader.from_stream(projected)


def batches(data: Any, columns: Mapping[str, str], argument: str = "transactions") -> Iterator[pa.RecordBatch]:
    """The used columns (``{argument: column}``) of a stream, batch by batch;
    a missing column is refused before any batch is read where the stream
    has a schema, else at the first batch."""
    wanted = list(dict.fromkeys(columns.values()))
    if isinstance(data, pa.RecordBatchReader):
        _check_columns(columns, data.schema.names)
        for batch in data:
            yield batch.select(wanted)
        return
    if _is_dataset(data):
        _check_columns(columns, data.schema.names)
        yield from data.to_batches(columns=wanted)
        return
    if _is_lazy(data):
        _check_columns(columns, list(data.collect_schema().names()))
        for frame in data.select(wanted).collect_batches():
            yield from _item_batches(frame, columns, argument)
        return
    if _is_duckdb(data):
        _check_columns(columns, list(data.columns))
        yield from _duckdb_reader(data, wanted)
        return
    for item in data:
        yield from _item_batches(item, columns, argument)


def _zone_text(t: pa.DataType) -> str:
    return "naive" if t.tz is None else repr(t.tz)


def _check_time_type(first: pa.DataType | None, batch: pa.RecordBatch, argument: str, column: str) -> pa.DataType:
    """The timestamp type of the first batch; refuses a batch whose
    timestamps are in another zone (or naive against aware)."""
    t = batch.schema.field(column).type
    if first is None:
        return t
    if pa.types.is_timestamp(first) and pa.types.is_timestamp(t) and first.tz != t.tz:
        raise ColumnTypeError(
            f"{argument}: column {json.dumps(column)} holds timestamps of several time zones "
            f"({_zone_text(first)}, {_zone_text(t)}) across the batches of the stream; convert them to one zone "
            "first, e.g. pandas.to_datetime(column, utc=True)"
        )
    return first


def _total_rows(data: Any) -> int:
    """Rows of the stream when known without reading it (a dataset's
    parquet metadata), else 0."""
    if _is_dataset(data):
        try:
            return int(data.count_rows())
        except Exception:  # a dataset without cheap counts
            return 0
    return 0


def absorb(native: Any, data: Any, columns: Mapping[str, str], progress: Any, what: str) -> None:
    """Feeds the batches of ``data`` to a native ``ActivityStream``, one at a
    time: Ctrl-C stops between batches (and within a long one), ``progress``
    counts the rows."""
    report = reporter(progress, what)
    total = _total_rows(data)
    timestamp = columns.get("timestamp")
    time_type: pa.DataType | None = None
    rows = 0
    for batch in batches(data, columns):
        if timestamp is not None and batch.num_rows:
            time_type = _check_time_type(time_type, batch, "timestamp", timestamp)
        native.absorb(batch)
        rows += batch.num_rows
        if report is not None:
            report(rows, max(total, rows) if total else 0)
    if report is not None:
        report(rows, rows)


def materialized(data: Any, columns: Mapping[str, str], argument: str = "transactions") -> Any:
    """The used columns of a stream gathered into one table of the
    stream's library (see :func:`stream_kind`); ``data`` itself otherwise."""
    if not is_stream(data):
        return data
    kind = stream_kind(data)
    wanted = list(dict.fromkeys(columns.values()))
    time_type: pa.DataType | None = None
    timestamp = columns.get("timestamp")
    gathered: list[pa.RecordBatch] = []
    for batch in batches(data, columns, argument):
        if timestamp is not None and batch.num_rows:
            time_type = _check_time_type(time_type, batch, "timestamp", timestamp)
        if gathered and batch.schema != gathered[0].schema:
            batch = _cast_like(batch, gathered[0].schema, argument)
        gathered.append(batch)
    if gathered:
        table = pa.Table.from_batches(gathered)
    else:
        table = pa.table({c: pa.array([], pa.null()) for c in wanted})
    if kind == "polars":
        import polars as pl

        return pl.from_arrow(table)
    if kind == "pandas":
        return table.to_pandas()
    return table


def _cast_like(batch: pa.RecordBatch, schema: pa.Schema, argument: str) -> pa.RecordBatch:
    """A batch whose column types differ from the first batch's (an int32
    id column after an int64 one, say), cast to them."""
    try:
        return batch.cast(schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, ValueError) as e:
        raise ColumnTypeError(
            f"{argument}: the batches of the stream have different column types ({schema} then {batch.schema}): {e}"
        ) from e
