"""What every chart shares: ax= honoured, keyword arguments forwarded,
labels overridable, matplotlib missing named as the plot extra."""

from __future__ import annotations

import sys

import matplotlib
import matplotlib.pyplot as plt
import pytest

import ciblage
from ciblage.plot import Display, LorenzDisplay, MissingExtraError, RfmHeatmapDisplay

pytestmark = pytest.mark.usefixtures("close_figures")


@pytest.fixture(scope="module")
def results():
    tx = ciblage.datasets.transactions(customers=200, transactions=2_000, seed=1, library="pandas")
    rfm = ciblage.rfm_analysis(tx)
    tiers = ciblage.value_tiers(rfm.customers)
    before = rfm.customers[["customer_id", "segment"]]
    after = ciblage.rfm_analysis(tx, as_of="2023-06-01").customers[["customer_id", "segment"]]
    lifecycle = ciblage.lifecycle.evaluate(
        rfm.customers.merge(tiers.customers[["customer_id", "tier"]]), today="2024-06-01"
    )
    return [
        (rfm, ("heatmap", "segments", "scores")),
        (tiers, ("pareto",)),
        (ciblage.concentration(rfm.customers), ("lorenz",)),
        (ciblage.retention(tx), ("retention", "classic", "rolling", "revenue", "survival")),
        (ciblage.migration(before, after), ("shares", "counts")),
        (lifecycle, ("stages", "contacts")),
    ]


def test_backend_is_headless() -> None:
    assert matplotlib.get_backend().lower() == "agg"


def test_every_chart_draws_on_the_given_axes_without_warning(results) -> None:
    for result, kinds in results:
        for kind in kinds:
            fig, ax = plt.subplots()
            d = result.plot(kind, ax=ax)
            assert isinstance(d, Display)
            assert d.ax_ is ax and d.figure_ is fig
            fig.canvas.draw()  # -W error: any warning fails
            assert len(d.data) > 0
            plt.close(fig)


def test_new_figure_when_no_axes(results) -> None:
    rfm = results[0][0]
    before = set(plt.get_fignums())
    d = rfm.plot(figsize=(4, 3))
    assert set(plt.get_fignums()) - before == {d.figure_.number}
    assert tuple(d.figure_.get_size_inches()) == (4, 3)


def test_keyword_arguments_reach_matplotlib(results) -> None:
    rfm, conc = results[0][0], results[2][0]
    d = RfmHeatmapDisplay.from_result(rfm).plot(cmap="magma")
    assert d.ax_.images[0].get_cmap().name == "magma"
    d = LorenzDisplay.from_result(conc).plot(linewidth=5, color="green", title="T", xlabel="X", ylabel="Y")
    assert d.ax_.lines[-1].get_linewidth() == 5 and d.ax_.lines[-1].get_color() == "green"
    assert (d.ax_.get_title(), d.ax_.get_xlabel(), d.ax_.get_ylabel()) == ("T", "X", "Y")
    for display in (LorenzDisplay.from_result(conc), RfmHeatmapDisplay.from_result(rfm)):
        with pytest.raises(ciblage.InvalidParameterError, match="no_such_property"):
            display.plot(no_such_property=1)


def test_bad_axes_and_tables(results) -> None:
    rfm = results[0][0]
    with pytest.raises(ciblage.InvalidParameterError, match="ax"):
        rfm.plot(ax="left")
    _, ax = plt.subplots()
    with pytest.raises(ciblage.InvalidParameterError, match="figsize"):
        rfm.plot(ax=ax, figsize=(3, 3))
    from ciblage.plot import ParetoDisplay

    class Fake:
        customers = 3

    with pytest.raises(ciblage.InvalidParameterError, match="result"):
        ParetoDisplay.from_result(Fake())


def test_missing_matplotlib_names_the_extra(results, monkeypatch) -> None:
    rfm = results[0][0]
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError, match=r"ciblage\[plot\]") as e:
        rfm.plot()
    assert isinstance(e.value, MissingExtraError)
    # The numbers do not need matplotlib.
    assert len(RfmHeatmapDisplay.from_result(rfm).data) > 0


def test_repr(results) -> None:
    assert repr(RfmHeatmapDisplay.from_result(results[0][0])).startswith("RfmHeatmapDisplay(")


def test_wrong_result_type_names_the_argument() -> None:
    from ciblage import plot as P

    for make in (
        P.RfmHeatmapDisplay.from_result,
        P.RfmSegmentsDisplay.from_result,
        P.RfmScoresDisplay.from_result,
        P.ParetoDisplay.from_result,
        P.LorenzDisplay.from_result,
        P.RetentionDisplay.from_result,
        P.CohortHeatmapDisplay.from_result,
        P.SurvivalDisplay.from_result,
        P.MigrationDisplay.from_result,
        P.LifecycleStagesDisplay.from_result,
        P.LifecycleContactsDisplay.from_result,
    ):
        with pytest.raises(ciblage.InvalidParameterError, match="invalid parameter result"):
            make(3)
    with pytest.raises(ciblage.InvalidParameterError, match="invalid parameter model"):
        P.FrequencyRecencyDisplay.from_estimator(object(), max_frequency=1, max_recency=1)


def test_one_customer_draws_every_chart() -> None:
    import pandas as pd

    tx = pd.DataFrame({"customer_id": [1], "timestamp": pd.to_datetime(["2024-01-01"]), "amount": [10.0]})
    rfm = ciblage.rfm_analysis(tx)
    ret = ciblage.retention(tx)
    lifecycle = ciblage.lifecycle.evaluate(rfm.customers, today="2024-06-01")
    charts = [rfm.plot(k) for k in ("heatmap", "segments", "scores")]
    charts += [ret.plot(k) for k in ("retention", "classic", "rolling", "revenue", "survival")]
    charts += [lifecycle.plot(k) for k in ("stages", "contacts")]
    charts += [ciblage.value_tiers(rfm.customers).plot(), ciblage.concentration(rfm.customers).plot()]
    for d in charts:
        d.figure_.canvas.draw()
    assert charts[3].data["retention"].isna().all()  # one period: no retention, NaN not 0
