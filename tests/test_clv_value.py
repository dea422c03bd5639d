"""CLV predictions wired into the rest of ciblage: P(alive) at a future date,
DERT (continuous discounting), the one-call value table, value tiers on CLV
and the lifecycle fields p_alive and clv. Expected numbers come from
independent computations (closed forms written out here, scipy/mpmath
integration of the defining integrals, pandas)."""

from __future__ import annotations

import inspect
import json
import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import ciblage
from ciblage import clv
from ciblage.exceptions import ColumnNotFoundError, InvalidInputError, InvalidParameterError

BG = {"r": 0.242593, "alpha": 4.413532, "a": 0.792886, "b": 2.425752}
PN = {"r": 0.5533, "alpha": 10.578, "s": 0.6062, "beta": 11.667}
HIST = pd.DataFrame(
    {"frequency": [2.0, 0.0, 6.0, 1.0], "recency": [30.43, 0.0, 38.0, 1.0], "T": [38.86, 38.86, 38.0, 10.0]}
)


def _model(cls, kind: str, params: dict) -> object:
    text = json.dumps({"model": kind, "version": 1, "params": list(params.items()), "fit": None})
    return cls.from_json(text)


@pytest.fixture(scope="module")
def tx() -> pd.DataFrame:
    return ciblage.datasets.transactions(customers=400, transactions=5_000, library="pandas")


def test_p_alive_at_a_future_date_is_the_hand_formula() -> None:
    m = _model(clv.BgNbd, "bg_nbd", BG)
    r, alpha, a, b = BG.values()
    got = m.p_alive_at(10.0, HIST)
    for i, (x, tx_, t) in enumerate(HIST.itertuples(index=False)):
        # lifetimes: 1 / (1 + a/(b+x-1) ((alpha+T+m)/(alpha+t_x))^(r+x)); 1 without repeat purchase.
        want = 1.0 if x == 0 else 1.0 / (1.0 + a / (b + x - 1) * ((alpha + t + 10.0) / (alpha + tx_)) ** (r + x))
        assert got[i] == pytest.approx(want, rel=1e-12)
    assert (m.p_alive_at(0.0, HIST) == m.p_alive(HIST)).all()
    p = _model(clv.ParetoNbd, "pareto_nbd", PN)
    now, later = p.p_alive(HIST), p.p_alive_at(26.0, HIST)
    assert (later < now).all() and (later > 0).all()
    with pytest.raises(InvalidParameterError, match="t"):
        m.p_alive_at(-1.0, HIST)


def _bg_expected(t: float, x: float, tx_: float, T: float) -> float:
    """lifetimes' conditional expected purchases, written out with scipy's 2F1."""
    from scipy.special import hyp2f1

    r, alpha, a, b = BG.values()
    z = t / (alpha + T + t)
    alive = (
        (a + b + x - 1)
        / (a - 1)
        * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z))
    )
    p_alive = 1.0 if x == 0 else 1.0 / (1.0 + a / (b + x - 1) * ((alpha + T) / (alpha + tx_)) ** (r + x))
    return alive * p_alive


def test_bg_nbd_dert_is_the_integral_of_discounted_expected_purchases() -> None:
    pytest.importorskip("scipy")
    from scipy import integrate

    m = _model(clv.BgNbd, "bg_nbd", BG)
    rate = 0.05  # per month, weeks: delta = ln(1.05) / 4.345 per week
    delta = math.log1p(rate) / 4.345
    horizon = 24 * 4.345
    got = m.dert(HIST, discount_rate=rate, freq="W", horizon=24)
    for i, (x, tx_, T) in enumerate(HIST.itertuples(index=False)):
        # ∫_0^H e^{-δt} dE[X(t)] = e^{-δH} E[X(H)] + δ ∫_0^H e^{-δt} E[X(t)] dt.
        inner, _ = integrate.quad(
            lambda t, x=x, tx_=tx_, T=T: math.exp(-delta * t) * _bg_expected(t, x, tx_, T), 0, horizon, epsabs=1e-12
        )
        want = math.exp(-delta * horizon) * _bg_expected(horizon, x, tx_, T) + delta * inner
        assert got[i] == pytest.approx(want, rel=1e-7)
    # Without a discount it is the expected purchases over the horizon.
    assert m.dert(HIST, discount_rate=0.0, freq="W", horizon=24) == pytest.approx(
        m.expected_purchases(horizon, HIST), rel=1e-12
    )
    with pytest.raises(InvalidParameterError, match="horizon"):
        m.dert(HIST, discount_rate=0.0, horizon=None)
    with pytest.raises(InvalidParameterError, match="horizon"):
        m.dert(HIST, horizon=0)


