"""RFM scoring checked against an independent pandas/numpy computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import ciblage

K = 5


def pandas_rfm_values(tx: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Recency (calendar days), frequency (rows), monetary (sum), per customer."""
    days = (
        tx["timestamp"].dt.tz_convert(None).dt.normalize()
        if tx["timestamp"].dt.tz is not None
        else tx["timestamp"].dt.normalize()
    )
    g = tx.assign(day=days).groupby("customer_id")
    out = g.agg(last=("day", "max"), first=("day", "min"), frequency=("amount", "size"), monetary=("amount", "sum"))
    out["recency_days"] = (as_of - out["last"]).dt.days
    out["tenure_days"] = (as_of - out["first"]).dt.days
    return out.sort_index()


def quantile_classes(x: np.ndarray, k: int) -> np.ndarray:
    """Right-closed classes on numpy 'linear' quantiles (pandas.qcut without dropping edges)."""
    cuts = np.quantile(x, np.linspace(0, 1, k + 1)[1:-1], method="linear")
    return 1 + np.searchsorted(cuts, x, side="left")


def r_rfm_classes(x: np.ndarray, k: int) -> np.ndarray:
    """R rfm 0.3.0: type-7 quantiles + 1, classes [lower, upper)."""
    cuts = np.quantile(x, np.linspace(0, 1, k + 1)[1:-1], method="linear") + 1
    return 1 + np.searchsorted(cuts, x, side="right")


def classic_segment(r: int, f: int, m: int) -> str:
    table = [
        ("Champions", (4, 5), (4, 5), (4, 5)),
        ("Loyal Customers", (2, 5), (3, 5), (3, 5)),
        ("Potential Loyalist", (3, 5), (1, 3), (1, 3)),
        ("New Customers", (4, 5), (1, 1), (1, 1)),
        ("Promising", (3, 4), (1, 1), (1, 1)),
        ("Need Attention", (2, 3), (2, 3), (2, 3)),
        ("About To Sleep", (2, 3), (1, 2), (1, 2)),
        ("At Risk", (1, 2), (2, 5), (2, 5)),
        ("Can't Lose Them", (1, 1), (4, 5), (4, 5)),
        ("Hibernating", (1, 2), (1, 2), (1, 2)),
        ("Lost", (1, 2), (1, 2), (1, 2)),
    ]
    for name, rr, fr, mr in table:
        if rr[0] <= r <= rr[1] and fr[0] <= f <= fr[1] and mr[0] <= m <= mr[1]:
            return name
    return "Others"


def test_hand_worked_example(small: pd.DataFrame) -> None:
    # As of 2024-01-11 (day after the last row): recency 1 (c1), 5 (c2), 7 (c3);
    # frequency 2, 1, 3; monetary 30, 5, 150.
    out = ciblage.rfm(small, bins=3)
    assert list(out["customer_id"]) == [1, 2, 3]
    assert list(out["recency_days"]) == [1, 5, 7]
    assert list(out["frequency"]) == [2, 1, 3]
    assert list(out["monetary"]) == [30.0, 5.0, 150.0]
    # Three distinct values, k = 3: tertile cuts at positions 2/3 and 4/3 of
    # the sorted values put one customer in each class; recency reversed.
    assert list(out["r_score"]) == [3, 2, 1]
    assert list(out["f_score"]) == [2, 1, 3]
    assert list(out["m_score"]) == [2, 1, 3]
    assert list(out["rfm_code"]) == [322, 211, 133]
    assert list(out["score_sum"]) == [7, 4, 7]


@pytest.mark.parametrize("k", [4, 5])
@pytest.mark.parametrize("method", ["quantile", "rfm_compat"])
def test_value_quantile_methods_match_numpy(synthetic: pd.DataFrame, k: int, method: str) -> None:
    result = ciblage.rfm_analysis(synthetic, bins=k, method=method)
    got = result.customers.set_index("customer_id")
    as_of = pd.Timestamp(result.as_of)
    assert as_of == synthetic["timestamp"].max().tz_convert(None).normalize() + pd.Timedelta(days=1)
    ref = pandas_rfm_values(synthetic, as_of)
    assert list(got.index) == list(ref.index)
    np.testing.assert_array_equal(got["recency_days"], ref["recency_days"])
    np.testing.assert_array_equal(got["tenure_days"], ref["tenure_days"])
    np.testing.assert_array_equal(got["frequency"], ref["frequency"])
    np.testing.assert_allclose(got["monetary"], ref["monetary"], rtol=1e-12, atol=1e-9)
    classes = quantile_classes if method == "quantile" else r_rfm_classes
    r = k + 1 - classes(ref["recency_days"].to_numpy(float), k)
    f = classes(ref["frequency"].to_numpy(float), k)
    m = classes(got["monetary"].to_numpy(), k)
    np.testing.assert_array_equal(got["r_score"], r)
    np.testing.assert_array_equal(got["f_score"], f)
    np.testing.assert_array_equal(got["m_score"], m)
    np.testing.assert_array_equal(got["rfm_code"], 100 * r + 10 * f + m)
    if k == 5:
        segments = [classic_segment(*t) for t in zip(r, f, m, strict=True)]
        assert list(got["segment"].astype(str)) == segments


