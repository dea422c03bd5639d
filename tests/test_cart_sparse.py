"""Sparse X (scipy.sparse matrices and arrays) in CartClassifier /
CartRegressor: trees node for node scikit-learn's on the same sparse input,
and predictions equal to the dense matrix's."""

from __future__ import annotations

import numpy as np
import pytest

import ciblage
from ciblage.exceptions import InvalidInputError, InvalidParameterError

sp = pytest.importorskip("scipy.sparse")
sklearn_tree = pytest.importorskip("sklearn.tree")
datasets = pytest.importorskip("sklearn.datasets")

NODE_ARRAYS = (
    "children_left",
    "children_right",
    "feature",
    "threshold",
    "impurity",
    "n_node_samples",
    "weighted_n_node_samples",
    "value",
)

FORMATS = [sp.csc_matrix, sp.csr_matrix, sp.coo_matrix, sp.csc_array, sp.csr_array, sp.coo_array]


def assert_same_tree(ours, theirs) -> None:
    assert ours.tree_.node_count == theirs.tree_.node_count
    for name in NODE_ARRAYS:
        np.testing.assert_array_equal(getattr(ours.tree_, name), getattr(theirs.tree_, name), err_msg=name)


def sparse_iris() -> tuple[np.ndarray, np.ndarray]:
    # Iris with every value below the column's median set to zero: half the
    # cells implicit.
    X, y = datasets.load_iris(return_X_y=True)
    X = np.where(X >= np.median(X, axis=0), X, 0.0)
    return X, y


def text_like(n: int = 5000, d: int = 500) -> tuple[object, np.ndarray, np.ndarray]:
    # Density 0.01, values with negatives and ties (counts minus 2).
    rng = np.random.RandomState(0)
    X = sp.random(n, d, density=0.01, format="csc", random_state=rng, data_rvs=lambda k: rng.randint(1, 6, k) - 2.0)
    X.eliminate_zeros()
    signal = np.asarray(X[:, :20].sum(axis=1)).ravel()
    y_class = (signal + rng.normal(0, 0.5, n) > 0.5).astype(int) + (signal > 3)
    # Integer targets: every sum is exact in both tools, so equally good
    # splits tie in both and are broken alike.
    y_reg = np.round(signal * 2.0 + rng.normal(0, 1.0, n))
    return X, y_class, y_reg


@pytest.mark.parametrize("fmt", FORMATS)
def test_iris_made_sparse_gives_sklearns_tree(fmt) -> None:
    X, y = sparse_iris()
    Xs = fmt(X)
    ours = ciblage.CartClassifier(random_state=0).fit(Xs, y)
    theirs = sklearn_tree.DecisionTreeClassifier(random_state=0).fit(Xs, y)
    assert_same_tree(ours, theirs)
    dense = ciblage.CartClassifier(random_state=0).fit(X, y)
    assert_same_tree(ours, dense)


@pytest.mark.parametrize("criterion", ["gini", "entropy"])
def test_text_like_classification_gives_sklearns_tree(criterion: str) -> None:
    # (Small enough for the debug build of the test suite.)
    X, y, _ = text_like(2000, 300)
    ours = ciblage.CartClassifier(criterion=criterion, random_state=0).fit(X, y)
    theirs = sklearn_tree.DecisionTreeClassifier(criterion=criterion, random_state=0).fit(X, y)
    assert ours.tree_.node_count > 50
    assert_same_tree(ours, theirs)
    # Predictions on CSR, CSC and the dense rows agree with scikit-learn's.
    Xt, _, _ = text_like(500, 300)
    expected = theirs.predict_proba(Xt)
    for rows in (Xt.tocsr(), Xt.tocsc(), Xt.toarray()):
        np.testing.assert_array_equal(ours.predict_proba(rows), expected)
        np.testing.assert_array_equal(ours.apply(rows), theirs.apply(Xt))


def test_text_like_regression_gives_sklearns_tree() -> None:
    X, _, y = text_like(2000, 300)
    for params in ({"max_depth": 8}, {"max_leaf_nodes": 40}, {"min_samples_leaf": 5}):
        ours = ciblage.CartRegressor(random_state=0, **params).fit(X, y)
        theirs = sklearn_tree.DecisionTreeRegressor(random_state=0, **params).fit(X, y)
        assert_same_tree(ours, theirs)


