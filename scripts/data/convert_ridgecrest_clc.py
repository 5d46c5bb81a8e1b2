"""Convert the EQNeMix Ridgecrest 2019 inputs at CI.CLC into eqnemix's formats.

Source: the public repository TopoSeismologist/EQNeMix (CC0 1.0), as extracted
into `shared/reference/ridgecrest_clc/` (its README describes every column).
Run from the repository root:

    python -m venv /tmp/conv && /tmp/conv/bin/pip install pyproj==3.7.1
    /tmp/conv/bin/python scripts/data/convert_ridgecrest_clc.py ../shared/reference/ridgecrest_clc

and it writes into `examples/data/ridgecrest_clc/`:

* `picks.csv`: EQTransformer's X_prediction_results columns (the reader of
  `eqnemix locate` recognises them by `p_arrival_time`) with the detection's
  `event_id` kept, the station code trimmed (`CLC ` -> `CLC`).
* `probabilities.csv`: one ConvNetQuake row per detection, a 2 ms window
  centred on its P pick (so each detection meets its own row), with the six
  cluster probabilities as the original stored them (they sum to about 0.8:
  the original dropped the noise class and renormalised; eqnemix does the
  same with `prior.normalise = true`) and `noise_prob = 1 - sum`.
* `clusters_gaussian.json`: the six cluster Gaussians in eqnemix's local
  frame, the WGS84 azimuthal equidistant projection about the station (km,
  depth positive down from sea level). The original stored them as UTM 11N
  offsets from the station: each mean is taken back to lon/lat through UTM and
  projected about the station; each covariance is carried through the local
  Jacobian of that map (a rotation by the grid convergence, about 0.35 deg
  here, and the UTM scale, 0.9996-1.0000).
* `original_means.csv`: the original's posterior means of the 610 events it
  located, in lon/lat/depth and in the local frame, for comparison.
"""
import csv
import json
import sys
from datetime import datetime, timedelta
from pathlib import Path

from pyproj import Transformer

STA_LAT, STA_LON, STA_ELV_M = 35.81574, -117.59751, 775.0

src = Path(sys.argv[1])
dst = Path(__file__).resolve().parents[2] / "examples" / "data" / "ridgecrest_clc"
dst.mkdir(parents=True, exist_ok=True)

utm = Transformer.from_crs("EPSG:4326", "EPSG:32611", always_xy=True)
utm_inv = Transformer.from_crs("EPSG:32611", "EPSG:4326", always_xy=True)
aeqd = Transformer.from_crs(
    "EPSG:4326",
    f"+proj=aeqd +lat_0={STA_LAT} +lon_0={STA_LON} +datum=WGS84 +units=m +no_defs",
    always_xy=True,
)
sta_e, sta_n = utm.transform(STA_LON, STA_LAT)


def utm_offset_to_local_km(de, dn):
    lon, lat = utm_inv.transform(sta_e + de, sta_n + dn)
    x, y = aeqd.transform(lon, lat)
    return x / 1000.0, y / 1000.0


def jacobian(de, dn, h=1.0):
    """d(local km)/d(utm offset m) at an offset, by central differences."""
    j = [[0.0, 0.0], [0.0, 0.0]]
    for c, (a, b) in enumerate([(h, 0.0), (0.0, h)]):
        xp = utm_offset_to_local_km(de + a, dn + b)
        xm = utm_offset_to_local_km(de - a, dn - b)
        for r in range(2):
            j[r][c] = (xp[r] - xm[r]) / (2 * h)
    return j


def fmt_time(s):
    """'2019-07-04T03:20:34.778300Z' -> the same, normalised to microseconds."""
    s = s.strip().rstrip("Z").replace(" ", "T")
    return datetime.fromisoformat(s).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


rows = list(csv.DictReader(open(src / "detections.csv", newline="")))

# --- picks.csv ---
pick_cols = [
    "event_id", "file_name", "network", "station", "instrument_type", "station_lat", "station_lon",
    "station_elv", "event_start_time", "event_end_time", "detection_probability",
    "p_arrival_time", "p_probability", "p_snr", "s_arrival_time", "s_probability", "s_snr",
]
with open(dst / "picks.csv", "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(pick_cols)
    for r in rows:
        w.writerow([
            r["event_id"], r["file_name"], r["network"].strip(), r["station"].strip(), "HH",
            r["station_lat"], r["station_lon"], r["station_elv"],
            fmt_time(r["event_start_time"]), fmt_time(r["event_end_time"]), r["detection_probability"],
            fmt_time(r["p_arrival_time"]), r["p_probability"], r["p_snr"],
            fmt_time(r["s_arrival_time"]), r["s_probability"], r["s_snr"],
        ])

# --- probabilities.csv ---
with open(dst / "probabilities.csv", "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["event_id", "start_time", "end_time", "clusters_prob", "noise_prob"])
    for r in rows:
        p = datetime.fromisoformat(fmt_time(r["p_arrival_time"]).rstrip("Z"))
        probs = [float(v) for v in r["cnq_cluster_probs"].split()]
        noise = max(0.0, 1.0 - sum(probs))
        w.writerow([
            r["event_id"],
            (p - timedelta(milliseconds=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            (p + timedelta(milliseconds=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "[" + " ".join(f"{v:.8g}" for v in probs) + "]",
            f"{noise:.8g}",
        ])

# --- clusters_gaussian.json ---
clusters = json.load(open(src / "clusters_station_frame.json"))["clusters"]
out = []
for c in clusters:
    de, dn, dz = c["mean_m"]
    x, y = utm_offset_to_local_km(de, dn)
    j = jacobian(de, dn)
    J = [[j[0][0], j[0][1], 0.0], [j[1][0], j[1][1], 0.0], [0.0, 0.0, 1e-3]]
    S = c["covariance_m2"]
    # cov_local = J S J^T (J maps metres to km)
    JS = [[sum(J[a][k] * S[k][b] for k in range(3)) for b in range(3)] for a in range(3)]
    C = [[sum(JS[a][k] * J[b][k] for k in range(3)) for b in range(3)] for a in range(3)]
    C = [[0.5 * (C[a][b] + C[b][a]) for b in range(3)] for a in range(3)]
    mean = [x, y, dz / 1000.0]
    out.append({
        "id": c["cluster"],
        "n_events": 0,
        "mean_km": mean,
        "cov_km2": C,
        "mean_en_km": mean[:2],
        "cov_en_km2": [C[0][:2], C[1][:2]],
    })
json.dump(
    {
        "origin": {"lon_deg": STA_LON, "lat_deg": STA_LAT},
        "frame": "local km about origin (WGS84 azimuthal equidistant): x east, y north, z depth positive down",
        "clusters": out,
    },
    open(dst / "clusters_gaussian.json", "w"),
    indent=1,
)

# --- original_means.csv ---
with open(dst / "original_means.csv", "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["event_id", "lon_deg", "lat_deg", "depth_km", "east_km", "north_km"])
    for r in rows:
        if not r["seed_mean_depth_km"]:
            continue
        lon, lat = utm_inv.transform(float(r["seed_mean_utm11_easting_m"]), float(r["seed_mean_utm11_northing_m"]))
        x, y = aeqd.transform(lon, lat)
        w.writerow([r["event_id"], f"{lon:.6f}", f"{lat:.6f}", r["seed_mean_depth_km"], f"{x / 1000:.4f}", f"{y / 1000:.4f}"])
print("wrote", dst)