def test_pareto_nbd_dert_matches_the_defining_double_integral() -> None:
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 15
    p = _model(clv.ParetoNbd, "pareto_nbd", PN)
    r, alpha, s, beta = (mpmath.mpf(v) for v in PN.values())
    delta = mpmath.mpf(0.01)
    x, tx_, T = (mpmath.mpf(v) for v in HIST.iloc[0])

    def g(lam):  # gamma(r, alpha) density of the purchase rate
        return alpha**r * lam ** (r - 1) * mpmath.exp(-alpha * lam) / mpmath.gamma(r)

    def h(mu):  # gamma(s, beta) density of the dropout rate
        return beta**s * mu ** (s - 1) * mpmath.exp(-beta * mu) / mpmath.gamma(s)

    def likelihood(lam, mu):
        return lam**x * (
            mpmath.exp(-(lam + mu) * T)
            + mu / (lam + mu) * (mpmath.exp(-(lam + mu) * tx_) - mpmath.exp(-(lam + mu) * T))
        )

    # DERT = E[λ ∫_0^H e^{-δt} 1{alive at T+t} dt | data]: the λ and μ parts of
    # the alive branch separate; the evidence is the double integral.
    evidence = mpmath.quad(
        lambda lam: g(lam) * mpmath.quad(lambda mu: h(mu) * likelihood(lam, mu), [0, 1, mpmath.inf]), [0, 1, mpmath.inf]
    )
    lam_part = mpmath.quad(lambda lam: g(lam) * lam ** (x + 1) * mpmath.exp(-lam * T), [0, 1, mpmath.inf])
    for horizon in (None, 52.0):

        def residual(mu, horizon=horizon):  # ∫_0^H e^{-δt} e^{-μt} dt
            if horizon is None:
                return 1 / (delta + mu)
            return (1 - mpmath.exp(-(delta + mu) * horizon)) / (delta + mu)

        mu_part = mpmath.quad(lambda mu: h(mu) * mpmath.exp(-mu * T) * residual(mu), [0, 1, mpmath.inf])
        want = float(lam_part * mu_part / evidence)
        # freq "M": one unit a month, δ = ln(1 + rate) = 0.01.
        got = p.dert(HIST.iloc[[0]], discount_rate=math.expm1(0.01), freq="M", horizon=horizon)
        assert got[0] == pytest.approx(want, rel=1e-6), horizon


def test_customer_value_matches_the_models_fitted_apart_and_joins_rfm(tx: pd.DataFrame) -> None:
    cv = clv.customer_value(tx, negative_amounts="exclude")
    t = cv.customers
    assert cv.input_report["spend_left_out"] == 0
    assert list(t.columns) == [
        "customer_id",
        "frequency",
        "recency",
        "T",
        "monetary_value",
        "p_alive",
        "expected_purchases",
        "expected_spend",
        "clv",
    ]
    s = clv.summary(tx, freq="W", negative_amounts="exclude")
    bg = clv.BgNbd().fit(s)
    gg = clv.GammaGamma().fit(s)
    assert bg.params_ == cv.purchase_model.params_ and gg.params_ == cv.spend_model.params_
    np.testing.assert_allclose(t["p_alive"], bg.p_alive(s), rtol=1e-12)
    np.testing.assert_allclose(t["expected_purchases"], bg.expected_purchases(12 * 4.345, s), rtol=1e-12)
    np.testing.assert_allclose(t["expected_spend"], t["expected_purchases"] * gg.expected_average_spend(s), rtol=1e-12)
    np.testing.assert_allclose(t["clv"], gg.clv(bg, s, months=12, discount_rate=0.01, freq="W"), rtol=1e-10)
    assert cv.input_report["rows_read"] == len(tx)
    # With the returns kept, repeat buyers with net returns are left out of the
    # spend fit and keep their own (negative) mean.
    kept = clv.customer_value(tx)
    m = kept.customers["monetary_value"]
    out = (kept.customers["frequency"] > 0) & (m <= 0)
    assert kept.input_report["spend_left_out"] == int(out.sum()) > 0
    np.testing.assert_allclose(
        kept.customers.loc[out, "expected_spend"], kept.customers.loc[out, "expected_purchases"] * m[out]
    )
    # The table joins RFM's with a plain merge: same ids, same dtype.
    scores = ciblage.rfm(tx)
    assert t["customer_id"].dtype == scores["customer_id"].dtype
    joined = scores.merge(t, on="customer_id", how="inner", validate="one_to_one")
    assert len(joined) == len(scores) == len(t)
    assert "p_alive" in cv._repr_html_() or "CustomerValue" in cv._repr_html_()


