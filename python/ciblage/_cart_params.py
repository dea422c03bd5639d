"""CART's constructor parameters: their table (name, kind, range, default)
and the conversions of CART's own kinds, as scikit-learn reads them (numpy
scalars accepted, nothing truncated)."""

from __future__ import annotations

import dataclasses
import os
import warnings
from typing import Any

import numpy as np

from ._params import Param, as_float, as_int
from .exceptions import InvalidParameterError


def random_state_of(random_state: Any, name: str = "random_state") -> np.random.RandomState:
    """A ``RandomState`` for ``None``, an integer seed in [0, 2**32 − 1]
    (numpy integers too) or a ``RandomState``."""
    if isinstance(random_state, np.random.RandomState):
        return random_state
    if random_state is None:
        return np.random.mtrand._rand
    return np.random.RandomState(as_int(random_state, name, 0, 2**32 - 1))


def seed(random_state: Any) -> int:
    """scikit-learn's internal tree seed for a `random_state`."""
    return int(random_state_of(random_state).randint(0, np.iinfo(np.int32).max))


def regression_criterion(criterion: Any) -> Any:
    """scikit-learn 1.9's deprecated ``"friedman_mse"``: mapped to
    ``"squared_error"`` when the regressor is made, with scikit-learn's
    ``FutureWarning`` and wording (both give the same splits); any other
    value unchanged."""
    if isinstance(criterion, str) and criterion == "friedman_mse":
        warnings.warn(
            'Value `"friedman_mse"` for `criterion` is deprecated and will be '
            'removed in 1.11. It maps to `"squared_error"` as both '
            'were always equivalent. Use `criterion="squared_error"` '
            "to remove this warning.",
            FutureWarning,
            stacklevel=3,
        )
        return "squared_error"
    return criterion


def count(name: str, value: Any, minimum: int, optional: bool, maximum: int = 2**63 - 1) -> int | None:
    """An integer parameter from ``minimum`` to ``maximum`` (``None`` when
    optional); numpy integers are accepted, bools and floats refused. The
    default maximum, 2**63 − 1, is the native side's largest size."""
    if value is None and optional:
        return None
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, (int, np.integer))
        or value < minimum
        or (maximum is not None and value > maximum)
    ):
        # The native limit is named only when it is the one exceeded.
        named = maximum != 2**63 - 1 or (isinstance(value, (int, np.integer)) and value > maximum)
        expected = f"an integer >= {minimum}" + (f" and <= {maximum}" if named else "")
        expected += " or None" if optional else ""
        raise InvalidParameterError(f"invalid parameter {name}: expected {expected}, got {value!r}")
    return int(value)


def threads(value: Any, maximum: int) -> int | None:
    """``n_threads``: ``None`` or 1 to ``maximum`` (the table's 4096), used
    up to the number of CPUs (trees do not depend on the thread count; a
    pool of thousands of threads took seconds to start and stayed alive)."""
    n = count("n_threads", value, 1, True, maximum)
    return None if n is None else min(n, os.cpu_count() or 1)


def ccp_alpha(value: Any) -> float:
    """``ccp_alpha``: a number >= 0 (``inf`` prunes to the root)."""
    if isinstance(value, (float, np.floating)) and value == np.inf:
        return float("inf")
    return as_float(value, "ccp_alpha", 0.0)


def samples(name: str, value: Any, minimum: int, n: int) -> int:
    """``min_samples_split``/``min_samples_leaf``: an integer, or as in
    scikit-learn a fraction of the rows (rounded up). A bad value gets
    scikit-learn's wording, after the parameter's name."""
    if isinstance(value, (float, np.floating)) and not isinstance(value, bool):
        if 0.0 < value <= 1.0:
            return max(minimum, int(np.ceil(value * n)))
    elif isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)) and value >= minimum:
        # Past the native side's largest size: refused, naming that limit.
        return count(name, value, minimum, False)  # type: ignore[return-value]
    raise InvalidParameterError(
        f"invalid parameter {name}: the '{name}' parameter must be an int in the range [{minimum}, inf) "
        f"or a float in the range (0.0, 1.0], got {value!r}"
    )


