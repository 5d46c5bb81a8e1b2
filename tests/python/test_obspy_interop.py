"""ObsPy reads eqnemix's `.hyp` and QuakeML, and the numbers it gets are the
ones eqnemix computed (issue 13).

The reference values come from three places that do not go through ObsPy:
eqnemix's JSON summary of each event (full precision), the `.hyp` text
itself (split on whitespace), and the picks file that was located (the
observed times and the station's coordinates). Tolerances are the `.hyp`'s
printed precision (lat/lon and km to 1e-6, seconds to 1e-6, residuals and
weights to 1e-4, azimuths to 1e-2) or floating point for QuakeML, which
eqnemix writes at full precision.
"""

import copy
import math

import pytest
from lxml import etree
from obspy import UTCDateTime, read_events
from obspy.geodetics import gps2dist_azimuth, kilometer2degrees

KM_PER_DEG = kilometer2degrees(1.0) ** -1  # 6371 km sphere, as eqnemix and ObsPy
Q = "{http://quakeml.org/xmlns/bed/1.2}"


def utc(text):
    return UTCDateTime(text)


def phase_times(summary):
    """Observed pick times (UTC) of the summary's phases."""
    ref = utc(summary["reference_time"])
    return [ref + p["time_s"] for p in summary["phases"]]


def hyp_phase_lines(path):
    """The PHASE block of a `.hyp`, each line split on whitespace."""
    lines = path.read_text().splitlines()
    i = next(k for k, l in enumerate(lines) if l.startswith("PHASE "))
    j = next(k for k, l in enumerate(lines) if l.startswith("END_PHASE"))
    return [l.split() for l in lines[i + 1 : j]]


def hyp_line(path, keyword):
    return next(l.split() for l in path.read_text().splitlines() if l.split()[:1] == [keyword])


def station_of(row):
    return float(row["station_lat"]), float(row["station_lon"])


def expected_picks(row):
    """(phase, UTC time) of the P and S picks of one input row."""
    out = []
    for phase, col in (("P", "p_arrival_time"), ("S", "s_arrival_time")):
        if row[col].strip():
            out.append((phase, utc(row[col])))
    return out


# ---------------------------------------------------------------- .hyp ----


@pytest.fixture(scope="session")
def hyp_events(out_dir, event_ids):
    cats = {e: read_events(str(out_dir / f"{e}.hyp"), format="NLLOC_HYP") for e in event_ids}
    for e, cat in cats.items():
        assert len(cat) == 1, e
    return {e: cat[0] for e, cat in cats.items()}


def test_hyp_origin_is_the_headline_location(hyp_events, summaries):
    for e, ev in hyp_events.items():
        s = summaries[e]
        o = ev.preferred_origin()
        assert o is ev.origins[0] and len(ev.origins) == 1
        geo = s["geographic"]
        assert o.latitude == pytest.approx(geo["location_lat_deg"], abs=1e-6), e
        assert o.longitude == pytest.approx(geo["location_lon_deg"], abs=1e-6), e
        assert o.depth == pytest.approx(s["location_km"][2] * 1e3, abs=1e-3), e
        assert abs(o.time - utc(s["location_origin_time"])) < 2e-6, e
        assert str(ev.resource_id).endswith(e), (e, ev.resource_id)


def test_hyp_quality_and_uncertainty(hyp_events, summaries, out_dir):
    for e, ev in hyp_events.items():
        s = summaries[e]
        o = ev.preferred_origin()
        q = o.quality
        n = s["n_arrivals"]
        assert n == len(s["phases"]) > 0
        assert q.used_phase_count == n and q.associated_phase_count == n, e
        assert q.used_station_count == len({p["station"] for p in s["phases"]}), e
        assert q.standard_error == pytest.approx(s["rms_residual_s"], abs=1e-6), e
        # One station: NonLinLoc's gap of a single azimuth is 360 degrees.
        assert q.azimuthal_gap == pytest.approx(360.0, abs=1e-4), e
        # ObsPy takes the lat/lon/depth errors from STATISTICS' covariance:
        # eqnemix's posterior covariance (km^2).
        cov = s["cov_km2"]
        assert o.depth_errors.uncertainty == pytest.approx(math.sqrt(cov[2][2]) * 1e3, rel=1e-5), e
        assert o.latitude_errors.uncertainty == pytest.approx(math.sqrt(cov[1][1]) / KM_PER_DEG, rel=1e-5), e
        assert o.longitude_errors.uncertainty == pytest.approx(math.sqrt(cov[0][0]) / KM_PER_DEG, rel=1e-5), e
        ou = o.origin_uncertainty
        assert ou.confidence_level == 68
        assert ou.min_horizontal_uncertainty <= ou.max_horizontal_uncertainty
        ce = ou.confidence_ellipsoid
        assert ce is not None, e
        assert ce.semi_minor_axis_length <= ce.semi_intermediate_axis_length <= ce.semi_major_axis_length, e
        # The STATISTICS line holds the posterior mean.
        stat = hyp_line(out_dir / f"{e}.hyp", "STATISTICS")
        mean = [float(stat[stat.index(k) + 1]) for k in ("ExpectX", "Y", "Z")]
        assert mean == pytest.approx(s["mean_km"], abs=1e-6), e


