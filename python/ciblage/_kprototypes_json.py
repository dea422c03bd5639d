"""The JSON form of a fitted :class:`~ciblage.cluster.KPrototypes` or
:class:`~ciblage.cluster.KModes`: the native model (centres as category
codes) with what the estimator needs around it to read new rows (the
categorical columns, their categories, the feature names), every field
checked at load."""

from __future__ import annotations

import json
import math
import numbers
from typing import Any

import numpy as np

from . import _native
from ._params import as_str
from .exceptions import InvalidInputError, ModelFileError

#: The version of the estimator's JSON form this ciblage writes and reads.
VERSION = 1

#: The dtype kinds whose categories are written as JSON values.
_PLAIN_KINDS = "iufbU"


def _category_values(cats: np.ndarray, what: str) -> dict[str, Any]:
    """The categories of one column as ``{"dtype", "values"}``."""
    if cats.dtype.kind in _PLAIN_KINDS:
        return {"dtype": cats.dtype.str, "values": cats.tolist()}
    if cats.dtype.kind in "Mm":
        return {"dtype": cats.dtype.str, "values": cats.astype(str).tolist()}
    if cats.dtype.kind == "O":
        values = []
        for v in cats.tolist():
            v = v.item() if isinstance(v, np.generic) else v
            if not isinstance(v, (str, bool, int, float)):
                raise InvalidInputError(
                    f"to_json: {what} holds the category {v!r} of type {type(v).__name__}, which JSON cannot hold "
                    "(categories must be strings, numbers, booleans or dates)"
                )
            values.append(v)
        return {"dtype": "object", "values": values}
    raise InvalidInputError(f"to_json: {what} has categories of dtype {cats.dtype}, which JSON cannot hold")


def dumps(est: Any, what: str) -> str:
    """The fitted estimator ``est`` as JSON text."""
    return json.dumps(
        {
            "format": f"ciblage.{what}",
            "version": VERSION,
            "n_features_in": int(est.n_features_in_),
            "feature_names_in": (
                [str(c) for c in est.feature_names_in_] if hasattr(est, "feature_names_in_") else None
            ),
            "categorical": [int(j) for j in est._categorical],
            "categories": [
                _category_values(np.asarray(c), f"categorical column {j}")
                for j, c in zip(est._categorical, est.categories_, strict=True)
            ],
            "model": json.loads(est.model_.to_json()),
        },
        allow_nan=False,
    )


