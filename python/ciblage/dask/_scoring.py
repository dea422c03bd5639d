"""Scoring with a fitted model on Dask DataFrames (``map_partitions``).

The model's bytes enter the task graph once (one ``dask.delayed`` key that
every partition's task depends on: a distributed worker fetches it once);
each worker process reads them once (cached by their SHA-256) and scores its
partitions with the local call on the pandas rows, so that every row gets
exactly its local result. A feature column that is missing or of a type the
model cannot read raises when the function is called, with the local call's
error (the check runs on Dask's made-up rows of the frame's dtypes); an
error only the rows can show (a non-finite value, a repeated customer) is
raised by ``compute()`` as the same ciblage exception (Dask sends worker
exceptions back as they were).
"""

from __future__ import annotations

from typing import Any

from .._engine_scoring import Job, cached, evaluate_job, score_frame
from ..exceptions import InvalidParameterError

__all__ = ["predict", "predict_proba", "apply", "evaluate"]


def _dask() -> Any:
    try:
        import dask
        import dask.dataframe
    except ImportError as e:
        raise ImportError(
            "ciblage.dask needs Dask: pip install 'ciblage[dask]' (or pip install 'dask[distributed]')"
        ) from e
    return dask


def _check_frame(df: Any) -> None:
    if not (type(df).__module__.startswith("dask") and type(df).__name__ == "DataFrame"):
        raise InvalidParameterError(f"invalid parameter df: expected a Dask DataFrame, got {type(df).__name__}")


def _score_partition(part: Any, job: Job, blob: bytes, meta: Any) -> Any:
    if len(part) == 0:
        return meta
    return score_frame(job, cached(job.key, blob), part)


def _run(job: Job, df: Any, *, shuffle: bool = False) -> Any:
    dask = _dask()
    _check_frame(df)
    cols = job.columns([str(c) for c in df.columns])
    selected = df[cols]
    # The local call on Dask's made-up rows: the local error for a missing
    # or unreadable column, and the result's dtypes.
    sample = selected._meta_nonempty.iloc[:1]
    meta = score_frame(job, job.model(), sample).iloc[:0]
    if shuffle:
        selected = selected.shuffle(on=job.options["customer"])
    blob = dask.delayed(job.blob, pure=True, name=f"ciblage-model-{job.key}")
    light = Job.__new__(Job)
    light.__dict__.update({k: v for k, v in job.__dict__.items() if k != "blob"})
    return selected.map_partitions(_score_partition, light, blob, meta, meta=meta, align_dataframes=False)


def predict(model: Any, df: Any, *, keys: Any = "customer_id", features: Any = None) -> Any:
    """``model.predict`` on every row of the Dask DataFrame ``df``: a Dask
    DataFrame of the ``keys`` columns and ``prediction`` (same partitions
    and index). ``features`` names the feature columns in order for a model
    fitted on an array (a model fitted on a DataFrame reads the columns it
    was fitted on).

    Example:
        >>> import ciblage, ciblage.dask, dask.dataframe as dd
        >>> import pandas as pd
        >>> x = pd.DataFrame({"customer_id": range(8), "recency": [5, 40, 8, 90, 3, 60, 12, 75],
        ...                   "frequency": [9, 1, 7, 1, 12, 2, 6, 1]})
        >>> y = ["stay", "leave", "stay", "leave", "stay", "leave", "stay", "leave"]
        >>> model = ciblage.CartClassifier(max_depth=2).fit(x[["recency", "frequency"]], y)
        >>> out = ciblage.dask.predict(model, dd.from_pandas(x, npartitions=2)).compute()
        >>> list(out.columns), list(out["prediction"]) == list(model.predict(x[["recency", "frequency"]]))
        (['customer_id', 'prediction'], True)
    """
    _dask()
    return _run(Job("predict", model, keys=keys, features=features), df)


def predict_proba(model: Any, df: Any, *, keys: Any = "customer_id", features: Any = None) -> Any:
    """``model.predict_proba`` on every row: the ``keys`` columns and one
    ``proba_<class>`` column per class, in the order of ``model.classes_``.

    Example:
        >>> import ciblage, ciblage.dask, dask.dataframe as dd
        >>> import pandas as pd
        >>> x = pd.DataFrame({"customer_id": range(8), "recency": [5, 40, 8, 90, 3, 60, 12, 75],
        ...                   "frequency": [9, 1, 7, 1, 12, 2, 6, 1]})
        >>> y = ["stay", "leave", "stay", "leave", "stay", "leave", "stay", "leave"]
        >>> model = ciblage.CartClassifier(max_depth=2).fit(x[["recency", "frequency"]], y)
        >>> out = ciblage.dask.predict_proba(model, dd.from_pandas(x, npartitions=2)).compute()
        >>> list(out.columns)
        ['customer_id', 'proba_leave', 'proba_stay']
    """
    _dask()
    return _run(Job("predict_proba", model, keys=keys, features=features), df)


def apply(model: Any, df: Any, *, keys: Any = "customer_id", features: Any = None) -> Any:
    """``model.apply`` on every row: the ``keys`` columns and ``leaf`` (the
    leaf id, as the local call numbers it).

    Example:
        >>> import ciblage, ciblage.dask, dask.dataframe as dd
        >>> import pandas as pd
        >>> x = pd.DataFrame({"customer_id": range(8), "recency": [5, 40, 8, 90, 3, 60, 12, 75],
        ...                   "frequency": [9, 1, 7, 1, 12, 2, 6, 1]})
        >>> y = ["stay", "leave", "stay", "leave", "stay", "leave", "stay", "leave"]
        >>> model = ciblage.CartClassifier(max_depth=2).fit(x[["recency", "frequency"]], y)
        >>> out = ciblage.dask.apply(model, dd.from_pandas(x, npartitions=2)).compute()
        >>> list(out["leaf"]) == list(model.apply(x[["recency", "frequency"]]))
        True
    """
    _dask()
    return _run(Job("apply", model, keys=keys, features=features), df)


def evaluate(
    df: Any,
    *,
    rules: Any = None,
    today: Any = None,
    customer: str = "customer_id",
    tier: str | None = "tier",
    contract_end: str | None = "contract_end",
    keys: Any = None,
) -> Any:
    """:func:`ciblage.lifecycle.evaluate` on a Dask DataFrame of one row per
    customer: the ``keys`` columns (default: ``customer``) and the columns
    of the local result's ``customers`` table. The rows are shuffled by
    ``customer`` first, so that a repeated id is refused as locally.
    ``today`` defaults to the client's date. Contact history and ``value``
    tables are not taken: join ``p_alive``/``clv`` columns first.

    Example:
        >>> import ciblage, ciblage.dask, dask.dataframe as dd, pandas as pd
        >>> customers = pd.DataFrame({"customer_id": [1, 2], "frequency": [12, 3],
        ...                           "recency_days": [5, 250], "tenure_days": [900, 700],
        ...                           "tier": ["Best", "Small"]})
        >>> out = ciblage.dask.evaluate(dd.from_pandas(customers, npartitions=2), today="2026-01-15").compute()
        >>> out.sort_values("customer_id")[["customer_id", "stage"]].values.tolist()
        [[1, 'best'], [2, 'inactive']]
    """
    _dask()
    job = evaluate_job(keys=keys, rules=rules, today=today, customer=customer, tier=tier, contract_end=contract_end)
    return _run(job, df, shuffle=True)
