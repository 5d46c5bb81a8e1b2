"""Pick and locate over an archive of many stations and days, on Dask.

One task per station-day runs EQTransformer (``eqnemix pick``, the
command-line binary, on that station-day's miniSEED); one task per event
(a detection with both a P and an S pick) locates it with
:func:`eqnemix.locate` at its station. The results are gathered into one
catalog CSV. Every task writes its result to its own file (a temporary
file renamed into place, so a file is either complete or absent); a task
whose file exists is not run again, so an interrupted or failed run is
continued by running the same command again.

Why the binary for picking rather than :func:`eqnemix.pick` (which
pre-processes and predicts a record whole): ``eqnemix pick`` reads any
length of record in bounded memory, splits it at gaps and writes
EQTransformer's CSV, and the workers' Python needs no ``onnxruntime``. A
station-day costs one process start and one ONNX session load (a fraction
of a second) against seconds of network inference per day of 100 Hz data.

Archive layout (what :func:`generate_archive` writes, and what
:func:`scan` reads)::

    ARCHIVE/<day>/<NET>.<STA>.<LOC>.<CHA>[...].mseed   one or more files per channel
    ARCHIVE/<day>/stations.csv  or  ARCHIVE/stations.csv
        network,station,location,latitude,longitude,elevation_m (degrees, m)

``<day>`` is any folder name (``2019-07-06``). Output folder::

    OUT/picks/<day>/<NET.STA.LOC>.json   one per station-day: the detections
    OUT/events/<day>/<event id>.json     one per event: its catalog row
    OUT/catalog.csv                      every event, sorted by event id
    OUT/settings.json                    the settings the results were made with

Each event is located from its own station (single-station location,
eqnemix's subject); detections of one earthquake at several stations are
not associated with each other.

Units: km (east, north, depth positive down) in the frame of the clusters
(``clusters_gaussian.json``'s origin), degrees for longitudes and
latitudes, s for times and CPU times, UTC times as RFC 3339 text.

Command line (``python -m eqnemix.archive --help``)::

    python -m eqnemix.archive ARCHIVE --out OUT --clusters clusters_gaussian.json \\
        --config locate.toml [--scheduler tcp://scheduler:8786 | --workers 2]
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as _dt
import json
import math
import os
import re
import resource
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import eqnemix

PathLike = Union[str, "os.PathLike[str]"]

#: The columns of ``catalog.csv``, in order.
CATALOG_COLUMNS = [
    "event_id",
    "day",
    "station",
    "p_time",
    "s_time",
    "status",
    "longitude",
    "latitude",
    "east_km",
    "north_km",
    "depth_km",
    "origin_time",
    "cluster",
    "cluster_probability",
    "flags",
    "message",
]

# Result files are readable by everyone as ordinary files would be (mkstemp
# creates them 0600).
_FILE_MODE = 0o644

_MSEED = re.compile(r"^([^.]+)\.([^.]+)\.([^.]*)\.([^.]+)(\..*)?$")


class ArchiveError(RuntimeError):
    """A task of an archive run failed (the message names the station-day or
    the event and says why)."""


@dataclasses.dataclass(frozen=True)
class StationDay:
    """The miniSEED files of one station (``NET.STA.LOC``) in one day
    folder ``day``."""

    day: str
    station: str
    files: Tuple[str, ...]

    @property
    def key(self) -> str:
        """``<day>/<NET.STA.LOC>``: the name of its task and result file."""
        return f"{self.day}/{self.station}"


@dataclasses.dataclass
class RunReport:
    """What :func:`run` did. ``picked`` / ``located``: tasks executed by this
    run; ``reused_picks`` / ``reused_events``: results found from an earlier
    run; ``failures``: ``(task key, message)`` of tasks that failed (no
    result file: a rerun tries them again); ``wall_s``: seconds."""

    catalog: Path
    n_station_days: int
    n_events: int
    n_located: int
    picked: int
    located: int
    reused_picks: int
    reused_events: int
    failures: List[Tuple[str, str]]
    wall_s: float


def find_eqnemix_bin(explicit: Optional[PathLike] = None) -> str:
    """The ``eqnemix`` binary: ``explicit``, else ``$EQNEMIX_BIN``, else
    ``eqnemix`` on the PATH. ArchiveError when there is none."""
    for cand in (explicit, os.environ.get("EQNEMIX_BIN")):
        if cand:
            if not Path(cand).is_file():
                raise ArchiveError(f"eqnemix binary {cand} does not exist")
            return os.fspath(cand)
    found = shutil.which("eqnemix")
    if found is None:
        raise ArchiveError(
            "no eqnemix binary: install it (cargo install --path .), put it on the PATH or set EQNEMIX_BIN"
        )
    return found


# ---------------------------------------------------------------- archive


def scan(archive: PathLike) -> List[StationDay]:
    """The station-days of ``archive`` (layout in the module documentation),
    sorted by day and station. ArchiveError when the folder does not exist
    or holds no miniSEED."""
    root = Path(archive)
    if not root.is_dir():
        raise ArchiveError(f"archive {root} is not a folder")
    out = []
    for day in sorted(p for p in root.iterdir() if p.is_dir()):
        groups: Dict[str, List[str]] = {}
        for f in sorted(day.iterdir()):
            m = _MSEED.match(f.name)
            if f.is_file() and m and (f.suffix.lower() in (".mseed", ".miniseed", ".ms")):
                groups.setdefault(f"{m.group(1)}.{m.group(2)}.{m.group(3)}", []).append(os.fspath(f))
        out.extend(StationDay(day.name, st, tuple(files)) for st, files in sorted(groups.items()))
    if not out:
        raise ArchiveError(f"archive {root}: no <day>/<NET>.<STA>.<LOC>.<CHA>.mseed files")
    return out


def read_stations(path: PathLike) -> Dict[str, Tuple[float, float, float]]:
    """``{NET.STA.LOC: (longitude_deg, latitude_deg, elevation_m)}`` from a
    stations CSV (columns network, station, location, latitude, longitude,
    elevation_m; what ``eqnemix generate`` writes). ArchiveError names the
    file and line of a bad row."""
    out = {}
    with open(path, newline="") as f:
        for i, row in enumerate(csv.DictReader(f), start=2):
            try:
                code = f"{row['network']}.{row['station']}.{row.get('location') or ''}"
                out[code] = (float(row["longitude"]), float(row["latitude"]), float(row.get("elevation_m") or 0.0))
            except (KeyError, TypeError, ValueError) as e:
                raise ArchiveError(f"{path} line {i}: {e!r} (need network, station, location, latitude, longitude, elevation_m)") from None
    return out


def _stations_of(archive: Path, day: str) -> Dict[str, Tuple[float, float, float]]:
    out: Dict[str, Tuple[float, float, float]] = {}
    for p in (archive / "stations.csv", archive / day / "stations.csv"):
        if p.is_file():
            out.update(read_stations(p))
    return out


def generate_archive(
    out: PathLike,
    *,
    days: Sequence[str],
    stations: Sequence[Tuple[str, float, float]],
    hours_per_day: float,
    events_per_day: int,
    seed: int = 1,
    eqnemix_bin: Optional[PathLike] = None,
) -> List[StationDay]:
    """A synthetic archive for trying :func:`run`: for each day
    (``YYYY-MM-DD``) ``eqnemix generate`` writes ``hours_per_day`` hours
    (from 00:00 UTC) of 3C 100 Hz miniSEED at every station ``(code,
    longitude_deg, latitude_deg)`` with ``events_per_day`` events of the
    generator's default clusters, into ``out/<day>/`` (with that day's true
    ``catalog.csv``, ``picks.csv`` and ``stations.csv``). Day ``i`` uses
    seed ``seed + i``. Returns :func:`scan` of it."""
    exe = find_eqnemix_bin(eqnemix_bin)
    if not stations:
        raise ValueError("stations must name at least one (code, longitude_deg, latitude_deg)")
    if not (hours_per_day > 0 and events_per_day >= 1):
        raise ValueError(f"hours_per_day must be > 0 and events_per_day >= 1; got {hours_per_day}, {events_per_day}")
    root = Path(out)
    for i, day in enumerate(days):
        start = _dt.datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=_dt.timezone.utc)
        d = root / day
        d.mkdir(parents=True, exist_ok=True)
        lines = [
            f"seed = {int(seed) + i}",
            f'start_time = "{start.strftime("%Y-%m-%dT%H:%M:%SZ")}"',
            f"duration_hours = {float(hours_per_day)!r}",
            f"n_events = {int(events_per_day)}",
        ]
        for code, lon, lat in stations:
            lines += ["", "[[stations]]", f'code = "{code}"', f"longitude = {float(lon)!r}", f"latitude = {float(lat)!r}", "elevation_m = 0.0"]
        cfg = d / "generate_input.toml"
        cfg.write_text("\n".join(lines) + "\n")
        p = subprocess.run([exe, "generate", "--config", os.fspath(cfg), "--out", os.fspath(d)], capture_output=True, text=True)
        if p.returncode != 0:
            raise ArchiveError(f"eqnemix generate for {day} failed (exit {p.returncode}): {p.stderr.strip()}")
    return scan(root)


def layered_settings(
    velocity_toml: PathLike,
    model_error_s: float = 0.1,
    max_distance_km: float = 150.0,
    depth_max_km: float = 40.0,
) -> Dict[str, Any]:
    """The ``settings`` of :func:`run` for a layered 1-D velocity model
    (a TOML file as ``examples/data/velocity/ridgecrest_1d.toml``): its
    travel-time table up to ``max_distance_km`` (km) epicentral distance
    and ``depth_max_km`` (km) depth, and the travel-time model error
    ``model_error_s`` (s) of the likelihood. The sample configuration's
    values are the defaults."""
    return {
        "travel_time": {
            "kind": "layered",
            "model": str(Path(velocity_toml)),
            "table": {"max_distance_km": float(max_distance_km), "depth_max_km": float(depth_max_km)},
        },
        "likelihood": {"model_error_s": float(model_error_s)},
    }


# ---------------------------------------------------------------- results


def _write_atomic(path: Path, write: Callable[[Any], None], suffix: str, newline: Optional[str] = None) -> None:
    """Call ``write(f)`` on a temporary file in ``path``'s folder, then
    ``os.replace`` it onto ``path``: readers see the whole file or none,
    and a failure leaves no temporary file behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=suffix)
    try:
        with os.fdopen(fd, "w", newline=newline) as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _write_json_atomic(path: Path, doc: Mapping[str, Any]) -> None:
    """Write ``doc`` as JSON to ``path`` atomically (:func:`_write_atomic`)."""
    _write_atomic(path, lambda f: json.dump(doc, f, allow_nan=True), ".json")


