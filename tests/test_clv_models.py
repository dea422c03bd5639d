"""MBG/NBD, BG/BB and shifted-BG against the published figures (lifetimes
0.11.3; Fader, Hardie & Shang 2010; Fader & Hardie 2007), each
log-likelihood checked against an independent numpy evaluation of its
closed form."""

from __future__ import annotations

import json
import pathlib
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.special import betaln, gammaln, hyp2f1

import ciblage
from ciblage import clv
from ciblage.exceptions import (
    ColumnNotFoundError,
    FitError,
    InvalidInputError,
    InvalidParameterError,
    ModelFileError,
    NotFittedError,
)

DATA = pathlib.Path(__file__).resolve().parent / "data" / "clv"
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return pd.read_csv(DATA / "cdnow_customers_summary.csv")


@pytest.fixture(scope="module")
def donations() -> pd.DataFrame:
    return pd.read_csv(DATA / "donations.csv")


@pytest.fixture(scope="module")
def mbg(cdnow: pd.DataFrame) -> clv.MbgNbd:
    return clv.MbgNbd().fit(cdnow)


@pytest.fixture(scope="module")
def bgbb(donations: pd.DataFrame) -> clv.BgBb:
    return clv.BgBb().fit(donations, weights="weights")


def mbg_ll(p: dict[str, float], x: np.ndarray, tx: np.ndarray, T: np.ndarray) -> float:
    """lifetimes' ModifiedBetaGeoFitter log-likelihood, summed."""
    r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x + 1) - gammaln(b) - gammaln(a + b + x + 1)
    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + tx))
    return float((a1 + a2 + a3 + np.logaddexp(a4, 0)).sum())


def bgbb_ll(p: dict[str, float], x: np.ndarray, tx: np.ndarray, n: np.ndarray, w: np.ndarray) -> float:
    """Fader, Hardie & Shang (2010), eq. 5, summed over weighted histories."""
    al, be, ga, de = p["alpha"], p["beta"], p["gamma"], p["delta"]
    total = 0.0
    for xi, ti, ni, wi in zip(x, tx, n, w, strict=True):
        terms = [betaln(al + xi, be + ni - xi) - betaln(al, be) + betaln(ga, de + ni) - betaln(ga, de)]
        for i in range(int(ni - ti)):
            terms.append(
                betaln(al + xi, be + ti - xi + i) - betaln(al, be) + betaln(ga + 1, de + ti + i) - betaln(ga, de)
            )
        total += wi * np.logaddexp.reduce(terms)
    return float(total)


def sbg_ll(alpha: float, beta: float, survivors: list[int]) -> float:
    """Fader & Hardie (2007), eq. 6: churners by period and the survivors."""
    s = np.asarray(survivors, dtype=float)
    t = np.arange(1, len(s))
    log_p = betaln(alpha + 1, beta + t - 1) - betaln(alpha, beta)
    log_s = betaln(alpha, beta + len(s) - 1) - betaln(alpha, beta)
    return float(((s[:-1] - s[1:]) * log_p).sum() + s[-1] * log_s)


# --- MBG/NBD ------------------------------------------------------------


