"""ciblage.dask.churn_flags and ciblage.spark.churn_flags merge one state
per customer (his distinct purchase days, last day and counts) and score
the customers where they are: the local flags and input report, for
every rule, on uneven and empty partitions and a customer in every
partition; the states obey the merge laws."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import ciblage
from ciblage import _partial_churn, _partial_days


def _transactions(n: int = 1_500, customers: int = 90, seed: int = 11, strings: bool = True) -> pd.DataFrame:
    """Integer amounts with returns and zero rows; customer 7 holds 10 % of
    the rows (one in every partition); customer 3 has returns only; hours
    spread over the day in Paris time (local days differ from UTC days)."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, customers, n)
    ids[::10] = 7
    seconds = rng.integers(0, 300 * 86_400, n)
    ts = pd.Timestamp("2024-01-01", tz="Europe/Paris") + pd.to_timedelta(seconds, unit="s")
    amount = rng.integers(1, 300, n).astype("float64")
    amount[::19] *= -1
    amount[::37] = 0.0
    amount[ids == 3] = -5.0
    customer = pd.Series([f"c{i}" for i in ids], dtype="string[pyarrow]") if strings else pd.Series(ids)
    return pd.DataFrame({"customer_id": customer, "timestamp": ts, "amount": amount})


#: Partition bounds: uneven, two empty partitions, a partition of one row.
CUTS = [0, 0, 11, 11, 700, 701, 1_500]

RULES = [
    {},
    {"days": 30},
    {"days": 45, "as_of": "2024-08-01"},
    {"rule": "median_gap"},
    {"rule": "median_gap", "multiple": 1.5, "fallback_days": 20, "as_of": "2024-06-15"},
    {"rule": "median_gap", "multiple": 2.0, "timezone": "America/New_York"},
]


def _local(tx: pd.DataFrame, kwargs: dict) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ciblage.churn_flags(tx, **kwargs)


