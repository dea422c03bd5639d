"""matplotlib charts of trees: the tree drawing (TreeDisplay) and the gains,
lift and cumulative response charts, drawn headless."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

import ciblage
from ciblage.exceptions import InvalidInputError, InvalidParameterError, NotFittedError

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ciblage.plot import (  # noqa: E402
    CumulativeResponseDisplay,
    GainsDisplay,
    LiftDisplay,
    TreeDisplay,
    gains_table,
)


@pytest.fixture(autouse=True)
def _no_warnings_and_closed_figures() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield
    plt.close("all")


def _data(n: int = 3000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "age": rng.integers(18, 90, n).astype(float),
            "spend": rng.gamma(2.0, 50.0, n),
            "region": pd.Categorical(rng.choice(list("NSEW"), n)),
        }
    )
    y = (((X["age"] > 40) & (X["spend"] > 80)) | (X["region"] == "N")).to_numpy().astype(int)
    return X, np.where(rng.random(n) < 0.1, 1 - y, y)


def _models() -> list[object]:
    X, y = _data()
    return [
        ciblage.CartClassifier(max_leaf_nodes=35, random_state=0).fit(X, y),
        ciblage.ChaidClassifier(max_depth=4, min_parent=50, min_child=20).fit(X, y),
        ciblage.CartRegressor(max_depth=4, random_state=0).fit(X, X["spend"]),
        ciblage.ChaidRegressor(max_depth=3, min_parent=50, min_child=20).fit(X, X["spend"]),
    ]


@pytest.mark.parametrize("which", range(4))
def test_tree_display_data_has_one_row_per_node(which: int) -> None:
    m = _models()[which]
    X, _ = _data()
    d = TreeDisplay.from_estimator(m).plot()
    data = d.data
    assert list(data.columns) == ["id", "parent", "depth", "x", "y", "label", "n", "prediction", "hidden"]
    path = m.decision_path(X).toarray()
    assert len(data) == path.shape[1]
    # Sizes: the training rows through each node.
    np.testing.assert_allclose(data.set_index("id")["n"].sort_index(), path.sum(axis=0))
    # Leaves predict what the model predicts for their rows.
    leaf = m.apply(X)
    pred = m.predict(X)
    for row in data.itertuples():
        rows = leaf == row.id
        if rows.any():
            if isinstance(row.prediction, float):
                np.testing.assert_allclose(pred[rows], row.prediction, rtol=1e-9)
            else:
                assert set(pred[rows].tolist()) == {row.prediction}
    # Leaves of the layout at 0, 1, 2, …; a parent above the middle of its
    # children, one level up.
    kids = data.groupby("parent")["x"].agg(["min", "max"])
    by_id = data.set_index("id")
    for parent, (lo, hi) in kids.iterrows():
        assert by_id.loc[int(parent), "x"] == (lo + hi) / 2
    leaves = data[~data["id"].isin(data["parent"].dropna().astype(int))]
    assert sorted(leaves["x"]) == list(range(len(leaves)))
    assert (data["y"] == data["depth"]).all()
    assert d.ax_ is not None and d.figure_ is d.ax_.figure
    assert len(d.ax_.texts) >= len(data)


def test_tree_display_collapses_below_max_depth_and_scales_the_figure() -> None:
    m = _models()[0]
    assert m.get_n_leaves() >= 30
    full = TreeDisplay.from_estimator(m)
    small = TreeDisplay.from_estimator(m, max_depth=2)
    assert (small.data["depth"] <= 2).all()
    assert len(small.data) == int((full.data["depth"] <= 2).sum())
    hidden = small.data.set_index("id")["hidden"]
    all_nodes = full.data.set_index("id")
    for i, h in hidden.items():
        # Hidden: every node below i (counted from the full drawing's parents).
        below, frontier = 0, [i]
        while frontier:
            kids = all_nodes.index[all_nodes["parent"].isin(frontier)].tolist()
            below += len(kids)
            frontier = kids
        assert h == (below if all_nodes.loc[i, "depth"] == 2 else 0)
    w_full, _ = full.figsize()
    w_small, _ = small.figsize()
    assert w_full > w_small and w_full >= 1.9 * m.get_n_leaves()
    full.plot()
    assert tuple(full.figure_.get_size_inches()) == pytest.approx(full.figsize())


def test_big_tree_renders_to_png(tmp_path: object) -> None:
    X, y = _data(6000, seed=2)
    m = ciblage.CartClassifier(max_leaf_nodes=45, random_state=0).fit(X, y)
    d = m.plot()
    assert isinstance(d, TreeDisplay)
    out = tmp_path / "tree.png"  # type: ignore[operator]
    d.figure_.savefig(out, dpi=40)
    assert out.stat().st_size > 10_000


def test_leaves_are_coloured_by_their_prediction() -> None:
    m = _models()[0]
    d = TreeDisplay.from_estimator(m).plot()
    boxes = {t.get_text(): t.get_bbox_patch().get_facecolor() for t in d.ax_.texts if t.get_bbox_patch()}
    colour_of: dict[object, set[tuple[float, ...]]] = {}
    for row in d.data.itertuples():
        if row.id not in set(d.data["parent"].dropna().astype(int)):
            colour_of.setdefault(row.prediction, set()).add(tuple(boxes[row.label]))
    assert len(colour_of) == 2 and all(len(c) == 1 for c in colour_of.values())
    assert colour_of[0] != colour_of[1]


def test_tree_display_refuses_what_is_not_a_fitted_tree() -> None:
    with pytest.raises(InvalidParameterError, match="model"):
        TreeDisplay.from_estimator(object())
    with pytest.raises(NotFittedError):
        TreeDisplay.from_estimator(ciblage.CartClassifier())
    with pytest.raises(InvalidParameterError, match="feature_names"):
        TreeDisplay.from_estimator(_models()[1], feature_names=["a", "b", "c"])
    with pytest.raises(InvalidParameterError, match="max_depth"):
        TreeDisplay.from_estimator(_models()[0], max_depth=-2)


def test_tree_display_names_features() -> None:
    m = _models()[0]
    d = TreeDisplay.from_estimator(m)
    assert d.data["label"].str.contains("spend").any()
    named = TreeDisplay.from_estimator(m, feature_names=["A", "S", "R"])
    assert named.data["label"].str.contains("S <= ").any() and not named.data["label"].str.contains("spend").any()


# --- gains charts -----------------------------------------------------------


@pytest.mark.parametrize("display", [GainsDisplay, LiftDisplay, CumulativeResponseDisplay])
@pytest.mark.parametrize("which", [0, 1])
def test_charts_of_a_gains_table_hold_the_table(display: type, which: int) -> None:
    m = _models()[which]
    table = m.gains(1)
    d = display.from_result(table).plot()
    pd.testing.assert_frame_equal(d.data, table)
    line = d.ax_.get_lines()[-1]
    x, y = (np.asarray(v, dtype=float) for v in line.get_data())
    if display is GainsDisplay:
        np.testing.assert_allclose(x, np.r_[0.0, table["cumulative_share"]])
        np.testing.assert_allclose(y, np.r_[0.0, table["cumulative_gain"]])
    elif display is LiftDisplay:
        np.testing.assert_allclose(y, table["cumulative_index"] / 100)
    else:
        # The cumulative response rate, from the leaves' rates and shares
        # (unweighted: rate × n is the responses).
        rate = np.cumsum(table["response_rate"] * table["n"]) / np.cumsum(table["n"])
        np.testing.assert_allclose(y, rate, rtol=1e-12)
        X, yy = _data()
        assert d.overall_rate() == pytest.approx(yy.mean())


def test_gains_of_predictions_against_pandas() -> None:
    rng = np.random.default_rng(4)
    score = rng.choice([0.1, 0.3, 0.3001, 0.7, 0.9], 1000)
    y = (rng.random(1000) < score).astype(int)
    d = GainsDisplay.from_predictions(y, score)
    df = pd.DataFrame({"s": score, "y": y})
    g = df.groupby("s")["y"].agg(["size", "sum"]).sort_index(ascending=False)
    t = d.data
    np.testing.assert_allclose(t["score"], g.index)
    np.testing.assert_allclose(t["n"], g["size"])
    np.testing.assert_allclose(t["responses"], g["sum"])
    np.testing.assert_allclose(t["response_rate"], g["sum"] / g["size"])
    np.testing.assert_allclose(t["share"], g["size"] / 1000)
    np.testing.assert_allclose(t["gain"], g["sum"] / y.sum())
    np.testing.assert_allclose(t["index"], g["sum"] / g["size"] / y.mean() * 100)
    np.testing.assert_allclose(t["cumulative_gain"], g["sum"].cumsum() / y.sum())
    np.testing.assert_allclose(t["cumulative_index"], g["sum"].cumsum() / g["size"].cumsum() / y.mean() * 100)
    labels = np.where(y == 1, "buyer", "other")
    same = LiftDisplay.from_predictions(labels, score, pos_label="buyer").data
    pd.testing.assert_frame_equal(same, t)
    assert (t["cumulative_share"].iloc[-1], t["cumulative_gain"].iloc[-1]) == pytest.approx((1.0, 1.0))


def test_gains_of_a_classifier_on_new_data() -> None:
    X, y = _data()
    m = ciblage.CartClassifier(max_depth=3, random_state=0).fit(X, y)
    X2, y2 = _data(1500, seed=9)
    d = CumulativeResponseDisplay.from_estimator(m, X2, y2)
    expected = gains_table(y2 == 1, m.predict_proba(X2)[:, 1])
    pd.testing.assert_frame_equal(d.data, expected)
    d0 = GainsDisplay.from_estimator(m, X2, y2, target=0)
    pd.testing.assert_frame_equal(d0.data, gains_table(y2 == 0, m.predict_proba(X2)[:, 0]))
    # The model's leaves on its training rows: the same numbers as its own
    # gains table (rows of equal scores grouped).
    train = GainsDisplay.from_estimator(m, X, y).data
    own = m.gains(1)
    assert train["n"].sum() == own["n"].sum() == len(y)
    np.testing.assert_allclose(
        np.interp(own["cumulative_share"], train["cumulative_share"], train["cumulative_gain"]),
        own["cumulative_gain"],
        rtol=1e-9,
    )


def test_plot_shortcuts_of_the_estimators() -> None:
    X, y = _data()
    for m in _models()[:2]:
        assert isinstance(m.plot(), TreeDisplay)
        assert isinstance(m.plot(kind="tree", max_depth=1), TreeDisplay)
        g = m.plot(kind="gains", target=1)
        assert isinstance(g, GainsDisplay)
        pd.testing.assert_frame_equal(g.data, m.gains(1))
        assert isinstance(m.plot(kind="lift"), LiftDisplay)
        r = m.plot(kind="response", X=X, y=y)
        assert isinstance(r, CumulativeResponseDisplay)
        fig, ax = plt.subplots()
        assert m.plot(kind="gains", ax=ax).ax_ is ax
        with pytest.raises(InvalidParameterError, match="kind"):
            m.plot(kind="pie")
        with pytest.raises(InvalidParameterError, match="X"):
            m.plot(kind="lift", X=X)
    for m in _models()[2:]:
        assert isinstance(m.plot(), TreeDisplay)
        with pytest.raises(InvalidParameterError, match="target"):
            m.plot(kind="gains")


def test_gains_charts_refuse_bad_input() -> None:
    with pytest.raises(InvalidInputError, match="y_score"):
        GainsDisplay.from_predictions([0, 1, 1], [0.1, 0.2])
    with pytest.raises(InvalidInputError, match="y_score"):
        GainsDisplay.from_predictions([0, 1], [0.1, np.nan])
    with pytest.raises(InvalidParameterError, match="pos_label"):
        GainsDisplay.from_predictions(["a", "b"], [0.1, 0.2])
    with pytest.raises(InvalidInputError, match="y_true: missing outcome .* at row 2"):
        GainsDisplay.from_predictions([0, 1, np.nan], [0.1, 0.2, 0.3])
    with pytest.raises(InvalidInputError, match="y_true: missing outcome"):
        GainsDisplay.from_predictions(pd.Series([True, None], dtype="boolean"), [0.1, 0.2])
    with pytest.raises(InvalidInputError, match="y_true"):
        GainsDisplay.from_predictions([], [])
    with pytest.raises(InvalidParameterError, match="result"):
        LiftDisplay.from_result(pd.DataFrame({"n": [1]}))
    with pytest.raises(InvalidParameterError, match="result"):
        LiftDisplay.from_result(3)
    m = _models()[0]
    X, y = _data()
    with pytest.raises(InvalidParameterError, match="target"):
        GainsDisplay.from_estimator(m, X, y, target="nope")
    with pytest.raises(InvalidParameterError, match="model"):
        GainsDisplay.from_estimator(_models()[2], X, y)
    with pytest.raises(InvalidInputError, match="y"):
        GainsDisplay.from_estimator(m, X, y[:10])


def test_unknown_style_keywords_name_themselves() -> None:
    m = _models()[0]
    with pytest.raises(InvalidParameterError, match="no_such_style"):
        m.plot(kind="gains", target=1, no_such_style=3)
    with pytest.raises(InvalidParameterError, match="no_such_style"):
        TreeDisplay.from_estimator(m, max_depth=1).plot(no_such_style=3)
    d = GainsDisplay.from_result(m.gains(1)).plot(color="red", marker="s")
    assert d.ax_.get_lines()[-1].get_color() == "red"


def test_a_tree_that_is_only_its_root_draws() -> None:
    X, _ = _data(200)
    m = ciblage.CartClassifier().fit(X, np.zeros(200, dtype=int))
    assert m.get_n_leaves() == 1
    d = m.plot()
    assert len(d.data) == 1 and d.data["x"].tolist() == [0.0]
    assert m.to_svg().count("<rect") == 1
    g = m.plot(kind="gains", target=0)
    assert g.data["cumulative_gain"].tolist() == [1.0]
    c = ciblage.ChaidClassifier().fit(X, np.arange(200) % 2)
    assert c.get_n_leaves() == 1 and len(c.plot().data) == 1 and c.to_svg().count("<rect") == 1
