//! Result files: the .hyp round-trips its key numbers, the QuakeML parses
//! as XML and holds the values (escaped ids survive), JSON round-trips the
//! whole summary, the CSV row matches its header. All written atomically.

use chrono::{Datelike, TimeZone, Timelike, Utc};
use eqnemix::geo::LocalProjection;
use eqnemix::grid_posterior::GridPosterior;
use eqnemix::likelihood::LikelihoodOptions;
use eqnemix::output::{csv as out_csv, hyp, json, quakeml, OutputError, KM_PER_DEG_LAT};
use eqnemix::picks::{PhasePick, Picks, StationPicks};
use eqnemix::posterior::LocationPosterior;
use eqnemix::prior::{ClusterPrior, PriorOptions, RegionBox};
use eqnemix::summary::{LocationSummary, SummaryOptions};
use eqnemix::traveltime::Station;
use eqnemix::ClusterGaussian;
use quick_xml::events::Event;
use std::collections::HashMap;

mod common;
use common::{TestModel, VP, VS};

/// A located event: two clusters, one station's S-P, a grid posterior.
fn summary(event_id: &str) -> LocationSummary {
    summary_with(event_id, [-5.0, 2.0, 6.0], &LikelihoodOptions::default())
}

/// [`summary`] with the second cluster's mean at `mean1_km` and the
/// likelihood options `opts`.
fn summary_with(event_id: &str, mean1_km: [f64; 3], opts: &LikelihoodOptions) -> LocationSummary {
    let cs = [
        ClusterGaussian {
            id: 0,
            n_events: 12,
            mean_km: [8.0, 6.0, 9.0],
            cov_km2: [[5.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]],
        },
        ClusterGaussian {
            id: 1,
            n_events: 8,
            mean_km: mean1_km,
            cov_km2: [[2.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 2.0]],
        },
    ];
    let prior = ClusterPrior::new(&cs, &[0.55, 0.45], &PriorOptions::default()).unwrap();
    let truth: [f64; 3] = [9.0, 5.0, 10.0];
    let r = (truth.iter().map(|v| v * v).sum::<f64>()).sqrt();
    let picks = Picks {
        event_id: event_id.into(),
        reference_time: Utc.with_ymd_and_hms(2019, 7, 6, 3, 19, 53).unwrap(),
        stations: vec![StationPicks {
            station: Station {
                code: "CI.CCC".into(),
                position_km: [0.0, 0.0, 0.0],
            },
            p: Some(PhasePick {
                time_s: 0.0,
                sigma_s: 0.07,
            }),
            s: Some(PhasePick {
                time_s: r / VS - r / VP + 0.02,
                sigma_s: 0.07,
            }),
            back_azimuth: None,
        }],
    };
    let region = RegionBox::new([-15.0, -12.0, 0.0], [22.0, 20.0, 20.0]);
    let post = LocationPosterior::from_picks(
        prior,
        &picks,
        &TestModel,
        opts,
        region,
    )
    .unwrap();
    let g = GridPosterior::evaluate(&post, [74, 64, 40]).unwrap();
    let proj = LocalProjection::new(-117.6, 35.7).unwrap();
    let to_ll = |e: f64, n: f64| proj.to_lonlat(e, n);
    LocationSummary::from_grid(&post, &g, &SummaryOptions::default(), Some(&to_ll)).unwrap()
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / (1e-12 + b.abs())
}

