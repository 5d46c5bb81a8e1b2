#!/usr/bin/env python3
"""A sensitivity study of single-station locations, driven from Python.

The Python twin of the Rust example ``examples/sensitivity_study.rs``: the
same synthetic region (``eqnemix.SyntheticRegion``: one station, five
cluster Gaussians, a four-layer crust), the same sweeps around the same
baseline (pick sigma 0.05 s, velocity scale 1, prior temperature 1, sampler
smc), the same events and seeds, the same scores, written to the same
tables and drawn as the same figure (matplotlib instead of plotters). At
the same ``--n`` and ``--seed`` its tables equal the Rust example's, apart
from the wall times (``python/tests/test_sensitivity_example.py`` checks a
tiny sweep against the Rust example's rows).

What each parameter means:

* ``pick_sigma_s``: the sigma (s) of the P and S pick errors, used both to
  simulate the picks and in the likelihood (events keep their hypocentre
  and standard-normal noise across sigma);
* ``velocity_scale``: picks simulated with the true crust, located with
  every layer's Vp and Vs multiplied by this factor (1.05 = 5 % too fast);
* ``temperature``: the prior temperature T, weights w_k ~ p_k^(1/T);
* ``sampler``: ``smc`` (2000 particles from the uniform box), ``nuts``
  (dense-metric NUTS, 4 chains x 500 draws per mode region), ``octree``
  (20 000 cells).

Likelihood: S-P and back-azimuth (sigma 8 deg) from the one station.

Outputs in ``--out``: ``sensitivity.csv`` (per setting: sweep, parameters,
events, median epicentral error of the posterior mean (km), coverage of
the 90 % highest-posterior-density region with its binomial standard
error, mean area of the 90 % epicentral ellipse (km^2), mean wall time per
event (s, in its worker thread)), ``sensitivity_events.csv`` (per setting
and event) and ``sensitivity.png`` (one row of panels per sweep).

Setup (from the repository root; matplotlib for the figure)::

    python3 -m venv target/study-venv
    target/study-venv/bin/pip install ./python -r examples/python/requirements.txt

Run::

    # small (a few minutes on 2 shared cores)
    target/study-venv/bin/python examples/python/sensitivity_study.py --n 12 --out target/sensitivity-py
    # full (as the README's figures)
    target/study-venv/bin/python examples/python/sensitivity_study.py --n 200 --out target/sensitivity-py
    # a tiny sweep of one's own: value lists replace a sweep's values
    ... --n 2 --pick-sigmas 0.05 0.1 --velocity-scales 1.0 --temperatures 1.0 --samplers smc

Events are located in parallel threads (``--threads``, default the CPU
count): the library releases the GIL while it samples.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import eqnemix

SWEEPS = ("pick σ (s)", "velocity scale", "prior temperature", "sampler")


@dataclass(frozen=True)
class Setting:
    """One point of the study; a sweep varies one field from the baseline."""

    sweep: str
    pick_sigma_s: float = 0.05
    velocity_scale: float = 1.0
    temperature: float = 1.0
    sampler: str = "smc"

    def label(self) -> str:
        return {
            "pick σ (s)": num(self.pick_sigma_s),
            "velocity scale": num(self.velocity_scale),
            "prior temperature": num(self.temperature),
        }.get(self.sweep, self.sampler)

    def key(self):
        """Identity of the computation (the baseline recurs in every sweep
        and is located once)."""
        return (self.pick_sigma_s, self.velocity_scale, self.temperature, self.sampler)


def num(v: float) -> str:
    """A float as Rust's ``Display`` prints it (1.0 -> "1", 0.05 -> "0.05")."""
    r = repr(float(v))
    return r[:-2] if r.endswith(".0") else r


def settings(sigmas, scales, temperatures, samplers) -> List[Setting]:
    s = [Setting("pick σ (s)", pick_sigma_s=v) for v in sigmas]
    s += [Setting("velocity scale", velocity_scale=v) for v in scales]
    s += [Setting("prior temperature", temperature=v) for v in temperatures]
    s += [Setting("sampler", sampler=v) for v in samplers]
    return s


