//! First-use friction in the CLI (issue 13, item 6), each through the
//! binary: `info` lists what the build offers, `config --example` documents
//! every sampler, `locate` runs from picks alone (`--weights`,
//! `--uniform-weights`), `run` refuses a missing input, configuration errors
//! point at the right line, and reports say what ran.

use std::path::Path;
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

fn config_check(dir: &Path, toml: &str) -> String {
    let p = dir.join("c.toml");
    std::fs::write(&p, toml).unwrap();
    let o = eqnemix().args(["config", "--check"]).arg(&p).output().unwrap();
    assert!(!o.status.success(), "{toml:?} should be rejected");
    text(&o.stderr)
}

#[test]
fn config_errors_point_at_the_line_and_column_of_the_key() {
    let dir = tempfile::tempdir().unwrap();
    // A stray key under [sampler] whose name another table also uses: the
    // error is at the stray key, not at the first `residual =` of the file.
    let e = config_check(dir.path(), "[likelihood]\nresidual = \"gaussian\"\n\n[sampler]\nkind = \"nuts\"\n  residual = 3\n");
    assert!(e.contains("c.toml:6:3:") && e.contains("sampler.residual"), "{e}");
    // Nested sampler table, written as a dotted key.
    let e = config_check(dir.path(), "[sampler]\nkind = \"nuts\"\nn_draws = 10\nwindows.init_bufer = 3\n");
    assert!(e.contains("c.toml:4:") && e.contains("sampler.windows.init_bufer"), "{e}");
    // An unknown key of an ordinary table (the parser's own error).
    let e = config_check(dir.path(), "seed = 1\n[likelihood]\n    s_minus_q = true\n");
    assert!(e.contains("c.toml:3:5:") && e.contains("likelihood.s_minus_q"), "{e}");
}
