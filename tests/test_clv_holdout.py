"""ciblage.clv.evaluate_holdout on CDNOW (weekly; calibration 1997-01-01 to
1997-09-30, holdout to 1998-06-30) against pandas counts of the raw
transactions and BG/NBD's closed forms written out with numpy/scipy."""

from __future__ import annotations

import math
import pathlib

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from scipy.special import hyp2f1

from ciblage import clv
from ciblage.exceptions import InvalidInputError, InvalidParameterError, NotFittedError

DATA = pathlib.Path(__file__).resolve().parent / "data" / "clv"
CAL, END = "1997-09-30", "1998-06-30"


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    df = pd.read_csv(
        DATA / "CDNOW_sample.txt", sep=r"\s+", header=None, names=["master", "customer_id", "date", "cds", "amount"]
    )
    df["timestamp"] = pd.to_datetime(df["date"].astype(str), format="%Y%m%d")
    return df[["customer_id", "timestamp", "amount"]]


@pytest.fixture(scope="module")
def fitted(raw: pd.DataFrame) -> tuple[pd.DataFrame, clv.BgNbd, clv.HoldoutEvaluation]:
    s = clv.summary(raw, freq="W", calibration_end=CAL, observation_end=END)
    model = clv.BgNbd().fit(s)
    ev = clv.evaluate_holdout(model, raw, freq="W", calibration_end=CAL, observation_end=END)
    return s, model, ev


def _conditional(p: dict[str, float], t: float, x: np.ndarray, tx: np.ndarray, T: np.ndarray) -> np.ndarray:
    """BG/NBD E[Y(t) | x, t_x, T] (Fader, Hardie & Lee 2005, eq. 10)."""
    r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
    z = t / (alpha + T + t)
    first = (a + b + x - 1) / (a - 1)
    second = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z)
    third = 1 + (x > 0) * (a / (b + x - 1)) * ((alpha + T) / (alpha + tx)) ** (r + x)
    return first * second / third


def _new(p: dict[str, float], t: np.ndarray) -> np.ndarray:
    """BG/NBD E[X(t)] of a new customer (eq. 9)."""
    r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
    return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t)))


def _weeks(raw: pd.DataFrame) -> pd.DataFrame:
    """Distinct (customer, Monday-to-Sunday week) purchases up to the end."""
    w = raw.assign(week=raw["timestamp"].dt.to_period("W-SUN"))
    w = w[w["week"] <= pd.Period(END, "W-SUN")]
    return w.drop_duplicates(["customer_id", "week"]).sort_values(["customer_id", "week"])


def test_calibration_vs_holdout_table_matches_a_pandas_groupby(fitted: tuple) -> None:
    s, model, ev = fitted
    pred = _conditional(
        model.params_,
        39.0,
        s["frequency"].to_numpy(float),
        s["recency"].to_numpy(float),
        s["T"].to_numpy(float),
    )
    assert s["duration_holdout"].iloc[0] == 39.0
    grouped = (
        s.assign(pred=pred, bin=s["frequency"].clip(upper=6))
        .groupby("bin")
        .agg(customers=("pred", "size"), actual=("frequency_holdout", "mean"), expected=("pred", "mean"))
    )
    t = ev.by_frequency
    assert t["label"].tolist() == ["0", "1", "2", "3", "4", "5", "6+"]
    assert t["customers"].tolist() == grouped["customers"].tolist()
    np.testing.assert_allclose(t["actual"], grouped["actual"], rtol=1e-12)
    np.testing.assert_allclose(t["expected"], grouped["expected"], rtol=1e-7)
    np.testing.assert_allclose(ev.customers["expected_holdout"], pred, rtol=1e-7)
    # Metrics at the customer level.
    actual = s["frequency_holdout"].to_numpy(float)
    m = ev.metrics
    assert m["customers"] == len(s)
    assert m["mae"] == pytest.approx(np.abs(pred - actual).mean(), rel=1e-7)
    assert m["rmse"] == pytest.approx(math.sqrt(((pred - actual) ** 2).mean()), rel=1e-7)
    assert m["correlation"] == pytest.approx(np.corrcoef(pred, actual)[0, 1], rel=1e-7)
    assert m["aggregate_error_pct"] == pytest.approx(100 * (pred.sum() - actual.sum()) / actual.sum(), rel=1e-6)


