"""ciblage.dask aggregations equal the local calls on the same data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import ciblage
from ciblage.exceptions import ColumnNotFoundError, InvalidInputError, InvalidParameterError

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

import ciblage.dask as cdask  # noqa: E402


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
    )
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def _transactions(n: int = 3_000, customers: int = 200, seed: int = 1) -> pd.DataFrame:
    """Integer amounts (every sum exact in any order); customer 7 holds
    10 % of the rows and appears in every partition."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, customers, n)
    ids[::10] = 7
    days = rng.integers(0, 365, n)
    return pd.DataFrame(
        {
            "customer_id": ids.astype("int64"),
            "timestamp": pd.Timestamp("2024-01-01") + pd.to_timedelta(days, unit="D"),
            "amount": rng.integers(1, 500, n).astype("float64"),
            "cost": rng.integers(0, 200, n).astype("float64"),
        }
    )


def _uneven(df: pd.DataFrame) -> dd.DataFrame:
    """Partitions of very different sizes, one of them empty."""
    cuts = [0, 5, 5, 1_400, 1_401, len(df)]
    parts = [df.iloc[a:b] for a, b in zip(cuts, cuts[1:], strict=False)]
    return dd.from_delayed([dask_delayed(p) for p in parts], meta=df.iloc[:0])


def dask_delayed(obj):
    import dask

    return dask.delayed(obj)


def _sorted(t: pd.DataFrame) -> pd.DataFrame:
    return t.sort_values("customer_id").reset_index(drop=True)


def test_rfm_equals_local_on_uneven_and_empty_partitions(client):
    tx = _transactions()
    ddf = _uneven(tx)
    assert ddf.npartitions == 5
    assert [len(ddf.get_partition(i).compute()) for i in range(5)] == [5, 0, 1_395, 1, 1_599]
    got = cdask.rfm(ddf, bins=4, as_of="2024-12-31", cost="cost", monetary="margin")
    want = ciblage.rfm(tx, bins=4, as_of="2024-12-31", cost="cost", monetary="margin")
    pd.testing.assert_frame_equal(_sorted(got), _sorted(want))
    assert got.attrs["input_report"] == want.attrs["input_report"]
    # Independent check of the skewed customer: pandas sums.
    mine = tx[tx.customer_id == 7]
    row = got[got.customer_id == 7].iloc[0]
    assert row["frequency"] == len(mine)
    assert row["monetary"] == (mine.amount - mine.cost).sum()


def test_one_customer_in_every_partition_and_string_ids(client):
    tx = _transactions(n=800, customers=30, seed=2)
    tx["customer_id"] = "c" + tx["customer_id"].astype(str)
    ddf = dd.from_pandas(tx, npartitions=7, sort=False)
    for i in range(7):
        assert (ddf.get_partition(i).compute().customer_id == "c7").any()
    pd.testing.assert_frame_equal(_sorted(cdask.rfm(ddf)), _sorted(ciblage.rfm(tx)))
    got = cdask.customer_totals(ddf, cost="cost")
    want = ciblage.customer_totals(tx, cost="cost")
    pd.testing.assert_frame_equal(_sorted(got), _sorted(want))
    by_hand = tx.groupby("customer_id").amount.sum()
    assert got.set_index("customer_id").revenue.to_dict() == by_hand.to_dict()


def test_value_tiers_and_concentration_equal_local(client):
    tx = _transactions(seed=3)
    ddf = dd.from_pandas(tx, npartitions=4, sort=False)
    totals = ciblage.customer_totals(tx, cost="cost")
    got = cdask.value_tiers(ddf, value="margin", cost="cost", method="abc")
    want = ciblage.value_tiers(totals, value="margin", method="abc")
    pd.testing.assert_frame_equal(_sorted(got.customers), _sorted(want.customers))
    c = cdask.concentration(ddf)
    assert c.gini == ciblage.concentration(totals, value="revenue").gini
    # Gini by hand from the sorted revenues: 1 - 2 * area under Lorenz.
    v = np.sort(tx.groupby("customer_id").amount.sum().to_numpy())
    n = len(v)
    gini = (2 * np.arange(1, n + 1) - n - 1) @ v / (n * v.sum())
    assert c.gini == pytest.approx(gini, abs=1e-12)