def _read_json(path: Path) -> Optional[Dict[str, Any]]:
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def pick_result_path(out: PathLike, sd: StationDay) -> Path:
    """Where the pick task of ``sd`` writes its result."""
    return Path(out) / "picks" / sd.day / f"{sd.station}.json"


def event_result_path(out: PathLike, event: Mapping[str, Any]) -> Path:
    """Where the locate task of ``event`` writes its result."""
    return Path(out) / "events" / event["day"] / f"{event['event_id']}.json"


def _cpu_children_s() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


# ---------------------------------------------------------------- tasks


def pick_station_day(sd: StationDay, out: str, eqnemix_bin: str, pick_args: Sequence[str], run_id: str) -> Dict[str, Any]:
    """Task: ``eqnemix pick`` on the station-day ``sd``; its detections (the
    rows of EQTransformer's CSV, as dicts of text) go to
    :func:`pick_result_path` with ``run_id``, the command's CPU time
    (``cpu_s``, s) and wall time (``wall_s``, s). Returns the result; an
    existing result is returned as it is (``executed`` False) without
    running anything. ArchiveError when the command fails."""
    path = pick_result_path(out, sd)
    done = _read_json(path)
    if done is not None:
        done["executed"] = False
        return done
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".tmp-pick-") as tmp:
        csv_path = Path(tmp) / "picks.csv"
        cmd = [eqnemix_bin, "pick", *sd.files, "--station", sd.station, "-o", os.fspath(csv_path), *pick_args]
        # CPU of the child (one task at a time per worker process:
        # threads_per_worker=1).
        cpu0, t0 = _cpu_children_s(), time.perf_counter()
        try:
            p = subprocess.run(cmd, capture_output=True, text=True)
        except OSError as e:
            raise ArchiveError(f"{sd.key}: cannot run {eqnemix_bin}: {e}") from None
        cpu, wall = _cpu_children_s() - cpu0, time.perf_counter() - t0
        if p.returncode != 0:
            raise ArchiveError(f"{sd.key}: eqnemix pick failed (exit {p.returncode}): {p.stderr.strip()}")
        with open(csv_path, newline="") as f:
            rows = list(csv.DictReader(f))
    result = {"task": "pick", "key": sd.key, "day": sd.day, "station": sd.station, "run_id": run_id, "rows": rows, "cpu_s": cpu, "wall_s": wall}
    _write_json_atomic(path, result)
    result["executed"] = True
    return result


