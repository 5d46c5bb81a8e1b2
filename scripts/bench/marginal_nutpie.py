#!/usr/bin/env python3
"""eqnemix's location model in PyMC, sampled by nutpie: the fastest NUTS
peer of examples/locate_benchmark.rs.

Unlike original_pymc.py (the original's categorical formulation), this is
the model eqnemix itself samples, so that the comparison is of samplers on
one model:

    log p(x) = logsumexp_k [ln w_k + ln N(x; mu_k, Sigma_k)]      (cluster index marginalised)
             + ln N(sp_obs; SP(x), sigma)

with x = (east, north, depth) in km (3 dimensions) and SP(x) the trilinear
interpolation of the S-P table the example writes (the layered model's
exact S-P times at the nodes of a `table_spacing_km` grid over the region
box): smooth enough for NUTS, within a few ms of the layered model at 1 km.
Points outside the box take the nearest face's values.

nutpie (github.com/pymc-devs/nutpie) compiles the PyMC model with numba and
samples it with its Rust NUTS (diagonal mass matrix adapted from gradients)
on `chains` chains, one core (cores=1). The draws are raised (a new run from
scratch, at most `max_rounds` runs) until the bulk ESS (ArviZ) of every
coordinate reaches `min_ess`, within `cpu_budget_s` CPU seconds for the
whole process (a further run starts only if its projected cost fits).

Cluster probabilities are Rao-Blackwellised: per draw, the responsibilities
w_k N(x; mu_k, Sigma_k) / sum_j w_j N(x; mu_j, Sigma_j) (the likelihood does
not depend on k), averaged over draws: the same estimate as eqnemix's.

Reads the problem JSON (the only argument) written by the Rust example
(the keys of original_pymc.py). Prints one JSON object on stdout: wall and
CPU time of model build + compile and of sampling (tuning included), draws
per chain, per-coordinate bulk ESS and R-hat, posterior mean and standard
deviation (km), cluster probabilities, divergences, mean tree depth, and
`status` ("target", "budget" or "max_rounds"). Numbers that could not be
measured are null, never NaN.
"""
import json
import os
import sys
import time

import numpy as np

from locate_problem import read_problem


def finite_or_none(v):
    v = float(v)
    return v if np.isfinite(v) else None


def main():
    cpu_start = time.process_time()
    pr = read_problem(sys.argv[1])
    prob = pr.prob
    import arviz as az
    import nutpie
    import pymc as pm
    import pytensor.tensor as pt

    w, mus, covs = pr.w, pr.mus, pr.covs
    n = [int(v) for v in pr.n]
    table, origin, spacing = pr.table, pr.origin, pr.spacing
    keep = w > 0
    logw = np.log(w[keep])
    mus_k, covs_k = mus[keep], covs[keep]
    chol = np.linalg.cholesky(covs_k)
    inv = np.linalg.inv(covs_k)
    logdet = np.log(np.linalg.det(covs_k))

    t0, c0 = time.perf_counter(), time.process_time()
    flat = table.ravel()
    strides = np.array([n[1] * n[2], n[2], 1])
    with pm.Model() as model:
        x = pm.Flat("x", shape=3, initval=mus_k[np.argmax(logw)])
        # Mixture prior, index marginalised.
        d = x[None, :] - mus_k  # (K, 3)
        maha = pt.sum(d * pt.sum(inv * d[:, None, :], axis=2), axis=1)
        comp = logw - 0.5 * (maha + logdet + 3.0 * np.log(2.0 * np.pi))
        pm.Potential("prior", pt.logsumexp(comp))
        # Trilinear S-P.
        u = (x - origin) / spacing
        u = pt.clip(u, 0.0, np.asarray(n, dtype=float) - 1.000001)
        i0 = pt.floor(u)
        f = u - i0
        i0 = pt.cast(i0, "int64")
        sp = 0.0
        for a in (0, 1):
            for b in (0, 1):
                for c in (0, 1):
                    idx = (i0[0] + a) * strides[0] + (i0[1] + b) * strides[1] + (i0[2] + c)
                    wt = (f[0] if a else 1 - f[0]) * (f[1] if b else 1 - f[1]) * (f[2] if c else 1 - f[2])
                    sp = sp + wt * pt.as_tensor_variable(flat)[idx]
        pm.Normal("sp_obs", mu=sp, sigma=float(prob["sigma"]), observed=float(prob["sp_obs"]))
    compiled = nutpie.compile_pymc_model(model)
    compile_s, compile_cpu_s = time.perf_counter() - t0, time.process_time() - c0

    chains, tune = int(prob["chains"]), int(prob["tune"])
    draws = int(prob["draws"])
    min_ess, budget = float(prob["min_ess"]), float(prob["cpu_budget_s"])
    out, status = None, "max_rounds"
    for rnd in range(int(prob["max_rounds"])):
        t1, c1 = time.perf_counter(), time.process_time()
        trace = nutpie.sample(compiled, draws=draws, tune=tune, chains=chains, cores=1, seed=int(prob["seed"]) + rnd, progress_bar=False)
        s_wall, s_cpu = time.perf_counter() - t1, time.process_time() - c1
        post = trace.posterior["x"].values  # (chains, draws, 3)
        ess = az.ess(trace, var_names=["x"], method="bulk")["x"].values
        rhat = az.rhat(trace, var_names=["x"])["x"].values
        xs = post.reshape(-1, 3)
        dd = xs[:, None, :] - mus_k[None, :, :]
        z = np.einsum("nki,kij,nkj->nk", dd, inv, dd)
        logr = logw[None, :] - 0.5 * (z + logdet[None, :])
        logr -= logr.max(axis=1, keepdims=True)
        r = np.exp(logr)
        r /= r.sum(axis=1, keepdims=True)
        probs = np.zeros(len(w))
        probs[keep] = r.mean(axis=0)
        stats = trace.sample_stats
        out = {
            "dims": 3,
            "draws_per_chain": draws,
            "tune": tune,
            "chains": chains,
            "sampling_s": s_wall,
            "sampling_cpu_s": s_cpu,
            "compile_s": compile_s,
            "compile_cpu_s": compile_cpu_s,
            "ess_bulk": [finite_or_none(v) for v in ess],
            "rhat": [finite_or_none(v) for v in rhat],
            "mean_km": xs.mean(axis=0).tolist(),
            "sd_km": xs.std(axis=0).tolist(),
            "cluster_probabilities": probs.tolist(),
            "divergences": int(np.asarray(stats["diverging"]).sum()),
            "mean_tree_depth": finite_or_none(np.asarray(stats["depth"]).mean()) if "depth" in stats else None,
            "mean_leapfrog_steps": finite_or_none(np.asarray(stats["n_steps"]).mean()) if "n_steps" in stats else None,
            "rounds": rnd + 1,
            "nutpie": nutpie.__version__,
            "pymc": pm.__version__,
        }
        if np.all(np.isfinite(ess)) and ess.min() >= min_ess:
            status = "target"
            break
        factor = min(8.0, 1.2 * min_ess / max(float(np.nanmin(ess)), 1.0))
        next_draws = int(np.ceil(draws * factor))
        projected = s_cpu * (tune + next_draws) / (tune + draws)
        if time.process_time() - cpu_start + projected > budget:
            status = "budget"
            break
        draws = next_draws
    out["status"] = status
    out["process_cpu_s"] = time.process_time() - cpu_start
    out["cpu_budget_s"] = budget
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main()