def test_continuous_discounting_is_dert_times_the_expected_spend(tx: pd.DataFrame) -> None:
    cv = clv.customer_value(
        tx,
        model="paretonbd",
        penalizer=0.01,
        discounting="continuous",
        discount_rate=0.02,
        horizon=6,
        negative_amounts="exclude",
    )
    t = cv.customers
    d = cv.purchase_model.dert(t, discount_rate=0.02, freq="W", horizon=6)
    spend = cv.spend_model.expected_average_spend(t)
    np.testing.assert_allclose(t["clv"], d * spend, rtol=1e-10)
    assert (t["clv"] <= t["expected_spend"] * (1 + 1e-12)).all()


def test_margin_clv_is_gamma_gamma_fitted_on_margins(tx: pd.DataFrame) -> None:
    tx = tx.assign(cost=(tx["amount"] * 0.6).round(2))
    tx["margin"] = tx["amount"] - tx["cost"]
    on_margin = clv.customer_value(tx, amount="margin", negative_amounts="exclude")
    # The spend model is fitted on the mean repeat margins: a pandas mean
    # of the per-week margin sums of the repeat weeks.
    gg = clv.GammaGamma().fit(clv.summary(tx, amount="margin", freq="W", negative_amounts="exclude"))
    assert gg.params_ == on_margin.spend_model.params_
    revenue = clv.customer_value(tx, negative_amounts="exclude")
    assert on_margin.customers["clv"].sum() < revenue.customers["clv"].sum()
    if "cost" in inspect.signature(clv.summary).parameters:
        with_cost = clv.customer_value(tx, cost="cost", negative_amounts="exclude")
        np.testing.assert_allclose(with_cost.customers["clv"], on_margin.customers["clv"], rtol=1e-9)


def test_output_follows_the_callers_library(tx: pd.DataFrame) -> None:
    pl = pytest.importorskip("polars")
    table = pa.Table.from_pandas(tx, preserve_index=False)
    a = clv.customer_value(table)
    assert isinstance(a.customers, pa.Table)
    assert json.loads(a.customers.schema.metadata[b"ciblage.input_report"])["rows_read"] == len(tx)
    p = clv.customer_value(pl.from_pandas(tx))
    assert isinstance(p.customers, pl.DataFrame)
    assert p.input_report["rows_read"] == len(tx)
    np.testing.assert_allclose(p.customers["clv"].to_numpy(), a.customers.column("clv").to_numpy(), rtol=1e-12)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"model": "mbg"}, "model"),
        ({"horizon": 0}, "horizon"),
        ({"horizon": 1.5}, "horizon"),
        ({"discount_rate": -0.1}, "discount_rate"),
        ({"discount_rate": float("nan")}, "discount_rate"),
        ({"discounting": "daily"}, "discounting"),
        ({"penalizer": -1}, "penalizer"),
        ({"spend_penalizer": "x"}, "spend_penalizer"),
        ({"max_iterations": 0}, "max_iterations"),
        ({"freq": "Q"}, "freq"),
    ],
)
def test_parameters_are_checked_and_named(tx: pd.DataFrame, kwargs: dict, name: str) -> None:
    with pytest.raises(InvalidParameterError, match=name):
        clv.customer_value(tx, **kwargs)


def test_value_tiers_on_clv_match_pandas(tx: pd.DataFrame) -> None:
    cv = clv.customer_value(tx, negative_amounts="exclude")
    assert (cv.customers["clv"] > 0).all()
    tiers = ciblage.value_tiers(cv, method="abc")  # value="clv" by default
    same = ciblage.value_tiers(cv.customers, value="clv", method="abc")
    assert (tiers.customers["tier"].astype(str) == same.customers["tier"].astype(str)).all()
    # pandas: sorted by CLV descending (ties in row order), the customer
    # straddling 80 % (95 %) of the cumulated CLV goes to the upper class.
    values = cv.customers["clv"].to_numpy()
    order = np.argsort(-values, kind="stable")
    before = np.concatenate([[0.0], np.cumsum(values[order])[:-1]]) / values.sum()
    want = np.where(before < 0.8, "A", np.where(before < 0.95, "B", "C"))
    got = tiers.customers["tier"].astype(str).to_numpy()[order]
    assert (got == want).all()
    rank = pd.Series(-values).rank(method="first").astype(int).to_numpy()
    assert (tiers.customers["rank"].to_numpy() == rank).all()
    conc = ciblage.concentration(cv)
    assert conc.total == pytest.approx(values.sum(), rel=1e-12)


