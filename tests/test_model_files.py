"""Saved models are validated when loaded: hand-edited JSON and pickles of
CART and CHAID estimators raise ModelFileError naming the field at fault,
and a loaded model never panics, hangs or aborts."""

from __future__ import annotations

import json
import pickle
import re
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

import ciblage
from ciblage import _native
from ciblage.exceptions import ModelFileError


class _Forged:
    """Pickles as an estimator with the given state, as a hand-edited
    pickle would."""

    def __init__(self, cls: type, state: Any) -> None:
        self.cls, self.state = cls, state

    def __reduce__(self) -> Any:
        return (object.__new__, (self.cls,), self.state)


def _unpickle(cls: type, state: Any) -> Any:
    return pickle.loads(pickle.dumps(_Forged(cls, state)))


@pytest.fixture(scope="module")
def cart() -> Any:
    rng = np.random.RandomState(0)
    X = rng.rand(80, 3)
    y = (X[:, 0] + X[:, 1] > 1).astype(int) + (X[:, 2] > 0.8)
    return ciblage.CartClassifier(max_depth=3, random_state=0).fit(X, y), X


@pytest.fixture(scope="module")
def chaid() -> Any:
    rng = np.random.RandomState(0)
    df = pd.DataFrame({"a": rng.choice(list("wxyz"), 200), "b": rng.rand(200) * 10})
    y = ((df.a.isin(["x", "y"])) ^ (df.b > 7)).astype(int).to_numpy()
    return ciblage.ChaidClassifier(min_parent=20, min_child=5).fit(df, y), df


def _edit(text: str, change: Callable[[dict[str, Any]], None]) -> str:
    doc = json.loads(text)
    change(doc)
    return json.dumps(doc)


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        node: Any = doc
        for p in parents:
            node = node[int(p)] if isinstance(node, list) else node[p]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return change


