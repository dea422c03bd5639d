"""ciblage.clv's predictions against independent numbers: the published
CDNOW figures (lifetimes 0.11.3, Fader-Hardie), and numerical integration
(mpmath, 30 digits) of the models' defining integrals over the customer's
unobserved rates, at ordinary and extreme histories and parameters."""

from __future__ import annotations

import json
import pathlib

import mpmath as mp
import numpy as np
import pandas as pd
import pytest

from ciblage import clv

DATA = pathlib.Path(__file__).resolve().parent / "data" / "clv"

mp.mp.dps = 25


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    df = pd.read_csv(DATA / "cdnow_customers_summary_with_transactions.csv")
    return df.rename(columns={"x": "frequency", "t_x": "recency", "zbar": "monetary_value"})


def _model(cls: type, names: tuple[str, ...], values: tuple[float, ...]) -> clv._PurchaseModel:
    text = json.dumps(
        {
            "model": cls._kind,
            "version": 1,
            "params": [[n, float(v)] for n, v in zip(names, values, strict=True)],
            "fit": None,
        }
    )
    return cls.from_json(text)


def _one(x: float, t_x: float, t: float) -> dict[str, list[float]]:
    return {"frequency": [x], "recency": [t_x], "T": [t]}


# --- BG/NBD by integration over the dropout probability p ~ Beta(a, b) ----------------------------
# Given p and the purchase rate lambda ~ Gamma(r, alpha): the likelihood of (x, t_x, T) is
# (1-p)^x lambda^x e^(-lambda T) (alive at T) + [x > 0] p (1-p)^(x-1) lambda^x e^(-lambda t_x)
# (dropped after the last purchase). E_lambda[lambda^x e^(-lambda u)] = Gamma(r+x)/Gamma(r) alpha^r
# / (alpha+u)^(r+x) (the gamma integral); the p-integrals are done numerically.


def _bg_integrals(p: tuple[float, ...], x: float, t_x: float, t: float, horizon: float) -> tuple[mp.mpf, mp.mpf]:
    r, alpha, a, b = (mp.mpf(v) for v in p)
    x, t_x, t, horizon = (mp.mpf(v) for v in (x, t_x, t, horizon))

    def lam(u: mp.mpf, k: mp.mpf = x) -> mp.mpf:  # E[lambda^k e^(-lambda u)]
        return mp.exp(mp.loggamma(r + k) - mp.loggamma(r) + r * mp.log(alpha) - (r + k) * mp.log(alpha + u))

    def expect(h) -> mp.mpf:
        # E[h(q)], q ~ Beta(a, b): q = u^(1/a) below 1/2 and 1 - q = v^(1/b) above take the
        # density's end singularities q^(a-1) and (1-q)^(b-1) into the measure.
        # (Sixteen panels each: the integrands can be peaked, e.g. (1-q)^60.)
        low = mp.quad(lambda u: h(u ** (1 / a)) * (1 - u ** (1 / a)) ** (b - 1), mp.linspace(0, 0.5**a, 17)) / a
        high = mp.quad(lambda v: h(1 - v ** (1 / b)) * (1 - v ** (1 / b)) ** (a - 1), mp.linspace(0, 0.5**b, 17)) / b
        return (low + high) / mp.beta(a, b)

    alive = expect(lambda q: (1 - q) ** x) * lam(t)
    dead = expect(lambda q: q * (1 - q) ** (x - 1)) * lam(t_x) if x > 0 else 0
    # Alive at T, then purchases at rate lambda until dropout (geometric in p after each purchase):
    # E[purchases in h | lambda, p] = (1 - e^(-lambda p h)) / p.
    # lam(t) - lam(t + q h) without cancellation for tiny q.
    future = expect(lambda q: (1 - q) ** x * lam(t) * -mp.expm1(-(r + x) * mp.log1p(q * horizon / (alpha + t))) / q)
    return alive / (alive + dead), future / (alive + dead)


