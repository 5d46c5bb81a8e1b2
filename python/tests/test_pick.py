"""eqnemix.pick and eqnemix.classify: the same picks as `eqnemix pick` and
the same probabilities as `eqnemix classify` on the shipped sample
(examples/data/sample/*.mseed, 4 h at 100 Hz); every way of giving the
waveforms (read_mseed, arrays, a (3, N) array, a mapping, a duck-typed
ObsPy stream) gives the same picks; bad input raises ValueError; a process
without ONNX Runtime gets ImportError naming the `onnxruntime` package."""

import csv
import datetime as dt
import os
import pathlib
import subprocess
import sys
import types

import numpy as np
import pytest

import eqnemix
from test_cli_parity import eqnemix_binary

REPO = pathlib.Path(__file__).resolve().parents[2]
SAMPLE = sorted(str(p) for p in (REPO / "examples" / "data" / "sample").glob("*.mseed"))
TIME_COLUMNS = ("event_start_time", "event_end_time", "p_arrival_time", "s_arrival_time")


@pytest.fixture(scope="module")
def sample():
    assert len(SAMPLE) == 3, SAMPLE
    return eqnemix.read_mseed(SAMPLE)


@pytest.fixture(scope="module")
def head(sample):
    """The first 20 minutes of the sample as arrays (several detections)."""
    k = int(20 * 60 * sample.sampling_rate)
    return {"z": sample.z[:k], "n": sample.n[:k], "e": sample.e[:k], "sampling_rate": sample.sampling_rate, "starttime": sample.starttime}


@pytest.fixture(scope="module")
def head_picks(head):
    picks = eqnemix.pick(**head, as_dataframe=False)
    assert len(picks) >= 3
    return picks


def cli_time(text):
    """A time of X_prediction_results.csv ("2019-07-06 00:02:45.020000") as RFC 3339 (UTC)."""
    return text.replace(" ", "T") + "Z" if text else None


def picks_only(records):
    return [{k: r[k] for k in TIME_COLUMNS} for r in records]


def run(cmd):
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return p


def test_read_mseed_gives_the_three_components(sample):
    assert sample.station == "XX.SYN1.00"
    assert sample.channels == ("HHZ", "HHN", "HHE")
    assert sample.sampling_rate == 100.0
    assert sample.starttime == "2019-07-06T00:00:00.000000Z"
    assert len(sample) == sample.z.shape[0] == sample.n.shape[0] == sample.e.shape[0] == 4 * 3600 * 100
    assert np.all(np.isfinite(sample.z)) and np.std(sample.z) > 0


def test_pick_matches_the_cli(sample, tmp_path):
    out = tmp_path / "X_prediction_results.csv"
    run([eqnemix_binary(), "pick", *SAMPLE, "-o", out])
    with open(out, newline="") as f:
        cli = list(csv.DictReader(f))
    assert list(cli[0].keys()) == eqnemix.PREDICTION_COLUMNS
    got = eqnemix.pick(sample, as_dataframe=False)
    assert len(got) == len(cli) > 10
    # Exact times; the other columns as the CSV formats them.
    for g, c in zip(got, cli):
        for k in TIME_COLUMNS:
            assert g[k] == cli_time(c[k]), (k, g, c)
        for k in ("detection_probability", "p_probability", "s_probability"):
            assert ("" if g[k] is None else f"{g[k]:.2f}") == c[k], (k, g, c)
        for k in ("p_snr", "s_snr"):
            assert ("" if g[k] is None else f"{g[k]:.1f}") == c[k], (k, g, c)
        for k in ("p_time_uncertainty_s", "s_time_uncertainty_s"):
            assert ("" if g[k] is None else f"{g[k]:.3f}") == c[k], (k, g, c)
        for k in ("file_name", "network", "station", "instrument_type"):
            assert g[k] == c[k]


