"""Activity per period, retention, cohorts, survival, churn flags and
migration between segments."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from . import _ids, _native
from ._params import as_bool, as_choice, as_float, as_int, as_str
from ._report import make_report, warn_left_out
from ._tables import attach_report, from_arrow, iso_date, table_kind, to_arrow
from .exceptions import InvalidInputError, InvalidParameterError

#: Largest count parameter (days, periods) the native layer takes.
_MAX_U32 = 2**32 - 1

__all__ = ["retention", "RetentionResult", "churn_flags", "migration", "Migration"]


def _out_kind(data: Any) -> str:
    kind = table_kind(data)
    return kind if kind in ("pandas", "polars") else "pyarrow"


def _opt_str(value: Any, name: str) -> str | None:
    return None if value is None else as_str(value, name)


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
        input_report: rows read, used and left out (``after_as_of``: rows on
            or after ``as_of``), and ``customers_without_purchase`` (their
            rows count in the period revenue, in no cohort).
    """

    def __init__(self, native: Any, kind: str, input_report: dict[str, Any] | None = None) -> None:
        self._native = native
        self._kind = kind
        self.input_report: dict[str, Any] = input_report if input_report is not None else make_report(0, {})
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
        kind = as_choice(kind, "kind", ("classic", "rolling", "revenue", "survival"))
        return from_arrow(self._native.cohorts(kind, as_bool(shares, "shares")), self._kind)

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

    Every row before ``as_of`` counts in the revenue of its own period: the
    periods start at the first row's period when a return precedes the first
    purchase, and a customer's rows dated before his cohort period are in
    ``cohort_sizes.revenue_before``, not in a cohort cell. The analysis spans
    at most 2,000 periods (the cohort tables grow with the square of the
    number of periods); more raises :class:`InvalidParameterError` naming
    ``period`` before anything is allocated. The result's ``input_report``
    counts the rows left out (``after_as_of``); a
    :class:`RowsLeftOutWarning` is issued only for reasons not asked for.
    """
    customer = as_str(customer, "customer")
    timestamp = as_str(timestamp, "timestamp")
    amount = as_str(amount, "amount")
    period = as_str(period, "period")
    week_start = as_str(week_start, "week_start")
    churn_after = as_int(churn_after, "churn_after", 1, _MAX_U32)
    timezone = _opt_str(timezone, "timezone")
    as_of_text = iso_date(as_of)
    columns = {"customer": customer, "timestamp": timestamp, "amount": amount}
    native = _native.retention(
        to_arrow(transactions, columns),
        customer=customer,
        timestamp=timestamp,
        amount=amount,
        period=period,
        week_start=week_start,
        as_of=as_of_text,
        origin=iso_date(origin, "origin"),
        churn_after=churn_after,
        timezone=timezone,
    )
    rows_read, after_as_of, without_purchase = native.input_report()
    report = make_report(rows_read, {"after_as_of": after_as_of}, customers_without_purchase=without_purchase)
    # Rows after the default as_of cannot exist; after an explicit one they
    # were asked for.
    warn_left_out(report, "retention", expected=("after_as_of",))
    return RetentionResult(native, _out_kind(transactions), report)


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
        churned (null for customers with no purchase before ``as_of``). The
        input report (rows read, used, left out: ``after_as_of``,
        ``not_a_purchase`` for returns and zero rows, which never count by
        definition) is in ``df.attrs["input_report"]`` (pandas) or the schema
        metadata ``b"ciblage.input_report"`` (pyarrow).
    """
    customer = as_str(customer, "customer")
    timestamp = as_str(timestamp, "timestamp")
    amount = as_str(amount, "amount")
    rule = as_choice(rule, "rule", ("days", "median_gap"))
    days = as_int(days, "days", 0, _MAX_U32)
    fallback_days = as_int(fallback_days, "fallback_days", 0, _MAX_U32)
    multiple = as_float(multiple, "multiple", 0.0, low_open=True)
    timezone = _opt_str(timezone, "timezone")
    columns = {"customer": customer, "timestamp": timestamp, "amount": amount}
    table, (rows_read, after_as_of, not_purchases) = _native.churn_flags(
        to_arrow(transactions, columns),
        customer=customer,
        timestamp=timestamp,
        amount=amount,
        rule=rule,
        days=days,
        multiple=multiple,
        fallback_days=fallback_days,
        as_of=iso_date(as_of),
        timezone=timezone,
    )
    report = make_report(rows_read, {"after_as_of": after_as_of, "not_a_purchase": not_purchases})
    warn_left_out(report, "churn_flags", expected=("after_as_of", "not_a_purchase"))
    return attach_report(from_arrow(table, _out_kind(transactions)), report)


