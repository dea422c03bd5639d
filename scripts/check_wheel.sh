#!/usr/bin/env bash
# The Python artefacts as a user gets them (issue 27):
#   1. `maturin build --release --zig`: exactly one abi3 wheel for CPython >= 3.10
#      (cp310-abi3), manylinux2014 (glibc 2.17); `auditwheel show` must agree;
#   2. a FRESH virtual environment (target/wheel-venv) gets the wheel with only
#      its declared dependencies: ciblage imports, reports the crates' version,
#      scores a pyarrow table, and imports no optional package;
#   3. each extra (pandas, polars, plot, notebook, spark, dask) is installed in turn: after
#      each, `import ciblage` still imports none of the optional packages, and
#      with pandas the README's Python example runs;
#   4. `maturin sdist` gives a source distribution that pip builds into a wheel
#      (a second optimised build of the crates); with --sdist-listing the sdist
#      is built and its listing checked to hold every tracked file a build
#      reads (the crates' sources and manifests, Cargo.lock, pyproject.toml,
#      the Python package), without building it: the CI's fast mode; with
#      --no-sdist, no sdist at all.
# The tools (maturin, auditwheel) are the `package` extra of pyproject.toml,
# installed in target/package-tools. CARGO_TARGET_DIR is the workspace's
# target/, so that the sdist build reuses the compiled dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
sdist=1
case "${1:-}" in
    --no-sdist) sdist=0 ;;
    --sdist-listing) sdist=listing ;;
    "") ;;
    *) echo "usage: scripts/check_wheel.sh [--no-sdist | --sdist-listing]" >&2; exit 2 ;;
esac
root=$(pwd)
export CARGO_TARGET_DIR="$root/target"
out="$root/target/wheels-check"
tools="$root/target/package-tools"
venv="$root/target/wheel-venv"
extras=(pandas polars plot notebook spark dask)
optional='["pandas", "polars", "matplotlib", "tqdm", "sklearn", "scipy", "IPython", "duckdb", "pyspark", "dask", "datasketches"]'
say() { echo "check_wheel: $*"; }

# The `package` extra's requirements, read from pyproject.toml (one list).
if [ ! -x "$tools/bin/maturin" ] || [ pyproject.toml -nt "$tools/bin/maturin" ]; then
    "$PYTHON" -m venv "$tools"
    "$tools/bin/python" -m pip install -q --upgrade pip
    "$tools/bin/python" - <<'PY' > "$tools/requirements.txt"
import tomllib
with open("pyproject.toml", "rb") as f:
    print("\n".join(tomllib.load(f)["project"]["optional-dependencies"]["package"]))
PY
    "$tools/bin/python" -m pip install -q -r "$tools/requirements.txt"
    touch "$tools/bin/maturin"
fi

