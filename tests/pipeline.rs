//! End-to-end tests of `eqnemix run` (the binary) on slices of the shipped
//! sample data (`examples/data/sample/`: synthetic 3C miniSEED with its true
//! catalog and picks): coverage of the true hypocentres, the ConvNetQuake
//! path, and bad inputs (errors naming file, line or key; nothing written).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use toml::Value;

fn eqnemix() -> Command {
    Command::new(env!("CARGO_BIN_EXE_eqnemix"))
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `P(X <= k)` for `X ~ Binomial(n, p)`.
fn binomial_cdf(k: usize, n: usize, p: f64) -> f64 {
    let mut total = 0.0;
    for j in 0..=k.min(n) {
        let ln_c: f64 = (1..=j).map(|i| ((n - j + i) as f64).ln() - (i as f64).ln()).sum();
        total += (ln_c + j as f64 * p.ln() + (n - j) as f64 * (1.0 - p).ln()).exp();
    }
    total
}

/// The sample configuration with its relative paths made absolute and the
/// `overrides` (dotted key, TOML value) applied, written to `dir/run.toml`.
fn config(dir: &Path, overrides: &[(&str, Value)]) -> PathBuf {
    let src = repo().join("examples/data/config/run_sample.toml");
    let base = src.parent().unwrap().to_path_buf();
    let mut t: toml::Table = std::fs::read_to_string(&src).unwrap().parse().unwrap();
    for key in ["run.mseed_dir", "run.catalog", "run.convnetquake_model", "travel_time.model", "pipeline.picks"] {
        let (table, k) = key.split_once('.').unwrap();
        if let Some(Value::String(v)) = t.get_mut(table).and_then(|x| x.get_mut(k)) {
            *v = base.join(&*v).display().to_string();
        }
    }
    for (key, value) in overrides {
        let parts: Vec<&str> = key.split('.').collect();
        let mut cur = &mut t;
        for p in &parts[..parts.len() - 1] {
            cur = cur.entry(p.to_string()).or_insert_with(|| Value::Table(Default::default())).as_table_mut().unwrap();
        }
        cur.insert(parts[parts.len() - 1].to_string(), value.clone());
    }
    let p = dir.join("run.toml");
    std::fs::write(&p, toml::to_string(&t).unwrap()).unwrap();
    p
}

/// A quick sampler for the tests that check plumbing, not calibration.
fn quick() -> Vec<(&'static str, Value)> {
    let sampler: toml::Table = "kind = \"smc\"\nn_particles = 300\n".parse().unwrap();
    vec![("n_chains", Value::Integer(2)), ("sampler", Value::Table(sampler)), ("output.maps", Value::Boolean(false))]
}

fn run(cfg: &Path, out: &Path) -> Output {
    eqnemix().arg("run").arg(cfg).arg("--out").arg(out).arg("--quiet").output().unwrap()
}

fn report(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("run_report.json")).unwrap()).unwrap()
}

fn stem(id: &str) -> String {
    id.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect()
}

/// The model the sample configuration names (trained on its K = 5 clusters).
fn sample_model() -> PathBuf {
    repo().join("models/assets/convnetquake.onnx")
}

