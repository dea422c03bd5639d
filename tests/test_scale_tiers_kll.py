"""The engines' ``value_tiers`` and ``concentration`` with
``quantiles="kll"``: count tiers cut at merged KLL sketch values, ABC
classes and concentration read from a merged histogram of exact bucket
sums.

Expected values come from the local exact calls on the same data and
from numpy/``math.fsum`` on the customers' values: a sketch cut lies
within the stated rank error of its rank among the exact values, every
customer whose value is not between an exact cut and its sketch
counterpart gets the exact tier, and Gini and top shares are within the
stated bounds of the exact ``ciblage.concentration``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ciblage
from ciblage import _sketch_value
from ciblage._concentration_binned import BinnedConcentration
from ciblage._value_histogram import RATIO, Curve, ValueHistogram, abc_cuts, bucket_ratio
from ciblage.exceptions import ColumnNotFoundError, InvalidInputError, InvalidParameterError

# The a priori bound on the Gini and top-share errors: (r − 1)/4.
PRIORI = (RATIO - 1.0) / 4.0
# Floating-point rounding of the exact call and of ours (the bounds hold
# for exact arithmetic).
ROUNDING = 1e-12


def _binned(values) -> BinnedConcentration:
    return BinnedConcentration(ValueHistogram.of(np.asarray(values, dtype=float)), "pandas", rows=len(values))


def _check_concentration(got: BinnedConcentration, values: np.ndarray) -> None:
    exact = ciblage.concentration(values)
    h = got.input_report["histogram"]
    assert got.customers == exact.customers and got.clipped == exact.clipped
    assert got.total == math.fsum(np.clip(values, 0, None))
    assert h["gini_error"] <= PRIORI and h["share_error"] <= PRIORI
    # The chord lies above the curve: Gini and top shares never above the exact.
    assert -ROUNDING <= exact.gini - got.gini <= h["gini_error"] + ROUNDING
    for s in np.linspace(0.0, 1.0, 41):
        gap = exact.top_share(s) - got.top_share(s)
        assert -ROUNDING <= gap <= h["share_error"] + ROUNDING, (s, gap)


# The histogram ----------------------------------------------------------


def test_bucket_sums_are_exact_and_buckets_narrow():
    rng = np.random.default_rng(3)
    values = np.concatenate([rng.lognormal(3.0, 2.0, 5_000), [0.0, -4.0, -0.0, 1e-300, 1e300]])
    h = ValueHistogram.of(values)
    assert h.nonpositive == 3 and h.negative == 1 and h.customers == len(values)
    assert int(h.count.sum()) == 5_002
    assert 1.0 < bucket_ratio(h) <= RATIO
    # Each bucket's sum is the correctly rounded sum of its values (fsum).
    keys = values[values > 0].view(np.uint64) >> np.uint64(45)
    positive = values[values > 0]
    for key, total in zip(h.key.tolist(), h.sums(), strict=True):
        assert total / (1 << 1074) == math.fsum(positive[keys == key])
    assert Curve.of(h).total_value() == math.fsum(positive)


finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.one_of(finite, st.sampled_from([0.0, 1.0, 0.1, 5e-324, 2.5])), min_size=0, max_size=80),
    cuts=st.lists(st.integers(0, 80), max_size=6),
    seed=st.integers(0, 2**32 - 1),
)
def test_any_cut_into_partitions_merges_to_the_same_histogram(values, cuts, seed):
    values = np.asarray(values, dtype=float)
    whole = ValueHistogram.of(values)
    shuffled = np.random.default_rng(seed).permutation(values)
    bounds = sorted({0, len(values), *(c for c in cuts if c <= len(values))})
    parts = [ValueHistogram.of(shuffled[a:b]) for a, b in zip(bounds, bounds[1:], strict=False)]
    # Merged in pieces, in two orders, and shipped as bytes.
    half = len(parts) // 2
    merged = ValueHistogram.merged([ValueHistogram.merged(parts[half:]), ValueHistogram.merged(parts[:half])])
    shipped = ValueHistogram.merged(ValueHistogram.from_bytes(p.to_bytes()) for p in reversed(parts))
    for got in (merged, shipped):
        for c in ("key", "count", "high", "low", "min", "max"):
            np.testing.assert_array_equal(getattr(got, c), getattr(whole, c))
        assert (got.nonpositive, got.negative) == (whole.nonpositive, whole.negative)


# Concentration from the histogram ------------------------------------------


@pytest.mark.parametrize(
    "values",
    [
        np.random.default_rng(1).lognormal(2.0, 1.5, 4_000),  # long tail
        np.random.default_rng(2).gamma(2.0, 40.0, 3_000).round(0) - 5.0,  # equal values, zeros, negatives
        np.repeat([3.0, 7.0, 7.0, 120.0], 500),  # four values: exact
    ],
)
def test_gini_and_top_shares_within_the_bound(values):
    got = _binned(values)
    _check_concentration(got, values)
    # The curve is exact at the bucket edges.
    edges = got.lorenz_at_edges()
    clipped = np.sort(np.clip(values, 0, None))
    cum = np.concatenate([[0.0], np.cumsum(clipped)])
    for x, y in zip(edges["share_of_customers"], edges["share_of_value"], strict=True):
        assert abs(cum[round(x * len(values))] / cum[-1] - y) < 1e-12


def test_buckets_of_equal_values_are_exact():
    values = np.repeat([3.0, 7.0, 120.0], [100, 60, 3])
    got, exact = _binned(values), ciblage.concentration(values)
    h = got.input_report["histogram"]
    assert h["gini_error"] == 0.0 and h["share_error"] == 0.0
    assert got.gini == pytest.approx(exact.gini, abs=1e-15)
    assert got.customers_for_value(0.5) == pytest.approx(exact.customers_for_value(0.5), abs=1e-12)


def test_the_bound_is_reached_within_a_factor_of_two():
    # Half the customers at the bottom of bucket [1, 1 + 2^-7), half at its
    # top: the Gini gap is c g / (n T) with g = c (M − s)(s − m)/(M − m).
    values = np.repeat([1.0, float(np.nextafter(RATIO, 0.0))], 500)
    got, exact = _binned(values), ciblage.concentration(values)
    h = got.input_report["histogram"]
    assert got.gini == 0.0  # one bucket: the means are equal
    assert 0.5 * h["gini_error"] <= exact.gini <= h["gini_error"] + ROUNDING
    assert h["gini_error"] <= PRIORI


def test_no_value_at_all_and_customers_for_value():
    got = _binned([0.0, -1.0, 0.0])
    assert (got.gini, got.top_share(0.3), got.clipped) == (0.0, pytest.approx(0.3), 1)
    values = np.random.default_rng(4).pareto(1.5, 2_000) + 1.0
    got, exact = _binned(values), ciblage.concentration(values)
    counts = got.histogram.count
    for share in (0.0, 0.2, 0.5, 0.8, 1.0):
        # Never below the exact share, within the customers of one bucket.
        gap = got.customers_for_value(share) - exact.customers_for_value(share)
        assert -1e-12 <= gap <= counts.max() / len(values) + 1e-12


# Parameters ------------------------------------------------------------


def test_default_cuts_are_the_cores():
    values = np.arange(1_000, 0, -1, dtype=float)
    tiers = ciblage.value_tiers(values)
    counts = np.asarray(tiers.summary.column("customers").to_pylist()[:3])
    np.testing.assert_array_equal(counts, np.asarray(_sketch_value.DEFAULT_SHARES) * 1_000)
    # 100 equal values: A while the value before is below 100 b1, B below 100 b2.
    abc = ciblage.value_tiers(np.ones(100), method="abc")
    b1, b2 = _sketch_value.DEFAULT_BOUNDS
    want = [round(100 * b1), round(100 * (b2 - b1)), round(100 * (1 - b2))]
    np.testing.assert_array_equal(abc.summary.column("customers").to_pylist()[:3], want)


def test_abc_threshold_is_interpolated_within_its_bucket():
    # 1,000 values spread evenly over one bucket [1, 1 + 2^-7): the value
    # is nearly uniform by customer, so the best 50 % of value is held by
    # about the best 500 customers (the exact call's count, by hand).
    values = np.linspace(1.0, float(np.nextafter(RATIO, 0.0)), 1_000)
    curve = Curve.of(ValueHistogram.of(values))
    cuts, ranges = abc_cuts(curve, [0.5])
    assert ranges == [[1.0, values[-1]]]
    above = int(np.sum(values >= cuts[0]))
    exact = ciblage.value_tiers(values, method="abc", bounds=[0.5]).summary.column("customers").to_pylist()[0]
    assert 495 <= exact <= 505 and abs(above - exact) <= 5


def test_bad_parameters_name_the_argument_before_any_job():
    def plan(**kw):
        args = {
            "value": "revenue",
            "customer": "customer_id",
            "cost": None,
            "method": "count",
            "shares": None,
            "bounds": None,
            "names": None,
            "no_value_name": "No value",
            "quantiles": "kll",
            "kll_k": 200,
        }
        return _sketch_value.tier_plan(**dict(args, **kw))

    for kw, name in [
        ({"quantiles": "approx"}, "quantiles"),
        ({"kll_k": 4}, "kll_k"),
        ({"method": "pareto"}, "method"),
        ({"shares": [0.5, 0.4]}, "shares"),
        ({"method": "abc", "bounds": [0.9, 0.8]}, "bounds"),
        ({"names": ["a"]}, "names"),
    ]:
        with pytest.raises(InvalidParameterError, match=name):
            plan(**kw)
    with pytest.raises(ColumnNotFoundError, match="margin"):
        plan(value="margin")
    assert plan(quantiles="exact") is None
    p = plan(shares=[0.1, 0.3, 0.6], names=["a", "b", "c"])
    assert p.ends == pytest.approx([0.1, 0.4]) and p.names == ["a", "b", "c", "No value"]


# Engines ---------------------------------------------------------------


def _transactions(n: int = 6_000, customers: int = 2_500, seed: int = 5) -> pd.DataFrame:
    """Integer amounts (many equal totals), returns (customers of value 0
    or less), customer 7 with 10 % of the rows."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, customers, n)
    ids[::10] = 7
    amount = np.round(rng.gamma(1.5, 30.0, n))
    amount[rng.random(n) < 0.05] *= -1
    return pd.DataFrame(
        {
            "customer_id": ids.astype("int64"),
            "timestamp": pd.Timestamp("2024-01-01", tz="UTC").as_unit("us") + pd.to_timedelta(ids % 300, unit="D"),
            "amount": amount,
        }
    )


