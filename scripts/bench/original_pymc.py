#!/usr/bin/env python3
"""The ORIGINAL EQNeMix location model in PyMC, the peer of
examples/locate_benchmark.rs.

The formulation of the original research code (PyMC3), re-written here for
PyMC 5 from its description (issue 4 / DESIGN.md), not from its source:

    c      ~ Categorical(w)                      w: classifier probabilities
    x_k    ~ MvNormal(mu_k, Sigma_k)   k = 0..K-1 (one 3D Gaussian per cluster)
    hypo   = x_c                                 (east, north, depth), km
    sp     = TABLE[nearest grid node of hypo]    precomputed S-P table, s
    sp_obs ~ Normal(sp, sigma = 0.1 s)

so 3K + 1 sampled dimensions (19 for K = 6). The nearest-node lookup has a
zero gradient almost everywhere: NUTS moves the x_k by their priors alone
and the data act only through the energy error and the Gibbs step of c
(PyMC assigns CategoricalGibbsMetropolis to c and NUTS to the x_k).

Reads the problem (JSON, the only argument) written by the Rust example:
weights, means, covs, sp_obs, sigma, chains, min_ess, seed and the table
(`table_path`: little-endian float64, C order (ix, iy, iz), with
`table_origin_km`, `table_spacing_km`, `table_n`). Samples 4 chains on one
core, computes the bulk ESS (ArviZ) of every hypocentre coordinate and, if
the smallest is below `min_ess`, samples again with proportionally more
draws (at most `max_rounds` runs). Prints one JSON object on stdout: the
wall time of the final run (model build + compile, and sampling), draws,
per-coordinate bulk ESS and R-hat, the posterior mean and the cluster
probabilities.
"""
import json
import logging
import sys
import time
import warnings

import numpy as np


def main():
    with open(sys.argv[1]) as f:
        prob = json.load(f)
    warnings.filterwarnings("ignore")
    logging.getLogger("pymc").setLevel(logging.ERROR)
    import arviz as az
    import pymc as pm
    import pytensor.tensor as pt

    w = np.asarray(prob["weights"], dtype=float)
    mus = np.asarray(prob["means"], dtype=float)
    covs = np.asarray(prob["covs"], dtype=float)
    k = len(w)
    n = np.asarray(prob["table_n"], dtype=int)
    origin = np.asarray(prob["table_origin_km"], dtype=float)
    h = np.asarray(prob["table_spacing_km"], dtype=float)
    table = np.fromfile(prob["table_path"], dtype="<f8").reshape(tuple(n))
    sp_obs = float(prob["sp_obs"])
    sigma = float(prob["sigma"])
    chains = int(prob["chains"])
    min_ess = float(prob["min_ess"])
    draws = int(prob["draws"])
    tune = int(prob["tune"])
    seed = int(prob["seed"])

    def build():
        with pm.Model() as model:
            c = pm.Categorical("c", p=w)
            xs = [pm.MvNormal(f"x{j}", mu=mus[j], cov=covs[j]) for j in range(k)]
            hypo = pm.Deterministic("hypo", pt.stack(xs)[c])
            # Nearest node, clipped to the table (the original's lookup).
            idx = pt.clip(pt.round((hypo - origin) / h), 0, n - 1).astype("int64")
            sp = pt.as_tensor_variable(table)[idx[0], idx[1], idx[2]]
            pm.Normal("sp_obs", mu=sp, sigma=sigma, observed=sp_obs)
        return model

    rounds = []
    for r in range(int(prob.get("max_rounds", 3))):
        # Sampling starts at the first draw's callback: before it, PyMC
        # builds and compiles the model's functions.
        first = {}

        def callback(**_):
            if not first:
                first["wall"] = time.perf_counter()
                first["cpu"] = time.process_time()

        t0, c0 = time.perf_counter(), time.process_time()
        model = build()
        with model:
            idata = pm.sample(
                draws=draws,
                tune=tune,
                chains=chains,
                cores=1,
                random_seed=seed + r,
                progressbar=False,
                compute_convergence_checks=False,
                initvals=[{"c": int(np.argmax(w))}] * chains,
                callback=callback,
            )
        t1, c1 = time.perf_counter(), time.process_time()
        total = t1 - t0
        sampling = t1 - first["wall"]
        ess = az.ess(idata, var_names=["hypo"], method="bulk")["hypo"].values
        rhat = az.rhat(idata, var_names=["hypo"])["hypo"].values
        post = idata.posterior
        hyp = post["hypo"].values.reshape(-1, 3)
        cl = post["c"].values.reshape(-1)
        rounds.append(
            {
                "draws_per_chain": draws,
                "tune": tune,
                "total_s": total,
                "sampling_s": sampling,
                "compile_s": total - sampling,
                "sampling_cpu_s": c1 - first["cpu"],
                "compile_cpu_s": first["cpu"] - c0,
                "ess_bulk": [float(v) for v in ess],
                "rhat": [float(v) for v in rhat],
                "mean_km": [float(v) for v in hyp.mean(axis=0)],
                "cluster_probabilities": [float(np.mean(cl == j)) for j in range(k)],
            }
        )
        e = float(np.min(ess))
        if e >= min_ess or not np.isfinite(e):
            break
        # ESS grows about linearly with the draws: aim 20% above the target.
        draws = int(np.ceil(draws * min(8.0, 1.2 * min_ess / max(e, 1.0))))
    out = dict(rounds[-1])
    out["rounds"] = len(rounds)
    out["all_rounds_s"] = float(sum(r["total_s"] for r in rounds))
    out["dims"] = 3 * k + 1
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    sys.exit(main())
