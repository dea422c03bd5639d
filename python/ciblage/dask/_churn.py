"""``churn_flags`` on Dask DataFrames of transactions.

Each partition becomes a churn state (one row per customer: his distinct
purchase days, his last day, his rows by fate; see
``ciblage._partial_churn``), one task per partition, cut into
``split_out`` groups by a hash of the customer id (a customer is in the
same group in every partition); each group's states are merged by a tree
reduction of its own (``split_every`` states per task), and the group's
last task scores its customers with the local call (``as_of``: given, or
the day after the last row of all the groups, a max over the groups'
last days). No task holds more than one group's customers; only the
flags, one row per customer, come to the client.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from .. import _day_time, _partial_churn, _partial_days
from .._tables import _check_columns, attach_report, from_arrow
from ..exceptions import CiblageError
from ._aggregate import _check_frame, _dask, check_split_every, check_split_out
from ._days import _raise_with_global_rows, _schema

__all__ = ["churn_flags"]


def _states(spec: _partial_days.DaySpec, part: Any, split_out: int) -> list[pa.Table]:
    """The partition's churn state cut into ``split_out`` states by a hash
    of the customer id."""
    state = _partial_churn.partition_state(spec, [part])
    if split_out == 1:
        return [state]
    from ._aggregate import customer_groups

    group = customer_groups(state.column("customer"), split_out)
    return [state.filter(pa.array(group == k)) for k in range(split_out)]


def _pick(states: list[pa.Table], k: int) -> pa.Table:
    return states[k]


def _merge(states: list[pa.Table]) -> pa.Table:
    return _partial_churn.merge_states(states)


def _latest(*states: pa.Table) -> int | None:
    """The last day of any row of the merged groups (None: no rows)."""
    days = [d for d in map(_partial_churn.last_day, states) if d is not None]
    return max(days) if days else None


def _score(spec: _partial_days.DaySpec, state: pa.Table, last: int | None) -> tuple[pa.Table, list[pa.DataType]]:
    """The flags of the customers of one merged group, given the last day
    of the whole input, and the types the partitions read the timestamp
    column with."""
    types = _day_time.time_types(state)
    if last is None or not state.num_rows:
        return pa.table({}), types
    as_of = _partial_churn.as_of_day(spec)
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
    split_out: int = 1,
) -> Any:
    """:func:`ciblage.churn_flags` on a Dask DataFrame of transactions: the
    same arguments and the same table (one row per customer, ordered by
    id), as a pandas DataFrame with the input report in
    ``attrs["input_report"]``. ``split_every``: states merged per task of
    the tree reduction; ``split_out``: groups of customers (by a hash of
    their id) merged and scored by reductions of their own, so that no
    task holds every customer's purchase days (default 1: one group);
    the client receives the flags only (one row per customer).

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
    split_out = check_split_out(split_out)
    _partial_days.check_call(spec, _schema(transactions, spec.names))
    parts = transactions[spec.names].to_delayed()
    delayed = dask.delayed
    cut = [delayed(_states)(spec, p, split_out) for p in parts]
    roots = []
    for k in range(split_out):
        states = [delayed(_pick)(c, k) for c in cut]
        while len(states) > 1:
            states = [delayed(_merge)(states[j : j + split_every]) for j in range(0, len(states), split_every)]
        roots.append(states[0])
    last = delayed(_latest)(*roots)
    try:
        scored = dask.compute(*[delayed(_score)(spec, root, last) for root in roots])
    except CiblageError:
        _raise_with_global_rows(dask, spec, parts)
        raise
    # Each group lists the types its partitions read, each once.
    _day_time.check_one_time_type(spec, list(dict.fromkeys(t for _, types in scored for t in types)))
    found = [flags for flags, _ in scored if flags.num_columns]
    if not found:
        _partial_days.raise_empty(spec)
    flags = pa.concat_tables(found, promote_options="permissive") if len(found) > 1 else found[0]
    table, report = _partial_churn.finish(spec, flags)
    return attach_report(from_arrow(table, "pandas"), report)
