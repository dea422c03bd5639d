"""Activity per period, retention, cohorts, survival and churn flags
(migration between segments: :mod:`ciblage._migration`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, overload

from . import _native, _stream
from ._params import Param, as_bool, as_choice, as_str, convert
from ._progress import reporter
from ._report import make_report, warn_left_out
from ._tables import as_timezone, attach_report, from_arrow, html_summary, iso_date, table_kind, to_arrow
from ._typing import Table
from .exceptions import InvalidParameterError

if TYPE_CHECKING:
    import pandas
    import polars
    import pyarrow

    from .plot._display import Display

#: Largest count parameter (days, periods) the native layer takes.
_MAX_U32 = 2**32 - 1

# Ranges of the churn parameters. The native checks share the lower
# bounds of churn_after and multiple; the upper bounds are the native
# integer type's (tests/test_params_table.py).
CHURN_AFTER = Param(
    "churn_after",
    "int",
    3,
    "periods without a purchase after which a customer has churned",
    low=1,
    high=_MAX_U32,
    native="churn_after",
    native_checks=("low",),
)
DAYS = Param("days", "int", 365, "days without a purchase (rule days)", low=0, high=_MAX_U32, native="days")
FALLBACK_DAYS = Param(
    "fallback_days",
    "int",
    365,
    "days of the customers with one purchase (rule median_gap)",
    low=0,
    high=_MAX_U32,
    native="fallback_days",
)
MULTIPLE = Param(
    "multiple",
    "float",
    3.0,
    "multiple of the median gap (rule median_gap)",
    low=0.0,
    low_open=True,
    native="multiple",
    native_checks=("low",),
)

__all__ = ["retention", "RetentionResult", "churn_flags"]


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
        input_report: rows read, used and left out (``after_as_of``: rows on
            or after ``as_of``), and ``customers_without_purchase`` (their
            rows count in the period revenue, in no cohort).

    Example:
        >>> import ciblage
        >>> tx = ciblage.datasets.transactions(customers=100, transactions=1_000, library="pandas")
        >>> ciblage.retention(tx).cohorts("classic").shape[0] > 0
        True
    """

    def __init__(self, native: Any, kind: str, input_report: dict[str, Any] | None = None) -> None:
        self._native = native
        self._kind = kind
        self.input_report: dict[str, Any] = input_report if input_report is not None else make_report(0, {})
        self.periods: Table = from_arrow(native.periods(), kind)
        self.cohort_sizes: Table = from_arrow(native.cohort_sizes(), kind)
        self.survival: Table = from_arrow(native.survival(), kind)

    def cohorts(self, kind: str = "classic", *, shares: bool | None = None) -> Table:
        """Cohort matrix, one row per acquisition cohort, one column per
        period since acquisition (``"0"``, ``"1"``, …); unobserved cells are
        null (right-censoring), never zero.

        Args:
            kind: ``"classic"`` (active in cohort + k), ``"rolling"`` (active
                in cohort + k or later), ``"revenue"`` (revenue in cohort + k)
                or ``"survival"`` (Kaplan–Meier, columns ``"1"``, ``"2"``, …).
            shares: divide by the cohort size (revenue: by the cohort's
                first-period revenue); ``False`` gives counts and amounts.
                Default ``True``; survival is a share already, so ``shares``
                given with ``kind="survival"`` raises
                :class:`InvalidParameterError` rather than being ignored.
        """
        kind = as_choice(kind, "kind", ("classic", "rolling", "revenue", "survival"))
        if shares is not None and kind == "survival":
            raise InvalidParameterError(
                f"invalid parameter shares: survival curves are shares already; shares={shares!r} does not "
                "apply to kind='survival' (leave it out)"
            )
        flag = True if shares is None else as_bool(shares, "shares")
        return from_arrow(self._native.cohorts(kind, flag), self._kind)

    def __repr__(self) -> str:
        return f"RetentionResult(periods={len(self.periods)}, cohorts={len(self.cohort_sizes)})"

    def _repr_html_(self) -> str:
        return html_summary(
            repr(self),
            figures={
                "rows read": self.input_report.get("rows_read", 0),
                "rows used": self.input_report.get("rows_used", 0),
            },
            tables={"periods": self.periods, "cohort sizes": self.cohort_sizes},
        )

    def plot(self, kind: str = "retention", ax: Any = None, **kwargs: Any) -> Display:
        """Draws a chart of this result with matplotlib (the ``ciblage[plot]``
        extra) and returns its Display (see :mod:`ciblage.plot`).

        Args:
            kind: ``"retention"`` (retention and attrition by period,
                :class:`~ciblage.plot.RetentionDisplay`), ``"classic"``,
                ``"rolling"`` or ``"revenue"`` (cohort heatmaps, censored
                cells hatched, :class:`~ciblage.plot.CohortHeatmapDisplay`;
                ``shares=False`` for counts and amounts) or ``"survival"``
                (survival per cohort and pooled,
                :class:`~ciblage.plot.SurvivalDisplay`).
            ax: matplotlib Axes to draw on (default: a new figure).
            **kwargs: options of the chart, then matplotlib keyword
                arguments, ``title``, ``xlabel``, ``ylabel``, ``figsize``.

        Raises:
            InvalidParameterError: an unknown ``kind``.
            ImportError: matplotlib is not installed.
        """
        from .plot._churn import plot_retention

        return plot_retention(self, kind, ax, kwargs)


