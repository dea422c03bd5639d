"""CART with a 2-D ``y`` of several outputs, against scikit-learn run in the
test: the same trees node for node (exact splitter), predictions of every
output, ``class_weight`` per output, and clear errors for what several
outputs do not take."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest

import ciblage
from ciblage.exceptions import InvalidInputError, InvalidParameterError, ModelFileError

sklearn = pytest.importorskip("sklearn")
from sklearn.datasets import load_diabetes, load_iris  # noqa: E402
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor  # noqa: E402

FIELDS = ("children_left", "children_right", "feature", "threshold", "n_node_samples")


def assert_same_tree(ours, theirs, rtol: float = 1e-12, atol: float = 1e-12) -> None:
    a, b = ours.tree_, theirs.tree_
    assert a.node_count == b.node_count
    for f in FIELDS:
        np.testing.assert_array_equal(np.asarray(getattr(a, f)), np.asarray(getattr(b, f)), err_msg=f)
    for f in ("impurity", "weighted_n_node_samples", "value"):
        np.testing.assert_allclose(getattr(a, f), getattr(b, f), rtol=rtol, atol=atol, err_msg=f)
    assert a.n_outputs == b.n_outputs
    np.testing.assert_array_equal(a.n_classes, b.n_classes)
    assert a.max_n_classes == b.max_n_classes


def iris_two_labels() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_iris(return_X_y=True)
    # A second label of 3 classes, derived from the sepals.
    y2 = (X[:, 0] > 5.8).astype(int) + (X[:, 1] > 3.0)
    return X, np.column_stack([y, y2])


@pytest.mark.parametrize("criterion", ["gini", "entropy", "log_loss"])
@pytest.mark.parametrize(
    "extra",
    [{}, {"max_features": 2, "random_state": 3}, {"max_leaf_nodes": 6}, {"min_samples_leaf": 5}, {"max_depth": 3}],
)
def test_iris_with_two_labels_gives_sklearns_tree(criterion: str, extra: dict) -> None:
    X, Y = iris_two_labels()
    params = {"random_state": 0, **extra, "criterion": criterion}
    ours = ciblage.CartClassifier(**params).fit(X, Y)
    theirs = DecisionTreeClassifier(**params).fit(X, Y)
    assert_same_tree(ours, theirs)
    assert ours.n_outputs_ == theirs.n_outputs_ == 2
    np.testing.assert_array_equal(ours.n_classes_, theirs.n_classes_)
    for a, b in zip(ours.classes_, theirs.classes_, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    assert ours.predict(X).shape == (150, 2)
    proba, theirs_proba = ours.predict_proba(X), theirs.predict_proba(X)
    assert [p.shape for p in proba] == [(150, 3), (150, 3)]
    for a, b in zip(proba, theirs_proba, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-15)
    np.testing.assert_allclose(ours.feature_importances_, theirs.feature_importances_, rtol=1e-12)


def test_outputs_of_different_class_counts_and_labels() -> None:
    X, Y = iris_two_labels()
    labels = np.where(Y[:, 1] == 0, "low", np.where(Y[:, 1] == 1, "mid", "high"))
    Z = np.column_stack([Y[:, 0] > 0, labels]).astype(object)
    # Output 0: two classes (False, True); output 1: three text labels.
    ours = ciblage.CartClassifier(random_state=0, max_depth=4).fit(X, Z)
    theirs = DecisionTreeClassifier(random_state=0, max_depth=4).fit(X, Z)
    assert_same_tree(ours, theirs)
    np.testing.assert_array_equal(ours.n_classes_, [2, 3])
    assert ours.tree_.value.shape[1:] == (2, 3)
    # Shares past an output's own classes are zero.
    assert (ours.tree_.value[:, 0, 2] == 0).all()
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    assert [p.shape[1] for p in ours.predict_proba(X)] == [2, 3]


@pytest.mark.parametrize("criterion", ["squared_error", "poisson", "friedman_mse"])
@pytest.mark.parametrize("extra", [{"max_depth": 5}, {"max_features": 4}, {"max_leaf_nodes": 20}, {}])
def test_diabetes_with_two_targets_gives_sklearns_tree(criterion: str, extra: dict) -> None:
    X, y = load_diabetes(return_X_y=True)
    Y = np.column_stack([y, np.abs(X[:, 2] * 100 + y / 3)])
    params = {"random_state": 0, **extra, "criterion": criterion}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        ours = ciblage.CartRegressor(**params).fit(X, Y)
        theirs = DecisionTreeRegressor(**params).fit(X, Y)
    # Pure leaves' impurities are rounding noise of Σy²/w − ȳ² (y² ~ 1e4).
    assert_same_tree(ours, theirs, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-12)
    assert ours.predict(X).shape == (442, 2)
    assert ours.score(X, Y) == pytest.approx(theirs.score(X, Y), rel=1e-12)


@pytest.mark.parametrize("extra", [{"max_depth": 4}, {"max_features": 3, "min_samples_leaf": 3}, {}])
def test_absolute_error_of_several_outputs_gives_sklearns_tree(extra: dict) -> None:
    # Integer targets and weights: the sums of the errors are exact, so
    # equal candidates tie exactly as in scikit-learn (see "Absolute error").
    rng = np.random.default_rng(5)
    X = rng.normal(size=(120, 5)).round(2)
    Y = np.column_stack([rng.integers(0, 20, 120), rng.integers(-5, 5, 120), (X[:, 0] > 0) * 7]).astype(float)
    params = {"random_state": 0, "criterion": "absolute_error", **extra}
    ours = ciblage.CartRegressor(**params).fit(X, Y)
    theirs = DecisionTreeRegressor(**params).fit(X, Y)
    assert_same_tree(ours, theirs)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_multi_output_sets(seed: int) -> None:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(300, 6))
    # Ties in a rounded feature.
    X[:, 0] = np.round(X[:, 0], 1)
    Yc = np.column_stack([(X[:, 0] + rng.normal(size=300) > 0), rng.integers(0, 4, 300), X[:, 1] > 0.5]).astype(int)
    w = rng.integers(0, 3, 300).astype(float)
    for params in ({"random_state": seed}, {"random_state": seed, "max_features": 3, "min_weight_fraction_leaf": 0.01}):
        ours = ciblage.CartClassifier(**params).fit(X, Yc, sample_weight=w)
        theirs = DecisionTreeClassifier(**params).fit(X, Yc, sample_weight=w)
        assert_same_tree(ours, theirs)
    Yr = np.column_stack([X[:, 0] * 2 + rng.normal(size=300), X[:, 3] ** 2, rng.normal(size=300)])
    ours = ciblage.CartRegressor(random_state=seed).fit(X, Yr, sample_weight=w)
    theirs = DecisionTreeRegressor(random_state=seed).fit(X, Yr, sample_weight=w)
    assert_same_tree(ours, theirs, rtol=1e-9, atol=1e-12)


def test_class_weight_per_output_multiplies() -> None:
    X, Y = iris_two_labels()
    for cw in ("balanced", [{0: 1.0, 1: 2.0, 2: 0.5}, {0: 3.0, 2: 1.5}]):
        ours = ciblage.CartClassifier(class_weight=cw, random_state=0, max_depth=4).fit(X, Y)
        theirs = DecisionTreeClassifier(class_weight=cw, random_state=0, max_depth=4).fit(X, Y)
        assert_same_tree(ours, theirs)
    # The root's weight is Σ over rows of the product of the two weights:
    # computed by hand from the counts.
    cw = [{0: 1.0, 1: 2.0, 2: 0.5}, {0: 3.0, 2: 1.5}]
    ours = ciblage.CartClassifier(class_weight=cw, max_depth=1).fit(X, Y)
    expected = sum(cw[0][a] * cw[1].get(b, 1.0) for a, b in Y)
    assert ours.tree_.weighted_n_node_samples[0] == pytest.approx(expected)
    with pytest.raises(InvalidParameterError, match="elements in class_weight should match number of outputs"):
        ciblage.CartClassifier(class_weight=[{0: 1.0}]).fit(X, Y)
    with pytest.raises(InvalidParameterError, match="class_weight should be a list of dicts"):
        ciblage.CartClassifier(class_weight={0: 1.0}).fit(X, Y)


def test_one_column_is_one_output() -> None:
    X, y = load_iris(return_X_y=True)
    with pytest.warns(ciblage.DataConversionWarning):
        ours = ciblage.CartClassifier(random_state=0).fit(X, y[:, None])
    assert ours.n_outputs_ == 1
    assert ours.predict(X).shape == (150,)
    assert_same_tree(ours, DecisionTreeClassifier(random_state=0).fit(X, y[:, None]))


def test_pickle_save_and_prune_keep_every_output() -> None:
    X, Y = iris_two_labels()
    model = ciblage.CartClassifier(random_state=0).fit(X, Y)
    back = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(back.predict(X), model.predict(X))
    tree = ciblage._native.CartTree.from_json(model.tree_.to_json())
    np.testing.assert_array_equal(tree.value, model.tree_.value)
    path = model.cost_complexity_pruning_path(X, Y)
    theirs = DecisionTreeClassifier(random_state=0).cost_complexity_pruning_path(X, Y)
    np.testing.assert_allclose(path.ccp_alphas, theirs.ccp_alphas, rtol=1e-12, atol=1e-15)
    alpha = path.ccp_alphas[-3]
    pruned = ciblage.CartClassifier(random_state=0, ccp_alpha=alpha).fit(X, Y)
    assert_same_tree(pruned, DecisionTreeClassifier(random_state=0, ccp_alpha=alpha).fit(X, Y))
    state = model.__getstate__()
    state["n_outputs_"] = 1
    with pytest.raises(ModelFileError, match="n_outputs_"):
        ciblage.CartClassifier().__setstate__(state)


def test_what_several_outputs_do_not_take_is_refused_by_name() -> None:
    X, Y = iris_two_labels()
    with pytest.raises(InvalidParameterError, match="splitter"):
        ciblage.CartClassifier(splitter="hist").fit(X, Y)
    with pytest.raises(InvalidParameterError, match="not supported with multiple outputs"):
        ciblage.CartClassifier(monotonic_cst=[1, 0, 0, 0]).fit(X, Y)
    with pytest.raises(InvalidInputError, match="output 1"):
        ciblage.CartRegressor().fit(X, np.column_stack([Y[:, 0], np.full(150, np.inf)]))
    with pytest.raises(InvalidInputError, match="rows"):
        ciblage.CartClassifier().fit(X, Y[:10])
    with pytest.raises(InvalidParameterError, match="negative"):
        ciblage.CartRegressor(criterion="poisson").fit(X, -Y.astype(float))
    # An output summing to zero has no Poisson mean.
    with pytest.raises(InvalidParameterError, match="output 1"):
        ciblage.CartRegressor(criterion="poisson").fit(X, np.column_stack([Y[:, 0], np.zeros(150)]))
    # A model of several outputs shows as text in a notebook.
    assert ciblage.CartClassifier(max_depth=2).fit(X, Y)._repr_html_().startswith("<pre>")
    model = ciblage.CartClassifier(max_depth=2).fit(X, Y)
    for call in (model.export_text, model.export_graphviz, model.segments):
        with pytest.raises(InvalidParameterError, match="outputs"):
            call()
    with pytest.raises(InvalidParameterError, match="one output"):
        model.gains(1)
    # Rules are conditions only: they hold for any number of outputs.
    assert len(model.rules()) == model.tree_.node_count


@pytest.mark.parametrize("seed", [0, 1, 5])
def test_random_splitter_of_several_outputs_gives_sklearns_extra_tree(seed: int) -> None:
    from sklearn.tree import ExtraTreeClassifier, ExtraTreeRegressor

    X, Y = iris_two_labels()
    ours = ciblage.ExtraCartClassifier(random_state=seed).fit(X, Y)
    assert_same_tree(ours, ExtraTreeClassifier(random_state=seed).fit(X, Y))
    Xd, yd = load_diabetes(return_X_y=True)
    Yd = np.column_stack([yd, Xd[:, 2] * 100])
    ours = ciblage.ExtraCartRegressor(random_state=seed, max_depth=6).fit(Xd, Yd)
    assert_same_tree(ours, ExtraTreeRegressor(random_state=seed, max_depth=6).fit(Xd, Yd), rtol=1e-10, atol=1e-9)


def _with_missing(seed: int, n: int = 300) -> tuple[np.ndarray, np.random.Generator]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    X[:, 0] = np.round(X[:, 0], 1)  # ties
    X[:, 1] = rng.integers(0, 3, n)  # few values
    X[rng.random((n, 5)) < 0.15] = np.nan
    X[:, 4][rng.random(n) < 0.5] = np.nan  # half missing
    return X, rng


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("splitter", ["best", "random"])
def test_missing_values_with_several_outputs_give_sklearns_tree(seed: int, splitter: str) -> None:
    # scikit-learn sends a node's missing values right, then left, in the
    # best search (a split sending only them right has threshold ∞), and
    # to a drawn side in the random one; the trees must be its own.
    X, rng = _with_missing(seed)
    n = len(X)
    Yc = np.column_stack([np.nan_to_num(X[:, 0]) > 0, rng.integers(0, 3, n), np.isnan(X[:, 4])]).astype(int)
    Yr = np.column_stack([np.nan_to_num(X[:, 2]) * 3 + rng.normal(size=n), rng.normal(size=n)])
    weights = [None, rng.uniform(0.2, 2.0, n)]
    for w in weights:
        for params in ({}, {"max_features": 2, "min_samples_leaf": 3}, {"max_leaf_nodes": 12}):
            p = {"random_state": seed, "splitter": splitter, **params}
            for crit in ("gini", "entropy"):
                ours = ciblage.CartClassifier(criterion=crit, **p).fit(X, Yc, sample_weight=w)
                theirs = DecisionTreeClassifier(criterion=crit, **p).fit(X, Yc, sample_weight=w)
                assert_same_tree(ours, theirs)
                np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
            for crit, Y in (("squared_error", Yr), ("poisson", np.abs(Yr))):
                ours = ciblage.CartRegressor(criterion=crit, **p).fit(X, Y, sample_weight=w)
                theirs = DecisionTreeRegressor(criterion=crit, **p).fit(X, Y, sample_weight=w)
                assert_same_tree(ours, theirs, rtol=1e-9, atol=1e-12)
                np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-12)
    # Some split sends the missing values of its feature left.
    tree = ciblage.CartClassifier(random_state=seed, splitter=splitter).fit(X, Yc).tree_
    inner = np.asarray(tree.children_left) != -1
    assert np.asarray(tree.missing_go_to_left)[inner].any()


def test_missing_values_with_the_absolute_error_of_several_outputs() -> None:
    # Integer targets: the error sums are exact, as in the test above.
    X, rng = _with_missing(7, 150)
    Y = np.column_stack([rng.integers(0, 20, 150), rng.integers(-5, 5, 150)]).astype(float)
    for params in ({"max_depth": 4}, {"min_samples_leaf": 3}):
        ours = ciblage.CartRegressor(criterion="absolute_error", random_state=0, **params).fit(X, Y)
        theirs = DecisionTreeRegressor(criterion="absolute_error", random_state=0, **params).fit(X, Y)
        assert_same_tree(ours, theirs)


@pytest.mark.parametrize("seed", [0, 1])
def test_equal_values_with_sums_not_exact_give_sklearns_tree(seed: int) -> None:
    # Features of few values and fractional weights and targets: the order
    # of equal values (scikit-learn's introsort) sets how the sums round;
    # integer weights and class targets: any order gives the same sums.
    rng = np.random.default_rng(seed)
    n = 2000
    X = np.column_stack([rng.integers(0, 6, n), np.round(rng.normal(size=n), 1), rng.normal(size=n)])
    Yr = np.column_stack([X[:, 0] * 0.1 + rng.normal(size=n) * 0.3, np.sin(X[:, 1]) + rng.normal(size=n) * 0.1])
    w = rng.uniform(0.5, 1.5, n)
    for params in ({"min_samples_leaf": 2}, {"max_depth": 6}, {"max_leaf_nodes": 50}):
        ours = ciblage.CartRegressor(random_state=seed, **params).fit(X, Yr, sample_weight=w)
        theirs = DecisionTreeRegressor(random_state=seed, **params).fit(X, Yr, sample_weight=w)
        assert_same_tree(ours, theirs, rtol=1e-9, atol=1e-12)
    Yc = np.column_stack([(X[:, 0] + rng.integers(0, 3, n)) % 3, X[:, 1] > 0]).astype(int)
    for wc in (None, rng.integers(1, 4, n).astype(float), w):
        ours = ciblage.CartClassifier(random_state=seed).fit(X, Yc, sample_weight=wc)
        theirs = DecisionTreeClassifier(random_state=seed).fit(X, Yc, sample_weight=wc)
        assert_same_tree(ours, theirs)
