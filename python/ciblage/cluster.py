"""Clustering of customers on their features.

k-means (:class:`KMeans`, :class:`MiniBatchKMeans`) with scikit-learn's
parameters, plus a ``prepare=`` option (log1p, rank, winsorising,
standardisation) fitted once and applied again by ``predict``;
k-prototypes and k-modes (:class:`KPrototypes`, :class:`KModes`) for mixed
and categorical features; the metrics that help choose the number of
clusters; and the profile of the segments found. See ``docs/cluster.md``.

>>> import numpy as np
>>> from ciblage.cluster import KMeans
>>> KMeans(n_clusters=2, random_state=0).fit(np.array([[0.0], [0.1], [5.0], [5.1]])).n_iter_ >= 1
True
"""

from __future__ import annotations

from ._cluster_choose import ClusterCountChoice, choose_k
from ._cluster_metrics import (
    SilhouetteScore,
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
    silhouette_score,
)
from ._cluster_profile import SegmentProfile, profile
from ._cluster_stability import ClusterStability, stability
from ._kmeans import KMeans, MiniBatchKMeans
from ._kprototypes import KModes, KPrototypes

__all__ = [
    "ClusterStability",
    "ClusterCountChoice",
    "KMeans",
    "MiniBatchKMeans",
    "KModes",
    "KPrototypes",
    "SegmentProfile",
    "SilhouetteScore",
    "adjusted_rand_score",
    "calinski_harabasz_score",
    "choose_k",
    "davies_bouldin_score",
    "profile",
    "silhouette_score",
    "stability",
]
