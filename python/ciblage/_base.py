"""The one estimator base of ciblage's trees (CART and CHAID): scikit-learn's
parameter protocol, representation, tags, fitted check and scores, without
importing scikit-learn."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np

from . import _estimator as est
from ._params import Param, convert
from .exceptions import ColumnTypeError, InvalidInputError, InvalidParameterError


def check_params(estimator: Any, **context: Any) -> dict[str, Any]:
    """Every parameter of ``estimator`` checked at fit, in table order: the
    one validation of the constructor parameters. Returns the converted
    values by parameter name (``context``: what some conversions depend
    on, e.g. the number of rows ``n`` and of features ``d``)."""
    return {p.name: convert(p, getattr(estimator, p.name), context) for p in type(estimator)._params if p.at_fit}


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b) and type(a) is type(b)
    except (TypeError, ValueError):
        return False


#: A method, whose signature a decorator keeps.
_Method = TypeVar("_Method", bound=Callable[..., Any])


def needs_fit(method: _Method) -> _Method:
    """Marks a method that needs a fitted estimator: before ``fit`` it
    raises :class:`~ciblage.exceptions.NotFittedError` naming the
    estimator and the method (its signature and return type kept)."""

    @functools.wraps(method)
    def checked(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not hasattr(self, "tree_"):
            raise est.not_fitted(self, method.__name__)
        return method(self, *args, **kwargs)

    return cast(_Method, checked)


#: A tree estimator's own class: ``fit`` and ``set_params`` return the estimator.
_Estimator = TypeVar("_Estimator", bound="TreeEstimator")


class TreeEstimator:
    """What every tree estimator shares: ``get_params``/``set_params`` over
    the constructor's parameters, a ``repr`` showing the changed ones,
    scikit-learn's tags (built only when scikit-learn asks) and
    ``NotFittedError`` before ``fit``."""

    _estimator_type = ""
    # The constructor's parameters (each estimator's own table).
    _params: tuple[Param, ...] = ()
    # Whether NaN in X is read as a missing value (scikit-learn's tag).
    _allow_nan = True
    # scikit-learn's regressor tag poor_score: the default parameters are
    # not meant to fit its small test sets well.
    _poor_score = False

    def _param_names(self) -> tuple[str, ...]:
        """The constructor's parameter names, from the estimator's table."""
        return tuple(p.name for p in type(self)._params)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor's parameters (scikit-learn convention)."""
        return {k: getattr(self, k) for k in self._param_names()}

    def set_params(self: _Estimator, **params: Any) -> _Estimator:
        """Sets constructor parameters; unknown names raise InvalidParameterError."""
        for k, v in params.items():
            if k not in self._param_names():
                raise InvalidParameterError(f"invalid parameter {k}: {type(self).__name__} has no such parameter")
            setattr(self, k, v)
        return self

    def __repr__(self) -> str:
        defaults = type(self)().get_params()
        changed = [f"{k}={v!r}" for k, v in self.get_params().items() if not _same(v, defaults[k])]
        return f"{type(self).__name__}({', '.join(changed)})"

    def __sklearn_tags__(self) -> Any:
        tags = est.sklearn_tags(self._estimator_type, allow_nan=self._allow_nan)
        if tags.regressor_tags is not None:
            tags.regressor_tags.poor_score = self._poor_score
        return tags

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "tree_")

    def _fitted(self, method: str = "") -> Any:
        """The fitted tree, or ``NotFittedError`` naming ``method``."""
        if not hasattr(self, "tree_"):
            raise est.not_fitted(self, method)
        return self.tree_

    def fit(self: _Estimator, X: Any, y: Any, sample_weight: Any = None) -> _Estimator:
        """Grows the tree (each estimator's own)."""
        raise NotImplementedError

    def predict(self, X: Any) -> np.ndarray:
        """Predictions of every row (each estimator's own)."""
        raise NotImplementedError


class ClassifierScore:
    """``score`` of a classifier: weighted accuracy."""

    @needs_fit
    def score(self: Any, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Accuracy of :meth:`predict` on ``X`` against ``y`` (weighted by
        ``sample_weight``)."""
        pred = self.predict(X)
        yy = est.class_labels(y, len(pred))
        _check_label_kind(yy, self.classes_)
        return est.accuracy(yy, pred, est.checked_weights(sample_weight, len(pred)))


def _is_text(labels: np.ndarray) -> bool:
    kind = labels.dtype.kind
    if kind in "US":
        return True
    return kind == "O" and est._object_kind(labels) in ("string", "bytes")


def _check_label_kind(y: np.ndarray, classes: np.ndarray) -> None:
    """Text labels scored against numeric classes (or the reverse) would
    match no row and give an accuracy of 0: refused, as scikit-learn's
    ``accuracy_score`` refuses a mix of label types."""
    if len(y) and _is_text(y) != _is_text(classes):
        what = ("text", "numbers") if _is_text(y) else ("numbers", "text")
        raise InvalidInputError(
            f"y: labels are {what[0]} but the classes seen in fit are {what[1]} "
            f"({list(classes[:5])}{', ...' if len(classes) > 5 else ''}): no label can match a class"
        )


class RegressorScore:
    """``score`` of a regressor: weighted coefficient of determination."""

    @needs_fit
    def score(self: Any, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Coefficient of determination R² of :meth:`predict` on ``X``
        against ``y`` (weighted by ``sample_weight``)."""
        pred = self.predict(X)
        raw = est.target_length(y, len(pred))
        try:
            est._check_real(raw, "y")
            yy = np.asarray(raw, dtype=np.float64)
        except ColumnTypeError as e:
            raise InvalidInputError(str(e)) from None
        except (TypeError, ValueError) as e:
            raise InvalidInputError(f"y: cannot be read as numbers ({e})") from e
        est._check_finite_target(yy)
        return est.r2(yy, pred, est.checked_weights(sample_weight, len(pred)))


class _UnavailableError(InvalidParameterError, AttributeError):
    """A method that does not exist for this kind of estimator: an
    :class:`InvalidParameterError` naming it, and an ``AttributeError`` so
    that ``hasattr`` (and scikit-learn's duck typing) sees it absent."""


class unavailable:
    """A class attribute standing for a method the estimator does not have
    (as scikit-learn's ``available_if``): reading it raises an error that
    names the method and says why."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self  # read on the class (documentation tools)
        raise _UnavailableError(f"invalid parameter {self.name}: {self.reason}")
