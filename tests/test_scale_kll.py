"""The engines' ``rfm(quantiles="kll")``: cut points from merged KLL
sketches, customers scored where they are.

The expected values come from the local exact call (the customers'
values) and numpy: a sketch cut must lie within the stated rank error of
its rank among the exact values, and every customer's class is the one the
sketch cuts give by the method's rule, equal to the exact score wherever
no value lies between the exact and the sketch cut points.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import ciblage
from ciblage import _sketch
from ciblage.exceptions import InvalidInputError, InvalidParameterError

CRITERIA = {
    "recency": ("recency_days", "r_score"),
    "frequency": ("frequency", "f_score"),
    "monetary": ("monetary", "m_score"),
}


def _transactions(n: int = 3_500, customers: int = 3_000, seed: int = 5) -> pd.DataFrame:
    """Few rows per customer (frequency has many ties, so sketch cut points
    repeat), customer 7 with 10 % of the rows."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, customers, n)
    ids[::10] = 7
    days = rng.integers(0, 730, n)
    return pd.DataFrame(
        {
            "customer_id": ids.astype("int64"),
            "timestamp": (pd.Timestamp("2023-01-01", tz="UTC") + pd.to_timedelta(days, unit="D")).astype(
                "datetime64[us, UTC]"
            ),
            "amount": np.round(rng.gamma(2.0, 40.0, n), 2),
        }
    )


def _classes(values: np.ndarray, cuts: list[float], right_closed: bool) -> np.ndarray:
    """Class ``1..k`` of each value: ``q(i-1) < x <= q(i)`` (right-closed),
    or ``t(i-1) <= x < t(i)``."""
    return 1 + np.searchsorted(np.asarray(cuts), values, side="left" if right_closed else "right")


def _check_against_exact(got: pd.DataFrame, report: dict, tx: pd.DataFrame, bins: int, method: str, **kw) -> None:
    local = ciblage.rfm_analysis(tx, bins=bins, method=method, **kw)
    want = local.customers.sort_values("customer_id").reset_index(drop=True)
    got = got.sort_values("customer_id").reset_index(drop=True)
    assert len(got) == len(want)
    # Everything but the scores is the local call's.
    for c in ("customer_id", "recency_days", "tenure_days", "frequency", "monetary"):
        np.testing.assert_array_equal(got[c].to_numpy(), want[c].to_numpy())
    q = report["quantiles"]
    assert q["method"] == "kll" and q["customers"] == len(want)
    eps = q["rank_error"]
    assert 0 < eps < 0.2
    assert report["rows_read"] == local.input_report["rows_read"]
    assert report["rows_used"] == local.input_report["rows_used"]
    right_closed = method == "quantile"
    agree_all = np.ones(len(want), dtype=bool)
    for name, (column, score) in CRITERIA.items():
        values = want[column].to_numpy().astype(float)
        cuts = q["cuts"][name]
        assert len(cuts) == bins - 1
        for i, c in enumerate(cuts, start=1):
            p = i / bins
            # rfm_compat's cuts are the quantiles plus one.
            c0 = c if right_closed else c - 1.0
            below, at_or_below = np.mean(values < c0), np.mean(values <= c0)
            assert below - eps <= p <= at_or_below + eps, (name, i, c, below, at_or_below, eps)
        sketch_class = _classes(values, cuts, right_closed)
        exact = np.quantile(values, [i / bins for i in range(1, bins)])
        exact_cuts = list(exact) if right_closed else list(exact + 1.0)
        exact_class = _classes(values, exact_cuts, right_closed)
        got_class = got[score].to_numpy().astype(int)
        want_class = want[score].to_numpy().astype(int)
        if name == "recency":  # recency scores are reversed classes
            got_class, want_class = bins + 1 - got_class, bins + 1 - want_class
        # The numpy exact classes are the local call's (a check of the check).
        np.testing.assert_array_equal(exact_class, want_class)
        np.testing.assert_array_equal(got_class, sketch_class)
        agree = exact_class == sketch_class
        np.testing.assert_array_equal(got_class[agree], want_class[agree])
        agree_all &= agree
    assert agree_all.mean() > 0.5
    np.testing.assert_array_equal(got["segment"].astype(str)[agree_all], want["segment"].astype(str)[agree_all])


