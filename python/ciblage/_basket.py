"""Frequent itemsets and association rules from order lines: the glue of
:mod:`ciblage.basket` (reading, null rows, hierarchy, ids in and out)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import _native
from ._basket_results import MEASURES, AssociationRules, FrequentItemsets, _lists
from ._params import as_bool, as_choice, as_float, as_int, as_opt_int
from ._progress import reporter
from ._report import make_report, warn_left_out
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


def _read(lines: Any, order: str, product: str, hierarchy: Any, level: Any) -> tuple[pa.Table, dict[str, int], str]:
    """The order and product columns without null rows, the rows left out
    by reason, and the caller's library."""
    kind = table_kind(lines)
    t = _as_table(to_arrow(lines, {"order": order, "product": product}, "lines"))
    o = _id_column(t.column(order), f"lines column {order!r}")
    p = _id_column(t.column(product), f"lines column {product!r}")
    left_out = {"null_order": o.null_count}
    left_out["null_product"] = int(pc.sum(pc.and_(o.is_valid(), p.is_null())).as_py() or 0)
    if hierarchy is not None:
        keys, values = _hierarchy_map(hierarchy, level, product)
        c = _to_level(p, keys, values, product)
        left_out["product_not_in_hierarchy"] = int(
            pc.sum(pc.and_(pc.and_(o.is_valid(), p.is_valid()), c.is_null())).as_py() or 0
        )
        p = c
    elif level is not None:
        raise InvalidParameterError("invalid parameter level: needs a hierarchy")
    table = pa.table({order: o, product: p})
    if sum(left_out.values()):
        table = table.filter(pc.and_(o.is_valid(), p.is_valid()))
    if table.num_rows == 0:
        lost = ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in left_out.items() if v)
        raise InvalidInputError(f"lines: no line to mine ({t.num_rows:,} read" + (f"; {lost})" if lost else ")"))
    return table, left_out, kind if kind in ("pandas", "polars") else "pyarrow"


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
    progress: Any = None,
) -> FrequentItemsets:
    """Frequent itemsets of the baskets of order lines, by FP-growth.

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
        progress: True (a bar), a callable taking ``(done, total)``, or
            None.

    Raises:
        ColumnNotFoundError, ColumnTypeError: a missing or unreadable column.
        InvalidParameterError: a parameter out of range, names it.
        InvalidInputError: no line left to mine (after null rows).

    Example:
        >>> import polars as pl
        >>> from ciblage.basket import frequent_itemsets
        >>> lines = pl.DataFrame({"order_id": [1, 1, 2, 2, 2, 3], "product": [10, 20, 10, 20, 30, 10]})
        >>> sets = frequent_itemsets(lines, min_support=2)  # an int: a count of baskets
        >>> sets.itemsets.rows()
        [([10], 1.0, 3), ([20], 0.6666666666666666, 2), ([10, 20], 0.6666666666666666, 2)]
    """
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
    report_progress = reporter(progress, "frequent itemsets")
    table, left_out, kind = _read(lines, order, product, hierarchy, level)
    native_lines = _native.basket_lines(table, order=order, product=product)
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
    read = table.num_rows + sum(left_out.values())
    report = make_report(read, left_out, baskets=len(native_lines), products=native_lines.n_products)
    warn_left_out(report, "frequent_itemsets")
    return FrequentItemsets(native, kind, report)


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
            itemsets give before the threshold.

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
    a, a_off, c, c_off, measures = itemsets._native.rules(
        metric=metric, min_threshold=threshold, consequents=consequents, p_value=test, correction=fix
    )
    m = _as_table(measures)
    products = itemsets._products
    table = pa.table({"antecedents": _lists(a_off, a, products), "consequents": _lists(c_off, c, products)})
    for name in m.column_names:
        table = table.append_column(name, m.column(name))
    return AssociationRules(table, itemsets._kind, itemsets.n_baskets, itemsets.input_report)


def _is_inf(value: Any) -> bool:
    """±inf (conviction thresholds may be infinite)."""
    return isinstance(value, float) and value in (float("inf"), float("-inf"))
