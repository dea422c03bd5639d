# ciblage — two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MATURIN := VIRTUAL_ENV=$(abspath $(VENV)) PATH=$(abspath $(VENV))/bin:$$PATH $(VENV)/bin/maturin
export CARGO_TERM_COLOR := never
# Python sources that ruff lints and checks the formatting of.
PY_SRC := python tests benches/python examples

.PHONY: demo test lint rust-test python-test develop develop-release bench fuzz clean sklearn-suite

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "maturin>=1.9,<2" "pytest>=8" "hypothesis>=6.100" "pandas>=2.2" "polars>=1.0" "pyarrow>=15" "numpy>=1.24" "mypy>=1.10" "scikit-learn>=1.5" "CHAID==5.5.1" "ruff>=0.17,<0.18" "matplotlib>=3.7" "scipy>=1.10" "mpmath>=1.3"
	touch $@

develop: $(VENV)/.installed
	$(MATURIN) develop -q

develop-release: $(VENV)/.installed
	$(MATURIN) develop -q --release

demo: develop-release
	$(PY) examples/tour.py

lint: $(VENV)/.installed
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	$(VENV)/bin/ruff check $(PY_SRC)
	$(VENV)/bin/ruff format --check $(PY_SRC)

rust-test:
	cargo test --workspace
	cargo bench --no-run

python-test: develop
	$(PY) -m pytest -q
	$(PY) -m mypy.stubtest ciblage._native --allowlist .stubtest-allowlist

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

clean:
	rm -rf $(VENV) target

# scikit-learn's tree test suite with ciblage's CART substituted: counts and
# every failure with its first line (tests/test_sklearn_suite.py asserts the count).
sklearn-suite: develop
	$(PY) tests/sklearn_tree/run_suite.py $(VENV)/sklearn-suite.json
	$(PY) -c "import json; d = json.load(open('$(VENV)/sklearn-suite.json')); \
	[print(k, '|', m.splitlines()[0] if m else '') for k, m in sorted(d['messages'].items())]; \
	print('scikit-learn', d['sklearn'], d['counts'])"
