"""Per-segment rule mining (``frequent_itemsets(..., segments=...)``) against
mlxtend run on each segment's lines separately, and order lines read from
Arrow streams batch by batch."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ciblage.basket import MEASURES, association_rules, frequent_itemsets
from ciblage.exceptions import ColumnTypeError, InvalidInputError, InvalidParameterError, RowsLeftOutWarning

mlxtend = pytest.importorskip("mlxtend.frequent_patterns")

MLX_NAMES = {m: m.replace("_", " ") if m.endswith("_support") else m for m in MEASURES}


def segmented_lines(seed: int = 0, orders: int = 600) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Orders of 40 customers (ids 0..39) over 10 products; customers 0..35
    labelled in three segments with different tastes, 36..39 unlabelled."""
    rng = np.random.default_rng(seed)
    labels = {c: ["gold", "silver", "bronze"][c % 3] for c in range(36)}
    rows = []
    for o in range(orders):
        c = int(rng.integers(0, 40))
        # Each segment favours its own products.
        shift = {"gold": 0, "silver": 3, "bronze": 6}.get(labels.get(c, ""), 1)
        weights = np.roll(1.0 / np.arange(1, 11), shift)
        size = int(rng.integers(1, 6))
        basket = rng.choice(10, size=size, replace=False, p=weights / weights.sum())
        rows += [(o * 3 + 1, c, f"p{int(p)}") for p in basket]
    lines = pd.DataFrame(rows, columns=["order_id", "customer_id", "product"])
    lines = lines.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    segments = pd.DataFrame({"customer_id": list(labels), "segment": list(labels.values())})
    return lines, segments


def _one_hot(lines: pd.DataFrame) -> pd.DataFrame:
    return pd.crosstab(lines["order_id"], lines["product"]).astype(bool)


def _mlx_rules(lines: pd.DataFrame, min_support: float, metric: str, threshold: float) -> pd.DataFrame:
    hot = _one_hot(lines)
    freq = mlxtend.fpgrowth(hot, min_support=min_support, use_colnames=True)
    return mlxtend.association_rules(freq, num_itemsets=len(hot), metric=metric, min_threshold=threshold)


def test_each_segment_equals_mlxtend_on_its_own_lines() -> None:
    lines, segments = segmented_lines()
    with pytest.warns(RowsLeftOutWarning, match="customer without segment"):
        sets = frequent_itemsets(lines, min_support=0.05, segments=segments)
    table = sets.to_pandas()
    assert list(table.columns) == ["segment", "itemset", "support", "count"]
    assert list(table["segment"].unique()) == ["bronze", "gold", "silver"]
    labelled = lines.merge(segments, on="customer_id")
    rules = association_rules(sets, metric="lift", min_threshold=1.0).to_pandas()
    assert list(rules.columns[:3]) == ["segment", "antecedents", "consequents"]
    for name, part in labelled.groupby("segment"):
        hot = _one_hot(part)
        assert sets.baskets_by_segment[name] == len(hot)
        mine = table[table["segment"] == name]
        want = mlxtend.fpgrowth(hot, min_support=0.05, use_colnames=True)
        assert {frozenset(s): v for s, v in zip(mine["itemset"], mine["support"], strict=True)} == pytest.approx(
            {frozenset(s): v for s, v in zip(want["itemsets"], want["support"], strict=True)}, rel=1e-12
        )
        expected = _mlx_rules(part, 0.05, "lift", 1.0)
        got = rules[rules["segment"] == name]
        assert len(got) == len(expected) > 0
        index = {
            (frozenset(a), frozenset(c)): i
            for i, (a, c) in zip(got.index, zip(got["antecedents"], got["consequents"], strict=True), strict=True)
        }
        for _, row in expected.iterrows():
            i = index[(frozenset(row["antecedents"]), frozenset(row["consequents"]))]
            for m in MEASURES:
                want_m = row[MLX_NAMES[m]]
                if math.isinf(want_m):
                    assert got.loc[i, m] == want_m, m
                else:
                    assert got.loc[i, m] == pytest.approx(want_m, rel=1e-9, abs=1e-12), m
    report = sets.input_report
    unlabelled = int((lines["customer_id"] >= 36).sum())
    assert report["left_out"]["customer_without_segment"] == unlabelled
    assert report["rows_read"] == len(lines)
    assert report["rows_used"] == len(lines) - unlabelled
    assert report["segments"] == 3
    assert sets.n_baskets == sum(sets.baskets_by_segment.values())