def retention(
    transactions: Any,
    *,
    customer: str = "customer_id",
    timestamp: str = "timestamp",
    amount: str = "amount",
    period: str = "month",
    week_start: str | None = None,
    as_of: Any = None,
    origin: Any = None,
    churn_after: int = 3,
    timezone: Any = None,
    progress: Any = False,
) -> RetentionResult:
    """Active customers per period, retention and attrition, acquisition
    cohorts and survival from raw transactions.

    A customer is active in a period when he made a purchase (a row with a
    positive amount) in it; returns count in revenue, not in activity.

    Args:
        period: ``"day"``, ``"week"`` (starting on ``week_start``, default
            ``"monday"``), ``"month"``, ``"quarter"``, ``"year"`` or blocks of
            days (``"30d"``, counted from ``origin``, default the first
            purchase). ``week_start`` with another period than ``"week"``,
            and ``origin`` with another period than blocks of days, raise
            :class:`InvalidParameterError` (they would be ignored).
        as_of: rows on or after this date are left out; the last period is
            the one holding the day before (default: the day after the last
            transaction).
        churn_after: whole periods without purchase, before the end, after
            which a customer counts as churned in the survival curves.
        timezone: IANA zone of day boundaries, a name or a ``tzinfo``
            (default: the column's zone).
        progress: ``True`` for a progress bar, or a callable receiving
            ``(done, total)`` (the passes over the rows); default ``False``.

    Every row before ``as_of`` counts in the revenue of its own period: the
    periods start at the first row's period when a return precedes the first
    purchase, and a customer's rows dated before his cohort period are in
    ``cohort_sizes.revenue_before``, not in a cohort cell. The analysis spans
    at most 2,000 periods (the cohort tables grow with the square of the
    number of periods); more raises :class:`InvalidParameterError` naming
    ``period`` before anything is allocated. The result's ``input_report``
    counts the rows left out (``after_as_of``); a
    :class:`RowsLeftOutWarning` is issued only for reasons not asked for.

    Example:
        >>> import ciblage
        >>> tx = ciblage.datasets.transactions(customers=200, transactions=2_000, library="pandas")
        >>> result = ciblage.retention(tx, period="quarter")
        >>> result
        RetentionResult(periods=8, cohorts=8)
        >>> int(result.cohort_sizes["size"].sum())
        200
    """
    args = dict(locals())
    customer = as_str(customer, "customer")
    timestamp = as_str(timestamp, "timestamp")
    amount = as_str(amount, "amount")
    period = as_str(period, "period")
    if week_start is not None and period != "week":
        as_str(week_start, "week_start")
        raise InvalidParameterError(
            f"invalid parameter week_start: only weekly periods start on a weekday; week_start={week_start!r} "
            f"does not apply to period={period!r}"
        )
    week_start = "monday" if week_start is None else as_str(week_start, "week_start")
    churn_after = convert(CHURN_AFTER, churn_after)
    timezone = as_timezone(timezone)
    as_of_text = iso_date(as_of)
    if _stream.is_stream(transactions):
        # Gathered into one table while small, past that batch by batch
        # into per-(customer, period) states (see ciblage._stream_days).
        from ._stream_days import stream_call

        del args["transactions"]
        return stream_call(
            "retention", transactions, args, progress, lambda table: retention(table, **{**args, "progress": None})
        )
    columns = {"customer": customer, "timestamp": timestamp, "amount": amount}
    native = _native.retention(
        to_arrow(transactions, columns, argument="transactions"),
        customer=customer,
        timestamp=timestamp,
        amount=amount,
        period=period,
        week_start=week_start,
        as_of=as_of_text,
        origin=iso_date(origin, "origin"),
        churn_after=churn_after,
        timezone=timezone,
        progress=reporter(progress, "retention"),
    )
    rows_read, after_as_of, without_purchase = native.input_report()
    report = make_report(rows_read, {"after_as_of": after_as_of}, customers_without_purchase=without_purchase)
    # Rows after the default as_of cannot exist; after an explicit one they
    # were asked for.
    warn_left_out(report, "retention", expected=("after_as_of",))
    return RetentionResult(native, _out_kind(transactions), report)


