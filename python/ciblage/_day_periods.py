"""Day states collapsed to the periods a call reads (see
:mod:`ciblage._partial_days`): the keys of one customer, period and sign
of the amount become one key, their exact sums added, where the call reads
nothing finer than the period, so that a state holds one key per
customer-period rather than per customer-day.

- The CLV ``summary`` with ``freq`` ``"W"`` (Monday weeks) or ``"M"``
  (calendar months) reads its periods, observation end, calibration end
  and report by period: every day goes to its period's first day.
- ``retention`` with weeks, months, quarters, years, or blocks of days
  from a given ``origin``, reads each row's period, and of the days only
  the last one (the default ``as_of`` is the day after it, which tells
  whether the last period is complete) and those on or after ``as_of``
  (left out, counted): the days of the state's last period are kept as
  they are (the last day stays, whichever state of a merge holds it; they
  collapse as soon as a later period is merged in), the others go to their
  period's first day, and every day on or after ``as_of`` to ``as_of``
  (left out all the same, the customer still seen). Days and blocks of
  days from the first purchase (an origin only the whole input tells):
  only the days on or after ``as_of`` collapse.
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    from ._partial_days import DaySpec

#: Weekday names as the core reads ``week_start`` (or their first three letters).
_WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def day_number(value: Any, argument: str) -> int | None:
    """A date argument as days since 1970-01-01 (None: not given)."""
    from ._tables import iso_date

    text = iso_date(value, argument)
    return None if text is None else (_dt.date.fromisoformat(text) - _dt.date(1970, 1, 1)).days


def _months_to_days(months: np.ndarray) -> np.ndarray:
    """Months since 1970-01 as the day number of their first day."""
    return months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def _months(days: np.ndarray) -> np.ndarray:
    """Months since 1970-01 of day numbers."""
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def retention_period_starts(kwargs: dict[str, Any], days: np.ndarray) -> np.ndarray | None:
    """The first day of the retention period of each day (the periods of
    ``ciblage::churn::Period``), or None for days and for blocks of days
    without an ``origin`` (or parameters the call refuses)."""
    period = kwargs.get("period", "month")
    if not isinstance(period, str):
        return None
    if period == "week":
        start = kwargs.get("week_start") or "monday"
        name = str(start).lower()
        w = next((i for i, full in enumerate(_WEEKDAY_NAMES) if name in (full, full[:3])), None)
        if w is None:
            return None
        # 1970-01-01 is a Thursday (Monday-based number 3).
        return days - np.mod(days + 3 - w, 7)
    if period == "month":
        return _months_to_days(_months(days))
    if period == "quarter":
        months = _months(days)
        return _months_to_days(months - np.mod(months, 3))
    if period == "year":
        return days.astype("datetime64[D]").astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)
    if period.endswith("d") and period[:-1].isdigit() and int(period[:-1]) >= 1:
        origin = day_number(kwargs.get("origin"), "origin")
        if origin is None:
            return None
        n = int(period[:-1])
        return origin + np.floor_divide(days - origin, n) * n
    return None


def _retention_days(kwargs: dict[str, Any], days: np.ndarray, last: int) -> np.ndarray:
    """The day each key of a retention state moves to (see the module doc);
    ``last``: the latest day of the states merged."""
    out = days.copy()
    as_of = day_number(kwargs.get("as_of"), "as_of")
    early = np.ones(len(days), bool)
    if as_of is not None:
        late = days >= as_of
        out[late] = as_of
        early = ~late
    starts = retention_period_starts(kwargs, days)
    if starts is not None and early.any():
        if as_of is None:
            # The days of the last period stay: the last day is read.
            last_starts = retention_period_starts(kwargs, np.array([last], np.int64))
            assert last_starts is not None  # the same period as ``starts``
            early &= starts != last_starts[0]
        out[early] = starts[early]
    return out


def _clv_days(kwargs: dict[str, Any], days: np.ndarray) -> np.ndarray:
    """The first day of the CLV summary's period of each day (``"W"``:
    Monday weeks, ``"M"``: calendar months; other frequencies: the day)."""
    freq = kwargs.get("freq")
    if freq == "W":
        # 1970-01-01 is a Thursday: its week started on day -3.
        return days - np.mod(days + 3, 7)
    if freq == "M":
        return _months_to_days(_months(days))
    return days


def _moved(spec: DaySpec, state: pa.Table, last: int) -> pa.Table | None:
    """``state`` with its days moved as the call of ``spec`` allows (keys
    not merged yet), None when none moves."""
    days = state.column("day").to_numpy()
    if spec.goal == "retention":
        moved_days = _retention_days(spec.kwargs, days, last)
    elif spec.goal == "clv_summary":
        moved_days = _clv_days(spec.kwargs, days)
    else:
        return None
    if np.array_equal(moved_days, days):
        return None
    i = state.schema.get_field_index("day")
    return state.set_column(i, state.schema.field("day"), pa.array(moved_days, pa.int64()))


def _last_day(states: list[pa.Table]) -> int:
    return max(int(pc.max(s.column("day")).as_py()) for s in states)


def to_periods(spec: DaySpec, state: pa.Table) -> pa.Table:
    """The state with its days collapsed as the call of ``spec`` allows
    (see the module doc); the state as it is for ``churn_flags`` (the gaps
    between purchase days are read) or when nothing moves."""
    if not state.num_rows:
        return state
    moved = _moved(spec, state, _last_day([state]))
    if moved is None:
        return state
    from ._partial_days import merge_days

    return merge_days([moved]).cast(state.schema)


def merge_periods(spec: DaySpec, states: list[pa.Table]) -> pa.Table:
    """One state of several, the days of each collapsed first (the last
    period being that of the latest day of them all), in one merge."""
    from ._partial_days import merge_days

    states = [s for s in states if s.num_rows]
    if not states:
        return merge_days(states)
    last = _last_day(states)
    moved = [_moved(spec, s, last) for s in states]
    return merge_days([s if m is None else m for s, m in zip(states, moved, strict=True)])
