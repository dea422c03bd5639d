"""Cluster labels used as segments by the rest of the library: migration
between two dates, value tiers per segment, a lifecycle rule on the
segment, and the clustering models saved and loaded."""

from __future__ import annotations

import pickle
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import ciblage
from ciblage import lifecycle
from ciblage.cluster import KMeans, KPrototypes, profile
from ciblage.exceptions import ModelFileError


def _customers(seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 300
    g = np.arange(n) % 3
    return pd.DataFrame(
        {
            "customer_id": np.arange(n),
            "recency_days": np.array([10.0, 90.0, 300.0])[g] + rng.normal(0, 5, n) + shift,
            "monetary": np.array([500.0, 150.0, 40.0])[g] + rng.normal(0, 10, n),
        }
    )


def _fit(df: pd.DataFrame) -> KMeans:
    return KMeans(n_clusters=3, random_state=0).fit(df[["recency_days", "monetary"]])


def test_labels_at_two_dates_feed_migration() -> None:
    before = _customers(0)
    km = _fit(before)
    after = _customers(1, shift=120.0).iloc[:250]  # 50 customers gone
    a = pd.DataFrame({"customer_id": before["customer_id"], "segment": km.labels_})
    b = pd.DataFrame({"customer_id": after["customer_id"], "segment": km.predict(after[["recency_days", "monetary"]])})
    m = ciblage.migration(a, b)
    # Independent count: customers of each (before, after) pair, the 50
    # missing after counted as "(absent)".
    merged = a.merge(b, on="customer_id", how="left", suffixes=("_0", "_1"))
    moved = merged.dropna().astype({"segment_1": int})
    want = pd.crosstab(moved["segment_0"], moved["segment_1"])
    assert m.labels == ["(absent)", "0", "1", "2"]
    for s0 in want.index:
        for s1 in want.columns:
            got = _cell(m, s0, s1)
            assert got == want.loc[s0, s1], (s0, s1)
    assert sum(_cell(m, s0, "(absent)") for s0 in want.index) == 50


def _cell(m: ciblage.Migration, before: object, after: object) -> int:
    """The count of one (before, after) pair of a Migration (labels as text)."""
    return int(m.counts.set_index("before").loc[str(before), str(after)])


def test_value_tiers_summarised_per_segment() -> None:
    df = _customers(2)
    df["segment"] = _fit(df).labels_
    tiers = ciblage.value_tiers(df, value="monetary")
    joined = df.merge(
        tiers.customers.to_pandas() if hasattr(tiers.customers, "to_pandas") else tiers.customers, on="customer_id"
    )
    by_segment = pd.crosstab(joined["segment"], joined["tier"])
    assert by_segment.to_numpy().sum() == len(df)
    # The Best tier (top 5 % by monetary) sits in the segment of highest
    # mean monetary, as the profile says.
    p = profile(df[["recency_days", "monetary"]], df["segment"], revenue=df["monetary"]).table.set_index("segment")
    top = p["monetary_mean"].idxmax()
    assert by_segment["Best"].idxmax() == top
    assert p.loc[top, "revenue_share"] == pytest.approx(
        df.loc[df.segment == top, "monetary"].sum() / df["monetary"].sum()
    )


def test_a_lifecycle_rule_on_the_segment() -> None:
    df = _customers(3)
    df["segment"] = _fit(df).labels_
    vip = int(df.groupby("segment")["monetary"].mean().idxmax())
    rules = lifecycle.RuleSet.from_toml(
        f"""
version = 1

[[rule]]
name = "segment_vip"
priority = 10
when = [{{ tier = ["{vip}"] }}]
action = "vip offer"
cost = 1.0
"""
    )
    result = lifecycle.evaluate(df, rules=rules, tier="segment", today="2024-07-01")
    out = result.customers if isinstance(result.customers, pd.DataFrame) else result.customers.to_pandas()
    fired = out["actions"].fillna("").str.contains("vip offer") if "actions" in out else None
    assert fired is not None, list(out.columns)
    np.testing.assert_array_equal(fired.to_numpy(), (df["segment"] == vip).to_numpy())


def test_models_round_trip_and_reject_damaged_files() -> None:
    df = _customers(4)
    X = df[["recency_days", "monetary"]]
    km = _fit(df)
    back = KMeans.from_json(km.to_json())
    np.testing.assert_array_equal(back.predict(X), km.predict(X))
    with pytest.raises(ModelFileError):
        KMeans.from_json(km.to_json()[:-20])
    with pytest.raises(ModelFileError):
        KMeans.from_json(km.to_json().replace('"n_clusters":3', '"n_clusters":-1'))
    mixed = df.assign(channel=np.where(df["monetary"] > 100, "shop", "web"))[["monetary", "channel"]]
    kp = KPrototypes(n_clusters=2, random_state=0).fit(mixed)
    again = pickle.loads(pickle.dumps(kp))
    np.testing.assert_array_equal(again.predict(mixed), kp.predict(mixed))


def test_twelve_cluster_labels_in_numeric_order() -> None:
    n = 240
    ids = np.arange(n)
    a = pd.DataFrame({"customer_id": ids, "segment": ids % 12})
    b = pd.DataFrame({"customer_id": ids[:200], "segment": (ids[:200] * 5 + 3) % 12})  # 40 gone
    m = ciblage.migration(a, b)
    assert m.labels == ["(absent)"] + [str(i) for i in range(12)]
    assert list(m.counts.columns) == ["before", "(absent)"] + [str(i) for i in range(12)]
    merged = a.merge(b, on="customer_id", how="left", suffixes=("_0", "_1"))
    want = pd.crosstab(merged["segment_0"], merged["segment_1"].fillna(-1).astype(int))
    for s0 in range(12):
        for s1 in range(12):
            assert _cell(m, s0, s1) == (want.loc[s0, s1] if s1 in want.columns else 0), (s0, s1)
        assert _cell(m, s0, "(absent)") == want.loc[s0, -1]
    assert _cell(m, "(absent)", "0") == 0
    # Integer labels of both sides share one order: 11 only after.
    m2 = ciblage.migration(a[a.segment < 10], b.assign(segment=b.segment.where(b.segment != 2, 11)))
    assert m2.labels == ["(absent)"] + [str(i) for i in range(12)]


def test_numeric_labels_of_other_types_and_text_labels() -> None:
    ids = np.arange(24)
    # Floats and unsigned integers in numeric order too.
    floats = pd.DataFrame({"customer_id": ids, "segment": (ids % 12) / 2.0 + 0.5})
    m = ciblage.migration(floats, floats)
    assert [float(x) for x in m.labels] == sorted({x / 2.0 + 0.5 for x in range(12)})
    dec = pa.table({"customer_id": ids, "segment": pa.array([Decimal(f"{i % 12}.5") for i in ids])})
    assert ciblage.migration(dec, dec).labels == [f"{i}.5" for i in range(12)]
    unsigned = pd.DataFrame({"customer_id": ids, "segment": (ids % 12).astype(np.uint8)})
    assert ciblage.migration(unsigned, unsigned).labels == [str(i) for i in range(12)]
    # Text labels stay text, sorted as text even when they look like numbers.
    text = pd.DataFrame({"customer_id": ids, "segment": [str(i % 12) for i in ids]})
    assert ciblage.migration(text, text).labels == sorted(str(i) for i in range(12))
    # A categorical side keeps its categories' order first, absent last.
    cat = text.assign(segment=pd.Categorical(text.segment, categories=[str(i) for i in range(11, -1, -1)]))
    m = ciblage.migration(cat, unsigned.iloc[:20])
    assert m.labels == [str(i) for i in range(11, -1, -1)] + ["(absent)"]
