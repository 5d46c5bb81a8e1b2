//! A scripted sensitivity study of single-station locations on the
//! synthetic region ([`eqnemix::synthetic_region`]): how accuracy,
//! calibration, uncertainty and cost change with the pick error, an error
//! in the velocity model, the prior temperature and the sampler.
//!
//! ```text
//! # small (a few minutes on 2 shared cores)
//! cargo run --release --example sensitivity_study -- --n 12 --out target/sensitivity
//! # full
//! cargo run --release --example sensitivity_study -- --n 200 --out target/sensitivity
//! ```
//!
//! The pattern, to copy for another study: the settings are a plain list of
//! [`Setting`] structs (one sweep per parameter, each varying one thing away
//! from [`Setting::baseline`]); every (setting, event) pair is located in
//! parallel with rayon, with an indicatif progress bar; one CSV row per
//! setting, one per (setting, event), and one figure of the sweeps.
//!
//! What each parameter means:
//! * `pick_sigma_s`: the σ (s) of the P and S pick errors, used both to
//!   simulate the picks and in the likelihood (events keep their hypocentre
//!   and standard-normal noise across σ, so sweeps compare like with like);
//! * `velocity_scale`: the picks are simulated with the true layered crust
//!   and located with every layer's Vp and Vs multiplied by this factor
//!   (1 = the true model; 1.05 = a 5 % too fast model);
//! * `temperature`: the prior temperature `T`, weights `w_k ∝ p_k^(1/T)`;
//! * `sampler`: `smc` (uniform reference over the region box, 2000
//!   particles), `nuts` (the default location sampler: dense-metric NUTS,
//!   4 chains × 500 draws per mode region), `octree` (20 000 cells).
//!
//! Likelihood: S-P and back-azimuth (σ 8°) from the one station.
//!
//! Outputs in `--out`: `sensitivity.csv` (per setting: sweep, parameters,
//! events, median epicentral error of the posterior mean (km), coverage of
//! the 90 % highest-posterior-density region with its binomial standard
//! error, mean area of the 90 % epicentral ellipse (km²), mean wall time per
//! event (s, in its worker thread)), `sensitivity_events.csv` (per setting and event) and
//! `sensitivity.png` (one row of panels per sweep).
//!
//! With a wrong velocity model the coverage is expected to fall below 0.9:
//! the posterior is then conditioned on a model that did not make the data.

use anyhow::Context as _;
use eqnemix::likelihood::LikelihoodOptions;
use eqnemix::prior::PriorOptions;
use eqnemix::samplers::any::SamplerConfig;
use eqnemix::synthetic_region::{
    epicentral_distance, in_hpd_region, locate_with, median, study_sampler, SyntheticRegion,
};
use eqnemix::traveltime::layered::{Layer, Layered1D};
use clap::Parser as _;
use indicatif::{ProgressBar, ProgressStyle};
use plotters::prelude::*;
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// One point of the study. Every field is a knob; a sweep varies one.
#[derive(Debug, Clone, PartialEq)]
struct Setting {
    /// Which sweep this point belongs to (the plot row).
    sweep: &'static str,
    /// Pick error σ (s), simulated and assumed.
    pick_sigma_s: f64,
    /// Factor on the locating model's velocities (truth: 1).
    velocity_scale: f64,
    /// Prior temperature.
    temperature: f64,
    /// Sampler name (see [`sampler_named`]).
    sampler: &'static str,
}

impl Setting {
    fn baseline(sweep: &'static str) -> Self {
        Setting {
            sweep,
            pick_sigma_s: 0.05,
            velocity_scale: 1.0,
            temperature: 1.0,
            sampler: "smc",
        }
    }

    /// The swept value, as a label.
    fn label(&self) -> String {
        match self.sweep {
            "pick σ (s)" => format!("{}", self.pick_sigma_s),
            "velocity scale" => format!("{}", self.velocity_scale),
            "prior temperature" => format!("{}", self.temperature),
            _ => self.sampler.to_string(),
        }
    }

    /// Identity of the computation (the baseline recurs in every sweep
    /// and is located once).
    fn key(&self) -> String {
        format!(
            "{}|{}|{}|{}",
            self.pick_sigma_s, self.velocity_scale, self.temperature, self.sampler
        )
    }
}

