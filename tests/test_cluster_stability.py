"""Stability: the adjusted Rand index of each resample against
scikit-learn's, the clusterwise Jaccard against a numpy computation,
flagged segments, determinism, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ciblage.cluster import stability
from ciblage.exceptions import InvalidInputError, InvalidParameterError


def _data(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    # Two tight groups and a diffuse cloud between them.
    return np.concatenate([rng.normal(0, 0.3, (60, 2)), rng.normal(8, 0.3, (60, 2)), rng.uniform(1, 7, (60, 2))])


def _jaccard(full: np.ndarray, rows: np.ndarray, labels: np.ndarray, k: int) -> list[float]:
    """Hennig's clusterwise Jaccard on the distinct resampled rows."""
    uniq, first = np.unique(rows, return_index=True)
    part = labels[first]
    out = []
    for c in range(k):
        a = set(uniq[full[uniq] == c])
        out.append(
            max(len(a & set(uniq[part == j])) / len(a | set(uniq[part == j])) for j in np.unique(part)) if a else np.nan
        )
    return out


def test_ari_and_jaccard_equal_independent_computations() -> None:
    from sklearn.metrics import adjusted_rand_score

    X = _data()
    s = stability(X, 4, n_resamples=6, random_state=3, keep_resamples=True)
    assert len(s.ari) == len(s.resamples) == 6
    per = []
    for b, (rows, labels) in enumerate(s.resamples):
        assert s.ari[b] == pytest.approx(adjusted_rand_score(s.labels[rows], labels), abs=1e-12)
        per.append(_jaccard(s.labels, rows, labels, 4))
    want = np.nanmean(np.array(per), axis=0)
    np.testing.assert_allclose(s.table["jaccard"], want, rtol=1e-12)
    assert s.mean_ari == pytest.approx(np.mean(s.ari))
    np.testing.assert_array_equal(s.table["size"], np.bincount(s.labels, minlength=4))
    assert s.unstable == [c for c in range(4) if not want[c] >= 0.6]
    assert list(s.table["stable"]) == [c not in s.unstable for c in range(4)]
    assert "<table" in s._repr_html_()


def test_separated_groups_are_stable_forced_splits_are_flagged() -> None:
    rng = np.random.default_rng(1)
    X = np.concatenate([rng.normal(0, 0.3, (80, 2)), rng.normal(10, 0.3, (80, 2))])
    s = stability(X, 2, n_resamples=10)
    assert s.mean_ari == pytest.approx(1.0) and s.unstable == []
    s = stability(X, 7, n_resamples=10, n_init=1, threshold=0.9)
    assert s.mean_ari < 0.95 and s.unstable


def test_seeded_and_deterministic() -> None:
    X = _data(2)
    a = stability(X, 3, n_resamples=5, random_state=7)
    b = stability(X, 3, n_resamples=5, random_state=7)
    np.testing.assert_array_equal(a.ari, b.ari)
    c = stability(X, 3, n_resamples=5, random_state=8)
    assert not np.array_equal(a.ari, c.ari)


def test_table_in_the_callers_library() -> None:
    X = _data()
    s = stability(pd.DataFrame(X), 2, n_resamples=2)
    assert isinstance(s.table, pd.DataFrame)
    pl = pytest.importorskip("polars")
    s = stability(pl.DataFrame({"a": X[:, 0], "b": X[:, 1]}), 2, n_resamples=2)
    assert isinstance(s.table, pl.DataFrame)


def test_bad_input_is_named() -> None:
    X = _data()
    with pytest.raises(InvalidParameterError, match="n_resamples"):
        stability(X, 2, n_resamples=0)
    with pytest.raises(InvalidParameterError, match="threshold"):
        stability(X, 2, threshold=1.2)
    with pytest.raises(InvalidParameterError, match="n_clusters"):
        stability(X, 0)
    with pytest.raises(InvalidParameterError, match="n_clusters"):
        stability(X[:3], 5)
    with pytest.raises(InvalidParameterError, match="algorithm"):
        stability(X, 2, algorithm="fast")
    with pytest.raises(InvalidParameterError, match="progress"):
        stability(X, 2, progress=3)
    bad = X.copy()
    bad[4, 0] = np.inf
    with pytest.raises(InvalidInputError, match="X"):
        stability(bad, 2)


def test_progress_callback_error_stops_it() -> None:
    X = np.random.default_rng(0).random((20_000, 3))

    def stop(done: int, total: int) -> None:
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        stability(X, 8, n_resamples=200, progress=stop)


def test_huge_counts_are_refused_by_name() -> None:
    X = _data()
    with pytest.raises(InvalidParameterError, match="n_resamples"):
        stability(X, 2, n_resamples=10**30)
    with pytest.raises(InvalidParameterError, match="n_clusters"):
        stability(X, 10**30)
    with pytest.raises(InvalidParameterError, match="n_init"):
        stability(X, 2, n_init=10**30)


def test_prepare_as_kmeans_does() -> None:
    from sklearn.metrics import adjusted_rand_score

    rng = np.random.default_rng(4)
    g = np.arange(180) % 3
    # A structureless wide column and three groups on two narrow ones: raw
    # k-means cuts the wide column; standardized, the groups cost a
    # within-row variance of about 1 against 1/9 + 2 for cutting it.
    X = pd.DataFrame(
        {
            "wide": rng.uniform(0, 1000, 180),
            "narrow": g * 10.0 + rng.normal(0, 0.5, 180),
            "other": g * 3.0 + rng.normal(0, 0.1, 180),
        }
    )
    prepared = stability(X, 3, n_resamples=5, random_state=1, prepare={"standardize": True})
    plain = stability(X, 3, n_resamples=5, random_state=1)
    assert adjusted_rand_score(g, prepared.labels) == 1.0
    assert adjusted_rand_score(g, plain.labels) < 0.2
    assert len(prepared.ari) == 5
    by_name = stability(X, 3, n_resamples=3, random_state=1, prepare={"log1p": ["wide"], "standardize": True})
    by_pos = stability(X.to_numpy(), 3, n_resamples=3, random_state=1, prepare={"log1p": [0], "standardize": True})
    np.testing.assert_array_equal(by_name.labels, by_pos.labels)
    np.testing.assert_array_equal(by_name.ari, by_pos.ari)
    with pytest.raises(InvalidParameterError, match="unknown key"):
        stability(X, 3, prepare={"scale": True})
    with pytest.raises(InvalidParameterError, match="'nope'"):
        stability(X, 3, prepare={"rank": ["nope"]})
