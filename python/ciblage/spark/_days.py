"""``retention`` and the CLV ``clv_summary`` on PySpark
DataFrames of transactions.

Arrow batches end to end (``mapInArrow``, no pandas): each partition
becomes a day state (one row per customer, local day and sign of the
amount: rows, sums of amounts and costs; see ``ciblage._partial_days``),
its days collapsed to the periods the call reads where that is exact
(``retention``'s calendar periods, the CLV summary's weeks and months:
one row per customer-period is shuffled; ``ciblage._partial_days.collapse_args``);
the states are repartitioned by customer (Spark's hash shuffle) and
merged per partition; the merged states come to the driver, which runs
the local call on the rows they stand for. ``clv_summary`` gives a
Spark DataFrame (its input report in the attribute ``input_report``); ``retention`` gives the local
``RetentionResult`` (its tables in pyarrow).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from .. import _partial_days
from .._tables import _check_columns
from ._aggregate import _check_frame, _collect, _local_error, _map, _partition_id, _pyspark, _to_spark

__all__ = ["clv_summary", "retention"]


def _cast(table: pa.Table, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    yield from table.cast(schema).to_batches()


def _merged(df: Any, spec: _partial_days.DaySpec) -> tuple[pa.Table, pa.Schema]:
    """The merged day state of every partition and the input's schema."""
    _pyspark()
    _check_frame(df)
    _check_columns(spec.columns, [str(c) for c in df.columns])
    selected = df.select(*spec.names)
    schema = _collect(selected.limit(0)).schema
    _partial_days.check_call(spec, schema)
    state_schema = _partial_days.state_schema(schema.field(spec.columns["customer"]).type)
    customer_type = state_schema.field("customer").type

    def partial(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        yield from _cast(_partial_days.partition_days(spec, batches, customer_type), state_schema)

    def merge(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        yield from _cast(_partial_days.merge_periods(spec, (b for b in batches if b.num_rows)), state_schema)

    n = max(1, selected.rdd.getNumPartitions())
    merged = _map(_map(selected, partial, state_schema).repartition(n, "customer"), merge, state_schema)
    try:
        table = _collect(merged)
    except Exception as e:
        local = _local_error(e)
        if local is None:
            raise
        _raise_with_global_rows(selected, spec)
        raise local from None
    return _partial_days.merge_periods(spec, [table.cast(state_schema)]), schema


def _raise_with_global_rows(selected: Any, spec: _partial_days.DaySpec) -> None:
    """Raises the error of the first failing partition, its rows numbered
    as in the whole DataFrame (the error a local call gives)."""
    probe_schema = pa.schema([("partition", pa.int64()), ("rows", pa.int64()), ("failed", pa.bool_())])

    def probe(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from pyspark import TaskContext

        rows, failed = _partial_days.probe_partition(spec, list(batches))
        yield pa.record_batch([[_partition_id(TaskContext.get())], [rows], [failed]], schema=probe_schema)

    found = _collect(_map(selected, probe, probe_schema)).sort_by("partition").to_pylist()
    first = _partial_days.first_failure([(r["rows"], r["failed"]) for r in found])
    if first is None:
        return
    failing, row0 = first

    def rerun(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from pyspark import TaskContext

        if _partition_id(TaskContext.get()) == failing:
            _partial_days.partition_error(spec, batches, row0)
        return iter(())

    try:
        _collect(_map(selected, rerun, probe_schema))
    except Exception as e:
        local = _local_error(e)
        if local is None:
            raise
        raise local from None


def _table_result(df: Any, spec: _partial_days.DaySpec) -> Any:
    state, schema = _merged(df, spec)
    table = _partial_days.finish(spec, state, schema, lambda t: t)
    out = _to_spark(df, table)
    report = _partial_days._arrow_report(table)
    try:
        out.input_report = report
    except AttributeError:  # pragma: no cover - a DataFrame that takes no attribute
        pass
    return out


def retention(
    transactions: Any,
    *,
    customer: str = "customer_id",
    timestamp: str = "timestamp",
    amount: str = "amount",
    period: str = "month",
    week_start: str | None = None,
    as_of: Any = None,
    origin: Any = None,
    churn_after: int = 3,
    timezone: Any = None,
) -> Any:
    """:func:`ciblage.retention` on a PySpark DataFrame of transactions:
    the same arguments (``progress`` aside) and the same
    :class:`~ciblage.RetentionResult` (its tables in pyarrow; sums to the
    last bit), with the input report of the whole
    input.

    Example:
        >>> import ciblage, ciblage.spark
        >>> spark = ciblage.spark.session("local[2]")
        >>> tx = ciblage.datasets.transactions(customers=50, transactions=500, library="pyarrow")
        >>> result = ciblage.spark.retention(spark.createDataFrame(tx), period="quarter")
        >>> result.periods["active"].equals(ciblage.retention(tx, period="quarter").periods["active"])
        True
    """
    spec = _partial_days.day_spec("retention", dict(locals()))
    state, schema = _merged(transactions, spec)
    return _partial_days.finish(spec, state, schema, lambda t: t)


def clv_summary(
    transactions: Any,
    *,
    customer: str = "customer_id",
    timestamp: str = "timestamp",
    amount: str = "amount",
    cost: str | None = None,
    freq: Any = "D",
    observation_end: Any = None,
    calibration_end: Any = None,
    negative_amounts: str = "keep",
    timezone: Any = None,
) -> Any:
    """:func:`ciblage.clv.summary` on a PySpark DataFrame of transactions:
    the same arguments and the same rows (one per customer; sums to the last
    bit), as a Spark DataFrame; the input report of
    the whole input is its attribute ``input_report``. Fit a CLV model on
    the driver from it (``.toArrow()``: one row per customer).

    Example:
        >>> import ciblage, ciblage.spark
        >>> spark = ciblage.spark.session("local[2]")
        >>> tx = ciblage.datasets.transactions(customers=50, transactions=500, library="pyarrow")
        >>> s = ciblage.spark.clv_summary(spark.createDataFrame(tx), freq="W")
        >>> s.count() == ciblage.clv.summary(tx, freq="W").num_rows
        True
    """
    spec = _partial_days.day_spec("clv_summary", dict(locals()))
    return _table_result(transactions, spec)
