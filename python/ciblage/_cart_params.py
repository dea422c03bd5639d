"""CART's constructor parameters: their names, and their conversion and
checks as scikit-learn reads them (numpy scalars accepted, nothing
truncated)."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ._params import as_choice, as_float, as_int
from .exceptions import InvalidParameterError

# The parameters both estimators take (the classifier adds class_weight).
PARAMS = (
    "criterion",
    "max_depth",
    "min_samples_split",
    "min_samples_leaf",
    "min_weight_fraction_leaf",
    "max_features",
    "max_leaf_nodes",
    "min_impurity_decrease",
    "ccp_alpha",
    "random_state",
    "splitter",
    "max_bins",
    "n_threads",
    "categorical_features",
)


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


def criterion(value: Any, estimator_type: str) -> str:
    """The criterion of a classifier or a regressor, exactly as spelled."""
    choices = (
        ("gini", "entropy", "log_loss")
        if estimator_type == "classifier"
        else ("squared_error", "poisson", "absolute_error")
    )
    return as_choice(value, "criterion", choices)


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


def threads(value: Any) -> int | None:
    """``n_threads``: ``None`` or 1 to 4096, used up to the number of CPUs
    (trees do not depend on the thread count; a pool of thousands of
    threads took seconds to start and stayed alive)."""
    n = count("n_threads", value, 1, True, 4096)
    return None if n is None else min(n, os.cpu_count() or 1)


def ccp_alpha(value: Any) -> float:
    """``ccp_alpha``: a number >= 0 (``inf`` prunes to the root)."""
    if isinstance(value, (float, np.floating)) and value == np.inf:
        return float("inf")
    return as_float(value, "ccp_alpha", 0.0)


def samples(name: str, value: Any, minimum: int, n: int) -> int:
    """``min_samples_split``/``min_samples_leaf``: an integer, or as in
    scikit-learn a fraction of the rows (rounded up)."""
    if isinstance(value, (float, np.floating)) and not isinstance(value, bool):
        if not 0.0 < value <= 1.0:
            raise InvalidParameterError(f"invalid parameter {name}: a fraction must be in (0, 1], got {value}")
        return max(minimum, int(np.ceil(value * n)))
    return count(name, value, minimum, False)  # type: ignore[return-value]


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
