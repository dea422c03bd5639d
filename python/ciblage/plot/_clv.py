"""Charts of the CLV models (:mod:`ciblage.clv`): frequency–recency matrices
of expected purchases and of P(alive), calibration against holdout, and
tracking of repeat purchases."""

from __future__ import annotations

from typing import Any

import numpy as np

from ciblage._params import as_bool, as_choice, as_float, as_int, as_str
from ciblage.exceptions import ColumnNotFoundError, InvalidInputError, InvalidParameterError
from ciblage.plot._display import Display, check_result, frame, heatmap, numeric, require_pandas, ticks

__all__ = [
    "FrequencyRecencyDisplay",
    "CalibrationHoldoutDisplay",
    "TrackingDisplay",
]


#: Most cells of a frequency-recency matrix (each is a model evaluation and
#: an image pixel).
MAX_CELLS = 1_000_000


def _maximum(data: Any, column: str, given: int | None, name: str) -> int:
    if given is not None:
        return as_int(given, name, 0, MAX_CELLS)
    if data is None:
        raise InvalidParameterError(
            f"invalid parameter {name}: give {name}, or data (the summary the model was fitted on) to take "
            f"the largest {column} from"
        )
    table = frame(data, "data")
    if column not in table.columns:
        raise ColumnNotFoundError(f"data: column {column!r} not found")
    values = numeric(table, column, "data")
    if len(values) == 0 or not np.all(np.isfinite(values)) or np.any(values < 0):
        raise InvalidInputError(f"data: column {column!r} must hold finite numbers >= 0 (and at least one row)")
    return int(values.max())


class FrequencyRecencyDisplay(Display):
    """Frequency–recency matrix of a fitted purchase model, as ``lifetimes``'
    ``plot_frequency_recency_matrix`` and ``plot_probability_alive_matrix``:
    for a customer observed for ``T`` periods (default the largest
    recency), with ``frequency`` repeat purchases (columns) and the last at
    ``recency`` (rows, most recent at the top), either the expected
    purchases in the next ``t`` periods or the probability of being alive.

    Histories that cannot happen (no repeat purchase but a recency above 0)
    are NaN, hatched.

    Attributes:
        data: frequency, recency, value (one row per cell).
        what: ``"expected_purchases"`` or ``"p_alive"``.
        t: the horizon of the expected purchases (None for P(alive)).
        T: the observation length of every cell.
    """

    def __init__(self, data: Any, what: str = "expected_purchases", t: float | None = 1.0, T: float = 0.0) -> None:
        self.data = data
        self.what = what
        self.t = t
        self.T = T

    @classmethod
    def from_estimator(
        cls,
        model: Any,
        data: Any = None,
        *,
        what: str = "expected_purchases",
        t: float = 1.0,
        max_frequency: int | None = None,
        max_recency: int | None = None,
    ) -> FrequencyRecencyDisplay:
        """The matrix of a fitted :class:`~ciblage.clv.BgNbd` or
        :class:`~ciblage.clv.ParetoNbd`; ``what`` is ``"expected_purchases"``
        (in the next ``t`` periods) or ``"p_alive"``. The grid runs to
        ``max_frequency`` and ``max_recency`` (default the largest
        ``frequency`` and ``T`` of ``data``, the fitted summary), and every
        cell is observed for ``T = max_recency`` periods."""
        import numpy as np

        pd = require_pandas()
        check_result(model, ("p_alive", "expected_purchases"), "a fitted BgNbd or ParetoNbd (ciblage.clv)", "model")
        what = as_choice(what, "what", ("expected_purchases", "p_alive"))
        t = as_float(t, "t", 0.0)
        top_f = _maximum(data, "frequency", max_frequency, "max_frequency")
        top_r = _maximum(data, "T", max_recency, "max_recency")
        if (top_f + 1) * (top_r + 1) > MAX_CELLS:
            raise InvalidParameterError(
                f"invalid parameter max_frequency: a grid of {top_f + 1:,} frequencies by {top_r + 1:,} recencies "
                f"has more than {MAX_CELLS:,} cells; give smaller max_frequency and max_recency"
            )
        fs, rs = np.meshgrid(np.arange(top_f + 1, dtype=np.float64), np.arange(top_r + 1, dtype=np.float64))
        f, r = fs.ravel(), rs.ravel()
        possible = (f > 0) | (r == 0)
        grid = pd.DataFrame({"frequency": f[possible], "recency": r[possible], "T": float(top_r)})
        values = np.full(len(f), np.nan)
        if what == "p_alive":
            values[possible] = model.p_alive(grid)
        else:
            values[possible] = model.expected_purchases(t, grid)
        data_out = pd.DataFrame({"frequency": f.astype("int64"), "recency": r.astype("int64"), "value": values})
        return cls(data_out, what, t if what == "expected_purchases" else None, float(top_r))

    def matrix(self) -> Any:
        """The values as a (recency, frequency) array, recency ascending."""
        return self.data.pivot(index="recency", columns="frequency", values="value").to_numpy(dtype="float64")

    def _draw(self, ax: Any, **kwargs: Any) -> None:
        z = self.matrix()
        recencies = sorted(set(self.data["recency"]))
        frequencies = sorted(set(self.data["frequency"]))
        kwargs.setdefault("cmap", "viridis")
        kwargs.setdefault("origin", "lower")
        if self.what == "p_alive":
            kwargs.setdefault("vmin", 0.0)
            kwargs.setdefault("vmax", 1.0)
            label, title = "P(alive)", "P(alive)"
        else:
            label = f"expected purchases in the next {self.t:g} periods"
            title = f"Expected purchases (next t = {self.t:g})"
        heatmap(ax, z, frequencies, recencies, colorbar=label, percent=self.what == "p_alive", **kwargs)
        ticks(ax, [str(f) for f in frequencies], "x")
        ticks(ax, [str(r) for r in recencies], "y")
        ax.set_xlabel("frequency (repeat purchases)")
        ax.set_ylabel("recency (period of the last purchase)")
        ax.set_title(f"{title} by frequency and recency, T = {self.T:g}")


