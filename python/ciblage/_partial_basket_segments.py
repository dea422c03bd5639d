"""Frequent itemsets per customer segment in two passes over partitions
(SON), for ``segments=`` of the Spark and Dask adapters of
:func:`ciblage.basket.frequent_itemsets`.

A line goes to its customer's segment; a segment's baskets are its lines
grouped by order (an order of customers of two segments gives a basket
in each), as locally. The lines are repartitioned by order first, so every
basket of every segment is whole in one partition. Pass 1: each partition
codes its lines with the labelling (the local reading: null rows and
customers without a segment left out and counted), and mines each
segment's baskets at that segment's proportional least count (the
candidates of the segment, see :mod:`ciblage._partial_basket`). Pass 2:
each partition counts every segment's candidates in that segment's
baskets. The driver sums the counts per segment and keeps, per segment,
the itemsets reaching the least count the local call computes from the
segment's baskets.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import _native
from . import _partial_basket as _son
from ._basket import _as_table, _check_params, _code_lines, _no_line, _Segmenter
from ._basket_results import FrequentItemsets
from ._report import make_report, warn_left_out
from ._tables import _check_columns, column_arg
from .exceptions import InvalidInputError, InvalidParameterError


@dataclass(frozen=True)
class SegmentPlan:
    """The checked parameters of a mining by segment: the mining of one
    segment (``base``) and the customer labelling."""

    base: _son.Plan
    segmenter: _Segmenter

    @property
    def columns(self) -> dict[str, str]:
        """The lines' used columns, by argument."""
        return {"order": self.base.order, "product": self.base.product, "customer": self.segmenter.customer}

    def pass_one_schema(self, ids: pa.DataType | None = None) -> pa.Schema:
        """Pass 1's rows: those of :meth:`ciblage._partial_basket.Plan.pass_one_schema`,
        with the ``segment`` code of a candidate (null for the rest)."""
        return self.base.pass_one_schema(ids).append(pa.field("segment", pa.int64()))


#: Rows of the candidates shipped to pass 2: a segment code and an itemset.
def _candidate_table(segments: np.ndarray, itemsets: pa.Array) -> pa.Table:
    return pa.table({"segment": pa.array(segments, pa.int64()), "itemset": itemsets})


def plan(
    schema: pa.Schema,
    *,
    segments: Any,
    customer: Any,
    segment: Any,
    **mining: Any,
) -> SegmentPlan:
    """Every parameter checked as the local call checks it, in its order
    (the mining's parameters, ``customer``, the labelling, then the
    columns), before any job; ``schema``: the input's columns."""
    order, product, *_ = _check_params(
        mining["order"],
        mining["product"],
        mining["min_support"],
        mining["max_len"],
        mining["closed"],
        mining["maximal"],
        mining["level"],
        mining["hierarchy"],
    )
    customer = column_arg(customer, "customer")
    segment = column_arg(segment, "segment")
    if customer in (order, product):
        raise InvalidParameterError(f"invalid parameter customer: {customer!r} is also the order or product column")
    segmenter = _Segmenter(segments, customer, segment)
    _check_columns({"order": order, "product": product, "customer": customer}, list(schema.names))
    return SegmentPlan(_son.plan(schema, **mining), segmenter)


def _segment_of_rows(p: SegmentPlan, table: pa.Table) -> np.ndarray:
    """Each row's segment code (-1: a null customer or one without a
    segment)."""
    s = p.segmenter
    _, where = s.of(table.column(s.customer).combine_chunks())
    return s.codes[where.astype(np.int64)]


def _rows_of(table: pa.Table, codes: np.ndarray, s: int) -> list[pa.RecordBatch]:
    return table.filter(pa.array(codes == s)).to_batches()


def pass_one(p: SegmentPlan, table: pa.Table, partitions: int) -> pa.RecordBatch:
    """One partition's figures (rows read, left out by reason, lines used,
    lines without a segment, baskets of each segment), its products and
    each segment's locally frequent itemsets."""
    b = p.base
    builder, left_out, read, used = _code_lines(iter(table.to_batches()), b.order, b.product, b.mapping, p.segmenter)
    stats = [("rows_read", read), ("rows_coded", used)] + [(f"left_out:{k}", v) for k, v in left_out.items()]
    baskets: list[int] = []
    products = None
    if used:
        lines = builder.finish_segments(p.segmenter.codes)
        baskets = [int(n) for n in lines.baskets()]
        products = lines.products()
        stats.append(("lines_without_segment", int(lines.lines_without_segment)))
        stats += [(f"baskets:{s}", n) for s, n in enumerate(baskets) if n]
    ids = b.ids or (pa.null() if products is None else _son._id_type(products.type))
    schema = p.pass_one_schema(ids)
    list_type = schema.field("itemset").type
    parts = [
        pa.record_batch(
            [
                pa.array([k for k, _ in stats], pa.string()),
                pa.array([v for _, v in stats], pa.int64()),
                pa.nulls(len(stats), list_type),
                pa.nulls(len(stats), pa.int64()),
            ],
            schema=schema,
        )
    ]
    if products is not None:
        every = np.arange(len(products), dtype=np.uint32)
        listed = _son._item_lists(every, np.arange(len(products) + 1), products, ids)
        parts.append(_rows(schema, "product", listed, None))
        codes = _segment_of_rows(p, table)
        for s, n in enumerate(baskets):
            if not n:
                continue
            mined = _son.pass_one(b, _rows_of(table, codes, s), partitions)
            found = mined.filter(pc.equal(mined.column("stat"), "candidate")).column("itemset")
            parts.append(_rows(schema, "candidate", found.cast(list_type), s))
    return pa.Table.from_batches(parts).combine_chunks().to_batches()[0]


