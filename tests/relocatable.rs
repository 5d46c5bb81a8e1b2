//! A copied binary works without the build tree (issue 13, item 5): the
//! sample configuration, its data and the networks come from inside the
//! binary (extracted into the cache folder), from `$EQNEMIX_DATA_DIR`, or
//! from `eqnemix-data/` next to the executable.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Mutex;

/// Held while a binary is copied and while a child is spawned. A child
/// forked by one test while another test's copy still has its file open for
/// writing inherits that descriptor until it execs, and executing the copy
/// then fails with "Text file busy" (ETXTBSY): the tests run on parallel
/// threads of this process, so the copy and the fork must not overlap.
static EXEC_LOCK: Mutex<()> = Mutex::new(());

/// The binary copied into `dir/bin/`, as an installation would place it.
fn copied_binary(dir: &Path) -> std::path::PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let exe = bin.join("eqnemix");
    let _guard = EXEC_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    std::fs::copy(env!("CARGO_BIN_EXE_eqnemix"), &exe).unwrap();
    exe
}

fn run(exe: &Path, cwd: &Path, envs: &[(&str, &Path)], args: &[&str]) -> (bool, String, String) {
    let mut cmd = Command::new(exe);
    cmd.current_dir(cwd).args(args).env_remove("EQNEMIX_DATA_DIR").env_remove("EQNEMIX_CACHE_DIR");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = {
        let _guard = EXEC_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        cmd.spawn().unwrap()
    };
    let out = child.wait_with_output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn a_copied_binary_runs_the_sample_from_its_embedded_copy() {
    let dir = tempfile::tempdir().unwrap();
    let exe = copied_binary(dir.path());
    let cache = dir.path().join("cache");
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let (ok, stdout, stderr) = run(&exe, &work, &[("EQNEMIX_CACHE_DIR", &cache)], &["run", "--quiet"]);
    assert!(ok, "stdout:\n{stdout}\nstderr:\n{stderr}");
    // The configuration that ran is the extracted one, and the networks
    // were extracted too.
    let report = std::fs::read_to_string(work.join("eqnemix-output/run_report.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&report).unwrap();
    let config = json["config"].as_str().unwrap_or_else(|| panic!("no config in the report: {report}"));
    assert!(Path::new(config).starts_with(&cache), "config {config} is not in the cache {}", cache.display());
    let names: Vec<String> = std::fs::read_dir(&cache).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(names.iter().any(|n| n.starts_with("sample-")), "{names:?}");
    assert!(names.iter().any(|n| n.starts_with("networks-")), "{names:?}");
    assert!(std::fs::read_to_string(work.join("eqnemix-output/catalog.csv")).unwrap().lines().count() > 10);
}

#[test]
fn info_names_a_data_dir_the_user_gives_and_the_data_next_to_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let exe = copied_binary(dir.path());
    let cache = dir.path().join("cache");
    // First the embedded copy; then a data folder holding that copy.
    let (ok, stdout, stderr) = run(&exe, dir.path(), &[("EQNEMIX_CACHE_DIR", &cache)], &["info"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("(embedded copy)"), "{stdout}");
    let extracted = std::fs::read_dir(&cache).unwrap().map(|e| e.unwrap().path()).find(|p| p.file_name().unwrap().to_string_lossy().starts_with("sample-")).unwrap();
    let (ok, stdout, stderr) = run(&exe, dir.path(), &[("EQNEMIX_CACHE_DIR", &cache), ("EQNEMIX_DATA_DIR", &extracted)], &["info"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("(EQNEMIX_DATA_DIR)"), "{stdout}");
    // An installation that ships eqnemix-data/ beside the binary.
    std::fs::rename(&extracted, dir.path().join("bin/eqnemix-data")).unwrap();
    let (ok, stdout, stderr) = run(&exe, dir.path(), &[("EQNEMIX_CACHE_DIR", &cache)], &["info"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("(next to the executable)"), "{stdout}");
}
