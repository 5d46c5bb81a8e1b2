# Shared by python/run-tests.sh and tests/python/run.sh (sourced, not run):
# the venv each check makes for itself, and the `eqnemix` binary they drive.
#
#   make_venv VENV REQUIREMENTS   # create VENV once (python3 -m venv; again if
#                                 # an interrupted creation left it without pip), then
#                                 # pip install the pinned REQUIREMENTS into it
#   ensure_eqnemix_bin REPO       # EQNEMIX_BIN, or `cargo build --bin eqnemix`
#                                 # in REPO and export its path

make_venv() {
    # A venv whose creation was interrupted has a python but no pip: remake it.
    if ! "$1/bin/python" -m pip --version >/dev/null 2>&1; then
        rm -rf "$1"
        python3 -m venv "$1"
    fi
    "$1/bin/python" -m pip install --quiet --disable-pip-version-check -r "$2"
}

ensure_eqnemix_bin() {
    if [ -z "${EQNEMIX_BIN:-}" ]; then
        (cd "$1" && cargo build --quiet --bin eqnemix)
        EQNEMIX_BIN="$CARGO_TARGET_DIR/debug/eqnemix"
    fi
    export EQNEMIX_BIN
}
