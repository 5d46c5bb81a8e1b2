#!/usr/bin/env bash
# Where the CPU of the waveform pipeline goes: ONNX Runtime against
# eqnemix's own code (issue 15, item 3). Samples `eqnemix pick` on the 4 h
# sample and `eqnemix run` (the whole pipeline) with perf's software
# cpu-clock event (hardware counters are not needed) and prints the share of
# samples per shared object, then eqnemix's own hottest functions.
#
#   bash scripts/profile_pipeline.sh            # needs `perf` (Debian: linux-perf)
#
# Environment: EQNEMIX_BIN (default target/release/eqnemix, built if
# missing), OUT (default a temporary folder).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
bin="${EQNEMIX_BIN:-$repo/target/release/eqnemix}"
command -v perf >/dev/null || { echo "perf not found (Debian: apt-get install linux-perf)" >&2; exit 1; }
[ -x "$bin" ] || (cd "$repo" && cargo build --release --bin eqnemix)
out="${OUT:-$(mktemp -d)}"

profile() {
    local name="$1"; shift
    perf record -q -e cpu-clock -F 499 -o "$out/$name.perf" -- "$@" > "$out/$name.log" 2>&1
    echo "## $name: share of CPU samples per shared object"
    perf report -i "$out/$name.perf" --sort dso --no-children --stdio -g none 2>/dev/null | grep '%' | head -8
    echo "## $name: eqnemix's own hottest functions (share of all samples)"
    perf report -i "$out/$name.perf" --sort sym --no-children --stdio -g none --dsos "$(basename "$bin")" 2>/dev/null | grep '%' | head -12
    echo
}

profile pick "$bin" pick "$repo"/examples/data/sample/*.mseed -o "$out/picks.csv"
profile run "$bin" run --quiet --out "$out/run"
echo "(perf data and logs in $out)"