# --- Pareto/NBD by integration over the dropout time ------------------------------------------------
# lambda ~ Gamma(r, alpha), mu ~ Gamma(s, beta): alive at T with density E[lambda^x e^(-lambda T)]
# E[e^(-mu T)], or dead at y in (t_x, T] with density E[lambda^x e^(-lambda y)] E[mu e^(-mu y)]
# (gamma integrals: alpha^r Gamma(r+x) / (Gamma(r) (alpha+y)^(r+x)) and s beta^s / (beta+y)^(s+1));
# the integral over y is done numerically. Expected purchases in h when alive at T:
# E[lambda^(x+1) e^(-lambda T)] E[e^(-mu T) (1 - e^(-mu h)) / mu], the mu-integral numerically.


def _pareto_integrals(p: tuple[float, ...], x: float, t_x: float, t: float, horizon: float) -> tuple[mp.mpf, mp.mpf]:
    r, alpha, s, beta = (mp.mpf(v) for v in p)
    x, t_x, t, horizon = (mp.mpf(v) for v in (x, t_x, t, horizon))

    def lam(u: mp.mpf, k: mp.mpf) -> mp.mpf:
        return mp.exp(mp.loggamma(r + k) - mp.loggamma(r) + r * mp.log(alpha) - (r + k) * mp.log(alpha + u))

    def mu_pdf(m: mp.mpf) -> mp.mpf:
        return mp.exp(s * mp.log(beta) + (s - 1) * mp.log(m) - beta * m - mp.loggamma(s))

    alive = lam(t, x) * (beta / (beta + t)) ** s
    # A grid refined near t_x, where the integrand is steepest.
    points = [t_x + (t - t_x) * (mp.mpf(k) / 16) ** 4 for k in range(17)]
    dead = mp.quad(lambda y: lam(y, x) * s * beta**s / (beta + y) ** (s + 1), points) if t > t_x else 0
    future_mu = mp.quad(lambda m: mu_pdf(m) * mp.exp(-m * t) * -mp.expm1(-m * horizon) / m, [0, 1 / beta, mp.inf])
    return alive / (alive + dead), lam(t, x + 1) * future_mu / (alive + dead)


HISTORIES = [
    (0.0, 0.0, 38.86),  # one-time buyer
    (2.0, 30.43, 38.86),  # CDNOW's customer 1
    (7.0, 38.86, 38.86),  # last purchase at T
    (1.0, 0.5, 39.0),  # one repeat purchase long ago
    (60.0, 20.0, 39.0),  # a heavy buyer
]


@pytest.mark.parametrize("x, t_x, t", HISTORIES)
@pytest.mark.parametrize(
    "params",
    [(0.242593, 4.413532, 0.792886, 2.425752), (1.5, 0.2, 3.0, 0.4), (0.3, 50.0, 0.15, 8.0)],
)
def test_bg_nbd_matches_the_integral_over_the_dropout_probability(
    params: tuple[float, ...], x: float, t_x: float, t: float
) -> None:
    m = _model(clv.BgNbd, ("r", "alpha", "a", "b"), params)
    alive, future = _bg_integrals(params, x, t_x, t, 39.0)
    assert m.p_alive(_one(x, t_x, t))[0] == pytest.approx(float(alive), rel=1e-9, abs=1e-12)
    assert m.expected_purchases(39.0, _one(x, t_x, t))[0] == pytest.approx(float(future), rel=1e-8)


@pytest.mark.parametrize("x, t_x, t", HISTORIES)
@pytest.mark.parametrize(
    "params",
    [
        (0.5533, 10.578, 0.6062, 11.667),  # CDNOW
        (0.5, 100.0, 0.4, 1e-3),  # beta/(alpha+t) ~ 1e-5: the hypergeometric series would not settle
        (0.8, 1e-3, 1.5, 100.0),  # the reverse
        (2.0, 5.0, 1.0, 5.0),  # alpha == beta
    ],
)
def test_pareto_nbd_matches_the_integral_over_the_dropout_time(
    params: tuple[float, ...], x: float, t_x: float, t: float
) -> None:
    m = _model(clv.ParetoNbd, ("r", "alpha", "s", "beta"), params)
    alive, future = _pareto_integrals(params, x, t_x, t, 39.0)
    assert m.p_alive(_one(x, t_x, t))[0] == pytest.approx(float(alive), rel=1e-8, abs=1e-12)
    assert m.expected_purchases(39.0, _one(x, t_x, t))[0] == pytest.approx(float(future), rel=1e-7, abs=1e-12)


