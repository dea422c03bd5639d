"""Confidence intervals of the per-customer CLV predictions by parametric
bootstrap (see ``docs/clv.md``, "Intervals"): the covariance of a fit and
the native bootstrap call that every prediction method shares."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from . import _native
from ._params import as_float, as_int
from ._progress import reporter
from .exceptions import FitError, InvalidParameterError

__all__ = ["Interval"]


class Interval(NamedTuple):
    """A per-customer prediction with its confidence interval (arrays of
    one value per customer).

    Example:
        >>> import ciblage
        >>> s = ciblage.clv.summary(ciblage.datasets.cdnow(), freq="7D", observation_end="1997-09-30")
        >>> est, low, high = ciblage.clv.BgNbd().fit(s).p_alive(s, interval=0.9, draws=50, seed=1)
        >>> bool(((low <= est) & (est <= high)).all())
        True
    """

    estimate: np.ndarray
    low: np.ndarray
    high: np.ndarray

    def __repr__(self) -> str:
        n = len(self.estimate)
        inside = float(np.nanmean(self.high - self.low)) if n else float("nan")
        return f"Interval({n} customers, mean width {inside:.4g})"


def _bootstrap(interval: Any, draws: Any, seed: Any) -> dict[str, Any]:
    return {
        "level": as_float(interval, "interval", 0.0, 1.0, low_open=True, high_open=True),
        "draws": as_int(draws, "draws", 2, 1_000_000),
        "seed": as_int(seed, "seed", 0, 2**64 - 1),
    }


def log_covariance(native: Any, columns: tuple[np.ndarray, ...], **kw: Any) -> np.ndarray | None:
    """Covariance of the log-parameters of a model fitted on ``columns``;
    ``None`` where the Hessian is not positive definite."""
    try:
        return _native.clv_log_covariance(native, *columns, **kw)
    except FitError:
        return None


def fitted_covariance(
    report: dict[str, Any], native: Any, columns: tuple[np.ndarray, ...], **kw: Any
) -> np.ndarray | None:
    """The covariance of the log-parameters that a fit's report holds
    (``log_covariance``, left out where the Hessian is not positive
    definite), else computed on ``columns`` (the data fitted); ``None``
    where the Hessian is not positive definite."""
    if report.get("log_covariance") is not None:
        return np.array(report["log_covariance"], dtype=np.float64)
    return log_covariance(native, columns, **kw)


def _covariance(model: Any) -> np.ndarray:
    cov = getattr(model, "_covariance", None)
    if cov is None:
        raise InvalidParameterError(
            f"invalid parameter interval: this {type(model).__name__} has no covariance of its estimates "
            "(read from JSON, or the Hessian is not positive definite at the fit): refit it to get intervals"
        )
    return np.ascontiguousarray(cov)


def interval(
    what: str,
    *,
    purchases: Any,
    spend: Any,
    columns: tuple[np.ndarray, np.ndarray, np.ndarray],
    monetary_value: np.ndarray | None = None,
    covariates: tuple[np.ndarray, list[str]] | None = None,
    interval: Any,
    draws: Any,
    seed: Any,
    progress: Any = False,
    **options: Any,
) -> Interval:
    """The parametric-bootstrap interval of one prediction (``what``);
    ``progress`` (True, False or a callable taking ``(done, total)``)
    follows the predictions made, one per customer and draw."""
    boot = _bootstrap(interval, draws, seed)
    report = reporter(progress, f"interval of {what}")
    z, names = covariates if covariates is not None else (None, None)
    frequency, recency, t = columns
    estimate, low, high = _native.clv_interval(
        what,
        None if purchases is None else purchases._fitted(),
        None if purchases is None else _covariance(purchases),
        None if spend is None else spend._fitted(),
        None if spend is None else _covariance(spend),
        frequency,
        recency,
        t,
        monetary_value=monetary_value,
        covariates=z,
        names=names,
        progress=report,
        **options,
        **boot,
    )
    return Interval(estimate, low, high)
