"""ciblage.spark.frequent_itemsets and ciblage.dask.frequent_itemsets (SON,
two passes over partitions) equal the local call on the same lines: same
itemsets, counts, supports, input report, rules; errors of the same
classes and messages. Few and small: the engines are shared session
fixtures. The two-pass counting itself is property-tested in Rust
(crates/ciblage/src/basket/candidates_tests.rs)."""

from __future__ import annotations

import warnings
from itertools import combinations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from ciblage.basket import association_rules, frequent_itemsets
from ciblage.exceptions import (
    ColumnNotFoundError,
    InvalidInputError,
    InvalidParameterError,
    RowsLeftOutWarning,
)


def _lines(n: int = 400, orders: int = 90, seed: int = 5, strings: bool = True) -> pd.DataFrame:
    """Order lines over 9 products, skewed (product 0 in many baskets),
    with repeated lines; order 0's lines are at both ends of the frame (cut
    across the input partitions)."""
    rng = np.random.default_rng(seed)
    order = rng.integers(0, orders, n)
    order[0] = order[-1] = 0
    product = np.minimum(rng.geometric(0.3, n) - 1, 8)
    if strings:
        return pd.DataFrame({"order_id": [f"o{o}" for o in order], "product": [f"p{p}" for p in product]})
    return pd.DataFrame({"order_id": order * 1_000_003, "product": product + 10})


@pytest.fixture(params=["spark", "dask"])
def engine(request):
    """(frame maker, adapter) of one engine, on its shared session."""
    if request.param == "spark":
        spark = request.getfixturevalue("spark")
        import ciblage.spark

        def make(df: pd.DataFrame, k: int = 3):
            return spark.createDataFrame(pa.Table.from_pandas(df, preserve_index=False)).repartition(k)

        return make, ciblage.spark.frequent_itemsets
    request.getfixturevalue("dask_client")
    import dask.dataframe as dd

    import ciblage.dask

    return (lambda df, k=3: dd.from_pandas(df, npartitions=k, sort=False)), ciblage.dask.frequent_itemsets


def _same(got, want) -> None:
    assert got.to_arrow().equals(want.to_arrow()), (got.to_arrow(), want.to_arrow())
    assert got.input_report == want.input_report
    assert (got.n_baskets, got.min_count, got.kind) == (want.n_baskets, want.min_count, want.kind)


def _brute(df: pd.DataFrame, min_count: int) -> dict[tuple, int]:
    """Every itemset's basket count, basket by basket (an independent count)."""
    baskets = [frozenset(g) for _, g in df.groupby("order_id")["product"]]
    counts: dict[tuple, int] = {}
    for b in baskets:
        for k in range(1, len(b) + 1):
            for s in combinations(sorted(b), k):
                counts[s] = counts.get(s, 0) + 1
    return {s: c for s, c in counts.items() if c >= min_count}


@pytest.mark.parametrize(
    ("strings", "kwargs"),
    [
        (True, {"min_support": 0.1}),
        (False, {"min_support": 3, "max_len": 2}),
        (True, {"min_support": 1.0}),
        (False, {"min_support": 1e-9}),
        (True, {"min_support": 0.05, "closed": True}),
        (True, {"min_support": 0.05, "maximal": True, "exclude": ["p1"]}),
        (False, {"min_support": 2, "items": [10, 11, 12, 13]}),
        (True, {"min_support": 10_000}),
    ],
)
def test_equals_the_local_call(engine, strings, kwargs) -> None:
    make, adapter = engine
    df = _lines(strings=strings)
    got = adapter(make(df), **kwargs)
    want = frequent_itemsets(df, **kwargs)
    _same(got, want)
    if not any(k in kwargs for k in ("closed", "maximal", "items", "exclude", "max_len")):
        # The counts against a count basket by basket, not our own miner.
        expected = _brute(df, want.min_count)
        found = {tuple(sorted(s)): c for s, c in zip(got.itemsets["itemset"], got.itemsets["count"], strict=True)}
        assert found == expected
    if got.kind == "all":
        rules = association_rules(got, metric="lift", min_threshold=0.9, p_value="fisher", correction="bh")
        local = association_rules(want, metric="lift", min_threshold=0.9, p_value="fisher", correction="bh")
        assert rules.to_arrow().equals(local.to_arrow())


