"""Every method of every estimator that needs a fit raises NotFittedError
before ``fit``, naming the estimator and the method; ciblage's class, a
ValueError and an AttributeError, and scikit-learn's NotFittedError."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError as SkNotFittedError

import ciblage
from ciblage.exceptions import InvalidParameterError, NotFittedError

ESTIMATORS = [ciblage.CartClassifier, ciblage.CartRegressor, ciblage.ChaidClassifier, ciblage.ChaidRegressor]
X = pd.DataFrame({"region": pd.Categorical(["n", "s", "e", "w"] * 10), "amount": np.arange(40.0)})
Y = np.arange(40) % 2

# Public methods that do not need a fit (each says why).
NO_FIT = {
    "fit": "fits",
    "get_params": "constructor parameters",
    "set_params": "constructor parameters",
    "cost_complexity_pruning_path": "fits a tree of its own",
    "cost_complexity_cv": "fits trees of its own",
}
# Methods a regression tree does not have: always an
# InvalidParameterError naming them (and hasattr is False).
REGRESSION_ABSENT = {"predict_proba", "predict_log_proba", "gains"}

# The arguments each method is called with.
ARGS: dict[str, tuple[Any, ...]] = {
    "apply": (X,),
    "predict": (X,),
    "predict_proba": (X,),
    "predict_log_proba": (X,),
    "decision_path": (X,),
    "score": (X, Y),
    "gains": (1,),
}


def _public(cls: type) -> list[str]:
    return sorted(n for n in dir(cls) if not n.startswith("_") and n not in ("classes_",))


def _cases() -> list[Any]:
    out = []
    for cls in ESTIMATORS:
        for name in _public(cls):
            if name in NO_FIT or (cls in (ciblage.ChaidRegressor, ciblage.CartRegressor) and name in REGRESSION_ABSENT):
                continue
            out.append(pytest.param(cls, name, id=f"{cls.__name__}.{name}"))
    return out


@pytest.mark.parametrize(("cls", "name"), _cases())
def test_method_before_fit(cls: type, name: str) -> None:
    model = cls()
    with pytest.raises(NotFittedError, match=rf"^this {cls.__name__} is not fitted yet: call fit before {name}$") as e:
        attr = getattr(model, name)  # a property raises here
        attr(*ARGS.get(name, ()))
    assert isinstance(e.value, SkNotFittedError)
    assert isinstance(e.value, ValueError) and isinstance(e.value, AttributeError)


def test_every_public_method_is_listed() -> None:
    # The cases cover every public method (a new one lands in the
    # parametrized test, or in NO_FIT with a reason).
    seen = {name for cls in ESTIMATORS for name in _public(cls)}
    covered = {p.values[1] for p in _cases()} | set(NO_FIT) | REGRESSION_ABSENT
    assert seen <= covered
    assert {"predict", "apply", "score", "export_text", "feature_importances_", "nodes", "gains"} <= covered


@pytest.mark.parametrize("name", sorted(REGRESSION_ABSENT))
def test_regression_chaid_has_no_class_methods(name: str) -> None:
    model = ciblage.ChaidRegressor()
    with pytest.raises(InvalidParameterError, match=rf"invalid parameter (target|{name})"):
        getattr(model, name)(*ARGS.get(name, ()))


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_fitted_estimator_passes(cls: type) -> None:
    y = Y.astype(float) if cls._estimator_type == "regressor" else Y
    model = cls(**({"min_parent": 2, "min_child": 1} if "Chaid" in cls.__name__ else {})).fit(X, y)
    assert len(model.predict(X)) == len(X)
    assert np.isfinite(model.score(X, y))
