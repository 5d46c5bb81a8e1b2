//! Peak memory, CPU and wall time of `eqnemix pick` on a long record: the
//! chunked path (what `eqnemix pick` runs: records indexed, a segment read,
//! pre-processed and run `--chunk-s` of windows at a time) against the
//! whole-record path it replaced (every record read into memory, merged,
//! pre-processed and predicted at once, every window's traces kept).
//!
//! Reproduce:
//!
//! ```text
//! cargo run --release --example pick_memory -- --hours 24
//! ```
//!
//! Data: the shipped 4 h sample (`examples/data/sample/`, XX.SYN1, Steim-2)
//! tiled end to end to `--hours` (rounded up to whole 4 h tiles) and written
//! as one miniSEED file per component into a temporary folder. Each
//! measurement runs in its own child process (this program run again with
//! `--mode`), so the peak resident set (`VmHWM` of `/proc/self/status`) of
//! one path is not inflated by the data generation or the other path. CPU is
//! user + system time of the child (`getrusage`), wall time from the start of
//! reading to the written CSV; model loading is included in both.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context};
use chrono::Duration;
use eqnemix::cli::pick::{McDropoutArgs, PickArgs};
use eqnemix_models::waveform::{read_mseed, write_mseed, Stream, Trace};

/// Command-line flags (module doc).
#[derive(clap::Parser)]
struct Args {
    /// Hours of data (whole 4 h tiles of the sample).
    #[arg(long, default_value_t = 24.0)]
    hours: f64,
    /// Seconds of windows per chunk (chunked path).
    #[arg(long, default_value_t = eqnemix::cli::pick::DEFAULT_CHUNK_S)]
    chunk_s: f64,
    /// Skip the whole-record path (it needs about 4x the raw samples).
    #[arg(long)]
    skip_whole: bool,
    /// Internal: run one path on the files of --dir and report.
    #[arg(long, hide = true)]
    mode: Option<String>,
    /// Internal: folder of the generated files.
    #[arg(long, hide = true)]
    dir: Option<PathBuf>,
}

/// Peak resident set of this process, MB (`VmHWM`).
fn peak_rss_mb() -> anyhow::Result<f64> {
    let status = std::fs::read_to_string("/proc/self/status").context("reading /proc/self/status")?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).context("no VmHWM in /proc/self/status")?;
    let kb: f64 = line.split_whitespace().nth(1).context("VmHWM value")?.parse()?;
    Ok(kb / 1024.0)
}

/// User + system CPU seconds of this process.
fn cpu_s() -> f64 {
    // SAFETY: getrusage only writes into the struct we pass.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    tv(u.ru_utime) + tv(u.ru_stime)
}

fn files(dir: &Path) -> Vec<PathBuf> {
    ["E", "N", "Z"].iter().map(|c| dir.join(format!("XX.SYN1.00.HH{c}.mseed"))).collect()
}

/// Writes `tiles` copies of the 4 h sample end to end into `dir`.
fn generate(dir: &Path, tiles: usize) -> anyhow::Result<()> {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data/sample");
    for (src, dst) in files(&sample).iter().zip(files(dir)) {
        let st = read_mseed(src).with_context(|| format!("reading {}", src.display()))?;
        let [t] = st.traces.as_slice() else { bail!("{}: expected one continuous trace", src.display()) };
        let span = Duration::microseconds((t.len() as f64 / t.sampling_rate * 1e6).round() as i64);
        let tiled: Vec<Trace> = (0..tiles).map(|k| Trace { start: t.start + span * k as i32, ..t.clone() }).collect();
        write_mseed(&dst, &Stream::new(tiled)).with_context(|| format!("writing {}", dst.display()))?;
    }
    Ok(())
}

/// One measured run (child process).
fn run_mode(mode: &str, dir: &Path, chunk_s: f64) -> anyhow::Result<()> {
    let out = dir.join(format!("{mode}.csv"));
    let t = Instant::now();
    let mut args = PickArgs::with_defaults(files(dir), None, out.clone(), None);
    args.chunk_s = chunk_s;
    match mode {
        "chunked" => args.run()?,
        "whole" => {
            // The path before chunking: every record in memory, merged with
            // every gap interpolated, pre-processed and predicted whole.
            let mut traces = Vec::new();
            for f in files(dir) {
                traces.extend(read_mseed(&f)?.traces);
            }
            let three = Stream::new(traces).select_station_3c("XX", "SYN1", None)?;
            args.run_on(three, &McDropoutArgs::default())?;
        }
        other => bail!("unknown mode {other}"),
    }
    let rows = std::fs::read_to_string(&out)?.lines().count().saturating_sub(1);
    println!("RESULT {mode} wall_s={:.1} cpu_s={:.1} peak_rss_mb={:.0} detections={rows}", t.elapsed().as_secs_f64(), cpu_s(), peak_rss_mb()?);
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args = <Args as clap::Parser>::parse();
    if let (Some(mode), Some(dir)) = (&args.mode, &args.dir) {
        return run_mode(mode, dir, args.chunk_s);
    }
    if !(args.hours > 0.0 && args.chunk_s > 0.0) {
        bail!("--hours and --chunk-s must be positive");
    }
    let tiles = (args.hours / 4.0).ceil() as usize;
    let tmp = tempfile::tempdir()?;
    let exe = std::env::current_exe()?;
    // Generated here; this process is not measured.
    generate(tmp.path(), tiles)?;
    let size: u64 = files(tmp.path()).iter().map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0)).sum();
    println!(
        "{} h of XX.SYN1 (the 4 h sample tiled {tiles} times), {:.1} MB of Steim-2 miniSEED, raw samples {:.0} MB as f64",
        tiles * 4,
        size as f64 / 1e6,
        (tiles * 4 * 3600 * 100 * 3 * 8) as f64 / 1e6
    );
    let mut modes = vec!["chunked"];
    if !args.skip_whole {
        modes.push("whole");
    }
    for mode in modes {
        let out = Command::new(&exe)
            .args(["--mode", mode, "--dir"])
            .arg(tmp.path())
            .args(["--chunk-s", &args.chunk_s.to_string()])
            .output()
            .with_context(|| format!("running the {mode} path"))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            bail!("{mode} path failed: {}{}", stdout, String::from_utf8_lossy(&out.stderr));
        }
        for line in stdout.lines().filter(|l| l.starts_with("RESULT")) {
            println!("{}", &line[7..]);
        }
    }
    if !args.skip_whole {
        let read = |m: &str| std::fs::read_to_string(tmp.path().join(format!("{m}.csv"))).unwrap_or_default();
        println!("chunked and whole-record CSVs identical: {}", read("chunked") == read("whole"));
    }
    println!("reproduce: cargo run --release --example pick_memory -- --hours {} --chunk-s {}", args.hours, args.chunk_s);
    Ok(())
}