def _exact_cut(exact: pd.DataFrame, names: list[str], i: int) -> float:
    """The value threshold of boundary ``i`` in the exact tiers: the least
    value of the customers in tiers ``0..i`` (inf when they are none)."""
    upper = exact["tier"].astype(str).isin(names[: i + 1])
    return float(exact.loc[upper, "revenue"].min()) if upper.any() else math.inf


def _check_tiers(got: pd.DataFrame, report: dict, tx: pd.DataFrame, method: str, **kw) -> None:
    exact = ciblage.value_tiers(ciblage.customer_totals(tx), value="revenue", method=method, **kw).customers
    exact = exact.sort_values("customer_id").reset_index(drop=True)
    got = got.sort_values("customer_id").reset_index(drop=True)
    np.testing.assert_array_equal(got["customer_id"], exact["customer_id"])
    np.testing.assert_array_equal(got["revenue"], exact["revenue"])
    names = list(exact["tier"].cat.categories)
    assert list(got["tier"].astype(str).unique()) != [] and set(got["tier"].astype(str)) <= set(names)
    q = report["quantiles"]
    values = exact["revenue"].to_numpy()
    positive = values[values > 0]
    assert q["customers"] == len(values) and q["ranked"] == len(positive)
    assert report["rows_read"] == len(tx)
    assert (got["tier"].astype(str) == names[-1]).to_numpy().sum() == (values <= 0).sum()
    between = np.zeros(len(values), dtype=bool)
    for i, cut in enumerate(q["cuts"]):
        exact_cut = _exact_cut(exact, names, i)
        if method == "count":
            eps, rank = q["rank_error"], q["ranks"][i]
            assert eps > 0  # the small k compacted
            below, at_or_below = np.mean(positive < cut), np.mean(positive <= cut)
            assert below - eps <= rank <= at_or_below + eps, (i, cut, below, at_or_below, eps)
        else:
            low, high = q["cut_ranges"][i]
            assert low <= cut <= high and low <= exact_cut <= high
        lo, hi = min(cut, exact_cut), max(cut, exact_cut)
        between |= (values >= lo) & (values <= hi)
    agree = ~between
    assert agree.mean() > 0.5
    np.testing.assert_array_equal(got["tier"].astype(str)[agree], exact["tier"].astype(str)[agree])


