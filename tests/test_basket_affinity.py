"""Affinity by segment (ciblage.basket.segment_affinity) and the keep
report, against an independent pandas/scipy computation."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chi2_contingency, fisher_exact

from ciblage.basket import segment_affinity
from ciblage.exceptions import (
    ColumnNotFoundError,
    ColumnTypeError,
    InvalidInputError,
    InvalidParameterError,
    RowsLeftOutWarning,
)


def _data(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Order lines of 60 customers (ids 0..59) over 7 products; customers
    0..49 labelled in 3 segments, plus 50..54 labelled without lines;
    55..59 buy but have no segment."""
    rng = np.random.default_rng(seed)
    n = 600
    cust = rng.integers(0, 60, n)
    cust[:50] = np.arange(50)  # every labelled customer 0..49 buys
    cust[(cust >= 50) & (cust < 55)] = 0
    seg_of = {c: ["gold", "silver", "bronze"][c % 3] for c in range(55)}
    # Gold customers buy product "p6" far more often...
    prod = rng.integers(0, 7, n)
    gold = np.array([seg_of.get(c) == "gold" for c in cust])
    prod[gold & (rng.random(n) < 0.5)] = 6
    prod[~gold & (prod == 6)] = 0  # and only they
    lines = pd.DataFrame(
        {
            "customer_id": cust,
            "product": [f"p{p}" for p in prod],
            "amount": np.round(rng.gamma(2.0, 10.0, n), 2),
        }
    )
    lines["cost"] = np.round(lines["amount"] * rng.uniform(0.3, 1.2, n), 2)
    segments = pd.DataFrame({"customer_id": list(seg_of), "segment": list(seg_of.values())})
    return lines, segments


def _expected(lines: pd.DataFrame, segments: pd.DataFrame) -> pd.DataFrame:
    """The table computed with pandas and scipy alone."""
    lab = lines.merge(segments, on="customer_id", how="inner")
    sizes = segments.groupby("segment").size()
    base = len(segments)
    buyers = lab.groupby(["segment", "product"])["customer_id"].nunique()
    base_buyers = lab.groupby("product")["customer_id"].nunique()
    rev = lab.groupby(["segment", "product"])["amount"].sum()
    seg_rev = lab.groupby("segment")["amount"].sum()
    lab["margin"] = lab["amount"] - lab["cost"]
    mar = lab.groupby(["segment", "product"])["margin"].sum()
    seg_mar = lab.groupby("segment")["margin"].sum()
    rows = []
    for s in sorted(sizes.index):
        for p in sorted(base_buyers.index):
            a = int(buyers.get((s, p), 0))
            n_s, k = int(sizes[s]), int(base_buyers[p])
            table = [[a, n_s - a], [k - a, base - n_s - (k - a)]]
            rows.append(
                {
                    "segment": s,
                    "product": p,
                    "buyers": a,
                    "penetration": a / n_s,
                    "lift": (a / n_s) / (k / base),
                    "revenue": rev.get((s, p), 0.0),
                    "revenue_share": rev.get((s, p), 0.0) / seg_rev[s],
                    "margin": mar.get((s, p), 0.0),
                    "margin_share": mar.get((s, p), 0.0) / seg_mar[s],
                    "p_value": fisher_exact(table, alternative="greater")[1],
                }
            )
    return pd.DataFrame(rows)


def test_matches_pandas_and_scipy() -> None:
    lines, segments = _data()
    with pytest.warns(RowsLeftOutWarning, match="customer without segment"):
        result = segment_affinity(lines, segments, cost="cost")
    got = result.to_pandas()
    want = _expected(lines, segments)
    assert list(got["segment"]) == list(want["segment"])
    assert list(got["product"]) == list(want["product"])
    assert (got["buyers"].to_numpy() == want["buyers"].to_numpy()).all()
    for col in ("penetration", "lift", "revenue", "revenue_share", "margin", "margin_share"):
        np.testing.assert_allclose(got[col], want[col], rtol=1e-10, atol=1e-9, err_msg=col)
    np.testing.assert_allclose(got["p_value"], want["p_value"], rtol=1e-9, atol=1e-13)
    assert (got["p_adjusted"] == got["p_value"]).all()
    # Gold loves p6.
    gold6 = got[(got.segment == "gold") & (got["product"] == "p6")].iloc[0]
    assert gold6["lift"] > 1.5 and gold6["p_value"] < 1e-3
    r = result.input_report
    unlabelled = int((lines.customer_id >= 55).sum())
    assert r["rows_read"] == len(lines) and r["left_out"]["customer_without_segment"] == unlabelled
    assert r["rows_used"] == len(lines) - unlabelled
    assert r["customers_without_segment"] == lines.loc[lines.customer_id >= 55, "customer_id"].nunique()
    assert r["customers_without_lines"] == 5
    seg = result.segments.to_pandas().set_index("segment")
    assert seg.loc["gold", "customers"] == (segments.segment == "gold").sum()