#[test]
fn hyp_round_trips_key_numbers() {
    let s = summary("ev<1>");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ev1.hyp");
    hyp::write_hyp(&path, &s).unwrap();
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temp file left behind"
    );
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.starts_with("NLLOC \"ev<1>\" \"LOCATED\"") && text.trim_end().ends_with("END_NLLOC")
    );
    let h = hyp::parse_hyp(&text).unwrap();
    for a in 0..3 {
        assert!((h.hypocenter_km[a] - s.map_km[a]).abs() < 1e-6);
        assert!((h.expect_km[a] - s.mean_km[a]).abs() < 1e-6);
    }
    let c = &s.cov_km2;
    for (got, want) in h
        .cov_km2
        .iter()
        .zip([c[0][0], c[0][1], c[0][2], c[1][1], c[1][2], c[2][2]])
    {
        assert!(
            rel(*got, want) < 1e-6 || (got - want).abs() < 1e-9,
            "{got} vs {want}"
        );
    }
    let geo = s.geographic.unwrap();
    assert!(
        (h.lat_lon_depth[0] - geo.map_lat_deg).abs() < 1e-6
            && (h.lat_lon_depth[1] - geo.map_lon_deg).abs() < 1e-6
    );
    assert!((h.lat_lon_depth[2] - s.map_km[2]).abs() < 1e-6);
    // The origin time at the HYPOCENTER (the one its PHASE residuals use).
    let ot = s.location_origin_time.unwrap();
    assert_eq!(
        (h.origin.0, h.origin.1, h.origin.2, h.origin.3, h.origin.4),
        (ot.year(), ot.month(), ot.day(), ot.hour(), ot.minute())
    );
    assert!((h.origin.5 - (ot.second() as f64 + ot.nanosecond() as f64 * 1e-9)).abs() < 1e-6);
    let e = s.ellipsoid(0.68).unwrap();
    assert!(
        rel(h.ellipsoid[6], e.axes[0].length_km) < 1e-6,
        "Len3 is the major axis"
    );
    assert!(
        rel(h.ellipsoid[2], e.axes[2].length_km) < 1e-6,
        "Len1 is the minor axis"
    );
    assert!((h.ellipsoid[0] - e.axes[2].azimuth_deg).abs() < 1e-3);
    assert_eq!(h.n_phases, 2);
    assert!((h.rms_s - s.rms_residual_s.unwrap()).abs() < 1e-6);
    // Without station positions Gap and Dist are NonLinLoc's unset -1.
    assert_eq!((h.gap_deg, h.nearest_station_km), (-1.0, -1.0));
}

