"""``ciblage.clv.evaluate_holdout``: how well a purchase model fitted on a
calibration period predicts the holdout period (re-exported by
:mod:`ciblage.clv`). The tables are the data behind ``lifetimes``'
diagnostic plots (calibration vs holdout purchases, cumulative and
incremental tracking)."""

from __future__ import annotations

import html
import math
from typing import Any

from . import _native
from ._clv_summary import _report, _summary_args
from ._params import as_choice, as_int
from ._tables import from_arrow, iso_date, table_kind, to_arrow
from .exceptions import InvalidParameterError

_METRICS = ("customers", "mae", "rmse", "correlation", "actual_total", "expected_total", "aggregate_error_pct")
_OUTPUT = (*_METRICS, "duration_holdout")


class HoldoutEvaluation:
    """The result of :func:`evaluate_holdout`.

    Attributes:
        customers: the calibration/holdout summary with ``expected_holdout``
            (the model's expected purchases over the holdout duration).
        by_frequency: per calibration frequency (``label`` ``"0"`` …
            ``"6+"``): ``customers``, mean ``actual`` and mean ``expected``
            holdout purchases.
        tracking: per period from the cohort's first purchase: ``period``,
            ``start`` (first day), ``holdout``, ``actual`` and ``expected``
            repeat purchases, ``cumulative_actual``, ``cumulative_expected``.
        metrics: ``customers``, ``mae``, ``rmse``, ``correlation`` (Pearson,
            NaN when either side is constant), ``actual_total``,
            ``expected_total``, ``aggregate_error_pct`` (100 · (expected −
            actual) / actual, NaN without an actual purchase).
        input_report: what was read and left out (as :func:`summary`).

    Example:
        >>> import ciblage
        >>> cd = ciblage.datasets.cdnow(library="pandas")
        >>> cal = ciblage.clv.summary(cd, freq="W", observation_end="1997-09-30")
        >>> ev = ciblage.clv.evaluate_holdout(
        ...     ciblage.clv.BgNbd().fit(cal), cd, calibration_end="1997-09-30", observation_end="1998-06-30", freq="W"
        ... )
        >>> list(ev.by_frequency["label"])[-1], sorted(ev.metrics)[:3]
        ('6+', ['actual_total', 'aggregate_error_pct', 'correlation'])
    """

    def __init__(self, customers: Any, by_frequency: Any, tracking: Any, metrics: dict[str, float], report: Any):
        self.customers = customers
        self.by_frequency = by_frequency
        self.tracking = tracking
        self.metrics = metrics
        self.input_report = report

    def __repr__(self) -> str:
        m = self.metrics
        return (
            f"HoldoutEvaluation(customers={m['customers']}, mae={m['mae']:.4g}, rmse={m['rmse']:.4g}, "
            f"correlation={m['correlation']:.4g}, aggregate_error_pct={m['aggregate_error_pct']:.4g})"
        )

    def _repr_html_(self) -> str:
        def fmt(v: Any) -> str:
            return f"{v:,}" if isinstance(v, int) else ("NaN" if math.isnan(v) else f"{v:.4g}")

        rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{fmt(v)}</td></tr>" for k, v in self.metrics.items())
        by = _rows(self.by_frequency)
        bins = "".join(
            f"<tr><td>{html.escape(str(r['label']))}</td><td>{r['customers']:,}</td>"
            f"<td>{r['actual']:.3f}</td><td>{r['expected']:.3f}</td></tr>"
            for r in by
        )
        r = self.input_report
        return (
            "<div><strong>CLV holdout evaluation</strong>"
            f"<p>{r['rows_read']:,} rows read, {r['rows_used']:,} used; "
            f"holdout duration {html.escape(str(r.get('duration_holdout')))} periods</p>"
            f"<table>{rows}</table>"
            "<table><tr><th>calibration frequency</th><th>customers</th><th>actual</th><th>expected</th></tr>"
            f"{bins}</table></div>"
        )

    def plot(self, kind: str = "calibration", ax: Any = None, **kwargs: Any) -> Any:
        """Draws a chart of this evaluation with matplotlib (the
        ``ciblage[plot]`` extra) and returns its Display.

        Args:
            kind: ``"calibration"`` (mean holdout purchases, actual against
                predicted, by calibration frequency:
                :class:`~ciblage.plot.CalibrationHoldoutDisplay`),
                ``"tracking"`` (cumulative repeat purchases per period) or
                ``"incremental"`` (per period), both
                :class:`~ciblage.plot.TrackingDisplay` with the end of the
                calibration period marked.
            ax: matplotlib Axes to draw on (default: a new figure).
            **kwargs: matplotlib keyword arguments, ``title``, ``figsize``.

        Raises:
            InvalidParameterError: an unknown ``kind``.
        """
        from .plot._clv import CalibrationHoldoutDisplay, TrackingDisplay

        kind = as_choice(kind, "kind", ("calibration", "tracking", "incremental"))
        if kind == "calibration":
            return CalibrationHoldoutDisplay.from_result(self).plot(ax=ax, **kwargs)
        return TrackingDisplay.from_result(self, cumulative=kind == "tracking").plot(ax=ax, **kwargs)