def _columns(table: Any, names: dict[str, str]) -> Any:
    for argument, column in names.items():
        as_str(column, argument)
        if column not in table.columns:
            raise ColumnNotFoundError(
                f"{argument}: column {column!r} not found in the table; it has {list(table.columns)}"
            )
    return table


class CalibrationHoldoutDisplay(Display):
    """Calibration against holdout: per number of repeat purchases in the
    calibration period, the mean actual and mean predicted purchases in the
    holdout period (``lifetimes``' ``plot_calibration_purchases_vs_holdout_purchases``).

    Attributes:
        data: frequency (the calibration frequency bin, e.g. ``"6+"`` for the
            last), actual, expected.
    """

    def __init__(self, data: Any) -> None:
        self.data = data

    @classmethod
    def from_table(
        cls, table: Any, *, frequency: str = "frequency", actual: str = "actual", expected: str = "expected"
    ) -> CalibrationHoldoutDisplay:
        """The chart of a calibration-vs-holdout table: one row per
        calibration frequency, with the mean ``actual`` and ``expected``
        holdout purchases (columns named by the arguments)."""
        t = _columns(frame(table, "table"), {"frequency": frequency, "actual": actual, "expected": expected})
        data = require_pandas().DataFrame(
            {
                "frequency": t[frequency].astype(str).to_numpy(),
                "actual": numeric(t, actual, "actual"),
                "expected": numeric(t, expected, "expected"),
            }
        )
        return cls(data)

    @classmethod
    def from_result(cls, result: Any) -> CalibrationHoldoutDisplay:
        """The chart of a :class:`~ciblage.clv.HoldoutEvaluation`'s
        ``by_frequency`` table (labelled ``0``, ``1``, …, ``6+``)."""
        if not hasattr(result, "by_frequency"):
            raise InvalidParameterError(
                f"invalid parameter result: expected a HoldoutEvaluation, got {type(result).__name__}"
            )
        return cls.from_table(result.by_frequency, frequency="label")

    def _draw(self, ax: Any, **kwargs: Any) -> None:
        import numpy as np

        x = np.arange(len(self.data))
        kwargs.setdefault("marker", "o")
        ax.plot(x, self.data["actual"], label="actual", color="#4c72b0", **kwargs)
        ax.plot(x, self.data["expected"], label="model", color="#dd8452", linestyle="--", **kwargs)
        ax.set_xticks(x, list(self.data["frequency"]))
        ax.set_xlabel("purchases in the calibration period")
        ax.set_ylabel("mean purchases in the holdout period")
        ax.set_title("Actual against predicted purchases in the holdout period")
        ax.legend(loc="upper left")


