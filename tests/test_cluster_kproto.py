"""k-prototypes and k-modes against the ``kmodes`` package (same initial
prototypes: same labels, cost and passes), and their input policy."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest

from ciblage.cluster import KModes, KPrototypes
from ciblage.exceptions import (
    ColumnNotFoundError,
    ColumnTypeError,
    InvalidInputError,
    InvalidParameterError,
    NotFittedError,
)

kmodes_kp = pytest.importorskip("kmodes.kprototypes")
kmodes_km = pytest.importorskip("kmodes.kmodes")


def _mixed(seed: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Continuous numeric features (no tie of distances) around a few
    centres, and categorical codes 0..m-1 that all occur (so that
    ``kmodes``' own encoding, by sorted value, is the identity)."""
    rng = np.random.default_rng(seed)
    n, p, q, k = 200 + seed * 10, 1 + seed % 4, 1 + seed % 3, 2 + seed % 5
    num = rng.normal(size=(n, p)) + rng.integers(0, 3, size=(n, 1)) * 2.0
    cat = rng.integers(0, 3 + seed % 4, size=(n, q))
    return num, cat, k


@pytest.mark.parametrize("seed", range(12))
def test_kprototypes_equals_kmodes_package_from_the_same_prototypes(seed: int) -> None:
    num, cat, k = _mixed(seed)
    p, q = num.shape[1], cat.shape[1]
    rng = np.random.default_rng(100 + seed)
    idx = rng.choice(len(num), k, replace=False)
    init = [num[idx] + 0.01, cat[idx]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = kmodes_kp.KPrototypes(n_clusters=k, init=[a.copy() for a in init], n_init=1, max_iter=50)
        ref.fit(np.hstack([num, cat]).astype(object), categorical=list(range(p, p + q)))
    ours = KPrototypes(n_clusters=k, init=init, max_iter=50, categorical=list(range(p, p + q)))
    ours.fit(np.hstack([num, cat]))
    np.testing.assert_array_equal(ours.labels_, ref.labels_)
    assert ours.cost_ == pytest.approx(ref.cost_, rel=1e-9)
    assert ours.n_iter_ == ref.n_iter_
    assert ours.gamma_ == pytest.approx(ref.gamma, rel=1e-12)
    np.testing.assert_allclose(ours.numeric_centers_, ref._enc_cluster_centroids[0], rtol=1e-9)
    np.testing.assert_array_equal(ours.categorical_centers_.astype(np.int64), ref._enc_cluster_centroids[1])


@pytest.mark.parametrize("seed", range(12))
def test_kmodes_equals_kmodes_package(seed: int) -> None:
    _, cat, k = _mixed(seed)
    _, first = np.unique(cat, axis=0, return_index=True)
    if len(first) <= k:
        pytest.skip("kmodes skips the iterations when there are no more distinct rows than clusters")
    rng = np.random.default_rng(200 + seed)
    idx = rng.choice(first, k, replace=False)
    ref = kmodes_km.KModes(n_clusters=k, init=cat[idx].copy(), n_init=1, max_iter=50).fit(cat)
    ours = KModes(n_clusters=k, init=cat[idx], max_iter=50).fit(cat)
    np.testing.assert_array_equal(ours.labels_, ref.labels_)
    assert ours.cost_ == ref.cost_
    assert ours.n_iter_ == ref.n_iter_
    # Cao's initialisation draws nothing: the whole fit is the same.
    ref = kmodes_km.KModes(n_clusters=k, init="Cao", n_init=1, max_iter=50).fit(cat)
    ours = KModes(n_clusters=k, init="Cao", n_init=1, max_iter=50).fit(cat)
    np.testing.assert_array_equal(ours.labels_, ref.labels_)
    assert ours.cost_ == ref.cost_


def test_cost_is_recomputed_from_the_prototypes_with_weights() -> None:
    num, cat, k = _mixed(3)
    w = np.random.default_rng(0).uniform(0.5, 2.0, len(num))
    X = np.hstack([num, cat])
    km = KPrototypes(n_clusters=k, categorical=list(range(num.shape[1], X.shape[1])), random_state=1, gamma=0.7)
    km.fit(X, sample_weight=w)
    centres_num, centres_cat = km.numeric_centers_, km.categorical_centers_.astype(np.int64)
    lab = km.labels_
    cost = ((num - centres_num[lab]) ** 2).sum(axis=1) + 0.7 * (cat != centres_cat[lab]).sum(axis=1)
    assert km.cost_ == pytest.approx(float((cost * w).sum()), rel=1e-9)
    # Weighted means of each cluster's rows.
    for c in range(k):
        rows = lab == c
        np.testing.assert_allclose(centres_num[c], np.average(num[rows], axis=0, weights=w[rows]), rtol=1e-9)
    np.testing.assert_array_equal(km.predict(X), km.labels_)


def test_same_result_for_a_seed_and_n_init_keeps_the_best() -> None:
    num, cat, k = _mixed(5)
    X = np.hstack([num, cat])
    a = KPrototypes(n_clusters=k, categorical=[2, 3, 4], random_state=3, n_init=1).fit(X)
    b = KPrototypes(n_clusters=k, categorical=[2, 3, 4], random_state=3, n_init=1).fit(X)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    best = KPrototypes(n_clusters=k, categorical=[2, 3, 4], random_state=3, n_init=8).fit(X)
    singles = [
        KPrototypes(n_clusters=k, categorical=[2, 3, 4], random_state=s, n_init=1, init="Huang").fit(X).cost_
        for s in range(3)
    ]
    assert best.cost_ <= max(singles) + 1e-9


def test_dataframes_names_and_categories() -> None:
    df = pd.DataFrame(
        {
            "spend": [10.0, 12.0, 11.0, 95.0, 99.0, 97.0],
            "channel": ["web", "web", "web", "shop", "shop", "web"],
            "visits": [1, 2, 1, 9, 8, 9],
        }
    )
    km = KPrototypes(n_clusters=2, random_state=0).fit(df)
    assert list(km.feature_names_in_) == ["spend", "channel", "visits"]
    assert km.n_features_in_ == 3
    assert km.cluster_centers_.shape == (2, 3)
    assert set(km.cluster_centers_[:, 1]) <= {"web", "shop"}
    assert km.labels_[0] == km.labels_[1] != km.labels_[3]
    by_name = KPrototypes(n_clusters=2, random_state=0, categorical=["channel"]).fit(df)
    np.testing.assert_array_equal(by_name.labels_, km.labels_)
    polars = KPrototypes(n_clusters=2, random_state=0).fit(pl.from_pandas(df))
    np.testing.assert_array_equal(polars.labels_, km.labels_)
    # A category never seen in fit matches no mode.
    new = pd.DataFrame({"spend": [96.0], "channel": ["phone"], "visits": [9]})
    assert km.predict(new)[0] == km.labels_[3]


def test_pickle_and_params() -> None:
    num, cat, k = _mixed(1)
    X = np.hstack([num, cat])
    km = KPrototypes(n_clusters=k, categorical=[2, 3], random_state=0).fit(X)
    back = pickle.loads(pickle.dumps(km))
    np.testing.assert_array_equal(back.predict(X), km.predict(X))
    assert km.get_params()["n_clusters"] == k
    assert repr(KModes(n_clusters=3)) == "KModes(n_clusters=3)"
    for cls in (KModes, KPrototypes):
        with pytest.raises(NotFittedError, match="call fit before predict"):
            cls().predict([["a"]])
        with pytest.raises(NotFittedError, match="call fit before plot"):
            cls().plot()
        with pytest.raises(NotFittedError, match="labels_"):
            _ = cls().labels_
        assert not hasattr(cls(), "cluster_centers_")


@pytest.mark.parametrize(
    ("make", "kind", "word"),
    [
        (lambda: KPrototypes(n_clusters=0, categorical=[1]), InvalidParameterError, "n_clusters"),
        (lambda: KPrototypes(n_clusters=2.0, categorical=[1]), InvalidParameterError, "n_clusters"),
        (lambda: KPrototypes(n_init=0, n_clusters=2, categorical=[1]), InvalidParameterError, "n_init"),
        (lambda: KPrototypes(max_iter=-1, n_clusters=2, categorical=[1]), InvalidParameterError, "max_iter"),
        (lambda: KPrototypes(gamma=-1.0, n_clusters=2, categorical=[1]), InvalidParameterError, "gamma"),
        (lambda: KPrototypes(gamma=float("nan"), n_clusters=2, categorical=[1]), InvalidParameterError, "gamma"),
        (lambda: KPrototypes(init="kmeans++", n_clusters=2, categorical=[1]), InvalidParameterError, "init"),
        (lambda: KPrototypes(n_clusters=2, categorical=[7]), InvalidParameterError, "categorical"),
        (lambda: KPrototypes(n_clusters=2, categorical=["nope"]), ColumnNotFoundError, "nope"),
        (lambda: KPrototypes(n_clusters=2, categorical=[]), InvalidParameterError, "categorical"),
        (lambda: KPrototypes(n_clusters=2, categorical=[0, 1]), InvalidParameterError, "categorical"),
        (lambda: KPrototypes(n_clusters=50, categorical=[1]), InvalidParameterError, "n_clusters"),
        (lambda: KPrototypes(n_clusters=2, categorical=[1], random_state=-1), InvalidParameterError, "random_state"),
        (
            lambda: KPrototypes(n_clusters=2, categorical=[1], init=[[[0.0, 0.0], [1.0, 1.0]], [[0], [1]]]),
            InvalidParameterError,
            "init",
        ),
    ],
)
def test_bad_parameters_are_named(make, kind, word) -> None:
    X = np.column_stack([np.arange(20.0), np.arange(20) % 2])
    with pytest.raises(kind, match=word):
        make().fit(X)


def test_bad_input_is_named() -> None:
    X = np.column_stack([np.arange(20.0), np.arange(20) % 2])
    bad = X.copy()
    bad[4, 0] = np.nan
    with pytest.raises(InvalidInputError, match="column 0.*row 4"):
        KPrototypes(n_clusters=2, categorical=[1]).fit(bad)
    with pytest.raises(InvalidInputError, match="sample_weight"):
        KPrototypes(n_clusters=2, categorical=[1]).fit(X, sample_weight=np.ones(3))
    with pytest.raises(InvalidInputError, match="sample_weight"):
        KPrototypes(n_clusters=2, categorical=[1]).fit(X, sample_weight=-np.ones(20))
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "c": ["x", None, "y"]})
    with pytest.raises(InvalidInputError, match="'c'.*missing value at row 1"):
        KPrototypes(n_clusters=2).fit(df)
    with pytest.raises(InvalidInputError, match="X"):
        KModes(n_clusters=2).fit(np.empty((0, 2)))
    km = KPrototypes(n_clusters=2, categorical=[1], random_state=0).fit(X)
    with pytest.raises(InvalidInputError, match="3 features"):
        km.predict(np.zeros((2, 3)))


