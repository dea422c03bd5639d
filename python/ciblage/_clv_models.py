"""The BG/BB and shifted-BG models of ``ciblage.clv`` (see ``docs/clv.md``)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np

from . import _native
from ._clv_base import _column, _Model
from ._params import as_float, as_int, as_str
from .exceptions import InvalidInputError, InvalidParameterError

__all__ = ["BgBb", "ShiftedBetaGeo"]

# Largest number of periods or opportunities a prediction takes.
_MAX_PERIODS = 10_000_000


def _whole(value: Any, name: str, low: int) -> tuple[list[int], bool]:
    """A whole number or an array of them in ``[low, 10^7]``, as a list and
    whether it was a scalar."""
    if isinstance(value, bool):
        raise InvalidParameterError(f"invalid parameter {name}: expected a whole number, got {value!r}")
    scalar = np.ndim(value) == 0
    if scalar:
        return [as_int(value, name, low, _MAX_PERIODS)], True
    try:
        values = np.asarray(value, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise InvalidParameterError(f"invalid parameter {name}: expected whole numbers, got {value!r}") from None
    if not np.all(np.isfinite(values) & (values == np.floor(values)) & (values >= low) & (values <= _MAX_PERIODS)):
        raise InvalidParameterError(
            f"invalid parameter {name}: expected whole numbers from {low} to {_MAX_PERIODS}, got {value!r}"
        )
    return [int(v) for v in values], False


def _out(values: np.ndarray, scalar: bool) -> Any:
    return float(values[0]) if scalar else values


class BgBb(_Model):
    """BG/BB model (Fader, Hardie & Shang 2010) of discrete transaction
    opportunities (a yearly donation, an annual event): while alive a
    customer transacts at each opportunity with probability p ~ beta(alpha,
    beta) and drops out before the next with probability theta ~
    beta(gamma, delta). ``lifetimes``' ``BetaGeoBetaBinomFitter``,
    pymc-marketing's ``BetaGeoBetaBinomModel``, CLVTools' ``bgbb``.

    The data: one row per customer (or per distinct history, with a
    ``weights`` column of customer counts): ``frequency`` = opportunities
    with a transaction after the first, ``recency`` = the last of them (0
    without one), ``opportunities`` = opportunities observed (whole numbers,
    frequency <= recency <= opportunities). A :func:`~ciblage.clv.summary`
    in whole periods (``freq="W"`` or ``"M"``) gives them with
    ``opportunities="T"``. See :func:`ciblage.datasets.donations`.

    Args:
        penalizer: L2 penalty on the parameters, >= 0.
        max_iterations: most L-BFGS iterations.

    Attributes (after ``fit``): ``params_`` (alpha, beta, gamma, delta),
    ``standard_errors_``, ``log_likelihood_``, ``convergence_``.

    Example:
        >>> import ciblage
        >>> donors = ciblage.datasets.donations(library="pandas")
        >>> model = ciblage.clv.BgBb().fit(donors, weights="weights")
        >>> round(model.params_["alpha"], 3), round(model.params_["delta"], 3)
        (1.204, 2.783)
    """

    _kind = "bg_bb"
    _title = "BG/BB model"
    _params = {"penalizer": (0.0, 0.0, None), "max_iterations": (1000, 1, 1_000_000)}

    def __init__(self, penalizer: float = 0.0, max_iterations: int = 1000) -> None:
        super().__init__(penalizer=penalizer, max_iterations=max_iterations)

    @staticmethod
    def _data(data: Any, frequency: str, recency: str, opportunities: str) -> tuple[np.ndarray, ...]:
        return (
            _column(data, as_str(frequency, "frequency"), "frequency"),
            _column(data, as_str(recency, "recency"), "recency"),
            _column(data, as_str(opportunities, "opportunities"), "opportunities"),
        )

    def fit(
        self,
        data: Any,
        *,
        frequency: str = "frequency",
        recency: str = "recency",
        opportunities: str = "periods",
        weights: str | None = None,
    ) -> Any:
        """Fits by maximum likelihood; ``opportunities`` names the column of
        opportunities observed (default ``"periods"``, as the donations
        data), ``weights`` a column of customer counts per row."""
        p = self._checked()
        f, r, n = self._data(data, frequency, recency, opportunities)
        w = None if weights is None else _column(data, as_str(weights, "weights"), "weights")
        model = _native.bg_bb_fit(f, r, n, weights=w, penalizer=p["penalizer"], max_iterations=p["max_iterations"])
        return self._set_model(model)

    def p_alive(
        self, data: Any, *, frequency: str = "frequency", recency: str = "recency", opportunities: str = "periods"
    ) -> np.ndarray:
        """Probability that each customer is alive at the next opportunity."""
        return self._fitted().p_alive(*self._data(data, frequency, recency, opportunities))

    def expected_purchases(
        self,
        n: int,
        data: Any,
        *,
        frequency: str = "frequency",
        recency: str = "recency",
        opportunities: str = "periods",
    ) -> np.ndarray:
        """Expected transactions of each customer in the next ``n`` opportunities."""
        n = as_int(n, "n", 0, _MAX_PERIODS)
        return self._fitted().expected_purchases(n, *self._data(data, frequency, recency, opportunities))

    def expected_purchases_new(self, n: Any) -> Any:
        """Expected transactions of a new customer in the first ``n``
        opportunities (a whole number or an array of them)."""
        values, scalar = _whole(n, "n", 0)
        return _out(self._fitted().expected_purchases_new(values), scalar)

    def dert(
        self,
        discount_rate: float,
        data: Any,
        *,
        frequency: str = "frequency",
        recency: str = "recency",
        opportunities: str = "periods",
    ) -> np.ndarray:
        """Discounted expected residual transactions of each customer
        (Fader, Hardie & Shang 2010): the expected transactions of every
        future opportunity, the k-th discounted by ``(1 + discount_rate)^k``;
        times the value of a transaction, the customer's residual value."""
        d = as_float(discount_rate, "discount_rate", 0.0)
        if d <= 0.0:
            raise InvalidParameterError(f"invalid parameter discount_rate: must be above 0, got {discount_rate!r}")
        return self._fitted().dert(d, *self._data(data, frequency, recency, opportunities))

    @classmethod
    def from_json(cls, text: str) -> Any:
        """A fitted model from :meth:`to_json`'s text (``ModelFileError`` if corrupt)."""
        return cls()._set_model(_native.BgBbModel.from_json(as_str(text, "text")))

    def __setstate__(self, state: dict[str, Any]) -> None:
        model = state.pop("_model", None)
        self.__dict__.update(state)
        if model is not None:
            self._model = _native.BgBbModel.from_json(model)


