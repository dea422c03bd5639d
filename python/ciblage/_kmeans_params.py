"""The parameters of the k-means estimators (:mod:`ciblage._kmeans`): their
table entries and converters, and the ``prepare=`` option shared with
k-prototypes, ``choose_k`` and the stability check."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ._cart_params import random_state_of, threads
from ._params import Param, as_bool, as_choice, as_float, as_int
from .exceptions import InvalidParameterError

_PREPARE_KEYS = ("log1p", "rank", "winsorize", "standardize")


def _seed(value: Any, p: Param, context: dict[str, Any]) -> int:
    """A native seed (0 to 2**63 − 1) drawn from ``random_state`` (``None``:
    numpy's global generator, as scikit-learn)."""
    state = random_state_of(value, p.name)
    return int(state.randint(0, np.iinfo(np.int64).max, dtype=np.int64))


def _n_init(value: Any, p: Param, context: dict[str, Any]) -> int | None:
    """``"auto"`` (``None`` for the native side) or an integer >= 1."""
    if isinstance(value, str):
        if value == "auto":
            return None
        raise InvalidParameterError(f"invalid parameter n_init: expected 'auto' or an integer >= 1, got {value!r}")
    return as_int(value, "n_init", 1)


def _init(value: Any, p: Param, context: dict[str, Any]) -> tuple[str, np.ndarray | None]:
    """``"k-means++"``, ``"random"`` or an array of initial centres
    (``n_clusters`` × features, finite)."""
    if isinstance(value, str):
        return as_choice(value, "init", ("k-means++", "random")), None
    if callable(value):
        raise InvalidParameterError("invalid parameter init: a callable is not supported; pass the centres as an array")
    try:
        centres = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise InvalidParameterError(
            f"invalid parameter init: expected 'k-means++', 'random' or an array of centres, got {value!r} ({e})"
        ) from None
    k, d = context.get("k"), context.get("d")
    if centres.ndim != 2 or (k is not None and centres.shape[0] != k) or (d is not None and centres.shape[1] != d):
        raise InvalidParameterError(
            f"invalid parameter init: the initial centres have shape {centres.shape}, expected ({k}, {d}) "
            "(n_clusters rows, one column per feature)"
        )
    if not np.isfinite(centres).all():
        raise InvalidParameterError("invalid parameter init: the initial centres hold a non-finite value")
    return "array", np.ascontiguousarray(centres)


def _columns(spec: Any, key: str, names: list[str] | None, d: int) -> list[int]:
    """Column indices of ``prepare[key]``: names (with ``feature_names_in_``)
    or integer positions."""
    if isinstance(spec, (str, numbers.Integral)):
        spec = [spec]
    try:
        items = list(spec)
    except TypeError:
        raise InvalidParameterError(
            f"invalid parameter prepare: {key!r} expected a list of column names or positions, got {spec!r}"
        ) from None
    out = []
    for c in items:
        if isinstance(c, str):
            if names is None or c not in names:
                raise InvalidParameterError(
                    f"invalid parameter prepare: {key!r} names column {c!r}, which X does not have"
                    + (f" (it has {names})" if names else " (X has no column names)")
                )
            out.append(names.index(c))
        elif isinstance(c, numbers.Integral) and not isinstance(c, bool) and 0 <= int(c) < d:
            out.append(int(c))
        else:
            raise InvalidParameterError(
                f"invalid parameter prepare: {key!r} expected column names or positions from 0 to {d - 1}, got {c!r}"
            )
    if len(set(out)) != len(out):
        raise InvalidParameterError(f"invalid parameter prepare: {key!r} lists a column twice")
    return out


def _prepare(value: Any, p: Param | None, context: dict[str, Any]) -> dict[str, Any]:
    """``None`` or a dict of ``log1p`` / ``rank`` (columns), ``winsorize``
    (``(low, high)`` quantiles) and ``standardize`` (bool)."""
    out: dict[str, Any] = {"log1p": [], "rank": [], "winsorize": None, "standardize": False}
    if value is None:
        return out
    if not isinstance(value, dict):
        raise InvalidParameterError(
            f"invalid parameter prepare: expected None or a dict with keys {list(_PREPARE_KEYS)}, got {value!r}"
        )
    unknown = [k for k in value if k not in _PREPARE_KEYS]
    if unknown:
        raise InvalidParameterError(
            f"invalid parameter prepare: unknown key(s) {unknown}; known: {list(_PREPARE_KEYS)}"
        )
    names, d = context.get("names"), context.get("d", 0)
    for key in ("log1p", "rank"):
        if value.get(key) is not None:
            out[key] = _columns(value[key], key, names, d)
    w = value.get("winsorize")
    if w is not None:
        try:
            lo, hi = w
        except (TypeError, ValueError):
            raise InvalidParameterError(
                f"invalid parameter prepare: 'winsorize' expected (low, high) quantiles, got {w!r}"
            ) from None
        lo = as_float(lo, "prepare.winsorize", 0.0, 1.0)
        hi = as_float(hi, "prepare.winsorize", 0.0, 1.0)
        if not lo < hi:
            raise InvalidParameterError(f"invalid parameter prepare.winsorize: expected low < high, got ({lo}, {hi})")
        out["winsorize"] = (lo, hi)
    if "standardize" in value:
        out["standardize"] = as_bool(value["standardize"], "prepare.standardize")
    return out


def _threads(value: Any, p: Param, context: dict[str, Any]) -> int | None:
    return threads(value, 4096)


def _copy_x(value: Any, p: Param, context: dict[str, Any]) -> bool:
    return as_bool(value, "copy_x")


_COMMON_HEAD = (
    Param("n_clusters", "int", 8, "number of clusters (at most the rows)", low=1, native="n_clusters"),
    Param(
        "init",
        "init",
        "k-means++",
        "'k-means++', 'random' or an array of initial centres (n_clusters × features, prepared space)",
        convert=_init,
    ),
)
_RANDOM = Param(
    "random_state",
    "random_state",
    None,
    "None, an integer seed in [0, 2**32 - 1] or a RandomState: initialisations and batches",
    low=0,
    high=2**32 - 1,
    convert=_seed,
)
_PREPARE = Param(
    "prepare",
    "prepare",
    None,
    "None or a dict: log1p / rank (columns), winsorize ((low, high) quantiles), standardize (bool)",
    convert=_prepare,
)
_N_THREADS = Param("n_threads", "n_threads", None, "None (rayon's pool) or 1 to 4096 threads", convert=_threads)


def _names_of(X: Any) -> list[str] | None:
    """The column names of a DataFrame (pandas, polars) when all are strings."""
    cols = getattr(X, "columns", None)
    if cols is None or isinstance(X, np.ndarray):
        return None
    names = list(cols)
    return names if names and all(isinstance(c, str) for c in names) else None