def test_quantile_method_equals_pandas_qcut_when_edges_are_distinct(synthetic: pd.DataFrame) -> None:
    got = ciblage.rfm(synthetic, bins=5)
    expected = pd.qcut(got["monetary"], 5, labels=False) + 1
    np.testing.assert_array_equal(got["m_score"], expected)


def test_equal_count_matches_pandas_qcut_of_first_ranks(synthetic: pd.DataFrame) -> None:
    got = ciblage.rfm(synthetic, bins=5, method="equal_count").set_index("customer_id")
    ref = got.sort_index()  # ties broken by customer id: rank "first" in id order
    f = pd.qcut(ref["frequency"].rank(method="first"), 5, labels=False) + 1
    r = 6 - (pd.qcut(ref["recency_days"].rank(method="first"), 5, labels=False) + 1)
    np.testing.assert_array_equal(ref["f_score"], f)
    np.testing.assert_array_equal(ref["r_score"], r)
    counts = ref["f_score"].value_counts().sort_index()
    assert counts.max() - counts.min() <= 1  # equal-count classes


def test_fixed_cut_points(small: pd.DataFrame) -> None:
    # frequency 2, 1, 3 with cuts [2, 3]: 1 -> class 1, 2 -> 2, 3 -> 3.
    out = ciblage.rfm(small, bins=3, frequency_cuts=[2, 3])
    assert list(out["f_score"]) == [2, 1, 3]


def test_segment_summary_matches_pandas(synthetic: pd.DataFrame) -> None:
    result = ciblage.rfm_analysis(synthetic)
    c = result.customers
    g = c.groupby("segment", observed=False).agg(
        customers=("customer_id", "size"), orders=("frequency", "sum"), revenue=("monetary", "sum")
    )
    s = result.segments.set_index("segment")
    assert list(s.index) == ciblage.SegmentTable.classic().names
    for name, row in g.iterrows():
        assert s.loc[name, "customers"] == row["customers"]
        assert s.loc[name, "orders"] == row["orders"]
        assert s.loc[name, "revenue"] == pytest.approx(row["revenue"], rel=1e-12, abs=1e-6)
    assert s["customer_share"].sum() == pytest.approx(1.0)
    assert s["revenue_share"].sum() == pytest.approx(1.0)
    champions = c[c["segment"] == "Champions"]
    assert s.loc["Champions", "mean_recency_days"] == pytest.approx(champions["recency_days"].mean())
    assert s.loc["Champions", "average_order_value"] == pytest.approx(
        champions["monetary"].sum() / champions["frequency"].sum()
    )


def test_rfa_margin_and_purchase_days(synthetic: pd.DataFrame) -> None:
    out = ciblage.rfm(synthetic, cost="cost", monetary="margin", variant="rfa", frequency="purchase_days")
    tx = synthetic.assign(margin=synthetic["amount"] - synthetic["cost"], day=synthetic["timestamp"].dt.normalize())
    g = tx.groupby("customer_id")
    days = g["day"].nunique().sort_index()
    margin = g["margin"].sum().sort_index()
    np.testing.assert_array_equal(out["frequency"], days)
    np.testing.assert_allclose(out["monetary"], margin, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(out["average_amount"], margin / days, rtol=1e-12)
    m = quantile_classes(out["average_amount"].to_numpy(), 5)
    np.testing.assert_array_equal(out["m_score"], m)


def test_weighted_score(small: pd.DataFrame) -> None:
    out = ciblage.rfm(small, bins=3, weights=(2, 1, 1))
    expected = (2 * out["r_score"] + out["f_score"] + out["m_score"]) / 4
    np.testing.assert_allclose(out["weighted_score"], expected)


def test_as_of_leaves_later_rows_out(small: pd.DataFrame) -> None:
    result = ciblage.rfm_analysis(small, as_of="2024-01-05")
    # Rows after 2024-01-05: c1 on the 10th, c2 on the 6th (c2 has none left).
    assert result.input_report["rows_after_as_of"] == 2
    assert result.input_report["customers_without_rows"] == 1
    c = result.customers
    assert list(c["customer_id"]) == [1, 3]
    assert list(c["recency_days"]) == [4, 1]


def test_negative_amount_policies() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-02"]),
            "amount": [30.0, -10.0, 5.0],
        }
    )
    keep = ciblage.rfm_analysis(tx, bins=2).customers
    assert list(keep["monetary"]) == [20.0, 5.0]
    assert list(keep["frequency"]) == [2, 1]
    excl = ciblage.rfm_analysis(tx, bins=2, negative_amounts="exclude")
    assert list(excl.customers["monetary"]) == [30.0, 5.0]
    assert excl.input_report["negative_rows_excluded"] == 1


