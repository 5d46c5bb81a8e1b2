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

// ---- configuration sizes: config --check, locate, run -----------------------

/// Write `toml` as `cfg.toml` in `dir` and return its path.
fn config(dir: &Path, toml: &str) -> PathBuf {
    let p = dir.join("cfg.toml");
    std::fs::write(&p, toml).unwrap();
    p
}

/// `config --check` of `toml` with `--memory-limit 8` is refused naming `key`.
fn check_refused(toml: &str, key: &str) -> String {
    let dir = tempdir();
    let p = config(dir.path(), toml);
    let out = eqnemix_in(dir.path(), &["--memory-limit", "8", "config", "--check", p.to_str().unwrap()]);
    refused(&out, key, "8.0 GB");
    assert!(out.stdout.is_empty(), "nothing printed on stdout");
    stderr(&out)
}

#[test]
fn eikonal_grid_nodes() {
    // The model file need not exist: the size is refused first.
    let err = check_refused(
        "[travel_time]\nkind = \"eikonal\"\nmodel = \"crust.toml\"\n[travel_time.grid]\nn = [1000000, 1000000, 10000]\n",
        "travel_time.grid.n",
    );
    assert!(err.contains("1e6×1e6×10000 nodes"), "{err}");
    assert!(err.contains("EB"), "{err}");
}

#[test]
fn layered_table() {
    let err = check_refused(
        "[travel_time]\nkind = \"layered\"\nmodel = \"crust.toml\"\n[travel_time.table]\ndepth_step_km = 1e-6\n",
        "travel_time.table",
    );
    assert!(err.contains("60000001 depths"), "{err}");
}

#[test]
fn markov_draws() {
    let err = check_refused("[sampler]\nkind = \"nuts\"\nn_draws = 10000000000\n", "sampler.n_draws");
    assert!(err.contains("4 chains × 1e10 draws"), "{err}");
    for kind in ["hmc", "metropolis", "tempering"] {
        check_refused(&format!("[sampler]\nkind = \"{kind}\"\nn_draws = 10000000000\n"), "sampler.n_draws");
    }
}