def test_bad_parameters_name_the_argument_before_any_job():
    params = {
        "method": "quantile",
        "variant": "rfm",
        "bins": 5,
        "segments": None,
        **{f"{c}_cuts": None for c in CRITERIA},
    }
    with pytest.raises(InvalidParameterError, match="quantiles"):
        _sketch.kll_plan(params, "approx", 200)
    with pytest.raises(InvalidParameterError, match="kll_k"):
        _sketch.kll_plan(params, "kll", 4)
    with pytest.raises(InvalidParameterError, match="method"):
        _sketch.kll_plan(dict(params, method="equal_count"), "kll", 200)
    assert _sketch.kll_plan(params, "exact", 200) is None


def test_rank_error_is_datasketches_bound():
    # DataSketches documents about 1.33 % for k = 200 (single quantile, 99 %).
    from datasketches import kll_doubles_sketch

    assert abs(kll_doubles_sketch.get_normalized_rank_error(200, False) - 0.0133) < 0.0005


def test_a_value_on_a_made_up_float_is_refused():
    plan = _sketch.KllPlan(8, 3, "quantile", dict.fromkeys(_sketch.CRITERIA), {}, {})
    # A cut repeated at 1.0: the second becomes the float after the first.
    assert _sketch.fixed_cuts(plan, "monetary", [1.0, 1.0]) == [
        np.nextafter(1.0, 2.0),
        np.nextafter(np.nextafter(1.0, 2.0), 2.0),
    ]
    values = {"recency_days": [3.0, 4.0], "frequency": [1.0, 2.0], "average_amount": [0.0, 0.0]}
    plan = _sketch.KllPlan(
        8,
        3,
        "quantile",
        dict.fromkeys(_sketch.CRITERIA),
        {"recency": "recency_days", "frequency": "frequency", "monetary": "monetary"},
        {},
    )
    cuts = {"recency": [3.0, 3.5], "frequency": [1.0, 1.0], "monetary": [1.0, 1.0]}
    fine = pa.table(dict(values, monetary=[1.0, 5.0]))
    _sketch._check_classes(plan, fine, cuts)
    bad = pa.table(dict(values, monetary=[1.0, float(np.nextafter(1.0, 2.0))]))
    with pytest.raises(InvalidInputError, match="quantiles"):
        _sketch._check_classes(plan, bad, cuts)
    # rfm_compat's left-closed cuts: the repeats go below, so a value equal
    # to the repeated cut (integer data) is classified as the cut points say.
    compat = _sketch.KllPlan(8, 4, "rfm_compat", dict.fromkeys(_sketch.CRITERIA), plan.values, {})
    below = float(np.nextafter(2.0, 0.0))
    assert _sketch.fixed_cuts(compat, "frequency", [2.0, 2.0, 3.0]) == [below, 2.0, 3.0]
    table = pa.table({"recency_days": [1.0, 2.0, 3.0], "frequency": [1.0, 2.0, 3.0], "monetary": [1.0, 2.0, 3.0]})
    _sketch._check_classes(compat, table, {c: [2.0, 2.0, 3.0] for c in _sketch.CRITERIA})


# Dask ---------------------------------------------------------------------


def _dask_uneven(df: pd.DataFrame):
    """Partitions of very different sizes, an empty one included."""
    import dask
    import dask.dataframe as dd

    cuts = [0, 7, 7, 3_000, 3_001, len(df)]
    parts = [df.iloc[a:b] for a, b in zip(cuts, cuts[1:], strict=False)]
    return dd.from_delayed([dask.delayed(p) for p in parts], meta=df.iloc[:0])


