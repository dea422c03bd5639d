"""Monotonic constraints (``monotonic_cst``) in CART: trees node for node
scikit-learn's, predictions monotone along every constrained feature, and
the parameter's checks with scikit-learn's messages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, make_classification
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

import ciblage
from ciblage.exceptions import InvalidParameterError


def _iris_binary() -> tuple[np.ndarray, np.ndarray]:
    """Versicolor (0) against virginica (1): the two classes that overlap."""
    X, y = load_iris(return_X_y=True)
    keep = y > 0
    return X[keep], (y[keep] == 2).astype(int)


def _random() -> tuple[np.ndarray, np.ndarray]:
    return make_classification(n_samples=600, n_features=5, n_informative=5, n_redundant=0, random_state=3)


def _assert_same_tree(ours: object, theirs: object) -> None:
    a, b = ours.tree_, theirs.tree_
    assert a.node_count == b.node_count
    for name in ("children_left", "children_right", "feature", "n_node_samples"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    np.testing.assert_array_equal(a.threshold, b.threshold)
    np.testing.assert_array_equal(a.weighted_n_node_samples, b.weighted_n_node_samples)
    # Sums in another order may round apart in the last bits.
    np.testing.assert_allclose(a.impurity, b.impurity, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(a.value, b.value, rtol=1e-12, atol=1e-15)


def _constraints(d: int, seed: int) -> np.ndarray:
    return np.random.RandomState(seed).choice([-1, 0, 1], size=d)


CLASSIFICATION = {"iris": _iris_binary, "cancer": lambda: load_breast_cancer(return_X_y=True), "random": _random}
GROWTH = [{}, {"max_leaf_nodes": 20}, {"max_depth": 4, "min_samples_leaf": 3}]


@pytest.mark.parametrize("data", sorted(CLASSIFICATION))
@pytest.mark.parametrize("criterion", ["gini", "entropy"])
@pytest.mark.parametrize("growth", GROWTH, ids=["depth_first", "best_first", "limited"])
@pytest.mark.parametrize("missing", [False, True], ids=["dense", "missing"])
def test_classifiers_are_scikit_learns(data, criterion, growth, missing) -> None:
    X, y = CLASSIFICATION[data]()
    if missing:
        X = X.copy()
        X[np.random.RandomState(5).rand(*X.shape) < 0.1] = np.nan
    for seed in (0, 1):
        cst = _constraints(X.shape[1], seed)
        kw = dict(criterion=criterion, monotonic_cst=cst, random_state=0, **growth)
        ours = ciblage.CartClassifier(**kw).fit(X, y)
        _assert_same_tree(ours, DecisionTreeClassifier(**kw).fit(X, y))


@pytest.mark.parametrize("criterion", ["squared_error", "poisson", "absolute_error"])
@pytest.mark.parametrize("growth", GROWTH, ids=["depth_first", "best_first", "limited"])
def test_regressors_are_scikit_learns_on_diabetes(criterion, growth) -> None:
    X, y = load_diabetes(return_X_y=True)
    for seed in (0, 1):
        kw = dict(criterion=criterion, monotonic_cst=_constraints(X.shape[1], seed), random_state=0, **growth)
        ours = ciblage.CartRegressor(**kw).fit(X, y)
        _assert_same_tree(ours, DecisionTreeRegressor(**kw).fit(X, y))


def test_regressor_with_missing_values_is_scikit_learns() -> None:
    X, y = load_diabetes(return_X_y=True)
    X = X.copy()
    X[np.random.RandomState(7).rand(*X.shape) < 0.1] = np.nan
    for growth in GROWTH:
        kw = dict(monotonic_cst=_constraints(X.shape[1], 2), random_state=0, **growth)
        _assert_same_tree(ciblage.CartRegressor(**kw).fit(X, y), DecisionTreeRegressor(**kw).fit(X, y))


def test_all_free_constraints_store_shares_as_scikit_learn() -> None:
    # Constraints given but all 0: no split is refused, but scikit-learn
    # still stores a classifier's second share as 1 - the first.
    X, y = load_breast_cancer(return_X_y=True)
    kw = dict(monotonic_cst=np.zeros(X.shape[1], dtype=int), random_state=0)
    ours = ciblage.CartClassifier(**kw).fit(X, y)
    _assert_same_tree(ours, DecisionTreeClassifier(**kw).fit(X, y))
    np.testing.assert_array_equal(ours.tree_.value[:, 0, 1], 1.0 - ours.tree_.value[:, 0, 0])


def test_histogram_splitter_keeps_the_constraints() -> None:
    # Iris has fewer distinct values per feature than bins: the histogram
    # splitter's tree is the exact one, constraints included.
    X, y = _iris_binary()
    for seed in (0, 1, 2):
        kw = dict(monotonic_cst=_constraints(X.shape[1], seed), random_state=0)
        ours = ciblage.CartClassifier(splitter="hist", **kw).fit(X, y)
        _assert_same_tree(ours, DecisionTreeClassifier(**kw).fit(X, y))


def _assert_monotone(model: object, X: np.ndarray, cst: np.ndarray, proba: bool) -> None:
    """Sweeps each constrained feature over its range (and beyond) for a
    sample of rows; the predictions must move only in the constraint's
    direction."""
    rows = X[:: max(1, len(X) // 25)]
    for f, sign in enumerate(cst):
        if sign == 0:
            continue
        lo, hi = np.nanmin(X[:, f]), np.nanmax(X[:, f])
        grid = np.linspace(lo - 1, hi + 1, 60)
        for row in rows:
            sweep = np.repeat(row[None, :], len(grid), axis=0)
            sweep[:, f] = grid
            p = model.predict_proba(sweep)[:, 1] if proba else model.predict(sweep)
            assert np.all(np.diff(p) * sign >= 0), (f, sign, p)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    n=st.integers(20, 200),
    cst=st.lists(st.sampled_from([-1, 0, 1]), min_size=3, max_size=3),
    classify=st.booleans(),
    splitter=st.sampled_from(["best", "hist"]),
    leaves=st.sampled_from([None, 12]),
    missing=st.booleans(),
)
def test_predictions_are_monotone_along_constrained_features(seed, n, cst, classify, splitter, leaves, missing) -> None:
    rng = np.random.RandomState(seed)
    X = np.round(rng.rand(n, 3) * 8, 1)
    signal = X[:, 0] - X[:, 1] + rng.randn(n) * 2
    if missing:
        X[rng.rand(n) < 0.1, 1] = np.nan
    cst = np.array(cst)
    kw = dict(monotonic_cst=cst, splitter=splitter, max_leaf_nodes=leaves, random_state=0, max_bins=16)
    if classify:
        y = (signal > np.median(signal)).astype(int)
        if len(np.unique(y)) < 2:
            return
        model = ciblage.CartClassifier(**kw).fit(X, y)
    else:
        model = ciblage.CartRegressor(**kw).fit(X, signal)
    _assert_monotone(model, X, cst, classify)


def test_scoring_use_more_spend_never_lowers_the_score() -> None:
    # A response model on spend (rising) and days since the last purchase
    # (falling): a customer spending more, or buying more recently, never
    # gets a lower score, even where the data alone would say otherwise.
    rng = np.random.RandomState(0)
    n = 2000
    spend = rng.gamma(2.0, 50.0, n)
    recency = rng.randint(0, 365, n)
    p = 1 / (1 + np.exp(-(spend / 100 - recency / 120)))
    y = (rng.rand(n) < p).astype(int)
    X = pd.DataFrame({"spend": spend, "recency": recency})
    model = ciblage.CartClassifier(max_depth=6, min_samples_leaf=20, monotonic_cst=[1, -1], random_state=0)
    model.fit(X, y)
    _assert_monotone(model, X.to_numpy(), np.array([1, -1]), proba=True)


@pytest.mark.parametrize("Estimator", [ciblage.CartClassifier, ciblage.CartRegressor])
def test_bad_constraints_raise_scikit_learns_messages(Estimator) -> None:
    X = np.array([[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]], dtype=float)
    y = [1, 0, 1, 0, 1]
    with pytest.raises(InvalidParameterError, match="monotonic_cst has shape 3 but the input data X has 2 features."):
        Estimator(monotonic_cst=np.array([-1, 1, 0])).fit(X, y)
    msg = "monotonic_cst must be None or an array-like of -1, 0 or 1"
    with pytest.raises(InvalidParameterError, match=msg + r", but got \[-2  2\]"):
        Estimator(monotonic_cst=np.array([-2, 2])).fit(X, y)
    with pytest.raises(InvalidParameterError, match=msg + r"(.*)0.8\]"):
        Estimator(monotonic_cst=np.array([-1, 0.8])).fit(X, y)
    for bad in ("10", [["1", "0"]], [None, 1], {"a": 1}):
        with pytest.raises(InvalidParameterError, match="monotonic_cst"):
            Estimator(monotonic_cst=bad).fit(X, y)
    with pytest.raises(InvalidParameterError, match="not supported with multiple outputs"):
        Estimator(monotonic_cst=[1, 0]).fit(X, np.c_[y, y])


def test_multiclass_is_refused() -> None:
    X, y = load_iris(return_X_y=True)
    with pytest.raises(InvalidParameterError, match="not supported with multiclass classification"):
        ciblage.CartClassifier(monotonic_cst=[1, 0, 0, -1]).fit(X, y)


def test_categorical_features_cannot_be_constrained() -> None:
    X = pd.DataFrame({"spend": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "region": pd.Categorical(list("abcabc"))})
    y = [0, 0, 1, 0, 1, 1]
    with pytest.raises(InvalidParameterError, match="monotonic_cst: feature 1 is categorical"):
        ciblage.CartClassifier(monotonic_cst=[1, 1]).fit(X, y)
    # Left free, a categorical feature is fine.
    model = ciblage.CartClassifier(monotonic_cst=[1, 0]).fit(X, y)
    assert model.tree_.node_count >= 1


def test_constraints_survive_pickling() -> None:
    import pickle

    X, y = _iris_binary()
    model = ciblage.CartClassifier(monotonic_cst=[1, 0, -1, 0], random_state=0).fit(X, y)
    back = pickle.loads(pickle.dumps(model))
    assert back.get_params()["monotonic_cst"] == [1, 0, -1, 0]
    np.testing.assert_array_equal(back.predict_proba(X), model.predict_proba(X))
