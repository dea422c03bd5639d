"""Next-best product per customer (ciblage.basket.next_best_products)
against a plain-Python recommender, and segment labellings of ours (RFM
segments, k-means cluster labels) feeding segment_affinity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import ciblage
from ciblage.basket import next_best_products, segment_affinity
from ciblage.cluster import KMeans
from ciblage.exceptions import (
    ColumnNotFoundError,
    ColumnTypeError,
    InvalidInputError,
    InvalidParameterError,
)


def _naive(lines: pd.DataFrame, rules: pd.DataFrame, k: int, margins: dict | None = None) -> list[tuple]:
    """Every rule against every customer, best rule per product, top k."""
    out = []
    for cust, group in sorted(lines.groupby("customer_id")):
        items = set(group["product"])
        best: dict = {}
        for i, r in rules.iterrows():
            if set(r["antecedents"]) <= items:
                for x in set(r["consequents"]) - items:
                    score = r["confidence"] * margins[x] if margins else r["lift"] * r["confidence"]
                    key = (score, r["confidence"], r["lift"], -i)
                    if x not in best or key > best[x][0]:
                        best[x] = (key, i)
        ranked = sorted(best.items(), key=lambda kv: (-kv[1][0][0], kv[0]))[:k]
        out += [(cust, rank + 1, x, i) for rank, (x, (_, i)) in enumerate(ranked)]
    return out


def _data(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    lines = pd.DataFrame({"customer_id": rng.integers(0, 40, 200), "product": rng.integers(0, 12, 200)})
    rules = []
    for _ in range(25):
        a = sorted(set(rng.integers(0, 12, rng.integers(0, 3)).tolist()))
        c = sorted(set(rng.integers(0, 12, rng.integers(1, 3)).tolist()) - set(a)) or [11]
        rules.append((frozenset(a), frozenset(c), float(rng.integers(1, 9)) / 8, float(rng.integers(1, 9)) / 4))
    return lines, pd.DataFrame(rules, columns=["antecedents", "consequents", "confidence", "lift"])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_the_naive_recommender(seed: int) -> None:
    lines, rules = _data(seed)
    got = next_best_products(lines, rules, k=3).to_pandas()
    assert list(got[["customer", "rank", "product", "rule"]].itertuples(index=False, name=None)) == _naive(
        lines, rules, 3
    )
    # Scores are lift × confidence of the rule named.
    np.testing.assert_allclose(
        got["score"], rules.loc[got["rule"], "lift"].to_numpy() * rules.loc[got["rule"], "confidence"].to_numpy()
    )


def test_expected_margin_and_other_libraries() -> None:
    lines, rules = _data(3)
    margins = {p: float(p % 5) for p in range(12)}
    got = next_best_products(lines, rules, k=2, rank="expected_margin", margins=margins).to_pandas()
    assert list(got[["customer", "rank", "product", "rule"]].itertuples(index=False, name=None)) == _naive(
        lines, rules, 2, margins
    )
    # Rules as a polars frame with list columns, lines as pyarrow: the same.
    pl_rules = pl.DataFrame(
        {
            "antecedents": [sorted(a) for a in rules["antecedents"]],
            "consequents": [sorted(c) for c in rules["consequents"]],
            "confidence": rules["confidence"],
            "lift": rules["lift"],
        }
    )
    again = next_best_products(
        pa.Table.from_pandas(lines), pl_rules, k=2, rank="expected_margin", margins=pd.Series(margins)
    )
    pd.testing.assert_frame_equal(got, again.to_pandas(), check_like=False)
    assert again.input_report["customers"] == lines.customer_id.nunique()
    assert "NextBestProducts" in again._repr_html_()


def test_bad_rules_are_refused_naming_the_column() -> None:
    lines, rules = _data(4)
    with pytest.raises(ColumnNotFoundError, match='rules: column "lift" not found'):
        next_best_products(lines, rules.drop(columns="lift"))
    bad = rules.copy()
    bad.loc[2, "confidence"] = 1.5
    with pytest.raises(InvalidInputError, match='"confidence": expected a finite number from 0.0 to 1.0 at row 2'):
        next_best_products(lines, bad)
    bad = rules.copy()
    bad.loc[1, "lift"] = np.nan
    with pytest.raises(InvalidInputError, match='"lift".*row 1'):
        next_best_products(lines, bad)
    bad = rules.copy()
    bad["consequents"] = bad["consequents"].astype(object)
    bad.at[0, "consequents"] = frozenset()
    with pytest.raises(InvalidInputError, match="empty item set at row 0"):
        next_best_products(lines, bad)
    bad.at[0, "consequents"] = 5
    with pytest.raises(InvalidInputError, match="list or set of product ids at row 0"):
        next_best_products(lines, bad)
    strs = rules.assign(consequents=[frozenset({"x"})] * len(rules))
    with pytest.raises(ColumnTypeError, match="product id .x. is not of the kind"):
        next_best_products(lines, strs)
    with pytest.raises(InvalidParameterError, match="margins"):
        next_best_products(lines, rules, rank="expected_margin")
    with pytest.raises(InvalidParameterError, match="no margin for product"):
        next_best_products(lines, rules, rank="expected_margin", margins={0: 1.0})
    with pytest.raises(ColumnTypeError, match="product id 1.5 is not of the kind"):
        next_best_products(lines, rules.assign(antecedents=[[1.5]] * len(rules)))
    with pytest.raises(ColumnTypeError, match="product id True"):
        next_best_products(lines, rules.assign(consequents=[[True]] * len(rules)))
    with pytest.raises(InvalidInputError, match="lines: input is empty"):
        next_best_products(lines.iloc[:0], rules)
    with pytest.raises(InvalidParameterError, match="invalid parameter k"):
        next_best_products(lines, rules, k=0)
    with pytest.raises(InvalidParameterError, match="invalid parameter rank"):
        next_best_products(lines, rules, rank="lift")


def test_rfm_segments_and_cluster_labels_feed_segment_affinity() -> None:
    tx = ciblage.datasets.transactions(customers=300, transactions=3_000, seed=11, library="pandas")
    rng = np.random.default_rng(0)
    lines = tx[["customer_id", "amount"]].assign(product=rng.integers(0, 8, len(tx)))
    # RFM segments: ciblage.rfm's table has customer_id and segment columns.
    rfm = ciblage.rfm(tx, bins=4)
    a = segment_affinity(lines, rfm)
    # The same labelling given as a plain frame: the same table.
    plain = rfm[["customer_id", "segment"]].copy()
    pd.testing.assert_frame_equal(a.to_pandas(), segment_affinity(lines, plain).to_pandas())
    # The whole RFM result is read through its customers table.
    pd.testing.assert_frame_equal(a.to_pandas(), segment_affinity(lines, ciblage.rfm_analysis(tx, bins=4)).to_pandas())
    # Independent check of one number: a segment's buyers of product 0.
    seg0 = a.to_pandas().iloc[0]
    members = set(plain.loc[plain.segment == seg0["segment"], "customer_id"])
    want = lines[(lines["product"] == seg0["product"]) & lines.customer_id.isin(members)].customer_id.nunique()
    assert seg0["buyers"] == want
    # k-means cluster labels as segments.
    feats = rfm[["recency_days", "frequency", "monetary"]].astype("float64")
    labels = KMeans(n_clusters=3, random_state=0).fit(feats).labels_
    clusters = pd.DataFrame({"customer_id": rfm["customer_id"], "segment": labels})
    b = segment_affinity(lines, clusters).to_pandas()
    assert sorted(b["segment"].unique()) == [0, 1, 2]
    sizes = b.drop_duplicates("segment").set_index("segment")["customers"]
    assert sizes.to_dict() == pd.Series(labels).value_counts().to_dict()
