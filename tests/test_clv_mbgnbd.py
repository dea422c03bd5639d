"""MBG/NBD has everything BG/NBD has: intervals (coverage on seeded
simulations), P(alive) at a future date and DERT (against numerical
integration of their defining integrals over the gamma and beta mixing
distributions, not our closed forms), CLV, the value table, holdout
evaluation and the chart."""

from __future__ import annotations

import math
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import integrate
from scipy.special import betaln, gammaln

import ciblage
import ciblage.clv as clv
from ciblage import _native
from ciblage.exceptions import InvalidParameterError, SpendFrequencyCorrelationWarning

TRUE = dict(r=0.8, alpha=4.0, a=0.6, b=2.5)

PROBES = pd.DataFrame(
    {"frequency": [0.0, 2.0, 5.0, 1.0], "recency": [0.0, 30.0, 50.0, 5.0], "T": [52.0, 52.0, 52.0, 52.0]}
)


def simulate(n: int, seed: int, horizon: float = 52.0) -> pd.DataFrame:
    """MBG/NBD customers (Batislam et al. 2007): lambda ~ gamma(r, alpha),
    p ~ beta(a, b); a customer drops out with probability p right after
    the first purchase and after each repeat purchase."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(TRUE["r"], 1.0 / TRUE["alpha"], size=n)
    p = rng.beta(TRUE["a"], TRUE["b"], size=n)
    x = np.zeros(n)
    tx = np.zeros(n)
    for i in range(n):
        if rng.random() < p[i]:
            continue
        t = 0.0
        while True:
            t += rng.exponential(1.0 / lam[i])
            if t > horizon:
                break
            x[i] += 1
            tx[i] = t
            if rng.random() < p[i]:
                break
    return pd.DataFrame({"frequency": x, "recency": tx, "T": horizon})


def prior_mean(f, params: dict[str, float], rate: float, shape: float) -> float:
    """E[lambda^shape e^{-rate lambda} f(lambda, p)] over lambda ~ gamma(r,
    alpha) and p ~ beta(a, b), by nested adaptive quadrature (the gamma and
    beta densities' endpoint powers as quadrature weights)."""
    r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
    top = (r + shape + 60.0 + 12.0 * math.sqrt(r + shape)) / (alpha + rate)

    def over_p(lam: float) -> float:
        v, _ = integrate.quad(lambda p: f(lam, p), 0.0, 1.0, weight="alg", wvar=(a - 1, b - 1), limit=200)
        return v

    v, _ = integrate.quad(
        lambda lam: math.exp(-(alpha + rate) * lam) * over_p(lam),
        0.0,
        top,
        weight="alg",
        wvar=(r + shape - 1, 0.0),
        limit=200,
        epsrel=1e-11,
    )
    return v * math.exp(r * math.log(alpha) - gammaln(r) - betaln(a, b))


def purchases_if_alive(t: float):
    """Expected purchases in the next ``t`` of a customer alive now:
    int_0^t lambda e^{-lambda p s} ds."""
    return lambda lam, p: -math.expm1(-lam * p * t) / p if p > 0 else lam * t


def posterior(g, params: dict[str, float], x: float, tx: float, T: float) -> float:
    """E[g(lambda, p) 1(alive at T) | x, t_x, T]: the likelihood of the
    history is (1-p)^{x+1} lambda^x e^{-lambda T} (alive at T) plus
    p (1-p)^x lambda^x e^{-lambda t_x} (dropped after the last purchase)."""
    alive = prior_mean(lambda lam, p: (1 - p) ** (x + 1) * g(lam, p), params, T, x)
    alive_l = prior_mean(lambda lam, p: (1 - p) ** (x + 1), params, T, x)
    dead = prior_mean(lambda lam, p: p * (1 - p) ** x, params, tx, x)
    return alive / (alive_l + dead)


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return clv.summary(ciblage.datasets.cdnow(library="pandas"), freq="7D", observation_end="1997-09-30")


@pytest.fixture(scope="module")
def mbg(cdnow: pd.DataFrame) -> clv.MbgNbd:
    return clv.MbgNbd().fit(cdnow)


def test_the_integration_reproduces_the_closed_form_p_alive(mbg: clv.MbgNbd) -> None:
    # The checker itself against lifetimes' P(alive) formula.
    p = mbg.params_
    for x, tx, T in PROBES.itertuples(index=False):
        want = 1.0 / (1 + p["a"] / (p["b"] + x) * ((p["alpha"] + T) / (p["alpha"] + tx)) ** (p["r"] + x))
        assert posterior(lambda lam, q: 1.0, p, x, tx, T) == pytest.approx(want, rel=1e-7)


def test_p_alive_at_a_future_date_matches_its_integral(mbg: clv.MbgNbd) -> None:
    got = mbg.p_alive_at(10.0, PROBES)
    for i, (x, tx, T) in enumerate(PROBES.itertuples(index=False)):
        # No purchase in (T, T + 10]: the history observed up to T + 10.
        want = posterior(lambda lam, q: 1.0, mbg.params_, x, tx, T + 10.0)
        assert got[i] == pytest.approx(want, rel=1e-7), i
    now = mbg.p_alive(PROBES)
    assert np.all(got <= now + 1e-15)
    np.testing.assert_allclose(mbg.p_alive_at(0.0, PROBES), now, rtol=1e-12)


@pytest.mark.parametrize("months", [12.0, None])
def test_dert_matches_its_integral(mbg: clv.MbgNbd, months: float | None) -> None:
    # Weekly histories: delta = ln(1.01) per month of 4.345 weeks.
    delta = math.log1p(0.01) / 4.345
    got = mbg.dert(PROBES, discount_rate=0.01, freq="W", horizon=months)
    for i, (x, tx, T) in enumerate(PROBES.itertuples(index=False)):
        # Alive at T, a customer buys at rate lambda and survives each
        # purchase with 1 - p: alive at T + t with e^{-lambda p t}, so
        # DERT = int_0^H e^{-delta t} lambda e^{-lambda p t} dt.
        if months is None:

            def g(lam: float, p: float) -> float:
                return lam / (delta + lam * p)

        else:
            h = months * 4.345

            def g(lam: float, p: float, h: float = h) -> float:
                return lam * -math.expm1(-(delta + lam * p) * h) / (delta + lam * p)

        want = posterior(g, mbg.params_, x, tx, T)
        assert got[i] == pytest.approx(want, rel=1e-5), i


def test_expected_purchases_match_their_integral(mbg: clv.MbgNbd) -> None:
    got = mbg.expected_purchases(13.0, PROBES)
    for i, (x, tx, T) in enumerate(PROBES.itertuples(index=False)):
        want = posterior(purchases_if_alive(13.0), mbg.params_, x, tx, T)
        assert got[i] == pytest.approx(want, rel=1e-7), i


def test_the_interval_covers_the_true_prediction() -> None:
    truth = np.array(
        [posterior(purchases_if_alive(26.0), TRUE, x, tx, T) for x, tx, T in PROBES.itertuples(index=False)]
    )
    covered = []
    for rep in range(15):
        m = clv.MbgNbd().fit(simulate(400, 100 + rep))
        ci = m.expected_purchases(26.0, PROBES, interval=0.9, draws=300, seed=rep)
        assert np.all(ci.low <= ci.estimate + 1e-12) and np.all(ci.estimate <= ci.high + 1e-12)
        covered.extend((ci.low <= truth) & (truth <= ci.high))
    rate = float(np.mean(covered))
    # 60 intervals from 15 independent fits at the 90% level.
    assert 0.7 <= rate <= 1.0, rate


def test_intervals_are_seeded_and_cover_spend_and_clv(cdnow: pd.DataFrame, mbg: clv.MbgNbd) -> None:
    a = mbg.p_alive(cdnow, interval=0.8, draws=60, seed=3)
    b = mbg.p_alive(cdnow, interval=0.8, draws=60, seed=3)
    np.testing.assert_array_equal(a.low, b.low)
    np.testing.assert_array_equal(a.estimate, mbg.p_alive(cdnow))
    assert np.all((a.low <= a.estimate + 1e-12) & (a.estimate <= a.high + 1e-12))
    repeat = cdnow[cdnow["frequency"] > 0]
    gg = clv.GammaGamma().fit(repeat)
    value = gg.clv(mbg, repeat, months=6, freq="W", interval=0.9, draws=60)
    np.testing.assert_allclose(value.estimate, gg.clv(mbg, repeat, months=6, freq="W"), rtol=1e-12)
    assert np.all(value.low <= value.high)


def test_json_round_trip_keeps_the_predictions_but_not_the_covariance(mbg: clv.MbgNbd, cdnow: pd.DataFrame) -> None:
    back = clv.MbgNbd.from_json(mbg.to_json())
    np.testing.assert_array_equal(back.p_alive_at(5.0, cdnow), mbg.p_alive_at(5.0, cdnow))
    with pytest.raises(InvalidParameterError, match="interval"):
        back.p_alive(cdnow, interval=0.9)
    again = pickle.loads(pickle.dumps(mbg))
    np.testing.assert_array_equal(again.dert(PROBES, freq="W"), mbg.dert(PROBES, freq="W"))


def test_one_native_model_class_and_no_json_hand_over(mbg: clv.MbgNbd) -> None:
    assert isinstance(mbg._fitted(), _native.ClvModel)
    assert not hasattr(_native, "MbgNbdModel") and not hasattr(_native, "mbg_nbd_fit")


def test_value_table_hands_back_a_working_mbgnbd() -> None:
    tx = ciblage.datasets.transactions(customers=300, transactions=3_000, library="pandas")
    with warnings.catch_warnings():
        # The spend model's independence check may fire on these data.
        warnings.simplefilter("ignore", SpendFrequencyCorrelationWarning)
        cv = clv.customer_value(tx, model="mbgnbd", negative_amounts="exclude")
    m = cv.purchase_model
    assert isinstance(m, clv.MbgNbd) and isinstance(m._fitted(), _native.ClvModel)
    s = cv.customers
    np.testing.assert_allclose(m.p_alive(s), s["p_alive"].to_numpy(), rtol=1e-12)
    head = s.iloc[:20]
    assert np.all(np.isfinite(m.dert(head))) and np.all(m.p_alive_at(30.0, s) <= m.p_alive(s) + 1e-15)


def test_holdout_evaluation_takes_mbgnbd() -> None:
    cd = ciblage.datasets.cdnow(library="pandas")
    cal = clv.summary(cd, freq="W", observation_end="1997-09-30")
    ev = clv.evaluate_holdout(
        clv.MbgNbd().fit(cal), cd, calibration_end="1997-09-30", observation_end="1998-06-30", freq="W"
    )
    # Expected holdout purchases of the customers are the model's own.
    by_customer = ev.customers
    model = clv.MbgNbd().fit(cal)
    duration = ev.input_report["duration_holdout"]
    np.testing.assert_allclose(
        by_customer["expected_holdout"].to_numpy(), model.expected_purchases(duration, by_customer), rtol=1e-9
    )


def test_plot(mbg: clv.MbgNbd, cdnow: pd.DataFrame) -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    display = mbg.plot("p_alive", data=cdnow)
    assert display.what == "p_alive" and len(display.data) > 0