@dataclass
class Outcome:
    epicentral_error_km: float
    in_hpd90: bool
    area90_km2: float
    wall_s: float


def run_one(region: eqnemix.SyntheticRegion, model: eqnemix.TravelTimeModel, s: Setting, index: int, seed: int) -> Outcome:
    """Locate event ``index`` under setting ``s`` (as the Rust ``run_one``)."""
    t = time.perf_counter()
    post, event = region.posterior(index, seed, pick_sigma_s=s.pick_sigma_s, model=model, temperature=s.temperature)
    # The Rust example seeds each location with seed ^ (index + 1).
    loc = eqnemix.study_locate(post, s.sampler, 4, seed ^ (index + 1), truth_km=event["true_km"])
    return Outcome(loc["epicentral_error_km"], loc["in_hpd90"], loc["area90_km2"], time.perf_counter() - t)


@dataclass
class Row:
    setting: Setting
    n: int
    median_error_km: float
    coverage90: float
    coverage_se: float
    mean_area90_km2: float
    mean_wall_s: float


def summarise(s: Setting, out: Sequence[Outcome]) -> Row:
    n = len(out)
    cov = sum(o.in_hpd90 for o in out) / n
    areas = [o.area90_km2 for o in out if math.isfinite(o.area90_km2)]
    errs = [o.epicentral_error_km for o in out if not math.isnan(o.epicentral_error_km)]
    return Row(
        setting=s,
        n=n,
        median_error_km=statistics.median(errs) if errs else math.nan,
        coverage90=cov,
        coverage_se=math.sqrt(cov * (1.0 - cov) / n),
        mean_area90_km2=sum(areas) / max(len(areas), 1),
        mean_wall_s=sum(o.wall_s for o in out) / n,
    )


def write_csv(path: Path, header: Sequence[str], rows) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    os.replace(tmp, path)


