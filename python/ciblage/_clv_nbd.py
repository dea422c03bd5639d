"""The BG/NBD and Pareto/NBD purchase models and the Gamma-Gamma spend
model of :mod:`ciblage.clv`."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from . import _clv_intervals, _native
from ._clv_base import _column, _histories, _Model, _PurchaseModel
from ._clv_summary import _freq
from ._params import as_float, as_int, as_str
from ._progress import reporter
from .exceptions import (
    InvalidParameterError,
    SpendFrequencyCorrelationWarning,
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

    Example:
        >>> import ciblage
        >>> s = ciblage.clv.summary(ciblage.datasets.cdnow(), freq="W", observation_end="1998-06-30")
        >>> model = ciblage.clv.BgNbd().fit(s)
        >>> sorted(model.params_), bool((model.p_alive(s) <= 1.0).all())
        (['a', 'alpha', 'b', 'r'], True)
    """

    _kind = "bg_nbd"
    _title = "BG/NBD model"

    def __init__(self, penalizer: float = 0.0, max_iterations: int = 1000) -> None:
        super().__init__(penalizer=penalizer, max_iterations=max_iterations)

    def prob_n_purchases(self, n: int, t: float) -> float:
        """Probability that a new customer makes exactly ``n`` purchases within ``t``."""
        return self._fitted().prob_n_purchases(as_int(n, "n", 0, 10_000_000), as_float(t, "t", 0.0))


class MbgNbd(_PurchaseModel):
    """MBG/NBD model (Batislam, Denizel & Filiztekin 2007): BG/NBD where a
    customer may also drop out right after the first purchase, so that a
    customer without a repeat purchase is not certainly alive.
    ``lifetimes``' ``ModifiedBetaGeoFitter``, pymc-marketing's
    ``ModifiedBetaGeoModel``. Everything :class:`BgNbd` has: ``fit`` on a
    :func:`~ciblage.clv.summary`, ``p_alive`` (and its ``interval``),
    ``p_alive_at``, ``expected_purchases``, ``expected_purchases_new``,
    ``prob_n_purchases``, ``dert``, ``plot``; the purchase model of
    ``GammaGamma.clv``, :func:`~ciblage.clv.customer_value` and
    :func:`~ciblage.clv.evaluate_holdout`.

    Args:
        penalizer: L2 penalty on the parameters (times rescaled so that the
            largest T is 1, as ``lifetimes``), >= 0.
        max_iterations: most L-BFGS iterations.

    Attributes (after ``fit``): ``params_`` (r, alpha, a, b),
    ``standard_errors_``, ``log_likelihood_``, ``convergence_``.

    Example:
        >>> import ciblage
        >>> s = ciblage.clv.summary(ciblage.datasets.cdnow(), freq="7D", observation_end="1997-09-30")
        >>> model = ciblage.clv.MbgNbd().fit(s)
        >>> round(model.params_["r"], 3), bool(model.p_alive(s).max() < 1.0)
        (0.525, True)
    """

    _kind = "mbg_nbd"
    _title = "MBG/NBD model"

    def __init__(self, penalizer: float = 0.0, max_iterations: int = 1000) -> None:
        super().__init__(penalizer=penalizer, max_iterations=max_iterations)

    def prob_n_purchases(self, n: int, t: float) -> float:
        """Probability that a new customer makes exactly ``n`` purchases within ``t``."""
        return self._fitted().prob_n_purchases(as_int(n, "n", 0, 10_000_000), as_float(t, "t", 0.0))


