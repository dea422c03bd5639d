"""Per-customer partial states for partitioned transactions (shared by
``ciblage.dask`` and ``ciblage.spark``; no engine is imported here).

Each partition is read by a native ``ActivityStream`` into a partial state
keyed by customer id (an Arrow record batch, schema version 2, see
``ciblage::partial_state`` in the Rust core); states merge in any order;
the merged state is scored on the caller's side by a stream of the same
parameters, with the code of a local call (``stream.rfm()``,
``stream.totals()``), so that the results are the local ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from . import _native, _stream
from ._tables import column_arg
from .exceptions import InvalidParameterError

#: Schema metadata key and version of the partial-state batches (the Rust
#: core checks them at load; Spark drops schema metadata, so the Spark
#: adapter puts them back on its own states).
VERSION_KEY = b"ciblage.partial_state"
VERSION = b"2"
#: Position of a partition's first row in the order of the whole input:
#: the partition number times this (rows within a partition below it).
PARTITION_STRIDE = 1 << 40

#: Arguments of ``rfm`` that set how rows are read (the others only score).
_READING = ("as_of", "negative_amounts", "frequency", "timezone")


@dataclass(frozen=True)
class Spec:
    """What partitions are read for: ``goal`` ``"rfm"`` or ``"totals"``,
    the used columns (``{argument: column}``), the parameters of the native
    stream that reads a partition (``reading``), and those of the stream
    that scores (``scoring``; may hold native objects, never shipped)."""

    goal: str
    columns: dict[str, str]
    reading: dict[str, Any]
    scoring: dict[str, Any] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        """The used column names, each once."""
        return list(dict.fromkeys(self.columns.values()))

    def _stream(self, params: Mapping[str, Any]) -> Any:
        c = self.columns
        if self.goal == "rfm":
            return _native.rfm_stream(
                customer=c["customer"], timestamp=c["timestamp"], amount=c["amount"], cost=c.get("cost"), **params
            )
        return _native.totals_stream(customer=c["customer"], amount=c["amount"], cost=c.get("cost"))

    def shipped(self) -> Spec:
        """The spec workers get: without the scoring parameters (native
        objects such as a segment table need not travel)."""
        return Spec(self.goal, self.columns, self.reading)

    def reader(self) -> Any:
        """A native stream that reads rows or merges states."""
        return self._stream(self.reading)

    def scorer(self) -> Any:
        """A native stream that scores the merged state."""
        return self._stream(self.scoring or self.reading)


def rfm_spec(columns: dict[str, str], params: dict[str, Any]) -> Spec:
    """The spec of ``rfm`` from its checked columns and parameters."""
    if params["frequency"] == "purchase_days":
        raise InvalidParameterError(
            'invalid parameter frequency: "purchase_days" (distinct purchase days) is not available on '
            'partitioned data yet; use "transactions", or the local ciblage.rfm'
        )
    # The scoring stream checks every parameter now, before any job.
    spec = Spec("rfm", columns, {k: params[k] for k in _READING}, dict(params))
    spec.scorer()
    return spec


def totals_spec(columns: dict[str, str]) -> Spec:
    """The spec of ``customer_totals``."""
    return Spec("totals", columns, {})


def partition_state(spec: Spec, data: Iterable[Any], partition: int, row0: int = 0) -> pa.RecordBatch:
    """The partial state of one partition (an iterable of pandas frames or
    Arrow batches/tables, empty ones allowed); rows are numbered from
    ``row0`` in error messages."""
    stream = spec.reader()
    _native.stream_partition(stream, row0, partition * PARTITION_STRIDE)
    batches = _stream.batches((d for d in data if len(d)), spec.columns)
    _stream.absorb(stream, (aligned(b) for b in batches), spec.columns, False, spec.goal)
    return pa.record_batch(_native.stream_partial_state(stream))


def input_schema(data: Iterable[Any], spec: Spec) -> pa.Schema | None:
    """The Arrow schema of the used columns of the first non-empty item,
    as the native stream reads it (None when every item is empty)."""
    for item in data:
        if len(item):
            for batch in _stream.batches([item], spec.columns):
                return batch.schema
    return None


def with_version(batch: pa.RecordBatch) -> pa.RecordBatch:
    """A state batch that lost its schema metadata (Spark) with it back."""
    return batch.replace_schema_metadata({VERSION_KEY: VERSION})


def merge_states(spec: Spec, states: Iterable[pa.RecordBatch], schema: pa.Schema | None) -> pa.RecordBatch:
    """One state of several (the customers found by id)."""
    stream = spec.reader()
    absorb_states(stream, states, schema)
    return pa.record_batch(_native.stream_partial_state(stream))


def absorb_states(stream: Any, states: Iterable[pa.RecordBatch], schema: pa.Schema | None) -> None:
    """Merges states into a native stream; states of no row are skipped
    (``schema``, the transactions' schema, is None when there is no row)."""
    for state in states:
        if state.num_rows:
            if schema is None:  # pragma: no cover - rows imply a schema
                raise AssertionError("partial states without the schema of their rows")
            _native.stream_absorb_partial_state(stream, aligned(state), schema)


def _misaligned(arrays: Iterable[Any]) -> bool:
    """True when a buffer of these arrays (children included) starts at an
    address that is not a multiple of 8 (16 for view types)."""
    for arr in arrays:
        step = 16 if pa.types.is_string_view(arr.type) or pa.types.is_binary_view(arr.type) else 8
        for buf in arr.buffers():
            if buf is not None and buf.size and buf.address % step:
                return True
    return False


def aligned(batch: pa.RecordBatch) -> pa.RecordBatch:
    """The batch itself when every buffer is aligned, else a copy in buffers
    of Arrow's own allocation: a batch or frame unpickled from a message
    (Dask's transfers between processes) may hold buffers at any address,
    which the Arrow C data interface does not accept."""
    if not _misaligned(batch.columns):
        return batch
    return pa.ipc.read_record_batch(batch.serialize(), batch.schema)


def aligned_table(table: pa.Table) -> pa.Table:
    """The table itself when every buffer is aligned, else a copy of its
    misaligned batches (see :func:`aligned`)."""
    if not _misaligned(chunk for col in table.columns for chunk in col.chunks):
        return table
    return pa.Table.from_batches([aligned(b) for b in table.to_batches()], schema=table.schema)


def first_failure(n_partitions: int, probe: Callable[[list[int]], list[tuple[int, bool]]]) -> tuple[int, int] | None:
    """After a failed job: ``probe`` reads every partition again and gives
    its rows and whether it fails; the first failing partition and the
    number of rows before it, or None when none fails alone."""
    found = probe(list(range(n_partitions)))
    before = 0
    for i, (rows, failed) in enumerate(found):
        if failed:
            return i, before
        before += rows
    return None


def probe_partition(spec: Spec, data: Iterable[Any]) -> tuple[int, bool]:
    """Rows of one partition and whether reading it fails."""
    items = [d for d in data if len(d)]
    try:
        partition_state(spec, items, 0)
    except (ValueError, TypeError):
        return sum(len(d) for d in items), True
    return sum(len(d) for d in items), False


#: The per-customer totals an engine's value tiers and concentration rank by.
TOTALS_VALUES = ("revenue", "margin", "cost", "transactions")


def value_arg(value: Any) -> str:
    """The ``value`` argument of the engines' ``value_tiers`` and
    ``concentration``: one of the customer totals' columns, else an
    ``InvalidParameterError`` naming it."""
    value = column_arg(value, "value")
    if value not in TOTALS_VALUES:
        raise InvalidParameterError(
            f'invalid parameter value: expected "revenue", "margin", "cost" or "transactions", got {value!r}'
        )
    return value