def one_hot_blocks(n: int = 3000) -> tuple[object, np.ndarray, np.ndarray]:
    # One-hot columns of categorical features, each present in one block of
    # rows only (block = row % 3, also one-hot): below a split on a block,
    # the other blocks' columns are constant, and are never searched again.
    rng = np.random.RandomState(1)
    block = np.arange(n) % 3
    cols = [np.eye(3)[block]]
    for card in (4, 7, 12, 30):
        for b in range(3):
            codes = rng.randint(0, card, n)
            cols.append(np.where((block == b)[:, None], np.eye(card)[codes], 0.0))
    X = np.hstack(cols)
    effects = rng.randint(-2, 3, X.shape[1])
    # Integer targets: exact sums in both tools (ties broken alike).
    y_reg = X @ effects + rng.randint(0, 3, n)
    y_class = (y_reg > np.median(y_reg)).astype(int) + (y_reg > np.quantile(y_reg, 0.9))
    return sp.csc_matrix(X), y_class, y_reg


@pytest.mark.parametrize("max_features", [None, 0.3])
def test_one_hot_blocks_give_sklearns_tree(max_features) -> None:
    X, y_class, y_reg = one_hot_blocks()
    ours = ciblage.CartClassifier(random_state=0, max_features=max_features).fit(X, y_class)
    theirs = sklearn_tree.DecisionTreeClassifier(random_state=0, max_features=max_features).fit(X, y_class)
    assert ours.tree_.node_count > 100
    assert_same_tree(ours, theirs)
    ours = ciblage.CartRegressor(random_state=0, max_features=max_features).fit(X, y_reg)
    theirs = sklearn_tree.DecisionTreeRegressor(random_state=0, max_features=max_features).fit(X, y_reg)
    assert_same_tree(ours, theirs)
    # The dense matrix grows the same tree.
    dense = ciblage.CartRegressor(random_state=0, max_features=max_features).fit(X.toarray(), y_reg)
    assert_same_tree(dense, theirs)


def test_multilabel_data_set_gives_sklearns_tree() -> None:
    X, Y = datasets.make_multilabel_classification(n_samples=600, n_features=40, sparse=True, random_state=0)
    y = Y[:, 0]
    ours = ciblage.CartClassifier(random_state=1, max_features=10).fit(X, y)
    theirs = sklearn_tree.DecisionTreeClassifier(random_state=1, max_features=10).fit(X, y)
    assert_same_tree(ours, theirs)


