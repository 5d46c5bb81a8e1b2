//! Interrupting `eqnemix locate` (Ctrl-C) and resuming it, through the
//! binary: exit status 130, no temporary files, the finished events' files
//! and `catalog_partial.csv` consistent; `--resume` completes the catalog
//! byte for byte as an uninterrupted run writes it; temporary files a
//! killed run left behind are removed by the next run.
//!
//! The main test cancels the run itself after a given number of events
//! (the hidden `--cancel-after-events`, the same cancellation Ctrl-C
//! raises), on one worker thread so exactly that many events are written;
//! a second test sends a real SIGINT once the first event is written.

mod common;

use common::{exact_pick_rows, write_three_clusters, THREE_SOURCES};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};


/// Inputs of `n` events (picks at one station at the origin, exact for
/// sources near three cluster means, 100 s apart, each with its own
/// probability window) and a quick sampler: `[config, picks, stations,
/// probabilities, clusters]`.
fn write_inputs(dir: &Path, n: usize, sampler: &str) -> [PathBuf; 5] {
    let clusters = write_three_clusters(dir);

    let utc = |t: f64| format!("2021-03-04T{:02}:{:02}:{:09.6}Z", 5 + (t / 3600.0) as u32, ((t % 3600.0) / 60.0) as u32, t % 60.0);
    let mut picks = String::from("event_id,station,phase,time_utc,sigma_s,back_azimuth_deg,sigma_back_azimuth_deg\n");
    let mut probs = String::from("start_time,end_time,clusters_prob\n");
    for i in 0..n {
        let k = i % 3;
        let t0 = 100.0 * i as f64;
        picks += &exact_pick_rows(&format!("ev{i:02}"), THREE_SOURCES[k], t0, utc);
        let mut w = [0.1; 3];
        w[k] = 0.8;
        probs += &format!("{},{},{};{};{}\n", utc(t0), utc(t0 + 60.0), w[0], w[1], w[2]);
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
        format!("n_chains = 2\nseed = 3\n[travel_time]\nkind = \"homogeneous\"\nvp_km_s = 6.0\nvs_km_s = 3.5\n[sampler]\n{sampler}\n"),
    )
    .unwrap();
    [cfg, pp, stations, prob, clusters]
}

const QUICK: &str = "kind = \"smc\"\nn_particles = 300";

fn locate(inputs: &[PathBuf; 5], out: &Path, extra: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_eqnemix"));
    c.args(["locate", "--quiet"])
        .args(extra)
        .arg("--config")
        .arg(&inputs[0])
        .arg("--picks")
        .arg(&inputs[1])
        .arg("--stations")
        .arg(&inputs[2])
        .arg("--probabilities")
        .arg(&inputs[3])
        .arg("--clusters")
        .arg(&inputs[4])
        .arg("--out")
        .arg(out);
    c
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

fn text(o: &Output) -> String {
    format!("status {:?}\nstdout:\n{}\nstderr:\n{}", o.status, String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// Event ids of the rows of a catalog CSV.
fn catalog_ids(path: &Path) -> Vec<String> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let col = r.headers().unwrap().iter().position(|c| c == "event_id").unwrap();
    r.records().map(|row| row.unwrap()[col].to_string()).collect()
}

/// Every event in `ids` has its result files, parseable, and its record.
fn assert_events_complete(out: &Path, ids: &[String]) {
    for id in ids {
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join(format!("{id}.json"))).unwrap()).unwrap();
        assert_eq!(json["event_id"], id.as_str());
        eqnemix::output::hyp::parse_hyp(&std::fs::read_to_string(out.join(format!("{id}.hyp"))).unwrap()).unwrap();
        assert!(std::fs::read_to_string(out.join(format!("{id}.xml"))).unwrap().contains("</q:quakeml>"));
        assert!(out.join(format!("{id}.done")).is_file(), "{id}.done");
    }
}

fn no_temp_files(out: &Path) {
    let left: Vec<_> = names(out).into_iter().filter(|n| n.starts_with(".eqnemix")).collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
}

