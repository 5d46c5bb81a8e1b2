//! End-to-end tests of `eqnemix cluster` on the synthetic sample catalog
//! (examples/data/catalog/, whose README gives the cluster centres used here).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use eqnemix::clustering::io::{read_clusters_gaussian, read_clusters_metadata};
use eqnemix::geo::LocalProjection;
use eqnemix::ClusterGaussian;

const STATION: (f64, f64) = (-117.6, 35.7);

/// Truth of make_sample_catalog.py: centre lon, lat, depth (km), events,
/// long-axis sd (km), depth sd (km).
const TRUTH: [(f64, f64, f64, usize, f64, f64); 5] = [
    (-117.55455, 35.80141, 7.0, 80, 4.0, 2.0),
    (-117.21861, 35.55557, 5.0, 60, 3.0, 1.5),
    (-118.22438, 35.51545, 9.0, 50, 3.5, 2.5),
    (-117.84917, 36.05048, 4.0, 70, 3.0, 1.0),
    (-117.44616, 34.99147, 11.0, 40, 4.0, 3.0),
];

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data/catalog/ridgecrest_synthetic.csv")
}

fn eqnemix(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_eqnemix"))
        .args(args)
        .output()
        .expect("run eqnemix")
}

fn run_ok(args: &[&str]) -> Output {
    let out = eqnemix(args);
    assert!(
        out.status.success(),
        "eqnemix {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Arguments of `eqnemix cluster --src SRC --dst DST --n-components K EXTRA…`.
fn cluster_args<'a>(src: &'a str, dst: &'a str, k: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["cluster", "--src", src, "--dst", dst, "--n-components", k];
    args.extend_from_slice(extra);
    args
}

fn read_labelled(path: &Path) -> (csv::StringRecord, Vec<csv::StringRecord>) {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let headers = rdr.headers().unwrap().clone();
    let rows = rdr.records().map(|r| r.unwrap()).collect();
    (headers, rows)
}

#[test]
fn clusters_the_sample_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let dst = dir.path().join("out");
    let src = sample();
    run_ok(&cluster_args(src.to_str().unwrap(), dst.to_str().unwrap(), "5", &["--model", "KMeans", "--seed", "7", "--origin-lon", "-117.6", "--origin-lat", "35.7", "--station-lon", "-117.6", "--station-lat", "35.7", "--station-name", "SYN1"]));

    // Labelled catalog: every event, original columns kept, ids in 0..5.
    let (headers, rows) = read_labelled(&dst.join("catalog_with_cluster_ids.csv"));
    assert_eq!(
        headers.iter().collect::<Vec<_>>(),
        vec![
            "event_id",
            "time",
            "latitude",
            "longitude",
            "depth",
            "mag",
            "cluster_id"
        ]
    );
    assert_eq!(rows.len(), 300);
    let mut counts = [0usize; 5];
    for r in &rows {
        let id: usize = r[6].parse().unwrap();
        assert!(id < 5);
        counts[id] += 1;
    }
    assert!(rows[0][0].starts_with("syn"));

    // Metadata.
    let meta = read_clusters_metadata(dst.join("clusters_metadata.json")).unwrap();
    assert_eq!(meta.n_clusters, 5);
    assert_eq!(meta.events_per_cluster, counts.to_vec());
    assert_eq!((meta.origin.lon_deg, meta.origin.lat_deg), STATION);

    // Gaussians: entries parse as ClusterGaussian, and match the truth.
    let text = std::fs::read_to_string(dst.join("clusters_gaussian.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let gs: Vec<ClusterGaussian> = v["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| serde_json::from_value(c.clone()).unwrap())
        .collect();
    assert_eq!(
        gs,
        read_clusters_gaussian(dst.join("clusters_gaussian.json"))
            .unwrap()
            .gaussians()
    );
    assert_eq!(gs.len(), 5);
    let proj = LocalProjection::new(STATION.0, STATION.1).unwrap();
    let mut used = [false; 5];
    for &(lon, lat, depth, n, sd_h, sd_z) in &TRUTH {
        let (e, nn) = proj.to_local_km(lon, lat);
        let g = gs
            .iter()
            .min_by(|a, b| {
                let da = (a.mean_km[0] - e).hypot(a.mean_km[1] - nn);
                let db = (b.mean_km[0] - e).hypot(b.mean_km[1] - nn);
                da.total_cmp(&db)
            })
            .unwrap();
        assert!(!used[g.id], "two true clusters matched cluster {}", g.id);
        used[g.id] = true;
        // Well separated clusters: every event lands in its own cluster.
        assert_eq!(g.n_events, n, "cluster {} at ({e:.1}, {nn:.1}) km", g.id);
        assert_eq!(counts[g.id], n);
        // Means within 4 standard errors of the truth (sd / sqrt(n) per axis).
        let tol_h = 4.0 * sd_h / (n as f64).sqrt();
        let tol_z = 4.0 * sd_z / (n as f64).sqrt();
        assert!(
            (g.mean_km[0] - e).abs() < tol_h,
            "east {} vs {e}",
            g.mean_km[0]
        );
        assert!(
            (g.mean_km[1] - nn).abs() < tol_h,
            "north {} vs {nn}",
            g.mean_km[1]
        );
        assert!(
            (g.mean_km[2] - depth).abs() < tol_z,
            "depth {} vs {depth}",
            g.mean_km[2]
        );
        // Horizontal variances between the generator's short- and long-axis sd², loosely.
        for d in 0..2 {
            assert!(
                g.cov_km2[d][d] > 0.5 && g.cov_km2[d][d] < 2.0 * sd_h * sd_h,
                "{:?}",
                g.cov_km2
            );
        }
    }
    // 2D marginal written alongside.
    let c0 = &v["clusters"][0];
    assert_eq!(c0["mean_en_km"][0].as_f64().unwrap(), gs[0].mean_km[0]);
    assert_eq!(
        c0["cov_en_km2"][0][1].as_f64().unwrap(),
        gs[0].cov_km2[0][1]
    );
    assert_eq!(v["origin"]["lat_deg"].as_f64().unwrap(), STATION.1);

    // Map: a real PNG of the documented size.
    let png = std::fs::read(dst.join("clusters_map.png")).unwrap();
    assert!(png.len() > 10_000, "png is {} bytes", png.len());
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let w = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((w, h), eqnemix::clustering::catalog_clusters::MAP_SIZE_PX);
    // No temporary files left behind.
    assert_eq!(std::fs::read_dir(&dst).unwrap().count(), 4);
}

#[test]
fn same_seed_same_clusters_and_origin_defaults_to_centroid() {
    let dir = tempfile::tempdir().unwrap();
    let src = sample();
    let mut outs = Vec::new();
    for name in ["a", "b"] {
        let dst = dir.path().join(name);
        run_ok(&[
            "cluster",
            "--src",
            src.to_str().unwrap(),
            "--dst",
            dst.to_str().unwrap(),
            "--n_components",
            "4",
            "--seed",
            "3",
        ]);
        outs.push(std::fs::read_to_string(dst.join("clusters_gaussian.json")).unwrap());
    }
    assert_eq!(outs[0], outs[1]);
    // Default origin: the mean epicentre of the events.
    let (_, rows) = read_labelled(&dir.path().join("a/catalog_with_cluster_ids.csv"));
    let n = rows.len() as f64;
    let lat = rows
        .iter()
        .map(|r| r[2].parse::<f64>().unwrap())
        .sum::<f64>()
        / n;
    let lon = rows
        .iter()
        .map(|r| r[3].parse::<f64>().unwrap())
        .sum::<f64>()
        / n;
    let meta = read_clusters_metadata(dir.path().join("a/clusters_metadata.json")).unwrap();
    assert!((meta.origin.lon_deg - lon).abs() < 1e-9 && (meta.origin.lat_deg - lat).abs() < 1e-9);
}

#[test]
fn region_and_time_filters() {
    let dir = tempfile::tempdir().unwrap();
    let src = sample();
    // 30 km around the station holds exactly cluster A (80 events, centre 12 km away).
    let dst = dir.path().join("near");
    run_ok(&cluster_args(src.to_str().unwrap(), dst.to_str().unwrap(), "2", &["--center-lon", "-117.6", "--center-lat", "35.7", "--radius-km", "30"]));
    let meta = read_clusters_metadata(dst.join("clusters_metadata.json")).unwrap();
    assert_eq!((meta.n_events, meta.n_events_in_catalog), (80, 300));

    // Time window: compare with a count done here (ISO-8601 strings sort by time).
    let dst = dir.path().join("late");
    run_ok(&cluster_args(src.to_str().unwrap(), dst.to_str().unwrap(), "5", &["--start", "2019-10-01T00:00:00Z", "--end", "2019-12-01"]));
    let text = std::fs::read_to_string(&src).unwrap();
    let expect = text
        .lines()
        .filter(|l| l.starts_with("syn"))
        .filter(|l| {
            let t = l.split(',').nth(1).unwrap();
            ("2019-10-01T00:00:00".."2019-12-01T00:00:00").contains(&t)
        })
        .count();
    let (_, rows) = read_labelled(&dst.join("catalog_with_cluster_ids.csv"));
    assert_eq!(rows.len(), expect);
    assert!((51..150).contains(&expect), "{expect}");

    // Box that keeps nothing: a clear error.
    let out = eqnemix(&cluster_args(src.to_str().unwrap(), dir.path().join("none").to_str().unwrap(), "2", &["--lon-min", "10", "--lon-max", "11", "--lat-min", "10", "--lat-max", "11"]));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no events left"));
}

#[test]
fn bad_row_is_reported_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(sample()).unwrap();
    // Line 10 of the file (3 comment lines, header, then events).
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let mut fields: Vec<String> = lines[9].split(',').map(String::from).collect();
    fields[2] = "35.7x".into();
    lines[9] = fields.join(",");
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, lines.join("\n")).unwrap();
    let dst = dir.path().join("out");
    let out = eqnemix(&cluster_args(bad.to_str().unwrap(), dst.to_str().unwrap(), "3", &[]));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.csv")
            && err.contains("line 10")
            && err.contains("`latitude`")
            && err.contains("35.7x"),
        "{err}"
    );
    assert!(!dst.exists(), "nothing is written when the catalog is bad");

    // Too many clusters for the data: the message names the problem.
    let tiny = dir.path().join("tiny.csv");
    std::fs::write(&tiny, "time,lat,lon,depth\n2020-01-01T00:00:00Z,35,-117,5\n2020-01-01T00:00:01Z,35.1,-117,5\n2020-01-01T00:00:02Z,35.2,-117,5\n").unwrap();
    let out = eqnemix(&cluster_args(tiny.to_str().unwrap(), dst.to_str().unwrap(), "2", &[]));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cluster") && err.contains("at least 2"),
        "{err}"
    );

    // Unknown model.
    let out = eqnemix(&cluster_args(tiny.to_str().unwrap(), dst.to_str().unwrap(), "2", &["--model", "DBSCAN"]));
    assert!(!out.status.success());
}

