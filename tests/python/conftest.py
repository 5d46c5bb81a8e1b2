"""Fixtures of the ObsPy interoperability tests (issue 13).

`tests/python/run.sh` locates a few events with `eqnemix locate` into a
temporary folder and passes it as EQNEMIX_INTEROP_OUT, with the picks file
it located (EQNEMIX_INTEROP_PICKS) and the configuration
(EQNEMIX_INTEROP_CONFIG); these fixtures read what eqnemix wrote
there: per event `<id>.json` (the summary), `<id>.hyp` and `<id>.xml`, and
`catalog.xml`.
"""

import csv
import json
import os
import tomllib
from pathlib import Path

import pytest


def _env_path(name):
    value = os.environ.get(name)
    if not value:
        pytest.exit(f"{name} is not set: run these tests through tests/python/run.sh", returncode=2)
    path = Path(value)
    if not path.exists():
        pytest.exit(f"{name}={value} does not exist", returncode=2)
    return path


@pytest.fixture(scope="session")
def out_dir():
    return _env_path("EQNEMIX_INTEROP_OUT")


@pytest.fixture(scope="session")
def input_picks():
    """The located picks (EQTransformer's columns) by event id."""
    with open(_env_path("EQNEMIX_INTEROP_PICKS"), newline="") as f:
        return {row["event_id"]: row for row in csv.DictReader(f)}


@pytest.fixture(scope="session")
def event_ids(out_dir, input_picks):
    ids = sorted(p.stem for p in out_dir.glob("*.hyp"))
    # Every located event has its files (the run locates every detection).
    assert ids == sorted(input_picks), (ids, sorted(input_picks))
    return ids


@pytest.fixture(scope="session")
def summaries(out_dir, event_ids):
    """Each event's location summary (the `summary` object of `<id>.json`)."""
    out = {}
    for e in event_ids:
        doc = json.loads((out_dir / f"{e}.json").read_text())
        assert doc["event_id"] == e
        out[e] = doc["summary"]
    return out


@pytest.fixture(scope="session")
def quakeml_xsd():
    """The QuakeML 1.2 XSD shipped inside the installed ObsPy."""
    import obspy

    path = Path(obspy.__file__).parent / "io" / "quakeml" / "data" / "QuakeML-1.2.xsd"
    assert path.is_file(), path
    return path


@pytest.fixture(scope="session")
def locate_config():
    """The configuration `eqnemix locate` ran with (EQNEMIX_INTEROP_CONFIG)."""
    with open(_env_path("EQNEMIX_INTEROP_CONFIG"), "rb") as f:
        return tomllib.load(f)
