"""ciblage.clv against the published CDNOW figures (Fader, Hardie & Lee;
lifetimes 0.11.3) and against numerical integration of the models'
defining integrals."""

from __future__ import annotations

import json
import math
import pathlib
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import ciblage
from ciblage import clv
from ciblage.exceptions import (
    ColumnNotFoundError,
    FitError,
    InvalidInputError,
    InvalidParameterError,
    ModelFileError,
    NotFittedError,
    SpendFrequencyCorrelationWarning,
)

DATA = pathlib.Path(__file__).resolve().parent / "data" / "clv"


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    df = pd.read_csv(DATA / "cdnow_customers_summary_with_transactions.csv")
    return df.rename(columns={"x": "frequency", "t_x": "recency", "zbar": "monetary_value"})


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    df = pd.read_csv(
        DATA / "CDNOW_sample.txt", sep=r"\s+", header=None, names=["master", "customer_id", "date", "cds", "amount"]
    )
    df["timestamp"] = pd.to_datetime(df["date"].astype(str), format="%Y%m%d")
    return df[["customer_id", "timestamp", "amount"]]


def test_summary_rebuilds_the_cdnow_calibration_file(raw: pd.DataFrame, cdnow: pd.DataFrame) -> None:
    s = clv.summary(raw, freq="7D", observation_end="1997-09-30")
    assert list(s.columns) == ["customer_id", "frequency", "recency", "T", "monetary_value"]
    assert len(s) == 2357
    assert (s["customer_id"].to_numpy() == cdnow["ID"].to_numpy()).all()
    assert (s["frequency"].to_numpy() == cdnow["frequency"].to_numpy()).all()
    for col in ("recency", "T", "monetary_value"):
        assert np.abs(s[col].to_numpy() - cdnow[col].to_numpy()).max() <= 0.005 + 1e-9, col
    report = s.attrs["input_report"]
    after = int((raw["timestamp"] > "1997-09-30").sum())
    assert report["rows_read"] == 6919
    assert report["left_out"]["after_observation_end"] == after
    assert report["rows_used"] == 6919 - after


def test_summary_follows_lifetimes_on_a_small_table() -> None:
    # Customer 1: days 0 (twice), 3, 10; customer 2: day 5. Same-day rows count once,
    # the money of a day is summed: repeat days 3 (20) and 10 (40) -> mean 30.
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 1, 2],
            "timestamp": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-04", "2024-01-11", "2024-01-06"]),
            "amount": [10.0, 5.0, 20.0, 40.0, 7.0],
        }
    )
    s = clv.summary(tx)
    assert s["frequency"].tolist() == [2, 0]
    assert s["recency"].tolist() == [10.0, 0.0]
    assert s["T"].tolist() == [10.0, 5.0]
    assert s["monetary_value"].tolist() == [30.0, 0.0]
    h = clv.summary(tx, calibration_end="2024-01-04", observation_end="2024-01-11")
    assert h["customer_id"].tolist() == [1]
    assert h["frequency_holdout"].tolist() == [1]
    assert h["monetary_value_holdout"].tolist() == [40.0]
    assert h["duration_holdout"].tolist() == [7.0]
    # Customer 2 first buys after the calibration end: left out and counted.
    assert h.attrs["input_report"]["left_out"]["customer_first_seen_in_holdout"] == 1
    pl = pytest.importorskip("polars")
    assert clv.summary(pl.from_pandas(tx))["frequency"].to_list() == [2, 0]
    assert clv.summary(pa.Table.from_pandas(tx)).column("frequency").to_pylist() == [2, 0]


def test_summary_errors_name_the_argument() -> None:
    tx = pd.DataFrame({"customer_id": [1], "timestamp": pd.to_datetime(["2024-01-01"]), "amount": [1.0]})
    with pytest.raises(InvalidParameterError, match="freq"):
        clv.summary(tx, freq="fortnight")
    with pytest.raises(InvalidParameterError, match="freq"):
        clv.summary(tx, freq=0)
    with pytest.raises(InvalidParameterError, match="calibration_end"):
        clv.summary(tx, calibration_end="2024-02-01", observation_end="2024-01-01")
    with pytest.raises(ColumnNotFoundError, match="amount"):
        clv.summary(tx, amount="price")
    with pytest.raises(InvalidInputError, match="observation_end|as_of"):
        clv.summary(tx, observation_end="2023-01-01")


