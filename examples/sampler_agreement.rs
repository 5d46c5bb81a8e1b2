//! Every location sampler against exact answers on multimodal single-station
//! events, and how well its untrustworthy flag separates right answers from
//! wrong ones.
//!
//! ```text
//! cargo run --release --example sampler_agreement -- --n 300 --out target/sampler_agreement
//! ```
//!
//! The events and the reference are those of `eqnemix::sampler_agreement`
//! (its module doc): the first `--n` multimodal events of stream
//! `--stream` of the standard synthetic region, S-P only, each with a
//! 200 × 200 × 50 dense-grid answer. Every sampler of
//! `eqnemix::locate::every_sampler` (or those named by `--samplers`) locates
//! each event through `locate_event` with its default settings and 4
//! chains, as `eqnemix locate` would. Printed and written to
//! `<out>/sampler_agreement.md` (and one CSV row per event and sampler in
//! `<out>/sampler_agreement.csv`), per sampler:
//!
//! * the share of events whose every cluster probability is within 0.01 and
//!   within 0.02 of the reference, and the largest error;
//! * wrong answers (a probability off by > 0.05 or a mean off by more than
//!   2 MCSE + 0.5 km), how many of them the untrustworthy flag caught, and
//!   how often it fired on right answers;
//! * CPU milliseconds per event (process CPU time of the whole batch, all
//!   threads, divided by the events).

#[path = "common/cpu_time.rs"]
mod cpu_time;
use cpu_time::process_cpu_s;
use anyhow::{bail, Result};
use eqnemix::io::write_atomic_path;
use eqnemix::locate::{every_sampler, sampler_label, locate_event, LocateOptions};
use eqnemix::sampler_agreement::{multimodal_events, score, AgreementScore, REFERENCE_GRID};
use eqnemix::synthetic_region::SyntheticRegion;
use indicatif::ProgressBar;
use rayon::prelude::*;
use std::fmt::Write as _;
use std::path::PathBuf;

/// Command-line flags (module doc).
#[derive(clap::Parser)]
struct Args {
    /// Multimodal events to score.
    #[arg(long, default_value_t = 300)]
    n: usize,
    /// Event stream of the synthetic region.
    #[arg(long, default_value_t = 21)]
    stream: u64,
    /// Comma-separated sampler kinds (default: every sampler).
    #[arg(long, value_delimiter = ',')]
    samplers: Vec<String>,
    /// Output folder.
    #[arg(long, default_value = "target/sampler_agreement")]
    out: PathBuf,
}


fn main() -> Result<()> {
    let args = <Args as clap::Parser>::parse();
    let mut samplers = every_sampler();
    if !args.samplers.is_empty() {
        for k in &args.samplers {
            if !samplers.iter().any(|s| sampler_label(s) == k) {
                bail!("--samplers {k}: not one of {:?}", samplers.iter().map(|s| sampler_label(s)).collect::<Vec<_>>());
            }
        }
        samplers.retain(|s| args.samplers.iter().any(|k| k == sampler_label(s)));
    }
    std::fs::create_dir_all(&args.out)?;
    let region = SyntheticRegion::standard()?;
    eprintln!("finding {} multimodal events with their {:?} grid references...", args.n, REFERENCE_GRID);
    let events = multimodal_events(&region, args.n, args.stream, REFERENCE_GRID, 50 * args.n)?;
    eprintln!("{} events", events.len());

    let mut table = String::new();
    let _ = writeln!(table, "| sampler | events | all p within 0.01 | within 0.02 | largest p error | wrong | wrong flagged | right flagged | CPU ms / event |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut csv = String::from("sampler,event_id,max_probability_error,mean_error_ratio,wrong,flagged,reasons\n");
    for sampler in &samplers {
        let bar = ProgressBar::new(events.len() as u64).with_message(sampler_label(sampler));
        let cpu0 = process_cpu_s();
        let scores: Vec<(AgreementScore, String)> = events
            .par_iter()
            .enumerate()
            .map(|(i, r)| {
                let opts = LocateOptions { seed: 1000 + i as u64, ..Default::default() };
                let out = match locate_event(&r.posterior, sampler, &opts) {
                    Ok(loc) => (score(&loc, r), loc.flags.reasons.join("; ")),
                    Err(e) => (
                        AgreementScore { max_probability_error: 1.0, mean_error_ratio: f64::INFINITY, wrong: true, flagged: true },
                        format!("failed: {e}"),
                    ),
                };
                bar.inc(1);
                out
            })
            .collect();
        let cpu_ms = 1000.0 * (process_cpu_s() - cpu0) / events.len().max(1) as f64;
        bar.finish_and_clear();
        let n = scores.len();
        let within = |t: f64| scores.iter().filter(|(s, _)| s.max_probability_error <= t).count();
        let wrong = scores.iter().filter(|(s, _)| s.wrong).count();
        let wrong_flagged = scores.iter().filter(|(s, _)| s.wrong && s.flagged).count();
        let right_flagged = scores.iter().filter(|(s, _)| !s.wrong && s.flagged).count();
        let largest = scores.iter().map(|(s, _)| s.max_probability_error).fold(0.0, f64::max);
        let pct = |k: usize, of: usize| if of > 0 { format!("{k} ({:.0}%)", 100.0 * k as f64 / of as f64) } else { format!("{k}") };
        let _ = writeln!(
            table,
            "| {} | {n} | {} | {} | {largest:.3} | {wrong} | {} | {} | {cpu_ms:.1} |",
            sampler_label(sampler),
            pct(within(0.01), n),
            pct(within(0.02), n),
            pct(wrong_flagged, wrong),
            pct(right_flagged, n - wrong),
        );
        for ((s, why), r) in scores.iter().zip(&events) {
            let _ = writeln!(
                csv,
                "{},{},{:.5},{:.3},{},{},\"{}\"",
                sampler_label(sampler),
                r.event.id,
                s.max_probability_error,
                s.mean_error_ratio,
                s.wrong,
                s.flagged,
                why.replace('"', "'")
            );
        }
        eprintln!("{} done", sampler_label(sampler));
    }
    let md = format!(
        "## Sampler agreement: {} multimodal S-P events (stream {}), exact answers from a {:?} grid\n\n{table}\nCommand: `cargo run --release --example sampler_agreement -- --n {} --stream {}`\n",
        events.len(),
        args.stream,
        REFERENCE_GRID,
        args.n,
        args.stream
    );
    print!("{md}");
    write_atomic_path(&args.out.join("sampler_agreement.md"), |tmp| std::fs::write(tmp, &md))?;
    write_atomic_path(&args.out.join("sampler_agreement.csv"), |tmp| std::fs::write(tmp, &csv))?;
    Ok(())
}
