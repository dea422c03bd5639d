"""Charts of churn: retention by period, cohort heatmaps and survival curves
(:func:`ciblage.retention`), migration matrices (:func:`ciblage.migration`)
and churn flags (:func:`ciblage.churn_flags`)."""

from __future__ import annotations

from typing import Any

from ciblage._params import as_bool, as_choice, as_int
from ciblage.exceptions import ColumnNotFoundError
from ciblage.plot._display import (
    Display,
    check_result,
    colormap,
    frame,
    heatmap,
    numeric,
    percent_axis,
    require_pandas,
    ticks,
)

__all__ = ["RetentionDisplay", "CohortHeatmapDisplay", "SurvivalDisplay", "MigrationDisplay", "ChurnFlagsDisplay"]

#: The attributes the charts read from the result.
_RETENTION = ("periods", "survival", "cohorts")


class RetentionDisplay(Display):
    """Retention and attrition by period: the share of the previous
    period's active customers who bought again, and its complement. A last
    period cut by ``as_of`` (``complete`` False) is drawn with an open marker.

    Attributes:
        data: period, retention, attrition, active, complete (one row per
            period; the first period has no retention: NaN).
    """

    def __init__(self, data: Any) -> None:
        self.data = data

    @classmethod
    def from_result(cls, result: Any) -> RetentionDisplay:
        """The chart of a :class:`~ciblage.RetentionResult`'s ``periods``."""
        check_result(result, _RETENTION, "a RetentionResult (ciblage.retention)")
        periods = frame(result.periods, "result")
        data = periods[["period", "retention", "attrition", "active", "complete"]].copy()
        data["period"] = data["period"].astype(str)
        data["retention"] = data["retention"].astype("float64")
        data["attrition"] = data["attrition"].astype("float64")
        return cls(data.reset_index(drop=True))

    def _draw(self, ax: Any, **kwargs: Any) -> None:
        import numpy as np

        x = np.arange(len(self.data))
        complete = self.data["complete"].to_numpy(dtype=bool)
        kwargs.setdefault("marker", "o")
        kwargs.setdefault("markersize", 4)
        for column, colour in (("retention", "#4c72b0"), ("attrition", "#c44e52")):
            y = self.data[column].to_numpy(dtype="float64")
            (line,) = ax.plot(x, y, color=colour, label=column, **kwargs)
            if not complete.all():
                ax.plot(
                    x[~complete],
                    y[~complete],
                    linestyle="none",
                    marker="o",
                    markerfacecolor="white",
                    markeredgecolor=line.get_color(),
                    label=f"{column} (incomplete period)",
                )
        ticks(ax, list(self.data["period"]), rotate=True)
        ax.set_ylim(0, 1)
        percent_axis(ax.yaxis)
        ax.set_xlabel("period")
        ax.set_ylabel("share of the previous period's active customers")
        ax.set_title("Retention and attrition by period")
        ax.legend(loc="upper right")


