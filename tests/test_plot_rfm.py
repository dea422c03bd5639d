"""RFM charts: the numbers drawn are the result's, computed again here with pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import ciblage
from ciblage.plot import RfmHeatmapDisplay, RfmScoresDisplay, RfmSegmentsDisplay

pytestmark = pytest.mark.usefixtures("close_figures")


@pytest.fixture(scope="module")
def result() -> ciblage.RfmResult:
    tx = ciblage.datasets.transactions(customers=400, transactions=4_000, seed=11, library="pandas")
    return ciblage.rfm_analysis(tx, bins=4)


def drawn(display):
    display.figure_.canvas.draw()  # warnings raised at draw time fail the test (-W error)
    return display


def test_heatmap_data_is_mean_monetary_and_count_per_cell(result) -> None:
    d = drawn(RfmHeatmapDisplay.from_result(result).plot())
    c = result.customers
    expected = c.groupby(["r_score", "f_score"])["monetary"].agg(["size", "mean"]).reset_index()
    got = d.data.sort_values(["r_score", "f_score"]).reset_index(drop=True)
    np.testing.assert_array_equal(got["r_score"], expected["r_score"])
    np.testing.assert_array_equal(got["f_score"], expected["f_score"])
    np.testing.assert_array_equal(got["customers"], expected["size"])
    np.testing.assert_allclose(got["mean"], expected["mean"], rtol=1e-12)
    assert got["customers"].sum() == len(c)
    # The image: row 0 is R = 4 (top), column 0 is F = 1.
    image = d.ax_.images[0].get_array()
    pivot = c.pivot_table(index="r_score", columns="f_score", values="monetary", aggfunc="mean")
    pivot = pivot.reindex(index=[4, 3, 2, 1], columns=[1, 2, 3, 4])
    np.testing.assert_allclose(np.ma.filled(image, np.nan), pivot.to_numpy(), rtol=1e-12)
    counts = c.groupby(["r_score", "f_score"]).size()
    texts = {t.get_text() for t in d.ax_.texts}
    assert {f"{n:,}" for n in counts} <= texts


def test_heatmap_masks_empty_cells_instead_of_zero() -> None:
    # Three customers: only two of the 2 x 2 cells hold someone.
    tx = pd.DataFrame(
        {
            "customer_id": [1, 2, 2, 2, 3],
            "timestamp": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04"]),
            "amount": [10.0, 5.0, 5.0, 5.0, 7.0],
        }
    )
    r = ciblage.rfm_analysis(tx, bins=2, recency_cuts=[30], frequency_cuts=[2])
    d = drawn(r.plot("heatmap"))
    image = d.ax_.images[0].get_array()
    cells = r.customers.groupby(["r_score", "f_score"]).size()
    assert image.mask.sum() == 4 - len(cells)
    for (rs, fs), _ in cells.items():
        assert not image.mask[2 - rs, fs - 1]
    assert not np.any(np.ma.filled(image, np.nan) == 0)


def test_heatmap_value_option_and_bad_value(result) -> None:
    d = RfmHeatmapDisplay.from_result(result, value="average_amount")
    expected = result.customers.groupby(["r_score", "f_score"])["average_amount"].mean().to_numpy()
    np.testing.assert_allclose(d.data.sort_values(["r_score", "f_score"])["mean"], expected, rtol=1e-12)
    with pytest.raises(ciblage.InvalidParameterError, match="value"):
        RfmHeatmapDisplay.from_result(result, value="nope")


def test_heatmap_from_polars_and_pyarrow_results() -> None:
    pl = pytest.importorskip("polars")
    tx = ciblage.datasets.transactions(customers=100, transactions=1_000, seed=2, library="pandas")
    expected = RfmHeatmapDisplay.from_result(ciblage.rfm_analysis(tx)).data
    for table in (pl.from_pandas(tx), ciblage.datasets.transactions(customers=100, transactions=1_000, seed=2)):
        got = RfmHeatmapDisplay.from_result(ciblage.rfm_analysis(table)).data
        pd.testing.assert_frame_equal(got.reset_index(drop=True), expected.reset_index(drop=True))


def test_segments_shares(result) -> None:
    d = drawn(RfmSegmentsDisplay.from_result(result).plot())
    c = result.customers
    sizes = c.groupby("segment").size()
    revenue = c.groupby("segment")["monetary"].sum()
    assert set(d.data["segment"]) == set(sizes.index)
    for _, row in d.data.iterrows():
        assert row["customers"] == sizes[row["segment"]]
        assert row["customer_share"] == pytest.approx(sizes[row["segment"]] / len(c))
        assert row["revenue_share"] == pytest.approx(revenue[row["segment"]] / c["monetary"].sum())
    bars = d.ax_.patches
    assert len(bars) == 2 * len(d.data)
    np.testing.assert_allclose([b.get_width() for b in bars[: len(d.data)]], d.data["customer_share"])
    assert len(RfmSegmentsDisplay.from_result(result, empty=True).data) == len(result.segments)


def test_score_histograms(result) -> None:
    d = drawn(RfmScoresDisplay.from_result(result).plot())
    for letter in "RFM":
        counts = result.customers[f"{letter.lower()}_score"].value_counts()
        part = d.data[d.data["criterion"] == letter]
        assert list(part["score"]) == [1, 2, 3, 4]
        assert list(part["customers"]) == [int(counts.get(s, 0)) for s in (1, 2, 3, 4)]
    heights = [b.get_height() for b in d.ax_.patches]
    assert heights == list(d.data["customers"])


def test_shortcut_kinds_and_bad_kind(result) -> None:
    assert isinstance(result.plot(), RfmHeatmapDisplay)
    assert isinstance(result.plot("segments"), RfmSegmentsDisplay)
    assert isinstance(result.plot(kind="scores"), RfmScoresDisplay)
    with pytest.raises(ciblage.InvalidParameterError, match="kind"):
        result.plot("pie")
