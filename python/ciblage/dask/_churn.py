"""``churn_flags`` on Dask DataFrames of transactions.

Each partition becomes a churn state (one row per customer: his distinct
purchase days, his last day, his rows by fate; see
``ciblage._partial_churn``), one task per partition; the states are
merged by a tree reduction (``split_every`` states per task), and the
last task scores the customers with the local call (``as_of``: given, or
the day after the last row of the merged state). Only the flags, one row
per customer, come to the client.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from .. import _partial_churn, _partial_days
from .._tables import _check_columns, attach_report, from_arrow
from ..exceptions import CiblageError
from ._aggregate import _check_frame, _dask, check_split_every
from ._days import _raise_with_global_rows, _schema

__all__ = ["churn_flags"]


def _state(spec: _partial_days.DaySpec, part: Any) -> pa.Table:
    return _partial_churn.partition_state(spec, [part])


def _merge(states: list[pa.Table]) -> pa.Table:
    return _partial_churn.merge_states(states)


def _score(spec: _partial_days.DaySpec, state: pa.Table) -> tuple[pa.Table, list[pa.DataType]]:
    """The flags of every customer of the merged state, and the types the
    partitions read the timestamp column with."""
    types = _partial_days.time_types(state)
    as_of = _partial_churn.as_of_day(spec)
    last = _partial_churn.last_day(state)
    if last is None:
        return pa.table({}), types
    return _partial_churn.score(spec, state, as_of if as_of is not None else last + 1), types


def churn_flags(
    transactions: Any,
    *,
    customer: str = "customer_id",
    timestamp: str = "timestamp",
    amount: str = "amount",
    rule: str = "days",
    days: int | None = None,
    multiple: float | None = None,
    fallback_days: int | None = None,
    as_of: Any = None,
    timezone: Any = None,
    split_every: int = 8,
) -> Any:
    """:func:`ciblage.churn_flags` on a Dask DataFrame of transactions: the
    same arguments and the same table (one row per customer, ordered by
    id), as a pandas DataFrame with the input report in
    ``attrs["input_report"]``. ``split_every``: states merged per task of
    the tree reduction; the client receives the flags only (one row per
    customer).

    Example:
        >>> import ciblage, ciblage.dask, dask.dataframe as dd
        >>> tx = ciblage.datasets.transactions(customers=50, transactions=500, library="pandas")
        >>> flags = ciblage.dask.churn_flags(dd.from_pandas(tx, npartitions=3), days=180)
        >>> flags.equals(ciblage.churn_flags(tx, days=180))
        True
    """
    spec = _partial_days.day_spec("churn_flags", dict(locals()))
    dask = _dask()
    _check_frame(transactions)
    _check_columns(spec.columns, [str(c) for c in transactions.columns])
    check_split_every(split_every)
    _partial_days.check_call(spec, _schema(transactions, spec.names))
    parts = transactions[spec.names].to_delayed()
    delayed = dask.delayed
    states = [delayed(_state)(spec, p) for p in parts]
    while len(states) > 1:
        states = [delayed(_merge)(states[j : j + split_every]) for j in range(0, len(states), split_every)]
    try:
        ((flags, types),) = dask.compute(delayed(_score)(spec, states[0]))
    except CiblageError:
        _raise_with_global_rows(dask, spec, parts)
        raise
    _partial_days.check_one_time_type(spec, types)
    if not flags.num_columns:
        _partial_days.raise_empty(spec)
    table, report = _partial_churn.finish(spec, flags)
    return attach_report(from_arrow(table, "pandas"), report)
