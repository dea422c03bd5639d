"""RFM/RFA scoring from transactions."""

from __future__ import annotations

import datetime as _dt
import os
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from . import _native
from ._tables import float_list, from_arrow, iso_date, read_text, table_kind, to_arrow
from .exceptions import DegenerateCriterionWarning, InvalidParameterError

SegmentTable = _native.SegmentTable

__all__ = ["rfm", "rfm_analysis", "RfmResult", "SegmentTable"]


def _segment_table(segments: Any) -> Any:
    if segments is None or isinstance(segments, SegmentTable):
        return segments
    if isinstance(segments, (str, os.PathLike)):
        path = os.fspath(segments)
        text = read_text(path)
        if path.endswith(".toml"):
            return SegmentTable.from_toml(text)
        if path.endswith(".json"):
            return SegmentTable.from_json(text)
        raise InvalidParameterError(
            f"invalid parameter segments: expected a .json or .toml file, got {path!r}"
        )
    if isinstance(segments, Mapping):
        import json

        return SegmentTable.from_json(json.dumps(segments))
    raise InvalidParameterError(
        "invalid parameter segments: expected a SegmentTable, a path to a .json/.toml file, "
        f"or a dict, got {type(segments).__name__}"
    )


class RfmResult:
    """The outcome of :func:`rfm_analysis`.

    Attributes:
        customers: one row per scored customer, ordered by customer id:
            customer_id, first_purchase, last_purchase, recency_days,
            tenure_days, frequency, monetary, average_amount, r_score,
            f_score, m_score, rfm_code, score_sum, weighted_score, segment.
        segments: one row per segment (table order, fallback last):
            customers, shares, orders, revenue, average order value, means.
        thresholds: lower/upper bound and customers per criterion and score.
        criteria: per criterion, the method, classes used and the
            ``degenerate`` flag (scores collapsed to one or two classes).
        input_report: rows read, rows after ``as_of``, negative rows, and
            customers left without any counted row.
        as_of: the reference date.
        timezone: the zone whose midnights are the day boundaries.
    """

    def __init__(self, native: Any, kind: str) -> None:
        self._native = native
        self._kind = kind
        self.customers = from_arrow(native.customers(), kind)
        self.segments = from_arrow(native.segments(), kind)
        self.thresholds = from_arrow(native.thresholds(), kind)
        self.criteria: list[dict[str, Any]] = native.criteria()
        self.input_report: dict[str, int] = native.input_report()
        self.as_of = _dt.date.fromisoformat(native.as_of)
        self.timezone: str = native.timezone

    @property
    def degenerate(self) -> list[str]:
        """Names of the criteria with little discriminating power."""
        return [c["criterion"] for c in self.criteria if c["degenerate"]]

    def __len__(self) -> int:
        return len(self._native)

    def __repr__(self) -> str:
        return f"RfmResult({len(self)} customers, as_of={self.as_of.isoformat()})"


def rfm_analysis(
    transactions: Any,
    *,
    customer: str = "customer_id",
    timestamp: str = "timestamp",
    amount: str = "amount",
    cost: str | None = None,
    as_of: Any = None,
    bins: int = 5,
    method: str = "quantile",
    recency_cuts: Sequence[float] | None = None,
    frequency_cuts: Sequence[float] | None = None,
    monetary_cuts: Sequence[float] | None = None,
    frequency: str = "transactions",
    monetary: str = "revenue",
    variant: str = "rfm",
    weights: tuple[float, float, float] = (1.0, 1.0, 1.0),
    negative_amounts: str = "keep",
    segments: Any = None,
    timezone: str | None = None,
) -> RfmResult:
    """Scores customers by recency, frequency and monetary value (or average
    amount, ``variant="rfa"``) from raw transactions.

    Args:
        transactions: a pandas, polars or pyarrow table, a dict of arrays, or
            any object with ``__arrow_c_stream__``.
        customer, timestamp, amount: column names. Ids may be integers,
            strings or categoricals; timestamps datetime64 of any unit, dates,
            or tz-aware timestamps.
        cost: optional cost column, for ``monetary="margin"``.
        as_of: reference date; transactions on later days are left out.
            Default: the day after the last transaction.
        bins: classes per criterion, 2 to 9 (default 5).
        method: ``"quantile"`` (value quantiles, ties share a score),
            ``"rfm_compat"`` (R rfm 0.3.0 exactly) or ``"equal_count"``
            (equal-count ranks, ties broken by customer id).
        recency_cuts, frequency_cuts, monetary_cuts: fixed cut points for
            one criterion (a value equal to a cut point goes up a class).
        frequency: ``"transactions"`` or ``"purchase_days"``.
        monetary: ``"revenue"`` or ``"margin"`` (amount minus cost).
        variant: ``"rfm"`` or ``"rfa"``.
        weights: weights of R, F and M in ``weighted_score``.
        negative_amounts: ``"keep"`` (netted, counted), ``"exclude"`` or ``"reject"``.
        segments: a :class:`SegmentTable`, a path to a JSON/TOML file or a
            dict; default the classic 11-segment table.
        timezone: IANA zone of day boundaries; default the column's zone, or
            the wall clock for naive timestamps.

    Returns:
        An :class:`RfmResult` whose tables are of the caller's library.

    Raises:
        InvalidInputError: empty table, nulls, NaN/inf amounts, negative
            amounts under ``"reject"``, nothing left to score.
        InvalidParameterError: a parameter outside its domain.
        ColumnNotFoundError, ColumnTypeError: a missing or ill-typed column.
    """
    columns = {"customer": customer, "timestamp": timestamp, "amount": amount}
    if cost is not None:
        columns["cost"] = cost
    kind = table_kind(transactions)
    table = to_arrow(transactions, columns)
    native = _native.rfm_scores(
        table,
        customer=customer,
        timestamp=timestamp,
        amount=amount,
        cost=cost,
        as_of=iso_date(as_of),
        bins=_small_int(bins, "bins"),
        method=method,
        recency_cuts=float_list(recency_cuts, "recency_cuts"),
        frequency_cuts=float_list(frequency_cuts, "frequency_cuts"),
        monetary_cuts=float_list(monetary_cuts, "monetary_cuts"),
        frequency=frequency,
        monetary=monetary,
        variant=variant,
        weights=_weights(weights),
        negative_amounts=negative_amounts,
        segments=_segment_table(segments),
        timezone=timezone,
    )
    return RfmResult(native, kind)


def _small_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 255:
        raise InvalidParameterError(f"invalid parameter {name}: expected an integer from 2 to 9, got {value!r}")
    return value


def _weights(weights: Any) -> tuple[float, float, float]:
    try:
        r, f, m = (float(w) for w in weights)
    except (TypeError, ValueError) as e:
        raise InvalidParameterError(
            f"invalid parameter weights: expected three numbers (R, F, M), got {weights!r}"
        ) from e
    return (r, f, m)


def rfm(transactions: Any, **kwargs: Any) -> Any:
    """Per-customer RFM table (see :func:`rfm_analysis` for the arguments).

    Emits a :class:`DegenerateCriterionWarning` for each criterion whose
    scores collapse to one or two classes.

    Example:
        >>> import ciblage
        >>> tx = ciblage.datasets.transactions(customers=200, transactions=2_000)
        >>> table = ciblage.rfm(tx, bins=4)
        >>> table.num_rows
        200
    """
    result = rfm_analysis(transactions, **kwargs)
    for c in result.criteria:
        if c["degenerate"]:
            warnings.warn(c["warning"], DegenerateCriterionWarning, stacklevel=2)
    return result.customers
