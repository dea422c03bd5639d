"""CLV on engines: a summary from Dask, the fit on the client from its
distinct patterns, and the scores of the fitted models on Dask and Spark
frames of summaries equal to the local calls."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import ciblage
from ciblage.exceptions import ColumnNotFoundError, InvalidParameterError


@pytest.fixture(scope="module")
def fitted():
    tx = ciblage.datasets.transactions(customers=300, transactions=4_000, library="pandas", seed=5)
    summary = ciblage.clv.summary(tx, freq="W", negative_amounts="exclude")
    purchases = ciblage.clv.BgNbd().fit(summary)
    spend = ciblage.clv.GammaGamma().fit(summary[summary["frequency"] > 0])
    return summary, purchases, spend


def test_fit_from_distinct_patterns_equals_the_fit_on_every_customer(fitted) -> None:
    """The driver-side fit: one row per distinct (frequency, recency, T)
    with its number of customers as weight gives the same likelihood, so
    the same parameters up to the optimiser's tolerance."""
    summary, purchases, _ = fitted
    patterns = summary.groupby(["frequency", "recency", "T"]).size().rename("customers").reset_index()
    assert len(patterns) < len(summary)
    assert patterns["customers"].sum() == len(summary)
    weighted = ciblage.clv.BgNbd().fit(patterns, weights="customers")
    for name, value in purchases.params_.items():
        assert weighted.params_[name] == pytest.approx(value, rel=1e-5), name


def test_dask_scores_equal_local(dask_client, fitted) -> None:
    dd = pytest.importorskip("dask.dataframe")
    import ciblage.dask as cdask

    summary, purchases, spend = fitted
    cuts = [0, 3, 3, 150, len(summary)]
    import dask

    parts = [summary.iloc[a:b] for a, b in zip(cuts, cuts[1:], strict=False)]
    ddf = dd.from_delayed([dask.delayed(p) for p in parts], meta=summary.iloc[:0])
    out = cdask.clv_score(purchases, ddf, spend=spend, t=8, months=6, freq="W").compute()
    assert list(out.columns) == ["customer_id", "p_alive", "expected_purchases", "clv"]
    np.testing.assert_array_equal(out["customer_id"].to_numpy(), summary["customer_id"].to_numpy())
    np.testing.assert_array_equal(out["p_alive"].to_numpy(), purchases.p_alive(summary))
    np.testing.assert_array_equal(out["expected_purchases"].to_numpy(), purchases.expected_purchases(8, summary))
    np.testing.assert_array_equal(out["clv"].to_numpy(), spend.clv(purchases, summary, months=6, freq="W"))
    # P(alive) is a probability; a customer without repeat purchase at the
    # end of observation is certainly alive under BG/NBD.
    assert ((out["p_alive"] >= 0) & (out["p_alive"] <= 1)).all()
    assert (out["p_alive"][summary["frequency"].to_numpy() == 0] == 1.0).all()
    with pytest.raises(InvalidParameterError, match="invalid parameter purchases"):
        cdask.clv_score(spend, ddf)
    with pytest.raises(ColumnNotFoundError):
        cdask.clv_score(purchases, ddf.drop(columns="T"))


def test_spark_scores_equal_local(spark, fitted) -> None:
    import ciblage.spark as cspark

    summary, purchases, spend = fitted
    table = pa.Table.from_pandas(summary, preserve_index=False).replace_schema_metadata(None)
    sdf = spark.createDataFrame(table.slice(0, 100)).union(spark.createDataFrame(table.slice(100)))
    out = cspark.clv_score(purchases, sdf, spend=spend, t=8, freq="W").toArrow().to_pandas()
    out = out.sort_values("customer_id").reset_index(drop=True)
    want = summary.sort_values("customer_id").reset_index(drop=True)
    np.testing.assert_array_equal(out["p_alive"].to_numpy(), purchases.p_alive(want))
    np.testing.assert_array_equal(out["expected_purchases"].to_numpy(), purchases.expected_purchases(8, want))
    np.testing.assert_array_equal(out["clv"].to_numpy(), spend.clv(purchases, want, freq="W"))
    with pytest.raises(InvalidParameterError, match="invalid parameter months"):
        cspark.clv_score(purchases, sdf, spend=spend, months=0)
    assert isinstance(out, pd.DataFrame)
