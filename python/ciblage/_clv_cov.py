"""CLV models with fixed covariates (BG/NBD and Pareto/NBD as CLVTools
parameterises them) and confidence intervals of the per-customer
predictions by parametric bootstrap (see ``docs/clv.md``, "Covariates" and
"Intervals"). Re-exported by :mod:`ciblage.clv`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _native
from ._clv_base import _column, _histories, _Model
from ._clv_intervals import Interval
from ._clv_intervals import interval as _interval
from ._clv_summary import _freq
from ._params import as_float, as_int, as_str
from .exceptions import InvalidInputError, InvalidParameterError, ModelFileError

__all__ = ["BgNbdCov", "ParetoNbdCov", "Interval"]


def _names(value: Any, name: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise InvalidParameterError(f"invalid parameter {name}: expected a list of column names, got {value!r}")
    out = tuple(as_str(v, name) for v in value)
    if len(set(out)) != len(out):
        raise InvalidParameterError(f"invalid parameter {name}: a column is named twice in {list(out)!r}")
    return out


class _CovariateModel(_Model):
    trans: Sequence[str]
    life: Sequence[str]
    penalizer: float
    max_iterations: int
    _params = {
        "trans": ((), None, None),
        "life": ((), None, None),
        "penalizer": (0.0, 0.0, None),
        "max_iterations": (1000, 1, 1_000_000),
    }

    def __init__(
        self,
        trans: Sequence[str] = (),
        life: Sequence[str] = (),
        penalizer: float = 0.0,
        max_iterations: int = 1000,
    ) -> None:
        super().__init__(trans=trans, life=life, penalizer=penalizer, max_iterations=max_iterations)

    def _checked(self) -> dict[str, Any]:
        return {
            "trans": _names(self.trans, "trans"),
            "life": _names(self.life, "life"),
            "penalizer": as_float(self.penalizer, "penalizer", 0.0),
            "max_iterations": as_int(self.max_iterations, "max_iterations", 1, 1_000_000),
        }

    def _columns(self) -> list[str]:
        names = list(self.trans_) + [c for c in self.life_ if c not in self.trans_]
        return names

    def _matrix(self, data: Any, covariates: Any, names: list[str], rows: int | None) -> tuple[np.ndarray, list[str]]:
        table = data if covariates is None else covariates
        cols = [_column(table, c, "covariates") for c in names]
        n = rows if rows is not None else (len(cols[0]) if cols else 0)
        if any(len(c) != n for c in cols):
            raise InvalidInputError(f"covariates: has {len(cols[0])} rows, expected {n} (one per customer)")
        z = np.column_stack(cols) if cols else np.empty((n, 0))
        return np.ascontiguousarray(z, dtype=np.float64), names

    def fit(
        self,
        data: Any,
        *,
        covariates: Any = None,
        frequency: str = "frequency",
        recency: str = "recency",
        T: str = "T",
        weights: str | None = None,
    ) -> Any:
        """Fits by maximum likelihood on a summary (see :func:`summary`);
        the covariate columns named by ``trans`` and ``life`` are read from
        ``covariates`` (a table or mapping of columns, one row per row of
        ``data``, in the same order) or, by default, from ``data`` itself.
        Returns the model."""
        p = self._checked()
        self.trans_, self.life_ = p["trans"], p["life"]
        f, r, t = _histories(data, frequency, recency, T)
        z, names = self._matrix(data, covariates, self._columns(), len(f))
        w = None if weights is None else _column(data, as_str(weights, "weights"), "weights")
        model = _native.clv_cov_fit(
            self._kind,
            f,
            r,
            t,
            z,
            names,
            trans=list(p["trans"]),
            life=list(p["life"]),
            weights=w,
            penalizer=p["penalizer"],
            max_iterations=p["max_iterations"],
        )
        self._set_model(model)
        self._covariance = model.covariance()
        self.covariance_ = self._covariance
        return self

    def _set_model(self, model: Any) -> Any:
        super()._set_model(model)
        self.trans_ = tuple(k[len("trans.") :] for k in self.params_ if k.startswith("trans."))
        self.life_ = tuple(k[len("life.") :] for k in self.params_ if k.startswith("life."))
        self._covariance = model.covariance()
        self.covariance_ = self._covariance
        return self

    def __setstate__(self, state: dict[str, Any]) -> None:
        model = state.pop("_model", None)
        self.__dict__.update(state)
        if model is not None:
            self._model = _native.ClvCovModel.from_json(model)

    @classmethod
    def from_json(cls, text: str) -> Any:
        """A fitted model from :meth:`to_json`'s text (``ModelFileError`` if
        corrupt or of another model)."""
        model = _native.ClvCovModel.from_json(as_str(text, "text"))
        if not json_kind(model.to_json()).startswith(cls._kind):
            raise ModelFileError(f"CLV model with covariates: model: not a {cls.__name__} model")
        return cls()._set_model(model)

    def _inputs(self, data: Any, covariates: Any, frequency: str, recency: str, T: str) -> tuple[Any, ...]:
        self._fitted()
        f, r, t = _histories(data, frequency, recency, T)
        z, names = self._matrix(data, covariates, self._columns(), len(f))
        return (f, r, t), (z, names)

    def p_alive(
        self,
        data: Any,
        *,
        covariates: Any = None,
        frequency: str = "frequency",
        recency: str = "recency",
        T: str = "T",
        interval: float | None = None,
        draws: int = 1000,
        seed: int = 0,
        progress: Any = False,
    ) -> Any:
        """Probability that each customer is still active at the end of
        observation; with ``interval`` (a level such as 0.9), an
        :class:`Interval` (estimate, low, high) from ``draws`` parameter
        draws seeded by ``seed``; ``progress``: ``True`` for a progress bar
        of the bootstrap or a callable receiving ``(done, total)``."""
        cols, cov = self._inputs(data, covariates, frequency, recency, T)
        if interval is not None:
            return _interval(
                "p_alive",
                purchases=self,
                spend=None,
                columns=cols,
                covariates=cov,
                interval=interval,
                draws=draws,
                seed=seed,
                progress=progress,
            )
        return self._fitted().p_alive(*cols, *cov)

    def expected_purchases(
        self,
        t: float,
        data: Any,
        *,
        covariates: Any = None,
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
        cols, cov = self._inputs(data, covariates, frequency, recency, T)
        if interval is not None:
            return _interval(
                "expected_purchases",
                purchases=self,
                spend=None,
                columns=cols,
                covariates=cov,
                horizon=t,
                interval=interval,
                draws=draws,
                seed=seed,
                progress=progress,
            )
        return self._fitted().expected_purchases(t, *cols, *cov)

    def expected_purchases_new(self, t: float, covariates: Any) -> np.ndarray:
        """Expected purchases within ``t`` of the first purchase of a new
        customer with each row's covariates."""
        t = as_float(t, "t", 0.0)
        self._fitted()
        names = self._columns()
        z, _ = self._matrix(covariates, None, names, None)
        return self._fitted().expected_purchases_new(t, z, names)

    def clv(
        self,
        spend: _Model,
        data: Any,
        *,
        covariates: Any = None,
        months: int = 12,
        discount_rate: float = 0.01,
        freq: Any = "D",
        frequency: str = "frequency",
        recency: str = "recency",
        T: str = "T",
        monetary_value: str = "monetary_value",
        interval: float | None = None,
        draws: int = 1000,
        seed: int = 0,
        progress: Any = False,
    ) -> Any:
        """Discounted CLV with this model's purchases and ``spend``'s
        (a fitted :class:`GammaGamma`) mean spend, as :meth:`GammaGamma.clv`
        (``interval``, ``draws``, ``seed``, ``progress`` as :meth:`p_alive`)."""
        from ._clv_nbd import GammaGamma

        if not isinstance(spend, GammaGamma):
            raise InvalidParameterError(
                f"invalid parameter spend: expected a fitted GammaGamma, got {type(spend).__name__}"
            )
        spend._fitted()
        units = _native.clv_units_per_month(_freq(freq))
        months = as_int(months, "months", 1, 12_000)
        rate = as_float(discount_rate, "discount_rate", 0.0)
        cols, cov = self._inputs(data, covariates, frequency, recency, T)
        m = _column(data, as_str(monetary_value, "monetary_value"), "monetary_value")
        if interval is not None:
            return _interval(
                "clv",
                purchases=self,
                spend=spend,
                columns=cols,
                monetary_value=m,
                covariates=cov,
                months=months,
                discount_rate=rate,
                units_per_month=units,
                interval=interval,
                draws=draws,
                seed=seed,
                progress=progress,
            )
        avg = spend._fitted().expected_average_spend(cols[0], m)
        value = np.zeros(len(cols[0]))
        before = np.zeros(len(cols[0]))
        for month in range(1, months + 1):
            now = self._fitted().expected_purchases(month * units, *cols, *cov)
            value += avg * (now - before) / (1.0 + rate) ** month
            before = now
        return value


