"""CLV scoring with fitted models on Spark and Dask (the engine-independent
part; the engines run it as :mod:`ciblage._engine_scoring` runs trees).

A job holds a fitted purchase model (``BgNbd``, ``MbgNbd``,
``ParetoNbd``) and, optionally, a fitted ``GammaGamma`` spend model; each
batch (Spark) or partition (Dask) of a table of summaries (one row per
customer, as :func:`ciblage.clv.summary` gives) gets the local calls'
columns: ``p_alive``, ``expected_purchases`` (over ``t`` units of time,
when ``t`` is given) and ``clv`` (with a spend model). Every row's values
are those of the local calls, which are per customer.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from ._params import as_float, as_int, as_str
from .exceptions import InvalidParameterError


def clv_options(
    purchases: Any,
    spend: Any,
    *,
    t: Any,
    months: Any,
    discount_rate: Any,
    freq: Any,
    frequency: Any,
    recency: Any,
    T: Any,
    monetary_value: Any,
) -> dict[str, Any]:
    """The checked options of a CLV job (models fitted, parameters in
    range), raising the local errors before any job."""
    from ._clv_base import _PurchaseModel
    from ._clv_nbd import GammaGamma
    from ._clv_summary import _freq

    if not isinstance(purchases, _PurchaseModel):
        raise InvalidParameterError(
            f"invalid parameter purchases: expected a fitted BgNbd, MbgNbd or ParetoNbd, got {type(purchases).__name__}"
        )
    purchases._fitted()
    if spend is not None:
        if not isinstance(spend, GammaGamma):
            raise InvalidParameterError(
                f"invalid parameter spend: expected a fitted GammaGamma or None, got {type(spend).__name__}"
            )
        spend._fitted()
    options = {
        "t": None if t is None else as_float(t, "t", 0.0),
        "months": as_int(months, "months", 1, 12_000),
        "discount_rate": as_float(discount_rate, "discount_rate", 0.0),
        "freq": _freq(freq),
        "frequency": as_str(frequency, "frequency"),
        "recency": as_str(recency, "recency"),
        "T": as_str(T, "T"),
        "monetary_value": as_str(monetary_value, "monetary_value"),
    }
    return options


def features(options: dict[str, Any], with_spend: bool) -> list[str]:
    """The columns the scores read, in order."""
    cols = [options["frequency"], options["recency"], options["T"]]
    if with_spend:
        cols.append(options["monetary_value"])
    return cols


def output_names(options: dict[str, Any], with_spend: bool) -> list[str]:
    """The score columns."""
    names = ["p_alive"]
    if options["t"] is not None:
        names.append("expected_purchases")
    if with_spend:
        names.append("clv")
    return names


def scores(options: dict[str, Any], models: tuple[Any, Any], data: Any) -> dict[str, np.ndarray]:
    """The local calls' columns on ``data`` (an Arrow or pandas table)."""
    purchases, spend = models
    history = {"frequency": options["frequency"], "recency": options["recency"], "T": options["T"]}
    out = {"p_alive": np.asarray(purchases.p_alive(data, **history), dtype=np.float64)}
    if options["t"] is not None:
        out["expected_purchases"] = np.asarray(
            purchases.expected_purchases(options["t"], data, **history), dtype=np.float64
        )
    if spend is not None:
        out["clv"] = np.asarray(
            spend.clv(
                purchases,
                data,
                months=options["months"],
                discount_rate=options["discount_rate"],
                freq=options["freq"],
                monetary_value=options["monetary_value"],
                **history,
            ),
            dtype=np.float64,
        )
    return out


def score_arrow(options: dict[str, Any], models: tuple[Any, Any], table: pa.Table) -> pa.Table:
    """The score columns of an Arrow table's rows."""
    return pa.table({k: pa.array(v) for k, v in scores(options, models, table).items()})
