"""Charts of an RFM analysis (:func:`ciblage.rfm_analysis`)."""

from __future__ import annotations

from typing import Any

from ciblage._params import as_choice
from ciblage.exceptions import InvalidParameterError
from ciblage.plot._display import Display, check_result, frame, heatmap, percent_axis, require_pandas

__all__ = ["RfmHeatmapDisplay", "RfmSegmentsDisplay", "RfmScoresDisplay"]

#: The attributes the charts read from the result.
_RFM = ("customers", "segments", "criteria")


class RfmHeatmapDisplay(Display):
    """R × F heatmap: the mean of a value (default ``monetary``) of the
    customers of each recency and frequency score, with their number
    written in the cell. Cells without customers are hatched, not zero.

    Attributes:
        data: one row per (r_score, f_score) cell holding customers:
            r_score, f_score, customers, mean (of ``value``).
        value: the column averaged.
        bins: the scores shown on each axis (1 to the largest score seen).
    """

    def __init__(self, data: Any, value: str = "monetary", bins: int | None = None) -> None:
        self.data = data
        self.value = value
        top = [int(data["r_score"].max()), int(data["f_score"].max())] if len(data) else [1, 1]
        self.bins = int(bins) if bins is not None else max(top)

    @classmethod
    def from_result(cls, result: Any, *, value: str = "monetary") -> RfmHeatmapDisplay:
        """The heatmap of an :class:`~ciblage.RfmResult` (``value``: any
        numeric column of ``result.customers``, e.g. ``"monetary"``,
        ``"average_amount"``, ``"recency_days"``)."""
        check_result(result, _RFM, "an RfmResult (ciblage.rfm_analysis)")
        customers = frame(result.customers, "result")
        if value not in customers.columns or value in ("r_score", "f_score"):
            raise InvalidParameterError(
                f"invalid parameter value: {value!r} is not a value column of the result's customers "
                f"({', '.join(c for c in customers.columns if c not in ('customer_id', 'segment', 'rfm_code'))})"
            )
        pd = require_pandas()
        grouped = customers.groupby(["r_score", "f_score"], observed=True)[value]
        data = pd.DataFrame({"customers": grouped.size(), "mean": grouped.mean()}).reset_index()
        data = data.astype({"r_score": "int64", "f_score": "int64", "customers": "int64", "mean": "float64"})
        bins = max(_bins(result), int(data["r_score"].max()), int(data["f_score"].max()))
        return cls(data, value, bins)

    def matrix(self) -> tuple[Any, Any]:
        """(means, counts) as bins × bins arrays: row = R score (highest
        first), column = F score (lowest first); NaN and 0 where no customer."""
        import numpy as np

        means = np.full((self.bins, self.bins), np.nan)
        counts = np.zeros((self.bins, self.bins), dtype=np.int64)
        for r, f, n, m in zip(
            self.data["r_score"], self.data["f_score"], self.data["customers"], self.data["mean"], strict=True
        ):
            means[self.bins - int(r), int(f) - 1] = m
            counts[self.bins - int(r), int(f) - 1] = n
        return means, counts

    def _draw(self, ax: Any, **kwargs: Any) -> None:
        means, counts = self.matrix()
        kwargs.setdefault("cmap", "YlGnBu")
        notes = [[f"{n:,}" if n else "" for n in row] for row in counts]
        heatmap(
            ax,
            means,
            list(range(1, self.bins + 1)),
            list(range(self.bins, 0, -1)),
            annotations=notes,
            colorbar=f"mean {self.value}",
            **kwargs,
        )
        ax.set_xlabel("F score (frequency)")
        ax.set_ylabel("R score (recency)")
        ax.set_title(f"Mean {self.value} by R and F score (customers in cells)")


def _bins(result: Any) -> int:
    try:
        return max(int(c["classes"]) for c in result.criteria)
    except (AttributeError, KeyError, TypeError, ValueError):
        return 1