def test_segments_equal_mining_each_segment_separately_with_us() -> None:
    lines, segments = segmented_lines(seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RowsLeftOutWarning)
        sets = frequent_itemsets(lines, min_support=3, segments=segments, max_len=3)
        rules = association_rules(sets, min_threshold=0.2, p_value="fisher", correction="holm").to_pandas()
    labelled = lines.merge(segments, on="customer_id")
    for name, part in labelled.groupby("segment"):
        alone = frequent_itemsets(part[["order_id", "product"]], min_support=3, max_len=3)
        want = association_rules(alone, min_threshold=0.2, p_value="fisher", correction="holm").to_pandas()
        got = rules[rules["segment"] == name].drop(columns="segment").reset_index(drop=True)
        pd.testing.assert_frame_equal(
            got.drop(columns=["antecedents", "consequents"]), want.drop(columns=["antecedents", "consequents"])
        )
        assert [list(a) for a in got["antecedents"]] == [list(a) for a in want["antecedents"]]
        assert [list(c) for c in got["consequents"]] == [list(c) for c in want["consequents"]]
    text = association_rules(sets, min_threshold=0.2).to_text()
    assert text.splitlines()[0].startswith("[bronze] {")


def test_orders_spread_over_segments_and_bad_labellings() -> None:
    # Order 1 has lines of customer 10 (segment a) and 20 (segment b).
    lines = pd.DataFrame(
        {"order_id": [1, 1, 1, 2, 2], "customer_id": [10, 10, 20, 20, 20], "product": ["x", "y", "z", "y", "z"]}
    )
    segments = pd.DataFrame({"customer_id": [10, 20], "segment": ["a", "b"]})
    sets = frequent_itemsets(lines, min_support=1, segments=segments).to_pandas()
    got = {(s, frozenset(i)): c for s, i, c in zip(sets["segment"], sets["itemset"], sets["count"], strict=True)}
    # Segment a: one basket {x, y}; segment b: baskets {z} and {y, z}.
    assert got == {
        ("a", frozenset({"x"})): 1,
        ("a", frozenset({"y"})): 1,
        ("a", frozenset({"x", "y"})): 1,
        ("b", frozenset({"y"})): 1,
        ("b", frozenset({"z"})): 2,
        ("b", frozenset({"y", "z"})): 1,
    }
    with pytest.raises(InvalidInputError, match="segments"):
        frequent_itemsets(lines, segments=pd.DataFrame({"customer_id": [10], "segment": [None]}))
    with pytest.raises(ColumnTypeError, match="customer_id"):
        frequent_itemsets(lines, segments=pd.DataFrame({"customer_id": ["10"], "segment": ["a"]}))
    with pytest.raises(InvalidParameterError, match="customer"):
        frequent_itemsets(lines, segments=segments, customer="order_id")
    with pytest.raises(InvalidInputError, match="no line of a customer with a segment"):
        frequent_itemsets(lines, segments=pd.DataFrame({"customer_id": [99], "segment": ["a"]}))
    # A null customer is left out and counted.
    with_null = pd.DataFrame({"order_id": [1, 1, 2], "customer_id": [10.0, 10.0, np.nan], "product": ["x", "y", "x"]})
    with pytest.warns(RowsLeftOutWarning):
        r = frequent_itemsets(with_null, min_support=1, segments=segments).input_report
    assert r["left_out"]["null_customer"] == 1 and r["rows_used"] == 2


def _reader(table: pa.Table, size: int) -> pa.RecordBatchReader:
    return pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=size))


def test_streams_are_read_batch_by_batch_with_the_results_of_a_table() -> None:
    lines, segments = segmented_lines(seed=5, orders=300)
    lines.loc[::17, "product"] = None  # null products, counted across batches
    table = pa.Table.from_pandas(lines, preserve_index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RowsLeftOutWarning)
        whole = frequent_itemsets(table, min_support=0.04)
        rules = association_rules(whole, min_threshold=0.3).to_arrow()
        seen: list[int] = []

        def gen():
            for batch in table.to_batches(max_chunksize=53):
                seen.append(batch.num_rows)
                yield batch

        for stream in (_reader(table, 41), gen(), pl.from_arrow(table).lazy(), [lines[:100], lines[100:]]):
            got = frequent_itemsets(stream, min_support=0.04)
            assert got.to_arrow().equals(whole.to_arrow())
            assert got.input_report == whole.input_report
            assert association_rules(got, min_threshold=0.3).to_arrow().equals(rules)
        assert sum(seen) == len(lines) and len(seen) > 1
        # Per segment from a stream as well.
        seg_whole = frequent_itemsets(table, min_support=0.05, segments=segments)
        seg_stream = frequent_itemsets(_reader(table, 29), min_support=0.05, segments=segments)
    assert seg_stream.to_arrow().equals(seg_whole.to_arrow())
    assert seg_stream.input_report == seg_whole.input_report
    assert whole.input_report["left_out"]["null_product"] == int(lines["product"].isna().sum())


