//! Time to locate one event, side by side with the ORIGINAL EQNeMix
//! formulation in PyMC.
//!
//! The event is drawn from the synthetic region
//! ([`eqnemix::synthetic_region`]) with a sixth cluster added, so the prior
//! has K = 6 cluster Gaussians as in the original's `6_clusters` set-up; the
//! picks have σ = 0.1/√2 s each, so the S-P residual has σ = 0.1 s as in
//! the original. Both sides see the same event, the same S-P time, the same
//! cluster Gaussians and the same weights (the event's classifier
//! probabilities).
//!
//! * **eqnemix**: the cluster index marginalised (3 dimensions), smooth
//!   travel times with gradients; first the default sampler (adaptive
//!   importance sampling from the prior, Kish ESS target 10 000: its ESS is
//!   the Kish ESS of its weights), then NUTS as configured by `nuts_sampler` (dense
//!   metric, `--warmup` 400 warm-up iterations), 4 chains, through
//!   [`eqnemix::locate::locate_event`] (starting points, sampling, R-hat/ESS,
//!   summary with MAP and ellipsoids, information gain: the whole job), on
//!   ONE thread (a rayon pool of 1 thread), with (a) the layered model and
//!   (b) the 3D eikonal grid of the same crust ([`EikonalModel`] on a
//!   `--spacing` km grid covering the region box; its one-off solve of the
//!   station's P and S fields is timed separately). The draws per chain are
//!   raised until the smallest bulk ESS over east, north and depth is at
//!   least `--min-ess` (1000); the time is the median of `--repeats` runs of
//!   that final setting. A second row times the 4 NUTS chains alone
//!   (`run_chains`, same draws, started from prior draws), so the cost of
//!   what `locate_event` adds (multimodal pilot, summary, diagnostics)
//!   shows as the difference.
//! * **PyMC (original)** (`scripts/bench/original_pymc.py`): a categorical
//!   cluster index plus one 3D MvNormal per cluster (19 dimensions for
//!   K = 6), S-P looked up at the nearest node of a precomputed S-P table
//!   (the layered model's exact times at the nodes of a `--table-spacing`
//!   km grid over the region box), Normal likelihood with σ = 0.1 s;
//!   `pm.sample` with 4 chains on one core (CategoricalGibbsMetropolis for
//!   the index, NUTS for the Gaussians; 1000 tuning + 1000 draws per chain,
//!   PyMC's defaults; BLAS/OpenMP threads set to 1), draws raised (a new
//!   run from scratch, at most 3 runs) until the bulk ESS of every
//!   hypocentre coordinate reaches `--min-ess`, within a CPU budget for the
//!   whole Python process (`--pymc-budget-min`, 20): a further run starts
//!   only if its cost, projected from the last run, fits, and a run is
//!   abandoned at the budget. Its time is the last finished run's sampling
//!   (tuning included); model build and compilation are reported apart.
//!   The script also reports why the formulation is slow: the nearest-node
//!   S-P is a step function without gradient, so NUTS adapts a tiny step
//!   and runs to the maximum tree depth (1023 leapfrog steps) on nearly
//!   every draw, and the index c rarely changes cluster.
//!
//! * **nutpie** (`--nutpie`, `scripts/bench/marginal_nutpie.py`): PyMC's
//!   Rust NUTS on a numba-compiled model, on eqnemix's OWN model (cluster
//!   index marginalised, 3 dimensions; S-P trilinear in the same table), 4
//!   chains on one core, 1000 tuning draws, draws raised until the bulk ESS
//!   target; compilation reported apart. Its cluster probabilities are
//!   Rao-Blackwellised responsibilities, comparable with eqnemix's.
//! * **importance sized to the ESS target**: the default sampler with its
//!   Kish ESS target and batch set to `--min-ess` instead of its own
//!   (larger) target: the cost of exactly the ESS asked for.
//!
//! Times are CPU times (of the one worker thread, `clock_gettime`; of the
//! Python process, `time.process_time`), because the development machine
//! is shared and wall times there measure the other jobs too; wall times
//! are printed beside them. The line starting `RATIO` says which ratio it
//! prints: when PyMC reached the ESS target, CPU time to the target, PyMC
//! sampling / eqnemix layered (the whole `locate_event`); when it stopped
//! below the target (budget or 3 runs), ESS per CPU second, eqnemix / PyMC
//! (which does not depend on the target), with PyMC's time to the target
//! extrapolated from its ESS per draw and labelled as not measured.
//! PyMC's compilation is left out of its time, which favours PyMC. Both
//! posteriors (mean ± sd, cluster probabilities, and the Monte Carlo error
//! of PyMC's mean) are printed so that one sees both solved the same
//! problem; they differ slightly because PyMC's S-P is the nearest node's
//! of a `--table-spacing` grid, as in the original.
//!
//! Reproduce (PyMC in a venv outside the repository):
//!
//! ```text
//! python3 -m venv /work/venvs/pymc
//! /work/venvs/pymc/bin/pip install -r scripts/bench/requirements-pymc.txt
//! nice -n 10 cargo run --release --example locate_benchmark -- --python /work/venvs/pymc/bin/python --nutpie
//! ```
//!
//! (`--no-pymc` leaves out the slow original-formulation row.)
//!
//! Options: `--event N` (index of the synthetic event, 2), `--seed N` (event
//! stream, 11), `--min-ess X` (1000), `--repeats N` (5), `--spacing KM`
//! (eikonal grid, 1.0), `--table-spacing KM` (PyMC's S-P table, 1.0),
//! `--warmup N` (NUTS warm-up per chain, 400), `--pymc-budget-min M` (CPU
//! budget of the PyMC process, 20 minutes). Without `--python` only the
//! eqnemix rows are printed.

