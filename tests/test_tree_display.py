"""Tree drawings for notebooks (SVG with a viewBox, collapsed below a
depth), p-values that underflow, CART exports named by the DataFrame's
columns, and rules whose redundant conditions are merged."""

from __future__ import annotations

import re
import sqlite3
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

import ciblage
from ciblage.exceptions import InvalidParameterError

NS = "{http://www.w3.org/2000/svg}"


def _wide_data(n: int = 4000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "age": rng.integers(18, 90, n).astype(float),
            "spend": rng.gamma(2.0, 50.0, n),
            "region": pd.Categorical(rng.choice(list("NSEW"), n)),
        }
    )
    y = (((X["age"] > 40) & (X["spend"] > 80)) | (X["region"] == "N")).to_numpy().astype(int)
    y = np.where(rng.random(n) < 0.1, 1 - y, y)
    return X, y


def _underflowing() -> tuple[pd.DataFrame, np.ndarray]:
    # 6000 rows where one predictor gives the class 98 % of the time: a χ²
    # of about 5,500 on 1 df, whose p-value (about e^-2750) is no double.
    rng = np.random.default_rng(1)
    n = 6000
    a = rng.choice(list("abcd"), n)
    y = ((a < "c") ^ (rng.random(n) < 0.02)).astype(int)
    return pd.DataFrame({"a": pd.Categorical(a), "b": rng.normal(size=n)}), y


