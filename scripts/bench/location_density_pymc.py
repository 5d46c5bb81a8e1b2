#!/usr/bin/env python3
"""PyMC/PyTensor and NumPy peers of examples/location_density_benchmark.rs.

Reads the problem (JSON, from the file given as the only argument) written
by the Rust example: cluster weights, means, covariances, stations with
observed S-P times or absolute P/S times, velocities, test points and a grid.
Builds the same log posterior

    log p(x) = logsumexp_k [ln w_k + ln N(x; mu_k, Sigma_k)]
             + sum_stations ln N(sp_obs; T_S(x) - T_P(x), sigma)      (s_minus_p)
    or     + marginal of the absolute times over the origin time     (absolute)

with straight-ray times T = |x - s| / v, and times
  * PyTensor-compiled logp and logp+gradient (PyMC `compile_logp`,
    `compile_dlogp`) called point by point, as a sampler calls them;
  * a NumPy vectorised evaluation of log p over the dense grid.
Prints one JSON object on stdout: timings and the log densities at the test
points (so the Rust side can check that both implement the same model).
"""
import json
import sys
import time
import warnings

import numpy as np


def main():
    with open(sys.argv[1]) as f:
        prob = json.load(f)
    warnings.filterwarnings("ignore")
    import pymc as pm
    import pytensor.tensor as pt

    w = np.array(prob["weights"])
    mus = np.array(prob["means"])
    covs = np.array(prob["covs"])
    vp, vs = prob["vp"], prob["vs"]
    stations = np.array(prob["stations"])
    mode = prob["mode"]
    pts = np.array(prob["points"])

    t_build = time.perf_counter()
    with pm.Model() as model:
        x = pm.Flat("x", shape=3)
        comps = [pt.log(w[k]) + pm.logp(pm.MvNormal.dist(mu=mus[k], cov=covs[k]), x) for k in range(len(w))]
        prior = pm.math.logsumexp(pt.stack(comps))
        dist = [pt.sqrt(pt.sum((x - stations[i]) ** 2)) for i in range(len(stations))]
        if mode == "s_minus_p":
            sp = np.array(prob["sp_obs"])
            sig = np.array(prob["sp_sigma"])
            lik = sum(
                pm.logp(pm.Normal.dist(mu=dist[i] * (1.0 / vs - 1.0 / vp), sigma=sig[i]), sp[i])
                for i in range(len(stations))
            )
        else:
            # Arrivals: (station index, phase 'P'/'S', time, sigma).
            arr = prob["arrivals"]
            t = np.array([a[2] for a in arr])
            s = np.array([a[3] for a in arr])
            wts = 1.0 / s**2
            tt = pt.stack([dist[a[0]] / (vp if a[1] == "P" else vs) for a in arr])
            d = t - tt
            dbar = pt.sum(wts * d) / wts.sum()
            q = pt.sum(wts * (d - dbar) ** 2)
            n = len(arr)
            lik = (
                -0.5 * (n - 1) * np.log(2 * np.pi) - np.sum(np.log(s)) - 0.5 * np.log(wts.sum()) - 0.5 * q
            )
        pm.Potential("post", prior + lik)
        logp = model.compile_logp()
        dlogp = model.compile_dlogp()
    t_build = time.perf_counter() - t_build

    ref = [float(logp({"x": p})) for p in pts]
    reps = prob["repeats"]
    n_calls = len(pts)

    def best(f):
        f({"x": pts[0]})  # warm-up: lazy compilation and caches
        out = []
        for _ in range(reps):
            t0 = time.perf_counter()
            for p in pts:
                f({"x": p})
            out.append((time.perf_counter() - t0) / n_calls)
        return float(np.median(out))

    t_logp = best(logp)
    t_both = best(lambda d: (logp(d), dlogp(d)))

    # NumPy vectorised grid: the whole grid in one go.
    lo, hi, n = np.array(prob["grid_min"]), np.array(prob["grid_max"]), prob["grid_n"]
    h = (hi - lo) / np.array(n)
    axes = [lo[a] + (np.arange(n[a]) + 0.5) * h[a] for a in range(3)]

    def grid_eval():
        X = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 3)
        terms = []
        for k in range(len(w)):
            dlt = X - mus[k]
            P = np.linalg.inv(covs[k])
            qf = np.einsum("ni,ij,nj->n", dlt, P, dlt)
            terms.append(np.log(w[k]) - 0.5 * np.log(np.linalg.det(2 * np.pi * covs[k])) - 0.5 * qf)
        T = np.stack(terms)
        m = T.max(axis=0)
        lp = m + np.log(np.exp(T - m).sum(axis=0))
        D = [np.sqrt(((X - stations[i]) ** 2).sum(axis=1)) for i in range(len(stations))]
        if mode == "s_minus_p":
            for i in range(len(stations)):
                r = prob["sp_obs"][i] - D[i] * (1.0 / vs - 1.0 / vp)
                s = prob["sp_sigma"][i]
                lp += -0.5 * np.log(2 * np.pi) - np.log(s) - 0.5 * (r / s) ** 2
        else:
            arr = prob["arrivals"]
            t = np.array([a[2] for a in arr])
            s = np.array([a[3] for a in arr])
            wts = 1.0 / s**2
            d = np.stack([t[j] - D[a[0]] / (vp if a[1] == "P" else vs) for j, a in enumerate(arr)])
            dbar = (wts[:, None] * d).sum(axis=0) / wts.sum()
            q = (wts[:, None] * (d - dbar) ** 2).sum(axis=0)
            lp += -0.5 * (len(arr) - 1) * np.log(2 * np.pi) - np.log(s).sum() - 0.5 * np.log(wts.sum()) - 0.5 * q
        return lp

    gt = []
    for _ in range(max(1, reps // 2)):
        t0 = time.perf_counter()
        grid_eval()
        gt.append(time.perf_counter() - t0)

    print(
        json.dumps(
            {
                "build_compile_s": t_build,
                "logp_s": t_logp,
                "logp_grad_s": t_both,
                "numpy_grid_s": float(np.median(gt)),
                "ref_logp": ref,
            }
        )
    )


if __name__ == "__main__":
    main()
