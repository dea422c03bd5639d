"""Churn charts: retention, cohort heatmaps (censored cells masked, never 0),
survival curves, migration matrices and churn flags."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import ciblage
from ciblage.plot import (
    ChurnFlagsDisplay,
    CohortHeatmapDisplay,
    MigrationDisplay,
    RetentionDisplay,
    SurvivalDisplay,
)

pytestmark = pytest.mark.usefixtures("close_figures")


@pytest.fixture(scope="module")
def tx() -> pd.DataFrame:
    return ciblage.datasets.transactions(customers=300, transactions=3_000, seed=4, library="pandas")


@pytest.fixture(scope="module")
def result(tx) -> ciblage.RetentionResult:
    return ciblage.retention(tx)


def drawn(display):
    display.figure_.canvas.draw()
    return display


def monthly_activity(tx: pd.DataFrame) -> pd.DataFrame:
    buys = tx[tx["amount"] > 0]
    return pd.DataFrame({"customer_id": buys["customer_id"], "month": _wall_clock(buys["timestamp"]).dt.to_period("M")})


def _wall_clock(ts: pd.Series) -> pd.Series:
    # Months are calendar months of the column's own zone.
    return ts.dt.tz_localize(None) if ts.dt.tz is not None else ts


def test_retention_by_period_computed_from_transactions(tx, result) -> None:
    d = drawn(RetentionDisplay.from_result(result).plot())
    act = monthly_activity(tx)
    months = pd.period_range(act["month"].min(), act["month"].max(), freq="M")
    sets = {m: set(act.loc[act["month"] == m, "customer_id"]) for m in months}
    expected = [np.nan] + [
        len(sets[m] & sets[p]) / len(sets[p]) if sets[p] else np.nan
        for p, m in zip(months[:-1], months[1:], strict=True)
    ]
    assert list(d.data["period"]) == [str(m) for m in months]
    np.testing.assert_allclose(d.data["retention"], expected, rtol=1e-12)
    np.testing.assert_allclose(d.data["attrition"], 1 - np.array(expected), rtol=1e-12)
    np.testing.assert_allclose(d.ax_.lines[0].get_ydata(), expected, rtol=1e-12)


def classic_cohorts(tx: pd.DataFrame) -> pd.DataFrame:
    act = monthly_activity(tx)
    first = act.groupby("customer_id")["month"].min().rename("cohort")
    act = act.join(first, on="customer_id")
    act["k"] = (act["month"] - act["cohort"]).apply(lambda o: o.n)
    last = act["month"].max()
    cohorts = sorted(first.unique())
    size = first.value_counts()
    table = np.full((len(cohorts), len(cohorts)), np.nan)
    for i, c in enumerate(cohorts):
        observed = (last - c).n + 1  # periods since acquisition observed
        active = act[act["cohort"] == c].groupby("k")["customer_id"].nunique()
        for k in range(observed):
            table[i, k] = active.get(k, 0) / size[c]
    return pd.DataFrame(table, index=[str(c) for c in cohorts])


def test_classic_cohort_heatmap_masks_censored_cells(tx, result) -> None:
    d = drawn(CohortHeatmapDisplay.from_result(result).plot())
    expected = classic_cohorts(tx)
    assert list(d.data["cohort"]) == list(expected.index)
    values = d.data.drop(columns="cohort").to_numpy(dtype=float)
    np.testing.assert_allclose(values, expected.to_numpy(), rtol=1e-12)  # NaN where NaN
    censored = np.isnan(expected.to_numpy())
    assert censored.sum() > 0
    image = d.ax_.images[0].get_array()
    np.testing.assert_array_equal(np.ma.getmaskarray(image), censored)
    # Censored cells are NaN, never 0, in the data and in the image.
    assert not (values[censored] == 0).any()
    assert not np.ma.filled(image, -1.0)[censored].tolist().count(0.0)
    # The hatched background sits under the transparent masked cells.
    assert any(p.get_hatch() for p in d.ax_.patches)


@pytest.mark.parametrize("kind", ["rolling", "revenue"])
@pytest.mark.parametrize("shares", [True, False])
def test_other_cohort_kinds_are_the_result_matrices(result, kind, shares) -> None:
    d = drawn(result.plot(kind, shares=shares))
    table = result.cohorts(kind, shares=shares)
    expected = table.drop(columns=["cohort", "size"]).to_numpy(dtype=float)
    np.testing.assert_allclose(d.data.drop(columns="cohort").to_numpy(dtype=float), expected, rtol=1e-12)
    image = d.ax_.images[0].get_array()
    np.testing.assert_array_equal(np.ma.getmaskarray(image), np.isnan(expected))
    np.testing.assert_allclose(np.ma.filled(image, np.nan), expected, rtol=1e-12)


def test_survival_curves(result) -> None:
    d = drawn(SurvivalDisplay.from_result(result).plot())
    pooled = d.data[d.data["cohort"] == "all"]
    assert pooled["survival"].iloc[0] == 1.0 and pooled["periods"].iloc[0] == 0
    np.testing.assert_allclose(pooled["survival"].iloc[1:], result.survival["survival"], rtol=1e-12)
    table = result.cohorts("survival")
    for _, row in table.iterrows():
        part = d.data[d.data["cohort"] == row["cohort"]]
        periods = [c for c in table.columns if c not in ("cohort", "size")]
        np.testing.assert_allclose(part["survival"].iloc[1:], row[periods].to_numpy(dtype=float), rtol=1e-12)
    # The last cohort has not reached the late periods: NaN, not 0.
    last = d.data[d.data["cohort"] == table["cohort"].iloc[-1]]
    assert last["survival"].isna().any() and not (last["survival"] == 0).any()
    assert len(d.ax_.lines) == len(table) + 1
    assert d.ax_.lines[-1].get_linewidth() == 2.5


def test_survival_values_follow_kaplan_meier_bounds(result) -> None:
    d = SurvivalDisplay.from_result(result)
    pooled = d.data[d.data["cohort"] == "all"]["survival"].to_numpy()
    assert np.all(np.diff(pooled) <= 1e-15) and np.all((pooled >= 0) & (pooled <= 1))


@pytest.fixture()
def migrated() -> ciblage.Migration:
    before = pd.DataFrame({"customer_id": [1, 2, 3, 4, 5], "segment": ["a", "a", "a", "b", "b"]})
    after = pd.DataFrame({"customer_id": [1, 2, 3, 4, 6], "segment": ["a", "b", "b", "b", "a"]})
    return ciblage.migration(before, after)


def test_migration_shares_and_empty_row(migrated) -> None:
    d = drawn(migrated.plot())
    # Rows: (absent) [customer 6 arrived], a, b; columns the same labels.
    # a -> a: 1, a -> b: 2; b -> b: 1, b -> (absent): 1; (absent) -> a: 1.
    labels = ["(absent)", "a", "b"]
    expected = np.array([[0, 1, 0], [0, 1 / 3, 2 / 3], [0.5, 0, 0.5]])
    assert list(d.data["before"]) == labels
    np.testing.assert_allclose(d.data[labels].to_numpy(dtype=float), expected, rtol=1e-12)
    np.testing.assert_allclose(np.ma.filled(d.ax_.images[0].get_array(), np.nan), expected, rtol=1e-12)
    texts = [t.get_text() for t in d.ax_.texts]
    assert "67%\n(2)" in texts
    counts = drawn(migrated.plot("counts"))
    np.testing.assert_array_equal(counts.data[labels].to_numpy(), [[0, 1, 0], [0, 1, 2], [1, 0, 1]])


def test_migration_row_without_customers_is_masked() -> None:
    # Label b appears only after: its row holds no customer.
    before = pd.DataFrame({"customer_id": [1, 2], "segment": ["a", "a"]})
    after = pd.DataFrame({"customer_id": [1, 2], "segment": ["a", "b"]})
    d = drawn(MigrationDisplay.from_result(ciblage.migration(before, after)).plot())
    z = list(d.data["before"]).index("b")
    assert d.data.drop(columns="before").iloc[z].isna().all()
    assert np.ma.getmaskarray(d.ax_.images[0].get_array())[z].all()


def test_churn_flags_histogram(tx) -> None:
    flags = ciblage.churn_flags(tx, days=200)
    d = drawn(ChurnFlagsDisplay.from_table(flags, bins=10).plot())
    known = flags[flags["churned"].notna()]
    edges = np.linspace(0, known["days_since_last"].max(), 11)
    churned = known["churned"].astype(bool)
    np.testing.assert_array_equal(d.data["active"], np.histogram(known.loc[~churned, "days_since_last"], edges)[0])
    np.testing.assert_array_equal(d.data["churned"], np.histogram(known.loc[churned, "days_since_last"], edges)[0])
    assert d.threshold == 200.0
    assert d.data[["active", "churned"]].to_numpy().sum() == len(known)
    with pytest.raises(ciblage.InvalidParameterError, match="bins"):
        ChurnFlagsDisplay.from_table(flags, bins=0)
    with pytest.raises(ciblage.ColumnNotFoundError, match="churned"):
        ChurnFlagsDisplay.from_table(flags.drop(columns="churned"))


def test_shortcut_kinds(result, migrated) -> None:
    assert isinstance(result.plot(), RetentionDisplay)
    assert isinstance(result.plot("survival"), SurvivalDisplay)
    assert isinstance(result.plot("classic"), CohortHeatmapDisplay)
    for bad, obj in (("pie", result), ("survival", migrated)):
        with pytest.raises(ciblage.InvalidParameterError, match="kind"):
            obj.plot(bad)


def test_hundreds_of_daily_cohorts_draw_without_warning(tx) -> None:
    # Hundreds of daily cohorts: no legend placement search, no slow per-cohort filtering.
    daily = ciblage.retention(tx, period="day")
    for kind in ("survival", "classic"):
        d = drawn(daily.plot(kind))
        assert d.data["cohort"].nunique() >= 200