def test_classify_matches_the_cli(sample, tmp_path):
    out = tmp_path / "cnq_probabilities.csv"
    run([eqnemix_binary(), "classify", "--stream_path", *SAMPLE, "--output", out])
    with open(out, newline="") as f:
        cli = list(csv.DictReader(f))
    got = eqnemix.classify(sample, as_dataframe=False)
    assert len(got) == len(cli) == 4 * 360
    for g, c in zip(got, cli):
        for k in ("start_time", "end_time"):
            assert dt.datetime.fromisoformat(g[k].replace("Z", "+00:00")) == dt.datetime.fromisoformat(c[k].replace("Z", "+00:00"))
        # The CSV holds 6 decimals.
        assert abs(g["noise_prob"] - float(c["noise_prob"])) <= 5e-7 + 1e-12
        cli_clusters = [float(v) for v in c["clusters_prob"].strip("[]").split()]
        assert len(g["clusters_prob"]) == len(cli_clusters)
        assert np.allclose(g["clusters_prob"], cli_clusters, rtol=0, atol=5e-7 + 1e-12)
        assert abs(sum(g["clusters_prob"]) - 1) < 1e-9


def test_every_input_form_gives_the_same_picks(head, head_picks):
    zne = np.vstack([head["z"], head["n"], head["e"]])
    rate, start = head["sampling_rate"], head["starttime"]
    want = picks_only(head_picks)
    assert picks_only(eqnemix.pick(zne, sampling_rate=rate, starttime=start, as_dataframe=False)) == want
    assert picks_only(eqnemix.pick({"Z": head["z"], "1": head["n"], "2": head["e"]}, sampling_rate=rate, starttime=start, as_dataframe=False)) == want
    start_dt = dt.datetime(2019, 7, 6, tzinfo=dt.timezone.utc)
    assert picks_only(eqnemix.pick(zne, sampling_rate=rate, starttime=start_dt, as_dataframe=False)) == want
    # float32 samples (what ObsPy often holds) convert on the way in.
    got32 = eqnemix.pick(zne.astype(np.float32), sampling_rate=rate, starttime=start, as_dataframe=False)
    assert [r["p_arrival_time"] for r in got32] == [r["p_arrival_time"] for r in head_picks]


class FakeStats(types.SimpleNamespace):
    pass


class FakeTrace:
    """What eqnemix reads of an ObsPy Trace (no ObsPy needed)."""

    def __init__(self, channel, data, starttime, sampling_rate=100.0, network="XX", station="SYN1", location="00"):
        self.stats = FakeStats(network=network, station=station, location=location, channel=channel, sampling_rate=sampling_rate, starttime=starttime)
        self.data = data


class FakeStream:
    def __init__(self, traces):
        self.traces = traces

    def __iter__(self):
        return iter(self.traces)


def fake_stream(head, channels=("HHZ", "HHN", "HHE"), **kw):
    return FakeStream([FakeTrace(c, head[k], dt.datetime(2019, 7, 6), **kw) for c, k in zip(channels, "zne")])


def test_a_duck_typed_obspy_stream_gives_the_same_picks(head, head_picks):
    got = eqnemix.pick(fake_stream(head), as_dataframe=False)
    assert picks_only(got) == picks_only(head_picks)
    assert (got[0]["network"], got[0]["station"], got[0]["instrument_type"]) == ("XX", "SYN1", "HH")
    # Channels 1 and 2 for N and E; one channel in two traces with a short gap filled.
    k = len(head["z"]) // 2
    traces = [
        FakeTrace("HHZ", head["z"][:k], dt.datetime(2019, 7, 6)),
        FakeTrace("HHZ", head["z"][k + 1 :], dt.datetime(2019, 7, 6) + dt.timedelta(seconds=(k + 1) / 100)),
        FakeTrace("HH1", head["n"], dt.datetime(2019, 7, 6)),
        FakeTrace("HH2", head["e"], dt.datetime(2019, 7, 6)),
    ]
    w = eqnemix.waveforms(FakeStream(traces))
    assert w.channels == ("HHZ", "HH1", "HH2") and len(w) == len(head["z"])
    assert w.z[k] == pytest.approx(0.5 * (head["z"][k - 1] + head["z"][k + 1]))
    # Two stations: one must be chosen.
    two = FakeStream(fake_stream(head).traces + fake_stream(head, station="SYN2").traces)
    with pytest.raises(ValueError, match=r"2 stations \(XX.SYN1, XX.SYN2\): choose one with station="):
        eqnemix.pick(two)
    assert picks_only(eqnemix.pick(two, station="XX.SYN1", as_dataframe=False)) == picks_only(head_picks)


def test_records_come_as_a_dataframe_when_pandas_is_there(head, head_picks):
    pd = pytest.importorskip("pandas")
    df = eqnemix.pick(**head)
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == eqnemix.PREDICTION_COLUMNS
    assert df["p_arrival_time"].tolist() == [r["p_arrival_time"] for r in head_picks]
    c = eqnemix.classify(**head)
    assert list(c.columns) == eqnemix.CLASSIFY_COLUMNS and len(c) == 120