def plot(path: Path, rows: Sequence[Row]) -> None:
    """One row of panels per sweep: median error, coverage (with +-2 s.e.
    and the nominal 0.9), mean 90 % ellipse area, against the swept value."""
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    sweeps = list(dict.fromkeys(r.setting.sweep for r in rows))
    metrics = [
        ("median epicentral error (km)", lambda r: r.median_error_km),
        ("coverage of the 90% region", lambda r: r.coverage90),
        ("mean 90% ellipse area (km²)", lambda r: r.mean_area90_km2),
    ]
    fig, axes = plt.subplots(len(sweeps), 3, figsize=(12, 3 * len(sweeps)), squeeze=False)
    for i, sweep in enumerate(sweeps):
        rs = [r for r in rows if r.setting.sweep == sweep]
        xs = list(range(len(rs)))
        for j, (name, f) in enumerate(metrics):
            ax = axes[i][j]
            ys = [f(r) for r in rs]
            ax.plot(xs, ys, "o-", color="tab:blue", lw=2)
            if j == 1:
                ax.axhline(0.9, color="black", lw=1)
                ax.errorbar(xs, ys, yerr=[2 * r.coverage_se for r in rs], fmt="none", ecolor="tab:blue")
                ax.set_ylim(min([0.5] + [y for y in ys if math.isfinite(y)]), 1.0)
            else:
                finite = [y for y in ys if math.isfinite(y)]
                ax.set_ylim(0.0, 1.1 * max(finite) if finite and max(finite) > 0 else 1.0)
            ax.set_xticks(xs, [r.setting.label() for r in rs])
            ax.set_xlim(-0.5, len(rs) - 0.5)
            ax.set_title(f"{sweep}: {name}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=12, help="synthetic events per setting")
    ap.add_argument("--seed", type=int, default=7, help="seed of the events, picks and samplers")
    ap.add_argument("--out", type=Path, default=Path("target/sensitivity-py"), help="output folder")
    ap.add_argument("--pick-sigmas", type=float, nargs="*", default=[0.02, 0.05, 0.1, 0.2], help="pick σ sweep (s)")
    ap.add_argument("--velocity-scales", type=float, nargs="*", default=[0.9, 0.95, 1.0, 1.05, 1.1], help="velocity scale sweep")
    ap.add_argument("--temperatures", type=float, nargs="*", default=[0.5, 1.0, 2.0, 4.0], help="prior temperature sweep")
    ap.add_argument("--samplers", nargs="*", default=["smc", "nuts", "octree"], help="sampler sweep")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="worker threads")
    ap.add_argument("--no-figure", action="store_true", help="skip sensitivity.png (no matplotlib needed)")
    a = ap.parse_args(argv)
    if a.n < 1:
        ap.error("--n must be >= 1")
    a.out.mkdir(parents=True, exist_ok=True)

    region = eqnemix.SyntheticRegion()
    sets = settings(a.pick_sigmas, a.velocity_scales, a.temperatures, a.samplers)
    unique: List[Setting] = []
    for s in sets:
        if all(u.key() != s.key() for u in unique):
            unique.append(s)
    # One locating model per velocity scale, shared by every event.
    models: Dict[float, eqnemix.TravelTimeModel] = {}
    for s in unique:
        if s.velocity_scale not in models:
            models[s.velocity_scale] = eqnemix.layered(
                [(top, vp * s.velocity_scale, vs * s.velocity_scale) for top, vp, vs in region.layers()]
            )

    jobs = [(u, e) for u in range(len(unique)) for e in range(a.n)]
    t0 = time.perf_counter()
    done = 0

    def job(j):
        u, e = j
        s = unique[u]
        try:
            return run_one(region, models[s.velocity_scale], s, e, a.seed)
        except Exception as err:
            raise RuntimeError(f"setting {s}, event {e}: {err}") from err

    results: List[Outcome] = []
    with ThreadPoolExecutor(max_workers=max(1, a.threads)) as pool:
        for r in pool.map(job, jobs):
            results.append(r)
            done += 1
            if sys.stderr.isatty():
                print(f"\r{done}/{len(jobs)} (setting, event) pairs located, {time.perf_counter() - t0:.0f} s", end="", file=sys.stderr)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    wall = time.perf_counter() - t0
    by_key = {s.key(): results[i * a.n : (i + 1) * a.n] for i, s in enumerate(unique)}
    rows = [summarise(s, by_key[s.key()]) for s in sets]

    def params(s: Setting):
        return [s.sweep, num(s.pick_sigma_s), num(s.velocity_scale), num(s.temperature), s.sampler]

    write_csv(
        a.out / "sensitivity.csv",
        ["sweep", "pick_sigma_s", "velocity_scale", "temperature", "sampler", "n_events",
         "median_epicentral_error_km", "coverage90", "coverage90_se", "mean_area90_km2", "mean_wall_s_per_event"],
        [params(r.setting) + [str(r.n), f"{r.median_error_km:.4f}", f"{r.coverage90:.4f}", f"{r.coverage_se:.4f}",
                              f"{r.mean_area90_km2:.3f}", f"{r.mean_wall_s:.4f}"] for r in rows],
    )
    write_csv(
        a.out / "sensitivity_events.csv",
        ["pick_sigma_s", "velocity_scale", "temperature", "sampler", "event",
         "epicentral_error_km", "in_hpd90", "area90_km2", "wall_s"],
        [params(s)[1:] + [str(e), f"{o.epicentral_error_km:.4f}", str(o.in_hpd90).lower(), f"{o.area90_km2:.3f}", f"{o.wall_s:.4f}"]
         for i, s in enumerate(unique) for e, o in enumerate(results[i * a.n : (i + 1) * a.n])],
    )
    if not a.no_figure:
        plot(a.out / "sensitivity.png", rows)

    print(f"Sensitivity study: {a.n} synthetic events per setting, seed {a.seed}, S-P + back-azimuth")
    print()
    print("| sweep | value | median epicentral error (km) | coverage 90% (± s.e.) | mean 90% ellipse area (km²) | wall s/event |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r.setting.sweep} | {r.setting.label()} | {r.median_error_km:.2f} | {r.coverage90:.2f} ± {r.coverage_se:.2f} "
              f"| {r.mean_area90_km2:.1f} | {r.mean_wall_s:.3f} |")
    print()
    print(f"{len(jobs)} locations in {wall:.1f} s on {max(1, a.threads)} threads; tables{'' if a.no_figure else ' and figure'} in {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
