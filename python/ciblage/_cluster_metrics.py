"""Clustering metrics (``ciblage.cluster.silhouette_score`` and others):
scikit-learn's definitions, computed in parallel by the native core."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _estimator as est
from . import _native
from ._params import as_int, as_opt_int
from .exceptions import InvalidInputError


class SilhouetteScore(float):
    """The silhouette coefficient (a ``float``) with the rows it was
    computed on: ``rows_used`` and ``sampled`` (whether they are a sample).

    Example:
        >>> from ciblage.cluster import silhouette_score
        >>> s = silhouette_score([[0.0], [0.1], [5.0], [5.1]], [0, 0, 1, 1])
        >>> round(float(s), 3), s.rows_used, s.sampled
        (0.98, 4, False)
    """

    rows_used: int
    sampled: bool

    def __new__(cls, score: float, rows_used: int, sampled: bool) -> SilhouetteScore:
        obj = super().__new__(cls, score)
        obj.rows_used = rows_used
        obj.sampled = sampled
        return obj

    def __repr__(self) -> str:
        return f"SilhouetteScore({float(self)!r}, rows_used={self.rows_used}, sampled={self.sampled})"


def _labels(labels: Any, n: int | None, name: str = "labels") -> np.ndarray:
    """Any labels as ``uint32`` codes (in the order of their values)."""
    if labels is None:
        raise InvalidInputError(f"{name}: expected a 1-D array of labels, got None")
    try:
        arr = np.asarray(labels)
    except (TypeError, ValueError) as e:
        raise InvalidInputError(f"{name}: cannot be read as an array: {e}") from e
    if arr.ndim != 1:
        raise InvalidInputError(f"{name}: expected a 1-D array of labels, got {arr.ndim} dimension(s)")
    if n is not None and len(arr) != n:
        raise InvalidInputError(f"{name}: has {len(arr)} rows, X has {n}")
    if arr.dtype.kind == "f" and np.isnan(arr).any():
        raise InvalidInputError(f"{name}: missing label (NaN) at row {int(np.flatnonzero(np.isnan(arr))[0])}")
    try:
        _, codes = np.unique(arr, return_inverse=True)
    except TypeError as e:
        raise InvalidInputError(f"{name}: labels of different types cannot be ordered ({e})") from None
    return np.ascontiguousarray(codes.reshape(-1), dtype=np.uint32)


def _x(X: Any) -> np.ndarray:
    return est.check_matrix(X, None, fitting=True)


def silhouette_score(
    X: Any, labels: Any, *, sample_size: int | None = 20_000, random_state: int = 0
) -> SilhouetteScore:
    """The mean silhouette coefficient of the rows of ``X`` (Euclidean
    distance), equal to scikit-learn's ``silhouette_score``. Up to
    ``sample_size`` rows it is exact; above, it is computed on a sample of
    ``sample_size`` rows drawn with the seed ``random_state`` (``None``:
    always exact, in time quadratic in the rows). The result is a float
    that also tells ``rows_used`` and ``sampled``.

    >>> from ciblage.cluster import silhouette_score
    >>> s = silhouette_score([[0.0], [1.0], [4.0], [5.0]], [0, 0, 1, 1])
    >>> round(s, 4), s.rows_used, s.sampled
    (0.746, 4, False)
    """
    x = _x(X)
    codes = _labels(labels, x.shape[0])
    size = as_opt_int(sample_size, "sample_size", 2)
    seed = as_int(random_state, "random_state", 0, 2**64 - 1)
    score, used, sampled = _native.silhouette(x, codes, sample_size=size, seed=seed)
    return SilhouetteScore(score, used, sampled)


def calinski_harabasz_score(X: Any, labels: Any) -> float:
    """The Calinski–Harabasz index (between- over within-cluster
    dispersion), equal to scikit-learn's.

    >>> from ciblage.cluster import calinski_harabasz_score
    >>> calinski_harabasz_score([[0.0], [2.0], [10.0], [12.0]], [0, 0, 1, 1])
    50.0
    """
    x = _x(X)
    return float(_native.calinski_harabasz(x, _labels(labels, x.shape[0])))


def davies_bouldin_score(X: Any, labels: Any) -> float:
    """The Davies–Bouldin index (lower is better), equal to scikit-learn's.

    >>> from ciblage.cluster import davies_bouldin_score
    >>> round(davies_bouldin_score([[0.0], [2.0], [10.0], [14.0]], [0, 0, 1, 1]), 6)
    0.272727
    """
    x = _x(X)
    return float(_native.davies_bouldin(x, _labels(labels, x.shape[0])))


def adjusted_rand_score(labels_true: Any, labels_pred: Any) -> float:
    """The adjusted Rand index of two clusterings of the same rows, equal
    to scikit-learn's.

    >>> from ciblage.cluster import adjusted_rand_score
    >>> round(adjusted_rand_score([0, 0, 1, 2], [0, 0, 1, 1]), 6)
    0.571429
    """
    a = _labels(labels_true, None, "labels_true")
    b = _labels(labels_pred, len(a), "labels_pred")
    return float(_native.adjusted_rand(a, b))