def test_mbg_matches_lifetimes(mbg: clv.MbgNbd, cdnow: pd.DataFrame) -> None:
    want = {"r": 0.524838, "alpha": 6.182988, "a": 0.891356, "b": 1.614}
    for k, v in want.items():
        assert mbg.params_[k] == pytest.approx(v, rel=3e-4), k
    x, tx, T = (cdnow[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    at_lifetimes = mbg_ll(want, x, tx, T)
    # The optimum is at least as good as lifetimes' point, and within 0.01.
    assert mbg.log_likelihood_ >= at_lifetimes - 1e-6
    assert mbg.log_likelihood_ == pytest.approx(at_lifetimes, abs=0.01)
    assert mbg.log_likelihood_ == pytest.approx(mbg_ll(mbg.params_, x, tx, T), abs=1e-6)
    assert all(np.isfinite(list(mbg.standard_errors_.values())))


def test_mbg_predictions_follow_lifetimes_formulas(mbg: clv.MbgNbd, cdnow: pd.DataFrame) -> None:
    p = mbg.params_
    r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
    x, tx, T = (cdnow[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    alive = 1.0 / (1 + a / (b + x) * ((alpha + T) / (alpha + tx)) ** (r + x))
    got = mbg.p_alive(cdnow)
    np.testing.assert_allclose(got, alive, rtol=1e-10)
    assert ((got >= 0) & (got <= 1)).all() and (got[x == 0] < 1).all()
    t = 10.0
    hyp = hyp2f1(r + x, b + x + 1, a + b + x, t / (alpha + T + t))
    cond = (a + b + x) / (a - 1) * (1 - hyp * ((alpha + T) / (alpha + t + T)) ** (r + x)) * alive
    np.testing.assert_allclose(mbg.expected_purchases(t, cdnow), cond, rtol=1e-8)
    new = b / (a - 1) * (1 - hyp2f1(r, b + 1, a + b, t / (alpha + t)) * (alpha / (alpha + t)) ** r)
    assert mbg.expected_purchases_new(t) == pytest.approx(new, rel=1e-9)
    probs = [mbg.prob_n_purchases(n, 39.0) for n in range(300)]
    assert sum(probs) == pytest.approx(1.0, abs=1e-9)


def test_mbg_expectations_grow_with_the_horizon(mbg: clv.MbgNbd, cdnow: pd.DataFrame) -> None:
    e = [mbg.expected_purchases(t, cdnow) for t in (1.0, 5.0, 20.0, 80.0)]
    for lo, hi in zip(e, e[1:], strict=False):
        assert (hi > lo).all()
    new = mbg.expected_purchases_new(np.array([1.0, 5.0, 20.0]))
    assert (np.diff(new) > 0).all()


def test_mbg_weights_equal_repeated_rows(cdnow: pd.DataFrame) -> None:
    small = cdnow.iloc[:300].copy()
    small["w"] = np.arange(300) % 3 + 1
    repeated = small.loc[small.index.repeat(small["w"])]
    a = clv.MbgNbd().fit(small, weights="w")
    b = clv.MbgNbd().fit(repeated)
    for k in a.params_:
        assert a.params_[k] == pytest.approx(b.params_[k], rel=1e-6)
    assert a.log_likelihood_ == pytest.approx(b.log_likelihood_, rel=1e-9)


def test_mbg_with_gamma_gamma_clv(mbg: clv.MbgNbd) -> None:
    df = pd.read_csv(DATA / "cdnow_customers_summary_with_transactions.csv").rename(
        columns={"x": "frequency", "t_x": "recency", "zbar": "monetary_value"}
    )
    gg = clv.GammaGamma().fit(df)
    got = gg.clv(mbg, df, months=3, discount_rate=0.01, freq="W")
    # lifetimes' definition: spend times each month's expected purchases, discounted.
    spend = gg.expected_average_spend(df)
    want = np.zeros(len(df))
    for k in range(1, 4):
        month = mbg.expected_purchases(4.345 * k, df) - mbg.expected_purchases(4.345 * (k - 1), df)
        want += spend * month / 1.01**k
    np.testing.assert_allclose(got, want, rtol=1e-9)


def test_mbg_json_and_pickle(mbg: clv.MbgNbd, cdnow: pd.DataFrame) -> None:
    back = clv.MbgNbd.from_json(mbg.to_json())
    assert back.params_ == mbg.params_
    np.testing.assert_array_equal(back.p_alive(cdnow), mbg.p_alive(cdnow))
    again = pickle.loads(pickle.dumps(mbg))
    np.testing.assert_array_equal(again.p_alive(cdnow), mbg.p_alive(cdnow))
    assert json.loads(mbg.to_json())["model"] == "mbg_nbd"
    with pytest.raises(ModelFileError):
        clv.MbgNbd.from_json(clv.BgNbd().fit(cdnow).to_json())
    assert "MBG/NBD" in mbg._repr_html_()


# --- BG/BB --------------------------------------------------------------


def test_bgbb_matches_the_paper(bgbb: clv.BgBb, donations: pd.DataFrame) -> None:
    want = {"alpha": 1.203522, "beta": 0.749716, "gamma": 0.656718, "delta": 2.783442}
    for k, v in want.items():
        assert bgbb.params_[k] == pytest.approx(v, rel=2e-4), k
    assert bgbb.log_likelihood_ == pytest.approx(-33_225.6, abs=0.1)
    cols = [donations[c].to_numpy(float) for c in ("frequency", "recency", "periods", "weights")]
    assert bgbb.log_likelihood_ == pytest.approx(bgbb_ll(bgbb.params_, *cols), abs=1e-6)
    assert bgbb.n_customers_ == 11_104


def test_bgbb_predictions(bgbb: clv.BgBb, donations: pd.DataFrame) -> None:
    p = bgbb.params_
    al, be, ga, de = p["alpha"], p["beta"], p["gamma"], p["delta"]
    alive = bgbb.p_alive(donations)
    assert ((alive >= 0) & (alive <= 1)).all()
    # FHS 2010, eq. 11, from the likelihood computed here.
    x, tx, n = (donations[c].to_numpy(float) for c in ("frequency", "recency", "periods"))
    ll = np.array([bgbb_ll(p, [a], [b], [c], [1.0]) for a, b, c in zip(x, tx, n, strict=True)])
    want = np.exp(betaln(al + x, be + n - x) - betaln(al, be) + betaln(ga, de + n + 1) - betaln(ga, de) - ll)
    np.testing.assert_allclose(alive, want, rtol=1e-9)
    # Eq. 13: conditional expectation in the next n* opportunities.
    ns = 5
    from scipy.special import gamma as G

    closed = (
        np.exp(betaln(al + x + 1, be + n - x) - betaln(al, be) - ll)
        * de
        / (ga - 1)
        * G(ga + de)
        / G(1 + de)
        * (G(1 + de + n) / G(ga + de + n) - G(1 + de + n + ns) / G(ga + de + n + ns))
    )
    np.testing.assert_allclose(bgbb.expected_purchases(ns, donations), closed, rtol=1e-8)
    e = [bgbb.expected_purchases(k, donations) for k in (1, 3, 10)]
    assert (e[1] > e[0]).all() and (e[2] > e[1]).all()
    new = bgbb.expected_purchases_new([1, 6, 20])
    assert (np.diff(new) > 0).all()
    assert isinstance(bgbb.expected_purchases_new(3), float)
    # DERT: the discounted sum of the per-opportunity expectations.
    d = bgbb.dert(0.1, donations)
    direct = sum(
        (bgbb.expected_purchases(k, donations) - bgbb.expected_purchases(k - 1, donations)) / 1.1**k
        for k in range(1, 400)
    )
    np.testing.assert_allclose(d, direct, rtol=1e-8)


def test_bgbb_weights_equal_repeated_rows(bgbb: clv.BgBb, donations: pd.DataFrame) -> None:
    repeated = donations.loc[donations.index.repeat(donations["weights"])]
    assert len(repeated) == 11_104
    m = clv.BgBb().fit(repeated)
    for k in m.params_:
        assert m.params_[k] == pytest.approx(bgbb.params_[k], rel=1e-6)


def test_bgbb_from_a_weekly_summary() -> None:
    tx = ciblage.datasets.transactions(customers=400, transactions=4_000, library="pandas")
    s = clv.summary(tx, freq="W")
    m = clv.BgBb().fit(s, opportunities="T")
    p = m.p_alive(s, opportunities="T")
    assert ((p >= 0) & (p <= 1)).all()


def test_bgbb_bad_input_is_named(donations: pd.DataFrame) -> None:
    with pytest.raises(InvalidInputError, match="frequency"):
        clv.BgBb().fit({"frequency": [3.0], "recency": [2.0], "periods": [6.0]})
    with pytest.raises(InvalidInputError, match="opportunities"):
        clv.BgBb().fit({"frequency": [0.0], "recency": [0.0], "periods": [2.5]})
    with pytest.raises(ColumnNotFoundError, match="opportunities"):
        clv.BgBb().fit(donations, opportunities="n")
    with pytest.raises(InvalidParameterError, match="penalizer"):
        clv.BgBb(penalizer=-1).fit(donations)
    with pytest.raises(NotFittedError):
        clv.BgBb().p_alive(donations)
    m = clv.BgBb().fit(donations, weights="weights")
    with pytest.raises(InvalidParameterError, match="discount_rate"):
        m.dert(0.0, donations)
    with pytest.raises(InvalidParameterError, match="n"):
        m.expected_purchases_new([-1])
    with pytest.raises(ModelFileError):
        clv.BgBb.from_json("{}")
    assert clv.BgBb.from_json(m.to_json()).params_ == m.params_


def test_donations_dataset() -> None:
    d = ciblage.datasets.donations(library="pandas")
    assert list(d.columns) == ["frequency", "recency", "periods", "weights"]
    assert d["weights"].sum() == 11_104 and len(d) == 22


# --- shifted-BG -----------------------------------------------------------


@pytest.mark.parametrize(
    ("survivors", "alpha", "beta", "ll"),
    [(REGULAR, 0.7041, 1.1820, -1680.27), (HIGH_END, 0.6681, 3.8061, -1611.16)],
)
def test_sbg_matches_the_paper(survivors: list[int], alpha: float, beta: float, ll: float) -> None:
    m = clv.ShiftedBetaGeo().fit(survivors)
    assert m.params_["alpha"] == pytest.approx(alpha, abs=1e-3)
    assert m.params_["beta"] == pytest.approx(beta, abs=1e-3)
    assert m.log_likelihood_ == pytest.approx(ll, abs=0.01)
    assert m.log_likelihood_ == pytest.approx(sbg_ll(m.params_["alpha"], m.params_["beta"], survivors), abs=1e-6)


def test_sbg_projections() -> None:
    m = clv.ShiftedBetaGeo().fit(REGULAR)
    got = m.projected_survivors([8, 9, 10, 11, 12])
    np.testing.assert_allclose(got, [220.1, 204.4, 191.2, 179.9, 170.0], atol=0.1)
    a, b = m.params_["alpha"], m.params_["beta"]
    t = np.arange(1, 10)
    np.testing.assert_allclose(m.retention_rate(t), (b + t - 1) / (a + b + t - 1), rtol=1e-12)
    assert m.retention_rate(1) == pytest.approx(0.6267, abs=1e-4)
    np.testing.assert_allclose(m.survival(t), np.cumprod((b + t - 1) / (a + b + t - 1)), rtol=1e-10)
    np.testing.assert_allclose(m.churn_probability(t), m.survival(t - 1) - m.survival(t), atol=1e-12)
    assert m.expected_lifetime() == float("inf")  # alpha < 1
    # DERL by its definition, for a customer with 4 renewals.
    s = m.survival(np.arange(0, 1_000))
    direct = (s[5:] / s[4] / 1.1 ** np.arange(0, len(s) - 5)).sum()
    assert m.derl(0.1, 4) == pytest.approx(direct, rel=1e-9)
    assert (np.diff(m.derl(0.1, [0, 1, 5, 20])) > 0).all()  # survivors are the loyal ones


def test_sbg_expected_lifetime() -> None:
    m = clv.ShiftedBetaGeo.from_json(
        json.dumps({"model": "shifted_beta_geo", "version": 1, "params": [["alpha", 3.0], ["beta", 2.0]], "fit": None})
    )
    s = m.survival(np.arange(0, 100_000))
    assert m.expected_lifetime() == pytest.approx(s.sum(), rel=1e-4)
    assert m.expected_lifetime() == pytest.approx((3 + 2 - 1) / (3 - 1))


def test_sbg_censored_cohorts_and_lifetimes() -> None:
    # A later cohort observed for 3 periods adds 3 terms.
    both = clv.ShiftedBetaGeo().fit([REGULAR, [500, 320, 240]])
    s = REGULAR
    la = sbg_ll(both.params_["alpha"], both.params_["beta"], s) + sbg_ll(
        both.params_["alpha"], both.params_["beta"], [500, 320, 240]
    )
    assert both.log_likelihood_ == pytest.approx(la, abs=1e-6)
    # Per-customer lifetimes give the survivor-table fit.
    life, cens = [], []
    for t in range(1, len(s)):
        life += [t] * (s[t - 1] - s[t])
        cens += [False] * (s[t - 1] - s[t])
    life += [len(s)] * s[-1]
    cens += [True] * s[-1]
    by_customer = clv.ShiftedBetaGeo().fit_lifetimes(pd.DataFrame({"lifetime": life, "censored": cens}))
    by_table = clv.ShiftedBetaGeo().fit(REGULAR)
    assert by_customer.params_ == pytest.approx(by_table.params_, rel=1e-9)


def test_sbg_from_retention() -> None:
    tx = ciblage.datasets.transactions(customers=800, transactions=8_000, library="pandas")
    r = ciblage.retention(tx, period="month", churn_after=2)
    pooled = clv.ShiftedBetaGeo().fit_retention(r)
    assert all(np.isfinite(v) and v > 0 for v in pooled.params_.values())
    sizes = r.cohort_sizes
    assert "size" in sizes.columns
    assert pooled.n_customers_ == sizes["size"].sum()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        per = clv.ShiftedBetaGeo().fit_cohorts(r)
    assert set(per) <= set(sizes["cohort"]) and per
    for m in per.values():
        assert all(v > 0 for v in m.params_.values())
    with pytest.raises(InvalidParameterError, match="result"):
        clv.ShiftedBetaGeo().fit_retention(tx)


def test_sbg_bad_input() -> None:
    with pytest.raises(InvalidInputError, match="survivors"):
        clv.ShiftedBetaGeo().fit([100, 120])
    with pytest.raises(InvalidInputError, match="survivors"):
        clv.ShiftedBetaGeo().fit("100, 50")
    with pytest.raises(InvalidInputError, match="survivors"):
        clv.ShiftedBetaGeo().fit([[100, "a"]])
    with pytest.raises(InvalidInputError, match="survivors"):
        clv.ShiftedBetaGeo().fit([np.nan, 60, 30])
    with pytest.raises(InvalidInputError, match="survivors"):
        clv.ShiftedBetaGeo().fit([True, False])
    with pytest.raises(FitError):
        clv.ShiftedBetaGeo().fit([100, 100, 100])  # nobody churned
    # A cohort matrix's trailing nulls are the unobserved periods.
    padded = clv.ShiftedBetaGeo().fit([REGULAR, [500, 320, 240, None, np.nan, None, None, None]])
    assert padded.params_ == clv.ShiftedBetaGeo().fit([REGULAR, [500, 320, 240]]).params_
    with pytest.raises(InvalidInputError, match="lifetime"):
        clv.ShiftedBetaGeo().fit_lifetimes({"lifetime": [0.0, 2.0], "censored": [False, True]})
    with pytest.raises(InvalidInputError, match="censored"):
        clv.ShiftedBetaGeo().fit_lifetimes({"lifetime": [1.0, 2.0], "censored": [3, 1]})
    with pytest.raises(NotFittedError):
        clv.ShiftedBetaGeo().survival(3)
    m = clv.ShiftedBetaGeo().fit(REGULAR)
    with pytest.raises(InvalidParameterError, match="t"):
        m.retention_rate(0)
    with pytest.raises(InvalidParameterError, match="discount_rate"):
        m.derl(-0.1)
    with pytest.raises(InvalidParameterError, match="discount_rate"):
        m.derl(1e-300)  # too small for the sum to converge (alpha < 1: it diverges)
    with pytest.raises(InvalidParameterError, match="max_iterations"):
        clv.ShiftedBetaGeo(max_iterations=0).fit(REGULAR)
    with pytest.raises(ModelFileError):
        clv.ShiftedBetaGeo.from_json(m.to_json().replace("shifted_beta_geo", "bg_nbd"))
    again = pickle.loads(pickle.dumps(m))
    assert again.survival(5) == m.survival(5)
    assert "retention" in m._repr_html_()
    assert "not fitted" in clv.ShiftedBetaGeo()._repr_html_()


@pytest.mark.parametrize("library", ["pyarrow", "polars"])
def test_every_table_library_gives_the_same_fit(library: str, bgbb: clv.BgBb) -> None:
    donors = ciblage.datasets.donations(library=library)
    m = clv.BgBb().fit(donors, weights="weights")
    assert m.params_ == pytest.approx(bgbb.params_, rel=1e-12)
    assert len(m.p_alive(donors)) == 22