def test_hyp_picks_are_the_input_picks(hyp_events, input_picks):
    for e, ev in hyp_events.items():
        got = sorted((p.phase_hint, p.time) for p in ev.picks)
        want = sorted(expected_picks(input_picks[e]))
        assert [g[0] for g in got] == [w[0] for w in want], e
        for (_, t), (_, w) in zip(got, want):
            assert abs(t - w) < 1e-4, (e, t, w)  # the .hyp prints seconds to 1e-4
        for p in ev.picks:
            assert p.waveform_id.station_code.endswith("CLC"), p.waveform_id


def test_hyp_arrivals_match_the_summary(hyp_events, summaries, out_dir):
    for e, ev in hyp_events.items():
        s = summaries[e]
        arrivals = ev.preferred_origin().arrivals
        assert len(arrivals) == len(s["phases"]), e
        picks = {p.resource_id: p for p in ev.picks}
        for a, ph, t in zip(arrivals, s["phases"], phase_times(s)):
            assert a.phase == ph["phase"], e
            assert a.time_residual == pytest.approx(ph["residual_s"], abs=6e-5), e
            assert a.time_weight == pytest.approx(ph["weight"], abs=6e-5), e
            pick = picks[a.pick_id]
            assert abs(pick.time - t) < 1e-4, e
            assert pick.time_errors.uncertainty == pytest.approx(ph["pick_sigma_s"], rel=6e-3), e
        # The residual is observed - origin time - predicted travel time,
        # all three read back from the file.
        ot = ev.preferred_origin().time
        for a, line in zip(arrivals, hyp_phase_lines(out_dir / f"{e}.hyp")):
            tt_pred = float(line[line.index(">") + 1])
            pick = picks[a.pick_id]
            assert (pick.time - ot) - tt_pred == pytest.approx(a.time_residual, abs=2e-4), e


def test_hyp_arrival_geometry_is_the_station(hyp_events, input_picks):
    """SDist/SAzim, read by ObsPy, against the geodesic from the station's
    coordinates in the picks file: the local frame is the azimuthal
    equidistant projection about the station, so the distance is the
    geodesic one and the azimuth from the epicentre is the station's
    azimuth to the epicentre plus 180 degrees."""
    for e, ev in hyp_events.items():
        o = ev.preferred_origin()
        lat, lon = station_of(input_picks[e])
        dist_m, az_sta_to_epi, baz = gps2dist_azimuth(lat, lon, o.latitude, o.longitude)
        for a in o.arrivals:
            assert a.distance * KM_PER_DEG == pytest.approx(dist_m / 1e3, abs=2e-4), e
            assert a.azimuth == pytest.approx((az_sta_to_epi + 180.0) % 360.0, abs=0.006), e
            # Grid azimuth against the geodesic back-azimuth: within the
            # meridian convergence over the distance (well under a degree).
            assert abs((a.azimuth - baz + 180.0) % 360.0 - 180.0) < 1.0, e


def test_pick_errors_are_the_configured_pick_error(hyp_events, summaries, locate_config):
    """The picks' time errors (`.hyp` PHASE, read by ObsPy) are the
    configuration's pick error, without its model error, as NonLinLoc
    writes its observation errors; the residual scale combines both."""
    lik = locate_config["likelihood"]
    pick_sigma, model_error = lik["default_pick_sigma_s"], lik["model_error_s"]
    assert model_error > 0  # otherwise the two would coincide
    for e, ev in hyp_events.items():
        for p in ev.picks:
            assert p.time_errors.uncertainty == pytest.approx(pick_sigma, rel=1e-6), e
        for ph in summaries[e]["phases"]:
            assert ph["pick_sigma_s"] == pytest.approx(pick_sigma, rel=1e-12), e
            assert ph["sigma_s"] == pytest.approx(math.hypot(pick_sigma, model_error), rel=1e-12), e


# ------------------------------------------------------------- QuakeML ----


@pytest.fixture(scope="session")
def qml_events(out_dir, event_ids):
    out = {}
    for e in event_ids:
        cat = read_events(str(out_dir / f"{e}.xml"), format="QUAKEML")
        assert len(cat) == 1, e
        out[e] = cat[0]
    return out