#[path = "common/cpu_time.rs"]
mod cpu_time;
use cpu_time::thread_cpu_s;
use eqnemix::likelihood::LikelihoodOptions;
use eqnemix::locate::{locate_event, EventLocation, LocateOptions, COORDINATE_NAMES};
use eqnemix::posterior::LocationPosterior;
use eqnemix::prior::PriorOptions;
use eqnemix::samplers::any::SamplerConfig;
use eqnemix::samplers::diagnostics::Summary;
use eqnemix::samplers::importance::ImportanceConfig;
use eqnemix::samplers::nuts::NutsConfig;
use eqnemix::samplers::transform::{Bounds, BoxTransform};
use eqnemix::samplers::{run_chains, Draws};
use eqnemix::synthetic_region::{strike_covariance, SyntheticEvent, SyntheticRegion};
use eqnemix::traveltime::{EikonalModel, Phase, TravelTimeModel};
use eqnemix::ClusterGaussian;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// Command-line flags (module doc).
#[derive(clap::Parser)]
struct Args {
    /// Python of a venv with PyMC, for the original formulation's row.
    #[arg(long)]
    python: Option<String>,
    /// Index of the synthetic event.
    #[arg(long, default_value_t = 2)]
    event: usize,
    /// Event stream seed.
    #[arg(long, default_value_t = 11)]
    seed: u64,
    /// Bulk ESS every coordinate must reach.
    #[arg(long, default_value_t = 1000.0)]
    min_ess: f64,
    /// Runs per timing (the median is reported).
    #[arg(long, default_value_t = 5)]
    repeats: usize,
    /// Eikonal grid spacing (km).
    #[arg(long, default_value_t = 1.0)]
    spacing: f64,
    /// Spacing of PyMC's S-P table (km).
    #[arg(long, default_value_t = 1.0)]
    table_spacing: f64,
    /// NUTS warm-up per chain.
    #[arg(long, default_value_t = 400)]
    warmup: usize,
    /// CPU budget of the whole PyMC process (minutes).
    #[arg(long, default_value_t = 20.0)]
    pymc_budget_min: f64,
    /// Also run nutpie (PyMC's Rust NUTS, numba-compiled) on eqnemix's own
    /// model (`scripts/bench/marginal_nutpie.py`; needs `--python` with nutpie).
    #[arg(long)]
    nutpie: bool,
    /// Skip the PyMC original-formulation row (e.g. to run nutpie alone).
    #[arg(long)]
    no_pymc: bool,
}