def _utc(text: str) -> Optional[str]:
    """EQTransformer's ``YYYY-MM-DD HH:MM:SS.ffffff`` (UTC) as RFC 3339."""
    text = (text or "").strip()
    if not text:
        return None
    t = _dt.datetime.fromisoformat(text.replace(" ", "T"))
    if t.tzinfo is None:
        t = t.replace(tzinfo=_dt.timezone.utc)
    return t.isoformat().replace("+00:00", "Z")


def events_of(pick_result: Mapping[str, Any], stations_km: Mapping[str, Sequence[float]], pick_error_s: float = 0.0) -> List[Dict[str, Any]]:
    """The events of one station-day's detections: every row with both a P
    and an S arrival. Each pick's sigma (s) is its
    ``*_time_uncertainty_s`` with ``pick_error_s`` (s) added in
    quadrature, as ``[pipeline.picker] error_s`` of ``eqnemix run`` (when
    the column is empty, the configuration's
    ``likelihood.default_pick_sigma_s`` alone). The id
    is ``<NET.STA.LOC>.<P time, YYYYmmddTHHMMSS.ff>``."""
    station = pick_result["station"]
    if station not in stations_km:
        raise ArchiveError(f"{pick_result['key']}: station {station} is not in the stations file")
    events = []
    for row in pick_result["rows"]:
        p, s = _utc(row.get("p_arrival_time", "")), _utc(row.get("s_arrival_time", ""))
        if p is None or s is None:
            continue
        picks = []
        for phase, t, unc in (("P", p, row.get("p_time_uncertainty_s")), ("S", s, row.get("s_time_uncertainty_s"))):
            pick: Dict[str, Any] = {"station": station, "phase": phase, "time": t}
            if unc not in (None, ""):
                pick["sigma_s"] = math.hypot(float(unc), pick_error_s)
            picks.append(pick)
        tp = _dt.datetime.fromisoformat(p.replace("Z", "+00:00"))
        eid = f"{station}.{tp.strftime('%Y%m%dT%H%M%S')}.{tp.microsecond // 10000:02d}"
        events.append({"event_id": eid, "day": pick_result["day"], "station": station, "p_time": p, "s_time": s, "picks": picks, "stations": {station: list(stations_km[station])}})
    return events