def test_quakeml_preferred_origin_equals_the_hyp(qml_events, hyp_events, summaries):
    for e, ev in qml_events.items():
        o = ev.preferred_origin()
        assert o is not None, e
        h = hyp_events[e].preferred_origin()
        assert o.latitude == pytest.approx(h.latitude, abs=1e-6), e
        assert o.longitude == pytest.approx(h.longitude, abs=1e-6), e
        assert o.depth == pytest.approx(h.depth, abs=1e-3), e
        assert abs(o.time - h.time) < 2e-6, e
        # ... and the summary's headline at full precision.
        s = summaries[e]
        assert o.latitude == pytest.approx(s["geographic"]["location_lat_deg"], abs=1e-12), e
        assert o.longitude == pytest.approx(s["geographic"]["location_lon_deg"], abs=1e-12), e
        assert o.depth == pytest.approx(s["location_km"][2] * 1e3, abs=1e-6), e
        assert abs(o.time - utc(s["location_origin_time"])) < 2e-6, e
        assert o.quality.associated_phase_count == s["n_arrivals"], e
        assert o.quality.standard_error == pytest.approx(s["rms_residual_s"], rel=1e-12), e
        assert o.quality.standard_error == pytest.approx(h.quality.standard_error, abs=1e-6), e
        assert o.method_id is not None and "eqnemix" in str(o.method_id), e
        # Uncertainties of the preferred origin from the heaviest mode.
        cov = s["modes"][0]["cov_km2"]
        assert o.depth_errors.uncertainty == pytest.approx(math.sqrt(cov[2][2]) * 1e3, rel=1e-9), e
        assert o.origin_uncertainty.confidence_level == 68, e


def test_quakeml_one_origin_per_posterior_mode(qml_events, summaries):
    n_multi = 0
    for e, ev in qml_events.items():
        s = summaries[e]
        modes = s["modes"]
        assert len(modes) >= 1, e
        extra = [m for m in modes[1:] if m.get("lon_lat_deg") is not None]
        assert len(ev.origins) == 1 + len(extra), (e, len(ev.origins), len(modes))
        n_multi += len(ev.origins) > 1
        assert ev.origins[0].resource_id == ev.preferred_origin_id, e
        assert abs(ev.origins[0].time - utc(modes[0]["origin_time_utc"])) < 2e-6, e
        for o, m in zip(ev.origins[1:], extra):
            lon, lat = m["lon_lat_deg"]
            assert o.latitude == pytest.approx(lat, abs=1e-12), e
            assert o.longitude == pytest.approx(lon, abs=1e-12), e
            assert o.depth == pytest.approx(m["highest_density_km"][2] * 1e3, abs=1e-6), e
            assert o.depth_errors.uncertainty == pytest.approx(math.sqrt(m["cov_km2"][2][2]) * 1e3, rel=1e-9), e
            # Its time is the maximum-likelihood origin time at its point.
            assert abs(o.time - utc(m["origin_time_utc"])) < 2e-6, e
            assert not o.arrivals, e  # the arrivals belong to the preferred origin
            assert str(o.resource_id) != str(ev.preferred_origin_id), e
        # Each origin is its own point: the mode regions are disjoint and
        # each mode's highest-density point lies in its region (eqnemix
        # used to refine a peakless region's point into a neighbour's peak,
        # which gave two origins at one point).
        pts = [(o.latitude, o.longitude, o.depth) for o in ev.origins]
        for i in range(len(pts)):
            for j in range(i):
                dlat_km = (pts[i][0] - pts[j][0]) * KM_PER_DEG
                dlon_km = (pts[i][1] - pts[j][1]) * KM_PER_DEG * math.cos(math.radians(pts[i][0]))
                dz_km = (pts[i][2] - pts[j][2]) / 1e3
                assert math.sqrt(dlat_km**2 + dlon_km**2 + dz_km**2) > 1e-3, (e, i, j, pts[i])
        # Modes are heaviest first.
        masses = [m["mass"] for m in modes]
        assert masses == sorted(masses, reverse=True), e
    # One station and S-P only: the located events are not all unimodal
    # (otherwise this test would check nothing about the mode origins).
    assert n_multi >= 1


def test_quakeml_picks_are_the_input_picks(qml_events, input_picks, summaries):
    for e, ev in qml_events.items():
        row = input_picks[e]
        got = sorted((p.phase_hint, p.time) for p in ev.picks)
        want = sorted(expected_picks(row))
        assert [g[0] for g in got] == [w[0] for w in want], e
        for (_, t), (_, w) in zip(got, want):
            assert abs(t - w) < 2e-6, (e, t, w)
        for p in ev.picks:
            assert (p.waveform_id.network_code, p.waveform_id.station_code) == (row["network"], row["station"]), e
        sig = sorted((p["phase"], p["pick_sigma_s"]) for p in summaries[e]["phases"])
        assert sorted((p.phase_hint, p.time_errors.uncertainty) for p in ev.picks) == sig, e