def _rows(table: Any) -> list[dict[str, Any]]:
    """The rows of a pandas/polars/pyarrow table as dicts."""
    if hasattr(table, "to_dict") and hasattr(table, "iloc"):
        return list(table.to_dict("records"))
    if hasattr(table, "to_dicts"):
        return list(table.to_dicts())
    return list(table.to_pylist())


def evaluate_holdout(
    model: Any,
    transactions: Any,
    *,
    calibration_end: Any,
    customer: str = "customer_id",
    timestamp: str = "timestamp",
    amount: str = "amount",
    cost: str | None = None,
    freq: Any = "D",
    observation_end: Any = None,
    negative_amounts: str = "keep",
    timezone: Any = None,
    max_frequency: int = 6,
) -> HoldoutEvaluation:
    """Evaluates a purchase model (:class:`BgNbd`, :class:`ParetoNbd`, fitted
    on the calibration summary of the same transactions and ``freq``) on
    the holdout period, from the raw transactions.

    The summary is rebuilt as :func:`summary` with ``calibration_end``;
    the cohort is its customers (first purchase up to ``calibration_end``).

    Args:
        model: a fitted purchase model.
        transactions: the same transaction table the calibration summary
            came from (pandas, polars or pyarrow).
        calibration_end: end of the calibration period (required).
        max_frequency: calibration frequency of the last bin of
            ``by_frequency``, which holds it and every larger one
            (default 6: bins 0 … 5 and "6+", ``lifetimes``' 7 bins).
        customer, timestamp, amount, cost, freq, observation_end,
        negative_amounts, timezone: as :func:`summary`.

    Returns:
        A :class:`HoldoutEvaluation` whose tables come in the caller's
        library (pandas, polars, else pyarrow).

    Example:
        >>> import ciblage
        >>> cd = ciblage.datasets.cdnow(library="pandas")
        >>> cal = ciblage.clv.summary(cd, freq="W", observation_end="1997-09-30")
        >>> ev = ciblage.clv.evaluate_holdout(
        ...     ciblage.clv.BgNbd().fit(cal), cd, calibration_end="1997-09-30", observation_end="1998-06-30", freq="W"
        ... )
        >>> list(ev.by_frequency["label"])[-1], sorted(ev.metrics)[:3]
        ('6+', ['actual_total', 'aggregate_error_pct', 'correlation'])
    """
    native_model = getattr(model, "_fitted", None)
    fitted = native_model() if callable(native_model) and hasattr(model, "_kind") else None
    if not isinstance(fitted, _native.ClvModel):
        raise InvalidParameterError(
            f"invalid parameter model: expected a fitted BgNbd, MbgNbd or ParetoNbd, got {type(model).__name__}"
        )
    columns, native = _summary_args(locals())
    cal = iso_date(calibration_end, "calibration_end")
    if cal is None:
        raise InvalidParameterError("invalid parameter calibration_end: a date is needed to split the transactions")
    k = as_int(max_frequency, "max_frequency", 1, 1_000_000)
    customers, by, tracking, metrics, counts, end = _native.clv_holdout(
        to_arrow(transactions, columns, argument="transactions"),
        fitted,
        calibration_end=cal,
        max_frequency=k,
        **native,
    )
    kind = table_kind(transactions)
    kind = kind if kind in ("pandas", "polars") else "pyarrow"
    values = dict(zip(_OUTPUT, metrics, strict=True))
    report = _report(counts, end, native["freq"], duration_holdout=values.pop("duration_holdout"))
    values["customers"] = int(values["customers"])
    return HoldoutEvaluation(
        from_arrow(customers, kind), from_arrow(by, kind), from_arrow(tracking, kind), values, report
    )
