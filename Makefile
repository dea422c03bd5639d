# ciblage — two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MATURIN := VIRTUAL_ENV=$(abspath $(VENV)) PATH=$(abspath $(VENV))/bin:$$PATH $(VENV)/bin/maturin
export CARGO_TERM_COLOR := never
# Python sources that ruff lints and checks the formatting of.
PY_SRC := python tests benches/python examples scripts

.PHONY: demo test lint rust-test python-test develop develop-release bench fuzz clean notebooks docs sklearn-suite

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "maturin>=1.9,<2" "pytest>=8" "hypothesis>=6.100" "pandas>=2.2" "polars>=1.0" "pyarrow>=15" "numpy>=1.24" "mypy>=1.10" "scikit-learn>=1.5" "CHAID==5.5.1" "ruff>=0.17,<0.18" "matplotlib>=3.7" "scipy>=1.10" "mpmath>=1.3" "kmodes>=0.12" \
		"nbclient>=0.10" "nbformat>=5.9" "nbconvert>=7.16" "ipykernel>=6.29" "tqdm>=4.60" "duckdb>=1.1" "mlxtend>=0.23" \
		"pyspark>=4.1" "dask[distributed]>=2024.8" "datasketches>=5.2"
	touch $@

# The build the venv holds ("debug", "release", or "none").
INSTALLED = $$($(PY) -c "import ciblage; print(ciblage.build_info()['build'])" 2>/dev/null || echo none)

develop: $(VENV)/.installed
	$(MATURIN) develop -q
	@echo "ciblage installed in $(VENV): $(INSTALLED) build"

develop-release: $(VENV)/.installed
	$(MATURIN) develop -q --release
	@echo "ciblage installed in $(VENV): $(INSTALLED) build"

demo: develop-release
	$(PY) examples/tour.py

lint: $(VENV)/.installed
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	$(VENV)/bin/ruff check $(PY_SRC)
	$(VENV)/bin/ruff format --check $(PY_SRC)

# The benches are compiled (not run) with the test build's profile: they
# reuse its compiled dependencies instead of a whole optimised build.
rust-test:
	cargo test --workspace
	cargo test --workspace --benches --no-run

# Tests run on a debug build; a release build found installed (`make demo`)
# is put back afterwards (cargo keeps its artefacts: a relink).
python-test: $(VENV)/.installed
	@before=$(INSTALLED); \
	$(MATURIN) develop -q && $(PY) -m pytest -q && \
	$(PY) -m mypy.stubtest ciblage._native --allowlist .stubtest-allowlist; \
	status=$$?; \
	if [ "$$before" = release ]; then $(MATURIN) develop -q --release; fi; \
	echo "ciblage installed in $(VENV): $(INSTALLED) build"; \
	exit $$status

test: lint rust-test python-test

# Loaders of model, segment and rule files fed random mutations of valid
# files: 100,000 cases each in release mode (`make test` runs 256).
FUZZ_CASES ?= 100000
fuzz:
	CIBLAGE_FUZZ_CASES=$(FUZZ_CASES) cargo test --release -p ciblage --lib fuzz
	CIBLAGE_FUZZ_CASES=$(FUZZ_CASES) cargo test --release -p ciblage-lifecycle --lib fuzz

bench: develop-release
	cargo bench
	$(PY) benches/python/bench_rfm.py

# The speed grid against pandas, polars and DuckDB (benches/python/bench_grid.py),
# its 1M and 5M rows; DuckDB (the "bench" extra of pyproject.toml) is installed
# into the venv first. The whole grid: `$(PY) benches/python/bench_grid.py`.
BENCH_PEERS := "duckdb>=1.1"
.PHONY: bench-grid
bench-grid: develop-release
	$(PY) -m pip install -q $(BENCH_PEERS)
	$(PY) benches/python/bench_grid.py --rows 1M,5M

# The notebooks of docs/notebooks/ executed in place (outputs committed,
# volatile metadata stripped so that a re-run diffs cleanly).
notebooks: develop
	$(PY) scripts/run_notebooks.py

# The documentation site into target/site/ (mkdocs.yml): docs/*.md, the
# notebooks as committed, the API reference from the docstrings, and the
# crates' `cargo doc` under target/site/rust/. It fails on a broken internal
# link (mkdocs --strict) and on a failing example (tests/test_docs.py runs
# every example of the README, docs/*.md and the docstrings first). The
# notebooks are also rendered to HTML as committed into target/docs-html/.
# Tools: the `docs` extra of pyproject.toml, in their own venv.
DOCS_VENV := target/docs-venv
$(DOCS_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(DOCS_VENV)
	$(DOCS_VENV)/bin/python -m pip install -q --upgrade pip
	$(DOCS_VENV)/bin/python -c "import tomllib; print(chr(10).join(tomllib.load(open('pyproject.toml', 'rb'))['project']['optional-dependencies']['docs']))" > $(DOCS_VENV)/requirements.txt
	$(DOCS_VENV)/bin/python -m pip install -q -r $(DOCS_VENV)/requirements.txt
	touch $@

# (cargo doc with -D warnings: a broken intra-doc link, or a private item
# linked from public docs, fails the build like a broken page link.)
docs: develop $(DOCS_VENV)/.installed
	$(PY) scripts/run_notebooks.py --html target/docs-html --no-execute
	$(PY) -m pytest -q tests/test_docs.py
	$(DOCS_VENV)/bin/mkdocs build --strict
	RUSTDOCFLAGS="-D warnings" cargo doc --no-deps -p ciblage -p ciblage-lifecycle
	rm -rf target/site/rust && cp -r target/doc target/site/rust
	@echo "documentation site in target/site/ (index.html)"

# CLV side by side with lifetimes and pymc-marketing, each peer in its own virtual
# environment under benches/python/.venv-peers/ (git-ignored; a peer that cannot be
# installed is reported and left out). Figures for docs/benchmarks.md.
.PHONY: bench-clv
bench-clv: develop-release
	$(PY) benches/python/bench_clv.py --setup
	$(PY) benches/python/bench_clv.py

clean:
	rm -rf $(VENV) target

# scikit-learn's tree test suite with ciblage's CART substituted: counts and
# every failure with its first line (tests/test_sklearn_suite.py asserts the count).
sklearn-suite: develop
	$(PY) tests/sklearn_tree/run_suite.py $(VENV)/sklearn-suite.json
	$(PY) -c "import json; d = json.load(open('$(VENV)/sklearn-suite.json')); \
	[print(k, '|', m.splitlines()[0] if m else '') for k, m in sorted(d['messages'].items())]; \
	print('scikit-learn', d['sklearn'], d['counts'])"

# Every published artefact built and checked as a user gets it (issue 27):
# the two crates packaged and built alone, `cargo publish --dry-run`
# (scripts/check_package.sh); the abi3 wheel (release build) installed in a
# fresh venv with only its declared dependencies, then extra by extra, and
# the sdist built by pip (scripts/check_wheel.sh). Minutes of optimised build:
# not part of `make test`; `.ci/run` runs it after `make test` and `make docs`.
.PHONY: package package-check crate-check wheel-check
crate-check:
	scripts/check_package.sh

# SDIST=listing (the CI's fast mode): the sdist's listing checked, not built.
SDIST ?= build
wheel-check:
	PYTHON=$(PYTHON) scripts/check_wheel.sh $(if $(filter listing,$(SDIST)),--sdist-listing,)

package-check: crate-check wheel-check

package: wheel-check