def test_tracking_counts_the_cohort_repeat_purchases(raw: pd.DataFrame, fitted: tuple) -> None:
    _, model, ev = fitted
    w = _weeks(raw)
    first = w.groupby("customer_id")["week"].transform("min")
    cohort = w[first <= pd.Period(CAL, "W-SUN")]
    first = first[cohort.index]
    repeat = cohort[cohort["week"] != first].groupby("week").size()
    t = ev.tracking
    start = pd.Period(t["start"].iloc[0], "W-SUN")
    weeks = pd.period_range(start, pd.Period(END, "W-SUN"), freq="W-SUN")
    assert list(t.columns) == [
        "period",
        "start",
        "holdout",
        "actual",
        "expected",
        "cumulative_actual",
        "cumulative_expected",
    ]
    assert len(t) == len(weeks)
    expected_actual = repeat.reindex(weeks, fill_value=0).to_numpy(float)
    np.testing.assert_array_equal(t["actual"].to_numpy(), expected_actual)
    np.testing.assert_array_equal(t["cumulative_actual"].to_numpy(), np.cumsum(expected_actual))
    assert t["holdout"].tolist() == [wk > pd.Period(CAL, "W-SUN") for wk in weeks]
    # Expected: every cohort customer at its age at the end of each week.
    firsts = cohort.groupby("customer_id")["week"].min()
    ages = np.array([[(wk - f).n for f in firsts] for wk in weeks], dtype=float)
    cumulative = np.where(ages >= 0, _new(model.params_, np.maximum(ages, 0)), 0.0).sum(axis=1)
    np.testing.assert_allclose(t["cumulative_expected"], cumulative, rtol=1e-7)
    np.testing.assert_allclose(t["expected"], np.diff(cumulative, prepend=0.0), rtol=1e-6, atol=1e-9)


def test_result_shows_and_reports(fitted: tuple, raw: pd.DataFrame) -> None:
    _, _, ev = fitted
    html = ev._repr_html_()
    assert "6+" in html and "rmse" in html
    r = ev.input_report
    assert r["rows_read"] == len(raw)
    assert r["duration_holdout"] == 39.0
    assert r["left_out"]["after_observation_end"] == int((raw["timestamp"] > END).sum())
    pl = pytest.importorskip("polars")
    s = clv.summary(raw, freq="W", calibration_end=CAL, observation_end=END)
    model = clv.BgNbd().fit(s)
    ev_pl = clv.evaluate_holdout(model, pl.from_pandas(raw), freq="W", calibration_end=CAL, observation_end=END)
    assert isinstance(ev_pl.tracking, pl.DataFrame)
    assert ev_pl.by_frequency["customers"].to_list() == ev.by_frequency["customers"].tolist()


def test_pareto_nbd_is_evaluated_too(raw: pd.DataFrame) -> None:
    s = clv.summary(raw, freq="W", calibration_end=CAL, observation_end=END)
    model = clv.ParetoNbd().fit(s)
    ev = clv.evaluate_holdout(model, raw, freq="W", calibration_end=CAL, observation_end=END, max_frequency=3)
    assert ev.by_frequency["label"].tolist() == ["0", "1", "2", "3+"]
    # The per-customer predictions are the model's own conditional expectation.
    np.testing.assert_allclose(ev.customers["expected_holdout"], model.expected_purchases(39.0, s), rtol=1e-12)
    assert ev.metrics["rmse"] >= ev.metrics["mae"] > 0


def test_bad_arguments_are_named(raw: pd.DataFrame, fitted: tuple) -> None:
    _, model, _ = fitted
    with pytest.raises(NotFittedError):
        clv.evaluate_holdout(clv.BgNbd(), raw, calibration_end=CAL)
    with pytest.raises(InvalidParameterError, match="model"):
        clv.evaluate_holdout(object(), raw, calibration_end=CAL)
    with pytest.raises(InvalidParameterError, match="calibration_end"):
        clv.evaluate_holdout(model, raw, calibration_end=None)
    with pytest.raises(InvalidParameterError, match="max_frequency"):
        clv.evaluate_holdout(model, raw, calibration_end=CAL, max_frequency=0)
    s = clv.summary(raw, freq="W", calibration_end=CAL, observation_end=END)
    gg = clv.GammaGamma().fit(s[s["frequency"] > 0])
    with pytest.raises(InvalidParameterError, match="model"):
        clv.evaluate_holdout(gg, raw, calibration_end=CAL)


def test_bad_tables_and_dates_raise_our_errors(raw: pd.DataFrame, fitted: tuple) -> None:
    _, model, _ = fitted
    with pytest.raises(InvalidParameterError, match="calibration_end"):
        clv.evaluate_holdout(model, raw, calibration_end="1999-01-01", observation_end=END)
    with pytest.raises(InvalidParameterError, match="max_frequency"):
        clv.evaluate_holdout(model, raw, calibration_end=CAL, max_frequency=True)
    with pytest.raises(InvalidInputError):
        clv.evaluate_holdout(model, raw.iloc[:0], calibration_end=CAL)
    late = raw.assign(timestamp=raw["timestamp"] + pd.Timedelta(days=3650))
    with pytest.raises(InvalidInputError):
        clv.evaluate_holdout(model, late, calibration_end=CAL, observation_end="2010-01-01")
    with pytest.raises(InvalidParameterError, match="model"):
        clv.evaluate_holdout("BgNbd", raw, calibration_end=CAL)
    ev = clv.evaluate_holdout(model, pa.Table.from_pandas(raw), calibration_end=CAL, observation_end=END, freq="W")
    assert isinstance(ev.tracking, pa.Table)
    assert "rmse" in ev._repr_html_()
