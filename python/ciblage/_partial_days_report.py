"""The input report of ``retention``, ``churn_flags`` and the CLV
``summary`` on Spark and Dask: the local call's reasons, counted with the
number of rows of each key of the merged day state (see
:mod:`ciblage._partial_days`)."""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

if TYPE_CHECKING:
    from ._partial_days import DaySpec


def _iso_day(text: str | None) -> int | None:
    if text is None:
        return None
    return (_dt.date.fromisoformat(text) - _dt.date(1970, 1, 1)).days


def _period(days: np.ndarray, freq: str) -> np.ndarray:
    """The CLV summary's period of each day (``"W"``: Monday weeks,
    ``"M"``: calendar months, else days)."""
    if freq == "W":
        return np.floor_divide(days + 3, 7)
    if freq == "M":
        months = days.astype("datetime64[D]").astype("datetime64[M]")
        return months.astype(np.int64)
    return days


def report(spec: DaySpec, state: pa.Table, local: dict[str, Any]) -> dict[str, Any]:
    """The input report of the whole input, from the local call's report
    on the rebuilt rows (``local``) and the rows of each key."""
    from ._report import make_report
    from ._tables import iso_date

    rows = state.column("rows").to_numpy()
    days = state.column("day").to_numpy()
    sign = state.column("sign").to_numpy()
    total = int(rows.sum())
    extra = {k: v for k, v in local.items() if k not in ("rows_read", "rows_used", "left_out")}
    k = spec.kwargs
    if spec.goal in ("retention", "churn_flags"):
        as_of = _iso_day(iso_date(k.get("as_of")))
        cut = as_of if as_of is not None else (int(days.max()) + 1 if len(days) else 0)
        after = int(rows[days >= cut].sum())
        left = {"after_as_of": after}
        if spec.goal == "churn_flags":
            left["not_a_purchase"] = int(rows[(days < cut) & (sign <= 0)].sum())
        return make_report(total, left, **extra)
    freq = str(local.get("freq", "D"))
    period = _period(days, freq)
    end_given = _iso_day(iso_date(k.get("observation_end"), "observation_end"))
    after_rows = (
        period > _period(np.array([end_given]), freq)[0] if end_given is not None else np.zeros(len(days), bool)
    )
    negative = (~after_rows) & (sign < 0)
    excluded = negative if k.get("negative_amounts") == "exclude" else np.zeros(len(days), bool)
    kept = ~after_rows & ~excluded
    holdout = 0
    cal = _iso_day(iso_date(k.get("calibration_end"), "calibration_end"))
    if cal is not None and kept.any():
        cal_p = _period(np.array([cal]), freq)[0]
        ids = state.column("customer").to_numpy(zero_copy_only=False)[kept]
        import pandas as pd

        frame = pd.DataFrame({"id": ids, "p": period[kept], "n": rows[kept]})
        first = frame.groupby("id", sort=False)["p"].transform("min")
        holdout = int(frame["n"][first.to_numpy() > cal_p].sum())
    left = {
        "after_observation_end": int(rows[after_rows].sum()),
        "negative_excluded": int(rows[excluded].sum()),
        "customer_first_seen_in_holdout": holdout,
    }
    return make_report(total, left, **extra)
