#!/usr/bin/env bash
# The Python package's tests (issue 14): creates its own venv from the
# pinned requirements-test.txt, builds and installs the package into it
# (maturin develop: the dev profile, opt-level 2 without debug info), makes
# sure the `eqnemix` binary exists for the CLI cross-check, and runs pytest.
#
#   bash python/run-tests.sh            # from anywhere; .ci/run calls it last
#
# Environment: CARGO_TARGET_DIR (default: the repository's target/, shared
# with the Rust build so common dependencies compile once), EQNEMIX_BIN (a
# built `eqnemix` binary to compare against; default: built here),
# EQNEMIX_PY_VENV (default: target/python-venv, reused across runs).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}"
# Small disk use: no incremental caches. (No debug info comes from the
# profiles of both Cargo.toml files; a CARGO_PROFILE_DEV_DEBUG override here
# would change the profile's fingerprint and rebuild the eqnemix binary
# that `cargo test` has just built.)
export CARGO_INCREMENTAL=0
venv="${EQNEMIX_PY_VENV:-$CARGO_TARGET_DIR/python-venv}"

start=$(date +%s)
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements-test.txt"

if [ -z "${EQNEMIX_BIN:-}" ]; then
    (cd "$repo" && cargo build --quiet --bin eqnemix)
    export EQNEMIX_BIN="$CARGO_TARGET_DIR/debug/eqnemix"
fi

(cd "$here" && VIRTUAL_ENV="$venv" PATH="$venv/bin:$PATH" maturin develop --quiet)

cd "$here"
"$venv/bin/python" -m pytest -p no:cacheprovider tests
echo "python tests: $(( $(date +%s) - start )) s (venv, build and pytest)"
