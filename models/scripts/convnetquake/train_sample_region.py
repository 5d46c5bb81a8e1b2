#!/usr/bin/env python3
"""Train models/assets/convnetquake.onnx for the sample region, end to end,
with eqnemix's own commands (see models/assets/convnetquake.md).

    cargo build --release --bin eqnemix
    nice -n 10 /work/venvs/torch/bin/python models/scripts/convnetquake/train_sample_region.py \
        [--eqnemix target/release/eqnemix] [--work /tmp/cnq_sample_region] [--epochs 15]

The Python running this script must have torch, numpy and matplotlib
(requirements.txt); it is also the one `eqnemix train` runs.

Steps (every file under --work except the outputs named below):

1. The pipeline's clustering: `eqnemix cluster` on the catalog of
   examples/data/config/run_sample.toml with its `n_clusters` (5) and `seed`
   (1), in the local frame about the first station of the sample's
   stations.csv: exactly what `eqnemix run` computes in its clusters stage
   (src/pipeline/stages.rs: K-means seed = the config's seed, projection
   centred on the first station). Class k + 1 of the network is cluster k of
   that clustering.
2. Training streams: `eqnemix generate` with the sample's generate.toml
   (same region, station and clusters A-E) but equal cluster weights, seeds
   --seeds (not 1, the sample's), --hours each, --events-per-chunk events.
3. Labels: every generated event gets the pipeline cluster whose Gaussian
   (clusters_gaussian.json) is nearest in Mahalanobis distance to its true
   hypocentre (east_km, north_km, depth of the generator's catalog, which
   are in the same frame); the agreement with the generator's own cluster
   names is printed.
4. Windows: `eqnemix create-dataset-events` with margins --margins (so the
   P arrival sits at different places in the 10 s window),
   `eqnemix create-dataset-noise`, `eqnemix data-augmentation` (Gaussian
   noise and +-2 s shifts) of the margin-1 windows.
5. `eqnemix train` (this Python), then `eqnemix evaluate` on the held-out
   windows cut the same way (margin 1) from the shipped sample
   examples/data/sample/ (seed 1, never seen in training).

Outputs in the repository: models/assets/convnetquake.onnx,
models/assets/convnetquake_training_curve.png, the held-out subset
models/tests/data/convnetquake/heldout_sample/{events,noise} (4 event
windows per cluster, 12 noise windows), the PyTorch outputs of its first 4
event windows (reference_outputs.csv), and the sample catalog with the
pipeline's cluster ids (sample_catalog_pipeline_clusters.csv).
"""
import argparse
import csv
import os
import re
import shutil
import subprocess
import sys
import tomllib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, HERE)
from cnq_dataset import read_dataset, write_dataset  # noqa: E402

SAMPLE = os.path.join(ROOT, "examples/data/sample")
RUN_CONFIG = os.path.join(ROOT, "examples/data/config/run_sample.toml")
ASSETS = os.path.join(ROOT, "models/assets")
TESTDATA = os.path.join(ROOT, "models/tests/data/convnetquake")


def run(*args):
    print("+", " ".join(str(a) for a in args), flush=True)
    subprocess.run([str(a) for a in args], check=True)


def read_catalog(path):
    """Rows (dicts) of a catalog CSV whose leading lines may be '#' comments."""
    with open(path, newline="") as f:
        lines = [line for line in f if not line.startswith("#")]
    return list(csv.DictReader(lines))


