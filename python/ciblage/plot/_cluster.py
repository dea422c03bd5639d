"""Chart of a fitted k-means (:class:`ciblage.cluster.KMeans`): the centre
of every cluster, feature by feature, with the cluster sizes."""

from __future__ import annotations

from typing import Any

from ciblage.plot._display import Display, check_result, heatmap, require_pandas

__all__ = ["ClusterDisplay"]


class ClusterDisplay(Display):
    """Heatmap of the cluster centres: one row per cluster (its size in
    the label), one column per feature; the colour is the centre's value
    standardised across clusters (so features of any scale compare), the
    text the centre itself (in the prepared space of the model).

    Attributes:
        data: one row per cluster: cluster, rows, share, then one column
            per feature holding the centre.
    """

    def __init__(self, data: Any, features: list[str]) -> None:
        self.data = data
        self.features = features

    @classmethod
    def from_estimator(cls, estimator: Any) -> ClusterDisplay:
        """The chart of a fitted :class:`~ciblage.cluster.KMeans` or
        :class:`~ciblage.cluster.MiniBatchKMeans`."""
        check_result(
            estimator, ("cluster_centers_", "labels_"), "a fitted KMeans (ciblage.cluster)", argument="estimator"
        )
        import numpy as np

        pd = require_pandas()
        centres = np.asarray(estimator.cluster_centers_)
        k, d = centres.shape
        counts = np.bincount(np.asarray(estimator.labels_), minlength=k)
        names = (
            [str(c) for c in estimator.feature_names_in_]
            if hasattr(estimator, "feature_names_in_")
            else [f"x{j}" for j in range(d)]
        )
        table = {"cluster": np.arange(k), "rows": counts, "share": counts / max(1, counts.sum())}
        for j, name in enumerate(names):
            table[name] = centres[:, j]
        return cls(pd.DataFrame(table), names)

    def _draw(self, ax: Any, **kwargs: Any) -> None:
        import numpy as np

        values = self.data[self.features].to_numpy(dtype="float64")
        sd = values.std(axis=0)
        z = (values - values.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
        text = [[f"{v:.3g}" for v in row] for row in values]
        ylabels = [f"{c} ({n})" for c, n in zip(self.data["cluster"], self.data["rows"], strict=True)]
        kwargs.setdefault("cmap", "RdBu_r")
        heatmap(
            ax, z, self.features, ylabels, annotations=text, colorbar="centre (standardised across clusters)", **kwargs
        )
        ax.set_xlabel("feature")
        ax.set_ylabel("cluster (rows)")
        ax.set_title("Cluster centres")
