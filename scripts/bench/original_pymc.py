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

Why it is slow (measured on the example's event, 4 chains): the
likelihood is a step function (one S-P step of about 0.1 s = 1 sigma per
1 km node), so step-size adaptation drives the NUTS step down to keep the
acceptance near 0.8 (0.005 in mass-matrix units after 200 tuning draws,
0.0005 after PyMC's default 1000), and with no gradient to turn the
trajectory the U-turn criterion is not met before the maximum tree depth:
every draw takes 1023 leapfrog steps, at 60-95 us of compiled PyTensor
logp + gradient each (C code built with g++; compilation takes about
3 CPU s, the 3.6 MB S-P table constant does not slow it). That is 60-90
CPU ms per draw and chain for a bulk ESS of 0.02-0.09 per draw, and the
index c changes cluster in only 1-4 % of the Gibbs steps. With 1000 +
1000 draws per chain the first run takes about 500-700 CPU s for a bulk
ESS near 100, so the ESS-raising loop asks for 8x the draws (a run of
about an hour from scratch): that is why, without a budget, the script
had not returned after 39 CPU minutes.

Reads the problem (JSON, the only argument) written by the Rust example:
weights, means, covs, sp_obs, sigma, chains, min_ess, draws, tune, seed,
max_rounds, cpu_budget_s and the table (`table_path`: little-endian
float64, C order (ix, iy, iz), with `table_origin_km`, `table_spacing_km`,
`table_n`). Samples `chains` chains on one core (cores=1: one after the
other), computes the bulk ESS (ArviZ) of every hypocentre coordinate and,
if the smallest is below `min_ess`, samples again from scratch with
proportionally more draws, at most `max_rounds` runs in all.

CPU budget: the whole process (imports, compilation, every run) may use
`cpu_budget_s` CPU seconds. A further run is started only if its cost,
projected from the last run's CPU time per iteration, fits in what is
left; a run that overruns anyway is abandoned at the budget (a check after
every draw). The report is then the LAST FINISHED run's, with `status`
"budget" (or "max_rounds"; "target" when the ESS target was reached) and
`projected_cpu_s_to_target`: the sampling CPU time a run would need to
reach `min_ess`, extrapolated linearly from that run's ESS per draw (an
extrapolation, labelled as such by the example).

Prints one JSON object on stdout: for the reported run, the wall and CPU
time of model build + compile and of sampling (tuning included), draws,
per-coordinate bulk ESS, R-hat, posterior mean and standard deviation
(km), cluster probabilities, and the NUTS / Gibbs diagnostics that explain
the cost (mean tree depth, share of draws at the maximum depth, mean
leapfrog steps, final step size, divergences, CPU time per leapfrog step,
how often c changes between draws).
"""
import json
import sys
import time

import numpy as np

from locate_problem import read_problem


class BudgetExceeded(Exception):
    """Raised from the sampling callback when the CPU budget is spent."""


def main():
    cpu_start = time.process_time()
    pr = read_problem(sys.argv[1])
    prob = pr.prob
    import arviz as az
    import pymc as pm
    import pytensor.tensor as pt

    w, mus, covs = pr.w, pr.mus, pr.covs
    k = len(w)
    n, origin, h, table = pr.n, pr.origin, pr.spacing, pr.table
    sp_obs = float(prob["sp_obs"])
    sigma = float(prob["sigma"])
    chains = int(prob["chains"])
    min_ess = float(prob["min_ess"])
    draws = int(prob["draws"])
    tune = int(prob["tune"])
    seed = int(prob["seed"])
    budget = float(prob.get("cpu_budget_s", 1200.0))

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

    def run(r, draws):
        """One pm.sample run from scratch; its report."""
        # Sampling starts at the first draw's callback: before it, PyMC
        # builds and compiles the model's functions.
        first = {}
        leapfrog = [0]

        def callback(draw, **_):
            if not first:
                first["wall"] = time.perf_counter()
                first["cpu"] = time.process_time()
            # NUTS reports its leapfrog steps of the draw as "tree_size".
            for s in draw.stats:
                leapfrog[0] += int(s.get("tree_size", 0))
            if time.process_time() - cpu_start > budget:
                raise BudgetExceeded()

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
        ess = az.ess(idata, var_names=["hypo"], method="bulk")["hypo"].values
        rhat = az.rhat(idata, var_names=["hypo"])["hypo"].values
        post = idata.posterior
        hyp = post["hypo"].values.reshape(-1, 3)
        cl = post["c"].values
        st = idata.sample_stats
        sampling_cpu = c1 - first["cpu"]
        return {
            "draws_per_chain": draws,
            "tune": tune,
            "total_s": t1 - t0,
            "sampling_s": t1 - first["wall"],
            "compile_s": first["wall"] - t0,
            "sampling_cpu_s": sampling_cpu,
            "compile_cpu_s": first["cpu"] - c0,
            "cpu_s_per_iteration": sampling_cpu / (chains * (tune + draws)),
            "cpu_us_per_leapfrog": 1e6 * sampling_cpu / max(leapfrog[0], 1),
            "ess_bulk": [float(v) for v in ess],
            "rhat": [float(v) for v in rhat],
            "mean_km": [float(v) for v in hyp.mean(axis=0)],
            "sd_km": [float(v) for v in hyp.std(axis=0)],
            "cluster_probabilities": [float(np.mean(cl == j)) for j in range(k)],
            "c_switch_rate": float(np.mean(np.diff(cl, axis=1) != 0)),
            "mean_tree_depth": float(st["tree_depth"].mean()),
            "max_tree_depth_share": float(st["reached_max_treedepth"].mean()),
            "mean_leapfrog_steps": float(st["n_steps"].mean()),
            "step_size": float(st["step_size"].mean()),
            "divergences": int(st["diverging"].sum()),
        }

    rounds = []
    status = "max_rounds"
    for r in range(int(prob.get("max_rounds", 3))):
        if rounds:
            last = rounds[-1]
            projected = last["compile_cpu_s"] + chains * (tune + draws) * last["cpu_s_per_iteration"]
            if time.process_time() - cpu_start + projected > budget:
                status = "budget"
                break
        try:
            rounds.append(run(r, draws))
        except BudgetExceeded:
            status = "budget"
            break
        e = float(np.min(rounds[-1]["ess_bulk"]))
        if e >= min_ess:
            status = "target"
            break
        if not np.isfinite(e):
            break
        # ESS grows about linearly with the draws: aim 20% above the target.
        draws = int(np.ceil(draws * min(8.0, 1.2 * min_ess / max(e, 1.0))))
    out = dict(rounds[-1]) if rounds else {}
    if rounds:
        e = float(np.min(out["ess_bulk"]))
        ess_per_draw = e / (chains * out["draws_per_chain"])
        out["projected_cpu_s_to_target"] = (
            chains * (tune + min_ess / max(ess_per_draw, 1e-12) / chains) * out["cpu_s_per_iteration"]
        )
    out["status"] = status
    out["rounds"] = len(rounds)
    out["cpu_budget_s"] = budget
    out["process_cpu_s"] = time.process_time() - cpu_start
    out["dims"] = 3 * k + 1
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    sys.exit(main())