def _svg_root(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{NS}svg"
    return root


def _check_boxes_inside(svg: str) -> int:
    """Every box and every text of the SVG lies inside its viewBox; returns
    the number of boxes."""
    root = _svg_root(svg)
    x0, y0, w, h = (float(v) for v in root.attrib["viewBox"].split())
    assert (x0, y0) == (0.0, 0.0) and w > 0 and h > 0
    if root.attrib["width"] == "100%":
        # In HTML: as wide as the page up to its natural width, the height
        # following (the container scrolls below 60 % of it).
        style = root.attrib["style"]
        assert f"max-width:{w:.0f}px" in style and f"min-width:{0.6 * w:.0f}px" in style and "height:auto" in style
    else:
        # Standalone: its natural size, which every SVG reader honours.
        assert (float(root.attrib["width"]), float(root.attrib["height"])) == (w, h)
    rects = root.findall(f"{NS}rect")
    for r in rects:
        x, y = float(r.attrib["x"]), float(r.attrib["y"])
        rw, rh = float(r.attrib["width"]), float(r.attrib["height"])
        assert 0 <= x and x + rw <= w and 0 <= y and y + rh <= h, (r.attrib, w, h)
    for t in root.findall(f"{NS}text"):
        assert 0 <= float(t.attrib["x"]) <= w and 0 <= float(t.attrib["y"]) <= h
    for line in root.findall(f"{NS}line"):
        for k, size in (("x1", w), ("x2", w), ("y1", h), ("y2", h)):
            assert 0 <= float(line.attrib[k]) <= size
    return len(rects)


@pytest.mark.parametrize("kind", ["cart", "chaid", "cart_regressor", "chaid_regressor"])
def test_svg_has_a_viewbox_holding_every_node(kind: str) -> None:
    X, y = _wide_data()
    if kind == "cart":
        m = ciblage.CartClassifier(max_leaf_nodes=35, random_state=0).fit(X, y)
    elif kind == "chaid":
        m = ciblage.ChaidClassifier(max_depth=5, min_parent=40, min_child=20).fit(X, y)
    elif kind == "cart_regressor":
        m = ciblage.CartRegressor(max_leaf_nodes=35, random_state=0).fit(X, X["spend"] + y)
    else:
        m = ciblage.ChaidRegressor(max_depth=4, min_parent=40, min_child=20).fit(X, X["spend"] + 50 * y)
    n_nodes = len(m.drawing_nodes())
    svg = m.to_svg()
    assert _check_boxes_inside(svg) == n_nodes
    assert _svg_root(svg).attrib["width"] != "100%"
    # The notebook's HTML: the SVG, collapsed below the default depth, in a
    # horizontally scrolling container.
    html = ET.fromstring(m._repr_html_())
    assert html.tag == "div" and "overflow-x:auto" in html.attrib["style"]
    fluid = html.find(f"{NS}svg")
    assert fluid is not None and fluid.attrib["width"] == "100%"
    shown = _check_boxes_inside(ET.tostring(fluid, encoding="unicode"))
    depth = m.get_depth()
    if depth > 4:
        assert shown < n_nodes
    else:
        assert shown == n_nodes


def test_collapsed_nodes_say_how_many_they_hide() -> None:
    X, y = _wide_data()
    m = ciblage.CartClassifier(max_leaf_nodes=40, random_state=0).fit(X, y)
    nodes = m.drawing_nodes()
    parent = {n["id"]: n["parent"] for n in nodes}
    depth = {n["id"]: n["depth"] for n in nodes}
    assert max(depth.values()) > 2
    svg = m.to_svg(max_depth=2)
    root = _svg_root(svg)
    # Drawn: the nodes at depth <= 2; each one at depth 2 with children hides
    # all its descendants (counted here from the parents).
    drawn = [i for i in depth if depth[i] <= 2]
    assert len(root.findall(f"{NS}rect")) == len(drawn)

    def descendants(i: int) -> int:
        kids = [k for k, p in parent.items() if p == i]
        return sum(1 + descendants(k) for k in kids)

    expected = sorted(descendants(i) for i in drawn if depth[i] == 2 and descendants(i) > 0)
    found = sorted(int(s) for s in re.findall(r"\+(\d+) nodes below", svg))
    assert found == expected and found
    dashed = [r for r in root.findall(f"{NS}rect") if "stroke-dasharray" in r.attrib]
    assert len(dashed) == len(expected)
    assert m.to_svg(max_depth=None).count("<rect") == len(nodes)
    with pytest.raises(InvalidParameterError, match="max_depth"):
        m.to_svg(max_depth=-1)
    with pytest.raises(InvalidParameterError, match="max_depth"):
        m.draw(max_depth="deep")


def test_draw_returns_an_object_the_notebook_shows() -> None:
    X, y = _wide_data(800)
    m = ciblage.ChaidClassifier(min_parent=50, min_child=20).fit(X, y)
    d = m.draw(max_depth=1)
    assert d.svg == m.to_svg(max_depth=1)
    html = d._repr_html_()
    assert html.startswith('<div style="overflow-x:auto') and 'width="100%"' in html
    # The same boxes and texts, only the size differs.
    assert re.findall(r"<(?:rect|text) [^>]*>[^<]*", html) == re.findall(r"<(?:rect|text) [^>]*>[^<]*", d.svg)
    assert ciblage.CartClassifier()._repr_html_().startswith("<pre>")


def test_underflowing_p_values_are_shown_by_their_logarithm() -> None:
    X, y = _underflowing()
    m = ciblage.ChaidClassifier().fit(X, y)
    nodes = m.nodes()
    ln_p = float(nodes.loc[0, "ln_p_adjusted"])
    assert nodes.loc[0, "p_adjusted"] == 0.0 and ln_p < np.log(1e-300)
    shown = f"adj. ln p = {ln_p:.1f}"
    texts = {
        "svg": m.to_svg(),
        "html": m._repr_html_(),
        "dot": m.export_graphviz(),
        "text": m.export_text(),
        "segments": m.segments().to_string(),
        "gains": m.gains(1).to_string(),
        "repr": repr(m),
    }
    for name, text in texts.items():
        assert not re.search(r"0\.0+e\+?0+\b", text), name
        assert "p = 0" not in text, name
    for name in ("svg", "html", "dot"):
        assert shown in texts[name], name
    # A p-value that does not underflow keeps its scientific notation.
    X2, y2 = _wide_data(600)
    m2 = ciblage.ChaidClassifier(min_parent=50, min_child=20).fit(X2, y2)
    p = float(m2.nodes().loc[0, "p_adjusted"])
    assert 1e-300 < p < 0.05
    mantissa, exponent = f"{p:.3e}".split("e")
    assert f"adj. p = {mantissa}e{int(exponent)}" in m2.to_svg()


def test_cart_exports_name_the_dataframe_columns() -> None:
    X, y = _wide_data(800)
    m = ciblage.CartClassifier(max_depth=3, random_state=0).fit(X, y)
    names = ["age", "spend", "region"]
    assert list(m.feature_names_in_) == names
    for method in ("export_text", "export_graphviz", "to_dot", "rules", "sql_rules", "segments", "drawing_nodes"):
        default = getattr(m, method)()
        named = getattr(m, method)(feature_names=names)
        assert str(default) == str(named), method
        assert "feature_0" not in str(default), method
    assert m.gains(1).equals(m.gains(1, feature_names=names))
    assert "spend" in m.to_svg()
    # Explicit names still win.
    other = ["A", "B", "C"]
    assert "feature_" not in m.export_text(feature_names=other)
    assert all(("age" not in r) for r in m.rules(feature_names=other))
    # Fitted on an array: feature_<i>.
    a = ciblage.CartClassifier(max_depth=2, random_state=0).fit(X[["age", "spend"]].to_numpy(), y)
    assert "feature_0" in a.export_text()
    with pytest.raises(InvalidParameterError, match="feature_names"):
        m.rules(feature_names=["a"])


# --- merged conditions --------------------------------------------------


def _conditions(rule: str) -> list[str]:
    return [c for c in rule.split(" and ") if c]


def _numeric_data(n: int = 3000) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(7)
    x = rng.normal(size=n)
    z = rng.normal(size=n)
    X = pd.DataFrame({"x": x, "z": z})
    # Stripes along x: a deep tree splits x again and again.
    y = ((np.floor(x * 3) % 2 == 0) ^ (z > 0.5)).astype(int)
    X.loc[rng.random(n) < 0.05, "x"] = np.nan
    return X, y


def _sqlite(X: pd.DataFrame, float32: bool) -> sqlite3.Connection:
    con = sqlite3.connect(":memory:")
    stored = X.copy()
    for c in stored.columns:
        if stored[c].dtype.kind == "f":
            # CART compares float32 values, CHAID the values as given; NaN
            # is stored as NULL.
            if float32:
                stored[c] = stored[c].astype(np.float32).astype(np.float64)
        else:
            stored[c] = stored[c].astype(object).where(stored[c].notna(), None)
    stored.assign(row=np.arange(len(X))).to_sql("t", con, index=False)
    return con


def _rows_of_every_node(model: object, X: pd.DataFrame) -> list[list[int]]:
    path = model.decision_path(X).tocsc()
    return [sorted(path[:, j].nonzero()[0].tolist()) for j in range(path.shape[1])]


def _trees() -> list[tuple[str, object, pd.DataFrame]]:
    Xn, yn = _numeric_data()
    Xc, yc = _wide_data(3000, seed=3)
    rng = np.random.default_rng(5)
    Xc = Xc.assign(shop=pd.Categorical(rng.choice(list("pqrstu"), len(Xc))))
    yc = np.where(Xc["shop"].isin(["p", "q", "r"]).to_numpy() & (rng.random(len(Xc)) < 0.3), 1 - yc, yc)
    return [
        ("cart numeric", ciblage.CartClassifier(max_depth=8, random_state=0).fit(Xn, yn), Xn),
        ("cart mixed", ciblage.CartClassifier(max_depth=7, random_state=0).fit(Xc, yc), Xc),
        ("cart regressor", ciblage.CartRegressor(max_depth=7, random_state=0).fit(Xn, Xn["z"].fillna(0) + yn), Xn),
        ("chaid numeric", ciblage.ChaidClassifier(max_depth=5, min_parent=60, min_child=25).fit(Xn, yn), Xn),
        ("chaid mixed", ciblage.ChaidClassifier(max_depth=5, min_parent=60, min_child=25).fit(Xc, yc), Xc),
    ]


@pytest.mark.parametrize("which", range(5))
def test_merged_sql_rules_select_the_rows_of_their_node(which: int) -> None:
    name, m, X = _trees()[which]
    con = _sqlite(X, float32=name.startswith("cart"))
    expected = _rows_of_every_node(m, X)
    sql = m.sql_rules()
    assert len(sql) == len(expected)
    for node, where in enumerate(sql):
        rows = [r for (r,) in con.execute(f"SELECT row FROM t WHERE {where} ORDER BY row")]
        assert rows == expected[node], (name, node, where)


def test_redundant_conditions_are_merged() -> None:
    merged_somewhere = 0
    for name, m, _ in _trees():
        rules = m.rules()
        if isinstance(m, (ciblage.ChaidClassifier, ciblage.ChaidRegressor)):
            rules = [r.split(": ", 1)[1] for r in rules]
            depths = m.nodes().set_index("node")["depth"]
            leaves = m.nodes().query("split == ''")["node"].tolist()
            depth_of = [int(depths[i]) for i in leaves]
        else:
            parents = m.tree_.drawing([], [])
            depth_of = [d for (_, _, d, *_rest) in parents]
        for rule, depth in zip(rules, depth_of, strict=True):
            conds = _conditions(rule)
            # No column is bounded twice on one side, nor listed twice.
            keys = [re.match(r"(\w+) (<=|>|in)", c).groups() for c in conds if re.match(r"\w+ (<=|>|in) ", c)]
            assert len(keys) == len(set(keys)), (name, rule)
            merged_somewhere += len(conds) < depth
    assert merged_somewhere > 10


def test_merged_text_rules_select_the_rows_of_their_node() -> None:
    # The text rules of a numeric CART tree as pandas queries (missing values
    # go where the tree sends them, which only the SQL spells out).
    X, y = _numeric_data()
    X = X.fillna(0.0)
    m = ciblage.CartClassifier(max_depth=8, random_state=0).fit(X, y)
    stored = X.astype(np.float32).astype(np.float64)
    expected = _rows_of_every_node(m, X)
    for node, rule in enumerate(m.rules()):
        if not rule:
            continue
        rows = stored.query(rule).index.tolist()
        assert rows == expected[node], (node, rule)
        for col in ("x", "z"):
            assert rule.count(f"{col} <= ") <= 1 and rule.count(f"{col} > ") <= 1, rule
    # Nodes three or more splits deep whose rule is one condition: all their
    # splits bounded the same column on the same side.
    depth = [row[2] for row in m.tree_.drawing([], [])]
    assert any(depth[i] >= 3 and r and " and " not in r for i, r in enumerate(m.rules()))


def test_cart_boxes_show_the_class_distribution_of_their_rows() -> None:
    X, y = _wide_data(1000)
    m = ciblage.CartClassifier(max_depth=3, random_state=0).fit(X, y)
    path = m.decision_path(X).toarray().astype(bool)
    for node in m.drawing_nodes():
        rows = y[path[:, node["id"]]]
        shares = ", ".join(f"{c}: {100 * np.mean(rows == c):.1f}%" for c in (0, 1))
        assert node["lines"][-2] == shares, node["lines"]
        assert node["lines"][-1] == f"class = {node['prediction']}"
        assert node["n"] == len(rows)
