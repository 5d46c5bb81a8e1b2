"""Read and write the ConvNetQuake window dataset directory (no TensorFlow).

A dataset directory holds ``windows.f32`` (little-endian float32, shape
``[n, 1000, 3]``: window, sample at 100 Hz, component ``[E, N, Z]``) and
``index.csv`` (columns ``label,cluster_id,start_time,station,origin``;
label 0 = noise, k + 1 = cluster k). Same format as
``models/src/convnetquake/windows.rs``.
"""
import csv
import os

import numpy as np

WINDOW_SAMPLES = 1000
COLUMNS = ["label", "cluster_id", "start_time", "station", "origin"]


def read_dataset(path):
    """Returns (windows [n, 1000, 3] float32, rows: list of dicts)."""
    with open(os.path.join(path, "index.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    x = np.fromfile(os.path.join(path, "windows.f32"), dtype="<f4")
    if x.size != len(rows) * WINDOW_SAMPLES * 3:
        raise ValueError(f"{path}: windows.f32 has {x.size} values, index.csv {len(rows)} rows")
    return x.reshape(-1, WINDOW_SAMPLES, 3), rows


def write_dataset(path, windows, rows):
    """Writes windows [n, 1000, 3] and rows (dicts with COLUMNS), atomically per file."""
    os.makedirs(path, exist_ok=True)
    w = np.ascontiguousarray(windows, dtype="<f4")
    assert w.shape == (len(rows), WINDOW_SAMPLES, 3), w.shape
    tmp = os.path.join(path, "windows.f32.tmp")
    w.tofile(tmp)
    os.replace(tmp, os.path.join(path, "windows.f32"))
    tmp = os.path.join(path, "index.csv.tmp")
    with open(tmp, "w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        wr.writeheader()
        for r in rows:
            wr.writerow({k: r[k] for k in COLUMNS})
    os.replace(tmp, os.path.join(path, "index.csv"))


def normalize(windows):
    """Per window: demean each component, divide all three by the max |sample| (as the Rust side)."""
    x = windows - windows.mean(axis=1, keepdims=True)
    m = np.abs(x).max(axis=(1, 2), keepdims=True)
    return np.where(m > 0, x / np.where(m > 0, m, 1.0), x).astype(np.float32)
