"""The fast paths of the BG/NBD and MBG/NBD fits and predictions: the
covariance the fit keeps (one Hessian on the distinct patterns) equals the
one computed over every customer, and the predictions computed once per
distinct history and scattered back equal the per-customer closed forms
(scipy's hyp2f1), in row order, duplicated rows included."""

from __future__ import annotations

import pathlib

import numpy as np
import pandas as pd
import pytest
from scipy.special import hyp2f1

from ciblage import _native, clv

DATA = pathlib.Path(__file__).resolve().parent / "data" / "clv"


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    """CDNOW's histories twice over, shuffled: repeated (x, T) pairs and
    repeated whole histories in no order."""
    cdnow = pd.read_csv(DATA / "cdnow_customers_summary.csv")[["frequency", "recency", "T"]]
    both = pd.concat([cdnow, cdnow], ignore_index=True)
    return both.iloc[np.random.default_rng(3).permutation(len(both))].reset_index(drop=True)


def _columns(df: pd.DataFrame) -> tuple[np.ndarray, ...]:
    return tuple(df[c].to_numpy(np.float64) for c in ("frequency", "recency", "T"))


@pytest.mark.parametrize("model", [clv.BgNbd, clv.MbgNbd])
@pytest.mark.parametrize("penalizer", [0.0, 0.05])
def test_the_fit_keeps_the_covariance_computed_over_every_customer(model, penalizer, data) -> None:
    m = model(penalizer=penalizer).fit(data)
    kept = m._covariance
    again = _native.clv_log_covariance(m._model, *_columns(data))
    scale = np.sqrt(np.outer(np.diag(again), np.diag(again)))
    assert np.all(np.abs(kept - again) <= 1e-6 * scale)
    # The standard errors are those of the same curvature in natural
    # parameters (delta method: se(p) = p * se(ln p) at a zero gradient).
    if penalizer == 0.0:
        p = np.array(list(m.params_.values()))
        se = np.array(list(m.standard_errors_.values()))
        np.testing.assert_allclose(se, p * np.sqrt(np.diag(kept)), rtol=1e-4)


def test_bg_nbd_predictions_are_the_per_customer_closed_forms(data) -> None:
    m = clv.BgNbd().fit(data)
    r, alpha, a, b = (m.params_[k] for k in ("r", "alpha", "a", "b"))
    x, tx, T = _columns(data)
    ratio = ((alpha + T) / (alpha + tx)) ** (r + x)
    alive = np.where(x > 0, 1.0 / (1.0 + a / np.maximum(b + x - 1, 1e-300) * ratio), 1.0)
    np.testing.assert_allclose(m.p_alive(data), alive, rtol=1e-11)
    t = 30.0
    z = t / (alpha + T + t)
    bracket = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z)
    expected = (a + b + x - 1) / (a - 1) * bracket * alive
    np.testing.assert_allclose(m.expected_purchases(t, data), expected, rtol=1e-9)
    assert np.all(m.expected_purchases(0.0, data) == 0.0)


def test_mbg_nbd_predictions_are_the_per_customer_closed_forms(data) -> None:
    m = clv.MbgNbd().fit(data)
    r, alpha, a, b = (m.params_[k] for k in ("r", "alpha", "a", "b"))
    x, tx, T = _columns(data)
    alive = 1.0 / (1.0 + a / (b + x) * ((alpha + T) / (alpha + tx)) ** (r + x))
    np.testing.assert_allclose(m.p_alive(data), alive, rtol=1e-11)
    t = 30.0
    z = t / (alpha + T + t)
    bracket = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x + 1, a + b + x, z)
    expected = (a + b + x) / (a - 1) * bracket * alive
    np.testing.assert_allclose(m.expected_purchases(t, data), expected, rtol=1e-9)


def test_the_predictions_follow_the_row_order(data) -> None:
    m = clv.BgNbd().fit(data)
    order = np.random.default_rng(5).permutation(len(data))
    shuffled = data.iloc[order].reset_index(drop=True)
    np.testing.assert_array_equal(m.expected_purchases(7.0, shuffled), m.expected_purchases(7.0, data)[order])
    np.testing.assert_array_equal(m.p_alive(shuffled), m.p_alive(data)[order])
