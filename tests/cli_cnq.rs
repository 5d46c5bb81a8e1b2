//! The ConvNetQuake subcommands end to end on tiny inputs (a 12 minute
//! stream made by `eqnemix generate`, the shipped held-out windows): each
//! writes what it promises, and bad inputs are errors naming the file or
//! the field. `train` runs one epoch when the Python it would use
//! (`EQNEMIX_PYTHON`, else `python3`) has torch and matplotlib; otherwise
//! that one test prints why it skipped and only its argument checks run.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chrono::{DateTime, Utc};
use eqnemix_models::convnetquake::{read_dataset, Dataset, WindowLabel, WINDOW_SAMPLES};

fn eqnemix(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_eqnemix")).args(args).output().expect("running eqnemix")
}

/// Runs eqnemix and returns stdout, failing the test with stderr otherwise.
fn ok(args: &[&str]) -> String {
    let out = eqnemix(args);
    assert!(out.status.success(), "eqnemix {args:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs eqnemix, expects failure, returns stderr.
fn fails(args: &[&str]) -> String {
    let out = eqnemix(args);
    assert!(!out.status.success(), "eqnemix {args:?} should fail; stdout:\n{}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

/// A tiny synthetic stream: 0.2 h, 3 events (seed 7), in `dir/streams`.
/// Returns (streams dir, station lat, station lon).
fn tiny_stream(dir: &Path) -> (PathBuf, String, String) {
    let streams = dir.join("streams");
    ok(&["generate", "--config", "defaults", "--out", s(&streams), "--seed", "7", "--duration-hours", "0.2", "--n-events", "3"]);
    let mut r = csv::Reader::from_path(streams.join("stations.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    let row = r.records().next().unwrap().unwrap();
    let col = |name: &str| row[h.iter().position(|c| c == name).unwrap()].to_string();
    (streams, col("latitude"), col("longitude"))
}

fn mseed_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "mseed"))
        .map(|p| p.to_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

/// Origin times and generator cluster ids of a generated catalog.
fn origins(catalog: &Path) -> Vec<(DateTime<Utc>, i64)> {
    csv_rows(catalog).iter().map(|r| (r["time"].parse().unwrap(), r["cluster_id"].parse().unwrap())).collect()
}

fn rms(w: &[[f32; 3]]) -> f64 {
    (w.iter().flat_map(|s| s.iter()).map(|v| (*v as f64).powi(2)).sum::<f64>() / (3 * w.len()) as f64).sqrt()
}

#[test]
fn create_dataset_events_cuts_one_labelled_window_per_event_starting_before_p() {
    let dir = tempfile::tempdir().unwrap();
    let (streams, lat, lon) = tiny_stream(dir.path());
    let out = dir.path().join("events");
    // The generator's catalog carries a cluster_id column (its own cluster index).
    let catalog = streams.join("catalog.csv");
    let stdout = ok(&[
        "create-dataset-events", "--stream-dir", s(&streams), "--catalog", s(&catalog), "--output-dir", s(&out),
        "--station-lat", &lat, "--station-lon", &lon, "--save-mseed", "--plot",
    ]);
    assert!(stdout.contains("3 event windows"), "{stdout}");
    let d = read_dataset(&out).unwrap();
    let truth = origins(&catalog);
    assert_eq!(d.len(), truth.len());
    for (i, (l, (origin, cluster))) in d.labels.iter().zip(&truth).enumerate() {
        assert_eq!((l.cluster_id, l.label), (*cluster, cluster + 1), "window {i}");
        assert!(l.start_time > *origin, "window {i} starts at {} before its origin {origin}", l.start_time);
        // The true P arrives 0.6-1.6 s into the window (margin 1 s, 6 km/s
        // against the layered model): the first 0.3 s are noise only.
        let w = d.window(i);
        let (before, after) = (rms(&w[..30]), rms(&w[170..]));
        assert!(after > 5.0 * before, "window {i}: rms {after} after P vs {before} in the first 0.3 s");
    }
    let count = |sub: &str| std::fs::read_dir(out.join(sub)).map(|r| r.count()).unwrap_or(0);
    assert_eq!((count("mseed"), count("png")), (3, 3));
}

#[test]
fn create_dataset_events_errors_name_the_file_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let (streams, lat, lon) = tiny_stream(dir.path());
    let out = dir.path().join("events");
    let run = |catalog: &Path, stream_dir: &Path| {
        fails(&[
            "create-dataset-events", "--stream-dir", s(stream_dir), "--catalog", s(catalog), "--output-dir", s(&out),
            "--station-lat", &lat, "--station-lon", &lon,
        ])
    };
    let no_ids = dir.path().join("no_ids.csv");
    std::fs::write(&no_ids, "event_id,time,latitude,longitude,depth,mag\ne1,2019-07-06T00:02:00Z,35.8,-117.55,7,2.5\n").unwrap();
    let err = run(&no_ids, &streams);
    assert!(err.contains("no_ids.csv") && err.contains("cluster_id"), "{err}");

    let bad_id = dir.path().join("bad_id.csv");
    std::fs::write(&bad_id, "event_id,time,latitude,longitude,depth,mag,cluster_id\ne1,2019-07-06T00:02:00Z,35.8,-117.55,7,2.5,x\n").unwrap();
    let err = run(&bad_id, &streams);
    assert!(err.contains("bad_id.csv") && err.contains("line 2") && err.contains("\"x\""), "{err}");

    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let err = run(&streams.join("catalog.csv"), &empty);
    assert!(err.contains("empty") && err.contains("no miniSEED"), "{err}");
    assert!(!out.exists(), "no output on error");
}

#[test]
fn create_dataset_noise_windows_avoid_every_event() {
    let dir = tempfile::tempdir().unwrap();
    let (streams, _, _) = tiny_stream(dir.path());
    let catalog = streams.join("catalog.csv");
    let out = dir.path().join("noise");
    let files = mseed_in(&streams);
    let noise_args = |out: &Path, max: &str| -> Vec<String> {
        let mut a: Vec<String> = ["create-dataset-noise", "--stream-path"].map(String::from).to_vec();
        a.extend(files.iter().cloned());
        a.extend(["--catalog", s(&catalog), "--output-dir", s(out), "--step", "5", "--max-windows", max].map(String::from));
        a
    };
    let args = noise_args(&out, "1000");
    ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let d = read_dataset(&out).unwrap();
    assert!(d.len() >= 5, "{} noise windows", d.len());
    let events = origins(&catalog);
    for l in &d.labels {
        assert_eq!((l.label, l.cluster_id), (0, -1));
        let end = l.start_time + chrono::Duration::seconds(10);
        for (o, _) in &events {
            let busy = (*o - chrono::Duration::seconds(10), *o + chrono::Duration::seconds(120));
            assert!(end <= busy.0 || l.start_time >= busy.1, "noise window at {} overlaps the event at {o}", l.start_time);
        }
    }
    // --max-windows caps the count.
    let capped = dir.path().join("capped");
    ok(&noise_args(&capped, "2").iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(read_dataset(&capped).unwrap().len(), 2);

    let err = fails(&["create-dataset-noise", "--stream-path", s(&dir.path().join("missing.mseed")), "--catalog", s(&catalog), "--output-dir", s(&out)]);
    assert!(err.contains("missing.mseed"), "{err}");
    let err = fails(&["create-dataset-noise", "--stream-path", &files[0], "--catalog", s(&catalog), "--output-dir", s(&out), "--step", "0"]);
    assert!(err.contains("--step"), "{err}");
}

/// A dataset of `n` windows of unit-variance white noise per component.
fn white_dataset(dir: &Path, n: usize, label: usize) -> Dataset {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let mut d = Dataset::default();
    let t0: DateTime<Utc> = "2020-01-01T00:00:00Z".parse().unwrap();
    for i in 0..n {
        let w: Vec<[f32; 3]> = (0..WINDOW_SAMPLES).map(|_| [0; 3].map(|_: i32| rng.sample::<f32, _>(rand_distr::StandardNormal))).collect();
        let t = t0 + chrono::Duration::seconds(10 * i as i64);
        let l = if label == 0 { WindowLabel::noise(t, "XX.W.") } else { WindowLabel::event(label - 1, t, "XX.W.", "test") };
        d.push(l, &w).unwrap();
    }
    eqnemix_models::convnetquake::write_dataset(dir, &d).unwrap();
    d
}

#[test]
fn data_augmentation_adds_noise_of_the_requested_size_reproducibly() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    let d = white_dataset(&input, 6, 2);
    let run = |out: &Path, seed: &str| ok(&["data-augmentation", "--tfrecords", s(&input), "--output", s(out), "--std-factor", "0.5", "--seed", seed]);
    let (a, b, c) = (dir.path().join("a"), dir.path().join("b"), dir.path().join("c"));
    run(&a, "1");
    run(&b, "1");
    run(&c, "2");
    let (da, db, dc) = (read_dataset(&a).unwrap(), read_dataset(&b).unwrap(), read_dataset(&c).unwrap());
    assert_eq!(da, db, "same seed, same output");
    assert_ne!(da.samples, dc.samples, "another seed, other noise");
    assert_eq!(da.len(), d.len());
    assert!(da.labels.iter().all(|l| l.label == 2 && l.cluster_id == 1));
    // Added noise: std 0.5 x each window component's own std (about 1).
    // Monte Carlo error of the measured std: 0.5 / sqrt(2 x 18000) = 0.0026
    // from the 18000 noise samples, and 0.5 x 0.022 / sqrt(18) = 0.0026 from
    // the 18 window-component stds; 0.015 is over 4 combined sd.
    let diff: Vec<f64> = da.samples.iter().zip(&d.samples).flat_map(|(x, y)| (0..3).map(move |k| (x[k] - y[k]) as f64)).collect();
    let sd = (diff.iter().map(|v| v * v).sum::<f64>() / diff.len() as f64).sqrt();
    assert!((sd - 0.5).abs() < 0.015, "added noise std {sd}");

    let err = fails(&["data-augmentation", "--tfrecords", s(&dir.path().join("nothing")), "--output", s(&a)]);
    assert!(err.contains("nothing") && err.contains("index.csv"), "{err}");
}

/// The Python `train` would run, if it has torch and matplotlib.
fn python_with_torch() -> Result<String, String> {
    let py = std::env::var("EQNEMIX_PYTHON").ok().filter(|p| !p.is_empty()).unwrap_or_else(|| "python3".into());
    match Command::new(&py).args(["-c", "import torch, numpy, matplotlib"]).output() {
        Ok(o) if o.status.success() => Ok(py),
        Ok(o) => Err(format!("{py} cannot import torch/numpy/matplotlib: {}", String::from_utf8_lossy(&o.stderr).lines().last().unwrap_or(""))),
        Err(e) => Err(format!("cannot start {py}: {e}")),
    }
}

#[test]
fn train_checks_its_arguments_before_starting_python() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    white_dataset(&data, 2, 3);
    let ck = dir.path().join("ck");
    // Label 3 (cluster 2) does not exist with --n-clusters 2.
    let err = fails(&["train", "--dataset", s(&data), "--n-clusters", "2", "--checkpoint-dir", s(&ck), "--python", "/nonexistent/python"]);
    assert!(err.contains("index.csv") && err.contains("line 2") && err.contains("label"), "{err}");
    let err = fails(&["train", "--dataset", s(&dir.path().join("none")), "--n-clusters", "3", "--checkpoint-dir", s(&ck)]);
    assert!(err.contains("none") && err.contains("index.csv"), "{err}");
    let err = fails(&["train", "--dataset", s(&data), "--n-clusters", "0", "--checkpoint-dir", s(&ck)]);
    assert!(err.contains("--n-clusters"), "{err}");
    // Truncated samples file.
    let f = data.join("windows.f32");
    let bytes = std::fs::read(&f).unwrap();
    std::fs::write(&f, &bytes[..bytes.len() - 12]).unwrap();
    let err = fails(&["train", "--dataset", s(&data), "--n-clusters", "3", "--checkpoint-dir", s(&ck)]);
    assert!(err.contains("windows.f32") && err.contains("bytes"), "{err}");
    // A Python that does not exist: the error names it.
    std::fs::write(&f, &bytes).unwrap();
    let err = fails(&["train", "--dataset", s(&data), "--n-clusters", "3", "--checkpoint-dir", s(&ck), "--python", "/nonexistent/python"]);
    assert!(err.contains("/nonexistent/python"), "{err}");
}

#[test]
fn train_one_epoch_writes_an_onnx_model_checkpoints_and_curve() {
    let py = match python_with_torch() {
        Ok(py) => py,
        Err(why) => {
            println!("SKIPPED train_one_epoch_writes_an_onnx_model_checkpoints_and_curve: {why}");
            return;
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let (noise, events) = (dir.path().join("noise"), dir.path().join("events"));
    white_dataset(&noise, 8, 0);
    white_dataset(&events, 8, 2);
    let ck = dir.path().join("ck");
    let reference = dir.path().join("ref.csv");
    let stdout = ok(&[
        "train", "--dataset", s(&noise), s(&events), "--n-clusters", "2", "--checkpoint-dir", s(&ck), "--python", &py, "--epochs", "1",
        "--batch-size", "4", "--reference", s(&events), "--reference-out", s(&reference),
    ]);
    assert!(stdout.contains("trained model"), "{stdout}");
    for f in ["convnetquake.onnx", "training_curve.png", "history.csv"] {
        assert!(ck.join(f).is_file(), "{f} missing");
    }
    assert!(std::fs::read_dir(&ck).unwrap().any(|e| e.unwrap().file_name().to_string_lossy().starts_with("model-")), "no checkpoint");
    assert_eq!(std::fs::read_to_string(ck.join("history.csv")).unwrap().lines().count(), 2, "header + 1 epoch");
    // The exported model has K + 1 = 3 classes and reproduces the PyTorch outputs.
    let mut m = eqnemix_models::convnetquake::ConvNetQuake::load_for_clusters(ck.join("convnetquake.onnx"), 2).unwrap();
    let d = read_dataset(&events).unwrap();
    let p = m.predict(&d.windows()[..4]).unwrap();
    let mut r = csv::Reader::from_path(&reference).unwrap();
    for (got, row) in p.iter().zip(r.records()) {
        let want: Vec<f32> = row.unwrap().iter().skip(1).map(|v| v.parse().unwrap()).collect();
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-4, "ONNX {g} vs PyTorch {w}");
        }
    }
}

/// Parses "cluster accuracy X" and "noise accuracy Y" from evaluate's output.
fn accuracies(stdout: &str) -> (f64, f64) {
    let after = |key: &str| -> f64 {
        let i = stdout.find(key).unwrap_or_else(|| panic!("no {key:?} in\n{stdout}")) + key.len();
        stdout[i..].split_whitespace().next().unwrap().parse().unwrap()
    };
    (after("cluster accuracy "), after("noise accuracy "))
}

/// `evaluate` with the shipped model on the shipped held-out windows (K = 5;
/// chance 1/5 among clusters). Same thresholds as models/tests/convnetquake.rs.
#[test]
fn evaluate_prints_accuracies_far_above_chance_on_held_out_windows() {
    let held = repo("models/tests/data/convnetquake/heldout_sample");
    let stdout = ok(&["evaluate", "--n-clusters", "5", "--dataset", s(&held.join("events")), s(&held.join("noise"))]);
    let (ca, na) = accuracies(&stdout);
    assert!(ca > 0.6 && na > 0.9, "{stdout}");
    assert!(stdout.contains("confusion matrix"), "{stdout}");
    // --events alone: no noise line.
    let stdout = ok(&["evaluate", "--events", "--dataset", s(&held.join("events")), s(&held.join("noise"))]);
    assert!(stdout.contains("cluster accuracy") && !stdout.contains("noise accuracy"), "{stdout}");

    let err = fails(&["evaluate", "--n-clusters", "4", "--dataset", s(&held.join("events"))]);
    assert!(err.contains("convnetquake.onnx") && err.contains("5 classes") && err.contains("6 classes"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    white_dataset(dir.path(), 1, 9);
    let err = fails(&["evaluate", "--dataset", s(dir.path())]);
    assert!(err.contains("label 9"), "{err}");
}

/// All 48 events of the shipped 4 h sample, cut by `create-dataset-events`
/// with the pipeline's cluster ids, then `evaluate`.
#[test]
fn evaluate_on_every_event_of_the_shipped_sample() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("events");
    let catalog = repo("models/tests/data/convnetquake/sample_catalog_pipeline_clusters.csv");
    ok(&[
        "create-dataset-events", "--stream-dir", s(&repo("examples/data/sample")), "--catalog", s(&catalog), "--output-dir", s(&out),
        "--station-lat", "35.7", "--station-lon", "-117.6",
    ]);
    let stdout = ok(&["evaluate", "--n-clusters", "5", "--dataset", s(&out)]);
    assert!(stdout.contains("event windows: 48"), "{stdout}");
    let i = stdout.find("cluster accuracy ").unwrap() + 17;
    let ca: f64 = stdout[i..].split_whitespace().next().unwrap().parse().unwrap();
    assert!(ca > 0.6, "{stdout}");
}

#[test]
fn classify_writes_one_probability_row_per_window() {
    let dir = tempfile::tempdir().unwrap();
    let (streams, _, _) = tiny_stream(dir.path());
    let files = mseed_in(&streams);
    let out = dir.path().join("probs.csv");
    let mut args = vec!["classify", "--stream-path"];
    args.extend(files.iter().map(String::as_str));
    args.extend(["--output", s(&out), "--window-step", "10"]);
    ok(&args);
    let mut r = csv::Reader::from_path(&out).unwrap();
    assert_eq!(r.headers().unwrap().iter().collect::<Vec<_>>(), ["start_time", "end_time", "clusters_prob", "noise_prob"]);
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    // 0.2 h = 720 s: windows at 0, 10, ..., 710 s.
    assert_eq!(rows.len(), 72);
    let mut prev: Option<DateTime<Utc>> = None;
    for row in &rows {
        let (a, b): (DateTime<Utc>, DateTime<Utc>) = (row[0].parse().unwrap(), row[1].parse().unwrap());
        assert_eq!((b - a).num_milliseconds(), 10_000);
        if let Some(p) = prev {
            assert_eq!((a - p).num_milliseconds(), 10_000);
        }
        prev = Some(a);
        let probs: Vec<f64> = row[2].trim_matches(|c| c == '[' || c == ']').split_whitespace().map(|v| v.parse().unwrap()).collect();
        assert_eq!(probs.len(), 5);
        assert!((probs.iter().sum::<f64>() - 1.0).abs() < 1e-3, "{probs:?}");
        let noise: f64 = row[3].parse().unwrap();
        assert!((0.0..=1.0).contains(&noise));
    }
    let err = fails(&["classify", "--stream-path", &files[0], "--output", s(&out), "--window-step", "0"]);
    assert!(err.contains("--window-step"), "{err}");
    let err = fails(&["classify", "--stream-path", s(&dir.path().join("gone.mseed")), "--output", s(&out)]);
    assert!(err.contains("gone.mseed"), "{err}");
}

/// Rows of a CSV whose leading lines may be `#` comments, as header -> value maps.
fn csv_rows(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let text: String = std::fs::read_to_string(path).unwrap().lines().filter(|l| !l.starts_with('#')).map(|l| format!("{l}\n")).collect();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let h = r.headers().unwrap().clone();
    r.records().map(|row| h.iter().map(String::from).zip(row.unwrap().iter().map(String::from)).collect()).collect()
}

/// The model's class k + 1 is cluster k of `eqnemix run`: the pipeline's own
/// clusters stage on the sample configuration, and each sample event's
/// nearest cluster Gaussian (Mahalanobis distance of its true hypocentre)
/// is the cluster_id the held-out labels (and the training labels, made the
/// same way by train_sample_region.py) carry.
#[test]
fn held_out_labels_are_the_clusters_of_eqnemix_run() {
    use eqnemix::pipeline::{stages, RunPipelineConfig};
    let cfg = RunPipelineConfig::from_file(&repo("examples/data/config/run_sample.toml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = stages::stage_data(&cfg, dir.path()).unwrap();
    let clusters = stages::stage_clusters(&cfg, &data, dir.path()).unwrap().clusters;
    assert_eq!(clusters.len(), 5);
    let labels: std::collections::HashMap<String, usize> = csv_rows(&repo("models/tests/data/convnetquake/sample_catalog_pipeline_clusters.csv"))
        .into_iter()
        .map(|r| (r["event_id"].clone(), r["cluster_id"].parse().unwrap()))
        .collect();
    let truth = csv_rows(&repo("examples/data/sample/catalog.csv"));
    assert_eq!(truth.len(), 48);
    let mut seen = [0usize; 5];
    for ev in &truth {
        let x = nalgebra::Vector3::new(ev["east_km"].parse().unwrap(), ev["north_km"].parse().unwrap(), ev["depth"].parse::<f64>().unwrap());
        let d2 = |g: &eqnemix::ClusterGaussian| {
            let m = nalgebra::Vector3::from(g.mean_km);
            let c = nalgebra::Matrix3::from_fn(|i, j| g.cov_km2[i][j]);
            let dx = x - m;
            (dx.transpose() * c.try_inverse().unwrap() * dx)[0]
        };
        let nearest = (0..5).min_by(|&a, &b| d2(&clusters[a]).total_cmp(&d2(&clusters[b]))).unwrap();
        assert_eq!(labels[&ev["event_id"]], nearest, "{}", ev["event_id"]);
        seen[nearest] += 1;
    }
    assert!(seen.iter().all(|&n| n > 0), "every cluster has held-out events: {seen:?}");
}
