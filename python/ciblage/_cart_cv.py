"""rpart-style cross-validation of CART's pruning level
(``cost_complexity_cv``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _cart_input as cin
from . import _estimator as est
from ._cart_params import count, random_state_of
from .exceptions import InvalidParameterError


def cost_complexity_cv(model: Any, X: Any, y: Any, *, cv: Any, random_state: Any, sample_weight: Any) -> Any:
    """The table of ``CartClassifier.cost_complexity_cv`` /
    ``CartRegressor.cost_complexity_cv`` for the parameters of ``model``
    (which is left unfitted)."""
    import pandas as pd

    x, chosen = cin.encode_fit(type(model)(**model.get_params()), X)
    k = count("cv", cv, 2, False)
    assert k is not None
    rng = random_state_of(random_state)
    n = len(x)
    if k > n:
        raise InvalidParameterError(f"invalid parameter cv: {k} folds for {n} rows")
    yy = est.target_length(y, n)
    w = est.sample_weights(sample_weight, n)
    weights = np.ones(n) if w is None else w
    # Sub-models read the coded matrix, its categorical columns named.
    params = {**model.get_params(), "ccp_alpha": 0.0, "categorical_features": chosen}
    full = type(model)(**params).fit(x, yy, w)
    alphas, impurities = (np.asarray(v) for v in full.tree_.cost_complexity_pruning_path())
    reps = np.append(np.sqrt(alphas[:-1] * alphas[1:]), alphas[-1])
    classifier = model._estimator_type == "classifier"
    yv = yy if classifier else np.asarray(yy, dtype=np.float64)

    def loss(truth: np.ndarray, pred: np.ndarray) -> np.ndarray:
        return (truth != pred).astype(float) if classifier else (truth - pred) ** 2

    if classifier:
        values, counts = np.unique(yv, return_inverse=True)
        majority = values[np.argmax(np.bincount(counts, weights=weights))]
        root_loss = float(np.sum(weights * loss(yv, np.full(n, majority))))
    else:
        root_loss = float(np.sum(weights * loss(yv, np.full(n, np.average(yv, weights=weights)))))
    order = rng.permutation(n)
    folds = np.array_split(order, k)
    losses = np.zeros((len(reps), n))
    for fold, held in enumerate(folds):
        train = np.setdiff1d(order, held)
        if w is not None and not (w[train] > 0).any():
            raise InvalidParameterError(
                f"invalid parameter sample_weight: the rows outside fold {fold} all weigh zero: no tree can be "
                f"grown to score it (use fewer folds or more rows of positive weight)"
            )
        tree = type(model)(**params).fit(x[train], yv[train], None if w is None else w[train])
        for j, a in enumerate(reps):
            pruned = tree.tree_.pruned(float(a))
            value = pruned.value()[pruned.apply(cin.encode_predict(tree, x[held]))]
            pred = tree.classes_[np.argmax(value, axis=1)] if classifier else value[:, 0]
            losses[j, held] = weights[held] * loss(yv[held], pred)
    root_loss = root_loss if root_loss > 0 else 1.0
    xerror = losses.sum(axis=1) / root_loss
    # Standard error of the total loss, by rows (rpart's xstd).
    xstd = np.sqrt(((losses - losses.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)) / root_loss
    leaves = [full.tree_.pruned(float(a)).n_leaves for a in alphas]
    root_imp = float(impurities[-1]) if impurities[-1] > 0 else 1.0
    table = pd.DataFrame(
        {
            "ccp_alpha": alphas,
            "cp": alphas / root_imp,
            "n_leaves": leaves,
            "rel_error": impurities / root_imp,
            "xerror": xerror,
            "xstd": xstd,
        }
    )
    best = int(np.argmin(xerror))
    within = np.flatnonzero(xerror <= xerror[best] + xstd[best])
    table["min"] = np.arange(len(table)) == best
    table["one_se"] = np.arange(len(table)) == int(within.max())
    return table
