"""Per-customer aggregations on PySpark DataFrames: ``rfm``,
``customer_totals``, ``value_tiers``, ``concentration``.

Arrow batches end to end (``mapInArrow``, no pandas): each partition
becomes a per-customer partial state keyed by customer id (built by the
Rust core); the states are repartitioned by customer (Spark's hash
shuffle) and merged per partition (``mapInArrow`` again: every customer's
states meet in one partition); the merged states (one row per customer)
come to the driver, which scores them with the code of the local call,
so the quantile cuts are exact. The results are Spark DataFrames (one
row per customer); ``value_tiers`` and ``concentration`` return the local
result objects.

A ciblage error raised in a worker comes back as the ciblage exception
it was, its rows numbered as in the whole DataFrame (a second job finds
the first failing partition and the rows before it).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

import pyarrow as pa

from .. import _partial, _sketch, _sketch_value
from .. import exceptions as _exceptions
from .._concentration import Concentration
from .._concentration import concentration as _local_concentration
from .._concentration_binned import BinnedConcentration
from .._report import warn_left_out
from .._rfm import RfmResult, expected_left_out, stream_args
from .._tables import _check_columns, column_arg, opt_column_arg
from .._value import ValueTiers, _check_output_names
from .._value import value_tiers as _local_value_tiers
from ..exceptions import CiblageError, DegenerateCriterionWarning, InvalidParameterError

__all__ = ["concentration", "customer_totals", "rfm", "value_tiers"]


def _pyspark() -> Any:
    try:
        import pyspark
        import pyspark.sql
    except ImportError as e:
        raise ImportError("ciblage.spark needs PySpark: pip install 'ciblage[spark]' (or pip install pyspark)") from e
    return pyspark


def _check_frame(df: Any) -> None:
    module = type(df).__module__
    if not (module.startswith("pyspark.") and type(df).__name__ == "DataFrame"):
        raise InvalidParameterError(
            f"invalid parameter transactions: expected a PySpark DataFrame, got {module}.{type(df).__name__}"
        )


def _state_schema(customer_type: pa.DataType) -> pa.Schema:
    """The partial-state columns as Spark carries them (no unsigned types,
    no metadata)."""
    ids = pa.string() if (pa.types.is_string(customer_type) or pa.types.is_large_string(customer_type)) else pa.int64()
    fields = [pa.field("customer", ids, nullable=False)]
    for name in _partial_columns()[1:]:
        kind = pa.float64() if name in ("revenue", "cost") else pa.int64()
        if name.endswith("_overflow"):
            kind = pa.binary()
        fields.append(pa.field(name, kind, nullable=name.startswith("cost") or name.endswith("_overflow")))
    return pa.schema(fields)


def _partial_columns() -> list[str]:
    return [
        "customer",
        "first_seen",
        "first",
        "last",
        "transactions",
        "revenue",
        "cost",
        "rows_read",
        "rows_after_as_of",
        "negative_rows",
        "negative_rows_excluded",
        # The exact sums behind revenue and cost (schema version 2).
        "revenue_high",
        "revenue_low",
        "revenue_exponent",
        "revenue_overflow",
        "cost_high",
        "cost_low",
        "cost_exponent",
        "cost_overflow",
    ]


def _spark_type(schema: pa.Schema) -> Any:
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(schema)


def _cast(batch: pa.RecordBatch, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    yield from pa.Table.from_batches([batch]).cast(schema).to_batches()


def _partition_id(context: Any) -> int:
    """The partition a worker function reads (it runs within a task)."""
    if context is None:  # pragma: no cover - worker functions run in tasks
        raise RuntimeError("no Spark task context")
    return int(context.partitionId())


_RAISED = re.compile(r"^ciblage\.exceptions\.(\w+): (.*)$", re.M)


def _local_error(e: BaseException) -> BaseException | None:
    """The ciblage error a worker raised, from Spark's ``PythonException``."""
    if type(e).__name__ != "PythonException":
        return None
    found = list(_RAISED.finditer(str(e)))
    if not found:
        return None
    cls = getattr(_exceptions, found[-1].group(1), None)
    if not (isinstance(cls, type) and issubclass(cls, CiblageError)):
        return None
    return cls(found[-1].group(2).strip())


def _collect(frame: Any) -> pa.Table:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
        return frame.toArrow()