def _dask_uneven(df: pd.DataFrame):
    """Partitions of very different sizes, an empty one included."""
    import dask
    import dask.dataframe as dd

    cuts = [0, 7, 7, 3_000, 3_001, len(df)]
    parts = [df.iloc[a:b] for a, b in zip(cuts, cuts[1:], strict=False)]
    return dd.from_delayed([dask.delayed(p) for p in parts], meta=df.iloc[:0])


def test_dask_count_tiers_within_rank_error(dask_client):
    import ciblage.dask as cdask

    tx = _transactions()
    lazy = cdask.value_tiers(_dask_uneven(tx), quantiles="kll", kll_k=16, split_out=3)
    assert type(lazy).__module__.startswith("dask") and lazy.npartitions == 3
    _check_tiers(lazy.compute(), lazy.input_report, tx, "count")
    shares = [0.2, 0.3, 0.5]
    lazy = cdask.value_tiers(_dask_uneven(tx), quantiles="kll", kll_k=8, shares=shares, names=["a", "b", "c"])
    _check_tiers(lazy.compute(), lazy.input_report, tx, "count", shares=shares, names=["a", "b", "c"])


def test_dask_small_input_is_the_exact_tiers(dask_client):
    import ciblage.dask as cdask

    # Fewer customers than k, distinct values: the sketch holds them all.
    tx = _transactions(n=150, customers=120).assign(amount=lambda d: d["amount"].abs() + np.arange(len(d)) * 1e-3)
    lazy = cdask.value_tiers(_dask_uneven(tx), quantiles="kll", split_out=2)
    assert lazy.input_report["quantiles"]["rank_error"] == 0.0
    exact = ciblage.value_tiers(ciblage.customer_totals(tx), value="revenue").customers
    got = lazy.compute().sort_values("customer_id").reset_index(drop=True)
    np.testing.assert_array_equal(got["tier"].astype(str), exact["tier"].astype(str))