#[test]
fn sample_slice_covers_the_truth_at_the_nominal_rate() {
    let dir = tempfile::tempdir().unwrap();
    // From the true picks, so the test checks the posterior, not the picker's
    // recall; the first 24 of the 48 events keep the test near 10 s of CPU.
    let n_events = 24;
    let cfg = config(dir.path(), &[("pipeline.start", Value::String("picks".into())), ("pipeline.max_events", Value::Integer(n_events))]);
    let out = dir.path().join("out");
    let o = run(&cfg, &out);
    let (stdout, stderr) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success(), "eqnemix run failed:\n{stdout}\n{stderr}");
    let r = report(&out);
    let events = r["events"].as_array().unwrap();
    assert_eq!(events.len(), n_events as usize, "every one of the first {n_events} events is located:\n{stdout}");
    // Weights: ConvNetQuake when the sample model exists, else the fallback, said in the report.
    assert_eq!(r["weights_fallback"].as_bool().unwrap(), !sample_model().is_file(), "{}", r["weights_source"]);
    let catalog = std::fs::read_to_string(out.join("catalog.csv")).unwrap();
    assert_eq!(catalog.lines().filter(|l| !l.trim().is_empty()).count(), events.len() + 1);
    for e in events {
        let s = stem(e["event_id"].as_str().unwrap());
        for f in [format!("{s}.hyp"), format!("{s}.xml"), format!("{s}_map.png"), format!("{s}_sections.png")] {
            assert!(out.join("events").join(&f).is_file(), "no events/{f}");
        }
        // R-hat applies to Markov chains only (null for the importance
        // sampler's weighted draws, whose ESS is the weights' Kish ESS).
        assert!(e["max_rhat"].is_null() || e["max_rhat"].as_f64().unwrap().is_finite(), "{}", e["max_rhat"]);
        assert!(e["min_ess_bulk"].as_f64().unwrap() > 0.0);
    }
    assert!(out.join("overview_map.png").is_file() && out.join("probabilities.csv").is_file());
    let md = std::fs::read_to_string(out.join("run_report.md")).unwrap();
    assert!(md.contains("## Coverage") && md.contains("binomial interval"), "{md}");
    // Coverage of the 95% highest-density epicentral regions (the outlines
    // of the overview map: a truth is inside when the draws' smoothed
    // epicentral density at it is above the region's 95% level, see
    // eqnemix::pipeline::hpd). The synthetic events are drawn from the
    // clusters the prior is built from and the picks are exact (up to their
    // stated sigma), so the count of covered truths is Binomial(n, 0.95) for
    // a calibrated posterior. Tolerance: fail when it is implausibly low,
    // P(X <= inside) < 0.001 (n = 24: inside <= 18, rate <= 0.75).
    let cov = &r["coverage"];
    assert!(!cov.is_null(), "synthetic sample data has a truth, but no coverage was computed");
    let n = cov["n"].as_u64().unwrap() as usize;
    let inside = cov["inside"].as_u64().unwrap() as usize;
    assert_eq!(n, events.len(), "every located event should be matched to its true event");
    let p = binomial_cdf(inside, n, 0.95);
    assert!(p >= 1e-3, "only {inside} of {n} truths inside their 95% regions (P = {p:.2e})");
    let ci = cov["interval_95"].as_array().unwrap();
    let (lo, hi) = (ci[0].as_f64().unwrap(), ci[1].as_f64().unwrap());
    let rate = inside as f64 / n as f64;
    assert!(lo <= rate && rate <= hi && lo < hi, "{lo} {rate} {hi}");
}

