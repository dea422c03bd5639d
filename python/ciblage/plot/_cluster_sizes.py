"""Charts of clusterings: the sizes of the clusters of a fitted
:class:`~ciblage.cluster.KPrototypes` or :class:`~ciblage.cluster.KModes`,
and the lifts of a :func:`ciblage.cluster.profile`."""

from __future__ import annotations

from typing import Any

from ciblage.plot._display import Display, check_result, heatmap, percent_axis, require_pandas

__all__ = ["ClusterSizesDisplay", "SegmentProfileDisplay"]


class ClusterSizesDisplay(Display):
    """Bar chart of the share of rows in each cluster.

    Attributes:
        data: one row per cluster: cluster, size, share.
    """

    def __init__(self, data: Any) -> None:
        self.data = data

    @classmethod
    def from_estimator(cls, estimator: Any) -> ClusterSizesDisplay:
        """The chart of a fitted ``KPrototypes`` or ``KModes``."""
        import numpy as np

        check_result(estimator, ("labels_", "cluster_centers_"), "a fitted KPrototypes or KModes", "estimator")
        k = len(estimator.cluster_centers_)
        size = np.bincount(estimator.labels_, minlength=k)
        pd = require_pandas()
        return cls(pd.DataFrame({"cluster": np.arange(k), "size": size, "share": size / size.sum()}))

    def _draw(self, ax: Any, **kwargs: Any) -> None:
        kwargs.setdefault("color", "#4c72b0")
        ax.bar([str(c) for c in self.data["cluster"]], self.data["share"], **kwargs)
        percent_axis(ax.yaxis)
        ax.set_xlabel("cluster")
        ax.set_ylabel("share of rows")
        ax.set_title("Cluster sizes")


class SegmentProfileDisplay(Display):
    """Heatmap of the lift of each numeric feature's mean in each segment
    (segment mean / overall mean), segments named by their traits.

    Attributes:
        data: one row per segment and numeric feature: segment, name,
            feature, lift.
    """

    def __init__(self, data: Any) -> None:
        self.data = data

    @classmethod
    def from_result(cls, result: Any) -> SegmentProfileDisplay:
        """The chart of a :class:`~ciblage.cluster.SegmentProfile`."""
        check_result(result, ("table", "categories"), "a SegmentProfile (ciblage.cluster.profile)")
        t = result.table
        features = [c[: -len("_lift")] for c in t.columns if c.endswith("_lift") and not c.endswith("_top_lift")]
        rows = [
            (seg, name, f, float(t[f"{f}_lift"].iloc[i]))
            for i, (seg, name) in enumerate(zip(t["segment"], t["name"], strict=True))
            for f in features
        ]
        pd = require_pandas()
        return cls(pd.DataFrame(rows, columns=["segment", "name", "feature", "lift"]))

    def _draw(self, ax: Any, **kwargs: Any) -> None:
        pd = require_pandas()
        matrix = self.data.pivot(index="segment", columns="feature", values="lift")
        names = self.data.drop_duplicates("segment").set_index("segment")["name"]
        kwargs.setdefault("cmap", "RdBu_r")
        notes = [[f"{v:.2f}" if pd.notna(v) else "" for v in row] for row in matrix.to_numpy()]
        heatmap(
            ax,
            matrix.to_numpy(),
            list(matrix.columns),
            [f"{s}: {names[s]}" for s in matrix.index],
            annotations=notes,
            colorbar="lift (segment mean / overall mean)",
            **kwargs,
        )
        ax.set_title("Segment profile: lift of each feature")
