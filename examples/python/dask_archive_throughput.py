"""Throughput of eqnemix.archive (pick per station-day, locate per event)
on a Dask LocalCluster with 1 and 2 workers (1 thread each).

Generates a synthetic archive (``eqnemix generate``: stations x days of 3C
100 Hz miniSEED), clusters the sample catalog for the prior (``eqnemix
cluster``), then for each worker count runs the whole archive into a fresh
output folder and prints:

- wall time of the run (s; the cluster is started before the clock),
- events/s and station-days/s (wall),
- CPU s: of the workers and their children (``eqnemix pick``), from
  ``os.times()`` on every worker before and after, plus the client's;
  and the tasks' own split, summed over the result files: ``eqnemix
  pick`` CPU and wall time (CPU above wall: ONNX Runtime's threads) and
  ``eqnemix.locate`` CPU.

Locating runs with ``RAYON_NUM_THREADS=1`` (one thread per worker);
``eqnemix pick`` is a child process whose ONNX Runtime session uses its
default intra-op thread pool (one thread per core).

    VENV/bin/python examples/python/dask_archive_throughput.py --bin target/debug/eqnemix \\
        --stations 4 --days 3 --hours 1 --events 12 --workers 1 2
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
os.environ.setdefault("RAYON_NUM_THREADS", "1")  # before any worker starts

from eqnemix import archive as ar  # noqa: E402

# EQTransformer's own thresholds and no added pick error, as the sample
# configuration (examples/data/config/run_sample.toml, [pipeline.picker]).
SETTINGS = ar.layered_settings(REPO / "examples" / "data" / "velocity" / "ridgecrest_1d.toml")


def cpu_s() -> float:
    """CPU seconds of this process and its waited-for children."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def task_times(out: pathlib.Path):
    """Sums over the result files: (pick CPU, pick wall, locate CPU) in s."""
    picks = [json.loads(f.read_text()) for f in out.glob("picks/*/*.json")]
    loc = sum(json.loads(f.read_text())["cpu_s"] for f in out.glob("events/*/*.json"))
    return sum(p["cpu_s"] for p in picks), sum(p["wall_s"] for p in picks), loc


def _noop(i: int) -> int:
    return i


def noop_rate(client, n: int):
    """Submit ``n`` empty tasks one by one and collect them with
    ``as_completed``, as eqnemix.archive does: (tasks per second of wall
    time, CPU s of this process, which holds the LocalCluster's
    scheduler)."""
    from distributed import as_completed  # noqa: PLC0415

    c0, t0 = cpu_s(), time.perf_counter()
    fs = [client.submit(_noop, i, pure=False) for i in range(n)]
    for f in as_completed(fs):
        f.result()
        f.release()
    return n / (time.perf_counter() - t0), cpu_s() - c0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default=os.environ.get("EQNEMIX_BIN"), help="eqnemix binary")
    ap.add_argument("--stations", type=int, default=4)
    ap.add_argument("--days", type=int, default=3)
    ap.add_argument("--hours", type=float, default=1.0, help="hours of record per station-day")
    ap.add_argument("--events", type=int, default=12, help="events per day")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--events-per-task", type=int, default=1, help="events per locate task (eqnemix.archive.run)")
    ap.add_argument("--noop-tasks", type=int, default=0, help="also time this many empty tasks submitted and collected as the run does (the scheduler's own rate)")
    ap.add_argument("--work", help="folder for the archive and outputs (default: a temporary one)")
    a = ap.parse_args()
    from distributed import Client, LocalCluster  # noqa: PLC0415

    exe = ar.find_eqnemix_bin(a.bin)
    work = pathlib.Path(a.work or tempfile.mkdtemp(prefix="eqnemix-dask-"))
    stations = [(f"SYN{i + 1}", -117.6 + 0.15 * (i % 3), 35.7 - 0.1 * (i // 3)) for i in range(a.stations)]
    days = [f"2019-07-{6 + d:02d}" for d in range(a.days)]
    t = time.perf_counter()
    sds = ar.generate_archive(work / "archive", days=days, stations=stations, hours_per_day=a.hours, events_per_day=a.events, seed=11, eqnemix_bin=exe)
    print(f"archive: {len(sds)} station-days ({a.stations} stations x {a.days} days x {a.hours} h, {a.events} events/day), generated in {time.perf_counter() - t:.1f} s: {work / 'archive'}")
    clusters = work / "clusters" / "clusters_gaussian.json"
    p = subprocess.run([exe, "cluster", "--src", str(REPO / "examples/data/catalog/ridgecrest_synthetic.csv"), "--n-components", "5", "--dst", str(clusters.parent)], capture_output=True, text=True)
    if p.returncode != 0:
        print(p.stdout + p.stderr, file=sys.stderr)
        return 1
    print(f"{'workers':>7} {'wall s':>7} {'events':>6} {'ev/s':>6} {'st-days/s':>9} {'CPU s':>7} {'pick CPU s':>10} {'pick wall s':>11} {'locate CPU s':>12}")
    catalogs = []
    for n in a.workers:
        out = work / f"out-{n}"
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
            client.run(cpu_s)  # workers up and importable before the clock
            before = client.run(cpu_s)
            c0, t0 = cpu_s(), time.perf_counter()
            rep = ar.run(work / "archive", out, clusters=clusters, client=client, settings=SETTINGS, seed=1, eqnemix_bin=exe, events_per_task=a.events_per_task, progress=False)
            wall = time.perf_counter() - t0
            after = client.run(cpu_s)
            cpu = sum(after[k] - before[k] for k in after) + cpu_s() - c0
        if rep.failures:
            print(rep.failures, file=sys.stderr)
            return 1
        pick_cpu, pick_wall, loc_cpu = task_times(out)
        print(f"{n:>7} {wall:>7.1f} {rep.n_events:>6} {rep.n_events / wall:>6.2f} {rep.n_station_days / wall:>9.3f} {cpu:>7.1f} {pick_cpu:>10.1f} {pick_wall:>11.1f} {loc_cpu:>12.1f}")
        catalogs.append(rep.catalog.read_text())
    if a.noop_tasks:
        with LocalCluster(n_workers=max(a.workers), threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
            client.run(cpu_s)
            c0, t0 = cpu_s(), time.perf_counter()
            rate, sched_cpu = noop_rate(client, a.noop_tasks)
            print(f"{a.noop_tasks} empty tasks on {max(a.workers)} workers: {rate:.0f} tasks/s, "
                  f"{1000 * sched_cpu / a.noop_tasks:.2f} ms CPU per task in the client and scheduler process")
    if len(set(catalogs)) > 1:
        print("the catalogs differ between worker counts", file=sys.stderr)
        return 1
    print(f"identical catalogs for {a.workers} workers; {rep.n_located} of {rep.n_events} events located")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
