"""Clustering metrics equal to scikit-learn's (to 1e-9), the silhouette's
sample, and the input policy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ciblage.cluster import (
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
    silhouette_score,
)
from ciblage.exceptions import InvalidInputError, InvalidParameterError

metrics = pytest.importorskip("sklearn.metrics")


def _blobs(seed: int, n: int = 300) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    k = 2 + seed % 5
    labels = rng.integers(0, k, n)
    x = rng.normal(size=(n, 1 + seed % 4)) + labels[:, None] * (1.0 + seed % 3)
    return x, labels


@pytest.mark.parametrize("seed", range(8))
def test_equal_to_scikit_learn(seed: int) -> None:
    x, labels = _blobs(seed)
    s = silhouette_score(x, labels)
    assert s == pytest.approx(metrics.silhouette_score(x, labels), abs=1e-9)
    assert (s.rows_used, s.sampled) == (len(x), False)
    assert calinski_harabasz_score(x, labels) == pytest.approx(metrics.calinski_harabasz_score(x, labels), rel=1e-9)
    assert davies_bouldin_score(x, labels) == pytest.approx(metrics.davies_bouldin_score(x, labels), rel=1e-9)
    other = np.random.default_rng(seed + 50).integers(0, 4, len(x))
    mixed = np.where(np.arange(len(x)) % 3 == 0, other, labels)
    assert adjusted_rand_score(labels, mixed) == pytest.approx(metrics.adjusted_rand_score(labels, mixed), abs=1e-9)


def test_special_cases_as_scikit_learn() -> None:
    # Singletons count 0 in the silhouette; text labels; duplicate rows.
    x = np.array([[0.0], [0.0], [1.0], [5.0], [5.0], [9.0]])
    for labels in ([0, 0, 1, 2, 2, 3], ["a", "a", "b", "c", "c", "d"]):
        assert silhouette_score(x, labels) == pytest.approx(metrics.silhouette_score(x, labels), abs=1e-12)
        assert calinski_harabasz_score(x, labels) == pytest.approx(
            metrics.calinski_harabasz_score(x, labels), rel=1e-12
        )
        assert davies_bouldin_score(x, labels) == pytest.approx(metrics.davies_bouldin_score(x, labels), rel=1e-12)
    same = np.array([[1.0], [1.0], [2.0], [2.0]])
    assert calinski_harabasz_score(same, [0, 0, 1, 1]) == metrics.calinski_harabasz_score(same, [0, 0, 1, 1])
    assert davies_bouldin_score(same, [0, 0, 1, 1]) == metrics.davies_bouldin_score(same, [0, 0, 1, 1])
    for a, b in (([0, 0, 1, 1], [1, 1, 0, 0]), ([0, 0, 0, 0], [0, 1, 2, 3]), ([1], [1]), ([0, 1, 2], [0, 0, 0])):
        assert adjusted_rand_score(a, b) == pytest.approx(metrics.adjusted_rand_score(a, b), abs=1e-12)
    df = pd.DataFrame(x, columns=["spend"])
    assert silhouette_score(df, [0, 0, 1, 2, 2, 3]) == pytest.approx(silhouette_score(x, [0, 0, 1, 2, 2, 3]))


def test_silhouette_sample_is_seeded_and_stated() -> None:
    x, labels = _blobs(3, n=3000)
    exact = metrics.silhouette_score(x, labels)
    s = silhouette_score(x, labels, sample_size=1000, random_state=7)
    assert (s.rows_used, s.sampled) == (1000, True)
    assert s == silhouette_score(x, labels, sample_size=1000, random_state=7)
    # A sample of 1,000 rows estimates the mean of 3,000 silhouettes
    # within a few standard errors.
    per_row = metrics.silhouette_samples(x, labels)
    assert abs(s - exact) < 5 * per_row.std() / np.sqrt(1000)
    assert silhouette_score(x, labels, sample_size=None).sampled is False


def test_bad_input() -> None:
    x = np.array([[0.0], [1.0], [2.0]])
    with pytest.raises(InvalidParameterError, match="labels"):
        silhouette_score(x, [0, 0, 0])
    with pytest.raises(InvalidParameterError, match="labels"):
        calinski_harabasz_score(x, [0, 1, 2])
    with pytest.raises(InvalidInputError, match="labels"):
        davies_bouldin_score(x, [0, 1])
    with pytest.raises(InvalidInputError, match="X: non-finite value NaN at row 1"):
        silhouette_score(np.array([[0.0], [np.nan], [2.0]]), [0, 0, 1])
    with pytest.raises(InvalidInputError, match="labels"):
        silhouette_score(x, [0.0, np.nan, 1.0])
    with pytest.raises(InvalidParameterError, match="sample_size"):
        silhouette_score(x, [0, 0, 1], sample_size=1)
    with pytest.raises(InvalidParameterError, match="random_state"):
        silhouette_score(x, [0, 0, 1], random_state=-3)
    with pytest.raises(InvalidInputError, match="labels_pred"):
        adjusted_rand_score([0, 1], [0, 1, 1])
    with pytest.raises(InvalidInputError, match="labels_true"):
        adjusted_rand_score(np.zeros((2, 2)), [0, 1])
