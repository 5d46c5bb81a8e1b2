#!/usr/bin/env python3
"""PyMC NUTS on the benchmark targets of examples/sampler_benchmark.rs.

Prints one JSON object per target on stdout (one line each), with the wall
time split into model build + compilation and sampling, and the minimum bulk
ESS over the coordinates (ArviZ). The targets are the same as on the Rust
side (eqnemix_samplers::targets):

  gauss10   CorrelatedGaussian::ar1_10d(): mean i - 4.5, sd 0.3 * 10**(i/9),
            AR(1) correlation 0.8, i = 0..9
  twomode3  GaussianMixture::two_mode_3d(0.3, 0.7, separation): component 0
            N((-s/2, 0, 0), diag(1, 0.7, 0.5)^2); component 1 N((s/2, 0, 0), C)
            with sds (0.8, 1.2, 0.6) and correlation 0.5 between axes 0 and 1

Usage: pymc_bench.py --draws 2000 --tune 1000 --chains 2 --seed 1 --separation 4
Single core (cores=1) so that the comparison with the single-threaded Rust
runs is fair.
"""
import argparse
import json
import os
import sys
import time
import warnings

import numpy as np


def gauss10():
    i = np.arange(10)
    mean = i - 4.5
    sd = 0.3 * 10.0 ** (i / 9.0)
    cov = np.outer(sd, sd) * 0.8 ** np.abs(i[:, None] - i[None, :])
    return mean, cov


def twomode3(sep):
    m0 = np.array([-0.5 * sep, 0.0, 0.0])
    c0 = np.diag(np.array([1.0, 0.7, 0.5]) ** 2)
    m1 = np.array([0.5 * sep, 0.0, 0.0])
    s = np.array([0.8, 1.2, 0.6])
    r = np.eye(3)
    r[0, 1] = r[1, 0] = 0.5
    c1 = np.outer(s, s) * r
    return [(0.3, m0, c0), (0.7, m1, c1)]


def run(name, build, args, pm, az):
    t0 = time.perf_counter()
    with pm.Model() as model:
        build(pm)
        idata = pm.sample(
            draws=args.draws,
            tune=args.tune,
            chains=args.chains,
            cores=1,
            random_seed=args.seed,
            progressbar=False,
            compute_convergence_checks=False,
            initvals={"x": np.zeros(model["x"].type.shape[0] if model["x"].type.shape[0] else 1)},
        )
    total = time.perf_counter() - t0
    sampling = float(idata.posterior.attrs.get("sampling_time", float("nan")))
    ess = az.ess(idata, var_names=["x"], method="bulk")["x"].values
    x = idata.posterior["x"].values.reshape(-1, idata.posterior["x"].shape[-1])
    out = {
        "target": name,
        "draws": args.draws * args.chains,
        "total_s": total,
        "sampling_s": sampling,
        "compile_s": total - sampling,
        "ess_bulk_min": float(np.min(ess)),
        "left_mass": float(np.mean(x[:, 0] < 0.0)),
        "mean": [float(v) for v in x.mean(axis=0)],
    }
    print(json.dumps(out), flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--draws", type=int, default=2000)
    p.add_argument("--tune", type=int, default=1000)
    p.add_argument("--chains", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--separation", type=float, default=4.0)
    p.add_argument("--targets", default="gauss10,twomode3")
    args = p.parse_args()
    warnings.filterwarnings("ignore")
    import logging

    logging.getLogger("pymc").setLevel(logging.ERROR)
    import arviz as az
    import pymc as pm
    import pytensor.tensor as pt

    mean10, cov10 = gauss10()

    def build_gauss10(pm):
        pm.MvNormal("x", mu=mean10, cov=cov10, shape=10)

    comps = twomode3(args.separation)

    def build_twomode3(pm):
        x = pm.Flat("x", shape=3)
        terms = [np.log(w) + pm.logp(pm.MvNormal.dist(mu=m, cov=c), x) for (w, m, c) in comps]
        pm.Potential("mix", pt.logsumexp(pt.stack(terms)))

    builders = {"gauss10": build_gauss10, "twomode3": build_twomode3}
    for name in args.targets.split(","):
        run(name, builders[name], args, pm, az)


if __name__ == "__main__":
    sys.exit(main())
