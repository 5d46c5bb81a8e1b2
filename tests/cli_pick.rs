//! `eqnemix pick` end to end: miniSEED in, X_prediction_results.csv out, on a
//! real local-earthquake record (station CER, bundled with ObsPy) whose
//! original-EQTransformer picks are stored in models/tests/data.

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use eqnemix_models::waveform::{write_mseed_with, MseedEncoding, Stream, Trace, TraceId, WriteOptions};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models").join("tests").join("data")
}

fn read_f32(name: &str) -> Vec<f32> {
    let bytes = std::fs::read(data_dir().join(name)).unwrap();
    bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

/// The 70.99 s CER record (E, N, Z at 100 Hz) stitched from its two
/// reference windows, and the original P pick sample of the first window.
fn cer_record() -> (Vec<[f32; 3]>, usize) {
    let index: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(data_dir().join("eqt_reference.json")).unwrap()).unwrap();
    let windows = index["windows"].as_array().unwrap();
    let find = |name: &str| windows.iter().find(|w| w["name"] == name).unwrap();
    let a = find("CER_2005-07-23+0");
    let b = find("CER_2005-07-23+1099");
    let tri = |v: Vec<f32>| v.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect::<Vec<_>>();
    let mut record = tri(read_f32(a["input"].as_str().unwrap()));
    let tail = tri(read_f32(b["input"].as_str().unwrap()));
    record.extend_from_slice(&tail[6000 - 1099..]);
    let p = a["original_picks"][0]["p_sample"].as_u64().expect("the CER window has an original P pick") as usize;
    (record, p)
}

/// Writes the CER record as miniSEED into `dir`; returns the file, the
/// record's start time and the original P sample.
fn cer_mseed(dir: &Path) -> (PathBuf, DateTime<Utc>, usize) {
    let (record, p_sample) = cer_record();
    let start: DateTime<Utc> = "2005-07-23T14:52:04Z".parse().unwrap();
    let traces = ["BHE", "BHN", "BHZ"]
        .iter()
        .enumerate()
        .map(|(c, ch)| Trace::new(TraceId::new("XX", "CER", "", ch), start, 100.0, record.iter().map(|s| s[c] as f64).collect()))
        .collect();
    let mseed = dir.join("cer.mseed");
    write_mseed_with(&mseed, &Stream::new(traces), &WriteOptions { encoding: MseedEncoding::Float32, record_length: 4096 }).unwrap();
    (mseed, start, p_sample)
}

