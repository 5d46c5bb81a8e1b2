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
. "$repo/scripts/python_env.sh"
# Small disk use: no incremental caches. (No debug info comes from the
# profiles of both Cargo.toml files; a CARGO_PROFILE_DEV_DEBUG override here
# would change the profile's fingerprint and rebuild the eqnemix binary
# that `cargo test` has just built.)
export CARGO_INCREMENTAL=0
venv="${EQNEMIX_PY_VENV:-$CARGO_TARGET_DIR/python-venv}"

start=$(date +%s)
make_venv "$venv" "$here/requirements-test.txt"
ensure_eqnemix_bin "$repo"

(cd "$here" && VIRTUAL_ENV="$venv" PATH="$venv/bin:$PATH" maturin develop --quiet)

cd "$here"
"$venv/bin/python" -m pytest -p no:cacheprovider tests
echo "python tests: $(( $(date +%s) - start )) s (venv, build and pytest)"