class CohortHeatmapDisplay(Display):
    """Cohort heatmap: one row per acquisition cohort, one column per period
    since acquisition. Cells not observed yet (right-censored) are NaN in
    ``data`` and drawn hatched, never as zero.

    Attributes:
        data: cohort, then one column per period since acquisition
            (``"0"``, ``"1"``, …), as ``RetentionResult.cohorts(kind, shares=...)``
            without its ``size`` column.
        sizes: the cohort sizes (written beside the cohort labels).
        kind: ``"classic"``, ``"rolling"`` or ``"revenue"``.
        shares: True when the cells are shares (of the cohort size, or of the
            cohort's first-period revenue).
    """

    def __init__(self, data: Any, sizes: Any = None, kind: str = "classic", shares: bool = True) -> None:
        self.data = data
        self.sizes = sizes
        self.kind = kind
        self.shares = shares

    @classmethod
    def from_result(cls, result: Any, *, kind: str = "classic", shares: bool = True) -> CohortHeatmapDisplay:
        """The heatmap of ``result.cohorts(kind, shares=shares)`` for a
        :class:`~ciblage.RetentionResult`; ``kind`` is ``"classic"``,
        ``"rolling"`` or ``"revenue"`` (survival: :class:`SurvivalDisplay`)."""
        check_result(result, _RETENTION, "a RetentionResult (ciblage.retention)")
        kind = as_choice(kind, "kind", ("classic", "rolling", "revenue"))
        shares = as_bool(shares, "shares")
        table = frame(result.cohorts(kind, shares=shares), "result")
        sizes = table["size"].to_numpy() if "size" in table.columns else None
        data = table.drop(columns=["size"], errors="ignore")
        data["cohort"] = data["cohort"].astype(str)
        periods = [c for c in data.columns if c != "cohort"]
        data[periods] = data[periods].astype("float64")
        return cls(data.reset_index(drop=True), sizes, kind, shares)

    def _draw(self, ax: Any, **kwargs: Any) -> None:
        periods = [c for c in self.data.columns if c != "cohort"]
        values = self.data[periods].to_numpy(dtype="float64")
        annotate = kwargs.pop("annotate", values.size <= 150)
        kwargs.setdefault("cmap", "Blues" if self.kind != "revenue" else "Greens")
        if self.shares and self.kind != "revenue":
            kwargs.setdefault("vmin", 0.0)
            kwargs.setdefault("vmax", 1.0)
        notes = None
        if annotate:
            notes = [["" if v != v else (f"{v:.0%}" if self.shares else f"{v:,.0f}") for v in row] for row in values]
        what = {"classic": "active", "rolling": "active then or later", "revenue": "revenue"}[self.kind]
        if self.shares:
            label = "share of cohort's first-period revenue" if self.kind == "revenue" else "share of cohort"
        else:
            label = "revenue" if self.kind == "revenue" else "customers"
        cohorts = list(self.data["cohort"])
        if self.sizes is not None:
            cohorts = [f"{c} ({int(n):,})" for c, n in zip(cohorts, self.sizes, strict=True)]
        heatmap(
            ax,
            values,
            periods,
            cohorts,
            annotations=notes,
            colorbar=label,
            percent=self.shares,
            **kwargs,
        )
        ticks(ax, periods, "x", 12)
        ticks(ax, cohorts, "y", 30)
        ax.set_xlabel("periods since acquisition")
        ax.set_ylabel("acquisition cohort (size)")
        ax.set_title(f"Cohorts: {what} (hatched: not observed yet)")


