"""Frequent itemsets of order lines on PySpark DataFrames, in two passes
(SON), equal to :func:`ciblage.basket.frequent_itemsets` on the same lines.

The lines (order and product columns only) are repartitioned by order
(Spark's hash shuffle), so that each basket is whole in one partition.
Pass 1 (``mapInArrow``, Arrow batches end to end): each partition mines
its locally frequent itemsets with the core miner at its proportional
least count, and returns them with its figures (rows read, left out by
reason, baskets) and its products; the driver unites the candidates.
Pass 2 (``mapInArrow`` again, the candidates broadcast once): each
partition counts every candidate exactly; the driver sums the counts and
keeps the itemsets frequent over every basket, with the least count the
local call computes. :func:`ciblage.basket.association_rules` then runs on
the driver (its input is the small itemsets table). See docs/scale.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pyarrow as pa

from .. import _partial_basket as _son
from .. import _partial_basket_segments as _segments
from .._basket_results import FrequentItemsets
from .._params import as_opt_int
from ..exceptions import InvalidParameterError
from ._aggregate import _collect, _local_error, _map, _pyspark

__all__ = ["frequent_itemsets"]


def _check_lines(df: Any) -> None:
    module = type(df).__module__
    if not (module.startswith("pyspark.") and type(df).__name__ == "DataFrame"):
        raise InvalidParameterError(
            f"invalid parameter lines: expected a PySpark DataFrame, got {module}.{type(df).__name__}"
        )


def _run(frame: Any) -> pa.Table:
    """The collected frame; a ciblage error raised in a worker comes back as
    the ciblage exception it was."""
    try:
        return _collect(frame)
    except Exception as e:
        local = _local_error(e)
        if local is None:
            raise
        raise local from None


def _ipc(data: pa.Array | pa.Table) -> bytes:
    table = data if isinstance(data, pa.Table) else pa.table({"itemset": data})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def _from_ipc(data: bytes) -> pa.Array:
    return pa.ipc.open_stream(pa.py_buffer(data)).read_all().column("itemset").combine_chunks()


def frequent_itemsets(
    lines: Any,
    *,
    order: Any = "order_id",
    product: Any = "product",
    min_support: float | int = 0.01,
    max_len: int | None = None,
    level: Any = None,
    hierarchy: Any = None,
    closed: bool = False,
    maximal: bool = False,
    items: Any = None,
    exclude: Any = None,
    segments: Any = None,
    customer: Any = "customer_id",
    segment: Any = "segment",
    partitions: int | None = None,
) -> FrequentItemsets:
    """Frequent itemsets of the baskets of order lines in a PySpark
    DataFrame: the result of :func:`ciblage.basket.frequent_itemsets` on the
    same lines (same itemsets, counts, supports, input report), computed
    in two passes over partitions (SON).

    Args:
        lines: a PySpark DataFrame of order lines, one row per order and
            product.
        order, product, min_support, max_len, level, hierarchy, closed,
            maximal, items, exclude, segments, customer, segment: as
            :func:`ciblage.basket.frequent_itemsets` (``hierarchy`` and
            ``segments`` are local mappings or tables, broadcast to the
            executors once): with ``segments``, each segment's itemsets,
            with a ``segment`` column.
        partitions: the number of partitions the lines are cut into by
            order (None: the DataFrame's own number). Each partition's
            least count is ``min_support`` times its baskets: partitions
            of many baskets keep the candidates few.

    Returns:
        The local :class:`ciblage.basket.FrequentItemsets` (tables in
        pandas), ready for :func:`ciblage.basket.association_rules`.

    Raises:
        As the local call (same classes and messages), before any job for
        the parameters and columns.

    Example:
        >>> import pyarrow as pa, ciblage.spark
        >>> from ciblage.basket import association_rules, frequent_itemsets
        >>> spark = ciblage.spark.session("local[2]")
        >>> products = ["tea", "cake", "tea", "cake", "tea", "jam", "cake"]
        >>> lines = pa.table({"order_id": [1, 1, 2, 2, 3, 3, 4], "product": products})
        >>> sets = ciblage.spark.frequent_itemsets(spark.createDataFrame(lines), min_support=0.5)
        >>> sets.to_arrow().equals(frequent_itemsets(lines, min_support=0.5).to_arrow())
        True
        >>> print(association_rules(sets, min_threshold=0.6).to_text())
        {cake} => {tea}  support=0.5  confidence=0.666667  lift=0.888889
        {tea} => {cake}  support=0.5  confidence=0.666667  lift=0.888889
    """
    _pyspark()
    _check_lines(lines)
    partitions = as_opt_int(partitions, "partitions", 1)
    schema = _collect(lines.limit(0)).schema
    mining = {
        "order": order,
        "product": product,
        "min_support": min_support,
        "max_len": max_len,
        "level": level,
        "hierarchy": hierarchy,
        "closed": closed,
        "maximal": maximal,
        "items": items,
        "exclude": exclude,
    }
    if segments is not None:
        by_segment = _segments.plan(schema, segments=segments, customer=customer, segment=segment, **mining)
        return _by_segment(lines, by_segment, partitions)
    plan = _son.plan(schema, **mining)
    selected = lines.select(plan.order, plan.product)
    n = partitions or max(1, selected.rdd.getNumPartitions())
    keyed = selected.repartition(n, plan.order)

    def one(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        yield _son.pass_one(plan, batches, n)

    plan, gathered = _son.gather_one(plan, [_run(_map(keyed, one, plan.pass_one_schema()))])
    shipped = lines.sparkSession.sparkContext.broadcast(_ipc(gathered.candidates))

    def two(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        yield _son.pass_two(plan, batches, _from_ipc(shipped.value))

    try:
        counts = _run(_map(keyed, two, _son.COUNT_SCHEMA))
    finally:
        shipped.unpersist()
    return _son.finish(plan, gathered, [counts], "pandas")


def _by_segment(lines: Any, plan: _segments.SegmentPlan, partitions: int | None) -> FrequentItemsets:
    """The two passes of a mining by segment: the lines (order, product and
    customer columns) cut by order; the labelling and then the candidates
    broadcast once."""
    columns = list(dict.fromkeys(plan.columns.values()))
    selected = lines.select(*columns)
    schema = _collect(selected.limit(0)).schema
    n = partitions or max(1, selected.rdd.getNumPartitions())
    keyed = selected.repartition(n, plan.base.order)
    context = lines.sparkSession.sparkContext
    labelling = context.broadcast(plan.segmenter)
    shipped = None
    light = replace(plan, segmenter=None)  # type: ignore[arg-type]  # its labelling travels apart

    def here(batches: Iterator[pa.RecordBatch]) -> tuple[_segments.SegmentPlan, pa.Table]:
        found = list(batches)
        table = pa.Table.from_batches(found) if found else schema.empty_table()
        return replace(light, segmenter=labelling.value), table

    def one(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        p, table = here(batches)
        yield _segments.pass_one(p, table, n)

    try:
        plan, gathered = _segments.gather_one(plan, [_run(_map(keyed, one, plan.pass_one_schema()))])
        light = replace(plan, segmenter=None)  # type: ignore[arg-type]  # its labelling travels apart
        shipped = context.broadcast(_ipc(gathered.candidates))

        def two(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
            p, table = here(batches)
            yield _segments.pass_two(p, table, pa.ipc.open_stream(pa.py_buffer(shipped.value)).read_all())

        counts = _run(_map(keyed, two, _son.COUNT_SCHEMA))
    finally:
        labelling.unpersist()
        if shipped is not None:
            shipped.unpersist()
    return _segments.finish(plan, gathered, [counts], "pandas")
