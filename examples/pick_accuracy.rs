//! EQTransformer's picks on a generated sample against the generator's
//! true arrivals: the P and S pick RMS, the share of true events with both
//! a P and an S pick in one detection, and the run report's per-event
//! table ([`eqnemix::pipeline::pick_accuracy`], the same comparison
//! `eqnemix run` writes into its report).
//!
//! ```text
//! cargo run --release -- generate --config defaults --out /tmp/s1 --seed 2 --duration-hours 1 --n-events 12
//! cargo run --release -- pick /tmp/s1/*.mseed --station XX.SYN1 -o /tmp/s1/eqt.csv
//! cargo run --release --example pick_accuracy -- --sample /tmp/s1 --picks /tmp/s1/eqt.csv
//! ```
//!
//! On the shipped sample (`examples/data/sample`) the picks file is
//! `eqnemix pick examples/data/sample/*.mseed --station XX.SYN1 -o picks_eqt.csv`.
//! Thresholds: `eqnemix pick`'s own (EQTransformer's defaults) unless the
//! picks were made with others. Prints Markdown.

use anyhow::{Context, Result};
use clap::Parser;
use eqnemix::geo::LocalProjection;
use eqnemix::locate::inputs::{read_eqtransformer_picks, read_stations};
use eqnemix::pipeline::{pick_accuracy, truth};
use std::path::PathBuf;

#[derive(Parser)]
struct Args {
    /// Folder written by `eqnemix generate` (stations.csv, catalog.csv).
    #[arg(long)]
    sample: PathBuf,
    /// Picks of `eqnemix pick` on that folder's miniSEED.
    #[arg(long)]
    picks: PathBuf,
    /// Also print the per-event table.
    #[arg(long)]
    events: bool,
}

fn main() -> Result<()> {
    let a = Args::parse();
    let stations_csv = a.sample.join("stations.csv");
    let mut r = csv::Reader::from_path(&stations_csv).with_context(|| format!("reading {}", stations_csv.display()))?;
    let h = r.headers()?.clone();
    let rec = r.records().next().context("stations.csv: no station")??;
    let col = |n: &str| -> Result<f64> {
        let i = h.iter().position(|c| c == n).with_context(|| format!("stations.csv: no column {n}"))?;
        Ok(rec[i].parse()?)
    };
    let projection = LocalProjection::new(col("longitude")?, col("latitude")?)?;
    let stations = read_stations(&stations_csv, &projection)?;
    let detections = read_eqtransformer_picks(&a.picks, &projection, &stations, 0.1)?;
    let truth = truth::read_truth(&a.sample.join("catalog.csv"), &projection)?;
    let acc = pick_accuracy::compare(&detections, &truth);
    println!("| sample | true events | detected | both P and S | share both | P n | P RMS (s) | P median (s) | S n | S RMS (s) | S median (s) | S-P RMS (s) | false detections |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {} | {} | {} | {} | {:.0}% | {} | {:.2} | {:+.2} | {} | {:.2} | {:+.2} | {:.2} | {} |",
        a.sample.display(),
        acc.n_true,
        acc.n_detected,
        acc.n_with_p_and_s,
        100.0 * acc.n_with_p_and_s as f64 / acc.n_true.max(1) as f64,
        acc.p_error.n,
        acc.p_error.rms_s,
        acc.p_error.median_s,
        acc.s_error.n,
        acc.s_error.rms_s,
        acc.s_error.median_s,
        acc.s_minus_p_error.rms_s,
        acc.false_detections.len()
    );
    if a.events {
        let mut s = String::new();
        acc.write_markdown(&mut s);
        println!("{s}");
    }
    Ok(())
}