def max_features(value: Any, d: int) -> int | None:
    """The number of features to search at each node, as scikit-learn reads
    ``max_features``: ``None`` (all), an int, a fraction, ``"sqrt"``, ``"log2"``."""
    if value is None:
        return None
    if isinstance(value, str):
        if value not in ("sqrt", "log2"):
            raise InvalidParameterError(
                f'invalid parameter max_features: expected None, an int, a float in (0, 1], "sqrt" or '
                f'"log2", got {value!r}'
            )
        return max(1, int(np.sqrt(d) if value == "sqrt" else np.log2(d)))
    if isinstance(value, (bool, np.bool_)):
        raise InvalidParameterError(f"invalid parameter max_features: got {value!r}")
    if isinstance(value, (int, np.integer)):
        if not 0 < value <= d:
            raise InvalidParameterError(f"invalid parameter max_features: must be in [1, {d}], got {value}")
        return int(value)
    if isinstance(value, (float, np.floating)):
        if not 0.0 < value <= 1.0:
            raise InvalidParameterError(f"invalid parameter max_features: a fraction must be in (0, 1], got {value}")
        return max(1, int(value * d))
    raise InvalidParameterError(f"invalid parameter max_features: got {value!r}")


def monotonic_cst(value: Any, d: int) -> list[int] | None:
    """``monotonic_cst`` checked against the ``d`` features: None, or one
    of -1, 0, 1 per feature (scikit-learn's messages)."""
    if value is None:
        return None
    if isinstance(value, (str, bytes, dict)):
        raise InvalidParameterError(
            f"invalid parameter monotonic_cst: expected None or an array-like of -1, 0 or 1, got {value!r}"
        )
    try:
        cst = np.asarray(value)
    except (TypeError, ValueError) as e:
        raise InvalidParameterError(f"invalid parameter monotonic_cst: not an array-like ({e})") from None
    if cst.ndim != 1:
        raise InvalidParameterError(
            f"invalid parameter monotonic_cst: expected one constraint per feature (1-D), got shape {cst.shape}"
        )
    if cst.shape[0] != d:
        raise InvalidParameterError(
            f"invalid parameter monotonic_cst: monotonic_cst has shape {cst.shape[0]} but the input data "
            f"X has {d} features."
        )
    try:
        valid = np.isin(cst, (-1, 0, 1)) if cst.dtype.kind in "biuf" else np.zeros(cst.shape, bool)
    except TypeError:
        valid = np.zeros(cst.shape, bool)
    if not valid.all():
        try:
            shown: Any = np.unique(cst)
        except TypeError:
            shown = cst
        raise InvalidParameterError(
            "invalid parameter monotonic_cst: monotonic_cst must be None or an array-like of -1, 0 or 1, "
            f"but got {shown}"
        )
    return [int(c) for c in cst]


def _count(value: Any, p: Param, context: dict[str, Any]) -> int | None:
    low = int(p.low) if p.low is not None else 0
    return count(p.name, value, low, p.kind == "opt_int", int(p.high) if p.high is not None else 2**63 - 1)


def _samples(value: Any, p: Param, context: dict[str, Any]) -> int:
    return samples(p.name, value, int(p.low or 0), context["n"])


def _criterion(choices: tuple[str, ...], default: str) -> Param:
    return Param(
        "criterion",
        "choice",
        default,
        "the split quality measure",
        choices=choices,
        native="criterion",
        native_checks=("choices",),
    )