def _rows(schema: pa.Schema, stat: str, lists: pa.Array, segment: int | None) -> pa.RecordBatch:
    n = len(lists)
    return pa.record_batch(
        [
            pa.array([stat] * n, pa.string()),
            pa.array(np.zeros(n, dtype=np.int64)),
            lists,
            pa.array([segment] * n, pa.int64()),
        ],
        schema=schema,
    )


@dataclass
class Gathered:
    """What pass 1 found over every partition."""

    read: int
    left_out: dict[str, int]
    baskets: list[int]
    products: int
    candidates: pa.Table


def gather_one(p: SegmentPlan, tables: Iterable[pa.Table]) -> tuple[SegmentPlan, Gathered]:
    """Pass 1's rows of every partition summed (figures) and united
    (products, each segment's candidates); raises the local call's errors
    when no line is left to mine. Also the plan with the ids' type settled."""
    tables = list(tables)
    p = replace(p, base=_son._resolved(p.base, tables))
    table = pa.concat_tables([t.cast(p.pass_one_schema()) for t in tables])
    stat = table.column("stat")
    is_figure = pc.invert(pc.is_in(stat, value_set=pa.array(["product", "candidate"])))
    sums = table.filter(is_figure).group_by("stat").aggregate([("value", "sum")])
    figures = dict(zip(sums.column("stat").to_pylist(), sums.column("value_sum").to_pylist(), strict=True))
    read = int(figures.get("rows_read", 0))
    left_out = {"null_order": 0, "null_product": 0}
    if p.base.mapping is not None:
        left_out["product_not_in_hierarchy"] = 0
    left_out["null_customer"] = 0
    for k in left_out:
        left_out[k] = int(figures.get(f"left_out:{k}", 0))
    used = int(figures.get("rows_coded", 0))
    if used == 0:
        raise InvalidInputError(_no_line(read, left_out))
    without = int(figures.get("lines_without_segment", 0))
    left_out["customer_without_segment"] = without
    if without == used:
        raise InvalidInputError(
            f"lines: no line of a customer with a segment ({read:,} read; {used:,} of customers without a segment)"
        )
    baskets = [int(figures.get(f"baskets:{s}", 0)) for s in range(len(p.segmenter.labels))]
    products = table.filter(pc.equal(stat, "product")).column("itemset").combine_chunks().flatten()
    found = table.filter(pc.equal(stat, "candidate"))
    # Distinct candidates of each segment, segment after segment.
    seen = dict.fromkeys(
        (s, tuple(items))
        for s, items in zip(found.column("segment").to_pylist(), found.column("itemset").to_pylist(), strict=True)
    )
    keys = sorted(seen, key=lambda k: k[0])
    lists = pa.array([list(items) for _, items in keys], pa.list_(pa.field("item", p.base.ids)))
    candidates = _candidate_table(np.array([s for s, _ in keys], dtype=np.int64), lists)
    return p, Gathered(read, left_out, baskets, len(pc.unique(products)), candidates)


def pass_two(p: SegmentPlan, table: pa.Table, candidates: pa.Table) -> pa.RecordBatch:
    """Every candidate's count in its segment's baskets of one partition
    (the candidates with a count of 0 left out)."""
    if table.num_rows == 0 or candidates.num_rows == 0:
        return _son._counts([], [])
    codes = _segment_of_rows(p, table)
    seg = candidates.column("segment").to_numpy()
    itemsets = candidates.column("itemset").combine_chunks()
    index, counts = [], []
    for s in np.unique(seg):
        mine = np.flatnonzero(seg == s)
        rows = _rows_of(table, codes, int(s))
        if not rows or not sum(r.num_rows for r in rows):
            continue
        found = _son.pass_two(p.base, rows, itemsets.take(pa.array(mine)))
        index.append(mine[found.column("candidate").to_numpy()])
        counts.append(found.column("count").to_numpy())
    if not index:
        return _son._counts([], [])
    return _son._counts(np.concatenate(index), np.concatenate(counts))


