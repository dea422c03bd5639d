"""Per-customer churn states for ``churn_flags`` on Spark and Dask (shared
by ``ciblage.spark`` and ``ciblage.dask``; no engine is imported here).

A churn flag reads, of a customer, his distinct purchase days before
``as_of`` (the last one for the silence, all of them for the median gap
between them, which the result shows whatever the rule) and nothing else;
the input report counts the rows read, those on or after ``as_of`` and
those before it that are not purchases; the default ``as_of`` is the day
after the last row. So each partition turns its rows (read by the core
into a day state, see :mod:`ciblage._partial_days`: the same zone, the
same local days, the same errors as the local call) into one row per
customer: his distinct purchase days before ``as_of`` (all his purchase
days when ``as_of`` is not given: every row is then before it), the last
day of any of his rows, and his rows read, after ``as_of`` and not
purchases. States merge by uniting the days and adding the counts
(associative and commutative). Once ``as_of`` is known, any set of
merged customers is scored on its own by the local call, on one row per
purchase day (a customer without a purchase gets one row that is not a
purchase): the local flags by construction. Only the flags (one row per
customer) and the counts reach the driver or client.
"""

from __future__ import annotations

import datetime as _dt
import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import _partial_days
from ._day_time import TIME_KEY
from ._partial_days import DaySpec

#: The counts a state carries per customer, summed into the input report.
COUNTS = ("rows", "after_as_of", "not_a_purchase")
#: Names of the counts beside the flags of scored customers (removed from
#: the result once summed).
COUNT_COLUMNS = tuple(f"__ciblage_{name}" for name in COUNTS)


def state_schema(customer_type: pa.DataType) -> pa.Schema:
    """The schema of a churn state, its ids as strings or 64-bit integers
    (as the day state carries them)."""
    ids = _partial_days.state_schema(customer_type).field("customer").type
    return pa.schema(
        [
            pa.field("customer", ids, nullable=False),
            pa.field("purchase_days", pa.list_(pa.field("day", pa.int64())), nullable=False),
            pa.field("last_day", pa.int64(), nullable=False),
            *[pa.field(name, pa.int64(), nullable=False) for name in COUNTS],
        ]
    )


def as_of_day(spec: DaySpec) -> int | None:
    """The day of ``as_of`` (days since 1970-01-01), None when not given."""
    from ._day_time import day_number

    return day_number(spec.kwargs.get("as_of"), "as_of")


def partition_state(spec: DaySpec, data: Iterable[Any], customer_type: pa.DataType | None = None) -> pa.Table:
    """The churn state of one partition (pandas frames or Arrow batches,
    empty ones allowed). Rows the local call refuses raise its error, their
    rows numbered from the partition's first."""
    days = _partial_days.partition_days(spec, data, customer_type)
    cut = as_of_day(spec)
    day = days.column("day").to_numpy()
    sign = days.column("sign").to_numpy()
    rows = days.column("rows").to_numpy()
    before = np.ones(len(day), dtype=bool) if cut is None else day < cut
    customers, code = _codes(days.column("customer"))
    n = len(customers)
    buy = before & (sign > 0)
    counts = {
        "rows": np.bincount(code, weights=rows, minlength=n),
        "after_as_of": np.bincount(code[~before], weights=rows[~before], minlength=n),
        "not_a_purchase": np.bincount(code[before & ~buy], weights=rows[before & ~buy], minlength=n),
    }
    last = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(last, code, day)
    state = _state(customers, code[buy], day[buy], last, counts, days.schema.field("customer").type)
    meta = (days.schema.metadata or {}).get(TIME_KEY)
    return state.replace_schema_metadata({TIME_KEY: meta}) if meta else state


def _codes(customers: pa.ChunkedArray | pa.Array) -> tuple[pa.Array, np.ndarray]:
    """The distinct customers (sorted) and each row's position among them."""
    distinct = pc.unique(customers)
    distinct = distinct.take(pc.sort_indices(distinct))
    code = pc.index_in(customers, value_set=distinct).to_numpy(zero_copy_only=False).astype(np.int64)
    return distinct, code


def _state(
    customers: pa.Array,
    code: np.ndarray,
    day: np.ndarray,
    last: np.ndarray,
    counts: dict[str, np.ndarray],
    customer_type: pa.DataType,
) -> pa.Table:
    """A state from its customers, the (customer code, purchase day) pairs
    (repeats allowed), each customer's last day and counts."""
    pairs = np.unique(np.stack([code, day]), axis=1) if len(code) else np.zeros((2, 0), np.int64)
    lengths = np.bincount(pairs[0], minlength=len(customers))
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    lists = pa.ListArray.from_arrays(
        pa.array(offsets), pa.array(pairs[1].astype(np.int64)), type=state_schema(customer_type).field(1).type
    )
    columns = [customers.cast(customer_type), lists, pa.array(last)]
    zeros = np.zeros(len(customers), dtype=np.int64)
    columns += [pa.array(np.asarray(counts.get(name, zeros)).astype(np.int64)) for name in COUNTS]
    return pa.Table.from_arrays(columns, schema=state_schema(customer_type))


