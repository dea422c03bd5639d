"""choose_k: the recommendation on data of known cluster counts, the
measures against scikit-learn, sampling, mixed data, progress, Ctrl-C."""

from __future__ import annotations

import signal
import threading
import time

import numpy as np
import pandas as pd
import pytest

from ciblage.cluster import KMeans, choose_k
from ciblage.exceptions import ColumnNotFoundError, InvalidInputError, InvalidParameterError


def _blobs(centres: int, per: int = 40, seed: int = 0) -> np.ndarray:
    from sklearn.datasets import make_blobs

    # Centres on a circle of radius 20 (at least 15 apart for 8 centres),
    # unit spread: every centre is a visible group.
    angle = np.arange(centres) * 2 * np.pi / centres
    at = 20 * np.column_stack([np.cos(angle), np.sin(angle)])
    X, _ = make_blobs(n_samples=centres * per, centers=at, cluster_std=1.0, random_state=seed)
    return X


@pytest.mark.parametrize("centres", [3, 5, 8])
def test_blobs_recommend_their_number_of_centres(centres: int) -> None:
    c = choose_k(_blobs(centres, seed=centres), random_state=1)
    assert c.recommended == centres, c.reason
    assert list(c.table["k"]) == list(range(2, 11))
    assert c.method == "kmeans" and not c.silhouette_sampled
    assert "<table" in c._repr_html_() and str(centres) in c._repr_html_()


def test_measures_equal_scikit_learn_on_the_same_labels() -> None:
    from sklearn import metrics

    X = _blobs(4, seed=2)
    c = choose_k(X, [3, 4], n_init=4, random_state=5)
    t = c.table.set_index("k")
    for k in (3, 4):
        # The fit choose_k makes for k: k-means with the same seed and runs.
        km = KMeans(n_clusters=k, n_init=4, random_state=5).fit(X)
        assert t.loc[k, "inertia"] == pytest.approx(km.inertia_, rel=1e-9)
        assert t.loc[k, "silhouette"] == pytest.approx(metrics.silhouette_score(X, km.labels_), rel=1e-9)
        assert t.loc[k, "calinski_harabasz"] == pytest.approx(metrics.calinski_harabasz_score(X, km.labels_), rel=1e-9)
        assert t.loc[k, "davies_bouldin"] == pytest.approx(metrics.davies_bouldin_score(X, km.labels_), rel=1e-9)


def test_silhouette_sample_is_stated_and_seeded() -> None:
    X = _blobs(3, per=100, seed=3)
    a = choose_k(X, range(2, 5), sample_size=60, random_state=4)
    b = choose_k(X, range(2, 5), sample_size=60, random_state=4)
    assert (a.silhouette_rows, a.silhouette_sampled) == (60, True)
    np.testing.assert_array_equal(a.table["silhouette"], b.table["silhouette"])
    assert a.recommended == 3


def test_mixed_data_uses_k_prototypes() -> None:
    rng = np.random.default_rng(0)
    n = 90
    g = np.arange(n) % 3
    df = pd.DataFrame({"spend": g * 20.0 + rng.normal(0, 1, n), "channel": np.array(["web", "shop", "app"])[g]})
    c = choose_k(df, range(2, 6))
    assert c.method == "kprototypes"
    assert c.recommended == 3, c.reason
    assert isinstance(c.table, pd.DataFrame)


def test_table_in_the_callers_library() -> None:
    pl = pytest.importorskip("polars")
    X = _blobs(3, seed=1)
    c = choose_k(pl.DataFrame({"a": X[:, 0], "b": X[:, 1]}), [2, 3])
    assert isinstance(c.table, pl.DataFrame)


def test_bad_input_is_named() -> None:
    X = _blobs(3, per=4)
    with pytest.raises(InvalidParameterError, match="k_range"):
        choose_k(X, [1, 2])
    with pytest.raises(InvalidParameterError, match="k_range"):
        choose_k(X, [2, 12])
    with pytest.raises(InvalidParameterError, match="k_range"):
        choose_k(X, [])
    with pytest.raises(InvalidParameterError, match="k_range"):
        choose_k(X, "abc")
    with pytest.raises(InvalidParameterError, match="sample_size"):
        choose_k(X, sample_size=1)
    with pytest.raises(InvalidParameterError, match="gamma"):
        choose_k(X, [2], gamma=1.0)
    with pytest.raises(InvalidParameterError, match="progress"):
        choose_k(X, [2], progress="yes")
    bad = X.copy()
    bad[2, 1] = np.nan
    with pytest.raises(InvalidInputError, match="row 2"):
        choose_k(bad, [2])
    with pytest.raises(ColumnNotFoundError, match="nope"):
        choose_k(pd.DataFrame(X, columns=["a", "b"]), [2], categorical=["nope"])


def test_progress_reaches_the_callback_and_its_error_stops() -> None:
    X = np.random.default_rng(0).random((20_000, 4))
    seen: list[tuple[int, int]] = []

    def stop(done: int, total: int) -> None:
        seen.append((done, total))
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        choose_k(X, range(2, 40), progress=stop)
    assert seen and seen[0][1] >= 1