class SurvivalDisplay(Display):
    """Kaplan–Meier survival curves per acquisition cohort, with the curve
    of all customers pooled drawn thick.

    Attributes:
        data: cohort (``"all"`` for the pooled curve), periods (0, 1, …),
            survival; period 0 is 1 for every curve; periods a cohort has not
            reached yet are NaN (not drawn).
    """

    def __init__(self, data: Any) -> None:
        self.data = data

    @classmethod
    def from_result(cls, result: Any) -> SurvivalDisplay:
        """The curves of a :class:`~ciblage.RetentionResult`."""
        import numpy as np

        check_result(result, _RETENTION, "a RetentionResult (ciblage.retention)")
        pd = require_pandas()
        pooled = frame(result.survival, "result")
        cohorts = frame(result.cohorts("survival"), "result")
        periods = [c for c in cohorts.columns if c not in ("cohort", "size")]
        # Every curve starts at 1 in period 0: the pooled curve first, then
        # the cohorts in order, each by period.
        pooled_periods = np.concatenate([[0], pooled["periods"].to_numpy(dtype="int64")])
        steps = np.array([0] + [int(p) for p in periods], dtype="int64")
        matrix = np.hstack([np.ones((len(cohorts), 1)), cohorts[periods].to_numpy(dtype="float64")])
        data = pd.DataFrame(
            {
                "cohort": ["all"] * len(pooled_periods)
                + list(np.repeat([str(c) for c in cohorts["cohort"]], len(steps))),
                "periods": np.concatenate([pooled_periods, np.tile(steps, len(cohorts))]),
                "survival": np.concatenate([[1.0], pooled["survival"].to_numpy(dtype="float64"), matrix.ravel()]),
            }
        )
        return cls(data)

    def _draw(self, ax: Any, **kwargs: Any) -> None:
        curves = {name: part for name, part in self.data.groupby("cohort", sort=False) if name != "all"}
        names = list(curves)
        colours = colormap(kwargs.pop("cmap", "viridis"))
        legend_cohorts = len(names) <= 12
        for k, (name, part) in enumerate(curves.items()):
            ax.step(
                part["periods"],
                part["survival"],
                where="post",
                color=colours(k / max(len(names) - 1, 1)),
                alpha=0.5,
                linewidth=1,
                label=name if legend_cohorts else None,
            )
        pooled = self.data[self.data["cohort"] == "all"]
        kwargs.setdefault("color", "black")
        kwargs.setdefault("linewidth", 2.5)
        ax.step(pooled["periods"], pooled["survival"], where="post", label="all customers", **kwargs)
        ax.set_ylim(0, 1.02)
        percent_axis(ax.yaxis)
        ax.set_xlabel("periods since acquisition")
        ax.set_ylabel("share not churned (Kaplan–Meier)")
        ax.set_title(f"Survival by cohort ({len(names)} cohorts)")
        ax.legend(loc="upper right", fontsize="small", ncol=2 if len(names) > 6 else 1)


class MigrationDisplay(Display):
    """Migration matrix heatmap: rows are the labels before, columns the
    labels after, cells the share of the row's customers (or counts). Rows
    of no customer are NaN, hatched.

    Attributes:
        data: ``before`` then one column per label after, as
            ``Migration.shares`` (or ``Migration.counts``).
        values: ``"shares"`` or ``"counts"``.
        counts: the customer counts (written in the cells).
    """

    def __init__(self, data: Any, values: str = "shares", counts: Any = None) -> None:
        self.data = data
        self.values = values
        self.counts = counts

    @classmethod
    def from_result(cls, result: Any, *, values: str = "shares") -> MigrationDisplay:
        """The heatmap of a :class:`~ciblage.Migration`; ``values`` is
        ``"shares"`` (of each row) or ``"counts"``."""
        check_result(result, ("counts", "shares", "labels"), "a Migration (ciblage.migration)")
        values = as_choice(values, "values", ("shares", "counts"))
        counts = frame(result.counts, "result").copy()
        data = frame(result.shares if values == "shares" else result.counts, "result").copy()
        labels = [c for c in data.columns if c != "before"]
        data[labels] = data[labels].astype("float64")
        data["before"] = data["before"].astype(str)
        return cls(data.reset_index(drop=True), values, counts[labels].to_numpy(dtype="int64"))

    def _draw(self, ax: Any, **kwargs: Any) -> None:
        labels = [c for c in self.data.columns if c != "before"]
        values = self.data[labels].to_numpy(dtype="float64")
        kwargs.setdefault("cmap", "Purples")
        shares = self.values == "shares"
        if shares:
            kwargs.setdefault("vmin", 0.0)
            kwargs.setdefault("vmax", 1.0)
        notes = None
        if kwargs.pop("annotate", values.size <= 144):
            counts = self.counts if self.counts is not None else values
            # Counts under the shares while the cells are large enough.
            both = values.size <= 64
            notes = [
                [_migration_note(v, n, shares, both) for v, n in zip(row, counts_row, strict=True)]
                for row, counts_row in zip(values, counts, strict=True)
            ]
        heatmap(
            ax,
            values,
            labels,
            list(self.data["before"]),
            annotations=notes,
            colorbar="share of the row" if shares else "customers",
            percent=shares,
            **kwargs,
        )
        ax.tick_params(axis="x", labelrotation=45)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
        ax.set_xlabel("after")
        ax.set_ylabel("before")
        ax.set_title("Migration between segments")