/// The study: one sweep per parameter around the baseline.
fn settings() -> Vec<Setting> {
    let b = Setting::baseline;
    let mut s = Vec::new();
    for v in [0.02, 0.05, 0.1, 0.2] {
        s.push(Setting { pick_sigma_s: v, ..b("pick σ (s)") });
    }
    for v in [0.9, 0.95, 1.0, 1.05, 1.1] {
        s.push(Setting { velocity_scale: v, ..b("velocity scale") });
    }
    for v in [0.5, 1.0, 2.0, 4.0] {
        s.push(Setting { temperature: v, ..b("prior temperature") });
    }
    for v in ["smc", "nuts", "octree"] {
        s.push(Setting { sampler: v, ..b("sampler") });
    }
    s
}

fn sampler_named(name: &str) -> anyhow::Result<SamplerConfig> {
    study_sampler(name).ok_or_else(|| anyhow::anyhow!("unknown sampler {name}"))
}

/// The region's crust with every velocity multiplied by `scale`.
fn scaled_model(region: &SyntheticRegion, scale: f64) -> anyhow::Result<Layered1D> {
    let layers = region
        .model
        .layers()
        .iter()
        .map(|l| Layer::new(l.top_km, l.vp_km_s * scale, l.vs_km_s * scale))
        .collect();
    Ok(Layered1D::new(layers)?)
}

/// What one located event shows.
#[derive(Debug, Clone, Copy)]
struct Outcome {
    epicentral_error_km: f64,
    in_hpd90: bool,
    area90_km2: f64,
    wall_s: f64,
}

/// Locate event `index` under `setting`.
fn run_one(
    region: &SyntheticRegion,
    model: &Layered1D,
    setting: &Setting,
    index: usize,
    seed: u64,
) -> anyhow::Result<Outcome> {
    let t = Instant::now();
    let region = SyntheticRegion { pick_sigma_s: setting.pick_sigma_s, ..region.clone() };
    let event = region.draw_event(index, seed)?;
    let prior = PriorOptions { temperature: setting.temperature, ..Default::default() };
    let post = region.posterior_with(&event, model, &LikelihoodOptions::default(), &prior)?;
    let loc = locate_with(&post, &sampler_named(setting.sampler)?, 4, seed ^ (index as u64 + 1))?;
    let area90_km2 = loc
        .summary
        .epicentral_ellipse(0.9)
        .map_or(f64::NAN, |e| std::f64::consts::PI * e.semi_major_km * e.semi_minor_km);
    Ok(Outcome {
        epicentral_error_km: epicentral_distance(loc.summary.mean_km, event.true_km),
        in_hpd90: in_hpd_region(&post, &loc.chains, event.true_km, 0.9),
        area90_km2,
        wall_s: t.elapsed().as_secs_f64(),
    })
}

/// The summary row of one setting.
struct Row {
    setting: Setting,
    median_error_km: f64,
    coverage90: f64,
    coverage_se: f64,
    mean_area90_km2: f64,
    mean_wall_s: f64,
}

fn summarise(setting: &Setting, out: &[Outcome]) -> Row {
    let n = out.len() as f64;
    let cov = out.iter().filter(|o| o.in_hpd90).count() as f64 / n;
    let errs: Vec<f64> = out.iter().map(|o| o.epicentral_error_km).collect();
    let areas: Vec<f64> = out.iter().map(|o| o.area90_km2).filter(|a| a.is_finite()).collect();
    Row {
        setting: setting.clone(),
        median_error_km: median(&errs),
        coverage90: cov,
        coverage_se: (cov * (1.0 - cov) / n).sqrt(),
        mean_area90_km2: areas.iter().sum::<f64>() / areas.len().max(1) as f64,
        mean_wall_s: out.iter().map(|o| o.wall_s).sum::<f64>() / n,
    }
}

