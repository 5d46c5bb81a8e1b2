#!/usr/bin/env python3
"""What driving the location from Python costs, against ``eqnemix locate``.

The same events (``--n`` synthetic events of ``eqnemix.SyntheticRegion``:
one station, P, S and back-azimuth, the five cluster Gaussians weighted by
each event's classifier probabilities), the same configuration (the
region's layered crust, ``--sampler``, seed 1) located twice:

* CLI: one ``eqnemix locate`` process over all events (picks CSV,
  stations CSV, clusters JSON, probabilities CSV), once writing its
  default outputs (csv, json, hyp, QuakeML, draws), once only ``<id>.json``
  (like for like: the dict ``eqnemix.locate`` returns);
* Python: one process that imports eqnemix, builds the travel-time model
  once and calls ``eqnemix.locate`` per event (the dict ``<id>.json``
  holds, and the draws as arrays; nothing written).

Both run with ``RAYON_NUM_THREADS`` threads (default 1, so CPU time per
event is the cost) and are timed whole (process start, model, every
event): wall and CPU time per event, best of ``--repeat`` runs. Each
event's headline location must be the same in both (same numbers at the
same seed), or the script fails.

Run (from the repository root, with the package installed into a venv and
a release binary)::

    cargo build --release --bin eqnemix
    VENV/bin/python examples/python/locate_overhead.py --bin target/release/eqnemix --n 100

The target of issue 14: Python costs at most 10 % more per event.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import eqnemix

BASE = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)


def utc(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def write_inputs(work: Path, n: int, seed: int, sampler: str):
    """The events as the CLI reads them, and as Python records."""
    region = eqnemix.SyntheticRegion()
    code, pos = region.station
    clusters = [
        {"id": i, "n_events": 30, "mean_km": list(m), "cov_km2": [list(r) for r in c], "mean_en_km": list(m[:2]),
         "cov_en_km2": [list(r[:2]) for r in c[:2]]}
        for i, (m, c) in enumerate(region.clusters())
    ]
    (work / "clusters_gaussian.json").write_text(json.dumps({
        "origin": {"lon_deg": -117.6, "lat_deg": 35.7},
        "frame": "local km about origin (WGS84 azimuthal equidistant): x east, y north, z depth positive down",
        "clusters": clusters,
    }))
    (work / "stations.csv").write_text(f"station,east_km,north_km,depth_km\n{code},{pos[0]},{pos[1]},{pos[2]}\n")
    rows, probs, events = [], [], []
    for i in range(n):
        e = region.event(i, seed)
        ref = BASE + dt.timedelta(minutes=10 * i)  # one event per 10 min
        picks = []
        for p in e["picks"]:
            if p["phase"] == "BAZ":
                rows.append(f"{e['id']},{code},BAZ,,,{p['back_azimuth_deg']!r},{p['sigma_back_azimuth_deg']!r},")
                picks.append(dict(p))
            else:
                t = utc(ref + dt.timedelta(microseconds=round(p["time"] * 1e6)))
                rows.append(f"{e['id']},{code},{p['phase']},{t},{p['sigma_s']!r},,,")
                picks.append({**p, "time": t})
                if p["phase"] == "P":
                    tp = ref + dt.timedelta(seconds=p["time"])
        w = " ".join(repr(v) for v in e["probabilities"])
        probs.append(f"{utc(tp - dt.timedelta(seconds=1))},{utc(tp + dt.timedelta(seconds=1))},[{w}]")
        events.append((e["id"], picks, e["probabilities"]))
    (work / "picks.csv").write_text(
        "event_id,station,phase,time_utc,sigma_s,back_azimuth_deg,sigma_back_azimuth_deg,p_flip_back_azimuth\n" + "\n".join(rows) + "\n"
    )
    (work / "probabilities.csv").write_text("start_time,end_time,clusters_prob\n" + "\n".join(probs) + "\n")
    layers = "".join(f"\n[[layer]]\ntop_km = {t!r}\nvp = {vp!r}\nvs = {vs!r}\n" for t, vp, vs in region.layers())
    (work / "crust.toml").write_text('name = "synthetic"\n' + layers)
    (work / "locate.toml").write_text(
        f'seed = 1\nn_chains = 4\n[travel_time]\nkind = "layered"\nmodel = "crust.toml"\n'
        f'[likelihood]\ns_minus_p = true\nback_azimuth = true\n[sampler]\nkind = "{sampler}"\n'
    )
    return {code: list(pos)}, events


PY_RUN = r"""
import json, sys, time
t0 = time.perf_counter(); c0 = time.process_time()
import eqnemix
work, n = sys.argv[1], int(sys.argv[2])
spec = json.load(open(work + "/py_events.json"))
cfg = work + "/locate.toml"
model = eqnemix.travel_time_model(cfg)
out = {}
for eid, picks, probs in spec["events"]:
    r = eqnemix.locate(picks, spec["stations"], clusters=work + "/clusters_gaussian.json", weights=probs,
                       config=cfg, model=model, event_id=eid)
    out[eid] = r["summary"]["location_km"]
