#!/usr/bin/env bash
# Builds NonLinLoc's Vel2Grid, Grid2Time and NLLoc (GPL-3.0,
# https://github.com/alomax/NonLinLoc) from a checkout of its public source
# into BIN_DIR. The source and the build stay outside this repository.
#
#   bash scripts/reference/build_nonlinloc.sh SOURCE_DIR BIN_DIR
#
# SOURCE_DIR: a checkout of NonLinLoc (the directory holding `src/`), e.g.
# cloned at the commit pinned in nonlinloc_golden.sh. Needs a C compiler and
# make; cmake is taken from PATH or pip-installed into a throw-away venv.
# Used by nonlinloc_golden.sh and by `examples/edt_network.rs --nlloc`.
set -euo pipefail
if [ $# -ne 2 ]; then
    echo "usage: $0 SOURCE_DIR BIN_DIR" >&2
    exit 2
fi
src="$(cd "$1" && pwd)"
mkdir -p "$2"
bin_dir="$(cd "$2" && pwd)"
if [ ! -f "$src/src/CMakeLists.txt" ]; then
    echo "$src is not a NonLinLoc checkout (no src/CMakeLists.txt)" >&2
    exit 1
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if ! command -v cmake >/dev/null; then
    python3 -m venv "$work/venv"
    "$work/venv/bin/pip" install -q cmake
    export PATH="$work/venv/bin:$PATH"
fi
# NonLinLoc's CMakeLists writes its programs into the source tree's bin/:
# build from a copy so the checkout stays untouched.
cp -r "$src/src" "$work/src"
mkdir -p "$work/build"
(cd "$work/build" && cmake "$work/src" -DCMAKE_BUILD_TYPE=Release >cmake.log 2>&1 &&
    make -j2 Vel2Grid Grid2Time NLLoc >build.log 2>&1) || {
    echo "building NonLinLoc failed; the log:" >&2
    tail -20 "$work/build/build.log" "$work/build/cmake.log" >&2 2>/dev/null || true
    exit 1
}
for p in Vel2Grid Grid2Time NLLoc; do
    found="$(find "$work" -type f -name "$p" -perm -u+x | head -1)"
    [ -n "$found" ] || { echo "no $p after the build" >&2; exit 1; }
    cp "$found" "$bin_dir/$p"
done
echo "NonLinLoc programs in $bin_dir"
