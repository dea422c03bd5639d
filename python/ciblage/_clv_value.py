"""One call from transactions to a per-customer value table (re-exported by
:mod:`ciblage.clv`): the CLV summary, a purchase model and the Gamma-Gamma
spend model fitted on it, and per customer P(alive), expected purchases,
expected spend and discounted CLV over a horizon."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa

from . import _native
from ._params import as_choice, as_float, as_int
from ._tables import attach_report, from_arrow, html_summary, table_kind
from .exceptions import SpendFrequencyCorrelationWarning

__all__ = ["CustomerValue", "customer_value", "MODELS", "TABLE_COLUMNS"]

#: Purchase models of :func:`customer_value`.
MODELS = ("bgnbd", "paretonbd", "mbgnbd")

#: The columns of :attr:`CustomerValue.customers` after the summary's
#: ``customer_id``, ``frequency``, ``recency``, ``T`` and ``monetary_value``:
#: name -> how it is read from the native result (a dict of arrays). Further
#: columns (e.g. intervals) are added here.
TABLE_COLUMNS: dict[str, Callable[[dict[str, np.ndarray]], np.ndarray]] = {
    "p_alive": lambda native: native["p_alive"],
    "expected_purchases": lambda native: native["expected_purchases"],
    "expected_spend": lambda native: native["expected_spend"],
    "clv": lambda native: native["clv"],
}

_SUMMARY_COLUMNS = ("customer_id", "frequency", "recency", "T", "monetary_value")


class CustomerValue:
    """The outcome of :func:`customer_value`.

    Attributes:
        customers: one row per customer (the summary's order): customer_id
            (as in :func:`ciblage.rfm`'s output, so the two join with a plain
            merge), frequency, recency, T, monetary_value (mean repeat spend,
            or margin with ``cost``), p_alive (now), expected_purchases and
            expected_spend over the horizon (not discounted), clv (discounted).
        purchase_model: the fitted :class:`~ciblage.clv.BgNbd`,
            :class:`~ciblage.clv.ParetoNbd` or :class:`~ciblage.clv.MbgNbd`.
        spend_model: the fitted :class:`~ciblage.clv.GammaGamma`.
        params: the parameters the table was computed with.
        input_report: the summary's report (rows read, used, left out), and
            ``spend_left_out``: repeat buyers whose mean spend (or margin) is
            not positive, left out of the Gamma-Gamma fit (a model of
            positive amounts); their expected spend per purchase is their
            own mean.

    Example:
        >>> import warnings
        >>> import ciblage
        >>> tx = ciblage.datasets.transactions(customers=300, transactions=3_000, library="pandas", seed=1)
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")  # the spend/frequency correlation check
        ...     cv = ciblage.clv.customer_value(tx, freq="W", penalizer=0.01)
        >>> list(cv.customers.columns)[-4:]
        ['p_alive', 'expected_purchases', 'expected_spend', 'clv']
        >>> len(ciblage.rfm(tx).merge(cv.customers, on="customer_id")) == len(cv.customers)
        True
    """

    def __init__(
        self,
        customers: Any,
        purchase_model: Any,
        spend_model: Any,
        params: dict[str, Any],
        input_report: dict[str, Any],
    ) -> None:
        self.customers = customers
        self.purchase_model = purchase_model
        self.spend_model = spend_model
        self.params = params
        self.input_report = input_report

    def __len__(self) -> int:
        return len(self.customers)

    def __repr__(self) -> str:
        p = self.params
        return (
            f"CustomerValue(customers={len(self)}, model={p['model']!r}, horizon={p['horizon']} months, "
            f"discounting={p['discounting']!r}, total_clv={float(np.nansum(self._column('clv'))):,.2f})"
        )

    def _column(self, name: str) -> np.ndarray:
        column = self.customers[name]
        return np.asarray(column.to_numpy() if hasattr(column, "to_numpy") else column, dtype=np.float64)

    def _repr_html_(self) -> str:
        return html_summary(repr(self), self.customers)


def _with_columns(table: Any, columns: dict[str, np.ndarray]) -> Any:
    """The summary's columns of ``table`` (pandas or pyarrow) and ``columns``."""
    if isinstance(table, pa.Table):
        out = table.select(list(_SUMMARY_COLUMNS))
        for name, values in columns.items():
            out = out.append_column(name, pa.array(values, type=pa.float64()))
        return out
    out = table[list(_SUMMARY_COLUMNS)].copy()
    for name, values in columns.items():
        out[name] = values
    return out


def customer_value(
    transactions: Any,
    *,
    customer: str = "customer_id",
    timestamp: str = "timestamp",
    amount: str = "amount",
    cost: str | None = None,
    observation_end: Any = None,
    freq: Any = "W",
    model: str = "bgnbd",
    horizon: int = 12,
    discount_rate: float = 0.01,
    discounting: str = "monthly",
    penalizer: float = 0.0,
    spend_penalizer: float = 0.0,
    max_iterations: int = 1000,
    negative_amounts: str = "keep",
    timezone: Any = None,
) -> CustomerValue:
    """Per-customer lifetime value from raw transactions in one call: the
    summary (:func:`ciblage.clv.summary`), a purchase model and the
    Gamma-Gamma spend model fitted on it, then P(alive), expected purchases,
    expected spend and discounted CLV over ``horizon`` months.

    Args:
        cost: a cost column: the summary's ``monetary_value`` is then the mean
            repeat margin (amount − cost), and the Gamma-Gamma model fitted on
            it gives margin CLV.
        observation_end, freq, negative_amounts, timezone: as
            :func:`ciblage.clv.summary` (``freq`` default weekly).
        model: ``"bgnbd"``, ``"paretonbd"`` or ``"mbgnbd"``.
        horizon: months predicted (1 to 12,000); a month is 30 days, 4.345
            weeks or 1 month as ``freq`` is days, weeks or months.
        discount_rate: per month, >= 0.
        discounting: ``"monthly"`` (each month's expected purchases divided
            by ``(1 + discount_rate)^month``, as ``lifetimes``) or
            ``"continuous"`` (DERT, as CLVTools: purchases at time t weighted
            by ``exp(-δ t)``, ``δ = ln(1 + discount_rate)`` per month).
        penalizer, spend_penalizer: L2 penalties of the purchase and spend
            models, >= 0.
        max_iterations: most L-BFGS iterations of each fit.

    Returns:
        A :class:`CustomerValue`; its ``customers`` table is of the caller's
        library (pandas, polars, else pyarrow).

    Raises:
        InvalidParameterError: a parameter out of range, naming it.
        InvalidInputError: no repeat buyer, a repeat buyer whose mean spend
            (or margin) is not positive (the Gamma-Gamma model is of positive
            amounts), and the summary's errors.
        FitFailedError: a model without an optimum.

    Example:
        >>> import warnings
        >>> import ciblage
        >>> tx = ciblage.datasets.transactions(customers=300, transactions=3_000, library="pandas", seed=1)
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")  # the spend/frequency correlation check
        ...     cv = ciblage.clv.customer_value(tx, freq="W", penalizer=0.01)
        >>> list(cv.customers.columns)[-4:]
        ['p_alive', 'expected_purchases', 'expected_spend', 'clv']
        >>> len(ciblage.rfm(tx).merge(cv.customers, on="customer_id")) == len(cv.customers)
        True
    """
    model = as_choice(model, "model", MODELS)
    horizon = as_int(horizon, "horizon", 1, 12_000)
    discount_rate = as_float(discount_rate, "discount_rate", 0.0)
    discounting = as_choice(discounting, "discounting", ("monthly", "continuous"))
    penalizer = as_float(penalizer, "penalizer", 0.0)
    spend_penalizer = as_float(spend_penalizer, "spend_penalizer", 0.0)
    max_iterations = as_int(max_iterations, "max_iterations", 1, 1_000_000)
    from ._clv_base import _column
    from ._clv_nbd import BgNbd, GammaGamma, MbgNbd, ParetoNbd
    from ._clv_summary import _freq, summary

    freq = _freq(freq)
    kind = table_kind(transactions)
    source = transactions
    if kind == "polars":
        # Summarised as Arrow (which keeps the input report), returned as polars.
        import polars as pl

        source = (transactions.collect() if isinstance(transactions, pl.LazyFrame) else transactions).to_arrow()
    extra = {} if cost is None else {"cost": cost}
    s = summary(
        source,
        customer=customer,
        timestamp=timestamp,
        amount=amount,
        freq=freq,
        observation_end=observation_end,
        negative_amounts=negative_amounts,
        timezone=timezone,
        **extra,
    )
    if isinstance(s, pa.Table):
        report = json.loads((s.schema.metadata or {}).get(b"ciblage.input_report", b"{}"))
    else:
        report = dict(s.attrs.get("input_report", {}))
    native, purchases, spend = _native.clv_customer_value(
        _column(s, "frequency", "frequency"),
        _column(s, "recency", "recency"),
        _column(s, "T", "T"),
        _column(s, "monetary_value", "monetary_value"),
        freq=freq,
        model=model,
        horizon=horizon,
        discount_rate=discount_rate,
        discounting=discounting,
        penalizer=penalizer,
        spend_penalizer=spend_penalizer,
        max_iterations=max_iterations,
    )
    report["spend_left_out"] = int(native["spend_left_out"])
    table = _with_columns(s, {name: read(native) for name, read in TABLE_COLUMNS.items()})
    if kind == "polars":
        table = from_arrow(table, "polars")
    purchase_class = {"bgnbd": BgNbd, "paretonbd": ParetoNbd, "mbgnbd": MbgNbd}[model]
    purchase_model = purchase_class()._set_model(purchases)
    purchase_model.set_params(penalizer=penalizer, max_iterations=max_iterations)
    spend_model = GammaGamma(penalizer=spend_penalizer, max_iterations=max_iterations)
    params = {
        "model": model,
        "freq": freq,
        "horizon": horizon,
        "discount_rate": discount_rate,
        "discounting": discounting,
        "cost": cost,
        "penalizer": penalizer,
        "spend_penalizer": spend_penalizer,
        "max_iterations": max_iterations,
    }
    spend_model._set_model(spend)
    spend_model.correlation_, warning = spend.correlation()
    if warning:
        warnings.warn(warning, SpendFrequencyCorrelationWarning, stacklevel=2)
    return CustomerValue(attach_report(table, report), purchase_model, spend_model, params, report)
