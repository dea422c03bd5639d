"""Frequent itemsets and association rules from order lines: the glue of
:mod:`ciblage.basket` (reading, null rows, hierarchy, ids in and out)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import _native
from ._params import as_bool, as_choice, as_float, as_int, as_opt_int
from ._progress import reporter
from ._report import make_report, warn_left_out
from ._tables import column_arg, html_summary, opt_column_arg, table_kind, to_arrow
from .exceptions import ColumnTypeError, InvalidInputError, InvalidParameterError

__all__ = ["frequent_itemsets", "association_rules", "FrequentItemsets", "AssociationRules", "MEASURES"]

MEASURES = (
    "antecedent_support",
    "consequent_support",
    "support",
    "confidence",
    "lift",
    "leverage",
    "conviction",
    "zhangs_metric",
    "jaccard",
    "certainty",
    "kulczynski",
)
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
    (pandas' integers with a missing value) as int64, dictionaries as
    they are; any other type but integers and strings refused."""
    t = column.type
    if pa.types.is_floating(t):
        # NaN is pandas' missing value: a null id.
        column = pc.if_else(pc.is_nan(column), pa.scalar(None, t), column)
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
    category, or a table with the ``product`` column and the ``level``
    column. A product given two categories is refused."""
    if (
        isinstance(hierarchy, Mapping)
        and table_kind(hierarchy) == "arrow"
        and not _is_dict_of_columns(hierarchy, product)
    ):
        keys = pa.array(list(hierarchy.keys()))
        values = pa.array(list(hierarchy.values()))
    else:
        if level is None:
            raise InvalidParameterError(
                "invalid parameter level: a hierarchy table needs level, the name of its category column"
            )
        level_name = column_arg(level, "level")
        if level_name == product:
            raise InvalidParameterError(f"invalid parameter level: {level_name!r} is the product column")
        if table_kind(hierarchy) == "pandas" and type(hierarchy).__name__ == "Series":
            raise ColumnTypeError("hierarchy: expected a table with the product and level columns, or a dict")
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
    table = pa.table({"order": o, "product": p})
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


def _lists(offsets: np.ndarray, codes: np.ndarray, products: pa.Array) -> pa.Array:
    """A list column of product ids from codes and offsets."""
    values = products.take(pa.array(codes, pa.uint32()))
    if offsets[-1] < 2**31:
        return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values)
    return pa.LargeListArray.from_arrays(pa.array(offsets, pa.int64()), values)


def _in_library(table: pa.Table, kind: str) -> Any:
    if kind == "pandas":
        return table.to_pandas()
    if kind == "polars":
        import polars as pl

        return pl.from_arrow(table)
    return table


class _Result:
    """What itemsets and rules share: one table, output in any library."""

    _table: pa.Table
    _kind: str

    def to_arrow(self) -> pa.Table:
        """The table as a pyarrow Table."""
        return self._table

    def to_pandas(self) -> Any:
        """The table as a pandas DataFrame (list columns hold numpy arrays)."""
        return self._table.to_pandas()

    def to_polars(self) -> Any:
        """The table as a polars DataFrame."""
        import polars as pl

        return pl.from_arrow(self._table)

    def __len__(self) -> int:
        return self._table.num_rows


class FrequentItemsets(_Result):
    """The outcome of :func:`frequent_itemsets`.

    Attributes:
        itemsets: one row per itemset (sorted by size, then product codes),
            in the caller's library: ``itemset`` (list of product ids),
            ``support`` (share of baskets), ``count`` (baskets).
        n_baskets: the number of baskets (orders with a line used).
        min_count: the least count of a frequent itemset.
        kind: ``"all"``, ``"closed"`` or ``"maximal"``.
        input_report: lines read, used and left out (``null_order``,
            ``null_product``, with a hierarchy ``product_not_in_hierarchy``),
            with ``baskets`` and ``products``.

    Example:
        >>> import pandas as pd
        >>> from ciblage.basket import frequent_itemsets
        >>> lines = pd.DataFrame({"order": [1, 1, 2, 2, 3], "product": ["a", "b", "a", "b", "a"]})
        >>> sets = frequent_itemsets(lines, order="order", product="product", min_support=0.5)
        >>> [(list(s), c) for s, c in zip(sets.itemsets["itemset"], sets.itemsets["count"])]
        [(['a'], 3), (['b'], 2), (['a', 'b'], 2)]
    """

    def __init__(self, native: Any, kind: str, report: dict[str, Any]) -> None:
        self._native = native
        self._kind = kind
        self._products = native.products()
        codes, offsets, counts = native.parts()
        self.n_baskets: int = native.n_baskets
        self.min_count: int = native.min_count
        self.kind: str = native.kind
        self._table = pa.table(
            {
                "itemset": _lists(offsets, codes, self._products),
                "support": pa.array(counts.astype(np.float64) / self.n_baskets, pa.float64()),
                "count": pa.array(counts.astype(np.int64), pa.int64()),
            }
        )
        self.itemsets = _in_library(self._table, kind)
        self.input_report = report

    def __repr__(self) -> str:
        return (
            f"FrequentItemsets(itemsets={len(self)}, baskets={self.n_baskets}, "
            f"min_count={self.min_count}, kind={self.kind!r})"
        )

    def _repr_html_(self) -> str:
        figures = {
            "itemsets": len(self),
            "baskets": self.n_baskets,
            "least count": self.min_count,
            "kind": self.kind,
            "lines used": self.input_report["rows_used"],
        }
        top = self._table.sort_by([("support", "descending")])
        return html_summary(repr(self), top, figures=figures)

    def plot(self, kind: str = "top", ax: Any = None, **kwargs: Any) -> Any:
        """Draws a chart with matplotlib (the ``ciblage[plot]`` extra).

        Args:
            kind: ``"top"``: bars of the ``top`` (default 20) itemsets of
                the highest support (:class:`~ciblage.plot.ItemsetsDisplay`).
            ax: matplotlib Axes to draw on (default: a new figure).
            **kwargs: ``top``, then matplotlib keyword arguments.
        """
        from .plot._basket import ItemsetsDisplay

        as_choice(kind, "kind", ("top",))
        top = as_int(kwargs.pop("top", 20), "top", 1)
        return ItemsetsDisplay.from_result(self, top=top).plot(ax=ax, **kwargs)


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
    native_lines = _native.basket_lines(table, order="order", product="product")
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


class AssociationRules(_Result):
    """The outcome of :func:`association_rules`.

    Attributes:
        rules: one row per rule A -> C, in the caller's library:
            ``antecedents``, ``consequents`` (lists of product ids), the
            measures ``antecedent_support``, ``consequent_support``,
            ``support``, ``confidence``, ``lift``, ``leverage``,
            ``conviction``, ``zhangs_metric``, ``jaccard``, ``certainty``,
            ``kulczynski`` (see ``docs/basket.md``), ``p_value`` and
            ``p_value_adjusted`` when a test was asked for, then the basket
            counts ``antecedent_count``, ``consequent_count``, ``count``.
        n_baskets: the number of baskets mined.
        input_report: the itemsets' input report.

    Example:
        >>> import pandas as pd
        >>> from ciblage.basket import association_rules, frequent_itemsets
        >>> lines = pd.DataFrame({"order_id": [1, 1, 2, 2, 3], "product": ["a", "b", "a", "b", "a"]})
        >>> rules = association_rules(frequent_itemsets(lines, min_support=0.5), min_threshold=0.9)
        >>> print(rules.to_text(("confidence", "lift")))
        {b} => {a}  confidence=1  lift=1
    """

    def __init__(self, table: pa.Table, kind: str, n_baskets: int, report: dict[str, Any]) -> None:
        self._table = table
        self._kind = kind
        self.n_baskets = n_baskets
        self.rules = _in_library(table, kind)
        self.input_report = report

    def __repr__(self) -> str:
        return f"AssociationRules(rules={len(self)}, baskets={self.n_baskets})"

    def _repr_html_(self) -> str:
        top = self._table.sort_by([("lift", "descending"), ("confidence", "descending")])
        return html_summary(repr(self), top, figures={"rules": len(self), "baskets": self.n_baskets})

    def _sides(self) -> list[tuple[list[Any], list[Any]]]:
        return list(
            zip(
                self._table.column("antecedents").to_pylist(),
                self._table.column("consequents").to_pylist(),
                strict=True,
            )
        )

    def to_text(self, measures: Sequence[str] = ("support", "confidence", "lift")) -> str:
        """One line per rule: ``{a, b} => {c}  support=… confidence=… lift=…``."""
        chosen = [as_choice(m, "measures", (*MEASURES, "p_value", "p_value_adjusted")) for m in measures]
        columns = {m: self._table.column(m).to_pylist() for m in chosen}
        out = []
        for i, (a, c) in enumerate(self._sides()):
            figures = "  ".join(f"{m}={columns[m][i]:.6g}" for m in chosen)
            out.append(f"{{{', '.join(map(str, a))}}} => {{{', '.join(map(str, c))}}}  {figures}")
        return "\n".join(out)

    def to_sql(self, table: str = "order_lines", order: str = "order_id", product: str = "product") -> str:
        """A SQL query listing, for every rule, the orders of ``table`` that
        hold its whole antecedent: ``(order, rule_id)`` rows (rule ids
        from 1, in the rules' order), one ``SELECT`` per rule joined by
        ``UNION ALL``, each preceded by the rule as a comment."""
        for value, name in ((table, "table"), (order, "order"), (product, "product")):
            if not isinstance(value, str) or not value or '"' in value:
                raise InvalidParameterError(f"invalid parameter {name}: expected a SQL identifier, got {value!r}")
        q = lambda name: '"' + name + '"'  # noqa: E731
        parts = []
        for k, (a, c) in enumerate(self._sides(), start=1):
            literals = ", ".join(_sql_literal(x) for x in a)
            lift = self._table.column("lift")[k - 1].as_py()
            conf = self._table.column("confidence")[k - 1].as_py()
            parts.append(
                f"-- rule {k}: {{{', '.join(map(str, a))}}} => {{{', '.join(map(str, c))}}} "
                f"(confidence {conf:.4g}, lift {lift:.4g})\n"
                f"SELECT {q(order)}, {k} AS rule_id FROM {q(table)} WHERE {q(product)} IN ({literals}) "
                f"GROUP BY {q(order)} HAVING COUNT(DISTINCT {q(product)}) = {len(a)}"
            )
        if not parts:
            return f"SELECT {q(order)}, 0 AS rule_id FROM {q(table)} WHERE 1 = 0"
        return "\nUNION ALL\n".join(parts)

    def plot(self, kind: str = "scatter", ax: Any = None, **kwargs: Any) -> Any:
        """Draws a chart with matplotlib (the ``ciblage[plot]`` extra).

        Args:
            kind: ``"scatter"``: support against confidence, coloured by
                lift (:class:`~ciblage.plot.RulesDisplay`).
            ax: matplotlib Axes to draw on (default: a new figure).
            **kwargs: matplotlib keyword arguments.
        """
        from .plot._basket import RulesDisplay

        as_choice(kind, "kind", ("scatter",))
        return RulesDisplay.from_result(self).plot(ax=ax, **kwargs)


def _sql_literal(value: Any) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return str(int(value))


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