fn write_csv(path: &Path, header: &[&str], rows: Vec<Vec<String>>) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header)?;
    for r in rows {
        w.write_record(r)?;
    }
    let bytes = w.into_inner()?;
    eqnemix::io::write_atomic(path, |f| std::io::Write::write_all(f, &bytes))
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// One row of panels per sweep: median error, coverage (with ±2 s.e. and
/// the nominal 0.9), mean 90 % ellipse area, against the swept value.
fn plot(path: &Path, rows: &[Row]) -> anyhow::Result<()> {
    eqnemix::plot::font::ensure_fonts();
    let mut sweeps: Vec<&str> = Vec::new();
    for r in rows {
        if !sweeps.contains(&r.setting.sweep) {
            sweeps.push(r.setting.sweep);
        }
    }
    let root = BitMapBackend::new(path, (1200, 300 * sweeps.len() as u32)).into_drawing_area();
    root.fill(&WHITE)?;
    let panels = root.split_evenly((sweeps.len(), 3));
    type Metric = (&'static str, fn(&Row) -> f64);
    let metrics: [Metric; 3] = [
        ("median epicentral error (km)", |r| r.median_error_km),
        ("coverage of the 90% region", |r| r.coverage90),
        ("mean 90% ellipse area (km²)", |r| r.mean_area90_km2),
    ];
    for (i, sweep) in sweeps.iter().enumerate() {
        let rs: Vec<&Row> = rows.iter().filter(|r| r.setting.sweep == *sweep).collect();
        let labels: Vec<String> = rs.iter().map(|r| r.setting.label()).collect();
        for (j, (name, f)) in metrics.iter().enumerate() {
            let ys: Vec<f64> = rs.iter().map(|r| f(r)).collect();
            let (mut lo, mut hi) = ys
                .iter()
                .filter(|v| v.is_finite())
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(*v), b.max(*v)));
            if j == 1 {
                (lo, hi) = (lo.min(0.5), 1.0);
            } else {
                (lo, hi) = (0.0, if hi.is_finite() && hi > 0.0 { 1.1 * hi } else { 1.0 });
            }
            let n = rs.len();
            let mut chart = ChartBuilder::on(&panels[i * 3 + j])
                .caption(format!("{sweep}: {name}"), ("sans-serif", 16))
                .margin(10)
                .x_label_area_size(30)
                .y_label_area_size(50)
                .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), lo..hi)?;
            let lab = labels.clone();
            chart
                .configure_mesh()
                .x_labels(n)
                .x_label_formatter(&move |x| {
                    let k = x.round();
                    if (x - k).abs() < 1e-6 && k >= 0.0 {
                        lab.get(k as usize).cloned().unwrap_or_default()
                    } else {
                        String::new()
                    }
                })
                .draw()?;
            let pts: Vec<(f64, f64)> = ys.iter().enumerate().map(|(k, y)| (k as f64, *y)).collect();
            chart.draw_series(LineSeries::new(pts.clone(), BLUE.stroke_width(2)))?;
            chart.draw_series(pts.iter().map(|p| Circle::new(*p, 4, BLUE.filled())))?;
            if j == 1 {
                chart.draw_series(LineSeries::new(
                    [(-0.5, 0.9), (n as f64 - 0.5, 0.9)],
                    BLACK.stroke_width(1),
                ))?;
                chart.draw_series(rs.iter().enumerate().map(|(k, r)| {
                    let (a, b) = (r.coverage90 - 2.0 * r.coverage_se, r.coverage90 + 2.0 * r.coverage_se);
                    PathElement::new(vec![(k as f64, a), (k as f64, b)], BLUE)
                }))?;
            }
        }
    }
    root.present()?;
    Ok(())
}

/// Command-line flags (module doc).
#[derive(clap::Parser)]
struct Args {
    /// Number of synthetic events.
    #[arg(long = "n", default_value_t = 12)]
    n: usize,
    /// Seed of the events, picks and samplers.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Output folder.
    #[arg(long, default_value = "target/sensitivity")]
    out: PathBuf,
}

