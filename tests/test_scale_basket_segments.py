"""ciblage.spark.frequent_itemsets and ciblage.dask.frequent_itemsets with
``segments=`` (SON, two passes over partitions, per customer segment)
equal the local call on the same lines: same segments, itemsets, counts,
supports, input report, rules; errors of the same classes and messages.
Few and small: the engines are shared session fixtures."""

from __future__ import annotations

import warnings
from itertools import combinations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from ciblage.basket import association_rules, frequent_itemsets
from ciblage.exceptions import ColumnTypeError, InvalidInputError, InvalidParameterError, RowsLeftOutWarning


def _lines(n: int = 500, orders: int = 120, customers: int = 40, seed: int = 5) -> pd.DataFrame:
    """Order lines over 9 products (skewed), each order of one customer but
    order 0 shared by customers 0 and 1 (two segments: a basket in each);
    order 0's lines at both ends of the frame."""
    rng = np.random.default_rng(seed)
    order = rng.integers(0, orders, n)
    order[0] = order[-1] = 0
    customer = order % customers
    customer[-1] = 1
    product = np.minimum(rng.geometric(0.3, n) - 1, 8)
    return pd.DataFrame(
        {"order_id": [f"o{o}" for o in order], "product": [f"p{p}" for p in product], "customer_id": customer}
    )


def _labelling(customers: int = 40) -> pd.DataFrame:
    """Customers 0..customers-1 in three segments, by their id modulo 3;
    customers 35.. have none (36, 37: absent from the table; 35: a null
    label); segment "z" labels customer 500, who has no line."""
    ids = [c for c in range(customers) if c not in (36, 37)] + [500]
    labels = [["gold", "silver", "bronze"][c % 3] for c in ids]
    labels[ids.index(35)] = None
    labels[-1] = "z"
    return pd.DataFrame({"customer_id": ids, "segment": labels})


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


def _run(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RowsLeftOutWarning)
        return fn(*args, **kwargs)


def _same(got, want) -> None:
    assert got.to_arrow().equals(want.to_arrow()), (got.to_arrow(), want.to_arrow())
    assert got.input_report == want.input_report
    assert (got.n_baskets, got.min_count, got.kind) == (want.n_baskets, want.min_count, want.kind)
    assert got.baskets_by_segment == want.baskets_by_segment
    assert list(got.itemsets.columns) == list(want.itemsets.columns)


def _brute(df: pd.DataFrame, labelling: pd.DataFrame, share: float) -> dict[tuple, int]:
    """Every (segment, itemset)'s basket count, basket by basket, from the
    lines of each segment's customers grouped by order (an independent
    count), kept at ceil(share × the segment's baskets)."""
    label = dict(zip(labelling["customer_id"], labelling["segment"], strict=True))
    seg = df["customer_id"].map(label)
    found: dict[tuple, int] = {}
    for s, lines in df[seg.notna()].groupby(seg[seg.notna()]):
        baskets = [frozenset(g) for _, g in lines.groupby("order_id")["product"]]
        least = int(np.ceil(share * len(baskets) - 1e-9))
        counts: dict[tuple, int] = {}
        for b in baskets:
            for k in range(1, len(b) + 1):
                for items in combinations(sorted(b), k):
                    counts[items] = counts.get(items, 0) + 1
        found.update({(s, *items): c for items, c in counts.items() if c >= least})
    return found