def test_bg_nbd_matches_the_published_fit_and_predictions(cdnow: pd.DataFrame) -> None:
    m = clv.BgNbd().fit(cdnow)
    p = m.params_
    assert abs(p["r"] - 0.242593) < 5e-6 and abs(p["alpha"] - 4.413532) < 5e-5
    assert abs(p["a"] - 0.792886) < 5e-5 and abs(p["b"] - 2.425752) < 5e-4
    assert abs(m.log_likelihood_ - (-9582.43)) < 0.01
    assert abs(m.p_alive(cdnow)[0] - 0.7266091) < 1e-5
    assert abs(m.expected_purchases(39, cdnow)[0] - 1.2259104) < 1e-5
    assert abs(m.expected_purchases_new(39) - 1.1950162) < 1e-5
    assert abs(m.expected_purchases(1, cdnow).sum() - 52.147070) < 1e-3
    assert "<table>" in m._repr_html_()
    back = clv.BgNbd.from_json(m.to_json())
    assert back.params_ == m.params_


def _gamma_mean(f, shape: float, rate: float) -> float:
    """E[f(X)] for X ~ Gamma(shape, rate), by quadrature."""
    from scipy import integrate, stats

    dist = stats.gamma(shape, scale=1 / rate)
    return integrate.quad(lambda v: f(v) * dist.pdf(v), 0, np.inf, limit=200)[0]


def test_bg_nbd_p_alive_matches_its_defining_integral() -> None:
    pytest.importorskip("scipy")
    from scipy import integrate, stats

    r, alpha, a, b = 0.242593, 4.413532, 0.792886, 2.425752
    x, t_x, T = 2, 30.43, 38.86
    beta = stats.beta(a, b)
    ep = lambda f: integrate.quad(lambda p: f(p) * beta.pdf(p), 0, 1, limit=200)[0]  # noqa: E731
    alive = ep(lambda p: (1 - p) ** x) * _gamma_mean(lambda lam: lam**x * math.exp(-lam * T), r, alpha)
    dead = ep(lambda p: p * (1 - p) ** (x - 1)) * _gamma_mean(lambda lam: lam**x * math.exp(-lam * t_x), r, alpha)
    data = {"frequency": [x], "recency": [t_x], "T": [T]}
    m = clv.BgNbd.from_json(
        json.dumps(
            {"model": "bg_nbd", "version": 1, "params": [["r", r], ["alpha", alpha], ["a", a], ["b", b]], "fit": None}
        )
    )
    assert abs(m.p_alive(data)[0] - alive / (alive + dead)) < 1e-6


def test_pareto_nbd_matches_the_published_fit_and_its_integrals(cdnow: pd.DataFrame) -> None:
    pytest.importorskip("scipy")
    from scipy import integrate

    m = clv.ParetoNbd().fit(cdnow)
    p = m.params_
    # Published: r 0.55, alpha 10.58, s 0.61, beta 11.67, LL -9595.0.
    assert round(p["r"], 2) == 0.55 and round(p["alpha"], 2) == 10.58
    assert round(p["s"], 2) == 0.61 and round(p["beta"], 2) == 11.67
    assert abs(m.log_likelihood_ - (-9595.0)) < 0.05
    r, alpha, s, beta = p["r"], p["alpha"], p["s"], p["beta"]
    x, t_x, T, t = 2, 30.43, 38.86, 39.0
    lam = lambda f: _gamma_mean(f, r, alpha)  # noqa: E731
    mu = lambda f: _gamma_mean(f, s, beta)  # noqa: E731
    alive = lam(lambda v: v**x * math.exp(-v * T)) * mu(lambda u: math.exp(-u * T))
    dead = integrate.quad(
        lambda y: lam(lambda v: v**x * math.exp(-v * y)) * mu(lambda u: u * math.exp(-u * y)), t_x, T
    )[0]
    data = {"frequency": [x], "recency": [t_x], "T": [T]}
    assert abs(m.p_alive(data)[0] - alive / (alive + dead)) < 1e-6
    future = lam(lambda v: v ** (x + 1) * math.exp(-v * T)) * mu(lambda u: math.exp(-u * T) * -math.expm1(-u * t) / u)
    assert abs(m.expected_purchases(t, data)[0] - future / (alive + dead)) < 1e-5
    big = {"frequency": [1e4, 1e4, 0.0], "recency": [9e3, 1e4, 0.0], "T": [1e4, 1e4, 1e4]}
    assert np.isfinite(m.p_alive(big)).all() and np.isfinite(m.expected_purchases(52, big)).all()


