"""Value tiers and concentration checked against independent pandas/numpy code."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

import ciblage
from ciblage.exceptions import (
    ColumnNotFoundError,
    ColumnTypeError,
    InvalidInputError,
    InvalidParameterError,
)


def pandas_count_tiers(values: np.ndarray, shares: list[float]) -> np.ndarray:
    """Tier index per customer: positive values ranked (stable on ties),
    tier k ends at rank ceil(n × cumulative share); others get len(shares)."""
    s = pd.Series(values)
    ranked = s[s > 0].sort_values(ascending=False, kind="stable")
    n = len(ranked)
    ends = np.ceil(n * np.cumsum(shares) - 1e-9)
    ends[-1] = n
    tiers = pd.Series(len(shares), index=s.index)
    tiers[ranked.index] = np.searchsorted(ends, np.arange(1, n + 1), side="left")
    return tiers.to_numpy()


def pandas_abc(values: np.ndarray, bounds: list[float]) -> np.ndarray:
    s = pd.Series(values)
    ranked = s[s > 0].sort_values(ascending=False, kind="stable")
    before = (ranked.cumsum() - ranked) / ranked.sum()
    tiers = pd.Series(len(bounds) + 1, index=s.index)
    tiers[ranked.index] = [sum(b >= bound * (1 - 1e-12) for bound in bounds) for b in before]
    return tiers.to_numpy()


def gini_mean_difference(values: np.ndarray) -> float:
    """G = Σ_i Σ_j |x_i − x_j| / (2 n² mean): a formula independent of the Lorenz curve."""
    x = np.clip(values, 0, None)
    if x.sum() == 0:
        return 0.0
    return float(np.abs(x[:, None] - x[None, :]).sum() / (2 * len(x) ** 2 * x.mean()))


@pytest.fixture(scope="module")
def customers(synthetic: pd.DataFrame) -> pd.DataFrame:
    return ciblage.rfm(synthetic)


def test_count_tiers_match_pandas(customers: pd.DataFrame) -> None:
    for shares in ([0.05, 0.15, 0.80], [0.2, 0.3, 0.5]):
        t = ciblage.value_tiers(customers, shares=shares)
        expected = pandas_count_tiers(customers["monetary"].to_numpy(), shares)
        got = t.customers["tier"].cat.codes.to_numpy()
        np.testing.assert_array_equal(got, expected)
        assert list(t.customers["customer_id"]) == list(customers["customer_id"])
        summary = t.summary.set_index("tier")
        by_pandas = t.customers.groupby("tier", observed=False)["monetary"].agg(["size", "sum"])
        np.testing.assert_array_equal(summary["customers"], by_pandas["size"])
        np.testing.assert_allclose(summary["value"], by_pandas["sum"])
        total = customers["monetary"].sum()
        np.testing.assert_allclose(summary["share_of_value"], by_pandas["sum"] / total)


def test_abc_matches_pandas_and_ranks(customers: pd.DataFrame) -> None:
    t = ciblage.value_tiers(customers, method="abc", bounds=[0.7, 0.9], names=["A", "B", "C"])
    expected = pandas_abc(customers["monetary"].to_numpy(), [0.7, 0.9])
    np.testing.assert_array_equal(t.customers["tier"].cat.codes.to_numpy(), expected)
    ranks = customers["monetary"].rank(ascending=False, method="first").astype(int)
    np.testing.assert_array_equal(t.customers["rank"], ranks)
    assert t.names == ["A", "B", "C", "No value"]


def test_hand_computed_ties_zero_and_negative() -> None:
    df = pd.DataFrame({"customer_id": list("abcdef"), "monetary": [5.0, 0.0, 5.0, -3.0, 5.0, 1.0]})
    t = ciblage.value_tiers(df, shares=[0.2, 0.3, 0.5])
    # Ranked: a, c, e (5, ties in row order), f (1); n = 4: Best ends at
    # ceil(0.8) = 1, Standard at ceil(2.0) = 2; b (0) and d (−3) No value.
    assert list(t.customers["tier"]) == ["Best", "No value", "Standard", "No value", "Small", "Small"]
    row = t.summary.set_index("tier").loc["No value"]
    assert (row["customers"], row["value"]) == (2, -3.0)


def test_all_zero_and_one_customer() -> None:
    t = ciblage.value_tiers(pd.Series(np.zeros(4)))
    assert t.summary["customers"].tolist() == [0, 0, 0, 4]
    assert np.isnan(t.summary["share_of_value"]).all()
    one = ciblage.value_tiers(pa.table({"customer_id": [7], "monetary": [2.5]}))
    assert one.customers.column("tier").to_pylist() == ["Best"]


def test_polars_in_polars_out(customers: pd.DataFrame) -> None:
    t = ciblage.value_tiers(pl.from_pandas(customers[["customer_id", "monetary"]]))
    assert isinstance(t.customers, pl.DataFrame) and isinstance(t.summary, pl.DataFrame)
    assert t.customers.height == len(customers)


def test_concentration_against_numpy(customers: pd.DataFrame) -> None:
    values = customers["monetary"].to_numpy()
    c = ciblage.concentration(customers)
    assert c.gini == pytest.approx(gini_mean_difference(values), rel=1e-9)
    assert c.clipped == int((values < 0).sum())
    x = np.sort(np.clip(values, 0, None))[::-1]
    n = len(x)
    # Top 10 % of 2,000 customers = exactly 200 customers.
    assert c.top_share(0.1) == pytest.approx(x[: n // 10].sum() / x.sum(), rel=1e-12)
    lorenz = c.lorenz(11)
    assert lorenz["share_of_value"].iloc[-1] == pytest.approx(1.0)
    assert lorenz["share_of_value"].iloc[5] == pytest.approx(
        np.sort(np.clip(values, 0, None))[: n // 2].sum() / x.sum()
    )


def test_concentration_hand_case() -> None:
    # One customer holds 80 of 100, nine share 20: the top 10 % make 80 %.
    c = ciblage.concentration(np.array([80.0] + [20 / 9] * 9))
    assert c.top_share(0.1) == pytest.approx(0.8)
    assert c.gini == pytest.approx(0.7)
    assert c.customers_for_value(0.8) == pytest.approx(0.1)


@given(st.lists(st.floats(-50, 1e4, allow_nan=False), min_size=1, max_size=60), st.booleans())
def test_tiers_partition_and_gini_bounds(values: list[float], abc: bool) -> None:
    arr = np.array(values)
    t = ciblage.value_tiers(pd.Series(arr), method="abc" if abc else "count")
    assert t.summary["customers"].sum() == len(values)
    assert set(t.customers["tier"]) <= set(t.names)
    assert t.summary["share_of_customers"].sum() == pytest.approx(1.0)
    if arr.sum() > 0:
        assert t.summary["share_of_value"].sum() == pytest.approx(1.0)
    g = ciblage.concentration(arr).gini
    assert 0.0 <= g <= 1.0
    assert ciblage.concentration(np.full(len(values), 3.0)).gini == 0.0


def test_errors_name_the_argument() -> None:
    df = pd.DataFrame({"customer_id": [1, 2], "spend": [1.0, np.nan]})
    with pytest.raises(InvalidInputError, match=r'value \(column "spend"\): non-finite value NaN at row 1'):
        ciblage.value_tiers(df, value="spend")
    with pytest.raises(InvalidInputError, match=r"null value at row 1"):
        ciblage.value_tiers(pa.table({"customer_id": [1, 2], "spend": [1.0, None]}), value="spend")
    with pytest.raises(ColumnNotFoundError, match='value: column "monetary" not found'):
        ciblage.value_tiers(df)
    with pytest.raises(ColumnTypeError, match="expected numbers"):
        ciblage.value_tiers(pd.DataFrame({"customer_id": [1], "monetary": ["x"]}))
    with pytest.raises(InvalidInputError, match="value: input is empty"):
        ciblage.value_tiers(np.array([], dtype=float))
    with pytest.raises(InvalidParameterError, match="shares must sum to 1"):
        ciblage.value_tiers(np.ones(3), shares=[0.5, 0.2])
    with pytest.raises(InvalidParameterError, match="invalid parameter bounds"):
        ciblage.value_tiers(np.ones(3), method="abc", bounds=[0.9, 0.5])
    with pytest.raises(InvalidParameterError, match="expected 3 names"):
        ciblage.value_tiers(np.ones(3), names=["a"])
    with pytest.raises(InvalidParameterError, match="invalid parameter method"):
        ciblage.value_tiers(np.ones(3), method="pareto")
    with pytest.raises(InvalidParameterError, match="invalid parameter share"):
        ciblage.concentration(np.ones(3)).top_share(2.0)
    assert issubclass(InvalidInputError, ValueError) and issubclass(ColumnTypeError, TypeError)


def test_customer_totals_match_pandas(synthetic: pd.DataFrame) -> None:
    t = ciblage.customer_totals(synthetic, cost="cost")
    g = synthetic.groupby("customer_id").agg(
        transactions=("amount", "size"), revenue=("amount", "sum"), cost=("cost", "sum")
    )
    # Dense integer ids come out ascending, as groupby's sorted keys.
    assert t["customer_id"].tolist() == g.index.tolist()
    assert t["transactions"].tolist() == g["transactions"].tolist()
    np.testing.assert_allclose(t["revenue"], g["revenue"], rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(t["cost"], g["cost"], rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(t["margin"], g["revenue"] - g["cost"], rtol=1e-12, atol=1e-9)
    # The totals feed the tiers directly.
    tiers = ciblage.value_tiers(t, value="margin")
    expected = pandas_count_tiers(t["margin"].to_numpy(), [0.05, 0.15, 0.80])
    assert (tiers.customers["tier"].cat.codes.to_numpy() == expected).all()


def test_customer_totals_hand_case_and_libraries() -> None:
    # Customer "b": 10 + 30 = 40 over 2 rows; "a": 5 − 5 = 0 (a return).
    # String ids come out in order of first appearance.
    rows = {"customer_id": ["b", "a", "b", "a"], "amount": [10.0, 5.0, 30.0, -5.0]}
    for data, kind in (
        (pd.DataFrame(rows), pd.DataFrame),
        (pl.DataFrame(rows), pl.DataFrame),
        (pa.table(rows), pa.Table),
    ):
        t = ciblage.customer_totals(data)
        assert isinstance(t, kind)
        d = pa.table(t).to_pydict() if kind is not pd.DataFrame else t.to_dict("list")
        assert d == {"customer_id": ["b", "a"], "transactions": [2, 2], "revenue": [40.0, 0.0]}


def test_customer_totals_errors_name_the_column() -> None:
    df = pd.DataFrame({"customer_id": [1, 2], "price": [1.0, np.inf], "cogs": [1.0, 2.0]})
    with pytest.raises(InvalidInputError, match=r'amount \(column "price"\): non-finite value inf at row 1'):
        ciblage.customer_totals(df, amount="price")
    df["price"] = [1.0, 2.0]
    df["cogs"] = [np.nan, 2.0]
    with pytest.raises(InvalidInputError, match=r'cost \(column "cogs"\): non-finite value NaN at row 0'):
        ciblage.customer_totals(df, amount="price", cost="cogs")
    with pytest.raises(ColumnNotFoundError, match='column "spend" not found'):
        ciblage.customer_totals(df, amount="spend")
    with pytest.raises(ColumnTypeError, match="expected numbers"):
        ciblage.customer_totals(pd.DataFrame({"customer_id": [1], "amount": ["x"]}))
    with pytest.raises(InvalidInputError, match="null value at row 1"):
        ciblage.customer_totals(pa.table({"customer_id": [1, None], "amount": [1.0, 2.0]}))
    with pytest.raises(InvalidInputError, match="transactions: input is empty"):
        ciblage.customer_totals(
            pd.DataFrame({"customer_id": pd.Series([], dtype="int64"), "amount": pd.Series([], dtype="float64")})
        )


@pytest.mark.parametrize(
    ("chunks", "repeat"),
    [
        ([[3, 5, 9], [10, 12]], None),  # ascending within and across chunks
        ([[3, 5, 9], [], [9, 12]], (2, 3)),  # a repeat across a chunk boundary (and an empty chunk)
        ([[1, 4, 2, 4]], (1, 3)),  # not ascending: the hashed check finds it
        ([[2, 7], [1, 3]], None),  # each chunk ascending, not the whole: no repeat
        ([[5, 5]], (0, 1)),
    ],
)
def test_repeated_ids_found_in_any_order_and_chunking(chunks: list[list[int]], repeat: tuple[int, int] | None) -> None:
    ids = pa.chunked_array([pa.array(c, pa.int64()) for c in chunks])
    values = pa.chunked_array([pa.array([float(i + 1) for i in range(len(c))], pa.float64()) for c in chunks])
    table = pa.table({"customer_id": ids, "revenue": values})
    flat = [i for c in chunks for i in c]
    if repeat is None:
        tiers = ciblage.value_tiers(table, value="revenue")
        assert tiers.customers["customer_id"].to_pylist() == flat
        return
    first, again = repeat
    with pytest.raises(
        InvalidInputError, match=rf"id {flat[again]} appears more than once \(rows {first} and {again}\)"
    ):
        ciblage.value_tiers(table, value="revenue")


def test_string_ids_repeat_found_and_unique_ids_pass() -> None:
    ok = pd.DataFrame({"customer_id": [f"c{i}" for i in range(5000)], "revenue": np.arange(5000.0)})
    assert len(ciblage.value_tiers(ok, value="revenue").customers) == 5000
    bad = ok.assign(customer_id=[f"c{i % 4999}" for i in range(5000)])
    with pytest.raises(InvalidInputError, match=r"id 'c0' appears more than once \(rows 0 and 4999\)"):
        ciblage.value_tiers(bad, value="revenue")


def test_totals_of_several_batches_with_the_kept_buffer_match_pandas() -> None:
    # A table of several batches: the amounts are put end to end in a buffer
    # kept between calls; a larger call first, then a smaller one reusing it.
    big = ciblage.datasets.transactions(customers=500, transactions=30_000, seed=5)
    small = ciblage.datasets.transactions(customers=90, transactions=4_000, seed=6)
    ciblage.release_buffers()
    for tx in (big, small, small):
        batches = tx.to_batches(max_chunksize=997)
        assert len(batches) > 3
        out = ciblage.customer_totals(pa.Table.from_batches(batches)).to_pandas()
        ref = tx.to_pandas().groupby("customer_id", sort=False)["amount"].agg(["size", "sum"])
        got = out.set_index("customer_id").loc[ref.index]
        np.testing.assert_array_equal(got["transactions"], ref["size"])
        np.testing.assert_allclose(got["revenue"], ref["sum"], rtol=1e-12)
    # The kept buffer holds the big table's amounts (8 bytes a row).
    assert ciblage.release_buffers() >= 30_000 * 8
    assert ciblage.release_buffers() == 0