/// The synthetic region with a sixth cluster (K = 6 as in the original)
/// and picks of σ = 0.1/√2 s (S-P σ = 0.1 s).
fn region_k6() -> anyhow::Result<SyntheticRegion> {
    let mut r = SyntheticRegion::standard()?;
    r.pick_sigma_s = 0.1 / 2f64.sqrt();
    let (az, d): (f64, f64) = (150f64.to_radians(), 30.0);
    r.clusters.push(ClusterGaussian {
        id: 5,
        n_events: 100,
        mean_km: [d * az.sin(), d * az.cos(), 14.0],
        cov_km2: strike_covariance(70.0, 4.0, 2.0, 2.0),
    });
    Ok(r)
}

/// One measured location setting.
struct Measured {
    loc: EventLocation,
    draws_per_chain: usize,
    /// Median wall time (s).
    time_s: f64,
    /// Median CPU time of the one worker thread (s).
    cpu_s: f64,
}


/// The studies' NUTS (`eqnemix::config::nuts_sampler`: dense metric) with
/// `warmup` warm-up and `draws` kept draws per chain.
fn nuts(warmup: usize, draws: usize) -> SamplerConfig {
    match eqnemix::config::nuts_sampler() {
        SamplerConfig::Nuts(c) => SamplerConfig::Nuts(NutsConfig { n_warmup: warmup, n_draws: draws, ..c }),
        other => other.with_n_draws(draws),
    }
}

/// Locate on `pool` (one thread), raising the draws until the smallest
/// bulk ESS reaches `a.min_ess`; then time `a.repeats` runs of that setting.
fn measure(
    post_of: &(dyn Fn() -> anyhow::Result<LocationPosterior> + Sync),
    a: &Args,
    pool: &rayon::ThreadPool,
) -> anyhow::Result<Measured> {
    let opts = LocateOptions {
        n_chains: 4,
        seed: a.seed,
        ..Default::default()
    };
    // Start low and raise: the dense metric often reaches the target with
    // 200-300 draws per chain, and the search never lowers the draws.
    let mut draws = 150usize;
    let mut loc = None;
    for _ in 0..5 {
        let l = pool.install(|| -> anyhow::Result<EventLocation> {
            Ok(locate_event(&post_of()?, &nuts(a.warmup, draws), &opts)?)
        })?;
        let ess = l.diagnostics.min_ess_bulk;
        let done = ess >= a.min_ess;
        loc = Some(l);
        if done || !ess.is_finite() {
            break;
        }
        draws = (draws as f64 * (1.15 * a.min_ess / ess.max(1.0)).min(8.0)).ceil() as usize;
    }
    let loc = loc.expect("at least one run");
    let (time_s, cpu_s) = median_locate_times(post_of, &nuts(a.warmup, draws), &opts, a.repeats, pool)?;
    Ok(Measured { loc, draws_per_chain: draws, time_s, cpu_s })
}

