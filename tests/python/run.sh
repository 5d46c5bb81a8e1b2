#!/usr/bin/env bash
# ObsPy reads eqnemix's outputs (issue 13): creates its own venv from the
# pinned requirements.txt (ObsPy, lxml, pytest from PyPI), locates the first
# events of the shipped Ridgecrest CI.CLC detections with the built
# `eqnemix locate` into a temporary folder, and runs pytest on its `.hyp`,
# JSON and QuakeML files: ObsPy's NLLOC_HYP and QUAKEML readers, and the
# QuakeML 1.2 XSD (the copy inside the installed ObsPy) through lxml.
#
#   bash tests/python/run.sh            # from anywhere; .ci/run calls it
#
# Environment: CARGO_TARGET_DIR (default: the repository's target/, shared
# with the Rust build so the binary `cargo test` built is reused),
# EQNEMIX_BIN (a built `eqnemix` binary; default: `cargo build --bin
# eqnemix` here), EQNEMIX_INTEROP_VENV (default:
# $CARGO_TARGET_DIR/interop-venv, reused across runs), EQNEMIX_INTEROP_EVENTS
# (how many events to locate, default 4).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}"
. "$repo/scripts/python_env.sh"
venv="${EQNEMIX_INTEROP_VENV:-$CARGO_TARGET_DIR/interop-venv}"
n_events="${EQNEMIX_INTEROP_EVENTS:-4}"

start=$(date +%s)
make_venv "$venv" "$here/requirements.txt"
ensure_eqnemix_bin "$repo"

work="$(mktemp -d "${TMPDIR:-/tmp}/eqnemix-interop.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# The first events of the real Ridgecrest detections at CI.CLC (one
# station, S-P only: posteriors with several modes), fixed seed.
data="$repo/examples/data/ridgecrest_clc"
head -n "$((n_events + 1))" "$data/picks.csv" > "$work/picks.csv"
config="$repo/examples/data/config/locate_ridgecrest_clc.toml"
"$EQNEMIX_BIN" locate --quiet \
    --config "$config" \
    --picks "$work/picks.csv" \
    --probabilities "$data/probabilities.csv" \
    --clusters "$data/clusters_gaussian.json" \
    --out "$work/out"

# The same events with NUTS (chains per mode region) for the ArviZ check of
# the draws file; the model path made absolute for the config's new folder.
sed "s|\.\./ridgecrest_clc/|$data/|" "$config" > "$work/nuts.toml"
printf '\n[sampler]\nkind = "nuts"\n' >> "$work/nuts.toml"
"$EQNEMIX_BIN" locate --quiet \
    --config "$work/nuts.toml" \
    --picks "$work/picks.csv" \
    --probabilities "$data/probabilities.csv" \
    --clusters "$data/clusters_gaussian.json" \
    --out "$work/out_nuts"

cd "$here"
EQNEMIX_INTEROP_NUTS_OUT="$work/out_nuts" EQNEMIX_INTEROP_OUT="$work/out" EQNEMIX_INTEROP_PICKS="$work/picks.csv" EQNEMIX_INTEROP_CONFIG="$config" \
    "$venv/bin/python" -m pytest -p no:cacheprovider -q .
echo "ObsPy interop tests: $(( $(date +%s) - start )) s (venv, locate and pytest)"
