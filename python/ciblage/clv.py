"""Customer lifetime value: purchase histories from transactions, the BG/NBD
and Pareto/NBD models of repeat buying, the Gamma-Gamma spend model and
discounted CLV (see ``docs/clv.md``).

>>> import ciblage
>>> import ciblage.clv as clv
>>> tx = ciblage.datasets.transactions(customers=300, transactions=3_000, library="pandas")
>>> s = clv.summary(tx, freq="W")
>>> model = clv.BgNbd().fit(s)
>>> sorted(model.params_)
['a', 'alpha', 'b', 'r']
>>> bool(((0 <= model.p_alive(s)) & (model.p_alive(s) <= 1)).all())
True
"""

from __future__ import annotations

import html
import json
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from . import _native
from ._params import as_choice, as_float, as_int, as_str
from ._report import make_report, warn_left_out
from ._tables import as_timezone, attach_report, from_arrow, iso_date, table_kind, to_arrow
from .exceptions import (
    ColumnNotFoundError,
    ColumnTypeError,
    InvalidInputError,
    InvalidParameterError,
    NotFittedError,
    SpendFrequencyCorrelationWarning,
)

__all__ = ["summary", "BgNbd", "ParetoNbd", "GammaGamma", "customer_value", "CustomerValue"]


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


def summary(
    transactions: Any,
    *,
    customer: str = "customer_id",
    timestamp: str = "timestamp",
    amount: str = "amount",
    freq: Any = "D",
    observation_end: Any = None,
    calibration_end: Any = None,
    negative_amounts: str = "keep",
    timezone: Any = None,
) -> Any:
    """Per-customer purchase histories for the CLV models, as ``lifetimes``'
    ``summary_data_from_transaction_data`` (and, with ``calibration_end``,
    ``calibration_and_holdout_data``): several purchases in one period count
    once.

    Args:
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
        ``negative_excluded``, ``customer_first_seen_in_holdout``) is in
        ``df.attrs["input_report"]`` (pandas) or the schema metadata
        (pyarrow).
    """
    customer = as_str(customer, "customer")
    timestamp = as_str(timestamp, "timestamp")
    amount = as_str(amount, "amount")
    freq = _freq(freq)
    negative_amounts = as_choice(negative_amounts, "negative_amounts", ("keep", "exclude", "reject"))
    columns = {"customer": customer, "timestamp": timestamp, "amount": amount}
    table, (rows, after, negative, holdout_only), end = _native.clv_summary(
        to_arrow(transactions, columns, argument="transactions"),
        customer=customer,
        timestamp=timestamp,
        amount=amount,
        freq=freq,
        observation_end=iso_date(observation_end, "observation_end"),
        calibration_end=iso_date(calibration_end, "calibration_end"),
        negative_amounts=negative_amounts,
        timezone=as_timezone(timezone),
    )
    report = make_report(
        rows,
        {
            "after_observation_end": after,
            "negative_excluded": negative,
            "customer_first_seen_in_holdout": holdout_only,
        },
        observation_end=end,
        freq=freq,
    )
    # Every reason follows from a parameter (observation_end, negative_amounts,
    # calibration_end): counted, not warned about.
    warn_left_out(
        report, "clv.summary", expected=("after_observation_end", "negative_excluded", "customer_first_seen_in_holdout")
    )
    kind = table_kind(transactions)
    return attach_report(from_arrow(table, kind if kind in ("pandas", "polars") else "pyarrow"), report)


def _column(data: Any, name: str, argument: str) -> np.ndarray:
    """A numeric column of a pandas/polars/pyarrow table or a mapping, as float64."""
    try:
        if hasattr(data, "column_names") and hasattr(data, "column"):  # pyarrow
            if name not in data.column_names:
                raise KeyError(name)
            values = data.column(name).to_numpy(zero_copy_only=False)
        elif isinstance(data, Mapping) or hasattr(data, "columns"):
            available = list(data.keys()) if isinstance(data, Mapping) else list(data.columns)
            if name not in available:
                raise KeyError(name)
            values = data[name]
            values = values.to_numpy() if hasattr(values, "to_numpy") else values
        else:
            raise ColumnTypeError(
                f"data: expected a pandas, polars or pyarrow table or a mapping of columns, got {type(data).__name__}"
            )
    except KeyError:
        raise ColumnNotFoundError(f"{argument}: column {name!r} not found in data") from None
    try:
        out = np.ascontiguousarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ColumnTypeError(f"{argument}: column {name!r} is not numeric") from None
    if out.ndim != 1:
        raise InvalidInputError(f"{argument}: column {name!r} is not one-dimensional")
    return out


