"""CHAID checked against the reference numbers (chaid.md §c) and against the
`chaid` package itself under the compatibility preset."""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ciblage
from ciblage.exceptions import InvalidInputError, InvalidParameterError


@pytest.fixture(scope="module")
def iris() -> tuple[pd.DataFrame, pd.Series]:
    from sklearn.datasets import load_iris

    d = load_iris(as_frame=True)
    X = d.data.copy()
    X.columns = ["Sepal.Length", "Sepal.Width", "Petal.Length", "Petal.Width"]
    return X, d.target.map(dict(enumerate(d.target_names)))


def test_c9_iris_spss_rules_with_exact_log_p(iris) -> None:
    X, y = iris
    m = ciblage.ChaidClassifier(min_parent=30, min_child=10).fit(X, y)
    nodes = m.nodes()
    root = nodes.iloc[0]
    # Strict log-p comparison picks Petal.Width (adj.p 4.849e-47 < 1.354e-44).
    assert root["split"] == "Petal.Width"
    assert root["statistic"] == pytest.approx(239.1185, rel=1e-4)
    assert root["df"] == 6
    assert root["p_adjusted"] == pytest.approx(4.849e-47, rel=1e-3)
    assert list(nodes.loc[nodes["parent"] == 0, "n"]) == [41, 19, 44, 46]
    # Petal.Length alone: bins and the 6-group split of chaidr's published tree.
    m2 = ciblage.ChaidClassifier(min_parent=30, min_child=10).fit(X[["Petal.Length"]], y)
    name, kind, labels, edges = m2.tree_.predictors()[0]
    assert edges == [1.3, 1.4, 1.6, 3.8, 4.3, 4.6, 4.9, 5.3, 5.7, 6.9]
    r = m2.nodes().iloc[0]
    assert (r["statistic"], r["df"]) == (pytest.approx(243.8304, rel=1e-4), 10)
    assert r["p"] == pytest.approx(1.075e-46, rel=1e-3)
    assert r["p_adjusted"] == pytest.approx(1.354e-44, rel=1e-3)  # B = C(9, 5) = 126
    groups = m2.tree_.groups()[0]
    assert [g[-1] for g in groups] == ["(1.4, 1.6]", "(1.6, 3.8]", "(4.3, 4.6]", "(4.6, 4.9]", "(4.9, 5.3]", "> 5.7"]
    assert list(m2.nodes().loc[lambda n: n["parent"] == 0, "n"]) == [44, 14, 32, 14, 16, 30]