def test_heavy_buyers_and_long_histories_stay_finite_and_ordered() -> None:
    # Frequencies and T up to 10^4: P(alive) in [0, 1], expected purchases finite and growing
    # with the horizon, for both models.
    data = {
        "frequency": [0.0, 1e4, 1e4, 5e3, 1.0],
        "recency": [0.0, 1e4, 9e3, 1.0, 1e-3],
        "T": [1e4, 1e4, 1e4, 1e4, 1e4],
    }
    for m in (
        _model(clv.BgNbd, ("r", "alpha", "a", "b"), (0.242593, 4.413532, 0.792886, 2.425752)),
        _model(clv.ParetoNbd, ("r", "alpha", "s", "beta"), (0.5533, 10.578, 0.6062, 1e-3)),
    ):
        alive = m.p_alive(data)
        assert np.isfinite(alive).all() and ((alive >= 0) & (alive <= 1)).all()
        near, far = m.expected_purchases(1.0, data), m.expected_purchases(1e3, data)
        assert np.isfinite(near).all() and np.isfinite(far).all()
        assert (far >= near).all() and (near >= 0).all()


# --- the published CDNOW figures (lifetimes 0.11.3, docs/shared reference §4.2) ---------------------


def test_bg_nbd_cdnow_predictions_match_lifetimes(cdnow: pd.DataFrame) -> None:
    m = clv.BgNbd().fit(cdnow)
    one = _one(2.0, 30.43, 38.86)
    assert m.expected_purchases(39.0, one)[0] == pytest.approx(1.2259104, abs=1e-6)
    assert m.p_alive(one)[0] == pytest.approx(0.7266091, abs=1e-6)
    assert m.expected_purchases_new(39.0) == pytest.approx(1.1950162, abs=1e-6)
    assert m.expected_purchases(1.0, cdnow).sum() == pytest.approx(52.147070, rel=1e-6)
    assert m.p_alive(cdnow).mean() == pytest.approx(0.8134393, abs=1e-6)


def test_gamma_gamma_and_clv_cdnow_figures_match_lifetimes(cdnow: pd.DataFrame) -> None:
    gg = clv.GammaGamma().fit(cdnow)
    spend = gg.expected_average_spend(cdnow)
    one_time = int(np.flatnonzero(cdnow["frequency"].to_numpy() == 0)[0])
    assert spend[0] == pytest.approx(24.658616, rel=1e-6)
    assert spend[1] == pytest.approx(18.911480, rel=1e-6)
    assert spend[one_time] == pytest.approx(35.171002, rel=1e-6)
    repeat = cdnow["frequency"].to_numpy() > 0
    assert spend[repeat].mean() == pytest.approx(35.375199, rel=1e-6)
    # The observed mean spend of the repeat buyers, by pandas: 35.078552.
    assert cdnow.loc[repeat, "monetary_value"].mean() == pytest.approx(35.078552, abs=1e-6)
    bg = clv.BgNbd().fit(cdnow)
    value = gg.clv(bg, cdnow, months=12, discount_rate=0.01, freq="W")
    assert value[0] == pytest.approx(36.278496, rel=1e-6)
    assert value[1] == pytest.approx(4.637466, rel=1e-6)
    assert value[one_time] == pytest.approx(8.344093, rel=1e-6)
    assert value.sum() == pytest.approx(71_509.90, rel=1e-6)
    assert value.mean() == pytest.approx(30.339372, rel=1e-6)