def _catalog_row(event: Mapping[str, Any], loc: Optional[Mapping[str, Any]], message: str = "") -> Dict[str, Any]:
    """The catalog row of an event: the headline location (the
    highest-density point of the heaviest mode; km and degrees), its origin
    time, the heaviest mode's cluster and mass, the set flags."""
    row = {k: "" for k in CATALOG_COLUMNS}
    row.update(event_id=event["event_id"], day=event["day"], station=event["station"], p_time=event["p_time"], s_time=event["s_time"])
    if loc is None:
        row.update(status="not located", message=message)
        return row
    s = loc["summary"]
    e, n, z = s["location_km"][:3]
    row.update(status="located", east_km=e, north_km=n, depth_km=z, origin_time=s.get("location_origin_time") or "")
    geo = s.get("geographic") or {}
    if geo:
        row.update(longitude=geo["location_lon_deg"], latitude=geo["location_lat_deg"])
    modes = s.get("modes") or []
    if modes:
        m = max(modes, key=lambda m: m["mass"])
        row.update(cluster="" if m.get("cluster") is None else m["cluster"], cluster_probability=m["mass"])
    flags = loc.get("flags") or {}
    row["flags"] = ";".join(k for k in ("untrustworthy", "prior_dominated", "misfit") if flags.get(k))
    return row


