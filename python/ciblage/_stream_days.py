"""``retention`` and the CLV ``summary`` of a stream of record batches in
bounded memory: the batches are absorbed one by one into one day state
(one entry per customer, day and sign of the amount, with exact sums; see
:mod:`ciblage._partial_days`) by the Rust core
(``ciblage::partial_state::DayStateAccumulator``): customer ids coded
once, each row added in place to its entry, its day moved to the first
day of the period the call reads where that is exact. The state is
finished as the Spark and Dask calls finish theirs: the local call on the
rows it stands for, the input report counted over every row. Memory
follows the distinct customer-days (customer-periods), never the rows;
results, input report and errors (rows numbered from the start of the
stream) are those of the whole table.

A stream is gathered into one table while its used columns stay under
:data:`GATHER_BYTES`, as for any other function; past that, the batches
gathered so far go to the state and the rest of the stream is read batch
by batch. Both paths give the same results to the bit: only the memory
and the time differ."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from . import _day_time, _partial_days, _stream
from ._progress import reporter
from .exceptions import CiblageError

#: Bytes of a stream's used columns gathered into one table before its
#: batches are read into day states instead (1 GiB).
GATHER_BYTES = 1 << 30


def _kind_of(table: pa.Table, kind: str) -> Any:
    """An Arrow table in the stream's library (see :func:`_stream.stream_kind`)."""
    if kind == "polars":
        import polars as pl

        return pl.from_arrow(table)
    if kind == "pandas":
        return table.to_pandas()
    return table


def _with_input_types(table: pa.Table, schema: pa.Schema, spec: _partial_days.DaySpec) -> pa.Table:
    """The rebuilt rows with the stream's customer id type (the state holds
    64-bit integers or strings)."""
    name = spec.columns["customer"]
    wanted = schema.field(name).type
    i = table.schema.get_field_index(name)
    if table.schema.field(i).type == wanted:
        return table
    try:
        return table.set_column(i, name, table.column(i).cast(wanted))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return table


def _day_stream(spec: _partial_days.DaySpec) -> Any:
    """The core's day-state accumulator for the call of ``spec``, its days
    moved to the call's periods (:func:`_partial_days.collapse_args`); it
    refuses the rows the local call refuses, with its errors."""
    from . import _native
    from ._clv_summary import _freq

    c = spec.columns
    k = spec.kwargs
    reject = None
    if spec.goal == "clv_summary" and k.get("negative_amounts") == "reject":
        try:
            end = _day_time.day_number(k.get("observation_end"), "observation_end")
            reject = (_freq(k.get("freq", "D")), end)
        except CiblageError:
            pass  # refused by the local call at the first batch
    return _native.day_state_stream(
        customer=c["customer"],
        timestamp=c["timestamp"],
        amount=c["amount"],
        cost=c.get("cost"),
        timezone=spec.zone,
        reject_negatives=reject,
        **_partial_days.collapse_args(spec),
    )


def read_days(
    spec: _partial_days.DaySpec, data: Any, progress: Any, what: str, gather_bytes: int = 0
) -> tuple[pa.Table, pa.Schema, pa.Table | None]:
    """The day state of the stream ``data``, the schema of its
    batches (the timestamp type of the first batch with rows) and, when the
    used columns of the whole stream stayed under ``gather_bytes``, the
    stream gathered into one table instead of a state (the state is then
    empty); errors of a batch are the local call's, their rows numbered
    from the stream's first."""
    report = reporter(progress, what)
    total = _stream._total_rows(data)
    column = spec.columns["timestamp"]
    schema: pa.Schema | None = None
    customer_type: pa.DataType | None = None
    time_type: pa.DataType | None = None
    stream = _day_stream(spec)
    rows = 0
    gathered: list[pa.RecordBatch] | None = []
    gathered_bytes = 0
    for batch in _stream.batches(data, spec.columns):
        if batch.num_rows:
            time_type = _stream._check_time_type(time_type, batch, "timestamp", column)
        if schema is None:
            schema = batch.schema
            _partial_days.check_call(spec, schema)
            customer_type = _partial_days.state_schema(schema.field(spec.columns["customer"]).type).field(0).type
        elif batch.schema != schema:
            batch = _stream._cast_like(batch, schema, "transactions")
        if gathered is not None:
            gathered.append(batch)
            gathered_bytes += batch.nbytes
            if gathered_bytes > gather_bytes:
                # Past the budget: the batches so far go to the state
                # (their rows numbered from the stream's first).
                for b in gathered:
                    if b.num_rows:
                        stream.absorb(b)
                gathered = None
        elif batch.num_rows:
            stream.absorb(batch)
        rows += batch.num_rows
        if report is not None:
            report(rows, max(total, rows) if total else 0)
    if report is not None:
        report(rows, rows)
    if schema is None:
        _partial_days.raise_empty(spec)
    assert schema is not None
    if time_type is not None:
        i = schema.get_field_index(column)
        schema = schema.set(i, schema.field(i).with_type(time_type))
    table = None if gathered is None else pa.Table.from_batches(gathered, schema=gathered[0].schema)
    if table is not None:
        return _partial_days.state_schema(pa.int64()).empty_table(), schema, table
    state = pa.Table.from_batches([pa.record_batch(stream.finish())])
    state = state.cast(_partial_days.state_schema(customer_type or state.schema.field(0).type))
    return state, schema, None


def stream_call(goal: str, data: Any, args: dict[str, Any], progress: Any, local: Any) -> Any:
    """``retention`` (``goal`` ``"retention"``) or the CLV ``summary``
    (``"clv_summary"``) of the stream ``data``, with the keyword arguments
    ``args`` of the local call: the result of the whole table, in the
    stream's library. A stream gathered whole (see :data:`GATHER_BYTES`)
    is given to ``local``, the call on one table."""
    spec = _partial_days.day_spec(goal, {k: v for k, v in args.items() if k != "progress"})
    what = "retention" if goal == "retention" else "clv.summary"
    state, schema, table = read_days(spec, data, progress, what, GATHER_BYTES)
    kind = _stream.stream_kind(data)
    if table is not None:
        return local(_kind_of(table, kind))
    return _partial_days.finish(spec, state, schema, lambda t: _kind_of(_with_input_types(t, schema, spec), kind))
