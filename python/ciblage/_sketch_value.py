"""Value tiers and concentration from sketches on partitioned customers
(the engines' ``value_tiers`` and ``concentration`` with
``quantiles="kll"``; shared by ``ciblage.spark`` and ``ciblage.dask``, no
engine imported here).

The merged per-customer states stay in their partitions; each gives its
customers' totals (the local ``customer_totals`` rows) and summarises the
ranked value:

- count tiers (``method="count"``): a KLL sketch of the positive values;
  the driver/client merges the sketches and reads the tier cut points at
  the ranks where the local tiers end (the customer straddling a boundary
  goes to the upper tier: a customer of value ``>=`` a cut is above it);
- ABC classes and concentration: a :class:`ValueHistogram` (log-spaced
  buckets of exact sums), merged exactly; ABC thresholds from its
  value-weighted curve (:func:`abc_cuts`), concentration from the curve
  (:class:`BinnedConcentration`).

Tiers are then given where the customers are, by value: the tier of a
positive value ``v`` is the number of cut points above ``v``; value 0 or
less is the no-value tier.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import _native, _partial
from ._params import as_choice, as_str
from ._report import make_report
from ._sketch import _kll, _with_rows, sketch_size
from ._tables import column_arg, float_list
from ._value_histogram import RATIO, Curve, ValueHistogram, abc_cuts
from .exceptions import ColumnNotFoundError, InvalidInputError, InvalidParameterError

#: The core's default cuts (``TierMethod``): count shares 5/15/80 %, ABC
#: bounds 80/95 % (tests/test_scale_tiers_kll.py holds them together).
DEFAULT_SHARES = (0.05, 0.15, 0.80)
DEFAULT_BOUNDS = (0.80, 0.95)


@dataclass(frozen=True)
class TierPlan:
    """What the sketch path of ``value_tiers`` needs: ``method`` (``count``
    or ``abc``), the KLL size, the cumulative shares of customers (count)
    or of value (abc) where the tiers end but the last, the tier names
    (the no-value tier last), the value column and the customer column."""

    method: str
    k: int
    ends: list[float]
    names: list[str]
    value: str
    customer: str


def check_value_column(value: str, cost: str | None) -> None:
    """Refuses ``"margin"``/``"cost"`` without ``cost`` before any job, as
    the local call on the customer totals does."""
    if value in ("margin", "cost") and cost is None:
        raise ColumnNotFoundError(
            f'value: column "{value}" not found; the customer totals have it only with cost= '
            '(columns "transactions", "revenue")'
        )


def tier_plan(
    value: str,
    customer: str,
    cost: str | None,
    method: Any,
    shares: Any,
    bounds: Any,
    names: Any,
    no_value_name: Any,
    quantiles: Any,
    kll_k: Any,
) -> TierPlan | None:
    """The plan of ``value_tiers(..., quantiles="kll")``, or None for
    ``"exact"``; every parameter is checked before any job (the tier
    parameters by the core, with the local call's messages)."""
    k = sketch_size(quantiles, kll_k)
    if k is None:
        return None
    customer = column_arg(customer, "customer")
    method = as_choice(method, "method", ("count", "abc"))
    shares_list = float_list(shares, "shares")
    bounds_list = float_list(bounds, "bounds")
    if names is not None and (isinstance(names, (str, bytes)) or not hasattr(names, "__iter__")):
        raise InvalidParameterError(f"invalid parameter names: expected a list of strings, got {names!r}")
    name_list = None if names is None else [as_str(n, "names") for n in names]
    no_value_name = as_str(no_value_name, "no_value_name")
    _, _, tier_names, _ = _native.value_tiers(
        np.ones(1),
        column=value,
        method=method,
        shares=shares_list,
        bounds=bounds_list,
        names=name_list,
        no_value_name=no_value_name,
    )
    check_value_column(value, cost)
    if method == "count":
        _kll()
        ends = list(np.cumsum(shares_list if shares_list is not None else DEFAULT_SHARES)[:-1])
    else:
        ends = list(bounds_list if bounds_list is not None else DEFAULT_BOUNDS)
    return TierPlan(method, k, [float(e) for e in ends], list(tier_names), value, customer)


def partition_totals(spec: _partial.Spec, states: Iterable[pa.RecordBatch], schema: Any) -> pa.Table | None:
    """A partition's customer totals (the local ``customer_totals`` rows of
    its customers), None without customers."""
    states = [s for s in states if s.num_rows]
    if not states:
        return None
    stream = spec.scorer()
    # The rows each partition read are on one row of its state, anywhere
    # once customers are shuffled: the rows these customers stand for.
    _partial.absorb_states(stream, _with_rows(states), schema)
    return pa.RecordBatchReader.from_stream(stream.totals()).read_all()


def _values(table: pa.Table, value: str) -> np.ndarray:
    return table.column(value).to_numpy().astype(np.float64)


def partition_summary(
    method: str, k: int, value: str, spec: _partial.Spec, states: Iterable[pa.RecordBatch], schema: Any
) -> dict[str, Any]:
    """A partition's summary of its customers' values: ``sketch`` (a KLL
    sketch of the positive values for ``method="count"``, else a
    :class:`ValueHistogram`, as bytes), ``customers``, ``rows`` (the
    transactions read) and the Arrow ``schema`` of its totals (None
    without customers)."""
    table = partition_totals(spec, states, schema)
    values = np.zeros(0) if table is None else _values(table, value)
    if method == "count":
        sketch = _kll()(k)
        sketch.update(values[values > 0])
        data = sketch.serialize()
    else:
        data = ValueHistogram.of(values, value).to_bytes()
    rows = 0 if table is None else int(pc.sum(table.column("transactions")).as_py() or 0)
    return {
        "sketch": bytes(data),
        "customers": len(values),
        "rows": rows,
        "schema": None if table is None else table.schema,
    }


def merged_histogram(parts: Iterable[Mapping[str, Any]]) -> tuple[ValueHistogram, int]:
    """The histogram of the whole input and its rows read."""
    parts = list(parts)
    histogram = ValueHistogram.merged(ValueHistogram.from_bytes(bytes(p["sketch"])) for p in parts)
    return histogram, sum(int(p["rows"]) for p in parts)


def _no_customer() -> InvalidInputError:
    return InvalidInputError("invalid input transactions: no row to score (every partition is empty)")


def tier_cuts(plan: TierPlan, parts: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The tier cut points of the whole input from the partitions'
    summaries, in an input report under ``"quantiles"``."""
    parts = list(parts)
    customers = sum(int(p["customers"]) for p in parts)
    rows = sum(int(p["rows"]) for p in parts)
    if customers == 0:
        raise _no_customer()
    quantiles: dict[str, Any]
    if plan.method == "count":
        sketch = _kll()
        merged = sketch(plan.k)
        for p in parts:
            merged.merge(sketch.deserialize(bytes(p["sketch"])))
        ranked = int(merged.n)
        # Tier i ends at descending rank e = ceil(n × end) (the core's rule);
        # its last customer is the (n − e + 1)-th smallest, the sketch's
        # exclusive quantile at any rank in [(n − e)/n, (n − e + 1)/n): the
        # middle is taken. No customer above the boundary (e = 0): rank 1,
        # cut +inf.
        ends = [min(max(math.ceil(ranked * e - 1e-9), 0), ranked) for e in plan.ends]
        ranks = [(ranked - e + 0.5) / ranked if e > 0 else 1.0 for e in ends]
        cuts = [float(merged.get_quantile(r, False)) if e > 0 else math.inf for r, e in zip(ranks, ends, strict=True)]
        quantiles = {
            "method": "kll",
            "k": plan.k,
            "customers": customers,
            "ranked": ranked,
            "ranks": ranks,
            # DataSketches' a priori bound (99 % confidence) on the normalized
            # rank error of a single quantile; 0 while the sketch holds every value.
            "rank_error": float(sketch.get_normalized_rank_error(plan.k, False))
            if merged.is_estimation_mode()
            else 0.0,
            "cuts": cuts,
        }
    else:
        histogram, _ = merged_histogram(parts)
        curve = Curve.of(histogram)
        curve.total_value(plan.value)
        cuts, ranges = abc_cuts(curve, plan.ends)
        quantiles = {
            "method": "histogram",
            "ratio": RATIO,
            "customers": customers,
            "ranked": int(histogram.count.sum()),
            "buckets": len(histogram.key),
            "cuts": cuts,
            "cut_ranges": ranges,
        }
    report = make_report(rows, {})
    report["quantiles"] = quantiles
    return report


def tier_dictionary(names: Sequence[str], tiers: np.ndarray) -> pa.DictionaryArray:
    """Tier numbers as a dictionary column of every tier name (so that
    every partition has the same categories)."""
    return pa.DictionaryArray.from_arrays(pa.array(tiers.astype(np.int32), pa.int32()), pa.array(list(names)))


def output_schema(plan: TierPlan, totals: pa.Schema) -> pa.Schema:
    """The columns of the tiered customers: the customer id, the value and
    the tier (a dictionary of the names)."""
    return pa.schema(
        [
            pa.field(plan.customer, totals.field(plan.customer).type, False),
            pa.field(plan.value, pa.float64(), False),
            pa.field("tier", pa.dictionary(pa.int32(), pa.string()), False),
        ]
    )


def tiered(plan: TierPlan, table: pa.Table, cuts: Sequence[float]) -> pa.Table:
    """Customers' tiers from the cut points (descending): a positive value
    is in tier ``i`` when ``i`` cut points are above it; value 0 or less is
    the no-value tier."""
    values = _values(table, plan.value)
    above = np.zeros(len(values), dtype=np.int64)
    for cut in cuts:
        above += values < cut
    tiers = np.where(values > 0, above, len(plan.names) - 1)
    return pa.table(
        [table.column(plan.customer), pa.array(values), tier_dictionary(plan.names, tiers)],
        schema=output_schema(plan, table.schema),
    )


def partition_tiers(
    plan: TierPlan, spec: _partial.Spec, states: Iterable[pa.RecordBatch], schema: Any, cuts: Sequence[float]
) -> pa.Table | None:
    """A partition's customers with their tiers, None without customers."""
    table = partition_totals(spec, states, schema)
    return None if table is None else tiered(plan, table, cuts)


def no_customer_check(parts: Iterable[Mapping[str, Any]]) -> None:
    """Refuses an input without customers (the local call's empty input)."""
    if sum(int(p["customers"]) for p in parts) == 0:
        raise _no_customer()