def pipeline_clustering(eqnemix, work):
    """Runs `eqnemix cluster` as the pipeline does; returns (K, gaussians: list of (mean, inverse cov))."""
    with open(RUN_CONFIG, "rb") as f:
        cfg = tomllib.load(f)
    k = cfg["run"].get("n_clusters", 5)
    seed = cfg.get("seed", 0)
    catalog = os.path.normpath(os.path.join(os.path.dirname(RUN_CONFIG), cfg["run"]["catalog"]))
    st = read_catalog(os.path.join(SAMPLE, "stations.csv"))[0]
    out = os.path.join(work, "clusters")
    run(eqnemix, "cluster", "--src", catalog, "--dst", out, "--n-components", k, "--seed", seed,
        "--origin-lon", st["longitude"], "--origin-lat", st["latitude"],
        "--station-lon", st["longitude"], "--station-lat", st["latitude"], "--station-name", st["station"])
    import json
    with open(os.path.join(out, "clusters_gaussian.json")) as f:
        g = json.load(f)
    clusters = sorted(g["clusters"], key=lambda c: c["id"])
    assert [c["id"] for c in clusters] == list(range(k)), "cluster ids are not 0..K-1"
    return k, [(np.array(c["mean_km"]), np.linalg.inv(np.array(c["cov_km2"]))) for c in clusters]


def label_catalog(src, dst, gaussians):
    """Writes src's events with cluster_id = nearest pipeline cluster (Mahalanobis); returns the
    (generator cluster name -> pipeline id -> count) table."""
    rows = read_catalog(src)
    table = {}
    with open(dst + ".tmp", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["event_id", "time", "latitude", "longitude", "depth", "mag", "cluster_id", "generator_cluster"])
        for r in rows:
            x = np.array([float(r["east_km"]), float(r["north_km"]), float(r["depth"])])
            d2 = [float((x - m) @ p @ (x - m)) for m, p in gaussians]
            cid = int(np.argmin(d2))
            table.setdefault(r["cluster"], {}).setdefault(cid, 0)
            table[r["cluster"]][cid] += 1
            w.writerow([r["event_id"], r["time"], r["latitude"], r["longitude"], r["depth"], r["mag"], cid, r["cluster"]])
    os.replace(dst + ".tmp", dst)
    return table


def windows_of(eqnemix, streams, catalog, out, margins, station):
    """Event windows for every margin (one dataset per margin); returns the dataset dirs."""
    dirs = []
    for m in margins:
        d = os.path.join(out, f"events_m{m:g}")
        run(eqnemix, "create-dataset-events", "--stream-dir", streams, "--catalog", catalog, "--output-dir", d,
            "--station-lat", station["latitude"], "--station-lon", station["longitude"], "--margin", m)
        dirs.append(d)
    return dirs