class Migration:
    """Transition matrix between two labellings of the same customers.

    Attributes:
        counts: rows = label before, columns = label after, customer counts.
        shares: the same divided by each row's total (null for empty rows).
        labels: labels in matrix order.
        input_report: rows read from ``before`` and ``after`` (all used), and
            the customers in both, only before, only after.
    """

    def __init__(self, counts: Any, shares: Any, labels: list[str], input_report: dict[str, Any] | None = None) -> None:
        self.counts = counts
        self.shares = shares
        self.labels = labels
        self.input_report: dict[str, Any] = input_report if input_report is not None else make_report(0, {})


def _labels(data: Any, customer: str, segment: str, argument: str) -> tuple[pa.Table, Any, list[str]]:
    """The ids (normalised, checked: no null, no duplicate) and the labels
    (no null, as strings) of one side, the original id column, and the
    label order of a categorical column."""
    table = pa.table(to_arrow(data, {"customer": customer, "segment": segment}, argument=argument))
    where = f"{argument} column {customer!r}"
    original = table.column(customer)
    ids = _ids.normalize(original, where)
    _ids.refuse_nulls(ids, where)
    _ids.refuse_duplicates(ids, where)
    labels = table.column(segment)
    missing = pc.is_null(labels)
    if pa.types.is_floating(labels.type):
        missing = pc.or_(missing, pc.is_nan(labels))
    n_missing = pc.sum(missing).as_py() or 0
    if n_missing:
        row = pc.index(missing, True).as_py()
        raise InvalidInputError(
            f"{argument} column {segment!r}: null segment label at row {row} (customer "
            f"{ids[row].as_py()!r}; {n_missing:,} in all); label every customer, or leave the "
            "customer out of the table to have him reported as absent"
        )
    order: list[str] = []
    if pa.types.is_dictionary(labels.type):
        if labels.num_chunks:
            order = [str(v) for v in labels.chunk(0).dictionary.to_pylist()]
        labels = pa.chunked_array([c.dictionary.cast(pa.large_string()).take(c.indices) for c in labels.chunks],
                                  type=pa.large_string())
    else:
        labels = labels.cast(pa.large_string())
    return pa.table({customer: ids, segment: labels}), original, order


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

    Each table has one row per customer: a repeated or null id, or a null
    label, raises :class:`InvalidInputError` naming the argument; integer
    ids cannot match string ids (:class:`ColumnTypeError`); ``absent`` must
    not be one of the labels (:class:`InvalidParameterError`).
    """
    customer = as_str(customer, "customer")
    segment = as_str(segment, "segment")
    absent = as_str(absent, "absent")
    left, left_ids, left_order = _labels(before, customer, segment, "before")
    right, right_ids, right_order = _labels(after, customer, segment, "after")
    _ids.check_same_kind(left_ids, f"before column {customer!r}", right_ids, f"after column {customer!r}")
    order = left_order + right_order
    left = left.rename_columns([customer, "before"])
    right = right.rename_columns([customer, "after"])
    for side, t in (("before", left), ("after", right)):
        if pc.any(pc.equal(t.column(side), absent)).as_py():
            raise InvalidParameterError(
                f"invalid parameter absent: {absent!r} is a segment label of {side}; choose another "
                "label for customers missing from one side"
            )
    joined = left.join(right, keys=customer, join_type="full outer", coalesce_keys=True)

    def labels_of(name: str) -> list[str]:
        return [absent if v is None else v for v in joined.column(name).to_pylist()]

    before_labels, after_labels = labels_of("before"), labels_of("after")
    names, counts = _native.migration(before_labels, after_labels, order)
    k = len(names)
    rows = [counts[i * k:(i + 1) * k] for i in range(k)]
    count_cols: dict[str, Any] = {"before": names}
    share_cols: dict[str, Any] = {"before": names}
    for j, name in enumerate(names):
        count_cols[name] = [r[j] for r in rows]
        share_cols[name] = [r[j] / sum(r) if sum(r) else None for r in rows]
    only_before = pc.sum(pc.is_null(joined.column("after"))).as_py() or 0
    only_after = pc.sum(pc.is_null(joined.column("before"))).as_py() or 0
    report = make_report(
        left.num_rows + right.num_rows,
        {},
        customers=joined.num_rows,
        in_both=joined.num_rows - only_before - only_after,
        only_before=only_before,
        only_after=only_after,
    )
    kind = _out_kind(before)
    counts_t = attach_report(from_arrow(pa.table(count_cols), kind), report)
    shares_t = attach_report(from_arrow(pa.table(share_cols), kind), report)
    return Migration(counts_t, shares_t, list(names), report)
