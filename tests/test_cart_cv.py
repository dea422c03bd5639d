"""``cost_complexity_cv`` (computed natively) against the rpart-style table
computed here independently with scikit-learn: its pruning path, its
``KFold`` folds and its trees (identical to ciblage's)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.model_selection import KFold
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

import ciblage


def _reference(theirs: Any, X: np.ndarray, y: np.ndarray, folds: list[np.ndarray], w: np.ndarray | None) -> dict:
    """The cp table as rpart defines it, from scikit-learn's trees."""
    classifier = isinstance(theirs, DecisionTreeClassifier)
    weights = np.ones(len(y)) if w is None else w
    path = theirs.cost_complexity_pruning_path(X, y, sample_weight=w)
    alphas, impurities = path["ccp_alphas"], path["impurities"]
    reps = np.append(np.sqrt(alphas[:-1] * alphas[1:]), alphas[-1])
    losses = np.zeros((len(reps), len(y)))
    for held in folds:
        train = np.setdiff1d(np.arange(len(y)), held)
        for j, a in enumerate(reps):
            m = type(theirs)(**{**theirs.get_params(), "ccp_alpha": a})
            m.fit(X[train], y[train], sample_weight=None if w is None else w[train])
            pred = m.predict(X[held])
            miss = (pred != y[held]).astype(float) if classifier else (pred - y[held]) ** 2
            losses[j, held] = weights[held] * miss
    if classifier:
        labels, codes = np.unique(y, return_inverse=True)
        major = labels[np.argmax(np.bincount(codes, weights=weights))]
        root = np.sum(weights * (y != major))
    else:
        root = np.sum(weights * (y - np.average(y, weights=weights)) ** 2)
    xerror = losses.sum(axis=1) / root
    xstd = np.sqrt(((losses - losses.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)) / root
    full = type(theirs)(**theirs.get_params()).fit(X, y, sample_weight=w)
    leaves = []
    for a in alphas:
        leaves.append(type(theirs)(**{**full.get_params(), "ccp_alpha": a}).fit(X, y, sample_weight=w).get_n_leaves())
    best = int(np.argmin(xerror))
    return {
        "ccp_alpha": alphas,
        "cp": alphas / impurities[-1],
        "rel_error": impurities / impurities[-1],
        "n_leaves": np.array(leaves),
        "xerror": xerror,
        "xstd": xstd,
        "min": best,
        "one_se": int(np.flatnonzero(xerror <= xerror[best] + xstd[best]).max()),
    }


def _compare(table: Any, ref: dict) -> None:
    np.testing.assert_allclose(table["ccp_alpha"], ref["ccp_alpha"], rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(table["cp"], ref["cp"], rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(table["rel_error"], ref["rel_error"], rtol=1e-9, atol=1e-14)
    np.testing.assert_array_equal(table["n_leaves"], ref["n_leaves"])
    np.testing.assert_allclose(table["xerror"], ref["xerror"], rtol=1e-9)
    np.testing.assert_allclose(table["xstd"], ref["xstd"], rtol=1e-9, atol=1e-15)
    assert int(np.flatnonzero(table["min"])[0]) == ref["min"]
    assert int(np.flatnonzero(table["one_se"])[0]) == ref["one_se"]
    assert table["min"].sum() == 1 and table["one_se"].sum() == 1


def _kfold(n: int, k: int, seed: int) -> list[np.ndarray]:
    # scikit-learn's shuffled KFold: RandomState(seed) shuffles the rows,
    # the first n % k folds one row longer.
    return [test for _, test in KFold(n_splits=k, shuffle=True, random_state=seed).split(np.zeros(n))]


@pytest.mark.parametrize("k", [3, 7])
def test_classifier_table_matches_kfold(k: int) -> None:
    X, y = load_breast_cancer(return_X_y=True)
    ours = ciblage.CartClassifier(random_state=0, max_depth=5)
    table = ours.cost_complexity_cv(X, y, cv=k, random_state=11)
    _compare(table, _reference(DecisionTreeClassifier(random_state=0, max_depth=5), X, y, _kfold(len(y), k, 11), None))


def test_regressor_table_matches_kfold_with_weights() -> None:
    X, y = load_diabetes(return_X_y=True)
    w = np.random.default_rng(4).uniform(0.5, 2.0, len(y))
    ours = ciblage.CartRegressor(random_state=0, max_depth=4, min_samples_leaf=3)
    table = ours.cost_complexity_cv(X, y, cv=4, random_state=5, sample_weight=w)
    theirs = DecisionTreeRegressor(random_state=0, max_depth=4, min_samples_leaf=3)
    _compare(table, _reference(theirs, X, y, _kfold(len(y), 4, 5), w))


def test_balanced_class_weights_and_fractions_per_fold() -> None:
    # class_weight="balanced" is computed on each fold's training rows and
    # a fractional min_samples_leaf on their number, as in a fit on them.
    X, y = load_iris(return_X_y=True)
    keep = np.r_[0:50, 50:80, 100:115]  # unequal classes
    X, y = X[keep], y[keep]
    params = {"random_state": 0, "class_weight": "balanced", "min_samples_leaf": 0.03}
    table = ciblage.CartClassifier(**params).cost_complexity_cv(X, y, cv=5, random_state=2)
    _compare(table, _reference(DecisionTreeClassifier(**params), X, y, _kfold(len(y), 5, 2), None))


def test_random_state_object_draws_the_shuffle() -> None:
    X, y = load_breast_cancer(return_X_y=True)
    ours = ciblage.CartClassifier(random_state=0, max_depth=3)
    table = ours.cost_complexity_cv(X, y, cv=4, random_state=np.random.RandomState(8))
    order = np.random.RandomState(8).permutation(len(y))
    folds = np.array_split(order, 4)
    _compare(table, _reference(DecisionTreeClassifier(random_state=0, max_depth=3), X, y, folds, None))


def test_string_labels_and_model_left_unfitted() -> None:
    X, y = load_breast_cancer(return_X_y=True)
    labels = np.where(y == 1, "benign", "malignant")
    ours = ciblage.CartClassifier(random_state=0, max_depth=3)
    table = ours.cost_complexity_cv(X, labels, cv=3, random_state=1)
    ref = _reference(DecisionTreeClassifier(random_state=0, max_depth=3), X, labels, _kfold(len(y), 3, 1), None)
    _compare(table, ref)
    assert not hasattr(ours, "tree_")