/// Median (wall s, CPU s of the calling thread) of `repeats` (at least one)
/// `locate_event` runs on `pool`.
fn median_locate_times(
    post_of: &(dyn Fn() -> anyhow::Result<LocationPosterior> + Sync),
    sampler: &SamplerConfig,
    opts: &LocateOptions,
    repeats: usize,
    pool: &rayon::ThreadPool,
) -> anyhow::Result<(f64, f64)> {
    let (mut wall, mut cpu): (Vec<f64>, Vec<f64>) = (0..repeats.max(1))
        .map(|_| {
            let t = Instant::now();
            pool.install(|| -> anyhow::Result<(f64, f64)> {
                let c = thread_cpu_s();
                std::hint::black_box(locate_event(&post_of()?, sampler, opts)?);
                Ok((t.elapsed().as_secs_f64(), thread_cpu_s() - c))
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?
        .into_iter()
        .unzip();
    wall.sort_by(f64::total_cmp);
    cpu.sort_by(f64::total_cmp);
    Ok((wall[wall.len() / 2], cpu[cpu.len() / 2]))
}

/// An importance `sampler` (adaptive importance sampling, sized by its own
/// Kish ESS target: nothing to raise) through `locate_event` on `pool`: the
/// median of `a.repeats` timed runs.
fn measure_default(
    post_of: &(dyn Fn() -> anyhow::Result<LocationPosterior> + Sync),
    sampler: &SamplerConfig,
    a: &Args,
    pool: &rayon::ThreadPool,
) -> anyhow::Result<Measured> {
    let opts = LocateOptions { seed: a.seed, ..Default::default() };
    let loc = pool.install(|| -> anyhow::Result<EventLocation> { Ok(locate_event(&post_of()?, sampler, &opts)?) })?;
    let (time_s, cpu_s) = median_locate_times(post_of, sampler, &opts, a.repeats, pool)?;
    Ok(Measured { loc, draws_per_chain: 0, time_s, cpu_s })
}

/// The NUTS chains alone (what `locate_event` adds around them: pilot,
/// summary, diagnostics, is the difference): 4 chains of `draws` draws from
/// prior draws inside the box, on `pool`. Returns (CPU s, wall s, min bulk
/// ESS, max R-hat).
fn measure_chains(
    post: &LocationPosterior,
    a: &Args,
    draws: usize,
    pool: &rayon::ThreadPool,
) -> anyhow::Result<(f64, f64, f64, f64)> {
    let (lo, hi) = post.bounds();
    let bounds = lo.iter().zip(&hi).map(|(l, h)| Bounds::interval(*l, *h)).collect();
    let target = BoxTransform::new(post, bounds)?;
    let mut rng = ChaCha8Rng::seed_from_u64(a.seed);
    let inits: Vec<Vec<f64>> = post
        .initial_points(4, &mut rng)
        .into_iter()
        .map(|x| {
            let x: Vec<f64> = (0..x.len()).map(|i| x[i].clamp(lo[i] + 1e-6, hi[i] - 1e-6)).collect();
            target.to_unconstrained(&x)
        })
        .collect::<Result<_, _>>()?;
    let sampler = nuts(a.warmup, draws).build();
    let t = Instant::now();
    let (chains, cpu) = pool.install(|| -> anyhow::Result<_> {
        let c = thread_cpu_s();
        let ch = run_chains(sampler.as_ref(), &target, &inits, a.seed)?;
        Ok((ch, thread_cpu_s() - c))
    })?;
    let wall = t.elapsed().as_secs_f64();
    let chains: Vec<Draws> = chains.iter().map(|d| target.constrain_draws(d)).collect();
    let table = Summary::from_chains(&chains, &COORDINATE_NAMES[..3])?;
    let ess = table.min_ess_bulk();
    Ok((cpu, wall, ess, table.max_rhat()))
}

/// The S-P table (s) of the layered model at the nodes of a grid of
/// `h` km over the region box, written as little-endian f64 in C order
/// (ix, iy, iz). Returns (origin, spacing, n).
fn write_sp_table(r: &SyntheticRegion, h: f64, path: &Path) -> anyhow::Result<([f64; 3], [f64; 3], [usize; 3])> {
    let (lo, hi) = (r.region.min_km, r.region.max_km);
    let n = [0, 1, 2].map(|i| ((hi[i] - lo[i]) / h).round() as usize + 1);
    let fp = r.model.field(&r.station, Phase::P)?;
    let fs = r.model.field(&r.station, Phase::S)?;
    let mut bytes = Vec::with_capacity(8 * n[0] * n[1] * n[2]);
    for ix in 0..n[0] {
        for iy in 0..n[1] {
            for iz in 0..n[2] {
                let x = [lo[0] + ix as f64 * h, lo[1] + iy as f64 * h, lo[2] + iz as f64 * h];
                let sp = fs.time(x)? - fp.time(x)?;
                bytes.extend_from_slice(&sp.to_le_bytes());
            }
        }
    }
    std::fs::write(path, bytes)?;
    Ok((lo, [h; 3], n))
}

/// Runs the Python peer `script` (in `scripts/bench/`) on the event's
/// problem (JSON: weights, cluster Gaussians, S-P, the S-P table, sampling
/// settings) and returns the JSON it prints.
fn run_peer(py: &str, script: &str, r: &SyntheticRegion, ev: &SyntheticEvent, a: &Args) -> anyhow::Result<serde_json::Value> {
    let dir = tempfile::tempdir()?;
    let table = dir.path().join("sp_table.f64");
    let (origin, spacing, n) = write_sp_table(r, a.table_spacing, &table)?;
    let st = &ev.picks.stations[0];
    let (p, s) = (st.p.expect("P pick"), st.s.expect("S pick"));
    let prob = serde_json::json!({
        "weights": ev.probabilities,
        "means": r.clusters.iter().map(|c| c.mean_km).collect::<Vec<_>>(),
        "covs": r.clusters.iter().map(|c| c.cov_km2).collect::<Vec<_>>(),
        "sp_obs": s.time_s - p.time_s,
        "sigma": 0.1,
        "table_path": table,
        "table_origin_km": origin,
        "table_spacing_km": spacing,
        "table_n": n,
        "chains": 4,
        "min_ess": a.min_ess,
        "draws": 1000,
        "tune": 1000,
        "seed": a.seed,
        "max_rounds": 3,
        "cpu_budget_s": 60.0 * a.pymc_budget_min,
    });
    let pj = dir.path().join("problem.json");
    std::fs::write(&pj, prob.to_string())?;
    // One core for PyMC as for eqnemix: no BLAS / OpenMP worker threads.
    let out = Command::new(py)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/bench").join(script))
        .arg(&pj)
        .envs(["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"].map(|k| (k, "1")))
        .output()?;
    anyhow::ensure!(out.status.success(), "{script} failed: {}", String::from_utf8_lossy(&out.stderr));
    Ok(serde_json::from_slice(&out.stdout)?)
}

fn fmt3(v: [f64; 3]) -> String {
    format!("({:.2}, {:.2}, {:.2})", v[0], v[1], v[2])
}

fn main() -> anyhow::Result<()> {
    let a = <Args as clap::Parser>::parse();
    let region = region_k6()?;
    let ev = region.draw_event(a.event, a.seed)?;
    let opts = LikelihoodOptions {
        back_azimuth: false,
        ..Default::default()
    };
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    println!(
        "event {} (cluster {}, true hypocentre {} km), K = {} clusters, S-P only (σ = 0.1 s), 4 chains, target bulk ESS ≥ {} per coordinate, 1 thread",
        ev.id,
        ev.cluster,
        fmt3(ev.true_km),
        region.n_clusters(),
        a.min_ess
    );

    let layered_posterior = || Ok(region.posterior(&ev, &opts, &PriorOptions::default())?);
    let default_layered = measure_default(&layered_posterior, &eqnemix::config::default_sampler(), &a, &pool)?;
    // The default sampler sized to the ESS target instead of its own
    // (Kish ESS `--min-ess`, drawn in batches of that size).
    let sized = SamplerConfig::Importance(ImportanceConfig {
        target_ess: a.min_ess,
        batch: a.min_ess.ceil() as usize,
        ..ImportanceConfig::default()
    });
    let sized_layered = measure_default(&layered_posterior, &sized, &a, &pool)?;
    let layered = measure(&layered_posterior, &a, &pool)?;
    let chains_only = measure_chains(
        &region.posterior(&ev, &opts, &PriorOptions::default())?,
        &a,
        layered.draws_per_chain,
        &pool,
    )?;

    let eik: EikonalModel = region.eikonal_model(a.spacing)?;
    let t = Instant::now();
    let solve_cpu_s = pool.install(|| -> anyhow::Result<f64> {
        let c = thread_cpu_s();
        eik.precompute(std::slice::from_ref(&region.station))?;
        Ok(thread_cpu_s() - c)
    })?;
    let solve_s = t.elapsed().as_secs_f64();
    let eikonal = measure(
        &|| Ok(region.posterior_with(&ev, &eik, &opts, &PriorOptions::default())?),
        &a,
        &pool,
    )?;

    let peer = match &a.python {
        Some(py) if !a.no_pymc => Some(run_peer(py, "original_pymc.py", &region, &ev, &a)?),
        _ => None,
    };
    let nutpie = match (&a.python, a.nutpie) {
        (Some(py), true) => Some(run_peer(py, "marginal_nutpie.py", &region, &ev, &a)?),
        (None, true) => anyhow::bail!("--nutpie needs --python (a venv with pymc and nutpie)"),
        _ => None,
    };

    println!();
    println!(
        "| {:<36} | {:>10} | {:>10} | {:>11} | {:>12} | {:>9} | {:>10} | {:<24} |",
        "what", "CPU time", "wall time", "draws/chain", "min bulk ESS", "max R-hat", "ESS/CPU s", "posterior mean (km)"
    );
    println!("|{:-<38}|{:->12}|{:->12}|{:->13}|{:->14}|{:->11}|{:->12}|{:-<26}|", "", "", "", "", "", "", "", "");
    let ms = |v: f64| format!("{:.1} ms", 1e3 * v);
    let sec = |v: f64| if v.is_finite() { format!("{v:.2} s") } else { "-".to_string() };
    #[allow(clippy::too_many_arguments)]
    fn line(what: &str, cpu: &str, wall: &str, draws: &str, ess: &str, rhat: &str, rate: &str, mean: &str) {
        println!(
            "| {what:<36} | {cpu:>10} | {wall:>10} | {draws:>11} | {ess:>12} | {rhat:>9} | {rate:>10} | {mean:<24} |"
        );
    }
    let row = |what: &str, m: &Measured| {
        let d = &m.loc.diagnostics;
        line(
            what,
            &ms(m.cpu_s),
            &ms(m.time_s),
            &m.draws_per_chain.to_string(),
            &format!("{:.0}", d.min_ess_bulk),
            &format!("{:.3}", d.max_rhat),
            &format!("{:.0}", d.min_ess_bulk / m.cpu_s),
            &fmt3(m.loc.summary.mean_km),
        );
    };
    for (what, m) in [("eqnemix default (importance), layered", &default_layered), ("  importance sized to the ESS target", &sized_layered)] {
        let d = &m.loc.diagnostics;
        line(
            what,
            &ms(m.cpu_s),
            &ms(m.time_s),
            "-",
            &format!("{:.0}", d.min_ess_bulk),
            "-",
            &format!("{:.0}", d.min_ess_bulk / m.cpu_s),
            &fmt3(m.loc.summary.mean_km),
        );
    }
    row("eqnemix NUTS, layered", &layered);
    line(
        "  of which: the 4 NUTS chains alone",
        &ms(chains_only.0),
        &ms(chains_only.1),
        &layered.draws_per_chain.to_string(),
        &format!("{:.0}", chains_only.2),
        &format!("{:.3}", chains_only.3),
        &format!("{:.0}", chains_only.2 / chains_only.0),
        "(chains from prior draws)",
    );
    row(&format!("eqnemix NUTS, eikonal {} km grid", a.spacing), &eikonal);
    line("  eikonal P+S solve (once)", &ms(solve_cpu_s), &ms(solve_s), "-", "-", "-", "-", "");
    let nums = |v: &serde_json::Value, k: &str| -> Vec<f64> {
        v[k].as_array().map_or(vec![], |a| a.iter().filter_map(|x| x.as_f64()).collect())
    };
    let probs = |p: &[f64]| p.iter().map(|p| format!("{p:.2}")).collect::<Vec<_>>().join(", ");
    let mean_sd = |m: &[f64], sd: &[f64]| -> String {
        ["east", "north", "depth"]
            .iter()
            .zip(m.iter().zip(sd))
            .map(|(n, (m, s))| format!("{n} {m:.2} ± {s:.2}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    // Peer figures that could not be measured print as "-", never NaN.
    let clean = |x: f64, decimals: usize| if x.is_finite() { format!("{x:.decimals$}") } else { "-".to_string() };
    let peer_summary = |v: &serde_json::Value| {
        let ess = nums(v, "ess_bulk");
        let min_ess = if ess.len() == 3 { ess.iter().copied().fold(f64::INFINITY, f64::min) } else { f64::NAN };
        let rhat = nums(v, "rhat");
        let max_rhat = if rhat.len() == 3 { rhat.into_iter().fold(f64::NEG_INFINITY, f64::max) } else { f64::NAN };
        (ess, min_ess, max_rhat, nums(v, "mean_km"))
    };
    // A peer's sampling row and its compilation row.
    let peer_rows = |what: &str, compile_what: &str, v: &serde_json::Value, rate_decimals: usize| {
        let f = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
        let (_, min_ess, max_rhat, mean) = peer_summary(v);
        let cpu = f("sampling_cpu_s");
        line(
            what,
            &sec(cpu),
            &sec(f("sampling_s")),
            &v["draws_per_chain"].as_u64().map_or("-".to_string(), |d| d.to_string()),
            &clean(min_ess, 0),
            &clean(max_rhat, 3),
            &clean(min_ess / cpu, rate_decimals),
            &if mean.len() == 3 { fmt3([mean[0], mean[1], mean[2]]) } else { "-".into() },
        );
        line(compile_what, &sec(f("compile_cpu_s")), &sec(f("compile_s")), "-", "-", "-", "-", &format!("{} run(s), {:.0} CPU s in all", v["rounds"], f("process_cpu_s")));
    };
    if let Some(v) = &nutpie {
        peer_rows("nutpie, eqnemix's model (3 dims)", "  nutpie model build + numba compile", v, 0);
    }
    if let Some(v) = &peer {
        let f = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
        let (ess, min_ess, _, mean) = peer_summary(v);
        let cpu = f("sampling_cpu_s");
        peer_rows(&format!("PyMC original ({} dims), sampling", v["dims"]), "  PyMC model build + compile", v, 2);
        println!();
        // No finished run (the budget ended the first): nothing to explain or compare.
        let finished = cpu.is_finite();
        if finished {
            println!(
                "PyMC NUTS (why it is slow): mean tree depth {:.2} ({:.0}% of draws at the maximum, 10), {:.0} leapfrog steps per draw, step size {:.4}, {} divergences, {:.0} µs of sampling CPU per leapfrog step, {:.0} CPU ms per draw and chain; the cluster index c changes in {:.1}% of draws",
                f("mean_tree_depth"),
                100.0 * f("max_tree_depth_share"),
                f("mean_leapfrog_steps"),
                f("step_size"),
                v["divergences"],
                f("cpu_us_per_leapfrog"),
                1e3 * f("cpu_s_per_iteration"),
                100.0 * f("c_switch_rate"),
            );
        }
        let ours = layered.loc.diagnostics.min_ess_bulk / layered.cpu_s;
        let status = v["status"].as_str().unwrap_or("?");
        if !min_ess.is_finite() {
            println!(
                "RATIO: none, PyMC finished no run within its CPU budget of {:.0} s (--pymc-budget-min)",
                f("cpu_budget_s")
            );
        } else if status == "target" {
            println!(
                "RATIO (both reached bulk ESS ≥ {}): CPU time to the target, PyMC sampling / eqnemix layered (whole locate_event) = {:.0}x; ESS per CPU second, eqnemix / PyMC = {:.0}x",
                a.min_ess,
                cpu / layered.cpu_s,
                ours / (min_ess / cpu)
            );
        } else {
            let why = if status == "budget" {
                format!("its next run would not fit in the CPU budget of {:.0} s (--pymc-budget-min)", f("cpu_budget_s"))
            } else {
                "after the maximum number of runs".to_string()
            };
            println!(
                "RATIO (PyMC stopped below the ESS target, {why}; reported: its last finished run): ESS per CPU second, eqnemix layered (whole locate_event) / PyMC sampling = {:.0}x",
                ours / (min_ess / cpu)
            );
            println!(
                "  extrapolated, NOT measured: at that run's ESS per draw PyMC would need about {:.0} CPU s of sampling (tuning included) to reach the target, {:.0}x eqnemix layered's {}",
                f("projected_cpu_s_to_target"),
                f("projected_cpu_s_to_target") / layered.cpu_s,
                ms(layered.cpu_s)
            );
        }
        if finished {
            println!("same event, same prior, both posteriors (mean ± sd, km; cluster probabilities):");
            let s = &layered.loc.summary;
            println!(
                "  eqnemix layered: {}; [{}]",
                mean_sd(&s.mean_km, &s.std_km),
                probs(&s.cluster_probabilities)
            );
            let sd = nums(v, "sd_km");
            let mcse: Vec<String> = sd.iter().zip(&ess).map(|(s, e)| format!("{:.2}", s / e.sqrt())).collect();
            println!(
                "  PyMC original:   {}; [{}] (Monte Carlo error of PyMC's mean: {} km)",
                mean_sd(&mean, &sd),
                probs(&nums(v, "cluster_probabilities")),
                mcse.join(", ")
            );
        }
    } else {
        println!(
            "cluster probabilities, eqnemix (layered): [{}]",
            probs(&layered.loc.summary.cluster_probabilities)
        );
    }
    if let Some(v) = &nutpie {
        let f = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
        let (_, min_ess, _, mean) = peer_summary(v);
        let theirs = min_ess / f("sampling_cpu_s");
        let d = &default_layered.loc.diagnostics;
        let ours_default = d.min_ess_bulk / default_layered.cpu_s;
        let ours_nuts = layered.loc.diagnostics.min_ess_bulk / layered.cpu_s;
        println!();
        println!(
            "nutpie: {} divergences, mean tree depth {}, {} leapfrog steps per draw; status {} (nutpie {}, PyMC {})",
            v["divergences"],
            clean(f("mean_tree_depth"), 2),
            clean(f("mean_leapfrog_steps"), 1),
            v["status"].as_str().unwrap_or("?"),
            v["nutpie"].as_str().unwrap_or("?"),
            v["pymc"].as_str().unwrap_or("?")
        );
        let ours_sized = sized_layered.loc.diagnostics.min_ess_bulk / sized_layered.cpu_s;
        println!(
            "RATIO nutpie (ESS per CPU second, its sampling only, compilation left out): eqnemix default / nutpie = {}x; sized to the target / nutpie = {}x; eqnemix NUTS (whole locate_event) / nutpie = {}x",
            clean(ours_default / theirs, 1),
            clean(ours_sized / theirs, 1),
            clean(ours_nuts / theirs, 1)
        );
        let sd = nums(v, "sd_km");
        println!("same model, both posteriors (mean ± sd, km; cluster probabilities):");
        let s = &default_layered.loc.summary;
        println!("  eqnemix default: {}; [{}]", mean_sd(&s.mean_km, &s.std_km), probs(&s.cluster_probabilities));
        let theirs_p = nums(v, "cluster_probabilities");
        println!("  nutpie:          {}; [{}]", mean_sd(&mean, &sd), probs(&theirs_p));
        // A mode NUTS never visits shows as cluster mass that differs by far
        // more than either side's Monte Carlo error (a few 0.01).
        let worst = theirs_p.iter().zip(&s.cluster_probabilities).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        println!(
            "  largest cluster-probability difference: {worst:.2}{}",
            if worst > 0.05 { " (nutpie's chains did not find every mode: its ESS is of a different, wrong posterior)" } else { "" }
        );
    }
    let target = 0.01;
    for (what, m) in [("default (importance)", &default_layered), ("importance sized to the ESS target", &sized_layered), ("NUTS", &layered)] {
        println!(
            "eqnemix {what}, layered: {} CPU time per event {} the {:.0} ms target; flags: {:?}",
            ms(m.cpu_s),
            if m.cpu_s < target { "meets" } else { "misses" },
            1e3 * target,
            m.loc.flags.reasons
        );
    }
    Ok(())
}
