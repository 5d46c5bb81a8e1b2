#!/usr/bin/env python3
"""Train ConvNetQuake (Perol et al. 2018) with PyTorch on the CPU and export ONNX.

Network: input [batch, 1000, 3] (10 s at 100 Hz, components [E, N, Z],
normalised per window: demean, divide by max |sample|); 8 Conv1d layers of
32 channels, kernel 3, stride 2, padding 1 (the 'same' output lengths
1000 -> 500 -> 250 -> 125 -> 63 -> 32 -> 16 -> 8 -> 4), ReLU; flatten
(4 x 32); one fully connected layer to K + 1 classes; softmax.
Class 0 = noise, class k + 1 = cluster k. The ONNX model takes the
*normalised* windows (the Rust side normalises) under the input name
"input" and returns "probabilities" [batch, K + 1].

    python train.py --dataset DIR [DIR ...] --n_clusters K --checkpoint_dir OUT \
        [--epochs 12] [--batch_size 64] [--lr 1e-3] [--seed 0] [--val_fraction 0.1] \
        [--onnx OUT/convnetquake.onnx] [--reference DIR --reference_out FILE --reference_n 4]

Each DIR is a dataset directory (cnq_dataset.py). Writes OUT/model-<step>.pt
after every epoch (kept), OUT/training_curve.png (loss and accuracy, train
and validation, per epoch), OUT/history.csv, and the ONNX model.
--reference writes the exported model's PyTorch probabilities for the first
--reference_n windows of DIR (rows: window index, then K + 1 values) so
that Rust can check ONNX Runtime against PyTorch.
"""
import argparse
import csv
import os
import sys
import time

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cnq_dataset import WINDOW_SAMPLES, normalize, read_dataset  # noqa: E402


class ConvNetQuake(nn.Module):
    def __init__(self, n_classes, channels=32, layers=8):
        super().__init__()
        convs, c_in, length = [], 3, WINDOW_SAMPLES
        for _ in range(layers):
            convs += [nn.Conv1d(c_in, channels, kernel_size=3, stride=2, padding=1), nn.ReLU()]
            c_in, length = channels, (length + 1) // 2
        self.features = nn.Sequential(*convs)
        self.fc = nn.Linear(channels * length, n_classes)

    def logits(self, x):  # x: [batch, 1000, 3]
        h = self.features(x.transpose(1, 2))
        return self.fc(h.flatten(1))

    def forward(self, x):
        return torch.softmax(self.logits(x), dim=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", nargs="+", required=True)
    ap.add_argument("--n_clusters", "--n-clusters", type=int, required=True)
    ap.add_argument("--checkpoint_dir", "--checkpoint-dir", required=True)
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--batch_size", "--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--val_fraction", "--val-fraction", type=float, default=0.1)
    ap.add_argument("--onnx", default=None)
    ap.add_argument("--reference", default=None)
    ap.add_argument("--reference_out", "--reference-out", default=None)
    ap.add_argument("--reference_n", "--reference-n", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    rng = np.random.default_rng(a.seed)

    xs, ys = [], []
    for d in a.dataset:
        x, rows = read_dataset(d)
        xs.append(x)
        ys.append(np.array([int(r["label"]) for r in rows]))
    x = normalize(np.concatenate(xs))
    y = np.concatenate(ys)
    k1 = a.n_clusters + 1
    if y.min() < 0 or y.max() >= k1:
        sys.exit(f"labels span {y.min()}..{y.max()}, outside 0..{k1 - 1} for --n_clusters {a.n_clusters}")
    perm = rng.permutation(len(y))
    n_val = int(round(a.val_fraction * len(y)))
    val, tr = perm[:n_val], perm[n_val:]
    xt, yt = torch.from_numpy(x), torch.from_numpy(y).long()
    print(f"{len(tr)} training / {len(val)} validation windows, {k1} classes (noise + {a.n_clusters} clusters)")

    model = ConvNetQuake(k1)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr, weight_decay=1e-4)
    loss_fn = nn.CrossEntropyLoss()
    os.makedirs(a.checkpoint_dir, exist_ok=True)
    history, step = [], 0

    def evaluate(idx):
        model.eval()
        with torch.no_grad():
            lg = model.logits(xt[idx])
            return loss_fn(lg, yt[idx]).item(), (lg.argmax(1) == yt[idx]).float().mean().item()

    for epoch in range(1, a.epochs + 1):
        model.train()
        t0 = time.time()
        order = tr[rng.permutation(len(tr))]
        for i in range(0, len(order), a.batch_size):
            b = order[i:i + a.batch_size]
            opt.zero_grad()
            loss = loss_fn(model.logits(xt[b]), yt[b])
            loss.backward()
            opt.step()
            step += 1
        tl, ta = evaluate(tr)
        vl, va = evaluate(val) if len(val) else (float("nan"), float("nan"))
        history.append((epoch, step, tl, ta, vl, va))
        torch.save({"model": model.state_dict(), "n_classes": k1, "step": step, "epoch": epoch}, os.path.join(a.checkpoint_dir, f"model-{step}.pt"))
        print(f"epoch {epoch:3d} step {step:6d}  train loss {tl:.4f} acc {ta:.4f}  val loss {vl:.4f} acc {va:.4f}  ({time.time() - t0:.1f} s)", flush=True)

    with open(os.path.join(a.checkpoint_dir, "history.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["epoch", "step", "train_loss", "train_accuracy", "val_loss", "val_accuracy"])
        w.writerows(history)
    plot_history(history, os.path.join(a.checkpoint_dir, "training_curve.png"))

    model.eval()
    onnx_path = a.onnx or os.path.join(a.checkpoint_dir, "convnetquake.onnx")
    dummy = torch.zeros(2, WINDOW_SAMPLES, 3)
    torch.onnx.export(model, dummy, onnx_path, input_names=["input"], output_names=["probabilities"],
                      dynamic_axes={"input": {0: "batch"}, "probabilities": {0: "batch"}}, opset_version=13)
    print(f"ONNX model: {onnx_path}")

    if a.reference:
        xr, _ = read_dataset(a.reference)
        xr = normalize(xr[:a.reference_n])
        with torch.no_grad():
            p = model(torch.from_numpy(xr)).numpy()
        with open(a.reference_out, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["window"] + [f"p{c}" for c in range(k1)])
            for i, row in enumerate(p):
                w.writerow([i] + [repr(float(v)) for v in row])
        print(f"PyTorch reference outputs: {a.reference_out}")


def plot_history(history, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    h = np.array(history, dtype=float)
    fig, ax = plt.subplots(1, 2, figsize=(10, 4))
    ax[0].plot(h[:, 0], h[:, 2], "o-", label="train")
    ax[0].plot(h[:, 0], h[:, 4], "s-", label="validation")
    ax[0].set_xlabel("epoch"); ax[0].set_ylabel("cross-entropy loss"); ax[0].legend()
    ax[1].plot(h[:, 0], h[:, 3], "o-", label="train")
    ax[1].plot(h[:, 0], h[:, 5], "s-", label="validation")
    ax[1].set_xlabel("epoch"); ax[1].set_ylabel("accuracy (noise + clusters)"); ax[1].legend()
    fig.suptitle("ConvNetQuake training")
    fig.tight_layout()
    fig.savefig(path + ".tmp.png", dpi=100)
    os.replace(path + ".tmp.png", path)


if __name__ == "__main__":
    main()
