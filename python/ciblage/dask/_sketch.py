"""``rfm``, ``value_tiers`` and ``concentration`` with ``quantiles="kll"``
on Dask DataFrames. For ``rfm``: the merged
per-customer states (one per hash group, ``split_out``) are persisted
where they were merged, each sketches its customers' values, the client
merges the sketches and reads the cut points, and each group's customers
are scored with them in its own task (see ``ciblage._sketch``). Value
tiers and concentration summarise each group's customer totals the same
way (see ``ciblage._sketch_value``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyarrow as pa

from .. import _partial, _sketch, _sketch_value
from .._concentration_binned import BinnedConcentration
from .._report import warn_left_out
from .._rfm import expected_left_out
from .._tables import from_arrow
from ._aggregate import _dask, _merged_roots, _raise_with_global_rows

if TYPE_CHECKING:  # pandas comes with Dask; imported by the calls, not by the import
    import pandas as pd


def _as_of(plan: _sketch.KllPlan, spec: _partial.Spec, root: tuple[pa.RecordBatch, Any]) -> str | None:
    state, schema = root
    return _sketch.partition_as_of(plan, spec, [state], schema)


def _sketches(plan: _sketch.KllPlan, spec: _partial.Spec, root: tuple[pa.RecordBatch, Any], as_of: str) -> Any:
    state, schema = root
    return _sketch.partition_sketches(plan, spec, [state], schema, as_of)


def _scores(
    plan: _sketch.KllPlan,
    spec: _partial.Spec,
    root: tuple[pa.RecordBatch, Any],
    as_of: str,
    cuts: dict[str, list[float]],
    meta: pd.DataFrame,
) -> pd.DataFrame:
    state, schema = root
    table = _sketch.partition_scores(plan, spec, [state], schema, as_of, cuts)
    return meta if table is None else from_arrow(table, "pandas")


def rfm_kll(transactions: Any, spec: _partial.Spec, plan: _sketch.KllPlan, split_every: int, split_out: int) -> Any:
    """The scored customers (a lazy Dask DataFrame, one partition per hash
    group) with the cut points read from merged KLL sketches; the input
    report, with the sketch's rank error under ``"quantiles"``, is its
    ``input_report`` attribute."""
    dask = _dask()
    import dask.dataframe as dd

    roots, parts, spec = _merged_roots(transactions, spec, split_every, split_out)
    delayed = dask.delayed
    try:
        # The merged states, computed once and kept (by the distributed
        # scheduler on its workers) for the passes and the lazy result.
        roots = list(dask.persist(*roots))
        if plan.params["as_of"] is None:
            dates = dask.compute(*[delayed(_as_of)(plan, spec, r) for r in roots])
        else:
            dates = ()
        day = _sketch.common_as_of(plan, dates)
        found = dask.compute(*[delayed(_sketches)(plan, spec, r, day) for r in roots])
    except (ValueError, TypeError):
        _raise_with_global_rows(dask, spec, parts)
        raise
    report = _sketch.merge_sketches(plan, found)
    schema = next(p["schema"] for p in found if p["schema"] is not None)
    meta = from_arrow(schema.empty_table(), "pandas")
    warn_left_out(report, "rfm", expected_left_out(plan.params), stacklevel=4)
    cuts = report["quantiles"]["cuts"]
    scored = [delayed(_scores)(plan, spec, r, day, cuts, meta) for r in roots]
    result = dd.from_delayed(scored, meta=meta, verify_meta=False)
    # A Dask DataFrame has no ``attrs``: the report is an attribute.
    result.input_report = report
    return result


def _summary(method: str, k: int, value: str, spec: _partial.Spec, root: tuple[pa.RecordBatch, Any]) -> Any:
    state, schema = root
    return _sketch_value.partition_summary(method, k, value, spec, [state], schema)


def _tiers(
    plan: _sketch_value.TierPlan,
    spec: _partial.Spec,
    root: tuple[pa.RecordBatch, Any],
    cuts: list[float],
    meta: pd.DataFrame,
) -> pd.DataFrame:
    state, schema = root
    table = _sketch_value.partition_tiers(plan, spec, [state], schema, cuts)
    return meta if table is None else from_arrow(table, "pandas")


def _summaries(
    transactions: Any,
    spec: _partial.Spec,
    method: str,
    k: int,
    value: str,
    split_every: int,
    split_out: int,
    keep: bool = True,
) -> tuple[list[Any], _partial.Spec, list[Any]]:
    """The merged states (one per hash group; persisted with ``keep``, for
    a second pass), the shipped spec and each group's summary of its
    customers' values."""
    dask = _dask()
    roots, parts, spec = _merged_roots(transactions, spec, split_every, split_out)
    try:
        if keep:
            roots = list(dask.persist(*roots))
        found = dask.compute(*[dask.delayed(_summary)(method, k, value, spec, r) for r in roots])
    except (ValueError, TypeError):
        _raise_with_global_rows(dask, spec, parts)
        raise
    return roots, spec, list(found)


def value_tiers_kll(
    transactions: Any, spec: _partial.Spec, plan: _sketch_value.TierPlan, split_every: int, split_out: int
) -> Any:
    """The tiered customers (a lazy Dask DataFrame, one partition per hash
    group) with the cut points read from merged sketches (count tiers) or
    histograms (ABC); the input report, with the cut points and their
    bound under ``"quantiles"``, is its ``input_report`` attribute."""
    dask = _dask()
    import dask.dataframe as dd

    roots, spec, found = _summaries(transactions, spec, plan.method, plan.k, plan.value, split_every, split_out)
    report = _sketch_value.tier_cuts(plan, found)
    schema = next(p["schema"] for p in found if p["schema"] is not None)
    meta = from_arrow(_sketch_value.tiered(plan, schema.empty_table(), []), "pandas")
    cuts = report["quantiles"]["cuts"]
    tiered = [dask.delayed(_tiers)(plan, spec, r, cuts, meta) for r in roots]
    result = dd.from_delayed(tiered, meta=meta, verify_meta=False)
    result.input_report = report
    return result


def concentration_kll(transactions: Any, spec: _partial.Spec, value: str, split_every: int, split_out: int) -> Any:
    """The concentration of the customers' values read from their merged
    histogram (:class:`~ciblage._concentration_binned.BinnedConcentration`)."""
    _, _, found = _summaries(transactions, spec, "histogram", 0, value, split_every, split_out, keep=False)
    _sketch_value.no_customer_check(found)
    histogram, rows = _sketch_value.merged_histogram(found)
    return BinnedConcentration(histogram, "pandas", rows, value)