rm -rf "$out" && mkdir -p "$out"
start=$(date +%s)
# Linked by zig against glibc 2.17 (manylinux2014): the wheel installs on any
# Linux with glibc >= 2.17, not only on one as recent as the build machine's.
# (maturin finds zig as `python -m ziglang` of the first python on PATH: the
# tools venv's, where the `package` extra installed ziglang.)
PATH="$tools/bin:$PATH" "$tools/bin/maturin" build --release --zig --compatibility manylinux2014 --out "$out"
say "wheel built in $(( $(date +%s) - start )) s"
shopt -s nullglob
wheels=("$out"/*.whl)
[ "${#wheels[@]}" = 1 ] || { say "expected one wheel, got: ${wheels[*]}" >&2; exit 1; }
wheel=${wheels[0]}
version=$("$tools/bin/python" -c "import tomllib; print(tomllib.load(open('Cargo.toml', 'rb'))['workspace']['package']['version'])")
case "$(basename "$wheel")" in
    ciblage-"$version"-cp310-abi3-manylinux*.whl) say "$(basename "$wheel")" ;;
    *) say "unexpected wheel name $(basename "$wheel") (want ciblage-$version-cp310-abi3-manylinux*)" >&2; exit 1 ;;
esac
shown=$("$tools/bin/auditwheel" show "$wheel")
echo "$shown"
grep -q "\"manylinux_2_17_$(uname -m)\"" <<<"$shown" \
    || { say "auditwheel does not find the wheel consistent with manylinux_2_17" >&2; exit 1; }

# A fresh environment: the wheel and its declared dependencies only.
rm -rf "$venv"
"$PYTHON" -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q "$wheel"
cd "$venv"  # away from the checkout's python/ directory
"$venv/bin/python" - "$version" "$optional" <<'PY'
import json, sys
import ciblage
assert ciblage.__version__ == sys.argv[1], (ciblage.__version__, sys.argv[1])
assert ciblage.__file__.startswith(sys.prefix), ciblage.__file__  # the installed wheel, not the checkout
leaked = sorted(m for m in json.loads(sys.argv[2]) if m in sys.modules)
assert not leaked, f"import ciblage imported {leaked}"
tx = ciblage.datasets.transactions(customers=100, transactions=1_000, library="pyarrow")
scores = ciblage.rfm(tx, customer="customer_id", timestamp="timestamp", amount="amount", bins=5)
assert scores.num_rows == 100
print("check_wheel: bare install imports", ciblage.__version__, "and scores a pyarrow table")
PY
cd "$root"

for extra in "${extras[@]}"; do
    "$venv/bin/python" -m pip install -q "${wheel}[$extra]"
    (cd "$venv" && "$venv/bin/python" -c "
import json, sys
import ciblage, ciblage.cluster, ciblage.clv, ciblage.datasets, ciblage.lifecycle, ciblage.plot, ciblage.spark, ciblage.dask
leaked = sorted(m for m in json.loads(sys.argv[1]) if m in sys.modules)
assert not leaked, f'with extra $extra installed, import ciblage imported {leaked}'
" "$optional")
    say "extra $extra: import ciblage imports none of the optional packages"
    if [ "$extra" = pandas ]; then
        # The README's Python example, extracted as tests/test_docs.py does.
        "$venv/bin/python" -c "
import pathlib, re
code = re.findall(r'\`\`\`python\n(.*?)\`\`\`', pathlib.Path('README.md').read_text(encoding='utf-8'), flags=re.S)[0]
exec(compile(code, 'README.md', 'exec'), {})
" > /dev/null
        say "README's Python example runs on the installed wheel"
    fi
done

if [ "$sdist" != 0 ]; then
    "$tools/bin/maturin" sdist --out "$out"
    sdists=("$out"/*.tar.gz)
    [ "${#sdists[@]}" = 1 ] || { say "expected one sdist" >&2; exit 1; }
    # (the listing read whole: `grep -q` closing the pipe early would fail it under pipefail)
    listing=$(tar -tzf "${sdists[0]}")
    grep -qx "ciblage-$version/crates/ciblage/src/lib.rs" <<<"$listing" \
        || { say "the sdist lacks the core crate's sources" >&2; exit 1; }
    # Every tracked file a build reads is in the sdist (the crates' test
    # data, benches and examples are not built from it).
    missing=$(comm -23 \
        <(git ls-files crates python/ciblage Cargo.toml Cargo.lock pyproject.toml README.md LICENSE-MIT LICENSE-APACHE \
            | grep -v -E '^crates/[^/]+/(tests|benches|examples|proptest-regressions)/' | sort) \
        <(sed -e "s|^ciblage-$version/||" -e '/\/$/d' <<<"$listing" | sort))
    [ -z "$missing" ] || { say "the sdist lacks files a build reads:" >&2; echo "$missing" >&2; exit 1; }
    say "the sdist holds every tracked file a build reads"
fi
if [ "$sdist" = 1 ]; then
    # With the shared target/, cargo reuses the wheel's artefacts when the
    # sdist holds the same sources (a file missing from the sdist makes it
    # rebuild, and fail); SDIST_CARGO_TARGET_DIR=<empty dir> builds it cold.
    start=$(date +%s)
    CARGO_TARGET_DIR=${SDIST_CARGO_TARGET_DIR:-$CARGO_TARGET_DIR} \
        "$venv/bin/python" -m pip wheel -q --no-cache-dir --no-deps "${sdists[0]}" -w "$out/from-sdist"
    built=("$out"/from-sdist/*.whl)
    [ "${#built[@]}" = 1 ] || { say "the sdist built no wheel" >&2; exit 1; }
    say "sdist $(basename "${sdists[0]}") builds $(basename "${built[0]}") in $(( $(date +%s) - start )) s"
fi
say "ok"