class RfmSegmentsDisplay(Display):
    """Segment sizes and revenue shares: two bars per segment, its share of
    the customers and its share of the revenue (segments of no customer
    left out).

    Attributes:
        data: segment, customers, customer_share, revenue, revenue_share,
            in the segment table's order.
    """

    def __init__(self, data: Any) -> None:
        self.data = data

    @classmethod
    def from_result(cls, result: Any, *, empty: bool = False) -> RfmSegmentsDisplay:
        """The bars of an :class:`~ciblage.RfmResult`'s ``segments`` table;
        ``empty=True`` keeps the segments of no customer."""
        check_result(result, _RFM, "an RfmResult (ciblage.rfm_analysis)")
        segments = frame(result.segments, "result")
        columns = ["segment", "customers", "customer_share", "revenue", "revenue_share"]
        data = segments[columns]
        if not empty:
            data = data[data["customers"] > 0]
        return cls(data.reset_index(drop=True))

    def _draw(self, ax: Any, **kwargs: Any) -> None:
        import numpy as np

        y = np.arange(len(self.data))
        height = kwargs.pop("height", 0.4)
        colours = kwargs.pop("color", ("#4c72b0", "#dd8452"))
        ax.barh(y - height / 2, self.data["customer_share"], height, label="customers", color=colours[0], **kwargs)
        ax.barh(y + height / 2, self.data["revenue_share"], height, label="revenue", color=colours[1], **kwargs)
        ax.set_yticks(y, list(self.data["segment"]))
        ax.invert_yaxis()
        percent_axis(ax.xaxis)
        ax.set_xlabel("share")
        ax.set_title("Segments: share of customers and of revenue")
        ax.legend(loc="lower right")


class RfmScoresDisplay(Display):
    """Score histograms: the customers per score of each criterion
    (recency, frequency, monetary), side by side.

    Attributes:
        data: criterion (``"R"``, ``"F"``, ``"M"``), score, customers; every
            score from 1 to the largest, zero counts included.
    """

    def __init__(self, data: Any) -> None:
        self.data = data

    @classmethod
    def from_result(cls, result: Any) -> RfmScoresDisplay:
        """The histograms of an :class:`~ciblage.RfmResult`'s scores."""
        check_result(result, _RFM, "an RfmResult (ciblage.rfm_analysis)")
        pd = require_pandas()
        customers = frame(result.customers, "result")
        top = max(_bins(result), *(int(customers[f"{c}_score"].max()) for c in "rfm"))
        rows = []
        for c in "rfm":
            counts = customers[f"{c}_score"].astype("int64").value_counts()
            rows += [(c.upper(), s, int(counts.get(s, 0))) for s in range(1, top + 1)]
        return cls(pd.DataFrame(rows, columns=["criterion", "score", "customers"]))

    def _draw(self, ax: Any, **kwargs: Any) -> None:
        criteria = list(dict.fromkeys(self.data["criterion"]))
        width = kwargs.pop("width", 0.8 / max(len(criteria), 1))
        names = {"R": "recency", "F": "frequency", "M": "monetary"}
        for k, c in enumerate(criteria):
            part = self.data[self.data["criterion"] == c]
            offset = (k - (len(criteria) - 1) / 2) * width
            ax.bar(part["score"] + offset, part["customers"], width, label=f"{c} ({names.get(c, c)})", **kwargs)
        ax.set_xticks(sorted(set(self.data["score"])))
        ax.set_xlabel("score")
        ax.set_ylabel("customers")
        ax.set_title("Customers per score")
        ax.legend(loc="upper right")


KINDS: dict[str, Any] = {"heatmap": RfmHeatmapDisplay, "segments": RfmSegmentsDisplay, "scores": RfmScoresDisplay}


def plot_result(result: Any, kind: str, ax: Any, kwargs: dict[str, Any]) -> Display:
    """``RfmResult.plot``: the chart ``kind`` drawn on ``ax``."""
    kind = as_choice(kind, "kind", tuple(KINDS))
    options = {"value": kwargs.pop("value")} if kind == "heatmap" and "value" in kwargs else {}
    return KINDS[kind].from_result(result, **options).plot(ax=ax, **kwargs)
