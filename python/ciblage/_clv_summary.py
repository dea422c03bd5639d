"""``ciblage.clv.summary``: per-customer purchase histories from transactions
(re-exported by :mod:`ciblage.clv`)."""

from __future__ import annotations

from typing import Any

from . import _native, _stream
from ._params import as_choice, as_str
from ._report import make_report, warn_left_out
from ._tables import as_timezone, attach_report, from_arrow, iso_date, opt_column_arg, table_kind, to_arrow
from .exceptions import InvalidParameterError


def _freq(value: Any) -> str:
    if isinstance(value, bool):
        raise InvalidParameterError(
            f"invalid parameter freq: expected 'D', 'W', 'M' or a number of days, got {value!r}"
        )
    if isinstance(value, int):
        if value < 1:
            raise InvalidParameterError(f"invalid parameter freq: a number of days must be at least 1, got {value}")
        return f"{value}D"
    freq = as_str(value, "freq")
    _native.clv_units_per_month(freq)  # checks the name
    return freq


def _summary_args(args: dict[str, Any]) -> tuple[dict[str, str], dict[str, Any]]:
    """The column names (for ``to_arrow``) and the native keyword arguments."""
    customer = as_str(args["customer"], "customer")
    timestamp = as_str(args["timestamp"], "timestamp")
    amount = as_str(args["amount"], "amount")
    cost = opt_column_arg(args["cost"], "cost")
    columns = {"customer": customer, "timestamp": timestamp, "amount": amount}
    if cost is not None:
        columns["cost"] = cost
    native = dict(
        customer=customer,
        timestamp=timestamp,
        amount=amount,
        cost=cost,
        freq=_freq(args["freq"]),
        observation_end=iso_date(args["observation_end"], "observation_end"),
        negative_amounts=as_choice(args["negative_amounts"], "negative_amounts", ("keep", "exclude", "reject")),
        timezone=as_timezone(args["timezone"]),
    )
    return columns, native


def _report(counts: tuple[int, int, int, int], end: str, freq: str, **extra: Any) -> dict[str, Any]:
    rows, after, negative, holdout_only = counts
    report = make_report(
        rows,
        {
            "after_observation_end": after,
            "negative_excluded": negative,
            "customer_first_seen_in_holdout": holdout_only,
        },
        observation_end=end,
        freq=freq,
        **extra,
    )
    # Every reason follows from a parameter (observation_end, negative_amounts,
    # calibration_end): counted, not warned about.
    warn_left_out(
        report,
        "clv.summary",
        expected=("after_observation_end", "negative_excluded", "customer_first_seen_in_holdout"),
        stacklevel=4,
    )
    return report


def summary(
    transactions: Any,
    *,
    customer: str = "customer_id",
    timestamp: str = "timestamp",
    amount: str = "amount",
    cost: str | None = None,
    freq: Any = "D",
    observation_end: Any = None,
    calibration_end: Any = None,
    negative_amounts: str = "keep",
    timezone: Any = None,
) -> Any:
    """Per-customer purchase histories for the CLV models, as ``lifetimes``'
    ``summary_data_from_transaction_data`` (and, with ``calibration_end``,
    ``calibration_and_holdout_data``): several purchases in one period count
    once. The columns are read without a copy where their types allow it
    and aggregated on all cores, as :func:`ciblage.rfm` reads them.

    Args:
        cost: optional cost column: ``monetary_value`` (and
            ``monetary_value_holdout``) are then mean MARGINS (amount less
            cost, summed per period), so that Gamma-Gamma and CLV give
            margin values. NaN/inf costs are refused; negative costs are
            kept, as RFM's margin keeps them.
        freq: the period purchases are grouped by and the unit of time:
            ``"D"`` (days), ``"W"`` (Monday-to-Sunday weeks), ``"M"``
            (calendar months), or a number of days ``n`` / ``"nD"``
            (grouped by day, times in units of ``n`` days: ``"7D"`` gives
            fractional weeks, ``lifetimes``' ``freq="D", freq_multiplier=7``).
        observation_end: last day observed (its whole period counts);
            default the day of the last purchase.
        calibration_end: end of the calibration period; the purchases after
            it fill ``frequency_holdout``, ``monetary_value_holdout`` (mean
            of the per-period sums) and ``duration_holdout``. Customers first
            seen after it are left out (counted in the report).
        negative_amounts: ``"keep"`` (netted within their period, as
            ``lifetimes``), ``"exclude"`` or ``"reject"``.
        timezone: zone of day boundaries (default the column's own, else UTC).

    Returns:
        customer_id, frequency (repeat periods), recency (first to last
        purchase), T (first purchase to the end), monetary_value (mean
        per-period sum of the repeat periods, 0 without one), in the
        caller's library; the input report (``after_observation_end``,
        ``negative_excluded``, ``customer_first_seen_in_holdout``, and
        ``margin``: whether the spend columns are margins) is in
        ``df.attrs["input_report"]`` (pandas) or the schema metadata
        (pyarrow).

    Example:
        >>> import ciblage
        >>> cd = ciblage.datasets.cdnow(library="pandas")
        >>> s = ciblage.clv.summary(cd, freq="W", observation_end="1998-06-30")
        >>> list(s.columns), len(s)
        (['customer_id', 'frequency', 'recency', 'T', 'monetary_value'], 2357)
    """
    args = dict(locals())
    columns, native = _summary_args(args)
    iso_date(calibration_end, "calibration_end")
    if _stream.is_stream(transactions):
        # Gathered into one table while small, past that batch by batch
        # into per-(customer, day or period) states (see ciblage._stream_days).
        from ._stream_days import stream_call

        del args["transactions"]
        return stream_call("clv_summary", transactions, args, None, lambda table: summary(table, **args))
    table, counts, end, margin = _native.clv_summary(
        to_arrow(transactions, columns, argument="transactions"),
        calibration_end=iso_date(calibration_end, "calibration_end"),
        **native,
    )
    report = _report(counts, end, native["freq"], margin=margin)
    kind = table_kind(transactions)
    return attach_report(from_arrow(table, kind if kind in ("pandas", "polars") else "pyarrow"), report)
