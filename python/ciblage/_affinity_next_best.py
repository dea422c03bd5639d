"""The next-best product per customer (``ciblage.basket``), computed by the
native core (``ciblage::basket::NextBest``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import _native
from ._affinity_input import codes_in, ids, item_sets, read_table, rule_column, rule_numbers, sorted_unique
from ._affinity_result import _Result
from ._params import as_choice, as_float, as_int
from ._progress import reporter
from ._report import make_report, warn_left_out
from ._tables import column_arg, html_summary, table_kind
from .exceptions import ColumnTypeError, InvalidInputError, InvalidParameterError

__all__ = ["NextBestProducts", "next_best_products"]


class NextBestProducts(_Result):
    """Next-best products per customer (:func:`next_best_products`).

    Attributes:
        table: ``customer``, ``rank`` (1: best), ``product``, ``score``,
            ``confidence``, ``lift``, ``rule`` (the row of the rule in the
            rules table); customers in ascending id order.
        input_report: ``rows_read``, ``rows_used``, ``left_out``
            (``missing_customer``, ``missing_product``), ``customers``,
            ``customers_without_candidates``, ``rules``.

    Example:
        >>> import pandas as pd
        >>> from ciblage.basket import next_best_products
        >>> lines = pd.DataFrame({"customer_id": [1, 1, 2], "product": ["a", "b", "a"]})
        >>> rules = pd.DataFrame({"antecedents": [["a"]], "consequents": [["b"]], "confidence": [0.5], "lift": [2.0]})
        >>> best = next_best_products(lines, rules)
        >>> best.table.column("customer").to_pylist(), best.input_report["customers_without_candidates"]
        ([2], 1)
    """

    def __init__(self, table: pa.Table, report: dict[str, Any]) -> None:
        self.table = table
        self.input_report = report

    def __repr__(self) -> str:
        return f"NextBestProducts({self.table.num_rows} rows, {self.input_report['customers']} customers)"

    def _repr_html_(self) -> str:
        figures = {k: self.input_report[k] for k in ("customers", "customers_without_candidates", "rules")}
        return html_summary(repr(self), self.table, figures=figures, rows=15)


def next_best_products(
    lines: Any,
    rules: Any,
    *,
    customer: str = "customer_id",
    product: str = "product",
    k: int = 3,
    rank: str = "lift_confidence",
    margins: Any = None,
    progress: Any = False,
) -> NextBestProducts:
    """At most ``k`` products per customer, from the association ``rules``
    whose antecedent the customer has bought entirely, excluding what he
    has bought. ``rules`` has the columns ``antecedents`` and
    ``consequents`` (lists or sets of product ids), ``confidence`` and
    ``lift`` (the association-rules table of :mod:`ciblage.basket`, or
    mlxtend's). ``rank``: ``"lift_confidence"`` (lift × confidence) or
    ``"expected_margin"`` (confidence × the product's margin, from
    ``margins``: a dict or Series product → margin). A product proposed by
    several rules keeps its best one (highest score, then confidence, then
    lift, then the first rule); ties between products go to the smaller id.

    >>> import pandas as pd
    >>> from ciblage.basket import next_best_products
    >>> lines = pd.DataFrame({"customer_id": [1, 1, 2], "product": ["a", "b", "a"]})
    >>> rules = pd.DataFrame({"antecedents": [["a"], ["a", "b"]], "consequents": [["c"], ["d"]],
    ...                       "confidence": [0.5, 0.8], "lift": [2.0, 1.5]})
    >>> next_best_products(lines, rules, k=2).to_pandas()[["customer", "rank", "product"]].values.tolist()
    [[1, 1, 'd'], [1, 2, 'c'], [2, 1, 'c']]
    """
    cols = {"customer": column_arg(customer, "customer"), "product": column_arg(product, "product")}
    kk = as_int(k, "k", 1)
    rk = as_choice(rank, "rank", ("lift_confidence", "expected_margin"))
    report_to = reporter(progress, "next_best_products")
    t = read_table(lines, cols, "lines")
    n = t.num_rows
    if n == 0:
        raise InvalidInputError("lines: input is empty")
    cust = ids(t.column(cols["customer"]), "customer", cols["customer"])
    prod = ids(t.column(cols["product"]), "product", cols["product"])
    ante = item_sets(rule_column(rules, "antecedents"), "antecedents", allow_empty=True)
    cons = item_sets(rule_column(rules, "consequents"), "consequents", allow_empty=False)
    conf = rule_numbers(rule_column(rules, "confidence"), "confidence", 0.0, 1.0)
    lift = rule_numbers(rule_column(rules, "lift"), "lift", 0.0, None)
    if not (len(ante) == len(cons) == len(conf) == len(lift)):
        raise InvalidInputError("rules: columns of different lengths")
    flat = [x for s in ante for x in s] + [x for s in cons for x in s]
    _check_items(flat, prod.type, cols["product"])
    try:
        items = pa.chunked_array([pa.array(flat, type=prod.type)]) if flat else pa.chunked_array([], prod.type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError) as e:
        raise ColumnTypeError(
            f"rules: product ids of another type than the lines' column {json.dumps(cols['product'])} "
            f"({prod.type}): {e}"
        ) from e
    valid = np.asarray(pc.and_(cust.is_valid(), prod.is_valid()).to_numpy(zero_copy_only=False), dtype=bool)
    left = {"missing_customer": int(cust.null_count), "missing_product": int((~valid).sum()) - int(cust.null_count)}
    customers = sorted_unique(cust.filter(pa.array(valid)))
    universe = sorted_unique(pa.chunked_array(prod.chunks + items.chunks, type=prod.type))
    ccodes = codes_in(cust, customers)
    pcodes = codes_in(prod, universe)
    icodes = codes_in(items, universe).tolist()
    it = iter(icodes)
    ante_c = [[next(it) for _ in s] for s in ante]
    cons_c = [[next(it) for _ in s] for s in cons]
    margin_list = None
    if margins is not None:
        margin_list = _margins(margins, universe, cons, prod.type)
    elif rk == "expected_margin":
        raise InvalidParameterError(
            "invalid parameter margins: rank='expected_margin' needs the margin of each product"
        )
    rows = np.flatnonzero(valid)
    native = _native.next_best_products(
        np.ascontiguousarray(ccodes[rows], dtype=np.uint32),
        np.ascontiguousarray(pcodes[rows], dtype=np.uint32),
        ante_c,
        cons_c,
        conf,
        lift,
        k=kk,
        rank=rk,
        margins=margin_list,
        progress=report_to,
    )
    table = pa.table(
        {
            "customer": customers.take(pa.array(native["customer"].astype(np.int64))),
            "rank": native["rank"].astype(np.int64),
            "product": universe.take(pa.array(native["product"].astype(np.int64))),
            "score": native["score"],
            "confidence": native["confidence"],
            "lift": native["lift"],
            "rule": native["rule"].astype(np.int64),
        }
    )
    report = make_report(
        n,
        left,
        customers=int(native["customers"]),
        customers_without_candidates=int(native["customers_without_candidates"]),
        rules=len(conf),
    )
    warn_left_out(report, "next_best_products")
    return NextBestProducts(table, report)


def _margins(margins: Any, universe: pa.Array, cons: list[list[Any]], kind: pa.DataType) -> list[float]:
    """The margin of every product code; a consequent without a margin is refused."""
    if table_kind(margins) == "pandas" and type(margins).__name__ == "Series":
        pairs = dict(zip(margins.index.tolist(), margins.tolist(), strict=True))
    elif isinstance(margins, Mapping):
        pairs = dict(margins.items())
    else:
        raise InvalidParameterError(
            "invalid parameter margins: expected a dict or a pandas Series product -> margin, "
            f"got {type(margins).__name__}"
        )
    try:
        keys = pa.array(list(pairs.keys()), type=kind)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError) as e:
        raise InvalidParameterError(
            f"invalid parameter margins: product ids of another type than the lines' ({e})"
        ) from e
    values = [as_float(v, f"margins[{key!r}]") for key, v in pairs.items()]
    where = codes_in(universe, keys)
    out = [values[w] if w >= 0 else 0.0 for w in where]
    for row, s in enumerate(cons):
        for x in s:
            if x not in pairs:
                raise InvalidParameterError(
                    f"invalid parameter margins: no margin for product {x!r} (a consequent of rule {row})"
                )
    return out


def _check_items(items: list[Any], kind: pa.DataType, column: str) -> None:
    """Rule items of the lines' id kind: whole numbers (not bools) for
    integer ids, strings for string ids."""
    import numbers

    for x in items:
        if kind == pa.int64():
            ok = not isinstance(x, (bool, np.bool_)) and (
                isinstance(x, numbers.Integral) or (isinstance(x, numbers.Real) and float(x).is_integer())
            )
        else:
            ok = isinstance(x, str)
        if not ok:
            want = "whole numbers" if kind == pa.int64() else "strings"
            raise ColumnTypeError(
                f"rules: product id {x!r} is not of the kind of the lines' column {json.dumps(column)} ({want})"
            )
