"""Charts of value: Pareto/ABC (:func:`ciblage.value_tiers`) and the Lorenz
curve (:func:`ciblage.concentration`)."""

from __future__ import annotations

from typing import Any

from ciblage._params import as_choice
from ciblage.plot._display import Display, check_result, colormap, frame, percent_axis, require_pandas

__all__ = ["ParetoDisplay", "LorenzDisplay"]


class ParetoDisplay(Display):
    """Pareto/ABC chart: the cumulative share of value against the share of
    customers ranked best first, over bands of the value tiers.

    Zero and negative values add nothing to the cumulative share (they are
    counted as zero, as in :func:`ciblage.concentration`): the curve ends at
    100 % with the last customer of positive value and stays flat after.

    Attributes:
        data: one row per customer by rank: rank, value, tier,
            share_of_customers (rank / customers), cumulative_value,
            cumulative_share (of the positive value).
        tiers: the tier names, best first.
    """

    def __init__(self, data: Any, tiers: list[str]) -> None:
        self.data = data
        self.tiers = tiers

    @classmethod
    def from_result(cls, result: Any) -> ParetoDisplay:
        """The chart of a :class:`~ciblage.ValueTiers`."""
        check_result(result, ("customers", "summary", "names"), "a ValueTiers (ciblage.value_tiers)")
        customers = frame(result.customers, "result")
        value = [c for c in customers.columns if c not in ("rank", "tier")][-1]
        ordered = customers.sort_values("rank", kind="stable")
        values = ordered[value].to_numpy(dtype="float64")
        positive = values.clip(min=0.0)
        total = positive.sum()
        cumulative = positive.cumsum()
        pd = require_pandas()
        n = len(values)
        data = pd.DataFrame(
            {
                "rank": ordered["rank"].to_numpy(dtype="int64"),
                "value": values,
                "tier": ordered["tier"].astype(str).to_numpy(),
                "share_of_customers": ordered["rank"].to_numpy(dtype="float64") / n,
                "cumulative_value": cumulative,
                "cumulative_share": cumulative / total if total > 0 else cumulative * float("nan"),
            }
        )
        return cls(data, list(result.names))

    def _draw(self, ax: Any, **kwargs: Any) -> None:
        import numpy as np

        colours = colormap(kwargs.pop("band_cmap", "Pastel1"))
        x = np.concatenate([[0.0], self.data["share_of_customers"].to_numpy()])
        y = np.concatenate([[0.0], self.data["cumulative_share"].to_numpy()])
        start = 0.0
        for k, tier in enumerate(self.tiers):
            part = self.data[self.data["tier"] == tier]
            if not len(part):
                continue
            end = float(part["share_of_customers"].max())
            ax.axvspan(start, end, color=colours(k % colours.N), alpha=0.6, linewidth=0, label=tier)
            start = end
        kwargs.setdefault("color", "black")
        ax.plot(x, y, label="cumulative share of value", **kwargs)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        percent_axis(ax.xaxis)
        percent_axis(ax.yaxis)
        ax.set_xlabel("customers, best first")
        ax.set_ylabel("cumulative share of value")
        ax.set_title("Pareto chart of value by tier")
        ax.legend(loc="lower right")


class LorenzDisplay(Display):
    """Lorenz curve of value (customers poorest first) against the line of
    equality, the Gini coefficient in the legend.

    Attributes:
        data: share_of_customers, share_of_value (``Concentration.lorenz``).
        gini: the Gini coefficient.
    """

    def __init__(self, data: Any, gini: float) -> None:
        self.data = data
        self.gini = float(gini)

    @classmethod
    def from_result(cls, result: Any, *, points: int = 101) -> LorenzDisplay:
        """The curve of a :class:`~ciblage.Concentration` at ``points``
        evenly spaced shares of customers."""
        check_result(result, ("lorenz", "gini"), "a Concentration (ciblage.concentration)")
        return cls(frame(result.lorenz(points), "result"), result.gini)

    def _draw(self, ax: Any, **kwargs: Any) -> None:
        ax.plot([0, 1], [0, 1], color="0.6", linestyle="--", linewidth=1, label="equality")
        kwargs.setdefault("color", "#c44e52")
        ax.plot(
            self.data["share_of_customers"],
            self.data["share_of_value"],
            label=f"Lorenz curve (Gini = {self.gini:.3f})",
            **kwargs,
        )
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_aspect("equal")
        percent_axis(ax.xaxis)
        percent_axis(ax.yaxis)
        ax.set_xlabel("customers, lowest value first")
        ax.set_ylabel("cumulative share of value")
        ax.set_title("Concentration of value")
        ax.legend(loc="upper left")


def plot_tiers(result: Any, kind: str, ax: Any, kwargs: dict[str, Any]) -> Display:
    """``ValueTiers.plot``."""
    as_choice(kind, "kind", ("pareto",))
    return ParetoDisplay.from_result(result).plot(ax=ax, **kwargs)


def plot_concentration(result: Any, kind: str, ax: Any, kwargs: dict[str, Any]) -> Display:
    """``Concentration.plot``."""
    as_choice(kind, "kind", ("lorenz",))
    points = kwargs.pop("points", 101)
    return LorenzDisplay.from_result(result, points=points).plot(ax=ax, **kwargs)