def _migration_note(value: float, count: float, shares: bool, both: bool) -> str:
    if value != value:  # NaN: a row of no customer
        return ""
    if not shares:
        return f"{value:,.0f}"
    return f"{value:.0%}\n({int(count):,})" if both else f"{value:.0%}"


class ChurnFlagsDisplay(Display):
    """Histogram of the days since the last purchase, churned and active
    customers stacked, with the churn threshold of the ``"days"`` rule.

    Customers without any purchase (``churned`` null) are left out.

    Attributes:
        data: bin_start, bin_end (days), active, churned (customers).
        threshold: the single ``threshold_days`` of the table, or None when
            thresholds differ per customer (rule ``"median_gap"``).
    """

    def __init__(self, data: Any, threshold: float | None = None) -> None:
        self.data = data
        self.threshold = threshold

    @classmethod
    def from_table(cls, flags: Any, *, bins: int = 30) -> ChurnFlagsDisplay:
        """The histogram of a :func:`ciblage.churn_flags` table in ``bins``
        equal bins of days (1 to 1,000)."""
        import numpy as np

        pd = require_pandas()
        bins = as_int(bins, "bins", 1, 1000)
        table = frame(flags, "flags")
        for column in ("days_since_last", "threshold_days", "churned"):
            if column not in table.columns:
                raise ColumnNotFoundError(f"flags: column {column!r} not found; expected a churn_flags table")
        known = table[table["churned"].notna()]
        days = numeric(known, "days_since_last", "flags")
        churned = known["churned"].to_numpy(dtype=bool)
        top = float(days.max()) if len(days) else 1.0
        edges = np.linspace(0.0, max(top, 1.0), bins + 1)
        active_counts, _ = np.histogram(days[~churned], edges)
        churned_counts, _ = np.histogram(days[churned], edges)
        data = pd.DataFrame(
            {"bin_start": edges[:-1], "bin_end": edges[1:], "active": active_counts, "churned": churned_counts}
        )
        thresholds = known["threshold_days"].dropna().unique()
        return cls(data, float(thresholds[0]) if len(thresholds) == 1 else None)

    def _draw(self, ax: Any, **kwargs: Any) -> None:
        width = self.data["bin_end"] - self.data["bin_start"]
        kwargs.setdefault("align", "edge")
        ax.bar(self.data["bin_start"], self.data["active"], width, color="#55a868", label="active", **kwargs)
        ax.bar(
            self.data["bin_start"],
            self.data["churned"],
            width,
            bottom=self.data["active"],
            color="#c44e52",
            label="churned",
            **kwargs,
        )
        if self.threshold is not None:
            ax.axvline(self.threshold, color="black", linestyle="--", label=f"threshold ({self.threshold:g} days)")
        ax.set_xlabel("days since the last purchase")
        ax.set_ylabel("customers")
        ax.set_title("Churn flags by days since the last purchase")
        ax.legend(loc="upper right")


def plot_retention(result: Any, kind: str, ax: Any, kwargs: dict[str, Any]) -> Display:
    """``RetentionResult.plot``."""
    kind = as_choice(kind, "kind", ("retention", "classic", "rolling", "revenue", "survival"))
    if kind == "retention":
        return RetentionDisplay.from_result(result).plot(ax=ax, **kwargs)
    if kind == "survival":
        return SurvivalDisplay.from_result(result).plot(ax=ax, **kwargs)
    shares = kwargs.pop("shares", True)
    return CohortHeatmapDisplay.from_result(result, kind=kind, shares=shares).plot(ax=ax, **kwargs)


def plot_migration(result: Any, kind: str, ax: Any, kwargs: dict[str, Any]) -> Display:
    """``Migration.plot``: ``kind`` is ``"shares"`` or ``"counts"``."""
    kind = as_choice(kind, "kind", ("shares", "counts"))
    return MigrationDisplay.from_result(result, values=kind).plot(ax=ax, **kwargs)
