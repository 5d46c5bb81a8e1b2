#!/usr/bin/env python3
"""Build examples/data/polarisation_real/ from two public sources of real,
labelled three-component records (see that directory's README.md).

1. IPOC (CX network, northern Chile), station CX.PB01, 200 catalogued
   events (196 kept: the others' window does not fit in the fixture), 20 Hz BH velocity in counts, each window starting at the catalog
   origin time: the SeisBench test fixtures
   `tests/examples/dummydataset/` and `tests/examples/chunkeddummydataset/`
   (metadata*.csv + waveforms*.hdf5) of github.com/seisbench/seisbench.
   No picks ship with them: the P time is the iasp91 travel time (obspy.taup)
   refined by an AIC picker on the 1-8 Hz vertical within +-2 s.
2. Western Gulf of Corinth (Greece), 4 NKUA-located events, manual P and S
   picks: `example/data.zip` and `example/wgoc_events_example_NKUA.xml` of
   github.com/ispingos/pytheas-splitting. The station's back-azimuth is the
   catalog arrival's event-to-station azimuth + 180 deg (integer degrees in
   the QuakeML); only stations with Z/N/E channels are kept.

Writes one miniSEED file per record (Steim-2, 512-byte records, the window
from 10 s before to 10 s after the P time) and `records.csv`.

Usage (needs obspy, h5py, pandas, numpy; CI never runs this):
    python3 -m venv /work/venvs/baz && /work/venvs/baz/bin/pip install obspy h5py pandas
    /work/venvs/baz/bin/python scripts/data/convert_polarisation_real.py \
        --seisbench <seisbench checkout> --pytheas <pytheas-splitting checkout> \
        --out examples/data/polarisation_real
"""

import argparse
import csv
import io
import os
import zipfile

import h5py
import numpy as np
import obspy
import pandas as pd
from obspy.geodetics import gps2dist_azimuth
from obspy.taup import TauPyModel

PRE_S = 10.0
POST_S = 10.0


def aic_pick(z, fs, i_pred, half_s=2.0):
    """AIC onset (sample index) of `z` within +-half_s of sample i_pred."""
    y = obspy.Trace(np.asarray(z, dtype=float).copy())
    y.stats.sampling_rate = fs
    y.detrend("demean")
    y.filter("bandpass", freqmin=1.0, freqmax=min(8.0, 0.4 * fs), corners=2, zerophase=True)
    x = y.data
    a = max(0, int(i_pred - half_s * fs))
    b = min(len(x), int(i_pred + half_s * fs))
    seg = x[a:b]
    n = len(seg)
    aic = np.full(n, np.inf)
    for k in range(5, n - 5):
        v1 = np.var(seg[:k])
        v2 = np.var(seg[k:])
        if v1 > 0 and v2 > 0:
            aic[k] = k * np.log(v1) + (n - k - 1) * np.log(v2)
    return a + int(np.argmin(aic))


def write_record(out_dir, name, traces):
    st = obspy.Stream(traces)
    for tr in st:
        tr.data = np.round(tr.data).astype(np.int32)
    st.write(os.path.join(out_dir, name), format="MSEED", encoding="STEIM2", reclen=512)


