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
