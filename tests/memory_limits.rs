//! Issue 16 item 2, through the public CLI: every size a user controls is
//! checked against the memory limit before anything is allocated, and the
//! error states the estimate and the limit. Every test passes an explicit
//! limit (`--memory-limit` or `EQNEMIX_MEMORY_LIMIT_GB`), so none depends
//! on this machine's memory; the refused sizes are absurd (petabytes), so a
//! missing check would show as an allocation failure or a hang, not a pass.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Run `eqnemix` with `args` in `dir`, the environment variable unset.
fn eqnemix_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_eqnemix"))
        .args(args)
        .current_dir(dir)
        .env_remove("EQNEMIX_MEMORY_LIMIT_GB")
        .output()
        .expect("runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The command failed with an error naming `key`, an estimate (`needs ≈`)
/// and the limit `limit` (e.g. "8.0 GB").
fn refused(out: &Output, key: &str, limit: &str) {
    let err = stderr(out);
    assert!(!out.status.success(), "should fail; stderr:\n{err}");
    assert!(err.contains(key), "names {key:?}:\n{err}");
    assert!(err.contains("needs ≈"), "states the estimate:\n{err}");
    assert!(err.contains(&format!("the memory limit is {limit}")), "states the limit {limit}:\n{err}");
    assert!(err.contains("--memory-limit"), "says how to change it:\n{err}");
}

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        stderr(out)
    );
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn is_empty_or_missing(p: &Path) -> bool {
    std::fs::read_dir(p).map(|mut d| d.next().is_none()).unwrap_or(true)
}

// ---- generate --------------------------------------------------------------

#[test]
fn generate_refuses_a_huge_duration_before_writing() {
    let dir = tempdir();
    let out_dir: PathBuf = dir.path().join("out");
    let out = eqnemix_in(
        dir.path(),
        &["--memory-limit", "8", "generate", "--out", out_dir.to_str().unwrap(), "--duration-hours", "1e9"],
    );
    refused(&out, "--duration-hours", "8.0 GB");
    // 1e9 h × 3600 s × 100 Hz × 3 channels × 16 bytes.
    assert!(stderr(&out).contains("17 PB"), "{}", stderr(&out));
    assert!(is_empty_or_missing(&out_dir), "nothing written");
}

#[test]
fn generate_limit_from_the_environment() {
    let dir = tempdir();
    let out_dir = dir.path().join("out");
    let out = Command::new(env!("CARGO_BIN_EXE_eqnemix"))
        .args(["generate", "--out", out_dir.to_str().unwrap(), "--duration-hours", "1", "--n-events", "2"])
        .env("EQNEMIX_MEMORY_LIMIT_GB", "0.001")
        .output()
        .unwrap();
    refused(&out, "--duration-hours", "1.0 MB");
    assert!(stderr(&out).contains("EQNEMIX_MEMORY_LIMIT_GB"), "{}", stderr(&out));
    assert!(is_empty_or_missing(&out_dir));
}

#[test]
fn generate_a_config_duration_is_checked_too() {
    let dir = tempdir();
    let cfg = dir.path().join("synth.toml");
    std::fs::write(&cfg, "duration_hours = 1e9\n").unwrap();
    let out_dir = dir.path().join("out");
    let out = eqnemix_in(
        dir.path(),
        &["--memory-limit", "8", "generate", "--config", cfg.to_str().unwrap(), "--out", out_dir.to_str().unwrap()],
    );
    refused(&out, "duration_hours", "8.0 GB");
}