fn main() -> anyhow::Result<()> {
    let Args { n, seed, out } = Args::parse();
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let region = SyntheticRegion::standard()?;
    let settings = settings();

    // Unique computations (the baseline recurs in every sweep) and one
    // locating model per velocity scale, shared by all events.
    let mut unique: Vec<Setting> = Vec::new();
    for s in &settings {
        if !unique.iter().any(|u| u.key() == s.key()) {
            unique.push(s.clone());
        }
    }
    let mut models: HashMap<String, Arc<Layered1D>> = HashMap::new();
    for s in &unique {
        let k = s.velocity_scale.to_string();
        if !models.contains_key(&k) {
            models.insert(k, Arc::new(scaled_model(&region, s.velocity_scale)?));
        }
    }

    let jobs: Vec<(usize, usize)> = (0..unique.len()).flat_map(|s| (0..n).map(move |e| (s, e))).collect();
    let pb = ProgressBar::new(jobs.len() as u64);
    pb.set_style(ProgressStyle::with_template(
        "{bar:40} {pos}/{len} (setting, event) pairs located, {elapsed} elapsed, eta {eta}",
    )?);
    let t0 = Instant::now();
    let results: Vec<Outcome> = jobs
        .par_iter()
        .map(|&(s, e)| {
            let set = &unique[s];
            let r = run_one(&region, &models[&set.velocity_scale.to_string()], set, e, seed)
                .with_context(|| format!("setting {set:?}, event {e}"));
            pb.inc(1);
            r
        })
        .collect::<anyhow::Result<_>>()?;
    pb.finish_and_clear();
    let wall = t0.elapsed().as_secs_f64();
    let by_key: HashMap<String, &[Outcome]> =
        unique.iter().enumerate().map(|(i, s)| (s.key(), &results[i * n..(i + 1) * n])).collect();

    let rows: Vec<Row> = settings.iter().map(|s| summarise(s, by_key[&s.key()])).collect();
    let params = |s: &Setting| {
        vec![
            s.sweep.to_string(),
            s.pick_sigma_s.to_string(),
            s.velocity_scale.to_string(),
            s.temperature.to_string(),
            s.sampler.to_string(),
        ]
    };
    write_csv(
        &out.join("sensitivity.csv"),
        &[
            "sweep", "pick_sigma_s", "velocity_scale", "temperature", "sampler", "n_events",
            "median_epicentral_error_km", "coverage90", "coverage90_se", "mean_area90_km2", "mean_wall_s_per_event",
        ],
        rows.iter()
            .map(|r| {
                let mut v = params(&r.setting);
                v.extend([
                    n.to_string(),
                    format!("{:.4}", r.median_error_km),
                    format!("{:.4}", r.coverage90),
                    format!("{:.4}", r.coverage_se),
                    format!("{:.3}", r.mean_area90_km2),
                    format!("{:.4}", r.mean_wall_s),
                ]);
                v
            })
            .collect(),
    )?;
    write_csv(
        &out.join("sensitivity_events.csv"),
        &[
            "pick_sigma_s", "velocity_scale", "temperature", "sampler", "event",
            "epicentral_error_km", "in_hpd90", "area90_km2", "wall_s",
        ],
        unique
            .iter()
            .enumerate()
            .flat_map(|(i, s)| {
                results[i * n..(i + 1) * n].iter().enumerate().map(move |(e, o)| {
                    let mut v = params(s)[1..].to_vec();
                    v.extend([
                        e.to_string(),
                        format!("{:.4}", o.epicentral_error_km),
                        o.in_hpd90.to_string(),
                        format!("{:.3}", o.area90_km2),
                        format!("{:.4}", o.wall_s),
                    ]);
                    v
                })
            })
            .collect(),
    )?;
    plot(&out.join("sensitivity.png"), &rows)?;

    println!("Sensitivity study: {n} synthetic events per setting, seed {seed}, S-P + back-azimuth");
    println!();
    println!("| sweep | value | median epicentral error (km) | coverage 90% (± s.e.) | mean 90% ellipse area (km²) | wall s/event |");
    println!("|---|---|---|---|---|---|");
    for r in &rows {
        println!(
            "| {} | {} | {:.2} | {:.2} ± {:.2} | {:.1} | {:.3} |",
            r.setting.sweep,
            r.setting.label(),
            r.median_error_km,
            r.coverage90,
            r.coverage_se,
            r.mean_area90_km2,
            r.mean_wall_s
        );
    }
    println!();
    println!(
        "{} locations in {wall:.1} s on {} threads; tables and figure in {}",
        jobs.len(),
        rayon::current_num_threads(),
        out.display()
    );
    Ok(())
}
