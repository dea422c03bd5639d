"""Scoring with a fitted model on PySpark DataFrames (``mapInArrow``: Arrow
batches end to end, no pandas conversion by Spark).

The model's bytes are broadcast once; each Python worker reads them once
(cached by their SHA-256) and scores its batches with the local call, so
that every row gets exactly its local result. A feature column that is
missing or of a type the model cannot read raises on the driver, before
any job, with the local call's error; an error only the rows can show
(a non-finite value, a repeated customer) is raised by the worker and
comes back from the action as Spark's ``PythonException``:
:func:`ciblage_errors` turns it back into the ciblage error it was.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sys
import warnings
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from .. import exceptions as _exceptions
from .._engine_scoring import Job, cached, evaluate_job, score_table
from ..exceptions import CiblageError, InvalidParameterError

__all__ = ["predict", "predict_proba", "apply", "evaluate", "session", "ciblage_errors", "JavaNotFoundError"]


class JavaNotFoundError(CiblageError, RuntimeError):
    """Spark needs a Java runtime (17 or later) and none was found."""


def _pyspark() -> Any:
    try:
        import pyspark
        import pyspark.sql
    except ImportError as e:
        raise ImportError("ciblage.spark needs PySpark: pip install 'ciblage[spark]' (or pip install pyspark)") from e
    return pyspark


def _java() -> str:
    """The ``java`` that Spark will start (``JAVA_HOME``'s, else the PATH's)."""
    home = os.environ.get("JAVA_HOME")
    if home:
        candidate = os.path.join(home, "bin", "java")
        if os.access(candidate, os.X_OK):
            return candidate
        raise JavaNotFoundError(
            f"Spark needs Java 17 or later: JAVA_HOME={home!r} holds no bin/java; point it at a JDK or JRE "
            "(e.g. install openjdk-17-jre-headless)"
        )
    found = shutil.which("java")
    if found is None:
        raise JavaNotFoundError(
            "Spark needs Java 17 or later and no java is on the PATH: install a JDK or JRE 17+ "
            "(e.g. apt-get install openjdk-17-jre-headless, or brew install openjdk@17) or set JAVA_HOME"
        )
    return found


def session(master: str = "local[2]", *, app_name: str = "ciblage", **conf: Any) -> Any:
    """A Spark session for ciblage's functions: ``master`` (default
    ``local[2]``), no web UI, Python workers on this interpreter
    (``PYSPARK_PYTHON``, unless already set), and any further Spark settings
    as ``conf`` (``"spark.sql.shuffle.partitions": 4``, ...). Checks first
    that Java is there (:class:`JavaNotFoundError` names what to install).

    Example:
        >>> import ciblage.spark
        >>> spark = ciblage.spark.session("local[2]")
        >>> spark.conf.get("spark.ui.enabled")
        'false'
    """
    pyspark = _pyspark()
    _java()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = pyspark.sql.SparkSession.builder.master(master).appName(app_name)
    settings = {"spark.ui.enabled": "false", **{k: str(v) for k, v in conf.items()}}
    for key, value in settings.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def _check_frame(df: Any) -> None:
    module = type(df).__module__
    if not (module.startswith("pyspark.") and type(df).__name__ == "DataFrame"):
        raise InvalidParameterError(f"invalid parameter df: expected a PySpark DataFrame, got {type(df).__name__}")


def _arrow_schema(schema: Any) -> pa.Schema:
    from pyspark.sql.pandas.types import to_arrow_schema

    return to_arrow_schema(schema)


def _spark_schema(schema: pa.Schema) -> Any:
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(schema)


def _run(job: Job, df: Any, *, whole_partitions: bool = False) -> Any:
    _pyspark()
    _check_frame(df)
    cols = job.columns([str(c) for c in df.columns])
    selected = df.select(*cols)
    out_schema = job.dry_run(_arrow_schema(selected.schema))
    key = job.key
    # The function below captures either the broadcast or, where there is
    # none (Spark Connect), the bytes themselves: never both.
    inline: bytes | None = None
    try:
        shipped = df.sparkSession.sparkContext.broadcast(job.blob)
    except Exception:
        shipped, inline = None, job.blob
    light = Job.__new__(Job)
    light.__dict__.update({k: v for k, v in job.__dict__.items() if k != "blob"})

    def score(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        model = cached(key, (lambda: inline) if shipped is None else (lambda: shipped.value))
        groups: Any
        if whole_partitions:
            parts = list(batches)
            table = pa.Table.from_batches(parts) if parts else None
            groups = [table] if table is not None and table.num_rows else []
        else:
            groups = (pa.Table.from_batches([b]) for b in batches if b.num_rows)
        for t in groups:
            yield from score_table(light, model, t).cast(out_schema).to_batches()

    if whole_partitions:
        selected = selected.repartition(job.options["customer"])
    with warnings.catch_warnings():
        # mapInArrow goes through PySpark's pandas_udf, which checks the
        # installed pandas and warns about pandas 3 although Arrow batches
        # never become pandas here.
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
        return selected.mapInArrow(score, _spark_schema(out_schema))


def predict(model: Any, df: Any, *, keys: Any = "customer_id", features: Any = None) -> Any:
    """``model.predict`` on every row of the PySpark DataFrame ``df``: a
    DataFrame of the ``keys`` columns and ``prediction``. ``features`` names
    the feature columns in order for a model fitted on an array (a model
    fitted on a DataFrame reads the columns it was fitted on).

    Example:
        >>> import ciblage, ciblage.spark, pandas as pd, pyarrow as pa
        >>> spark = ciblage.spark.session("local[2]")
        >>> x = pd.DataFrame({"customer_id": range(8), "recency": [5, 40, 8, 90, 3, 60, 12, 75],
        ...                   "frequency": [9, 1, 7, 1, 12, 2, 6, 1]})
        >>> y = ["stay", "leave", "stay", "leave", "stay", "leave", "stay", "leave"]
        >>> model = ciblage.CartClassifier(max_depth=2).fit(x[["recency", "frequency"]], y)
        >>> sdf = spark.createDataFrame(pa.Table.from_pandas(x))
        >>> out = ciblage.spark.predict(model, sdf).toArrow().to_pandas().sort_values("customer_id")
        >>> list(out.columns), list(out["prediction"]) == list(model.predict(x[["recency", "frequency"]]))
        (['customer_id', 'prediction'], True)
    """
    _pyspark()
    return _run(Job("predict", model, keys=keys, features=features), df)


def predict_proba(model: Any, df: Any, *, keys: Any = "customer_id", features: Any = None) -> Any:
    """``model.predict_proba`` on every row: the ``keys`` columns and one
    ``proba_<class>`` column per class, in the order of ``model.classes_``.

    Example:
        >>> import ciblage, ciblage.spark, pandas as pd, pyarrow as pa
        >>> spark = ciblage.spark.session("local[2]")
        >>> x = pd.DataFrame({"customer_id": range(8), "recency": [5, 40, 8, 90, 3, 60, 12, 75],
        ...                   "frequency": [9, 1, 7, 1, 12, 2, 6, 1]})
        >>> y = ["stay", "leave", "stay", "leave", "stay", "leave", "stay", "leave"]
        >>> model = ciblage.CartClassifier(max_depth=2).fit(x[["recency", "frequency"]], y)
        >>> ciblage.spark.predict_proba(model, spark.createDataFrame(pa.Table.from_pandas(x))).columns
        ['customer_id', 'proba_leave', 'proba_stay']
    """
    _pyspark()
    return _run(Job("predict_proba", model, keys=keys, features=features), df)


def apply(model: Any, df: Any, *, keys: Any = "customer_id", features: Any = None) -> Any:
    """``model.apply`` on every row: the ``keys`` columns and ``leaf`` (the
    leaf id, as the local call numbers it).

    Example:
        >>> import ciblage, ciblage.spark, pandas as pd, pyarrow as pa
        >>> spark = ciblage.spark.session("local[2]")
        >>> x = pd.DataFrame({"customer_id": range(8), "recency": [5, 40, 8, 90, 3, 60, 12, 75],
        ...                   "frequency": [9, 1, 7, 1, 12, 2, 6, 1]})
        >>> y = ["stay", "leave", "stay", "leave", "stay", "leave", "stay", "leave"]
        >>> model = ciblage.CartClassifier(max_depth=2).fit(x[["recency", "frequency"]], y)
        >>> sdf = spark.createDataFrame(pa.Table.from_pandas(x))
        >>> out = ciblage.spark.apply(model, sdf).toArrow().to_pandas().sort_values("customer_id")
        >>> list(out["leaf"]) == list(model.apply(x[["recency", "frequency"]]))
        True
    """
    _pyspark()
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
    """:func:`ciblage.lifecycle.evaluate` on a PySpark DataFrame of one row
    per customer: the ``keys`` columns (default: ``customer``) and the
    columns of the local result's ``customers`` table. The rows are
    repartitioned by ``customer``, so that a repeated id is refused as
    locally. ``today`` defaults to the driver's date. Contact history and
    ``value`` tables are not taken: join ``p_alive``/``clv`` columns first.

    Example:
        >>> import ciblage, ciblage.spark, pandas as pd, pyarrow as pa
        >>> spark = ciblage.spark.session("local[2]")
        >>> customers = pd.DataFrame({"customer_id": [1, 2], "frequency": [12, 3],
        ...                           "recency_days": [5, 250], "tenure_days": [900, 700],
        ...                           "tier": ["Best", "Small"]})
        >>> sdf = spark.createDataFrame(pa.Table.from_pandas(customers))
        >>> out = ciblage.spark.evaluate(sdf, today="2026-01-15").toArrow().to_pandas()
        >>> out.sort_values("customer_id")[["customer_id", "stage"]].values.tolist()
        [[1, 'best'], [2, 'inactive']]
    """
    _pyspark()
    job = evaluate_job(keys=keys, rules=rules, today=today, customer=customer, tier=tier, contract_end=contract_end)
    return _run(job, df, whole_partitions=True)


_RAISED = re.compile(r"^ciblage\.exceptions\.(\w+): (.*)$", re.M)


@contextlib.contextmanager
def ciblage_errors() -> Iterator[None]:
    """Within this block, a ciblage error raised in a Spark worker (it comes
    back as Spark's ``PythonException``) is raised again as the ciblage
    exception it was, with its message::

        with ciblage.spark.ciblage_errors():
            rows = ciblage.spark.predict(model, df).collect()

    Example:
        >>> import ciblage, ciblage.spark, pyarrow as pa
        >>> spark = ciblage.spark.session("local[2]")
        >>> bad = spark.createDataFrame(pa.table({"customer_id": [1], "amount": [float("nan")]}))
        >>> with ciblage.spark.ciblage_errors():
        ...     ciblage.spark.customer_totals(bad)
        Traceback (most recent call last):
        ...
        ciblage.exceptions.InvalidInputError: ...
    """
    try:
        yield
    except Exception as e:
        if type(e).__name__ != "PythonException":
            raise
        text = str(e)
        found = list(_RAISED.finditer(text))
        if not found:
            raise
        name, message = found[-1].group(1), found[-1].group(2)
        cls = getattr(_exceptions, name, None)
        if not (isinstance(cls, type) and issubclass(cls, CiblageError)):
            raise
        raise cls(message.strip()) from e
