//! `eqnemix locate` end to end on small generated inputs: outputs exist and
//! parse; bad inputs fail with the row and field named and leave no files.

mod common;

use common::{exact_pick_rows, write_three_clusters as write_clusters, THREE_SOURCES, VP, VS};
use eqnemix::clustering::{io::write_json, ClustersGaussianFile};
use eqnemix::geo::ProjectionOrigin;
use eqnemix::ClusterGaussian;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Picks of three events at a station at the origin (exact S-P and
/// back-azimuth of sources near the cluster means).
fn write_inputs(dir: &Path, probs: &str) -> [PathBuf; 4] {
    let mut picks = String::from("event_id,station,phase,time_utc,sigma_s,back_azimuth_deg,sigma_back_azimuth_deg\n");
    for (i, x) in THREE_SOURCES.iter().enumerate() {
        let fmt = |t: f64| format!("2021-03-04T05:{:02}:{:09.6}Z", (t / 60.0) as u32, t % 60.0);
        picks += &exact_pick_rows(&format!("ev{i}"), *x, 100.0 * i as f64, fmt);
    }
    let pp = dir.join("picks.csv");
    std::fs::write(&pp, picks).unwrap();
    let stations = dir.join("stations.csv");
    std::fs::write(&stations, "station,east_km,north_km,depth_km\nSTA,0,0,0\n").unwrap();
    let prob = dir.join("probs.csv");
    std::fs::write(&prob, probs).unwrap();
    let cfg = dir.join("cfg.toml");
    std::fs::write(
        &cfg,
        "n_chains = 4\nseed = 3\n[travel_time]\nkind = \"homogeneous\"\nvp_km_s = 6.0\nvs_km_s = 3.5\n\
         [sampler]\nkind = \"nuts\"\nn_warmup = 300\nn_draws = 300\n",
    )
    .unwrap();
    [pp, stations, prob, cfg]
}

const GOOD_PROBS: &str = "start_time,end_time,clusters_prob\n\
2021-03-04T05:00:00Z,2021-03-04T05:01:00Z,[0.8 0.1 0.1]\n\
2021-03-04T05:01:30Z,2021-03-04T05:02:30Z,0.1;0.8;0.1\n\
2021-03-04T05:03:10Z,2021-03-04T05:04:10Z,\"[0.1, 0.1, 0.8]\"\n";

fn run(dir: &Path, inputs: &[PathBuf; 4], out: &Path) -> std::process::Output {
    run_with(dir, inputs, out, &[])
}

fn run_with(dir: &Path, inputs: &[PathBuf; 4], out: &Path, extra: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_eqnemix"))
        .args(["locate", "--quiet"])
        .args(extra)
        .arg("--config")
        .arg(&inputs[3])
        .arg("--picks")
        .arg(&inputs[0])
        .arg("--stations")
        .arg(&inputs[1])
        .arg("--probabilities")
        .arg(&inputs[2])
        .arg("--clusters")
        .arg(write_clusters(dir))
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

#[test]
fn locates_every_event_and_writes_parseable_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = write_inputs(dir.path(), GOOD_PROBS);
    let out = dir.path().join("out");
    let o = run(dir.path(), &inputs, &out);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout.contains("located 3 of 3"), "{stdout}");

    let mut rdr = csv::Reader::from_path(out.join("catalog.csv")).unwrap();
    let h = rdr.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|c| c == n).unwrap();
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 3);
    for (i, row) in rows.iter().enumerate() {
        let id = &row[col("event_id")];
        // Each event lands in the cluster its probabilities and picks favour.
        let best: usize = row[col("best_cluster")].parse().unwrap();
        let k: usize = id.trim_start_matches("ev").parse().unwrap();
        assert_eq!(best, k, "row {i}: {row:?}");
        // The flag follows the stated rule (R-hat > 1.01 or ESS < 400 or divergences).
        let rhat: f64 = row[col("max_rhat")].parse().unwrap();
        let ess = row[col("min_ess_bulk")].parse::<f64>().unwrap().min(row[col("min_ess_tail")].parse().unwrap());
        let div: usize = row[col("n_divergent")].parse().unwrap();
        let expect = rhat > 1.01 || ess < 400.0 || div as f64 > 0.01 * 1200.0;
        assert_eq!(&row[col("untrustworthy")], &expect.to_string(), "{row:?}");
        assert_eq!(&row[col("prior_dominated")], "false", "{row:?}");
        let lat: f64 = row[col("mean_lat_deg")].parse().unwrap();
        assert!((lat - 35.7).abs() < 0.5);

        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join(format!("{id}.json"))).unwrap()).unwrap();
        assert_eq!(json["event_id"], id);
        assert!(json["diagnostics"]["max_rhat"].as_f64().unwrap() < 1.05);
        assert_eq!(json["summary"]["mean_km"].as_array().unwrap().len(), 3);

        let hyp = eqnemix::output::hyp::parse_hyp(&std::fs::read_to_string(out.join(format!("{id}.hyp"))).unwrap())
            .unwrap();
        // One station (at the origin): NonLinLoc's full gap, and the
        // station's horizontal distance from the HYPOCENTER epicentre.
        let [x, y, _] = hyp.hypocenter_km;
        assert_eq!(hyp.gap_deg, 360.0);
        assert!((hyp.nearest_station_km - x.hypot(y)).abs() < 1e-5, "{hyp:?}");
        let xml = std::fs::read_to_string(out.join(format!("{id}.xml"))).unwrap();
        assert!(xml.contains("<origin") && xml.contains("</q:quakeml>"));
        let mut d = csv::Reader::from_path(out.join(format!("{id}_draws.csv"))).unwrap();
        assert_eq!(d.headers().unwrap().iter().take(5).collect::<Vec<_>>(), ["chain", "draw", "east_km", "north_km", "depth_km"]);
        // 300 draws per chain, doubled at most twice where R-hat asks for it
        // (locate::post_stratify, step 2b).
        let n = d.records().count();
        assert!([1, 2, 4].iter().any(|k| n == 4 * 300 * k), "{n} draws");
    }
    assert!(std::fs::read_to_string(out.join("catalog.xml")).unwrap().matches("<event ").count() == 3);
    // No temporary files left behind; no maps unless asked for.
    assert!(std::fs::read_dir(&out).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().starts_with('.')));
    assert!(!out.join("ev0_map.png").exists());
}

