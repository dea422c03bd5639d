"""Gains, lift and cumulative response charts of classification trees (or
of any scores): their ``data`` is the gains table, one row per segment
(leaf, or distinct score) by decreasing response rate."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from ciblage.exceptions import InvalidInputError, InvalidParameterError
from ciblage.plot._display import Display, as_table

if TYPE_CHECKING:
    import pandas

__all__ = ["CumulativeResponseDisplay", "GainsDisplay", "LiftDisplay", "gains_table", "styled"]

_COLUMNS = (
    "n",
    "share",
    "responses",
    "response_rate",
    "gain",
    "index",
    "cumulative_share",
    "cumulative_gain",
    "cumulative_index",
)


def pd_isna(values: np.ndarray) -> Any:
    """Where ``values`` are missing (None, NaN, pandas' NA)."""
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is optional
        return np.array([v is None or v != v for v in values.tolist()], dtype=bool)
    return pd.isna(values)


def gains_table(y_true: Any, y_score: Any, pos_label: Any = None) -> pandas.DataFrame:
    """The gains table of scores, as the trees' ``gains()``: one row per
    distinct score, highest first, with ``score``, n, share, responses,
    response_rate, gain, index (lift × 100) and their cumulative values.
    ``y_true`` holds booleans or 0/1, or labels compared with ``pos_label``."""
    yt = np.asarray(y_true)
    ys = np.asarray(y_score)
    if yt.ndim != 1 or ys.ndim != 1:
        raise InvalidInputError(f"y_true, y_score: expected 1-D arrays, got shapes {yt.shape} and {ys.shape}")
    if len(yt) != len(ys):
        raise InvalidInputError(f"y_score: has {len(ys)} values for {len(yt)} values of y_true")
    if len(yt) == 0:
        raise InvalidInputError("y_true: no rows")
    try:
        score = ys.astype(np.float64)
    except (TypeError, ValueError) as e:
        raise InvalidInputError(f"y_score: cannot be read as numbers ({e})") from None
    if not np.isfinite(score).all():
        row = int(np.flatnonzero(~np.isfinite(score))[0])
        raise InvalidInputError(f"y_score: non-finite value {score[row]} at row {row}")
    missing = np.asarray(pd_isna(yt), dtype=bool)
    if missing.any():
        row = int(np.flatnonzero(missing)[0])
        raise InvalidInputError(f"y_true: missing outcome ({yt[row]!r}) at row {row}: every row needs one")
    if pos_label is not None:
        hit = yt == pos_label
    elif yt.dtype.kind == "b":
        hit = yt
    else:
        values = set(np.unique(yt).tolist()) if yt.dtype.kind in "iuf" else None
        if values is None or not values <= {0, 1}:
            raise InvalidParameterError(
                "invalid parameter pos_label: y_true holds other values than 0/1 or booleans: name the positive class"
            )
        hit = yt == 1
    hit = np.asarray(hit, dtype=np.float64)
    levels, inverse = np.unique(-score, return_inverse=True)
    n = np.bincount(inverse, minlength=len(levels)).astype(np.float64)
    responses = np.bincount(inverse, weights=hit, minlength=len(levels))
    total, total_hits = n.sum(), responses.sum()
    overall = total_hits / total
    rate = responses / n
    share = n / total
    gain = responses / total_hits if total_hits > 0 else np.zeros_like(n)
    index = rate / overall * 100 if overall > 0 else np.zeros_like(n)
    cum_share = np.cumsum(n) / total
    cum_gain = np.cumsum(gain)
    cum_index = (np.cumsum(responses) / np.cumsum(n)) / overall * 100 if overall > 0 else np.zeros_like(n)
    return as_table(
        {
            "score": (-levels).tolist(),
            "n": n.tolist(),
            "share": share.tolist(),
            "responses": responses.tolist(),
            "response_rate": rate.tolist(),
            "gain": gain.tolist(),
            "index": index.tolist(),
            "cumulative_share": cum_share.tolist(),
            "cumulative_gain": cum_gain.tolist(),
            "cumulative_index": cum_index.tolist(),
        }
    )


def styled(draw: Any, *args: Any, **kwargs: Any) -> Any:
    """``draw(*args, **kwargs)``, a matplotlib call given the caller's
    keyword arguments: one it does not know is an InvalidParameterError
    naming it (not matplotlib's AttributeError)."""
    try:
        return draw(*args, **kwargs)
    except (AttributeError, TypeError) as e:
        raise InvalidParameterError(f"invalid parameter {', '.join(sorted(kwargs))}: {e}") from None


def _column(data: Any, name: str) -> np.ndarray:
    return np.asarray(data[name], dtype=np.float64)


#: The chart class a ``from_...`` constructor is called on.
_Chart = TypeVar("_Chart", bound="_GainsChart")


class _GainsChart(Display):
    """A chart of a gains table (``data``: the table itself)."""

    def __init__(self, table: Any) -> None:
        columns = list(getattr(table, "columns", table if isinstance(table, dict) else []))
        missing = [c for c in _COLUMNS if c not in columns]
        if missing:
            raise InvalidParameterError(
                f"invalid parameter result: expected a gains table (model.gains(target)), missing columns {missing}"
            )
        self.data = table

    @classmethod
    def from_result(cls: type[_Chart], result: Any) -> _Chart:
        """The chart of a gains table: ``model.gains(target)`` of a CART or
        CHAID classifier (the training leaves), or :func:`gains_table`."""
        return cls(result)

    @classmethod
    def from_predictions(cls: type[_Chart], y_true: Any, y_score: Any, pos_label: Any = None) -> _Chart:
        """The chart of scores against outcomes (see :func:`gains_table`)."""
        return cls(gains_table(y_true, y_score, pos_label))

    @classmethod
    def from_estimator(cls: type[_Chart], model: Any, X: Any, y: Any, target: Any = None) -> _Chart:
        """The chart of a fitted classifier on data ``X``, ``y``: rows
        ranked by the predicted probability of class ``target`` (default:
        the last class, the positive one of a binary tree)."""
        classes = getattr(model, "classes_", None)
        if classes is None or not hasattr(model, "predict_proba"):
            raise InvalidParameterError(
                f"invalid parameter model: expected a fitted classifier, got {type(model).__name__}"
            )
        if target is None:
            target = classes[-1]
        if np.ndim(target) != 0:
            raise InvalidParameterError(f"invalid parameter target: expected one class label, got {target!r}")
        k = np.flatnonzero(np.asarray(classes) == target)
        if len(k) == 0:
            raise InvalidParameterError(f"invalid parameter target: {target!r} is not a class ({list(classes)})")
        score = np.asarray(model.predict_proba(X))[:, int(k[0])]
        yy = np.asarray(y)
        if yy.ndim != 1 or len(yy) != len(score):
            raise InvalidInputError(f"y: expected one label per row of X ({len(score)}), got shape {yy.shape}")
        return cls(gains_table(yy == target, score))

    def _x(self) -> np.ndarray:
        return np.concatenate([[0.0], _column(self.data, "cumulative_share")])

    def _finish(self, ax: Any, ylabel: str) -> None:
        ax.set_xlabel("share of cases (cumulative, best segments first)")
        ax.set_ylabel(ylabel)
        ax.set_xlim(0, 1)
        ax.grid(True, alpha=0.3)


class GainsDisplay(_GainsChart):
    """Cumulative gains: the share of all responses found in the best
    segments against the share of cases they hold, with the diagonal of a
    random ordering. ``data``: the gains table."""

    def _draw(self, ax: Any, **kwargs: Any) -> None:
        y = np.concatenate([[0.0], _column(self.data, "cumulative_gain")])
        ax.plot([0, 1], [0, 1], linestyle="--", color="#999", label="random")
        kwargs.setdefault("marker", "o")
        kwargs.setdefault("label", "model")
        styled(ax.plot, self._x(), y, **kwargs)
        ax.set_ylim(0, 1.02)
        self._finish(ax, "share of responses (cumulative gain)")
        ax.legend(loc="lower right")


class LiftDisplay(_GainsChart):
    """Cumulative lift: the response rate of the best segments over the
    overall rate (``cumulative_index / 100``), against the share of cases
    they hold; 1 is a random ordering. ``data``: the gains table."""

    def _draw(self, ax: Any, **kwargs: Any) -> None:
        x = _column(self.data, "cumulative_share")
        y = _column(self.data, "cumulative_index") / 100
        ax.axhline(1.0, linestyle="--", color="#999", label="random")
        kwargs.setdefault("marker", "o")
        kwargs.setdefault("label", "model")
        styled(ax.plot, x, y, **kwargs)
        ax.set_ylim(0, max(1.1, float(np.nanmax(y)) * 1.05) if len(y) else 1.1)
        self._finish(ax, "cumulative lift")
        ax.legend(loc="upper right")


class CumulativeResponseDisplay(_GainsChart):
    """Cumulative response: the response rate of the best segments taken
    together, against the share of cases they hold, with the overall rate.
    ``data``: the gains table."""

    def overall_rate(self) -> float:
        """The overall response rate, from any segment's rate and index
        (index = rate / overall × 100); 0 when there are no responses."""
        rate = _column(self.data, "response_rate")
        index = _column(self.data, "index")
        ok = np.flatnonzero(index > 0)
        return float(rate[ok[0]] * 100 / index[ok[0]]) if len(ok) else 0.0

    def _draw(self, ax: Any, **kwargs: Any) -> None:
        x = _column(self.data, "cumulative_share")
        overall = self.overall_rate()
        y = _column(self.data, "cumulative_index") / 100 * overall
        ax.axhline(overall, linestyle="--", color="#999", label="overall rate")
        kwargs.setdefault("marker", "o")
        kwargs.setdefault("label", "model")
        styled(ax.plot, x, y, **kwargs)
        ax.set_ylim(0, 1.02 if overall <= 1 else float(np.nanmax(y)) * 1.05)
        self._finish(ax, "response rate (cumulative)")
        ax.legend(loc="upper right")