def _fractional(kind: str, seed: int) -> pd.DataFrame:
    """Cents, or floats of many magnitudes (whose running sums depend on
    the order of the rows), as amounts and costs."""
    tx = _transactions(seed=seed)
    rng = np.random.default_rng(seed + 100)
    if kind == "cents":
        tx["amount"] = rng.integers(1, 1_000_000, len(tx)) / 100
        tx["cost"] = rng.integers(0, 100_000, len(tx)) / 100
    else:
        scale = rng.choice([1e-9, 1.0, 1e9], len(tx))
        tx["amount"] = rng.lognormal(3.0, 2.0, len(tx)) * scale
        tx["cost"] = rng.uniform(0.0, 1.0, len(tx)) * scale
    return tx


@pytest.mark.parametrize("kind", ["cents", "floats"])
def test_fractional_sums_equal_local_to_the_last_bit(client, kind):
    # Exact sums, rounded once: any cut into partitions gives the bits of
    # the local call, which are math.fsum's of each customer's amounts.
    import math

    tx = _fractional(kind, seed=4)
    ddf = _uneven(tx)
    got = _sorted(cdask.customer_totals(ddf, cost="cost"))
    want = _sorted(ciblage.customer_totals(tx, cost="cost"))
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    by_hand = tx.groupby("customer_id").agg(revenue=("amount", math.fsum), cost=("cost", math.fsum))
    assert got.set_index("customer_id").revenue.to_dict() == by_hand.revenue.to_dict()
    assert got.set_index("customer_id").cost.to_dict() == by_hand.cost.to_dict()
    # A running sum in row order differs for some customer (else the test
    # would not tell exact sums from running ones).
    if kind == "floats":
        running = tx.groupby("customer_id").amount.agg(lambda v: float(np.cumsum(v.to_numpy())[-1]))
        assert (running != by_hand.revenue).any()
    params = dict(bins=4, as_of="2024-12-31", cost="cost", monetary="margin")
    pd.testing.assert_frame_equal(
        _sorted(cdask.rfm(ddf, **params)), _sorted(ciblage.rfm(tx, **params)), check_exact=True
    )
    tiers = cdask.value_tiers(ddf, value="margin", cost="cost", method="abc")
    local = ciblage.value_tiers(ciblage.customer_totals(tx, cost="cost"), value="margin", method="abc")
    pd.testing.assert_frame_equal(_sorted(tiers.customers), _sorted(local.customers), check_exact=True)
    assert cdask.concentration(ddf).gini == ciblage.concentration(want, value="revenue").gini


def test_bad_input_raises_the_local_error(client):
    tx = _transactions(n=400, seed=5)
    tx.loc[350, "amount"] = np.nan
    ddf = dd.from_pandas(tx, npartitions=4, sort=False)
    with pytest.raises(InvalidInputError) as local:
        ciblage.rfm(tx)
    with pytest.raises(InvalidInputError) as distributed_error:
        cdask.rfm(ddf)
    assert str(distributed_error.value) == str(local.value)
    assert "350" in str(local.value)
    # A negative amount under "reject", in the second partition.
    tx2 = _transactions(n=400, seed=5)
    tx2.loc[300, "amount"] = -3.0
    with pytest.raises(InvalidInputError) as local:
        ciblage.rfm(tx2, negative_amounts="reject")
    with pytest.raises(InvalidInputError) as distributed_error:
        cdask.rfm(dd.from_pandas(tx2, npartitions=3, sort=False), negative_amounts="reject")
    assert str(distributed_error.value) == str(local.value)
    assert "row 300" in str(local.value)
    # No row at all.
    empty = tx2.iloc[:0]
    with pytest.raises(InvalidInputError) as local:
        ciblage.customer_totals(empty)
    with pytest.raises(InvalidInputError) as distributed_error:
        cdask.customer_totals(dd.from_pandas(empty, npartitions=2))
    assert str(distributed_error.value) == str(local.value)
    with pytest.raises(ColumnNotFoundError, match="price"):
        cdask.customer_totals(ddf, amount="price")
    with pytest.raises(InvalidParameterError, match="bins"):
        cdask.rfm(ddf, bins=0)
    with pytest.raises(InvalidParameterError, match="purchase_days"):
        cdask.rfm(ddf, frequency="purchase_days")
    with pytest.raises(InvalidParameterError, match="Dask DataFrame"):
        cdask.rfm(tx)