def test_dask_abc_classes_and_concentration(dask_client):
    import ciblage.dask as cdask

    tx = _transactions(seed=8)
    lazy = cdask.value_tiers(_dask_uneven(tx), method="abc", bounds=[0.5, 0.8, 0.95], quantiles="kll", split_out=2)
    assert lazy.input_report["quantiles"]["method"] == "histogram"
    _check_tiers(lazy.compute(), lazy.input_report, tx, "abc", bounds=[0.5, 0.8, 0.95])
    got = cdask.concentration(_dask_uneven(tx), quantiles="kll", split_out=3)
    assert isinstance(got, BinnedConcentration) and got.input_report["rows_read"] == len(tx)
    _check_concentration(got, ciblage.customer_totals(tx)["revenue"].to_numpy())
    # Exact merges: another cut into groups gives the same bits.
    again = cdask.concentration(_dask_uneven(tx), quantiles="kll", split_out=1, split_every=2)
    assert (again.gini, again.total, again.input_report) == (got.gini, got.total, got.input_report)


def test_dask_errors_are_the_local_ones(dask_client):
    import ciblage.dask as cdask

    tx = _transactions(n=2_000, customers=300)
    tx.loc[1_500, "amount"] = np.nan
    with pytest.raises(InvalidInputError) as local:
        ciblage.customer_totals(tx)
    for call in (
        lambda d: cdask.value_tiers(d, quantiles="kll", split_out=2),
        lambda d: cdask.concentration(d, quantiles="kll"),
    ):
        with pytest.raises(InvalidInputError) as got:
            call(_dask_uneven(tx))
        assert str(got.value) == str(local.value)
    with pytest.raises(InvalidParameterError, match="quantiles"):
        cdask.concentration(_dask_uneven(tx), quantiles="sketch")
    with pytest.raises(ColumnNotFoundError, match="margin"):
        cdask.concentration(_dask_uneven(tx), value="margin", quantiles="kll")


# Spark -----------------------------------------------------------------


def test_spark_tiers_and_concentration(spark):
    import ciblage.spark as cspark

    tx = _transactions(seed=11)
    table = pa.Table.from_pandas(tx, preserve_index=False)
    sdf = spark.createDataFrame(table.slice(0, 9)).union(spark.createDataFrame(table.slice(9)))
    lazy = cspark.value_tiers(sdf, quantiles="kll", kll_k=16)
    assert type(lazy).__name__ == "DataFrame"
    got = lazy.toArrow().to_pandas()
    got["tier"] = got["tier"].astype("category")
    _check_tiers(got, lazy.input_report, tx, "count")
    lazy = cspark.value_tiers(sdf, method="abc", quantiles="kll")
    _check_tiers(lazy.toArrow().to_pandas(), lazy.input_report, tx, "abc")
    c = cspark.concentration(sdf, quantiles="kll")
    _check_concentration(c, ciblage.customer_totals(tx)["revenue"].to_numpy())


def test_count_cuts_of_a_sketch_holding_every_value_are_the_exact_tiers():
    from datasketches import kll_doubles_sketch

    plan = _sketch_value.tier_plan("revenue", "customer_id", None, "count", None, None, None, "No value", "kll", 200)
    for values in (np.arange(1.0, 41.0), np.array([-1.0, 0.0]), np.array([5.0, -2.0, 0.0, 7.5, 1.0])):
        sketch = kll_doubles_sketch(200)
        sketch.update(values[values > 0])
        part = {"sketch": sketch.serialize(), "customers": len(values), "rows": len(values), "schema": None}
        report = _sketch_value.tier_cuts(plan, [part])
        assert report["quantiles"]["rank_error"] == 0.0
        table = pa.table({"customer_id": np.arange(len(values)), "revenue": values})
        got = _sketch_value.tiered(plan, table, report["quantiles"]["cuts"]).column("tier").to_pylist()
        want = ciblage.value_tiers(table, value="revenue").customers["tier"].to_pylist()
        assert got == want