def locate_event_task(event: Dict[str, Any], out: str, locate_kwargs: Mapping[str, Any], run_id: str) -> Dict[str, Any]:
    """Task: :func:`eqnemix.locate` of one event (from :func:`events_of`)
    with ``locate_kwargs``; its catalog row goes to
    :func:`event_result_path` with ``run_id`` and the CPU time of the call
    (``cpu_s``, s, the worker process's: one task at a time per worker).
    An event that cannot be located (``eqnemix.LocateError``) gets a row
    with status ``not located`` and the reason. An existing result is
    returned as it is (``executed`` False)."""
    path = event_result_path(out, event)
    done = _read_json(path)
    if done is not None:
        done["executed"] = False
        return done
    picks = event["picks"]
    cpu0, t0 = time.process_time(), time.perf_counter()
    try:
        loc = eqnemix.locate(picks, event["stations"], event_id=event["event_id"], **locate_kwargs)
        row = _catalog_row(event, loc)
    except eqnemix.LocateError as e:
        row = _catalog_row(event, None, str(e))
    result = {"task": "locate", "key": event["event_id"], "run_id": run_id, "row": row, "cpu_s": time.process_time() - cpu0, "wall_s": time.perf_counter() - t0}
    _write_json_atomic(path, result)
    result["executed"] = True
    return result


def locate_events_task(events: Sequence[Dict[str, Any]], out: str, locate_kwargs: Mapping[str, Any], run_id: str) -> List[Dict[str, Any]]:
    """Task: :func:`locate_event_task` of each event in turn (one result
    file each); fewer, longer tasks for the scheduler (``events_per_task``
    of :func:`run`)."""
    return [locate_event_task(ev, out, locate_kwargs, run_id) for ev in events]


# ---------------------------------------------------------------- the run


def read_clusters(path: PathLike) -> Tuple[List[Dict[str, Any]], Tuple[float, float], Optional[List[float]]]:
    """A ``clusters_gaussian.json`` (written by ``eqnemix cluster``): the
    clusters (``mean_km``, ``cov_km2``), the frame's origin
    ``(lon_deg, lat_deg)`` and the catalog proportions ``n_events / sum``
    as prior weights (None when the file has no counts)."""
    with open(path) as f:
        doc = json.load(f)
    try:
        clusters = [{"mean_km": c["mean_km"], "cov_km2": c["cov_km2"]} for c in doc["clusters"]]
        origin = (float(doc["origin"]["lon_deg"]), float(doc["origin"]["lat_deg"]))
    except (KeyError, TypeError) as e:
        raise ArchiveError(f"{path}: not a clusters_gaussian.json ({e!r} missing)") from None
    counts = [float(c.get("n_events", 0)) for c in doc["clusters"]]
    weights = [c / sum(counts) for c in counts] if sum(counts) > 0 else None
    return clusters, origin, weights


def write_catalog(path: PathLike, rows: Iterable[Mapping[str, Any]]) -> Path:
    """``rows`` sorted by event id into the CSV ``path`` (columns
    :data:`CATALOG_COLUMNS`), written atomically."""
    path = Path(path)

    def write(f: Any) -> None:
        w = csv.DictWriter(f, fieldnames=CATALOG_COLUMNS)
        w.writeheader()
        for r in sorted(rows, key=lambda r: r["event_id"]):
            w.writerow({k: r.get(k, "") for k in CATALOG_COLUMNS})

    _write_atomic(path, write, ".csv", newline="")
    return path