@pytest.mark.skipif(not hasattr(signal, "SIGINT"), reason="no SIGINT")
def test_ctrl_c_stops_it() -> None:
    import _thread

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        X = np.random.default_rng(0).random((20_000, 4))
        timer = threading.Timer(0.3, _thread.interrupt_main)
        timer.start()
        start = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            choose_k(X, range(2, 60), sample_size=None)
        timer.join()
        assert time.monotonic() - start < 10
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.mark.usefixtures("close_figures")
def test_plot_draws_the_four_curves_and_marks_k() -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    c = choose_k(_blobs(3, seed=1), range(2, 6))
    axes = c.plot()
    assert len(axes) == 4
    np.testing.assert_allclose(axes[1].lines[0].get_ydata(), c.table["silhouette"])
    assert axes[0].lines[1].get_xdata()[0] == 3


def test_only_categorical_features_use_k_modes() -> None:
    df = pd.DataFrame({"channel": ["web", "shop", "app"] * 20, "plan": ["a", "b", "c"] * 20})
    c = choose_k(df, range(2, 5))
    assert c.method == "kmodes"
    # Three distinct rows: k = 3 puts each in its own segment.
    assert c.recommended == 3, c.reason
    # No k-modes fit finds 4 distinct modes among 3 distinct rows.
    assert np.isnan(c.table.set_index("k").loc[4, "silhouette"])


def test_huge_counts_are_refused_by_name() -> None:
    X = _blobs(3, per=5)
    for kwargs, name in (
        ({"sample_size": 10**30}, "sample_size"),
        ({"n_init": 10**30}, "n_init"),
        ({"max_iter": 10**30}, "max_iter"),
    ):
        with pytest.raises(InvalidParameterError, match=name):
            choose_k(X, [2], **kwargs)
    with pytest.raises(InvalidParameterError, match="k_range"):
        choose_k(X, [10**30])


def _skewed(seed: int = 7) -> pd.DataFrame:
    """Three groups on a log scale of spend (skewed) and on visits."""
    rng = np.random.default_rng(seed)
    g = np.arange(150) % 3
    return pd.DataFrame(
        {
            "spend": np.exp(np.array([2.0, 4.0, 6.0])[g] + rng.normal(0, 0.2, 150)),
            "visits": np.array([1.0, 2.0, 3.0])[g] + rng.normal(0, 0.2, 150),
        }
    )


def test_prepare_as_kmeans_does() -> None:
    from sklearn import metrics

    X = _skewed()
    prepare = {"log1p": ["spend"], "standardize": True}
    c = choose_k(X, [2, 3, 4], n_init=4, random_state=5, prepare=prepare)
    plain = choose_k(X, [2, 3, 4], n_init=4, random_state=5)
    t = c.table.set_index("k")
    # The prepared space computed independently: log(1 + spend), then each
    # column centred and divided by its (population) standard deviation.
    Z = np.column_stack([np.log1p(X["spend"].to_numpy()), X["visits"].to_numpy()])
    Z = (Z - Z.mean(axis=0)) / Z.std(axis=0)
    # Three well-separated groups there: the optimum for k = 3 is them.
    g = np.arange(len(X)) % 3
    inertia = sum(((Z[g == i] - Z[g == i].mean(axis=0)) ** 2).sum() for i in range(3))
    assert t.loc[3, "inertia"] == pytest.approx(inertia, rel=1e-9)
    assert t.loc[3, "silhouette"] == pytest.approx(metrics.silhouette_score(Z, g), rel=1e-9)
    assert t.loc[3, "calinski_harabasz"] == pytest.approx(metrics.calinski_harabasz_score(Z, g), rel=1e-9)
    assert t.loc[3, "davies_bouldin"] == pytest.approx(metrics.davies_bouldin_score(Z, g), rel=1e-9)
    km = KMeans(n_clusters=3, n_init=4, random_state=5, prepare=prepare).fit(X)
    assert km.inertia_ == pytest.approx(inertia, rel=1e-9)
    assert c.recommended == 3
    # Without preparation the measures are those of the raw space.
    assert not np.allclose(plain.table["inertia"], c.table["inertia"])


def test_prepare_by_position_and_none() -> None:
    X = _skewed().to_numpy()
    by_name = choose_k(
        pd.DataFrame(X, columns=["spend", "visits"]), [2, 3], random_state=1, prepare={"rank": ["spend"]}
    )
    by_pos = choose_k(X, [2, 3], random_state=1, prepare={"rank": [0]})
    np.testing.assert_array_equal(by_name.table["inertia"], by_pos.table["inertia"])
    none = choose_k(X, [2, 3], random_state=1, prepare=None)
    np.testing.assert_array_equal(none.table["inertia"], choose_k(X, [2, 3], random_state=1).table["inertia"])


@pytest.mark.parametrize(
    ("prepare", "match"),
    [
        ({"scale": True}, "unknown key"),
        ({"log1p": ["nope"]}, "'nope'"),
        ({"log1p": [5]}, "positions from 0 to 1"),
        ({"winsorize": (0.9, 0.1)}, "low < high"),
        ("standardize", "expected None or a dict"),
    ],
)
def test_bad_prepare_is_named(prepare: object, match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        choose_k(_skewed(), [2, 3], prepare=prepare)  # type: ignore[arg-type]


def test_prepare_is_refused_for_categorical_data() -> None:
    X = _skewed().assign(channel=["web", "shop", "phone"] * 50)
    with pytest.raises(InvalidParameterError, match="prepare.*categorical"):
        choose_k(X, [2, 3], prepare={"standardize": True})