def test_deep_merge_tree_equals_local(client):
    # 12 partitions merged two by two: four levels of merges.
    tx = _transactions(n=1_200, seed=6)
    ddf = dd.from_pandas(tx, npartitions=12, sort=False)
    want = _sorted(ciblage.customer_totals(tx, cost="cost"))
    got = cdask.customer_totals(ddf, cost="cost", split_every=2)
    pd.testing.assert_frame_equal(_sorted(got), want)
    # Three groups by customer hash, each reduced on its own.
    got = cdask.customer_totals(ddf, cost="cost", split_every=3, split_out=3)
    pd.testing.assert_frame_equal(_sorted(got), want)
    assert got.attrs["input_report"]["rows_read"] == len(tx)
    table = cdask.rfm(ddf, split_out=2, as_of="2024-10-01")
    pd.testing.assert_frame_equal(_sorted(table), _sorted(ciblage.rfm(tx, as_of="2024-10-01")))
    # Custom segments (a native table on the client; workers never need it).
    segments = {
        "fallback": "Rest",
        "segment": [{"name": "Recent", "recency": [3, 3], "frequency": [1, 3], "monetary": [1, 3]}],
    }
    table = cdask.rfm(ddf, bins=3, segments=segments)
    pd.testing.assert_frame_equal(_sorted(table), _sorted(ciblage.rfm(tx, bins=3, segments=segments)))
    assert set(table["segment"].astype(str)) <= {"Recent", "Rest"}
    with pytest.raises(InvalidParameterError, match="split_every"):
        cdask.customer_totals(ddf, split_every=1)
    with pytest.raises(InvalidParameterError, match="split_out"):
        cdask.customer_totals(ddf, split_out=0)


def test_partial_states_are_checked_at_load():
    import pyarrow as pa

    from ciblage import _native, _partial
    from ciblage.exceptions import ModelFileError

    spec = _partial.totals_spec({"customer": "customer_id", "amount": "amount"})
    part = pd.DataFrame({"customer_id": [1, 2, 1], "amount": [1.0, 2.0, 3.0]})
    state = _partial.partition_state(spec, [part], 0)
    schema = _partial.input_schema([part], spec)
    assert state.column("revenue").to_pylist() == [4.0, 2.0]  # 1 + 3, 2
    stream = spec.reader()
    with pytest.raises(ModelFileError, match="partial_state"):
        _native.stream_absorb_partial_state(stream, state.replace_schema_metadata({}), schema)
    with pytest.raises(ModelFileError, match="version"):
        _native.stream_absorb_partial_state(
            stream, state.replace_schema_metadata({b"ciblage.partial_state": b"9"}), schema
        )
    bad = state.set_column(4, "transactions", pa.array([-1, 1]))
    with pytest.raises(ModelFileError, match="transactions"):
        _native.stream_absorb_partial_state(stream, bad, schema)
    with pytest.raises(ModelFileError, match="columns"):
        _native.stream_absorb_partial_state(stream, state.drop_columns(["first_seen"]), schema)
