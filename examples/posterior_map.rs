//! Posterior maps of one synthetic event: the travel-time model and the
//! sampler are chosen by flags; writes the map view, the east/north–depth
//! sections and the chain traces as PNG and SVG into `--out`.
//!
//! ```text
//! cargo run --release --example posterior_map -- \
//!     --travel-time layered --sampler nuts --event 3 --out target/posterior_map
//! ```
//!
//! `--travel-time homogeneous|layered|eikonal` (the picks are always
//! simulated with the layered crust; `homogeneous` inverts them with a
//! constant Vp 6.0, Vs 3.43 km/s, `eikonal` with the same crust on a 1 km
//! grid); `--sampler nuts|hmc|metropolis|advi|smc|octree`;
//! `--no-back-azimuth` drops the back-azimuth term (S-P only); `--seed`
//! (default 1) seeds the sampler. The event is located as `eqnemix locate`
//! locates it (`eqnemix::locate::locate_event`: Markov chains start from the
//! multimodal pilot); when the pilot finds several modes the chains' draws
//! come back merged and weighted by mode mass, so the trace plot then shows
//! one merged sequence rather than one line per chain.

use anyhow::Context;
use eqnemix::grid_posterior::GridPosterior;
use eqnemix::likelihood::LikelihoodOptions;
use eqnemix::plot::posterior_map::{draw_posterior_map, PosteriorFigure, SpShell};
use eqnemix::plot::sections::draw_sections;
use eqnemix::plot::trace::draw_traces;
use eqnemix::prior::PriorOptions;
use eqnemix::samplers::advi::AdviConfig;
use eqnemix::samplers::any::SamplerConfig;
use eqnemix::samplers::hmc::HmcConfig;
use eqnemix::samplers::metropolis::MetropolisConfig;
use eqnemix::samplers::nuts::NutsConfig;
use eqnemix::samplers::octree::OctreeConfig;
use eqnemix::samplers::smc::{Reference, SmcConfig};
use eqnemix::synthetic_region::{locate_with, SyntheticRegion};
use eqnemix::traveltime::{Homogeneous, TravelTimeModel};
use std::path::PathBuf;

/// The sampler named on the command line, with settings for this problem.
pub fn sampler_named(name: &str) -> anyhow::Result<SamplerConfig> {
    Ok(match name {
        "nuts" => SamplerConfig::Nuts(NutsConfig { n_warmup: 1000, n_draws: 1000, ..Default::default() }),
        "hmc" => SamplerConfig::Hmc(HmcConfig::default()),
        "metropolis" => SamplerConfig::Metropolis(MetropolisConfig::default()),
        "advi" => SamplerConfig::Advi(AdviConfig::default()),
        "smc" => SamplerConfig::Smc(SmcConfig {
            reference: Reference::Uniform { lower: vec![], upper: vec![] },
            ..Default::default()
        }),
        "octree" => SamplerConfig::Octree(OctreeConfig::default()),
        _ => anyhow::bail!("--sampler must be nuts, hmc, metropolis, advi, smc or octree (got {name})"),
    })
}

/// Command-line flags (module doc).
#[derive(clap::Parser)]
struct Args {
    /// Travel-time model that inverts the picks (they are always simulated
    /// with the layered crust).
    #[arg(long = "travel-time", default_value = "layered", value_parser = ["homogeneous", "layered", "eikonal"])]
    travel_time: String,
    /// Sampler, with the settings of `sampler_named` in this file.
    #[arg(long, default_value = "nuts", value_parser = ["nuts", "hmc", "metropolis", "advi", "smc", "octree"])]
    sampler: String,
    /// Index of the synthetic event (stream seed 2024).
    #[arg(long, default_value_t = 3)]
    event: usize,
    /// Sampler seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output folder.
    #[arg(long, default_value = "target/posterior_map")]
    out: PathBuf,
    /// Drop the back-azimuth term (S-P only).
    #[arg(long)]
    no_back_azimuth: bool,
}

fn main() -> anyhow::Result<()> {
    let Args { travel_time: tt, sampler, event, seed, out, no_back_azimuth } = <Args as clap::Parser>::parse();
    let baz = !no_back_azimuth;
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let region = SyntheticRegion::standard()?;
    let ev = region.draw_event(event, 2024)?;
    let model: Box<dyn TravelTimeModel> = match tt.as_str() {
        "layered" => Box::new(region.model.as_ref().clone()),
        "homogeneous" => Box::new(Homogeneous::new(6.0, 6.0 / 1.75)?),
        "eikonal" => Box::new(region.eikonal_model(1.0)?),
        _ => anyhow::bail!("--travel-time must be homogeneous, layered or eikonal (got {tt})"),
    };
    let opts = LikelihoodOptions { back_azimuth: baz, ..Default::default() };
    let post = region.posterior_with(&ev, model.as_ref(), &opts, &PriorOptions::default())?;
    let cfg = sampler_named(&sampler)?;
    let t0 = std::time::Instant::now();
    let loc = locate_with(&post, &cfg, 4, seed)?;
    let secs = t0.elapsed().as_secs_f64();
    let grid = GridPosterior::evaluate(&post, [160, 160, 60])?;
    let sp = &post.likelihood().s_minus_p[0];
    let predicted = |x: [f64; 3]| sp.predicted(x);
    let fig = PosteriorFigure {
        event_id: ev.id.clone(),
        stations: vec![(region.station.code.clone(), region.station.position_km)],
        clusters: &region.clusters,
        summary: &loc.summary,
        chains: &loc.chains,
        grid: Some(&grid),
        sp_shell: Some(SpShell { observed_s: sp.observed_s, sigma_s: sp.sigma_s, predicted: &predicted }),
        truth_km: Some(ev.true_km),
        subtitle: format!(
            "{} travel times, {} sampler{}; shading: dense-grid marginal",
            tt,
            sampler,
            if baz { ", S-P + back-azimuth" } else { ", S-P only" }
        ),
    };
    for ext in ["png", "svg"] {
        draw_posterior_map(&out.join(format!("{}_map.{ext}", ev.id)), &fig)?;
        draw_sections(&out.join(format!("{}_sections.{ext}", ev.id)), &fig)?;
        draw_traces(
            &out.join(format!("{}_trace.{ext}", ev.id)),
            &format!("Event {} — {} chains", ev.id, sampler),
            &loc.chains,
            &["east (km)", "north (km)", "depth (km)"],
        )?;
    }
    let s = &loc.summary;
    println!("event {} (true cluster {}, truth {:?} km)", ev.id, ev.cluster, ev.true_km.map(|v| (v * 100.0).round() / 100.0));
    println!("posterior mean {:?} km, sd {:?} km", s.mean_km.map(|v| (v * 100.0).round() / 100.0), s.std_km.map(|v| (v * 100.0).round() / 100.0));
    println!("grid mean      {:?} km", grid.mean_km.map(|v| (v * 100.0).round() / 100.0));
    println!("cluster probabilities {:?}", s.cluster_probabilities.iter().map(|p| (p * 1000.0).round() / 1000.0).collect::<Vec<_>>());
    println!("sampler {sampler}: {secs:.2} s; figures in {}", out.display());
    Ok(())
}
