#!/usr/bin/env python3
"""Peer eikonal solvers for examples/eikonal_benchmark.rs.

Solves one benchmark problem with pykonal (PointSourceSolver: fast marching
with a refined spherical near-source grid, its recommended point-source
set-up) and scikit-fmm (second-order fast marching from a small sphere
around the source), and prints one JSON line per solver:
{"solver", "cpu_seconds", "wall_seconds", "max_error_s", "checked"} (or {"solver", "error"}).

Times: CPU time of the solving thread (time.thread_time; the benchmark
machine is shared) and wall time. The error metric is the example's: max |T - T_exact| over the nodes farther
than 5 km from the source whose exact ray stays above the grid bottom.

Usage: eikonal_peers.py --problem homogeneous|gradient --n NX NY NZ --h KM
       --source X Y Z --v0 KM_S --g PER_S [--solvers pykonal,skfmm]
"""
import argparse
import json
import sys
import time

import numpy as np


def exact_and_mask(problem, n, h, src, v0, g, zmax):
    x = np.arange(n[0]) * h
    y = np.arange(n[1]) * h
    z = np.arange(n[2]) * h
    X, Y, Z = np.meshgrid(x, y, z, indexing="ij")
    r = np.sqrt((X - src[0]) ** 2 + (Y - src[1]) ** 2 + (Z - src[2]) ** 2)
    if problem == "homogeneous":
        return r / v0, r > 5.0
    vs = v0 + g * src[2]
    v = v0 + g * Z
    t = np.arccosh(1.0 + g * g * r * r / (2.0 * vs * v)) / g
    # Deepest point of the circular ray (centre at depth -v0/g).
    a = v0 / g
    xh = np.hypot(X - src[0], Y - src[1])
    zs, zz = src[2] + a, Z + a
    with np.errstate(divide="ignore", invalid="ignore"):
        xc = (xh * xh + zz * zz - zs * zs) / (2.0 * xh)
        turning = (xh > 0) & (xc > 0) & (xc < xh)
        bottom = np.where(turning, np.hypot(xc, zs) - a, np.maximum(src[2], Z))
    return t, (r > 5.0) & (bottom <= zmax)


def velocity(problem, n, h, v0, g):
    z = np.arange(n[2]) * h
    v = np.empty(n)
    v[:] = v0 if problem == "homogeneous" else v0 + g * z
    return v


def run_pykonal(v, n, h, src):
    import pykonal

    solver = pykonal.solver.PointSourceSolver(coord_sys="cartesian")
    solver.velocity.min_coords = 0.0, 0.0, 0.0
    solver.velocity.node_intervals = h, h, h
    solver.velocity.npts = n[0], n[1], n[2]
    solver.velocity.values = v
    solver.src_loc = np.array(src, dtype=float)
    cpu, wall = time.thread_time(), time.perf_counter()
    solver.solve()
    return np.asarray(solver.tt.values), time.thread_time() - cpu, time.perf_counter() - wall


def run_skfmm(v, n, h, src):
    import skfmm

    x = np.arange(n[0]) * h
    y = np.arange(n[1]) * h
    z = np.arange(n[2]) * h
    X, Y, Z = np.meshgrid(x, y, z, indexing="ij")
    r = np.sqrt((X - src[0]) ** 2 + (Y - src[1]) ** 2 + (Z - src[2]) ** 2)
    # Zero level set: a sphere of one spacing around the source; the time
    # across it is added with the source velocity (exact when homogeneous).
    radius = h
    phi = r - radius
    cpu, wall = time.thread_time(), time.perf_counter()
    t = skfmm.travel_time(phi, v, dx=h, order=2)
    cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
    vs = v[int(round(src[0] / h)), int(round(src[1] / h)), int(round(src[2] / h))]
    t = np.asarray(t) + radius / vs
    return t, cpu, wall


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--problem", choices=["homogeneous", "gradient"], required=True)
    p.add_argument("--n", type=int, nargs=3, required=True)
    p.add_argument("--h", type=float, required=True)
    p.add_argument("--source", type=float, nargs=3, required=True)
    p.add_argument("--v0", type=float, required=True)
    p.add_argument("--g", type=float, default=0.0)
    p.add_argument("--solvers", default="pykonal,skfmm")
    args = p.parse_args()
    n = tuple(args.n)
    v = velocity(args.problem, n, args.h, args.v0, args.g)
    exact, mask = exact_and_mask(args.problem, n, args.h, args.source, args.v0, args.g, (n[2] - 1) * args.h)
    runners = {"pykonal": run_pykonal, "skfmm": run_skfmm}
    for name in args.solvers.split(","):
        try:
            t, cpu, wall = runners[name](v, n, args.h, args.source)
            err = float(np.max(np.abs(t[mask] - exact[mask])))
            print(json.dumps({"solver": name, "cpu_seconds": cpu, "wall_seconds": wall, "max_error_s": err, "checked": int(mask.sum())}))
        except Exception as e:  # report and go on with the next solver
            print(json.dumps({"solver": name, "error": f"{type(e).__name__}: {e}"}))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