def _survivors(survivors: Any) -> list[list[float]]:
    """One cohort's counts or a list of cohorts' counts, as lists of floats."""
    if isinstance(survivors, (str, bytes)) or not isinstance(survivors, Iterable | np.ndarray):
        raise InvalidInputError(
            f"survivors: expected counts per period (one cohort) or a list of them, got {type(survivors).__name__}"
        )
    rows = list(survivors)
    if rows and all(np.ndim(r) == 0 for r in rows):
        rows = [rows]
    out = []
    for i, row in enumerate(rows):
        if isinstance(row, (str, bytes)) or np.ndim(row) != 1:
            raise InvalidInputError(f"survivors: cohort {i} is not a list of counts")
        values = []
        for v in row:
            if isinstance(v, (bool, np.bool_, str, bytes)):
                raise InvalidInputError(f"survivors: cohort {i} holds {v!r}, not a count")
            try:
                values.append(math.nan if v is None else float(v))
            except (TypeError, ValueError):
                raise InvalidInputError(f"survivors: cohort {i} holds a value that is not a number") from None
        # Unobserved periods at the end of a later cohort (None/NaN, as a
        # cohort matrix has them) are dropped; a gap before them is an error.
        while values and math.isnan(values[-1]):
            values.pop()
        if any(math.isnan(v) for v in values):
            raise InvalidInputError(f"survivors: cohort {i} has a missing count before its last observed period")
        out.append(values)
    return out