class ParetoNbd(_PurchaseModel):
    """Pareto/NBD model (Schmittlein, Morrison & Colombo 1987) with an
    overflow-free likelihood: ``lifetimes``' ``ParetoNBDFitter``,
    pymc-marketing's ``ParetoNBDModel``, CLVTools' ``pnbd``. Parameters as
    :class:`BgNbd`; ``params_`` holds r, alpha, s, beta.

    Example:
        >>> import ciblage
        >>> s = ciblage.clv.summary(ciblage.datasets.cdnow(), freq="W", observation_end="1998-06-30")
        >>> sorted(ciblage.clv.ParetoNbd().fit(s).params_)
        ['alpha', 'beta', 'r', 's']
    """

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

    Example:
        >>> import warnings
        >>> import ciblage
        >>> s = ciblage.clv.summary(ciblage.datasets.cdnow(), freq="W", observation_end="1998-06-30")
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     model = ciblage.clv.GammaGamma().fit(s)
        >>> sorted(model.params_)
        ['p', 'q', 'v']
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
        progress: Any = False,
    ) -> Any:
        """Fits on the rows with ``frequency > 0``; their ``monetary_value``
        must be positive. Returns the model; ``correlation_`` is the
        frequency/spend correlation of the repeat buyers. ``progress`` as in
        :meth:`BgNbd.fit`."""
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
            progress=reporter(progress, "GammaGamma.fit"),
        )
        self._set_model(model)
        self._covariance = _clv_intervals.log_covariance(model, (f, r, np.ones_like(f)), monetary_value=m, weights=w)
        self.correlation_, warning = model.correlation()
        if warning:
            warnings.warn(warning, SpendFrequencyCorrelationWarning, stacklevel=2)
        return self

    def expected_average_spend(
        self,
        data: Any,
        *,
        frequency: str = "frequency",
        monetary_value: str = "monetary_value",
        interval: float | None = None,
        draws: int = 1000,
        seed: int = 0,
        progress: Any = False,
    ) -> Any:
        """Expected mean spend per purchase of each customer; with
        ``interval``, an ``Interval`` as :meth:`BgNbd.p_alive` (``progress``
        as there)."""
        f = _column(data, as_str(frequency, "frequency"), "frequency")
        m = _column(data, as_str(monetary_value, "monetary_value"), "monetary_value")
        if interval is not None:
            self._fitted()
            cols = (f, np.where(f > 0, 1.0, 0.0), np.ones_like(f))
            return _clv_intervals.interval(
                "expected_average_spend",
                purchases=None,
                spend=self,
                columns=cols,
                monetary_value=m,
                interval=interval,
                draws=draws,
                seed=seed,
                progress=progress,
            )
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
        interval: float | None = None,
        draws: int = 1000,
        seed: int = 0,
        progress: Any = False,
    ) -> Any:
        """Discounted CLV over ``months`` months as ``lifetimes``'
        ``customer_lifetime_value``: expected spend times each month's
        expected purchases, discounted by ``(1 + discount_rate)^month``.
        ``freq`` is the unit of time of the histories (the summary's
        ``freq``): a month is 30 days, 4.345 weeks or 1 month. With
        ``interval``, an ``Interval`` drawing both models' parameters
        (as :meth:`BgNbd.p_alive`, ``progress`` as there)."""
        if not isinstance(purchases, _PurchaseModel):
            raise InvalidParameterError(
                "invalid parameter purchases: expected a fitted BgNbd, MbgNbd or ParetoNbd, "
                f"got {type(purchases).__name__}"
            )
        units = _native.clv_units_per_month(_freq(freq))
        f, r, t = _histories(data, frequency, recency, T)
        m = _column(data, as_str(monetary_value, "monetary_value"), "monetary_value")
        native = purchases._fitted()
        if interval is not None:
            self._fitted()
            return _clv_intervals.interval(
                "clv",
                purchases=purchases,
                spend=self,
                columns=(f, r, t),
                monetary_value=m,
                months=as_int(months, "months", 1, 12_000),
                discount_rate=as_float(discount_rate, "discount_rate", 0.0),
                units_per_month=units,
                interval=interval,
                draws=draws,
                seed=seed,
                progress=progress,
            )
        args = (f, r, t, m, as_int(months, "months", 1, 12_000), as_float(discount_rate, "discount_rate", 0.0), units)
        return self._fitted().clv(native, *args)
