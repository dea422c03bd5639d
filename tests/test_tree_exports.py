"""Exports of both trees through the shared tree layer, against pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import ciblage


def _data(n: int = 600) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    rng = np.random.RandomState(3)
    X = pd.DataFrame(
        {
            "region": pd.Categorical(rng.choice(["n", "s", "e", "w"], n)),
            "age": rng.rand(n) * 80,
        }
    )
    y = (X["region"].isin(["s", "e"]) ^ (X["age"] > 40)).to_numpy().astype(int)
    w = rng.rand(n) + 0.5
    return X, y, w


def test_cart_segments_weighted_classifier_against_pandas() -> None:
    X, y, w = _data()
    m = ciblage.CartClassifier(max_depth=3, random_state=0).fit(X, y, sample_weight=w)
    seg = m.segments()
    leaf = m.apply(X)
    df = pd.DataFrame({"leaf": leaf, "y": y, "w": w})
    counts = df.groupby("leaf").size()
    # Class shares by weight, per leaf and overall.
    by_leaf = df.pivot_table(index="leaf", columns="y", values="w", aggfunc="sum", fill_value=0.0)
    shares = by_leaf.div(by_leaf.sum(axis=1), axis=0)
    overall = df.groupby("y")["w"].sum() / df["w"].sum()
    assert seg["node"].tolist() == counts.index.tolist()
    assert seg["n"].tolist() == counts.tolist()
    np.testing.assert_allclose(seg["share"], counts.to_numpy() / len(y), rtol=1e-12)
    for c in (0, 1):
        np.testing.assert_allclose(seg[f"p_{c}"], shares[c].to_numpy(), rtol=1e-9)
        np.testing.assert_allclose(seg[f"lift_{c}"], shares[c].to_numpy() / overall[c], rtol=1e-9)


def test_cart_segments_regressor_against_pandas() -> None:
    X, y, _ = _data()
    target = X["age"].to_numpy() * 2 + y
    m = ciblage.CartRegressor(max_depth=3, random_state=0).fit(X, target)
    seg = m.segments(feature_names=["region", "age"])
    means = pd.Series(target).groupby(m.apply(X)).mean()
    assert seg["node"].tolist() == means.index.tolist()
    np.testing.assert_allclose(seg["mean"], means.to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(seg["ratio_to_mean"], means.to_numpy() / target.mean(), rtol=1e-9)
    # Each leaf's SQL condition, run by sqlite on the values as the tree
    # reads them (float32), selects exactly the leaf's rows.
    import sqlite3

    con = sqlite3.connect(":memory:")
    stored = X.assign(age=X["age"].astype(np.float32).astype(np.float64), region=X["region"].astype(str))
    stored.assign(row=np.arange(len(X))).to_sql("t", con, index=False)
    sql = m.sql_rules(feature_names=["region", "age"])
    leaf = m.apply(X)
    for node in seg["node"]:
        rows = [r for (r,) in con.execute(f"SELECT row FROM t WHERE {sql[node]} ORDER BY row")]
        assert rows == np.flatnonzero(leaf == node).tolist()


def test_chaid_export_text_follows_the_rules() -> None:
    X, y, _ = _data()
    m = ciblage.ChaidClassifier(min_parent=40, min_child=10).fit(X.assign(region=X["region"].astype(str)), y)
    text = m.export_text()
    nodes = m.nodes()
    leaves = nodes[nodes["split"] == ""]
    # One line per branch and per leaf; the branch lines above each leaf,
    # read from the top, are the leaf's rule.
    lines = text.splitlines()
    assert len(lines) == len(nodes) - 1 + len(leaves)
    path: list[str] = []
    rules = []
    for line in lines:
        depth = line.index("|--- ") // 4
        body = line[depth * 4 + 5 :]
        if body.startswith("class: "):
            rules.append(" and ".join(path[:depth]))
        else:
            path[depth:] = [body]
    assert rules == leaves["rule"].tolist()
    by_node = dict(zip(leaves["node"], leaves["rule"], strict=True))
    proba = np.asarray(m.tree_.node_proba())
    classes = [ln.split("class: ")[1] for ln in lines if "class: " in ln]
    assert classes == [str(m.classes_[int(np.argmax(proba[n]))]) for n in by_node]


def test_gains_rule_column_names_the_leaf() -> None:
    X, y, _ = _data()
    m = ciblage.ChaidClassifier(min_parent=40, min_child=10).fit(X.assign(region=X["region"].astype(str)), y)
    g = m.gains(1)
    assert list(g.columns)[-1] == "rule"
    rules = m.nodes().set_index("node")["rule"]
    assert g["rule"].tolist() == rules.loc[g["node"]].tolist()
    # Ranked by the leaf's rate of class 1, computed by pandas.
    rate = pd.Series(y).groupby(m.apply(X.assign(region=X["region"].astype(str)))).mean()
    np.testing.assert_allclose(g["response_rate"], rate.loc[g["node"]].to_numpy(), rtol=1e-12)
    assert (np.diff(g["response_rate"]) <= 0).all()


@pytest.mark.parametrize("names", [["a"], ["a", "b", "c"]])
def test_cart_segments_refuse_wrong_feature_names(names: list[str]) -> None:
    X, y, _ = _data()
    m = ciblage.CartClassifier(max_depth=2).fit(X, y)
    with pytest.raises(ciblage.InvalidParameterError, match=r"feature_names"):
        m.segments(feature_names=names)


def test_cart_and_chaid_share_their_export_names() -> None:
    # The same export methods on both trees (CHAID's nodes() table with its
    # test statistics is CHAID's own).
    names = ("export_text", "export_graphviz", "to_dot", "rules", "sql_rules", "segments", "gains")
    for cls in (ciblage.CartClassifier, ciblage.ChaidClassifier, ciblage.CartRegressor, ciblage.ChaidRegressor):
        missing = [n for n in names if not callable(getattr(cls, n, None))]
        assert not missing, (cls.__name__, missing)


def test_cart_gains_against_pandas() -> None:
    # Gains for class 1 of a depth-2 tree, recomputed from the leaves with
    # pandas: leaves by decreasing response rate, gain = share of all class-1
    # rows, index = 100 × response rate / overall rate.
    rng = np.random.default_rng(5)
    X = rng.normal(size=(400, 3))
    y = (X[:, 0] + 0.5 * X[:, 1] + rng.normal(scale=0.5, size=400) > 0).astype(int)
    model = ciblage.CartClassifier(max_depth=2, random_state=0).fit(X, y)
    g = model.gains(1)
    frame = pd.DataFrame({"leaf": model.apply(X), "y": y})
    per = frame.groupby("leaf")["y"].agg(["size", "sum"])
    per["rate"] = per["sum"] / per["size"]
    per = per.sort_values("rate", ascending=False, kind="stable")
    assert list(g["node"]) == list(per.index)
    np.testing.assert_allclose(g["n"], per["size"])
    np.testing.assert_allclose(g["response_rate"], per["rate"])
    np.testing.assert_allclose(g["gain"], per["sum"] / y.sum())
    np.testing.assert_allclose(g["index"], 100 * per["rate"] / y.mean())
    assert len(model.rules()) == model.tree_.node_count
    assert model.to_dot() == model.export_graphviz()
    with pytest.raises(ciblage.exceptions.InvalidParameterError, match="target"):
        model.gains(7)