def test_uneven_and_empty_partitions_and_one_product_in_every_basket(engine) -> None:
    make, adapter = engine
    df = _lines(n=120, orders=25, seed=9, strings=False)
    # Product 99 in every basket: an itemset of support 1.
    every = pd.DataFrame({"order_id": df["order_id"].unique(), "product": 99})
    df = pd.concat([df, every], ignore_index=True)
    # Many more partitions than baskets: most are empty, the rest uneven.
    got = adapter(make(df, 5), min_support=0.2, partitions=40)
    want = frequent_itemsets(df, min_support=0.2)
    _same(got, want)
    assert got.itemsets["support"].iloc[list(got.itemsets["itemset"].map(list)).index([99])] == 1.0


def test_rows_left_out_are_reported_as_locally(engine) -> None:
    make, adapter = engine
    df = _lines(n=150, orders=30, seed=2)
    df.loc[[3, 40, 77], "product"] = None
    df.loc[[5, 41], "order_id"] = None
    with pytest.warns(RowsLeftOutWarning):
        got = adapter(make(df), min_support=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RowsLeftOutWarning)
        want = frequent_itemsets(df, min_support=0.1)
    _same(got, want)
    assert got.input_report["left_out"] == {"null_order": 2, "null_product": 3}


def test_hierarchy_level(engine) -> None:
    make, adapter = engine
    df = _lines(n=200, orders=40, seed=4)
    hierarchy = {f"p{i}": ("even" if i % 2 == 0 else "odd") for i in range(8)}  # p8 has no category
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RowsLeftOutWarning)
        got = adapter(make(df), min_support=0.2, hierarchy=hierarchy)
        want = frequent_itemsets(df, min_support=0.2, hierarchy=hierarchy)
    _same(got, want)


def _error(fn, *args, **kwargs) -> tuple[type, str]:
    with pytest.raises((ValueError, TypeError)) as info:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RowsLeftOutWarning)
            fn(*args, **kwargs)
    return type(info.value), str(info.value)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"min_support": 0.0},
        {"min_support": 1.5},
        {"min_support": 0},
        {"min_support": True},
        {"max_len": 0},
        {"closed": True, "maximal": True},
        {"product": "sku"},
        {"order": "product"},
        {"level": "x"},
        {"items": "p1"},
    ],
)
def test_errors_are_the_local_ones(engine, kwargs) -> None:
    make, adapter = engine
    df = _lines(n=40, orders=10)
    assert _error(adapter, make(df), **kwargs) == _error(frequent_itemsets, df, **kwargs)


def test_no_line_to_mine_and_unsupported_input(engine) -> None:
    make, adapter = engine
    df = pd.DataFrame({"order_id": ["a", None, "b"], "product": [None, "x", None]})
    got = _error(adapter, make(df))
    assert got == _error(frequent_itemsets, df)
    assert got[0] is InvalidInputError
    empty = pd.DataFrame({"order_id": pd.Series([], dtype="int64"), "product": pd.Series([], dtype="int64")})
    assert _error(adapter, make(empty)) == _error(frequent_itemsets, empty)
    # A bad row is found by a worker: the local error comes back.
    floats = pd.DataFrame({"order_id": [1.0, 1.5, 2.0], "product": [1, 2, 1]})
    assert _error(adapter, make(floats)) == _error(frequent_itemsets, floats)
    with pytest.raises(InvalidParameterError, match="invalid parameter lines"):
        adapter(_lines(n=20))
    with pytest.raises(ColumnNotFoundError):
        adapter(make(_lines(n=20)), order="nope")