#[test]
fn convnetquake_gives_the_prior_weights_from_the_window_holding_each_p_pick() {
    if !sample_model().is_file() {
        eprintln!("skipped: {} is missing", sample_model().display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut o = quick();
    o.extend([("pipeline.start", Value::String("picks".into())), ("pipeline.max_events", Value::Integer(4))]);
    let cfg = config(dir.path(), &o);
    let out = dir.path().join("out");
    let res = run(&cfg, &out);
    assert!(res.status.success(), "{}\n{}", String::from_utf8_lossy(&res.stdout), String::from_utf8_lossy(&res.stderr));
    let r = report(&out);
    assert_eq!(r["weights_fallback"], false);
    assert!(r["weights_source"].as_str().unwrap().contains("convnetquake.onnx"));
    let text = std::fs::read_to_string(out.join("probabilities.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next().unwrap(), "start_time,end_time,clusters_prob,noise_prob");
    let rows: Vec<Vec<String>> = lines.map(|l| l.split(',').map(String::from).collect()).collect();
    assert_eq!(rows.len(), 4);
    // The true P times of the first 4 sample events (generator picks).
    let picks = std::fs::read_to_string(repo().join("examples/data/sample/picks.csv")).unwrap();
    let p_times: Vec<chrono::DateTime<chrono::Utc>> =
        picks.lines().skip(1).filter(|l| l.split(',').nth(3) == Some("P")).take(4).map(|l| l.split(',').nth(4).unwrap().parse().unwrap()).collect();
    let events = r["events"].as_array().unwrap();
    assert_eq!(events.len(), 4);
    // The sample configuration's leads (s of record before the P pick): one
    // window each, averaged into one row from the earliest start to the
    // latest end.
    let sample: toml::Table = std::fs::read_to_string(repo().join("examples/data/config/run_sample.toml")).unwrap().parse().unwrap();
    let leads: Vec<f64> = match &sample["pipeline"]["window_before_p_s"] {
        Value::Array(a) => a.iter().map(|v| v.as_float().unwrap()).collect(),
        v => vec![v.as_float().unwrap()],
    };
    let (max_lead, min_lead) = (leads.iter().copied().fold(f64::MIN, f64::max), leads.iter().copied().fold(f64::MAX, f64::min));
    for (row, p) in rows.iter().zip(&p_times) {
        let start: chrono::DateTime<chrono::Utc> = row[0].parse().unwrap();
        let end: chrono::DateTime<chrono::Utc> = row[1].parse().unwrap();
        // The longest lead before the P pick, floored to a 100 Hz sample.
        let lead = (*p - start).num_microseconds().unwrap() as f64 * 1e-6;
        assert!((max_lead..max_lead + 0.0101).contains(&lead), "row starts {lead} s before P, not {max_lead} s");
        let span = (end - start).num_milliseconds() as f64 * 1e-3;
        assert!((span - (10.0 + max_lead - min_lead)).abs() < 0.0101, "row spans {span} s");
        let probs: Vec<f64> = row[2].trim_matches(['[', ']']).split(' ').map(|v| v.parse().unwrap()).collect();
        assert_eq!(probs.len(), 5);
        assert!((probs.iter().sum::<f64>() - 1.0).abs() < 1e-5);
        let noise: f64 = row[3].parse().unwrap();
        assert!((0.0..=1.0).contains(&noise));
        // The event whose P this window holds got these probabilities as its prior weights.
        let ev = events.iter().find(|e| e["truth"]["true_event_id"].is_string() && {
            let w: Vec<f64> = e["prior_weights"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
            w.iter().zip(&probs).all(|(a, b)| (a - b).abs() < 1e-9)
        });
        assert!(ev.is_some(), "no event has the weights {probs:?}");
        // (the CSV has 6 decimals)
        assert!((ev.unwrap()["noise_prob"].as_f64().unwrap() - noise).abs() <= 5e-7);
    }
    // The network's output varies with the window (it is not a constant),
    // and it calls these windows events, not noise.
    assert!(rows.iter().any(|r| r[2] != rows[0][2]), "every window got the same probabilities");
    assert!(rows.iter().all(|r| r[3].parse::<f64>().unwrap() < 0.5), "{rows:?}");
}

#[test]
fn missing_model_falls_back_to_catalog_proportions_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let mut o = quick();
    o.extend([
        ("run.convnetquake_model", Value::String(dir.path().join("no_such_model.onnx").display().to_string())),
        ("pipeline.max_events", Value::Integer(2)),
    ]);
    let cfg = config(dir.path(), &o);
    let out = dir.path().join("out");
    let res = run(&cfg, &out);
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    let r = report(&out);
    assert_eq!(r["weights_fallback"], true);
    assert!(r["weights_source"].as_str().unwrap().contains("no_such_model.onnx"));
    assert!(std::fs::read_to_string(out.join("run_report.md")).unwrap().contains("catalog proportions"));
}

/// No `.eqnemix*` temporary file in `dir`.
fn assert_no_temp_files(dir: &Path) {
    let left: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".eqnemix"))
        .collect();
    assert!(left.is_empty(), "temporary files left in {}: {left:?}", dir.display());
}

/// `eqnemix run` cancelled after three events (the hidden
/// `--cancel-after-events`, the cancellation Ctrl-C raises; one worker, so
/// exactly three are written) exits 130 with the finished events'
/// catalog; `--resume` keeps them and writes the uninterrupted run's
/// catalog byte for byte, and the same report numbers.
#[test]
fn interrupted_run_resumes_to_the_uninterrupted_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let mut o = quick();
    o.extend([("pipeline.start", Value::String("picks".into())), ("pipeline.max_events", Value::Integer(8))]);
    let cfg = config(dir.path(), &o);
    let full = dir.path().join("full");
    let res = run(&cfg, &full);
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    let full_catalog = std::fs::read(full.join("catalog.csv")).unwrap();
    let full_report = report(&full);
    let n = full_report["n_located"].as_u64().unwrap();
    assert!(n > 4, "{n} located");

    let out = dir.path().join("out");
    let res = eqnemix()
        .arg("run")
        .arg(&cfg)
        .arg("--out")
        .arg(&out)
        .args(["--quiet", "--cancel-after-events", "3"])
        .env("RAYON_NUM_THREADS", "1")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(130), "{err}");
    assert!(err.contains("interrupted: 3 of ") && err.contains("rerun with --resume"), "{err}");
    assert_no_temp_files(&out);
    assert_no_temp_files(&out.join("events"));
    assert!(!out.join("catalog.csv").exists() && !out.join("run_report.json").exists());
    let partial = std::fs::read_to_string(out.join("catalog_partial.csv")).unwrap();
    let full_text = String::from_utf8(full_catalog.clone()).unwrap();
    assert_eq!(partial.lines().collect::<Vec<_>>(), full_text.lines().take(4).collect::<Vec<_>>());

    let res = eqnemix().arg("run").arg(&cfg).arg("--out").arg(&out).args(["--quiet", "--resume"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&res.stdout);
    assert!(res.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&res.stderr));
    assert!(stdout.contains("note: 3 events kept from an earlier run"), "{stdout}");
    assert_eq!(std::fs::read(out.join("catalog.csv")).unwrap(), full_catalog, "resumed catalog differs from the uninterrupted one");
    assert!(!out.join("catalog_partial.csv").exists());
    let r = report(&out);
    assert_eq!(r["n_located"], full_report["n_located"]);
    assert_eq!(r["coverage"], full_report["coverage"]);
    let ids = |r: &serde_json::Value| r["events"].as_array().unwrap().iter().map(|e| e["event_id"].clone()).collect::<Vec<_>>();
    assert_eq!(ids(&r), ids(&full_report));
    for (a, b) in r["events"].as_array().unwrap().iter().zip(full_report["events"].as_array().unwrap()) {
        for k in ["location_km", "max_rhat", "min_ess_bulk", "information_gain_nats", "truth"] {
            assert_eq!(a[k], b[k], "{k} of {}", a["event_id"]);
        }
    }

    // Cancelled after the last event: interrupted all the same (no maps,
    // no report), every event written.
    let out = dir.path().join("out2");
    let res = eqnemix()
        .arg("run")
        .arg(&cfg)
        .arg("--out")
        .arg(&out)
        .args(["--quiet", "--cancel-after-events", &n.to_string()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(130), "{err}");
    assert!(err.contains(&format!("interrupted: {n} of {n} events written")), "{err}");
    assert_eq!(std::fs::read(out.join("catalog_partial.csv")).unwrap(), full_catalog);
    assert!(!out.join("run_report.json").exists());
}

/// The first `seconds` of the sample's three components, written into `dir`
/// with the sample's station table and true catalog; returns the time of
/// the first sample.
fn sample_slice(dir: &Path, seconds: f64) -> chrono::DateTime<chrono::Utc> {
    use eqnemix_models::waveform::{read_mseed, write_mseed};
    let sample = repo().join("examples/data/sample");
    std::fs::create_dir_all(dir).unwrap();
    let mut first = None;
    for c in ["HHZ", "HHN", "HHE"] {
        let f = format!("XX.SYN1.00.{c}.mseed");
        let mut st = read_mseed(sample.join(&f)).unwrap();
        let t0 = st.traces.iter().map(|t| t.start).min().unwrap();
        for t in &mut st.traces {
            let keep = ((seconds - (t.start - t0).num_milliseconds() as f64 * 1e-3) * t.sampling_rate).max(0.0) as usize;
            t.data.truncate(keep);
        }
        st.traces.retain(|t| !t.data.is_empty());
        write_mseed(dir.join(&f), &st).unwrap();
        first = Some(t0);
    }
    for f in ["stations.csv", "catalog.csv"] {
        std::fs::copy(sample.join(f), dir.join(f)).unwrap();
    }
    first.unwrap()
}

#[test]
fn waveforms_start_picks_classifies_and_locates_a_slice_of_the_records() {
    if !sample_model().is_file() {
        eprintln!("skipped: {} is missing", sample_model().display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mseed = dir.path().join("mseed");
    let seconds = 1800.0;
    let t0 = sample_slice(&mseed, seconds);
    let mut o = quick();
    o.extend([("run.mseed_dir", Value::String(mseed.display().to_string())), ("pipeline.start", Value::String("waveforms".into()))]);
    let cfg = config(dir.path(), &o);
    let out = dir.path().join("out");
    let res = run(&cfg, &out);
    let stdout = String::from_utf8_lossy(&res.stdout);
    assert!(res.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&res.stderr));
    let r = report(&out);
    assert!(r["picks_source"].as_str().unwrap().contains("EQTransformer"));
    assert!(out.join("X_prediction_results.csv").is_file());
    assert_eq!(r["weights_fallback"], false);
    // True events whose S arrives 30 s before the slice ends.
    let truth = std::fs::read_to_string(mseed.join("catalog.csv")).unwrap();
    let mut lines = truth.lines().filter(|l| !l.starts_with('#'));
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    let (ip, is) = (head.iter().position(|h| *h == "p_time").unwrap(), head.iter().position(|h| *h == "s_time").unwrap());
    let times: Vec<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)> =
        lines.map(|l| l.split(',').collect::<Vec<_>>()).map(|f| (f[ip].parse().unwrap(), f[is].parse().unwrap())).collect();
    let n_true = times.iter().filter(|t| (t.1 - t0).num_seconds() < seconds as i64 - 30).count();
    // EQTransformer, at its own thresholds, gives both P and S for 46 of the
    // 48 events of the whole sample (examples/data/sample/README.md);
    // require 4 in 5 of the slice's truths matched, every detection located,
    // and the truths found covered at the nominal rate (same binomial
    // tolerance as above).
    let cov = &r["coverage"];
    let (n, inside) = (cov["n"].as_u64().unwrap() as usize, cov["inside"].as_u64().unwrap() as usize);
    assert!(5 * n >= 4 * n_true, "{n} of {n_true} true events detected and located:\n{stdout}");
    assert_eq!(r["n_located"], r["n_detections"]);
    assert!(binomial_cdf(inside, n, 0.95) >= 1e-3, "only {inside} of {n} truths inside their 95% regions");
    // The report compares every detection's picks with the true arrivals
    // of the events whose P lies within the records.
    let pa = &r["picks_vs_truth"];
    let in_records = times.iter().filter(|t| (t.0 - t0).num_milliseconds() < (seconds * 1000.0) as i64).count();
    assert_eq!((pa["n_true"].as_u64().unwrap() as usize, r["n_true_events"].as_u64().unwrap() as usize), (in_records, in_records), "{pa}");
    // Every true event with both picks in one detection is located and
    // matched; a detection split in two (the second half starting at S, as
    // ev0000's) is a second located event matched to the same truth.
    let n_both = pa["n_with_p_and_s"].as_u64().unwrap() as usize;
    assert!(n_both <= n && n <= r["n_located"].as_u64().unwrap() as usize, "{n} matched, {n_both} with both picks: {pa}");
    // The picks are as good as on real records (whole sample: P RMS 0.14 s,
    // S-P RMS 0.13 s): S-P within 0.3 s RMS.
    assert!(pa["p_error"]["n"].as_u64().unwrap() as usize >= n && pa["s_minus_p_error"]["rms_s"].as_f64().unwrap() < 0.3, "{pa}");
    // With picks that good and no added picker error, the picks, not the
    // prior, place the events: most located events are not prior-dominated
    // (0 of 48 on the whole sample), and most truths lie within 10 km of
    // the headline location (require 3 in 4).
    let events = r["events"].as_array().unwrap();
    let prior_dominated = events.iter().filter(|e| e["prior_dominated"] == true).count();
    assert!(2 * prior_dominated < events.len(), "{prior_dominated} of {} located events prior-dominated", events.len());
    let errors: Vec<f64> = events.iter().filter_map(|e| e["truth"]["error_km"].as_f64()).collect();
    let close = errors.iter().filter(|&&e| e < 10.0).count();
    assert!(4 * close >= 3 * errors.len(), "only {close} of {} truths within 10 km: {errors:?}", errors.len());
}

/// The run failed with a message containing every one of `needles`, and
/// wrote nothing into `out`.
fn assert_failed_cleanly(o: &Output, out: &Path, needles: &[&str]) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "should fail");
    for n in needles {
        assert!(err.contains(n), "`{n}` not in:\n{err}");
    }
    assert!(!out.exists(), "outputs were written: {:?}", std::fs::read_dir(out).unwrap().map(|e| e.unwrap().path()).collect::<Vec<_>>());
}