class ShiftedBetaGeo(_Model):
    """Shifted-beta-geometric model of contractual retention (Fader &
    Hardie 2007): each customer renews at the end of each period with a
    constant probability 1 - theta, theta ~ beta(alpha, beta) across
    customers, so that a cohort's retention rate rises with tenure
    (the weakest leave first). pymc-marketing's ``ShiftedBetaGeoModel``
    (and ``ShiftedBetaGeoModelIndividual``); CLVTools has no counterpart.

    Fit on cohort survivor counts (:meth:`fit`), per-customer lifetimes
    (:meth:`fit_lifetimes`) or the cohorts of :func:`ciblage.retention`
    (:meth:`fit_retention`, :meth:`fit_cohorts`); cohorts observed for fewer
    periods contribute fewer terms (right-censoring).

    Args:
        penalizer: L2 penalty on alpha and beta, >= 0.
        max_iterations: most L-BFGS iterations.

    Attributes (after fitting): ``params_`` (alpha, beta),
    ``standard_errors_``, ``log_likelihood_``, ``convergence_``,
    ``n_customers_``.

    Example:
        >>> import ciblage
        >>> model = ciblage.clv.ShiftedBetaGeo().fit([1000, 631, 468, 382, 326, 289, 262, 241])
        >>> round(model.params_["alpha"], 4), round(model.params_["beta"], 4)
        (0.7041, 1.182)
    """

    _kind = "shifted_beta_geo"
    _title = "Shifted-beta-geometric retention model"
    _params = {"penalizer": (0.0, 0.0, None), "max_iterations": (1000, 1, 1_000_000)}

    def __init__(self, penalizer: float = 0.0, max_iterations: int = 1000) -> None:
        super().__init__(penalizer=penalizer, max_iterations=max_iterations)

    def fit(self, survivors: Any) -> Any:
        """Fits on survivor counts: the customers alive at the start of each
        period, the cohort size first (``[1000, 631, 468, ...]``), or a list
        of such cohorts (a later cohort's list is shorter; None/NaN at its
        end are dropped)."""
        p = self._checked()
        model = _native.sbg_fit_survivors(
            _survivors(survivors), penalizer=p["penalizer"], max_iterations=p["max_iterations"]
        )
        return self._set_model(model)

    def fit_lifetimes(self, data: Any, *, lifetime: str = "lifetime", censored: str = "censored") -> Any:
        """Fits on one row per customer: ``lifetime`` = periods as a
        customer (1 or more, the first included), ``censored`` = true while
        still a customer at the end of observation."""
        p = self._checked()
        life = _column(data, as_str(lifetime, "lifetime"), "lifetime")
        flags = _column(data, as_str(censored, "censored"), "censored")
        if not np.all(np.isin(flags, (0.0, 1.0))):
            raise InvalidInputError(f"censored: column {censored!r} must hold booleans (or 0/1)")
        model = _native.sbg_fit_lifetimes(
            life, [bool(v) for v in flags], penalizer=p["penalizer"], max_iterations=p["max_iterations"]
        )
        return self._set_model(model)

    @staticmethod
    def _retention(result: Any) -> Any:
        native = getattr(result, "_native", None)
        if not isinstance(native, _native.RetentionResult):
            raise InvalidParameterError(
                f"invalid parameter result: expected the result of ciblage.retention, got {type(result).__name__}"
            )
        return native

    def fit_retention(self, result: Any) -> Any:
        """Fits one model on every cohort of :func:`ciblage.retention`'s
        result, pooled: a customer churned at his last active period when at
        least ``churn_after`` periods follow it, else is right-censored
        there (still a customer)."""
        p = self._checked()
        model = _native.sbg_fit_retention(
            self._retention(result), penalizer=p["penalizer"], max_iterations=p["max_iterations"]
        )
        return self._set_model(model)

    def fit_cohorts(self, result: Any) -> dict[str, Any]:
        """One fitted model per cohort of :func:`ciblage.retention`'s result,
        by cohort label. Cohorts whose data cannot tell alpha from beta (no
        churn yet, a single period observed) are left out with a warning
        naming them and why."""
        p = self._checked()
        fits = _native.sbg_fit_retention_cohorts(
            self._retention(result), penalizer=p["penalizer"], max_iterations=p["max_iterations"]
        )
        out: dict[str, Any] = {}
        skipped = []
        for label, model, reason in fits:
            if model is None:
                skipped.append(f"{label} ({reason})")
            else:
                out[label] = type(self)(**self.get_params())._set_model(model)
        if skipped:
            warnings.warn(
                f"ShiftedBetaGeo.fit_cohorts: {len(skipped)} cohort(s) not fitted: " + "; ".join(skipped),
                UserWarning,
                stacklevel=2,
            )
        return out

    def retention_rate(self, t: Any) -> Any:
        """Retention rate of period ``t`` (1 or more; a number or an array):
        the share of the customers of period t who renew,
        (beta + t - 1) / (alpha + beta + t - 1)."""
        values, scalar = _whole(t, "t", 1)
        return _out(self._fitted().retention_rate(values), scalar)

    def survival(self, t: Any) -> Any:
        """S(t): the share of a cohort still customers after ``t`` renewals
        (S(0) = 1)."""
        values, scalar = _whole(t, "t", 0)
        return _out(self._fitted().survival(values), scalar)

    def churn_probability(self, t: Any) -> Any:
        """P(T = t): the share of a cohort that leaves at the end of period ``t``."""
        values, scalar = _whole(t, "t", 0)
        return _out(self._fitted().churn_probability(values), scalar)

    def projected_survivors(self, t: Any, initial: float = 1000.0) -> Any:
        """Customers still there after ``t`` renewals out of ``initial`` at
        the start: ``initial * S(t)``."""
        initial = as_float(initial, "initial", 0.0)
        return initial * self.survival(t)

    def expected_lifetime(self) -> float:
        """Expected lifetime of a new customer in periods,
        (alpha + beta - 1) / (alpha - 1); ``inf`` when alpha <= 1."""
        return float(self._fitted().expected_lifetime())

    def derl(self, discount_rate: float, renewals: Any = 0) -> Any:
        """Discounted expected residual lifetime (Fader & Hardie 2010) of a
        customer who has renewed ``renewals`` times: the expected periods
        still paid for, the next one undiscounted, the k-th after it
        discounted by ``(1 + discount_rate)^k``. Times the margin per
        period, the customer's residual value."""
        d = as_float(discount_rate, "discount_rate", 0.0)
        if d <= 0.0:
            raise InvalidParameterError(f"invalid parameter discount_rate: must be above 0, got {discount_rate!r}")
        values, scalar = _whole(renewals, "renewals", 0)
        return _out(self._fitted().derl(d, values), scalar)

    @classmethod
    def from_json(cls, text: str) -> Any:
        """A fitted model from :meth:`to_json`'s text (``ModelFileError`` if corrupt)."""
        return cls()._set_model(_native.ShiftedBetaGeoModel.from_json(as_str(text, "text")))

    def __setstate__(self, state: dict[str, Any]) -> None:
        model = state.pop("_model", None)
        self.__dict__.update(state)
        if model is not None:
            self._model = _native.ShiftedBetaGeoModel.from_json(model)
