"""A pytest plugin that runs scikit-learn's installed tree tests with
ciblage's CART estimators in place of scikit-learn's trees.

The substitution is made in the ``sklearn.tree`` namespace before the test
modules are collected, so the names they import (``DecisionTreeClassifier``,
``tree.DecisionTreeRegressor``, ...) and the tables built from them at import
(``CLF_TREES``, ``REG_TREES``, ``ALL_TREES``, ``TREE_CLASSIFIER_CLASSES``, ...)
hold ciblage's classes. The modules that scikit-learn builds on trees
(ensembles, ...) are imported first and keep scikit-learn's own trees: the
forests the monotonic tests also parametrize over are scikit-learn's code,
so those tests are deselected (they measure scikit-learn, not ciblage).

``ExtraTreeClassifier`` / ``ExtraTreeRegressor`` become ciblage's
``ExtraCartClassifier`` / ``ExtraCartRegressor`` (the random splitter, with
scikit-learn's defaults).
"""

from __future__ import annotations

from typing import Any

# Imported before the substitution: they keep scikit-learn's trees.
import sklearn.ensemble  # noqa: F401
import sklearn.tree

from ciblage import CartClassifier, CartRegressor, ExtraCartClassifier, ExtraCartRegressor

# Forest classes the monotonic tests parametrize over (not ciblage's code).
FOREST_IDS = ("RandomForest", "ExtraTrees")

SUBSTITUTES = {
    "DecisionTreeClassifier": CartClassifier,
    "DecisionTreeRegressor": CartRegressor,
    "ExtraTreeClassifier": ExtraCartClassifier,
    "ExtraTreeRegressor": ExtraCartRegressor,
}


def substitute() -> None:
    """Puts ciblage's estimators in ``sklearn.tree`` (before collection)."""
    for name, cls in SUBSTITUTES.items():
        setattr(sklearn.tree, name, cls)


class Outcomes:
    """Collects the outcome of every test (the plugin object)."""

    def __init__(self) -> None:
        self.outcomes: dict[str, str] = {}
        self.messages: dict[str, str] = {}

    def pytest_collection_modifyitems(self, config: Any, items: list[Any]) -> None:
        kept = [it for it in items if not any(f in it.nodeid for f in FOREST_IDS)]
        dropped = [it for it in items if it not in kept]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
        items[:] = kept

    def pytest_runtest_logreport(self, report: Any) -> None:
        if report.when == "call" or report.outcome != "passed":
            if report.nodeid in self.outcomes and self.outcomes[report.nodeid] != "passed":
                return
            self.outcomes[report.nodeid] = report.outcome
            if report.outcome == "failed":
                crash = getattr(report.longrepr, "reprcrash", None)
                self.messages[report.nodeid] = crash.message if crash is not None else str(report.longrepr)[-300:]
