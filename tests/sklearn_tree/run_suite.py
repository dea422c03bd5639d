"""Runs scikit-learn's installed tree tests (``sklearn/tree/tests/
test_tree.py`` and ``test_monotonic_tree.py``) with ciblage's estimators
substituted, and writes the outcomes as JSON.

    python tests/sklearn_tree/run_suite.py OUT.json [-k EXPR]

The JSON holds ``sklearn`` (its version), ``counts`` (passed / failed /
skipped / xfailed ...), ``outcomes`` (test id -> outcome) and ``messages``
(test id -> the first line of its failure).
"""

from __future__ import annotations

import collections
import json
import os
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import substitute  # noqa: E402

MODULES = ("test_tree.py", "test_monotonic_tree.py")


def main(argv: list[str]) -> int:
    out, extra = argv[0], argv[1:]
    substitute.substitute()
    import sklearn

    tests = os.path.join(os.path.dirname(sklearn.__file__), "tree", "tests")
    plugin = substitute.Outcomes()
    with tempfile.TemporaryDirectory() as tmp:
        # An empty configuration: not ciblage's (warnings as errors) and
        # nothing written into site-packages (no cache).
        ini = os.path.join(tmp, "pytest.ini")
        with open(ini, "w") as f:
            f.write("[pytest]\n")
        args = [os.path.join(tests, m) for m in MODULES]
        args += ["-c", ini, "--rootdir", tmp, "-p", "no:cacheprovider", "-q", "--no-header", "-rN", *extra]
        pytest.main(args, plugins=[plugin])
    counts = collections.Counter(plugin.outcomes.values())
    with open(out, "w") as f:
        json.dump(
            {
                "sklearn": sklearn.__version__,
                "counts": dict(counts),
                "outcomes": plugin.outcomes,
                "messages": plugin.messages,
            },
            f,
            indent=1,
            sort_keys=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