def subset(src, dst, per_class):
    """Copies the first `per_class` windows of each label of dataset src into dst."""
    x, rows = read_dataset(src)
    keep, seen = [], {}
    for i, r in enumerate(rows):
        lab = int(r["label"])
        if seen.get(lab, 0) < per_class:
            seen[lab] = seen.get(lab, 0) + 1
            keep.append(i)
    write_dataset(dst, x[keep], [rows[i] for i in keep])
    return len(keep)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    ap.add_argument("--eqnemix", default=os.path.join(target, "release", "eqnemix"))
    ap.add_argument("--work", default="/tmp/cnq_sample_region")
    ap.add_argument("--seeds", type=int, nargs="+", default=[101, 102, 103])
    ap.add_argument("--hours", type=float, default=24.0)
    ap.add_argument("--events-per-chunk", type=int, default=500)
    ap.add_argument("--margins", type=float, nargs="+", default=[0.5, 1.0, 2.0, 3.5])
    ap.add_argument("--noise-per-chunk", type=int, default=1000)
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--skip-train", action="store_true", help="stop after writing the datasets")
    a = ap.parse_args()
    eqnemix, work = os.path.abspath(a.eqnemix), os.path.abspath(a.work)
    if not os.path.isfile(eqnemix):
        sys.exit(f"{eqnemix}: no eqnemix binary (cargo build --release --bin eqnemix, or --eqnemix PATH)")
    os.makedirs(work, exist_ok=True)
    station = read_catalog(os.path.join(SAMPLE, "stations.csv"))[0]

    k, gaussians = pipeline_clustering(eqnemix, work)

    # Training streams: the sample's region with equal cluster weights (balanced classes).
    with open(os.path.join(SAMPLE, "generate.toml")) as f:
        gen = re.sub(r"(?m)^weight = .*$", "weight = 1.0", f.read())
    gen_path = os.path.join(work, "generate_equal_weights.toml")
    with open(gen_path, "w") as f:
        f.write(gen)
    train_dirs = []
    for seed in a.seeds:
        assert seed != 1, "seed 1 is the held-out sample"
        streams = os.path.join(work, f"streams_seed{seed}")
        if not os.path.isfile(os.path.join(streams, "catalog.csv")):
            run(eqnemix, "generate", "--config", gen_path, "--out", streams, "--seed", seed,
                "--duration-hours", a.hours, "--n-events", a.events_per_chunk)
        labelled = os.path.join(work, f"catalog_seed{seed}.csv")
        table = label_catalog(os.path.join(streams, "catalog.csv"), labelled, gaussians)
        print(f"seed {seed}: generator cluster -> pipeline cluster id counts {table}")
        ds = os.path.join(work, f"data_seed{seed}")
        ev = windows_of(eqnemix, streams, labelled, ds, a.margins, station)
        noise = os.path.join(ds, "noise")
        run(eqnemix, "create-dataset-noise", "--stream-path", *sorted(
            os.path.join(streams, f) for f in os.listdir(streams) if f.endswith(".mseed")),
            "--catalog", labelled, "--output-dir", noise, "--max-windows", a.noise_per_chunk, "--step", 5)
        aug = os.path.join(ds, "augmented")
        base = ev[a.margins.index(1.0)] if 1.0 in a.margins else ev[0]
        run(eqnemix, "data-augmentation", "--tfrecords", base, "--output", aug, "--std-factor", 0.5,
            "--shift-data", "--seed", seed)
        train_dirs += ev + [noise, aug]

    # Held-out: the shipped sample (seed 1), margin 1 (the default).
    held = os.path.join(work, "heldout")
    sample_cat = os.path.join(TESTDATA, "sample_catalog_pipeline_clusters.csv")
    os.makedirs(TESTDATA, exist_ok=True)
    table = label_catalog(os.path.join(SAMPLE, "catalog.csv"), sample_cat, gaussians)
    print(f"sample (held out): generator cluster -> pipeline cluster id counts {table}")
    run(eqnemix, "create-dataset-events", "--stream-dir", SAMPLE, "--catalog", sample_cat,
        "--output-dir", os.path.join(held, "events"),
        "--station-lat", station["latitude"], "--station-lon", station["longitude"])
    run(eqnemix, "create-dataset-noise", "--stream-path", *sorted(
        os.path.join(SAMPLE, f) for f in os.listdir(SAMPLE) if f.endswith(".mseed")),
        "--catalog", sample_cat, "--output-dir", os.path.join(held, "noise"), "--max-windows", 300)
    small = os.path.join(TESTDATA, "heldout_sample")
    n_ev = subset(os.path.join(held, "events"), os.path.join(small, "events"), 4)
    n_no = subset(os.path.join(held, "noise"), os.path.join(small, "noise"), 12)
    print(f"committed held-out subset: {n_ev} event + {n_no} noise windows in {small}")
    if a.skip_train:
        return

    ckpt = os.path.join(work, "checkpoints")
    shutil.rmtree(ckpt, ignore_errors=True)
    run(eqnemix, "train", "--dataset", *train_dirs, "--n-clusters", k, "--checkpoint-dir", ckpt,
        "--python", sys.executable, "--epochs", a.epochs,
        "--reference", os.path.join(small, "events"), "--reference-out", os.path.join(TESTDATA, "reference_outputs.csv"))
    onnx = os.path.join(ASSETS, "convnetquake.onnx")
    shutil.copyfile(os.path.join(ckpt, "convnetquake.onnx"), onnx + ".tmp")
    os.replace(onnx + ".tmp", onnx)
    shutil.copyfile(os.path.join(ckpt, "training_curve.png"), os.path.join(ASSETS, "convnetquake_training_curve.png"))
    shutil.copyfile(os.path.join(ckpt, "history.csv"), os.path.join(work, "history.csv"))
    run(eqnemix, "evaluate", "--model", onnx, "--n-clusters", k, "--dataset", os.path.join(held, "events"), os.path.join(held, "noise"))


if __name__ == "__main__":
    main()