#[test]
fn hyp_gap_and_dist_from_the_stations() {
    let s = summary("ev-gap");
    let [e, n, _] = s.map_km;
    // One station (the fixture's, at the origin): gap 360 (NonLinLoc's
    // convention), Dist the MAP's epicentral distance to it.
    let origin_station = Station {
        code: "CI.CCC".into(),
        position_km: [0.0, 0.0, 0.0],
    };
    let h =
        hyp::parse_hyp(&hyp::to_hyp_string_with_stations(&s, &[origin_station]).unwrap()).unwrap();
    assert_eq!(h.gap_deg, 360.0);
    assert!((h.nearest_station_km - e.hypot(n)).abs() < 1e-6);
    // Stations at azimuths 30, 100 and 250 deg from the MAP epicentre
    // (distances 12, 7.5, 20 km, at depth or elevation, which must not
    // count): gaps 70, 150, 140 -> Gap 150, Dist 7.5.
    let at = |az: f64, d: f64, z: f64| {
        let a = az.to_radians();
        [e + d * a.sin(), n + d * a.cos(), z]
    };
    let stations = [
        at(30.0, 12.0, -1.5),
        at(100.0, 7.5, 2.0),
        at(250.0, 20.0, 0.0),
    ]
    .into_iter()
    .zip(["A", "B", "C"])
    .map(|(position_km, code)| Station {
        code: code.into(),
        position_km,
    })
    .collect::<Vec<_>>();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gap.hyp");
    hyp::write_hyp_with_stations(&path, &s, &stations).unwrap();
    let h = hyp::parse_hyp(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert!((h.gap_deg - 150.0).abs() < 1e-3, "{}", h.gap_deg);
    assert!(
        (h.nearest_station_km - 7.5).abs() < 1e-5,
        "{}",
        h.nearest_station_km
    );
    // The rest of the file is the one without stations (these stations
    // have no picks, so the PHASE lines are unchanged; SIGNATURE holds the
    // time of writing).
    let plain = hyp::to_hyp_string(&s).unwrap();
    let with = std::fs::read_to_string(&path).unwrap();
    let differing: Vec<_> = plain
        .lines()
        .zip(with.lines())
        .filter(|(a, b)| a != b && !a.starts_with("SIGNATURE"))
        .collect();
    assert_eq!(
        differing.len(),
        2,
        "only QUALITY and QML_OriginQuality differ: {differing:?}"
    );
    assert!(differing[0].0.starts_with("QUALITY"));
    assert!(differing[1].0.starts_with("QML_OriginQuality"));
}

/// Text of every element, keyed by its local-name path from the root.
fn xml_values(text: &str) -> (HashMap<String, String>, HashMap<String, String>) {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut path: Vec<String> = Vec::new();
    let mut values = HashMap::new();
    let mut attrs = HashMap::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) => {
                path.push(String::from_utf8(e.local_name().as_ref().to_vec()).unwrap());
                for a in e.attributes() {
                    let a = a.unwrap();
                    let key = format!(
                        "{}@{}",
                        path.join("/"),
                        String::from_utf8_lossy(a.key.as_ref())
                    );
                    attrs.insert(key, a.unescape_value().unwrap().into_owned());
                }
            }
            Event::End(_) => {
                path.pop();
            }
            Event::Text(t) => {
                let v = t.unescape().unwrap().trim().to_string();
                if !v.is_empty() {
                    values.insert(path.join("/"), v);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert!(path.is_empty(), "unclosed elements");
    (values, attrs)
}

#[test]
fn quakeml_parses_and_holds_the_values() {
    let id = "ev&<\"2\">";
    let s = summary(id);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ev.xml");
    quakeml::write_quakeml(
        &path,
        std::slice::from_ref(&s),
        &quakeml::QuakeMlOptions::default(),
    )
    .unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    // One origin per mode, the preferred (headline) one first.
    assert_eq!(text.matches("<origin ").count(), s.modes.len());
    assert!(!s.modes.is_empty());
    xml_values(&text); // the whole document is well formed
    let first_end = text.find("</origin>").unwrap() + "</origin>".len();
    let first = format!("{}\n    </event>\n  </eventParameters>\n</q:quakeml>\n", &text[..first_end]);
    let (v, a) = xml_values(&first);
    let o = "quakeml/eventParameters/event/origin";
    let num = |k: &str| v[&format!("{o}/{k}")].parse::<f64>().unwrap();
    let geo = s.geographic.unwrap();
    let m0 = &s.modes[0];
    assert_eq!(a[&format!("{o}@publicID")], v["quakeml/eventParameters/event/preferredOriginID"]);
    assert!((num("latitude/value") - geo.location_lat_deg).abs() < 1e-9);
    assert!((num("longitude/value") - geo.location_lon_deg).abs() < 1e-9);
    assert!((num("latitude/uncertainty") - m0.cov_km2[1][1].sqrt() / KM_PER_DEG_LAT).abs() < 1e-12);
    assert!((num("depth/value") - 1000.0 * s.location_km[2]).abs() < 1e-6);
    assert!((num("depth/uncertainty") - 1000.0 * m0.cov_km2[2][2].sqrt()).abs() < 1e-6);
    let ot = s.origin_time.as_ref().unwrap();
    let t = chrono::DateTime::parse_from_rfc3339(&v[&format!("{o}/time/value")]).unwrap();
    // The preferred origin's time is the one at its point (as the .hyp's).
    let t_loc = s.location_origin_time.unwrap();
    assert!((eqnemix::picks::duration_s(t.with_timezone(&Utc) - t_loc)).abs() < 1e-6);
    // One arrival per pick on the preferred origin, residuals as the summary's.
    assert_eq!(text.matches("<pick ").count(), s.phases.len());
    assert_eq!(first.matches("<arrival ").count(), s.phases.len());
    assert!((num("arrival/timeResidual") - s.phases.last().unwrap().residual_s).abs() < 1e-12);
    assert!((num("time/uncertainty") - ot.sigma_s).abs() < 1e-12);
    let e = eqnemix::summary::Ellipsoid::from_covariance(&m0.cov_km2, 0.68).unwrap();
    let ce = "originUncertainty/confidenceEllipsoid";
    assert!(
        (num(&format!("{ce}/semiMajorAxisLength")) - 1000.0 * e.axes[0].length_km).abs() < 1e-6
    );
    assert!(
        (num(&format!("{ce}/semiMinorAxisLength")) - 1000.0 * e.axes[2].length_km).abs() < 1e-6
    );
    assert!((num(&format!("{ce}/majorAxisAzimuth")) - e.axes[0].azimuth_deg).abs() < 1e-9);
    let el = eqnemix::summary::Ellipse2D::from_covariance(&m0.cov_km2, 0.68).unwrap();
    assert!(
        (num("originUncertainty/maxHorizontalUncertainty") - 1000.0 * el.semi_major_km).abs()
            < 1e-6
    );
    assert_eq!(v[&format!("{o}/originUncertainty/confidenceLevel")], "68");
    assert_eq!(num("quality/usedPhaseCount"), 2.0);
    // The escaped id comes back intact.
    assert_eq!(
        a["quakeml/eventParameters/event@publicID"],
        format!("smi:local/eqnemix/event/{id}")
    );
    assert!(v[&format!("{o}/comment/text")].contains("cluster probabilities 0:"));
}

fn assert_close(a: &serde_json::Value, b: &serde_json::Value, at: &str) {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!(
                (x - y).abs() <= 1e-14 * x.abs().max(y.abs()),
                "{at}: {x} vs {y}"
            );
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{at}");
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                assert_close(p, q, &format!("{at}[{i}]"));
            }
        }
        (Value::Object(x), Value::Object(y)) => {
            assert_eq!(x.len(), y.len(), "{at}");
            for (k, p) in x {
                assert_close(p, &y[k], &format!("{at}.{k}"));
            }
        }
        _ => assert_eq!(a, b, "{at}"),
    }
}