/// `Gap` (deg) and `Dist` (km) of the stations `stations_km` seen from
/// `epicentre_km`, written out independently of the crate: azimuths
/// clockwise from north, the largest difference of consecutive sorted
/// azimuths with the wrap-around, the nearest horizontal distance.
fn gap_and_nearest(epicentre_km: [f64; 2], stations_km: &[[f64; 2]]) -> (f64, f64) {
    let mut az: Vec<f64> = stations_km
        .iter()
        .map(|s| (s[0] - epicentre_km[0]).atan2(s[1] - epicentre_km[1]).to_degrees().rem_euclid(360.0))
        .collect();
    az.sort_by(f64::total_cmp);
    let mut gap = az[0] + 360.0 - az[az.len() - 1];
    for w in az.windows(2) {
        gap = gap.max(w[1] - w[0]);
    }
    let near = stations_km
        .iter()
        .map(|s| (s[0] - epicentre_km[0]).hypot(s[1] - epicentre_km[1]))
        .fold(f64::INFINITY, f64::min);
    (gap, near)
}

#[test]
fn hyp_gap_and_dist_come_from_the_stations_that_picked() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = write_inputs(dir.path(), GOOD_PROBS);
    // One event at (19, 11, 7) km picked at three stations; seen from its
    // epicentre they lie at azimuths 240.07° (STA), 90° (STB, 10 km, the
    // nearest) and 0° (STC): Gap 150.07°, Dist 10 km. STD is in the station
    // table but picked nothing: counted, it would cut the gap to 131.2°.
    let source: [f64; 3] = [19.0, 11.0, 7.0];
    let picked: [(&str, [f64; 2]); 3] = [("STA", [0.0, 0.0]), ("STB", [29.0, 11.0]), ("STC", [19.0, 31.0])];
    let mut stations = String::from("station,east_km,north_km,depth_km\nSTD,5,-5,0\n");
    let mut picks = String::from("event_id,station,phase,time_utc,sigma_s\n");
    for (code, [e, n]) in picked {
        stations += &format!("{code},{e},{n},0\n");
        let r = ((source[0] - e).powi(2) + (source[1] - n).powi(2) + source[2] * source[2]).sqrt();
        let fmt = |t: f64| format!("2021-03-04T05:00:{t:09.6}Z");
        picks += &format!("ev0,{code},P,{},0.05\n", fmt(r / VP));
        picks += &format!("ev0,{code},S,{},0.05\n", fmt(r / VS));
    }
    std::fs::write(&inputs[0], picks).unwrap();
    std::fs::write(&inputs[1], stations).unwrap();
    let out = dir.path().join("out");
    let o = run(dir.path(), &inputs, &out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let hyp = eqnemix::output::hyp::parse_hyp(&std::fs::read_to_string(out.join("ev0.hyp")).unwrap()).unwrap();
    // The values are those of the picked stations at the HYPOCENTER (MAP)
    // epicentre, to the file's printed precision.
    let [x, y, _] = hyp.hypocenter_km;
    let (gap, near) = gap_and_nearest([x, y], &picked.map(|p| p.1));
    assert!((hyp.gap_deg - gap).abs() < 1e-3, "Gap {} vs {gap}", hyp.gap_deg);
    assert!((hyp.nearest_station_km - near).abs() < 1e-5, "Dist {} vs {near}", hyp.nearest_station_km);
    // And the MAP is close to the source, so they are close to the geometry above.
    assert!((hyp.gap_deg - 150.07).abs() < 5.0 && (hyp.nearest_station_km - 10.0).abs() < 1.0, "{hyp:?}");
}

