"""CLV scoring with fitted models on a Dask DataFrame of summaries."""

from __future__ import annotations

from typing import Any

from .._engine_clv import clv_options
from .._engine_scoring import Job
from ._scoring import _dask, _run

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
    a Dask DataFrame of summaries (one row per customer, as
    :func:`clv_summary` or :func:`ciblage.clv.summary` gives): a Dask
    DataFrame of the ``keys`` columns, ``p_alive``
    (``purchases.p_alive``), ``expected_purchases`` over ``t`` units of
    time (``purchases.expected_purchases(t, ...)``, when ``t`` is given)
    and, with a fitted ``GammaGamma`` as ``spend``, ``clv``
    (``spend.clv(purchases, ..., months=, discount_rate=, freq=)``). The
    models enter the task graph once; every row gets the local calls'
    values.

    Example:
        >>> import ciblage, ciblage.dask, dask.dataframe as dd
        >>> tx = ciblage.datasets.transactions(customers=200, transactions=3_000, library="pandas")
        >>> s = ciblage.clv.summary(tx, freq="W")
        >>> bg = ciblage.clv.BgNbd().fit(s)
        >>> out = ciblage.dask.clv_score(bg, dd.from_pandas(s, npartitions=3), t=4).compute()
        >>> list(out.columns)
        ['customer_id', 'p_alive', 'expected_purchases']
        >>> bool((out["p_alive"].to_numpy() == bg.p_alive(s)).all())
        True
    """
    _dask()
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
