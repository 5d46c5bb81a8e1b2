#!/usr/bin/env bash
# Regenerates the NonLinLoc golden files of tests/data/nonlinloc/ with
# NonLinLoc itself (GPL-3.0, https://github.com/alomax/NonLinLoc), built
# from its public source in a temporary directory (never committed).
#
#   bash scripts/reference/nonlinloc_golden.sh [NLL_SOURCE_DIR]
#
# NLL_SOURCE_DIR: a checkout of NonLinLoc (default: cloned at the pinned
# commit below). Built by build_nonlinloc.sh (a C compiler and make). The case (scripts/reference/
# nonlinloc/tiny.in, tiny.obs): a two-layer model (5.0 km/s above 3.3 km,
# 6.0 below) on a 21x21x11 grid of 1 km, three stations, one event at
# (1, 2, 5) km with P and S picks; Vel2Grid -> Grid2Time (P, 3D) -> NLLoc
# (oct-tree, EDT). Writes the velocity grid, the three P time grids and the
# event's .hyp into tests/data/nonlinloc/.
set -euo pipefail
NLL_COMMIT=062a4bee41d0f94dac404f09e139b7c8b3348a52
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
dest="$repo/tests/data/nonlinloc"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [ $# -ge 1 ]; then
    src="$(cd "$1" && pwd)"
else
    git clone -q https://github.com/alomax/NonLinLoc "$work/NonLinLoc"
    git -C "$work/NonLinLoc" checkout -q "$NLL_COMMIT"
    src="$work/NonLinLoc"
fi
bin="$work/bin"
bash "$here/build_nonlinloc.sh" "$src" "$bin"
case_dir="$work/case"
mkdir -p "$case_dir"/{model,time,obs,loc}
cp "$here/nonlinloc/tiny.in" "$case_dir/"
cp "$here/nonlinloc/tiny.obs" "$case_dir/obs/"
cd "$case_dir"
"$bin/Vel2Grid" tiny.in >vel2grid.log
"$bin/Grid2Time" tiny.in >grid2time.log
"$bin/NLLoc" tiny.in >nlloc.log
mkdir -p "$dest"
cp model/tiny.P.mod.hdr model/tiny.P.mod.buf "$dest/"
cp time/tiny.P.STA?.time.hdr time/tiny.P.STA?.time.buf "$dest/"
cp loc/tiny.2*.grid0.loc.hyp "$dest/tiny.grid0.loc.hyp"
cp "$here/nonlinloc/tiny.in" "$here/nonlinloc/tiny.obs" "$dest/"
echo "wrote $(ls "$dest" | wc -l) files into $dest (NonLinLoc $NLL_COMMIT)"
