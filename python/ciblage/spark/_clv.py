"""CLV scoring with fitted models on a PySpark DataFrame of summaries."""

from __future__ import annotations

from typing import Any

from .._engine_clv import clv_options
from .._engine_scoring import Job
from ._scoring import _pyspark, _run

__all__ = ["clv_score"]


def clv_score(
    purchases: Any,
    df: Any,
    *,
    spend: Any = None,
    keys: Any = "customer_id",
    t: float | None = None,
    months: int = 12,
    discount_rate: float = 0.01,
    freq: Any = "D",
    frequency: str = "frequency",
    recency: str = "recency",
    T: str = "T",
    monetary_value: str = "monetary_value",
) -> Any:
    """P(alive), expected purchases and CLV of fitted models on every row of
    a PySpark DataFrame of summaries (one row per customer, as
    :func:`clv_summary` gives): a DataFrame of the ``keys`` columns,
    ``p_alive``, ``expected_purchases`` over ``t`` units of time (when
    ``t`` is given) and, with a fitted ``GammaGamma`` as ``spend``,
    ``clv``, as the local calls give them (see
    :func:`ciblage.dask.clv_score`). The models are broadcast once and read
    once per Python worker.

    Example:
        >>> import ciblage, ciblage.spark
        >>> spark = ciblage.spark.session("local[2]")
        >>> tx = ciblage.datasets.transactions(customers=200, transactions=3_000, library="pyarrow")
        >>> s = ciblage.clv.summary(tx, freq="W")
        >>> bg = ciblage.clv.BgNbd().fit(s)
        >>> out = ciblage.spark.clv_score(bg, spark.createDataFrame(s), t=4)
        >>> out.columns
        ['customer_id', 'p_alive', 'expected_purchases']
    """
    _pyspark()
    options = clv_options(
        purchases,
        spend,
        t=t,
        months=months,
        discount_rate=discount_rate,
        freq=freq,
        frequency=frequency,
        recency=recency,
        T=T,
        monetary_value=monetary_value,
    )
    return _run(Job("clv", (purchases, spend), keys=keys, options=options), df)