def test_a_stream_whose_batches_change_type_is_refused_naming_the_column() -> None:
    a = pa.record_batch({"order_id": pa.array([1, 2], pa.int64()), "product": ["x", "y"]})
    b = pa.record_batch({"order_id": ["3", "4"], "product": ["x", "y"]})
    with pytest.raises(ColumnTypeError, match="lines"):
        frequent_itemsets(iter([a, b]), min_support=1)


def test_ctrl_c_stops_between_batches() -> None:
    lines, segments = segmented_lines(seed=7, orders=200)
    table = pa.Table.from_pandas(lines, preserve_index=False)
    read = []

    def batches():
        for i, batch in enumerate(table.to_batches(max_chunksize=100)):
            read.append(i)
            if i == 2:
                raise KeyboardInterrupt
            yield batch

    with pytest.raises(KeyboardInterrupt):
        frequent_itemsets(batches(), min_support=0.05, segments=segments)
    assert read == [0, 1, 2]
    read.clear()
    from ciblage.basket import segment_affinity

    with pytest.raises(KeyboardInterrupt):
        segment_affinity(batches(), segments, amount="order_id")
    assert read == [0, 1, 2]


def test_repr_names_the_segments() -> None:
    lines, segments = segmented_lines(seed=8, orders=100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RowsLeftOutWarning)
        sets = frequent_itemsets(lines, min_support=0.2, segments=segments)
    assert "segments=3" in repr(sets)
    assert "segment" in sets._repr_html_()


@settings(max_examples=20, deadline=None)
@given(
    rows=st.lists(st.tuples(st.integers(0, 12), st.integers(0, 5), st.sampled_from("abcde")), min_size=1, max_size=60),
    labels=st.lists(st.sampled_from(["s1", "s2", "s3", None]), min_size=6, max_size=6),
    min_count=st.integers(1, 3),
)
def test_random_lines_equal_each_segment_mined_by_mlxtend(rows, labels, min_count) -> None:
    lines = pd.DataFrame(rows, columns=["order_id", "customer_id", "product"])
    segments = pd.DataFrame({"customer_id": range(6), "segment": labels})
    labelled = lines.merge(segments.dropna(), on="customer_id")
    if labelled.empty:
        with pytest.raises(InvalidInputError):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RowsLeftOutWarning)
                frequent_itemsets(lines, min_support=min_count, segments=segments)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RowsLeftOutWarning)
        sets = frequent_itemsets(lines, min_support=min_count, segments=segments)
    table = sets.to_pandas()
    got = {(s, frozenset(i)): c for s, i, c in zip(table["segment"], table["itemset"], table["count"], strict=True)}
    want = {}
    for name, part in labelled.groupby("segment"):
        hot = _one_hot(part)
        if min_count > len(hot):
            continue  # no itemset reaches the count
        # mlxtend takes a share: min_count / baskets (a hair below, so that the
        # float product does not round up past the count).
        found = mlxtend.fpgrowth(hot, min_support=(min_count - 0.5) / len(hot), use_colnames=True)
        for s, sup in zip(found["itemsets"], found["support"], strict=True):
            want[(name, frozenset(s))] = round(sup * len(hot))
    assert got == want


def test_a_stream_is_not_gathered_whole() -> None:
    """Batches made fresh by a generator are released once coded: the
    Arrow memory held while the last batch is read stays that of a few
    batches, not of all of them (the coded lines live in the native
    core, outside Arrow's pool)."""
    rng = np.random.default_rng(0)
    n_batches, size = 16, 40_000
    held: list[int] = []

    def gen():
        for b in range(n_batches):
            orders = np.arange(b * size, (b + 1) * size) // 3
            products = pa.array([f"product-{p:06d}" for p in rng.integers(0, 500, size)])
            customers = orders % 97
            batch = pa.record_batch({"order_id": orders, "customer_id": customers, "product": products})
            held.append(pa.total_allocated_bytes())
            yield batch

    one = pa.record_batch(
        {"order_id": np.arange(size), "customer_id": np.arange(size), "product": [f"product-{0:06d}"] * size}
    ).nbytes
    from ciblage.basket import segment_affinity

    base = pa.total_allocated_bytes()
    frequent_itemsets(gen(), min_support=0.01)
    assert held[-1] - base < 4 * one, (held, one)
    held.clear()
    segments = pd.DataFrame({"customer_id": range(97), "segment": [c % 4 for c in range(97)]})
    base = pa.total_allocated_bytes()
    segment_affinity(gen(), segments, amount="order_id")
    assert held[-1] - base < 4 * one, (held, one)
