"""Targets of several outputs for CART (scikit-learn's 2-D ``y``): reading
``y`` column by column, ``class_weight`` per output, and the predictions
of every output."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import _estimator as est
from .exceptions import InvalidInputError, InvalidParameterError


def several(y: Any) -> np.ndarray | None:
    """``y`` as a 2-D array when it has several columns (outputs); ``None``
    for one output (1-D, or one column: read as 1-D by the usual checks)."""
    if y is None:
        return None
    try:
        shape = np.shape(y)
    except (TypeError, ValueError):
        return None
    if len(shape) != 2 or shape[1] < 2:
        return None
    yy = np.asarray(y)
    if yy.ndim != 2:
        return None
    return yy


def _rows(yy: np.ndarray, n: int) -> None:
    if yy.shape[0] != n:
        raise InvalidInputError(f"y: has {yy.shape[0]} rows for {n} rows of X")


def class_outputs(yy: np.ndarray, model: Any, n: int) -> tuple[list[np.ndarray], np.ndarray]:
    """Per output its classes (sorted), and the class codes (rows ×
    outputs, uint32, C order)."""
    _rows(yy, n)
    classes, codes = [], []
    for o in range(yy.shape[1]):
        try:
            c, k = est.class_target(yy[:, o], model, n)
        except (InvalidInputError, TypeError, ValueError) as e:
            raise type(e)(f"output {o} (column {o} of y): {e}") from e
        classes.append(c)
        codes.append(k)
    return classes, np.ascontiguousarray(np.column_stack(codes), dtype=np.uint32)


def value_outputs(yy: np.ndarray, model: Any, n: int) -> np.ndarray:
    """The targets as float64 (rows × outputs, C order)."""
    _rows(yy, n)
    cols = []
    for o in range(yy.shape[1]):
        try:
            cols.append(est.value_target(yy[:, o], model, n))
        except (InvalidInputError, TypeError, ValueError) as e:
            raise type(e)(f"output {o} (column {o} of y): {e}") from e
    return np.ascontiguousarray(np.column_stack(cols), dtype=np.float64)


def class_weights(
    model: Any, classes: list[np.ndarray], codes: np.ndarray, table: Callable[..., np.ndarray | None]
) -> np.ndarray | None:
    """Per row, the product over outputs of its class's weight in that
    output (scikit-learn's ``compute_sample_weight``): ``class_weight`` is
    ``"balanced"`` (each output balanced) or a list of one mapping per
    output; ``table(class_weight, classes, codes)`` gives one output's
    weight per class."""
    cw = model.class_weight
    if cw is None:
        return None
    k = codes.shape[1]
    if isinstance(cw, str):
        per_output: list[Any] = [cw] * k
    elif isinstance(cw, dict) or not isinstance(cw, (list, tuple)):
        raise InvalidParameterError(
            "invalid parameter class_weight: For multi-output, class_weight should be a list of dicts, "
            f"or the string 'balanced' (got {type(cw).__name__})"
        )
    elif len(cw) != k:
        raise InvalidParameterError(
            "invalid parameter class_weight: For multi-output, number of elements in class_weight should "
            f"match number of outputs. ({len(cw)} for {k} outputs)"
        )
    else:
        per_output = list(cw)
    total = np.ones(codes.shape[0])
    for o in range(k):
        w = table(per_output[o], classes[o], codes[:, o])
        if w is not None:
            total = total * w[codes[:, o]]
    if not (total > 0).any():
        raise InvalidParameterError("invalid parameter class_weight: every row gets weight zero")
    return total


def predict_proba(model: Any, leaves: np.ndarray) -> list[np.ndarray]:
    """Per output, the class shares of every row's leaf (its own classes)."""
    value = model.tree_.value
    return [value[leaves, o, : len(c)] for o, c in enumerate(model.classes_)]


def predict_classes(model: Any, proba: list[np.ndarray]) -> np.ndarray:
    """Per row and output, the class of largest share (ties: the first), in
    an array of the first output's label type (as scikit-learn)."""
    n = proba[0].shape[0] if proba else 0
    out = np.zeros((n, len(proba)), dtype=model.classes_[0].dtype)
    for o, p in enumerate(proba):
        out[:, o] = model.classes_[o].take(np.argmax(p, axis=1), axis=0)
    return out


def r2_score(y: Any, pred: np.ndarray, sample_weight: Any) -> float:
    """Coefficient of determination averaged over outputs (scikit-learn's
    ``r2_score(multioutput="uniform_average")``)."""
    try:
        yy = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise InvalidInputError(f"y: cannot be read as numbers ({e})") from e
    if yy.shape != pred.shape:
        raise InvalidInputError(f"y: expected shape {pred.shape} (rows × outputs), got {yy.shape}")
    scores = [est.r2(yy[:, o], pred[:, o], est.checked_weights(sample_weight, len(pred))) for o in range(yy.shape[1])]
    return float(np.mean(scores))