#[test]
fn chains() {
    // Within the sanity bound, the memory of chains × draws is refused.
    let err = check_refused("n_chains = 10000\n[sampler]\nkind = \"nuts\"\nn_draws = 1000000\n", "sampler.n_draws (with n_chains)");
    assert!(err.contains("10000 chains × 1e6 draws"), "{err}");
    // Beyond it (n_chains = 1e8) a typo, said before any allocation.
    let dir = tempdir();
    let p = config(dir.path(), "n_chains = 100000000\n");
    let out = eqnemix_in(dir.path(), &["--memory-limit", "8", "config", "--check", p.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("n_chains: 1e8 chains per event is surely a typo (at most 10000)"), "{}", stderr(&out));
}

#[test]
fn tempering_temperatures() {
    let dir = tempdir();
    let p = config(dir.path(), "[sampler]\nkind = \"tempering\"\nn_temps = 100000000\n");
    let out = eqnemix_in(dir.path(), &["--memory-limit", "8", "config", "--check", p.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("sampler.n_temps"), "{}", stderr(&out));
}

#[test]
fn prior_draws() {
    let err = check_refused("[diagnostics]\nn_prior_draws = 10000000000\n", "diagnostics.n_prior_draws");
    assert!(err.contains("1e10 prior draws"), "{err}");
}

#[test]
fn smc_particles() {
    let err = check_refused("[sampler]\nkind = \"smc\"\nn_particles = 100000000000\n", "sampler.n_particles");
    assert!(err.contains("1e11 SMC particles"), "{err}");
}

#[test]
fn octree_cells_and_draws() {
    let err = check_refused("[sampler]\nkind = \"octree\"\nmax_cells = 100000000000\n", "sampler.max_cells");
    assert!(err.contains("1e11 cells"), "{err}");
    check_refused("[sampler]\nkind = \"octree\"\nn_draws = 100000000000\n", "sampler.n_draws");
}

#[test]
fn advi_and_importance_draws() {
    check_refused("[sampler]\nkind = \"advi\"\nn_draws = 10000000000\n", "sampler.n_draws");
    check_refused("[sampler]\nkind = \"advi\"\nmax_iters = 10000000000\n", "sampler.max_iters");
    check_refused("[sampler]\nkind = \"importance\"\nmax_draws = 10000000000\n", "sampler.max_draws");
}

#[test]
fn synthetic_duration_of_a_run_config() {
    check_refused("[pipeline.synthetic]\nduration_hours = 1e9\n", "pipeline.synthetic.duration_hours");
}

#[test]
fn the_limit_from_the_configuration() {
    let dir = tempdir();
    let p = config(dir.path(), "[limits]\nmemory_gb = 0.001\n[sampler]\nkind = \"nuts\"\nn_draws = 100000\n");
    let out = eqnemix_in(dir.path(), &["config", "--check", p.to_str().unwrap()]);
    refused(&out, "sampler.n_draws", "1.0 MB");
    assert!(stderr(&out).contains("from [limits] memory_gb"), "{}", stderr(&out));
    // The flag overrides the key.
    let out = eqnemix_in(dir.path(), &["--memory-limit", "8", "config", "--check", p.to_str().unwrap()]);
    ok(&out);
}

#[test]
fn bad_limits_are_errors() {
    let dir = tempdir();
    for bad in ["0", "-1", "nan", "inf"] {
        let out = eqnemix_in(dir.path(), &["--memory-limit", bad, "config", "--example"]);
        assert!(!out.status.success(), "--memory-limit {bad} accepted");
        assert!(stderr(&out).contains("--memory-limit"), "{}", stderr(&out));
    }
    let p = config(dir.path(), "[limits]\nmemory_gb = -2\n");
    let out = eqnemix_in(dir.path(), &["config", "--check", p.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("limits.memory_gb"), "{}", stderr(&out));
}

#[test]
fn normal_configurations_pass() {
    let dir = tempdir();
    // The documented example (every default) under the default limit and
    // under an explicit modest one (1 GB, so not this machine's memory).
    let example = eqnemix_in(dir.path(), &["config", "--example"]);
    ok(&example);
    let text = String::from_utf8_lossy(&example.stdout);
    assert!(text.contains("[limits]") && text.contains("# memory_gb = "), "the example documents [limits] memory_gb");
    let p = dir.path().join("example.toml");
    std::fs::write(&p, &example.stdout).unwrap();
    ok(&eqnemix_in(dir.path(), &["config", "--check", p.to_str().unwrap()]));
    ok(&eqnemix_in(dir.path(), &["--memory-limit", "1", "config", "--check", p.to_str().unwrap()]));
    // The studies' NUTS settings and an eikonal grid of the default size.
    let p = config(
        dir.path(),
        "[travel_time]\nkind = \"eikonal\"\nmodel = \"crust.toml\"\n[sampler]\nkind = \"nuts\"\nn_warmup = 400\nn_draws = 500\nmetric = \"dense\"\n",
    );
    ok(&eqnemix_in(dir.path(), &["--memory-limit", "1", "config", "--check", p.to_str().unwrap()]));
}

#[test]
fn locate_refuses_before_reading_its_inputs() {
    let dir = tempdir();
    let p = config(dir.path(), "[sampler]\nkind = \"smc\"\nn_particles = 100000000000\n");
    let out_dir = dir.path().join("out");
    // The inputs do not exist: the configuration's size is refused first.
    let out = eqnemix_in(
        dir.path(),
        &[
            "--memory-limit", "8", "locate", "--config", p.to_str().unwrap(), "--picks", "missing.csv",
            "--probabilities", "missing.csv", "--clusters", "missing.json", "--out", out_dir.to_str().unwrap(),
        ],
    );
    refused(&out, "sampler.n_particles", "8.0 GB");
    assert!(is_empty_or_missing(&out_dir));
}

#[test]
fn run_refuses_before_the_pipeline() {
    let dir = tempdir();
    let p = config(dir.path(), "[diagnostics]\nn_prior_draws = 10000000000\n[run]\nmseed_dir = \"missing\"\n");
    let out_dir = dir.path().join("out");
    let out = eqnemix_in(dir.path(), &["--memory-limit", "8", "run", p.to_str().unwrap(), "--out", out_dir.to_str().unwrap(), "--quiet"]);
    refused(&out, "diagnostics.n_prior_draws", "8.0 GB");
    assert!(is_empty_or_missing(&out_dir));
}

// ---- traveltime ------------------------------------------------------------

fn layered_model(dir: &Path) -> PathBuf {
    let p = dir.join("crust.toml");
    std::fs::write(&p, "[[layer]]\ntop_km = -3.0\nvp = 6.0\nvs = 3.5\n").unwrap();
    p
}

#[test]
fn traveltime_grid_eikonal_and_layered() {
    let dir = tempdir();
    let model = layered_model(dir.path());
    let out_dir = dir.path().join("grids");
    for (method, what) in [("eikonal", "eikonal grid"), ("layered", "layered grid")] {
        let out = eqnemix_in(
            dir.path(),
            &[
                "--memory-limit", "8", "traveltime", "--velocity-toml", model.to_str().unwrap(), "--method", method,
                "--grid", "100000,100000,10000", "--grid-origin", "0,0,0", "--spacing", "0.01", "--station", "XX.STA",
                "--station-km", "0,0,0", "--out", out_dir.to_str().unwrap(),
            ],
        );
        refused(&out, "--grid 100000,100000,10000", "8.0 GB");
        assert!(stderr(&out).contains(what), "{}", stderr(&out));
        assert!(is_empty_or_missing(&out_dir));
    }
}

#[test]
fn traveltime_small_grid_passes() {
    let dir = tempdir();
    let model = layered_model(dir.path());
    let out_dir = dir.path().join("grids");
    let out = eqnemix_in(
        dir.path(),
        &[
            "--memory-limit", "1", "traveltime", "--velocity-toml", model.to_str().unwrap(), "--grid", "11,11,6",
            "--grid-origin", "-5,-5,0", "--spacing", "1", "--station", "XX.STA", "--station-km", "0,0,0", "--out",
            out_dir.to_str().unwrap(),
        ],
    );
    ok(&out);
}

/// A NonLinLoc velocity grid `dir/vp.mod.{hdr,buf}` of 2×2×2 nodes whose
/// header then claims `n` nodes (the .buf stays 8 nodes long, so reading
/// it would fail as truncated: a memory error proves the header was
/// checked first).
fn vp_grid_claiming(dir: &Path, n: &str) -> PathBuf {
    use eqnemix::traveltime::nll::{write_nll_grid, NllGrid};
    use eqnemix::traveltime::{Grid3, GridGeometry};
    let geometry = GridGeometry { n: [2, 2, 2], origin_km: [0.0; 3], spacing_km: [1.0; 3] };
    let vp = Grid3 { geometry, data: vec![6.0; 8] };
    let base = dir.join("vp.mod");
    write_nll_grid(&base, &NllGrid::velocity_km_s(&vp)).unwrap();
    let hdr = dir.join("vp.mod.hdr");
    let text = std::fs::read_to_string(&hdr).unwrap();
    let first = text.lines().next().unwrap();
    let rest: Vec<&str> = first.split_whitespace().skip(3).collect();
    let patched = text.replacen(first, &format!("{} {}", n.replace(',', " "), rest.join(" ")), 1);
    std::fs::write(&hdr, patched).unwrap();
    base
}

#[test]
fn traveltime_vp_grid_header_checked_before_reading() {
    let dir = tempdir();
    let vp = vp_grid_claiming(dir.path(), "100000,100000,10000");
    let out_dir = dir.path().join("grids");
    let out = eqnemix_in(
        dir.path(),
        &[
            "--memory-limit", "8", "traveltime", "--vp-grid", vp.to_str().unwrap(), "--vp-vs", "1.73", "--station",
            "XX.STA", "--station-km", "0,0,0", "--out", out_dir.to_str().unwrap(),
        ],
    );
    refused(&out, "--vp-grid 100000,100000,10000", "8.0 GB");
    assert!(is_empty_or_missing(&out_dir));
}

#[test]
fn config_eikonal_vp_grid_header() {
    let dir = tempdir();
    vp_grid_claiming(dir.path(), "100000,100000,10000");
    let p = config(dir.path(), "[travel_time]\nkind = \"eikonal\"\nvp_grid = \"vp.mod\"\nvp_vs = 1.73\n");
    let out = eqnemix_in(dir.path(), &["--memory-limit", "8", "config", "--check", p.to_str().unwrap()]);
    refused(&out, "travel_time.vp_grid", "8.0 GB");
    assert!(stderr(&out).contains("vp.mod"), "names the file: {}", stderr(&out));
    // A real (small) grid passes.
    let dir = tempdir();
    vp_grid_claiming(dir.path(), "2,2,2");
    let p = config(dir.path(), "[travel_time]\nkind = \"eikonal\"\nvp_grid = \"vp.mod\"\nvp_vs = 1.73\n");
    ok(&eqnemix_in(dir.path(), &["--memory-limit", "1", "config", "--check", p.to_str().unwrap()]));
}

// ---- pick: the memory from the records' index, before they are read -------

fn sample_mseed() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data/sample");
    ["HHE", "HHN", "HHZ"].iter().map(|c| dir.join(format!("XX.SYN1.00.{c}.mseed")).display().to_string()).collect()
}

fn pick_with(limit: &str, extra: &[&str]) -> (Output, PathBuf, tempfile::TempDir) {
    let dir = tempdir();
    let csv = dir.path().join("picks.csv");
    let files = sample_mseed();
    let mut args: Vec<&str> = vec!["--memory-limit", limit, "pick"];
    args.extend(files.iter().map(String::as_str));
    args.extend(["-o", csv.to_str().unwrap()]);
    args.extend_from_slice(extra);
    let out = eqnemix_in(dir.path(), &args);
    (out, csv, dir)
}

#[test]
fn pick_chunk_refused_before_the_records_are_read() {
    // The 4 h sample a chunk (an hour) at a time: ≈ 113 MB.
    let (out, csv, _dir) = pick_with("0.05", &[]);
    refused(&out, "--chunk-s 3600", "50 MB");
    assert!(stderr(&out).contains("XX.SYN1.00"), "names the station: {}", stderr(&out));
    assert!(!csv.exists());
}

#[test]
fn pick_whole_segment_and_overlap() {
    // --merge mean holds the 4 h segment whole: ≈ 257 MB.
    let (out, csv, _dir) = pick_with("0.2", &["--merge", "mean"]);
    refused(&out, "--merge mean", "200 MB");
    assert!(!csv.exists());
    // A denser overlap multiplies the windows of a chunk.
    let (out, _, _dir) = pick_with("0.2", &["--overlap", "0.95"]);
    refused(&out, "--overlap 0.95", "200 MB");
    assert!(stderr(&out).contains("1200 windows"), "{}", stderr(&out));
}

#[test]
fn pick_huge_chunk_and_batch_bounded_by_the_segment() {
    // --chunk-s and --batch-size beyond the record count what the record
    // holds (4 h, 343 windows), not what the flags say.
    let (out, _, _dir) = pick_with("0.01", &["--chunk-s", "1e12", "--batch-size", "1000000000"]);
    refused(&out, "--chunk-s 1000000000000", "10 MB");
    assert!(stderr(&out).contains("14400 s of record, 343 windows and a network batch of 343"), "{}", stderr(&out));
}

// ---- records read whole: run, classify, create-dataset-noise ---------------

/// `args` followed by `--stream-path` and the sample's three files.
fn with_sample_streams<'a>(args: &[&'a str], files: &'a [String]) -> Vec<&'a str> {
    let mut v = args.to_vec();
    v.push("--stream-path");
    v.extend(files.iter().map(String::as_str));
    v
}

#[test]
fn classify_reading_the_records_whole() {
    let dir = tempdir();
    let csv = dir.path().join("probs.csv");
    let files = sample_mseed();
    // The 4 h sample read whole: ≈ 194 MB.
    let args = with_sample_streams(&["--memory-limit", "0.1", "classify", "-o", csv.to_str().unwrap()], &files);
    let out = eqnemix_in(dir.path(), &args);
    refused(&out, "the records of XX.SYN1.00 read whole (4.0 h at 100 Hz", "100 MB");
    assert!(!csv.exists());
}

#[test]
fn classify_window_step() {
    let dir = tempdir();
    let csv = dir.path().join("probs.csv");
    let files = sample_mseed();
    // A window every sample: 1439002 windows, ≈ 242 MB.
    let args = with_sample_streams(
        &["--memory-limit", "0.2", "classify", "-o", csv.to_str().unwrap(), "--window-step", "0.01"],
        &files,
    );
    let out = eqnemix_in(dir.path(), &args);
    refused(&out, "--window-step 0.01: 1439002 windows", "200 MB");
    assert!(!csv.exists());
}

#[test]
fn noise_dataset_windows() {
    let dir = tempdir();
    let out_dir = dir.path().join("noise");
    let files = sample_mseed();
    let catalog = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data/sample/catalog.csv");
    let args = with_sample_streams(
        &[
            "--memory-limit", "0.2", "create-dataset-noise", "--catalog", catalog.to_str().unwrap(), "--output-dir",
            out_dir.to_str().unwrap(), "--step", "0.01", "--max-windows", "1000000000",
        ],
        &files,
    );
    let out = eqnemix_in(dir.path(), &args);
    refused(&out, "--max-windows 1000000000 with --step 0.01", "200 MB");
    assert!(stderr(&out).contains("17 GB"), "{}", stderr(&out));
    assert!(is_empty_or_missing(&out_dir));
}

#[test]
fn run_reading_the_records_whole() {
    // The built-in sample configuration on the shipped 4 h sample.
    let dir = tempdir();
    let out_dir = dir.path().join("out");
    let out = eqnemix_in(dir.path(), &["--memory-limit", "0.1", "run", "--out", out_dir.to_str().unwrap(), "--quiet"]);
    refused(&out, "the records of XX.SYN1.00 read whole", "100 MB");
    assert!(is_empty_or_missing(&out_dir));
}

// ---- events located at once (library) ---------------------------------------

#[test]
fn events_located_at_once_multiply_the_per_event_estimates() {
    use eqnemix::config::LocateConfig;
    use eqnemix::memory_budget::MemoryBudget;
    // 1e7 prior draws: 80 MB per event.
    let cfg = LocateConfig::from_toml_str("[diagnostics]\nn_prior_draws = 10000000\n", "cfg.toml").unwrap();
    let budget = MemoryBudget::from_gb(0.1).unwrap();
    cfg.check_memory(&budget, 1).unwrap();
    cfg.check_memory_at_once(&budget, 1, 1).unwrap();
    let err = cfg.check_memory_at_once(&budget, 1, 2).unwrap_err().to_string();
    assert!(err.contains("diagnostics.n_prior_draws"), "{err}");
    assert!(err.contains("× 2 events located at once needs ≈ 160 MB"), "{err}");
}

// ---- locate, once its inputs are read ----------------------------------------

/// A small `locate` set-up in `dir`: three clusters, two events picked at
/// station STA (at the origin), their probabilities, and `config` as the
/// configuration. Returns the arguments after `locate`.
fn locate_inputs(dir: &Path, config: &str) -> Vec<String> {
    use eqnemix::clustering::{io::write_json, ClustersGaussianFile};
    use eqnemix::geo::ProjectionOrigin;
    use eqnemix::ClusterGaussian;
    let c = |id, m: [f64; 3]| ClusterGaussian { id, n_events: 30, mean_km: m, cov_km2: [[9.0, 0.0, 0.0], [0.0, 9.0, 0.0], [0.0, 0.0, 4.0]] };
    let f = ClustersGaussianFile::new(
        ProjectionOrigin { lon_deg: -117.6, lat_deg: 35.7 },
        &[c(0, [20.0, 10.0, 8.0]), c(1, [-15.0, 25.0, 6.0]), c(2, [-25.0, -20.0, 10.0])],
    );
    let clusters = dir.join("clusters_gaussian.json");
    write_json(&clusters, &f).unwrap();
    let picks = dir.join("picks.csv");
    std::fs::write(
        &picks,
        "event_id,station,phase,time_utc,sigma_s\n\
         ev0,STA,P,2021-03-04T05:00:04.000Z,0.05\nev0,STA,S,2021-03-04T05:00:07.000Z,0.05\n\
         ev1,STA,P,2021-03-04T05:01:44.000Z,0.05\nev1,STA,S,2021-03-04T05:01:47.000Z,0.05\n",
    )
    .unwrap();
    let stations = dir.join("stations.csv");
    std::fs::write(&stations, "station,east_km,north_km,depth_km\nSTA,0,0,0\n").unwrap();
    let probs = dir.join("probs.csv");
    std::fs::write(
        &probs,
        "start_time,end_time,clusters_prob\n2021-03-04T05:00:00Z,2021-03-04T05:01:00Z,[0.8 0.1 0.1]\n\
         2021-03-04T05:01:30Z,2021-03-04T05:02:30Z,[0.1 0.8 0.1]\n",
    )
    .unwrap();
    let cfg = self::config(dir, config);
    [
        "--config", cfg.to_str().unwrap(), "--picks", picks.to_str().unwrap(), "--stations", stations.to_str().unwrap(),
        "--probabilities", probs.to_str().unwrap(), "--clusters", clusters.to_str().unwrap(), "--out",
        dir.join("out").to_str().unwrap(), "--quiet",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

#[test]
fn locate_counts_the_events_located_at_once() {
    let dir = tempdir();
    // 1e7 prior draws: 80 MB per event; two events on two threads.
    let args = locate_inputs(dir.path(), "[diagnostics]\nn_prior_draws = 10000000\n");
    let mut all = vec!["--memory-limit".to_string(), "0.1".into(), "locate".into()];
    all.extend(args);
    let out = Command::new(env!("CARGO_BIN_EXE_eqnemix"))
        .args(&all)
        .current_dir(dir.path())
        .env_remove("EQNEMIX_MEMORY_LIMIT_GB")
        .env("RAYON_NUM_THREADS", "2")
        .output()
        .unwrap();
    refused(&out, "diagnostics.n_prior_draws", "100 MB");
    assert!(stderr(&out).contains("× 2 events located at once needs ≈ 160 MB"), "{}", stderr(&out));
    assert!(is_empty_or_missing(&dir.path().join("out")));
}

#[test]
fn locate_nll_time_grid_headers() {
    use eqnemix::traveltime::nll::{write_nll_grid, NllGrid};
    use eqnemix::traveltime::{Grid3, GridGeometry};
    let dir = tempdir();
    let grids = dir.path().join("grids");
    std::fs::create_dir_all(&grids).unwrap();
    // TIME grid headers of STA claiming 1e14 nodes (the .buf files are 8 nodes).
    for phase in ["P", "S"] {
        let geometry = GridGeometry { n: [2, 2, 2], origin_km: [0.0; 3], spacing_km: [1.0; 3] };
        let base = grids.join(format!("model.{phase}.STA.time"));
        write_nll_grid(&base, &NllGrid::velocity_km_s(&Grid3 { geometry, data: vec![6.0; 8] })).unwrap();
        let hdr = grids.join(format!("model.{phase}.STA.time.hdr"));
        let text = std::fs::read_to_string(&hdr).unwrap();
        let first = text.lines().next().unwrap();
        let rest: Vec<&str> = first.split_whitespace().skip(3).collect();
        std::fs::write(&hdr, text.replacen(first, &format!("100000 100000 10000 {}", rest.join(" ")), 1)).unwrap();
    }
    let args = locate_inputs(dir.path(), "[travel_time]\nkind = \"nll_grids\"\nnll_dir = \"grids\"\n");
    let mut all = vec!["--memory-limit".to_string(), "8".into(), "locate".into()];
    all.extend(args);
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    let out = eqnemix_in(dir.path(), &all);
    refused(&out, "travel_time.nll_dir", "8.0 GB");
    assert!(stderr(&out).contains("TIME grids of 1 station(s) × 2 phases"), "{}", stderr(&out));
    assert!(is_empty_or_missing(&dir.path().join("out")));
}

#[test]
fn event_dataset_windows() {
    // The sample's 48 events repeated 400 times: 19200 windows of 12 kB.
    let dir = tempdir();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data/sample");
    let text = std::fs::read_to_string(sample.join("catalog.csv")).unwrap();
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    let mut catalog = format!("{}\n", lines.next().unwrap());
    let rows: Vec<&str> = lines.collect();
    for k in 0..400 {
        for r in &rows {
            catalog += &format!("r{k}_{r}\n");
        }
    }
    let path = dir.path().join("catalog.csv");
    std::fs::write(&path, catalog).unwrap();
    let out_dir = dir.path().join("events");
    let out = eqnemix_in(
        dir.path(),
        &[
            "--memory-limit", "0.2", "create-dataset-events", "--stream-dir", sample.to_str().unwrap(), "--catalog",
            path.to_str().unwrap(), "--output-dir", out_dir.to_str().unwrap(), "--station-lat", "35.7", "--station-lon",
            "-117.6",
        ],
    );
    refused(&out, "19200 event windows", "200 MB");
    assert!(is_empty_or_missing(&out_dir));
}