#[test]
fn cancelled_run_exits_130_and_resume_writes_the_uninterrupted_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = write_inputs(dir.path(), 6, QUICK);

    let full = dir.path().join("full");
    let o = locate(&inputs, &full, &[]).output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let full_catalog = std::fs::read(full.join("catalog.csv")).unwrap();
    let all_ids = catalog_ids(&full.join("catalog.csv"));
    assert_eq!(all_ids.len(), 6);

    // A catalog of an earlier run in the folder must not survive an
    // interrupted one (it would not match the per-event files).
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("catalog.csv"), "stale\n").unwrap();
    // One worker: events start in input order, and exactly two finish.
    let o = locate(&inputs, &out, &["--cancel-after-events", "2"]).env("RAYON_NUM_THREADS", "1").output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", text(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("interrupted: 2 of 6 events written") && stderr.contains("rerun with --resume"), "{}", text(&o));
    no_temp_files(&out);
    assert!(!out.join("catalog.csv").exists(), "{:?}", names(&out));
    let partial = catalog_ids(&out.join("catalog_partial.csv"));
    assert_eq!(partial, all_ids[..2]);
    assert_events_complete(&out, &partial);
    for id in &all_ids[2..] {
        assert!(!out.join(format!("{id}.json")).exists() && !out.join(format!("{id}.done")).exists(), "{id}: {:?}", names(&out));
    }
    // The partial catalog's rows are the uninterrupted run's.
    let full_text = String::from_utf8(full_catalog.clone()).unwrap();
    let partial_text = std::fs::read_to_string(out.join("catalog_partial.csv")).unwrap();
    assert_eq!(partial_text.lines().collect::<Vec<_>>(), full_text.lines().take(3).collect::<Vec<_>>());

    // A finished event whose file was damaged since is located again.
    let hyp1 = out.join(format!("{}.hyp", all_ids[1]));
    let len = std::fs::metadata(&hyp1).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(&hyp1).unwrap().set_len(len / 2).unwrap();
    let kept = out.join(format!("{}.json", all_ids[0]));
    let kept_before = (std::fs::read(&kept).unwrap(), std::fs::metadata(&kept).unwrap().modified().unwrap());

    let o = locate(&inputs, &out, &["--resume"]).output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("located 6 of 6 events (1 kept from the earlier run)"), "{}", text(&o));
    no_temp_files(&out);
    assert!(!out.join("catalog_partial.csv").exists(), "{:?}", names(&out));
    assert_eq!(std::fs::read(out.join("catalog.csv")).unwrap(), full_catalog, "resumed catalog differs from the uninterrupted one");
    assert_events_complete(&out, &all_ids);
    assert_eq!(std::fs::metadata(&hyp1).unwrap().len(), len);
    // The kept event was not rewritten.
    assert_eq!((std::fs::read(&kept).unwrap(), std::fs::metadata(&kept).unwrap().modified().unwrap()), kept_before);
    assert_eq!(std::fs::read_to_string(out.join("catalog.xml")).unwrap().matches("<event ").count(), 6);

    // Resuming a finished run keeps every event and writes the same catalog.
    let o = locate(&inputs, &out, &["--resume"]).output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("(6 kept from the earlier run)"), "{}", text(&o));
    assert_eq!(std::fs::read(out.join("catalog.csv")).unwrap(), full_catalog);

    // A different configuration (seed) keeps nothing.
    let cfg = std::fs::read_to_string(&inputs[0]).unwrap().replace("seed = 3", "seed = 4");
    std::fs::write(&inputs[0], cfg).unwrap();
    let o = locate(&inputs, &out, &["--resume", "--cancel-after-events", "1"]).env("RAYON_NUM_THREADS", "1").output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("interrupted: 1 of 6 events written"), "{}", text(&o));
    assert!(!out.join("catalog.csv").exists());
    assert_eq!(catalog_ids(&out.join("catalog_partial.csv")), all_ids[..1]);
}

