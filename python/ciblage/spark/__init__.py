"""ciblage on PySpark DataFrames (the ``ciblage[spark]`` extra).

Scoring with a fitted model (``predict``, ``predict_proba``, ``apply`` of a
CART or CHAID model, lifecycle ``evaluate``) runs in ``mapInArrow``: Arrow
batches end to end, the model broadcast once and read once per Python
worker. Every row gets exactly the local call's result. Importing
``ciblage`` does not import this package, nor PySpark; PySpark is imported
by the first call. See docs/scale.md.
"""

from ._scoring import JavaNotFoundError, apply, ciblage_errors, evaluate, predict, predict_proba, session

__all__ = ["JavaNotFoundError", "apply", "ciblage_errors", "evaluate", "predict", "predict_proba", "session"]
