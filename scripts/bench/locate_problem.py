"""The location problem examples/locate_benchmark.rs writes for its Python
peers (original_pymc.py, marginal_nutpie.py): one JSON file naming the
cluster Gaussians, the prior weights, the observed S-P time, the sampling
settings and an S-P table (little-endian float64, C order (ix, iy, iz)).
"""
import json
import logging
import warnings
from types import SimpleNamespace

import numpy as np


def read_problem(path):
    """The problem at `path` as a namespace: `prob` (the raw JSON dict),
    `w` (K weights), `mus` (K x 3, km), `covs` (K x 3 x 3, km^2), `n`
    (table nodes per axis), `origin` and `spacing` (km) and `table` (S-P
    times, s, shape n). Also quietens PyMC's warnings and log."""
    with open(path) as f:
        prob = json.load(f)
    warnings.filterwarnings("ignore")
    logging.getLogger("pymc").setLevel(logging.ERROR)
    n = np.asarray(prob["table_n"], dtype=int)
    return SimpleNamespace(
        prob=prob,
        w=np.asarray(prob["weights"], dtype=float),
        mus=np.asarray(prob["means"], dtype=float),
        covs=np.asarray(prob["covs"], dtype=float),
        n=n,
        origin=np.asarray(prob["table_origin_km"], dtype=float),
        spacing=np.asarray(prob["table_spacing_km"], dtype=float),
        table=np.fromfile(prob["table_path"], dtype="<f8").reshape(tuple(n)),
    )