def test_quakeml_arrivals(qml_events, hyp_events, summaries, input_picks):
    for e, ev in qml_events.items():
        s = summaries[e]
        o = ev.preferred_origin()
        assert len(o.arrivals) == len(s["phases"]) == len(ev.picks), e
        picks = {p.resource_id: p for p in ev.picks}
        h_arrivals = hyp_events[e].preferred_origin().arrivals
        lat, lon = station_of(input_picks[e])
        dist_m, az_sta_to_epi, _ = gps2dist_azimuth(lat, lon, o.latitude, o.longitude)
        for a, ph, t, h in zip(o.arrivals, s["phases"], phase_times(s), h_arrivals):
            pick = picks[a.pick_id]  # every arrival points at a pick of the event
            assert pick.phase_hint == a.phase == ph["phase"], e
            assert abs(pick.time - t) < 2e-6, e
            assert a.time_residual == pytest.approx(ph["residual_s"], abs=1e-12), e
            assert a.time_weight == pytest.approx(ph["weight"], abs=1e-12), e
            assert a.time_residual == pytest.approx(h.time_residual, abs=6e-5), e
            assert a.time_weight == pytest.approx(h.time_weight, abs=6e-5), e
            assert a.azimuth is not None and a.distance is not None, e
            assert a.azimuth == pytest.approx(h.azimuth, abs=0.006), e
            assert a.distance == pytest.approx(h.distance, abs=1e-4 / KM_PER_DEG + 1e-12), e
            assert a.distance * KM_PER_DEG == pytest.approx(dist_m / 1e3, abs=1e-5), e
            assert a.azimuth == pytest.approx((az_sta_to_epi + 180.0) % 360.0, abs=1e-6), e
        # Residual = observed - origin time - predicted, with the origin time
        # of the preferred origin (the maximum-likelihood one there).
        for a, ph in zip(o.arrivals, s["phases"]):
            pick = picks[a.pick_id]
            assert (pick.time - o.time) - ph["travel_time_s"] == pytest.approx(a.time_residual, abs=2e-6), e


def test_catalog_quakeml_holds_every_event(out_dir, qml_events):
    cat = read_events(str(out_dir / "catalog.xml"), format="QUAKEML")
    assert sorted(str(ev.resource_id) for ev in cat) == sorted(str(ev.resource_id) for ev in qml_events.values())
    for ev in cat:
        one = next(x for x in qml_events.values() if x.resource_id == ev.resource_id)
        assert len(ev.origins) == len(one.origins)
        assert len(ev.picks) == len(one.picks)
        assert ev.preferred_origin().latitude == one.preferred_origin().latitude
        assert ev.preferred_origin().time == one.preferred_origin().time


# ------------------------------------------------------ QuakeML schema ----


@pytest.fixture(scope="session")
def xsd(quakeml_xsd):
    return etree.XMLSchema(etree.parse(str(quakeml_xsd)))


def quakeml_files(out_dir, event_ids):
    return [out_dir / f"{e}.xml" for e in event_ids] + [out_dir / "catalog.xml"]


def test_quakeml_validates_against_the_quakeml_1_2_xsd(xsd, out_dir, event_ids):
    for path in quakeml_files(out_dir, event_ids):
        doc = etree.parse(str(path))
        assert xsd.validate(doc), (path.name, [str(err) for err in xsd.error_log])


def test_quakeml_validates_against_obspys_relaxng(out_dir, event_ids):
    from obspy.io.quakeml.core import _validate

    for path in quakeml_files(out_dir, event_ids):
        assert _validate(str(path)), path.name


def test_the_xsd_check_can_fail(xsd, out_dir, event_ids):
    """The validator rejects what the schema forbids: a latitude that is
    not a number, an evaluation mode outside the enumeration, a publicID
    that is not a QuakeML resource identifier, an element the BED schema
    does not define. (The 1.2 XSD does not make child elements required:
    an arrival without its pickID still validates.)"""
    doc = etree.parse(str(out_dir / f"{event_ids[0]}.xml"))
    assert xsd.validate(doc)

    def rejected(mutate):
        broken = copy.deepcopy(doc)
        mutate(broken)
        return not xsd.validate(broken)

    def set_text(path, text):
        return lambda d: setattr(d.find(path), "text", text)

    assert rejected(set_text(f".//{Q}origin/{Q}latitude/{Q}value", "north"))
    assert rejected(set_text(f".//{Q}origin/{Q}evaluationMode", "guessed"))
    assert rejected(lambda d: d.find(f".//{Q}pick").set("publicID", "pick 1"))
    assert rejected(lambda d: etree.SubElement(d.find(f".//{Q}arrival"), f"{Q}slowness").set("x", "1"))
