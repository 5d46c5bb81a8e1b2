#!/usr/bin/env python3
"""How often the `eqnemix classify` window holding each true P arrival gets the
event's true cluster as its top class (the original ConvNetQuake's use:
back-to-back windows over continuous data, each event joined to the window
holding its P arrival).

    eqnemix classify --stream-path examples/data/sample/*.mseed --output /tmp/cnq_sample_probs.csv
    python3 models/scripts/convnetquake/classify_p_windows.py /tmp/cnq_sample_probs.csv \
        models/tests/data/convnetquake/sample_catalog_pipeline_clusters.csv examples/data/sample/catalog.csv

Arguments: the classify CSV (start_time,end_time,clusters_prob,noise_prob),
a catalog with the pipeline's cluster_id per event_id, and the generator's
catalog with the true p_time per event_id. Prints one line per event (P
offset inside its window, true cluster, top cluster, noise probability) and
the totals, also split by where the P arrival falls in the window. Standard
library only.
"""
import csv
import sys
from datetime import datetime


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


def utc(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    windows = [(utc(r["start_time"]), utc(r["end_time"]), [float(v) for v in r["clusters_prob"].strip("[]").split()],
                float(r["noise_prob"])) for r in rows(sys.argv[1])]
    labels = {r["event_id"]: int(r["cluster_id"]) for r in rows(sys.argv[2])}
    truth = rows(sys.argv[3])
    hits, n, by_offset, detected = 0, 0, {}, 0
    print("event     P offset (s)  true  top  p_top  noise_prob")
    for ev in truth:
        t = utc(ev["p_time"])
        w = next((w for w in windows if w[0] <= t < w[1]), None)
        if w is None:
            print(f"{ev['event_id']}: no window holds its P arrival")
            continue
        off = (t - w[0]).total_seconds()
        top = max(range(len(w[2])), key=lambda k: w[2][k])
        true = labels[ev["event_id"]]
        ok = top == true
        n += 1
        hits += ok
        detected += w[3] < 0.5
        b = by_offset.setdefault(int(off // 2.5), [0, 0])
        b[0] += ok
        b[1] += 1
        print(f"{ev['event_id']}  {off:6.2f}        {true}     {top}    {w[2][top]:.2f}   {w[3]:.3f}{'' if ok else '   <- wrong'}")
    print(f"\nP windows with the true cluster on top: {hits}/{n} = {hits / n:.3f} (chance 1/{len(windows[0][2])}); "
          f"noise probability < 0.5 in {detected}/{n}")
    for b in sorted(by_offset):
        h, m = by_offset[b]
        print(f"  P at {2.5 * b:.1f}-{2.5 * (b + 1):.1f} s into the window: {h}/{m}")


if __name__ == "__main__":
    main()
