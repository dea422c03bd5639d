"""Activity per period, retention, cohorts, survival, churn flags and
migration between segments."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from . import _native
from ._tables import from_arrow, iso_date, table_kind, to_arrow
from .exceptions import InvalidParameterError

__all__ = ["retention", "RetentionResult", "churn_flags", "migration", "Migration"]


def _out_kind(data: Any) -> str:
    kind = table_kind(data)
    return kind if kind in ("pandas", "polars") else "pyarrow"


class RetentionResult:
    """The outcome of :func:`retention`; every table is of the caller's library.

    Attributes:
        periods: one row per period (empty ones included): period, start,
            active, new, repeating, reactivated, lapsed, retention,
            attrition, revenue, complete (False for a last period cut by
            ``as_of``).
        cohort_sizes: per acquisition cohort: size, churned, censored.
        survival: Kaplan–Meier survival of all customers by periods since
            acquisition.
    """

    def __init__(self, native: Any, kind: str) -> None:
        self._native = native
        self._kind = kind
        self.periods = from_arrow(native.periods(), kind)
        self.cohort_sizes = from_arrow(native.cohort_sizes(), kind)
        self.survival = from_arrow(native.survival(), kind)

    def cohorts(self, kind: str = "classic", *, shares: bool = True) -> Any:
        """Cohort matrix, one row per acquisition cohort, one column per
        period since acquisition (``"0"``, ``"1"``, …); unobserved cells are
        null (right-censoring), never zero.

        Args:
            kind: ``"classic"`` (active in cohort + k), ``"rolling"`` (active
                in cohort + k or later), ``"revenue"`` (revenue in cohort + k)
                or ``"survival"`` (Kaplan–Meier, columns ``"1"``, ``"2"``, …).
            shares: divide by the cohort size (revenue: by the cohort's
                first-period revenue); ``False`` gives counts and amounts.
        """
        return from_arrow(self._native.cohorts(kind, bool(shares)), self._kind)

    def __repr__(self) -> str:
        return f"RetentionResult(periods={len(self.periods)})"


def retention(
    transactions: Any,
    *,
    customer: str = "customer_id",
    timestamp: str = "timestamp",
    amount: str = "amount",
    period: str = "month",
    week_start: str = "monday",
    as_of: Any = None,
    origin: Any = None,
    churn_after: int = 3,
    timezone: str | None = None,
) -> RetentionResult:
    """Active customers per period, retention and attrition, acquisition
    cohorts and survival from raw transactions.

    A customer is active in a period when he made a purchase (a row with a
    positive amount) in it; returns count in revenue, not in activity.

    Args:
        period: ``"day"``, ``"week"`` (starting on ``week_start``),
            ``"month"``, ``"quarter"``, ``"year"`` or blocks of days
            (``"30d"``, counted from ``origin``, default the first purchase).
        as_of: rows on or after this date are left out; the last period is
            the one holding the day before (default: the day after the last
            transaction).
        churn_after: whole periods without purchase, before the end, after
            which a customer counts as churned in the survival curves.
        timezone: IANA zone of day boundaries (default: the column's zone).
    """
    if isinstance(churn_after, bool) or not isinstance(churn_after, int) or churn_after < 0:
        raise InvalidParameterError(
            f"invalid parameter churn_after: expected a positive integer, got {churn_after!r}"
        )
    columns = {"customer": customer, "timestamp": timestamp, "amount": amount}
    native = _native.retention(
        to_arrow(transactions, columns),
        customer=customer,
        timestamp=timestamp,
        amount=amount,
        period=str(period),
        week_start=str(week_start),
        as_of=iso_date(as_of),
        origin=iso_date(origin, "origin"),
        churn_after=churn_after,
        timezone=timezone,
    )
    return RetentionResult(native, _out_kind(transactions))


def churn_flags(
    transactions: Any,
    *,
    customer: str = "customer_id",
    timestamp: str = "timestamp",
    amount: str = "amount",
    rule: str = "days",
    days: int = 365,
    multiple: float = 3.0,
    fallback_days: int = 365,
    as_of: Any = None,
    timezone: str | None = None,
) -> Any:
    """Churn flag per customer by inactivity, ordered by customer id.

    Args:
        rule: ``"days"``: churned after more than ``days`` days without
            purchase; ``"median_gap"``: after more than ``multiple`` × the
            customer's median gap between distinct purchase days
            (``fallback_days`` for customers with a single purchase day).

    Returns:
        customer_id, days_since_last, median_gap_days, threshold_days,
        churned (null for customers with no purchase before ``as_of``).
    """
    for name, v in (("days", days), ("fallback_days", fallback_days)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise InvalidParameterError(f"invalid parameter {name}: expected a number of days, got {v!r}")
    columns = {"customer": customer, "timestamp": timestamp, "amount": amount}
    table = _native.churn_flags(
        to_arrow(transactions, columns),
        customer=customer,
        timestamp=timestamp,
        amount=amount,
        rule=str(rule),
        days=days,
        multiple=float(multiple),
        fallback_days=fallback_days,
        as_of=iso_date(as_of),
        timezone=timezone,
    )
    return from_arrow(table, _out_kind(transactions))


class Migration:
    """Transition matrix between two labellings of the same customers.

    Attributes:
        counts: rows = label before, columns = label after, customer counts.
        shares: the same divided by each row's total (null for empty rows).
        labels: labels in matrix order.
    """

    def __init__(self, counts: Any, shares: Any, labels: list[str]) -> None:
        self.counts = counts
        self.shares = shares
        self.labels = labels


def _labels(data: Any, customer: str, segment: str, argument: str) -> pa.Table:
    table = pa.table(to_arrow(data, {"customer": customer, "segment": segment}, argument=argument))
    return table.select([customer, segment])


def migration(
    before: Any,
    after: Any,
    *,
    customer: str = "customer_id",
    segment: str = "segment",
    absent: str = "(absent)",
) -> Migration:
    """Migration of customers between segments (tiers, stages) from one
    table to the next, matched on ``customer``. A customer present in only
    one table gets the label ``absent`` on the other side, so nobody is
    dropped. Label order follows the categories of ``before`` (and then
    ``after``) when they are categorical, then the other labels sorted.
    """
    left = _labels(before, customer, segment, "before")
    right = _labels(after, customer, segment, "after")
    order: list[str] = []
    for t in (left, right):
        col = t.column(segment)
        if pa.types.is_dictionary(col.type) and col.num_chunks:
            order += [str(v) for v in col.chunk(0).dictionary.to_pylist()]
    left = left.rename_columns([customer, "before"])
    right = right.rename_columns([customer, "after"])
    joined = left.join(right, keys=customer, join_type="full outer", coalesce_keys=True)

    def labels_of(name: str) -> list[str]:
        col = joined.column(name).cast(pa.string())
        return [absent if v is None else v for v in col.to_pylist()]

    names, counts = _native.migration(labels_of("before"), labels_of("after"), order)
    k = len(names)
    rows = [counts[i * k:(i + 1) * k] for i in range(k)]
    count_cols: dict[str, Any] = {"before": names}
    share_cols: dict[str, Any] = {"before": names}
    for j, name in enumerate(names):
        count_cols[name] = [r[j] for r in rows]
        share_cols[name] = [r[j] / sum(r) if sum(r) else None for r in rows]
    kind = _out_kind(before)
    counts_t = from_arrow(pa.table(count_cols), kind)
    shares_t = from_arrow(pa.table(share_cols), kind)
    return Migration(counts_t, shares_t, list(names))