def run(
    archive: PathLike,
    out: PathLike,
    *,
    clusters: PathLike,
    client: Any = None,
    config: Optional[PathLike] = None,
    settings: Optional[Mapping[str, Any]] = None,
    seed: Optional[int] = None,
    sampler: Optional[str] = None,
    sampler_settings: Optional[Mapping[str, Any]] = None,
    weights: Optional[Sequence[float]] = None,
    pick_args: Sequence[str] = (),
    pick_error_s: float = 0.0,
    eqnemix_bin: Optional[PathLike] = None,
    station_days: Optional[Sequence[StationDay]] = None,
    events_per_task: int = 1,
    progress: bool = True,
) -> RunReport:
    """Pick every station-day of ``archive`` and locate every event, on the
    Dask ``client`` (a ``distributed.Client``; ``None``: serially in this
    process, the same tasks in the same order), and write
    ``out/catalog.csv``.

    clusters: ``clusters_gaussian.json``; its origin is the frame and its
        catalog proportions the prior weights unless ``weights`` are given.
    config, settings, seed, sampler, sampler_settings: as for
        :func:`eqnemix.locate` (a ``config`` file must be readable by the
        workers: a shared file system, or give ``settings`` instead).
    pick_args: extra arguments of ``eqnemix pick`` (``["--P-threshold",
        "0.05"]``); pick_error_s: seconds added in quadrature to each pick's
        sigma (see :func:`events_of`).
    eqnemix_bin: the ``eqnemix`` binary (default :func:`find_eqnemix_bin`);
        every worker runs this path, so on a cluster it must exist there too.
    station_days: a subset of :func:`scan` (default all).
    events_per_task: events located by one Dask task (default 1: a task
        per event). Each task costs the scheduler about a millisecond;
        with many workers and events of tens of milliseconds, batches of
        tens keep the scheduler from becoming the bottleneck. Results and
        the catalog do not depend on it.
    progress: tqdm bars for station-days and events (on stderr).

    Restartable: tasks whose result file exists are not submitted (and a
    task finding its file returns it); only missing results are computed.
    An output folder made with other settings (picking arguments, clusters,
    weights, configuration) is refused with ArchiveError.
    A failed task is reported in ``failures`` and leaves no file. Events of
    ``catalog.csv`` come from the result files (this run's and earlier
    ones')."""
    if int(events_per_task) < 1:
        raise ValueError(f"events_per_task must be >= 1; got {events_per_task}")
    events_per_task = int(events_per_task)
    t_start = time.perf_counter()
    root = Path(archive)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    exe = find_eqnemix_bin(eqnemix_bin)
    sds = list(station_days) if station_days is not None else scan(root)
    cl, origin, w_catalog = read_clusters(clusters)
    locate_kwargs = {
        "clusters": cl,
        "weights": list(weights) if weights is not None else w_catalog,
        "origin_lon_lat": origin,
        "config": None if config is None else os.fspath(config),
        "settings": None if settings is None else dict(settings),
        "seed": seed,
        "sampler": sampler,
        "sampler_settings": None if sampler_settings is None else dict(sampler_settings),
    }
    # A bad configuration fails here, once, with the library's message
    # (ValueError), not in every locate task.
    eqnemix.travel_time_model(locate_kwargs["config"], settings=locate_kwargs["settings"])
    _check_settings(out, pick_args, pick_error_s, locate_kwargs)
    # Station positions in the clusters' frame (km; depth = -elevation).
    stations_km: Dict[str, Dict[str, List[float]]] = {}
    for day in sorted({sd.day for sd in sds}):
        st = _stations_of(root, day)
        codes = sorted(st)
        en = eqnemix.local_km([st[c][0] for c in codes], [st[c][1] for c in codes], origin) if codes else []
        stations_km[day] = {c: [float(e), float(n), -st[c][2] / 1000.0] for c, (e, n) in zip(codes, en)}
    run_id = uuid.uuid4().hex
    failures: List[Tuple[str, str]] = []
    rows: Dict[str, Dict[str, Any]] = {}
    counts = {"picked": 0, "located": 0, "reused_picks": 0, "reused_events": 0}
    bars = _Bars(len(sds), progress)

    def events_from(pick_result: Mapping[str, Any]) -> List[Dict[str, Any]]:
        return events_of(pick_result, stations_km[pick_result["day"]], pick_error_s)

    def took_pick(res: Mapping[str, Any]) -> None:
        counts["picked" if res["executed"] else "reused_picks"] += 1
        bars.pick_done()

    def took_event(res: Mapping[str, Any]) -> None:
        counts["located" if res["executed"] else "reused_events"] += 1
        rows[res["row"]["event_id"]] = res["row"]
        bars.event_done()

    # Results already on disk are read here, not submitted.
    todo_picks = []
    pending_events: List[Dict[str, Any]] = []
    for sd in sds:
        if sd.station not in stations_km[sd.day]:
            # Its events could not be placed: not picked, reported.
            failures.append((sd.key, f"station {sd.station} is in no stations.csv ({root / 'stations.csv'} or {root / sd.day / 'stations.csv'})"))
            bars.pick_done()
            continue
        done = _read_json(pick_result_path(out, sd))
        if done is None:
            todo_picks.append(sd)
        else:
            done["executed"] = False
            took_pick(done)
            pending_events.extend(events_from(done))

    def split_done(events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
        todo = []
        bars.add_events(len(events))
        for ev in events:
            done = _read_json(event_result_path(out, ev))
            if done is None:
                todo.append(ev)
            else:
                done["executed"] = False
                took_event(done)
        return todo

    todo_events = split_done(pending_events)
    try:
        if client is None:

            def locate_serially(events):
                for ev in events:
                    try:
                        took_event(locate_event_task(ev, os.fspath(out), locate_kwargs, run_id))
                    except Exception as e:  # noqa: BLE001 - reported per task, as on Dask
                        failures.append((ev["event_id"], f"{type(e).__name__}: {e}"))
                        bars.event_done()

            locate_serially(todo_events)
            for sd in todo_picks:
                try:
                    res = pick_station_day(sd, os.fspath(out), exe, list(pick_args), run_id)
                except Exception as e:  # noqa: BLE001 - reported per task, as on Dask
                    failures.append((sd.key, f"{type(e).__name__}: {e}"))
                    bars.pick_done()
                    continue
                took_pick(res)
                locate_serially(split_done(events_from(res)))
        else:
            _run_dask(client, todo_picks, todo_events, os.fspath(out), exe, list(pick_args), locate_kwargs, run_id, events_per_task, events_from, split_done, took_pick, took_event, failures, bars)
    finally:
        bars.close()
    catalog = write_catalog(out / "catalog.csv", rows.values())
    return RunReport(
        catalog=catalog,
        n_station_days=len(sds),
        n_events=len(rows),
        n_located=sum(1 for r in rows.values() if r["status"] == "located"),
        failures=failures,
        wall_s=time.perf_counter() - t_start,
        **counts,
    )


def _check_settings(out: Path, pick_args: Sequence[str], pick_error_s: float, locate_kwargs: Mapping[str, Any]) -> None:
    """Results are reused only under the settings that made them:
    ``OUT/settings.json`` records the picking arguments and the location
    settings (with the configuration file's text) of the first run; a
    later run with others is refused (ArchiveError) instead of mixing
    results of two configurations in one catalog."""
    doc = {"pick_args": list(pick_args), "pick_error_s": float(pick_error_s), "locate": dict(locate_kwargs)}
    cfg = locate_kwargs.get("config")
    doc["config_text"] = Path(cfg).read_text() if cfg else None
    doc = json.loads(json.dumps(doc, sort_keys=True))
    path = out / "settings.json"
    before = _read_json(path)
    if before is None:
        _write_json_atomic(path, doc)
    elif before != doc:
        changed = sorted(k for k in set(doc) | set(before) if doc.get(k) != before.get(k))
        raise ArchiveError(
            f"{out} holds results made with other settings ({', '.join(changed)} differ from {path}); "
            "use a new output folder, or delete this one to start again"
        )


def _run_dask(client, todo_picks, todo_events, out, exe, pick_args, locate_kwargs, run_id, events_per_task, events_from, split_done, took_pick, took_event, failures, bars) -> None:
    """Submit the pick tasks, and the locate tasks of a station-day's events
    (``events_per_task`` per task) as soon as its picks are in (picking and
    locating overlap); collect results as they complete."""
    from distributed import as_completed  # noqa: PLC0415

    kw = locate_kwargs
    kinds: Dict[str, Tuple[str, str]] = {}

    def submit_events(events):
        fs = []
        for i in range(0, len(events), events_per_task):
            batch = events[i : i + events_per_task]
            f = client.submit(locate_events_task, batch, out, kw, run_id, key=f"locate-{batch[0]['event_id']}-{run_id}", pure=False)
            kinds[f.key] = ("locate", ",".join(ev["event_id"] for ev in batch))
            fs.append(f)
        return fs

    futures = submit_events(todo_events)
    for sd in todo_picks:
        # Picking first: its results feed the locate tasks.
        f = client.submit(pick_station_day, sd, out, exe, pick_args, run_id, key=f"pick-{sd.day}-{sd.station}-{run_id}", pure=False, priority=10)
        kinds[f.key] = ("pick", sd.key)
        futures.append(f)
    ac = as_completed(futures, with_results=False)
    for f in ac:
        kind, key = kinds.pop(f.key)
        try:
            res = f.result()
        except Exception as e:  # noqa: BLE001 - reported per task, the run goes on
            failures.append((key, f"{type(e).__name__}: {e}"))
            if kind == "pick":
                bars.pick_done()
            else:
                for _ in key.split(","):
                    bars.event_done()
            continue
        finally:
            f.release()
        if kind == "pick":
            took_pick(res)
            for g in submit_events(split_done(events_from(res))):
                ac.add(g)
        else:
            for r in res:
                took_event(r)


class _Bars:
    """Two tqdm bars (station-days, events); nothing when ``enabled`` is
    False. The event total grows as station-days are picked."""

    def __init__(self, n_station_days: int, enabled: bool):
        self.bars = None
        if enabled:
            from tqdm.auto import tqdm  # noqa: PLC0415

            self.bars = (
                tqdm(total=n_station_days, desc="station-days picked", unit="day", position=0),
                tqdm(total=0, desc="events located", unit="ev", position=1),
            )

    def pick_done(self):
        if self.bars:
            self.bars[0].update(1)

    def add_events(self, n: int):
        if self.bars and n:
            self.bars[1].total += n
            self.bars[1].refresh()

    def event_done(self):
        if self.bars:
            self.bars[1].update(1)

    def close(self):
        if self.bars:
            for b in self.bars:
                b.close()


# ---------------------------------------------------------------- CLI


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``python -m eqnemix.archive``: :func:`run` from the command line."""
    import argparse  # noqa: PLC0415

    ap = argparse.ArgumentParser(prog="python -m eqnemix.archive", description=__doc__.split("\n\n")[0])
    ap.add_argument("archive", help="folder of <day>/<NET>.<STA>.<LOC>.<CHA>.mseed (module documentation)")
    ap.add_argument("--out", required=True, help="output folder (result files, catalog.csv); rerun to continue")
    ap.add_argument("--clusters", required=True, help="clusters_gaussian.json (eqnemix cluster)")
    ap.add_argument("--config", help="locate configuration TOML (readable by every worker)")
    ap.add_argument("--seed", type=int)
    ap.add_argument("--pick-error-s", type=float, default=0.0, help="s added in quadrature to each pick sigma")
    ap.add_argument("--pick-arg", action="append", default=[], help="argument passed to eqnemix pick (repeat), e.g. --pick-arg=--P-threshold --pick-arg=0.05")
    ap.add_argument("--events-per-task", type=int, default=1, help="events located by one Dask task (tens for many workers)")
    ap.add_argument("--eqnemix-bin", help="eqnemix binary (default $EQNEMIX_BIN or eqnemix on the PATH)")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--scheduler", help="address of a running Dask scheduler, e.g. tcp://scheduler:8786")
    g.add_argument("--workers", type=int, help="start a LocalCluster with this many workers (1 thread each)")
    ap.add_argument("--no-progress", action="store_true")
    a = ap.parse_args(argv)
    client = cluster = None
    if a.scheduler or a.workers:
        from distributed import Client, LocalCluster  # noqa: PLC0415

        if a.scheduler:
            client = Client(a.scheduler)
        else:
            cluster = LocalCluster(n_workers=a.workers, threads_per_worker=1)
            client = Client(cluster)
    try:
        rep = run(
            a.archive, a.out, clusters=a.clusters, client=client, config=a.config, seed=a.seed,
            pick_args=a.pick_arg, pick_error_s=a.pick_error_s, eqnemix_bin=a.eqnemix_bin, events_per_task=a.events_per_task,
            progress=not a.no_progress,
        )
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    print(
        f"{rep.n_station_days} station-days ({rep.picked} picked now, {rep.reused_picks} done before), "
        f"{rep.n_events} events ({rep.located} located now, {rep.reused_events} done before; {rep.n_located} with a location), "
        f"{len(rep.failures)} failed tasks, {rep.wall_s:.1f} s: {rep.catalog}"
    )
    for key, msg in rep.failures:
        print(f"failed: {key}: {msg}")
    return 1 if rep.failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
