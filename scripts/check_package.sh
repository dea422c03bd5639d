#!/usr/bin/env bash
# The published crates as a user gets them: `cargo package` of ciblage and
# ciblage-lifecycle together (cargo >= 1.90 serves ciblage to the lifecycle
# crate from a local registry overlay, since it is not on crates.io yet),
# which unpacks each .crate under target/package/<name>-<version>/ and builds
# it there, alone, with the workspace's target directory (dependencies
# already compiled are reused); then `cargo publish --dry-run` of both.
# Usage: scripts/check_package.sh [--allow-dirty]
set -euo pipefail
cd "$(dirname "$0")/.."
extra=("$@")
crates=(-p ciblage -p ciblage-lifecycle)

# Nothing but what a build needs goes into a .crate: no test data.
for name in ciblage ciblage-lifecycle; do
    listing=$(cargo package -q -p "$name" --list "${extra[@]}")
    if grep -E '^(tests/|proptest-regressions/|benches/)' <<<"$listing"; then
        echo "check_package: $name would ship test data (above)" >&2
        exit 1
    fi
    for f in README.md LICENSE-MIT LICENSE-APACHE; do
        grep -qx "$f" <<<"$listing" || { echo "check_package: $name lacks $f" >&2; exit 1; }
    done
done

cargo package "${crates[@]}" "${extra[@]}"
cargo publish --dry-run --no-verify "${crates[@]}" "${extra[@]}"
echo "check_package: ciblage and ciblage-lifecycle package, build alone and pass publish --dry-run"
