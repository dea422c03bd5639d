"""The README's Python example runs as written."""

from __future__ import annotations

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]


def python_blocks(path: pathlib.Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S)


def test_readme_python_example_runs() -> None:
    blocks = python_blocks(ROOT / "README.md")
    assert blocks, "README.md has no python example"
    for code in blocks:
        exec(compile(code, "README.md", "exec"), {})


def test_docs_python_examples_run() -> None:
    for page in sorted((ROOT / "docs").glob("*.md")):
        for code in python_blocks(page):
            exec(compile(code, str(page), "exec"), {})


# The examples in the package's docstrings run as doctests.

PUBLIC_MODULES = (
    "ciblage",
    "ciblage.lifecycle",
    "ciblage.clv",
    "ciblage.cluster",
    "ciblage.datasets",
    "ciblage.basket",
    "ciblage.spark",
    "ciblage.dask",
)
#: Public names whose docstrings come from elsewhere: the native classes
#: (their documentation is the Rust side's and docs/*.md) and the
#: release-buffers hook.
WITHOUT_EXAMPLE = {"ciblage.release_buffers", "ciblage.SegmentTable", "ciblage.lifecycle.RuleSet"}


def _package_modules() -> list[str]:
    import pkgutil

    import ciblage

    names = ["ciblage"]
    for info in pkgutil.walk_packages(ciblage.__path__, "ciblage."):
        if not info.name.endswith("_native"):
            names.append(info.name)
    return names


def test_docstring_examples_run() -> None:
    import doctest
    import importlib

    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    failed, attempted = 0, 0
    for name in _package_modules():
        module = importlib.import_module(name)
        result = doctest.testmod(module, optionflags=flags, verbose=False, report=True)
        failed += result.failed
        attempted += result.attempted
    assert attempted > 20, attempted
    assert failed == 0, f"{failed} docstring example(s) failed (see the output above)"


def test_every_public_function_and_result_has_an_example() -> None:
    import importlib
    import inspect

    missing = []
    for name in PUBLIC_MODULES:
        module = importlib.import_module(name)
        for attr in module.__all__:
            obj = getattr(module, attr)
            if inspect.ismodule(obj) or not callable(obj):
                continue
            if inspect.isclass(obj) and issubclass(obj, BaseException):
                continue
            full = f"{name}.{attr}"
            if full in WITHOUT_EXAMPLE:
                continue
            if ">>>" not in (inspect.getdoc(obj) or ""):
                missing.append(full)
    assert not missing, f"no example in the docstring of {missing}"
