"""Scoring with a fitted model on Spark and Dask: the engine-independent part.

One :class:`Job` says what to compute (``predict``, ``predict_proba``,
``apply`` of a CART or CHAID model, or lifecycle ``evaluate`` with a rule
set), on which columns, and holds the model as bytes (its pickle: the tree's
versioned JSON and the fitted attributes). The engines ship those bytes once
per worker; :func:`cached` reads them once per worker process (keyed by
their SHA-256) and :func:`score_table` scores one Arrow table of rows with
the local call, so that every row gets exactly its local result.

Before any job, :func:`Job.dry_run` scores one made-up row of the input's
schema on the driver: a feature column that is missing or of a type the
model cannot read raises there the error class and message of the local
call, and the output schema is read from that row's result.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import hashlib
import pickle
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa

from .exceptions import ColumnNotFoundError, InvalidInputError, InvalidParameterError

#: What a job computes (``clv``: P(alive), expected purchases and CLV of
#: fitted CLV models, see :mod:`ciblage._engine_clv`).
KINDS = ("predict", "predict_proba", "apply", "evaluate", "clv")

# Models read in this worker process, by the SHA-256 of their bytes (the
# last few kept: a worker serves the jobs of one session).
_CACHE: OrderedDict[str, Any] = OrderedDict()
_CACHE_SIZE = 8
# How many times this process read each model's bytes (tests check: once).
READS: dict[str, int] = {}


def cached(key: str, blob: bytes | Callable[[], Any]) -> Any:
    """The model whose bytes are ``blob`` (or returned by ``blob()``, only
    called when this process has not read them yet), read once per process."""
    model = _CACHE.get(key)
    if model is None:
        model = pickle.loads(blob() if callable(blob) else blob)
        READS[key] = READS.get(key, 0) + 1
        _CACHE[key] = model
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    else:
        _CACHE.move_to_end(key)
    return model


def _names(value: Any, argument: str) -> list[str]:
    """A column name or a list of them, as a list of strings."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return list(value)
    raise InvalidParameterError(
        f"invalid parameter {argument}: expected a column name or a list of names, got {value!r}"
    )


def _is_tree(model: Any) -> bool:
    from ._cart import _CartBase
    from ._chaid import _ChaidBase

    return isinstance(model, (_CartBase, _ChaidBase))


