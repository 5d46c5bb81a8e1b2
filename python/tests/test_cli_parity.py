"""The same event located through Python and through `eqnemix locate`, with
the same configuration and seed, gives identical numbers: the whole
`<id>.json` (but its wall time) and every draw."""

import csv
import json
import os
import pathlib
import subprocess

import numpy as np
import pytest

import eqnemix
from conftest import write_clusters

REPO = pathlib.Path(__file__).resolve().parents[2]


def eqnemix_binary() -> pathlib.Path:
    """The command-line binary: $EQNEMIX_BIN, else the workspace's debug or release build."""
    env = os.environ.get("EQNEMIX_BIN")
    if env:
        return pathlib.Path(env)
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    for p in (target / "debug" / "eqnemix", target / "release" / "eqnemix"):
        if p.exists():
            return p
    pytest.fail("no eqnemix binary: build it (cargo build --bin eqnemix) or set EQNEMIX_BIN (run-tests.sh does)")


def drop_wall_time(d):
    if isinstance(d, dict):
        return {k: drop_wall_time(v) for k, v in d.items() if k != "elapsed_s"}
    if isinstance(d, list):
        return [drop_wall_time(v) for v in d]
    return d


SAMPLERS = {
    "importance": "",
    "nuts": '[sampler]\nkind = "nuts"\nn_warmup = 200\nn_draws = 200\n',
}


@pytest.mark.parametrize("sampler", sorted(SAMPLERS))
def test_python_and_cli_give_identical_locations(tmp_path, picks, stations, sampler):
    clusters = write_clusters(tmp_path / "clusters_gaussian.json")
    (tmp_path / "stations.csv").write_text("station,east_km,north_km,depth_km\nSTA,0,0,0\n")
    rows = "".join(f"ev0,STA,{p['phase']},{p['time']},{p['sigma_s']}\n" for p in picks)
    (tmp_path / "picks.csv").write_text("event_id,station,phase,time_utc,sigma_s\n" + rows)
    cfg = tmp_path / "locate.toml"
    cfg.write_text(
        'n_chains = 2\nseed = 3\n[travel_time]\nkind = "homogeneous"\nvp_km_s = 6.0\nvs_km_s = 3.5\n' + SAMPLERS[sampler]
    )
    out = tmp_path / "out"
    cmd = [
        str(eqnemix_binary()), "locate", "--quiet",
        "--config", str(cfg),
        "--picks", str(tmp_path / "picks.csv"),
        "--stations", str(tmp_path / "stations.csv"),
        "--clusters", str(clusters),
        "--weights", "0.8,0.1,0.1",
        "--out", str(out),
    ]
    run = subprocess.run(cmd, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    cli = json.loads((out / "ev0.json").read_text())

    py = eqnemix.locate(picks, stations, clusters=clusters, weights=[0.8, 0.1, 0.1], config=cfg, event_id="ev0")
    draws, weights = py.pop("draws"), py.pop("draw_weights")
    assert drop_wall_time(py) == drop_wall_time(cli)
    assert py["diagnostics"]["sampler"].startswith(sampler)

    # The draws, as the command writes them (`{v}` prints the shortest exact decimal).
    with open(out / "ev0_draws.csv") as f:
        table = list(csv.DictReader(f))
    values = np.array([[float(r["east_km"]), float(r["north_km"]), float(r["depth_km"])] for r in table])
    w = np.array([float(r["weight"]) for r in table])
    np.testing.assert_array_equal(np.concatenate(draws), values)
    np.testing.assert_array_equal(np.concatenate(weights), w)

    # The headline location is near the source, in cluster 0.
    s = py["summary"]
    assert np.linalg.norm(np.array(s["location_km"]) - [19.0, 11.0, 7.0]) < 5.0
    assert s["modes"][0]["cluster"] == 0
