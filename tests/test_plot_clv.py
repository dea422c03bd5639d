"""CLV charts: frequency-recency matrices against the BG/NBD closed forms
written out here, calibration-vs-holdout and tracking from plain tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import ciblage
import ciblage.clv as clv
from ciblage.plot import CalibrationHoldoutDisplay, FrequencyRecencyDisplay, TrackingDisplay

pytestmark = pytest.mark.usefixtures("close_figures")


@pytest.fixture(scope="module")
def fitted():
    tx = ciblage.datasets.transactions(customers=300, transactions=3_000, seed=3, library="pandas")
    summary = clv.summary(tx, freq="W")
    return clv.BgNbd().fit(summary), summary


def drawn(display):
    display.figure_.canvas.draw()
    return display


def bgnbd(params, x, tx, T, t):
    """P(alive) and E[X(t) | x, tx, T] of the BG/NBD (Fader, Hardie & Lee 2005, eq. 10 and 13)."""
    from scipy.special import hyp2f1

    r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
    odds = np.where(x > 0, a / (b + x - 1) * ((alpha + T) / (alpha + tx)) ** (r + x), 0.0)
    alive = 1 / (1 + odds)
    z = t / (alpha + T + t)
    expected = (
        (a + b + x - 1)
        / (a - 1)
        * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z))
        / (1 + odds)
    )
    return alive, expected


@pytest.mark.parametrize("what", ["expected_purchases", "p_alive"])
def test_frequency_recency_matrix_is_the_closed_form(fitted, what) -> None:
    model, _ = fitted
    d = drawn(FrequencyRecencyDisplay.from_estimator(model, what=what, t=4.0, max_frequency=5, max_recency=10).plot())
    f, r = np.meshgrid(np.arange(6.0), np.arange(11.0))
    alive, expected = bgnbd(model.params_, f, r, 10.0, 4.0)
    want = alive if what == "p_alive" else expected
    impossible = (f == 0) & (r > 0)  # no repeat purchase, yet a last one after the first
    want = np.where(impossible, np.nan, want)
    np.testing.assert_allclose(d.matrix(), want, rtol=1e-6)
    image = d.ax_.images[0].get_array()
    np.testing.assert_array_equal(np.ma.getmaskarray(image), impossible)
    np.testing.assert_allclose(np.ma.filled(image, np.nan), want, rtol=1e-6)
    assert len(d.data) == 66 and d.T == 10.0


def test_grid_bounds_from_the_summary(fitted) -> None:
    model, summary = fitted
    d = model.plot("p_alive", data=summary)
    assert d.data["frequency"].max() == summary["frequency"].max()
    assert d.data["recency"].max() == int(summary["T"].max())
    with pytest.raises(ciblage.InvalidParameterError, match="max_frequency"):
        FrequencyRecencyDisplay.from_estimator(model)
    with pytest.raises(ciblage.InvalidParameterError, match="kind"):
        model.plot("tracking", data=summary)
    with pytest.raises(ciblage.InvalidParameterError, match="t"):
        model.plot("p_alive", data=summary, t=2)


def test_not_fitted_model() -> None:
    with pytest.raises(ciblage.NotFittedError):
        clv.BgNbd().plot(max_frequency=2, max_recency=2)


def test_calibration_against_holdout_table() -> None:
    table = pd.DataFrame(
        {
            "frequency": [0, 1, 2, 3, "4+"],
            "actual": [0.2, 0.5, 0.9, 1.1, 2.0],
            "expected": [0.25, 0.45, 0.8, 1.2, 1.9],
        }
    )
    d = drawn(CalibrationHoldoutDisplay.from_table(table).plot())
    assert list(d.data["frequency"]) == ["0", "1", "2", "3", "4+"]
    np.testing.assert_array_equal(d.ax_.lines[0].get_ydata(), table["actual"])
    np.testing.assert_array_equal(d.ax_.lines[1].get_ydata(), table["expected"])
    renamed = table.rename(columns={"frequency": "frequency_cal", "actual": "holdout"})
    d2 = CalibrationHoldoutDisplay.from_table(renamed, frequency="frequency_cal", actual="holdout")
    pd.testing.assert_frame_equal(d2.data, d.data)
    with pytest.raises(ciblage.ColumnNotFoundError, match="expected"):
        CalibrationHoldoutDisplay.from_table(table.drop(columns="expected"))


def test_tracking_cumulative_and_incremental() -> None:
    actual = np.array([3.0, 5.0, 4.0, 6.0, 2.0])
    expected = np.array([3.5, 4.5, 4.2, 5.0, 3.0])
    table = pd.DataFrame(
        {
            "period": np.arange(1, 6),
            "actual": actual,
            "expected": expected,
            "cumulative_actual": np.cumsum(actual),
            "cumulative_expected": np.cumsum(expected),
        }
    )
    d = drawn(TrackingDisplay.from_table(table, calibration_end=3).plot())
    np.testing.assert_allclose(d.data["actual"], [3, 8, 12, 18, 20])
    np.testing.assert_allclose(d.ax_.lines[1].get_ydata(), np.cumsum(expected))
    assert d.ax_.lines[2].get_xdata()[0] == 3  # the end of calibration
    inc = drawn(TrackingDisplay.from_table(table, cumulative=False).plot())
    np.testing.assert_array_equal(inc.data["actual"], actual)
    assert len(inc.ax_.lines) == 2
    with pytest.raises(ciblage.ColumnNotFoundError, match="cumulative_actual"):
        TrackingDisplay.from_table(table[["period", "actual", "expected"]])


def test_bad_tables_and_grids(fitted) -> None:
    model, _ = fitted
    with pytest.raises(ciblage.InvalidParameterError, match="max_frequency"):
        model.plot(max_frequency=5_000, max_recency=5_000)
    with pytest.raises(ciblage.InvalidInputError, match="frequency"):
        model.plot(data=pd.DataFrame({"frequency": [np.nan], "T": [3.0]}))
    with pytest.raises(ciblage.ColumnTypeError, match="actual"):
        CalibrationHoldoutDisplay.from_table(pd.DataFrame({"frequency": [0], "actual": ["x"], "expected": [1.0]}))