@pytest.mark.parametrize("kwargs", RULES)
def test_dask_equals_local(dask_client, kwargs: dict) -> None:
    dd = pytest.importorskip("dask.dataframe")
    import dask

    import ciblage.dask as cdask

    tx = _transactions()
    parts = [tx.iloc[a:b] for a, b in zip(CUTS, CUTS[1:], strict=False)]
    ddf = dd.from_delayed([dask.delayed(p) for p in parts], meta=tx.iloc[:0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = cdask.churn_flags(ddf, split_every=2, **kwargs)
    want = _local(tx, kwargs)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert got.attrs["input_report"] == want.attrs["input_report"]


def test_dask_integer_ids_and_one_partition(dask_client) -> None:
    dd = pytest.importorskip("dask.dataframe")
    import ciblage.dask as cdask

    tx = _transactions(n=400, strings=False)
    for k in (1, 4):
        got = cdask.churn_flags(dd.from_pandas(tx, npartitions=k), rule="median_gap")
        want = _local(tx, {"rule": "median_gap"})
        pd.testing.assert_frame_equal(got, want, check_exact=True)


@pytest.mark.parametrize("split_out", [2, 3, 7])
@pytest.mark.parametrize("kwargs", [RULES[0], RULES[2], RULES[4], RULES[5]])
def test_dask_split_out_equals_local(dask_client, kwargs: dict, split_out: int) -> None:
    """Customers reduced and scored in groups: the local flags and report,
    the default ``as_of`` read over every group (the last row may be in
    any group), groups without customers included (7 groups of few ids)."""
    dd = pytest.importorskip("dask.dataframe")
    import dask

    import ciblage.dask as cdask

    tx = _transactions(n=900, customers=12)
    cuts = [0, 0, 11, 11, 500, 501, 900]
    parts = [tx.iloc[a:b] for a, b in zip(cuts, cuts[1:], strict=False)]
    ddf = dd.from_delayed([dask.delayed(p) for p in parts], meta=tx.iloc[:0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = cdask.churn_flags(ddf, split_every=2, split_out=split_out, **kwargs)
    want = _local(tx, kwargs)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert got.attrs["input_report"] == want.attrs["input_report"]


def test_dask_split_out_groups_cut_customers_alike_in_every_partition() -> None:
    from ciblage.dask._churn import _states

    tx = _transactions(n=600)
    spec = _partial_days.day_spec(
        "churn_flags", {"customer": "customer_id", "timestamp": "timestamp", "amount": "amount", "days": 30}
    )
    seen: dict[str, int] = {}
    for a, b in [(0, 200), (200, 450), (450, 600)]:
        groups = _states(spec, tx.iloc[a:b], 4)
        assert len(groups) == 4
        ids = [g.column("customer").to_pylist() for g in groups]
        assert sorted(i for group in ids for i in group) == sorted(set(tx["customer_id"].iloc[a:b]))
        for k, group in enumerate(ids):
            for i in group:
                assert seen.setdefault(i, k) == k, f"customer {i} in groups {seen[i]} and {k}"
    assert len(set(seen.values())) > 1


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True, None])
def test_dask_split_out_refused(dask_client, bad) -> None:
    dd = pytest.importorskip("dask.dataframe")
    import ciblage.dask as cdask
    from ciblage.exceptions import InvalidParameterError

    ddf = dd.from_pandas(_transactions(n=50), npartitions=2)
    with pytest.raises(InvalidParameterError, match="split_out"):
        cdask.churn_flags(ddf, split_out=bad)


def test_spark_equals_local(spark) -> None:
    import ciblage.spark as cspark

    tx = _transactions(n=900)
    table = pa.Table.from_pandas(tx, preserve_index=False)
    table = table.set_column(1, "timestamp", table.column("timestamp").cast(pa.timestamp("us", tz="UTC")))
    table = table.set_column(0, "customer_id", table.column("customer_id").cast(pa.string()))
    table = table.replace_schema_metadata(None)
    bounds = [0, 5, 5, 600, table.num_rows]
    frames = [spark.createDataFrame(table.slice(a, b - a)) for a, b in zip(bounds, bounds[1:], strict=False)]
    sdf = frames[0]
    for f in frames[1:]:
        sdf = sdf.union(f)
    for kwargs in RULES:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = cspark.churn_flags(sdf, **kwargs)
        want = _local(table, kwargs)
        got_pd, want_pd = got.toArrow().to_pandas(), want.replace_schema_metadata(None).to_pandas()
        pd.testing.assert_frame_equal(got_pd, want_pd, check_exact=True)
        assert got.input_report == _report(want), kwargs


def _report(table: pa.Table) -> dict:
    import json

    return json.loads(table.schema.metadata[b"ciblage.input_report"])


def _spec(**kwargs) -> _partial_days.DaySpec:
    args = {"customer": "customer_id", "timestamp": "timestamp", "amount": "amount", "timezone": None}
    args.update(kwargs)
    return _partial_days.day_spec("churn_flags", args)


def test_state_is_one_row_per_customer_with_his_purchase_days() -> None:
    tx = _transactions(n=500)
    state = _partial_churn.partition_state(_spec(), [tx])
    assert state.num_rows == tx["customer_id"].nunique()
    # An independent pandas computation: distinct local (Paris) days of
    # positive amounts, in days since 1970-01-01.
    local_day = tx["timestamp"].dt.tz_convert("Europe/Paris").dt.tz_localize(None).dt.normalize()
    days = (local_day - pd.Timestamp("1970-01-01")).dt.days
    bought = tx[tx["amount"] > 0].assign(day=days[tx["amount"] > 0])
    want = bought.groupby("customer_id", observed=True)["day"].apply(lambda d: sorted(set(d))).to_dict()
    got = dict(zip(state.column("customer").to_pylist(), state.column("purchase_days").to_pylist(), strict=True))
    assert {k: v for k, v in got.items() if v} == {str(k): v for k, v in want.items()}
    assert got["c3"] == []  # returns only
    assert sum(state.column("rows").to_pylist()) == len(tx)
    assert sum(state.column("not_a_purchase").to_pylist()) == int((tx["amount"] <= 0).sum())


def test_merge_laws_any_cut_any_order() -> None:
    tx = _transactions(n=600)
    for spec in (_spec(), _spec(as_of="2024-05-01")):
        whole = _partial_churn.partition_state(spec, [tx])
        rng = np.random.default_rng(0)
        for _ in range(5):
            bounds = [0, *sorted(rng.integers(0, len(tx), 4)), len(tx)]
            cuts = zip(bounds, bounds[1:], strict=False)
            states = [_partial_churn.partition_state(spec, [tx.iloc[a:b]]) for a, b in cuts]
            order = rng.permutation(len(states))
            left = _partial_churn.merge_states([states[i] for i in order])
            nested = _partial_churn.merge_states(
                [_partial_churn.merge_states(states[:2]), _partial_churn.merge_states(states[2:])]
            )
            assert left.equals(whole)
            assert nested.equals(whole)


def test_flags_by_hand() -> None:
    """Customer a buys on days 0, 10 and 30 (gaps 10, 20: median 15) and
    returns on day 40; b buys on day 5 only; as of day 50: a's silence is
    50 - 30 = 20, b's 45. Median gap, multiple 2: a's threshold 30 (not
    churned), b's the fallback 40 (churned)."""
    day = pd.Timedelta(days=1)
    t0 = pd.Timestamp("1970-01-01 12:00", tz="UTC")
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "a", "b", "b"],
            "timestamp": [t0, t0 + 10 * day, t0 + 30 * day, t0 + 40 * day, t0 + 5 * day, t0 + 60 * day],
            "amount": [5.0, 5.0, 5.0, -5.0, 5.0, 5.0],
        }
    )
    spec = _spec(rule="median_gap", multiple=2.0, fallback_days=40, as_of="1970-02-20")
    halves = [_partial_churn.partition_state(spec, [tx.iloc[:3]]), _partial_churn.partition_state(spec, [tx.iloc[3:]])]
    flags = _partial_churn.score(spec, _partial_churn.merge_states(halves), 50)
    table, report = _partial_churn.finish(spec, flags)
    assert table.column("days_since_last").to_pylist() == [20, 45]
    assert table.column("median_gap_days").to_pylist() == [15.0, None]
    assert table.column("threshold_days").to_pylist() == [30.0, 40.0]
    assert table.column("churned").to_pylist() == [False, True]
    assert report["left_out"] == {"after_as_of": 1, "not_a_purchase": 1}
