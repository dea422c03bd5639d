"""Clustering: k-prototypes and k-modes for mixed and categorical
features, the metrics that help choose the number of clusters, and the
profile of the segments found."""

from ._cluster_metrics import (
    SilhouetteScore,
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
    silhouette_score,
)
from ._cluster_profile import SegmentProfile, profile
from ._kprototypes import KModes, KPrototypes

__all__ = [
    "KModes",
    "KPrototypes",
    "SegmentProfile",
    "SilhouetteScore",
    "adjusted_rand_score",
    "calinski_harabasz_score",
    "davies_bouldin_score",
    "profile",
    "silhouette_score",
]
