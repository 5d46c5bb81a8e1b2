"""Shared inputs: three cluster Gaussians about an origin in the Ridgecrest
area and exact P and S picks at one station of a source near cluster 0
(the inputs of the Rust tests' `write_three_clusters`)."""

import json

import numpy as np
import pytest

VP, VS = 6.0, 3.5
ORIGIN = (-117.6, 35.7)
MEANS = np.array([[20.0, 10.0, 8.0], [-15.0, 25.0, 6.0], [-25.0, -20.0, 10.0]])
COVS = np.tile(np.diag([9.0, 9.0, 4.0]), (3, 1, 1))
SOURCE = np.array([19.0, 11.0, 7.0])
T0_UTC = "2021-03-04T05:00:10Z"
HOMOGENEOUS = {"travel_time": {"kind": "homogeneous", "vp_km_s": VP, "vs_km_s": VS}}


def utc(seconds_after_t0: float) -> str:
    """RFC 3339 text of T0_UTC + seconds (microseconds, as the Rust tests write)."""
    return f"2021-03-04T05:00:{10.0 + seconds_after_t0:09.6f}Z"


@pytest.fixture
def picks():
    r = float(np.linalg.norm(SOURCE))
    return [
        {"station": "STA", "phase": "P", "time": utc(r / VP), "sigma_s": 0.05},
        {"station": "STA", "phase": "S", "time": utc(r / VS), "sigma_s": 0.05},
    ]


@pytest.fixture
def stations():
    return {"STA": (0.0, 0.0, 0.0)}


def write_clusters(path):
    """clusters_gaussian.json of MEANS/COVS about ORIGIN (the format `eqnemix cluster` writes)."""
    clusters = []
    for i, (m, c) in enumerate(zip(MEANS, COVS)):
        clusters.append({
            "id": i,
            "n_events": 30,
            "mean_km": m.tolist(),
            "cov_km2": c.tolist(),
            "mean_en_km": m[:2].tolist(),
            "cov_en_km2": c[:2, :2].tolist(),
        })
    doc = {
        "origin": {"lon_deg": ORIGIN[0], "lat_deg": ORIGIN[1]},
        "frame": "local km about origin (WGS84 azimuthal equidistant): x east, y north, z depth positive down",
        "clusters": clusters,
    }
    path.write_text(json.dumps(doc, indent=1))
    return path