#[test]
fn maps_flag_draws_a_map_and_sections_per_event() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = write_inputs(dir.path(), GOOD_PROBS);
    let out = dir.path().join("out");
    let o = run_with(dir.path(), &inputs, &out, &["--maps"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for i in 0..3 {
        for f in [format!("ev{i}_map.png"), format!("ev{i}_sections.png")] {
            let bytes = std::fs::read(out.join(&f)).unwrap_or_else(|e| panic!("{f}: {e}"));
            assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 10_000, "{f}: not a drawn PNG");
        }
    }
}

fn fails_without_output(probs: &str, picks_override: Option<&str>, expect: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let inputs = write_inputs(dir.path(), probs);
    if let Some(p) = picks_override {
        std::fs::write(&inputs[0], p).unwrap();
    }
    let out = dir.path().join("out");
    let o = run(dir.path(), &inputs, &out);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "should fail");
    for e in expect {
        assert!(err.contains(e), "expected `{e}` in:\n{err}");
    }
    assert!(!out.exists(), "nothing may be written when an input file is bad");
}

#[test]
fn nan_probability_names_row_and_field() {
    let probs = GOOD_PROBS.replace("0.1;0.8;0.1", "0.1;NaN;0.1");
    fails_without_output(&probs, None, &["probs.csv:3", "clusters_prob", "NaN"]);
}

#[test]
fn missing_field_names_row_and_field() {
    let probs = GOOD_PROBS.replace("2021-03-04T05:01:30Z,2021-03-04T05:02:30Z", "2021-03-04T05:01:30Z,");
    fails_without_output(&probs, None, &["probs.csv:3", "end_time", "missing value"]);
    let picks = "event_id,station,phase,time_utc,sigma_s\nev0,STA,P,2021-03-04T05:00:04Z,\n";
    fails_without_output(GOOD_PROBS, Some(picks), &["picks.csv:2", "sigma_s"]);
    fails_without_output("start_time,clusters_prob\n", None, &["end_time", "missing column"]);
}

#[test]
fn probabilities_not_summing_to_one_fail_that_event_only() {
    let probs = GOOD_PROBS.replace("0.1;0.8;0.1", "0.1;0.5;0.1");
    let dir = tempfile::tempdir().unwrap();
    let inputs = write_inputs(dir.path(), &probs);
    let out = dir.path().join("out");
    let o = run(dir.path(), &inputs, &out);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(err.contains("ev1") && err.contains("probs.csv:3") && err.contains("sum to 0.7"), "{err}");
    assert!(err.contains("1 of 3 events failed"), "{err}");
    // The failing event has no files; the others are complete.
    assert!(!out.join("ev1.json").exists() && !out.join("ev1_draws.csv").exists());
    assert!(out.join("ev0.json").exists() && out.join("ev2.hyp").exists());
    let n = csv::Reader::from_path(out.join("catalog.csv")).unwrap().records().count();
    assert_eq!(n, 2);
}

