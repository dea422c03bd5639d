"""RFM quantile cuts from KLL sketches on partitioned customers (the
engines' ``rfm(..., quantiles="kll")``; shared by ``ciblage.spark`` and
``ciblage.dask``, no engine imported here).

The merged per-customer states stay in their partitions. Three steps, each
a map over those partitions:

1. every partition scores its customers with the local code and gives its
   reference date (the default ``as_of``, the day after the last
   transaction, is the latest of them);
2. every partition scores its customers at that date and sketches the
   recency, frequency and monetary (or average) values in one KLL sketch
   each (Apache DataSketches ``kll_doubles_sketch``, whose bytes Spark's
   ``kll_sketch_*`` functions read); the sketches merge on the driver,
   which reads the cut points from them;
3. every partition scores its customers with those cut points.

A quantile cut ``q`` is right-closed (``x <= q`` is below it, as the local
``method="quantile"``); the local fixed cuts are left-closed, so ``q`` is
passed as the next float above it, ``x <= q`` being ``x < nextafter(q)``
for every float ``x`` (``rfm_compat``'s cuts are left-closed already). A cut
point repeated by the sketch (many equal values) leaves a class empty, as
locally; the fixed cuts must ascend, so the repeats take the floats next to
it (see :func:`fixed_cuts`), and a partition checks that none of its values
falls on such a float (it would take the empty class).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import _native, _partial
from ._params import Param, as_str, convert
from ._report import make_report
from .exceptions import InvalidInputError, InvalidParameterError

#: How the engines' ``rfm`` computes its quantile cuts.
QUANTILES = ("exact", "kll")
#: The KLL sketch's size parameter (DataSketches' range; Spark's default 200).
KLL_K = Param("kll_k", "int", 200, "KLL sketch size (rank error about 1.65 / k)", low=8, high=65535)
#: The criteria scored, in the local result's order.
CRITERIA = ("recency", "frequency", "monetary")


def _kll() -> Any:
    try:
        from datasketches import kll_doubles_sketch
    except ImportError as e:
        raise ImportError(
            "quantiles=\"kll\" needs Apache DataSketches: pip install 'ciblage[spark]' or 'ciblage[dask]' "
            "(or pip install datasketches)"
        ) from e
    return kll_doubles_sketch


@dataclass(frozen=True)
class KllPlan:
    """What the sketch path needs: the sketch size, the classes, the
    binning method (``quantile`` or ``rfm_compat``), the user's fixed cuts
    per criterion (no sketch for those), the customers' column of each
    criterion, and the scoring parameters as workers get them (the segment
    table as JSON)."""

    k: int
    bins: int
    method: str
    fixed: dict[str, list[float] | None]
    values: dict[str, str]
    params: dict[str, Any]

    def stream(self, spec: _partial.Spec, **changes: Any) -> Any:
        """A native rfm stream of the scoring parameters with ``changes``."""
        params = dict(self.params, **changes)
        if params["segments"] is not None:
            params["segments"] = _native.SegmentTable.from_json(params["segments"])
        c = spec.columns
        return _native.rfm_stream(
            customer=c["customer"], timestamp=c["timestamp"], amount=c["amount"], cost=c.get("cost"), **params
        )


def sketch_size(quantiles: Any, kll_k: Any) -> int | None:
    """The KLL size for ``quantiles="kll"``, None for ``"exact"``; both
    arguments are checked (``InvalidParameterError`` naming them)."""
    quantiles = as_str(quantiles, "quantiles")
    if quantiles not in QUANTILES:
        raise InvalidParameterError(f'invalid parameter quantiles: expected "exact" or "kll", got {quantiles!r}')
    k = convert(KLL_K, kll_k)
    return None if quantiles == "exact" else int(k)


def kll_plan(params: Mapping[str, Any], quantiles: Any, kll_k: Any) -> KllPlan | None:
    """The plan of ``quantiles="kll"`` from the checked rfm parameters, or
    None for ``"exact"``; parameters are checked before any job."""
    k = sketch_size(quantiles, kll_k)
    if k is None:
        return None
    fixed = {c: params[f"{c}_cuts"] for c in CRITERIA}
    if params["method"] not in ("quantile", "rfm_compat") and any(v is None for v in fixed.values()):
        raise InvalidParameterError(
            f'invalid parameter method: quantiles="kll" cuts by value quantiles ("quantile" or "rfm_compat"), '
            f'got {params["method"]!r} (ranks need every customer: use quantiles="exact")'
        )
    _kll()
    average = params["variant"] == "rfa"
    values = {
        "recency": "recency_days",
        "frequency": "frequency",
        "monetary": "average_amount" if average else "monetary",
    }
    shipped = dict(params)
    if shipped["segments"] is not None:
        shipped["segments"] = shipped["segments"].to_json()
    return KllPlan(k, int(params["bins"]), params["method"], fixed, values, shipped)


#: The input report's counts in a partial state (written on the first row
#: of each partition's state, zeros elsewhere).
_REPORT = ("rows_read", "rows_after_as_of", "negative_rows", "negative_rows_excluded")


def _sums(states: Iterable[pa.RecordBatch], column: str) -> int:
    return sum(int(pc.sum(s.column(column)).as_py() or 0) for s in states)


def _with_rows(states: list[pa.RecordBatch]) -> list[pa.RecordBatch]:
    """The states with the rows they stand for on the first row: once
    customers are shuffled, a partition's input report (on one row of each
    input partition's state) is anywhere, so a partition may hold customers
    and no rows read; scoring it needs its rows (the report of the whole
    input is summed from the states themselves)."""
    rows = _sums(states, "transactions") + _sums(states, "rows_after_as_of") + _sums(states, "negative_rows_excluded")
    out = []
    for i, s in enumerate(states):
        column = [0] * s.num_rows
        if i == 0:
            column[0] = rows
        at = s.schema.get_field_index("rows_read")
        field = s.schema.field(at)
        out.append(s.set_column(at, field, pa.array(column, field.type)))
    return out


def _scored(plan: KllPlan, spec: _partial.Spec, states: Iterable[pa.RecordBatch], schema: Any, **changes: Any) -> Any:
    """The native RfmResult of a partition's merged states, or None when
    none of its customers has a row to score."""
    states = [s for s in states if s.num_rows]
    if not states or _sums(states, "transactions") == 0:
        return None  # no customer, or every row of these customers is after as_of
    stream = plan.stream(spec, **changes)
    _partial.absorb_states(stream, _with_rows(states), schema)
    return stream.rfm()


def partition_as_of(plan: KllPlan, spec: _partial.Spec, states: Iterable[pa.RecordBatch], schema: Any) -> str | None:
    """Step 1: a partition's reference date (ISO), None without customers."""
    if plan.params["as_of"] is not None:
        return str(plan.params["as_of"])
    scored = _scored(plan, spec, states, schema)
    return None if scored is None else str(scored.as_of)


