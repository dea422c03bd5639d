"""Every supported input: pandas, polars, pyarrow, dicts of numpy arrays,
datetime64 of any unit, dates, time zones, string and categorical ids."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

import ciblage

COLS = ["customer_id", "recency_days", "frequency", "monetary", "rfm_code", "segment"]


def as_records(table) -> list[tuple]:
    if isinstance(table, pd.DataFrame):
        df = table
    elif isinstance(table, pl.DataFrame):
        df = table.to_pandas()
    else:
        df = table.to_pandas()
    df = df[COLS].copy()
    df["segment"] = df["segment"].astype(str)
    df["customer_id"] = df["customer_id"].astype(str)
    return [tuple(r) for r in df.itertuples(index=False)]


def test_every_library_gives_the_same_result_in_its_own_type(synthetic: pd.DataFrame) -> None:
    expected = ciblage.rfm(synthetic)
    assert isinstance(expected, pd.DataFrame)
    pl_out = ciblage.rfm(pl.from_pandas(synthetic))
    assert isinstance(pl_out, pl.DataFrame)
    pa_out = ciblage.rfm(pa.Table.from_pandas(synthetic))
    assert isinstance(pa_out, pa.Table)
    lazy_out = ciblage.rfm(pl.from_pandas(synthetic).lazy())
    dict_out = ciblage.rfm({c: synthetic[c].to_numpy() for c in ["customer_id", "timestamp", "amount"]})
    assert isinstance(dict_out, pa.Table)
    ref = as_records(expected)
    for out in [pl_out, pa_out, lazy_out, dict_out]:
        assert as_records(out) == ref


def test_tables_in_many_chunks_give_the_results_of_one(synthetic: pd.DataFrame) -> None:
    # polars frames and pyarrow tables made of several chunks (string ids as
    # views from polars) reach the native side as several batches.
    strs = synthetic.assign(customer_id="C" + synthetic["customer_id"].astype(str).str.zfill(8))
    for frame in (synthetic, strs):
        whole = pl.from_pandas(frame)
        parts = pl.concat([whole[:7_001], whole[7_001:7_002], whole[7_002:]], rechunk=False)
        assert parts.n_chunks() == 3
        arrow_parts = pa.Table.from_batches(pa.Table.from_pandas(frame).to_batches(max_chunksize=6_000))
        ref = ciblage.rfm(whole)
        for chunked in (ciblage.rfm(parts), ciblage.rfm(arrow_parts)):
            assert as_records(chunked) == as_records(ref)
        totals = ciblage.customer_totals(whole)
        assert ciblage.customer_totals(parts).equals(totals)
        monthly = ciblage.retention(whole, period="month").cohorts("classic", shares=False)
        assert ciblage.retention(parts, period="month").cohorts("classic", shares=False).equals(monthly)


@pytest.mark.parametrize("shape", ["C{:08d}", "CUST-{:08d}", "{:010d}-7a3c-4b1e-9f00-000000000000-x"])
def test_string_ids_of_any_length_in_many_chunks_match_integer_ids(shape: str) -> None:
    # Enough rows for the parallel coding path, whose rounds then span
    # chunks; ids short, medium (13 bytes) and long (40), zero-padded so that
    # their byte order is the integers' order.
    tx = ciblage.datasets.transactions(customers=40_000, transactions=300_000, seed=11)
    ints = ciblage.rfm(tx)
    names = pa.array([shape.format(i) for i in tx.column("customer_id").to_pylist()], pa.large_string())
    strs = tx.set_column(0, "customer_id", names)
    chunked = pa.Table.from_batches(strs.to_batches(max_chunksize=70_001))
    assert chunked.column("customer_id").num_chunks == 5
    views = pl.from_arrow(strs).with_columns(pl.col("customer_id").cast(pl.String))
    views = pl.concat([views[:99_999], views[99_999:100_000], views[100_000:]], rechunk=False)
    for table in (chunked, views):
        out = ciblage.rfm(table)
        ids = out["customer_id"].to_list() if isinstance(out, pl.DataFrame) else out.column("customer_id").to_pylist()
        codes = out["rfm_code"].to_list() if isinstance(out, pl.DataFrame) else out.column("rfm_code").to_pylist()
        assert ids == [shape.format(i) for i in ints.column("customer_id").to_pylist()]
        assert codes == ints.column("rfm_code").to_pylist()


def test_string_and_categorical_ids_match_integer_ids(synthetic: pd.DataFrame) -> None:
    ints = ciblage.rfm(synthetic)
    strs = synthetic.assign(customer_id="C" + synthetic["customer_id"].astype(str).str.zfill(8))
    by_str = ciblage.rfm(strs)
    cats = strs.assign(customer_id=strs["customer_id"].astype("category"))
    by_cat = ciblage.rfm(cats)
    pl_cat = ciblage.rfm(pl.from_pandas(strs).with_columns(pl.col("customer_id").cast(pl.Categorical)))
    for out in [by_str, by_cat]:
        assert list(out["rfm_code"]) == list(ints["rfm_code"])
        assert list(out["customer_id"].astype(str)) == sorted(strs["customer_id"].unique())
    assert pl_cat["rfm_code"].to_list() == list(ints["rfm_code"])


def test_unused_categories_do_not_become_customers(small: pd.DataFrame) -> None:
    cats = small.assign(customer_id=pd.Categorical(small["customer_id"], categories=[1, 2, 3, 99]))
    result = ciblage.rfm_analysis(cats.assign(customer_id=cats["customer_id"].astype(str).astype("category")), bins=3)
    assert len(result) == 3
    assert result.input_report["customers_without_rows"] == 0


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_datetime64_of_any_unit(small: pd.DataFrame, unit: str) -> None:
    tx = small.assign(timestamp=small["timestamp"].astype(f"datetime64[{unit}]"))
    out = ciblage.rfm(tx, bins=3)
    assert list(out["recency_days"]) == [1, 5, 7]
    assert out["last_purchase"].iloc[0] == pd.Timestamp("2024-01-10")


def test_dates_stay_dates(small: pd.DataFrame) -> None:
    tx = small.assign(timestamp=small["timestamp"].dt.date)
    out = ciblage.rfm(tx, bins=3)
    assert list(out["recency_days"]) == [1, 5, 7]
    assert out["first_purchase"].iloc[0] == dt.date(2024, 1, 1)
    pl_out = ciblage.rfm(pl.from_pandas(small).with_columns(pl.col("timestamp").dt.date()), bins=3)
    assert pl_out.schema["first_purchase"] == pl.Date
    assert pl_out["recency_days"].to_list() == [1, 5, 7]


def test_time_zone_sets_day_boundaries() -> None:
    # 2024-03-01 23:30 UTC is already 2 March in Paris; the last purchase
    # (2024-03-03 12:00 UTC) sets as_of = 2024-03-04 in both zones.
    ts = pd.to_datetime(["2024-03-01 23:30", "2024-03-03 12:00"]).tz_localize("UTC")
    tx = pd.DataFrame({"customer_id": [1, 2], "timestamp": ts, "amount": [1.0, 2.0]})
    utc = ciblage.rfm_analysis(tx, bins=2)
    assert list(utc.customers["recency_days"]) == [3, 1]
    paris = ciblage.rfm_analysis(tx.assign(timestamp=ts.tz_convert("Europe/Paris")), bins=2)
    assert paris.timezone == "Europe/Paris"
    assert list(paris.customers["recency_days"]) == [2, 1]
    # The zone can also be given explicitly, and the column's zone is kept.
    explicit = ciblage.rfm_analysis(tx, bins=2, timezone="Europe/Paris")
    assert list(explicit.customers["recency_days"]) == [2, 1]
    assert str(explicit.customers["last_purchase"].dt.tz) == "UTC"


def test_as_of_accepts_dates_datetimes_and_strings(small: pd.DataFrame) -> None:
    for as_of in [
        "2024-01-20",
        dt.date(2024, 1, 20),
        dt.datetime(2024, 1, 20, 15),
        pd.Timestamp("2024-01-20"),
        np.datetime64("2024-01-20"),
    ]:
        result = ciblage.rfm_analysis(small, bins=3, as_of=as_of)
        assert result.as_of == dt.date(2024, 1, 20)
        assert list(result.customers["recency_days"]) == [10, 14, 16]


def test_float32_integer_and_decimal_amounts(small: pd.DataFrame) -> None:
    base = ciblage.rfm(small, bins=3)
    for amounts in [small["amount"].astype("float32"), small["amount"].astype("int64")]:
        out = ciblage.rfm(small.assign(amount=amounts), bins=3)
        assert list(out["monetary"]) == list(base["monetary"])
    import decimal

    table = pa.Table.from_pandas(small).set_column(
        2, "amount", pa.array([decimal.Decimal(str(a)) for a in small["amount"]], pa.decimal128(10, 2))
    )
    out = ciblage.rfm(table, bins=3)
    assert out.column("monetary").to_pylist() == list(base["monetary"])


def test_gil_is_released_for_concurrent_calls(synthetic: pd.DataFrame) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        outs = list(pool.map(lambda _: ciblage.rfm(synthetic), range(4)))
    for out in outs[1:]:
        assert out.equals(outs[0])


@given(
    rows=st.lists(st.tuples(st.integers(0, 30), st.integers(0, 400), st.integers(0, 4000)), min_size=1, max_size=80),
    k=st.integers(2, 9),
    method=st.sampled_from(["quantile", "rfm_compat", "equal_count"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_invariants(rows, k, method, seed) -> None:
    ids, days, cents = zip(*rows, strict=True)
    tx = pd.DataFrame(
        {
            "customer_id": list(ids),
            "timestamp": pd.Timestamp("2024-01-01") + pd.to_timedelta(list(days), unit="D"),
            "amount": np.array(cents, dtype=float) / 4,
        }
    )
    out = ciblage.rfm_analysis(tx, bins=k, method=method).customers
    for col in ["r_score", "f_score", "m_score"]:
        assert out[col].between(1, k).all()
    assert sorted(out["customer_id"]) == sorted(set(ids))
    shuffled = tx.sample(frac=1.0, random_state=seed % (2**32))
    again = ciblage.rfm_analysis(shuffled, bins=k, method=method).customers
    pd.testing.assert_frame_equal(out, again)
    if method != "equal_count":
        o = out.sort_values("monetary")
        assert o["m_score"].is_monotonic_increasing
        o = out.sort_values("recency_days")
        assert o["r_score"].is_monotonic_decreasing