def json_kind(text: str) -> str:
    import json

    return str(json.loads(text)["model"])


class BgNbdCov(_CovariateModel):
    """BG/NBD with fixed customer covariates, as CLVTools' ``bgnbd`` on
    static covariates: ``alpha_i = alpha exp(-gamma_trans . z)``,
    ``a_i = a exp(gamma_life . z)``, ``b_i = b exp(gamma_life . z)``.

    Args:
        trans: covariate columns of the purchase process (CLVTools'
            ``names.cov.trans``).
        life: covariate columns of the dropout process (``names.cov.life``).
        penalizer: L2 penalty (base parameters as :class:`BgNbd`; the
            coefficients of the standardised covariates), >= 0.
        max_iterations: most L-BFGS iterations.

    Attributes (after ``fit``): ``params_`` (r, alpha, a, b, then
    ``trans.<column>`` and ``life.<column>``), ``standard_errors_``,
    ``covariance_`` (of the log base parameters and the coefficients),
    ``log_likelihood_``, ``convergence_``.

    Example:
        >>> import ciblage
        >>> s = ciblage.clv.summary(ciblage.datasets.cdnow(), freq="7D", observation_end="1997-09-30")
        >>> import numpy as np
        >>> group = (np.arange(len(s)) % 2).astype(float)  # any numeric customer attribute
        >>> model = ciblage.clv.BgNbdCov(trans=["group"]).fit(s, covariates={"group": group})
        >>> sorted(model.params_)
        ['a', 'alpha', 'b', 'r', 'trans.group']
    """

    _kind = "bg_nbd"
    _title = "BG/NBD model with covariates"


class ParetoNbdCov(_CovariateModel):
    """Pareto/NBD with fixed customer covariates, as CLVTools' ``pnbd`` on
    static covariates: ``alpha_i = alpha exp(-gamma_trans . z)``,
    ``beta_i = beta exp(-gamma_life . z)``. Parameters as :class:`BgNbdCov`;
    ``params_`` holds r, alpha, s, beta and the coefficients.

    Example:
        >>> import numpy as np
        >>> import ciblage
        >>> s = ciblage.clv.summary(ciblage.datasets.cdnow(), freq="7D", observation_end="1997-09-30")
        >>> group = (np.arange(len(s)) % 2).astype(float)
        >>> model = ciblage.clv.ParetoNbdCov(life=["group"]).fit(s, covariates={"group": group})
        >>> sorted(model.params_)
        ['alpha', 'beta', 'life.group', 'r', 's']
    """

    _kind = "pareto_nbd"
    _title = "Pareto/NBD model with covariates"
