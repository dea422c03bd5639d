"""The estimators' parameter tables (python/ciblage/_base.py ``Param``): one
statement of each parameter's type, range and default, held to the
constructors' signatures, to the Python conversion, and to the native
checks at every bound the native side checks too (so the two can never
drift apart)."""

from __future__ import annotations

import inspect
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

import ciblage
from ciblage import _chaid_input, _native
from ciblage._base import Param, convert
from ciblage.exceptions import InvalidParameterError

ESTIMATORS = [ciblage.CartClassifier, ciblage.CartRegressor, ciblage.ChaidClassifier, ciblage.ChaidRegressor]
CONTEXT = {"n": 100, "d": 3}


def _specs(keep: Any = lambda p: True) -> list[Any]:
    return [pytest.param(cls, p, id=f"{cls.__name__}-{p.name}") for cls in ESTIMATORS for p in cls._params if keep(p)]


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_table_is_the_constructor(cls: type) -> None:
    # Same names, order and defaults as the explicit __init__ (which
    # scikit-learn reads), and get_params reads the table's names.
    sig = [p for p in inspect.signature(cls.__init__).parameters.values() if p.name != "self"]
    assert [p.name for p in sig] == [p.name for p in cls._params]
    for p, spec in zip(sig, cls._params, strict=True):
        assert p.kind is inspect.Parameter.KEYWORD_ONLY
        assert p.default == spec.default and type(p.default) is type(spec.default), spec.name
    assert cls().get_params() == {p.name: p.default for p in cls._params}
    assert all(p.doc for p in cls._params)


def _outside(value: float, down: bool, integer: bool) -> float:
    if integer:
        return value - 1 if down else value + 1
    return float(np.nextafter(value, -math.inf if down else math.inf))


def _integer(p: Param) -> bool:
    return p.kind in ("int", "opt_int", "samples", "max_features", "random_state")


def _bounds(p: Param) -> list[tuple[str, Any, bool]]:
    """(which bound, value, accepted) at and just outside every bound."""
    out = []
    integer = _integer(p)
    for which, bound, is_open, down in (("low", p.low, p.low_open, True), ("high", p.high, p.high_open, False)):
        if bound is None:
            continue
        bound = int(bound) if integer else float(bound)
        if is_open:
            out.append((which, bound, False))
            out.append((which, _outside(bound, not down, integer), True))
        else:
            out.append((which, bound, True))
            out.append((which, _outside(bound, down, integer), False))
    return out


# Parameters checked with the data (columns, labels) rather than by the
# table are left out here; their checks are in the catalogue tests.
@pytest.mark.parametrize(("cls", "p"), _specs(lambda p: p.at_fit))
def test_python_conversion_follows_the_table(cls: type, p: Param) -> None:
    convert(p, p.default, CONTEXT)
    for _which, value, accepted in _bounds(p):
        if accepted:
            convert(p, value, CONTEXT)
        else:
            with pytest.raises(InvalidParameterError, match=rf"^invalid parameter {p.name}\b"):
                convert(p, value, CONTEXT)
    for choice in p.choices:
        assert convert(p, choice, CONTEXT) == choice
    if p.choices:
        with pytest.raises(InvalidParameterError, match=rf"^invalid parameter {p.name}: expected one of"):
            convert(p, "nope", CONTEXT)


# --- The native side ------------------------------------------------------

X = np.array([[0.0, 1.0, 5.0], [1.0, 0.0, 3.0], [2.0, 1.0, 1.0], [3.0, 0.0, 0.0]] * 5)
CODES = np.array([0, 0, 1, 1] * 5, dtype=np.uint32)
VALUES = np.array([0.0, 1.0, 4.0, 5.0] * 5)
REGRESSION = ("squared_error", "poisson", "absolute_error")