#[test]
fn json_round_trips_and_csv_matches_header() {
    let s = summary("ev3");
    let dir = tempfile::tempdir().unwrap();
    let jp = dir.path().join("ev3.json");
    json::write_json(&jp, &s).unwrap();
    let back = json::from_json_str(&std::fs::read_to_string(&jp).unwrap()).unwrap();
    // serde_json's default float parser may differ in the last ulp.
    assert_close(
        &serde_json::to_value(&back).unwrap(),
        &serde_json::to_value(&s).unwrap(),
        "$",
    );
    assert_eq!(back.event_id, s.event_id);
    assert_eq!(
        back.origin_time.as_ref().unwrap().utc,
        s.origin_time.as_ref().unwrap().utc
    );

    let cp = dir.path().join("events.csv");
    let s2 = summary("ev4");
    out_csv::write_csv(&cp, &[s.clone(), s2]).unwrap();
    let mut rdr = csv::Reader::from_path(&cp).unwrap();
    let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, out_csv::HEADER.to_vec());
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 2);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(&rows[0][col("event_id")], "ev3");
    assert_eq!(
        rows[0][col("mean_depth_km")].parse::<f64>().unwrap(),
        s.mean_km[2]
    );
    assert_eq!(
        rows[0][col("cov_en_km2")].parse::<f64>().unwrap(),
        s.cov_km2[0][1]
    );
    let probs: Vec<f64> = rows[0][col("cluster_probabilities")]
        .split(';')
        .map(|p| p.parse().unwrap())
        .collect();
    assert_eq!(probs, s.cluster_probabilities);
    let best: usize = rows[0][col("best_cluster")].parse().unwrap();
    assert!(probs.iter().all(|p| *p <= probs[best]));
    assert_eq!(&rows[1][col("event_id")], "ev4");
}

