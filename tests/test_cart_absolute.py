"""CART with the absolute-error criterion against scikit-learn's
``DecisionTreeRegressor(criterion="absolute_error")`` run in the suite."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, make_regression
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeRegressor

import ciblage
from ciblage.exceptions import InvalidParameterError
from test_cart import assert_same_tree as assert_same_structure


def assert_same_tree(ours, theirs, *, exact: bool = True) -> None:
    """The structure, thresholds and impurities (`test_cart`), and the leaf
    values, the medians."""
    assert_same_structure(ours, theirs, exact=exact)
    values = np.asarray(ours.tree_.value)[:, 0, 0]
    if exact:
        np.testing.assert_array_equal(values, theirs.tree_.value[:, 0, 0])
    else:
        np.testing.assert_allclose(values, theirs.tree_.value[:, 0, 0], rtol=1e-12)


@pytest.mark.parametrize(
    "params",
    [{}, {"max_depth": 3}, {"min_samples_leaf": 5}, {"max_leaf_nodes": 12}, {"max_features": 4, "random_state": 2}],
)
def test_diabetes_trees_are_sklearns(params: dict) -> None:
    # Integer targets (25..346) and unit weights: every sum is exact in both
    # tools, so ties between candidates break the same way.
    X, y = load_diabetes(return_X_y=True)
    params = {"random_state": 0, **params}
    ours = ciblage.CartRegressor(criterion="absolute_error", **params).fit(X, y)
    theirs = DecisionTreeRegressor(criterion="absolute_error", **params).fit(X, y)
    assert_same_tree(ours, theirs)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


def test_weighted_trees_and_pruning_path_are_sklearns() -> None:
    X, y = load_diabetes(return_X_y=True)
    w = np.random.default_rng(0).integers(1, 4, len(y)).astype(float)
    ours = ciblage.CartRegressor(criterion="absolute_error", max_depth=6, random_state=0).fit(X, y, sample_weight=w)
    theirs = DecisionTreeRegressor(criterion="absolute_error", max_depth=6, random_state=0).fit(X, y, sample_weight=w)
    assert_same_tree(ours, theirs)
    a = ciblage.CartRegressor(criterion="absolute_error", random_state=0).cost_complexity_pruning_path(X, y)
    b = DecisionTreeRegressor(criterion="absolute_error", random_state=0).cost_complexity_pruning_path(X, y)
    np.testing.assert_allclose(a["ccp_alphas"], b["ccp_alphas"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(a["impurities"], b["impurities"], rtol=1e-9)


@pytest.mark.parametrize("seed", [0, 2, 4])
def test_continuous_targets_fit_as_well_as_sklearn(seed: int) -> None:
    # With continuous targets, candidates whose absolute errors are equal in
    # exact arithmetic (the error is flat between two middle targets) are
    # told apart by rounding, which differs between the tools: thresholds
    # may differ there, the training error may not.
    X, y = make_regression(n_samples=1500, n_features=6, noise=20.0, random_state=seed)
    y = y + np.random.default_rng(seed).standard_t(2, len(y)) * 30  # heavy tails
    Xa, Xb, ya, yb = train_test_split(X, y, random_state=0)
    ours = ciblage.CartRegressor(criterion="absolute_error", max_depth=5, random_state=0).fit(Xa, ya)
    theirs = DecisionTreeRegressor(criterion="absolute_error", max_depth=5, random_state=0).fit(Xa, ya)
    assert ours.tree_.node_count == theirs.tree_.node_count
    assert (ours.tree_.feature[0], ours.tree_.threshold[0]) == (theirs.tree_.feature[0], theirs.tree_.threshold[0])
    assert ours.tree_.impurity[0] == pytest.approx(theirs.tree_.impurity[0], rel=1e-12)
    train = [np.abs(m.predict(Xa) - ya).mean() for m in (ours, theirs)]
    assert train[0] == pytest.approx(train[1], rel=1e-12)
    held_out = [np.abs(m.predict(Xb) - yb).mean() for m in (ours, theirs)]
    assert held_out[0] == pytest.approx(held_out[1], rel=0.05)


def test_leaves_are_weighted_medians_and_missing_values_are_split() -> None:
    rng = np.random.default_rng(5)
    X = rng.normal(size=(400, 3))
    y = np.where(X[:, 0] > 0, 100.0, 0.0) + rng.integers(0, 5, 400)
    X[rng.random(400) < 0.2, 0] = np.nan
    y[np.isnan(X[:, 0])] = 100.0
    m = ciblage.CartRegressor(criterion="absolute_error", max_depth=3).fit(X, y)
    leaves = m.apply(X)
    for leaf in np.unique(leaves):
        ys = np.sort(y[leaves == leaf])
        n = len(ys)
        median = ys[n // 2] if n % 2 else (ys[n // 2 - 1] + ys[n // 2]) / 2
        assert m.tree_.value[leaf, 0, 0] == median
        assert m.tree_.impurity[leaf] == pytest.approx(np.abs(ys - median).mean(), rel=1e-12)
    table = m.segments()
    assert list(table["median"]) == [m.tree_.value[leaf, 0, 0] for leaf in table["node"]]
    assert "mean" not in table
    # The missing rows (all 100) join the high side at the root.
    assert m.tree_.feature[0] == 0
    assert (m.predict(X[np.isnan(X[:, 0])]) >= 100).all()


def test_unsupported_settings_name_their_argument() -> None:
    import pandas as pd

    X, y = load_diabetes(return_X_y=True)
    with pytest.raises(InvalidParameterError, match="splitter"):
        ciblage.CartRegressor(criterion="absolute_error", splitter="hist").fit(X, y)
    frame = pd.DataFrame({"region": pd.Categorical(np.where(X[:, 1] > 0, "a", "b")), "bmi": X[:, 2]})
    with pytest.raises(InvalidParameterError, match="categorical_features"):
        ciblage.CartRegressor(criterion="absolute_error").fit(frame, y)
    with pytest.raises(InvalidParameterError, match="absolute_error"):
        ciblage.CartRegressor(criterion="absolute").fit(X, y)
