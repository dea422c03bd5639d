"""ciblage.cluster.KMeans / MiniBatchKMeans: the same fits as scikit-learn
given the same initial centres, the preparation options against numpy, and
bad input refused with our exception classes."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest

from ciblage.cluster import KMeans, MiniBatchKMeans
from ciblage.exceptions import InvalidInputError, InvalidParameterError, ModelFileError, NotFittedError

sklearn_cluster = pytest.importorskip("sklearn.cluster")
sklearn_datasets = pytest.importorskip("sklearn.datasets")


def _iris() -> np.ndarray:
    return sklearn_datasets.load_iris().data


def _blobs() -> np.ndarray:
    X, _ = sklearn_datasets.make_blobs(n_samples=3000, centers=6, n_features=5, cluster_std=2.5, random_state=3)
    return X


def _weighted() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    X = np.vstack([rng.normal(c, 1.5, size=(400, 3)) for c in (0.0, 4.0, 8.0)])
    w = rng.uniform(0.0, 3.0, size=len(X))
    return X, w


DATASETS = {
    "iris": lambda: (_iris(), None, 3),
    "blobs": lambda: (_blobs(), None, 6),
    "weighted": lambda: (*_weighted(), 5),
}


@pytest.mark.parametrize("algorithm", ["lloyd", "elkan"])
@pytest.mark.parametrize("name", sorted(DATASETS))
@pytest.mark.parametrize("init_seed", [0, 1, 2])
def test_same_fit_as_scikit_learn_from_the_same_centres(name: str, algorithm: str, init_seed: int) -> None:
    X, w, k = DATASETS[name]()
    init, _ = sklearn_cluster.kmeans_plusplus(X, k, sample_weight=w, random_state=init_seed)
    ref = sklearn_cluster.KMeans(k, init=init, n_init=1, algorithm=algorithm).fit(X, sample_weight=w)
    ours = KMeans(k, init=init, n_init=1, algorithm=algorithm).fit(X, sample_weight=w)
    np.testing.assert_array_equal(ours.labels_, ref.labels_)
    assert ours.n_iter_ == ref.n_iter_
    assert ours.inertia_ == pytest.approx(ref.inertia_, rel=1e-9)
    np.testing.assert_allclose(ours.cluster_centers_, ref.cluster_centers_, rtol=1e-9, atol=1e-9)
    assert ours.labels_.dtype == np.int32


def test_few_iterations_stop_as_scikit_learn() -> None:
    # max_iter reached before convergence: the labels are those of the last
    # centres (scikit-learn's final assignment).
    X = _blobs()
    init = X[:6]
    for max_iter in (1, 2, 3):
        ref = sklearn_cluster.KMeans(6, init=init, n_init=1, max_iter=max_iter, tol=0.0).fit(X)
        ours = KMeans(6, init=init, n_init=1, max_iter=max_iter, tol=0.0).fit(X)
        np.testing.assert_array_equal(ours.labels_, ref.labels_)
        assert ours.n_iter_ == ref.n_iter_ == max_iter
        assert ours.inertia_ == pytest.approx(ref.inertia_, rel=1e-9)


def test_k_means_plus_plus_is_as_good_as_scikit_learn_and_seeded() -> None:
    X = _blobs()
    ours = [KMeans(6, random_state=s).fit(X).inertia_ for s in range(5)]
    ref = [sklearn_cluster.KMeans(6, random_state=s).fit(X).inertia_ for s in range(5)]
    # Different random streams: compare the medians of five seeds.
    assert np.median(ours) <= np.median(ref) * 1.02
    a = KMeans(6, random_state=7).fit(X)
    b = KMeans(6, random_state=7, n_threads=1).fit(X)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    assert a.inertia_ == b.inertia_


def test_n_init_keeps_the_best_of_the_runs() -> None:
    X = _blobs()
    best = KMeans(6, init="random", n_init=8, random_state=1).fit(X).inertia_
    singles = [KMeans(6, init="random", n_init=1, random_state=s).fit(X).inertia_ for s in range(8)]
    assert best <= np.median(singles)


def test_predict_transform_score_against_numpy() -> None:
    X = _iris()
    km = KMeans(3, random_state=0).fit(X)
    assert np.array_equal(km.predict(X), km.labels_)
    np.testing.assert_array_equal(km.fit_predict(X), km.labels_)
    c = km.cluster_centers_
    dist = np.sqrt(((X[:, None, :] - c[None, :, :]) ** 2).sum(axis=2))
    np.testing.assert_allclose(km.transform(X), dist, rtol=1e-12)
    assert km.score(X) == pytest.approx(-(dist.min(axis=1) ** 2).sum(), rel=1e-12)
    w = np.linspace(0.5, 2.0, len(X))
    assert km.score(X, sample_weight=w) == pytest.approx(-(w * dist.min(axis=1) ** 2).sum(), rel=1e-12)


def test_preparation_against_numpy() -> None:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {
            "recency": rng.integers(0, 400, 500).astype(float),
            "frequency": rng.poisson(3, 500).astype(float),
            "monetary": rng.lognormal(4, 1.2, 500),
        }
    )
    prep = {"log1p": ["monetary"], "rank": ["frequency"], "winsorize": (0.05, 0.95), "standardize": True}
    km = KMeans(4, random_state=0, prepare=prep).fit(frame)
    assert list(km.feature_names_in_) == ["recency", "frequency", "monetary"]
    got = km.prepare_transform(frame)
    # Independent computation: log1p, winsorise at numpy's quantiles
    # (columns not ranked), rank = share of rows at or below, standardise.
    X = frame.to_numpy().copy()
    X[:, 2] = np.log1p(X[:, 2])
    for j in (0, 2):
        lo, hi = np.quantile(X[:, j], [0.05, 0.95])
        X[:, j] = np.clip(X[:, j], lo, hi)
    f = X[:, 1].copy()
    X[:, 1] = (f[:, None] >= f[None, :]).mean(axis=1)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    np.testing.assert_allclose(got, X, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(km.predict(frame), km.labels_)
    # The same clustering as scikit-learn on the prepared matrix.
    ref = sklearn_cluster.KMeans(4, init=km.cluster_centers_, n_init=1).fit(X)
    again = KMeans(4, init=km.cluster_centers_, n_init=1, prepare=prep).fit(frame)
    np.testing.assert_array_equal(again.labels_, ref.labels_)
    # New customers get the fit data's statistics, not their own.
    new = frame.iloc[:3]
    np.testing.assert_allclose(km.prepare_transform(new), X[:3], rtol=1e-10, atol=1e-12)


def test_rank_of_new_values_is_interpolated() -> None:
    X = np.array([[10.0], [20.0], [30.0], [40.0]])
    km = KMeans(1, prepare={"rank": [0]}).fit(X)
    # Shares at or below: 0.25, 0.5, 0.75, 1; 25 lies half-way: 0.625;
    # below the smallest value: 0; above the largest: 1.
    np.testing.assert_allclose(km.prepare_transform(np.array([[25.0], [5.0], [99.0]])).ravel(), [0.625, 0.0, 1.0])


def test_models_pickle_and_json_round_trip() -> None:
    X = _iris()
    km = KMeans(3, random_state=0, prepare={"standardize": True}).fit(X)
    back = pickle.loads(pickle.dumps(km))
    np.testing.assert_array_equal(back.predict(X), km.labels_)
    loaded = KMeans.from_json(km.to_json())
    np.testing.assert_array_equal(loaded.predict(X), km.labels_)
    assert loaded.inertia_ == km.inertia_
    with pytest.raises(ModelFileError, match="k-means model"):
        KMeans.from_json(km.to_json().replace('"version":1', '"version":7'))
    with pytest.raises(ModelFileError):
        KMeans.from_json("[]")


def test_polars_input_keeps_the_names() -> None:
    pl = pytest.importorskip("polars")
    frame = pl.DataFrame({"a": [0.0, 0.1, 5.0, 5.2], "b": [1.0, 1.1, 9.0, 9.1]})
    km = KMeans(2, random_state=0).fit(frame)
    assert list(km.feature_names_in_) == ["a", "b"]
    assert km.predict(frame).tolist() == km.labels_.tolist()
    with pytest.raises(InvalidInputError, match="feature names"):
        km.predict(frame.select(["b", "a"]))


def test_mini_batch_finds_the_blobs_and_is_seeded() -> None:
    X = _blobs()
    mb = MiniBatchKMeans(6, batch_size=256, random_state=0).fit(X)
    full = KMeans(6, random_state=0).fit(X)
    assert mb.inertia_ <= full.inertia_ * 1.05
    again = MiniBatchKMeans(6, batch_size=256, random_state=0, n_threads=1).fit(X)
    np.testing.assert_array_equal(again.labels_, mb.labels_)
    np.testing.assert_array_equal(mb.predict(X), mb.labels_)
    # inertia_ is that of every row against the final centres.
    assert mb.inertia_ == pytest.approx(-mb.score(X), rel=1e-12)


def test_progress_is_reported() -> None:
    seen: list[tuple[int, int]] = []
    KMeans(3, random_state=0).fit(_blobs(), progress=lambda done, total: seen.append((done, total)))
    assert all(0 <= d <= t for d, t in seen)


def test_parameters_follow_scikit_learn_defaults() -> None:
    ref = sklearn_cluster.KMeans().get_params()
    ours = KMeans().get_params()
    for name in ("n_clusters", "init", "n_init", "max_iter", "tol", "random_state", "copy_x", "algorithm"):
        assert ours[name] == ref[name], name
    ref = sklearn_cluster.MiniBatchKMeans().get_params()
    ours = MiniBatchKMeans().get_params()
    for name in ("n_clusters", "init", "max_iter", "batch_size", "tol", "max_no_improvement", "init_size", "n_init"):
        assert ours[name] == ref[name], name


BAD_PARAMS = [
    ({"n_clusters": 0}, "n_clusters"),
    ({"n_clusters": 2.5}, "n_clusters"),
    ({"n_clusters": 200}, "n_clusters"),
    ({"algorithm": "fast"}, "algorithm"),
    ({"init": "kmeans"}, "init"),
    ({"init": np.zeros((2, 4))}, "init"),
    ({"init": np.array([[0.0, np.nan, 0, 0], [1, 1, 1, 1], [2, 2, 2, 2]])}, "init"),
    ({"n_init": 0}, "n_init"),
    ({"n_init": "many"}, "n_init"),
    ({"max_iter": 0}, "max_iter"),
    ({"tol": -1.0}, "tol"),
    ({"tol": float("nan")}, "tol"),
    ({"random_state": -1}, "random_state"),
    ({"random_state": "x"}, "random_state"),
    ({"prepare": {"log": [0]}}, "prepare"),
    ({"prepare": {"rank": [9]}}, "prepare"),
    ({"prepare": {"rank": ["nope"]}}, "prepare"),
    ({"prepare": {"winsorize": (0.9, 0.1)}}, "prepare.winsorize"),
    ({"prepare": {"winsorize": 0.1}}, "prepare"),
    ({"prepare": {"standardize": 1}}, "prepare.standardize"),
    ({"prepare": [0]}, "prepare"),
    ({"n_threads": 0}, "n_threads"),
    ({"copy_x": "yes"}, "copy_x"),
]


@pytest.mark.parametrize(("params", "name"), BAD_PARAMS, ids=[str(p) for p, _ in BAD_PARAMS])
def test_bad_parameters_name_themselves(params: dict, name: str) -> None:
    with pytest.raises(InvalidParameterError, match=rf"invalid parameter {name}\b"):
        KMeans(**{"n_clusters": 3, **params}).fit(_iris())


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"batch_size": 0}, "batch_size"),
        ({"max_no_improvement": 0}, "max_no_improvement"),
        ({"init_size": 0}, "init_size"),
    ],
)
def test_bad_mini_batch_parameters(params: dict, name: str) -> None:
    with pytest.raises(InvalidParameterError, match=rf"invalid parameter {name}\b"):
        MiniBatchKMeans(3, **params).fit(_iris())


def test_bad_input_is_refused_with_our_classes() -> None:
    X = _iris()
    with pytest.raises(InvalidInputError, match="row 3"):
        bad = X.copy()
        bad[3, 1] = np.nan
        KMeans(3).fit(bad)
    with pytest.raises(InvalidInputError, match="2-D"):
        KMeans(3).fit(X[:, 0])
    with pytest.raises(InvalidInputError):
        KMeans(1).fit(np.empty((0, 2)))
    with pytest.raises(InvalidParameterError, match="sample_weight"):
        KMeans(3).fit(X, sample_weight=-np.ones(len(X)))
    with pytest.raises(InvalidInputError, match="sample_weight"):
        KMeans(3).fit(X, sample_weight=np.ones(3))
    with pytest.raises(InvalidInputError, match="row 0"):
        KMeans(2, prepare={"log1p": [0]}).fit(np.array([[-1.0], [1.0], [2.0]]))
    km = KMeans(3, random_state=0).fit(X)
    with pytest.raises(InvalidInputError, match="features"):
        km.predict(X[:, :2])
    with pytest.raises(InvalidInputError, match="non-finite"):
        km.transform(np.full((1, 4), np.inf))
    log_km = KMeans(2, prepare={"log1p": [0]}).fit(np.array([[0.0], [1.0], [5.0]]))
    with pytest.raises(InvalidInputError, match="log1p"):
        log_km.predict(np.array([[-3.0]]))
    with pytest.raises(NotFittedError, match="predict"):
        KMeans().predict(X)
    # Values whose squares overflow 64-bit floats are refused, not clustered.
    with pytest.raises(InvalidInputError, match="row 1.*1e150"):
        KMeans(1).fit(np.array([[0.0], [1e200]]))


def test_the_finiteness_screen_finds_the_first_bad_row() -> None:
    # The input is screened by its sum: +inf and -inf together sum to NaN,
    # a lone NaN after them too; the row named is the first bad one.
    X = np.zeros((50, 3))
    X[7, 2], X[9, 0], X[20, 1] = np.inf, -np.inf, np.nan
    with pytest.raises(InvalidInputError, match="non-finite value inf at row 7"):
        KMeans(2).fit(X)
    # Finite values whose sum overflows are not taken for infinite ones:
    # the refusal is the magnitude's (first row over 1e150), not a
    # non-finite value's.
    big = np.array([[0.0], [1e308], [1e308]])
    with np.errstate(over="raise"), pytest.raises(InvalidInputError, match="row 1.*1e150"):
        KMeans(1).fit(big)


@pytest.mark.parametrize("cls", [KMeans, MiniBatchKMeans])
def test_scikit_learn_estimator_checks(cls: type) -> None:
    from sklearn.utils.estimator_checks import check_estimator

    est = cls(n_clusters=3, random_state=0, **({"batch_size": 64} if cls is MiniBatchKMeans else {}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(est, on_fail=None)
    failed = {r["check_name"] for r in results if r["status"] == "failed"}
    assert len(results) > 40
    # As scikit-learn's own KMeans (an expected failure there): a weight of
    # 2 is not the same random draws as a repeated row.
    assert failed <= {"check_sample_weight_equivalence_on_dense_data"}, failed


def test_html_and_plot_show_the_clusters() -> None:
    frame = pd.DataFrame({"recency": [1.0, 2.0, 30.0, 31.0, 32.0], "spend": [5.0, 6.0, 100.0, 90.0, 95.0]})
    km = KMeans(2, random_state=0).fit(frame)
    page = km._repr_html_()
    assert page.startswith("<div") and "<script" not in page
    sizes = sorted(np.bincount(km.labels_).tolist())
    assert sizes == [2, 3]
    assert "recency" in page and "<td>3</td>" in page and "<td>2</td>" in page
    assert "not fitted" in KMeans()._repr_html_()
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    display = km.plot()
    assert list(display.data["rows"]) == np.bincount(km.labels_).tolist()
    np.testing.assert_allclose(display.data[["recency", "spend"]].to_numpy(), km.cluster_centers_)
    assert display.figure_ is not None
