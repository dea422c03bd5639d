"""Lifecycle charts: customers per stage and moment, contacts kept and suppressed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import ciblage
from ciblage.plot import LifecycleContactsDisplay, LifecycleStagesDisplay

pytestmark = pytest.mark.usefixtures("close_figures")


@pytest.fixture(scope="module")
def result():
    tx = ciblage.datasets.transactions(customers=300, transactions=3_000, seed=9, library="pandas")
    customers = ciblage.rfm(tx)
    tiers = ciblage.value_tiers(customers).customers[["customer_id", "tier"]]
    # Six contacts already in the window for the first two customers: the
    # pressure cap suppresses their new contacts.
    ids = customers["customer_id"].iloc[:2].tolist()
    history = pd.DataFrame({"customer_id": ids * 6, "date": pd.to_datetime(["2024-05-25"] * 12)})
    return ciblage.lifecycle.evaluate(customers.merge(tiers), today="2024-06-01", history=history)


def drawn(display):
    display.figure_.canvas.draw()
    return display


def test_stages_by_moment(result) -> None:
    d = drawn(LifecycleStagesDisplay.from_result(result).plot())
    expected = pd.crosstab(result.customers["stage"], result.customers["moment"])
    assert d.data[[c for c in d.data.columns if c != "stage"]].to_numpy().sum() == len(result.customers)
    for _, row in d.data.iterrows():
        for moment in expected.columns:
            assert row[moment] == expected.loc[row["stage"], moment]
    totals = d.data.drop(columns="stage").sum(axis=1).to_numpy()
    assert np.all(np.diff(totals) <= 0)  # largest stage first
    # The bar segments are those counts, moment by moment.
    widths = [p.get_width() for p in d.ax_.patches]
    moments = [c for c in d.data.columns if c != "stage"]
    np.testing.assert_array_equal(widths, d.data[moments].to_numpy().T.ravel())


@pytest.mark.parametrize("by", ["rule", "action", "channel"])
def test_contacts_kept_and_suppressed(result, by) -> None:
    d = drawn(result.plot("contacts", by=by))
    dec = result.decisions
    kept = dec[dec["kept"]].groupby(by).size()
    suppressed = dec[~dec["kept"]].groupby(by).size()
    assert suppressed.sum() > 0
    assert d.data["kept"].sum() + d.data["suppressed"].sum() == len(dec)
    for _, row in d.data.iterrows():
        assert row["kept"] == kept.get(row[by], 0)
        assert row["suppressed"] == suppressed.get(row[by], 0)


def test_shortcut(result) -> None:
    assert isinstance(result.plot(), LifecycleStagesDisplay)
    assert isinstance(result.plot("contacts"), LifecycleContactsDisplay)
    with pytest.raises(ciblage.InvalidParameterError, match="kind"):
        result.plot("funnel")
    with pytest.raises(ciblage.InvalidParameterError, match="by"):
        result.plot("contacts", by="segment")
