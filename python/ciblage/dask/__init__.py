"""ciblage on Dask DataFrames (the ``ciblage[dask]`` extra).

Scoring with a fitted model (``predict``, ``predict_proba``, ``apply`` of a
CART or CHAID model, lifecycle ``evaluate``) runs in ``map_partitions``, the
model entering the task graph once and read once per worker process. Every
row gets exactly the local call's result. Importing ``ciblage`` does not
import this package, nor Dask; Dask is imported by the first call. See
docs/scale.md.
"""

from ._scoring import apply, evaluate, predict, predict_proba

__all__ = ["apply", "evaluate", "predict", "predict_proba"]
