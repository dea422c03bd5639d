"""Per-customer day states for partitioned transactions: ``retention``,
``churn_flags`` and the CLV ``summary`` on Spark and Dask (shared by
``ciblage.spark`` and ``ciblage.dask``; no engine is imported here).

What these three read of a row is its customer, its local day (in the
zone of day boundaries), the sign of its amount (a purchase is a positive
amount; a negative one is a return, excluded or refused by some
policies), and the amount and margin (amount less cost, as the CLV
summary computes it per row), summed exactly per period. So a partition
becomes one row per (customer, local day, sign of the amount) holding the
number of rows and the EXACT sums of their amounts and margins (its days
collapsed to their period where the call reads no finer, see
:func:`collapse_args`; the Rust core's
``ciblage::partial_state::PartialDays``, read by the code of the local
calls, as an Arrow batch of a versioned schema: the rounded sums and the
exact parts behind them, in the encoding of the activity state; streams
of record batches are read the same way, batch by batch, see
:mod:`ciblage._stream_days`);
such states merge by adding the exact sums of a key (exactly associative
and commutative), and the merged state is turned back into transactions:
per key, rows at local noon of its day whose amounts (margins, with
costs) add up exactly to the key's exact sums. The local function runs on
them: the same periods, cohorts, purchase days, flags and summaries as on
the whole input, and the same sums to the last bit (the local functions
sum exactly, and every sum they make is a sum of whole keys). The input
report is the local one, counted with each key's number of rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ._day_time import TIME_KEY, day_number, time_texts, with_time_type
from ._partial import aligned, aligned_table
from .exceptions import (
    CiblageError,
    ColumnNotFoundError,
    ColumnTypeError,
    InvalidParameterError,
)

#: Columns of a day state, in order (``ciblage::partial_state::PARTIAL_DAYS_COLUMNS``).
STATE_COLUMNS = (
    "customer",
    "day",
    "sign",
    "rows",
    "amount",
    "margin",
    "amount_high",
    "amount_low",
    "amount_exponent",
    "amount_overflow",
    "margin_high",
    "margin_low",
    "margin_exponent",
    "margin_overflow",
)
_DAY_US = 86_400_000_000
_NOON_US = 43_200_000_000


@dataclass(frozen=True)
class DaySpec:
    """What partitions are read for: ``goal`` (``"retention"``,
    ``"churn_flags"`` or ``"clv_summary"``), the used columns
    (``{argument: column}``) and the keyword arguments of the local call
    (columns and parameters, checked)."""

    goal: str
    columns: dict[str, str]
    kwargs: dict[str, Any]

    @property
    def names(self) -> list[str]:
        """The used column names, each once."""
        return list(dict.fromkeys(self.columns.values()))

    @property
    def zone(self) -> str | None:
        """The zone asked for by the call (None: the column's)."""
        z = self.kwargs.get("timezone")
        return None if z is None else str(z)

    def local(self, table: Any) -> Any:
        """The local call on ``table``."""
        if self.goal == "retention":
            from ._churn import retention

            return retention(table, **self.kwargs)
        if self.goal == "churn_flags":
            from ._churn import churn_flags

            return churn_flags(table, **self.kwargs)
        from ._clv_summary import summary

        return summary(table, **self.kwargs)


def day_spec(goal: str, args: dict[str, Any]) -> DaySpec:
    """The spec of a call from its arguments (``transactions`` and the
    engine's own arguments dropped); the column arguments are checked."""
    from ._tables import column_arg, opt_column_arg

    kwargs = {k: v for k, v in args.items() if k not in ("transactions", "split_every", "split_out")}
    columns = {
        "customer": column_arg(kwargs["customer"], "customer"),
        "timestamp": column_arg(kwargs["timestamp"], "timestamp"),
        "amount": column_arg(kwargs["amount"], "amount"),
    }
    cost = opt_column_arg(kwargs.get("cost"), "cost")
    if cost is not None:
        columns["cost"] = cost
    if kwargs.get("progress"):
        raise InvalidParameterError(
            "invalid parameter progress: not available on partitioned data (the engine reports its own progress)"
        )
    kwargs.pop("progress", None)
    # One spelling of the zone (a tzinfo becomes its name), checked by the
    # local call before any job; the days are computed in it.
    from ._tables import as_timezone

    kwargs["timezone"] = as_timezone(kwargs.get("timezone"))
    return DaySpec(goal, columns, kwargs)


def state_schema(customer_type: pa.DataType) -> pa.Schema:
    """The schema of a day state, its ids as strings or 64-bit integers."""
    # Strings of any layout (large, views: polars' batches), dictionaries.
    string = not (pa.types.is_integer(customer_type) or pa.types.is_null(customer_type))
    fields = [pa.field("customer", pa.string() if string else pa.int64(), nullable=False)]
    for name in STATE_COLUMNS[1:]:
        t = pa.binary() if name.endswith("overflow") else pa.float64() if name in ("amount", "margin") else pa.int64()
        fields.append(pa.field(name, t, nullable=_nullable(name)))
    return pa.schema(fields)


def _nullable(name: str) -> bool:
    """Whether a state column may hold nulls (the margin columns without
    costs, the side accumulators of exact sums that need none)."""
    return name.startswith("margin") or name.endswith("overflow")


def _table(data: Iterable[Any], names: list[str]) -> pa.Table | None:
    """The used columns of pandas frames or Arrow batches/tables as one
    Arrow table (None when every item is empty)."""
    parts = []
    for item in data:
        if not len(item):
            continue
        if isinstance(item, (pa.RecordBatch, pa.Table)):
            parts.append(pa.Table.from_batches([item]) if isinstance(item, pa.RecordBatch) else item)
        else:
            from ._tables import to_arrow

            parts.append(to_arrow(item, {n: n for n in names}))
    if not parts:
        return None
    table = pa.concat_tables([p.select(names) for p in parts], promote_options="permissive")
    return table


def _suspect(spec: DaySpec, table: pa.Table) -> bool:
    """True when the rows may hold what the local call refuses (nulls, a
    type it does not read, non-finite amounts or costs, a negative amount
    refused): the local call on the rows then gives the error."""
    c = spec.columns
    if any(table.column(n).null_count for n in spec.names):
        return True
    t = table.column(c["timestamp"]).type
    if not (pa.types.is_timestamp(t) or pa.types.is_date(t)):
        return True
    for arg in ("amount", "cost"):
        if arg not in c:
            continue
        col = table.column(c[arg])
        if not (pa.types.is_floating(col.type) or pa.types.is_integer(col.type)):
            return True
        if pa.types.is_floating(col.type) and not pc.all(pc.is_finite(col)).as_py():
            return True
    if pa.types.is_timestamp(t):
        raw = table.column(c["timestamp"]).cast(pa.int64())
        if pc.min(raw).as_py() == np.iinfo(np.int64).min:
            return True
    if spec.kwargs.get("negative_amounts") == "reject":
        if pc.any(pc.less(table.column(c["amount"]), 0)).as_py():
            return True
    ids = table.column(c["customer"]).type
    return not (pa.types.is_integer(ids) or pa.types.is_string(ids) or pa.types.is_large_string(ids))


def partition_days(
    spec: DaySpec, data: Iterable[Any], customer_type: pa.DataType | None = None, *, periods: bool = True
) -> pa.Table:
    """The day state of one partition (pandas frames or Arrow batches,
    empty ones allowed), its days collapsed to periods unless ``periods``
    is False (left to :func:`merge_periods`). Rows the local call refuses
    raise its error, their rows numbered from the partition's first."""
    table = _table(data, spec.names)
    c = spec.columns
    if table is None:
        return state_schema(customer_type or pa.int64()).empty_table()
    if _suspect(spec, table):
        spec.local(table)  # raises the local error
    # The Rust core reads the rows as the local call does (days in the
    # same zone, by the same code) into ciblage::partial_state::PartialDays.
    from . import _native

    batch = pa.record_batch(
        _native.partial_days(
            aligned_table(table.combine_chunks()),
            customer=c["customer"],
            timestamp=c["timestamp"],
            amount=c["amount"],
            cost=c.get("cost"),
            timezone=spec.zone,
        )
    )
    state = pa.Table.from_batches([batch]).cast(state_schema(customer_type or batch.schema.field(0).type))
    if periods:
        state = merge_days([state], collapse_args(spec))
    return with_time_type(state, table.column(c["timestamp"]).type)


#: Schema metadata key of a state: the type of the input's timestamp column.
def merge_days(states: Iterable[pa.Table | pa.RecordBatch], collapse: dict[str, Any] | None = None) -> pa.Table:
    """One day state of several (or of one table holding a key on several
    rows): the rows of a key add up; with ``collapse`` (see
    :func:`collapse_args`), the days moved to the call's periods."""
    tables = [pa.Table.from_batches([s]) if isinstance(s, pa.RecordBatch) else s for s in states]
    tables = [t for t in tables if t.num_rows]
    if not tables:
        return state_schema(pa.int64()).empty_table()
    # Every type the partitions' timestamps were read with, each once.
    texts = sorted({text for s in tables for text in time_texts(s)})
    # A single table may hold a key on several rows too (the states of
    # several partitions put together by a shuffle): always merged, by the
    # Rust core (the version key put back: Spark drops schema metadata).
    from . import _native

    schema = tables[0].schema.remove_metadata()
    has_cost = tables[0].column("margin").null_count == 0
    batches = [
        aligned(b.replace_schema_metadata({DAYS_VERSION_KEY: DAYS_VERSION}))
        for s in tables
        for b in s.cast(_native_schema(schema)).to_batches()
        if b.num_rows
    ]
    merged = pa.record_batch(_native.merge_partial_days(batches, has_cost=has_cost, **(collapse or {})))
    out = pa.Table.from_batches([merged]).cast(state_schema(schema.field("customer").type))
    return out.replace_schema_metadata({TIME_KEY: ";".join(texts).encode()}) if texts else out


def merge_periods(spec: DaySpec, states: Iterable[pa.Table | pa.RecordBatch]) -> pa.Table:
    """:func:`merge_days`, the days of the merged state moved to the periods
    the call of ``spec`` reads where that is exact (see
    ``ciblage::partial_state::DayCollapse``): a merge that brings a later
    period collapses the days of the earlier ones."""
    return merge_days(states, collapse_args(spec))


def collapse_args(spec: DaySpec) -> dict[str, Any]:
    """The keyword arguments telling the core the days a state of the call
    of ``spec`` keeps (``ciblage::partial_state::DayCollapse``): the CLV
    summary's weeks (``"W"``) or months (``"M"``), retention's periods
    (blocks of days from a given ``origin`` only) and ``as_of``; every day
    (``goal`` ``"churn_flags"``) for churn flags, which read the gaps
    between purchase days, and for parameters the core does not read."""
    k = spec.kwargs
    period = k.get("period", "month")
    freq = k.get("freq", "D")
    args: dict[str, Any]
    if spec.goal == "retention" and isinstance(period, str):
        args = {
            "goal": "retention",
            "period": period,
            "week_start": str(k.get("week_start") or "monday").lower(),
            "origin": day_number(k.get("origin"), "origin"),
            "as_of": day_number(k.get("as_of"), "as_of"),
        }
    elif spec.goal == "clv_summary":
        args = {"goal": "clv_summary", "freq": freq if isinstance(freq, str) else "D"}
    else:
        return {"goal": "churn_flags"}
    from . import _native

    try:
        # Parameters the core refuses (the local call has checked them):
        # every day kept.
        _native.merge_partial_days([], has_cost=False, **args)
    except CiblageError:
        return {"goal": "churn_flags"}
    return args


#: Schema metadata key and version of the core's day-state batches.
DAYS_VERSION_KEY = b"ciblage.partial_days"
DAYS_VERSION = b"2"


def _native_schema(schema: pa.Schema) -> pa.Schema:
    """The state's schema as the core reads it (string ids as ``utf8``)."""
    return pa.schema([f.with_nullable(_nullable(f.name)) for f in schema])


def rebuild(spec: DaySpec, state: pa.Table, schema: pa.Schema) -> pa.Table:
    """The transactions the state stands for: per key, rows at local noon
    of its day (in the zone of day boundaries) whose amounts (margins,
    with costs) add up exactly to the key's exact sums (one row, usually);
    ``schema`` is the input's (the timestamp column's type is kept: dates
    stay dates, the zone stays the zone)."""
    from . import _native

    c = spec.columns
    t = schema.field(c["timestamp"]).type
    has_cost = state.column("margin").null_count == 0 if state.num_rows else "cost" in c
    batches = [
        aligned(b.replace_schema_metadata({DAYS_VERSION_KEY: DAYS_VERSION}))
        for b in state.cast(_native_schema(state.schema.remove_metadata())).to_batches()
        if b.num_rows
    ]
    state = pa.table(pa.record_batch(_native.partial_days_rows(batches, has_cost=has_cost)))
    days = state.column("day").to_numpy()
    if pa.types.is_date(t):
        ts: pa.Array = pa.array(days.astype(np.int32), pa.date32())
    else:
        z = spec.zone if spec.zone is not None else t.tz
        wall = pa.array(days * _DAY_US + _NOON_US, pa.timestamp("us"))
        if z is not None and z not in ("UTC", "utc", "Z", "+00:00"):
            wall = pc.assume_timezone(wall, z)
        ts = wall.cast(pa.int64()).cast(pa.timestamp("us", tz=t.tz))
    columns = {c["customer"]: state.column("customer"), c["timestamp"]: ts, c["amount"]: state.column("amount")}
    if "cost" in c:
        columns[c["cost"]] = state.column("cost")
    return pa.table(columns)


_ROW = re.compile(r"\bat row (\d+)\b")


def shifted(e: CiblageError, row0: int) -> CiblageError:
    """The error ``e`` of a partition, its row counted in the whole input."""
    if not row0:
        return e
    message = _ROW.sub(lambda m: f"at row {int(m.group(1)) + row0}", str(e))
    return type(e)(message)


def partition_error(spec: DaySpec, data: Iterable[Any], row0: int) -> None:
    """Reads one partition again, raising its error with rows counted
    from ``row0``."""
    try:
        partition_days(spec, list(data))
    except CiblageError as e:
        raise shifted(e, row0) from None


def probe_partition(spec: DaySpec, data: Iterable[Any]) -> tuple[int, bool]:
    """Rows of one partition and whether reading it fails."""
    items = [d for d in data if len(d)]
    try:
        partition_days(spec, items)
    except (ValueError, TypeError):
        return sum(len(d) for d in items), True
    return sum(len(d) for d in items), False


def first_failure(found: list[tuple[int, bool]]) -> tuple[int, int] | None:
    """The first failing partition and the rows before it."""
    before = 0
    for i, (rows, failed) in enumerate(found):
        if failed:
            return i, before
        before += rows
    return None


def _made_up_day(spec: DaySpec) -> int:
    """A day for the one made-up row of :func:`check_call`: before ``as_of``
    and on or after ``origin``, on ``observation_end``, after
    ``calibration_end``."""
    k = spec.kwargs

    def day(name: str) -> int | None:
        return day_number(k.get(name), name)

    if spec.goal == "clv_summary":
        end, cal = day("observation_end"), day("calibration_end")
        if end is not None:
            return end
        return (cal + 400) if cal is not None else 10_957
    as_of, origin = day("as_of"), day("origin")
    if as_of is not None:
        return as_of - 1
    return origin if origin is not None else 10_957


def check_call(spec: DaySpec, schema: pa.Schema) -> None:
    """Runs the local call on one made-up row of the input's schema, so
    that a bad parameter or column type raises the local error before any
    job."""
    c = spec.columns
    # An object column (Dask's meta) has no type yet: the parameters are
    # checked with a type the local call reads (the rows tell the rest).
    stand_in = {"customer": pa.string(), "timestamp": pa.timestamp("us"), "amount": pa.float64(), "cost": pa.float64()}
    for arg, name in c.items():
        i = schema.get_field_index(name)
        if pa.types.is_null(schema.field(i).type):
            schema = schema.set(i, schema.field(i).with_type(stand_in[arg]))
    day = _made_up_day(spec)
    columns = {}
    for arg, name in c.items():
        t = schema.field(name).type
        if arg == "customer":
            value: Any = "a" if (pa.types.is_string(t) or pa.types.is_large_string(t)) else 1
        elif arg == "timestamp":
            value = day if pa.types.is_date(t) else day * _DAY_US + _NOON_US
            if pa.types.is_timestamp(t):
                columns[name] = pa.array([value], pa.int64()).cast(pa.timestamp("us", tz=t.tz))
                continue
            if pa.types.is_date(t):
                columns[name] = pa.array([value], pa.int32()).cast(pa.date32())
                continue
        else:
            value = 1.0 if arg == "amount" else 0.0
        try:
            columns[name] = pa.array([value]).cast(t)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            columns[name] = pa.array([None], t) if t != pa.null() else pa.nulls(1)
    try:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            spec.local(pa.table(columns))
    except (InvalidParameterError, ColumnNotFoundError, ColumnTypeError):
        raise
    except (ValueError, TypeError):
        pass


def finish(spec: DaySpec, state: pa.Table, schema: pa.Schema, out: Callable[[pa.Table], Any]) -> Any:
    """The local call on the rebuilt rows of the merged ``state``, its
    input report counted on the whole input. ``out`` turns the rebuilt
    Arrow table into what the local call is given (pandas for Dask)."""
    import warnings

    from ._partial_days_report import report
    from ._report import warn_left_out
    from ._tables import attach_report

    if state.num_rows == 0:
        raise_empty(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = spec.local(out(rebuild(spec, state, schema)))
    if spec.goal == "retention":
        result.input_report = report(spec, state, result.input_report)
        warn_left_out(result.input_report, "retention", expected=("after_as_of",), stacklevel=4)
        return result
    local = result.attrs["input_report"] if hasattr(result, "attrs") else _arrow_report(result)
    full = report(spec, state, local)
    expected = (
        ("after_as_of", "not_a_purchase")
        if spec.goal == "churn_flags"
        else ("after_observation_end", "negative_excluded", "customer_first_seen_in_holdout")
    )
    warn_left_out(full, "churn_flags" if spec.goal == "churn_flags" else "clv.summary", expected=expected, stacklevel=4)
    return attach_report(result, full)


def _arrow_report(table: pa.Table) -> dict[str, Any]:
    import json

    meta = table.schema.metadata or {}
    raw = meta.get(b"ciblage.input_report")
    return json.loads(raw) if raw else {}


def raise_empty(spec: DaySpec) -> None:
    """The local call's error on a table without rows."""
    import pandas as pd

    c = spec.columns
    frame = pd.DataFrame({c["customer"]: pd.Series([], dtype="int64")})
    frame[c["timestamp"]] = pd.Series([], dtype="datetime64[us, UTC]")
    frame[c["amount"]] = pd.Series([], dtype="float64")
    if "cost" in c:
        frame[c["cost"]] = pd.Series([], dtype="float64")
    spec.local(frame)
    raise InvalidParameterError("invalid parameter transactions: no rows")  # pragma: no cover
