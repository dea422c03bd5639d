"""RFM/RFA scoring from transactions."""

from __future__ import annotations

import datetime as _dt
import os
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, overload

from . import _native, _stream
from ._params import Param, as_float, as_str, convert
from ._progress import reporter
from ._report import make_report, warn_left_out
from ._tables import (
    as_timezone,
    attach_report,
    column_arg,
    float_list,
    from_arrow,
    html_summary,
    iso_date,
    opt_column_arg,
    read_text,
    table_kind,
    to_arrow,
)
from ._typing import Table
from .exceptions import DegenerateCriterionWarning, InvalidParameterError, SegmentTableError

if TYPE_CHECKING:
    import pandas
    import polars
    import pyarrow

    from .plot._display import Display

SegmentTable = _native.SegmentTable

__all__ = ["rfm", "rfm_analysis", "RfmResult", "SegmentTable"]

# Score classes per criterion; the native check has the same range
# (tests/test_params_table.py).
BINS = Param("bins", "int", 5, "classes per criterion", low=2, high=9, native="bins", native_checks=("low", "high"))


def _segment_table(segments: Any) -> Any:
    if segments is None or isinstance(segments, SegmentTable):
        return segments
    if isinstance(segments, (str, os.PathLike)):
        path = os.fspath(segments)
        if not path.lower().endswith((".toml", ".json")):
            raise InvalidParameterError(f"invalid parameter segments: expected a .json or .toml file, got {path!r}")
        text = read_text(path, "segments", SegmentTableError)
        try:
            if path.lower().endswith(".toml"):
                return SegmentTable.from_toml(text)
            return SegmentTable.from_json(text)
        except SegmentTableError as e:
            raise SegmentTableError(f"segments: file {path!r}: {e}") from e
    if isinstance(segments, Mapping):
        import json

        def numpy_scalars(value: Any) -> Any:
            # Scores and names built with numpy (np.int64(5), arrays of two
            # scores) are read as the Python values they hold.
            import numpy as np

            if isinstance(value, (np.integer, np.floating, np.str_, np.bool_)):
                return value.item()
            if isinstance(value, np.ndarray):
                return value.tolist()
            raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")

        try:
            text = json.dumps(segments, default=numpy_scalars)
        except (TypeError, ValueError) as e:
            raise SegmentTableError(f"segments: the dict cannot be read as a segment table: {e}") from e
        return SegmentTable.from_json(text)
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
        input_report: ``rows_read``, ``rows_used``, ``left_out`` by reason
            (``after_as_of``, ``negative_amount`` under
            ``negative_amounts="exclude"``), and the raw counts ``rows``,
            ``rows_after_as_of``, ``negative_rows``,
            ``negative_rows_excluded``, ``customers_without_rows``. The
            ``customers`` table carries it too (pandas ``attrs``, pyarrow
            schema metadata ``ciblage.input_report``).
        as_of: the reference date.
        timezone: the zone whose midnights are the day boundaries.

    Example:
        >>> import ciblage
        >>> tx = ciblage.datasets.transactions(customers=100, transactions=1_000)
        >>> result = ciblage.rfm_analysis(tx)
        >>> len(result), result.segments.num_rows > 0
        (100, True)
    """

    def __init__(self, native: Any, kind: str) -> None:
        self._native = native
        self._kind = kind
        try:
            self.as_of = _dt.date.fromisoformat(native.as_of)
        except ValueError as e:
            # The default reference date is the day after the last
            # transaction: after a transaction on 9999-12-31 (or outside
            # years 1 to 9999) there is no Python date for it.
            raise InvalidParameterError(
                f"invalid parameter as_of: the default reference date {native.as_of} (the day after the last "
                "transaction) is outside the dates Python represents (0001-01-01 to 9999-12-31); pass as_of "
                "explicitly"
            ) from e
        raw = native.input_report()
        self.input_report: dict[str, Any] = make_report(
            raw["rows"],
            {"after_as_of": raw["rows_after_as_of"], "negative_amount": raw["negative_rows_excluded"]},
            **raw,
        )
        self.customers: Table = attach_report(from_arrow(native.customers(), kind), self.input_report)
        self.segments: Table = from_arrow(native.segments(), kind)
        self.thresholds: Table = from_arrow(native.thresholds(), kind)
        self.criteria: list[dict[str, Any]] = native.criteria()
        self.timezone: str = native.timezone
        self._len = len(native)

    def __getstate__(self) -> dict[str, Any]:
        # The tables hold everything; the native result is not kept (it
        # has no pickled form and is only needed to build them).
        state = dict(self.__dict__)
        state.pop("_native", None)
        return state

    @property
    def degenerate(self) -> list[str]:
        """Names of the criteria with little discriminating power."""
        return [c["criterion"] for c in self.criteria if c["degenerate"]]

    def __len__(self) -> int:
        return self._len

    def __repr__(self) -> str:
        return f"RfmResult({len(self)} customers, as_of={self.as_of.isoformat()})"

    def _repr_html_(self) -> str:
        figures = {
            "customers": len(self),
            "as of": self.as_of.isoformat(),
            "time zone": self.timezone,
            "rows read": self.input_report["rows_read"],
            "rows used": self.input_report["rows_used"],
        }
        if self.degenerate:
            figures["degenerate criteria"] = ", ".join(self.degenerate)
        return html_summary(repr(self), self.segments, figures=figures, rows=20)

    def plot(self, kind: str = "heatmap", ax: Any = None, **kwargs: Any) -> Display:
        """Draws a chart of this result with matplotlib (the ``ciblage[plot]``
        extra) and returns its Display (see :mod:`ciblage.plot`).

        Args:
            kind: ``"heatmap"`` (R × F mean monetary with counts,
                :class:`~ciblage.plot.RfmHeatmapDisplay`; ``value=`` picks
                the column averaged), ``"segments"`` (segment sizes and
                revenue shares, :class:`~ciblage.plot.RfmSegmentsDisplay`)
                or ``"scores"`` (score histograms,
                :class:`~ciblage.plot.RfmScoresDisplay`).
            ax: matplotlib Axes to draw on (default: a new figure).
            **kwargs: options of the chart, then matplotlib keyword
                arguments, ``title``, ``xlabel``, ``ylabel``, ``figsize``.

        Raises:
            InvalidParameterError: an unknown ``kind``.
            ImportError: matplotlib is not installed.
        """
        from .plot._rfm import plot_result

        return plot_result(self, kind, ax, kwargs)


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
    progress: Any = False,
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
        timezone: IANA zone of day boundaries (a name, or a ``tzinfo`` such
            as ``zoneinfo.ZoneInfo``); default the column's zone, or the
            wall clock for naive timestamps.
        progress: ``True`` for a progress bar (tqdm when installed, else a
            line on stderr), or a callable receiving ``(done, total)``
            (rows read, then the scoring); default ``False``.

    Returns:
        An :class:`RfmResult` whose tables are of the caller's library. A
        :class:`~ciblage.exceptions.RowsLeftOutWarning` is issued if rows
        were left out for a reason not asked for by a parameter.

    Raises:
        InvalidInputError: empty table, nulls, NaN/inf amounts, negative
            amounts under ``"reject"``, nothing left to score.
        InvalidParameterError: a parameter outside its domain.
        ColumnNotFoundError, ColumnTypeError: a missing or ill-typed column.

    Example:
        >>> import ciblage
        >>> tx = ciblage.datasets.transactions(customers=200, transactions=2_000, library="pandas")
        >>> result = ciblage.rfm_analysis(tx, bins=4)
        >>> result
        RfmResult(200 customers, as_of=2024-01-01)
        >>> int(result.customers["r_score"].max()), result.input_report["rows_used"]
        (4, 2000)
    """
    return _analyse(transactions, locals(), stacklevel=4)