def _count(value: Any, name: str, bad: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise bad(f"{name}: expected an integer >= 1, got {value!r}")
    return int(value)


def _categories(spec: Any, t: int, bad: Any) -> np.ndarray:
    """The categories of the ``t``-th categorical column: non-empty,
    strictly increasing (the order predict's lookup needs), no NaN."""
    where = f"categories[{t}]"
    if not isinstance(spec, dict) or set(spec) != {"dtype", "values"}:
        raise bad(f"{where}: expected an object with 'dtype' and 'values'")
    dtype, values = spec["dtype"], spec["values"]
    if not isinstance(values, list) or not values:
        raise bad(f"{where}: expected a non-empty list of values")
    if dtype == "object":
        if any(not isinstance(v, (str, bool, int, float)) for v in values):
            raise bad(f"{where}: a category is not a string, number or boolean")
        cats = np.empty(len(values), dtype=object)
        cats[:] = values
    else:
        if not isinstance(dtype, str):
            raise bad(f"{where}: dtype {dtype!r} is not a dtype name")
        try:
            dt: np.dtype[Any] = np.dtype(dtype)
        except (TypeError, ValueError):
            raise bad(f"{where}: unknown dtype {dtype!r}") from None
        if dt.kind not in _PLAIN_KINDS + "Mm":
            raise bad(f"{where}: dtype {dtype!r} is not one of a category column")
        # Each value of the JSON type its dtype is written with (nothing
        # truncated or rounded on the way in).
        of_type = {
            "i": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "u": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "f": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
            "b": lambda v: isinstance(v, bool),
        }.get(dt.kind, lambda v: isinstance(v, str))
        if not all(of_type(v) for v in values):
            raise bad(f"{where}: a value is not of dtype {dtype!r}")
        if dt.kind == "U":
            dt = np.dtype(str)
        try:
            cats = np.asarray(values, dtype=dt)
        except (TypeError, ValueError, OverflowError) as e:
            raise bad(f"{where}: values cannot be read as {dtype}: {e}") from None
        if cats.ndim != 1:
            raise bad(f"{where}: expected a flat list of values")
    if any(isinstance(v, float) and math.isnan(v) for v in cats.tolist()) or (
        cats.dtype.kind in "Mm" and np.isnat(cats).any()
    ):
        raise bad(f"{where}: NaN is not a category")
    try:
        ordered = bool(np.all(cats[1:] > cats[:-1]))
    except TypeError:
        raise bad(f"{where}: categories of different types cannot be ordered") from None
    if not ordered:
        raise bad(f"{where}: categories must be distinct and in increasing order")
    return cats


def loads(text: Any, what: str, native: Any) -> tuple[dict[str, Any], Any]:
    """The checked fields of a file written by :func:`dumps` and the native
    model (read by ``native.from_json``, which checks it whole)."""
    name = what.replace("_", "-")

    def bad(reason: str) -> ModelFileError:
        return ModelFileError(f"invalid {name} model file: {reason}")

    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as e:
            raise bad(f"not UTF-8 text ({e})") from None
    text = as_str(text, "text")

    def no_constant(token: str) -> Any:
        raise bad(f"non-finite number {token}")

    try:
        f = json.loads(text, parse_constant=no_constant)
    except json.JSONDecodeError as e:
        raise bad(f"not JSON ({e})") from None
    except RecursionError:
        raise bad("not JSON (nested too deeply)") from None
    if not isinstance(f, dict):
        raise bad("expected a JSON object")
    keys = {"format", "version", "n_features_in", "feature_names_in", "categorical", "categories", "model"}
    if set(f) != keys:
        missing, extra = sorted(keys - set(f)), sorted(set(f) - keys)
        raise bad(f"fields differ from the expected ones (missing {missing}, unknown {extra})")
    if f["format"] != f"ciblage.{what}":
        raise bad(f"format {f['format']!r}, expected {'ciblage.' + what!r}")
    if f["version"] != VERSION or isinstance(f["version"], bool):
        raise bad(f"version {f['version']!r}, this ciblage reads version {VERSION}")
    d = _count(f["n_features_in"], "n_features_in", bad)
    names = f["feature_names_in"]
    if names is not None and (
        not isinstance(names, list) or len(names) != d or not all(isinstance(c, str) for c in names)
    ):
        raise bad(f"feature_names_in: expected null or {d} strings")
    cat_idx = f["categorical"]
    if not isinstance(cat_idx, list) or any(
        isinstance(j, bool) or not isinstance(j, int) or not 0 <= j < d for j in cat_idx
    ):
        raise bad(f"categorical: expected column positions from 0 to {d - 1}")
    if cat_idx != sorted(set(cat_idx)):
        raise bad("categorical: positions must be distinct and increasing")
    if what == "kmodes" and len(cat_idx) != d:
        raise bad("categorical: every column of a k-modes model is categorical")
    if what == "kprototypes" and not 0 < len(cat_idx) < d:
        raise bad("categorical: a k-prototypes model has both numeric and categorical columns")
    specs = f["categories"]
    if not isinstance(specs, list) or len(specs) != len(cat_idx):
        raise bad(f"categories: expected {len(cat_idx)} lists, one per categorical column")
    categories = [_categories(s, t, bad) for t, s in enumerate(specs)]
    if not isinstance(f["model"], dict):
        raise bad("model: expected a JSON object")
    model = native.from_json(json.dumps(f["model"]))
    centers_num = np.asarray(model.numeric_centers)
    centers_cat = np.asarray(model.categorical_centers)
    if centers_num.shape[1] != d - len(cat_idx) or centers_cat.shape[1] != len(cat_idx):
        raise bad(
            f"model: {centers_num.shape[1]} numeric and {centers_cat.shape[1]} categorical feature(s), "
            f"expected {d - len(cat_idx)} and {len(cat_idx)}"
        )
    for t, cats in enumerate(categories):
        if centers_cat.size and int(centers_cat[:, t].max()) >= len(cats):
            raise bad(f"model: a mode of categorical column {cat_idx[t]} is not one of its {len(cats)} categories")
    return {"n_features_in": d, "feature_names_in": names, "categorical": cat_idx, "categories": categories}, model


class SavedAsJson:
    """``to_json`` / ``from_json`` of the k-prototypes and k-modes
    estimators (``_what`` names the model; ``_model`` and ``_finish`` are
    the estimator's)."""

    #: The name of the model in its JSON form.
    _what = "kprototypes"
    _categorical: list[int]

    def _model(self, method: str) -> Any:
        raise NotImplementedError

    def _finish(self, model: Any) -> None:
        """Sets the fitted attributes from the native model."""
        raise NotImplementedError

    def to_json(self) -> str:
        """The fitted model as versioned JSON: the native model (centres,
        labels, cost) with the categorical columns, their categories and
        the feature names (categories: strings, numbers, booleans or dates)."""
        self._model("to_json")
        return dumps(self, self._what)

    @classmethod
    def from_json(cls, text: str) -> Any:
        """A fitted estimator from :meth:`to_json`'s text, checked whole
        (``ModelFileError`` naming what is wrong); its parameters are the
        defaults."""
        fields, model = loads(text, cls._what, _native.KPrototypesModel)
        out: Any = cls()
        out.n_features_in_ = fields["n_features_in"]
        if fields["feature_names_in"] is not None:
            out.feature_names_in_ = np.asarray(fields["feature_names_in"], dtype=object)
        out._categorical = fields["categorical"]
        out.categories_ = fields["categories"]
        out._finish(model)
        return out