print(json.dumps({"wall": time.perf_counter() - t0, "cpu": time.process_time() - c0, "loc": out}))
"""


def child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_cli(binary: str, work: Path, env, config: str = "locate.toml") -> tuple:
    out = work / f"out{time.monotonic_ns()}"
    c0, t0 = child_cpu(), time.perf_counter()
    r = subprocess.run(
        [binary, "locate", "--quiet", "--config", str(work / config), "--picks", str(work / "picks.csv"),
         "--stations", str(work / "stations.csv"), "--clusters", str(work / "clusters_gaussian.json"),
         "--probabilities", str(work / "probabilities.csv"), "--out", str(out)],
        env=env, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - t0, child_cpu() - c0
    if r.returncode != 0:
        sys.exit(f"eqnemix locate failed:\n{r.stdout}{r.stderr}")
    loc = {p.stem: json.loads(p.read_text())["summary"]["location_km"]
           for p in out.glob("*.json") if p.stem.startswith("syn") and "_" not in p.stem}
    return wall, cpu, loc


def run_py(work: Path, n: int, env) -> tuple:
    c0, t0 = child_cpu(), time.perf_counter()
    r = subprocess.run([sys.executable, "-c", PY_RUN, str(work), str(n)], env=env, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - t0, child_cpu() - c0
    if r.returncode != 0:
        sys.exit(f"python locate failed:\n{r.stdout}{r.stderr}")
    return wall, cpu, json.loads(r.stdout.strip().splitlines()[-1])["loc"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True, help="the eqnemix binary (a release build)")
    ap.add_argument("--n", type=int, default=100, help="events")
    ap.add_argument("--seed", type=int, default=7, help="seed of the synthetic events")
    ap.add_argument("--sampler", default="importance", help="sampler kind ([sampler] kind)")
    ap.add_argument("--threads", type=int, default=1, help="RAYON_NUM_THREADS of both")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each; the best counts")
    a = ap.parse_args(argv)
    env = {**os.environ, "RAYON_NUM_THREADS": str(a.threads)}
    with tempfile.TemporaryDirectory(prefix="eqnemix-overhead.") as d:
        work = Path(d)
        stations, events = write_inputs(work, a.n, a.seed, a.sampler)
        (work / "py_events.json").write_text(json.dumps({"stations": stations, "events": events}))
        # The same configuration writing only <id>.json (what eqnemix.locate
        # returns as a dict): the like-for-like comparison.
        (work / "locate_json.toml").write_text(
            (work / "locate.toml").read_text().replace("[sampler]", '[output]\nformats = ["json"]\ndraws = false\n[sampler]')
        )
        cli, cli_json, py = [], [], []
        for _ in range(a.repeat):  # interleaved, so load changes hit all three
            cli.append(run_cli(a.bin, work, env))
            cli_json.append(run_cli(a.bin, work, env, "locate_json.toml"))
            py.append(run_py(work, a.n, env))
        for c in (cli[0], cli_json[0]):
            if c[2] != py[0][2] or len(c[2]) != a.n:
                sys.exit(f"the locations differ between the CLI and Python ({len(c[2])} vs {len(py[0][2])} events)")
    cw, cc = min(r[0] for r in cli), min(r[1] for r in cli)
    jw, jc = min(r[0] for r in cli_json), min(r[1] for r in cli_json)
    pw, pc = min(r[0] for r in py), min(r[1] for r in py)
    cmd = " ".join(["python", "examples/python/locate_overhead.py"] + (argv if argv is not None else sys.argv[1:]))
    print(f"Locating {a.n} synthetic events (sampler {a.sampler}, {a.threads} thread(s)), best of {a.repeat}; identical locations")
    print()
    print("| driver | wall ms/event | CPU ms/event |")
    print("|---|---|---|")
    print(f"| eqnemix locate, default outputs (csv, json, hyp, quakeml, draws) | {1e3 * cw / a.n:.2f} | {1e3 * cc / a.n:.2f} |")
    print(f"| eqnemix locate, <id>.json only | {1e3 * jw / a.n:.2f} | {1e3 * jc / a.n:.2f} |")
    print(f"| Python eqnemix.locate (one process) | {1e3 * pw / a.n:.2f} | {1e3 * pc / a.n:.2f} |")
    print(f"| Python / CLI default outputs | {pw / cw:.3f} | {pc / cc:.3f} |")
    print(f"| Python / CLI json only | {pw / jw:.3f} | {pc / jc:.3f} |")
    print()
    print(f"reproduce: {cmd}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
