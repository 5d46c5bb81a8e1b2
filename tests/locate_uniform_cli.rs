//! `eqnemix locate` for a network without a cluster catalog: `[prior]
//! kind = "uniform"` needs only picks, stations and a configuration; the
//! default cluster prior without `--clusters` fails saying what to do.

use std::path::{Path, PathBuf};
use std::process::Command;

const VP: f64 = 6.0;
const VS: f64 = 3.5;
const STATIONS: [[f64; 3]; 6] = [
    [0.0, 0.0, 0.0],
    [20.0, 3.0, 0.0],
    [-15.0, 12.0, 0.0],
    [5.0, -18.0, 0.0],
    [14.0, 16.0, 0.0],
    [-10.0, -9.0, 0.0],
];
const TRUTH: [[f64; 3]; 2] = [[3.0, 4.0, 8.0], [-6.0, 2.0, 12.0]];

/// Exact P and S picks of two events under six stations; `outlier_s` is
/// added to the P pick of station S3 of the second event (26 km away: its S-P stays positive).
fn write_inputs(dir: &Path, config: &str, outlier_s: f64) -> [PathBuf; 3] {
    let mut picks = String::from("event_id,station,phase,time_utc,sigma_s\n");
    for (e, x) in TRUTH.iter().enumerate() {
        let t0 = 30.0 + 100.0 * e as f64;
        for (i, s) in STATIONS.iter().enumerate() {
            let r = (0..3).map(|k| (x[k] - s[k]).powi(2)).sum::<f64>().sqrt();
            let fmt = |t: f64| format!("2021-03-04T05:{:02}:{:09.6}Z", (t / 60.0) as u32, t % 60.0);
            let out = if e == 1 && i == 3 { outlier_s } else { 0.0 };
            picks += &format!("ev{e},S{i},P,{},0.1\n", fmt(t0 + r / VP + out));
            picks += &format!("ev{e},S{i},S,{},0.2\n", fmt(t0 + r / VS));
        }
    }
    let pp = dir.join("picks.csv");
    std::fs::write(&pp, picks).unwrap();
    let mut st = String::from("station,east_km,north_km,depth_km\n");
    for (i, s) in STATIONS.iter().enumerate() {
        st += &format!("S{i},{},{},{}\n", s[0], s[1], s[2]);
    }
    let stations = dir.join("stations.csv");
    std::fs::write(&stations, st).unwrap();
    let cfg = dir.join("cfg.toml");
    std::fs::write(&cfg, config).unwrap();
    [pp, stations, cfg]
}

const NETWORK: &str = "n_chains = 4\nseed = 5\n\
[travel_time]\nkind = \"homogeneous\"\nvp_km_s = 6.0\nvs_km_s = 3.5\n\
[sampler]\nkind = \"nuts\"\nn_warmup = 300\nn_draws = 300\n\
[likelihood]\ns_minus_p = false\nabsolute_times = true\nback_azimuth = false\nresidual = \"edt\"\nmodel_error_s = 0.0\n\
[prior]\nkind = \"uniform\"\n\
[region]\norigin_lon_deg = -117.6\norigin_lat_deg = 35.7\neast_km = [-40.0, 40.0]\nnorth_km = [-40.0, 40.0]\ndepth_km = [0.0, 30.0]\n";

fn locate(inputs: &[PathBuf; 3], out: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_eqnemix"))
        .args(["locate", "--quiet", "--config"])
        .arg(&inputs[2])
        .arg("--picks")
        .arg(&inputs[0])
        .arg("--stations")
        .arg(&inputs[1])
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

#[test]
fn a_network_is_located_with_picks_stations_and_config_only() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = write_inputs(dir.path(), NETWORK, 2.0);
    let out = dir.path().join("out");
    let o = locate(&inputs, &out);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout.contains("located 2 of 2"), "{stdout}");
    let mut rdr = csv::Reader::from_path(out.join("catalog.csv")).unwrap();
    let h = rdr.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|c| c == n).unwrap_or_else(|| panic!("{n} in {h:?}"));
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 2);
    for row in &rows {
        let e: usize = row[col("event_id")].trim_start_matches("ev").parse().unwrap();
        let m = ["mean_east_km", "mean_north_km", "mean_depth_km"].map(|n| row[col(n)].parse::<f64>().unwrap());
        // Exact picks (the second event with a +2 s P pick) under six
        // stations at 10-20 km: the EDT posterior sd is a few hundred m
        // (σ 0.1-0.2 s times ~6 km/s over sqrt(#pairs)); 1.5 km allows
        // for the depth trade-off.
        let err = (0..3).map(|k| (m[k] - TRUTH[e][k]).powi(2)).sum::<f64>().sqrt();
        assert!(err < 1.5, "event {e}: mean {m:?}, truth {:?}, error {err} km", TRUTH[e]);
    }
}

#[test]
fn the_cluster_prior_without_clusters_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = NETWORK.replace("kind = \"uniform\"", "kind = \"clusters\"");
    let inputs = write_inputs(dir.path(), &cfg, 0.0);
    let o = locate(&inputs, &dir.path().join("out"));
    assert!(!o.status.success());
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("--clusters and one of --probabilities, --weights or --uniform-weights are needed") && stderr.contains("kind = \"uniform\""), "{stderr}");
    assert!(!dir.path().join("out").exists());

    // Uniform without the frame's origin (no clusters file to take it from).
    let cfg = NETWORK.replace("origin_lon_deg = -117.6\n", "");
    let inputs = write_inputs(dir.path(), &cfg, 0.0);
    let o = locate(&inputs, &dir.path().join("out"));
    assert!(!o.status.success());
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("region.origin_lon_deg"), "{stderr}");

    // Uniform without the box's bounds.
    let cfg = NETWORK.replace("east_km = [-40.0, 40.0]\n", "");
    let inputs = write_inputs(dir.path(), &cfg, 0.0);
    let o = locate(&inputs, &dir.path().join("out"));
    assert!(!o.status.success());
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("region.east_km"), "{stderr}");
}
