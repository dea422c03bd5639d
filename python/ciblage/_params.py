"""Parameter conversion shared by every public entry point.

Each converter takes the value and the parameter's name and either returns
the value in the type the native layer expects or raises
:class:`~ciblage.exceptions.InvalidParameterError` naming the parameter.
Nothing is truncated or guessed: ``2.7`` is not an integer, ``True`` is not
a number, ``"5"`` is not an integer. numpy scalars are accepted as the
Python numbers they hold.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .exceptions import InvalidParameterError


def _bad(name: str, expected: str, value: Any) -> InvalidParameterError:
    return InvalidParameterError(f"invalid parameter {name}: expected {expected}, got {value!r}")


def _range_text(low: float | None, high: float | None, what: str) -> str:
    if low is not None and high is not None:
        return f"{what} from {low:,} to {high:,}"
    if low is not None:
        return f"{what} of at least {low:,}"
    if high is not None:
        return f"{what} of at most {high:,}"
    return what


def as_int(value: Any, name: str, low: int | None = None, high: int | None = None) -> int:
    """An integer within ``[low, high]`` (either bound optional)."""
    expected = _range_text(low, high, "an integer")
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        # An integral float such as 5.0 is refused too: parameters that
        # count things are integers, and accepting 5.0 would invite 5.5.
        raise _bad(name, expected, value)
    v = int(value)
    if (low is not None and v < low) or (high is not None and v > high):
        raise _bad(name, expected, value)
    return v


def as_opt_int(value: Any, name: str, low: int | None = None, high: int | None = None) -> int | None:
    """``None`` or an integer within ``[low, high]``."""
    return None if value is None else as_int(value, name, low, high)


def as_float(
    value: Any,
    name: str,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """A finite real number within the bounds (open or closed)."""
    lo = "" if low is None else (f"> {low}" if low_open else f">= {low}")
    hi = "" if high is None else (f"< {high}" if high_open else f"<= {high}")
    expected = "a finite number" + (f" {lo}" if lo else "") + (" and" if lo and hi else "") + (f" {hi}" if hi else "")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise _bad(name, expected, value)
    v = float(value)
    if not math.isfinite(v):
        raise _bad(name, expected, value)
    if low is not None and (v <= low if low_open else v < low):
        raise _bad(name, expected, value)
    if high is not None and (v >= high if high_open else v > high):
        raise _bad(name, expected, value)
    return v


def as_bool(value: Any, name: str) -> bool:
    """A bool (numpy bools included); ``0``/``1`` and strings are refused."""
    import numpy as np

    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise _bad(name, "True or False", value)


def as_choice(value: Any, name: str, choices: Iterable[str]) -> str:
    """One of the given strings, exactly."""
    options = list(choices)
    if not isinstance(value, str) or value not in options:
        shown = ", ".join(repr(c) for c in options)
        raise _bad(name, f"one of {shown}", value)
    return value


def as_str(value: Any, name: str) -> str:
    """A string."""
    if not isinstance(value, str):
        raise _bad(name, "a string", value)
    return value


@dataclass(frozen=True)
class Param:
    """One parameter of an estimator's constructor or of a public function:
    the single statement of its type, range and default.

    ``kind`` names the conversion: ``"int"``, ``"opt_int"`` (``None`` or an
    int), ``"float"``, ``"opt_float"``, ``"bool"``, ``"choice"`` (one of
    ``choices``), or a kind of the estimator's own, converted by
    ``convert(value, param, context)``. ``low``/``high`` bound numbers
    (``low_open``/``high_open``: excluded). ``native`` names the argument
    of the native fit the value goes to (``None``: read in Python only),
    and ``native_checks`` the bounds (``"low"``, ``"high"``) or
    ``"choices"`` that the native side checks as well, with the same
    range (tests/test_params_table.py holds both sides to it). ``at_fit``
    is false for parameters checked with the data elsewhere
    (``categorical_features``, ``class_weight``, ``column_types``)."""

    name: str
    kind: str
    default: Any
    doc: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple[str, ...] = ()
    native: str | None = None
    native_checks: tuple[str, ...] = ()
    convert: Callable[[Any, Param, dict[str, Any]], Any] | None = None
    at_fit: bool = True


def _as_float_param(value: Any, p: Param) -> float:
    return as_float(value, p.name, p.low, p.high, low_open=p.low_open, high_open=p.high_open)


def convert(p: Param, value: Any, context: dict[str, Any] | None = None) -> Any:
    """``value`` of parameter ``p`` converted and checked against its
    table entry (``InvalidParameterError`` naming it)."""
    if p.convert is not None:
        return p.convert(value, p, context or {})
    low = None if p.low is None else int(p.low)
    high = None if p.high is None else int(p.high)
    if p.kind == "int":
        return as_int(value, p.name, low, high)
    if p.kind == "opt_int":
        return as_opt_int(value, p.name, low, high)
    if p.kind == "float":
        return _as_float_param(value, p)
    if p.kind == "opt_float":
        return None if value is None else _as_float_param(value, p)
    if p.kind == "bool":
        return as_bool(value, p.name)
    if p.kind == "choice":
        return as_choice(value, p.name, p.choices)
    raise NotImplementedError(f"parameter kind {p.kind!r} of {p.name} has no conversion")
