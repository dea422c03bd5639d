"""Clustering of customers on their features (issue 26).

k-means (:class:`KMeans`, :class:`MiniBatchKMeans`) with scikit-learn's
parameters, plus a ``prepare=`` option (log1p, rank, winsorising,
standardisation) fitted once and applied again by ``predict``. See
``docs/cluster.md``.

>>> import numpy as np
>>> from ciblage.cluster import KMeans
>>> KMeans(n_clusters=2, random_state=0).fit(np.array([[0.0], [0.1], [5.0], [5.1]])).n_iter_ >= 1
True
"""

from __future__ import annotations

from ._kmeans import KMeans, MiniBatchKMeans

__all__ = ["KMeans", "MiniBatchKMeans"]