def test_settings_reach_the_picker(head, head_picks):
    strict = eqnemix.pick(**head, detection_threshold=0.9, as_dataframe=False)
    assert len(strict) < len(head_picks)
    assert all(r["detection_probability"] >= 0.9 for r in strict)
    few = eqnemix.classify(**head, max_noise_prob=0.5, as_dataframe=False)
    assert all(r["noise_prob"] <= 0.5 for r in few) and len(few) < 120


BAD = [
    (lambda h: dict(z=h["z"], n=h["n"][:-1], e=h["e"], sampling_rate=100.0, starttime=h["starttime"]), r"same length; got 120000, 119999 and 120000 samples"),
    (lambda h: dict(z=np.where(np.arange(len(h["z"])) == 7, np.nan, h["z"]), n=h["n"], e=h["e"], sampling_rate=100.0, starttime=h["starttime"]), r"z: sample 7 is NaN"),
    (lambda h: dict(z=h["z"], n=h["n"], e=h["e"], sampling_rate=0.0, starttime=h["starttime"]), r"sampling_rate 0 Hz must be positive"),
    (lambda h: dict(z=h["z"], n=h["n"], e=h["e"], sampling_rate=-100.0, starttime=h["starttime"]), r"sampling_rate -100 Hz must be positive"),
    (lambda h: dict(z=h["z"], n=h["n"], e=h["e"], sampling_rate=float("nan"), starttime=h["starttime"]), r"sampling_rate NaN Hz must be positive"),
    (lambda h: dict(z=h["z"], n=h["n"], e=h["e"], sampling_rate=100.0, starttime="yesterday"), r"starttime \"yesterday\": not an RFC 3339 time"),
    (lambda h: dict(z=h["z"], n=h["n"], e=h["e"], sampling_rate=100.0), r"starttime .* is required"),
    (lambda h: dict(z=h["z"], n=h["n"], e=h["e"], starttime=h["starttime"]), r"sampling_rate \(Hz\) is required"),
    (lambda h: dict(z=[], n=[], e=[], sampling_rate=100.0, starttime=h["starttime"]), r"hold no samples"),
    (lambda h: dict(stream=np.zeros((2, 100)), sampling_rate=100.0, starttime=h["starttime"]), r"\(3, N\) array of Z, N, E rows .* got shape \(2, 100\)"),
    (lambda h: dict(stream={"Z": h["z"], "N": h["n"], "X": h["e"]}, sampling_rate=100.0, starttime=h["starttime"]), r"unknown component 'X'"),
    (lambda h: dict(stream=fake_stream(h, channels=("HHZ", "HHN", "HHX"))), r"trace XX.SYN1.00.HHX: unknown component \"X\""),
    (lambda h: dict(stream=fake_stream(h, channels=("HHZ", "HHN", "HHN"))), r"station XX.SYN1.\*: missing component HHE/2 \(channels present: HHN, HHZ\)"),
    (lambda h: dict(stream=fake_stream(h, sampling_rate=0.0)), r"trace XX.SYN1.00.HHZ: sampling_rate 0 Hz must be positive"),
    (lambda h: dict(stream=fake_stream(h, sampling_rate=-1.0)), r"trace XX.SYN1.00.HHZ: sampling_rate -1 Hz must be positive"),
]


@pytest.mark.parametrize("make,message", BAD)
@pytest.mark.parametrize("run_network", [eqnemix.pick, eqnemix.classify])
def test_bad_waveforms_raise_value_error(head, make, message, run_network):
    with pytest.raises(ValueError, match=message):
        run_network(**make(head))


def test_bad_settings_raise_with_the_cli_messages(head, tmp_path):
    with pytest.raises(ValueError, match=r"overlap.*0.99.*\[0, 0.95\]"):
        eqnemix.pick(**head, overlap=0.99)
    with pytest.raises(ValueError, match=r"merge|per-window"):
        eqnemix.pick(**head, merge="median")
    with pytest.raises(ValueError, match=r"batch_size must be a positive integer"):
        eqnemix.pick(**head, batch_size=0)
    with pytest.raises(ValueError, match=r"window_step -1: must be positive \(s\)"):
        eqnemix.classify(**head, window_step=-1.0)
    missing = tmp_path / "nope.onnx"
    with pytest.raises(OSError, match=f"loading {missing}: cannot read the ONNX model {missing}"):
        eqnemix.pick(**head, model=missing)
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"not a model")
    with pytest.raises(ValueError, match=f"loading {garbage}: ONNX Runtime cannot load the model"):
        eqnemix.classify(**head, model=garbage)
    with pytest.raises(ValueError, match=r"not a ConvNetQuake model: output width: expected 4 classes \(noise \+ 3 clusters\)"):
        eqnemix.classify(**head, n_clusters=3)