#[test]
fn eqtransformer_rows_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = write_inputs(dir.path(), GOOD_PROBS);
    // Station 0.0 km from the origin at the projection origin.
    let eqt = "file_name,network,station,instrument_type,station_lat,station_lon,station_elv,event_start_time,event_end_time,detection_probability,detection_uncertainty,p_arrival_time,p_probability,p_uncertainty,p_snr,s_arrival_time,s_probability,s_uncertainty,s_snr\n\
CI.STA,CI,STA,HH,35.7,-117.6,0,2021-03-04 05:00:03.00,2021-03-04 05:00:20.00,0.9,,2021-03-04 05:00:03.900000,0.8,,12.1,2021-03-04 05:00:06.900000,0.7,,8.0\n";
    std::fs::write(&inputs[0], eqt).unwrap();
    let out = dir.path().join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_eqnemix"))
        .args(["locate", "--quiet", "--config"])
        .arg(&inputs[3])
        .arg("--picks")
        .arg(&inputs[0])
        .arg("--probabilities")
        .arg(&inputs[2])
        .arg("--clusters")
        .arg(write_clusters(dir.path()))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows = csv::Reader::from_path(out.join("catalog.csv")).unwrap().records().count();
    assert_eq!(rows, 1);
}

#[test]
fn config_example_prints_a_parseable_config() {
    let o = Command::new(env!("CARGO_BIN_EXE_eqnemix")).args(["config", "--example"]).output().unwrap();
    assert!(o.status.success());
    let text = String::from_utf8(o.stdout).unwrap();
    let cfg = eqnemix::config::LocateConfig::from_toml_str(&text, "stdout").unwrap();
    assert_eq!(cfg, eqnemix::config::LocateConfig::default());
    // It documents the run's tables too, and the run's sample config checks.
    for t in ["[run]", "[pipeline]", "[pipeline.synthetic]", "convnetquake_model", "window_before_p_s"] {
        assert!(text.contains(t), "no {t} in the example");
    }
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data/config/run_sample.toml");
    let o = Command::new(env!("CARGO_BIN_EXE_eqnemix")).args(["config", "--check"]).arg(&sample).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The checked config echoes the sample's own pipeline start.
    let text = std::fs::read_to_string(&sample).unwrap();
    let start = text.lines().find(|l| l.starts_with("start =")).expect("the sample sets [pipeline] start");
    assert!(String::from_utf8_lossy(&o.stdout).contains(start), "no `{start}` in the checked config");
}

/// `eqnemix locate` with its own cluster file (instead of [`write_clusters`]).
fn run_with_clusters(inputs: &[PathBuf; 4], clusters: &Path, out: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_eqnemix"))
        .args(["locate", "--quiet", "--config"])
        .arg(&inputs[3])
        .arg("--picks")
        .arg(&inputs[0])
        .arg("--stations")
        .arg(&inputs[1])
        .arg("--probabilities")
        .arg(&inputs[2])
        .arg("--clusters")
        .arg(clusters)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

fn assert_clean_failure(o: &std::process::Output, expect: &[&str]) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    for e in expect {
        assert!(err.contains(e), "expected `{e}` in:\n{err}");
    }
}

/// Issue 16: a cluster covariance of 1e40·I panicked (chrono overflow of the
/// origin time); such a cluster file is now rejected, naming file and cluster.
#[test]
fn absurd_cluster_covariance_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = write_inputs(dir.path(), GOOD_PROBS);
    let c = |id, m: [f64; 3], v: f64| ClusterGaussian {
        id,
        n_events: 30,
        mean_km: m,
        cov_km2: [[v, 0.0, 0.0], [0.0, v, 0.0], [0.0, 0.0, v]],
    };
    let f = ClustersGaussianFile::new(
        ProjectionOrigin { lon_deg: -117.6, lat_deg: 35.7 },
        &[c(0, [20.0, 10.0, 8.0], 9.0), c(1, [-15.0, 25.0, 6.0], 1e40), c(2, [-25.0, -20.0, 10.0], 9.0)],
    );
    let clusters = dir.path().join("huge.json");
    write_json(&clusters, &f).unwrap();
    let out = dir.path().join("out");
    let o = run_with_clusters(&inputs, &clusters, &out);
    assert_clean_failure(&o, &["huge.json", "cluster 1", "cov_km2"]);
    assert!(!out.exists());

    // The origin-time conversion itself no longer panics.
    let t = eqnemix::catalog::parse_utc_time("2021-03-04T05:00:00Z").unwrap();
    assert!(eqnemix::picks::checked_utc_after(t, 1.8e19).is_none());
    assert!(eqnemix::picks::checked_utc_after(t, f64::NAN).is_none());
    assert_eq!(eqnemix::picks::utc_after(t, 1e30), chrono::DateTime::<chrono::Utc>::MAX_UTC);
    assert_eq!(eqnemix::picks::checked_utc_after(t, 1.5), Some(t + chrono::TimeDelta::milliseconds(1500)));
}

