"""The notebooks of docs/notebooks/ run headless without errors or warnings,
are committed executed, and run on the project's Python (nbclient)."""

from __future__ import annotations

import importlib.util
import pathlib
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "docs" / "notebooks").glob("*.ipynb"))


def _runner():
    spec = importlib.util.spec_from_file_location("run_notebooks", ROOT / "scripts" / "run_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


run_notebooks = _runner()


def test_the_notebooks_are_there():
    names = {p.name for p in NOTEBOOKS}
    assert {"tour.ipynb", "rfm.ipynb", "churn.ipynb", "trees.ipynb", "clv.ipynb"} <= names


def _stderr(nb) -> list[str]:
    """Text every code cell wrote to stderr (warnings land there)."""
    return [
        "".join(out.get("text", ""))
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "stream" and out.get("name") == "stderr"
    ]


def _charts(nb) -> list[dict]:
    """The PNG images of matplotlib charts among the outputs."""
    return [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if "image/png" in out.get("data", {})
    ]


def _errors(nb) -> list[str]:
    return [
        f"{out.get('ename')}: {out.get('evalue')}"
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes_without_errors_or_warnings(path):
    # nbclient raises CellExecutionError on the first failing cell.
    nb = run_notebooks.execute(path, timeout=120)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "a notebook without code"
    assert all(c.execution_count is not None for c in code)
    assert _errors(nb) == []
    assert _stderr(nb) == [], f"{path.name} wrote to stderr (a warning?): {_stderr(nb)}"
    # Charts are drawn inline (a PNG), whatever MPLBACKEND the shell sets.
    assert _charts(nb), f"{path.name} drew no chart"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_committed_executed_and_clean(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    # Executed top to bottom in one run: counts 1, 2, 3, ...
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), "re-run `make notebooks`"
    assert _charts(nb), "committed without outputs"
    assert _errors(nb) == [] and _stderr(nb) == []
    # Volatile metadata stripped (timestamps, the Python version).
    assert all("execution" not in c.metadata for c in nb.cells)
    assert "version" not in nb.metadata.get("language_info", {})
    assert nb.metadata["kernelspec"]["name"] == run_notebooks.KERNEL_NAME
    # Markdown explains each step.
    assert sum(c.cell_type == "markdown" for c in nb.cells) >= len(code) // 2


def test_kernel_is_the_running_python(tmp_path):
    nb = new_notebook(cells=[new_code_cell("import sys, ciblage; print(sys.executable); print(ciblage.__file__)")])
    path = tmp_path / "kernel.ipynb"
    nbformat.write(nb, path)
    out = run_notebooks.execute(path, timeout=60)
    executable, module = out.cells[0].outputs[0]["text"].split()
    assert pathlib.Path(executable).resolve() == pathlib.Path(sys.executable).resolve()
    import ciblage

    assert pathlib.Path(module).resolve() == pathlib.Path(ciblage.__file__).resolve()


def test_kernel_shows_warnings_in_stderr(tmp_path):
    # The check above would pass vacuously if the kernel hid warnings.
    nb = new_notebook(cells=[new_code_cell("import warnings; warnings.warn('watch out', UserWarning)")])
    path = tmp_path / "warn.ipynb"
    nbformat.write(nb, path)
    out = run_notebooks.execute(path, timeout=60)
    assert any("watch out" in text for text in _stderr(out))


def test_html_rendering(tmp_path):
    assert run_notebooks.main(["--no-execute", "--html", str(tmp_path), str(NOTEBOOKS[0])]) == 0
    html = (tmp_path / (NOTEBOOKS[0].stem + ".html")).read_text(encoding="utf-8")
    assert "<html" in html and "jp-OutputArea" in html