def test_degenerate_criterion_is_reported(small: pd.DataFrame) -> None:
    once = small.drop_duplicates("customer_id")
    with pytest.warns(ciblage.DegenerateCriterionWarning, match="frequency: scores collapse to 1 of 5"):
        ciblage.rfm(once)
    result = ciblage.rfm_analysis(once)
    assert result.degenerate == ["frequency"]


def test_thresholds_table(synthetic: pd.DataFrame) -> None:
    result = ciblage.rfm_analysis(synthetic, method="rfm_compat")
    t = result.thresholds
    f = t[t["criterion"] == "frequency"].sort_values("score")
    freq = result.customers["frequency"].to_numpy(float)
    cuts = np.quantile(freq, [0.2, 0.4, 0.6, 0.8]) + 1
    np.testing.assert_allclose(f["lower"].to_numpy()[1:], cuts)
    assert f["customers"].sum() == len(result.customers)


def test_custom_segments_from_dict_and_files(tmp_path, small: pd.DataFrame) -> None:
    spec = {
        "fallback": "Rest",
        "segment": [{"name": "Recent", "recency": [3, 3], "frequency": [1, 3], "monetary": [1, 3]}],
    }
    out = ciblage.rfm(small, bins=3, segments=spec)
    assert list(out["segment"].astype(str)) == ["Recent", "Rest", "Rest"]
    table = ciblage.SegmentTable.from_json(__import__("json").dumps(spec))
    (tmp_path / "s.toml").write_text(table.to_toml())
    (tmp_path / "s.json").write_text(table.to_json())
    for path in ["s.toml", "s.json"]:
        out2 = ciblage.rfm(small, bins=3, segments=tmp_path / path)
        assert list(out2["segment"].astype(str)) == ["Recent", "Rest", "Rest"]


def test_segment_table_in_code_and_pickle() -> None:
    import pickle

    t = ciblage.SegmentTable([("Top", (3, 3), (1, 3), (1, 3))], fallback="Rest")
    assert t.names == ["Top", "Rest"]
    assert t.name_of(3, 1, 1) == "Top"
    assert pickle.loads(pickle.dumps(t)) == t
    cov = ciblage.SegmentTable.classic().coverage(5)
    assert cov["unreachable"] == ["New Customers", "Promising", "Can't Lose Them", "Lost"]


def test_lifetimes_mapping_in_docs(synthetic: pd.DataFrame) -> None:
    # docs/rfm.md: lifetimes' daily summary (frequency = distinct purchase days
    # - 1, recency = last day - first day, T = end - first day) follows from
    # purchase_days, tenure_days and recency_days with as_of = its end date.
    end = pd.Timestamp("2023-06-30")
    out = ciblage.rfm_analysis(synthetic, frequency="purchase_days", as_of=end.date()).customers
    tx = synthetic[synthetic["timestamp"].dt.tz_convert(None).dt.normalize() <= end]
    day = tx["timestamp"].dt.tz_convert(None).dt.normalize()
    g = tx.assign(day=day).groupby("customer_id")["day"]
    ref = pd.DataFrame(
        {
            "frequency": g.nunique() - 1,
            "recency": (g.max() - g.min()).dt.days,
            "T": (end - g.min()).dt.days,
        }
    ).sort_index()
    np.testing.assert_array_equal(out["frequency"] - 1, ref["frequency"])
    np.testing.assert_array_equal(out["tenure_days"] - out["recency_days"], ref["recency"])
    np.testing.assert_array_equal(out["tenure_days"], ref["T"])


def test_row_buffers_kept_between_calls_change_no_result():
    # A large call leaves its row buffers (codes, instants in ns converted to
    # µs) to the next; a smaller call reusing them must give what it gives
    # with fresh buffers, and release_buffers frees them.
    big = ciblage.datasets.transactions(customers=3_000, transactions=40_000, seed=3, library="pandas")
    small = ciblage.datasets.transactions(customers=200, transactions=1_500, seed=4, library="pandas")
    for tx in (big, small):
        tx["timestamp"] = tx["timestamp"].astype("datetime64[ns, UTC]")
    ciblage.release_buffers()
    fresh = ciblage.rfm(small)
    fresh_totals = ciblage.customer_totals(small)
    fresh_cohorts = ciblage.retention(small).cohorts()
    ciblage.rfm(big)
    assert ciblage.release_buffers() >= 40_000 * (4 + 8)
    assert ciblage.release_buffers() == 0
    ciblage.rfm(big)
    ciblage.retention(big)
    pd.testing.assert_frame_equal(ciblage.rfm(small), fresh)
    ciblage.customer_totals(big)
    pd.testing.assert_frame_equal(ciblage.customer_totals(small), fresh_totals)
    pd.testing.assert_frame_equal(ciblage.retention(small).cohorts(), fresh_cohorts)
