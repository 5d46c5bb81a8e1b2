"""eqnemix.archive on a LocalCluster (2 workers, 1 thread each) over a
generated archive of 2 stations x 2 days: the same catalog as a serial run,
and a second run executes no task (counted from the result files: each
holds the id of the run that wrote it; nothing is timed)."""

import csv
import json
import pathlib
import subprocess
import sys
from datetime import datetime

import pytest

import eqnemix
from eqnemix import archive as ar
from test_cli_parity import REPO, eqnemix_binary

# EQTransformer's own thresholds and no added pick error, as the sample
# configuration (examples/data/config/run_sample.toml, [pipeline.picker]).
SETTINGS = ar.layered_settings(REPO / "examples" / "data" / "velocity" / "ridgecrest_1d.toml")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    exe = str(eqnemix_binary())
    base = tmp_path_factory.mktemp("archive")
    sds = ar.generate_archive(
        base / "archive",
        days=["2019-07-06", "2019-07-07"],
        stations=[("SYN1", -117.6, 35.7), ("SYN2", -117.4, 35.6)],
        hours_per_day=0.2,
        events_per_day=4,
        seed=3,
        eqnemix_bin=exe,
    )
    clusters = base / "clusters" / "clusters_gaussian.json"
    p = subprocess.run(
        [exe, "cluster", "--src", str(REPO / "examples/data/catalog/ridgecrest_synthetic.csv"), "--n-components", "5", "--dst", str(clusters.parent)],
        capture_output=True, text=True,
    )
    assert p.returncode == 0, p.stdout + p.stderr
    return base, sds, clusters, exe


def run_ids(out: pathlib.Path):
    """{run id: number of result files it wrote}, picks and events."""
    ids = {}
    for f in list(out.glob("picks/*/*.json")) + list(out.glob("events/*/*.json")):
        rid = json.loads(f.read_text())["run_id"]
        ids[rid] = ids.get(rid, 0) + 1
    return ids


