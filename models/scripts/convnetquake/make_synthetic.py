#!/usr/bin/env python3
"""Synthetic labelled ConvNetQuake windows from simple 3C pulses.

Stand-in for windows cut from the synthetic region's continuous data (the
region generator had not landed when this model was trained). One station,
K source clusters, each with its own S-P time and back-azimuth (two clusters
share a distance and differ only in azimuth, so the network must use the
polarisation). Each event window starts at origin time + P travel time minus
a random 0-1 s margin (as ``eqnemix create-dataset-events``); the P pulse is
polarised along the ray (radial + vertical), the S pulse on the transverse,
both Ricker-like wavelets with an exponential coda, and the noise is
band-limited Gaussian noise with a random signal-to-noise ratio.

    python make_synthetic.py --out DIR --n-per-cluster 400 --n-noise 1600 --seed 1

writes DIR/events and DIR/noise in the dataset format of cnq_dataset.py.
"""
import argparse
import os

import numpy as np

from cnq_dataset import WINDOW_SAMPLES, write_dataset

FS = 100.0
# (S-P time s, back-azimuth deg) of each cluster.
CLUSTERS = [(1.5, 40.0), (3.0, 130.0), (4.5, 220.0), (3.0, 310.0)]


def wavelet(n, t0, f, rng):
    t = np.arange(n) / FS - t0
    a = (np.pi * f * t) ** 2
    w = (1 - 2 * a) * np.exp(-a)
    coda = np.where(t > 0, np.exp(-t / rng.uniform(0.8, 2.0)) * rng.standard_normal(n) * 0.3, 0.0)
    return w + np.convolve(coda, np.ones(5) / 5, mode="same")


def noise(n, rng):
    x = rng.standard_normal((n + 20, 3))
    k = np.hanning(9)
    k /= k.sum()
    x = np.stack([np.convolve(x[:, c], k, mode="same") for c in range(3)], axis=1)[10:-10]
    drift = rng.standard_normal(3) * 0.5 * np.sin(2 * np.pi * rng.uniform(0.05, 0.3) * np.arange(n)[:, None] / FS + rng.uniform(0, 6.3, 3))
    return x + drift


def event(cluster, rng):
    sp, baz = CLUSTERS[cluster]
    sp += rng.normal(0, 0.15)
    baz = np.radians(baz + rng.normal(0, 8.0))
    inc = np.radians(rng.uniform(20, 40))
    n = WINDOW_SAMPLES
    tp = rng.uniform(0.5, 1.5)
    p = wavelet(n, tp, rng.uniform(4, 8), rng)
    s = wavelet(n, tp + sp, rng.uniform(2, 5), rng) * rng.uniform(1.5, 3.0)
    # Radial points away from the source: back-azimuth + 180 deg. [E, N, Z].
    rad = np.array([-np.sin(baz), -np.cos(baz)])
    tra = np.array([np.cos(baz), -np.sin(baz)])
    x = np.zeros((n, 3))
    x[:, 0] = p * np.sin(inc) * rad[0] + s * tra[0]
    x[:, 1] = p * np.sin(inc) * rad[1] + s * tra[1]
    x[:, 2] = p * np.cos(inc) + 0.2 * s
    snr = 10 ** rng.uniform(0.3, 1.3)
    return x * snr + noise(n, rng), tp


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--n-per-cluster", type=int, default=400)
    ap.add_argument("--n-noise", type=int, default=1600)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    t0 = np.datetime64("2024-01-01T00:00:00")
    ev, rows = [], []
    for k in range(len(CLUSTERS)):
        for i in range(a.n_per_cluster):
            x, tp = event(k, rng)
            ev.append(x)
            t = t0 + np.timedelta64(int((k * a.n_per_cluster + i) * 60), "s")
            rows.append(dict(label=k + 1, cluster_id=k, start_time=str(t) + "Z", station="SY.SYN.", origin=f"synthetic cluster {k}"))
    write_dataset(os.path.join(a.out, "events"), np.array(ev, dtype=np.float32), rows)
    nz = [noise(WINDOW_SAMPLES, rng) * rng.uniform(0.5, 2.0) for _ in range(a.n_noise)]
    rows = [dict(label=0, cluster_id=-1, start_time=str(t0 + np.timedelta64(30 + 60 * i, "s")) + "Z", station="SY.SYN.", origin="") for i in range(a.n_noise)]
    write_dataset(os.path.join(a.out, "noise"), np.array(nz, dtype=np.float32), rows)
    print(f"{a.out}: {len(ev)} event windows ({len(CLUSTERS)} clusters), {a.n_noise} noise windows")


if __name__ == "__main__":
    main()