def stream_args(args: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, Any]]:
    """The used columns (``{argument: column}``) and the parameters of
    ``_native.rfm_stream`` (and ``rfm_scores``), checked and converted, from
    the arguments of :func:`rfm`; shared by the engine adapters."""
    customer = column_arg(args["customer"], "customer")
    timestamp = column_arg(args["timestamp"], "timestamp")
    amount = column_arg(args["amount"], "amount")
    cost = opt_column_arg(args["cost"], "cost")
    columns = {"customer": customer, "timestamp": timestamp, "amount": amount}
    if cost is not None:
        columns["cost"] = cost
    # Parameters first (cheap), then the table.
    as_of = iso_date(args["as_of"])
    params = dict(
        as_of=as_of,
        bins=convert(BINS, args["bins"]),
        method=as_str(args["method"], "method"),
        recency_cuts=float_list(args["recency_cuts"], "recency_cuts"),
        frequency_cuts=float_list(args["frequency_cuts"], "frequency_cuts"),
        monetary_cuts=float_list(args["monetary_cuts"], "monetary_cuts"),
        frequency=as_str(args["frequency"], "frequency"),
        monetary=as_str(args["monetary"], "monetary"),
        variant=as_str(args["variant"], "variant"),
        weights=_weights(args["weights"]),
        negative_amounts=as_str(args["negative_amounts"], "negative_amounts"),
        segments=_segment_table(args["segments"]),
        timezone=as_timezone(args["timezone"]),
    )
    return columns, params


