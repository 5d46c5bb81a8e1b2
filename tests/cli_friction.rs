//! First-use friction in the CLI (issue 13, item 6), each through the
//! binary: `info` lists what the build offers, `config --example` documents
//! every sampler, `locate` runs from picks alone (`--weights`,
//! `--uniform-weights`), `run` refuses a missing input, configuration errors
//! point at the right line, and reports say what ran.

use std::process::Command;

fn eqnemix() -> Command {
    Command::new(env!("CARGO_BIN_EXE_eqnemix"))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn run_with_a_missing_mseed_dir_is_an_error_naming_key_and_path() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("run.toml");
    std::fs::write(&cfg, "[run]\nmseed_dir = \"no_such_mseed\"\n").unwrap();
    let out = dir.path().join("out");
    let o = eqnemix().arg("run").arg(&cfg).arg("--out").arg(&out).arg("--quiet").output().unwrap();
    let err = text(&o.stderr);
    assert!(!o.status.success(), "a mistyped mseed_dir must fail: {}", text(&o.stdout));
    assert!(err.contains("run.mseed_dir") && err.contains("no_such_mseed"), "{err}");
    assert!(err.contains("generate_if_missing"), "{err}");
    assert!(!out.join("sample").exists(), "no synthetic data may be written");
    // The same with start = "picks" and a mistyped picks file.
    std::fs::write(&cfg, "[pipeline]\nstart = \"picks\"\npicks = \"no_such_picks.csv\"\n").unwrap();
    let o = eqnemix().arg("run").arg(&cfg).arg("--out").arg(&out).arg("--quiet").output().unwrap();
    let err = text(&o.stderr);
    assert!(!o.status.success());
    assert!(err.contains("pipeline.picks") && err.contains("no_such_picks.csv"), "{err}");
    assert!(!out.join("sample").exists());
}
