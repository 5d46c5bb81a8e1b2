#!/usr/bin/env bash
# Runs the cargo-fuzz targets of fuzz/ one after the other, each to RUNS
# executions (default 1000000), and prints a table: target, executions,
# seconds, result. Exits non-zero if any target found a crash, panic,
# out-of-memory (-rss_limit_mb, also any single allocation above it) or
# timeout (-timeout, seconds per input). Not part of .ci/run.
#
#   scripts/fuzz.sh [RUNS] [TARGET...]      # all targets if none named
#
# Needs the nightly toolchain and cargo-fuzz:
#   rustup toolchain install nightly && cargo install cargo-fuzz
#
# Each target starts from its committed seed corpus fuzz/corpus/TARGET
# (read only); inputs found on the way go to fuzz/corpus-run/TARGET, which is
# not committed and is reused by the next run. A finding is written to
# fuzz/artifacts/TARGET/ (crash-*, oom-*, timeout-*, leak-*); replay it with
#   cd fuzz && cargo +nightly fuzz run -s none TARGET artifacts/TARGET/crash-...
# Logs: fuzz/logs/TARGET.log. Environment: FUZZ_NICE (default 10) is the
# niceness, FUZZ_ARGS extra libFuzzer flags (e.g. -max_total_time=600),
# FUZZ_SANITIZER the sanitizer (default none: the code under test is safe
# Rust, so what is looked for is panics, overflows (debug assertions are on),
# unbounded allocations and hangs; `address` adds AddressSanitizer, about 4x
# slower here).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

RUNS=1000000
if [[ $# -gt 0 && $1 =~ ^[0-9]+$ ]]; then
    RUNS=$1
    shift
fi
if [[ $# -gt 0 ]]; then
    TARGETS=("$@")
else
    mapfile -t TARGETS < <(cargo +nightly fuzz list)
fi
NICE=${FUZZ_NICE:-10}
SAN=${FUZZ_SANITIZER:-none}
read -r -a EXTRA <<< "${FUZZ_ARGS:-}"

echo "building ${#TARGETS[@]} fuzz targets (cargo +nightly fuzz build) ..."
nice -n "$NICE" cargo +nightly fuzz build -s "$SAN" >/dev/null

mkdir -p logs
status=0
rows=()
for t in "${TARGETS[@]}"; do
    mkdir -p "corpus-run/$t" "artifacts/$t"
    log="logs/$t.log"
    echo "fuzzing $t to $RUNS executions (log: fuzz/$log) ..."
    start=$(date +%s)
    # In-process, single worker: no -jobs/-workers (libFuzzer's -jobs forks
    # children whose output goes to fuzz-N.log instead).
    if nice -n "$NICE" cargo +nightly fuzz run -s "$SAN" "$t" "corpus-run/$t" "corpus/$t" -- \
        -runs="$RUNS" -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 "${EXTRA[@]}" >"$log" 2>&1; then
        result=ok
    else
        result="FAILED ($(grep -m1 -oE '(crash|oom|timeout|leak|slow-unit)-[0-9a-f]+' "$log" || echo "see $log"))"
        status=1
    fi
    secs=$(( $(date +%s) - start ))
    # "Done N runs in S second(s)" on completion; else the last status line.
    execs=$(grep -oE 'Done [0-9]+ runs' "$log" | grep -oE '[0-9]+' | tail -1 || true)
    if [[ -z $execs ]]; then
        execs=$(grep -oE '^#[0-9]+' "$log" | tr -d '#' | tail -1 || true)
    fi
    rows+=("$(printf '%-18s %12s %8s  %s' "$t" "${execs:-?}" "$secs" "$result")")
done

echo
printf '%-18s %12s %8s  %s\n' target executions seconds result
for r in "${rows[@]}"; do
    echo "$r"
done
exit $status