def read_catalog(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def go(inputs, out, client, **kw):
    base, _, clusters, exe = inputs
    return ar.run(
        base / "archive", out, clusters=clusters, client=client, settings=SETTINGS, seed=1,
        eqnemix_bin=exe, progress=True, **kw,
    )


def test_scan_finds_every_station_day(inputs):
    _, sds, _, _ = inputs
    assert [sd.key for sd in sds] == ["2019-07-06/XX.SYN1.00", "2019-07-06/XX.SYN2.00", "2019-07-07/XX.SYN1.00", "2019-07-07/XX.SYN2.00"]
    assert all(len(sd.files) == 3 for sd in sds)


def test_dask_run_matches_the_serial_run_and_a_rerun_redoes_nothing(inputs, tmp_path):
    from distributed import Client, LocalCluster

    serial = go(inputs, tmp_path / "serial", None)
    assert serial.failures == []
    assert serial.picked == 4 and serial.reused_picks == 0
    assert serial.n_events >= 4 and serial.located == serial.n_events
    assert serial.n_located >= 4

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
        first = go(inputs, tmp_path / "dask", client)
        assert first.failures == []
        # Every task ran once, in this run.
        ids = run_ids(tmp_path / "dask")
        assert list(ids.values()) == [4 + first.n_events]
        # The same catalog as the serial run, row for row.
        assert read_catalog(first.catalog) == read_catalog(serial.catalog)

        # Run again: no task executes; every result comes from the files.
        second = go(inputs, tmp_path / "dask", client)
        assert (second.picked, second.located) == (0, 0)
        assert (second.reused_picks, second.reused_events) == (4, first.n_events)
        assert run_ids(tmp_path / "dask") == ids
        assert read_catalog(second.catalog) == read_catalog(serial.catalog)

        # A lost result (an interrupted run) is the only task redone.
        victim = sorted((tmp_path / "dask").glob("events/*/*.json"))[0]
        victim.unlink()
        third = go(inputs, tmp_path / "dask", client)
        assert (third.picked, third.located) == (0, 1)
        after = run_ids(tmp_path / "dask")
        assert sum(after.values()) == sum(ids.values()) and len(after) == 2
        assert read_catalog(third.catalog) == read_catalog(serial.catalog)

        # Events batched 5 to a task: the same catalog.
        batched = go(inputs, tmp_path / "batched", client, events_per_task=5)
        assert batched.located == serial.n_events
        assert read_catalog(batched.catalog) == read_catalog(serial.catalog)
    # No temporary file is left behind.
    assert not list((tmp_path / "dask").rglob(".tmp-*"))


def test_the_catalog_holds_the_true_events_and_the_command_line_continues_a_run(inputs, tmp_path):
    base, _, clusters, exe = inputs
    # SETTINGS as a configuration file, for the command line below.
    cfg = tmp_path / "locate.toml"
    cfg.write_text(
        f'[travel_time]\nkind = "layered"\nmodel = "{SETTINGS["travel_time"]["model"]}"\n'
        "[travel_time.table]\nmax_distance_km = 150.0\ndepth_max_km = 40.0\n[likelihood]\nmodel_error_s = 0.1\n"
    )
    rep = ar.run(base / "archive", tmp_path / "serial", clusters=clusters, config=cfg, seed=1, eqnemix_bin=exe, progress=False)
    rows = read_catalog(rep.catalog)
    assert [r["status"] for r in rows] == ["located"] * len(rows)
    # Nearly every detection's P is within 0.5 s of a true P arrival at its
    # station (EQTransformer on the generator's records: P RMS 0.07-0.15 s;
    # a few detections start in a coda, 8-28 s after an S, as with the
    # original's per-window rule: examples/data/sample/README.md).
    truth = {}
    for day in ("2019-07-06", "2019-07-07"):
        with open(base / "archive" / day / "picks.csv", newline="") as f:
            for t in csv.DictReader(f):
                if t["phase"] == "P":
                    truth.setdefault(f"{t['network']}.{t['station']}.00", []).append(datetime.fromisoformat(t["time"].replace("Z", "+00:00")))
    on_time = 0
    for r in rows:
        p = datetime.fromisoformat(r["p_time"].replace("Z", "+00:00"))
        on_time += min(abs((p - t).total_seconds()) for t in truth[r["station"]]) < 0.5
        assert -117.6 - 1 < float(r["longitude"]) < -117.6 + 1 and 35.7 - 1 < float(r["latitude"]) < 35.7 + 1
        assert -5 < float(r["depth_km"]) < 40
        assert 0 < float(r["cluster_probability"]) <= 1
    assert 5 * on_time >= 4 * len(rows), f"only {on_time} of {len(rows)} located events have a P within 0.5 s of a true P"
    # The command line on the finished output: nothing left to do.
    p = subprocess.run(
        [sys.executable, "-m", "eqnemix.archive", str(base / "archive"), "--out", str(tmp_path / "serial"), "--clusters", str(clusters),
         "--config", str(cfg), "--seed", "1",
         "--eqnemix-bin", exe, "--no-progress"],
        capture_output=True, text=True,
    )
    assert p.returncode == 0, p.stdout + p.stderr
    assert f"4 station-days (0 picked now, 4 done before), {len(rows)} events (0 located now" in p.stdout, p.stdout


def test_bad_input_raises_clear_errors(inputs, tmp_path):
    base, _, clusters, exe = inputs
    with pytest.raises(ar.ArchiveError, match="is not a folder"):
        ar.run(tmp_path / "nope", tmp_path / "out", clusters=clusters, eqnemix_bin=exe, progress=False)
    (tmp_path / "empty" / "2019-01-01").mkdir(parents=True)
    with pytest.raises(ar.ArchiveError, match="no <day>"):
        ar.scan(tmp_path / "empty")
    with pytest.raises(ar.ArchiveError, match="does not exist"):
        ar.find_eqnemix_bin(tmp_path / "no-binary")
    # Results made with other settings are not reused.
    go(inputs, tmp_path / "first", None)
    with pytest.raises(ar.ArchiveError, match=r"other settings \(pick_error_s differ"):
        ar.run(base / "archive", tmp_path / "first", clusters=clusters, settings=SETTINGS, seed=1, pick_error_s=0.5, eqnemix_bin=exe, progress=False)
    # A bad configuration: the library's ValueError before any task runs.
    with pytest.raises(ValueError, match="vp_km_s"):
        ar.run(base / "archive", tmp_path / "bad", clusters=clusters, settings={"travel_time": {"kind": "homogeneous", "vp_km_s": -1.0}}, eqnemix_bin=exe, progress=False)
    assert not (tmp_path / "bad" / "picks").exists()
    with pytest.raises(ValueError, match="events_per_task"):
        go(inputs, tmp_path / "out", None, events_per_task=0)
    (tmp_path / "c.json").write_text("{}")
    with pytest.raises(ar.ArchiveError, match="not a clusters_gaussian.json"):
        ar.read_clusters(tmp_path / "c.json")


def test_a_failing_station_day_is_reported_and_leaves_no_result(inputs, tmp_path):
    base, _, clusters, exe = inputs
    arch = tmp_path / "archive" / "2019-07-06"
    arch.mkdir(parents=True)
    (arch / "XX.BAD.00.HHZ.mseed").write_bytes(b"not miniSEED at all" * 40)
    (arch / "stations.csv").write_text("network,station,location,channels,latitude,longitude,elevation_m\nXX,BAD,00,HHZ,35.7,-117.6,0\n")
    rep = ar.run(tmp_path / "archive", tmp_path / "out", clusters=clusters, eqnemix_bin=exe, settings=SETTINGS, progress=False)
    assert [k for k, _ in rep.failures] == ["2019-07-06/XX.BAD.00"]
    assert "ArchiveError: 2019-07-06/XX.BAD.00: eqnemix pick failed" in rep.failures[0][1]
    assert not list((tmp_path / "out").glob("picks/*/*.json"))
    # A station without coordinates: reported, not picked.
    (arch / "stations.csv").write_text("network,station,location,channels,latitude,longitude,elevation_m\n")
    rep = ar.run(tmp_path / "archive", tmp_path / "out", clusters=clusters, eqnemix_bin=exe, settings=SETTINGS, progress=False)
    assert rep.failures == [("2019-07-06/XX.BAD.00", rep.failures[0][1])]
    assert "is in no stations.csv" in rep.failures[0][1]
