"""Affinity by segment, the "keep" report and the next-best product
(``ciblage.basket``), computed by the native core
(``ciblage::basket::SegmentAffinity``, ``Keep``, ``NextBest``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import _native
from ._affinity_input import labelling
from ._affinity_lines import read_lines
from ._affinity_next_best import NextBestProducts, next_best_products
from ._affinity_result import _Result
from ._params import as_choice, as_float, as_opt_int
from ._progress import reporter
from ._report import make_report, warn_left_out
from ._tables import column_arg, html_summary, opt_column_arg, table_kind
from .exceptions import InvalidInputError, InvalidParameterError

__all__ = ["AffinityTable", "KeepReport", "NextBestProducts", "next_best_products", "segment_affinity"]

_CORRECTIONS = ("none", "bonferroni", "holm", "bh")


class AffinityTable(_Result):
    """Affinity of each segment for each product (:func:`segment_affinity`).

    Attributes:
        table: one row per (segment, product), segments then products in
            ascending order: ``segment``, ``product``, ``customers`` (of the
            segment), ``buyers``, ``penetration``, ``base_buyers``,
            ``base_penetration``, ``lift``, ``revenue``, ``revenue_share``,
            ``base_revenue``, ``base_revenue_share``; with costs also
            ``margin``, ``margin_share``, ``base_margin``,
            ``base_margin_share``, ``margin_rate``; then ``p_value`` (of
            :attr:`test`) and ``p_adjusted``.
        segments: one row per segment: ``segment``, ``customers``,
            ``buyers``, ``revenue``, ``revenue_per_customer`` (and
            ``margin``, ``margin_per_customer`` with costs).
        input_report: ``rows_read``, ``rows_used``, ``left_out``
            (``missing_customer``, ``missing_product``,
            ``product_not_in_hierarchy``, ``customer_without_segment``),
            ``customers_without_segment``, ``customers_without_lines``,
            ``segments``, ``products``.
        test: ``"fisher"`` or ``"chi2"``, the test giving ``p_value``.
        correction: the multiple-testing correction of ``p_adjusted``.

    Example:
        >>> import pandas as pd
        >>> from ciblage.basket import segment_affinity
        >>> lines = pd.DataFrame({"customer_id": [1, 2, 3, 4, 1], "product": ["a", "a", "b", "b", "b"],
        ...                       "amount": [5.0, 7.0, 2.0, 2.0, 1.0]})
        >>> seg = pd.DataFrame({"customer_id": [1, 2, 3, 4], "segment": ["gold", "gold", "std", "std"]})
        >>> table = segment_affinity(lines, seg)
        >>> table.segments.column("revenue_per_customer").to_pylist()  # (5 + 7 + 1) / 2, (2 + 2) / 2
        [6.5, 2.0]
    """

    def __init__(
        self,
        table: pa.Table,
        segments: pa.Table,
        report: dict[str, Any],
        native: Any,
        labels: list[Any],
        products: list[Any],
        correction: str,
        test: str = "fisher",
    ) -> None:
        self.table = table
        self.segments = segments
        self.input_report = report
        self.test = test
        self.correction = correction
        self._native = native
        self._labels = labels
        self._products = products

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_native"] = None  # the tables hold the numbers; keep() needs a recomputation
        return state

    def __repr__(self) -> str:
        return f"AffinityTable(segments={len(self._labels)}, products={len(self._products)})"

    def _repr_html_(self) -> str:
        figures = {
            "segments": len(self._labels),
            "products": len(self._products),
            "rows read": self.input_report["rows_read"],
            "rows used": self.input_report["rows_used"],
            "test": self.test,
            "correction": self.correction,
        }
        top = self.table.filter(pc.greater_equal(self.table.column("buyers"), 1))
        top = top.take(pc.sort_indices(top, [("lift", "descending"), ("segment", "ascending")]))
        return html_summary(repr(self), top, figures=figures, tables={"segments": self.segments}, rows=15)

    def plot(self, ax: Any = None, *, top: int = 15, **kwargs: Any) -> Any:
        """Heatmap of the lift, segments × the ``top`` products of highest
        lift in any segment (matplotlib, the ``ciblage[plot]`` extra);
        returns its Display (``AffinityDisplay``)."""
        from ._affinity_plot import AffinityDisplay

        return AffinityDisplay.from_result(self, top=top).plot(ax=ax, **kwargs)

    def keep(
        self,
        *,
        max_margin_rate: float = 0.0,
        min_lift: float = 1.5,
        alpha: float = 0.05,
        top_segments: int | None = 3,
        segment_value: Any = "revenue",
    ) -> KeepReport:
        """The keep report: products whose margin rate over the base
        (margin / revenue) is at most ``max_margin_rate`` and whose lift is
        at least ``min_lift``, significant at ``alpha`` (adjusted p-value),
        in one of the ``top_segments`` most valuable segments (``None``:
        all). Segments are ranked by ``segment_value``: ``"revenue"``
        (revenue per customer), ``"margin"`` (margin per customer) or a
        mapping label → value. Rows: by segment rank, then lift (highest
        first), then product. Needs costs (``cost=`` of
        :func:`segment_affinity`)."""
        rate = as_float(max_margin_rate, "max_margin_rate")
        lift = as_float(min_lift, "min_lift", 0.0)
        a = as_float(alpha, "alpha", 0.0, 1.0, low_open=True)
        top = as_opt_int(top_segments, "top_segments", 1)
        if self._native is None:
            raise InvalidParameterError("keep: an unpickled AffinityTable cannot build a keep report; recompute it")
        if not self.input_report.get("has_margin", False):
            raise InvalidParameterError(
                "invalid parameter max_margin_rate: the keep report needs margins: call segment_affinity with cost="
            )
        values = self._segment_values(segment_value)
        k = self._native.keep(max_margin_rate=rate, min_lift=lift, alpha=a, top_segments=top, segment_value=values)
        labels = np.array(self._labels, dtype=object)
        products = np.array(self._products, dtype=object)
        cols: dict[str, Any] = {
            "product": pa.array(products[k["product"]].tolist())
            if len(k["product"])
            else pa.array([], _type_of(self._products)),
            "segment": pa.array(labels[k["segment"]].tolist())
            if len(k["segment"])
            else pa.array([], _type_of(self._labels)),
        }
        for name in (
            "segment_rank",
            "segment_value",
            "margin_rate",
            "margin",
            "revenue",
            "penetration",
            "base_penetration",
            "lift",
            "p_adjusted",
            "revenue_share",
        ):
            cols[name] = pa.array(k[name])
        ranking = [self._labels[i] for i in k["ranking"]]
        return KeepReport(pa.table(cols), ranking, self.input_report)

    def _segment_values(self, value: Any) -> list[float] | None:
        if isinstance(value, str):
            choice = as_choice(value, "segment_value", ("revenue", "margin"))
            if choice == "revenue":
                return None
            seg = self.segments
            c = seg.column("customers").to_numpy().astype(np.float64)
            m = seg.column("margin").to_numpy()
            with np.errstate(divide="ignore", invalid="ignore"):
                return [float(x) for x in np.where(c > 0, m / np.where(c > 0, c, 1.0), np.nan)]
        if not isinstance(value, Mapping) and not (table_kind(value) == "pandas" and type(value).__name__ == "Series"):
            raise InvalidParameterError(
                "invalid parameter segment_value: expected 'revenue', 'margin' or a mapping segment -> value, "
                f"got {value!r}"
            )
        given = dict(value.items())
        out = []
        for label in self._labels:
            if label not in given:
                raise InvalidParameterError(f"invalid parameter segment_value: no value for segment {label!r}")
            out.append(as_float(given[label], f"segment_value[{label!r}]"))
        return out


def _type_of(values: list[Any]) -> pa.DataType:
    return pa.array(values[:1]).type if values else pa.null()


class KeepReport(_Result):
    """Products to keep despite a low margin: loved by valuable segments
    (:meth:`AffinityTable.keep`).

    Attributes:
        table: ``product``, ``segment``, ``segment_rank`` (1: most
            valuable), ``segment_value``, ``margin_rate``, ``margin``,
            ``revenue`` (of the product over the base), ``penetration``,
            ``base_penetration``, ``lift``, ``p_adjusted``,
            ``revenue_share`` (of the segment's revenue).
        ranking: the segments, most valuable first.

    Example:
        >>> import pandas as pd
        >>> from ciblage.basket import segment_affinity
        >>> lines = pd.DataFrame({"customer_id": [1, 2, 3, 4, 1], "product": ["a", "a", "b", "b", "b"],
        ...                       "amount": [5.0, 7.0, 2.0, 2.0, 1.0], "cost": [6.0, 8.0, 1.0, 1.0, 0.5]})
        >>> seg = pd.DataFrame({"customer_id": [1, 2, 3, 4], "segment": ["gold", "gold", "std", "std"]})
        >>> keep = segment_affinity(lines, seg, cost="cost").keep(alpha=1.0, top_segments=1)
        >>> keep.table.column("product").to_pylist(), keep.ranking  # "a" loses money, gold buys it twice as often
        (['a'], ['gold', 'std'])
    """

    def __init__(self, table: pa.Table, ranking: list[Any], report: dict[str, Any]) -> None:
        self.table = table
        self.ranking = ranking
        self.input_report = report

    def __repr__(self) -> str:
        return f"KeepReport({self.table.num_rows} rows, most valuable segment {self.ranking[0]!r})"

    def _repr_html_(self) -> str:
        figures = {"rows": self.table.num_rows, "segments by value": ", ".join(map(str, self.ranking[:5]))}
        return html_summary(repr(self), self.table, figures=figures, rows=20)


def segment_affinity(
    lines: Any,
    segments: Any,
    *,
    customer: str = "customer_id",
    product: str = "product",
    amount: str = "amount",
    cost: str | None = None,
    segment: str = "segment",
    hierarchy: Any = None,
    level: str | None = None,
    test: str = "fisher",
    correction: str | None = None,
    progress: Any = False,
) -> AffinityTable:
    """Affinity of each customer segment for each product (or category).

    ``lines`` are order lines (one row per product bought: ``customer``,
    ``product``, ``amount``, optional ``cost``); ``segments`` a table with
    one row per customer: its ``customer`` id and ``segment`` label (any
    labelling of ours: RFM segments, value tiers, lifecycle stages, tree
    leaves, cluster labels). Lines of customers without a segment (absent
    from ``segments`` or with a null label) are left out and counted;
    labelled customers without lines count in their segment as customers
    who bought nothing. With ``hierarchy`` (a dict or Series product →
    category, or a table with the ``product`` column and a ``level``
    column) the analysis runs on categories. ``test``: ``"fisher"``
    (default; Fisher's exact test, one-sided: the segment holds more buyers
    than the rest of the base) or ``"chi2"`` (Pearson's χ² of the same 2×2
    table of segment vs rest of the base by bought vs not, no continuity
    correction, two-sided: scipy's ``chi2_contingency(correction=False)``).
    ``correction``: ``None``, ``"bonferroni"``, ``"holm"`` or ``"bh"``
    (Benjamini–Hochberg) over every (segment, product) pair tested.

    >>> import pandas as pd
    >>> from ciblage.basket import segment_affinity
    >>> lines = pd.DataFrame({"customer_id": [1, 2, 3, 4, 1], "product": ["a", "a", "b", "b", "b"],
    ...                       "amount": [5.0, 7.0, 2.0, 2.0, 1.0]})
    >>> seg = pd.DataFrame({"customer_id": [1, 2, 3, 4], "segment": ["gold", "gold", "std", "std"]})
    >>> t = segment_affinity(lines, seg).to_pandas().set_index(["segment", "product"])
    >>> float(t.loc[("gold", "a"), "lift"]), round(float(t.loc[("gold", "a"), "p_value"]), 6)  # 1 / C(4, 2)
    (2.0, 0.166667)
    """
    cols = {
        "customer": column_arg(customer, "customer"),
        "product": column_arg(product, "product"),
        "amount": column_arg(amount, "amount"),
    }
    cost_col = opt_column_arg(cost, "cost")
    if cost_col is not None:
        cols["cost"] = cost_col
    seg_col = column_arg(segment, "segment")
    corr = "none" if correction is None else as_choice(correction, "correction", _CORRECTIONS)
    test = as_choice(test, "test", ("fisher", "chi2"))
    report_to = reporter(progress, "segment_affinity")
    if lines is None:
        raise InvalidInputError("lines: expected a table, got None")
    seg_ids, seg_codes, labels = labelling(segments, cols["customer"], seg_col)
    coded = read_lines(lines, cols, seg_ids, hierarchy, level)
    n, left, extra, products = coded.rows, coded.left, coded.extra, coded.products
    labels_by_code = np.concatenate([seg_codes, np.full(extra, -1, dtype=np.int64)])
    if not (labels_by_code >= 0).any():
        raise InvalidInputError(f"segments: no customer has a segment (column {json.dumps(seg_col)} is all null)")
    native = _native.segment_affinity(
        coded.customer,
        coded.product,
        coded.amount,
        labels_by_code,
        coded.cost,
        test=test,
        correction=corr,
        progress=report_to,
    )
    c = native.columns()
    left["customer_without_segment"] = int(c["lines_without_segment"])
    report = make_report(
        n,
        left,
        customers_without_segment=int(c["customers_without_segment"]),
        customers_without_lines=int(c["customers_without_lines"]),
        segments=len(labels),
        products=len(products),
        has_margin=bool(c["has_margin"]),
    )
    warn_left_out(report, "segment_affinity")
    table, seg_table = _tables(c, labels, products)
    return AffinityTable(table, seg_table, report, native, labels, products.to_pylist(), corr, test)


def _tables(c: dict[str, Any], labels: list[Any], products: pa.Array) -> tuple[pa.Table, pa.Table]:
    """The (segment, product) table, segment-major, and the segment table."""
    s, p = len(labels), len(products)
    # Native cells are product-major: cell (seg, prod) at prod * s + seg.
    order = (np.arange(p)[None, :] * s + np.arange(s)[:, None]).reshape(-1)
    seg_of = np.repeat(np.arange(s), p)
    prod_of = np.tile(np.arange(p), s)
    customers = c["segment_customers"]
    base = float(customers.sum())
    seg_rev, seg_mar = c["segment_revenue"], c["segment_margin"]
    total_rev, total_mar = float(seg_rev.sum()), float(seg_mar.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        cols: dict[str, Any] = {
            "segment": pa.array(labels).take(pa.array(seg_of)),
            "product": products.take(pa.array(prod_of)),
            "customers": customers[seg_of],
            "buyers": c["buyers"][order],
            "penetration": c["penetration"][order],
            "base_buyers": c["product_buyers"][prod_of],
            "base_penetration": c["product_buyers"][prod_of] / base,
            "lift": c["lift"][order],
            "revenue": c["revenue"][order],
            "revenue_share": c["revenue_share"][order],
            "base_revenue": c["product_revenue"][prod_of],
            "base_revenue_share": _div(c["product_revenue"], total_rev)[prod_of],
        }
        if c["has_margin"]:
            cols["margin"] = c["margin"][order]
            cols["margin_share"] = c["margin_share"][order]
            cols["base_margin"] = c["product_margin"][prod_of]
            cols["base_margin_share"] = _div(c["product_margin"], total_mar)[prod_of]
            cols["margin_rate"] = _div(c["product_margin"], c["product_revenue"])[prod_of]
        cols["p_value"] = c["p_value"][order]
        cols["p_adjusted"] = c["p_adjusted"][order]
        seg_cols: dict[str, Any] = {
            "segment": pa.array(labels),
            "customers": customers,
            "buyers": c["segment_buyers"],
            "revenue": seg_rev,
            "revenue_per_customer": _div(seg_rev, customers),
        }
        if c["has_margin"]:
            seg_cols["margin"] = seg_mar
            seg_cols["margin_per_customer"] = _div(seg_mar, customers)
    return pa.table(cols), pa.table(seg_cols)


def _div(a: Any, b: Any) -> np.ndarray:
    """``a / b`` elementwise, NaN where ``b`` is 0."""
    a = np.asarray(a, dtype=np.float64)
    b = np.broadcast_to(np.asarray(b, dtype=np.float64), a.shape)
    out = np.full(a.shape, np.nan)
    np.divide(a, b, out=out, where=b != 0)
    return out
