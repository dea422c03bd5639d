"""Pareto/ABC and Lorenz charts: the numbers drawn, computed again with numpy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import ciblage
from ciblage.plot import LorenzDisplay, ParetoDisplay

pytestmark = pytest.mark.usefixtures("close_figures")


@pytest.fixture(scope="module")
def customers() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    values = np.round(rng.lognormal(4.0, 1.2, 300), 2)
    values[:4] = [0.0, -12.5, -3.0, 0.0]  # the no-value tier
    return pd.DataFrame({"customer_id": np.arange(300), "monetary": values})


def drawn(display):
    display.figure_.canvas.draw()
    return display


@pytest.mark.parametrize("method", ["count", "abc"])
def test_pareto_cumulative_share_by_rank(customers, method) -> None:
    tiers = ciblage.value_tiers(customers, method=method)
    d = drawn(ParetoDisplay.from_result(tiers).plot())
    ranked = customers.assign(rank=tiers.customers["rank"]).sort_values("rank")
    positive = ranked["monetary"].clip(lower=0).to_numpy()
    np.testing.assert_allclose(d.data["cumulative_share"], np.cumsum(positive) / positive.sum(), rtol=1e-12)
    np.testing.assert_allclose(d.data["share_of_customers"], np.arange(1, 301) / 300)
    np.testing.assert_array_equal(d.data["value"], ranked["monetary"])
    # The curve starts at the origin and ends at 100 %.
    x, y = d.ax_.lines[-1].get_data()
    assert (x[0], y[0]) == (0.0, 0.0) and y[-1] == pytest.approx(1.0)
    np.testing.assert_allclose(y[1:], d.data["cumulative_share"])
    # One band per tier holding customers, ending at its last customer's share.
    present = [t for t in tiers.names if (tiers.customers["tier"] == t).any()]
    assert len(d.ax_.patches) == len(present)
    last = tiers.customers.groupby("tier", observed=True)["rank"].max()
    for patch, tier in zip(d.ax_.patches, present, strict=True):
        assert patch.get_x() + patch.get_width() == pytest.approx(last[tier] / 300)


def test_lorenz_curve_and_gini(customers) -> None:
    conc = ciblage.concentration(customers)
    d = drawn(LorenzDisplay.from_result(conc, points=11).plot())
    values = np.sort(customers["monetary"].clip(lower=0).to_numpy())
    cum = np.concatenate([[0.0], np.cumsum(values)]) / values.sum()
    grid = np.linspace(0, 1, 11)
    expected = np.interp(grid, np.arange(301) / 300, cum)
    np.testing.assert_allclose(d.data["share_of_customers"], grid, atol=1e-12)
    np.testing.assert_allclose(d.data["share_of_value"], expected, atol=1e-12)
    # Gini = 1 - 2 * area under the curve (trapezoids over every customer).
    gini = 1 - np.sum(cum[1:] + cum[:-1]) / 300
    assert d.gini == pytest.approx(gini, abs=1e-9)
    labels = [t.get_text() for t in d.ax_.get_legend().get_texts()]
    assert f"Lorenz curve (Gini = {gini:.3f})" in labels


def test_shortcuts(customers) -> None:
    tiers = ciblage.value_tiers(customers)
    assert isinstance(tiers.plot(), ParetoDisplay)
    conc = ciblage.concentration(customers)
    d = conc.plot(points=5, linewidth=4)
    assert len(d.data) == 5 and d.ax_.lines[-1].get_linewidth() == 4
    for result in (tiers, conc):
        with pytest.raises(ciblage.InvalidParameterError, match="kind"):
            result.plot("heatmap")