RULES = """
version = 1

[[rule]]
name = "win_back"
priority = 10
action = "win-back offer"
when = [
  { field = "recency_days", op = ">", value = 60 },
  { field = "p_alive", op = ">", value = 0.3 },
]

[[rule]]
name = "high_value"
action = "account manager call"
when = [{ field = "clv", op = ">=", value = 100 }]
"""


def test_lifecycle_rules_read_p_alive_and_clv(tx: pd.DataFrame, tmp_path) -> None:
    cv = clv.customer_value(tx)
    path = tmp_path / "rules.toml"
    path.write_text(RULES)
    customers = pd.DataFrame(
        {
            "customer_id": list(cv.customers["customer_id"][:30]) + [10**9],  # the last one has no CLV
            "recency_days": np.r_[np.linspace(0, 200, 30), 300.0],
            "frequency": 3,
            "tenure_days": 500,
        }
    )
    out = ciblage.lifecycle.evaluate(customers, rules=str(path), value=cv, today="2026-01-15")
    merged = customers.merge(cv.customers, on="customer_id", how="left")
    win_back = (merged["recency_days"] > 60) & (merged["p_alive"] > 0.3)
    high = merged["clv"] >= 100
    fired = out.decisions.groupby("rule")["customer_id"].apply(set).to_dict()
    assert fired.get("win_back", set()) == set(merged.loc[win_back, "customer_id"])
    assert fired.get("high_value", set()) == set(merged.loc[high, "customer_id"])
    assert 10**9 not in fired.get("win_back", set()) | fired.get("high_value", set())
    report = out.input_report["value"]
    assert report["customers_without_value"] == 1
    assert report["left_out"]["customer_not_evaluated"] == len(cv.customers) - 30
    # The same from columns of the customers table.
    cols = customers.merge(cv.customers[["customer_id", "p_alive", "clv"]], on="customer_id", how="left")
    again = ciblage.lifecycle.evaluate(cols, rules=str(path), today="2026-01-15")
    assert again.decisions.groupby("rule")["customer_id"].apply(set).to_dict() == fired
    # Rule files without the fields still load and run with them.
    ciblage.lifecycle.evaluate(customers, value=cv, today="2026-01-15")
    with pytest.raises(InvalidInputError, match="p_alive"):
        ciblage.lifecycle.evaluate(cols, value=cv, today="2026-01-15")
    with pytest.raises(ColumnNotFoundError, match="value"):
        ciblage.lifecycle.evaluate(customers, value=customers, today="2026-01-15")
    bad = cv.customers[["customer_id"]].assign(p_alive=1.5)
    with pytest.raises(InvalidInputError, match="p_alive"):
        ciblage.lifecycle.evaluate(customers, value=bad, today="2026-01-15")


def test_mbgnbd_value_table_is_its_models_monthly_clv(tx: pd.DataFrame) -> None:
    # The table's CLV equals GammaGamma.clv with the fitted MBG/NBD (the
    # lifetimes formula, computed by the models' own methods), and the
    # model is the one MbgNbd fits on the same summary.
    cv = clv.customer_value(tx, model="mbgnbd", penalizer=0.01, negative_amounts="exclude")
    assert isinstance(cv.purchase_model, clv.MbgNbd)
    t = cv.customers
    alone = clv.MbgNbd(penalizer=0.01).fit(t)
    for k, v in alone.params_.items():
        assert abs(cv.purchase_model.params_[k] - v) <= 1e-9 * abs(v)
    np.testing.assert_allclose(t["p_alive"], alone.p_alive(t), rtol=1e-12)
    repeat = t["frequency"].to_numpy() > 0
    want = cv.spend_model.clv(cv.purchase_model, t, months=12, discount_rate=0.01, freq="W")
    np.testing.assert_allclose(t["clv"].to_numpy()[repeat], np.asarray(want)[repeat], rtol=1e-9)