#[test]
fn missing_geography_is_a_typed_error() {
    let mut s = summary("ev5");
    s.geographic = None;
    let e = hyp::to_hyp_string(&s).unwrap_err();
    assert!(
        matches!(e, OutputError::Missing { .. }) && e.to_string().contains("lon/lat"),
        "{e}"
    );
    let e = quakeml::to_quakeml_string(&[s], &Default::default()).unwrap_err();
    assert!(e.to_string().contains("ev5"), "{e}");
}

/// Issue 13: each QuakeML origin's time is the maximum-likelihood origin
/// time at its own point (the preferred one the `.hyp`'s), not the
/// posterior mean origin time of every mode together.
#[test]
fn quakeml_mode_origins_carry_their_own_origin_time() {
    // The second cluster on the S-P shell too, across the station: two modes.
    let s = summary_with("ev-modes", [-9.0, -5.0, 10.0], &LikelihoodOptions::default());
    assert!(s.modes.len() >= 2, "{:?}", s.modes);
    assert_eq!(s.modes[0].origin_time_utc, s.location_origin_time);
    let text = quakeml::to_quakeml_string(std::slice::from_ref(&s), &quakeml::QuakeMlOptions::default()).unwrap();
    let times: Vec<chrono::DateTime<Utc>> = text
        .split("<origin ")
        .skip(1)
        .map(|o| {
            let v = o.split("<value>").nth(1).unwrap().split("</value>").next().unwrap();
            chrono::DateTime::parse_from_rfc3339(v).unwrap().with_timezone(&Utc)
        })
        .collect();
    assert_eq!(times.len(), s.modes.len());
    let mean_ot = s.origin_time.as_ref().unwrap().utc;
    for (t, m) in times.iter().zip(&s.modes) {
        let want = m.origin_time_utc.expect("picks give every mode an origin time");
        assert!(eqnemix::picks::duration_s(*t - want).abs() < 1e-6, "{t} vs {want}");
    }
    // The modes' points differ, and so do their origin times (each one
    // differs from the posterior mean by more than the written microsecond).
    let ts: Vec<_> = s.modes.iter().map(|m| m.origin_time_utc.unwrap()).collect();
    assert!(ts.windows(2).all(|w| eqnemix::picks::duration_s(w[1] - w[0]).abs() > 1e-3), "{ts:?}");
    assert!(eqnemix::picks::duration_s(ts[1] - mean_ot).abs() > 1e-3, "{ts:?} vs mean {mean_ot}");
}

/// Issue 13: the `.hyp` PHASE error and the QuakeML pick's time
/// uncertainty are the pick's own (0.07 s), as NonLinLoc writes its
/// observation errors, not the pick and model error combined; the weights
/// and residual scale keep the combined one.
#[test]
fn pick_errors_are_the_picks_own_without_the_model_error() {
    let opts = LikelihoodOptions { model_error_s: 0.1, ..Default::default() };
    let s = summary_with("ev-err", [-5.0, 2.0, 6.0], &opts);
    assert_eq!(s.phases.len(), 2);
    for ph in &s.phases {
        assert_eq!(ph.pick_sigma_s, Some(0.07));
        assert!((ph.sigma_s - 0.07f64.hypot(0.1)).abs() < 1e-12, "{ph:?}");
    }
    let text = quakeml::to_quakeml_string(std::slice::from_ref(&s), &quakeml::QuakeMlOptions::default()).unwrap();
    let picks: Vec<&str> = text.split("<pick ").skip(1).collect();
    assert_eq!(picks.len(), 2);
    for p in picks {
        assert!(p.contains("<uncertainty>0.07</uncertainty>"), "{p}");
    }
    let hyp = eqnemix::output::hyp::to_hyp_string(&s).unwrap();
    let lines: Vec<&str> = hyp.lines().filter(|l| l.starts_with("CI.CCC ")).collect();
    assert_eq!(lines.len(), 2, "{hyp}");
    for l in lines {
        let t: Vec<&str> = l.split_whitespace().collect();
        assert_eq!((t[9], t[10]), ("GAU", "7.00e-02"), "{l}");
    }
}
