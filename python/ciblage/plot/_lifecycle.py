"""Charts of a lifecycle evaluation (:func:`ciblage.lifecycle.evaluate`)."""

from __future__ import annotations

from typing import Any

from ciblage._params import as_choice
from ciblage.plot._display import Display, check_result, colormap, frame

__all__ = ["LifecycleStagesDisplay", "LifecycleContactsDisplay"]

#: The attributes the charts read from the result.
_LIFECYCLE = ("customers", "decisions")


class LifecycleStagesDisplay(Display):
    """Customers per stage, each bar split by moment of the relationship
    (recruitment, retention, development, win-back).

    Attributes:
        data: stage, then one column per moment: customers (stages by number
            of customers, largest first).
    """

    def __init__(self, data: Any) -> None:
        self.data = data

    @classmethod
    def from_result(cls, result: Any) -> LifecycleStagesDisplay:
        """The bars of a :class:`~ciblage.lifecycle.LifecycleResult`."""
        check_result(result, _LIFECYCLE, "a LifecycleResult (ciblage.lifecycle.evaluate)")
        customers = frame(result.customers, "result")
        table = customers.groupby(["stage", "moment"], observed=True).size().unstack("moment", fill_value=0)
        table = table.loc[table.sum(axis=1).sort_values(ascending=False, kind="stable").index]
        table.columns = [str(c) for c in table.columns]
        data = table.reset_index().astype({"stage": str})
        data.columns.name = None
        return cls(data)

    def _draw(self, ax: Any, **kwargs: Any) -> None:
        import numpy as np

        moments = [c for c in self.data.columns if c != "stage"]
        colours = colormap(kwargs.pop("cmap", "Set2"))
        y = np.arange(len(self.data))
        left = np.zeros(len(self.data))
        for k, moment in enumerate(moments):
            counts = self.data[moment].to_numpy(dtype="float64")
            ax.barh(y, counts, left=left, color=colours(k % colours.N), label=moment, **kwargs)
            left += counts
        ax.set_yticks(y, list(self.data["stage"]))
        ax.invert_yaxis()
        ax.set_xlabel("customers")
        ax.set_title("Customers per stage and moment")
        ax.legend(title="moment", loc="lower right")


class LifecycleContactsDisplay(Display):
    """Contacts kept and suppressed (pressure cap, exclusions), by rule (the
    reason the contact was proposed), or by action or channel.

    Attributes:
        data: the ``by`` column (rule, action or channel), kept, suppressed
            (contacts), largest total first.
        by: the decisions column grouped by.
    """

    def __init__(self, data: Any, by: str = "rule") -> None:
        self.data = data
        self.by = by

    @classmethod
    def from_result(cls, result: Any, *, by: str = "rule") -> LifecycleContactsDisplay:
        """The bars of a :class:`~ciblage.lifecycle.LifecycleResult`'s
        ``decisions``; ``by`` is ``"rule"``, ``"action"`` or ``"channel"``."""
        check_result(result, _LIFECYCLE, "a LifecycleResult (ciblage.lifecycle.evaluate)")
        by = as_choice(by, "by", ("rule", "action", "channel"))
        decisions = frame(result.decisions, "result")
        kept = decisions["kept"].astype(bool)
        table = (
            decisions.assign(kept=kept.to_numpy(), suppressed=(~kept).to_numpy())
            .groupby(by, observed=True)[["kept", "suppressed"]]
            .sum()
            .astype("int64")
        )
        table = table.loc[table.sum(axis=1).sort_values(ascending=False, kind="stable").index]
        data = table.reset_index().astype({by: str})
        return cls(data, by)

    def _draw(self, ax: Any, **kwargs: Any) -> None:
        import numpy as np

        y = np.arange(len(self.data))
        kept = self.data["kept"].to_numpy()
        ax.barh(y, kept, color="#55a868", label="kept", **kwargs)
        ax.barh(y, self.data["suppressed"], left=kept, color="#c44e52", hatch="//", label="suppressed", **kwargs)
        ax.set_yticks(y, list(self.data[self.by]))
        ax.invert_yaxis()
        ax.set_xlabel("contacts")
        ax.set_ylabel(self.by)
        ax.set_title(f"Contacts kept and suppressed by {self.by}")
        ax.legend(loc="lower right")


def plot_result(result: Any, kind: str, ax: Any, kwargs: dict[str, Any]) -> Display:
    """``LifecycleResult.plot``: ``kind`` is ``"stages"`` or ``"contacts"``."""
    kind = as_choice(kind, "kind", ("stages", "contacts"))
    if kind == "stages":
        return LifecycleStagesDisplay.from_result(result).plot(ax=ax, **kwargs)
    by = kwargs.pop("by", "rule")
    return LifecycleContactsDisplay.from_result(result, by=by).plot(ax=ax, **kwargs)
