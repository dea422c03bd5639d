"""rpart-style cross-validation of CART's pruning level
(``cost_complexity_cv``): the parameters read here, the computation in the
native module (folds grown in parallel)."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _cart_input as cin
from . import _cart_params as cp
from . import _estimator as est
from . import _native
from ._progress import reporter
from .exceptions import InvalidParameterError


def _fixed_seed(random_state: Any) -> int | None:
    """The seed of an integer ``random_state`` (its folds are shuffled
    natively as numpy would); ``None`` for a ``RandomState`` or ``None``
    (whose permutation numpy draws)."""
    if random_state is None or isinstance(random_state, np.random.RandomState):
        return None
    cp.random_state_of(random_state)  # checks the range, names the parameter
    return int(random_state)


def cost_complexity_cv(
    model: Any, X: Any, y: Any, *, cv: Any, random_state: Any, sample_weight: Any, progress: Any = False
) -> Any:
    """The table of ``CartClassifier.cost_complexity_cv`` /
    ``CartRegressor.cost_complexity_cv`` for the parameters of ``model``
    (which is left unfitted)."""
    import pandas as pd

    probe = type(model)(**model.get_params())
    x, chosen = cin.encode_fit(probe, X)
    k = cp.count("cv", cv, 2, False)
    assert k is not None
    seed = _fixed_seed(random_state)
    rng = None if seed is not None else cp.random_state_of(random_state)
    n = x.shape[0]
    if k > n:
        raise InvalidParameterError(f"invalid parameter cv: {k} folds for {n} rows")
    yy = est.target_length(y, n)
    w = cin.sample_weights(sample_weight, n)
    target: dict[str, Any]
    class_weight: dict[str, Any] = {}
    if model._estimator_type == "classifier":
        classes, codes = est.class_target(yy, probe, n)
        target = {"y_codes": codes, "n_classes": len(classes)}
        if isinstance(model.class_weight, str) and model.class_weight == "balanced":
            class_weight = {"balanced": True}
        elif model.class_weight is not None:
            per_class = model._class_weights(classes, codes)
            class_weight = {"class_weight": [float(v) for v in per_class]}
    else:
        target = {"y_values": est.value_target(yy, probe, n)}
    # The parameters of each tree as its own fit would read them: the
    # full tree first, then (after the shuffle draws from a shared
    # generator, as before) each fold's, with fractions of its rows.
    d = x.shape[1]
    params = model._checked_params(n, d)
    fits = [(params["min_samples_split"], params["min_samples_leaf"], params["seed"])]
    order = None if rng is None else [int(i) for i in rng.permutation(n)]
    sizes = [len(f) for f in np.array_split(np.arange(n), k)]
    for size in sizes:
        p = model._checked_params(n - size, d)
        fits.append((p["min_samples_split"], p["min_samples_leaf"], p["seed"]))
    for name in ("min_samples_split", "min_samples_leaf", "seed", "ccp_alpha"):
        del params[name]
    alphas, cps, leaves, rel, xerror, xstd, best, one_se = _native.cart_cost_complexity_cv(
        x,
        **target,
        sample_weight=w,
        folds=k,
        seed=seed,
        order=order,
        fits=fits,
        categorical_features=chosen,
        progress=reporter(progress, f"{type(model).__name__}.cost_complexity_cv"),
        **class_weight,
        **params,
    )
    table = pd.DataFrame(
        {
            "ccp_alpha": np.asarray(alphas, dtype=np.float64),
            "cp": np.asarray(cps, dtype=np.float64),
            "n_leaves": np.asarray(leaves, dtype=np.int64),
            "rel_error": np.asarray(rel, dtype=np.float64),
            "xerror": np.asarray(xerror, dtype=np.float64),
            "xstd": np.asarray(xstd, dtype=np.float64),
        }
    )
    table["min"] = np.arange(len(table)) == best
    table["one_se"] = np.arange(len(table)) == one_se
    return table