def merge_states(states: Iterable[pa.Table | pa.RecordBatch]) -> pa.Table:
    """One churn state of several (or of one table holding a customer on
    several rows, as a shuffle puts them together): the purchase days of a
    customer are united, his counts added, his last day the latest."""
    tables = [pa.Table.from_batches([s]) if isinstance(s, pa.RecordBatch) else s for s in states]
    texts = sorted({text for t in tables for text in _time_texts(t)})
    tables = [t for t in tables if t.num_rows]
    if not tables:
        return state_schema(pa.int64()).empty_table()
    customer_type = tables[0].schema.field("customer").type
    table = pa.concat_tables([t.replace_schema_metadata(None).cast(state_schema(customer_type)) for t in tables])
    customers, code = _codes(table.column("customer"))
    n = len(customers)
    days = table.column("purchase_days").combine_chunks()
    owner = code[pc.list_parent_indices(days).to_numpy()]
    last = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(last, code, table.column("last_day").to_numpy())
    counts = {name: np.bincount(code, weights=table.column(name).to_numpy(), minlength=n) for name in COUNTS}
    state = _state(customers, owner, pc.list_flatten(days).to_numpy(), last, counts, customer_type)
    return state.replace_schema_metadata({TIME_KEY: ";".join(texts).encode()}) if texts else state


def _time_texts(state: pa.Table) -> list[str]:
    raw = (state.schema.metadata or {}).get(TIME_KEY)
    return raw.decode().split(";") if raw else []


def last_day(state: pa.Table) -> int | None:
    """The last day of any row of a state (None for an empty state)."""
    return int(pc.max(state.column("last_day")).as_py()) if state.num_rows else None


def score(spec: DaySpec, state: pa.Table, as_of: int) -> pa.Table:
    """The local flags of the customers of a merged state as of day
    ``as_of``, with their counts (columns :data:`COUNT_COLUMNS`)."""
    from ._churn import churn_flags

    c = spec.columns
    days = state.column("purchase_days").combine_chunks()
    customers = state.column("customer").combine_chunks()
    lengths = pc.list_value_length(days).to_numpy(zero_copy_only=False)
    idle = np.flatnonzero(lengths == 0)
    # One row per purchase day; a customer without any: one row of
    # amount 0 (not a purchase) before as_of, so that he is listed.
    owner = np.concatenate([pc.list_parent_indices(days).to_numpy(), idle])
    day = np.concatenate([pc.list_flatten(days).to_numpy(), np.full(len(idle), as_of - 1, dtype=np.int64)])
    amount = np.concatenate([np.ones(len(owner) - len(idle)), np.zeros(len(idle))])
    rows = pa.table(
        {
            c["customer"]: customers.take(pa.array(owner)),
            c["timestamp"]: pa.array(day.astype(np.int32)).cast(pa.date32()),
            c["amount"]: pa.array(amount),
        }
    )
    kwargs = {k: v for k, v in spec.kwargs.items() if k not in ("as_of", "timezone")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        flags = churn_flags(rows, **kwargs, as_of=_dt.date(1970, 1, 1) + _dt.timedelta(days=as_of), timezone=None)
    flags = flags.replace_schema_metadata(None)
    where = pc.index_in(flags.column(c["customer"]), value_set=customers)
    for name, column in zip(COUNTS, COUNT_COLUMNS, strict=True):
        flags = flags.append_column(column, state.column(name).combine_chunks().take(where))
    return flags


def flags_schema(spec: DaySpec, customer_type: pa.DataType) -> pa.Schema:
    """The schema of :func:`score`'s tables (from a made-up customer; every
    column nullable: customers without a purchase have null flags)."""
    made_up = pa.array(["a"] if pa.types.is_string(customer_type) else [1], customer_type)
    state = _state(made_up, np.zeros(1, np.int64), np.zeros(1, np.int64), np.zeros(1, np.int64), {}, customer_type)
    return pa.schema([f.with_nullable(True) for f in score(spec, state, 1).schema])


def finish(spec: DaySpec, flags: pa.Table) -> tuple[pa.Table, dict[str, Any]]:
    """The flags of every customer ordered by id (the local order) and the
    input report of the whole input (raises the local error of an empty
    input)."""
    from ._report import make_report, warn_left_out

    if flags.num_rows == 0:
        _partial_days.raise_empty(spec)
    totals = {name: int(pc.sum(flags.column(col)).as_py()) for name, col in zip(COUNTS, COUNT_COLUMNS, strict=True)}
    table = flags.drop_columns(list(COUNT_COLUMNS)).sort_by(spec.columns["customer"])
    report = make_report(totals["rows"], {k: totals[k] for k in ("after_as_of", "not_a_purchase")})
    warn_left_out(report, "churn_flags", expected=("after_as_of", "not_a_purchase"), stacklevel=4)
    return table, report