# The parameters both estimators take, after the criterion, in the
# constructors' order (the classifier adds class_weight before ccp_alpha).
_COMMON_HEAD = (
    Param(
        "max_depth",
        "opt_int",
        None,
        "maximum depth (None: unlimited)",
        low=1,
        native="max_depth",
        native_checks=("low",),
        convert=_count,
    ),
    Param(
        "min_samples_split",
        "samples",
        2,
        "minimum rows to split a node: an integer >= 2, or a fraction of the rows in (0, 1]",
        low=2,
        native="min_samples_split",
        native_checks=("low",),
        convert=_samples,
    ),
    Param(
        "min_samples_leaf",
        "samples",
        1,
        "minimum rows in a leaf: an integer >= 1, or a fraction of the rows in (0, 1]",
        low=1,
        native="min_samples_leaf",
        native_checks=("low",),
        convert=_samples,
    ),
    Param(
        "min_weight_fraction_leaf",
        "float",
        0.0,
        "minimum share of the total weight in a leaf",
        low=0.0,
        high=0.5,
        native="min_weight_fraction_leaf",
        native_checks=("low", "high"),
    ),
    Param(
        "max_features",
        "max_features",
        None,
        'features searched per node: None (all), an integer in [1, d], a fraction in (0, 1], "sqrt" or "log2"',
        low=1,
        native="max_features",
        native_checks=("low",),
        convert=lambda v, p, c: max_features(v, c["d"]),
    ),
    Param(
        "max_leaf_nodes",
        "opt_int",
        None,
        "grow best first up to this many leaves (None: depth first, unlimited)",
        low=2,
        native="max_leaf_nodes",
        native_checks=("low",),
        convert=_count,
    ),
    Param(
        "min_impurity_decrease",
        "float",
        0.0,
        "a split must decrease the weighted impurity by at least this",
        low=0.0,
        native="min_impurity_decrease",
        native_checks=("low",),
    ),
)
_COMMON_TAIL = (
    Param(
        "ccp_alpha",
        "ccp_alpha",
        0.0,
        "minimal cost-complexity pruning level (inf: the root)",
        low=0.0,
        native="ccp_alpha",
        native_checks=("low",),
        convert=lambda v, p, c: ccp_alpha(v),
    ),
    Param(
        "random_state",
        "random_state",
        None,
        "None, an integer seed in [0, 2**32 - 1] or a RandomState: the order of features at ties",
        low=0,
        high=2**32 - 1,
        convert=lambda v, p, c: seed(v),
    ),
    Param(
        "splitter",
        "choice",
        "best",
        '"best" (exact thresholds), "random" (one random threshold per drawn feature) or "hist" '
        "(thresholds between bins)",
        choices=("best", "random", "hist"),
        native="splitter",
        native_checks=("choices",),
    ),
    Param(
        "max_bins",
        "int",
        255,
        'bins per feature of the "hist" splitter',
        low=2,
        high=255,
        native="max_bins",
        native_checks=("low", "high"),
        convert=_count,
    ),
    Param(
        "n_threads",
        "opt_int",
        None,
        "threads of the fit (None: all cores), at most 4096, used up to the number of CPUs",
        low=1,
        high=4096,
        native="n_threads",
        native_checks=("low",),
        convert=lambda v, p, c: threads(v, int(p.high or 4096)),
    ),
    Param(
        "categorical_features",
        "columns",
        "from_dtype",
        '"from_dtype", None, or the names or positions of the categorical columns',
        at_fit=False,
    ),
    Param(
        "monotonic_cst",
        "monotonic_cst",
        None,
        "None, or one of -1 (falling), 0 (free), 1 (rising) per feature: the prediction "
        "(a classifier's probability of its second class) is monotone in each constrained feature",
        native="monotonic_cst",
        convert=lambda v, p, c: monotonic_cst(v, c["d"]),
    ),
)
_CLASS_WEIGHT = Param(
    "class_weight",
    "class_weight",
    None,
    'None, "balanced" or a mapping {label: weight >= 0}, multiplied into sample_weight',
    at_fit=False,
)

CLASSIFIER_PARAMS: tuple[Param, ...] = (
    _criterion(("gini", "entropy", "log_loss"), "gini"),
    *_COMMON_HEAD,
    _CLASS_WEIGHT,
    *_COMMON_TAIL,
)
REGRESSOR_PARAMS: tuple[Param, ...] = (
    _criterion(("squared_error", "poisson", "absolute_error"), "squared_error"),
    *_COMMON_HEAD,
    *_COMMON_TAIL,
)


def _with_defaults(params: tuple[Param, ...], **defaults: Any) -> tuple[Param, ...]:
    """``params`` with other defaults for the parameters named."""
    return tuple(dataclasses.replace(p, default=defaults[p.name]) if p.name in defaults else p for p in params)


# scikit-learn's ExtraTreeClassifier / ExtraTreeRegressor defaults.
EXTRA_CLASSIFIER_PARAMS = _with_defaults(CLASSIFIER_PARAMS, splitter="random", max_features="sqrt")
EXTRA_REGRESSOR_PARAMS = _with_defaults(REGRESSOR_PARAMS, splitter="random", max_features=1.0)
