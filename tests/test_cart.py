"""CART checked against scikit-learn run in the suite: identical trees
(structure, thresholds, impurities), pruning paths and predictions."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, make_classification
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

import ciblage
from ciblage.exceptions import InvalidInputError, InvalidParameterError


def assert_same_tree(ours, theirs, *, exact: bool = True) -> None:
    t, s = ours.tree_, theirs.tree_
    assert t.node_count == s.node_count
    np.testing.assert_array_equal(t.children_left, s.children_left)
    np.testing.assert_array_equal(t.children_right, s.children_right)
    np.testing.assert_array_equal(t.feature, s.feature)
    inner = s.feature >= 0
    np.testing.assert_array_equal(np.array(t.threshold)[inner], s.threshold[inner])
    np.testing.assert_array_equal(t.n_node_samples, s.n_node_samples)
    if exact:
        np.testing.assert_array_equal(t.impurity, s.impurity)
    else:
        np.testing.assert_allclose(t.impurity, s.impurity, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("criterion", ["gini", "entropy"])
@pytest.mark.parametrize("random_state", [0, 1, 7])
def test_iris_identical_to_sklearn_including_tie_order(criterion: str, random_state: int) -> None:
    X, y = load_iris(return_X_y=True)
    ours = ciblage.CartClassifier(criterion=criterion, random_state=random_state).fit(X, y)
    theirs = DecisionTreeClassifier(criterion=criterion, random_state=random_state).fit(X, y)
    assert_same_tree(ours, theirs)
    np.testing.assert_array_equal(ours.predict_proba(X), theirs.predict_proba(X))
    np.testing.assert_allclose(ours.feature_importances_, theirs.feature_importances_, rtol=1e-12)


def test_iris_reference_numbers() -> None:
    # cart.md §d: 17 nodes, depth 5, 9 leaves; root f3 <= 0.800000011920929.
    X, y = load_iris(return_X_y=True)
    m = ciblage.CartClassifier(random_state=0).fit(X, y)
    assert (m.tree_.node_count, m.get_depth(), m.get_n_leaves()) == (17, 5, 9)
    assert (m.tree_.feature[0], m.tree_.threshold[0]) == (3, 0.800000011920929)
    assert m.tree_.impurity[0] == 0.6666666666666667
    path = m.cost_complexity_pruning_path(X, y)["ccp_alphas"]
    assert list(path) == [
        0,
        0.006521739130434777,
        0.008888888888888889,
        0.013055555555555572,
        0.02966049382716049,
        0.25979602791196993,
        0.3333333333333334,
    ]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"max_depth": 3},
        {"min_samples_leaf": 5},
        {"min_samples_split": 20},
        {"min_impurity_decrease": 0.01},
        {"min_weight_fraction_leaf": 0.05},
        {"criterion": "entropy"},
    ],
)
def test_breast_cancer_parameters_and_pruning_path(params: dict) -> None:
    X, y = load_breast_cancer(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, random_state=0)
    ours = ciblage.CartClassifier(random_state=0, **params).fit(Xtr, ytr)
    theirs = DecisionTreeClassifier(random_state=0, **params).fit(Xtr, ytr)
    assert_same_tree(ours, theirs)
    np.testing.assert_array_equal(ours.predict(Xte), theirs.predict(Xte))
    a = ours.cost_complexity_pruning_path(Xtr, ytr)
    b = theirs.cost_complexity_pruning_path(Xtr, ytr)
    np.testing.assert_array_equal(a["ccp_alphas"], b["ccp_alphas"])
    np.testing.assert_array_equal(a["impurities"], b["impurities"])


def test_ccp_alpha_prunes_like_sklearn() -> None:
    X, y = load_breast_cancer(return_X_y=True)
    alphas = DecisionTreeClassifier(random_state=0).cost_complexity_pruning_path(X, y)["ccp_alphas"]
    for alpha in alphas[[2, 6, -2]]:
        ours = ciblage.CartClassifier(random_state=0, ccp_alpha=alpha).fit(X, y)
        theirs = DecisionTreeClassifier(random_state=0, ccp_alpha=alpha).fit(X, y)
        assert ours.get_n_leaves() == theirs.get_n_leaves()
        np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


def test_diabetes_regression_and_weights() -> None:
    X, y = load_diabetes(return_X_y=True)
    ours = ciblage.CartRegressor(random_state=0).fit(X, y)
    theirs = DecisionTreeRegressor(random_state=0).fit(X, y)
    assert_same_tree(ours, theirs, exact=False)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-12)
    a = ours.cost_complexity_pruning_path(X, y)["ccp_alphas"]
    b = theirs.cost_complexity_pruning_path(X, y)["ccp_alphas"]
    assert len(a) == len(b) == 394
    np.testing.assert_allclose(a, b, rtol=1e-9)
    # Depth 3: root f8 <= -0.0037611760199069977, value 152.13348416289594.
    d3 = ciblage.CartRegressor(max_depth=3, random_state=0).fit(X, y)
    assert (d3.tree_.feature[0], d3.tree_.threshold[0]) == (8, -0.0037611760199069977)
    assert d3.tree_.value[0, 0, 0] == pytest.approx(152.13348416289594, rel=1e-14)
    # Integer sample weights: identical to sklearn's weighted tree.
    Xc, yc = make_classification(n_samples=400, n_features=6, random_state=1)
    w = np.random.default_rng(0).integers(1, 4, len(yc)).astype(float)
    assert_same_tree(
        ciblage.CartClassifier(random_state=3).fit(Xc, yc, sample_weight=w),
        DecisionTreeClassifier(random_state=3).fit(Xc, yc, sample_weight=w),
    )


def test_pickle_and_errors() -> None:
    X, y = load_iris(return_X_y=True)
    m = ciblage.CartClassifier(random_state=0, max_depth=2).fit(X, y)
    back = pickle.loads(pickle.dumps(m))
    np.testing.assert_array_equal(back.predict(X), m.predict(X))
    with pytest.raises(InvalidInputError, match="X: non-finite value inf at row 0"):
        ciblage.CartClassifier().fit(np.array([[np.inf], [1.0]]), [0, 1])
    # X is checked by blocks of rows: an infinity far down is found, its row named.
    far = np.zeros((3 << 19, 2))
    far[(3 << 19) - 7, 1] = -np.inf
    with pytest.raises(InvalidInputError, match=f"X: non-finite value -inf at row {(3 << 19) - 7}$"):
        ciblage.CartRegressor().fit(far, np.zeros(len(far)))
    with pytest.raises(InvalidParameterError, match="invalid parameter min_samples_split"):
        ciblage.CartClassifier(min_samples_split=1).fit(X, y)
    with pytest.raises(InvalidParameterError, match="invalid parameter criterion"):
        ciblage.CartClassifier(criterion="mae").fit(X, y)
    with pytest.raises(InvalidInputError, match="X has 2 features, but CartClassifier is expecting 4"):
        m.predict(X[:, :2])
    with pytest.raises(InvalidInputError, match="not fitted"):
        ciblage.CartRegressor().predict(X)


def test_export_text_as_sklearn_and_sql_rules() -> None:
    from sklearn.tree import export_text

    iris = load_iris()
    names = list(iris.feature_names)
    ours = ciblage.CartClassifier(random_state=0, max_depth=2).fit(iris.data, iris.target)
    theirs = DecisionTreeClassifier(random_state=0, max_depth=2).fit(iris.data, iris.target)
    assert ours.export_text(feature_names=names) == export_text(theirs, feature_names=names)
    X, y = load_diabetes(return_X_y=True)
    r_ours = ciblage.CartRegressor(random_state=0, max_depth=3).fit(X, y)
    r_theirs = DecisionTreeRegressor(random_state=0, max_depth=3).fit(X, y)
    assert r_ours.export_text(decimals=3) == export_text(r_theirs, decimals=3)
    # Each leaf's SQL condition selects exactly its rows (checked with pandas.query).
    import pandas as pd

    df = pd.DataFrame(iris.data.astype(np.float32).astype(np.float64), columns=[f"f{i}" for i in range(4)])
    sql = ours.sql_rules([f"f{i}" for i in range(4)])
    leaves = ours.apply(iris.data)
    for node, cond in enumerate(sql):
        if node in set(leaves):
            expr = cond.replace('"', "`").replace(" AND ", " and ").replace(" OR ", " or ")
            picked = df.query(expr.replace(" IS NULL", ".isnull()"), engine="python").index
            np.testing.assert_array_equal(picked, np.flatnonzero(leaves == node))


def test_decision_path_and_segments() -> None:
    X, y = load_iris(return_X_y=True)
    ours = ciblage.CartClassifier(random_state=0, max_depth=3).fit(X, y)
    theirs = DecisionTreeClassifier(random_state=0, max_depth=3).fit(X, y)
    np.testing.assert_array_equal(ours.decision_path(X).toarray(), theirs.decision_path(X).toarray())
    # scikit-learn's hard-coded case: depth 1 on iris → rows 0 and 1 of [[1,1,0],[1,0,1]].
    d1 = ciblage.CartClassifier(max_depth=1, random_state=0).fit(X, y)
    assert d1.decision_path(X[[0, 100]]).toarray().tolist() == [[1, 1, 0], [1, 0, 1]]
    seg = ours.segments(feature_names=["sl", "sw", "pl", "pw"])
    leaves = ours.apply(X)
    assert list(seg["n"]) == [int((leaves == node).sum()) for node in seg["node"]]
    assert seg["share"].sum() == pytest.approx(1.0)
    first = seg.iloc[0]
    assert first["rule"].startswith("pw <= 0.8")
    assert first["lift_0"] == pytest.approx(first["p_0"] / (50 / 150))


def test_export_graphviz() -> None:
    X, y = load_iris(return_X_y=True)
    m = ciblage.CartClassifier(random_state=0, max_depth=2).fit(X, y)
    dot = m.export_graphviz(feature_names=["sl", "sw", "pl", "pw"])
    assert dot.startswith("digraph Tree {") and dot.count("->") == m.tree_.node_count - 1
    assert "pw <= 0.800" in dot


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("estimator", [ciblage.CartClassifier(), ciblage.CartRegressor()])
def test_passes_sklearn_check_estimator(estimator) -> None:
    from sklearn.utils.estimator_checks import check_estimator

    results = check_estimator(estimator, on_fail=None)
    failed = [(r["check_name"], str(r["exception"])[:200]) for r in results if r["status"] == "failed"]
    assert failed == []
    # The one check that does not apply: array-API input (ciblage reads numpy arrays only).
    skipped = {r["check_name"] for r in results if r["status"] == "skipped"}
    assert skipped <= {"check_array_api_input"}
    assert len(results) > 50


@pytest.mark.parametrize("max_features", [1, 3, 0.5, "sqrt", "log2"])
@pytest.mark.parametrize("random_state", [0, 3])
def test_max_features_draws_the_same_features_as_sklearn(max_features, random_state: int) -> None:
    X, y = load_breast_cancer(return_X_y=True)
    ours = ciblage.CartClassifier(max_features=max_features, random_state=random_state).fit(X, y)
    theirs = DecisionTreeClassifier(max_features=max_features, random_state=random_state).fit(X, y)
    assert_same_tree(ours, theirs)
    Xr, yr = load_diabetes(return_X_y=True)
    ours = ciblage.CartRegressor(max_features=max_features, random_state=random_state, max_depth=6).fit(Xr, yr)
    theirs = DecisionTreeRegressor(max_features=max_features, random_state=random_state, max_depth=6).fit(Xr, yr)
    assert_same_tree(ours, theirs, exact=False)


@pytest.mark.parametrize("class_weight", ["balanced", {0: 3.0, 1: 0.5}, {1: 2.0}])
def test_class_weight_as_sklearn(class_weight) -> None:
    X, y = load_breast_cancer(return_X_y=True)
    w = np.random.RandomState(0).randint(1, 4, size=len(y)).astype(float)
    ours = ciblage.CartClassifier(class_weight=class_weight, max_depth=5, random_state=0).fit(X, y, w)
    theirs = DecisionTreeClassifier(class_weight=class_weight, max_depth=5, random_state=0).fit(X, y, w)
    assert_same_tree(ours, theirs, exact=False)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-12)
    with pytest.raises(InvalidParameterError, match="class_weight: labels \\[7\\]"):
        ciblage.CartClassifier(class_weight={7: 1.0}).fit(X, y)


def test_zero_weights_drop_rows_as_sklearn() -> None:
    # Rows of weight 0 take no part: same tree as without them, and as scikit-learn.
    X, y = load_iris(return_X_y=True)
    w = np.where(np.arange(len(y)) % 3 == 0, 0.0, 1.0)
    ours = ciblage.CartClassifier(random_state=0).fit(X, y, w)
    assert_same_tree(ours, DecisionTreeClassifier(random_state=0).fit(X, y, w))
    kept = w > 0
    alone = ciblage.CartClassifier(random_state=0).fit(X[kept], y[kept])
    np.testing.assert_array_equal(ours.tree_.n_node_samples, alone.tree_.n_node_samples)
    with pytest.raises(InvalidParameterError, match="sample_weight: every weight is zero"):
        ciblage.CartClassifier().fit(X, y, np.zeros(len(y)))
    with pytest.raises(InvalidParameterError, match="sample_weight: negative weight -1"):
        ciblage.CartClassifier().fit(X, y, -np.ones(len(y)))


def test_sklearn_conventions_without_importing_sklearn() -> None:
    import subprocess
    import sys

    # Importing ciblage does not import scikit-learn (it is slow to import).
    code = "import sys, ciblage; ciblage.CartClassifier(); print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ciblage.NotFittedError, match="not fitted yet"):
        ciblage.CartClassifier().predict(X)
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):  # scikit-learn's own class too, once scikit-learn is loaded
        ciblage.CartRegressor().predict(X)
    m = ciblage.CartClassifier(max_depth=2).fit(X, y)
    with pytest.raises(InvalidInputError, match="X has 3 features, but CartClassifier is expecting 4"):
        m.predict(X[:, :3])
    with pytest.warns(ciblage.DataConversionWarning, match="column-vector y"):
        ciblage.CartRegressor().fit(X, y[:, None].astype(float))
    with pytest.raises(InvalidInputError, match="Unknown label type: continuous"):
        ciblage.CartClassifier().fit(X, y + 0.5)
    with pytest.raises(InvalidParameterError, match="max_features: must be in \\[1, 4\\], got 5"):
        ciblage.CartClassifier(max_features=5).fit(X, y)
    assert repr(ciblage.CartClassifier(max_depth=3)) == "CartClassifier(max_depth=3)"
    assert m.score(X, y) == DecisionTreeClassifier(max_depth=2).fit(X, y).score(X, y)


@pytest.mark.parametrize("max_leaf_nodes", [2, 3, 8, 25])
@pytest.mark.parametrize(
    "extra",
    [{}, {"max_depth": 3}, {"max_features": 0.5, "random_state": 4}, {"min_samples_leaf": 5, "criterion": "entropy"}],
)
def test_max_leaf_nodes_grows_best_first_as_sklearn(max_leaf_nodes: int, extra: dict) -> None:
    X, y = load_breast_cancer(return_X_y=True)
    params = {"random_state": 0, **extra, "max_leaf_nodes": max_leaf_nodes}
    ours = ciblage.CartClassifier(**params).fit(X, y)
    theirs = DecisionTreeClassifier(**params).fit(X, y)
    assert_same_tree(ours, theirs)
    assert ours.get_n_leaves() == theirs.get_n_leaves() <= max_leaf_nodes
    np.testing.assert_array_equal(ours.predict_proba(X), theirs.predict_proba(X))
    Xr, yr = load_diabetes(return_X_y=True)
    params.pop("criterion", None)
    ours_r = ciblage.CartRegressor(**params).fit(Xr, yr)
    theirs_r = DecisionTreeRegressor(**params).fit(Xr, yr)
    assert_same_tree(ours_r, theirs_r, exact=False)
    np.testing.assert_allclose(ours_r.predict(Xr), theirs_r.predict(Xr), rtol=1e-12)


def test_max_leaf_nodes_with_tied_improvements_as_sklearn() -> None:
    # Four identical blocks: many splits tie on improvement, so the frontier's
    # order among equals decides the node numbering.
    X = np.tile(np.arange(8.0)[:, None], (4, 2))
    X[:, 1] = np.repeat(np.arange(4.0), 8)
    y = (np.arange(32) % 3 == 0).astype(int)
    for leaves in (3, 5, 9):
        ours = ciblage.CartClassifier(max_leaf_nodes=leaves, random_state=1).fit(X, y)
        assert_same_tree(ours, DecisionTreeClassifier(max_leaf_nodes=leaves, random_state=1).fit(X, y))
    with pytest.raises(InvalidParameterError, match="max_leaf_nodes: expected an integer >= 2 or None, got 1"):
        ciblage.CartClassifier(max_leaf_nodes=1).fit(X, y)


def _with_missing(X: np.ndarray, share: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    X = X.copy()
    X[rng.random(X.shape) < share] = np.nan
    return X


@pytest.mark.parametrize("share", [0.05, 0.3])
@pytest.mark.parametrize(
    "params", [{}, {"max_depth": 4, "criterion": "entropy"}, {"min_samples_leaf": 7}, {"max_leaf_nodes": 12}]
)
def test_missing_values_as_sklearn(share: float, params: dict) -> None:
    # Missing values (NaN): the direction learned per split, as scikit-learn ≥ 1.3.
    X, y = load_breast_cancer(return_X_y=True)
    Xm = _with_missing(X, share, 1)
    ours = ciblage.CartClassifier(random_state=0, **params).fit(Xm, y)
    theirs = DecisionTreeClassifier(random_state=0, **params).fit(Xm, y)
    assert_same_tree(ours, theirs)
    inner = theirs.tree_.children_left >= 0
    assert list(np.array(ours.tree_.missing_go_to_left)[inner]) == list(theirs.tree_.missing_go_to_left[inner] == 1)
    X_new = _with_missing(X, 0.5, 2)  # new rows, more missing values
    np.testing.assert_array_equal(ours.predict_proba(X_new), theirs.predict_proba(X_new))
    np.testing.assert_array_equal(ours.apply(X_new), theirs.apply(X_new))


def test_missing_values_regression_and_unseen_missing() -> None:
    Xr, yr = load_diabetes(return_X_y=True)
    Xm = _with_missing(Xr, 0.2, 3)
    ours = ciblage.CartRegressor(random_state=0, max_depth=6).fit(Xm, yr)
    theirs = DecisionTreeRegressor(random_state=0, max_depth=6).fit(Xm, yr)
    assert_same_tree(ours, theirs, exact=False)
    np.testing.assert_allclose(ours.predict(Xm), theirs.predict(Xm), rtol=1e-12)
    # Trained without missing values, a NaN goes to the larger child.
    m = ciblage.CartRegressor(random_state=0, max_depth=3).fit(Xr, yr)
    s = DecisionTreeRegressor(random_state=0, max_depth=3).fit(Xr, yr)
    X_new = _with_missing(Xr, 0.4, 4)
    np.testing.assert_allclose(m.predict(X_new), s.predict(X_new), rtol=1e-12)
    with pytest.raises(InvalidInputError, match="X: non-finite value inf at row 0"):
        m.predict(np.full((1, Xr.shape[1]), np.inf))


def test_missing_values_hand_case() -> None:
    # x = 1, 2, 3, 4 (classes 0, 0, 1, 1) and two NaN rows of class 1: the
    # best split is x <= 2.5 with the missing rows joining the class-1 side
    # (right): children {0, 0} and {1, 1, 1, 1}, both pure.
    X = np.array([[1.0], [2.0], [3.0], [4.0], [np.nan], [np.nan]])
    y = np.array([0, 0, 1, 1, 1, 1])
    m = ciblage.CartClassifier().fit(X, y)
    assert m.tree_.threshold[0] == 2.5 and m.tree_.missing_go_to_left[0] is False
    assert m.tree_.n_node_samples.tolist() == [6, 2, 4]
    # With the missing rows of class 0 instead, they go left.
    m = ciblage.CartClassifier().fit(X, np.array([0, 0, 1, 1, 0, 0]))
    assert m.tree_.missing_go_to_left[0] is True
    assert m.tree_.n_node_samples.tolist() == [6, 4, 2]
    assert list(m.predict(np.array([[np.nan], [1.5], [3.5]]))) == [0, 0, 1]


def test_histogram_splitter_is_exact_with_few_distinct_values() -> None:
    # Iris has at most 43 distinct values per feature: with 255 bins the
    # histogram splitter finds scikit-learn's exact tree.
    X, y = load_iris(return_X_y=True)
    for rs in (0, 5):
        ours = ciblage.CartClassifier(splitter="hist", random_state=rs).fit(X, y)
        assert_same_tree(ours, DecisionTreeClassifier(random_state=rs).fit(X, y))
    with pytest.raises(InvalidParameterError, match="invalid parameter splitter"):
        ciblage.CartClassifier(splitter="extra").fit(X, y)
    with pytest.raises(InvalidParameterError, match="max_bins"):
        ciblage.CartClassifier(splitter="hist", max_bins=300).fit(X, y)


def test_histogram_splitter_accuracy_on_held_out_data() -> None:
    X, y = make_classification(n_samples=6000, n_features=12, n_informative=6, random_state=3)
    X = _with_missing(X, 0.05, 5)
    Xtr, Xte, ytr, yte = train_test_split(X, y, random_state=0)
    hist = ciblage.CartClassifier(splitter="hist", max_bins=64, max_depth=8, random_state=0).fit(Xtr, ytr)
    exact = DecisionTreeClassifier(max_depth=8, random_state=0).fit(Xtr, ytr)
    assert abs(hist.score(Xte, yte) - exact.score(Xte, yte)) < 0.03
    # Same trees for any number of threads.
    one = ciblage.CartClassifier(splitter="hist", max_bins=64, max_depth=8, random_state=0, n_threads=1).fit(Xtr, ytr)
    assert one.tree_.to_json() == hist.tree_.to_json()


@pytest.mark.parametrize("task", ["classifier", "regressor"])
def test_cost_complexity_cv_against_sklearn_folds(task: str) -> None:
    # The same folds, alphas and held-out losses computed with scikit-learn's
    # trees (identical to ours, so the table must match to rounding).
    if task == "classifier":
        X, y = load_breast_cancer(return_X_y=True)
        ours, theirs = ciblage.CartClassifier(random_state=0), DecisionTreeClassifier(random_state=0)
    else:
        X, y = load_diabetes(return_X_y=True)
        ours, theirs = (
            ciblage.CartRegressor(random_state=0, max_depth=6),
            DecisionTreeRegressor(random_state=0, max_depth=6),
        )
    table = ours.cost_complexity_cv(X, y, cv=5, random_state=3)
    path = theirs.cost_complexity_pruning_path(X, y)
    alphas = path["ccp_alphas"]
    np.testing.assert_allclose(table["ccp_alpha"], alphas, rtol=1e-10, atol=1e-14)
    reps = np.append(np.sqrt(alphas[:-1] * alphas[1:]), alphas[-1])
    n = len(y)
    order = np.random.RandomState(3).permutation(n)
    losses = np.zeros((len(reps), n))
    for held in np.array_split(order, 5):
        train = np.setdiff1d(order, held)
        for j, a in enumerate(reps):
            m = type(theirs)(**{**theirs.get_params(), "ccp_alpha": a}).fit(X[train], y[train])
            pred = m.predict(X[held])
            losses[j, held] = (pred != y[held]) if task == "classifier" else (pred - y[held]) ** 2
    root = np.sum(y != np.bincount(y).argmax()) if task == "classifier" else np.sum((y - y.mean()) ** 2)
    np.testing.assert_allclose(table["xerror"], losses.sum(axis=1) / root, rtol=1e-9)
    # The 1-SE row: the smallest tree within one standard error of the minimum.
    best = table["xerror"].idxmin()
    limit = table.loc[best, "xerror"] + table.loc[best, "xstd"]
    assert table.loc[table["one_se"], "ccp_alpha"].item() == table.loc[table["xerror"] <= limit, "ccp_alpha"].max()
    assert table["n_leaves"].iloc[-1] == 1 and table["n_leaves"].is_monotonic_decreasing


@given(st.lists(st.integers(-5, 60_000), min_size=1, max_size=300))
def test_integer_labels_are_coded_as_numpy_unique(values: list[int]) -> None:
    from ciblage._estimator import small_int_codes

    y = np.array(values)
    fast = small_int_codes(y)
    assert fast is not None
    classes, codes = np.unique(y, return_inverse=True)
    np.testing.assert_array_equal(fast[0], classes)
    np.testing.assert_array_equal(fast[1], codes)


def _regions(n: int, seed: int):
    import pandas as pd

    rng = np.random.default_rng(seed)
    region = rng.choice(["north", "south", "east", "west", "centre"], n)
    age = rng.uniform(18, 80, n)
    rate = pd.Series(region).map({"north": 0.8, "south": 0.2, "east": 0.3, "west": 0.7, "centre": 0.5}).to_numpy()
    y = (rng.random(n) < rate).astype(int)
    return pd.DataFrame({"region": pd.Categorical(region), "age": age}), y


def test_categorical_columns_split_by_subsets() -> None:
    import pandas as pd

    X, y = _regions(4000, 1)
    m = ciblage.CartClassifier(max_depth=1).fit(X, y)
    assert m.categories_[0] == ["centre", "east", "north", "south", "west"] and m.categories_[1] is None
    # The split is the best of all 15 bipartitions of the regions (weighted
    # Gini, brute force with pandas), and regions with rates 0.2/0.3 (south,
    # east) are on the other side from 0.7/0.8 (west, north).
    from itertools import combinations

    names = m.categories_[0]
    left, right = m.tree_.categories[0]
    counts = pd.crosstab(X["region"].astype(str), y)

    def gini(rows: list[str]) -> float:
        c = counts.loc[rows].sum()
        return float(c.sum() - (c**2).sum() / c.sum())

    splits = [set(s) for k in range(1, 5) for s in combinations(names, k)]
    best = min(splits, key=lambda s: gini(sorted(s)) + gini(sorted(set(names) - s)))
    got = {names[c] for c in left}
    assert got in (best, set(names) - best)
    assert {names[c] for c in right} == set(names) - got
    low = got if "south" in got else set(names) - got
    assert {"south", "east"} <= low and not {"north", "west"} & low
    # Rules name the categories; unseen categories and missing values follow the missing side.
    rule = m.segments(feature_names=["region", "age"])["rule"].iloc[0]
    assert rule.startswith("region in {") and "south" in rule
    new = pd.DataFrame({"region": pd.Categorical(["north", "south", "mars", None]), "age": [30.0] * 4})
    proba = m.predict_proba(new)
    side_missing = 1 if m.tree_.missing_go_to_left[0] else 2
    expected = m.tree_.value[[2, 1, side_missing, side_missing], 0]
    np.testing.assert_array_equal(proba, expected)
    # Held-out accuracy beats the same tree on the alphabetical codes, in
    # which high and low rates alternate (no threshold separates them).
    Xt, yt = _regions(4000, 2)
    coded = X.assign(region=X["region"].cat.codes.astype(float))
    plain = ciblage.CartClassifier(max_depth=1, categorical_features=[]).fit(coded, y)
    assert m.score(Xt, yt) > plain.score(Xt.assign(region=Xt["region"].cat.codes.astype(float)), yt)
    # Pickling keeps the categories; SQL names them as strings.
    back = pickle.loads(pickle.dumps(m))
    np.testing.assert_array_equal(back.predict_proba(new), proba)
    assert "'south'" in back.sql_rules(["region", "age"])[1] or "'south'" in back.sql_rules(["region", "age"])[2]


def test_categorical_features_by_name_numpy_and_errors() -> None:
    import pandas as pd

    X, y = _regions(3000, 3)
    Xs = X.assign(region=X["region"].astype(str))  # object column: categorical from its dtype
    a = ciblage.CartRegressor(max_depth=2).fit(Xs, y.astype(float))
    assert a.categories_[0] is not None
    # numpy input: categorical_features by position, any numeric codes.
    codes = X["region"].cat.codes.to_numpy().astype(float) * 10 + 5
    xn = np.column_stack([codes, X["age"].to_numpy()])
    b = ciblage.CartClassifier(max_depth=1, categorical_features=[0]).fit(xn, y)
    assert b.categories_[0] == [5.0, 15.0, 25.0, 35.0, 45.0]
    assert b.predict(np.array([[999.0, 30.0]])).shape == (1,)  # unseen code: missing side
    with pytest.raises(InvalidParameterError, match="categorical_features: no column 'zone'"):
        ciblage.CartClassifier(categorical_features=["zone"]).fit(X, y)
    # The histogram splitter splits categories the same way.
    h = ciblage.CartClassifier(max_depth=2, splitter="hist").fit(X, y)
    e = ciblage.CartClassifier(max_depth=2).fit(X, y)
    assert h.tree_.categories == e.tree_.categories
    with pytest.raises(InvalidParameterError, match="max_bins"):
        ciblage.CartClassifier(splitter="hist", max_bins=3).fit(X, y)
    with pytest.raises(InvalidInputError, match="columns"):
        b2 = ciblage.CartClassifier(max_depth=1).fit(X, y)
        b2.predict(X.rename(columns={"age": "years"}))
    assert isinstance(pd.DataFrame, type)


@pytest.mark.parametrize("params", [{"max_depth": 4}, {"min_samples_leaf": 5}, {"max_leaf_nodes": 10}])
def test_poisson_criterion_as_sklearn(params: dict) -> None:
    # Purchase counts: Poisson with a log-linear rate in three features.
    rng = np.random.default_rng(4)
    X = rng.normal(size=(3000, 5))
    y = rng.poisson(np.exp(0.3 + 0.6 * X[:, 0] - 0.4 * X[:, 2] + 0.2 * (X[:, 3] > 0))).astype(float)
    ours = ciblage.CartRegressor(criterion="poisson", random_state=0, **params).fit(X, y)
    theirs = DecisionTreeRegressor(criterion="poisson", random_state=0, **params).fit(X, y)
    assert_same_tree(ours, theirs, exact=False)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-12)
    with pytest.raises(InvalidParameterError, match="poisson needs counts"):
        ciblage.CartRegressor(criterion="poisson").fit(X, y - 1)


@pytest.mark.parametrize("params", [{"max_leaf_nodes": 6}, {"ccp_alpha": 0.002}, {"max_depth": 3}])
def test_categorical_with_best_first_pruning_and_paths(params: dict) -> None:
    import pandas as pd

    rng = np.random.default_rng(1)
    region = rng.choice(list("abcdefg"), 3000)
    age = rng.uniform(18, 80, 3000)
    rate = pd.Series(region).map(dict(zip("abcdefg", [0.1, 0.9, 0.2, 0.8, 0.3, 0.7, 0.5], strict=True))).to_numpy()
    y = (rng.random(3000) < rate * age / 80).astype(int)
    X = pd.DataFrame({"region": region, "age": age})
    m = ciblage.CartClassifier(**params).fit(X, y)
    leaves = m.apply(X)
    paths = m.decision_path(X)
    assert all(paths[i].indices.max() == leaves[i] for i in range(0, 3000, 97))
    assert m.tree_.categories[0] is not None
    assert m.feature_importances_.sum() == pytest.approx(1.0)
    text = m.export_text(feature_names=["region", "age"])
    assert text.startswith("|--- region in {")
