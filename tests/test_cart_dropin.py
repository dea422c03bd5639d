"""CART as a drop-in for scikit-learn's trees: every real dtype, read-only
and memory-mapped inputs, and ``tree_`` arrays with scikit-learn's dtypes."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import scipy.sparse
from sklearn.datasets import load_diabetes, load_iris
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.tree._tree import TREE_LEAF, TREE_UNDEFINED

import ciblage
from ciblage.exceptions import ColumnTypeError, InvalidInputError

DTYPES = [
    np.float16,
    np.float32,
    np.float64,
    np.dtype(">f8"),
    np.int8,
    np.int16,
    np.int32,
    np.int64,
    np.uint8,
    np.uint16,
    np.uint32,
    np.uint64,
    np.bool_,
]


def _data(dtype: object) -> tuple[np.ndarray, np.ndarray]:
    """Iris scaled so that every dtype keeps distinct values (bool: > median)."""
    X, y = load_iris(return_X_y=True)
    if np.dtype(dtype).kind == "b":
        return X > np.median(X, axis=0), y
    if np.dtype(dtype).kind in "iu":
        return np.round(X * 10), y
    return X, y


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_every_real_dtype_reads_as_its_float64_values(dtype: object) -> None:
    X, y = _data(dtype)
    typed = X.astype(dtype)
    # The independent reference: the same values converted by numpy.
    wide = typed.astype(np.float64)
    for est in (ciblage.CartClassifier(random_state=0), ciblage.CartRegressor(random_state=0)):
        ours = type(est)(random_state=0).fit(typed, y)
        ref = type(est)(random_state=0).fit(wide, y)
        np.testing.assert_array_equal(ours.tree_.threshold, ref.tree_.threshold)
        np.testing.assert_array_equal(ours.predict(typed), ref.predict(wide))
        np.testing.assert_array_equal(ours.apply(typed), ref.apply(wide))
        np.testing.assert_array_equal(ours.decision_path(typed).toarray(), ref.decision_path(wide).toarray())
        if isinstance(ours, ciblage.CartClassifier):
            np.testing.assert_array_equal(ours.predict_proba(typed), ref.predict_proba(wide))


def test_float32_gives_scikit_learns_tree() -> None:
    X, y = load_iris(return_X_y=True)
    X32 = X.astype(np.float32)
    ours = ciblage.CartClassifier(random_state=0).fit(X32, y)
    theirs = DecisionTreeClassifier(random_state=0).fit(X32, y)
    np.testing.assert_array_equal(ours.tree_.threshold, theirs.tree_.threshold)
    np.testing.assert_array_equal(ours.apply(X32), theirs.apply(X32))


@pytest.mark.parametrize("splitter", ["best", "random"])
def test_float32_is_read_in_place_with_scikit_learns_trees(splitter: str) -> None:
    from ciblage import _cart_input as cin

    rng = np.random.default_rng(5)
    X32 = rng.normal(size=(3000, 6)).astype(np.float32)
    X32[rng.random(X32.shape) < 0.01] = np.nan
    y = (X32[:, 0] + np.nan_to_num(X32[:, 1]) * X32[:, 2] > 0).astype(int) + (X32[:, 3] > 1)
    # The fit reads the caller's float32 array itself: no float64 copy.
    x, _ = cin.encode_fit(ciblage.CartClassifier(), X32)
    assert x is X32
    ours = ciblage.CartClassifier(random_state=0, splitter=splitter).fit(X32, y)
    theirs = DecisionTreeClassifier(random_state=0, splitter=splitter).fit(X32, y)
    assert ours.tree_.node_count == theirs.tree_.node_count > 100
    for name in ("feature", "children_left", "children_right", "threshold", "missing_go_to_left"):
        np.testing.assert_array_equal(getattr(ours.tree_, name), getattr(theirs.tree_, name), err_msg=name)
    np.testing.assert_array_equal(ours.apply(X32), theirs.apply(X32))
    np.testing.assert_array_equal(ours.predict_proba(X32), theirs.predict_proba(X32))
    target = y * 1.5 + np.nan_to_num(X32[:, 4])
    r = ciblage.CartRegressor(random_state=0, splitter=splitter).fit(X32, target)
    r64 = ciblage.CartRegressor(random_state=0, splitter=splitter).fit(X32.astype(np.float64), target)
    np.testing.assert_array_equal(r.tree_.threshold, r64.tree_.threshold)
    np.testing.assert_array_equal(r.predict(X32), r64.predict(X32.astype(np.float64)))


def test_tree_apply_takes_float32_as_scikit_learns() -> None:
    X, y = load_iris(return_X_y=True)
    m = ciblage.CartClassifier(random_state=0).fit(X, y)
    X32 = X.astype(np.float32)
    np.testing.assert_array_equal(m.tree_.apply(X32), m.apply(X32))
    # A scipy CSR indicator, as scikit-learn's Tree.decision_path: the
    # same matrix as scikit-learn's tree's (the trees are node for node).
    path = m.tree_.decision_path(X32)
    assert isinstance(path, scipy.sparse.csr_matrix)
    ref = DecisionTreeClassifier(random_state=0).fit(X, y).tree_.decision_path(X32)
    np.testing.assert_array_equal(path.toarray(), ref.toarray())
    np.testing.assert_array_equal(m.decision_path(X).toarray(), ref.toarray())
    with pytest.raises(ColumnTypeError, match=r"X: expected a 2-D array of float64 or float32, got int32"):
        m.tree_.apply(X.astype(np.int32))
    with pytest.raises(ColumnTypeError, match="X: expected a 2-D numpy array of float64 or float32, got .*list"):
        m.tree_.decision_path([[1.0, 2.0, 3.0, 4.0]])
    with pytest.raises(InvalidInputError, match=r"X: expected a 2-D array, got 1 dimension\(s\)"):
        m.tree_.apply(X[0])


def _read_only(a: np.ndarray) -> np.ndarray:
    a = a.copy()
    a.flags.writeable = False
    return a


def test_read_only_inputs() -> None:
    X, y = load_iris(return_X_y=True)
    w = np.linspace(0.5, 2.0, len(y))
    ref = ciblage.CartClassifier(random_state=0).fit(X, y, w)
    m = ciblage.CartClassifier(random_state=0).fit(_read_only(X), _read_only(y), _read_only(w))
    np.testing.assert_array_equal(m.tree_.threshold, ref.tree_.threshold)
    np.testing.assert_array_equal(m.predict_proba(_read_only(X)), ref.predict_proba(X))
    np.testing.assert_array_equal(m.decision_path(_read_only(X)).toarray(), ref.decision_path(X).toarray())
    r = ciblage.CartRegressor(random_state=0).fit(_read_only(X[:, 1:]), _read_only(X[:, 0]))
    assert r.predict(_read_only(X[:, 1:])).shape == (len(X),)


def test_read_only_input_with_categorical_columns_is_not_written() -> None:
    X, y = load_iris(return_X_y=True)
    X = np.round(X)
    frozen = _read_only(X)
    m = ciblage.CartClassifier(random_state=0, categorical_features=[0]).fit(frozen, y)
    np.testing.assert_array_equal(frozen, X)
    # A writable input is not recoded in place either.
    mine = X.copy()
    ciblage.CartClassifier(random_state=0, categorical_features=[0]).fit(mine, y)
    np.testing.assert_array_equal(mine, X)
    assert m.predict(frozen).shape == (len(X),)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=str)
def test_memory_mapped_inputs(tmp_path, dtype) -> None:
    X, y = load_iris(return_X_y=True)
    path = tmp_path / "x.dat"
    mm = np.memmap(path, dtype=dtype, mode="w+", shape=X.shape)
    mm[:] = X
    mm.flush()
    del mm
    Xm = np.memmap(path, dtype=dtype, mode="r", shape=X.shape)
    ym = np.memmap(tmp_path / "y.dat", dtype=np.int64, mode="w+", shape=y.shape)
    ym[:] = y
    ym = np.memmap(tmp_path / "y.dat", dtype=np.int64, mode="r", shape=y.shape)
    ref = ciblage.CartClassifier(random_state=0).fit(X.astype(dtype), y)
    m = ciblage.CartClassifier(random_state=0).fit(Xm, ym)
    np.testing.assert_array_equal(m.tree_.threshold, ref.tree_.threshold)
    np.testing.assert_array_equal(m.predict(Xm), ref.predict(X.astype(dtype)))
    np.testing.assert_array_equal(m.apply(Xm), ref.apply(X.astype(dtype)))


FIELDS = {
    "children_left": np.intp,
    "children_right": np.intp,
    "feature": np.intp,
    "threshold": np.float64,
    "impurity": np.float64,
    "n_node_samples": np.intp,
    "weighted_n_node_samples": np.float64,
    "value": np.float64,
}


@pytest.mark.parametrize(
    ("ours", "theirs", "load"),
    [
        (ciblage.CartClassifier, DecisionTreeClassifier, load_iris),
        (ciblage.CartRegressor, DecisionTreeRegressor, load_diabetes),
    ],
    ids=["iris", "diabetes"],
)
def test_tree_arrays_are_scikit_learns(ours, theirs, load) -> None:
    X, y = load(return_X_y=True)
    t = ours(random_state=0, max_depth=6).fit(X, y).tree_
    s = theirs(random_state=0, max_depth=6).fit(X, y).tree_
    for name, dtype in FIELDS.items():
        a, b = getattr(t, name), getattr(s, name)
        assert isinstance(a, np.ndarray), name
        assert a.dtype == b.dtype == np.dtype(dtype), name
        assert a.shape == b.shape, name
        if name == "value" and ours is ciblage.CartRegressor:
            np.testing.assert_allclose(a, b, rtol=1e-12)
        elif name == "impurity":
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
        else:
            np.testing.assert_array_equal(a, b, err_msg=name)
        assert not a.flags.writeable, name
        with pytest.raises(ValueError, match="read-only"):
            a[0] = 0
    leaves = t.children_left == TREE_LEAF
    assert leaves.sum() == (s.children_left == TREE_LEAF).sum()
    assert (t.feature[leaves] == TREE_UNDEFINED).all()
    assert (t.n_outputs, t.max_n_classes, t.n_features) == (s.n_outputs, s.max_n_classes, s.n_features)
    np.testing.assert_array_equal(t.n_classes, s.n_classes)


def test_pruning_path_reads_as_scikit_learns_bunch() -> None:
    X, y = load_iris(return_X_y=True)
    ours = ciblage.CartClassifier(random_state=0).cost_complexity_pruning_path(X, y)
    theirs = DecisionTreeClassifier(random_state=0).cost_complexity_pruning_path(X, y)
    np.testing.assert_allclose(ours.ccp_alphas, theirs.ccp_alphas, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ours.impurities, theirs["impurities"], rtol=1e-12, atol=1e-15)
    assert ours["ccp_alphas"] is ours.ccp_alphas
    with pytest.raises(AttributeError, match="nothing"):
        _ = ours.nothing


def test_n_outputs_is_one_also_from_older_pickles() -> None:
    import pickle

    X, y = load_iris(return_X_y=True)
    m = ciblage.CartClassifier(random_state=0).fit(X, y)
    assert m.n_outputs_ == DecisionTreeClassifier(random_state=0).fit(X, y).n_outputs_ == 1
    state = m.__getstate__()
    del state["n_outputs_"]
    old = ciblage.CartClassifier.__new__(ciblage.CartClassifier)
    old.__setstate__(state)
    assert old.n_outputs_ == 1
    assert pickle.loads(pickle.dumps(m)).n_outputs_ == 1


@pytest.mark.parametrize("max_features", ["sqrt", "log2", 1, 3, 0.01, 0.5, 1.0, None])
def test_max_features_is_scikit_learns(max_features) -> None:
    X, y = load_iris(return_X_y=True)
    ours = ciblage.CartClassifier(max_features=max_features, random_state=0).fit(X, y)
    theirs = DecisionTreeClassifier(max_features=max_features, random_state=0).fit(X, y)
    assert ours.max_features_ == theirs.max_features_
    # A pickle from before the attribute gets it back from max_features.
    state = ours.__getstate__()
    del state["max_features_"]
    old = ciblage.CartClassifier.__new__(ciblage.CartClassifier)
    old.__setstate__(state)
    assert old.max_features_ == theirs.max_features_


def test_decision_path_without_scipy_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    X, y = load_iris(return_X_y=True)
    m = ciblage.CartClassifier(max_depth=2, random_state=0).fit(X, y)
    # A None entry in sys.modules makes the import fail, as when scipy is
    # not installed.
    monkeypatch.setitem(sys.modules, "scipy.sparse", None)
    for call in (m.decision_path, m.tree_.decision_path):
        with pytest.raises(ImportError, match="scipy"):
            call(X)