#[test]
fn pick_mc_dropout_fills_the_uncertainty_columns_reproducibly() {
    let dir = tempfile::tempdir().unwrap();
    let (mseed, _, _) = cer_mseed(dir.path());
    let run = |name: &str| {
        let csv_path = dir.path().join(name);
        let out = Command::new(env!("CARGO_BIN_EXE_eqnemix"))
            .args(["pick", mseed.to_str().unwrap(), "--mc-dropout", "4", "--seed", "3", "-o", csv_path.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        std::fs::read_to_string(csv_path).unwrap()
    };
    let a = run("a.csv");
    assert_eq!(a, run("b.csv"), "same seed, same output");
    let mut reader = csv::Reader::from_reader(a.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let with_p = rows.iter().find(|r| !r[col("p_arrival_time")].is_empty()).expect("a P pick");
    let p_unc: f64 = with_p[col("p_uncertainty")].parse().unwrap();
    let d_unc: f64 = with_p[col("detection_uncertainty")].parse().unwrap();
    assert!(p_unc > 0.0 && p_unc < 0.5, "p_uncertainty {p_unc}");
    assert!((0.0..0.5).contains(&d_unc), "detection_uncertainty {d_unc}");
    // The time sigma is the spread of the passes' P picks (at least one
    // sample), not the peak width the run without dropout writes.
    let p_time: f64 = with_p[col("p_time_uncertainty_s")].parse().unwrap();
    assert!((0.01..0.5).contains(&p_time), "p_time_uncertainty_s {p_time}");
    let plain = dir.path().join("plain.csv");
    let out = Command::new(env!("CARGO_BIN_EXE_eqnemix")).args(["pick", mseed.to_str().unwrap(), "-o", plain.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let plain = std::fs::read_to_string(plain).unwrap();
    let mut reader = csv::Reader::from_reader(plain.as_bytes());
    let row = reader.records().map(|r| r.unwrap()).find(|r| !r[col("p_arrival_time")].is_empty()).expect("a P pick");
    let width: f64 = row[col("p_time_uncertainty_s")].parse().unwrap();
    assert_ne!(width, p_time, "Monte-Carlo time sigma {p_time} equals the peak width {width}");
    // One pass is refused with a clear message.
    let out = Command::new(env!("CARGO_BIN_EXE_eqnemix"))
        .args(["pick", mseed.to_str().unwrap(), "--mc-dropout", "1", "-o", dir.path().join("c.csv").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 2 passes"));
}

#[test]
fn pick_finds_the_original_p_arrival_in_miniseed() {
    let dir = tempfile::tempdir().unwrap();
    let (mseed, start, p_sample) = cer_mseed(dir.path());
    let csv_path = dir.path().join("picks.csv");

    let out = Command::new(env!("CARGO_BIN_EXE_eqnemix"))
        .args(["pick", mseed.to_str().unwrap(), "--station", "XX.CER", "-o", csv_path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let mut reader = csv::Reader::from_path(&csv_path).unwrap();
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "file_name");
    assert_eq!(&headers[11], "p_arrival_time");
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert!(!rows.is_empty(), "no detection in the CER record");
    let original_p = start + Duration::milliseconds(p_sample as i64 * 10);
    let best = rows
        .iter()
        .filter(|r| !r[11].is_empty())
        .map(|r| {
            let t = NaiveDateTime::parse_from_str(&r[11], "%Y-%m-%d %H:%M:%S%.f").unwrap().and_utc();
            (t - original_p).num_microseconds().unwrap().abs() as f64 * 1e-6
        })
        .fold(f64::INFINITY, f64::min);
    assert!(best <= 0.1, "closest P pick is {best} s from the original's; rows: {rows:?}");
}

#[test]
fn pick_reports_a_truncated_file_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.mseed");
    // A plausible fixed header cut short.
    std::fs::write(&path, b"000001D XX CER  BHZXX").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_eqnemix"))
        .args(["pick", path.to_str().unwrap(), "-o", dir.path().join("x.csv").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("broken.mseed"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!dir.path().join("x.csv").exists());
}

/// `eqnemix pick --back-azimuth` on a short synthetic record: every P pick
/// gets a back-azimuth unless it fails the quality gates (a warning each),
/// those at a true P within 3 sigma (and 10 degrees)
/// of the generator's truth, and `read_eqtransformer_picks` (what `eqnemix locate` reads)
/// carries it into the event's picks with kappa = 1/sigma^2 and the flip probability.
#[test]
fn pick_back_azimuth_columns_match_the_synthetic_truth_and_reach_locate() {
    use eqnemix::geo::LocalProjection;
    use eqnemix::locate::inputs::read_eqtransformer_picks;
    use eqnemix::synth::{synthesize, SynthConfig};
    use eqnemix::traveltime::Station;

    let cfg = SynthConfig { seed: 5, duration_hours: 0.15, n_events: 3, min_separation_s: 100.0, ..SynthConfig::default() };
    let data = synthesize(&cfg).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mseed = dir.path().join("syn.mseed");
    write_mseed_with(&mseed, &data.stream, &WriteOptions { encoding: MseedEncoding::Float32, record_length: 4096 }).unwrap();
    let csv_path = dir.path().join("X_prediction_results.csv");
    let out = Command::new(env!("CARGO_BIN_EXE_eqnemix"))
        .args(["pick", mseed.to_str().unwrap(), "--back-azimuth", "-o", csv_path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let spec = &cfg.stations[0];
    let projection = LocalProjection::new(spec.longitude, spec.latitude).unwrap();
    let stations = vec![Station { code: "XX.SYN1".into(), position_km: [0.0, 0.0, 0.0] }];
    let events = read_eqtransformer_picks(&csv_path, &projection, &stations, 0.1).unwrap();
    let mut matched = 0;
    let mut gated = 0;
    for ev in &events {
        let sp = &ev.stations[0];
        assert!(sp.p.is_some() || sp.back_azimuth.is_none(), "{}: a back-azimuth without a P pick", ev.event_id);
        let Some(p) = sp.p else { continue };
        if sp.back_azimuth.is_none() {
            gated += 1;
            continue;
        }
        let t_p = ev.reference_time + Duration::microseconds((p.time_s * 1e6) as i64);
        let Some(truth) = data.events.iter().find(|e| (e.arrivals[0].p_time - t_p).num_milliseconds().abs() < 500) else {
            continue;
        };
        let b = sp.back_azimuth.expect("a P pick must carry a back-azimuth");
        let sigma = (1.0 / b.kappa).sqrt().to_degrees();
        assert!(b.p_flip > 0.0 && b.p_flip < 0.5, "{}: the flip probability is carried: {}", truth.id, b.p_flip);
        let err = (b.azimuth_deg - truth.arrivals[0].back_azimuth_deg + 540.0).rem_euclid(360.0) - 180.0;
        eprintln!("{}: back-azimuth {:.1} +- {sigma:.1}, true {:.1}", truth.id, b.azimuth_deg, truth.arrivals[0].back_azimuth_deg);
        assert!(err.abs() < 3.0 * sigma && err.abs() < 10.0, "{}: error {err:.1} deg, sigma {sigma:.1}", truth.id);
        matched += 1;
    }
    // EQTransformer misses the M2.6 event and picks the M2.1 one's S as P
    // (that row fails the quality gates, a warning says so): one true P is matched.
    assert!(matched >= 1, "none of {} true events picked with a back-azimuth", data.events.len());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("quality gate").count(), gated, "each P pick without a back-azimuth is a gate warning: {stderr}");
}

/// Issue 16: `eqnemix pick -o missing/dir/x.csv` read the records and ran the
/// network before failing to write. The output's folder is now checked first
/// (here the records are not even valid: the folder error must come first).
#[test]
fn pick_checks_the_output_folder_before_anything_else() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.mseed");
    std::fs::write(&path, b"000001D XX CER  BHZXX").unwrap();
    let target = dir.path().join("missing").join("dir").join("x.csv");
    let out = Command::new(env!("CARGO_BIN_EXE_eqnemix"))
        .args(["pick", path.to_str().unwrap(), "-o", target.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("cannot create files in folder") && err.contains("missing/dir"), "{err}");
    assert!(!err.contains("broken.mseed"), "{err}");
    assert!(!dir.path().join("missing").exists());
}

/// `--merge` defaults to the original's per-window rule and the help says
/// that mean and max are not the original's.
#[test]
fn pick_merge_defaults_to_the_original_per_window_rule() {
    let out = Command::new(env!("CARGO_BIN_EXE_eqnemix")).args(["pick", "--help"]).output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("[default: per-window]"), "{help}");
    assert!(help.contains("NOT the original's rule"), "{help}");
    let out = Command::new(env!("CARGO_BIN_EXE_eqnemix")).args(["pick", "x.mseed", "--merge", "average"]).output().unwrap();
    assert!(!out.status.success());
}

/// Runs `eqnemix pick ARGS -o OUT` in `dir`; returns (success, CSV text or
/// empty, stderr).
fn pick(dir: &Path, out: &str, args: &[&str]) -> (bool, String, String) {
    let csv_path = dir.join(out);
    let o = Command::new(env!("CARGO_BIN_EXE_eqnemix")).arg("pick").args(args).args(["-o", csv_path.to_str().unwrap()]).output().unwrap();
    let text = std::fs::read_to_string(&csv_path).unwrap_or_default();
    (o.status.success(), text, String::from_utf8_lossy(&o.stderr).into_owned())
}

/// The CSV rows without the file_name column.
fn rows_without_file(csv: &str) -> Vec<String> {
    csv.lines().skip(1).map(|l| l.split_once(',').map(|(_, rest)| rest.to_string()).unwrap_or_default()).collect()
}

/// Issue 12 item 5 / issue 16: a record dated a year late used to make
/// `eqnemix pick` interpolate a year of samples (10-13 GB); it is now an
/// error naming the file and the record, and no output is written.
#[test]
fn pick_refuses_a_record_dated_a_year_late() {
    let dir = tempfile::tempdir().unwrap();
    let (mseed, start, _) = cer_mseed(dir.path());
    let late = dir.path().join("late.mseed");
    let trace = Trace::new(TraceId::new("XX", "CER", "", "BHZ"), start + Duration::days(365), 100.0, vec![1.0; 300]);
    write_mseed_with(&late, &Stream::new(vec![trace]), &WriteOptions { encoding: MseedEncoding::Float32, record_length: 4096 }).unwrap();
    let (ok, csv, err) = pick(dir.path(), "x.csv", &[mseed.to_str().unwrap(), late.to_str().unwrap()]);
    assert!(!ok && csv.is_empty(), "{err}");
    assert!(err.contains("late.mseed") && err.contains("record 0 at byte offset 0") && err.contains("XX.CER..BHZ"), "{err}");
    assert!(err.contains("365.0 days"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// A record after a 10-minute gap: the records are picked as two segments,
/// and the picks are those of picking each segment's file alone; a small
/// `--chunk-s` does not change them.
#[test]
fn pick_splits_at_a_long_gap_and_picks_each_segment_as_alone() {
    use eqnemix::synth::{synthesize, SynthConfig};
    let cfg = SynthConfig { seed: 5, duration_hours: 0.15, n_events: 3, min_separation_s: 100.0, ..SynthConfig::default() };
    let data = synthesize(&cfg).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, st: &Stream| {
        let p = dir.path().join(name);
        write_mseed_with(&p, st, &WriteOptions { encoding: MseedEncoding::Float32, record_length: 4096 }).unwrap();
        p
    };
    let first = write("first.mseed", &data.stream);
    // the same 9 minutes again, 10 minutes after the end of the first
    let shift = Duration::seconds((cfg.duration_hours * 3600.0) as i64 + 600);
    let later = Stream::new(data.stream.traces.iter().map(|t| Trace { start: t.start + shift, ..t.clone() }).collect());
    let second = write("second.mseed", &later);
    let mut both = data.stream.clone();
    both.traces.extend(later.traces.clone());
    let both = write("both.mseed", &both);

    let (ok, whole, err) = pick(dir.path(), "both.csv", &[both.to_str().unwrap()]);
    assert!(ok, "{err}");
    let (ok, a, err) = pick(dir.path(), "a.csv", &[first.to_str().unwrap()]);
    assert!(ok, "{err}");
    let (ok, b, err) = pick(dir.path(), "b.csv", &[second.to_str().unwrap()]);
    assert!(ok, "{err}");
    let mut alone = rows_without_file(&a);
    alone.extend(rows_without_file(&b));
    assert!(rows_without_file(&a).len() >= 2, "{a}");
    assert_eq!(rows_without_file(&whole), alone);
    // the two halves are the same data: the same picks 19 minutes apart
    assert_eq!(rows_without_file(&a).len(), rows_without_file(&b).len());
    // chunks of one window: the same output
    let (ok, chunked, err) = pick(dir.path(), "c.csv", &[both.to_str().unwrap(), "--chunk-s", "30"]);
    assert!(ok, "{err}");
    assert_eq!(chunked.replace("c.csv", "both.csv"), whole);
    // a limit above the gap interpolates it: one segment
    let o = Command::new(env!("CARGO_BIN_EXE_eqnemix"))
        .args(["pick", both.to_str().unwrap(), "--max-gap-s", "700", "-o", dir.path().join("d.csv").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("in 1 segment,"), "{}", String::from_utf8_lossy(&o.stdout));
}