def _map(frame: Any, fn: Any, schema: pa.Schema) -> Any:
    with warnings.catch_warnings():
        # mapInArrow goes through PySpark's pandas_udf machinery, which warns
        # about pandas 3 although no batch becomes pandas here.
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
        return frame.mapInArrow(fn, _spark_type(schema))


class _Merged:
    """The merged per-customer states of a DataFrame, not computed yet: the
    selected input columns, their Arrow schema, the shipped spec, the
    number of partitions and the lazy frame of merged states (one row per
    customer, the states' columns as Spark carries them)."""

    def __init__(self, df: Any, spec: _partial.Spec) -> None:
        _pyspark()
        _check_frame(df)
        _check_columns(spec.columns, [str(c) for c in df.columns])
        self.selected = df.select(*spec.names)
        self.spec = spec = spec.shipped()
        self.schema = schema = _collect(self.selected.limit(0)).schema
        state_schema = _state_schema(schema.field(spec.columns["customer"]).type)

        def partial(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
            from pyspark import TaskContext

            state = _partial.partition_state(spec, batches, _partition_id(TaskContext.get()))
            yield from _cast(state, state_schema)

        def merge(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
            states = [_partial.with_version(b) for b in batches if b.num_rows]
            if states:
                yield from _cast(_partial.merge_states(spec, states, schema), state_schema)

        self.n = n = max(1, self.selected.rdd.getNumPartitions())
        self.frame = _map(_map(self.selected, partial, state_schema).repartition(n, "customer"), merge, state_schema)

    def run(self, action: Any) -> Any:
        """``action()`` (a job reading the merged states); a ciblage error
        raised in a worker is raised again here, its rows numbered as in
        the whole DataFrame."""
        try:
            return action()
        except Exception as e:
            local = _local_error(e)
            if local is None:
                raise
            _raise_with_global_rows(self.selected, self.spec, self.n)
            raise local from None


def _merged_state(df: Any, spec: _partial.Spec) -> Any:
    """The native stream holding the merged state of every partition."""
    merged = _Merged(df, spec)
    table = merged.run(lambda: _collect(merged.frame))
    stream = spec.scorer()
    states = [_partial.with_version(b) for b in table.combine_chunks().to_batches()]
    _partial.absorb_states(stream, states, merged.schema)
    return stream


def _raise_with_global_rows(selected: Any, spec: _partial.Spec, n: int) -> None:
    """Raises the error of the first failing partition, its rows numbered
    as in the whole DataFrame (the error a local call gives)."""
    probe_schema = pa.schema([("partition", pa.int64()), ("rows", pa.int64()), ("failed", pa.bool_())])

    def probe(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from pyspark import TaskContext

        rows, failed = _partial.probe_partition(spec, list(batches))
        yield pa.record_batch([[_partition_id(TaskContext.get())], [rows], [failed]], schema=probe_schema)

    found = _collect(_map(selected, probe, probe_schema)).sort_by("partition").to_pylist()
    first = _partial.first_failure(len(found), lambda _: [(r["rows"], r["failed"]) for r in found])
    if first is None:
        return
    failing, row0 = first

    def rerun(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from pyspark import TaskContext

        if _partition_id(TaskContext.get()) == failing:
            _partial.partition_state(spec, batches, failing, row0)
        return iter(())

    try:
        _collect(_map(selected, rerun, probe_schema))
    except Exception as e:
        local = _local_error(e)
        if local is None:
            raise
        raise local from None


def _spark_arrow_type(t: pa.DataType) -> pa.DataType:
    """The Arrow type Spark carries a result column as: dictionary columns
    decoded, unsigned integers (which Spark lacks) widened to signed ones."""
    if pa.types.is_dictionary(t):
        return t.value_type
    if pa.types.is_uint8(t) or pa.types.is_uint16(t):
        return pa.int32()
    if pa.types.is_unsigned_integer(t):
        return pa.int64()
    return t


def _spark_arrow_schema(schema: pa.Schema) -> pa.Schema:
    """A result schema as Spark carries it (see :func:`_spark_arrow_type`)."""
    return pa.schema([pa.field(f.name, _spark_arrow_type(f.type), f.nullable) for f in schema])


def _to_spark(df: Any, table: pa.Table) -> Any:
    """A Spark DataFrame of a result table (see :func:`_spark_arrow_type`)."""
    columns = [c.cast(_spark_arrow_type(c.type)) for c in table.columns]
    table = pa.table(columns, names=table.column_names)
    return df.sparkSession.createDataFrame(table)


def rfm(
    transactions: Any,
    *,
    customer: str = "customer_id",
    timestamp: str = "timestamp",
    amount: str = "amount",
    cost: str | None = None,
    as_of: Any = None,
    bins: int = 5,
    method: str = "quantile",
    recency_cuts: Sequence[float] | None = None,
    frequency_cuts: Sequence[float] | None = None,
    monetary_cuts: Sequence[float] | None = None,
    frequency: str = "transactions",
    monetary: str = "revenue",
    variant: str = "rfm",
    weights: tuple[float, float, float] = (1.0, 1.0, 1.0),
    negative_amounts: str = "keep",
    segments: Any = None,
    timezone: str | None = None,
    quantiles: str = "exact",
    kll_k: int = 200,
) -> Any:
    """:func:`ciblage.rfm` on a PySpark DataFrame of transactions: the same
    arguments and the same rows (ids, scores, segments; sums to the bit
    when amounts are integers), as a Spark DataFrame (segment and label
    columns as strings). ``frequency="purchase_days"`` is not available
    yet.

    ``quantiles="exact"`` (default) cuts on the driver, which gathers every
    customer's merged state. ``quantiles="kll"`` keeps the customers on the
    executors: the cut points are read from merged KLL sketches of
    ``kll_k`` (Apache DataSketches, 8 to 65,535) and the customers are
    scored with them where they are; the returned DataFrame is lazy and its
    ``input_report`` attribute holds, under ``"quantiles"``, the cut points
    and the sketch's normalized rank error (0 while it holds every value).
    Methods ``"quantile"`` and ``"rfm_compat"`` only.

    Example:
        >>> import ciblage, ciblage.spark
        >>> spark = ciblage.spark.session("local[2]")
        >>> tx = ciblage.datasets.transactions(customers=50, transactions=500, library="pyarrow")
        >>> sdf = spark.createDataFrame(tx)
        >>> scores = ciblage.spark.rfm(sdf, bins=4)
        >>> scores.count() == ciblage.rfm(tx, bins=4).num_rows
        True
    """
    args = dict(locals())
    columns, params = stream_args(args)
    spec = _partial.rfm_spec(columns, params)
    plan = _sketch.kll_plan(params, quantiles, kll_k)
    if plan is not None:
        from ._sketch import rfm_kll

        return rfm_kll(transactions, spec, plan)
    stream = _merged_state(transactions, spec)
    result = RfmResult(stream.rfm(), "pyarrow")
    warn_left_out(result.input_report, "rfm", expected_left_out(params), stacklevel=3)
    for c in result.criteria:
        if c["degenerate"]:
            warnings.warn(c["warning"], DegenerateCriterionWarning, stacklevel=2)
    return _to_spark(transactions, result.customers)


def _sums_spec(customer: Any, amount: Any, cost: Any) -> _partial.Spec:
    """The spec of the customer totals, its column arguments checked."""
    customer = column_arg(customer, "customer")
    amount = column_arg(amount, "amount")
    cost = opt_column_arg(cost, "cost")
    _check_output_names(
        "customer",
        customer,
        ("transactions", "revenue") + (() if cost is None else ("cost", "margin")),
        "customer_totals",
    )
    columns = {"customer": customer, "amount": amount}
    if cost is not None:
        columns["cost"] = cost
    return _partial.totals_spec(columns)


def _totals(transactions: Any, customer: str, amount: str, cost: str | None) -> pa.Table:
    stream = _merged_state(transactions, _sums_spec(customer, amount, cost))
    return pa.RecordBatchReader.from_stream(stream.totals()).read_all()


def customer_totals(
    transactions: Any, *, customer: str = "customer_id", amount: str = "amount", cost: str | None = None
) -> Any:
    """:func:`ciblage.customer_totals` on a PySpark DataFrame: the same rows
    (transactions, revenue, and with ``cost`` cost and margin per
    customer), as a Spark DataFrame.

    Example:
        >>> import ciblage, ciblage.spark
        >>> spark = ciblage.spark.session("local[2]")
        >>> tx = ciblage.datasets.transactions(customers=50, transactions=500, library="pyarrow")
        >>> sdf = spark.createDataFrame(tx)
        >>> totals = ciblage.spark.customer_totals(sdf)
        >>> totals.count() == ciblage.customer_totals(tx).num_rows
        True
    """
    return _to_spark(transactions, _totals(transactions, customer, amount, cost))


def value_tiers(
    transactions: Any,
    *,
    value: str = "revenue",
    customer: str = "customer_id",
    amount: str = "amount",
    cost: str | None = None,
    method: str = "count",
    shares: Sequence[float] | None = None,
    bounds: Sequence[float] | None = None,
    names: Sequence[str] | None = None,
    no_value_name: str = "No value",
    quantiles: str = "exact",
    kll_k: int = 200,
) -> ValueTiers | Any:
    """:func:`ciblage.value_tiers` of the customers' totals of a PySpark
    DataFrame of transactions (``value``: ``"revenue"``, or ``"margin"``
    with ``cost``); its ``customers`` table is a pyarrow Table.

    ``quantiles="exact"`` (default) tiers on the driver, which gathers every
    customer's totals. ``quantiles="kll"`` keeps the customers on the
    executors and returns a lazy Spark DataFrame of the customer id, the
    value and the tier (no ``rank``: ranks need every customer); its
    ``input_report`` attribute holds the cut points under ``"quantiles"``.
    Count tiers cut at the values read from merged KLL sketches of
    ``kll_k`` (8 to 65,535), within the reported ``rank_error``; ABC
    classes at value thresholds read from a merged histogram of exact
    bucket sums, each within the reported range of values of its bucket
    (``cut_ranges``): a customer outside those ranges gets the exact class.

    Example:
        >>> import ciblage, ciblage.spark
        >>> spark = ciblage.spark.session("local[2]")
        >>> tx = ciblage.datasets.transactions(customers=50, transactions=500, library="pyarrow")
        >>> sdf = spark.createDataFrame(tx)
        >>> type(ciblage.spark.value_tiers(sdf)).__name__
        'ValueTiers'
        >>> lazy = ciblage.spark.value_tiers(sdf, method="abc", quantiles="kll")
        >>> lazy.input_report["quantiles"]["method"], lazy.count()
        ('histogram', 50)
    """
    value = _partial.value_arg(value)
    plan = _sketch_value.tier_plan(
        value, customer, cost, method, shares, bounds, names, no_value_name, quantiles, kll_k
    )
    if plan is not None:
        from ._sketch import value_tiers_kll

        return value_tiers_kll(transactions, _sums_spec(customer, amount, cost), plan)
    totals = _totals(transactions, customer, amount, cost)
    return _local_value_tiers(
        totals,
        value=value,
        customer=customer,
        method=method,
        shares=shares,
        bounds=bounds,
        names=names,
        no_value_name=no_value_name,
    )


def concentration(
    transactions: Any,
    *,
    value: str = "revenue",
    customer: str = "customer_id",
    amount: str = "amount",
    cost: str | None = None,
    quantiles: str = "exact",
    kll_k: int = 200,
) -> Concentration | BinnedConcentration:
    """:func:`ciblage.concentration` of the customers' totals of a PySpark
    DataFrame of transactions (``value`` as in :func:`value_tiers`).

    ``quantiles="kll"`` reads it from a merged histogram of the values
    (log-spaced buckets of ratio ``1 + 2^-7`` with exact sums; ``kll_k`` is
    checked and unused): a ``BinnedConcentration`` whose Gini and top
    shares are within the bounds of its ``input_report["histogram"]``
    (``gini_error``, ``share_error``, each at most 2^-9).

    Example:
        >>> import ciblage, ciblage.spark
        >>> spark = ciblage.spark.session("local[2]")
        >>> tx = ciblage.datasets.transactions(customers=50, transactions=500, library="pyarrow")
        >>> sdf = spark.createDataFrame(tx)
        >>> 0.0 <= ciblage.spark.concentration(sdf).gini <= 1.0
        True
        >>> ciblage.spark.concentration(sdf, quantiles="kll").input_report["histogram"]["gini_error"] <= 2**-9
        True
    """
    value = _partial.value_arg(value)
    if _sketch.sketch_size(quantiles, kll_k) is not None:
        from ._sketch import concentration_kll

        _sketch_value.check_value_column(value, cost)
        return concentration_kll(transactions, _sums_spec(customer, amount, cost), value)
    return _local_concentration(_totals(transactions, customer, amount, cost), value=value)
