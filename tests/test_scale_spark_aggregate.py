"""ciblage.spark aggregations equal the local calls on the same data
(few and small: a local[2] session takes ~12 s to start)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import ciblage
from ciblage.exceptions import ColumnNotFoundError, InvalidInputError

pyspark = pytest.importorskip("pyspark")

import ciblage.spark as cspark  # noqa: E402


def _transactions(n: int = 2_000, customers: int = 150, seed: int = 1) -> pa.Table:
    """Integer amounts (sums exact in any order); customer 7 holds 10 % of
    the rows, spread over every partition; UTC timestamps."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, customers, n)
    ids[::10] = 7
    days = rng.integers(0, 365, n)
    ts = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(days, unit="D")
    return pa.table(
        {
            "customer_id": pa.array(ids.astype("int64")),
            "timestamp": pa.array(ts, pa.timestamp("us", tz="UTC")),
            "amount": pa.array(rng.integers(1, 500, n).astype("float64")),
            "cost": pa.array(rng.integers(0, 200, n).astype("float64")),
        }
    )


def _frame(spark, table: pa.Table, cuts: list[int]):
    """A DataFrame whose partitions are the slices at ``cuts`` (uneven, an
    empty one included), in order."""
    bounds = [0, *cuts, table.num_rows]
    parts = [table.slice(a, b - a) for a, b in zip(bounds, bounds[1:], strict=False)]
    frames = [spark.createDataFrame(p) for p in parts]
    df = frames[0]
    for f in frames[1:]:
        df = df.union(f)
    return df


def _pandas(df_or_table) -> pd.DataFrame:
    t = df_or_table.toArrow() if hasattr(df_or_table, "toArrow") else df_or_table
    return t.to_pandas().sort_values("customer_id").reset_index(drop=True)


def test_rfm_and_totals_equal_local(spark):
    tx = _transactions()
    df = _frame(spark, tx, [3, 3, 900])
    got = _pandas(cspark.rfm(df, bins=4, as_of="2024-12-31", cost="cost"))
    want = _pandas(ciblage.rfm(tx, bins=4, as_of="2024-12-31", cost="cost"))
    for c in want.columns:
        if isinstance(want[c].dtype, pd.CategoricalDtype):
            want[c] = want[c].astype(str)
            got[c] = got[c].astype(str)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    totals = _pandas(cspark.customer_totals(df, cost="cost"))
    pd.testing.assert_frame_equal(totals, _pandas(ciblage.customer_totals(tx, cost="cost")), check_dtype=False)
    # The skewed customer by hand (pandas).
    p = tx.to_pandas()
    mine = p[p.customer_id == 7]
    row = totals[totals.customer_id == 7].iloc[0]
    assert (row.transactions, row.revenue, row.cost) == (len(mine), mine.amount.sum(), mine.cost.sum())


def test_tiers_and_concentration_equal_local(spark):
    tx = _transactions(seed=2)
    df = _frame(spark, tx, [700])
    totals = ciblage.customer_totals(tx)
    got = cspark.value_tiers(df)
    want = ciblage.value_tiers(totals, value="revenue")
    assert got.customers.sort_by("customer_id").equals(want.customers.sort_by("customer_id"))
    assert cspark.concentration(df).gini == ciblage.concentration(totals, value="revenue").gini


@pytest.mark.parametrize("kind", ["cents", "floats"])
def test_fractional_sums_equal_local_to_the_last_bit(spark, kind):
    # Exact sums, rounded once: the Spark partitions give the bits of the
    # local call, which are math.fsum's of each customer's amounts.
    import math

    tx = _transactions(seed=3)
    rng = np.random.default_rng(7)
    n = tx.num_rows
    if kind == "cents":
        amount, cost = rng.integers(1, 1_000_000, n) / 100, rng.integers(0, 100_000, n) / 100
    else:
        scale = rng.choice([1e-9, 1.0, 1e9], n)
        amount, cost = rng.lognormal(3.0, 2.0, n) * scale, rng.uniform(0.0, 1.0, n) * scale
    tx = tx.set_column(2, "amount", pa.array(amount)).set_column(3, "cost", pa.array(cost))
    df = _frame(spark, tx, [3, 3, 900])
    totals = _pandas(cspark.customer_totals(df, cost="cost"))
    want = _pandas(ciblage.customer_totals(tx, cost="cost"))
    pd.testing.assert_frame_equal(totals, want, check_dtype=False, check_exact=True)
    p = tx.to_pandas()
    by_hand = p.groupby("customer_id").agg(revenue=("amount", math.fsum), cost=("cost", math.fsum))
    assert totals.set_index("customer_id").revenue.to_dict() == by_hand.revenue.to_dict()
    assert totals.set_index("customer_id").cost.to_dict() == by_hand.cost.to_dict()
    got = _pandas(cspark.rfm(df, bins=4, as_of="2024-12-31", cost="cost", monetary="margin"))
    local = _pandas(ciblage.rfm(tx, bins=4, as_of="2024-12-31", cost="cost", monetary="margin"))
    for c in local.columns:
        if isinstance(local[c].dtype, pd.CategoricalDtype):
            local[c] = local[c].astype(str)
            got[c] = got[c].astype(str)
    pd.testing.assert_frame_equal(got, local, check_dtype=False, check_exact=True)
    tiers = cspark.value_tiers(df)
    local_tiers = ciblage.value_tiers(ciblage.customer_totals(tx), value="revenue")
    assert tiers.customers.sort_by("customer_id").equals(local_tiers.customers.sort_by("customer_id"))
    assert cspark.concentration(df).gini == ciblage.concentration(ciblage.customer_totals(tx), value="revenue").gini


def test_bad_input_raises_the_local_error(spark):
    tx = _transactions(n=300, seed=3)
    amounts = tx.column("amount").to_numpy().copy()
    amounts[250] = np.inf
    tx = tx.set_column(2, "amount", pa.array(amounts))
    df = _frame(spark, tx, [100, 200])
    with pytest.raises(InvalidInputError) as local:
        ciblage.customer_totals(tx)
    with pytest.raises(InvalidInputError) as remote:
        cspark.customer_totals(df)
    assert str(remote.value) == str(local.value)
    with pytest.raises(ColumnNotFoundError, match="price"):
        cspark.rfm(df, amount="price")
