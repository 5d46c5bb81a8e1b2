#!/usr/bin/env python3
"""Fit the back-azimuth calibration constants of src/polarisation.rs
(NOISE_SIGMA_SCALE k, DIRECTION_ERROR_DEG delta, P_FLIP_MODEL p0) on the even
rows of examples/data/polarisation_real/records.csv, and score both halves.

    cargo run --release --example polarisation_real -- --dump target/polarisation_real.csv
    python3 scripts/fit_polarisation_calibration.py target/polarisation_real.csv

The dump holds, per record that passed the quality gates, the error against
the catalog back-azimuth, the uncalibrated first-order noise sigma
(`sigma_noise_deg`) and flip probability (`p_flip_noise`) and the apparent
incidence. The model (module doc of src/polarisation.rs):

    sigma = sqrt( atan(k tan sigma_noise)^2 + atan(tan delta / sin incidence)^2 )
    p     = 1 - (1 - p0) (1 - Phi(Phi^-1(p_flip_noise) / k))
    error ~ (1 - p) N(0, sigma) + p N(180, sigma)        (wrapped)

p0 is the rule-of-succession estimate (flips + 1) / (n + 2) of the flips on
the fit half (|error| > 90 deg); k and delta maximise the likelihood there.
Needs numpy, scipy, pandas.
"""

import sys

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.stats import norm


def lobe(x, centre, sig):
    d = ((x - centre + 180.0) % 360.0) - 180.0
    return sum(np.exp(-0.5 * ((d + 360.0 * w) / sig) ** 2) for w in (-1, 0, 1)) / (sig * np.sqrt(2 * np.pi))


def model(k, delta, p0, s):
    si = np.sin(np.radians(s.incidence_deg.values))
    s_model = np.degrees(np.arctan(np.tan(np.radians(delta)) / np.maximum(si, 1e-12)))
    s_noise = np.degrees(np.arctan(k * np.tan(np.radians(np.minimum(s.sigma_noise_deg.values, 89.999)))))
    sig = np.minimum(np.sqrt(s_noise**2 + s_model**2), 180.0)
    pn = norm.cdf(norm.ppf(np.clip(s.p_flip_noise.values, 1e-300, 0.5)) / k)
    return sig, 1.0 - (1.0 - p0) * (1.0 - pn)


def nll(par, p0, s):
    sig, pf = model(np.exp(par[0]), np.exp(par[1]), p0, s)
    x = s.error_deg.values
    return -np.sum(np.log((1 - pf) * lobe(x, 0.0, sig) + pf * lobe(x, 180.0, sig) + 1e-300))


def levels(k, delta, p0, s):
    sig, pf = model(k, delta, p0, s)
    grid = np.arange(-180.0, 180.0, 0.1)
    out = []
    for x, si, pi in zip(s.error_deg.values, sig, pf):
        dens = lambda y: (1 - pi) * lobe(y, 0.0, si) + pi * lobe(y, 180.0, si)
        fg = dens(grid)
        out.append(fg[fg > dens(x)].sum() / fg.sum())
    return np.array(out)


def main():
    d = pd.read_csv(sys.argv[1])
    d = d[d.status == "ok"].copy()
    fit = d[d.row % 2 == 0]
    flips = int((fit.error_deg.abs() > 90).sum())
    p0 = (flips + 1) / (len(fit) + 2)
    r = minimize(nll, [np.log(0.3), np.log(8.0)], args=(p0, fit), method="Nelder-Mead",
                 options=dict(xatol=1e-8, fatol=1e-10, maxiter=10000))
    k, delta = np.exp(r.x)
    print("fit half: %d records, %d flipped" % (len(fit), flips))
    print("NOISE_SIGMA_SCALE = %.3f\nDIRECTION_ERROR_DEG = %.2f\nP_FLIP_MODEL = %.4f" % (k, delta, p0))
    for name, s in [("even (fit)", fit), ("odd (held out)", d[d.row % 2 == 1]), ("all", d)]:
        lv = levels(k, delta, p0, s)
        print("%-15s n %3d  coverage 68/90/95: %.2f %.2f %.2f" % ((name, len(s)) + tuple((lv <= q).mean() for q in (0.6827, 0.9, 0.95))))


if __name__ == "__main__":
    main()
