"""Retention, cohorts, survival, churn flags and migration checked against
independent pandas code and hand-computed cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

import ciblage
from ciblage.exceptions import ColumnNotFoundError, InvalidInputError, InvalidParameterError


def pandas_active_sets(tx: pd.DataFrame, freq: str) -> tuple[pd.PeriodIndex, dict[pd.Period, set]]:
    buys = tx[tx["amount"] > 0]
    periods = buys["timestamp"].dt.to_period(freq)
    sets = buys.groupby(periods)["customer_id"].agg(set).to_dict()
    last = tx["timestamp"].max().to_period(freq)
    index = pd.period_range(periods.min(), last, freq=freq)
    return index, {p: sets.get(p, set()) for p in index}


def test_periods_match_pandas(synthetic: pd.DataFrame) -> None:
    tx = synthetic.assign(timestamp=synthetic["timestamp"].dt.tz_convert(None))
    r = ciblage.retention(tx, period="month")
    index, sets = pandas_active_sets(tx, "M")
    p = r.periods
    assert list(p["period"]) == [str(x) for x in index]
    seen: set = set()
    for i, per in enumerate(index):
        now = sets[per]
        before = sets[index[i - 1]] if i else set()
        row = p.iloc[i]
        assert row["active"] == len(now)
        assert row["new"] == len(now - seen)
        assert row["repeating"] == len(now & before)
        assert row["reactivated"] == len((now - before) & seen)
        assert row["lapsed"] == len(before - now)
        if before:
            assert row["retention"] == pytest.approx(len(now & before) / len(before))
            assert row["retention"] + row["attrition"] == pytest.approx(1.0)
        seen |= now
    revenue = tx.groupby(tx["timestamp"].dt.to_period("M"))["amount"].sum()
    np.testing.assert_allclose(p["revenue"].to_numpy(), revenue.reindex(index, fill_value=0).to_numpy())


def qlabel(p: pd.Period) -> str:
    return f"{p.year}-Q{p.quarter}"


def test_cohort_matrices_match_pandas(synthetic: pd.DataFrame) -> None:
    tx = synthetic.assign(timestamp=synthetic["timestamp"].dt.tz_convert(None))
    r = ciblage.retention(tx, period="quarter")
    q = tx["timestamp"].dt.to_period("Q")
    buys = tx.assign(q=q)[tx["amount"] > 0]
    first = buys.groupby("customer_id")["q"].min()
    last_q = tx["timestamp"].max().to_period("Q")
    offset = (buys["q"] - buys["customer_id"].map(first)).map(lambda d: d.n)
    active = buys.assign(cohort=buys["customer_id"].map(first), k=offset).drop_duplicates(["customer_id", "k"])
    counts = active.groupby(["cohort", "k"]).size().unstack(fill_value=0)
    sizes = first.value_counts().sort_index()
    classic = r.cohorts("classic", shares=False).set_index("cohort")
    for cohort, size in sizes.items():
        row = classic.loc[qlabel(cohort)]
        assert row["size"] == size
        horizon = (last_q - cohort).n
        for k in range(horizon + 1):
            assert row[str(k)] == counts.loc[cohort].get(k, 0)
        # Right-censoring: cells past the last observed quarter are null.
        assert all(pd.isna(row[str(k)]) for k in range(horizon + 1, len(r.periods)))
    # Rolling: active in cohort + k or later = last purchase offset ≥ k.
    last_k = active.groupby("customer_id")["k"].max()
    rolling = r.cohorts("rolling").set_index("cohort")
    for cohort, size in sizes.items():
        members = first.index[first == cohort]
        for k in range((last_q - cohort).n + 1):
            assert rolling.loc[qlabel(cohort), str(k)] == pytest.approx((last_k[members] >= k).sum() / size)
    # Revenue: every row of a buyer counted at max(period − cohort, 0).
    rows = tx.assign(q=q)[tx["customer_id"].isin(first.index)]
    rk = (rows["q"] - rows["customer_id"].map(first)).map(lambda d: max(d.n, 0))
    rev = rows.assign(cohort=rows["customer_id"].map(first), k=rk).groupby(["cohort", "k"])["amount"].sum()
    revenue = r.cohorts("revenue", shares=False).set_index("cohort")
    for (cohort, k), amount in rev.items():
        assert revenue.loc[qlabel(cohort), str(k)] == pytest.approx(amount)


def kaplan_meier(durations: np.ndarray, events: np.ndarray, horizon: int) -> list[float]:
    """Textbook product-limit estimator over integer durations 1..horizon."""
    s, out = 1.0, []
    for t in range(1, horizon + 1):
        at_risk = (durations >= t).sum()
        if at_risk == 0:
            out.append(float("nan"))
            continue
        s *= 1 - ((durations == t) & events).sum() / at_risk
        out.append(s)
    return out


def test_survival_matches_textbook_kaplan_meier(synthetic: pd.DataFrame) -> None:
    tx = synthetic.assign(timestamp=synthetic["timestamp"].dt.tz_convert(None))
    r = ciblage.retention(tx, period="quarter", churn_after=2)
    buys = tx[tx["amount"] > 0].assign(q=lambda d: d["timestamp"].dt.to_period("Q"))
    g = buys.groupby("customer_id")["q"]
    first, last = g.min(), g.max()
    end = tx["timestamp"].max().to_period("Q")
    life = np.array([(b - a).n + 1 for a, b in zip(first, last, strict=True)])
    churned = np.array([(end - b).n >= 2 for b in last])
    expected = kaplan_meier(life, churned, len(r.periods))
    np.testing.assert_allclose(r.survival["survival"].to_numpy(dtype=float), expected, equal_nan=True)
    sizes = r.cohort_sizes
    assert sizes["churned"].sum() == churned.sum()
    assert (sizes["churned"] + sizes["censored"] == sizes["size"]).all()
    assert sizes["size"].sum() == tx.loc[tx["amount"] > 0, "customer_id"].nunique()


def test_hand_computed_weeks_empty_periods_and_as_of() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "b", "a", "a"],
            # Weeks starting Sunday: Sat Jan 6 → week of Dec 31; Sun Jan 7 →
            # week of Jan 7; nothing in the week of Jan 14; Jan 21.
            "timestamp": pd.to_datetime(["2024-01-06", "2024-01-07", "2024-01-07", "2024-01-21"]),
            "amount": [1.0, 1.0, 1.0, 1.0],
        }
    )
    p = ciblage.retention(tx, period="week", week_start="sunday").periods
    assert list(p["period"]) == ["2023-12-31", "2024-01-07", "2024-01-14", "2024-01-21"]
    assert list(p["active"]) == [1, 2, 0, 1]
    assert list(p["lapsed"]) == [0, 0, 2, 0]
    assert list(p["reactivated"]) == [0, 0, 0, 1]
    assert pd.isna(p["retention"].iloc[3])  # after an empty week: undefined
    cut = ciblage.retention(tx, period="week", week_start="sunday", as_of="2024-01-10").periods
    assert len(cut) == 2 and not cut["complete"].iloc[-1]


def test_churn_flags_match_pandas(synthetic: pd.DataFrame) -> None:
    tx = synthetic.assign(timestamp=synthetic["timestamp"].dt.tz_convert(None))
    flags = ciblage.churn_flags(tx, rule="median_gap", multiple=2.5, fallback_days=200)
    days = tx[tx["amount"] > 0].assign(day=lambda d: d["timestamp"].dt.normalize())
    distinct = days.drop_duplicates(["customer_id", "day"]).sort_values(["customer_id", "day"])
    as_of = tx["timestamp"].max().normalize() + pd.Timedelta(days=1)
    gaps = distinct.groupby("customer_id")["day"].diff().dt.days
    median = gaps.groupby(distinct["customer_id"]).median()
    silence = (as_of - distinct.groupby("customer_id")["day"].max()).dt.days
    threshold = (2.5 * median).fillna(200.0)
    got = flags.set_index("customer_id").loc[silence.index]
    np.testing.assert_array_equal(got["days_since_last"], silence)
    np.testing.assert_allclose(got["threshold_days"], threshold)
    np.testing.assert_array_equal(got["churned"].astype(bool), silence > threshold)
    fixed = ciblage.churn_flags(tx, days=90)
    assert (fixed.dropna()["churned"].astype(bool) == (fixed.dropna()["days_since_last"] > 90)).all()


def test_migration_matches_crosstab(synthetic: pd.DataFrame) -> None:
    before = ciblage.rfm(synthetic, as_of="2023-06-30")
    after = ciblage.rfm(synthetic)
    m = ciblage.migration(before, after)
    joined = before[["customer_id", "segment"]].merge(
        after[["customer_id", "segment"]], on="customer_id", how="outer", suffixes=("_b", "_a")
    )
    b = joined["segment_b"].astype(object).fillna("(absent)")
    a = joined["segment_a"].astype(object).fillna("(absent)")
    expected = pd.crosstab(b, a)
    counts = m.counts.set_index("before")
    for row in expected.index:
        for col in expected.columns:
            assert counts.loc[row, col] == expected.loc[row, col]
    assert counts.to_numpy().sum() == len(joined)
    # Label order follows the segment table (categorical), absent last.
    assert m.labels[0] == "Champions" and m.labels[-1] == "(absent)"
    shares = m.shares.set_index("before")
    assert shares.loc["Champions"].sum() == pytest.approx(1.0)


def test_polars_in_polars_out(synthetic: pd.DataFrame) -> None:
    r = ciblage.retention(pl.from_pandas(synthetic))
    assert isinstance(r.periods, pl.DataFrame) and isinstance(r.cohorts(), pl.DataFrame)
    assert isinstance(ciblage.churn_flags(pl.from_pandas(synthetic)), pl.DataFrame)


def test_errors_name_the_argument(small: pd.DataFrame) -> None:
    with pytest.raises(InvalidParameterError, match="invalid parameter period"):
        ciblage.retention(small, period="fortnight")
    with pytest.raises(InvalidParameterError, match="invalid parameter week_start"):
        ciblage.retention(small, period="week", week_start="someday")
    with pytest.raises(InvalidParameterError, match="invalid parameter churn_after"):
        ciblage.retention(small, churn_after=0)
    with pytest.raises(InvalidParameterError, match="invalid parameter kind"):
        ciblage.retention(small).cohorts("weekly")
    with pytest.raises(InvalidParameterError, match="invalid parameter rule"):
        ciblage.churn_flags(small, rule="sometimes")
    with pytest.raises(InvalidParameterError, match="invalid parameter multiple"):
        ciblage.churn_flags(small, rule="median_gap", multiple=-1)
    with pytest.raises(InvalidInputError, match="transactions: input is empty"):
        ciblage.retention(small.iloc[:0])
    with pytest.raises(InvalidInputError, match="no purchase"):
        ciblage.retention(small.assign(amount=-1.0))
    with pytest.raises(InvalidInputError, match=r'amount \(column "price"\): non-finite value NaN at row 0'):
        ciblage.retention(small.assign(amount=np.nan).rename(columns={"amount": "price"}), amount="price")
    with pytest.raises(ColumnNotFoundError, match='timestamp: column "when" not found'):
        ciblage.churn_flags(small, timestamp="when")
    with pytest.raises(ColumnNotFoundError, match='segment: column "tier" not found'):
        ciblage.migration(small, small, segment="tier")
