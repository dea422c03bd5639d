"""``retention`` and the CLV ``clv_summary`` on Dask
DataFrames of transactions.

Each partition becomes a day state (one row per customer, local day and
sign of the amount: rows, exact sums of amounts and margins; see
``ciblage._partial_days``; its days collapsed to the periods the call
reads where that is exact: ``retention``'s calendar periods, the CLV
summary's weeks and months), one task per partition; the states are merged
by a tree reduction (``split_every`` states per task); the merged state
comes to the client, which runs the local call on the rows it stands
for. The results are the local ones: a pandas DataFrame (or, for
``retention``, a ``RetentionResult``), with the input report of the
whole input.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from .. import _day_time, _partial_days
from .._tables import _check_columns
from ..exceptions import CiblageError
from ._aggregate import _check_frame, _dask, check_split_every

__all__ = ["clv_summary", "retention"]


def _schema(df: Any, names: list[str]) -> pa.Schema:
    """The Arrow schema of the used columns, as the local call reads them
    (from the frame's meta: an object column has no type yet)."""
    from .._tables import to_arrow

    schema = to_arrow(df._meta, {n: n for n in names}).schema
    for i, name in enumerate(schema.names):
        if df._meta[name].dtype == object:
            schema = schema.set(i, schema.field(i).with_type(pa.null()))
    return schema


def _state(spec: _partial_days.DaySpec, part: Any) -> pa.Table:
    return _partial_days.partition_days(spec, [part])


def _merge(spec: _partial_days.DaySpec, states: list[pa.Table]) -> pa.Table:
    return _partial_days.merge_periods(spec, states)


def _probe(spec: _partial_days.DaySpec, part: Any) -> tuple[int, bool]:
    return _partial_days.probe_partition(spec, [part])


def _run(df: Any, spec: _partial_days.DaySpec, split_every: Any) -> Any:
    """The local result of the merged state of every partition."""
    dask = _dask()
    _check_frame(df)
    _check_columns(spec.columns, [str(c) for c in df.columns])
    check_split_every(split_every)
    schema = _schema(df, spec.names)
    _partial_days.check_call(spec, schema)
    parts = df[spec.names].to_delayed()
    delayed = dask.delayed
    states = [delayed(_state)(spec, p) for p in parts]
    while len(states) > 1:
        states = [delayed(_merge)(spec, states[j : j + split_every]) for j in range(0, len(states), split_every)]
    try:
        (state,) = dask.compute(states[0])
    except CiblageError:
        _raise_with_global_rows(dask, spec, parts)
        raise
    import pandas as pd

    def to_pandas(table: pa.Table) -> pd.DataFrame:
        return table.to_pandas()

    _day_time.check_one_time_type(spec, _day_time.time_types(state))
    t = _day_time.time_type(state)
    if t is not None:
        i = schema.get_field_index(spec.columns["timestamp"])
        schema = schema.set(i, schema.field(i).with_type(t))
    return _partial_days.finish(spec, state, schema, to_pandas)


def _raise_with_global_rows(dask: Any, spec: _partial_days.DaySpec, parts: list[Any]) -> None:
    """Raises the error of the first failing partition, its rows numbered
    as in the whole input."""
    found = list(dask.compute(*[dask.delayed(_probe)(spec, p) for p in parts]))
    first = _partial_days.first_failure(found)
    if first is not None:
        i, row0 = first
        dask.compute(dask.delayed(_partial_days.partition_error)(spec, [parts[i]], row0))


def retention(
    transactions: Any,
    *,
    customer: str = "customer_id",
    timestamp: str = "timestamp",
    amount: str = "amount",
    period: str = "month",
    week_start: str | None = None,
    as_of: Any = None,
    origin: Any = None,
    churn_after: int = 3,
    timezone: Any = None,
    split_every: int = 8,
) -> Any:
    """:func:`ciblage.retention` on a Dask DataFrame of transactions: the
    same arguments (``progress`` aside) and the same
    :class:`~ciblage.RetentionResult` (periods, cohorts, survival; sums to
    the last bit), with the input report of the whole
    input. ``split_every``: states merged per task of the tree reduction.

    Example:
        >>> import ciblage, ciblage.dask, dask.dataframe as dd
        >>> tx = ciblage.datasets.transactions(customers=50, transactions=500, library="pandas")
        >>> result = ciblage.dask.retention(dd.from_pandas(tx, npartitions=3), period="quarter")
        >>> local = ciblage.retention(tx, period="quarter")
        >>> result.periods["active"].tolist() == local.periods["active"].tolist()
        True
    """
    spec = _partial_days.day_spec("retention", dict(locals()))
    return _run(transactions, spec, split_every)


def clv_summary(
    transactions: Any,
    *,
    customer: str = "customer_id",
    timestamp: str = "timestamp",
    amount: str = "amount",
    cost: str | None = None,
    freq: Any = "D",
    observation_end: Any = None,
    calibration_end: Any = None,
    negative_amounts: str = "keep",
    timezone: Any = None,
    split_every: int = 8,
) -> Any:
    """:func:`ciblage.clv.summary` on a Dask DataFrame of transactions: the
    same arguments and the same table (frequency, recency, T,
    monetary_value, and the holdout columns with ``calibration_end``;
    sums to the last bit), as a pandas DataFrame with
    the input report in ``attrs["input_report"]``. A CLV model is then
    fitted on the client from this table (one row per customer), as
    locally.

    Example:
        >>> import ciblage, ciblage.dask, dask.dataframe as dd
        >>> tx = ciblage.datasets.transactions(customers=50, transactions=500, library="pandas")
        >>> s = ciblage.dask.clv_summary(dd.from_pandas(tx, npartitions=3), freq="W")
        >>> s[["frequency", "recency", "T"]].equals(ciblage.clv.summary(tx, freq="W")[["frequency", "recency", "T"]])
        True
    """
    spec = _partial_days.day_spec("clv_summary", dict(locals()))
    return _run(transactions, spec, split_every)
