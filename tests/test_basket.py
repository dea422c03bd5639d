"""Frequent itemsets and association rules (ciblage.basket) against
mlxtend run here on the same baskets, p-values against scipy."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from scipy.stats import chi2_contingency, fisher_exact

from ciblage.basket import MEASURES, association_rules, frequent_itemsets
from ciblage.exceptions import (
    ColumnNotFoundError,
    ColumnTypeError,
    InvalidInputError,
    InvalidParameterError,
    RowsLeftOutWarning,
)

mlxtend = pytest.importorskip("mlxtend.frequent_patterns")

MLX_NAMES = {m: m.replace("_", " ") if m.endswith("_support") else m for m in MEASURES}


def order_lines(seed: int = 0, orders: int = 400, products: int = 12) -> pd.DataFrame:
    """Baskets of 1 to 6 products drawn with skewed popularity, some lines
    repeated (a repeated product counts once)."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, products + 1)
    weights /= weights.sum()
    rows = []
    for o in range(orders):
        size = rng.integers(1, 7)
        basket = rng.choice(products, size=size, replace=False, p=weights)
        rows += [(o * 7 + 3, f"p{int(p):02d}") for p in basket]
        if rng.random() < 0.2:
            rows.append((o * 7 + 3, f"p{int(basket[0]):02d}"))
    frame = pd.DataFrame(rows, columns=["order_id", "product"])
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def one_hot(lines: pd.DataFrame) -> pd.DataFrame:
    return pd.crosstab(lines["order_id"], lines["product"]).astype(bool)


def ours_itemsets(result) -> dict[frozenset, tuple[float, int]]:
    t = result.to_pandas()
    return {frozenset(s): (sup, c) for s, sup, c in zip(t["itemset"], t["support"], t["count"], strict=True)}


def mlx_itemsets(frame: pd.DataFrame) -> dict[frozenset, float]:
    return {frozenset(s): sup for s, sup in zip(frame["itemsets"], frame["support"], strict=True)}


def rule_key(a, c) -> tuple[frozenset, frozenset]:
    return frozenset(a), frozenset(c)


@pytest.mark.parametrize("min_support, max_len", [(0.03, None), (0.1, None), (0.02, 2), (0.05, 3)])
def test_itemsets_equal_mlxtend(min_support, max_len):
    lines = order_lines()
    hot = one_hot(lines)
    expected = mlx_itemsets(mlxtend.fpgrowth(hot, min_support=min_support, use_colnames=True, max_len=max_len))
    ours = frequent_itemsets(lines, min_support=min_support, max_len=max_len)
    got = ours_itemsets(ours)
    assert set(got) == set(expected)
    for s, sup in expected.items():
        assert got[s][0] == pytest.approx(sup, rel=1e-12)
        assert got[s][1] == round(sup * len(hot))
    assert ours.n_baskets == len(hot)
    assert ours.input_report == {
        "rows_read": len(lines),
        "rows_used": len(lines),
        "left_out": {"null_order": 0, "null_product": 0},
        "baskets": len(hot),
        "products": hot.shape[1],
    }


@pytest.mark.parametrize(
    "metric, threshold",
    [("confidence", 0.3), ("lift", 1.1), ("leverage", 0.0), ("conviction", 1.05), ("support", 0.04), ("jaccard", 0.1)],
)
def test_rules_equal_mlxtend_every_measure(metric, threshold):
    lines = order_lines(seed=1)
    hot = one_hot(lines)
    freq = mlxtend.fpgrowth(hot, min_support=0.03, use_colnames=True)
    expected = mlxtend.association_rules(freq, num_itemsets=len(hot), metric=metric, min_threshold=threshold)
    sets = frequent_itemsets(lines, min_support=0.03)
    rules = association_rules(sets, metric=metric, min_threshold=threshold)
    got = rules.to_pandas()
    assert list(got.columns[:13]) == ["antecedents", "consequents", *MEASURES]
    assert len(got) == len(expected) > 0
    by_key = {rule_key(a, c): i for i, (a, c) in enumerate(zip(got["antecedents"], got["consequents"], strict=True))}
    assert set(by_key) == {
        rule_key(a, c) for a, c in zip(expected["antecedents"], expected["consequents"], strict=True)
    }
    for _, row in expected.iterrows():
        i = by_key[rule_key(row["antecedents"], row["consequents"])]
        for m in MEASURES:
            want = row[MLX_NAMES[m]]
            if math.isinf(want):
                assert got[m][i] == want, m
            else:
                assert got[m][i] == pytest.approx(want, rel=1e-9, abs=1e-12), m


