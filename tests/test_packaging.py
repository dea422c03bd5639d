"""The package as it is published: one version, metadata, and an import that
pulls in no optional dependency (issue 27)."""

from __future__ import annotations

import importlib.metadata
import pathlib
import subprocess
import sys
import textwrap

import pytest

import ciblage

tomllib = pytest.importorskip("tomllib")  # Python >= 3.11 (the checks only read TOML files)

ROOT = pathlib.Path(__file__).resolve().parent.parent
PUBLISHED_CRATES = ["ciblage", "ciblage-lifecycle"]

# The import names of every optional dependency: the extras of pyproject.toml
# (pandas, polars, plot, notebook) and the libraries some functions use when
# present (scikit-learn's tools, scipy's sparse matrices, IPython's display).
OPTIONAL = [
    "pandas",
    "polars",
    "matplotlib",
    "tqdm",
    "sklearn",
    "scipy",
    "IPython",
    "duckdb",
    "pyspark",
    "dask",
    "datasketches",
]


def _toml(path: pathlib.Path) -> dict:
    with path.open("rb") as f:
        return tomllib.load(f)


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120, cwd=ROOT
    )


def test_one_version_for_the_crates_and_the_python_package() -> None:
    workspace = _toml(ROOT / "Cargo.toml")["workspace"]["package"]["version"]
    for name in [*PUBLISHED_CRATES, "ciblage-python"]:
        package = _toml(ROOT / "crates" / name / "Cargo.toml")["package"]
        assert package["version"] == {"workspace": True}, name
    project = _toml(ROOT / "pyproject.toml")["project"]
    # maturin reads the version from Cargo.toml: pyproject.toml holds none of its own.
    assert "version" in project.get("dynamic", []) and "version" not in project
    assert ciblage.__version__ == workspace
    assert importlib.metadata.version("ciblage") == workspace


@pytest.mark.parametrize("name", PUBLISHED_CRATES)
def test_published_crate_metadata(name: str) -> None:
    crate = ROOT / "crates" / name
    package = _toml(crate / "Cargo.toml")["package"]
    for field in ["description", "readme", "keywords", "categories", "include"]:
        assert package.get(field), f"{name}: {field}"
    assert package.get("license") == {"workspace": True}
    assert _toml(ROOT / "Cargo.toml")["workspace"]["package"]["license"] == "MIT OR Apache-2.0"
    # The readme and the licences sit inside the crate directory (a path outside it is not packaged).
    assert (crate / package["readme"]).resolve().parent == crate
    for licence in ["LICENSE-MIT", "LICENSE-APACHE"]:
        assert (crate / licence).read_text() == (ROOT / licence).read_text()
    assert len(package["keywords"]) <= 5
    assert package.get("publish", True) is not False
    # No placeholder repository anywhere.
    assert "example.invalid" not in (crate / "Cargo.toml").read_text()
    assert "example.invalid" not in (ROOT / "Cargo.toml").read_text()
    # Test data stays out of the .crate.
    assert not any(pattern.lstrip("/").startswith(("tests", "proptest")) for pattern in package["include"])


def test_unpublished_crates() -> None:
    for path in ["crates/ciblage-python/Cargo.toml", "benches/Cargo.toml"]:
        assert _toml(ROOT / path)["package"]["publish"] is False, path


def test_import_loads_no_optional_dependency() -> None:
    # A fresh interpreter: this test session has already imported pandas and the others.
    result = _run(
        f"""
        import sys
        import ciblage, ciblage.cluster, ciblage.clv, ciblage.datasets, ciblage.exceptions
        import ciblage.lifecycle, ciblage.plot, ciblage.spark, ciblage.dask, ciblage.basket
        print(sorted(m for m in {OPTIONAL!r} if m in sys.modules))
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_works_with_no_optional_dependency_installed() -> None:
    # Every optional package made unimportable, as in an install without extras:
    # ciblage imports and scores a pyarrow table.
    result = _run(
        f"""
        import importlib.abc, sys

        class Absent(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {OPTIONAL!r}:
                    raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
                return None

        sys.meta_path.insert(0, Absent())
        import ciblage

        tx = ciblage.datasets.transactions(customers=50, transactions=400, library="pyarrow")
        scores = ciblage.rfm(tx, customer="customer_id", timestamp="timestamp", amount="amount", bins=5)
        print(type(scores).__module__.split(".")[0], scores.num_rows)
        """
    )
    assert result.returncode == 0, result.stderr
    # 50 customers asked for; the generator gives each at least one transaction.
    assert result.stdout.split() == ["pyarrow", "50"]


def test_engine_packages_import_no_engine() -> None:
    # ciblage.spark and ciblage.dask import PySpark and Dask at their first call only.
    result = _run(
        """
        import sys
        import ciblage, ciblage.spark, ciblage.dask
        print(sorted(m for m in ("pyspark", "dask", "distributed", "py4j") if m in sys.modules))
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_engine_extras_and_test_installs() -> None:
    project = _toml(ROOT / "pyproject.toml")["project"]
    extras = project["optional-dependencies"]
    assert any(r.startswith("pyspark>=4.1") for r in extras["spark"])
    assert any(r.startswith("dask[distributed]") for r in extras["dask"])
    # The KLL sketches of rfm(quantiles="kll") on both engines.
    assert all(any(r.startswith("datasketches") for r in extras[e]) for e in ("spark", "dask"))
    # `make test` on a fresh machine installs them (the test extra and the Makefile's list).
    for requirement in ("pyspark>=4.1", "dask[distributed]", "datasketches"):
        assert any(r.startswith(requirement) for r in extras["test"]), requirement
        assert f'"{requirement}' in (ROOT / "Makefile").read_text(), requirement


def test_engine_functions_without_the_engine_name_the_extra() -> None:
    result = _run(
        """
        import importlib.abc, sys

        class Absent(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("pyspark", "dask", "distributed"):
                    raise ModuleNotFoundError(f"No module named {name!r}", name=name)
                return None

        sys.meta_path.insert(0, Absent())
        import ciblage.spark, ciblage.dask

        for call in (lambda: ciblage.spark.session(), lambda: ciblage.dask.predict(None, None)):
            try:
                call()
            except ImportError as e:
                print(e)
        """
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2, result.stdout
    assert "pip install 'ciblage[spark]'" in lines[0]
    assert "pip install 'ciblage[dask]'" in lines[1]


def test_spark_session_without_java_names_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pyspark")
    import ciblage.spark
    from ciblage.exceptions import CiblageError

    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ciblage.spark.JavaNotFoundError, match="Java 17 or later.*openjdk-17") as info:
        ciblage.spark.session()
    assert isinstance(info.value, CiblageError)
    monkeypatch.setenv("JAVA_HOME", "/nonexistent-jdk")
    with pytest.raises(ciblage.spark.JavaNotFoundError, match="JAVA_HOME='/nonexistent-jdk' holds no bin/java"):
        ciblage.spark.session()