def test_model_paths_can_be_given(head, head_picks):
    bundled = REPO / "models" / "assets" / "eqtransformer.onnx"
    got = eqnemix.pick(**head, model=bundled, as_dataframe=False)
    assert picks_only(got) == picks_only(head_picks)


def test_without_onnx_runtime_the_call_raises_import_error_naming_the_package(tmp_path):
    script = (
        "import numpy as np, eqnemix\n"
        "try:\n"
        "    eqnemix.pick(np.zeros((3, 6000)), sampling_rate=100.0, starttime='2019-07-06T00:00:00Z')\n"
        "except ImportError as e:\n"
        "    print('ImportError:', e)\n"
    )
    env = dict(os.environ, ORT_DYLIB_PATH=str(tmp_path / "libonnxruntime.so"))
    p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("ImportError: loading "), p.stdout
    assert "cannot load the ONNX Runtime library" in p.stdout and "install the `onnxruntime` package" in p.stdout


def test_the_readme_pick_example_runs(monkeypatch):
    import contextlib
    import io
    import re

    pytest.importorskip("pandas")
    text = (REPO / "README.md").read_text()
    section = text[text.index("**Picking and classification**"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    monkeypatch.chdir(REPO)  # its glob is relative to the repository
    scope = {}
    with contextlib.redirect_stdout(io.StringIO()) as out:
        exec(compile(code, "README.md", "exec"), scope)
    assert "p_arrival_time" in out.getvalue()
    assert len(scope["picks"]) > 10
    assert (scope["probs"]["noise_prob"] <= 0.5).all() and len(scope["probs"]) > 0


def test_a_long_gap_in_a_stream_is_refused_before_anything_is_filled(head):
    k = len(head["z"]) // 2
    late = dt.datetime(2219, 7, 6)  # a mis-dated trace: centuries of interpolation
    traces = fake_stream(head).traces + [FakeTrace("HHZ", head["z"][:k], late)]
    with pytest.raises(ValueError, match=r"trace XX.SYN1.00.HHZ: a gap of .* s from 2019-07-06T00:19:59.990000Z to 2219-07-06T00:00:00.000000Z .*pick the two pieces separately"):
        eqnemix.pick(FakeStream(traces))


def test_a_record_over_the_memory_limit_is_a_memory_error_with_the_cli_message(head, monkeypatch):
    monkeypatch.setenv("EQNEMIX_MEMORY_LIMIT_GB", "0.01")
    for run_network, doing in ((eqnemix.pick, "picking"), (eqnemix.classify, "classifying")):
        with pytest.raises(MemoryError, match=rf"{doing} the waveforms whole \(0.3 h at 100 Hz\) needs .*; the memory limit is"):
            run_network(**head)


class FakeUTCDateTime:
    """ObsPy's UTCDateTime as eqnemix reads it: its .datetime (naive, UTC)."""

    def __init__(self, *args):
        self.datetime = dt.datetime(*args)


def test_start_times_in_every_accepted_form(head):
    forms = [
        "2019-07-06T02:00:00+02:00",
        dt.datetime(2019, 7, 6),
        dt.datetime(2019, 7, 6, 2, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        np.datetime64("2019-07-06T00:00:00"),
        FakeUTCDateTime(2019, 7, 6),
    ]
    for t in forms:
        w = eqnemix.waveforms(z=head["z"], n=head["n"], e=head["e"], sampling_rate=100.0, starttime=t)
        assert w.starttime == "2019-07-06T00:00:00.000000Z", t
    traces = [FakeTrace(c, head[k], FakeUTCDateTime(2019, 7, 6)) for c, k in zip(("HHZ", "HHN", "HHE"), "zne")]
    assert eqnemix.waveforms(FakeStream(traces)).starttime == "2019-07-06T00:00:00.000000Z"
    assert eqnemix._eqnemix.networks_built()
