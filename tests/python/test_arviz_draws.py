"""ArviZ recomputes eqnemix's convergence numbers from `<id>_draws.csv`
(issue 13 item 4).

`tests/python/run.sh` locates the events a second time with NUTS (chains
per mode region) into EQNEMIX_INTEROP_NUTS_OUT. The draws file keeps each
draw's sampler chain (`chain`, numbered mode region by mode region,
`n_chains` each) and its index (`draw`); ArviZ's rank-normalised split
R-hat and bulk/tail ESS of each region's chains must equal what eqnemix
reported for that mode region in `<id>.json` (`diagnostics.modes`).
"""

import csv
import json
import os
from pathlib import Path

import arviz as az
import numpy as np
import pytest

COORDS = ("east_km", "north_km", "depth_km")


@pytest.fixture(scope="module")
def nuts_out():
    value = os.environ.get("EQNEMIX_INTEROP_NUTS_OUT")
    if not value:
        pytest.exit("EQNEMIX_INTEROP_NUTS_OUT is not set: run through tests/python/run.sh", returncode=2)
    return Path(value)


def read_chains(path):
    """{chain: {coordinate: [values in draw order]}} and per chain its
    sampler statistics (divergent flags, tree depths)."""
    chains = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            c = chains.setdefault(int(row["chain"]), {k: [] for k in COORDS + ("draw", "divergent", "tree_depth")})
            for k in COORDS:
                c[k].append(float(row[k]))
            c["draw"].append(int(row["draw"]))
            c["divergent"].append(int(row["divergent"]))
            c["tree_depth"].append(int(row["tree_depth"]))
    return chains


def test_arviz_recomputes_rhat_and_ess_per_mode_region(nuts_out):
    docs = [p for p in sorted(nuts_out.glob("*.json")) if not p.name.endswith(".arviz.json") and p.name != "catalog.json"]
    assert docs, f"no events in {nuts_out}"
    checked = 0
    for doc_path in docs:
        doc = json.loads(doc_path.read_text())
        diag = doc["diagnostics"]
        modes = diag["modes"]
        chains = read_chains(nuts_out / f"{doc_path.stem}_draws.csv")
        assert sorted(chains) == list(range(len(chains)))
        assert len(chains) == sum(m["n_chains"] for m in modes), (len(chains), modes)
        for c in chains.values():
            assert c["draw"] == list(range(len(c["draw"]))), "draws numbered 0.. within each chain"
        assert sum(sum(c["divergent"]) for c in chains.values()) == diag["n_divergent"]
        first = 0
        for m in modes:
            group = [chains[i] for i in range(first, first + m["n_chains"])]
            first += m["n_chains"]
            lengths = {len(c["draw"]) for c in group}
            assert len(lengths) == 1, f"chains of one region differ in length: {lengths}"
            data = {k: np.array([c[k] for c in group]) for k in COORDS}  # (chain, draw)
            ds = az.convert_to_inference_data(data).posterior
            rhat = max(float(az.rhat(ds, method="rank")[k]) for k in COORDS)
            bulk = min(float(az.ess(ds, method="bulk")[k]) for k in COORDS)
            tail = min(float(az.ess(ds, method="tail")[k]) for k in COORDS)
            assert rhat == pytest.approx(m["max_rhat"], rel=1e-9, abs=1e-12), (doc_path.stem, m)
            assert bulk == pytest.approx(m["min_ess_bulk"], rel=1e-6), (doc_path.stem, m)
            assert tail == pytest.approx(m["min_ess_tail"], rel=1e-6), (doc_path.stem, m)
            checked += 1
    assert checked >= 2, "too few mode regions checked"


def test_arviz_opens_the_mode_files_directly(nuts_out):
    """`<id>_mode<m>.arviz.json` is read by `az.from_json` with no glue, and
    ArviZ's numbers on it equal eqnemix's for that mode region."""
    docs = [p for p in sorted(nuts_out.glob("*.json")) if not p.name.endswith(".arviz.json") and p.name != "catalog.json"]
    opened = 0
    for doc_path in docs:
        doc = json.loads(doc_path.read_text())
        modes = doc["diagnostics"]["modes"]
        chains = read_chains(nuts_out / f"{doc_path.stem}_draws.csv")
        first = 0
        for m, mode in enumerate(modes):
            ids = range(first, first + mode["n_chains"])
            first += mode["n_chains"]
            path = nuts_out / f"{doc_path.stem}_mode{m}.arviz.json"
            assert path.is_file(), f"no ArviZ file for mode {m} of {doc_path.stem}"
            idata = az.from_json(str(path))
            post = idata.posterior
            assert post.sizes["chain"] == mode["n_chains"]
            for k in COORDS:
                want = np.array([chains[i][k] for i in ids])
                np.testing.assert_array_equal(post[k].values, want)
            rhat = max(float(az.rhat(post)[k]) for k in COORDS)
            assert rhat == pytest.approx(mode["max_rhat"], rel=1e-9, abs=1e-12)
            stats = idata.sample_stats
            assert int(stats["diverging"].sum()) == sum(sum(chains[i]["divergent"]) for i in ids)
            np.testing.assert_array_equal(stats["tree_depth"].values, np.array([chains[i]["tree_depth"] for i in ids]))
            assert "energy" in stats and "lp" in stats
            assert idata.posterior.attrs["mode"] == m and idata.posterior.attrs["sampler"] == "nuts"
            opened += 1
    assert opened >= 2