def _pop(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda doc: doc[key].pop()


CART_CASES = [
    (
        "child out of range",
        _set("children_left/0", 17),
        r"CART model: children_left\[0\]: child index 17 out of range \(\d+ nodes\)",
    ),
    ("negative child", _set("children_right/0", -5), r"children_right\[0\]: child index -5 out of range"),
    ("own child", _set("children_left/1", 1), r"children_left\[1\]: child index 1 does not come after"),
    ("cycle to the root", _set("children_right/1", 0), r"children_right\[1\]: child index 0 does not come after"),
    ("feature out of range", _set("feature/0", 3), r"feature\[0\]: feature index 3 out of range \(3 features\)"),
    ("huge n_features", _set("n_features", 10**15), r"n_features: 1000000000000000 is not between 1 and"),
    ("negative n_features", _set("n_features", -1), r"n_features: invalid value"),
    ("n_classes", _set("n_classes", 9), r"value\[0\]: 3 numbers where 9 were expected"),
    ("short impurity", _pop("impurity"), r"impurity: \d+ entries for \d+ nodes"),
    ("short value row", lambda d: d["value"][0].pop(), r"value\[0\]: 2 numbers where 3 were expected"),
    ("threshold text", _set("threshold/0", "x"), r"threshold\[0\]: invalid type: string"),
    ("version", _set("version", 99), r"version: format version 99"),
    ("criterion", _set("criterion", "chaos"), r"criterion: unknown variant"),
    ("missing key", lambda d: d.pop("feature"), r"feature: missing field"),
    ("unknown key", _set("colour", "red"), r"colour: unknown field"),
    ("negative weight", _set("weighted_n_node_samples/1", -3.0), r"weighted_n_node_samples\[1\]: negative weight"),
    (
        "no nodes",
        lambda d: d.update(
            {
                k: []
                for k in (
                    "children_left",
                    "children_right",
                    "feature",
                    "threshold",
                    "missing_go_to_left",
                    "categories",
                    "impurity",
                    "n_node_samples",
                    "weighted_n_node_samples",
                    "value",
                )
            }
        ),
        r"no node",
    ),
]


@pytest.mark.parametrize("label, change, message", CART_CASES, ids=[c[0] for c in CART_CASES])
def test_cart_json_and_pickle_edits_are_refused(cart: Any, label: str, change: Any, message: str) -> None:
    model, _ = cart
    text = _edit(model.tree_.to_json(), change)
    with pytest.raises(ModelFileError, match=message):
        _native.CartTree.from_json(text)
    state = model.__getstate__()
    state["tree_"] = text
    with pytest.raises(ModelFileError, match=message):
        _unpickle(type(model), state)


CHAID_CASES = [
    (
        "child out of range",
        _set("nodes/0/children/0", 99),
        r"CHAID model: nodes\[0\]\.children\[0\]: child index 99 out of range",
    ),
    ("negative child", _set("nodes/0/children/0", -1), r"nodes\[0\]\.children\[0\]: invalid value"),
    ("own child", _set("nodes/0/children/0", 0), r"nodes\[0\]\.children\[0\]: node 0 names parent"),
    (
        "split predictor",
        _set("nodes/0/split/predictor", 5),
        r"nodes\[0\]\.split\.predictor: predictor index 5 out of range \(2 predictors\)",
    ),
    (
        "group code",
        _set("nodes/0/split/groups/0/0", 40),
        r"nodes\[0\]\.split\.groups\[0\]: category code 40 out of range",
    ),
    (
        "empty bins",
        lambda d: d["predictors"][1].update({"encoder": {"bins": []}}),
        r"predictors\[1\]\.encoder: 0 entries for \d+ labels",
    ),
    ("short labels", lambda d: d["predictors"][0]["labels"].pop(), r"predictors\[0\]\.encoder: 4 entries for 3 labels"),
    ("short counts", lambda d: d["nodes"][2]["counts"].pop(), r"nodes\[2\]\.counts: 1 numbers, expected 2"),
    ("depth", _set("nodes/1/depth", 5), r"nodes\[1\]\.depth: 5 under a parent of depth 0"),
    ("params", _set("params/alpha_split", 7.0), r"params\.alpha_split: expected a probability"),
    ("version", _set("version", 2), r"version: format version 2"),
    ("no nodes", _set("nodes", []), r"nodes: the model has no node"),
    ("no predictors", _set("predictors", []), r"predictors: the model has no predictor"),
    ("wrong type", _set("nodes/0/n", "many"), r"nodes\[0\]\.n: invalid type"),
]


@pytest.mark.parametrize("label, change, message", CHAID_CASES, ids=[c[0] for c in CHAID_CASES])
def test_chaid_json_and_pickle_edits_are_refused(chaid: Any, label: str, change: Any, message: str) -> None:
    model, _ = chaid
    text = _edit(model.tree_.to_json(), change)
    with pytest.raises(ModelFileError, match=message):
        _native.ChaidModel.from_json(text)
    state = model.__getstate__()
    state["tree_"] = text
    with pytest.raises(ModelFileError, match=message):
        _unpickle(type(model), state)


@pytest.mark.parametrize("cut", [0, 1, 10, 0.5, -1])
def test_truncated_text_is_refused(cart: Any, chaid: Any, cut: float) -> None:
    for text, load in (
        (cart[0].tree_.to_json(), _native.CartTree.from_json),
        (chaid[0].tree_.to_json(), _native.ChaidModel.from_json),
    ):
        end = int(len(text) * cut) if isinstance(cut, float) else cut
        with pytest.raises(ModelFileError, match="not readable as JSON"):
            load(text[:end])


def test_pickle_attributes_must_agree_with_the_tree(cart: Any, chaid: Any) -> None:
    model, _ = cart
    state = model.__getstate__()
    with pytest.raises(ModelFileError, match="n_features_in_: 5 where the tree has 3 features"):
        _unpickle(type(model), {**state, "n_features_in_": 5})
    with pytest.raises(ModelFileError, match="classes_: 2 classes where the tree has 3"):
        _unpickle(type(model), {**state, "classes_": np.array([0, 1])})
    with pytest.raises(ModelFileError, match="tree_: expected the tree's JSON text"):
        _unpickle(type(model), {**state, "tree_": 42})
    with pytest.raises(ModelFileError, match="expected a dict of attributes"):
        _unpickle(type(model), ["not", "a", "dict"])
    cmodel, _ = chaid
    cstate = cmodel.__getstate__()
    with pytest.raises(ModelFileError, match="classes_: differs"):
        _unpickle(type(cmodel), {**cstate, "classes_": np.array([0, 1, 2])})
    with pytest.raises(ModelFileError, match="feature_names_in_: differs"):
        _unpickle(type(cmodel), {**cstate, "feature_names_in_": np.array(["a", "zz"], dtype=object)})


def test_pickled_predictors_come_from_the_tree(chaid: Any) -> None:
    # A pickle whose cached predictor list disagrees with its tree cannot
    # route rows wrongly: the list is rebuilt from the tree.
    model, df = chaid
    state = model.__getstate__()
    state["_predictors"] = [("a", "nominal", ["w"], None), ("b", "nominal", ["1"], None)]
    back = _unpickle(type(model), state)
    np.testing.assert_array_equal(back.predict(df), model.predict(df))


def test_valid_models_round_trip(cart: Any, chaid: Any) -> None:
    for model, X in (cart, chaid):
        back = pickle.loads(pickle.dumps(model))
        np.testing.assert_array_equal(back.predict(X), model.predict(X))
        assert back.tree_.to_json() == model.tree_.to_json()


def test_edge_models_round_trip() -> None:
    # Columns missing on every row (no bin edge, no label), a one-row CART
    # regressor, a stump: valid models, so they load back.
    rng = np.random.RandomState(1)
    df = pd.DataFrame({"a": rng.choice(list("wxyz"), 200), "b": np.nan, "c": pd.Series([None] * 200, dtype=object)})
    y = df.a.isin(["x"]).to_numpy().astype(int)
    chaid = ciblage.ChaidClassifier(min_parent=20, min_child=5).fit(df, y)
    assert [p[3] for p in chaid.tree_.predictors()] == [None, [], None]
    back = pickle.loads(pickle.dumps(chaid))
    np.testing.assert_array_equal(back.predict(df), chaid.predict(df))
    # Missing values split from all present ones: threshold +inf (null in JSON).
    x = np.r_[np.full(20, np.nan), np.arange(20.0)].reshape(-1, 1)
    yy = np.r_[np.ones(20), np.zeros(20)]
    miss = ciblage.CartClassifier(random_state=0).fit(x, yy)
    assert np.isinf(miss.tree_.threshold[0])
    back_miss = pickle.loads(pickle.dumps(miss))
    assert np.isinf(back_miss.tree_.threshold[0])
    np.testing.assert_array_equal(back_miss.predict(x), yy)
    one = ciblage.CartRegressor().fit(np.array([[1.0]]), [2.0])
    assert pickle.loads(pickle.dumps(one)).predict([[3.0]]).tolist() == [2.0]
    reg = ciblage.ChaidRegressor(min_parent=20, min_child=5).fit(df, np.where(y == 1, 5.0, -1.0))
    np.testing.assert_allclose(pickle.loads(pickle.dumps(reg)).predict(df), np.where(y == 1, 5.0, -1.0))


def _finishes(work: Callable[[], Any], seconds: float = 30.0) -> Any:
    """Runs ``work`` on a thread; fails if it has not finished in time."""
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["value"] = work()
        except BaseException as e:  # noqa: BLE001 - handed back to the test
            out["error"] = e

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), "the call did not finish"
    if "error" in out:
        raise out["error"]
    return out.get("value")