def test_single_consequents_are_mlxtends_one_item_consequents():
    lines = order_lines(seed=2)
    hot = one_hot(lines)
    freq = mlxtend.fpgrowth(hot, min_support=0.02, use_colnames=True)
    expected = mlxtend.association_rules(freq, num_itemsets=len(hot), metric="confidence", min_threshold=0.2)
    expected = expected[expected["consequents"].map(len) == 1]
    rules = association_rules(frequent_itemsets(lines, min_support=0.02), min_threshold=0.2, consequents="single")
    got = rules.to_pandas()
    assert {rule_key(a, c) for a, c in zip(got["antecedents"], got["consequents"], strict=True)} == {
        rule_key(a, c) for a, c in zip(expected["antecedents"], expected["consequents"], strict=True)
    }
    all_rules = association_rules(frequent_itemsets(lines, min_support=0.02), min_threshold=0.2, consequents="all")
    assert len(all_rules) > len(rules)


def _holm(p: np.ndarray) -> np.ndarray:
    order = np.argsort(p, kind="stable")
    m = len(p)
    adjusted = np.maximum.accumulate(np.minimum(1.0, (m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = adjusted
    return out


def _bh(p: np.ndarray) -> np.ndarray:
    order = np.argsort(p, kind="stable")
    m = len(p)
    scaled = p[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum(1.0, np.minimum.accumulate(scaled[::-1])[::-1])
    out = np.empty(m)
    out[order] = adjusted
    return out


def test_p_values_equal_scipy_and_corrections():
    lines = order_lines(seed=3, orders=300)
    sets = frequent_itemsets(lines, min_support=0.03)
    n = sets.n_baskets
    # Every candidate rule (confidence >= 0 keeps them all): the family.
    fisher = association_rules(sets, min_threshold=0.0, p_value="fisher").to_pandas()
    chi2 = association_rules(sets, min_threshold=0.0, p_value="chi2").to_pandas()
    assert len(fisher) > 20
    for i in range(0, len(fisher), max(1, len(fisher) // 15)):
        a, c, ac = (int(fisher[k][i]) for k in ("antecedent_count", "consequent_count", "count"))
        table = [[ac, a - ac], [c - ac, n - a - c + ac]]
        assert fisher["p_value"][i] == pytest.approx(fisher_exact(table, alternative="greater").pvalue, rel=1e-9)
        if min(a, c) < n:
            want = chi2_contingency(table, correction=False).pvalue
            assert chi2["p_value"][i] == pytest.approx(want, rel=1e-7, abs=1e-300)
    p = fisher["p_value"].to_numpy()
    for name, fix in [("bonferroni", lambda x: np.minimum(1.0, x * len(x))), ("holm", _holm), ("bh", _bh)]:
        got = association_rules(sets, min_threshold=0.0, p_value="fisher", correction=name).to_pandas()
        np.testing.assert_allclose(got["p_value_adjusted"].to_numpy(), fix(p), rtol=1e-12)
    # The family is every candidate, also when the threshold keeps fewer.
    strong = association_rules(sets, min_threshold=0.5, p_value="fisher", correction="bonferroni").to_pandas()
    np.testing.assert_allclose(strong["p_value_adjusted"], np.minimum(1.0, strong["p_value"] * len(p)), rtol=1e-12)
    assert "p_value" not in association_rules(sets, min_threshold=0.5).to_pandas()


def test_closed_and_maximal_follow_from_all_itemsets():
    lines = order_lines(seed=4, orders=150, products=8)
    every = ours_itemsets(frequent_itemsets(lines, min_support=0.02))
    closed = {s for s, (_, c) in every.items() if not any(s < t and every[t][1] == c for t in every)}
    maximal = {s for s in every if not any(s < t for t in every)}
    assert set(ours_itemsets(frequent_itemsets(lines, min_support=0.02, closed=True))) == closed
    assert set(ours_itemsets(frequent_itemsets(lines, min_support=0.02, maximal=True))) == maximal
    assert len(maximal) < len(closed) <= len(every)


def test_libraries_in_and_out_and_row_order():
    lines = order_lines(seed=5)
    base = frequent_itemsets(lines, min_support=0.05)
    shuffled = frequent_itemsets(lines.sample(frac=1.0, random_state=9), min_support=0.05)
    assert base.to_arrow().equals(shuffled.to_arrow())
    as_polars = frequent_itemsets(pl.from_pandas(lines), min_support=0.05)
    assert isinstance(as_polars.itemsets, pl.DataFrame)
    as_arrow = frequent_itemsets(pa.Table.from_pandas(lines), min_support=0.05)
    assert isinstance(as_arrow.itemsets, pa.Table)
    assert isinstance(base.itemsets, pd.DataFrame)
    assert ours_itemsets(as_polars) == ours_itemsets(base) == ours_itemsets(as_arrow)
    categorical = lines.assign(product=lines["product"].astype("category"))
    assert ours_itemsets(frequent_itemsets(categorical, min_support=0.05)) == ours_itemsets(base)
    # Integer product ids come back as integers; a count as min_support.
    ints = lines.assign(product=lines["product"].str[1:].astype("int64"))
    got = frequent_itemsets(ints, min_support=20)
    assert got.min_count == 20
    assert all(isinstance(x, (int, np.integer)) for s in got.itemsets["itemset"] for x in s)
    rules = association_rules(frequent_itemsets(pl.from_pandas(lines), min_support=0.05), min_threshold=0.3)
    assert isinstance(rules.rules, pl.DataFrame)


def test_null_lines_are_left_out_and_reported():
    lines = pd.DataFrame(
        {"order_id": [1, 1, None, 2, 2, 3], "product": ["a", "b", "a", "a", None, "b"]},
    )
    with pytest.warns(RowsLeftOutWarning, match="2 of 6 rows left out"):
        sets = frequent_itemsets(lines, min_support=1)
    assert sets.input_report["left_out"] == {"null_order": 1, "null_product": 1}
    assert sets.input_report["rows_used"] == 4
    # Baskets {a, b}, {a}, {b}: orders 1, 2, 3 (order ids were floats).
    assert ours_itemsets(sets) == {
        frozenset({"a"}): (2 / 3, 2),
        frozenset({"b"}): (2 / 3, 2),
        frozenset({"a", "b"}): (1 / 3, 1),
    }


def test_hierarchy_mines_categories():
    lines = order_lines(seed=6)
    category = {f"p{i:02d}": f"c{i % 4}" for i in range(12)}
    expected_lines = lines.assign(product=lines["product"].map(category))
    expected = ours_itemsets(frequent_itemsets(expected_lines, min_support=0.05))
    assert ours_itemsets(frequent_itemsets(lines, min_support=0.05, hierarchy=category)) == expected
    assert ours_itemsets(frequent_itemsets(lines, min_support=0.05, hierarchy=pd.Series(category))) == expected
    table = pd.DataFrame({"product": list(category), "family": list(category.values())})
    assert ours_itemsets(frequent_itemsets(lines, min_support=0.05, hierarchy=table, level="family")) == expected
    # One product without a category: its lines are left out, reported.
    partial = {k: v for k, v in category.items() if k != "p00"}
    with pytest.warns(RowsLeftOutWarning, match="product not in hierarchy"):
        got = frequent_itemsets(lines, min_support=0.05, hierarchy=partial)
    assert got.input_report["left_out"]["product_not_in_hierarchy"] == int((lines["product"] == "p00").sum())
    with pytest.raises(InvalidInputError, match="hierarchy: product 'p00' has more than one category"):
        frequent_itemsets(lines, hierarchy=pd.concat([table, table.head(1).assign(family="x")]), level="family")
    with pytest.raises(InvalidParameterError, match="level"):
        frequent_itemsets(lines, hierarchy=table)
    with pytest.raises(InvalidParameterError, match="level"):
        frequent_itemsets(lines, level="family")
    with pytest.raises(ColumnTypeError, match="hierarchy"):
        frequent_itemsets(lines, hierarchy={"p00": "c0", 1: "c1"})


def test_item_filters():
    lines = order_lines(seed=7)
    every = ours_itemsets(frequent_itemsets(lines, min_support=0.03))
    only = ours_itemsets(frequent_itemsets(lines, min_support=0.03, items=["p00", "p01", "p02"]))
    assert only == {s: v for s, v in every.items() if s <= {"p00", "p01", "p02"}}
    without = ours_itemsets(frequent_itemsets(lines, min_support=0.03, exclude=["p00"]))
    assert without == {s: v for s, v in every.items() if "p00" not in s}


def test_progress_and_outputs():
    lines = order_lines(seed=8)
    seen = []
    sets = frequent_itemsets(lines, min_support=0.03, progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1][0] == seen[-1][1]
    rules = association_rules(sets, metric="lift", min_threshold=1.2)
    text = rules.to_text().splitlines()
    assert len(text) == len(rules) and " => " in text[0] and "lift=" in text[0]
    sql = rules.to_sql(table="lines", order="order_id", product="product")
    assert sql.count("UNION ALL") == len(rules) - 1 and 'HAVING COUNT(DISTINCT "product")' in sql
    assert "<table" in sets._repr_html_() and "<table" in rules._repr_html_()
    assert repr(sets).startswith("FrequentItemsets(")


def test_sql_finds_the_orders_holding_each_antecedent():
    import sqlite3

    lines = order_lines(seed=9, orders=60, products=6)
    rules = association_rules(frequent_itemsets(lines, min_support=0.1, max_len=3), min_threshold=0.6)
    assert 0 < len(rules) < 500  # SQLite's limit of terms in a compound SELECT
    con = sqlite3.connect(":memory:")
    lines.to_sql("order_lines", con, index=False)
    rows = con.execute(rules.to_sql()).fetchall()
    baskets = lines.groupby("order_id")["product"].agg(set)
    got = pd.Series([r[1] for r in rows]).value_counts()
    for k, a in enumerate(rules.rules["antecedents"], start=1):
        want = int(baskets.map(lambda b, a=a: set(a) <= b).sum())
        assert got.get(k, 0) == want


def test_errors_name_the_argument():
    lines = order_lines(seed=10, orders=50)
    with pytest.raises(ColumnNotFoundError, match="sku"):
        frequent_itemsets(lines, product="sku")
    for bad in (0.0, 1.5, -1, 0, True, "0.1", float("nan")):
        with pytest.raises(InvalidParameterError, match="min_support"):
            frequent_itemsets(lines, min_support=bad)
    with pytest.raises(InvalidParameterError, match="max_len"):
        frequent_itemsets(lines, max_len=0)
    with pytest.raises(InvalidParameterError, match="maximal"):
        frequent_itemsets(lines, closed=True, maximal=True)
    with pytest.raises(InvalidParameterError, match="product"):
        frequent_itemsets(lines, order="product")
    with pytest.raises(ColumnTypeError, match="product"):
        frequent_itemsets(lines.assign(product=0.5), min_support=0.1)
    with pytest.raises(ColumnTypeError, match="lines"):
        frequent_itemsets(lines["product"])
    with pytest.raises(InvalidInputError, match="lines"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RowsLeftOutWarning)
        frequent_itemsets(lines.assign(product=None))
    with pytest.raises(InvalidParameterError, match="items"):
        frequent_itemsets(lines, items="p00")
    sets = frequent_itemsets(lines, min_support=0.1)
    with pytest.raises(InvalidParameterError, match="metric"):
        association_rules(sets, metric="lifts")
    with pytest.raises(InvalidParameterError, match="min_threshold"):
        association_rules(sets, min_threshold=float("nan"))
    with pytest.raises(InvalidParameterError, match="consequents"):
        association_rules(sets, consequents="one")
    with pytest.raises(InvalidParameterError, match="p_value"):
        association_rules(sets, p_value="exact")
    with pytest.raises(InvalidParameterError, match="correction"):
        association_rules(sets, correction="holm")
    with pytest.raises(InvalidParameterError, match="correction"):
        association_rules(sets, p_value="fisher", correction="fdr")
    with pytest.raises(InvalidInputError, match="itemsets"):
        association_rules(sets.to_pandas())
    with pytest.raises(InvalidInputError, match="itemsets"):
        association_rules(frequent_itemsets(lines, min_support=0.1, closed=True))


def test_streams_dicts_and_a_failing_progress_callback():
    lines = order_lines(seed=11, orders=100)
    base = ours_itemsets(frequent_itemsets(lines, min_support=0.05))
    table = pa.Table.from_pandas(lines)
    reader = pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=37))
    assert ours_itemsets(frequent_itemsets(reader, min_support=0.05)) == base
    as_dict = {"order_id": lines["order_id"].to_numpy(), "product": lines["product"].tolist()}
    assert ours_itemsets(frequent_itemsets(as_dict, min_support=0.05)) == base

    def boom(done: int, total: int) -> None:
        raise RuntimeError("stop mining")

    with pytest.raises(RuntimeError, match="stop mining"):
        frequent_itemsets(lines, min_support=0.05, progress=boom)
    with pytest.raises(InvalidParameterError, match="progress"):
        frequent_itemsets(lines, progress="yes")


@pytest.mark.parametrize(
    "lines, error, message",
    [
        (pd.DataFrame({"order_id": [1, 1], "product": [True, False]}), ColumnTypeError, "product"),
        (pa.table({"order_id": [1, 1], "product": [[1], [2]]}), ColumnTypeError, "product"),
        (pd.DataFrame({"order_id": [1, 1], "product": ["a", 1]}), ColumnTypeError, "product"),
        (pd.DataFrame({"order_id": [1.5, 2.0], "product": ["a", "b"]}), ColumnTypeError, "order_id"),
        (
            pa.table({"order_id": pa.array([2**64 - 1, 1], pa.uint64()), "product": ["a", "b"]}),
            ColumnTypeError,
            "order_id",
        ),
        (pd.DataFrame({"order_id": [], "product": []}), InvalidInputError, "lines"),
    ],
)
def test_bad_columns_are_named(lines, error, message):
    with pytest.raises(error, match=message):
        frequent_itemsets(lines, min_support=0.5)


def test_float16_and_dictionary_ids():
    expected = {frozenset({5}): (1.0, 2), frozenset({6}): (0.5, 1), frozenset({5, 6}): (0.5, 1)}
    half = pa.table({"order_id": pa.array([1, 1, 2], pa.float16()), "product": pa.array([5, 6, 5]).dictionary_encode()})
    assert ours_itemsets(frequent_itemsets(half, min_support=0.5)) == expected