/// Issue 16: `--max-iter 0` panicked (index out of bounds in k-means); it is
/// now a clear error, from the CLI and from the library.
#[test]
fn zero_iterations_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let dst = dir.path().join("out");
    let src = sample();
    let out = eqnemix(&cluster_args(src.to_str().unwrap(), dst.to_str().unwrap(), "3", &["--max-iter", "0"]));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("--max-iter") && !err.contains("panicked"), "{err}");
    assert!(!dst.exists());

    use eqnemix::clustering::kmeans::{kmeans, KMeansConfig, KMeansError};
    let pts = [[0.0, 0.0], [1.0, 0.0], [5.0, 5.0]];
    let cfg = KMeansConfig { n_clusters: 2, max_iter: 0, ..Default::default() };
    assert!(matches!(kmeans(&pts, &cfg), Err(KMeansError::BadIterations { max_iter: 0, .. })));
    let cfg = KMeansConfig { n_clusters: 2, tol: f64::NAN, ..Default::default() };
    assert!(matches!(kmeans(&pts, &cfg), Err(KMeansError::BadIterations { .. })));
}

/// Issue 16: a catalog either side of the antimeridian had its longitudes
/// averaged arithmetically (179.95° and -179.95° gave an origin at 0°, the
/// clusters 20,000 km away). The default origin is now the unwrapped mean.
#[test]
fn catalog_straddling_the_antimeridian_clusters_where_the_events_are() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("time,lat,lon,depth\n");
    for i in 0..40 {
        let lon = if i % 2 == 0 { 179.95 - 0.001 * i as f64 } else { -179.95 + 0.001 * i as f64 };
        let lat = -17.0 + 0.002 * i as f64;
        text += &format!("2020-01-01T00:{:02}:00Z,{lat},{lon},{}\n", i, 10.0 + 0.1 * i as f64);
    }
    let src = dir.path().join("fiji.csv");
    std::fs::write(&src, text).unwrap();
    let dst = dir.path().join("out");
    run_ok(&cluster_args(src.to_str().unwrap(), dst.to_str().unwrap(), "2", &["--seed", "1"]));
    let meta = read_clusters_metadata(dst.join("clusters_metadata.json")).unwrap();
    assert!(meta.origin.lon_deg.abs() > 179.9, "origin {:?}", meta.origin);
    assert!((meta.origin.lat_deg + 16.961).abs() < 1e-6, "origin {:?}", meta.origin);
    let file = read_clusters_gaussian(dst.join("clusters_gaussian.json")).unwrap();
    for g in file.gaussians() {
        // The events lie within ~12 km of their mean epicentre.
        assert!(g.mean_km[0].hypot(g.mean_km[1]) < 15.0, "{g:?}");
        assert!(g.cov_km2[0][0].sqrt() < 15.0 && g.cov_km2[1][1].sqrt() < 15.0, "{g:?}");
    }
}