def common_as_of(plan: KllPlan, dates: Iterable[str | None]) -> str:
    """The reference date of the whole input: the user's, or the latest
    partition's (the day after the last transaction)."""
    if plan.params["as_of"] is not None:
        return str(plan.params["as_of"])
    found = [d for d in dates if d is not None]
    if not found:
        raise InvalidInputError("invalid input transactions: no row to score (every partition is empty)")
    return max(found)


def _values(plan: KllPlan, customers: pa.Table) -> dict[str, np.ndarray]:
    return {c: customers.column(plan.values[c]).to_numpy().astype(np.float64) for c in CRITERIA}


def partition_sketches(
    plan: KllPlan, spec: _partial.Spec, states: Iterable[pa.RecordBatch], schema: Any, as_of: str
) -> dict[str, Any]:
    """Step 2: a partition's sketches (bytes per criterion), its input
    report figures, its number of customers and (when it has some) the
    Arrow schema of its scored customers."""
    sketch = _kll()
    states = [s for s in states if s.num_rows]
    scored = _scored(plan, spec, states, schema, as_of=as_of)
    out: dict[str, Any] = {"customers": 0, "schema": None}
    for c in CRITERIA:
        out[c] = sketch(plan.k).serialize()
    report = {("rows" if k == "rows_read" else k): _sums(states, k) for k in _REPORT}
    report["customers_without_rows"] = sum(s.num_rows for s in states)
    out["report"] = report
    if scored is None:
        return out
    customers = pa.RecordBatchReader.from_stream(scored.customers()).read_all()
    for c, values in _values(plan, customers).items():
        s = sketch(plan.k)
        s.update(values)
        out[c] = s.serialize()
    report["customers_without_rows"] = int(scored.input_report()["customers_without_rows"])
    out["customers"] = customers.num_rows
    out["schema"] = customers.schema
    return out