def test_chi2_matches_scipy_chi2_contingency() -> None:
    lines, segments = _data(2)
    lines = lines[lines.customer_id < 55]
    result = segment_affinity(lines, segments, test="chi2", correction="bonferroni")
    assert result.test == "chi2"
    got = result.to_pandas()
    lab = lines.merge(segments, on="customer_id", how="inner")
    sizes = segments.groupby("segment").size()
    base = len(segments)
    buyers = lab.groupby(["segment", "product"])["customer_id"].nunique()
    base_buyers = lab.groupby("product")["customer_id"].nunique()
    want = []
    for s in sorted(sizes.index):
        for p in sorted(base_buyers.index):
            a, n_s, k = int(buyers.get((s, p), 0)), int(sizes[s]), int(base_buyers[p])
            table = np.array([[a, n_s - a], [k - a, base - n_s - (k - a)]])
            want.append(chi2_contingency(table, correction=False)[1])
    np.testing.assert_allclose(got["p_value"], want, rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(got["p_adjusted"], np.minimum(1.0, np.array(want) * len(want)), rtol=1e-9)
    # Fisher's one-sided test is the default and gives other p-values.
    fisher = segment_affinity(lines, segments).to_pandas()
    assert not np.allclose(fisher["p_value"], got["p_value"])
    with pytest.raises(InvalidParameterError, match="test"):
        segment_affinity(lines, segments, test="g")


def _holm(p: np.ndarray) -> np.ndarray:
    m = len(p)
    order = np.argsort(p, kind="stable")
    adj = np.maximum.accumulate(np.minimum(1.0, (m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = adj
    return out


def _bh(p: np.ndarray) -> np.ndarray:
    m = len(p)
    order = np.argsort(p, kind="stable")
    adj = np.minimum.accumulate((p[order] * m / np.arange(1, m + 1))[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(adj, 1.0)
    return out


@pytest.mark.parametrize(
    ("correction", "adjust"),
    [("bonferroni", lambda p: np.minimum(1.0, p * len(p))), ("holm", _holm), ("bh", _bh)],
)
def test_corrections(correction: str, adjust: object) -> None:
    lines, segments = _data(1)
    lines = lines[lines.customer_id < 55]
    got = segment_affinity(lines, segments, correction=correction).to_pandas()
    p = got["p_value"].to_numpy()
    np.testing.assert_allclose(got["p_adjusted"], adjust(p), rtol=1e-12)  # type: ignore[operator]


def test_same_result_from_every_library_and_row_order() -> None:
    lines, segments = _data(2)
    lines = lines[lines.customer_id < 55]
    a = segment_affinity(lines, segments, cost="cost").to_pandas()
    b = segment_affinity(pl.from_pandas(lines), pl.from_pandas(segments), cost="cost").to_pandas()
    shuffled = lines.sample(frac=1.0, random_state=3)
    c = segment_affinity(pa.Table.from_pandas(shuffled, preserve_index=False), segments.iloc[::-1], cost="cost")
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(a, c.to_pandas())
    assert c.to_polars().height == len(a) and c.to_arrow().num_rows == len(a)


def test_hierarchy_runs_on_categories() -> None:
    lines, segments = _data(3)
    lines = lines[lines.customer_id < 55]
    mapping = {f"p{i}": ("odd" if i % 2 else "even") for i in range(7)}
    got = segment_affinity(lines, segments, hierarchy=mapping).to_pandas()
    cat = lines.assign(product=lines["product"].map(mapping))
    want = _expected(cat.assign(cost=cat["amount"] / 2), segments)
    assert list(got["product"].unique()) == ["even", "odd"]
    np.testing.assert_allclose(got["lift"], want["lift"], rtol=1e-12)
    # A hierarchy table with a level column; a product missing from it is left out.
    table = pd.DataFrame({"product": [f"p{i}" for i in range(6)], "family": ["x", "y"] * 3})
    with pytest.warns(RowsLeftOutWarning, match="product not in hierarchy"):
        r = segment_affinity(lines, segments, hierarchy=table, level="family")
    assert r.input_report["left_out"]["product_not_in_hierarchy"] == int((lines["product"] == "p6").sum())


def test_keep_report() -> None:
    # Gold spends most per customer and all of it buys the loss-making
    # "bag"; bronze buys it rarely; nobody else does.
    rows = []
    for c in range(30):
        seg = ["gold", "silver", "bronze"][c // 10]
        rows.append((c, "shoes", {"gold": 200.0, "silver": 80.0, "bronze": 40.0}[seg], 50.0))
        if seg == "gold" or c == 25:
            rows.append((c, "bag", 5.0, 8.0))
    lines = pd.DataFrame(rows, columns=["customer_id", "product", "amount", "cost"])
    segments = pd.DataFrame(
        {"customer_id": range(30), "segment": [["gold", "silver", "bronze"][c // 10] for c in range(30)]}
    )
    result = segment_affinity(lines, segments, cost="cost", correction="holm")
    keep = result.keep()
    t = keep.to_pandas()
    # Independent check: bag's margin rate (55 - 88) / 55 = -0.6; gold's lift
    # (10/10) / (11/30) = 30/11.
    assert t[["product", "segment", "segment_rank"]].values.tolist() == [["bag", "gold", 1]]
    assert t["margin_rate"].iloc[0] == pytest.approx(-33.0 / 55.0)
    assert t["lift"].iloc[0] == pytest.approx(30.0 / 11.0)
    assert keep.ranking == ["gold", "silver", "bronze"]
    # Ranked by a value that puts bronze first, one segment: bronze's lift
    # (1/10) / (11/30) is too low.
    assert len(result.keep(segment_value={"gold": 1, "silver": 2, "bronze": 3}, top_segments=1)) == 0
    assert result.keep(segment_value="margin").ranking[0] == "gold"
    assert len(result.keep(max_margin_rate=-0.7)) == 0
    assert "KeepReport" in keep._repr_html_()
    with pytest.raises(InvalidParameterError, match="alpha"):
        result.keep(alpha=0)
    with pytest.raises(InvalidParameterError, match="top_segments"):
        result.keep(top_segments=0)
    with pytest.raises(InvalidParameterError, match="no value for segment 'bronze'"):
        result.keep(segment_value={"gold": 1, "silver": 2})
    with pytest.raises(InvalidParameterError, match="needs margins"):
        segment_affinity(lines, segments).keep()


def test_repr_and_plot() -> None:
    lines, segments = _data(4)
    lines = lines[lines.customer_id < 55]
    result = segment_affinity(lines, segments)
    assert "AffinityTable" in result._repr_html_() and "segments" in repr(result)
    display = result.plot(top=3)
    assert display.figure_ is not None
    assert sorted(display.data["product"].unique()) == sorted(display.products) and len(display.products) == 3
    # The products drawn are those of highest lift in some segment.
    best = result.to_pandas().groupby("product")["lift"].max().sort_values(ascending=False)
    assert set(display.products) == set(best.index[:3])


def test_bad_input_is_refused_naming_the_argument() -> None:
    lines, segments = _data(5)
    lines = lines[lines.customer_id < 55].reset_index(drop=True)
    with pytest.raises(ColumnNotFoundError, match='amount: column "price" not found'):
        segment_affinity(lines, segments, amount="price")
    with pytest.raises(ColumnNotFoundError, match="segment"):
        segment_affinity(lines, segments.rename(columns={"segment": "tier"}))
    bad = lines.copy()
    bad.loc[7, "amount"] = np.nan
    with pytest.raises(InvalidInputError, match="amount: non-finite value nan at row 7"):
        segment_affinity(bad, segments)
    bad = lines.astype({"amount": object})
    bad.loc[3, "amount"] = None
    with pytest.raises(InvalidInputError, match="amount: null value at row 3"):
        segment_affinity(bad, segments)
    with pytest.raises(ColumnTypeError, match='amount: column "product" has type'):
        segment_affinity(lines, segments, amount="product")
    with pytest.raises(ColumnTypeError, match="integer ids"):
        segment_affinity(lines, segments.astype({"customer_id": str}))
    with pytest.raises(InvalidInputError, match="appears 2 times"):
        segment_affinity(lines, pd.concat([segments, segments.iloc[:1]]))
    with pytest.raises(InvalidParameterError, match="correction"):
        segment_affinity(lines, segments, correction="sidak")
    with pytest.raises(ColumnTypeError, match="single column"):
        segment_affinity(lines["amount"], segments)
    with pytest.raises(InvalidInputError, match="lines: input is empty"):
        segment_affinity(lines.iloc[:0], segments)
    with pytest.raises(InvalidInputError, match="no customer has a segment"):
        segment_affinity(lines, segments.assign(segment=None))
    with pytest.raises(InvalidParameterError, match="invalid parameter hierarchy: expected a dict"):
        segment_affinity(lines, segments, hierarchy=[1, 2])
    with pytest.raises(InvalidInputError, match="id 1.5 at row 0 is not a whole number"):
        segment_affinity(lines.assign(customer_id=[1.5] + [1.0] * (len(lines) - 1)), segments)
    with pytest.raises(ColumnTypeError, match="expected integer or string ids"):
        segment_affinity(lines.assign(product=pd.Timestamp("2024-01-01")), segments)
    with pytest.raises(InvalidParameterError, match="progress"):
        segment_affinity(lines, segments, progress="yes")


def test_missing_ids_are_left_out_and_counted() -> None:
    lines = pd.DataFrame({"customer_id": [1.0, np.nan, 2.0, 1.0], "product": ["a", "a", None, "b"], "amount": 1.0})
    segments = pd.DataFrame({"customer_id": [1, 2], "segment": ["x", "y"]})
    with pytest.warns(RowsLeftOutWarning, match="1 missing customer, 1 missing product"):
        r = segment_affinity(lines, segments)
    assert r.input_report["rows_used"] == 2
    # Customer 2's only line has no product: counted as a customer without lines.
    assert r.input_report["customers_without_lines"] == 1


def test_progress_reaches_the_total() -> None:
    lines, segments = _data(6)
    lines = lines[lines.customer_id < 55]
    seen: list[tuple[int, int]] = []
    segment_affinity(lines, segments, progress=lambda d, t: seen.append((d, t)))
    assert seen and seen[-1][0] == seen[-1][1]


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 9), st.integers(0, 4), st.integers(-5, 50)), min_size=1, max_size=60),
    st.lists(st.sampled_from(["a", "b", "c", None]), min_size=10, max_size=10),
)
def test_random_tables_match_pandas(rows: list[tuple[int, int, int]], labels: list[str | None]) -> None:
    lines = pd.DataFrame(rows, columns=["customer_id", "product", "amount"]).astype({"amount": "float64"})
    lines["customer_id"] = "c" + lines["customer_id"].astype(str)
    segments = pd.DataFrame({"customer_id": [f"c{i}" for i in range(10)], "segment": labels})
    labelled = segments.dropna()
    used = lines[lines.customer_id.isin(labelled.customer_id)]
    if labelled.empty:
        with pytest.raises(InvalidInputError, match="no customer has a segment"):
            segment_affinity(lines, segments)
        return
    if used.empty:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RowsLeftOutWarning)
        got = segment_affinity(lines, segments).to_pandas()
    assert got.attrs["input_report"]["left_out"]["customer_without_segment"] == len(lines) - len(used)
    merged = used.merge(labelled, on="customer_id")
    buyers = merged.groupby(["segment", "product"])["customer_id"].nunique()
    revenue = merged.groupby(["segment", "product"])["amount"].sum()
    sizes = labelled.groupby("segment").size()
    base_buyers = merged.groupby("product")["customer_id"].nunique()
    for row in got.itertuples():
        assert row.buyers == buyers.get((row.segment, row.product), 0)
        assert row.revenue == pytest.approx(revenue.get((row.segment, row.product), 0.0))
        n_s, k, a, n = int(sizes[row.segment]), int(base_buyers.get(row.product, 0)), int(row.buyers), len(labelled)
        if n_s < n:
            want = fisher_exact([[a, n_s - a], [k - a, n - n_s - k + a]], alternative="greater")[1]
            assert row.p_value == pytest.approx(want, rel=1e-9, abs=1e-14)
        else:
            assert np.isnan(row.p_value)


def test_streams_are_read_batch_by_batch_with_the_results_of_a_table() -> None:
    lines, segments = _data(4)
    lines.loc[::23, "product"] = None
    table = pa.Table.from_pandas(lines, preserve_index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RowsLeftOutWarning)
        whole = segment_affinity(table, segments, cost="cost", test="chi2")
        seen: list[int] = []

        def gen():
            for batch in table.to_batches(max_chunksize=47):
                seen.append(batch.num_rows)
                yield batch

        reader = pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=61))
        frames = [lines[:250], lines[250:]]
        for stream in (reader, gen(), pl.from_arrow(table).lazy(), frames):
            got = segment_affinity(stream, segments, cost="cost", test="chi2")
            assert got.table.equals(whole.table)
            assert got.input_report == whole.input_report
    assert sum(seen) == len(lines) and len(seen) > 1
    assert whole.input_report["left_out"]["missing_product"] == int(lines["product"].isna().sum())
    # A bad value is named with its row in the whole input, not in its batch.
    bad = table.set_column(2, "amount", pa.array([1.0] * 99 + [None] + [1.0] * (len(lines) - 100)))
    reader = pa.RecordBatchReader.from_batches(bad.schema, bad.to_batches(max_chunksize=30))
    with pytest.raises(InvalidInputError, match="row 99"):
        segment_affinity(reader, segments)
