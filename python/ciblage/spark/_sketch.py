"""``rfm``, ``value_tiers`` and ``concentration`` with ``quantiles="kll"``
on PySpark DataFrames. For ``rfm``: the merged
per-customer states stay on the executors (a local checkpoint), each
partition sketches its customers' values, the driver merges the sketches
and reads the cut points, and the partitions score their customers with
them (``mapInArrow`` throughout; see ``ciblage._sketch``). Value tiers and
concentration summarise each partition's customer totals the same way
(see ``ciblage._sketch_value``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from .. import _partial, _sketch, _sketch_value
from .._concentration_binned import BinnedConcentration
from .._report import warn_left_out
from .._rfm import expected_left_out
from ._aggregate import _collect, _map, _Merged, _spark_arrow_schema

_AS_OF = pa.schema([pa.field("as_of", pa.string())])
_SKETCHES = pa.schema(
    [pa.field(c, pa.binary(), False) for c in _sketch.CRITERIA]
    + [pa.field("report", pa.string(), False), pa.field("customers", pa.int64(), False)]
    + [pa.field("schema", pa.binary())]
)


def _states(batches: Iterator[pa.RecordBatch]) -> list[pa.RecordBatch]:
    return [_partial.with_version(b) for b in batches if b.num_rows]


def rfm_kll(transactions: Any, spec: _partial.Spec, plan: _sketch.KllPlan) -> Any:
    """The scored customers (a lazy Spark DataFrame) with the cut points
    read from merged KLL sketches; the input report, with the sketch's
    rank error under ``"quantiles"``, is its ``input_report`` attribute."""
    merged = _Merged(transactions, spec)
    spec, schema = merged.spec, merged.schema
    # The merged states, computed once and kept on the executors for the
    # three passes and the lazy result (a ciblage error of a bad row is
    # raised here, as on the exact path).
    states = merged.run(lambda: merged.frame.localCheckpoint())

    def as_of(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        yield pa.record_batch([[_sketch.partition_as_of(plan, spec, _states(batches), schema)]], schema=_AS_OF)

    if plan.params["as_of"] is None:
        dates = _collect(_map(states, as_of, _AS_OF)).column("as_of").to_pylist()
    else:
        dates = []
    day = _sketch.common_as_of(plan, dates)

    def sketches(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        part = _sketch.partition_sketches(plan, spec, _states(batches), schema, day)
        row = {c: [part[c]] for c in _sketch.CRITERIA}
        row["report"] = [json.dumps(part["report"])]
        row["customers"] = [part["customers"]]
        found = part.get("schema")
        row["schema"] = [None if found is None else found.serialize().to_pybytes()]
        yield pa.record_batch(row, schema=_SKETCHES)

    parts = _collect(_map(states, sketches, _SKETCHES)).to_pylist()
    for part in parts:
        part["report"] = json.loads(part["report"])
    report = _sketch.merge_sketches(plan, parts)
    found = next(p["schema"] for p in parts if p["schema"] is not None)
    out_schema = _spark_arrow_schema(pa.ipc.read_schema(pa.py_buffer(found))).remove_metadata()
    cuts = report["quantiles"]["cuts"]

    def scores(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        table = _sketch.partition_scores(plan, spec, _states(batches), schema, day, cuts)
        if table is not None:
            columns = [c.cast(f.type) for c, f in zip(table.columns, out_schema, strict=True)]
            yield from pa.table(columns, schema=out_schema).to_batches()

    warn_left_out(report, "rfm", expected_left_out(plan.params), stacklevel=4)
    result = _map(states, scores, out_schema)
    result.input_report = report
    return result


_SUMMARY = pa.schema(
    [
        pa.field("sketch", pa.binary(), False),
        pa.field("customers", pa.int64(), False),
        pa.field("rows", pa.int64(), False),
        pa.field("schema", pa.binary()),
    ]
)


def _summaries(
    transactions: Any, spec: _partial.Spec, method: str, k: int, value: str, keep: bool
) -> tuple[Any, _partial.Spec, Any, list[dict[str, Any]]]:
    """The merged states (kept on the executors with ``keep``, for a second
    pass), the shipped spec, the transactions' Arrow schema and each
    partition's summary of its customers' values."""
    merged = _Merged(transactions, spec)
    spec, schema = merged.spec, merged.schema
    states = merged.run(lambda: merged.frame.localCheckpoint()) if keep else merged.frame

    def summary(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        part = _sketch_value.partition_summary(method, k, value, spec, _states(batches), schema)
        found = part["schema"]
        part["schema"] = None if found is None else found.serialize().to_pybytes()
        yield pa.RecordBatch.from_pylist([part], schema=_SUMMARY)

    parts = merged.run(lambda: _collect(_map(states, summary, _SUMMARY)).to_pylist())
    return states, spec, schema, parts


def value_tiers_kll(transactions: Any, spec: _partial.Spec, plan: _sketch_value.TierPlan) -> Any:
    """The tiered customers (a lazy Spark DataFrame) with the cut points
    read from merged sketches (count tiers) or histograms (ABC); the input
    report, with the cut points and their bound under ``"quantiles"``, is
    its ``input_report`` attribute."""
    states, spec, schema, parts = _summaries(transactions, spec, plan.method, plan.k, plan.value, keep=True)
    report = _sketch_value.tier_cuts(plan, parts)
    found = next(p["schema"] for p in parts if p["schema"] is not None)
    totals = pa.ipc.read_schema(pa.py_buffer(found))
    out_schema = _spark_arrow_schema(_sketch_value.output_schema(plan, totals)).remove_metadata()
    cuts = report["quantiles"]["cuts"]

    def tiers(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        table = _sketch_value.partition_tiers(plan, spec, _states(batches), schema, cuts)
        if table is not None:
            columns = [c.cast(f.type) for c, f in zip(table.columns, out_schema, strict=True)]
            yield from pa.table(columns, schema=out_schema).to_batches()

    result = _map(states, tiers, out_schema)
    result.input_report = report
    return result


def concentration_kll(transactions: Any, spec: _partial.Spec, value: str) -> Any:
    """The concentration of the customers' values read from their merged
    histogram (:class:`~ciblage._concentration_binned.BinnedConcentration`)."""
    _, _, _, parts = _summaries(transactions, spec, "histogram", 0, value, keep=False)
    _sketch_value.no_customer_check(parts)
    histogram, rows = _sketch_value.merged_histogram(parts)
    return BinnedConcentration(histogram, "pyarrow", rows, value)