def expected_left_out(params: Mapping[str, Any]) -> list[str]:
    """The reasons rows are left out because a parameter asked for it."""
    expected = ["negative_amount"] if params["negative_amounts"] == "exclude" else []
    if params["as_of"] is not None:
        expected.append("after_as_of")
    return expected


def _analyse(transactions: Any, args: dict[str, Any], stacklevel: int) -> RfmResult:
    columns, params = stream_args(args)
    customer, timestamp, amount = columns["customer"], columns["timestamp"], columns["amount"]
    cost = columns.get("cost")
    if _stream.is_stream(transactions):
        kind = _stream.stream_kind(transactions)
        stream = _native.rfm_stream(customer=customer, timestamp=timestamp, amount=amount, cost=cost, **params)
        _stream.absorb(stream, transactions, columns, args.get("progress", False), "rfm")
        native = stream.rfm()
    else:
        kind = table_kind(transactions)
        table = to_arrow(transactions, columns)
        report = reporter(args.get("progress", False), "rfm")
        native = _native.rfm_scores(
            table, customer=customer, timestamp=timestamp, amount=amount, cost=cost, progress=report, **params
        )
    result = RfmResult(native, kind)
    warn_left_out(result.input_report, "rfm", expected_left_out(params), stacklevel=stacklevel)
    return result


def _weights(weights: Any) -> tuple[float, float, float]:
    bad = InvalidParameterError(f"invalid parameter weights: expected three numbers (R, F, M), got {weights!r}")
    if isinstance(weights, (str, bytes)):
        raise bad
    try:
        items = list(weights)
    except TypeError as e:
        raise bad from e
    if len(items) != 3:
        raise bad
    r, f, m = (as_float(w, "weights") for w in items)
    return (r, f, m)


@overload
def rfm(
    transactions: polars.DataFrame | polars.LazyFrame,
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
    progress: Any = False,
) -> polars.DataFrame: ...


@overload
def rfm(
    transactions: pandas.DataFrame,
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
    progress: Any = False,
) -> pandas.DataFrame: ...


@overload
def rfm(  # type: ignore[overload-cannot-match]
    transactions: object,
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
    progress: Any = False,
) -> pyarrow.Table: ...


def rfm(
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
    progress: Any = False,
) -> Table:
    """Per-customer RFM table: :func:`rfm_analysis`'s ``customers`` (see it
    for the arguments, which are the same with the same defaults).

    Emits a :class:`DegenerateCriterionWarning` for each criterion whose
    scores collapse to one or two classes. The input report (rows read,
    used and left out) is attached to the table: ``df.attrs["input_report"]``
    for pandas, schema metadata ``b"ciblage.input_report"`` (JSON) for
    pyarrow; polars frames carry no metadata, use
    ``rfm_analysis(...).input_report`` there.

    Example:
        >>> import ciblage
        >>> tx = ciblage.datasets.transactions(customers=200, transactions=2_000)
        >>> table = ciblage.rfm(tx, bins=4)
        >>> table.num_rows
        200
    """
    args = dict(locals())
    del args["transactions"]
    result = _analyse(transactions, args, stacklevel=4)
    for c in result.criteria:
        if c["degenerate"]:
            warnings.warn(c["warning"], DegenerateCriterionWarning, stacklevel=2)
    return result.customers
