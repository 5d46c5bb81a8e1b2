//! End-to-end tests of `eqnemix run` (the binary): the sample configuration
//! into a temporary folder, and bad configurations.

use std::path::Path;
use std::process::Command;

fn eqnemix() -> Command {
    Command::new(env!("CARGO_BIN_EXE_eqnemix"))
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

/// The sample configuration with the output folder and a few overrides
/// (the sample configuration starts from the true picks, so the test does not
/// depend on the picker's recall; a small number of events keeps it short).
fn sample_config(dir: &Path) -> std::path::PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data/config/run_sample.toml");
    let text = std::fs::read_to_string(&src).unwrap();
    let base = src.parent().unwrap().display().to_string();
    // Make the relative paths absolute (the copy lives elsewhere).
    let mut out = String::new();
    for line in text.lines() {
        let t = line.trim_start();
        let is_path = ["mseed_dir", "catalog", "convnetquake_model", "model", "picks"].iter().any(|k| {
            t.strip_prefix(k).is_some_and(|r| r.trim_start().starts_with('='))
        });
        if is_path {
            let (k, v) = line.split_once('=').unwrap();
            let v = v.trim().trim_matches('"');
            out.push_str(&format!("{k}= \"{base}/{v}\"\n"));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    let p = dir.join("run.toml");
    std::fs::write(&p, out).unwrap();
    p
}

#[test]
fn sample_run_writes_catalog_hyp_report_and_covers_the_truth() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = sample_config(dir.path());
    let out = dir.path().join("out");
    let o = eqnemix().arg("run").arg(&cfg).arg("--out").arg(&out).arg("--quiet").output().unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "eqnemix run failed:\n{stdout}\n{stderr}");
    assert!(out.join("catalog.csv").is_file());
    assert!(out.join("run_report.md").is_file());
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("run_report.json")).unwrap()).unwrap();
    let events = report["events"].as_array().unwrap();
    assert!(!events.is_empty(), "no event located:\n{stdout}");
    // Every event has its .hyp; the catalog has one row per event.
    let catalog = std::fs::read_to_string(out.join("catalog.csv")).unwrap();
    assert_eq!(catalog.lines().filter(|l| !l.trim().is_empty()).count(), events.len() + 1);
    for e in events {
        let id = e["event_id"].as_str().unwrap();
        let stem: String = id.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect();
        assert!(out.join("events").join(format!("{stem}.hyp")).is_file(), "no .hyp for {id}");
    }
    // Coverage of the 95% credible regions. The synthetic events are drawn
    // from the clusters the prior is built from and the picks are exact,
    // so the regions should cover at least at the nominal rate. Fail when
    // the count of covered truths is implausibly low under Binomial(n, 0.95):
    // P(X <= inside) < 0.001.
    let cov = &report["coverage"];
    assert!(!cov.is_null(), "synthetic sample data has a truth, but no coverage was computed");
    let n = cov["n"].as_u64().unwrap() as usize;
    let inside = cov["inside"].as_u64().unwrap() as usize;
    assert_eq!(n, events.len(), "every located event should be matched to its true event");
    let p = binomial_cdf(inside, n, 0.95);
    assert!(p >= 1e-3, "only {inside} of {n} truths inside their 95% regions (P = {p:.2e})");
}

#[test]
fn unknown_key_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bad.toml");
    std::fs::write(&cfg, "n_chains = 2\n[pipeline]\nstrat = \"picks\"\n").unwrap();
    let o = eqnemix().arg("run").arg(&cfg).arg("--out").arg(dir.path().join("o")).output().unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("strat") && err.contains("bad.toml"), "{err}");

    std::fs::write(&cfg, "[sampler]\nkind = \"nuts\"\nn_draws = 10\nwarmup = 3\n").unwrap();
    let o = eqnemix().arg("run").arg(&cfg).arg("--out").arg(dir.path().join("o")).output().unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("warmup"), "{err}");
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
    let o = eqnemix().arg("run").arg(&cfg).arg("--out").arg(dir.path().join("o")).output().unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("no_such_picks.csv"), "{err}");
    let o = eqnemix().arg("run").arg(dir.path().join("nope.toml")).output().unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("nope.toml"));
}