#[test]
fn model_with_the_wrong_class_count_is_an_error_naming_file_and_numbers() {
    if !sample_model().is_file() {
        eprintln!("skipped: {} is missing", sample_model().display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // K = 4 clusters, a model with 5 + 1 classes.
    let cfg = config(dir.path(), &[("run.n_clusters", Value::Integer(4))]);
    let out = dir.path().join("out");
    assert_failed_cleanly(&run(&cfg, &out), &out, &["convnetquake.onnx", "6 output classes", "K = 4", "K + 1 = 5"]);
}

#[test]
fn missing_component_is_an_error_naming_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let sample = repo().join("examples/data/sample");
    let mseed = dir.path().join("mseed");
    std::fs::create_dir(&mseed).unwrap();
    for f in ["XX.SYN1.00.HHZ.mseed", "XX.SYN1.00.HHN.mseed", "stations.csv", "catalog.csv", "picks.csv"] {
        std::fs::copy(sample.join(f), mseed.join(f)).unwrap();
    }
    // The records are read (for ConvNetQuake and EQTransformer) before anything is written.
    let cfg = config(dir.path(), &[("run.mseed_dir", Value::String(mseed.display().to_string()))]);
    let out = dir.path().join("out");
    assert_failed_cleanly(&run(&cfg, &out), &out, &["XX.SYN1.00.HHZ.mseed", "XX.SYN1"]);
}

#[test]
fn picks_file_with_a_bad_row_is_an_error_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo().join("examples/data/sample/picks.csv")).unwrap();
    // Line 6 (header = 1): a time that is not a time.
    let bad: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 5 {
                let mut f: Vec<&str> = l.split(',').collect();
                f[4] = "2019-07-06T25:99:00Z";
                f.join(",")
            } else {
                l.to_string()
            }
        })
        .collect();
    let picks = dir.path().join("bad_picks.csv");
    std::fs::write(&picks, bad.join("\n") + "\n").unwrap();
    let start = ("pipeline.start", Value::String("picks".into()));
    let cfg = config(dir.path(), &[start.clone(), ("pipeline.picks", Value::String(picks.display().to_string()))]);
    let out = dir.path().join("out");
    assert_failed_cleanly(&run(&cfg, &out), &out, &["bad_picks.csv:6", "time"]);

    // The eqnemix picks format: an unknown station on line 3.
    let picks = dir.path().join("eqnemix_picks.csv");
    std::fs::write(
        &picks,
        "event_id,station,phase,time_utc,sigma_s\ne1,SYN1,P,2019-07-06T00:02:45.076Z,0.1\ne1,NOPE,S,2019-07-06T00:02:50.469Z,0.1\n",
    )
    .unwrap();
    let cfg = config(dir.path(), &[start, ("pipeline.picks", Value::String(picks.display().to_string()))]);
    assert_failed_cleanly(&run(&cfg, &out), &out, &["eqnemix_picks.csv:3", "NOPE"]);
}

