"""Type checking: mypy passes on the package (its configuration in
pyproject.toml) and on a user's script over the main entry points, whose
results have the types the overloads and annotations promise."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("mypy")

ROOT = Path(__file__).resolve().parent.parent

# A user's script: every entry point called as the documentation shows, and
# the types of what comes back asserted (polars is typed, so its overloads
# are checked precisely; pandas and pyarrow ship no type information).
USER_SCRIPT = """
from typing import Any

import numpy as np
import polars as pl
from typing_extensions import assert_type

import ciblage
from ciblage import lifecycle
from ciblage.plot import Display, GainsDisplay

tx = ciblage.datasets.transactions(customers=100, transactions=1_000, library="polars")
assert_type(tx, pl.DataFrame)
scores = ciblage.rfm(tx, bins=4)
assert_type(scores, pl.DataFrame)
assert_type(ciblage.rfm(tx.lazy()), pl.DataFrame)
assert_type(ciblage.customer_totals(tx), pl.DataFrame)
assert_type(ciblage.churn_flags(tx, days=180), pl.DataFrame)
assert_type(lifecycle.customer_state(tx, today="2024-07-01"), pl.DataFrame)

analysis = ciblage.rfm_analysis(tx)
assert_type(analysis, ciblage.RfmResult)
assert_type(analysis.plot(), Display)
tiers = ciblage.value_tiers(scores)
assert_type(tiers, ciblage.ValueTiers)
assert_type(ciblage.concentration(scores, value="monetary"), ciblage.Concentration)
retention = ciblage.retention(tx)
assert_type(retention, ciblage.RetentionResult)
assert_type(ciblage.migration(scores, scores, segment="segment"), ciblage.Migration)
result = lifecycle.evaluate(scores, today="2024-07-01")
assert_type(result, lifecycle.LifecycleResult)
assert_type(lifecycle.default_rules(), lifecycle.RuleSet)

X = np.zeros((10, 2))
y = np.arange(10) % 2
model = ciblage.CartClassifier(max_depth=2).fit(X, y)
assert_type(model, ciblage.CartClassifier)
assert_type(model.set_params(max_depth=3), ciblage.CartClassifier)
assert_type(ciblage.CartRegressor().fit(X, y.astype(float)), ciblage.CartRegressor)
assert_type(ciblage.ChaidClassifier().fit(X, y), ciblage.ChaidClassifier)
assert_type(GainsDisplay.from_estimator(model, X, y), GainsDisplay)
assert_type(model.plot(), Display)
assert_type(GainsDisplay.from_estimator(model, X, y).plot(), GainsDisplay)

report: dict[str, Any] = analysis.input_report
"""


def _mypy(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_package_type_checks() -> None:
    out = _mypy()
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Success: no issues found" in out.stdout


def test_a_users_script_type_checks_with_precise_results(tmp_path: Path) -> None:
    script = tmp_path / "user_script.py"
    script.write_text(textwrap.dedent(USER_SCRIPT))
    out = _mypy(str(script))
    assert out.returncode == 0, out.stdout + out.stderr


def test_a_wrong_use_of_a_result_is_reported(tmp_path: Path) -> None:
    # The results are not Any: a table used as a number is an error.
    script = tmp_path / "wrong.py"
    script.write_text(
        "import ciblage\n"
        "tx = ciblage.datasets.transactions(library='polars')\n"
        "n: int = ciblage.rfm(tx)\n"
        "m: str = ciblage.CartClassifier().fit([[0.0]], [1])\n"
    )
    out = _mypy(str(script))
    assert out.returncode == 1, out.stdout
    assert "wrong.py:3: error: Incompatible types in assignment" in out.stdout
    assert "wrong.py:4: error: Incompatible types in assignment" in out.stdout