def test_dask_kll_cuts_within_rank_error_and_scores(dask_client):
    import ciblage.dask as cdask

    tx = _transactions()
    lazy = cdask.rfm(_dask_uneven(tx), bins=5, quantiles="kll", kll_k=64, split_out=3)
    assert type(lazy).__module__.startswith("dask") and lazy.npartitions == 3
    report = lazy.input_report
    from datasketches import kll_doubles_sketch

    assert report["quantiles"]["rank_error"] == kll_doubles_sketch.get_normalized_rank_error(64, False)
    # Frequency has few values: some of its cut points repeat.
    freq = report["quantiles"]["cuts"]["frequency"]
    assert len(set(freq)) < len(freq)
    _check_against_exact(lazy.compute(), report, tx, 5, "quantile")


def test_dask_kll_rfm_compat_with_as_of_leaving_customers_out(dask_client):
    import ciblage.dask as cdask

    tx = _transactions(seed=9)
    table = ciblage.SegmentTable([("Top", (3, 4), (3, 4), (3, 4)), ("Recent", (4, 4), (1, 4), (1, 4))], fallback="Rest")
    kw = {"as_of": "2024-06-30", "segments": table}
    lazy = cdask.rfm(_dask_uneven(tx), bins=4, method="rfm_compat", quantiles="kll", kll_k=32, split_out=2, **kw)
    got = lazy.compute()
    local = ciblage.rfm(tx, bins=4, method="rfm_compat", **kw)
    assert lazy.input_report["left_out"] == local.attrs["input_report"]["left_out"]
    assert lazy.input_report["customers_without_rows"] == local.attrs["input_report"]["customers_without_rows"]
    _check_against_exact(got, lazy.input_report, tx, 4, "rfm_compat", **kw)


def test_dask_kll_bad_row_raises_the_local_error(dask_client):
    import ciblage.dask as cdask

    tx = _transactions(n=2_000, customers=300)
    tx.loc[1_500, "amount"] = np.nan
    with pytest.raises(InvalidInputError) as local:
        ciblage.rfm(tx)
    with pytest.raises(InvalidInputError) as got:
        cdask.rfm(_dask_uneven(tx), quantiles="kll", split_out=2)
    assert str(got.value) == str(local.value)


def test_dask_default_stays_exact(dask_client):
    import ciblage.dask as cdask

    tx = _transactions(n=3_000, customers=400)
    got = cdask.rfm(_dask_uneven(tx), bins=4, quantiles="exact")
    want = ciblage.rfm(tx, bins=4)
    assert isinstance(got, pd.DataFrame)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True))


# Spark --------------------------------------------------------------------


def _spark_uneven(spark, tx: pd.DataFrame):
    table = pa.Table.from_pandas(tx, preserve_index=False)
    bounds = [0, 9, 9, 2_000, len(tx)]
    frames = [spark.createDataFrame(table.slice(a, b - a)) for a, b in zip(bounds, bounds[1:], strict=False)]
    df = frames[0]
    for f in frames[1:]:
        df = df.union(f)
    return df


def test_spark_kll_cuts_within_rank_error_and_scores(spark):
    import ciblage.spark as cspark

    tx = _transactions(seed=11)
    scores = cspark.rfm(_spark_uneven(spark, tx), bins=5, quantiles="kll", kll_k=48)
    assert type(scores).__name__ == "DataFrame"
    report = scores.input_report
    got = scores.toArrow().to_pandas()
    _check_against_exact(got, report, tx, 5, "quantile")
    # rfm_compat, and an as_of that leaves rows and customers out.
    kw = {"as_of": "2024-06-30"}
    scores = cspark.rfm(_spark_uneven(spark, tx), bins=4, method="rfm_compat", quantiles="kll", kll_k=32, **kw)
    local = ciblage.rfm(tx, bins=4, method="rfm_compat", **kw).attrs["input_report"]
    assert scores.input_report["customers_without_rows"] == local["customers_without_rows"] > 0
    assert scores.input_report["left_out"] == local["left_out"]
    _check_against_exact(scores.toArrow().to_pandas(), scores.input_report, tx, 4, "rfm_compat", **kw)
