"""Executes the notebooks of docs/notebooks/ in place and renders them to HTML.

    python scripts/run_notebooks.py                  # execute every notebook in place (`make notebooks`)
    python scripts/run_notebooks.py tour.ipynb       # only some (names or paths)
    python scripts/run_notebooks.py --no-execute --html target/docs-html   # render as committed (`make docs`)

The kernel is the Python running this script (run it with the project's
.venv/bin/python): the notebooks import the ciblage built there. Volatile
metadata (execution timestamps, the Python version) is stripped so that a
re-run on unchanged code diffs only where an output changed.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import time
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "docs" / "notebooks"
#: The kernel spec name written into every notebook (the native kernel of the
#: running Python, see `kernel_env`).
KERNEL_NAME = "python3"
#: Figures drawn inline whatever MPLBACKEND the shell sets (Agg would show none).
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


def notebook_paths(names: list[str]) -> list[pathlib.Path]:
    """The notebooks named (bare names are looked up in docs/notebooks/), or all of them."""
    if not names:
        return sorted(NOTEBOOKS.glob("*.ipynb"))
    out = []
    for name in names:
        path = pathlib.Path(name)
        if not path.exists():
            path = NOTEBOOKS / name
        if not path.exists():
            raise SystemExit(f"no notebook {name!r} (looked in {NOTEBOOKS})")
        out.append(path)
    return out


def strip_volatile(nb: Any) -> Any:
    """Removes what changes on every run though the outputs do not: per-cell
    execution timestamps, the interpreter's version and the kernel's display name."""
    nb.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": "Python 3 (ipykernel)", "language": "python"}
    info = nb.metadata.get("language_info")
    if info is not None:
        nb.metadata["language_info"] = {k: v for k, v in info.items() if k not in ("version",)}
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("ExecuteTime", None)
    return nb


def kernel_env() -> dict[str, str]:
    """The kernel's environment: the running Python's, with inline figures.

    jupyter_client starts the native ``python3`` kernel with ``sys.executable``
    of this process, so running this script (or the tests) with the venv's
    Python makes the venv's interpreter the kernel."""
    env = dict(os.environ)
    env["MPLBACKEND"] = INLINE_BACKEND
    env.pop("PYTHONWARNINGS", None)
    return env


def execute(path: pathlib.Path, timeout: int = 600) -> Any:
    """Executes one notebook (working directory: its folder) and returns it,
    volatile metadata stripped. Raises nbclient's CellExecutionError on the
    first failing cell."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=KERNEL_NAME,
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute(env=kernel_env())
    return strip_volatile(nb)


def to_html(nb: Any) -> str:
    """The notebook as a standalone HTML page (nbconvert's lab template)."""
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    return body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", help="notebooks to run (default: all of docs/notebooks/)")
    parser.add_argument("--no-execute", action="store_true", help="do not execute, only render (with --html)")
    parser.add_argument("--html", metavar="DIR", help="also render each notebook to DIR/<name>.html")
    parser.add_argument("--timeout", type=int, default=600, help="seconds a cell may run (default 600)")
    args = parser.parse_args(argv)

    import nbformat

    html_dir = None if args.html is None else pathlib.Path(args.html)
    if html_dir is not None:
        html_dir.mkdir(parents=True, exist_ok=True)
    for path in notebook_paths(args.notebooks):
        if args.no_execute:
            nb = nbformat.read(path, as_version=4)
        else:
            t0 = time.perf_counter()
            nb = execute(path, args.timeout)
            nbformat.write(nb, path)
            print(f"executed {path.relative_to(ROOT)} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        if html_dir is not None:
            out = html_dir / (path.stem + ".html")
            out.write_text(to_html(nb), encoding="utf-8")
            print(f"rendered {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
