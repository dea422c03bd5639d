"""ciblage.dask and ciblage.spark retention, churn_flags and clv_summary
equal the local calls on the same data (few and small: the engines are
shared session fixtures), and the day states they merge obey the merge
laws."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import ciblage
from ciblage import _partial_days
from ciblage.exceptions import ColumnNotFoundError, InvalidInputError, InvalidParameterError


def _transactions(n: int = 2_000, customers: int = 120, seed: int = 3) -> pd.DataFrame:
    """Integer amounts (every sum exact in any order), some returns and
    zero rows; customer 7 holds 10 % of the rows and appears in every
    partition; string ids; timestamps at any hour in Paris time."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, customers, n)
    ids[::10] = 7
    seconds = rng.integers(0, 400 * 86_400, n)
    ts = pd.Timestamp("2024-01-01", tz="Europe/Paris") + pd.to_timedelta(seconds, unit="s")
    amount = rng.integers(1, 300, n).astype("float64")
    amount[::23] *= -1
    amount[::41] = 0.0
    return pd.DataFrame(
        {
            "customer_id": pd.Series([f"c{i}" for i in ids], dtype="string[pyarrow]"),
            "timestamp": ts,
            "amount": amount,
            "cost": rng.integers(0, 100, n).astype("float64"),
        }
    )


#: Partition bounds: uneven, an empty partition, a partition of one row.
CUTS = [0, 7, 7, 900, 901, 2_000]

CALLS = [
    ("retention", {"period": "month"}),
    ("retention", {"period": "week", "as_of": "2024-11-15", "timezone": "America/New_York"}),
    ("churn_flags", {"rule": "median_gap", "multiple": 2.5}),
    ("churn_flags", {"days": 60, "as_of": "2024-12-01"}),
    ("clv_summary", {"freq": "W", "cost": "cost"}),
    ("clv_summary", {"calibration_end": "2024-09-30", "negative_amounts": "exclude", "timezone": "Asia/Kolkata"}),
]


def _local(name: str, tx: pd.DataFrame, kwargs: dict):
    fn = {"retention": ciblage.retention, "churn_flags": ciblage.churn_flags, "clv_summary": ciblage.clv.summary}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn[name](tx, **kwargs)


def _check_equal(name: str, got, want) -> None:
    if name == "retention":
        for table in ("periods", "cohort_sizes", "survival"):
            pd.testing.assert_frame_equal(_pd(getattr(got, table)), _pd(getattr(want, table)))
        for kind in ("classic", "rolling", "revenue", "survival"):
            pd.testing.assert_frame_equal(_pd(got.cohorts(kind)), _pd(want.cohorts(kind)))
        assert got.input_report == want.input_report
    else:
        pd.testing.assert_frame_equal(_pd(got), _pd(want))
        assert _report(got) == want.attrs["input_report"]


def _pd(t) -> pd.DataFrame:
    if isinstance(t, pd.DataFrame):
        return t.reset_index(drop=True)
    t = t.toArrow() if hasattr(t, "toArrow") else t
    frame = t.to_pandas()
    if "customer_id" in frame:
        frame["customer_id"] = frame["customer_id"].astype("string[pyarrow]")
    return frame


def _report(t) -> dict:
    return t.attrs["input_report"] if isinstance(t, pd.DataFrame) else t.input_report


