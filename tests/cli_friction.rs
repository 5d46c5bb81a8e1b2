//! First-use friction in the CLI (issue 13, item 6), each through the
//! binary: `info` lists what the build offers, `config --example` documents
//! every sampler, `locate` runs from picks alone (`--weights`,
//! `--uniform-weights`), `run` refuses a missing input, configuration errors
//! point at the right line, and reports say what ran.

use eqnemix::clustering::{io::write_json, ClustersGaussianFile};
use eqnemix::geo::ProjectionOrigin;
use eqnemix::ClusterGaussian;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn eqnemix() -> Command {
    Command::new(env!("CARGO_BIN_EXE_eqnemix"))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Three clusters around a station at the origin, two events near the
/// first two cluster means (exact S-P), a quick sampler.
fn locate_inputs(dir: &Path, sampler: &str) -> [PathBuf; 4] {
    let c = |id, m: [f64; 3]| ClusterGaussian {
        id,
        n_events: 30,
        mean_km: m,
        cov_km2: [[9.0, 0.0, 0.0], [0.0, 9.0, 0.0], [0.0, 0.0, 4.0]],
    };
    let f = ClustersGaussianFile::new(
        ProjectionOrigin { lon_deg: -117.6, lat_deg: 35.7 },
        &[c(0, [20.0, 10.0, 8.0]), c(1, [-15.0, 25.0, 6.0]), c(2, [-25.0, -20.0, 10.0])],
    );
    let clusters = dir.join("clusters_gaussian.json");
    write_json(&clusters, &f).unwrap();
    let sources: [[f64; 3]; 2] = [[19.0, 11.0, 7.0], [-14.0, 24.0, 6.5]];
    let mut picks = String::from("event_id,station,phase,time_utc,sigma_s\n");
    for (i, x) in sources.iter().enumerate() {
        let r = (x[0] * x[0] + x[1] * x[1] + x[2] * x[2]).sqrt();
        let t0 = 100.0 * i as f64;
        let fmt = |t: f64| format!("2021-03-04T05:{:02}:{:09.6}Z", (t / 60.0) as u32, t % 60.0);
        picks += &format!("ev{i},STA,P,{},0.05\n", fmt(t0 + r / 6.0));
        picks += &format!("ev{i},STA,S,{},0.05\n", fmt(t0 + r / 3.5));
    }
    let pp = dir.join("picks.csv");
    std::fs::write(&pp, picks).unwrap();
    let stations = dir.join("stations.csv");
    std::fs::write(&stations, "station,east_km,north_km,depth_km\nSTA,0,0,0\n").unwrap();
    let cfg = dir.join("cfg.toml");
    std::fs::write(&cfg, format!("n_chains = 2\nseed = 3\n[output]\ndraws = false\nformats = [\"csv\"]\n[sampler]\n{sampler}")).unwrap();
    [pp, stations, clusters, cfg]
}

fn locate(inputs: &[PathBuf; 4], out: &Path, extra: &[&str]) -> Output {
    eqnemix()
        .args(["locate", "--quiet", "--config"])
        .arg(&inputs[3])
        .arg("--picks")
        .arg(&inputs[0])
        .arg("--stations")
        .arg(&inputs[1])
        .arg("--clusters")
        .arg(&inputs[2])
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

const QUICK_SMC: &str = "kind = \"smc\"\nn_particles = 300\n";

#[test]
fn locate_runs_from_picks_alone_with_weights_or_uniform_weights() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = locate_inputs(dir.path(), QUICK_SMC);
    for extra in [&["--weights", "2,1,1"][..], &["--uniform-weights"][..]] {
        let out = dir.path().join(format!("out{}", extra.len()));
        let o = locate(&inputs, &out, extra);
        assert!(o.status.success(), "{extra:?}: {}", text(&o.stderr));
        assert!(text(&o.stdout).contains("located 2 of 2 events"), "{}", text(&o.stdout));
        assert!(out.join("catalog.csv").is_file());
    }
}

#[test]
fn locate_weights_are_validated_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = locate_inputs(dir.path(), QUICK_SMC);
    let out = dir.path().join("out");
    let cases: [(&[&str], &[&str]); 7] = [
        (&["--weights", "0.5,0.5"], &["--weights", "2 weights", "3 clusters"]),
        (&["--weights", "1,-1,1"], &["--weights", ">= 0"]),
        (&["--weights", "1,x,1"], &["--weights", "`x` is not a number"]),
        (&["--weights", "0,0,0"], &["--weights", "sum to 0"]),
        (&["--weights", "1,inf,1"], &["--weights", "finite"]),
        // Exactly one source of prior weights.
        (&["--weights", "1,1,1", "--uniform-weights"], &["--uniform-weights", "cannot be used with"]),
        (&[], &["--probabilities", "--weights", "--uniform-weights"]),
    ];
    for (extra, expect) in cases {
        let o = locate(&inputs, &out, extra);
        let err = text(&o.stderr);
        assert!(!o.status.success(), "{extra:?} should fail");
        for e in expect {
            assert!(err.contains(e), "{extra:?}: expected `{e}` in\n{err}");
        }
        assert!(!out.exists(), "{extra:?}: nothing may be written");
    }
    let probs = dir.path().join("probs.csv");
    std::fs::write(&probs, "start_time,end_time,clusters_prob\n").unwrap();
    let o = locate(&inputs, &out, &["--weights", "1,1,1", "--probabilities", probs.to_str().unwrap()]);
    assert!(!o.status.success() && text(&o.stderr).contains("cannot be used with"), "{}", text(&o.stderr));
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

/// `run --set KEY=VALUE` reaches the configuration: a set key is used (here
/// a missing folder is named through the overridden key), a bad value or an
/// unknown key is an error naming the key, and nothing is written.
#[test]
fn run_set_overrides_a_key_and_bad_overrides_name_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("run.toml");
    std::fs::write(&cfg, "[run]\nmseed_dir = \"no_such_mseed\"\n").unwrap();
    let out = dir.path().join("out");
    let run = |set: &str| eqnemix().arg("run").arg(&cfg).arg("--out").arg(&out).arg("--quiet").args(["--set", set]).output().unwrap();
    let o = run("run.mseed_dir=other_missing_dir");
    assert!(!o.status.success() && text(&o.stderr).contains("other_missing_dir"), "{}", text(&o.stderr));
    let o = run("pipeline.picker.mc_dropout_passes=1");
    assert!(!o.status.success() && text(&o.stderr).contains("pipeline.picker.mc_dropout_passes"), "{}", text(&o.stderr));
    let o = run("pipeline.picker.no_such_key=3");
    assert!(!o.status.success() && text(&o.stderr).contains("no_such_key"), "{}", text(&o.stderr));
    let o = run("missing_equals_sign");
    assert!(!o.status.success() && text(&o.stderr).contains("KEY=VALUE"), "{}", text(&o.stderr));
    assert!(!out.exists(), "nothing may be written");
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

#[test]
fn locate_says_what_ran_not_chains_of_a_population_sampler() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (QUICK_SMC, "smc, 2 runs per mode region"),
        ("kind = \"importance\"\nbatch = 2000\ntarget_ess = 1000.0\n", "importance, 1 run"),
        ("kind = \"metropolis\"\nn_warmup = 200\nn_draws = 200\n", "metropolis, 2 chains per mode region"),
    ];
    for (i, (sampler, label)) in cases.into_iter().enumerate() {
        let sub = dir.path().join(format!("case{i}"));
        std::fs::create_dir_all(&sub).unwrap();
        let inputs = locate_inputs(&sub, sampler);
        let o = locate(&inputs, &sub.join("out"), &["--uniform-weights"]);
        let stdout = text(&o.stdout);
        assert!(stdout.contains(&format!("with {label} (")), "{sampler}: {stdout}\n{}", text(&o.stderr));
        if !label.contains("chains") {
            assert!(!stdout.contains("chains"), "{stdout}");
        }
    }
}

