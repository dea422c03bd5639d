"""``churn_flags`` on PySpark DataFrames of transactions.

Arrow batches end to end (``mapInArrow``, no pandas): each partition
becomes a churn state (one row per customer: his distinct purchase days,
his last day, his rows by fate; see ``ciblage._partial_churn``); the
states are repartitioned by customer (Spark's hash shuffle) and merged
per partition; each partition then scores its customers with the local
call once ``as_of`` is fixed (given, or the day after the last row: one
small job over the merged states, kept for it). Only the flags, one row
per customer, come to the driver.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from .. import _partial_churn, _partial_days
from .._tables import _check_columns
from ._aggregate import _check_frame, _collect, _local_error, _map, _pyspark, _to_spark
from ._days import _raise_with_global_rows

__all__ = ["churn_flags"]


def _flags(df: Any, spec: _partial_days.DaySpec) -> pa.Table:
    """The flags of every customer, with their counts (not ordered)."""
    _pyspark()
    _check_frame(df)
    _check_columns(spec.columns, [str(c) for c in df.columns])
    selected = df.select(*spec.names)
    schema = _collect(selected.limit(0)).schema
    _partial_days.check_call(spec, schema)
    customer_type = _partial_days.state_schema(schema.field(spec.columns["customer"]).type).field("customer").type
    state_schema = _partial_churn.state_schema(customer_type)
    flags_schema = _partial_churn.flags_schema(spec, customer_type)

    def partial(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        state = _partial_churn.partition_state(spec, batches, customer_type)
        yield from state.replace_schema_metadata(None).cast(state_schema).to_batches()

    def merge(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        yield from _partial_churn.merge_states(b for b in batches if b.num_rows).cast(state_schema).to_batches()

    n = max(1, selected.rdd.getNumPartitions())
    source = _map(selected, partial, state_schema).repartition(n, "customer")
    as_of = _partial_churn.as_of_day(spec)
    kept = None
    try:
        if as_of is None:
            # The day after the last row: one integer from the merged
            # states, kept for the scoring job that follows.
            kept = _map(source, merge, state_schema).persist()
            source = kept
            last = _collect(kept.agg({"last_day": "max"})).column(0)[0].as_py()
            if last is None:
                return flags_schema.empty_table()
            as_of = int(last) + 1
        day = as_of

        def score(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
            state = _partial_churn.merge_states(b for b in batches if b.num_rows)
            if state.num_rows:
                yield from _partial_churn.score(spec, state, day).cast(flags_schema).to_batches()

        return _collect(_map(source, score, flags_schema))
    except Exception as e:
        local = _local_error(e)
        if local is None:
            raise
        _raise_with_global_rows(selected, spec)
        raise local from None
    finally:
        if kept is not None:
            kept.unpersist()


def churn_flags(
    transactions: Any,
    *,
    customer: str = "customer_id",
    timestamp: str = "timestamp",
    amount: str = "amount",
    rule: str = "days",
    days: int | None = None,
    multiple: float | None = None,
    fallback_days: int | None = None,
    as_of: Any = None,
    timezone: Any = None,
) -> Any:
    """:func:`ciblage.churn_flags` on a PySpark DataFrame of transactions:
    the same arguments and the same rows (one per customer, ordered by id),
    as a Spark DataFrame; the input report of the whole input is its
    attribute ``input_report``. The driver holds the flags only (one row
    per customer): each partition of the merged per-customer states is
    scored where it is.

    Example:
        >>> import ciblage, ciblage.spark
        >>> spark = ciblage.spark.session("local[2]")
        >>> tx = ciblage.datasets.transactions(customers=50, transactions=500, library="pyarrow")
        >>> flags = ciblage.spark.churn_flags(spark.createDataFrame(tx), days=180)
        >>> flags.toArrow().to_pandas().equals(ciblage.churn_flags(tx, days=180).to_pandas())
        True
    """
    spec = _partial_days.day_spec("churn_flags", dict(locals()))
    table, report = _partial_churn.finish(spec, _flags(transactions, spec))
    out = _to_spark(transactions, table)
    try:
        out.input_report = report
    except AttributeError:  # pragma: no cover - a DataFrame that takes no attribute
        pass
    return out