@pytest.mark.parametrize(("name", "kwargs"), CALLS)
def test_dask_equals_local(dask_client, name: str, kwargs: dict) -> None:
    dd = pytest.importorskip("dask.dataframe")
    import dask

    import ciblage.dask as cdask

    tx = _transactions()
    parts = [tx.iloc[a:b] for a, b in zip(CUTS, CUTS[1:], strict=False)]
    ddf = dd.from_delayed([dask.delayed(p) for p in parts], meta=tx.iloc[:0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = getattr(cdask, name)(ddf, split_every=2, **kwargs)
    _check_equal(name, got, _local(name, tx, kwargs))


RETENTION_PERIODS = [
    {"period": "day", "as_of": "2024-06-01"},
    {"period": "week", "week_start": "wednesday"},
    {"period": "quarter", "as_of": "2024-10-01"},
    {"period": "year"},
    {"period": "30d"},
    {"period": "14d", "origin": "2023-12-25", "as_of": "2024-12-01"},
]


@pytest.mark.parametrize("kwargs", RETENTION_PERIODS, ids=lambda k: "-".join(str(v) for v in k.values()))
def test_dask_retention_equals_local_for_every_period(dask_client, kwargs: dict) -> None:
    dd = pytest.importorskip("dask.dataframe")
    import dask

    import ciblage.dask as cdask

    tx = _transactions()
    parts = [tx.iloc[a:b] for a, b in zip(CUTS, CUTS[1:], strict=False)]
    ddf = dd.from_delayed([dask.delayed(p) for p in parts], meta=tx.iloc[:0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = cdask.retention(ddf, split_every=2, **kwargs)
    _check_equal("retention", got, _local("retention", tx, kwargs))


def test_retention_partition_state_holds_customer_periods() -> None:
    """A partition read for monthly retention holds one key per customer,
    month and sign of the amount; the days of its last month stay (the
    last day is read), so the merged state holds the last day of all."""
    tx = _transactions()
    spec = _partial_days.day_spec(
        "retention",
        {"customer": "customer_id", "timestamp": "timestamp", "amount": "amount", "period": "month", "timezone": None},
    )
    local = tx["timestamp"].dt.tz_convert("Europe/Paris")
    month = local.dt.strftime("%Y-%m")
    sign = np.sign(tx["amount"])

    def expected_keys(rows: pd.Series) -> int:
        last = month[rows] == month[rows].max()
        key = np.where(last, local[rows].dt.strftime("%Y-%m-%d"), month[rows])
        return len(pd.DataFrame({"c": tx["customer_id"][rows], "k": key, "s": sign[rows]}).drop_duplicates())

    early = tx.index < 900
    first = _partial_days.partition_days(spec, [tx[early]])
    second = _partial_days.partition_days(spec, [tx[~early]])
    assert first.num_rows == expected_keys(pd.Series(early, index=tx.index))
    merged = _partial_days.merge_periods(spec, [first, second])
    assert merged.num_rows == expected_keys(pd.Series(True, index=tx.index))
    assert int(merged.column("rows").to_numpy().sum()) == len(tx)
    last_day = (local.dt.tz_localize(None).dt.normalize().max() - pd.Timestamp("1970-01-01")).days
    assert int(pa.compute.max(merged.column("day")).as_py()) == last_day


def test_spark_equals_local(spark) -> None:
    import ciblage.spark as cspark

    tx = _transactions(n=1_200)
    table = pa.Table.from_pandas(tx, preserve_index=False)
    table = table.set_column(1, "timestamp", table.column("timestamp").cast(pa.timestamp("us", tz="UTC")))
    table = table.set_column(0, "customer_id", table.column("customer_id").cast(pa.string()))
    table = table.replace_schema_metadata(None)  # else to_pandas() puts the Paris zone back
    bounds = [0, 5, 5, 600, table.num_rows]
    frames = [spark.createDataFrame(table.slice(a, b - a)) for a, b in zip(bounds, bounds[1:], strict=False)]
    sdf = frames[0]
    for f in frames[1:]:
        sdf = sdf.union(f)
    local_tx = table.to_pandas()
    for name, kwargs in CALLS[::2] + [CALLS[5]]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = getattr(cspark, name)(sdf, **kwargs)
        want = _local(name, local_tx, kwargs)
        if name == "retention":
            _check_equal(name, got, want)
        else:
            got_pd = _pd(got).sort_values("customer_id").reset_index(drop=True)
            want_pd = want.sort_values("customer_id").reset_index(drop=True)
            want_pd["customer_id"] = want_pd["customer_id"].astype("string[pyarrow]")
            pd.testing.assert_frame_equal(got_pd, want_pd, check_dtype=False)
            assert got.input_report == want.attrs["input_report"]


def _raised(fn, *args, **kwargs):
    """The class and message of the error ``fn`` raises (None: none)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn(*args, **kwargs)
    except (ValueError, TypeError) as e:
        return type(e), str(e)
    return None


def test_dask_bad_input_raises_the_local_error(dask_client) -> None:
    dd = pytest.importorskip("dask.dataframe")
    import ciblage.dask as cdask

    tx = _transactions(n=400)
    nan = tx.copy()
    nan.loc[nan.index[333], "amount"] = np.nan
    neg = tx.copy()
    neg["amount"] = neg["amount"].abs() + 1
    neg.loc[neg.index[250], "amount"] = -5.0
    cases = [
        (nan, "churn_flags", {}),
        (nan, "retention", {}),
        (neg, "clv_summary", {"negative_amounts": "reject"}),
        (tx, "retention", {"period": "fortnight"}),
        (tx, "churn_flags", {"multiple": 2.0}),
        (tx, "clv_summary", {"calibration_end": "2030-01-01"}),
        (tx, "clv_summary", {"amount": "price"}),
    ]
    for data, name, kwargs in cases:
        got = _raised(getattr(cdask, name), dd.from_pandas(data, npartitions=3), **kwargs)
        want = _raised(_local, name, data, kwargs)
        assert want is not None, (name, kwargs)
        assert got == want, (name, kwargs)
    # Row 333 is in the third partition (134 + 133 + 133 rows): its number
    # counts from the start of the whole frame, as locally.
    got = _raised(cdask.churn_flags, dd.from_pandas(nan, npartitions=3))
    assert got == (InvalidInputError, "amount: non-finite value NaN at row 333")
    bad_split = _raised(cdask.retention, dd.from_pandas(tx, npartitions=2), split_every=1)
    assert bad_split is not None and bad_split[0] is InvalidParameterError
    missing = _raised(cdask.churn_flags, dd.from_pandas(tx, npartitions=2), customer="who")
    assert missing is not None and missing[0] is ColumnNotFoundError


def test_spark_bad_input_raises_the_local_error(spark) -> None:
    import ciblage.spark as cspark

    tx = _transactions(n=300)
    tx["customer_id"] = tx["customer_id"].astype(str)
    tx["timestamp"] = tx["timestamp"].dt.tz_convert("UTC")
    tx.loc[tx.index[250], "amount"] = np.nan
    table = pa.Table.from_pandas(tx, preserve_index=False).replace_schema_metadata(None)
    sdf = spark.createDataFrame(table.slice(0, 100)).union(spark.createDataFrame(table.slice(100)))
    want = _raised(ciblage.churn_flags, table)  # the NaN is a null in Arrow
    assert want == (InvalidInputError, "amount: null value at row 250")
    assert _raised(cspark.churn_flags, sdf) == want
    assert _raised(cspark.retention, sdf, period="fortnight") == _raised(ciblage.retention, tx, period="fortnight")


def _state(tx: pd.DataFrame, spec) -> pa.Table:
    return _partial_days.partition_days(spec, [tx])


def _sorted(state: pa.Table) -> pa.Table:
    return state.sort_by([("customer", "ascending"), ("day", "ascending"), ("sign", "ascending")])


def test_merge_laws_any_cut_any_order() -> None:
    """Any cut of the rows, merged in any order and grouping, gives the
    state of the whole input (integer amounts: sums exact)."""
    tx = _transactions(n=600)
    spec = _partial_days.day_spec(
        "churn_flags",
        {"customer": "customer_id", "timestamp": "timestamp", "amount": "amount", "timezone": None},
    )
    whole = _sorted(_state(tx, spec))
    rng = np.random.default_rng(0)
    for _ in range(5):
        cuts = sorted(rng.integers(0, len(tx), 4))
        bounds = [0, *cuts, len(tx)]
        states = [_state(tx.iloc[a:b], spec) for a, b in zip(bounds, bounds[1:], strict=False)]
        order = rng.permutation(len(states))
        left = _partial_days.merge_days([states[i] for i in order])
        nested = _partial_days.merge_days([_partial_days.merge_days(states[:2]), _partial_days.merge_days(states[2:])])
        assert _sorted(left).equals(whole)
        assert _sorted(nested).equals(whole)
    # The state holds one row per (customer, local day, sign): the rows
    # count adds up to the input's, the purchase sum to the positive
    # amounts' (an independent pandas computation).
    assert whole.column("rows").to_numpy().sum() == len(tx)
    positive = whole.filter(pa.compute.equal(whole.column("sign"), 1))
    assert positive.column("amount").to_numpy().sum() == tx["amount"][tx["amount"] > 0].sum()
    days = tx["timestamp"].dt.tz_convert("Europe/Paris").dt.normalize()
    keys = pd.DataFrame({"c": tx["customer_id"], "d": days, "s": np.sign(tx["amount"])}).drop_duplicates()
    assert whole.num_rows == len(keys)


def _shifted(arr: pa.Array) -> pa.Array:
    """The same values in buffers starting one byte past an aligned address
    (as a frame unpickled from a message may hold them)."""
    bufs = []
    for buf in arr.buffers():
        if buf is None:
            bufs.append(None)
            continue
        raw = bytearray(buf.size + 1)
        raw[1:] = buf.to_pybytes()
        bufs.append(pa.py_buffer(raw).slice(1))
    return pa.Array.from_buffers(arr.type, len(arr), bufs, offset=arr.offset)


def test_misaligned_buffers_are_copied_before_the_core_reads_them() -> None:
    from ciblage import _partial

    table = pa.table(
        {
            "customer_id": pa.array(["a", "b", "a", "c"]),
            "amount": pa.array([1.5, 2.0, 3.25, 4.0]),
            "n": pa.array([1, 2, 3, 4], pa.int64()),
        }
    )
    shifted = pa.table({name: _shifted(table.column(name).chunk(0)) for name in table.column_names})
    assert any(b is not None and b.address % 8 for c in shifted.columns for b in c.chunk(0).buffers())
    fixed = _partial.aligned_table(shifted)
    assert fixed.equals(table)
    assert all(b is None or b.address % 8 == 0 for c in fixed.columns for b in c.chunk(0).buffers())
    # An aligned table is given back as it is (no copy).
    assert _partial.aligned_table(table) is table