#[test]
fn unknown_key_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bad.toml");
    std::fs::write(&cfg, "n_chains = 2\n[pipeline]\nstrat = \"picks\"\n").unwrap();
    let out = dir.path().join("o");
    assert_failed_cleanly(&eqnemix().arg("run").arg(&cfg).arg("--out").arg(&out).output().unwrap(), &out, &["pipeline.strat", "bad.toml:3"]);

    std::fs::write(&cfg, "[sampler]\nkind = \"nuts\"\nn_draws = 10\nwarmup = 3\n").unwrap();
    assert_failed_cleanly(&eqnemix().arg("run").arg(&cfg).arg("--out").arg(&out).output().unwrap(), &out, &["warmup", "bad.toml:4"]);
}

#[test]
fn missing_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("missing.toml");
    std::fs::write(
        &cfg,
        "[run]\ncatalog = \"no_such_catalog.csv\"\n[pipeline]\nstart = \"picks\"\npicks = \"no_such_picks.csv\"\ngenerate_if_missing = false\n",
    )
    .unwrap();
    let out = dir.path().join("o");
    assert_failed_cleanly(&eqnemix().arg("run").arg(&cfg).arg("--out").arg(&out).output().unwrap(), &out, &["no_such_picks.csv"]);
    let o = eqnemix().arg("run").arg(dir.path().join("nope.toml")).output().unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("nope.toml"));
}