class TrackingDisplay(Display):
    """Tracking of repeat purchases per period, actual against the model's
    expectation: cumulative (default) or incremental, with the end of the
    calibration period marked when given.

    Attributes:
        data: period, actual, expected (cumulative or per period, as drawn).
        cumulative: whether the curves are cumulative.
        calibration_end: the period drawn as the end of calibration, or None.
    """

    def __init__(self, data: Any, cumulative: bool = True, calibration_end: Any = None) -> None:
        self.data = data
        self.cumulative = cumulative
        self.calibration_end = calibration_end

    @classmethod
    def from_table(
        cls,
        table: Any,
        *,
        cumulative: bool = True,
        calibration_end: Any = None,
        period: str = "period",
        actual: str | None = None,
        expected: str | None = None,
    ) -> TrackingDisplay:
        """The chart of a tracking table: one row per period with the
        actual and expected repeat purchases (``actual``/``expected``) and
        their running totals (``cumulative_actual``/``cumulative_expected``);
        ``cumulative`` picks which pair is drawn (``actual``/``expected``
        rename the columns read)."""
        cumulative = as_bool(cumulative, "cumulative")
        prefix = "cumulative_" if cumulative else ""
        names = {
            "period": period,
            "actual": actual if actual is not None else f"{prefix}actual",
            "expected": expected if expected is not None else f"{prefix}expected",
        }
        t = _columns(frame(table, "table"), names)
        data = require_pandas().DataFrame(
            {
                "period": t[names["period"]].to_numpy(),
                "actual": numeric(t, names["actual"], "actual"),
                "expected": numeric(t, names["expected"], "expected"),
            }
        )
        return cls(data, cumulative, calibration_end)

    @classmethod
    def from_result(cls, result: Any, *, cumulative: bool = True) -> TrackingDisplay:
        """The chart of a :class:`~ciblage.clv.HoldoutEvaluation`'s
        ``tracking`` table, the last calibration period marked."""
        if not hasattr(result, "tracking"):
            raise InvalidParameterError(
                f"invalid parameter result: expected a HoldoutEvaluation, got {type(result).__name__}"
            )
        t = frame(result.tracking, "result")
        calibration = t.loc[~t["holdout"].astype(bool), "period"]
        end = calibration.max() if len(calibration) else None
        return cls.from_table(t, cumulative=cumulative, calibration_end=end)

    def _draw(self, ax: Any, **kwargs: Any) -> None:
        ax.plot(self.data["period"], self.data["actual"], label="actual", color="#4c72b0", **kwargs)
        ax.plot(self.data["period"], self.data["expected"], label="model", color="#dd8452", linestyle="--", **kwargs)
        if self.calibration_end is not None:
            ax.axvline(self.calibration_end, color="0.4", linestyle=":", label="end of calibration")
        what = "cumulative repeat purchases" if self.cumulative else "repeat purchases per period"
        ax.set_xlabel("period")
        ax.set_ylabel(what)
        ax.set_title(f"Tracking: {what}, actual and predicted")
        ax.legend(loc="upper left")


def plot_model(model: Any, kind: str, data: Any, ax: Any, kwargs: dict[str, Any]) -> Display:
    """``BgNbd.plot`` / ``ParetoNbd.plot``."""
    kind = as_choice(kind, "kind", ("frequency_recency", "p_alive"))
    options = {k: kwargs.pop(k) for k in ("t", "max_frequency", "max_recency") if k in kwargs}
    what = "p_alive" if kind == "p_alive" else "expected_purchases"
    if what == "p_alive" and "t" in options:
        raise InvalidParameterError("invalid parameter t: the horizon t does not apply to kind='p_alive'")
    return FrequencyRecencyDisplay.from_estimator(model, data, what=what, **options).plot(ax=ax, **kwargs)