def test_breast_cancer_and_diabetes_made_sparse() -> None:
    X, y = datasets.load_breast_cancer(return_X_y=True)
    X = np.where(X > np.median(X, axis=0), X, 0.0)
    w = np.arange(len(y)) % 3 + 1.0
    ours = ciblage.CartClassifier(random_state=0, max_depth=6).fit(sp.csc_matrix(X), y, sample_weight=w)
    theirs = sklearn_tree.DecisionTreeClassifier(random_state=0, max_depth=6).fit(sp.csc_matrix(X), y, sample_weight=w)
    assert_same_tree(ours, theirs)
    X, y = datasets.load_diabetes(return_X_y=True)
    X = np.where(np.abs(X) > 0.03, X, 0.0)
    ours = ciblage.CartRegressor(random_state=0).fit(sp.csr_matrix(X), y)
    theirs = sklearn_tree.DecisionTreeRegressor(random_state=0).fit(sp.csr_matrix(X), y)
    for name in ("children_left", "children_right", "feature", "threshold", "n_node_samples"):
        np.testing.assert_array_equal(getattr(ours.tree_, name), getattr(theirs.tree_, name), err_msg=name)
    np.testing.assert_allclose(ours.tree_.impurity, theirs.tree_.impurity, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(ours.tree_.value, theirs.tree_.value, rtol=1e-12)


def test_histogram_splitter_on_sparse_equals_dense() -> None:
    X, y, yr = text_like(2000, 100)
    for cls, target in ((ciblage.CartClassifier, y), (ciblage.CartRegressor, yr)):
        dense = cls(splitter="hist", random_state=0).fit(X.toarray(), target)
        sparse = cls(splitter="hist", random_state=0).fit(X, target)
        assert_same_tree(sparse, dense)


def test_predictions_on_every_format_equal_dense() -> None:
    X, y = sparse_iris()
    model = ciblage.CartClassifier(random_state=0, max_depth=4).fit(X, y)
    rng = np.random.RandomState(3)
    Xt = np.where(rng.rand(80, 4) < 0.5, 0.0, rng.rand(80, 4) * 7)
    leaves = model.apply(Xt)
    path = model.decision_path(Xt).toarray()
    for fmt in FORMATS:
        rows = fmt(Xt)
        np.testing.assert_array_equal(model.apply(rows), leaves)
        np.testing.assert_array_equal(model.predict(rows), model.predict(Xt))
        np.testing.assert_array_equal(model.predict_proba(rows), model.predict_proba(Xt))
        np.testing.assert_array_equal(model.decision_path(rows).toarray(), path)
        np.testing.assert_array_equal(model.tree_.apply(rows), leaves)
        np.testing.assert_array_equal(model.tree_.decision_path(rows).toarray(), path)
    # float32 data and int64 indices, as scipy may hold them.
    rows = sp.csr_matrix(Xt.astype(np.float32))
    rows.indices = rows.indices.astype(np.int64)
    rows.indptr = rows.indptr.astype(np.int64)
    np.testing.assert_array_equal(model.apply(rows), model.apply(Xt.astype(np.float32)))


def test_unsorted_and_duplicate_entries_read_as_scipy_sums_them() -> None:
    # COO with a duplicate cell (2 + 3 = 5 at (1, 0)) and a CSC whose row
    # indices are not sorted: read as their dense equivalents.
    rows = [0, 1, 1, 2, 3, 4, 5, 5]
    cols = [0, 0, 0, 1, 1, 0, 1, 0]
    vals = [1.0, 2.0, 3.0, 4.0, -1.0, 6.0, 2.0, 0.5]
    coo = sp.coo_matrix((vals, (rows, cols)), shape=(6, 2))
    y = np.array([0, 1, 0, 1, 0, 1])
    dense = coo.toarray()
    assert dense[1, 0] == 5.0
    a = ciblage.CartClassifier(random_state=0).fit(coo, y)
    b = ciblage.CartClassifier(random_state=0).fit(dense, y)
    assert_same_tree(a, b)
    csc = sp.csc_matrix((np.array([3.0, 1.0, 2.0]), np.array([2, 0, 1]), np.array([0, 3])), shape=(3, 1))
    assert not csc.has_sorted_indices
    a = ciblage.CartRegressor().fit(csc, [1.0, 2.0, 5.0])
    b = ciblage.CartRegressor().fit(csc.toarray(), [1.0, 2.0, 5.0])
    assert_same_tree(a, b)
    # The caller's matrix is left as it was.
    assert not csc.has_sorted_indices


def test_explicit_nan_is_refused_as_scikit_learn_does() -> None:
    X, y = sparse_iris()
    X = X.copy()
    X[::7, 2] = np.nan
    # Row 0 is the first holding a NaN (in column 2).
    message = r"Input X contains NaN \(row 0\): CartClassifier takes no missing values in a sparse X"
    for fmt in FORMATS:
        with pytest.raises(InvalidInputError, match=message):
            ciblage.CartClassifier(random_state=0).fit(fmt(X), y)
    model = ciblage.CartClassifier(random_state=0).fit(X, y)
    for call in (model.predict, model.predict_proba, model.apply, model.decision_path):
        with pytest.raises(InvalidInputError, match=message):
            call(sp.csr_matrix(X))
    with pytest.raises(InvalidInputError, match=r"Input X contains NaN \(row 0\)"):
        model.tree_.apply(sp.csr_matrix(X))
    # Dense, the same NaN are missing values.
    dense = ciblage.CartClassifier(random_state=0).fit(X, y)
    assert np.isfinite(dense.predict_proba(X)).all()


def test_pruning_path_and_cross_validation_on_sparse_equal_dense() -> None:
    X, y, _ = text_like(800, 60)
    model = ciblage.CartClassifier(random_state=0)
    path = model.cost_complexity_pruning_path(X, y)
    theirs = sklearn_tree.DecisionTreeClassifier(random_state=0).cost_complexity_pruning_path(X, y)
    np.testing.assert_array_equal(path.ccp_alphas, theirs.ccp_alphas)
    np.testing.assert_array_equal(path.impurities, theirs.impurities)
    for fmt in (sp.csc_matrix, sp.csr_matrix):
        sparse_table = model.cost_complexity_cv(fmt(X), y, cv=4)
        dense_table = model.cost_complexity_cv(X.toarray(), y, cv=4)
        assert sparse_table.equals(dense_table)
    pruned = ciblage.CartClassifier(random_state=0, ccp_alpha=path.ccp_alphas[-3]).fit(X, y)
    theirs = sklearn_tree.DecisionTreeClassifier(random_state=0, ccp_alpha=path.ccp_alphas[-3]).fit(X, y)
    assert_same_tree(pruned, theirs)


def test_bad_sparse_input_names_x() -> None:
    X, y = sparse_iris()
    with pytest.raises(InvalidParameterError, match="categorical_features"):
        ciblage.CartClassifier(categorical_features=[0]).fit(sp.csc_matrix(X), y)
    bad = sp.csc_matrix(X)
    bad.data[5] = np.inf
    with pytest.raises(InvalidInputError, match="X: non-finite value inf at row 56"):
        ciblage.CartClassifier().fit(bad, y)
    with pytest.raises(InvalidInputError, match="Complex"):
        ciblage.CartClassifier().fit(sp.csc_matrix(X.astype(complex)), y)
    model = ciblage.CartClassifier().fit(sp.csc_matrix(X), y)
    with pytest.raises(InvalidInputError, match="X has 3 features, but CartClassifier is expecting 4"):
        model.predict(sp.csr_matrix(X[:, :3]))
    with pytest.raises(InvalidInputError, match="0 sample"):
        ciblage.CartClassifier().fit(sp.csr_matrix((0, 4)), [])
    one_d = sp.coo_array(np.array([0.0, 1.0, 0.0]))
    if one_d.ndim == 1:
        with pytest.raises(InvalidInputError, match="2-D"):
            model.predict(one_d)
    with pytest.raises(InvalidInputError, match="non-finite"):
        model.predict(bad)
    from ciblage.exceptions import ColumnTypeError

    with pytest.raises(ColumnTypeError, match="y: a sparse y is not supported"):
        ciblage.CartRegressor().fit(X, sp.csr_matrix(y.reshape(-1, 1).astype(float)))
    # A model fitted with categorical features predicts from dense input only.
    cat = ciblage.CartClassifier(categorical_features=[0]).fit(np.column_stack([y, X[:, 1]]), y)
    with pytest.raises(InvalidInputError, match="categorical"):
        cat.predict(sp.csr_matrix(np.column_stack([y, X[:, 1]])))


def test_one_hot_columns_with_zero_weights_give_sklearns_tree() -> None:
    # One-hot columns of 4 categorical columns (one 1 per column and row),
    # weights 0, 1 and 2 (rows of weight 0 take no part), under each growth:
    # depth first, best first (max_leaf_nodes) and the weight limit.
    rng = np.random.RandomState(3)
    n, cards = 1500, (3, 8, 20, 60)
    codes = np.column_stack([rng.randint(0, c, n) for c in cards])
    offsets = np.concatenate([[0], np.cumsum(cards)[:-1]])
    X = sp.csr_matrix((np.ones(n * len(cards)), (np.repeat(np.arange(n), len(cards)), (codes + offsets).ravel())))
    effects = rng.randint(-3, 4, X.shape[1])
    score = X @ effects + rng.randint(0, 3, n)
    y = (score > np.median(score)).astype(int)
    w = (np.arange(n) % 3).astype(float)
    for params in ({}, {"max_leaf_nodes": 50}, {"min_weight_fraction_leaf": 0.01, "criterion": "entropy"}):
        ours = ciblage.CartClassifier(random_state=0, **params).fit(X, y, sample_weight=w)
        theirs = sklearn_tree.DecisionTreeClassifier(random_state=0, **params).fit(X, y, sample_weight=w)
        assert ours.tree_.node_count > 20
        assert_same_tree(ours, theirs)
        # Integer targets: exact sums in both tools.
        ours = ciblage.CartRegressor(random_state=0, **{k: v for k, v in params.items() if k != "criterion"}).fit(
            X, score
        )
        theirs = sklearn_tree.DecisionTreeRegressor(
            random_state=0, **{k: v for k, v in params.items() if k != "criterion"}
        ).fit(X, score)
        assert_same_tree(ours, theirs)