def package_tree(df: pd.DataFrame, cols: list[str], **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from CHAID import Tree

        return Tree.from_pandas_df(df, {c: "nominal" for c in cols}, "y", **kw)


@pytest.mark.parametrize("seed", [3, 11])
def test_matches_the_chaid_package_under_its_preset(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 3000
    df = pd.DataFrame({"a": rng.integers(0, 5, n), "b": rng.integers(0, 3, n), "c": rng.integers(0, 4, n)})
    logit = 0.8 * (df.a >= 3) - 0.5 * (df.b == 1) + 0.3 * (df.c == 0)
    df["y"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    cols = ["a", "b", "c"]
    theirs = package_tree(df, cols, alpha_merge=0.05, max_depth=2, min_parent_node_size=30, min_child_node_size=30)
    ours = ciblage.ChaidClassifier(
        preset="chaid_package",
        alpha_merge=0.05,
        max_depth=2,
        min_parent=30,
        min_child=30,
        column_types={c: "nominal" for c in cols},
    ).fit(df[cols], df["y"])
    nodes = ours.nodes()
    groups = ours.tree_.groups()
    assert len(nodes) == len(theirs.tree_store)
    for node, row, g in zip(theirs.tree_store, nodes.itertuples(), groups, strict=True):
        assert sum(node.members.values()) == row.n
        if node.split is None or node.split.column is None:
            assert row.split == ""
            continue
        assert row.split == node.split.column
        assert row.statistic == pytest.approx(node.split.score, rel=1e-6)
        assert row.p == pytest.approx(node.split.p, rel=1e-6)
        mine = sorted(sorted(int(x) for x in grp) for grp in g)
        assert mine == sorted(sorted(grp) for grp in node.split.split_groups)


def test_predict_proba_apply_pickle_and_new_levels(iris) -> None:
    X, y = iris
    m = ciblage.ChaidClassifier(min_parent=30, min_child=10).fit(X, y)
    proba = m.predict_proba(X)
    assert proba.shape == (150, 3) and np.allclose(proba.sum(axis=1), 1)
    # Training accuracy from the leaves' majority classes (41 pure, 19, 44, 46).
    assert (m.predict(X) == y).mean() == pytest.approx(0.9)
    back = pickle.loads(pickle.dumps(m))
    np.testing.assert_array_equal(back.apply(X), m.apply(X))
    df = pd.DataFrame({"colour": ["red"] * 60 + ["blue"] * 60, "y": [1] * 55 + [0] * 5 + [0] * 60})
    c = ciblage.ChaidClassifier(min_parent=10, min_child=5).fit(df[["colour"]], df["y"])
    # An unseen level goes to the largest child; missing too (no missing group).
    leaves = c.apply(pd.DataFrame({"colour": ["green", None, "red"]}))
    assert leaves[0] == leaves[1] and leaves[2] != 0


def test_errors() -> None:
    X = pd.DataFrame({"a": ["x", "y"] * 5})
    with pytest.raises(InvalidInputError, match="y: has 2 values for 10 rows of X"):
        ciblage.ChaidClassifier().fit(X, [1, 2])
    with pytest.raises(InvalidParameterError, match="invalid parameter alpha_merge"):
        ciblage.ChaidClassifier(alpha_merge=0).fit(X, [0, 1] * 5)
    with pytest.raises(InvalidParameterError, match="invalid parameter column_types"):
        ciblage.ChaidClassifier(column_types={"a": "fuzzy"}).fit(X, [0, 1] * 5)
    with pytest.raises(InvalidParameterError, match="invalid parameter preset"):
        ciblage.ChaidClassifier(preset="sas").fit(X, [0, 1] * 5)
    with pytest.raises(InvalidInputError, match="not fitted"):
        ciblage.ChaidClassifier().predict(X)
    m = ciblage.ChaidClassifier(min_parent=1, min_child=1).fit(X, [0, 1] * 5)
    with pytest.raises(InvalidInputError, match="differ from those seen in fit"):
        m.predict(pd.DataFrame({"b": ["x"]}))


def test_gains_table_against_pandas(iris) -> None:
    X, y = iris
    m = ciblage.ChaidClassifier(min_parent=30, min_child=10).fit(X, y)
    g = m.gains("virginica")
    leaves = pd.Series(m.apply(X))
    hit = (y == "virginica").to_numpy()
    by_leaf = pd.DataFrame({"leaf": leaves, "hit": hit}).groupby("leaf")["hit"].agg(["size", "sum"])
    by_leaf["rate"] = by_leaf["sum"] / by_leaf["size"]
    expected = by_leaf.sort_values("rate", ascending=False, kind="stable")
    assert list(g["node"]) == list(expected.index)
    np.testing.assert_allclose(g["response_rate"], expected["rate"])
    np.testing.assert_allclose(g["index"], 100 * expected["rate"] / hit.mean())
    np.testing.assert_allclose(g["cumulative_gain"], expected["sum"].cumsum() / hit.sum())
    assert g["cumulative_gain"].iloc[-1] == pytest.approx(1.0)
    assert all(isinstance(r, str) for r in g["rule"])
    # The SQL of each leaf selects exactly its rows (evaluated with pandas.query
    # after turning SQL into a pandas expression for these simple ranges).
    nodes = m.nodes()
    for leaf, sql in zip(nodes["node"], nodes["sql"], strict=True):
        if leaf == 0 or nodes.loc[nodes["node"] == leaf, "split"].iloc[0] != "":
            continue
        expr = sql.replace('"', "`").replace(" AND ", " and ")
        selected = X.query(expr).index
        np.testing.assert_array_equal(selected, X.index[m.apply(X) == leaf])
    with pytest.raises(InvalidParameterError, match="invalid parameter target"):
        m.gains("daisy")


def test_regressor_anova_against_scipy() -> None:
    from scipy.stats import f_oneway

    rng = np.random.default_rng(5)
    n = 900
    df = pd.DataFrame({"region": rng.choice(["north", "south", "east"], n), "age": rng.uniform(18, 80, n)})
    spend = 50 + 30 * (df["region"] == "east") + 0.5 * df["age"] + rng.normal(0, 10, n)
    m = ciblage.ChaidRegressor(min_parent=50, min_child=20, max_depth=1, column_types={"region": "nominal"}).fit(
        df[["region"]], spend
    )
    root = m.nodes().iloc[0]
    groups = m.tree_.groups()[0]
    samples = [spend[df["region"].isin([g for g in grp if g is not None])] for grp in groups]
    f, p = f_oneway(*samples)
    assert root["statistic"] == pytest.approx(f, rel=1e-9)
    assert root["p"] == pytest.approx(p, rel=1e-6)
    leaves = m.apply(df[["region"]])
    np.testing.assert_allclose(m.predict(df[["region"]]), pd.Series(spend).groupby(leaves).transform("mean"))
    with pytest.raises(InvalidParameterError, match="no class probabilities"):
        m.predict_proba(df[["region"]])


def test_dot_export(iris) -> None:
    X, y = iris
    m = ciblage.ChaidClassifier(min_parent=30, min_child=10).fit(X, y)
    dot = m.to_dot()
    assert dot.startswith("digraph CHAID {")
    assert dot.count("->") == len(m.nodes()) - 1


def test_svg_drawing_for_notebooks(iris) -> None:
    import xml.etree.ElementTree as ET

    X, y = iris
    m = ciblage.ChaidClassifier(min_parent=30, min_child=10).fit(X, y)
    svg = m._repr_html_()
    html = ET.fromstring(svg)  # well-formed XML: a scrolling div around the SVG
    assert html.tag == "div" and "overflow-x:auto" in html.attrib["style"]
    ns = "{http://www.w3.org/2000/svg}"
    root = html.find(f"{ns}svg")
    assert root is not None
    assert len(root.findall(f"{ns}rect")) == len(m.nodes())
    assert len(root.findall(f"{ns}line")) == len(m.nodes()) - 1
    assert "Petal.Width" in svg and "setosa: 100.0%" in svg
    assert ciblage.ChaidClassifier()._repr_html_().startswith("<pre>")


def test_likelihood_ratio_statistic_against_scipy() -> None:
    from scipy.stats import chi2_contingency

    # C12 T1 blocks (class a, class b) per category: (30,30), (30,30), (55,5).
    x = np.repeat(["c0", "c1", "c2"], 60)
    y = np.concatenate([np.repeat([0, 1], [30, 30]), np.repeat([0, 1], [30, 30]), np.repeat([0, 1], [55, 5])])
    X = pd.DataFrame({"x": x})
    m = ciblage.ChaidClassifier(statistic="likelihood_ratio", min_parent=1, min_child=1, max_depth=1).fit(X, y)
    root = m.nodes().iloc[0]
    # Groups {c0, c1} and {c2}: the merged 2×2 table.
    g2, p, dof, _ = chi2_contingency([[60, 60], [55, 5]], correction=False, lambda_="log-likelihood")
    assert root["statistic"] == pytest.approx(g2, rel=1e-9) == pytest.approx(34.684090, rel=1e-7)
    assert root["df"] == dof == 1
    assert root["p"] == pytest.approx(p, rel=1e-6)
    with pytest.raises(InvalidParameterError, match="invalid parameter statistic"):
        ciblage.ChaidClassifier(statistic="g").fit(X, y)


@pytest.mark.parametrize("min_child", [10.7, 11.5, 5, 31])
def test_c7_weighted_min_child_as_the_chaid_package(min_child: float) -> None:
    from CHAID import Tree

    # chaid.md C7: 30 rows × 4 columns, target 1 ×15 then 2 ×15, weights 1.0 ×15 then 1.2 ×15
    # (the unweighted cases with min_child 5 and 31).
    ndarr = np.array(([2, 3] * 20) + ([2, 5] * 20) + ([3, 4] * 19) + [2, 3]).reshape(30, 4)
    y = np.array([1] * 15 + [2] * 15)
    w = None if min_child in (5, 31) else np.array([1.0] * 15 + [1.2] * 15)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the package's own divide warnings
        theirs = Tree.from_numpy(ndarr, y, alpha_merge=0.999, max_depth=5, min_child_node_size=min_child, weights=w)
        store = theirs.tree_store
    X = pd.DataFrame(ndarr, columns=["0", "1", "2", "3"]).astype(str)
    ours = ciblage.ChaidClassifier(preset="chaid_package", alpha_merge=0.999, max_depth=5, min_child=min_child).fit(
        X, y, sample_weight=w
    )
    nodes = ours.nodes()
    expected_nodes = {10.7: 4, 11.5: 3, 5: 4, 31: 1}[min_child]
    assert len(nodes) == len(store) == expected_nodes
    root = store[0].split
    if root.column is None:
        assert nodes.iloc[0]["split"] == ""
        return
    assert nodes.iloc[0]["split"] == str(root.column)
    assert nodes.iloc[0]["statistic"] == pytest.approx(root.score, rel=1e-6)
    assert nodes.iloc[0]["p"] == pytest.approx(root.p, rel=1e-6)
    if min_child == 10.7:
        assert nodes.iloc[0]["statistic"] == pytest.approx(4.86527, rel=1e-5)


def _spss_case_weighted_x2(n: np.ndarray, wf: np.ndarray) -> float:
    """SPSS's case-weighted Pearson X², written from IBM's CHAID algorithm
    notes: m_ij = α_i β_j / w̄_ij fitted to the margins of n."""
    wbar = np.where(n > 0, wf / np.where(n > 0, n, 1), wf.sum() / n.sum())
    g = 1 / wbar
    alpha, beta = np.ones(n.shape[0]), np.ones(n.shape[1])
    m = g.copy()
    for _ in range(1000):
        alpha = n.sum(axis=1) / (g * beta).sum(axis=1)
        beta = n.sum(axis=0) / (g * alpha[:, None]).sum(axis=0)
        new = g * alpha[:, None] * beta
        done = np.abs(new - m).max() < 1e-12
        m = new
        if done:
            break
    return float(((n - m) ** 2 / m).sum())


def test_case_weights_against_an_independent_ipf() -> None:
    rng = np.random.default_rng(8)
    n = 600
    region = rng.choice(["north", "south", "east", "west"], n)
    y = (rng.random(n) < np.where(region == "east", 0.6, 0.3)).astype(int)
    case = np.where(y == 1, 2.0, 1.0) * np.where(region == "north", 1.5, 1.0)
    X = pd.DataFrame({"region": region})
    m = ciblage.ChaidClassifier(min_parent=10, min_child=5, max_depth=1).fit(X, y, case_weight=case)
    root = m.nodes().iloc[0]
    groups = m.tree_.groups()[0]
    table = np.array([[((np.isin(region, g)) & (y == k)).sum() for k in (0, 1)] for g in groups], dtype=float)
    wsum = np.array([[case[np.isin(region, g) & (y == k)].sum() for k in (0, 1)] for g in groups])
    assert root["statistic"] == pytest.approx(_spss_case_weighted_x2(table, wsum), rel=1e-3)
    # Node sizes are frequencies, not case-weight sums.
    assert root["n"] == n
    plain = ciblage.ChaidClassifier(min_parent=10, min_child=5, max_depth=1).fit(X, y)
    assert plain.nodes().iloc[0]["statistic"] != pytest.approx(root["statistic"], rel=1e-3)
    with pytest.raises(InvalidParameterError, match="case_weight"):
        ciblage.ChaidClassifier().fit(X, y, case_weight=np.zeros(n))
    with pytest.raises(InvalidParameterError, match="no case weights"):
        ciblage.ChaidClassifier(preset="chaid_package").fit(X, y, case_weight=case)


def test_split_merged_resplits_a_heterogeneous_group() -> None:
    from itertools import combinations

    from scipy.stats import chi2_contingency

    # Categories (class 0, class 1): c0 (36, 49), c1 (41, 6), c2 (53, 19), c3 (46, 30).
    counts = {"c0": (36, 49), "c1": (41, 6), "c2": (53, 19), "c3": (46, 30)}
    x = np.concatenate([np.repeat(c, a + b) for c, (a, b) in counts.items()])
    y = np.concatenate([np.repeat([0, 1], ab) for ab in counts.values()])
    X = pd.DataFrame({"x": x})
    kw = dict(min_parent=1, min_child=1, max_depth=1, alpha_merge=0.001, bonferroni=False, alpha_split=1.0)

    def p(*groups: list[str]) -> float:
        table = [[sum(counts[c][k] for c in g) for k in (0, 1)] for g in groups]
        return chi2_contingency(table, correction=False)[1]

    # Without resplitting, c1, c2 and c3 end in one group.
    plain = ciblage.ChaidClassifier(**kw).fit(X, y).tree_.groups()[0]
    assert sorted(map(sorted, plain)) == [["c0"], ["c1", "c2", "c3"]]
    # Its most significant bipartition, on its own cases, is {c1, c2} | {c3}, with p <= 0.05 ...
    parts = [([a], [c for c in ("c1", "c2", "c3") if c != a]) for a in ("c1", "c2", "c3")]
    best = min(parts, key=lambda ab: p(*ab))
    assert best == (["c3"], ["c1", "c2"]) and p(*best) <= 0.05
    # ... so it is split back; then c0 and c3 are the most similar pair (p > 0.001) and merge.
    pairs = {(a, b): p([a], [b]) for a, b in combinations(["c0", "c3"], 2)}
    assert p(["c0"], ["c3"]) > max(p(["c0"], ["c1", "c2"]), p(["c1", "c2"], ["c3"])) and pairs[("c0", "c3")] > 0.001
    resplit = ciblage.ChaidClassifier(split_merged=0.05, **kw).fit(X, y).tree_.groups()[0]
    assert sorted(map(sorted, resplit)) == [["c0", "c3"], ["c1", "c2"]]


@pytest.fixture(scope="module")
def titanic() -> pd.DataFrame:
    return pd.read_csv(Path(__file__).parent / "data/titanic.csv").astype({"pclass": str})


def _leaf_counts(model: ciblage.ChaidClassifier, X: pd.DataFrame, y: pd.Series) -> list[tuple[int, int]]:
    table = pd.crosstab(model.apply(X), y)
    return [(int(a), int(b)) for a, b in table[[0, 1]].itertuples(index=False)]


def test_c3_titanic_sex_and_embarked(titanic: pd.DataFrame) -> None:
    """chaid.md C3: the CHAID package's README tree, and SPSS's adjusted p on the same groups."""
    X, y = titanic[["sex", "embarked"]], titanic["survived"]
    ours = ciblage.ChaidClassifier(preset="chaid_package", max_depth=4, min_parent=2, alpha_merge=0.05).fit(X, y)
    nodes, groups = ours.nodes(), ours.tree_.groups()
    assert list(nodes["split"]) == ["sex", "embarked", "", "", "embarked", "", ""]
    assert nodes["statistic"].iloc[[0, 1, 4]].tolist() == pytest.approx([365.8869, 24.0936, 16.4414], abs=1e-4)
    assert nodes["p"].iloc[[0, 1, 4]].tolist() == pytest.approx([1.4715e-81, 9.176e-07, 5.018e-05], rel=1e-3)
    assert groups[1] == [["C", None], ["Q", "S"]]  # the 2 missing embarked go with C
    assert groups[4] == [["C"], ["Q", "S"]]
    assert _leaf_counts(ours, X, y) == [(11, 104), (116, 235), (109, 48), (573, 113)]
    assert (ours.predict(X) == y).mean() == pytest.approx(0.77998, abs=1e-5)
    # SPSS rules: same groups; Bonferroni B = S(4, 2) = 7 for female (floating C, Q, S + missing),
    # B = 3 for male (nominal, 3 categories into 2).
    spss = ciblage.ChaidClassifier(max_depth=4, min_parent=2, alpha_merge=0.05).fit(X, y)
    assert spss.tree_.groups()[1] == groups[1] and spss.tree_.groups()[4] == groups[4]
    adjusted = spss.nodes()["p_adjusted"]
    assert adjusted.iloc[1] == pytest.approx(6.423e-06, rel=1e-3)
    assert adjusted.iloc[4] == pytest.approx(1.505e-04, rel=1e-3)


def test_c3_titanic_with_pclass(titanic: pd.DataFrame) -> None:
    """chaid.md C3 with pclass added, max_depth 3, the package's defaults otherwise."""
    X, y = titanic[["sex", "embarked", "pclass"]], titanic["survived"]
    ours = ciblage.ChaidClassifier(preset="chaid_package", max_depth=3).fit(X, y)
    nodes, groups = ours.nodes(), ours.tree_.groups()
    split = nodes.set_index("node")
    assert split.loc[0, "split"] == "sex"
    assert (split.loc[1, "split"], groups[1]) == ("pclass", [["1"], ["2"], ["3"]])
    assert split.loc[1, "statistic"] == pytest.approx(115.7027, abs=1e-4)
    assert split.loc[1, "p"] == pytest.approx(7.507e-26, rel=1e-3)
    assert (split.loc[4, "split"], groups[4]) == ("embarked", [["C", "Q"], ["S"]])  # female, 3rd class
    assert split.loc[4, "statistic"] == pytest.approx(11.6615, abs=1e-4)
    assert (split.loc[7, "split"], groups[7]) == ("pclass", [["1"], ["2", "3"]])
    assert split.loc[7, "statistic"] == pytest.approx(33.0040, abs=1e-4)
    assert split.loc[7, "p"] == pytest.approx(9.197e-09, rel=1e-3)
    assert (split.loc[9, "split"], groups[9]) == ("embarked", [["C"], ["Q", "S"]])  # male, 2nd or 3rd
    assert split.loc[9, "statistic"] == pytest.approx(4.9195, abs=1e-4)
    assert split.loc[9, "p"] == pytest.approx(0.02655, rel=1e-3)
    assert (ours.predict(X) == y).mean() == pytest.approx(0.80061, abs=1e-5)


# R's datasets::Titanic, the 32-cell table (Class x Sex x Age x Survived), counts in R's order:
# Class varies fastest, then Sex (Male, Female), Age (Child, Adult), Survived (No, Yes).
TITANIC_COUNTS = [0, 0, 35, 0, 0, 0, 17, 0, 118, 154, 387, 670, 4, 13, 89, 3,
                  5, 11, 13, 0, 1, 13, 14, 0, 57, 14, 75, 192, 140, 80, 76, 20]  # fmt: skip


@pytest.mark.parametrize("exhaustive", [False, True])
def test_titanic_table_aggregated_equals_expanded(exhaustive: bool) -> None:
    cells = [
        (c, s, a, v)
        for v in ("No", "Yes")
        for a in ("Child", "Adult")
        for s in ("Male", "Female")
        for c in ("1st", "2nd", "3rd", "Crew")
    ]
    table = pd.DataFrame(cells, columns=["Class", "Sex", "Age", "Survived"])
    table["Freq"] = TITANIC_COUNTS
    assert table["Freq"].sum() == 2201 and table.loc[table.Survived == "Yes", "Freq"].sum() == 711
    table = table[table["Freq"] > 0]
    expanded = table.loc[table.index.repeat(table["Freq"])].reset_index(drop=True)
    cols = ["Class", "Sex", "Age"]
    kw = dict(exhaustive=exhaustive, min_parent=20, min_child=10)
    agg = ciblage.ChaidClassifier(**kw).fit(table[cols], table["Survived"], sample_weight=table["Freq"])
    full = ciblage.ChaidClassifier(**kw).fit(expanded[cols], expanded["Survived"])
    a, f = agg.nodes(), full.nodes()
    assert len(a) > 3
    pd.testing.assert_frame_equal(a, f, rtol=1e-12)
    assert agg.tree_.groups() == full.tree_.groups()
    np.testing.assert_allclose(agg.predict_proba(expanded[cols]), full.predict_proba(expanded[cols]), rtol=1e-12)


def test_c2_zero_subbed_weighted_case_as_the_chaid_package() -> None:
    """chaid.md C2 (related case): the package gives an empty cell weight 1e-6 in its weighted χ²."""
    gender = np.array([0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 2, 2, 2, 2, 2, 2, 2, 2, 1])
    income = np.array([0, 0, 1, 1, 2, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    w = np.array([0.9] * 10 + [1.9] * 10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the package's optional-import and divide warnings
        from CHAID import Tree

        theirs = Tree.from_numpy(gender.reshape(-1, 1), income, alpha_merge=0.9, weights=w, min_child_node_size=0)
        split = theirs.tree_store[0].split
    ours = ciblage.ChaidClassifier(preset="chaid_package", alpha_merge=0.9, min_child=0).fit(
        pd.DataFrame({"gender": gender.astype(str)}), income, sample_weight=w
    )
    root = ours.nodes().iloc[0]
    assert root["statistic"] == pytest.approx(14.5103, abs=1e-4)
    assert root["statistic"] == pytest.approx(split.score, rel=1e-6)
    assert root["p"] == pytest.approx(0.000707, abs=5e-6)
    assert root["p"] == pytest.approx(split.p, rel=1e-6)
    assert sorted(sorted(g) for g in ours.tree_.groups()[0]) == [["0", "2"], ["1"]]
