"""CLV models with covariates and prediction intervals: the likelihood
against an independent numpy evaluation, recovery of a simulated effect,
reduction to the models without covariates, interval coverage and
determinism, input faults."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy.special import gammaln

import ciblage.clv as clv
from ciblage.exceptions import ColumnNotFoundError, InvalidInputError, InvalidParameterError, ModelFileError

TRUE = dict(r=0.8, alpha=4.0, a=0.6, b=2.5)


def simulate(n: int, seed: int, gamma: float = 0.0, horizon: float = 52.0) -> pd.DataFrame:
    """BG/NBD customers; alpha_i = alpha exp(-gamma g) for a binary g."""
    rng = np.random.default_rng(seed)
    g = (np.arange(n) % 2).astype(float)
    alpha = TRUE["alpha"] * np.exp(-gamma * g)
    lam = rng.gamma(TRUE["r"], 1.0 / alpha)
    p = rng.beta(TRUE["a"], TRUE["b"], size=n)
    x = np.zeros(n)
    tx = np.zeros(n)
    for i in range(n):
        t = 0.0
        while True:
            t += rng.exponential(1.0 / lam[i])
            if t > horizon:
                break
            x[i] += 1
            tx[i] = t
            if rng.random() < p[i]:
                break
    return pd.DataFrame({"frequency": x, "recency": tx, "T": horizon, "g": g, "age": rng.normal(40, 10, n)})


def bgnbd_ll(df: pd.DataFrame, r: float, alpha: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """Fader, Hardie & Lee (2005) eq. 6, per customer, in numpy."""
    x, tx, T = df["frequency"].to_numpy(), df["recency"].to_numpy(), df["T"].to_numpy()
    ln_a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    ln_a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    ln_a3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore"):
        ln_a4 = np.where(
            x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + tx), -np.inf
        )
    return float(np.sum(ln_a1 + ln_a2 + np.logaddexp(ln_a3, ln_a4)))


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return simulate(2000, 7, gamma=0.7)


def test_log_likelihood_matches_an_independent_numpy_evaluation(data: pd.DataFrame) -> None:
    m = clv.BgNbdCov(trans=["g"], life=["age"]).fit(data)
    p = m.params_
    z_t, z_l = data["g"].to_numpy(), data["age"].to_numpy()
    alpha = p["alpha"] * np.exp(-p["trans.g"] * z_t)
    scale = np.exp(p["life.age"] * z_l)
    expected = bgnbd_ll(data, p["r"], alpha, p["a"] * scale, p["b"] * scale)
    assert m.log_likelihood_ == pytest.approx(expected, rel=1e-9)
    assert list(p) == ["r", "alpha", "a", "b", "trans.g", "life.age"]
    assert m.covariance_.shape == (6, 6)


def test_a_simulated_purchase_effect_is_recovered(data: pd.DataFrame) -> None:
    m = clv.BgNbdCov(trans=["g"]).fit(data)
    est, se = m.params_["trans.g"], m.standard_errors_["trans.g"]
    assert 0 < se < 0.2
    assert abs(est - 0.7) < 2.5 * se
    # Customers with g = 1 buy more: their alpha is smaller.
    e = m.expected_purchases(10.0, data.iloc[:2].assign(frequency=0.0, recency=0.0))
    assert e[1] > e[0]


def test_without_covariates_the_fit_is_the_plain_fit(data: pd.DataFrame) -> None:
    plain = clv.ParetoNbd().fit(data)
    cov = clv.ParetoNbdCov().fit(data)
    for k, v in plain.params_.items():
        assert cov.params_[k] == pytest.approx(v, rel=1e-6)
    np.testing.assert_allclose(cov.p_alive(data), plain.p_alive(data), rtol=1e-6)


def test_covariates_from_a_separate_table_and_persistence(data: pd.DataFrame) -> None:
    summary = data[["frequency", "recency", "T"]]
    table = {"g": data["g"].to_numpy()}
    m = clv.ParetoNbdCov(trans=["g"], life=["g"]).fit(summary, covariates=table)
    p = m.p_alive(summary, covariates=table)
    back = clv.ParetoNbdCov.from_json(m.to_json())
    np.testing.assert_array_equal(back.p_alive(summary, covariates=table), p)
    again = pickle.loads(pickle.dumps(m))
    np.testing.assert_array_equal(again.p_alive(summary, covariates=table), p)
    with pytest.raises(ModelFileError):
        clv.BgNbdCov.from_json(m.to_json())
    with pytest.raises(ModelFileError):
        clv.ParetoNbdCov.from_json(m.to_json().replace('"trans.g"', '"trans.h"'))
    new = m.expected_purchases_new(10.0, pd.DataFrame({"g": [0.0, 1.0]}))
    assert new.shape == (2,) and np.all(new > 0)


def test_bad_covariates_raise_named_errors(data: pd.DataFrame) -> None:
    with pytest.raises(InvalidInputError, match="constant"):
        clv.BgNbdCov(trans=["c"]).fit(data.assign(c=1.0))
    with pytest.raises(InvalidInputError, match="collinear"):
        clv.BgNbdCov(trans=["g", "h"]).fit(data.assign(h=2 * data["g"] + 1))
    with pytest.raises(ColumnNotFoundError, match="zzz"):
        clv.BgNbdCov(life=["zzz"]).fit(data)
    bad = data.copy()
    bad.loc[3, "age"] = np.nan
    with pytest.raises(InvalidInputError, match=r"covariates.age: non-finite value NaN at row 3"):
        clv.ParetoNbdCov(trans=["age"]).fit(bad)
    with pytest.raises(InvalidInputError, match="rows"):
        clv.BgNbdCov(trans=["g"]).fit(data, covariates={"g": np.array([0.0, 1.0])})
    with pytest.raises(InvalidParameterError, match="trans"):
        clv.BgNbdCov(trans="g").fit(data)
    with pytest.raises(InvalidParameterError, match="life"):
        clv.BgNbdCov(life=["g", "g"]).fit(data)


def test_interval_parameters_are_checked(data: pd.DataFrame) -> None:
    m = clv.BgNbd().fit(data)
    with pytest.raises(InvalidParameterError, match="interval"):
        m.p_alive(data, interval=1.5)
    with pytest.raises(InvalidParameterError, match="draws"):
        m.p_alive(data, interval=0.9, draws=1)
    with pytest.raises(InvalidParameterError, match="seed"):
        m.p_alive(data, interval=0.9, seed=-1)
    loaded = clv.BgNbd.from_json(m.to_json())
    with pytest.raises(InvalidParameterError, match="no covariance"):
        loaded.p_alive(data, interval=0.9)


PROBES = pd.DataFrame({"frequency": [0.0, 2.0, 5.0, 1.0], "recency": [0.0, 30.0, 50.0, 5.0], "T": 52.0})


def truth_expected(horizon: float) -> np.ndarray:
    true = clv.BgNbd()
    # A model at the true parameters, through the JSON form.
    text = clv.BgNbd().fit(simulate(300, 1)).to_json()
    import json

    saved = json.loads(text)
    saved["params"] = [[k, TRUE[k]] for k, _ in saved["params"]]
    saved["fit"] = None
    true = clv.BgNbd.from_json(json.dumps(saved))
    return true.expected_purchases(horizon, PROBES)


def test_the_interval_covers_the_true_prediction() -> None:
    truth = truth_expected(26.0)
    covered = []
    for rep in range(15):
        m = clv.BgNbd().fit(simulate(400, 100 + rep))
        ci = m.expected_purchases(26.0, PROBES, interval=0.9, draws=300, seed=rep)
        assert np.all(ci.low <= ci.estimate + 1e-12) and np.all(ci.estimate <= ci.high + 1e-12)
        covered.extend((ci.low <= truth) & (truth <= ci.high))
    rate = float(np.mean(covered))
    # 60 intervals from 15 independent fits at the 90% level.
    assert 0.7 <= rate <= 1.0, rate


def test_intervals_narrow_with_more_customers() -> None:
    def width(n: int) -> float:
        m = clv.BgNbd().fit(simulate(n, 4))
        ci = m.p_alive(PROBES, interval=0.9, draws=400)
        return float(ci.high[1] - ci.low[1])

    small, large = width(300), width(4800)
    assert 0 < large < 0.5 * small


def test_intervals_are_seeded_and_cover_spend_and_clv(data: pd.DataFrame) -> None:
    df = data.assign(monetary_value=np.where(data["frequency"] > 0, 20 + 5 * (np.arange(len(data)) % 5), 0.0))
    bg = clv.BgNbd().fit(df)
    gg = clv.GammaGamma().fit(df)
    a = bg.p_alive(df, interval=0.8, draws=100, seed=3)
    b = bg.p_alive(df, interval=0.8, draws=100, seed=3)
    c = bg.p_alive(df, interval=0.8, draws=100, seed=4)
    np.testing.assert_array_equal(a.low, b.low)
    assert not np.array_equal(a.low, c.low)
    np.testing.assert_array_equal(a.estimate, bg.p_alive(df))
    spend = gg.expected_average_spend(df, interval=0.9, draws=100)
    np.testing.assert_array_equal(spend.estimate, gg.expected_average_spend(df))
    value = gg.clv(bg, df, months=6, freq="W", interval=0.9, draws=100)
    np.testing.assert_allclose(value.estimate, gg.clv(bg, df, months=6, freq="W"), rtol=1e-12)
    assert np.all(value.low <= value.high)
    cov = clv.BgNbdCov(trans=["g"]).fit(df)
    ci = cov.clv(gg, df, months=6, freq="W", interval=0.9, draws=100)
    np.testing.assert_allclose(ci.estimate, cov.clv(gg, df, months=6, freq="W"), rtol=1e-9)
    ci = cov.p_alive(df, interval=0.9, draws=100)
    np.testing.assert_array_equal(ci.estimate, cov.p_alive(df))


def test_intervals_do_not_depend_on_the_thread_count(tmp_path) -> None:
    script = (
        "import numpy as np, ciblage.clv as clv, sys\n"
        f"sys.path.insert(0, {os.path.dirname(__file__)!r})\n"
        "from test_clv_cov import simulate\n"
        "df = simulate(1500, 2)\n"
        "ci = clv.BgNbd().fit(df).p_alive(df, interval=0.9, draws=50, seed=5)\n"
        "np.save(sys.argv[1], np.stack([ci.estimate, ci.low, ci.high]))\n"
    )
    out = []
    for threads in ("1", "2"):
        path = tmp_path / f"t{threads}.npy"
        env = dict(os.environ, RAYON_NUM_THREADS=threads)
        subprocess.run([sys.executable, "-c", script, str(path)], check=True, env=env)
        out.append(np.load(path))
    np.testing.assert_array_equal(out[0], out[1])