def merge_sketches(plan: KllPlan, parts: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The cut points of the whole input from the partitions' sketches,
    with the sketch's rank error and the summed input report."""
    sketch = _kll()
    merged = {c: sketch(plan.k) for c in CRITERIA}
    raw: dict[str, int] = {}
    customers = 0
    for part in parts:
        for c in CRITERIA:
            merged[c].merge(sketch.deserialize(bytes(part[c])))
        for key, n in part["report"].items():
            raw[key] = raw.get(key, 0) + int(n)
        customers += int(part["customers"])
    if customers == 0:
        raise InvalidInputError("invalid input transactions: no row to score (every row is after as_of)")
    cuts: dict[str, list[float]] = {}
    for c in CRITERIA:
        given = plan.fixed[c]
        if given is not None:
            cuts[c] = list(given)
        elif plan.method == "quantile":
            cuts[c] = [float(merged[c].get_quantile(i / plan.bins)) for i in range(1, plan.bins)]
        else:  # rfm_compat: the quantiles plus one, left-closed
            cuts[c] = [float(merged[c].get_quantile(i / plan.bins)) + 1.0 for i in range(1, plan.bins)]
    estimated = any(merged[c].is_estimation_mode() for c in CRITERIA if plan.fixed[c] is None)
    report = make_report(
        raw.get("rows", 0),
        {"after_as_of": raw.get("rows_after_as_of", 0), "negative_amount": raw.get("negative_rows_excluded", 0)},
        **raw,
    )
    report["quantiles"] = {
        "method": "kll",
        "k": plan.k,
        "customers": customers,
        # DataSketches' a priori bound (99 % confidence) on the normalized
        # rank error of a single quantile; 0 while the sketch holds every value.
        "rank_error": float(sketch.get_normalized_rank_error(plan.k, False)) if estimated else 0.0,
        "cuts": cuts,
    }
    return report


def _right_closed(plan: KllPlan, criterion: str) -> bool:
    """Whether a criterion's cuts are right-closed (sketch quantiles of
    ``method="quantile"``) rather than left-closed (fixed, ``rfm_compat``)."""
    return plan.fixed[criterion] is None and plan.method == "quantile"


def fixed_cuts(plan: KllPlan, criterion: str, cuts: list[float]) -> list[float]:
    """The ascending left-closed cuts that classify as ``cuts`` do. A cut
    point repeated ``m`` times stands for one boundary crossed ``m`` times;
    fixed cuts must ascend, so the repeats take the floats next to it: above
    a right-closed point ``q`` (``nextafter(q)`` and up, never ``q``, the
    sketch's own value), below a left-closed point ``c`` (down to ``c``
    itself, never a value equal to ``c``)."""
    right = _right_closed(plan, criterion)
    out: list[float] = []
    i = 0
    while i < len(cuts):
        m = 1
        while i + m < len(cuts) and cuts[i + m] == cuts[i]:
            m += 1
        if right:
            run = [float(np.nextafter(cuts[i], np.inf))]
            while len(run) < m:
                run.append(float(np.nextafter(run[-1], np.inf)))
        else:
            run = [float(cuts[i])]
            while len(run) < m:
                run.insert(0, float(np.nextafter(run[0], -np.inf)))
        out.extend(run)
        i += m
    return out


def _check_classes(plan: KllPlan, customers: pa.Table, cuts: Mapping[str, list[float]]) -> None:
    """Refuses a partition where a value fell on a float made up for a
    repeated cut point (its class differs from the cut points')."""
    for c, values in _values(plan, customers).items():
        side: Literal["left", "right"] = "left" if _right_closed(plan, c) else "right"
        wanted = 1 + np.searchsorted(np.asarray(cuts[c]), values, side=side)
        got = 1 + np.searchsorted(np.asarray(fixed_cuts(plan, c, cuts[c])), values, side="right")
        if not np.array_equal(wanted, got):
            raise InvalidInputError(
                f'invalid input transactions: quantiles="kll": a {c} value lies within a few floating-point steps '
                f'of a repeated cut point {cuts[c]}; use quantiles="exact"'
            )


def partition_scores(
    plan: KllPlan,
    spec: _partial.Spec,
    states: Iterable[pa.RecordBatch],
    schema: Any,
    as_of: str,
    cuts: Mapping[str, list[float]],
) -> pa.Table | None:
    """Step 3: a partition's customers scored with the common cut points
    (the local result's customers table), None without customers."""
    given = {f"{c}_cuts": fixed_cuts(plan, c, cuts[c]) for c in CRITERIA}
    scored = _scored(plan, spec, states, schema, as_of=as_of, **given)
    if scored is None:
        return None
    customers = pa.RecordBatchReader.from_stream(scored.customers()).read_all()
    _check_classes(plan, customers, cuts)
    return customers