#[test]
fn sigint_stops_the_run_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    // Many events, so the run cannot finish between the first record and the signal.
    let n = 200;
    let inputs = write_inputs(dir.path(), n, "kind = \"nuts\"\nn_warmup = 300\nn_draws = 300");
    let out = dir.path().join("out");
    let mut child = locate(&inputs, &out, &[]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    // Wait (generously) for the first finished event, then press Ctrl-C.
    let t = Instant::now();
    while !(out.is_dir() && names(&out).iter().any(|f| f.ends_with(".done"))) {
        assert!(t.elapsed() < Duration::from_secs(600), "no event finished in 600 s");
        if let Some(s) = child.try_wait().unwrap() {
            panic!("eqnemix ended before any event was written: {s:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let k = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(k.success());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", text(&o));
    no_temp_files(&out);
    let written = catalog_ids(&out.join("catalog_partial.csv"));
    assert!(!written.is_empty() && written.len() < n, "{written:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains(&format!("interrupted: {} of {n} events written", written.len())), "{}", text(&o));
    assert_events_complete(&out, &written);
    // Every event with a record is in the catalog, and none other has files.
    let done: Vec<String> = names(&out).into_iter().filter_map(|f| f.strip_suffix(".done").map(String::from)).collect();
    let mut sorted = written.clone();
    sorted.sort();
    assert_eq!(done, sorted);
    assert!(!out.join("catalog.csv").exists());
}

/// A run killed outright (SIGKILL: no chance to clean up) once its first
/// event is written: `--resume` removes what it left, keeps the events
/// whose records survived and writes the uninterrupted run's catalog.
#[test]
fn sigkill_then_resume_writes_the_uninterrupted_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = write_inputs(dir.path(), 30, QUICK);
    let full = dir.path().join("full");
    let o = locate(&inputs, &full, &[]).output().unwrap();
    assert!(o.status.success(), "{}", text(&o));

    let out = dir.path().join("out");
    let mut child = locate(&inputs, &out, &[]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let t = Instant::now();
    while !(out.is_dir() && names(&out).iter().any(|f| f.ends_with(".done"))) && child.try_wait().unwrap().is_none() {
        assert!(t.elapsed() < Duration::from_secs(600), "no event finished in 600 s");
        std::thread::sleep(Duration::from_millis(5));
    }
    // Whether it is still running or not, the outcome must be the same.
    let _ = Command::new("kill").args(["-KILL", &child.id().to_string()]).status();
    child.wait().unwrap();

    let o = locate(&inputs, &out, &["--resume"]).output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    no_temp_files(&out);
    assert_eq!(std::fs::read(out.join("catalog.csv")).unwrap(), std::fs::read(full.join("catalog.csv")).unwrap());
}

#[test]
fn temporary_files_of_a_killed_run_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = write_inputs(dir.path(), 2, QUICK);
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    // What a run killed between creating a temporary file and renaming it
    // leaves behind, and files that are not eqnemix's.
    for f in [".eqnemix-tmp-Ab12Cd", ".eqnemix-tmp-X9y8Z7.png", ".hidden", "notes.txt"] {
        std::fs::write(out.join(f), "x").unwrap();
    }
    let o = locate(&inputs, &out, &[]).output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    no_temp_files(&out);
    assert!(out.join(".hidden").is_file() && out.join("notes.txt").is_file(), "{:?}", names(&out));
    assert_eq!(catalog_ids(&out.join("catalog.csv")).len(), 2);
}

/// Every sampler's records read back (NaN diagnostics, weighted draws):
/// resuming a finished run keeps every event.
#[test]
fn resume_keeps_the_events_of_each_sampler() {
    for sampler in ["kind = \"importance\"", "kind = \"nuts\"\nn_warmup = 200\nn_draws = 200", "kind = \"octree\""] {
        let dir = tempfile::tempdir().unwrap();
        let inputs = write_inputs(dir.path(), 2, sampler);
        let out = dir.path().join("out");
        let o = locate(&inputs, &out, &[]).output().unwrap();
        assert!(o.status.success(), "{sampler}: {}", text(&o));
        let first = std::fs::read(out.join("catalog.csv")).unwrap();
        let o = locate(&inputs, &out, &["--resume"]).output().unwrap();
        assert!(String::from_utf8_lossy(&o.stdout).contains("(2 kept from the earlier run)"), "{sampler}: {}", text(&o));
        assert_eq!(std::fs::read(out.join("catalog.csv")).unwrap(), first, "{sampler}");
    }
}
