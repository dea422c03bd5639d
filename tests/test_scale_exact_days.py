"""ciblage.dask and ciblage.spark retention, churn_flags and clv_summary
equal the local calls TO THE LAST BIT on amounts of any fraction (the day
states carry exact sums), on uneven and empty partitions, a customer in
every partition holding 10 % of the rows, and string ids; Dask frames
whose timestamp column holds Python date/datetime objects work as
locally. Few and small: the engines are shared session fixtures."""

from __future__ import annotations

import datetime as dt
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import ciblage
from ciblage.exceptions import ColumnTypeError, ModelFileError


def _transactions(n: int = 1_500, customers: int = 90, seed: int = 11) -> pd.DataFrame:
    """Random floats of many magnitudes and cents (sums that a running
    float sum gets wrong in the last bits), returns, zero rows, costs;
    customer "c7" holds 10 % of the rows, in every partition."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, customers, n)
    ids[::10] = 7
    seconds = rng.integers(0, 300 * 86_400, n)
    ts = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(seconds, unit="s")
    amount = rng.random(n) * 10.0 ** rng.integers(-2, 7, n)
    amount[::3] = np.round(amount[::3] * 100) / 100  # cents
    amount[::29] = 1e16  # with small amounts on the same day: bits lost by a running sum
    amount[::23] *= -1
    amount[::41] = 0.0
    return pd.DataFrame(
        {
            "customer_id": pd.Series([f"c{i}" for i in ids], dtype="string[pyarrow]"),
            "timestamp": ts,
            "amount": amount,
            "cost": rng.random(n) * 50.0,
        }
    )


CUTS = [0, 5, 5, 700, 701, 1_500]

CALLS = [
    ("retention", {"period": "week"}),
    ("churn_flags", {"days": 30}),
    ("clv_summary", {"freq": "D", "cost": "cost"}),
    ("clv_summary", {"freq": "W", "calibration_end": "2024-08-31", "negative_amounts": "exclude"}),
    ("clv_summary", {"freq": "M", "observation_end": "2024-09-15", "cost": "cost"}),
]


def _local(name: str, tx, kwargs: dict):
    fn = {"retention": ciblage.retention, "churn_flags": ciblage.churn_flags, "clv_summary": ciblage.clv.summary}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn[name](tx, **kwargs)


def _pd(t) -> pd.DataFrame:
    if isinstance(t, pd.DataFrame):
        frame = t.reset_index(drop=True)
    else:
        t = t.toArrow() if hasattr(t, "toArrow") else t
        frame = t.to_pandas()
    if "customer_id" in frame:
        frame["customer_id"] = frame["customer_id"].astype("string[pyarrow]")
    return frame.sort_values("customer_id").reset_index(drop=True) if "customer_id" in frame else frame


def _check_bits(name: str, got, want) -> None:
    """Equal frames, floats compared bit for bit (check_exact)."""
    if name == "retention":
        for table in ("periods", "cohort_sizes", "survival"):
            pd.testing.assert_frame_equal(_pd(getattr(got, table)), _pd(getattr(want, table)), check_exact=True)
        for kind in ("classic", "revenue"):
            pd.testing.assert_frame_equal(_pd(got.cohorts(kind)), _pd(want.cohorts(kind)), check_exact=True)
        assert got.input_report == want.input_report
    else:
        pd.testing.assert_frame_equal(_pd(got), _pd(want), check_exact=True, check_dtype=False)


def test_running_sums_would_differ() -> None:
    """The data make the test able to fail: a running float sum of the
    amounts of one customer differs from the exactly rounded one."""
    tx = _transactions()
    a = tx.loc[tx["customer_id"] == "c7", "amount"].to_numpy()
    import math

    running = 0.0
    for x in a:
        running += x
    assert running != math.fsum(a)


@pytest.mark.parametrize(("name", "kwargs"), CALLS)
def test_dask_equals_local_to_the_bit(dask_client, name: str, kwargs: dict) -> None:
    dd = pytest.importorskip("dask.dataframe")
    import dask

    import ciblage.dask as cdask

    tx = _transactions()
    parts = [tx.iloc[a:b] for a, b in zip(CUTS, CUTS[1:], strict=False)]
    ddf = dd.from_delayed([dask.delayed(p) for p in parts], meta=tx.iloc[:0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = getattr(cdask, name)(ddf, split_every=2, **kwargs)
    _check_bits(name, got, _local(name, tx, kwargs))


def test_spark_equals_local_to_the_bit(spark) -> None:
    import ciblage.spark as cspark

    tx = _transactions(n=900)
    table = pa.Table.from_pandas(tx, preserve_index=False).replace_schema_metadata(None)
    table = table.set_column(0, "customer_id", table.column("customer_id").cast(pa.string()))
    bounds = [0, 4, 4, 500, table.num_rows]
    frames = [spark.createDataFrame(table.slice(a, b - a)) for a, b in zip(bounds, bounds[1:], strict=False)]
    sdf = frames[0]
    for f in frames[1:]:
        sdf = sdf.union(f)
    for name, kwargs in CALLS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = getattr(cspark, name)(sdf, **kwargs)
        _check_bits(name, got, _local(name, table, kwargs))


def test_weekly_and_monthly_summaries_ship_one_key_per_period() -> None:
    """For the CLV summary by week or month, a partition's state holds one
    key per (customer, period, sign), on the period's first day (counted
    here with pandas), with the rows of the period."""
    from ciblage import _partial_days

    tx = _transactions(n=400)
    for freq, start in [("W", "W-SUN"), ("M", "M")]:
        spec = _partial_days.day_spec(
            "clv_summary",
            {"customer": "customer_id", "timestamp": "timestamp", "amount": "amount", "freq": freq},
        )
        state = _partial_days.partition_days(spec, [tx]).to_pandas()
        period = tx["timestamp"].dt.tz_convert(None).dt.to_period(start).dt.start_time
        sign = np.sign(tx["amount"]).astype("int64")
        want = tx.assign(p=period, s=sign).groupby(["customer_id", "p", "s"]).size()
        assert len(state) == len(want)
        first = pd.to_datetime(state["day"], unit="D")
        got = state.assign(p=first).set_index(["customer", "p", "sign"])["rows"].sort_index()
        got.index.names = want.index.names
        assert got.to_numpy().tolist() == want.sort_index().to_numpy().tolist()
        assert got.index.tolist() == want.sort_index().index.tolist()


def test_old_day_states_are_refused() -> None:
    """A version-1 day state (rounded sums only) is refused at load."""
    from ciblage import _partial_days

    tx = _transactions(n=50)
    spec = _partial_days.day_spec(
        "retention", {"customer": "customer_id", "timestamp": "timestamp", "amount": "amount"}
    )
    state = _partial_days.partition_days(spec, [tx])
    assert state.column("amount_high").null_count == 0
    old = state.replace_schema_metadata({b"ciblage.partial_days": b"1"})
    from ciblage import _native

    with pytest.raises(ModelFileError, match='version "1"'):
        _native.merge_partial_days(old.to_batches(), has_cost=False)
    # A rounded sum that is not its exact sum's.
    bad = state.set_column(4, "amount", pa.array(state.column("amount").to_numpy() + 1.0))
    bad = bad.replace_schema_metadata({b"ciblage.partial_days": b"2"})
    with pytest.raises(ModelFileError, match="its exact sum rounds to"):
        _partial_days.merge_days([bad])


def _objects(kind: str) -> pd.DataFrame:
    tx = _transactions(n=300)
    ts = tx["timestamp"]
    if kind == "date":
        values = [t.date() for t in ts]
    elif kind == "naive":
        values = [t.to_pydatetime().replace(tzinfo=None) for t in ts]
    else:
        values = [t.tz_convert("Europe/Paris").to_pydatetime() for t in ts]
    return tx.assign(timestamp=pd.Series(values, dtype=object))


@pytest.mark.parametrize("kind", ["date", "naive", "paris"])
def test_dask_object_timestamps_work_as_locally(dask_client, kind: str) -> None:
    dd = pytest.importorskip("dask.dataframe")
    import dask

    import ciblage.dask as cdask

    tx = _objects(kind)
    assert tx["timestamp"].dtype == object
    parts = [tx.iloc[a:b] for a, b in [(0, 3), (3, 3), (3, 200), (200, 300)]]
    # Object columns as Dask keeps them (without its conversion to strings).
    with dask.config.set({"dataframe.convert-string": False}):
        ddf = dd.from_delayed([dask.delayed(p) for p in parts], meta=tx.iloc[:0])
        assert ddf["timestamp"].dtype == object
        for name, kwargs in [("retention", {"period": "month"}), ("clv_summary", {"freq": "W"})]:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                got = getattr(cdask, name)(ddf, split_every=2, **kwargs)
            _check_bits(name, got, _local(name, tx, kwargs))


def test_dask_object_timestamps_of_several_zones_are_refused(dask_client) -> None:
    dd = pytest.importorskip("dask.dataframe")
    import dask

    with dask.config.set({"dataframe.convert-string": False}):
        _several_zones_and_bad_values(dd, dask)


def _several_zones_and_bad_values(dd, dask) -> None:
    import ciblage.dask as cdask

    tx = _objects("paris")
    # Partitions each of one zone, the whole of two: refused as locally.
    other = [t.astimezone(dt.timezone.utc) for t in tx["timestamp"].iloc[150:]]
    tx["timestamp"] = pd.Series(list(tx["timestamp"].iloc[:150]) + other, dtype=object)
    with pytest.raises(ColumnTypeError, match="several time zones"):
        _local("retention", tx, {})
    parts = [tx.iloc[:150], tx.iloc[150:]]
    ddf = dd.from_delayed([dask.delayed(p) for p in parts], meta=tx.iloc[:0])
    with pytest.raises(ColumnTypeError, match="several time zones"):
        cdask.retention(ddf, split_every=2)
    # Churn states reduced in groups of customers: the zones of every group.
    for split_out in (1, 3):
        with pytest.raises(ColumnTypeError, match="several time zones"):
            cdask.churn_flags(ddf, split_every=2, split_out=split_out)
    # A value that is not a date in one partition: the local error.
    bad = _objects("date")
    bad["timestamp"] = pd.Series(list(bad["timestamp"].iloc[:299]) + ["2024-13-01"], dtype=object)
    ddf = dd.from_delayed([dask.delayed(bad.iloc[:200]), dask.delayed(bad.iloc[200:])], meta=bad.iloc[:0])
    local = None
    try:
        _local("retention", bad, {})
    except (ValueError, TypeError) as e:
        local = type(e)
    assert local is not None
    with pytest.raises(local):
        cdask.retention(ddf, split_every=2)