/// Issue 16: a station elevation of 1.8e19 m panicked, a latitude of 100 gave
/// a NaN error without the file; both are now rejected naming file, line and field.
#[test]
fn impossible_station_positions_name_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = write_inputs(dir.path(), GOOD_PROBS);
    let out = dir.path().join("out");
    for (table, field) in [
        ("station,latitude,longitude,elevation_m\nSTA,100,-117.6,0\n", "`latitude`"),
        ("station,latitude,longitude,elevation_m\nSTA,35.7,-117.6,1.8e19\n", "`elevation_m`"),
        ("station,latitude,longitude,elevation_m\nSTA,35.7,-400,0\n", "`longitude`"),
        ("station,east_km,north_km,depth_km\nSTA,0,0,-1.8e16\n", "`depth_km`"),
    ] {
        std::fs::write(&inputs[1], table).unwrap();
        let o = run(dir.path(), &inputs, &out);
        assert_clean_failure(&o, &["stations.csv:2", field]);
        assert!(!out.exists());
    }
    // EQTransformer rows carry their own station coordinates.
    let eqt = "file_name,network,station,instrument_type,station_lat,station_lon,station_elv,event_start_time,event_end_time,detection_probability,detection_uncertainty,p_arrival_time,p_probability,p_uncertainty,p_snr,s_arrival_time,s_probability,s_uncertainty,s_snr\n\
CI.STA,CI,STA,HH,35.7,-117.6,1.8e19,2021-03-04 05:00:03.00,2021-03-04 05:00:20.00,0.9,,2021-03-04 05:00:03.900000,0.8,,12.1,2021-03-04 05:00:06.900000,0.7,,8.0\n";
    let eqt_path = dir.path().join("eqt.csv");
    std::fs::write(&eqt_path, eqt).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_eqnemix"))
        .args(["locate", "--quiet", "--config"])
        .arg(&inputs[3])
        .arg("--picks")
        .arg(&eqt_path)
        .arg("--probabilities")
        .arg(&inputs[2])
        .arg("--clusters")
        .arg(write_clusters(dir.path()))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_clean_failure(&o, &["eqt.csv:2", "`station_elv`"]);
}

