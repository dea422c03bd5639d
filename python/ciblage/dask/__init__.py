"""ciblage on Dask DataFrames (the ``ciblage[dask]`` extra).

Scoring with a fitted model (``predict``, ``predict_proba``, ``apply`` of a
CART or CHAID model, lifecycle ``evaluate``) runs in ``map_partitions``, the
model entering the task graph once and read once per worker process. Every
row gets exactly the local call's result. Importing ``ciblage`` does not
import this package, nor Dask; Dask is imported by the first call. See
docs/scale.md.

Per-customer aggregations (``rfm``, ``customer_totals``, ``value_tiers``,
``concentration``) build a partial state per partition in the Rust core,
merge them by customer and score the merged state with the local code.
``retention`` and ``clv_summary`` merge per-customer day states and run the
local call on the rows they stand for; ``churn_flags`` merges one state per
customer (his purchase days) and scores the customers where they are.
"""

from ._aggregate import concentration, customer_totals, rfm, value_tiers
from ._basket import frequent_itemsets
from ._churn import churn_flags
from ._clv import clv_score
from ._days import clv_summary, retention
from ._scoring import apply, evaluate, predict, predict_proba

__all__ = [
    "frequent_itemsets",
    "churn_flags",
    "clv_score",
    "clv_summary",
    "retention",
    "concentration",
    "customer_totals",
    "rfm",
    "value_tiers",
    "apply",
    "evaluate",
    "predict",
    "predict_proba",
]
