//! Real data: are EQTransformer's pick sigmas calibrated? The two sigmas
//! `eqnemix pick` can give a pick, the width of the probability peak
//! (default) and the spread of the pick times over Monte-Carlo-dropout
//! passes (`--mc-dropout N`, `[pipeline.picker] mc_dropout_passes`), scored
//! against reference arrival times on the 216 labelled real records of
//! `examples/data/polarisation_real/` (see its README: 196 IPOC CX.PB01
//! records, 20 Hz, P times from an AIC picker refined on the iasp91 time;
//! 20 Western Gulf of Corinth records with manual P and S picks).
//!
//! ```text
//! cargo run --release --example pick_uncertainty_real -- --passes 20
//! ```
//!
//! Each record (20 s: 10 s either side of the P time) is pre-processed as
//! `eqnemix pick` does and run through EQTransformer (default thresholds,
//! per-window rule; the short record is zero-padded to the 60 s window, as
//! `eqnemix pick` pads short data). The pick used is the detection's P (S)
//! nearest the reference time within 2 s. The table gives, per sigma and
//! phase: picks found, RMS and median absolute error, median sigma, the
//! share of reference times inside the pick's central 68% and 90% intervals
//! (0.68 and 0.90 when calibrated) and the median |error|/sigma (0.67 for a
//! unit normal). `--floor S` adds S seconds in quadrature to every sigma
//! (the `[pipeline.picker] error_s` of a run).
//!
//! Caveat: the IPOC reference times are automatic (AIC) picks, themselves a
//! few samples (0.05-0.1 s at 20 Hz) off on emergent onsets: that part of
//! the error is the reference's, not the network's.

use anyhow::{Context, Result};
use clap::Parser as _;
use eqnemix::pipeline::pick_accuracy::Z_90;
use eqnemix::polarisation_real::{load_records, RealRecord};
use eqnemix::synthetic_region::median;
use eqnemix_models::eqtransformer::{ContinuousConfig, EqTransformer, McUncertainty};
use eqnemix_models::waveform::PreprocessOptions;
use std::path::PathBuf;

#[derive(clap::Parser)]
struct Args {
    /// Data directory (records.csv + miniSEED).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/polarisation_real"))]
    data: PathBuf,
    /// Monte-Carlo-dropout passes per window.
    #[arg(long, default_value_t = 20)]
    passes: usize,
    /// Seed of the dropout masks.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Seconds added in quadrature to every sigma.
    #[arg(long, default_value_t = 0.0)]
    floor: f64,
    /// Largest |pick − reference| (s) for a pick to count as found.
    #[arg(long, default_value_t = 2.0)]
    max_error_s: f64,
}

/// One scored pick: error (s) and sigma (s).
type Scored = Vec<(f64, f64)>;

/// Half-width of the central 68.27% interval of a normal, in sigmas (the
/// 90% one is the run report's [`Z_90`]).
const Z68: f64 = 1.0;

fn row(name: &str, phase: &str, of: usize, s: &Scored) {
    let n = s.len();
    let share = |z: f64| s.iter().filter(|(e, sd)| e.abs() <= z * sd).count() as f64 / n.max(1) as f64;
    let rms = (s.iter().map(|(e, _)| e * e).sum::<f64>() / n.max(1) as f64).sqrt();
    println!(
        "| {name} | {phase} | {n} of {of} | {rms:.3} | {:.3} | {:.3} | {:.2} | {:.2} | {:.2} |",
        median(&s.iter().map(|(e, _)| e.abs()).collect::<Vec<_>>()),
        median(&s.iter().map(|(_, sd)| *sd).collect::<Vec<_>>()),
        share(Z68),
        share(Z_90),
        median(&s.iter().map(|(e, sd)| e.abs() / sd).collect::<Vec<_>>()),
    );
}

/// Pre-processed record as the network's [E, N, Z] samples and its start.
fn network_input(r: &RealRecord) -> Result<(Vec<[f32; 3]>, chrono::DateTime<chrono::Utc>)> {
    let duration_s = r.three.len() as f64 / r.three.sampling_rate;
    let ready = r.three.preprocess(&PreprocessOptions::eqtransformer(duration_s)).with_context(|| r.file.clone())?;
    Ok((ready.to_enz_f32(), ready.start))
}

fn main() -> Result<()> {
    let args = Args::parse();
    let records = load_records(&args.data)?;
    let mut det = EqTransformer::load(EqTransformer::bundled_model_path())?;
    let mut mc = EqTransformer::load_mc_dropout(EqTransformer::bundled_mc_model_path())?;
    let config = ContinuousConfig::default();
    let bar = indicatif::ProgressBar::new(records.len() as u64);
    // [width P, width S, MC P, MC S]
    let mut scored: [Scored; 4] = Default::default();
    let (mut n_p, mut n_s) = (0, 0);
    for r in &records {
        bar.inc(1);
        let (data, start) = network_input(r)?;
        let time_s = |sample: usize| (start - r.p_time).num_microseconds().unwrap_or(0) as f64 * 1e-6 + sample as f64 / 100.0;
        let s_ref = r.s_time.map(|s| (s - r.p_time).num_microseconds().unwrap_or(0) as f64 * 1e-6);
        n_p += 1;
        n_s += usize::from(s_ref.is_some());
        let width: Vec<(eqnemix_models::eqtransformer::Detection, Option<McUncertainty>)> =
            det.predict_continuous(&data, &config)?.detections(&config.picker).into_iter().map(|d| (d, None)).collect();
        let pred = mc.predict_continuous_mc(&data, &config, args.passes, args.seed)?;
        let with_mc: Vec<_> = mc.mc_detections(&pred, &data, &config.picker, args.seed)?.into_iter().map(|(d, u)| (d, Some(u))).collect();
        for (k, dets) in [(0, &width), (2, &with_mc)] {
            // P: reference at 0 s (times relative to the reference P).
            let best = |phase: usize, reference: f64| {
                dets.iter()
                    .filter_map(|(d, u)| {
                        let (pick, t_sigma) = if phase == 0 { (d.p?, u.and_then(|u| u.p_time_s)) } else { (d.s?, u.and_then(|u| u.s_time_s)) };
                        let err = time_s(pick.sample) - reference;
                        let sigma = t_sigma.map_or(pick.sigma_samples / 100.0, |t| t as f64);
                        (err.abs() <= args.max_error_s).then_some((err, sigma.hypot(args.floor)))
                    })
                    .min_by(|a, b| a.0.abs().total_cmp(&b.0.abs()))
            };
            scored[k].extend(best(0, 0.0));
            if let Some(sr) = s_ref {
                scored[k + 1].extend(best(1, sr));
            }
        }
    }
    bar.finish_and_clear();
    println!(
        "EQTransformer pick sigmas on {} real records ({} with a reference S); {} Monte-Carlo passes, seed {}, floor {} s\n",
        records.len(),
        n_s,
        args.passes,
        args.seed,
        args.floor
    );
    println!("| sigma | phase | picked | RMS error (s) | median abs error (s) | median sigma (s) | inside 68% | inside 90% | median abs error / sigma |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    row("peak width", "P", n_p, &scored[0]);
    row("peak width", "S", n_s, &scored[1]);
    row(&format!("MC dropout ({} passes)", args.passes), "P", n_p, &scored[2]);
    row(&format!("MC dropout ({} passes)", args.passes), "S", n_s, &scored[3]);
    println!("\n(cargo run --release --example pick_uncertainty_real -- --passes {} --seed {} --floor {})", args.passes, args.seed, args.floor);
    Ok(())
}