/// Issue 16: `eqnemix locate … | head` panicked on the broken pipe. With its
/// standard output a pipe whose reader is already gone, it now finishes its
/// files and exits quietly with 141 (128 + SIGPIPE), as Unix tools do.
#[test]
fn closed_stdout_exits_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = write_inputs(dir.path(), GOOD_PROBS);
    let out = dir.path().join("out");
    let closed = || {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        writer
    };
    let o = Command::new(env!("CARGO_BIN_EXE_eqnemix"))
        .args(["locate", "--quiet", "--config"])
        .arg(&inputs[3])
        .arg("--picks")
        .arg(&inputs[0])
        .arg("--stations")
        .arg(&inputs[1])
        .arg("--probabilities")
        .arg(&inputs[2])
        .arg("--clusters")
        .arg(write_clusters(dir.path()))
        .arg("--out")
        .arg(&out)
        .stdout(closed())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(141), "{err}");
    assert!(err.is_empty(), "{err}");
    assert!(out.join("catalog.csv").exists());

    let o = Command::new(env!("CARGO_BIN_EXE_eqnemix"))
        .args(["config", "--example"])
        .stdout(closed())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(141), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(o.stderr.is_empty(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Issue 16: picks with S before P, or an S-P of 5 hours, were "located" (on
/// the station, or with an origin in year 6009) with only a flag. Such an
/// event now fails with its id, station and both pick times; the others are
/// located.
#[test]
fn impossible_s_minus_p_fails_that_event_naming_the_picks() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = write_inputs(dir.path(), GOOD_PROBS);
    let picks = std::fs::read_to_string(&inputs[0]).unwrap();
    let mut lines: Vec<String> = picks.lines().map(String::from).collect();
    // ev1: P and S swapped (S 3.4 s before P).
    let (p1, s1) = (lines.iter().position(|l| l.starts_with("ev1,STA,P,")).unwrap(), lines.iter().position(|l| l.starts_with("ev1,STA,S,")).unwrap());
    let (tp1, ts1) = (lines[p1].split(',').nth(3).unwrap().to_string(), lines[s1].split(',').nth(3).unwrap().to_string());
    lines[p1] = lines[p1].replace(&tp1, &ts1);
    lines[s1] = lines[s1].replace(&ts1, &tp1);
    // ev2: S five hours after P.
    let s2 = lines.iter().position(|l| l.starts_with("ev2,STA,S,")).unwrap();
    let ts2 = lines[s2].split(',').nth(3).unwrap().to_string();
    lines[s2] = lines[s2].replace(&ts2, "2021-03-04T10:03:20.000Z");
    std::fs::write(&inputs[0], lines.join("\n") + "\n").unwrap();

    let out = dir.path().join("out");
    let o = run(dir.path(), &inputs, &out);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("2 of 3 events failed"), "{err}");
    let line = |id: &str| err.lines().find(|l| l.contains(&format!("failed {id}:"))).unwrap_or_else(|| panic!("{id} not reported:\n{err}")).to_string();
    let (l1, l2) = (line("ev1"), line("ev2"));
    assert!(l1.contains("at STA") && l1.contains("S pick must come after the P pick"), "{l1}");
    assert!(l1.contains(&format!("P {}", &ts1[..19])) && l1.contains(&format!("S {}", &tp1[..19])), "{l1}\n{tp1} {ts1}");
    assert!(l2.contains("S-P 17994") && l2.contains("2021-03-04T10:03:20.000Z") && l2.contains("outside"), "{l2}");
    assert!(!out.join("ev1.json").exists() && !out.join("ev2.json").exists());
    assert_eq!(csv::Reader::from_path(out.join("catalog.csv")).unwrap().records().count(), 1);
}

/// Issue 16: a `noise_prob` of NaN or 2 in the ConvNetQuake probabilities was
/// accepted; it now fails naming file, line and field.
#[test]
fn noise_probability_outside_0_1_names_row_and_field() {
    let with_noise = |n1: &str, n2: &str| {
        format!(
            "start_time,end_time,clusters_prob,noise_prob\n\
2021-03-04T05:00:00Z,2021-03-04T05:01:00Z,[0.8 0.1 0.1],{n1}\n\
2021-03-04T05:01:30Z,2021-03-04T05:02:30Z,0.1;0.8;0.1,{n2}\n\
2021-03-04T05:03:10Z,2021-03-04T05:04:10Z,\"[0.1, 0.1, 0.8]\",0.05\n"
        )
    };
    fails_without_output(&with_noise("0.1", "NaN"), None, &["probs.csv:3", "`noise_prob`", "NaN"]);
    fails_without_output(&with_noise("2", "0.1"), None, &["probs.csv:2", "`noise_prob`", "[0, 1]"]);
    fails_without_output(&with_noise("0.1", "x"), None, &["probs.csv:3", "`noise_prob`", "`x`"]);
    // Valid noise probabilities (and an empty cell) are fine.
    let dir = tempfile::tempdir().unwrap();
    let inputs = write_inputs(dir.path(), &with_noise("0.1", ""));
    let o = run(dir.path(), &inputs, &dir.path().join("out"));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// `write_inputs`' picks with the event ids replaced by `ids`.
fn picks_with_ids(dir: &Path, ids: [&str; 3]) -> [PathBuf; 4] {
    let inputs = write_inputs(dir, GOOD_PROBS);
    let mut picks = std::fs::read_to_string(&inputs[0]).unwrap();
    for (i, id) in ids.iter().enumerate() {
        picks = picks.replace(&format!("\nev{i},"), &format!("\n{id},"));
    }
    std::fs::write(&inputs[0], picks).unwrap();
    inputs
}

/// Issue 16: an event id holding a NUL wrote invalid XML into the QuakeML.
/// Control characters in ids are now rejected when the picks are read
/// (file, line, field), and the QuakeML writer refuses what XML cannot hold.
#[test]
fn control_characters_in_ids_are_rejected() {
    for (bad, code) in [("ev\u{0}1", "U+0000"), ("ev\u{1b}[31m1", "U+001B")] {
        let dir = tempfile::tempdir().unwrap();
        let inputs = picks_with_ids(dir.path(), ["ev0", bad, "ev2"]);
        let out = dir.path().join("out");
        let o = run(dir.path(), &inputs, &out);
        assert_clean_failure(&o, &["picks.csv:5", "`event_id`", code]);
        assert!(!out.exists());
    }

    // The writer itself, given such an id through the API.
    let dir = tempfile::tempdir().unwrap();
    let inputs = write_inputs(dir.path(), GOOD_PROBS);
    let out = dir.path().join("out");
    assert!(run(dir.path(), &inputs, &out).status.success());
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("ev0.json")).unwrap()).unwrap();
    let mut s: eqnemix::summary::LocationSummary = serde_json::from_value(json["summary"].clone()).unwrap();
    let opts = eqnemix::output::quakeml::QuakeMlOptions::default();
    s.event_id = "a<b&c".into();
    let xml = eqnemix::output::quakeml::to_quakeml_string(std::slice::from_ref(&s), &opts).unwrap();
    assert!(xml.contains("a&lt;b&amp;c") && !xml.contains("a<b"), "{xml}");
    s.event_id = "a\u{0}b".into();
    let e = eqnemix::output::quakeml::to_quakeml_string(&[s], &opts).unwrap_err().to_string();
    assert!(e.contains("U+0000") && e.contains("a\\0b"), "{e}");
}

