"""The segment profile against pandas computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ciblage.cluster import profile
from ciblage.exceptions import ColumnNotFoundError, InvalidInputError


def _customers(seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = 500
    labels = rng.integers(0, 4, n)
    df = pd.DataFrame(
        {
            "recency": rng.exponential(30, n) + labels * 40,
            "monetary": rng.gamma(2.0, 50, n) * (1 + (labels == 2) * 4),
            "channel": np.where(labels == 1, "shop", rng.choice(["web", "app", "shop"], n)),
        }
    )
    revenue = df["monetary"].to_numpy() * 2
    margin = df["monetary"].to_numpy() * 0.3 - 5
    return df, labels, revenue, margin


def test_numbers_equal_pandas() -> None:
    df, labels, revenue, margin = _customers()
    p = profile(df, labels, revenue=revenue, margin=margin)
    t = p.table.set_index("segment")
    g = df.assign(seg=labels, rev=revenue, mar=margin).groupby("seg")
    np.testing.assert_array_equal(t["size"], g.size())
    np.testing.assert_allclose(t["share"], g.size() / len(df), rtol=1e-12)
    np.testing.assert_allclose(t["revenue_share"], g["rev"].sum() / revenue.sum(), rtol=1e-12)
    np.testing.assert_allclose(t["margin_share"], g["mar"].sum() / margin.sum(), rtol=1e-12)
    for f in ("recency", "monetary"):
        np.testing.assert_allclose(t[f"{f}_mean"], g[f].mean(), rtol=1e-12)
        np.testing.assert_allclose(t[f"{f}_median"], g[f].median(), rtol=1e-12)
        np.testing.assert_allclose(t[f"{f}_lift"], g[f].mean() / df[f].mean(), rtol=1e-12)
    overall = df["channel"].value_counts(normalize=True)
    for s, rows in df.assign(seg=labels).groupby("seg"):
        shares = rows["channel"].value_counts(normalize=True)
        best = sorted(shares.index[shares == shares.max()])[0]
        assert t.loc[s, "channel_top"] == best
        assert t.loc[s, "channel_top_share"] == pytest.approx(shares[best], rel=1e-12)
        assert t.loc[s, "channel_top_lift"] == pytest.approx(shares[best] / overall[best], rel=1e-12)
        cats = p.categories[p.categories.segment == s]
        assert list(cats["rank"]) == list(range(1, min(3, len(shares)) + 1))
    assert p.input_report == {"rows_read": 500, "rows_used": 500, "left_out": {}, "segments": 4}
    assert "<table" in p._repr_html_()


def test_names_come_from_the_most_distinctive_traits() -> None:
    df, labels, _, _ = _customers()
    t = profile(df, labels).table.set_index("segment")
    # Segment 3 is the least recent (recency + 120), segment 2 spends 5×,
    # segment 1 buys only in shops.
    assert t.loc[3, "name"].startswith("high recency")
    assert "high monetary" in t.loc[2, "name"]
    assert "mostly channel=shop" in t.loc[1, "name"]


def test_bad_input() -> None:
    df, labels, revenue, _ = _customers()
    with pytest.raises(InvalidInputError, match="labels"):
        profile(df, labels[:10])
    with pytest.raises(InvalidInputError, match="revenue"):
        profile(df, labels, revenue=revenue[:3])
    bad = revenue.copy()
    bad[7] = np.inf
    with pytest.raises(InvalidInputError, match="revenue: non-finite value inf at row 7"):
        profile(df, labels, revenue=bad)
    with pytest.raises(ColumnNotFoundError, match="nope"):
        profile(df, labels, categorical=["nope"])
    withnan = df.copy()
    withnan.loc[3, "monetary"] = np.nan
    with pytest.raises(InvalidInputError, match="'monetary'.*row 3"):
        profile(withnan, labels)


@pytest.mark.usefixtures("close_figures")
def test_plots_draw_the_numbers_of_the_result() -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from ciblage.cluster import KPrototypes

    df, labels, _, _ = _customers()
    p = profile(df, labels)
    d = p.plot()
    lifts = d.data.pivot(index="segment", columns="feature", values="lift")
    np.testing.assert_allclose(lifts["monetary"], p.table.set_index("segment")["monetary_lift"])
    km = KPrototypes(n_clusters=3, random_state=0).fit(df)
    sizes = km.plot().data
    np.testing.assert_array_equal(sizes["size"], np.bincount(km.labels_, minlength=3))


def test_numeric_codes_as_categories_keep_their_values() -> None:
    df = pd.DataFrame({"spend": [1.0, 2.0, 3.0, 50.0, 60.0, 70.0], "store": [7, 7, 9, 9, 9, 9]})
    p = profile(df, ["a", "a", "a", "b", "b", "b"], categorical=["store"], top=1)
    t = p.table.set_index("segment")
    # Segment a: store 7 in 2 of 3 rows, 2 of 6 overall: lift (2/3) / (1/3) = 2.
    assert t.loc["a", "store_top"] == 7
    assert t.loc["a", "store_top_lift"] == pytest.approx(2.0)
    assert t.loc["a", "name"] == "low spend, mostly store=7"
    assert list(p.categories["rank"]) == [1, 1]
    # Medians against numpy: 2 and 60.
    assert list(t["spend_median"]) == [2.0, 60.0]