def finish(p: SegmentPlan, gathered: Gathered, counts: Iterable[pa.Table], library: str) -> FrequentItemsets:
    """Each segment's frequent itemsets from its candidates' counts summed
    over the partitions: the local call's result."""
    cands = gathered.candidates
    total = np.zeros(cands.num_rows, dtype=np.uint64)
    for t in counts:
        if t.num_rows:
            np.add.at(
                total,
                t.column("candidate").to_numpy().astype(np.int64),
                t.column("count").to_numpy().astype(np.uint64),
            )
    itemsets = cands.column("itemset").combine_chunks()
    flat = itemsets.flatten()
    products = _son._native_products(p.base, flat)
    codes = pc.index_in(flat.cast(products.type), value_set=products).to_numpy(zero_copy_only=False)
    codes = codes.astype(np.uint32)
    offsets = itemsets.offsets.to_numpy().astype(np.int64)
    seg = cands.column("segment").to_numpy()
    found: list[Any] = []
    for s, n in enumerate(gathered.baskets):
        if not n:
            found.append(None)
            continue
        mine = np.flatnonzero(seg == s)
        starts, ends = offsets[mine], offsets[mine + 1]
        items = np.concatenate([codes[a:z] for a, z in zip(starts, ends, strict=True)]) if len(mine) else codes[:0]
        found.append(
            _native.basket_itemsets_from_counts(
                products,
                np.ascontiguousarray(items, dtype=np.uint32),
                np.concatenate([[0], np.cumsum(ends - starts)]).astype(np.int64),
                np.ascontiguousarray(total[mine]),
                n,
                min_support=p.base.share,
                min_count=p.base.min_count,
                kind=p.base.kind,
            )
        )
    labels = p.segmenter.labels
    report = make_report(
        gathered.read,
        gathered.left_out,
        baskets=sum(gathered.baskets),
        products=gathered.products,
        segments=len(labels),
    )
    warn_left_out(report, "frequent_itemsets", stacklevel=4)
    return FrequentItemsets(SegmentItemsets(found, products, p.base.kind), library, report, labels)


class SegmentItemsets:
    """Each segment's frequent itemsets (one ``_native`` itemsets object per
    segment with baskets, all coded on the same products), read as the
    native itemsets of a local mining by segment are read: by
    :class:`ciblage.basket.FrequentItemsets` and
    :func:`ciblage.basket.association_rules`."""

    def __init__(self, found: list[Any], products: pa.Array, kind: str) -> None:
        self._found = found
        self._products = products
        self.kind = kind

    def products(self) -> pa.Array:
        """The product ids, by product code."""
        return self._products

    def parts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[int], list[int]]:
        """Segment codes, item codes (flat), list offsets, counts, and per
        segment code its baskets and least count (0 for a segment without
        basket)."""
        segs, items, offsets, counts, baskets, least = [], [], [np.zeros(1, np.int64)], [], [], []
        done = 0
        for s, sets in enumerate(self._found):
            if sets is None:
                baskets.append(0)
                least.append(0)
                continue
            baskets.append(int(sets.n_baskets))
            least.append(int(sets.min_count))
            c, o, n = sets.parts()
            segs.append(np.full(len(n), s, dtype=np.uint32))
            items.append(np.asarray(c, dtype=np.uint32))
            offsets.append(np.asarray(o, dtype=np.int64)[1:] + done)
            counts.append(np.asarray(n, dtype=np.uint64))
            done += len(c)
        return (
            np.concatenate(segs) if segs else np.zeros(0, np.uint32),
            np.concatenate(items) if items else np.zeros(0, np.uint32),
            np.concatenate(offsets),
            np.concatenate(counts) if counts else np.zeros(0, np.uint64),
            baskets,
            least,
        )

    def rules(self, **params: Any) -> tuple[np.ndarray, tuple[Any, ...]]:
        """Each segment's association rules (as the native ``rules``), with
        the segment code of each rule."""
        sides: list[list[Any]] = [[], [], [], []]
        segs, measures = [], []
        done = [0, 0]
        for s, sets in enumerate(self._found):
            if sets is None:
                continue
            a, a_off, c, c_off, m = sets.rules(**params)
            table = _as_table(m)
            segs.append(np.full(table.num_rows, s, dtype=np.uint32))
            for k, (codes, off) in enumerate(((a, a_off), (c, c_off))):
                sides[2 * k].append(np.asarray(codes, dtype=np.uint32))
                first = [np.zeros(1, np.int64)] if not sides[2 * k + 1] else []
                sides[2 * k + 1].extend([*first, np.asarray(off, dtype=np.int64)[1:] + done[k]])
                done[k] += len(codes)
            measures.append(table)
        a, a_off, c, c_off = (np.concatenate(x) for x in sides)
        return np.concatenate(segs), (a, a_off, c, c_off, pa.concat_tables(measures))
