"""Frequent itemsets of order lines on Dask DataFrames, in two passes
(SON), equal to :func:`ciblage.basket.frequent_itemsets` on the same lines.

The lines (order and product columns only) are shuffled on the order
column, so that each basket is whole in one partition. Pass 1 (one task
per partition): each partition mines its locally frequent itemsets with
the core miner at its proportional least count, and returns them with its
figures (rows read, left out by reason, baskets) and its products; the
client unites the candidates. Pass 2 (the candidates enter the task graph
once): each partition counts every candidate exactly; the client sums the
counts and keeps the itemsets frequent over every basket, with the least
count the local call computes. See docs/scale.md.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from .. import _partial_basket as _son
from .. import _partial_basket_segments as _segments
from .._basket import _as_table, _batches
from .._basket_results import FrequentItemsets
from .._params import as_opt_int
from ..exceptions import InvalidParameterError
from ._aggregate import _dask

if TYPE_CHECKING:  # pandas comes with Dask; imported by the calls, not by the import
    import pandas as pd

__all__ = ["frequent_itemsets"]


def _check_lines(df: Any) -> None:
    module = type(df).__module__
    if not (module.startswith("dask") and hasattr(df, "to_delayed") and hasattr(df, "npartitions")):
        raise InvalidParameterError(
            f"invalid parameter lines: expected a Dask DataFrame, got {type(df).__module__}.{type(df).__name__}"
        )


def _columns(plan: _son.Plan) -> dict[str, str]:
    return {"order": plan.order, "product": plan.product}


def _one(plan: _son.Plan, part: pd.DataFrame, n: int) -> pa.Table:
    stream, _ = _batches(part, _columns(plan))
    return pa.Table.from_batches([_son.pass_one(plan, stream, n)])


def _two(plan: _son.Plan, part: pd.DataFrame, candidates: pa.Array) -> pa.Table:
    stream, _ = _batches(part, _columns(plan))
    return pa.Table.from_batches([_son.pass_two(plan, stream, candidates)])


def _schema(df: Any) -> pa.Schema:
    """The Arrow types of the frame's columns, from its (empty) meta."""
    from .._tables import to_arrow

    meta = df._meta
    fields = []
    for name in meta.columns:
        if meta[name].dtype == object:  # the type is the data's: the partitions say
            fields.append(pa.field(str(name), pa.null()))
            continue
        try:
            t = to_arrow(meta[[name]], {"c": str(name)}, "lines")
            t = t if isinstance(t, pa.Table) else pa.RecordBatchReader.from_stream(t).read_all()
            fields.append(pa.field(str(name), t.schema.field(str(name)).type))
        except Exception:  # an unreadable column: the workers' reading says why
            fields.append(pa.field(str(name), pa.null()))
    return pa.schema(fields)


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
    """Frequent itemsets of the baskets of order lines in a Dask DataFrame:
    the result of :func:`ciblage.basket.frequent_itemsets` on the same lines
    (same itemsets, counts, supports, input report), computed in two passes
    over partitions (SON).

    Args:
        lines: a Dask DataFrame of order lines, one row per order and
            product.
        order, product, min_support, max_len, level, hierarchy, closed,
            maximal, items, exclude, segments, customer, segment: as
            :func:`ciblage.basket.frequent_itemsets` (``hierarchy`` and
            ``segments`` are local mappings or tables, each one key of the
            task graph): with ``segments``, each segment's itemsets, with a
            ``segment`` column.
        partitions: the number of partitions the lines are shuffled into
            by order (None: the DataFrame's own number). Each partition's
            least count is ``min_support`` times its baskets: partitions
            of many baskets keep the candidates few.

    Returns:
        The local :class:`ciblage.basket.FrequentItemsets` (tables in
        pandas), ready for :func:`ciblage.basket.association_rules`.

    Raises:
        As the local call (same classes and messages), before any task for
        the parameters and columns.

    Example:
        >>> import dask.dataframe as dd, pandas as pd, ciblage.dask
        >>> from ciblage.basket import frequent_itemsets
        >>> lines = pd.DataFrame({"order_id": [1, 1, 2, 2, 2, 3], "product": [10, 20, 10, 20, 30, 10]})
        >>> sets = ciblage.dask.frequent_itemsets(dd.from_pandas(lines, npartitions=2), min_support=2)
        >>> sets.to_arrow().equals(frequent_itemsets(lines, min_support=2).to_arrow())
        True
        >>> sets.itemsets["count"].tolist()
        [3, 2, 2]
    """
    dask = _dask()
    _check_lines(lines)
    partitions = as_opt_int(partitions, "partitions", 1)
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
        by_segment = _segments.plan(_schema(lines), segments=segments, customer=customer, segment=segment, **mining)
        return _by_segment(dask, lines, by_segment, partitions)
    plan = _son.plan(_schema(lines), **mining)
    selected = lines[[plan.order, plan.product]]
    n = partitions or max(1, int(lines.npartitions))
    keyed = selected.shuffle(on=plan.order, npartitions=n)
    parts = keyed.to_delayed()
    delayed = dask.delayed
    found = dask.compute(*[delayed(_one)(plan, part, n) for part in parts])
    plan, gathered = _son.gather_one(plan, found)
    shipped = delayed(gathered.candidates)
    counts = dask.compute(*[delayed(_two)(plan, part, shipped) for part in parts])
    return _son.finish(plan, gathered, counts, "pandas")


def _segment_lines(plan: _segments.SegmentPlan, labelling: Any, part: pd.DataFrame) -> tuple[Any, pa.Table]:
    """The plan with its labelling, and one partition's used columns."""
    from .._tables import to_arrow

    p = replace(plan, segmenter=labelling)
    return p, _as_table(to_arrow(part, p.columns, "lines"))


def _one_by_segment(plan: _segments.SegmentPlan, labelling: Any, part: pd.DataFrame, n: int) -> pa.Table:
    p, table = _segment_lines(plan, labelling, part)
    return pa.Table.from_batches([_segments.pass_one(p, table, n)])


def _two_by_segment(plan: _segments.SegmentPlan, labelling: Any, part: pd.DataFrame, candidates: pa.Table) -> pa.Table:
    p, table = _segment_lines(plan, labelling, part)
    return pa.Table.from_batches([_segments.pass_two(p, table, candidates)])


def _by_segment(dask: Any, lines: Any, plan: _segments.SegmentPlan, partitions: int | None) -> FrequentItemsets:
    """The two passes of a mining by segment: the lines (order, product and
    customer columns) shuffled on the order; the labelling and then the
    candidates each one key of the task graph."""
    selected = lines[list(dict.fromkeys(plan.columns.values()))]
    n = partitions or max(1, int(lines.npartitions))
    parts = selected.shuffle(on=plan.base.order, npartitions=n).to_delayed()
    delayed = dask.delayed
    labelling = delayed(plan.segmenter)
    light = replace(plan, segmenter=None)  # type: ignore[arg-type]  # its labelling travels apart
    found = dask.compute(*[delayed(_one_by_segment)(light, labelling, part, n) for part in parts])
    plan, gathered = _segments.gather_one(plan, found)
    light = replace(plan, segmenter=None)  # type: ignore[arg-type]  # its labelling travels apart
    shipped = delayed(gathered.candidates)
    counts = dask.compute(*[delayed(_two_by_segment)(light, labelling, part, shipped) for part in parts])
    return _segments.finish(plan, gathered, counts, "pandas")