const KINDS: [&str; 8] = ["importance", "nuts", "hmc", "metropolis", "tempering", "advi", "smc", "octree"];

#[test]
fn info_lists_models_samplers_with_defaults_likelihoods_and_networks() {
    let o = eqnemix().arg("info").output().unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.starts_with("eqnemix "), "{out}");
    for model in ["homogeneous", "layered", "eikonal", "nll_grids"] {
        assert!(out.contains(&format!("  {model} ")), "travel-time model {model} missing:\n{out}");
    }
    // Every sampler with its keys at their defaults, as TOML that parses
    // back into exactly that sampler's default configuration.
    let samplers = out.split("samplers (").nth(1).unwrap().split("\nlikelihoods").next().unwrap();
    for kind in KINDS {
        let block: String = samplers
            .split(&format!("\n  {kind}: "))
            .nth(1)
            .unwrap_or_else(|| panic!("sampler {kind} missing:\n{out}"))
            .lines()
            .skip(1)
            .take_while(|l| l.starts_with("      "))
            .map(|l| format!("{}\n", l.trim_start()))
            .collect();
        assert!(block.contains(&format!("kind = \"{kind}\"")), "{block}");
        let cfg = eqnemix::config::LocateConfig::from_toml_str(&block, "info.toml").unwrap_or_else(|e| panic!("{kind}: {e}\n{block}"));
        assert_eq!(cfg.sampler.kind(), kind);
        assert!(block.lines().count() >= 3, "{kind}: keys missing:\n{block}");
    }
    assert!(samplers.contains("n_warmup = "), "{samplers}");
    assert!(out.contains("s_minus_p") && out.contains("back_azimuth") && out.contains("student_t"), "{out}");
    let nets = out.split("\nnetworks (").nth(1).unwrap();
    for net in ["EQTransformer", "ConvNetQuake", "ONNX Runtime"] {
        assert!(nets.contains(net), "{out}");
    }
    // The shipped models are in the repository.
    assert!(nets.contains("convnetquake.onnx (found)"), "{nets}");
}

#[test]
fn config_example_documents_every_sampler_and_still_parses_into_the_defaults() {
    let o = eqnemix().args(["config", "--example"]).output().unwrap();
    assert!(o.status.success());
    let example = text(&o.stdout);
    let cfg = eqnemix::config::LocateConfig::from_toml_str(&example, "example.toml").unwrap();
    assert_eq!(cfg, eqnemix::config::LocateConfig::default());
    // Each other sampler: a commented-out [sampler] block that, uncommented,
    // is that sampler with its defaults.
    for kind in &KINDS[1..] {
        let block: String = example
            .split(&format!("# --- {kind}: "))
            .nth(1)
            .unwrap_or_else(|| panic!("sampler {kind} not documented"))
            .lines()
            .skip(1)
            .take_while(|l| l.starts_with("# ") && !l.starts_with("# ---"))
            .map(|l| format!("{}\n", &l[2..]))
            .collect();
        assert!(block.starts_with("[sampler]\n"), "{kind}: {block}");
        let c = eqnemix::config::LocateConfig::from_toml_str(&block, "b.toml").unwrap_or_else(|e| panic!("{kind}: {e}\n{block}"));
        assert_eq!(c.sampler.kind(), *kind);
        // Generated from the sampler's own defaults.
        let default = eqnemix::config::samplers::sampler_kinds().into_iter().find(|k| k.config.kind() == *kind).unwrap();
        assert_eq!(c.sampler, default.config, "{kind}");
    }
}
