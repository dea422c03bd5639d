"""The results of :mod:`ciblage.basket`: frequent itemsets and association
rules, as tables in the caller's library, with text, SQL and charts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from ._params import as_choice, as_int
from ._tables import html_summary
from .exceptions import InvalidParameterError

__all__ = ["FrequentItemsets", "AssociationRules", "MEASURES"]

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
            ``support`` (share of baskets), ``count`` (baskets); with
            ``segments``, a first column ``segment`` (segments ascending,
            each one's itemsets sorted as without segments).
        n_baskets: the number of baskets (orders with a line used; with
            ``segments``, summed over the segments).
        min_count: the least count of a frequent itemset (with
            ``segments``, the least over the segments).
        baskets_by_segment: with ``segments``, each segment's number of
            baskets (supports are shares of them); else None.
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

    def __init__(self, native: Any, kind: str, report: dict[str, Any], labels: list[Any] | None = None) -> None:
        self._native = native
        self._kind = kind
        self._labels = labels
        self._products = native.products()
        self.kind: str = native.kind
        if labels is None:
            codes, offsets, counts = native.parts()
            self.n_baskets: int = native.n_baskets
            self.min_count: int = native.min_count
            self.baskets_by_segment: dict[Any, int] | None = None
            columns: dict[str, Any] = {}
            baskets = np.full(len(counts), self.n_baskets, dtype=np.float64)
        else:
            segs, codes, offsets, counts, seg_baskets, seg_min = native.parts()
            self.n_baskets = int(sum(seg_baskets))
            # The least count over the segments mined (each has its own).
            mined = [m for b, m in zip(seg_baskets, seg_min, strict=True) if b]
            self.min_count = int(min(mined)) if mined else 0
            self.baskets_by_segment = {label: int(b) for label, b in zip(labels, seg_baskets, strict=False)}
            columns = {"segment": pa.array(labels).take(pa.array(segs, pa.uint32())) if labels else pa.nulls(0)}
            baskets = np.asarray(seg_baskets, dtype=np.float64)[np.asarray(segs, dtype=np.int64)]
        columns["itemset"] = _lists(offsets, codes, self._products)
        columns["support"] = pa.array(counts.astype(np.float64) / baskets, pa.float64())
        columns["count"] = pa.array(counts.astype(np.int64), pa.int64())
        self._table = pa.table(columns)
        self.itemsets = _in_library(self._table, kind)
        self.input_report = report

    def __repr__(self) -> str:
        return (
            f"FrequentItemsets(itemsets={len(self)}, baskets={self.n_baskets}, "
            f"min_count={self.min_count}, kind={self.kind!r}"
            + ("" if self.baskets_by_segment is None else f", segments={len(self.baskets_by_segment)}")
            + ")"
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
            counts ``antecedent_count``, ``consequent_count``, ``count``;
            from itemsets mined with ``segments``, a first column
            ``segment`` (each segment's rules from its own baskets).
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
        segments = self._table.column("segment").to_pylist() if "segment" in self._table.column_names else None
        out = []
        for i, (a, c) in enumerate(self._sides()):
            figures = "  ".join(f"{m}={columns[m][i]:.6g}" for m in chosen)
            prefix = "" if segments is None else f"[{segments[i]}] "
            out.append(f"{prefix}{{{', '.join(map(str, a))}}} => {{{', '.join(map(str, c))}}}  {figures}")
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