def test_gamma_gamma_and_clv_match_lifetimes(cdnow: pd.DataFrame) -> None:
    gg = clv.GammaGamma().fit(cdnow)
    assert abs(gg.params_["p"] - 6.248802) < 1e-4
    assert abs(gg.params_["q"] - 3.744588) < 1e-4
    assert abs(gg.params_["v"] - 15.447748) < 1e-3
    spend = gg.expected_average_spend(cdnow)
    assert abs(spend[0] - 24.658616) < 1e-4 and abs(spend[1] - 18.911480) < 1e-4
    bg = clv.BgNbd().fit(cdnow)
    value = gg.clv(bg, cdnow, months=12, discount_rate=0.01, freq="W")
    assert abs(value[0] - 36.278496) < 1e-3 and abs(value[1] - 4.637466) < 1e-3
    assert abs(value.sum() - 71509.90) < 0.5


def test_gamma_gamma_warns_on_correlated_spend() -> None:
    f = np.arange(1, 41) % 8 + 1.0
    data = {"frequency": f, "monetary_value": 10 * f + np.arange(40) % 3}
    with pytest.warns(SpendFrequencyCorrelationWarning, match="correlated"):
        gg = clv.GammaGamma(penalizer=0.01).fit(data)
    assert gg.correlation_ > 0.9
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clv.GammaGamma(penalizer=0.01, correlation_threshold=1.0).fit(data)


def test_model_errors_are_ours(cdnow: pd.DataFrame) -> None:
    with pytest.raises(NotFittedError):
        clv.BgNbd().p_alive(cdnow)
    with pytest.raises(InvalidParameterError, match="penalizer"):
        clv.BgNbd(penalizer=-1).fit(cdnow)
    with pytest.raises(InvalidParameterError, match="max_iterations"):
        clv.ParetoNbd(max_iterations=0).fit(cdnow)
    with pytest.raises(InvalidParameterError, match="nope"):
        clv.BgNbd().set_params(nope=1)
    with pytest.raises(ColumnNotFoundError, match="recency"):
        clv.BgNbd().fit(cdnow, recency="t_x")
    bad = cdnow.assign(recency=cdnow["T"] + 1)
    with pytest.raises(InvalidInputError, match="recency"):
        clv.BgNbd().fit(bad)
    with pytest.raises(InvalidInputError, match="T: non-finite"):
        clv.BgNbd().fit(cdnow.assign(T=np.nan))
    with pytest.raises(FitError, match="BG/NBD"):
        clv.BgNbd(max_iterations=2).fit(cdnow)
    with pytest.raises(InvalidInputError, match="monetary_value"):
        clv.GammaGamma().fit(cdnow.assign(monetary_value=-1.0))
    with pytest.raises(ModelFileError):
        clv.BgNbd.from_json("{}")
    with pytest.raises(InvalidParameterError, match="purchases"):
        clv.GammaGamma().fit(cdnow).clv("bg", cdnow)  # type: ignore[arg-type]


def test_models_pickle_and_check_their_arguments(cdnow: pd.DataFrame) -> None:
    import pickle

    m = clv.BgNbd().fit(cdnow)
    back = pickle.loads(pickle.dumps(m))
    assert back.params_ == m.params_
    assert (back.p_alive(cdnow) == m.p_alive(cdnow)).all()
    with pytest.raises(InvalidParameterError, match="t"):
        m.expected_purchases(float("nan"), cdnow)
    with pytest.raises(InvalidParameterError, match="n"):
        m.prob_n_purchases(-1, 10)
    with pytest.raises(InvalidInputError, match="frequency: input is empty"):
        clv.BgNbd().fit(cdnow.iloc[:0])
    with pytest.raises(InvalidInputError, match="T"):
        m.p_alive({"frequency": [1.0, 2.0], "recency": [1.0, 2.0], "T": [3.0]})
    with pytest.raises(ModelFileError, match="model"):
        clv.ParetoNbd.from_json(m.to_json())
    # P(exactly n) of a new customer sums to 1 and to the expected count.
    probs = np.array([m.prob_n_purchases(n, 39) for n in range(300)])
    assert abs(probs.sum() - 1) < 1e-6
    assert abs((np.arange(300) * probs).sum() - m.expected_purchases_new(39)) < 1e-4


def test_package_exposes_the_module() -> None:
    assert ciblage.clv is clv


def test_synthetic_transactions_fit_end_to_end() -> None:
    # Customers first seen in the last week have T = 0 and must not stop the fit.
    tx = ciblage.datasets.transactions(customers=300, transactions=3_000, library="pandas")
    s = clv.summary(tx, freq="W")
    assert (s["T"] == 0).any() or len(s) == 300
    for model in (clv.BgNbd(),):
        model.fit(s)
        p = model.p_alive(s)
        assert ((p >= 0) & (p <= 1)).all()
        e13, e26 = model.expected_purchases(13, s), model.expected_purchases(26, s)
        assert (e26 >= e13).all() and np.isfinite(e13).all()