class _Model:
    """What the CLV models share: a declarative parameter table checked at
    ``fit``, ``get_params``/``set_params``, the fitted state, the JSON form
    and the notebook view."""

    _kind = ""
    _title = ""
    # name -> (default, low, high)
    _params: dict[str, tuple[Any, Any, Any]] = {}

    def __init__(self, **params: Any) -> None:
        for name, (default, _, _) in self._params.items():
            setattr(self, name, params.pop(name, default))
        if params:
            raise InvalidParameterError(
                f"invalid parameter {next(iter(params))}: {type(self).__name__} has no such parameter"
            )

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor's parameters."""
        return {k: getattr(self, k) for k in self._params}

    def set_params(self, **params: Any) -> Any:
        """Sets constructor parameters; unknown names raise InvalidParameterError."""
        for k, v in params.items():
            if k not in self._params:
                raise InvalidParameterError(f"invalid parameter {k}: {type(self).__name__} has no such parameter")
            setattr(self, k, v)
        return self

    def _checked(self) -> dict[str, Any]:
        out = {}
        for name, (_, low, high) in self._params.items():
            value = getattr(self, name)
            out[name] = as_int(value, name, low, high) if name == "max_iterations" else as_float(value, name, low, high)
        return out

    def __repr__(self) -> str:
        changed = [f"{k}={getattr(self, k)!r}" for k, (d, _, _) in self._params.items() if getattr(self, k) != d]
        return f"{type(self).__name__}({', '.join(changed)})"

    def _fitted(self) -> Any:
        if not hasattr(self, "_model"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit first")
        return self._model

    def _set_model(self, model: Any) -> Any:
        self._model = model
        saved = json.loads(model.to_json())
        self.params_ = dict(saved["params"])
        fit = saved.get("fit") or {}
        ses = fit.get("standard_errors") or [None] * len(self.params_)
        self.standard_errors_ = {k: (np.nan if s is None else s) for k, s in zip(self.params_, ses, strict=True)}
        self.log_likelihood_ = fit.get("log_likelihood")
        self.convergence_ = fit.get("convergence")
        self.n_customers_ = fit.get("customers")
        return self

    def __getstate__(self) -> dict[str, Any]:
        # Pickled through the JSON form of the native model.
        state = self.__dict__.copy()
        if "_model" in state:
            state["_model"] = state["_model"].to_json()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        model = state.pop("_model", None)
        self.__dict__.update(state)
        if model is not None:
            self._model = _native.ClvModel.from_json(self._kind, model)

    def to_json(self) -> str:
        """The fitted model as versioned JSON."""
        return self._fitted().to_json()

    @classmethod
    def from_json(cls, text: str) -> Any:
        """A fitted model from :meth:`to_json`'s text (``ModelFileError`` if corrupt)."""
        return cls()._set_model(_native.ClvModel.from_json(cls._kind, as_str(text, "text")))

    def _repr_html_(self) -> str:
        if not hasattr(self, "_model"):
            return f"<p><b>{html.escape(repr(self))}</b> (not fitted)</p>"
        rows = "".join(
            f"<tr><td>{html.escape(k)}</td><td>{v:.6g}</td><td>{self.standard_errors_[k]:.3g}</td></tr>"
            for k, v in self.params_.items()
        )
        ll = (
            ""
            if self.log_likelihood_ is None
            else f"<p>log-likelihood {self.log_likelihood_:.2f}, {self.n_customers_:g} customers</p>"
        )
        return (
            f"<p><b>{html.escape(self._title)}</b></p>{ll}"
            f"<table><tr><th>parameter</th><th>estimate</th><th>std. error</th></tr>{rows}</table>"
        )


def _histories(data: Any, frequency: str, recency: str, T: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (
        _column(data, as_str(frequency, "frequency"), "frequency"),
        _column(data, as_str(recency, "recency"), "recency"),
        _column(data, as_str(T, "T"), "T"),
    )


class _PurchaseModel(_Model):
    _params = {"penalizer": (0.0, 0.0, None), "max_iterations": (1000, 1, 1_000_000)}

    def fit(
        self,
        data: Any,
        *,
        frequency: str = "frequency",
        recency: str = "recency",
        T: str = "T",
        weights: str | None = None,
    ) -> Any:
        """Fits by maximum likelihood on a summary (see :func:`summary`) or any
        table with the three columns; ``weights`` names a column of
        customer counts per row. Returns the model."""
        p = self._checked()
        f, r, t = _histories(data, frequency, recency, T)
        w = None if weights is None else _column(data, as_str(weights, "weights"), "weights")
        model = _native.clv_fit(
            self._kind, f, r, t, weights=w, penalizer=p["penalizer"], max_iterations=p["max_iterations"]
        )
        return self._set_model(model)

    def p_alive(self, data: Any, *, frequency: str = "frequency", recency: str = "recency", T: str = "T") -> np.ndarray:
        """Probability that each customer is still active at the end of observation."""
        return self._fitted().p_alive(*_histories(data, frequency, recency, T))

    def expected_purchases(
        self, t: float, data: Any, *, frequency: str = "frequency", recency: str = "recency", T: str = "T"
    ) -> np.ndarray:
        """Expected purchases of each customer in the next ``t`` units of time."""
        t = as_float(t, "t", 0.0)
        return self._fitted().expected_purchases(t, *_histories(data, frequency, recency, T))

    def expected_purchases_new(self, t: Any) -> Any:
        """Expected purchases of a new customer within ``t`` units of time of
        the first purchase (a number or an array of them)."""
        scalar = np.ndim(t) == 0
        ts = np.atleast_1d(np.asarray(t, dtype=np.float64))
        if not np.all(np.isfinite(ts)) or np.any(ts < 0):
            raise InvalidParameterError(f"invalid parameter t: expected finite numbers >= 0, got {t!r}")
        out = self._fitted().expected_purchases_new(np.ascontiguousarray(ts))
        return float(out[0]) if scalar else out

    def p_alive_at(
        self, t: float, data: Any, *, frequency: str = "frequency", recency: str = "recency", T: str = "T"
    ) -> np.ndarray:
        """P(alive) ``t`` units of time after the end of observation, given no
        purchase meanwhile (``lifetimes``' ``conditional_probability_alive``
        with ``m_periods_in_future``)."""
        t = as_float(t, "t", 0.0)
        return _native.clv_p_alive_at(self._fitted(), t, *_histories(data, frequency, recency, T))

    def dert(
        self,
        data: Any,
        *,
        discount_rate: float = 0.01,
        freq: Any = "D",
        horizon: float | None = None,
        frequency: str = "frequency",
        recency: str = "recency",
        T: str = "T",
    ) -> np.ndarray:
        """Discounted expected residual transactions (CLVTools' DERT): the
        expected purchases after the end of observation weighted by
        ``exp(-δ t)``, ``δ = ln(1 + discount_rate)`` per month (``freq`` is
        the unit of time of the histories, as in :meth:`GammaGamma.clv`),
        over ``horizon`` months (``None``: no end, which needs a rate > 0).
        Pareto/NBD in closed form, BG/NBD by numerical integration; times
        the expected margin per purchase, it is the continuously discounted CLV."""
        rate = as_float(discount_rate, "discount_rate", 0.0)
        units = _native.clv_units_per_month(_freq(freq))
        months = None if horizon is None else as_float(horizon, "horizon", 0.0, low_open=True)
        return _native.clv_dert(
            self._fitted(),
            float(np.log1p(rate)) / units,
            None if months is None else months * units,
            *_histories(data, frequency, recency, T),
        )


class BgNbd(_PurchaseModel):
    """BG/NBD model (Fader, Hardie & Lee 2005) of repeat purchases:
    ``lifetimes``' ``BetaGeoFitter``, pymc-marketing's ``BetaGeoModel``,
    CLVTools' ``bgnbd``.

    Args:
        penalizer: L2 penalty on the parameters (times rescaled so that the
            largest T is 1, as ``lifetimes``), >= 0.
        max_iterations: most L-BFGS iterations.

    Attributes (after ``fit``): ``params_`` (r, alpha, a, b),
    ``standard_errors_``, ``log_likelihood_``, ``convergence_``.
    """

    _kind = "bg_nbd"
    _title = "BG/NBD model"

    def __init__(self, penalizer: float = 0.0, max_iterations: int = 1000) -> None:
        super().__init__(penalizer=penalizer, max_iterations=max_iterations)

    def prob_n_purchases(self, n: int, t: float) -> float:
        """Probability that a new customer makes exactly ``n`` purchases within ``t``."""
        return self._fitted().prob_n_purchases(as_int(n, "n", 0, 10_000_000), as_float(t, "t", 0.0))


class ParetoNbd(_PurchaseModel):
    """Pareto/NBD model (Schmittlein, Morrison & Colombo 1987) with an
    overflow-free likelihood: ``lifetimes``' ``ParetoNBDFitter``,
    pymc-marketing's ``ParetoNBDModel``, CLVTools' ``pnbd``. Parameters as
    :class:`BgNbd`; ``params_`` holds r, alpha, s, beta."""

    _kind = "pareto_nbd"
    _title = "Pareto/NBD model"

    def __init__(self, penalizer: float = 0.0, max_iterations: int = 1000) -> None:
        super().__init__(penalizer=penalizer, max_iterations=max_iterations)


class GammaGamma(_Model):
    """Gamma-Gamma spend model, fitted on the customers with a repeat
    purchase: ``lifetimes``' ``GammaGammaFitter``, pymc-marketing's
    ``GammaGammaModel``, CLVTools' ``gg``.

    Args:
        penalizer: L2 penalty on p, q, v, >= 0.
        max_iterations: most L-BFGS iterations.
        correlation_threshold: |correlation| of frequency and mean spend of
            the repeat buyers beyond which ``fit`` warns
            (:class:`SpendFrequencyCorrelationWarning`): the model assumes
            they are independent.
    """

    _kind = "gamma_gamma"
    _title = "Gamma-Gamma spend model"
    _params = {
        "penalizer": (0.0, 0.0, None),
        "max_iterations": (1000, 1, 1_000_000),
        "correlation_threshold": (0.3, 0.0, 1.0),
    }

    def __init__(self, penalizer: float = 0.0, max_iterations: int = 1000, correlation_threshold: float = 0.3) -> None:
        super().__init__(
            penalizer=penalizer, max_iterations=max_iterations, correlation_threshold=correlation_threshold
        )

    def fit(
        self,
        data: Any,
        *,
        frequency: str = "frequency",
        monetary_value: str = "monetary_value",
        weights: str | None = None,
    ) -> Any:
        """Fits on the rows with ``frequency > 0``; their ``monetary_value``
        must be positive. Returns the model; ``correlation_`` is the
        frequency/spend correlation of the repeat buyers."""
        p = self._checked()
        f = _column(data, as_str(frequency, "frequency"), "frequency")
        m = _column(data, as_str(monetary_value, "monetary_value"), "monetary_value")
        w = None if weights is None else _column(data, as_str(weights, "weights"), "weights")
        # Recency and T do not enter the spend model: any valid values.
        r = np.where(f > 0, 1.0, 0.0)
        model = _native.clv_fit(
            self._kind,
            f,
            r,
            np.ones_like(f),
            monetary_value=m,
            weights=w,
            penalizer=p["penalizer"],
            max_iterations=p["max_iterations"],
            correlation_threshold=p["correlation_threshold"],
        )
        self._set_model(model)
        self.correlation_, warning = model.correlation()
        if warning:
            warnings.warn(warning, SpendFrequencyCorrelationWarning, stacklevel=2)
        return self

    def expected_average_spend(
        self, data: Any, *, frequency: str = "frequency", monetary_value: str = "monetary_value"
    ) -> np.ndarray:
        """Expected mean spend per purchase of each customer."""
        f = _column(data, as_str(frequency, "frequency"), "frequency")
        m = _column(data, as_str(monetary_value, "monetary_value"), "monetary_value")
        return self._fitted().expected_average_spend(f, m)

    def clv(
        self,
        purchases: _PurchaseModel,
        data: Any,
        *,
        months: int = 12,
        discount_rate: float = 0.01,
        freq: Any = "D",
        frequency: str = "frequency",
        recency: str = "recency",
        T: str = "T",
        monetary_value: str = "monetary_value",
    ) -> np.ndarray:
        """Discounted CLV over ``months`` months as ``lifetimes``'
        ``customer_lifetime_value``: expected spend times each month's
        expected purchases, discounted by ``(1 + discount_rate)^month``.
        ``freq`` is the unit of time of the histories (the summary's
        ``freq``): a month is 30 days, 4.345 weeks or 1 month."""
        if not isinstance(purchases, _PurchaseModel):
            raise InvalidParameterError(
                f"invalid parameter purchases: expected a fitted BgNbd or ParetoNbd, got {type(purchases).__name__}"
            )
        units = _native.clv_units_per_month(_freq(freq))
        f, r, t = _histories(data, frequency, recency, T)
        m = _column(data, as_str(monetary_value, "monetary_value"), "monetary_value")
        return self._fitted().clv(
            purchases._fitted(),
            f,
            r,
            t,
            m,
            as_int(months, "months", 1, 12_000),
            as_float(discount_rate, "discount_rate", 0.0),
            units,
        )


from ._clv_value import CustomerValue, customer_value  # noqa: E402  (it reads this module's models)
