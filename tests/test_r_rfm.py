"""Conformance with R ``rfm`` 0.3.0 on its own order data.

The data is R rfm's ``rfm_data_orders`` (MIT, see crates/ciblage/tests/data/README.md).
Expected numbers are R rfm's: its testthat suite (4906 orders, heatmap sum 12634,
Champions 158 / 1234 / 120178), its automatic thresholds, its frequency score counts
and the segment sizes of its two published segment tables, analysis date 2006-12-31.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import polars as pl
import pytest

import ciblage

DATA = Path(__file__).parent.parent / "crates/ciblage/tests/data/rfm_data_orders.csv"
AS_OF = "2006-12-31"

# R rfm's tests and 0.2.x docs (first match wins): name, R, F, M ranges (inclusive).
TEST_TABLE = [
    ("Champions", (4, 5), (4, 5), (4, 5)),
    ("Loyal Customers", (2, 5), (3, 5), (3, 5)),
    ("Potential Loyalist", (3, 5), (1, 3), (1, 3)),
    ("New Customers", (4, 5), (1, 1), (1, 1)),
    ("Promising", (3, 4), (1, 1), (1, 1)),
    ("Need Attention", (2, 3), (2, 3), (2, 3)),
    ("About To Sleep", (2, 3), (1, 2), (1, 2)),
    ("At Risk", (1, 2), (2, 5), (2, 5)),
    ("Can't Lose Them", (1, 1), (4, 5), (4, 5)),
    ("Lost", (1, 2), (1, 2), (1, 2)),
]
TEST_TABLE_SIZES = {
    "Loyal Customers": 278,
    "Potential Loyalist": 229,
    "Champions": 158,
    "Lost": 111,
    "At Risk": 86,
    "About To Sleep": 50,
    "Others": 48,
    "Need Attention": 35,
}

# R rfm 0.3.0 README and vignette.
README_TABLE = [
    ("Champions", (5, 5), (5, 5), (5, 5)),
    ("Potential Loyalist", (3, 5), (3, 5), (2, 5)),
    ("Loyal Customers", (2, 4), (2, 4), (2, 4)),
    ("Promising", (3, 4), (1, 3), (3, 5)),
    ("New Customers", (4, 5), (1, 3), (1, 5)),
    ("Can't Lose Them", (1, 2), (3, 4), (4, 5)),
    ("At Risk", (1, 2), (2, 5), (4, 5)),
    ("Need Attention", (1, 3), (3, 5), (3, 5)),
    ("About To Sleep", (2, 3), (1, 3), (1, 4)),
    ("Lost", (1, 1), (1, 5), (1, 5)),
]
README_TABLE_SIZES = {
    "Potential Loyalist": 342,
    "Loyal Customers": 170,
    "Lost": 148,
    "New Customers": 104,
    "About To Sleep": 102,
    "Can't Lose Them": 47,
    "Champions": 35,
    "At Risk": 28,
    "Need Attention": 10,
    "Promising": 9,
}


@pytest.fixture(scope="module")
def orders() -> pd.DataFrame:
    df = pd.read_csv(DATA)
    df["order_date"] = pd.to_datetime(df["order_date"])
    return df


def analyse(df: object, table: list) -> ciblage.RfmResult:
    return ciblage.rfm_analysis(
        df,
        customer="customer_id",
        timestamp="order_date",
        amount="revenue",
        as_of=AS_OF,
        method="rfm_compat",
        segments=ciblage.SegmentTable(table, fallback="Others"),
    )


def test_orders_heatmap_and_champions(orders: pd.DataFrame) -> None:
    res = analyse(orders, TEST_TABLE)
    cust = res.customers
    assert len(cust) == 995
    assert cust["frequency"].sum() == 4906
    heatmap = cust.groupby(["f_score", "r_score"])["monetary"].mean().sum()
    assert round(heatmap) == 12634
    champions = res.segments.set_index("segment").loc["Champions"]
    assert (champions["customers"], champions["orders"], champions["revenue"]) == (158, 1234, 120178)


def test_thresholds_and_frequency_counts(orders: pd.DataFrame) -> None:
    res = analyse(orders, TEST_TABLE)
    thr = res.thresholds
    lower = {c: sorted(thr.loc[thr["criterion"] == c, "lower"]) for c in ("frequency", "recency")}
    assert lower["frequency"] == [1, 4, 5, 6, 8]
    assert lower["recency"] == pytest.approx([1, 115, 181, 297.4, 482], abs=1e-9)
    counts = res.customers["f_score"].value_counts().sort_index().tolist()
    assert counts == [268, 187, 176, 244, 120]


@pytest.mark.parametrize(("table", "sizes"), [(TEST_TABLE, TEST_TABLE_SIZES), (README_TABLE, README_TABLE_SIZES)])
def test_segment_sizes(orders: pd.DataFrame, table: list, sizes: dict[str, int]) -> None:
    got = analyse(orders, table).segments.set_index("segment")["customers"]
    got = got[got > 0].to_dict()
    assert got == sizes


def test_same_numbers_from_polars(orders: pd.DataFrame) -> None:
    res = analyse(pl.from_pandas(orders), TEST_TABLE)
    assert isinstance(res.segments, pl.DataFrame)
    seg = dict(zip(*res.segments.select("segment", "customers").to_dict(as_series=False).values(), strict=True))
    assert {k: v for k, v in seg.items() if v > 0} == TEST_TABLE_SIZES
