"""Frequent itemsets in two passes over partitions (SON), for the Spark and
Dask adapters of :func:`ciblage.basket.frequent_itemsets`.

The lines are first repartitioned by order, so that every basket is whole
in one partition. Pass 1: each partition mines its locally frequent
itemsets with the core miner at its proportional least count (a share
``s``: ``floor(s × baskets of the partition)``, at least 1; a count ``c``:
``ceil(c / partitions)``): an itemset frequent over every basket is
locally frequent in at least one partition, so the union of the local
itemsets (the candidates) holds every frequent itemset. Pass 2: each
partition counts every candidate exactly (``_native.basket_count_itemsets``);
the sums, over the baskets of every partition, keep the frequent ones
(``_native.basket_itemsets_from_counts``, the least count computed as the
local call computes it). The input report is summed over the partitions.

Worker functions here take one partition (Arrow batches) and return one
Arrow batch; the driver functions check the parameters before any job and
gather the passes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import _native
from ._basket import _check_params, _code_lines, _codes_of, _hierarchy_map, _no_line
from ._basket_results import FrequentItemsets
from ._report import make_report, warn_left_out
from .exceptions import ColumnTypeError, InvalidInputError, InvalidParameterError


@dataclass(frozen=True)
class Plan:
    """The checked parameters of one mining, shipped to the workers."""

    order: str
    product: str
    share: float | None
    min_count: int | None
    max_len: int | None
    kind: str
    mapping: tuple[pa.Array, pa.Array] | None
    items: list[Any] | None
    exclude: list[Any] | None
    #: The type of the ids between the passes; None when the input's type
    #: does not say (a pandas object column): each partition's data do.
    ids: pa.DataType | None

    def pass_one_schema(self, ids: pa.DataType | None = None) -> pa.Schema:
        """Pass 1's rows: a figure (``stat``, ``value``), a product
        (``stat`` "product", ``itemset`` [it]) or a candidate (``stat``
        "candidate")."""
        ids = ids or self.ids or pa.null()
        return pa.schema(
            [
                pa.field("stat", pa.string(), nullable=False),
                pa.field("value", pa.int64(), nullable=False),
                pa.field("itemset", pa.list_(pa.field("item", ids))),
            ]
        )


#: Pass 2's rows: a candidate's position and its count in one partition.
COUNT_SCHEMA = pa.schema([pa.field("candidate", pa.int64(), nullable=False), pa.field("count", pa.int64(), False)])


def _id_type(t: pa.DataType) -> pa.DataType:
    """The type a column of ids is carried as between the passes: integers
    (and floats holding whole numbers) as int64, anything else as string."""
    if pa.types.is_dictionary(t):
        t = t.value_type
    if pa.types.is_integer(t) or pa.types.is_floating(t):
        return pa.int64()
    return pa.string()


def plan(
    schema: pa.Schema,
    *,
    order: Any,
    product: Any,
    min_support: Any,
    max_len: Any,
    level: Any,
    hierarchy: Any,
    closed: Any,
    maximal: Any,
    items: Any,
    exclude: Any,
) -> Plan:
    """Every parameter checked as the local call checks it (same classes and
    messages), before any job; ``schema``: the input's columns."""
    from ._tables import _check_columns

    order, product, share, count, max_len, closed, maximal = _check_params(
        order, product, min_support, max_len, closed, maximal, level, hierarchy
    )
    _check_columns({"order": order, "product": product}, list(schema.names))
    mapping = None
    given = schema.field(product).type
    ids = None if pa.types.is_null(given) else _id_type(given)
    if hierarchy is not None:
        mapping = _hierarchy_map(hierarchy, level, product)
        ids = _id_type(mapping[1].type)
    elif level is not None:
        raise InvalidParameterError("invalid parameter level: needs a hierarchy")
    wanted = {}
    for name, value in (("items", items), ("exclude", exclude)):
        if value is not None:
            if ids is not None:
                _codes_of(pa.array([], ids), value, name)
            elif isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, np.ndarray, set, frozenset)):
                # The ids' type is the data's (the workers check it): only
                # the kind of argument is checked here, as locally.
                _codes_of(pa.array([], pa.int64()), value, name)
            wanted[name] = list(value)
    return Plan(
        order,
        product,
        share,
        count,
        max_len,
        "closed" if closed else "maximal" if maximal else "all",
        mapping,
        wanted.get("items"),
        wanted.get("exclude"),
        ids,
    )