def test_progress_is_reported_per_iteration_of_each_initialisation() -> None:
    num, cat, k = _mixed(3)
    X = np.hstack([num, cat])
    q = cat.shape[1]
    categorical = list(range(num.shape[1], num.shape[1] + q))
    seen: list[tuple[int, int]] = []
    KPrototypes(n_clusters=k, n_init=3, max_iter=7, categorical=categorical).fit(
        X, progress=lambda done, total: seen.append((done, total))
    )
    # One unit per iteration a run may make: 3 initialisations x 7 iterations,
    # all done at the end (runs that converge early count the rest as done).
    assert seen and seen[-1] == (21, 21)
    assert all(0 <= d <= t == 21 for d, t in seen)
    seen.clear()
    KModes(n_clusters=k, n_init=2, max_iter=4).fit(cat, progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1] == (8, 8)


@pytest.mark.parametrize("est", [KPrototypes(n_clusters=2, categorical=[1]), KModes(n_clusters=2)])
def test_a_bad_progress_is_named(est: KPrototypes | KModes) -> None:
    X = np.array([[0.0, 1], [1.0, 2], [5.0, 1], [6.0, 2]])
    with pytest.raises(InvalidParameterError, match="progress"):
        est.fit(X, progress=5)


def test_object_categories_are_sorted_and_coded_as_numpy_would() -> None:
    rng = np.random.default_rng(5)
    col = rng.choice(np.array(["pear", "apple", "fig", "kiwi"], dtype=object), 300)
    other = rng.choice(np.array([3, 1, 2], dtype=object), 300)
    X = np.column_stack([col, other])
    km = KModes(n_clusters=3, n_init=1).fit(X)
    # The categories are numpy's sorted distinct values of each column.
    for got, c in zip(km.categories_, (col, other), strict=True):
        assert list(got) == list(np.unique(c))
    # Prototypes are rows of categories: predicting a prototype gives its cluster.
    np.testing.assert_array_equal(km.predict(km.cluster_centers_), np.arange(3))
    # An unseen category matches no mode; a value of another type is refused.
    assert km.predict(np.array([["plum", 1]], dtype=object)).shape == (1,)
    with pytest.raises(ColumnTypeError, match="column 0"):
        km.predict(np.array([[7, 1]], dtype=object))
