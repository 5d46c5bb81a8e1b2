"""examples/python/sensitivity_study.py on a tiny sweep: its per-event rows
equal the Rust example's (examples/sensitivity_study.rs) for the same
events and seeds, but for the wall times.

The Rust rows come from the example itself when it is built:
$EQNEMIX_SENSITIVITY_EXAMPLE, else `$CARGO_TARGET_DIR/debug/examples/sensitivity_study`
(`cargo test --workspace`, which `.ci/run` runs first, builds it there), run
with `--n 2`. Without it they are `python/tests/data/sensitivity_events_n2.csv`
and `sensitivity_n2.csv`, written (2026-12-06, commit a33d902) by

    cargo run --example sensitivity_study -- --n 2 --out OUT
    cp OUT/sensitivity_events.csv python/tests/data/sensitivity_events_n2.csv
    cp OUT/sensitivity.csv python/tests/data/sensitivity_n2.csv

(rerun it when the library's numbers change on purpose).
"""

import csv
import importlib.util
import os
import pathlib
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = REPO / "examples" / "python" / "sensitivity_study.py"
DATA = pathlib.Path(__file__).parent / "data"
KEYS = ("pick_sigma_s", "velocity_scale", "temperature", "sampler", "event")
SCORES = ("epicentral_error_km", "in_hpd90", "area90_km2")


def load_script():
    spec = importlib.util.spec_from_file_location("sensitivity_study", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


def rust_tables(tmp_path):
    """(per-event rows, per-setting rows) of the Rust example at --n 2."""
    exe = os.environ.get("EQNEMIX_SENSITIVITY_EXAMPLE")
    if not exe:
        target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
        candidate = target / "debug" / "examples" / "sensitivity_study"
        exe = str(candidate) if candidate.exists() else None
    if exe is None:
        return DATA / "sensitivity_events_n2.csv", DATA / "sensitivity_n2.csv"
    out = tmp_path / "rust"
    run = subprocess.run([exe, "--n", "2", "--out", str(out)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    return out / "sensitivity_events.csv", out / "sensitivity.csv"


def rows(path):
    with open(path, newline="") as f:
        return {tuple(r[k] for k in KEYS): r for r in csv.DictReader(f)}


def test_a_tiny_sweep_reproduces_the_rust_examples_rows(tmp_path, capsys):
    study = load_script()
    # Two values away from the baseline in each of pick sigma, velocity
    # scale and sampler (the baseline is located once), 2 events each.
    rust_events, rust_settings = rust_tables(tmp_path)
    py_out = tmp_path / "py"
    rc = study.main(["--n", "2", "--out", str(py_out), "--pick-sigmas", "0.05", "0.1", "--velocity-scales", "1.05",
                     "--temperatures", "--samplers", "smc", "octree", "--threads", "2"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "| pick σ (s) | 0.1 |" in out and "| sampler | octree |" in out
    ours = rows(py_out / "sensitivity_events.csv")
    rust = rows(rust_events)
    assert len(ours) == 4 * 2, sorted(ours)
    for key, r in ours.items():
        assert key in rust, key
        for k in SCORES:
            assert r[k] == rust[key][k], (key, k, r[k], rust[key][k])
    # The summary table has one row per setting with the Rust header.
    with open(py_out / "sensitivity.csv", newline="") as f:
        summary = list(csv.DictReader(f))
    assert [r["sweep"] for r in summary] == ["pick σ (s)", "pick σ (s)", "velocity scale", "sampler", "sampler"]
    with open(rust_settings, newline="") as f:
        rust_summary = {(r["sweep"], r["pick_sigma_s"], r["velocity_scale"], r["temperature"], r["sampler"]): r for r in csv.DictReader(f)}
    for r in summary:
        key = (r["sweep"], r["pick_sigma_s"], r["velocity_scale"], r["temperature"], r["sampler"])
        for k in ("median_epicentral_error_km", "coverage90", "coverage90_se", "mean_area90_km2"):
            assert r[k] == rust_summary[key][k], (key, k)
    # The figure (matplotlib is pinned in requirements-test.txt).
    assert (py_out / "sensitivity.png").stat().st_size > 10_000


def test_bad_arguments_are_refused(tmp_path):
    study = load_script()
    with pytest.raises(SystemExit):
        study.main(["--n", "0", "--out", str(tmp_path)])