def _lines(p: Plan, batches: Iterable[pa.RecordBatch]) -> tuple[Any, dict[str, int], int, int]:
    builder, left_out, read, used = _code_lines(iter(batches), p.order, p.product, p.mapping)
    return (builder.finish() if used else None), left_out, read, used


def _item_lists(codes: Any, offsets: Any, products: pa.Array, ids: pa.DataType) -> pa.Array:
    values = products.take(pa.array(codes, pa.uint32())).cast(ids)
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values, type=pa.list_(pa.field("item", ids)))


def pass_one(p: Plan, batches: Iterable[pa.RecordBatch], partitions: int) -> pa.RecordBatch:
    """One partition's figures (rows read, left out by reason, baskets), its
    products and its locally frequent itemsets."""
    lines, left_out, read, used = _lines(p, batches)
    ids = p.ids or (pa.null() if lines is None else _id_type(lines.products().type))
    stats = [("rows_read", read), ("baskets", 0 if lines is None else len(lines))]
    stats += [(f"left_out:{k}", v) for k, v in left_out.items()]
    schema = p.pass_one_schema(ids)
    names = [s for s, _ in stats]
    values = [v for _, v in stats]
    lists = pa.nulls(len(stats), schema.field("itemset").type)
    head = pa.record_batch([pa.array(names, pa.string()), pa.array(values, pa.int64()), lists], schema=schema)
    if lines is None:
        return head
    products = lines.products()
    n = len(lines)
    if p.share is not None:
        # The proportional least count, rounded down (and a hair below, so
        # that no float rounding of the product can lose a candidate).
        local = max(1, int(np.floor(p.share * n * (1.0 - 1e-9))))
    else:
        local = max(1, -(-int(p.min_count or 1) // max(1, partitions)))
    found = lines.fpgrowth(
        min_count=local,
        max_len=p.max_len,
        kind="all",
        items=None if p.items is None else _codes_of(products, p.items, "items"),
        exclude=None if p.exclude is None else _codes_of(products, p.exclude, "exclude"),
    )
    codes, offsets, _ = found.parts()
    every = np.arange(len(products), dtype=np.uint32)
    product_lists = _item_lists(every, np.arange(len(products) + 1), products, ids)
    candidate_lists = _item_lists(codes, offsets, products, ids)
    tail = pa.record_batch(
        [
            pa.array(["product"] * len(products) + ["candidate"] * len(candidate_lists), pa.string()),
            pa.array(np.zeros(len(products) + len(candidate_lists), dtype=np.int64)),
            pa.concat_arrays([product_lists, candidate_lists]),
        ],
        schema=schema,
    )
    return pa.Table.from_batches([head, tail]).combine_chunks().to_batches()[0]


@dataclass
class Gathered:
    """What pass 1 found over every partition."""

    read: int
    left_out: dict[str, int]
    baskets: int
    products: int
    candidates: pa.Array


def _resolved(p: Plan, tables: list[pa.Table]) -> Plan:
    """The plan with the type of the ids the partitions found (when the
    input's type did not say); ids of two kinds are refused as locally."""
    if p.ids is not None:
        return p
    found = {t.schema.field("itemset").type.value_type for t in tables}
    found.discard(pa.null())
    if len(found) > 1:
        raise ColumnTypeError(
            f"lines: column {p.product!r} holds integer ids in one batch and string ids in another; "
            "convert them to one type"
        )
    return replace(p, ids=found.pop() if found else pa.int64())


def gather_one(p: Plan, tables: Iterable[pa.Table]) -> tuple[Plan, Gathered]:
    """Pass 1's rows of every partition summed (figures) and united
    (products, candidates); raises the local call's error when no line is
    left to mine. Also the plan with the type of the ids settled."""
    tables = list(tables)
    p = _resolved(p, tables)
    table = pa.concat_tables([t.cast(p.pass_one_schema()) for t in tables])
    stat = table.column("stat")
    figures: dict[str, int] = {}
    is_figure = pc.invert(pc.is_in(stat, value_set=pa.array(["product", "candidate"])))
    sums = table.filter(is_figure).group_by("stat").aggregate([("value", "sum")])
    for name, value in zip(sums.column("stat").to_pylist(), sums.column("value_sum").to_pylist(), strict=True):
        figures[name] = int(value)
    read = figures.get("rows_read", 0)
    left_out = {"null_order": 0, "null_product": 0}
    if p.mapping is not None:
        left_out["product_not_in_hierarchy"] = 0
    for k in left_out:
        left_out[k] = figures.get(f"left_out:{k}", 0)
    if read - sum(left_out.values()) == 0:
        raise InvalidInputError(_no_line(read, left_out))
    products = table.filter(pc.equal(stat, "product")).column("itemset").combine_chunks().flatten()
    found = table.filter(pc.equal(stat, "candidate")).column("itemset").combine_chunks()
    # Distinct candidates (each partition's lists are in id order).
    seen = dict.fromkeys(tuple(s) for s in found.to_pylist())
    candidates = pa.array([list(s) for s in seen], pa.list_(pa.field("item", p.ids)))
    return p, Gathered(read, left_out, figures.get("baskets", 0), len(pc.unique(products)), candidates)


def pass_two(p: Plan, batches: Iterable[pa.RecordBatch], candidates: pa.Array) -> pa.RecordBatch:
    """Every candidate's count in one partition (the candidates with a
    count of 0 left out)."""
    lines, _, _, _ = _lines(p, batches)
    if lines is None or len(candidates) == 0:
        return _counts([], [])
    products = lines.products()
    flat = candidates.flatten()
    offsets = candidates.offsets.to_numpy().astype(np.int64)
    where = pc.index_in(flat.cast(products.type), value_set=products)
    missing = where.is_null().to_numpy(zero_copy_only=False)
    sizes = np.diff(offsets)
    # A candidate with a product this partition does not hold counts 0.
    absent = np.add.reduceat(missing.astype(np.int64), offsets[:-1]) if len(flat) else np.zeros(0, np.int64)
    here = np.flatnonzero(absent == 0)
    codes = where.fill_null(0).to_numpy(zero_copy_only=False).astype(np.uint32)
    kept = np.ascontiguousarray(codes[np.repeat(absent == 0, sizes)])
    kept_offsets = np.concatenate([[0], np.cumsum(sizes[here])]).astype(np.int64)
    counts = _native.basket_count_itemsets(lines, kept, kept_offsets)
    nonzero = counts > 0
    return _counts(here[nonzero], counts[nonzero])


def _counts(index: Any, counts: Any) -> pa.RecordBatch:
    return pa.record_batch(
        [pa.array(np.asarray(index, dtype=np.int64)), pa.array(np.asarray(counts, dtype=np.int64))],
        schema=COUNT_SCHEMA,
    )


def finish(p: Plan, gathered: Gathered, counts: Iterable[pa.Table], library: str) -> FrequentItemsets:
    """The frequent itemsets from the candidates' counts summed over the
    partitions: the local call's result."""
    total = np.zeros(len(gathered.candidates), dtype=np.uint64)
    for t in counts:
        if t.num_rows:
            np.add.at(
                total,
                t.column("candidate").to_numpy().astype(np.int64),
                t.column("count").to_numpy().astype(np.uint64),
            )
    candidates = gathered.candidates
    flat = candidates.flatten()
    products = _native_products(p, flat)
    codes = pc.index_in(flat.cast(products.type), value_set=products).to_numpy(zero_copy_only=False)
    native = _native.basket_itemsets_from_counts(
        products,
        np.ascontiguousarray(codes.astype(np.uint32)),
        candidates.offsets.to_numpy().astype(np.int64),
        total,
        gathered.baskets,
        min_support=p.share,
        min_count=p.min_count,
        kind=p.kind,
    )
    report = make_report(gathered.read, gathered.left_out, baskets=gathered.baskets, products=gathered.products)
    warn_left_out(report, "frequent_itemsets", stacklevel=4)
    return FrequentItemsets(native, library, report)


def _native_products(p: Plan, flat: pa.Array) -> pa.Array:
    """The distinct ids of ``flat`` sorted and typed as the native reader
    sorts and types them (the local call's product codes keep this order)."""
    builder = _native.basket_lines_builder(order="o", product="p")
    ids = pc.unique(flat) if len(flat) else flat
    if len(ids) == 0:
        ids = pa.array([0] if p.ids is None or pa.types.is_integer(p.ids) else [""], p.ids or pa.int64())
    batch = pa.record_batch([pa.array(np.zeros(len(ids), dtype=np.int64)), ids], names=["o", "p"])
    builder.absorb(batch, None)
    return builder.finish().products()