def _cart_native(cls: type, name: str, value: Any) -> None:
    if name == "ccp_alpha":
        _native.cart_fit(X, y_codes=CODES, n_classes=2).pruned(value)
        return
    kwargs: dict[str, Any] = {name: value}
    if name == "max_bins":
        kwargs["splitter"] = "hist"  # bins are read by the histogram splitter
    regression = cls is ciblage.CartRegressor
    if regression and name != "criterion":
        kwargs["criterion"] = "squared_error"
    if regression:
        _native.cart_fit(X, y_values=VALUES, **kwargs)
    else:
        _native.cart_fit(X, y_codes=CODES, n_classes=2, **kwargs)


FRAME = pd.DataFrame(
    {"region": pd.Categorical(["n", "s", "e", "w"] * 25), "amount": np.arange(100.0), "visits": np.arange(100) % 7}
)


def _chaid_native(cls: type, name: str, value: Any) -> None:
    model = cls()
    cols = _chaid_input.columns(model, FRAME, fitting=True)
    spec = _chaid_input.fit_spec(cols, None)
    y = np.arange(100) % 2
    if cls is ciblage.ChaidRegressor:
        _native.chaid_fit(spec, np.zeros(100, dtype=np.uint32), [], y_values=y.astype(np.float64), **{name: value})
    else:
        _native.chaid_fit(spec, y.astype(np.uint32), ["0", "1"], **{name: value})


def _native_call(cls: type, name: str, value: Any) -> None:
    if cls in (ciblage.CartClassifier, ciblage.CartRegressor):
        _cart_native(cls, name, value)
    else:
        _chaid_native(cls, name, value)


# Parameters read in Python only (no native check of their range) are
# left out here.
@pytest.mark.parametrize(("cls", "p"), _specs(lambda p: p.native_checks))
def test_native_checks_have_the_tables_ranges(cls: type, p: Param) -> None:
    if "choices" in p.native_checks:
        for choice in p.choices:
            _native_call(cls, p.native or p.name, choice)
        with pytest.raises(InvalidParameterError, match=rf"^invalid parameter {p.name}\b"):
            _native_call(cls, p.native or p.name, "nope")
    for which, value, accepted in _bounds(p):
        if which not in p.native_checks:
            continue
        if accepted:
            _native_call(cls, p.native or p.name, value)
        else:
            with pytest.raises(InvalidParameterError, match=rf"^invalid parameter {p.name}\b"):
                _native_call(cls, p.native or p.name, value)