class Job:
    """What to score, on which columns, with which model (picklable)."""

    def __init__(
        self,
        kind: str,
        model: Any,
        *,
        keys: Any,
        features: Any = None,
        options: dict[str, Any] | None = None,
    ) -> None:
        self.kind = kind
        self.options = dict(options or {})
        self.keys = _names(keys, "keys")
        if kind == "evaluate":
            self.features: list[str] = []
            self.named = True
        elif kind == "clv":
            from . import _engine_clv

            # model: (purchase model, spend model or None), checked by clv_options.
            self.features = _engine_clv.features(self.options, model[1] is not None)
            self.named = True
        else:
            if not _is_tree(model):
                raise InvalidParameterError(
                    f"invalid parameter model: expected a fitted CartClassifier, CartRegressor, ChaidClassifier "
                    f"or ChaidRegressor, got {type(model).__name__}"
                )
            model._fitted()
            if kind == "predict_proba" and getattr(model, "_estimator_type", "") != "classifier":
                # The wording of ChaidRegressor.predict_proba's error.
                raise InvalidParameterError(
                    "invalid parameter predict_proba: a regression tree has no class probabilities"
                )
            if int(getattr(model, "n_outputs_", 1)) != 1:
                raise InvalidParameterError(
                    "invalid parameter model: a model of several outputs cannot be scored on an engine yet; "
                    "score each output's model"
                )
            fitted_names = getattr(model, "feature_names_in_", None)
            self.named = fitted_names is not None
            if fitted_names is not None:
                expected = [str(c) for c in fitted_names]
                if features is not None and _names(features, "features") != expected:
                    raise InvalidParameterError(
                        f"invalid parameter features: {features!r} differs from the columns seen in fit {expected}"
                    )
                self.features = expected
            elif features is None:
                raise InvalidParameterError(
                    "invalid parameter features: the model was fitted on an array without column names: "
                    "name its feature columns in order (features=[...])"
                )
            else:
                self.features = _names(features, "features")
        self.blob = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
        self.key = hashlib.sha256(self.blob).hexdigest()

    def columns(self, present: list[str]) -> list[str]:
        """The input columns a batch needs: the keys, then the features
        (or, for ``evaluate``, the customers' columns the rules read)."""
        missing = [k for k in self.keys if k not in present]
        if missing:
            raise ColumnNotFoundError(f"keys: column {missing[0]!r} not found; the DataFrame has {present}")
        if self.kind == "evaluate":
            from .lifecycle import FIELDS

            customer = self.options["customer"]
            if customer not in present:
                raise ColumnNotFoundError(f"customer: column {customer!r} not found; the table has {present}")
            wanted = [customer, *FIELDS, self.options.get("tier"), self.options.get("contract_end")]
            if "contract_end_days" in present:
                wanted.append("contract_end_days")
            cols = [*self.keys]
            cols += [c for c in wanted if c and c in present and c not in cols]
            return cols
        cols = [*self.keys]
        # A feature absent from the input is left out here: the local call
        # then names the columns it got and those it expected.
        cols += [c for c in self.features if c in present and c not in cols]
        return cols

    def output_names(self, model: Any) -> list[str]:
        """Names of the prediction columns."""
        if self.kind == "predict":
            return ["prediction"]
        if self.kind == "apply":
            return ["leaf"]
        if self.kind == "predict_proba":
            return [f"proba_{c}" for c in model.classes_]
        if self.kind == "clv":
            from . import _engine_clv

            return _engine_clv.output_names(self.options, model[1] is not None)
        return []

    def dry_run(self, schema: pa.Schema) -> pa.Schema:
        """Scores one made-up row of ``schema`` on the driver (raising the
        local call's error for a missing or unreadable feature column);
        returns the output schema."""
        cols = self.columns(list(schema.names))
        sample = pa.table({c: _one_value(schema.field(c).type) for c in cols})
        out = score_table(self, pickle.loads(self.blob), sample)
        return out.schema

    def model(self) -> Any:
        """The model (read once per process)."""
        return cached(self.key, self.blob)


def _one_value(t: pa.DataType) -> pa.Array:
    """A one-row array of type ``t`` holding a plain value (zero, empty text,
    1970-01-01, false)."""
    if pa.types.is_dictionary(t):
        return pa.DictionaryArray.from_arrays(pa.array([0], t.index_type), _one_value(t.value_type))
    if pa.types.is_boolean(t):
        value: Any = False
    elif pa.types.is_integer(t):
        value = 0
    elif pa.types.is_floating(t):
        value = 0.0
    elif pa.types.is_decimal(t):
        value = decimal.Decimal(0)
    elif pa.types.is_string(t) or pa.types.is_large_string(t) or str(t) == "string_view":
        value = ""
    elif pa.types.is_binary(t) or pa.types.is_large_binary(t):
        value = b""
    elif pa.types.is_timestamp(t):
        value = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc if t.tz else None)
    elif pa.types.is_date(t):
        value = _dt.date(1970, 1, 1)
    else:
        return pa.nulls(1, t)
    return pa.array([value], t)


def _features(job: Job, table: pa.Table) -> Any:
    """The model's input: the feature columns as a table (a model fitted on
    a DataFrame, read as the local call reads a table), or as a matrix in
    the order of ``features`` (a model fitted on an array)."""
    present = [c for c in job.features if c in table.column_names]
    if job.named:
        return table.select(present)
    if len(present) != len(job.features):
        missing = [c for c in job.features if c not in table.column_names]
        raise ColumnNotFoundError(f"features: column {missing[0]!r} not found; the DataFrame has {table.column_names}")
    return np.column_stack([table.column(c).to_numpy() for c in present]) if present else np.zeros((table.num_rows, 0))


