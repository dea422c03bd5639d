"""The timestamp type a day state was read from, kept in its schema
metadata (partitions read on different workers must agree on it), and
date arguments as day numbers: shared by the day states of the engines
and streams (:mod:`ciblage._partial_days`, :mod:`ciblage._partial_churn`,
:mod:`ciblage._stream_days`)."""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any

import pyarrow as pa

if TYPE_CHECKING:
    from ._partial_days import DaySpec

#: Schema metadata key of the timestamp type of a day state.
TIME_KEY = b"ciblage.timestamp_type"


def with_time_type(state: pa.Table, t: pa.DataType | None) -> pa.Table:
    """The state with the type of the timestamp column it was read from in
    its metadata (``"date"``, or ``"<unit>|<zone>"``)."""
    if t is None:
        return state
    text = "date" if pa.types.is_date(t) else f"{t.unit}|{t.tz or ''}"
    return state.replace_schema_metadata({TIME_KEY: text.encode()})


def time_type(state: pa.Table) -> pa.DataType | None:
    """The type of the timestamp column a state was read from, if known
    (the first of several, see :func:`time_types`)."""
    types = time_types(state)
    return types[0] if types else None


def time_types(state: pa.Table) -> list[pa.DataType]:
    """The types of the timestamp column the partitions of a (merged)
    state were read from, each once: several when an object column was
    read as dates in some partitions and datetimes in others, or as
    datetimes of several zones."""
    raw = (state.schema.metadata or {}).get(TIME_KEY)
    if raw is None:
        return []
    out = []
    for text in raw.decode().split(";"):
        if text == "date":
            out.append(pa.date32())
        else:
            unit, tz = text.split("|", 1)
            out.append(pa.timestamp(unit, tz=tz or None))
    return out


def check_one_time_type(spec: DaySpec, types: list[pa.DataType]) -> None:
    """Refuses a timestamp column read with several types across
    partitions (an object column of Dask: each partition converts its own
    values), with the error a local call on the whole column gives."""
    if len(types) < 2:
        return
    import json

    from .exceptions import ColumnTypeError

    column = json.dumps(spec.columns["timestamp"])
    if any(pa.types.is_date(t) for t in types):
        raise ColumnTypeError(
            f"timestamp: column {column} cannot be read as one type (mixed types in an object column?): "
            "Python dates in some partitions, datetimes in others"
        )
    zones = sorted({t.tz for t in types}, key=str)
    shown = ", ".join("naive" if z is None else repr(z) for z in zones)
    raise ColumnTypeError(
        f"timestamp: column {column} holds timestamps of several time zones ({shown}); "
        "convert them to one zone first, e.g. pandas.to_datetime(column, utc=True)"
    )


def time_texts(state: pa.Table) -> list[str]:
    """The texts of the timestamp types in a state's metadata, each as
    :func:`with_time_type` writes it."""
    raw = (state.schema.metadata or {}).get(TIME_KEY)
    return raw.decode().split(";") if raw else []


def day_number(value: Any, argument: str) -> int | None:
    """A date argument as days since 1970-01-01 (None: not given)."""
    from ._tables import iso_date

    text = iso_date(value, argument)
    return None if text is None else (_dt.date.fromisoformat(text) - _dt.date(1970, 1, 1)).days