@overload
def churn_flags(
    transactions: polars.DataFrame | polars.LazyFrame,
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
) -> polars.DataFrame: ...


@overload
def churn_flags(
    transactions: pandas.DataFrame,
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
) -> pandas.DataFrame: ...


@overload
def churn_flags(  # type: ignore[overload-cannot-match]
    transactions: object,
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
) -> pyarrow.Table: ...


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
) -> Table:
    """Churn flag per customer by inactivity, ordered by customer id.

    Args:
        rule: ``"days"``: churned after more than ``days`` (default 365)
            days without purchase; ``"median_gap"``: after more than
            ``multiple`` (default 3.0) × the customer's median gap between
            distinct purchase days (``fallback_days``, default 365, for
            customers with a single purchase day). A parameter of the other
            rule (``days`` with ``"median_gap"``, ``multiple`` or
            ``fallback_days`` with ``"days"``) raises
            :class:`InvalidParameterError`: it would be ignored.

    Returns:
        customer_id, days_since_last, median_gap_days, threshold_days,
        churned (null for customers with no purchase before ``as_of``). The
        input report (rows read, used, left out: ``after_as_of``,
        ``not_a_purchase`` for returns and zero rows, which never count by
        definition) is in ``df.attrs["input_report"]`` (pandas) or the schema
        metadata ``b"ciblage.input_report"`` (pyarrow).

    Example:
        >>> import ciblage
        >>> tx = ciblage.datasets.transactions(customers=200, transactions=2_000, library="pandas")
        >>> flags = ciblage.churn_flags(tx, days=180)
        >>> list(flags.columns)
        ['customer_id', 'days_since_last', 'median_gap_days', 'threshold_days', 'churned']
        >>> bool((flags["churned"] == (flags["days_since_last"] > 180)).all())
        True
    """
    customer = as_str(customer, "customer")
    timestamp = as_str(timestamp, "timestamp")
    amount = as_str(amount, "amount")
    rule = as_choice(rule, "rule", ("days", "median_gap"))
    unused = ("multiple", "fallback_days") if rule == "days" else ("days",)
    given = {"days": days, "multiple": multiple, "fallback_days": fallback_days}
    for name in unused:
        if given[name] is not None:
            raise InvalidParameterError(
                f"invalid parameter {name}: {name}={given[name]!r} does not apply to rule={rule!r} "
                "(days goes with rule='days'; multiple and fallback_days with rule='median_gap')"
            )
    days = convert(DAYS, 365 if days is None else days)
    fallback_days = convert(FALLBACK_DAYS, 365 if fallback_days is None else fallback_days)
    multiple = convert(MULTIPLE, 3.0 if multiple is None else multiple)
    timezone = as_timezone(timezone)
    columns = {"customer": customer, "timestamp": timestamp, "amount": amount}
    table, (rows_read, after_as_of, not_purchases) = _native.churn_flags(
        to_arrow(transactions, columns, argument="transactions"),
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