@pytest.mark.parametrize(
    "kwargs",
    [
        {"min_support": 0.1},
        {"min_support": 3, "max_len": 2},
        {"min_support": 0.05, "closed": True},
        {"min_support": 0.05, "maximal": True, "exclude": ["p1"]},
        {"min_support": 2, "items": ["p0", "p1", "p2", "p3"]},
        {"min_support": 1.0},
    ],
)
def test_equals_the_local_call_by_segment(engine, kwargs) -> None:
    make, adapter = engine
    df, labelling = _lines(), _labelling()
    got = _run(adapter, make(df), segments=labelling, **kwargs)
    want = _run(frequent_itemsets, df, segments=labelling, **kwargs)
    _same(got, want)
    report = got.input_report
    # Customers 35 (a null label), 36 and 37 (absent) have no segment.
    assert report["left_out"]["customer_without_segment"] == int(df["customer_id"].isin([35, 36, 37]).sum())
    assert report["segments"] == 4 and got.baskets_by_segment["z"] == 0
    if kwargs == {"min_support": 0.1}:
        found = {
            (s, *sorted(items)): c
            for s, items, c in zip(got.itemsets["segment"], got.itemsets["itemset"], got.itemsets["count"], strict=True)
        }
        assert found == _brute(df, labelling, 0.1)
    if got.kind == "all":
        rules = association_rules(got, metric="lift", min_threshold=0.9, p_value="fisher", correction="bh")
        local = association_rules(want, metric="lift", min_threshold=0.9, p_value="fisher", correction="bh")
        assert rules.to_arrow().equals(local.to_arrow())


def test_uneven_empty_partitions_one_segment_and_null_customers(engine) -> None:
    make, adapter = engine
    df = _lines(n=160, orders=30, seed=9)
    df["customer_id"] = df["customer_id"].astype("float64")
    df.loc[[4, 50], "customer_id"] = np.nan  # null customers: left out, reported
    df.loc[[7], "product"] = None
    one = pd.DataFrame({"customer_id": sorted(df["customer_id"].dropna().unique().astype(int)), "segment": "all"})
    # Many more partitions than baskets: most are empty, the rest uneven.
    got = _run(adapter, make(df, 5), min_support=0.2, partitions=40, segments=one)
    want = _run(frequent_itemsets, df, min_support=0.2, segments=one)
    _same(got, want)
    assert got.input_report["left_out"]["null_customer"] == 2
    assert got.input_report["left_out"]["null_product"] == 1
    assert set(got.itemsets["segment"]) == {"all"}


def test_a_result_with_a_customers_table_and_column_names(engine) -> None:
    make, adapter = engine
    df = _lines(n=200, orders=50, seed=3).rename(columns={"customer_id": "who", "product": "sku"})
    tiers = pd.DataFrame({"who": np.arange(40), "tier": np.where(np.arange(40) < 10, 1, 2)})
    got = _run(adapter, make(df), product="sku", min_support=0.1, segments=tiers, customer="who", segment="tier")
    want = _run(frequent_itemsets, df, product="sku", min_support=0.1, segments=tiers, customer="who", segment="tier")
    _same(got, want)


def _error(fn, *args, **kwargs) -> tuple[type, str]:
    with pytest.raises((ValueError, TypeError)) as info:
        _run(fn, *args, **kwargs)
    return type(info.value), str(info.value)


def test_bad_segments_raise_the_local_errors(engine) -> None:
    make, adapter = engine
    df = _lines(n=60, orders=15)
    labelling = _labelling()
    cases = [
        {"segments": labelling.rename(columns={"segment": "label"})},
        {"segments": pd.concat([labelling, labelling.iloc[:1]])},
        {"segments": labelling.assign(segment=None)},
        {"segments": labelling.iloc[:0]},
        {"segments": labelling, "customer": "order_id"},
        {"segments": labelling, "customer": "nope"},
        {"segments": labelling, "segment": 3},
        {"segments": labelling.assign(customer_id=labelling["customer_id"].astype(str))},
        {"segments": labelling, "min_support": 0.0},
        {"segments": pd.DataFrame({"customer_id": [999], "segment": ["x"]})},
    ]
    for kwargs in cases:
        want = _error(frequent_itemsets, df, **kwargs)
        assert _error(adapter, make(df), **kwargs) == want, kwargs
    kinds = {_error(frequent_itemsets, df, **kwargs)[0] for kwargs in cases}
    assert kinds >= {InvalidInputError, InvalidParameterError, ColumnTypeError}