def test_a_hand_edited_cycle_never_hangs(cart: Any, chaid: Any) -> None:
    model, X = cart
    doc = json.loads(model.tree_.to_json())
    # Node 1 (a split node under the root) sends its left rows back to the root.
    doc["children_left"][1] = 0
    state = {**model.__getstate__(), "tree_": json.dumps(doc)}
    with pytest.raises(ModelFileError, match=r"children_left\[1\]"):
        _finishes(lambda: _unpickle(type(model), state).predict(X))
    cmodel, df = chaid
    cdoc = json.loads(cmodel.tree_.to_json())
    leaf = next(n for n in cdoc["nodes"] if n["split"] is None)
    # A leaf made to split back to the root.
    leaf["split"] = dict(cdoc["nodes"][0]["split"])
    leaf["children"] = list(cdoc["nodes"][0]["children"])
    cstate = {**cmodel.__getstate__(), "tree_": json.dumps(cdoc)}
    with pytest.raises(ModelFileError, match=r"nodes\[\d+\]\.children\[0\]"):
        _finishes(lambda: _unpickle(type(cmodel), cstate).predict(df))


def test_native_trees_pickle_through_validation(cart: Any, chaid: Any) -> None:
    for model, _X in (cart, chaid):
        tree = pickle.loads(pickle.dumps(model.tree_))
        assert tree.to_json() == model.tree_.to_json()
    # A pickle of a native tree whose JSON was edited is refused on load.
    blob = pickle.dumps(cart[0].tree_)
    text = cart[0].tree_.to_json()
    edited = re.sub(r'"feature":\[\d,', '"feature":[9,', text)
    assert len(edited) == len(text)  # same length: the pickle's framing holds
    with pytest.raises(ModelFileError, match=r"feature\[0\]: feature index 9 out of range"):
        pickle.loads(blob.replace(text.encode(), edited.encode()))
