"""What every estimator of :mod:`ciblage.clv` shares: the parameter handling,
the fitted-model state, JSON and pickling, the HTML summary, reading the
history columns, and the predictions of the purchase models."""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from typing import Any

import numpy as np

from . import _clv_intervals, _native
from ._clv_summary import _freq
from ._params import as_float, as_int, as_str
from ._progress import reporter
from .exceptions import (
    ColumnNotFoundError,
    ColumnTypeError,
    InvalidInputError,
    InvalidParameterError,
    NotFittedError,
)


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
        self._fit_report = fit
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
        progress: Any = False,
    ) -> Any:
        """Fits by maximum likelihood on a summary (see :func:`summary`) or any
        table with the three columns; ``weights`` names a column of
        customer counts per row; ``progress``: ``True`` for a progress bar
        or a callable receiving ``(done, total)``. Returns the model."""
        p = self._checked()
        f, r, t = _histories(data, frequency, recency, T)
        w = None if weights is None else _column(data, as_str(weights, "weights"), "weights")
        model = _native.clv_fit(
            self._kind,
            f,
            r,
            t,
            weights=w,
            penalizer=p["penalizer"],
            max_iterations=p["max_iterations"],
            progress=reporter(progress, f"{type(self).__name__}.fit"),
        )
        self._set_model(model)
        # The fit computed the covariance of its log-parameters with its
        # standard errors (one Hessian, on the distinct patterns): read from
        # the fit report, not recomputed over every customer.
        self._covariance = _clv_intervals.fitted_covariance(self._fit_report, model, (f, r, t), weights=w)
        return self

    def p_alive(
        self,
        data: Any,
        *,
        frequency: str = "frequency",
        recency: str = "recency",
        T: str = "T",
        interval: float | None = None,
        draws: int = 1000,
        seed: int = 0,
        progress: Any = False,
    ) -> Any:
        """Probability that each customer is still active at the end of
        observation. With ``interval`` (a level such as 0.9): an
        ``Interval`` (estimate, low, high) by parametric bootstrap from
        ``draws`` parameter draws seeded by ``seed`` (see ``docs/clv.md``);
        ``progress``: ``True`` for a progress bar of the bootstrap or a
        callable receiving ``(done, total)``."""
        cols = _histories(data, frequency, recency, T)
        if interval is not None:
            self._fitted()
            return _clv_intervals.interval(
                "p_alive",
                purchases=self,
                spend=None,
                columns=cols,
                interval=interval,
                draws=draws,
                seed=seed,
                progress=progress,
            )
        return self._fitted().p_alive(*cols)

    def expected_purchases(
        self,
        t: float,
        data: Any,
        *,
        frequency: str = "frequency",
        recency: str = "recency",
        T: str = "T",
        interval: float | None = None,
        draws: int = 1000,
        seed: int = 0,
        progress: Any = False,
    ) -> Any:
        """Expected purchases of each customer in the next ``t`` units of
        time; ``interval``, ``draws``, ``seed``, ``progress`` as :meth:`p_alive`."""
        t = as_float(t, "t", 0.0)
        cols = _histories(data, frequency, recency, T)
        if interval is not None:
            self._fitted()
            return _clv_intervals.interval(
                "expected_purchases",
                purchases=self,
                spend=None,
                columns=cols,
                horizon=t,
                interval=interval,
                draws=draws,
                seed=seed,
                progress=progress,
            )
        return self._fitted().expected_purchases(t, *cols)

    def expected_purchases_new(self, t: Any) -> Any:
        """Expected purchases of a new customer within ``t`` units of time of
        the first purchase (a number or an array of them)."""
        scalar = np.ndim(t) == 0
        ts = np.atleast_1d(np.asarray(t, dtype=np.float64))
        if not np.all(np.isfinite(ts)) or np.any(ts < 0):
            raise InvalidParameterError(f"invalid parameter t: expected finite numbers >= 0, got {t!r}")
        out = self._fitted().expected_purchases_new(np.ascontiguousarray(ts))
        return float(out[0]) if scalar else out

    def plot(self, kind: str = "frequency_recency", ax: Any = None, data: Any = None, **kwargs: Any) -> Any:
        """Draws a chart of this result with matplotlib (the ``ciblage[plot]``
        extra) and returns its Display (see :mod:`ciblage.plot`).

        Args:
            kind: ``"frequency_recency"`` (expected purchases in the next
                ``t`` periods, default 1, by frequency and recency) or
                ``"p_alive"`` (probability of being alive), as
                :class:`~ciblage.plot.FrequencyRecencyDisplay`.
            data: the summary the model was fitted on (its largest
                frequency and T bound the grid), or give ``max_frequency``
                and ``max_recency``.
            ax: matplotlib Axes to draw on (default: a new figure).
            **kwargs: options of the chart, then matplotlib keyword
                arguments, ``title``, ``xlabel``, ``ylabel``, ``figsize``.

        Raises:
            InvalidParameterError: an unknown ``kind``.
            ImportError: matplotlib is not installed.
        """
        from .plot._clv import plot_model

        return plot_model(self, kind, data, ax, kwargs)

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
