"""Frequent itemsets and association rules from order lines: the glue of
:mod:`ciblage.basket` (reading, null rows, hierarchy, ids in and out)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import _native
from ._affinity_input import codes_in, ids, labelling, same_kind
from ._basket_results import MEASURES, AssociationRules, FrequentItemsets, _lists
from ._params import as_bool, as_choice, as_float, as_int, as_opt_int
from ._progress import reporter
from ._report import make_report, warn_left_out
from ._stream import batches as stream_batches
from ._stream import is_stream, stream_kind
from ._tables import column_arg, opt_column_arg, table_kind, to_arrow
from .exceptions import ColumnTypeError, InvalidInputError, InvalidParameterError

__all__ = ["frequent_itemsets", "association_rules"]

_CORRECTIONS = ("bonferroni", "holm", "bh", "fdr_bh")


def _as_table(data: Any) -> pa.Table:
    """What :func:`to_arrow` returns, read whole as a pyarrow Table."""
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    return pa.RecordBatchReader.from_stream(data).read_all()


def _id_column(column: pa.ChunkedArray, label: str) -> pa.ChunkedArray:
    """Ids as the native reader takes them: floats holding whole numbers
    (pandas' integers with a missing value) as int64, dictionaries
    (categoricals) decoded; other types are left to the native reader,
    which refuses them naming the column."""
    t = column.type
    if pa.types.is_floating(t):
        column = column.cast(pa.float64())
        # NaN is pandas' missing value: a null id.
        column = pc.if_else(pc.is_nan(column), pa.scalar(None, pa.float64()), column)
        valid = column.drop_null()
        whole = pc.all(pc.equal(pc.floor(valid), valid)).as_py()
        if whole is False or (len(valid) and pc.max(pc.abs(valid)).as_py() >= 2.0**63):
            raise ColumnTypeError(
                f"{label}: has type {t} with values that are not whole numbers; expected integer or string ids"
            )
        return column.cast(pa.int64())
    if pa.types.is_dictionary(t):
        return column.cast(t.value_type)
    return column


def _hierarchy_map(hierarchy: Any, level: Any, product: str) -> tuple[pa.Array, pa.Array]:
    """The (product, category) pairs of ``hierarchy``: a mapping product ->
    category (a dict, or a pandas Series indexed by product), or a table
    with the ``product`` column and the ``level`` column. A product given
    two categories is refused."""
    is_series = table_kind(hierarchy) == "pandas" and type(hierarchy).__name__ == "Series"
    if is_series or (
        isinstance(hierarchy, Mapping)
        and table_kind(hierarchy) == "arrow"
        and not _is_dict_of_columns(hierarchy, product)
    ):
        pairs = list(hierarchy.items())
        try:
            keys = pa.array([k for k, _ in pairs])
            values = pa.array([v for _, v in pairs])
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError) as e:
            raise ColumnTypeError(f"hierarchy: products or categories of mixed types: {e}") from e
        keys = _id_column(pa.chunked_array([keys]), "hierarchy products").combine_chunks()
        values = _id_column(pa.chunked_array([values]), "hierarchy categories").combine_chunks()
    else:
        if level is None:
            raise InvalidParameterError(
                "invalid parameter level: a hierarchy table needs level, the name of its category column"
            )
        level_name = column_arg(level, "level")
        if level_name == product:
            raise InvalidParameterError(f"invalid parameter level: {level_name!r} is the product column")
        t = _as_table(to_arrow(hierarchy, {"product": product, "level": level_name}, "hierarchy"))
        keys = _id_column(t.column(product), f"hierarchy column {product!r}").combine_chunks()
        values = _id_column(t.column(level_name), f"hierarchy column {level_name!r}").combine_chunks()
    pairs = pa.table({"p": keys, "c": values}).drop_null().group_by(["p", "c"]).aggregate([])
    if pairs.num_rows and len(pc.unique(pairs.column("p"))) < pairs.num_rows:
        counts = pairs.group_by("p").aggregate([("c", "count")])
        twice = counts.filter(pc.greater(counts.column("c_count"), 1)).column("p")[0].as_py()
        raise InvalidInputError(f"hierarchy: product {twice!r} has more than one category")
    return pairs.column("p").combine_chunks(), pairs.column("c").combine_chunks()


def _is_dict_of_columns(data: Mapping[Any, Any], product: str) -> bool:
    """A dict of columns (holding the product column) rather than a
    product -> category mapping."""
    return product in {str(k) for k in data} and all(
        isinstance(v, (list, tuple, np.ndarray, pa.Array, pa.ChunkedArray)) for v in data.values()
    )


def _to_level(products: pa.ChunkedArray, keys: pa.Array, values: pa.Array, product: str) -> pa.ChunkedArray:
    """Each line's category (null where the product has none)."""
    if products.type != keys.type:
        try:
            keys = keys.cast(products.type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as e:
            raise ColumnTypeError(
                f"hierarchy: its products ({keys.type}) are not of the type of lines column {product!r} "
                f"({products.type})"
            ) from e
    where = pc.index_in(products, value_set=keys)
    return values.take(where)


def _batches(lines: Any, columns: dict[str, str]) -> tuple[Iterator[pa.RecordBatch], str]:
    """The used columns of ``lines`` batch by batch (a stream is read one
    batch at a time, never gathered whole), and the caller's library."""
    if is_stream(lines):
        kind = stream_kind(lines)
        return stream_batches(lines, columns, "lines"), kind
    kind = table_kind(lines)
    t = _as_table(to_arrow(lines, columns, "lines"))
    return iter(t.to_batches()), kind if kind in ("pandas", "polars") else "pyarrow"


def _filterable(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A column ``filter`` can take: string views (polars' strings) as
    large strings."""
    if str(column.type) in ("string_view", "binary_view"):
        return column.cast(pa.large_string())
    return column


class _Segmenter:
    """Each line's customer code in a labelling (``ciblage.basket`` mines
    each segment of it): the position of its customer among the labelled
    customers, or one more for a customer without a segment."""

    def __init__(self, segments: Any, customer: str, segment: str) -> None:
        seg_ids, seg_codes, labels = labelling(segments, customer, segment)
        if not (seg_codes >= 0).any():
            what = "the table is empty" if len(seg_codes) == 0 else f"column {json.dumps(segment)} is all null"
            raise InvalidInputError(f"segments: no customer has a segment ({what})")
        self.customer = customer
        self.ids = seg_ids
        self.id_set = seg_ids.combine_chunks()
        self.labels = labels
        # The last code: customers absent from the labelling.
        self.codes = np.concatenate([seg_codes, np.array([-1], dtype=np.int64)])

    def of(self, column: pa.Array) -> tuple[pa.Array, np.ndarray]:
        """The customer ids of one batch (nulls kept) and their codes."""
        cust = ids(pa.chunked_array([column]), "lines: customer", self.customer)
        same_kind(
            self.ids,
            f"segments column {json.dumps(self.customer)}",
            cust,
            f"lines column {json.dumps(self.customer)}",
        )
        where = codes_in(cust, self.id_set)
        where[where < 0] = len(self.ids)
        return cust.combine_chunks(), where.astype(np.uint32)


def _no_line(read: int, left_out: dict[str, int]) -> str:
    """The message of an input without any line to mine."""
    lost = ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in left_out.items() if v)
    return f"lines: no line to mine ({read:,} read" + (f"; {lost})" if lost else ")")


def _code_lines(
    stream: Iterator[pa.RecordBatch],
    order: str,
    product: str,
    mapping: tuple[pa.Array, pa.Array] | None,
    segmenter: _Segmenter | None = None,
) -> tuple[Any, dict[str, int], int, int]:
    """The native builder holding the lines of ``stream`` coded batch by
    batch without null rows, the rows left out by reason, the rows read and
    the rows used (also for one partition of a Spark or Dask frame)."""
    builder = _native.basket_lines_builder(order=order, product=product)
    left_out = {"null_order": 0, "null_product": 0}
    if mapping is not None:
        left_out["product_not_in_hierarchy"] = 0
    if segmenter is not None:
        left_out["null_customer"] = 0
    read = used = 0
    kinds: dict[str, str] = {}
    for batch in stream:
        read += batch.num_rows
        o = _id_column(pa.chunked_array([batch.column(order)]), f"lines column {order!r}")
        p = _id_column(pa.chunked_array([batch.column(product)]), f"lines column {product!r}")
        keep = o.is_valid()
        left_out["null_order"] += o.null_count
        left_out["null_product"] += int(pc.sum(pc.and_(keep, p.is_null())).as_py() or 0)
        keep = pc.and_(keep, p.is_valid())
        if mapping is not None:
            c = _to_level(p, mapping[0], mapping[1], product)
            left_out["product_not_in_hierarchy"] += int(pc.sum(pc.and_(keep, c.is_null())).as_py() or 0)
            keep = pc.and_(keep, c.is_valid())
            p = c
        customer_codes = None
        if segmenter is not None:
            cust, codes = segmenter.of(batch.column(segmenter.customer))
            left_out["null_customer"] += int(pc.sum(pc.and_(keep, cust.is_null())).as_py() or 0)
            keep = pc.and_(keep, cust.is_valid())
            mask = np.asarray(keep.to_numpy(zero_copy_only=False), dtype=bool)
            customer_codes = np.ascontiguousarray(codes[mask])
        part = pa.table({order: o, product: p})
        if not pc.all(keep).as_py():
            part = pa.table({k: _filterable(part.column(k)) for k in (order, product)}).filter(keep)
        if part.num_rows == 0:
            continue
        part = part.combine_chunks().to_batches()[0]
        for name in (order, product):
            kind_of = "integer" if pa.types.is_integer(part.schema.field(name).type) else "string"
            if kinds.setdefault(name, kind_of) != kind_of:
                raise ColumnTypeError(
                    f"lines: column {name!r} holds {kinds[name]} ids in one batch and {kind_of} ids in another; "
                    "convert them to one type"
                )
        builder.absorb(part, customer_codes)
        used += part.num_rows
    return builder, left_out, read, used


def _read(
    lines: Any,
    order: str,
    product: str,
    hierarchy: Any,
    level: Any,
    segmenter: _Segmenter | None = None,
) -> tuple[Any, dict[str, int], str, int]:
    """The native lines, coded batch by batch without null rows (the
    baskets of each segment with a ``segmenter``), the rows left out by
    reason, the caller's library and the rows read."""
    columns = {"order": order, "product": product}
    if segmenter is not None:
        columns["customer"] = segmenter.customer
    stream, kind = _batches(lines, columns)
    mapping = None
    if hierarchy is not None:
        mapping = _hierarchy_map(hierarchy, level, product)
    elif level is not None:
        raise InvalidParameterError("invalid parameter level: needs a hierarchy")
    builder, left_out, read, used = _code_lines(stream, order, product, mapping, segmenter)
    if used == 0:
        raise InvalidInputError(_no_line(read, left_out))
    native: Any
    if segmenter is None:
        native = builder.finish()
    else:
        native = builder.finish_segments(segmenter.codes)
        left_out["customer_without_segment"] = int(native.lines_without_segment)
        if int(native.lines_without_segment) == used:
            raise InvalidInputError(
                f"lines: no line of a customer with a segment ({read:,} read; {used:,} of customers without a segment)"
            )
    return native, left_out, kind, read


def _codes_of(products: pa.Array, ids: Any, name: str) -> list[int]:
    """The product codes of ``ids`` (a list of product ids; ids not in the
    data are ignored)."""
    if isinstance(ids, (str, bytes)) or not isinstance(ids, (Sequence, np.ndarray, set, frozenset)):
        raise InvalidParameterError(f"invalid parameter {name}: expected a list of product ids, got {ids!r}")
    try:
        wanted = pa.array(list(ids))
        if len(wanted):
            wanted = wanted.cast(products.type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, ValueError, OverflowError) as e:
        raise InvalidParameterError(
            f"invalid parameter {name}: expected product ids of the product column's type ({products.type}): {e}"
        ) from e
    mask = pc.is_in(products, value_set=wanted.cast(products.type) if len(wanted) else pa.array([], products.type))
    return [int(i) for i in np.flatnonzero(mask.to_numpy(zero_copy_only=False))]


def _check_params(
    order: Any, product: Any, min_support: Any, max_len: Any, closed: Any, maximal: Any, level: Any, hierarchy: Any
) -> tuple[str, str, float | None, int | None, int | None, bool, bool]:
    """The parameters of :func:`frequent_itemsets` checked (also by the
    Spark and Dask adapters, before any job): the order and product
    columns, the share or count of ``min_support``, ``max_len``,
    ``closed``, ``maximal``."""
    order = column_arg(order, "order")
    product = column_arg(product, "product")
    if order == product:
        raise InvalidParameterError(f"invalid parameter product: {product!r} is also the order column")
    min_count: int | None = None
    share: float | None = None
    if isinstance(min_support, (int, np.integer)) and not isinstance(min_support, (bool, np.bool_)):
        min_count = as_int(min_support, "min_support", 1)
    else:
        share = as_float(min_support, "min_support", 0.0, 1.0, low_open=True)
    max_len = as_opt_int(max_len, "max_len", 1)
    closed = as_bool(closed, "closed")
    maximal = as_bool(maximal, "maximal")
    if closed and maximal:
        raise InvalidParameterError("invalid parameter maximal: closed and maximal cannot both be True")
    opt_column_arg(level, "level") if hierarchy is None else None
    return order, product, share, min_count, max_len, closed, maximal


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
    progress: Any = None,
) -> FrequentItemsets:
    """Frequent itemsets of the baskets of order lines, by FP-growth; with
    ``segments``, of each customer segment's baskets.

    Args:
        lines: order lines in long form, one row per order and product
            (pandas, polars, pyarrow, a dict of arrays, any Arrow stream).
            Several lines of one product in one order count once.
        order: the order id column (integers or strings).
        product: the product id column (integers, strings or categorical).
        min_support: a float in (0, 1]: the least share of baskets; an
            int >= 1: the least number of baskets.
        max_len: the largest itemset size (None: no limit).
        level: with a hierarchy table, the name of its category column to
            mine at.
        hierarchy: product -> category: a dict, or a table with the
            ``product`` column and the ``level`` column; lines of products
            without a category are left out (and reported).
        closed: keep closed itemsets only (no superset of equal support).
        maximal: keep maximal itemsets only (no frequent superset).
        items: mine only these product (or category) ids.
        exclude: leave these ids out of every itemset.
        segments: a customer labelling (as :func:`segment_affinity` takes:
            a table with one row per customer, its ``customer`` id and
            ``segment`` label, or a result of ours with a ``customers``
            table). The lines (which then need the ``customer`` column)
            are read once and split into each segment's baskets (a line
            goes to its customer's segment; lines of customers without a
            segment are left out and reported); each segment is then mined
            on its own baskets, in parallel (``min_support`` is a share of
            the segment's baskets). The result is that of mining each
            segment's lines separately, with a ``segment`` column;
            :func:`association_rules` then gives each segment's rules.
        customer: the customer id column of ``lines`` and ``segments``.
        segment: the label column of ``segments``.
        progress: True (a bar), a callable taking ``(done, total)``, or
            None.

    Streams (a ``RecordBatchReader``, a dataset, a polars ``LazyFrame``, an
    iterable of tables) are read batch by batch: only the coded lines are
    kept, never a copy of the input.

    Raises:
        ColumnNotFoundError, ColumnTypeError: a missing or unreadable column.
        InvalidParameterError: a parameter out of range, names it.
        InvalidInputError: no line left to mine (after null rows), a
            labelling without any labelled customer.

    Example:
        >>> import polars as pl
        >>> from ciblage.basket import frequent_itemsets
        >>> lines = pl.DataFrame({"order_id": [1, 1, 2, 2, 2, 3], "product": [10, 20, 10, 20, 30, 10]})
        >>> sets = frequent_itemsets(lines, min_support=2)  # an int: a count of baskets
        >>> sets.itemsets.rows()
        [([10], 1.0, 3), ([20], 0.6666666666666666, 2), ([10, 20], 0.6666666666666666, 2)]
    """
    order, product, share, min_count, max_len, closed, maximal = _check_params(
        order, product, min_support, max_len, closed, maximal, level, hierarchy
    )
    segmenter = None
    if segments is not None:
        customer = column_arg(customer, "customer")
        segment = column_arg(segment, "segment")
        if customer in (order, product):
            raise InvalidParameterError(f"invalid parameter customer: {customer!r} is also the order or product column")
        segmenter = _Segmenter(segments, customer, segment)
    report_progress = reporter(progress, "frequent itemsets")
    native_lines, left_out, kind, read = _read(lines, order, product, hierarchy, level, segmenter)
    products = native_lines.products()
    item_codes = None if items is None else _codes_of(products, items, "items")
    exclude_codes = None if exclude is None else _codes_of(products, exclude, "exclude")
    native = native_lines.fpgrowth(
        min_support=share,
        min_count=min_count,
        max_len=max_len,
        kind="closed" if closed else "maximal" if maximal else "all",
        items=item_codes,
        exclude=exclude_codes,
        progress=report_progress,
    )
    if segmenter is None:
        report = make_report(read, left_out, baskets=len(native_lines), products=native_lines.n_products)
        labels = None
    else:
        labels = segmenter.labels
        report = make_report(
            read, left_out, baskets=sum(native_lines.baskets()), products=len(products), segments=len(labels)
        )
    warn_left_out(report, "frequent_itemsets")
    return FrequentItemsets(native, kind, report, labels)


def association_rules(
    itemsets: FrequentItemsets,
    *,
    metric: str = "confidence",
    min_threshold: float = 0.8,
    consequents: str = "all",
    p_value: str | None = None,
    correction: str | None = None,
) -> AssociationRules:
    """Association rules A -> C from frequent itemsets.

    Args:
        itemsets: the result of :func:`frequent_itemsets` (all itemsets:
            not closed or maximal only).
        metric: the measure compared with ``min_threshold`` (one of
            :data:`MEASURES`).
        min_threshold: the least value of ``metric`` a rule needs.
        consequents: ``"all"``: every split of an itemset into two sides
            (mlxtend); ``"single"``: one-item consequents (R arules, Spark).
        p_value: ``None``, ``"fisher"`` (one-sided exact test of a
            positive association) or ``"chi2"`` (Pearson's χ², no
            continuity correction).
        correction: ``None``, ``"bonferroni"``, ``"holm"`` or ``"bh"``
            (Benjamini–Hochberg; also ``"fdr_bh"``), over every rule the
            itemsets give before the threshold (with segments: within each
            segment, a family per segment).

    Raises:
        InvalidInputError: ``itemsets`` is not a :class:`FrequentItemsets`
            of every itemset.
        InvalidParameterError: a parameter out of range, names it.

    Example:
        >>> import pandas as pd
        >>> from ciblage.basket import association_rules, frequent_itemsets
        >>> lines = pd.DataFrame({"order_id": [1, 1, 2, 2, 3, 4], "product": ["a", "b", "a", "b", "a", "c"]})
        >>> rules = association_rules(frequent_itemsets(lines, min_support=0.5), metric="lift", min_threshold=1.0)
        >>> [(list(a), list(c)) for a, c in zip(rules.rules["antecedents"], rules.rules["consequents"])]
        [(['a'], ['b']), (['b'], ['a'])]
        >>> rules.rules["confidence"].tolist(), rules.rules["lift"].tolist()
        ([0.6666666666666666, 1.0], [1.3333333333333333, 1.3333333333333333])
    """
    if not isinstance(itemsets, FrequentItemsets):
        raise InvalidInputError(
            "itemsets: expected the FrequentItemsets of ciblage.basket.frequent_itemsets, "
            f"got {type(itemsets).__name__}"
        )
    if itemsets.kind != "all":
        raise InvalidInputError(
            f"itemsets: rules need every frequent itemset (the supports of both sides), got {itemsets.kind} itemsets "
            "only: mine with closed=False and maximal=False"
        )
    metric = as_choice(metric, "metric", MEASURES)
    threshold = as_float(min_threshold, "min_threshold") if not _is_inf(min_threshold) else float(min_threshold)
    consequents = as_choice(consequents, "consequents", ("all", "single"))
    test = None if p_value is None else as_choice(p_value, "p_value", ("fisher", "chi2"))
    fix = "none" if correction is None else as_choice(correction, "correction", _CORRECTIONS)
    if test is None and correction is not None:
        raise InvalidParameterError("invalid parameter correction: corrects p-values: set p_value too")
    found = itemsets._native.rules(
        metric=metric, min_threshold=threshold, consequents=consequents, p_value=test, correction=fix
    )
    columns = {}
    if itemsets._labels is not None:
        segs, found = found
        columns["segment"] = pa.array(itemsets._labels).take(pa.array(segs, pa.uint32()))
    a, a_off, c, c_off, measures = found
    m = _as_table(measures)
    products = itemsets._products
    columns["antecedents"] = _lists(a_off, a, products)
    columns["consequents"] = _lists(c_off, c, products)
    table = pa.table(columns)
    for name in m.column_names:
        table = table.append_column(name, m.column(name))
    return AssociationRules(table, itemsets._kind, itemsets.n_baskets, itemsets.input_report)


def _is_inf(value: Any) -> bool:
    """±inf (conviction thresholds may be infinite)."""
    return isinstance(value, float) and value in (float("inf"), float("-inf"))