def ipoc(seisbench, out_dir, rows, model):
    sets = [
        ("tests/examples/dummydataset/metadata.csv", "tests/examples/dummydataset/waveforms.hdf5"),
        ("tests/examples/chunkeddummydataset/metadata1.csv", "tests/examples/chunkeddummydataset/waveforms1.hdf5"),
    ]
    seen = set()
    for meta_path, wave_path in sets:
        meta = pd.read_csv(os.path.join(seisbench, meta_path))
        h5 = h5py.File(os.path.join(seisbench, wave_path), "r")
        fs = float(h5["data_format/sampling_rate"][()])
        assert h5["data_format/component_order"][()].decode() == "ZNE"
        for _, m in meta.iterrows():
            origin = obspy.UTCDateTime(m.trace_start_time.replace("/", "-").replace(" ", "T"))
            if str(origin) in seen:
                continue
            seen.add(str(origin))
            bucket, idx = m.trace_name.split("$")
            k = int(idx.split(",")[0])
            data = h5["data/" + bucket][k]  # (3, n): Z, N, E
            dist_m, az, baz = gps2dist_azimuth(
                m.station_latitude_deg, m.station_longitude_deg, m.source_latitude_deg, m.source_longitude_deg
            )
            # gps2dist_azimuth(station, source): az = station->source = back-azimuth of the event
            back_azimuth = az
            dist_km = dist_m / 1000.0
            arr = model.get_travel_times(
                source_depth_in_km=max(float(m.source_depth_km), 0.0),
                distance_in_degree=dist_km / 111.19,
                phase_list=["p", "P"],
            )
            tp_pred = min(a.time for a in arr)
            i_pick = aic_pick(data[0], fs, tp_pred * fs)
            tp = i_pick / fs
            if tp - PRE_S < 0 or tp + POST_S > data.shape[1] / fs:
                continue
            a = int(round((tp - PRE_S) * fs))
            b = a + int(round((PRE_S + POST_S) * fs))
            start = origin + a / fs
            name = "ipoc_%s_PB01.mseed" % origin.strftime("%Y%m%dT%H%M%S%f")[:-4]
            traces = []
            for c, ch in enumerate("ZNE"):
                tr = obspy.Trace(data[c, a:b].copy())
                tr.stats.network, tr.stats.station, tr.stats.channel = "CX", "PB01", "BH" + ch
                tr.stats.sampling_rate = fs
                tr.stats.starttime = start
                traces.append(tr)
            write_record(out_dir, name, traces)
            rows.append(
                dict(
                    file=name,
                    source="ipoc",
                    event_id="ipoc_" + origin.strftime("%Y%m%dT%H%M%S%f")[:-4],
                    station="CX.PB01",
                    origin_time=str(origin),
                    event_lat=m.source_latitude_deg,
                    event_lon=m.source_longitude_deg,
                    event_depth_km=m.source_depth_km,
                    magnitude=m.source_magnitude,
                    distance_km=round(dist_km, 2),
                    back_azimuth_deg=round(back_azimuth, 2),
                    p_time=str(origin + tp),
                    p_pick="aic_on_iasp91",
                    s_time="",
                )
            )


def corinth(pytheas, out_dir, rows):
    cat = obspy.read_events(os.path.join(pytheas, "example/wgoc_events_example_NKUA.xml"))
    zf = zipfile.ZipFile(os.path.join(pytheas, "example/data.zip"))
    names = zf.namelist()
    for ev in cat:
        o = ev.preferred_origin()
        picks = {p.resource_id: p for p in ev.picks}
        by_station = {}
        for arr in o.arrivals:
            p = picks[arr.pick_id]
            sta = p.waveform_id.network_code + "." + p.waveform_id.station_code
            d = by_station.setdefault(sta, {"az": arr.azimuth, "dist": arr.distance})
            d[arr.phase] = p.time
        for sta, d in sorted(by_station.items()):
            if "P" not in d:
                continue
            match = [n for n in names if n.endswith("." + sta + ".mseed") and o.time.strftime("%Y-%m-%d-%H-%M") in n]
            if len(match) != 1:
                continue
            st = obspy.read(io.BytesIO(zf.read(match[0])))
            tp = d["P"]
            chosen = None
            for band in ("HH", "EH"):
                sel = [st.select(channel=band + c) for c in "ZNE"]
                if all(len(s) == 1 for s in sel):
                    chosen = [s[0] for s in sel]
                    break
            if chosen is None:
                continue
            fs = chosen[0].stats.sampling_rate
            if any(tr.stats.sampling_rate != fs for tr in chosen):
                continue
            t0, t1 = tp - PRE_S, tp + POST_S
            if any(tr.stats.starttime > t0 or tr.stats.endtime < t1 for tr in chosen):
                continue
            traces = [tr.slice(t0, t1 + 1.0 / fs).copy() for tr in chosen]
            n = min(len(tr.data) for tr in traces)
            for tr in traces:
                tr.data = tr.data[:n]
                tr.stats.starttime = traces[0].stats.starttime
            name = "corinth_%s_%s.mseed" % (o.time.strftime("%Y%m%dT%H%M%S"), sta.replace(".", "_"))
            write_record(out_dir, name, traces)
            dist_km = d["dist"] * 111.19
            rows.append(
                dict(
                    file=name,
                    source="corinth",
                    event_id="corinth_" + o.time.strftime("%Y%m%dT%H%M%S"),
                    station=sta,
                    origin_time=str(o.time),
                    event_lat=o.latitude,
                    event_lon=o.longitude,
                    event_depth_km=o.depth / 1000.0,
                    magnitude=ev.preferred_magnitude().mag if ev.preferred_magnitude() else "",
                    distance_km=round(dist_km, 2),
                    back_azimuth_deg=round((d["az"] + 180.0) % 360.0, 2),
                    p_time=str(tp),
                    p_pick="manual",
                    s_time=str(d["S"]) if "S" in d else "",
                )
            )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seisbench", required=True)
    ap.add_argument("--pytheas", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rows = []
    ipoc(args.seisbench, args.out, rows, TauPyModel("iasp91"))
    corinth(args.pytheas, args.out, rows)
    with open(os.path.join(args.out, "records.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)
    print("%d records" % len(rows))


if __name__ == "__main__":
    main()