def test_every_native_check_is_on_a_declared_bound() -> None:
    # A native check names a bound (or the choices) that the table has.
    for cls in ESTIMATORS:
        for p in cls._params:
            for check in p.native_checks:
                assert check in ("low", "high", "choices"), (cls, p.name)
                if check == "choices":
                    assert p.choices, p.name
                else:
                    assert getattr(p, check) is not None, (cls, p.name, check)
                assert p.native is not None, p.name


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: ciblage.CartClassifier(max_depth=0), r"invalid parameter max_depth"),
        (lambda: ciblage.CartClassifier(max_bins=256), r"invalid parameter max_bins"),
        (lambda: ciblage.CartClassifier(n_threads=4097), r"invalid parameter n_threads"),
        (lambda: ciblage.CartClassifier(min_weight_fraction_leaf=0.51), r"invalid parameter min_weight_fraction_leaf"),
        (lambda: ciblage.CartClassifier(criterion="squared_error"), r"invalid parameter criterion"),
        (lambda: ciblage.CartRegressor(criterion="gini"), r"invalid parameter criterion"),
        (lambda: ciblage.CartClassifier(random_state=2**32), r"invalid parameter random_state"),
    ],
)
def test_fit_validates_through_the_table(make: Any, match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        make().fit(X, CODES if "Classifier" in type(make()).__name__ else VALUES)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: ciblage.ChaidClassifier(bins=5_001), r"invalid parameter bins"),
        (lambda: ciblage.ChaidClassifier(max_depth=2**31), r"invalid parameter max_depth"),
        (lambda: ciblage.ChaidClassifier(alpha_merge=0.0), r"invalid parameter alpha_merge"),
        (lambda: ciblage.ChaidClassifier(statistic="g2"), r"invalid parameter statistic"),
    ],
)
def test_chaid_fit_validates_through_the_table(make: Any, match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        make().fit(FRAME, np.arange(100) % 2)


# --- Parameters of the public functions -----------------------------------
# Each function's ranges are stated once, as a Param of its module; the
# native checks of the same parameters are held to them here.

from ciblage import _churn, _concentration, _rfm, datasets, lifecycle  # noqa: E402

TX = datasets.transactions(customers=40, transactions=300, seed=3)
COLUMNS = {"customer": "customer_id", "timestamp": "timestamp", "amount": "amount"}
VALUES_40 = np.arange(1.0, 41.0)

FUNCTION_PARAMS: list[tuple[Param, Any]] = [
    (_rfm.BINS, lambda v: _native.rfm_scores(TX, bins=v, **COLUMNS)),
    (_concentration.SHARE, lambda v: _native.Concentration(VALUES_40).top_share(v)),
    (_concentration.SHARE, lambda v: _native.Concentration(VALUES_40).customers_for_value(v)),
    (_concentration.LORENZ_POINTS, lambda v: _native.Concentration(VALUES_40).lorenz(v)),
    (
        _churn.CHURN_AFTER,
        lambda v: _native.retention(TX, period="month", week_start="monday", churn_after=v, **COLUMNS),
    ),
    (_churn.DAYS, lambda v: _native.churn_flags(TX, rule="days", days=v, multiple=3.0, fallback_days=365, **COLUMNS)),
    (
        _churn.FALLBACK_DAYS,
        lambda v: _native.churn_flags(TX, rule="median_gap", days=365, multiple=3.0, fallback_days=v, **COLUMNS),
    ),
    (
        _churn.MULTIPLE,
        lambda v: _native.churn_flags(TX, rule="median_gap", days=365, multiple=v, fallback_days=365, **COLUMNS),
    ),
    (lifecycle.WINDOW_DAYS, lambda v: _native.behaviour_change(TX, today="2024-01-01", window_days=v, **COLUMNS)),
    (datasets.CUSTOMERS, lambda v: _native.synthetic_transactions(customers=v, transactions=max(v, 1))),
    (datasets.TRANSACTIONS, lambda v: _native.synthetic_transactions(customers=1, transactions=v)),
    (datasets.SEED, lambda v: _native.synthetic_transactions(customers=1, transactions=2, seed=v)),
    (datasets.RETURN_RATE, lambda v: _native.synthetic_transactions(customers=1, transactions=2, return_rate=v)),
]
# Bounds whose acceptance is too costly to try (10 GB of rows each).
COSTLY = {("transactions", "high"), ("customers", "high")}


def _function_cases() -> list[Any]:
    return [pytest.param(p, call, id=f"{p.name}-{i}") for i, (p, call) in enumerate(FUNCTION_PARAMS)]


@pytest.mark.parametrize(("p", "call"), _function_cases())
def test_function_parameter_ranges(p: Param, call: Any) -> None:
    # Python: the bounds accepted, just outside refused, naming the parameter.
    for _which, value, accepted in _bounds(p):
        if accepted:
            convert(p, value)
        else:
            with pytest.raises(InvalidParameterError, match=rf"^invalid parameter {p.name}\b"):
                convert(p, value)
    # Native: the same at the bounds it checks; every bound Python accepts
    # is one the native side takes (no narrower native range).
    for which, value, accepted in _bounds(p):
        if accepted and (p.name, which) not in COSTLY:
            call(value)
        elif not accepted and which in p.native_checks:
            with pytest.raises(InvalidParameterError, match=rf"^invalid parameter {p.name}\b"):
                call(value)
