"""ciblage.clv.summary: margins (cost=), the input report, multi-batch and
zoned input, each against an independent pandas computation."""

from __future__ import annotations

import pathlib

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from ciblage import clv
from ciblage.exceptions import ColumnNotFoundError, ColumnTypeError, InvalidInputError

DATA = pathlib.Path(__file__).resolve().parent / "data" / "clv"


def _tx(n: int = 4000, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2023-01-01")
    return pd.DataFrame(
        {
            "customer_id": rng.integers(0, 300, n),
            "timestamp": start + pd.to_timedelta(rng.integers(0, 365 * 24, n), unit="h"),
            "amount": rng.integers(1, 400, n) / 4.0,
            "cost": rng.integers(0, 200, n) / 4.0,
        }
    )


def _pandas_summary(tx: pd.DataFrame, value: pd.Series, end: str, cal: str | None = None) -> pd.DataFrame:
    """lifetimes' semantics with daily periods, written out in pandas."""
    d = tx.assign(day=tx["timestamp"].dt.normalize(), value=value)
    d = d[d["day"] <= pd.Timestamp(end)]
    per = d.groupby(["customer_id", "day"], as_index=False)["value"].sum()
    cut = pd.Timestamp(cal or end)
    calib = per[per["day"] <= cut]
    first = calib.groupby("customer_id")["day"].min()
    rows = []
    for cid, g in calib.groupby("customer_id"):
        g = g.sort_values("day")
        repeat = g.iloc[1:]
        rows.append(
            {
                "customer_id": cid,
                "frequency": len(repeat),
                "recency": (g["day"].max() - first[cid]).days,
                "T": (cut - first[cid]).days,
                "monetary_value": repeat["value"].mean() if len(repeat) else 0.0,
            }
        )
    return pd.DataFrame(rows)


def test_cost_makes_monetary_value_the_mean_repeat_margin() -> None:
    tx = _tx()
    s = clv.summary(tx, cost="cost", observation_end="2023-12-31")
    expected = _pandas_summary(tx, tx["amount"] - tx["cost"], "2023-12-31")
    assert s["customer_id"].tolist() == expected["customer_id"].tolist()
    assert s["frequency"].tolist() == expected["frequency"].tolist()
    np.testing.assert_allclose(s["recency"], expected["recency"])
    np.testing.assert_allclose(s["monetary_value"], expected["monetary_value"], rtol=1e-12, atol=1e-9)
    assert s.attrs["input_report"]["margin"] is True
    # Without cost: the revenue, as before.
    plain = clv.summary(tx, observation_end="2023-12-31")
    revenue = _pandas_summary(tx, tx["amount"], "2023-12-31")
    np.testing.assert_allclose(plain["monetary_value"], revenue["monetary_value"], rtol=1e-12, atol=1e-9)
    assert plain.attrs["input_report"]["margin"] is False


def test_margin_holdout_and_gamma_gamma_give_margin_clv() -> None:
    tx = _tx(n=6000, seed=3)
    s = clv.summary(tx, cost="cost", calibration_end="2023-09-30", observation_end="2023-12-31")
    d = tx.assign(day=tx["timestamp"].dt.normalize(), m=tx["amount"] - tx["cost"])
    hold = d[(d["day"] > "2023-09-30") & (d["day"] <= "2023-12-31")].groupby(["customer_id", "day"])["m"].sum()
    mean = hold.groupby(level=0).mean()
    got = s.set_index("customer_id")["monetary_value_holdout"]
    for cid, v in got.items():
        assert v == pytest.approx(mean.get(cid, 0.0), rel=1e-12, abs=1e-9)


def test_margin_summary_gives_margin_gamma_gamma_spend() -> None:
    # CDNOW with a cost of 30 % of each amount: every margin is 0.7 × the
    # amount, and Gamma-Gamma is scale-equivariant (p, q unchanged, v × 0.7),
    # so the expected margin is 0.7 × the expected spend.
    raw = pd.read_csv(
        DATA / "CDNOW_sample.txt", sep=r"\s+", header=None, names=["m", "customer_id", "date", "n", "amount"]
    )
    raw["timestamp"] = pd.to_datetime(raw["date"].astype(str), format="%Y%m%d")
    raw["cost"] = raw["amount"] * 0.3
    revenue = clv.summary(raw, freq="7D", observation_end="1997-09-30")
    margin = clv.summary(raw, freq="7D", observation_end="1997-09-30", cost="cost")
    np.testing.assert_allclose(margin["monetary_value"], 0.7 * revenue["monetary_value"], rtol=1e-12)
    rep_r, rep_m = revenue[revenue["frequency"] > 0], margin[margin["frequency"] > 0]
    spend_r = clv.GammaGamma().fit(rep_r).expected_average_spend(rep_r)
    spend_m = clv.GammaGamma().fit(rep_m).expected_average_spend(rep_m)
    np.testing.assert_allclose(spend_m, 0.7 * spend_r, rtol=1e-4)


def test_cost_checks_name_the_cost_column() -> None:
    tx = _tx(50)
    with pytest.raises(ColumnNotFoundError, match="cost"):
        clv.summary(tx, cost="margin_cost")
    with pytest.raises(InvalidInputError, match="cost"):
        clv.summary(tx.assign(cost=[np.nan] + [1.0] * 49), cost="cost")
    with pytest.raises(ColumnTypeError, match="cost"):
        clv.summary(tx.assign(cost=["x"] * 50), cost="cost")
    # Negative costs are kept, as RFM's margin keeps them.
    neg = tx.assign(cost=-1.0)
    s = clv.summary(neg, cost="cost")
    ref = _pandas_summary(neg, neg["amount"] + 1.0, str(neg["timestamp"].max().date()))
    np.testing.assert_allclose(s["monetary_value"], ref["monetary_value"], rtol=1e-12, atol=1e-9)


def test_several_batches_and_zones_read_as_one_table() -> None:
    tx = _tx(3000, seed=11)
    table = pa.Table.from_pandas(tx, preserve_index=False)
    batches = pa.Table.from_batches(table.to_batches(max_chunksize=700))
    a = clv.summary(table, freq="W")
    b = clv.summary(batches, freq="W")
    assert a.equals(b)
    # In Asia/Tokyo (UTC+9) a 20:00 UTC purchase falls on the next day.
    zoned = tx.assign(timestamp=tx["timestamp"].dt.tz_localize("UTC"))
    s = clv.summary(zoned, timezone="Asia/Tokyo")
    local = zoned.assign(timestamp=zoned["timestamp"].dt.tz_convert("Asia/Tokyo").dt.tz_localize(None))
    ref = _pandas_summary(local, local["amount"], str(local["timestamp"].max().date()))
    assert s["frequency"].tolist() == ref["frequency"].tolist()
    np.testing.assert_allclose(s["T"], ref["T"])


def test_returns_and_late_rows_are_counted() -> None:
    tx = _tx(500, seed=5)
    tx.loc[::10, "amount"] = -5.0
    s = clv.summary(tx, negative_amounts="exclude", observation_end="2023-10-31")
    r = s.attrs["input_report"]
    late = int((tx["timestamp"].dt.normalize() > "2023-10-31").sum())
    negative = int(((tx["timestamp"].dt.normalize() <= "2023-10-31") & (tx["amount"] < 0)).sum())
    assert r["left_out"]["after_observation_end"] == late
    assert r["left_out"]["negative_excluded"] == negative
    assert r["rows_used"] == 500 - late - negative
    with pytest.raises(InvalidInputError, match="amount"):
        clv.summary(tx, negative_amounts="reject")


def test_many_batches_read_in_place_give_the_identical_summary() -> None:
    tx = _tx(5000, seed=13)
    table = pa.Table.from_pandas(tx, preserve_index=False)
    # 50 record batches of 100 rows, and batches of uneven sizes with an empty one.
    many = pa.Table.from_batches(table.to_batches(max_chunksize=100))
    cuts = [0, 1, 1, 777, 2500, 4999, 5000]
    uneven = pa.Table.from_batches(
        [
            pa.RecordBatch.from_pylist(table.slice(a, b - a).to_pylist(), schema=table.schema)
            for a, b in zip(cuts, cuts[1:], strict=False)
        ]
    )
    assert [b.num_rows for b in uneven.to_batches()] == [1, 0, 776, 1723, 2499, 1]
    assert many.to_batches()[0].num_rows == 100 and len(many.to_batches()) == 50
    for kw in (
        {"freq": "W"},
        {"freq": "D", "cost": "cost"},
        {"freq": "W", "calibration_end": "2023-09-30", "observation_end": "2023-12-31"},
    ):
        one = clv.summary(table, **kw)
        assert clv.summary(many, **kw).equals(one), kw
        assert clv.summary(uneven, **kw).equals(one), kw
    # The independent pandas computation on the many-batch table.
    s = clv.summary(many, cost="cost").to_pandas()
    ref = _pandas_summary(tx, tx["amount"] - tx["cost"], str(tx["timestamp"].max().date()))
    assert s["frequency"].tolist() == ref["frequency"].tolist()
    np.testing.assert_allclose(s["monetary_value"], ref["monetary_value"], rtol=1e-12, atol=1e-9)


def test_many_batch_polars_frame_and_errors_name_the_table_row() -> None:
    pl = pytest.importorskip("polars")
    tx = _tx(3000, seed=17)
    frame = pl.concat([pl.from_pandas(tx.iloc[i : i + 300]) for i in range(0, 3000, 300)], rechunk=False)
    assert frame.n_chunks() > 1
    got = clv.summary(frame, freq="W").to_pandas()
    want = clv.summary(tx, freq="W")
    np.testing.assert_array_equal(got["frequency"].to_numpy(), want["frequency"].to_numpy())
    np.testing.assert_allclose(got["monetary_value"], want["monetary_value"], rtol=1e-12)
    # A bad value in the 8th batch is named by its row in the whole table.
    bad = tx.copy()
    bad.loc[2345, "amount"] = np.inf
    table = pa.Table.from_batches(pa.Table.from_pandas(bad, preserve_index=False).to_batches(max_chunksize=300))
    with pytest.raises(InvalidInputError, match="row 2345"):
        clv.summary(table)
    bad_cost = tx.copy()
    bad_cost.loc[1234, "cost"] = np.nan
    table = pa.Table.from_batches(pa.Table.from_pandas(bad_cost, preserve_index=False).to_batches(max_chunksize=300))
    with pytest.raises(InvalidInputError, match="row 1234"):
        clv.summary(table, cost="cost")


def test_many_rows_a_customer_match_pandas_for_every_id_kind_and_library() -> None:
    # 40 rows a customer: string
    # and integer ids, pandas, polars and pyarrow input, with a calibration
    # end, against the computation in pandas; every library gives the same
    # bits.
    import polars as pl

    tx = _tx(n=12_000, seed=21).sample(frac=1.0, random_state=5).reset_index(drop=True)
    expected = _pandas_summary(tx, tx["amount"], "2023-12-31", cal="2023-08-31")
    for ids in (tx["customer_id"], "C" + tx["customer_id"].astype(str)):
        frame = tx.assign(customer_id=ids)
        want = expected.assign(customer_id=expected["customer_id"].map(dict(zip(tx["customer_id"], ids, strict=True))))
        want = want.sort_values("customer_id", kind="stable").reset_index(drop=True)
        kw = dict(observation_end="2023-12-31", calibration_end="2023-08-31")
        s = clv.summary(frame, **kw)
        assert s["customer_id"].tolist() == want["customer_id"].tolist()
        assert s["frequency"].tolist() == want["frequency"].tolist()
        np.testing.assert_allclose(s["recency"], want["recency"])
        np.testing.assert_allclose(s["T"], want["T"])
        np.testing.assert_allclose(s["monetary_value"], want["monetary_value"], rtol=1e-12, atol=1e-9)
        other = [
            clv.summary(pl.from_pandas(frame), **kw).to_pandas(),
            clv.summary(pa.Table.from_pandas(frame, preserve_index=False), **kw).to_pandas(),
        ]
        for o in other:
            for c in s.columns:
                assert o[c].tolist() == s[c].tolist(), c