/// Issue 16: event ids `a/b` and `a_b` both wrote `a_b.*`, one silently
/// replacing the other. The clash is now an error naming both, before
/// anything is computed or written.
#[test]
fn ids_with_the_same_file_name_are_an_error() {
    for (a, b) in [("a/b", "a_b"), ("Quake", "quake")] {
        let dir = tempfile::tempdir().unwrap();
        let inputs = picks_with_ids(dir.path(), [a, "ev1", b]);
        let out = dir.path().join("out");
        let o = run(dir.path(), &inputs, &out);
        assert_clean_failure(&o, &["picks.csv", &format!("`{a}` and `{b}`"), "same result file name"]);
        assert!(!out.exists());
    }
}

/// Issue 16: `locate` computed every event before finding that the output
/// folder cannot be written. It now fails at once, naming the folder.
/// `/proc/self` exists but takes no new files, even for root (permission
/// bits would not stop a test running as root).
#[cfg(target_os = "linux")]
#[test]
fn unwritable_output_folder_fails_before_locating() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = write_inputs(dir.path(), GOOD_PROBS);
    let o = run(dir.path(), &inputs, Path::new("/proc/self"));
    assert_clean_failure(&o, &["cannot create files in folder /proc/self"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.contains("events failed") && !err.contains("ev0"), "{err}");
}

/// Issue 11: an eikonal grid smaller than the search region silently cut
/// the posterior off at the grid's edge (an event 80 km away was placed on
/// the grid's corner). Such a set-up is now refused before anything is
/// located, naming the station, the phase and what to change.
#[test]
fn search_region_outside_the_travel_time_grid_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = write_inputs(dir.path(), GOOD_PROBS);
    // The clusters' ±4 sd envelope reaches about ±40 km; the grid covers ±15 km.
    std::fs::write(dir.path().join("layers.toml"), "[[layer]]\ntop_km = 0.0\nvp = 6.0\nvp_vs = 1.7142857\n").unwrap();
    std::fs::write(
        &inputs[3],
        "[travel_time]\nkind = \"eikonal\"\nmodel = \"layers.toml\"\n\
         [travel_time.grid]\nn = [31, 31, 21]\norigin_km = [-15.0, -15.0, -1.0]\nspacing_km = [1.0, 1.0, 1.0]\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let o = run(dir.path(), &inputs, &out);
    assert_clean_failure(&o, &["reaches outside the P travel-time domain of station STA", "[travel_time.grid]", "[region]"]);
    assert!(!out.join("catalog.csv").exists());
    // With the region inside the grid the same inputs are located.
    std::fs::write(
        &inputs[3],
        "[travel_time]\nkind = \"eikonal\"\nmodel = \"layers.toml\"\n\
         [travel_time.grid]\nn = [81, 81, 41]\norigin_km = [-40.0, -40.0, -1.0]\nspacing_km = [1.0, 1.0, 1.0]\n\
         [region]\neast_km = [-35.0, 35.0]\nnorth_km = [-35.0, 35.0]\ndepth_km = [0.0, 30.0]\n",
    )
    .unwrap();
    let o = run(dir.path(), &inputs, &out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}
