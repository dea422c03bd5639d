"""The random splitter under monotonic constraints: scikit-learn's extra
trees node for node (its ExtraTreeClassifier / ExtraTreeRegressor with
``monotonic_cst``), predictions monotone along each constrained feature,
and the same trees from a sparse X."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_breast_cancer, load_diabetes, make_classification
from sklearn.tree import ExtraTreeClassifier, ExtraTreeRegressor

import ciblage
from test_cart_random import assert_same_tree


def _cancer() -> tuple[np.ndarray, np.ndarray]:
    return load_breast_cancer(return_X_y=True)


def _diabetes() -> tuple[np.ndarray, np.ndarray]:
    return load_diabetes(return_X_y=True)


def _constraints(d: int, seed: int) -> np.ndarray:
    return np.random.RandomState(seed).choice([-1, 0, 1], size=d)


CASES = [
    ("cancer", {}),
    ("cancer", {"criterion": "entropy", "max_features": None}),
    ("cancer", {"max_leaf_nodes": 12}),
    ("cancer", {"min_samples_leaf": 4, "weights": True}),
    ("diabetes", {}),
    ("diabetes", {"criterion": "absolute_error"}),
    ("diabetes", {"criterion": "poisson"}),
    ("diabetes", {"max_leaf_nodes": 20}),
    ("diabetes", {"max_depth": 5, "weights": True}),
]


@pytest.mark.parametrize(("name", "params"), CASES, ids=[f"{n}-{p}" for n, p in CASES])
@pytest.mark.parametrize("seed", [0, 4])
def test_constrained_extra_trees_are_scikit_learns(name: str, params: dict, seed: int) -> None:
    X, y = _cancer() if name == "cancer" else _diabetes()
    params = dict(params)
    fit_kw = {}
    if params.pop("weights", False):
        fit_kw["sample_weight"] = np.random.RandomState(1).randint(0, 4, len(y)).astype(float)
    cst = _constraints(X.shape[1], seed)
    ours_cls, theirs_cls = (
        (ciblage.ExtraCartClassifier, ExtraTreeClassifier)
        if name == "cancer"
        else (ciblage.ExtraCartRegressor, ExtraTreeRegressor)
    )
    kw = dict(monotonic_cst=cst, random_state=seed, **params)
    ours = ours_cls(**kw).fit(X, y, **fit_kw)
    theirs = theirs_cls(**kw).fit(X, y, **fit_kw)
    assert_same_tree(ours, theirs)
    probe = np.random.RandomState(seed).permutation(X)
    if name == "cancer":
        np.testing.assert_allclose(ours.predict_proba(probe), theirs.predict_proba(probe), rtol=0, atol=1e-12)
    else:
        np.testing.assert_allclose(ours.predict(probe), theirs.predict(probe), rtol=1e-12)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("classify", [True, False])
def test_predictions_are_monotone_along_constrained_features(seed: int, classify: bool) -> None:
    rng = np.random.RandomState(seed)
    X = rng.uniform(-3, 3, size=(400, 4))
    signal = X[:, 0] - X[:, 1] + np.sin(3 * X[:, 2]) + rng.normal(0, 0.8, 400)
    cst = np.array([1, -1, 1, -1])
    if classify:
        model = ciblage.ExtraCartClassifier(monotonic_cst=cst, random_state=seed).fit(X, signal > 0)
        predict = lambda Z: model.predict_proba(Z)[:, 1]  # noqa: E731
    else:
        model = ciblage.ExtraCartRegressor(monotonic_cst=cst, random_state=seed).fit(X, signal)
        predict = model.predict
    sweep = np.linspace(-4, 4, 81)
    for f, sign in enumerate(cst):
        for row in rng.uniform(-3, 3, size=(15, 4)):
            grid = np.tile(row, (len(sweep), 1))
            grid[:, f] = sweep
            steps = np.diff(predict(grid)) * sign
            assert (steps >= 0).all(), (f, sign, steps.min())


def test_sparse_x_gives_the_dense_trees_under_constraints() -> None:
    X, y = make_classification(n_samples=500, n_features=30, n_informative=10, random_state=2)
    X[np.random.RandomState(3).rand(*X.shape) < 0.7] = 0.0
    cst = _constraints(30, 5)
    for seed in (0, 1):
        dense = ciblage.ExtraCartClassifier(monotonic_cst=cst, random_state=seed).fit(X, y)
        for fmt in (sp.csc_matrix, sp.csr_matrix):
            assert_same_tree(ciblage.ExtraCartClassifier(monotonic_cst=cst, random_state=seed).fit(fmt(X), y), dense)
        assert_same_tree(dense, ExtraTreeClassifier(monotonic_cst=cst, random_state=seed).fit(X, y))