def score_table(job: Job, model: Any, table: pa.Table) -> pa.Table:
    """The keys of ``table`` and the result of the local call on its rows."""
    keys = table.select(job.keys)
    if job.kind == "evaluate":
        from .lifecycle import evaluate

        cols = [c for c in table.column_names if c not in job.keys or c == job.options["customer"]]
        result: Any = evaluate(table.select(cols), rules=model, **job.options).customers
        result = result.drop_columns([job.options["customer"]])
        for name in keys.column_names:
            if name in result.column_names:
                raise InvalidParameterError(
                    f"invalid parameter keys: {name!r} is also a column of the result; rename it first"
                )
        return _joined(keys, result)
    x = _features(job, table)
    names = job.output_names(model)
    clash = [n for n in names if n in keys.column_names]
    if clash:
        raise InvalidParameterError(f"invalid parameter keys: {clash[0]!r} is also a column of the result; rename it")
    if job.kind == "clv":
        from . import _engine_clv

        return _joined(keys, _engine_clv.score_arrow(job.options, model, x))
    if job.kind == "predict":
        values = [model.predict(x)]
    elif job.kind == "apply":
        values = [np.asarray(model.apply(x), dtype=np.int64)]
    else:
        proba = np.asarray(model.predict_proba(x), dtype=np.float64)
        values = [proba[:, j] for j in range(proba.shape[1])]
    return _joined(keys, pa.table({n: _arrow(v) for n, v in zip(names, values, strict=True)}))


def _arrow(values: np.ndarray) -> pa.Array:
    """A prediction column as Arrow (object arrays of labels as text or
    their own Arrow type)."""
    return pa.array(values.tolist() if values.dtype == object else values)


def _joined(keys: pa.Table, result: pa.Table) -> pa.Table:
    if result.num_rows != keys.num_rows:
        raise InvalidInputError(f"scoring returned {result.num_rows} rows for {keys.num_rows}")
    for name in result.column_names:
        keys = keys.append_column(name, result.column(name))
    return keys


def evaluate_job(
    *,
    keys: Any,
    rules: Any,
    today: Any,
    customer: str,
    tier: str | None,
    contract_end: str | None,
) -> Job:
    """The job of lifecycle ``evaluate`` (rules read once, on the driver;
    ``today`` fixed on the driver, so that every worker uses the same day)."""
    from ._lifecycle_rules import _rules
    from ._params import as_str
    from ._tables import iso_date

    customer = as_str(customer, "customer")
    day = iso_date(today if today is not None else _dt.date.today(), "today")
    options = {
        "today": day,
        "customer": customer,
        "tier": None if tier is None else as_str(tier, "tier"),
        "contract_end": None if contract_end is None else as_str(contract_end, "contract_end"),
    }
    return Job("evaluate", _rules(rules), keys=customer if keys is None else keys, options=options)


def score_frame(job: Job, model: Any, frame: Any) -> Any:
    """:func:`score_table` on a pandas DataFrame (a Dask partition), with
    the local call on the pandas rows themselves; the result keeps the
    partition's index."""
    import pandas as pd

    keys = frame[job.keys]
    if job.kind == "evaluate":
        from .lifecycle import evaluate

        customer = job.options["customer"]
        cols = [c for c in frame.columns if c not in job.keys or c == customer]
        result: Any = evaluate(frame[cols], rules=model, **job.options).customers
        result = result.drop(columns=[customer])
        clash = [n for n in result.columns if n in keys.columns]
        if clash:
            raise InvalidParameterError(
                f"invalid parameter keys: {clash[0]!r} is also a column of the result; rename it"
            )
        result.index = frame.index
        return pd.concat([keys, result], axis=1)
    present = [c for c in job.features if c in frame.columns]
    if job.named:
        x: Any = frame[present]
    elif len(present) != len(job.features):
        missing = [c for c in job.features if c not in frame.columns]
        raise ColumnNotFoundError(f"features: column {missing[0]!r} not found; the DataFrame has {list(frame.columns)}")
    else:
        x = frame[present].to_numpy()
    names = job.output_names(model)
    clash = [n for n in names if n in keys.columns]
    if clash:
        raise InvalidParameterError(f"invalid parameter keys: {clash[0]!r} is also a column of the result; rename it")
    out = keys.copy()
    if job.kind == "clv":
        from . import _engine_clv

        for name, values in _engine_clv.scores(job.options, model, x).items():
            out[name] = values
        return out
    if job.kind == "predict":
        out[names[0]] = model.predict(x)
    elif job.kind == "apply":
        out[names[0]] = np.asarray(model.apply(x), dtype=np.int64)
    else:
        proba = np.asarray(model.predict_proba(x), dtype=np.float64)
        for j, name in enumerate(names):
            out[name] = proba[:, j]
    return out
