//! Sampler benchmark: bulk effective sample size per wall-clock second for
//! every sampler of `eqnemix::samplers` on two targets, side by side with
//! PyMC's NUTS on the same targets.
//!
//! Targets (from `eqnemix::samplers::targets`):
//! - `gauss10`: the 10-D AR(1)-correlated Gaussian `CorrelatedGaussian::ar1_10d()`
//!   (sds from 0.3 to 3, correlation 0.8);
//! - `twomode3`: the 3-D two-component mixture `GaussianMixture::two_mode_3d(0.3, 0.7, s)`
//!   (default separation `s = 4`, close enough that a single NUTS chain can
//!   cross; the `error` column shows whether the 0.3 mode got its mass).
//!
//! Reproduce (PyMC in a venv outside the repository):
//!
//! ```text
//! python3 -m venv /work/venvs/pymc
//! /work/venvs/pymc/bin/pip install -r scripts/bench/requirements-pymc.txt
//! cargo run --release --example sampler_benchmark -- --python /work/venvs/pymc/bin/python
//! ```
//!
//! Without `--python` only the Rust rows are printed. PyTensor keeps compiled
//! code in `~/.pytensor`, so "incl. compile" is a warm-cache figure unless
//! `--cold-pytensor-cache` is given. Rust wall times are the median of
//! `--repeats` identical runs.
//!
//! Method. Everything runs on ONE thread (a one-thread rayon pool here,
//! `cores=1` for PyMC), chains one after another, so the numbers do not
//! depend on how busy the other cores are. MCMC samplers run `--chains`
//! chains of warm-up + `--draws` iterations from the origin, the warm-up
//! being each sampler's default (a random walk needs a longer one to learn
//! its proposal covariance than NUTS to learn its metric) unless
//! `--warmup` sets one for all; the ESS is
//! the minimum over coordinates of the rank-normalised bulk ESS (Vehtari et
//! al. 2021; ArviZ's `ess(method="bulk")` on the PyMC side) and the time
//! includes warm-up. Population samplers make one run giving
//! `chains * draws` draws: for SMC the bulk ESS is computed over the
//! particles in index order (systematic resampling keeps copies adjacent, so
//! duplicates count as correlation); for the oct-tree it is the Kish ESS of
//! the importance weights (tree building included in the time); for ADVI it
//! is the bulk ESS of i.i.d. draws from the fitted Gaussian, which is only an
//! approximation of the target (see the `error` column). PyMC's ESS/s is
//! given both excluding (`sampling_time` of the trace) and including model
//! construction and compilation. Ratios are ours / PyMC's.
//!
//! `error`: on `gauss10` the largest `|mean_i - true_i| / sd_i`; on `twomode3`
//! `|P(x0 < 0) - exact|`, the error in the lighter mode's mass.

use anyhow::{bail, Context, Result};
use clap::Parser;
use eqnemix::samplers::advi::{AdviConfig, AdviFamily};
use eqnemix::samplers::diagnostics::ess_bulk;
use eqnemix::samplers::hmc::HmcConfig;
use eqnemix::samplers::metropolis::MetropolisConfig;
use eqnemix::samplers::nuts::NutsConfig;
use eqnemix::samplers::octree::OctreeConfig;
use eqnemix::samplers::smc::{Reference, SmcConfig};
use eqnemix::samplers::targets::{CorrelatedGaussian, GaussianMixture};
use eqnemix::samplers::tempering::TemperingConfig;
use eqnemix::samplers::{chain_seed, Draws, GradLogDensity, Sampler};
use statrs::distribution::{ContinuousCDF, Normal};
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

#[derive(Parser)]
#[command(about = "Bulk ESS per second of every sampler, and of PyMC's NUTS, on two targets")]
struct Args {
    /// Python interpreter with PyMC installed (skip PyMC when absent).
    #[arg(long)]
    python: Option<PathBuf>,
    /// Post-warm-up draws per chain.
    #[arg(long, default_value_t = 2000)]
    draws: usize,
    /// Warm-up iterations per chain for every MCMC sampler (and PyMC's
    /// `tune`); by default each sampler uses its own default warm-up
    /// (Metropolis 5000, HMC/NUTS 1000, tempering 2000; PyMC tunes 1000).
    #[arg(long)]
    warmup: Option<usize>,
    /// Chains per MCMC sampler.
    #[arg(long, default_value_t = 2)]
    chains: usize,
    /// Distance between the two modes of `twomode3`.
    #[arg(long, default_value_t = 4.0)]
    separation: f64,
    /// Seed of every run.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Repeat each Rust run this many times and report the median wall time
    /// (the runs are identical: same seed, same draws).
    #[arg(long, default_value_t = 5)]
    repeats: usize,
    /// Give PyTensor an empty compile cache, so "incl. compile" is a cold
    /// start (by default the user's warm cache under ~/.pytensor is used).
    #[arg(long)]
    cold_pytensor_cache: bool,
}

/// Median wall time (s) of `repeats` calls of `f`, and the first result.
fn timed<T>(repeats: usize, mut f: impl FnMut() -> Result<T>) -> Result<(f64, T)> {
    let mut times = Vec::new();
    let mut first = None;
    for _ in 0..repeats.max(1) {
        let t0 = Instant::now();
        let r = f()?;
        times.push(t0.elapsed().as_secs_f64());
        first.get_or_insert(r);
    }
    times.sort_by(f64::total_cmp);
    Ok((times[times.len() / 2], first.expect("at least one run")))
}

struct Row {
    target: &'static str,
    sampler: String,
    wall_s: f64,
    ess: f64,
    error: f64,
    /// PyMC only: wall time including model build and compilation.
    wall_incl_s: Option<f64>,
}

/// One target with what the error column needs.
struct Target {
    name: &'static str,
    density: Box<dyn GradLogDensity>,
    /// gauss10: (mean, sd) per coordinate.
    moments: Option<(Vec<f64>, Vec<f64>)>,
    /// twomode3: exact P(x0 < 0).
    left_mass: Option<f64>,
    smc_sd: Vec<f64>,
    bounds: Option<(Vec<f64>, Vec<f64>)>,
}

fn targets(separation: f64) -> Result<Vec<Target>> {
    let g = CorrelatedGaussian::ar1_10d();
    let sd: Vec<f64> = (0..10).map(|i| g.covariance()[(i, i)].sqrt()).collect();
    let mean = g.mean().to_vec();
    let mix = GaussianMixture::two_mode_3d(0.3, 0.7, separation).context("two-mode target")?;
    let n = Normal::new(0.0, 1.0)?;
    // Component 0: x0 ~ N(-s/2, 1); component 1: x0 ~ N(s/2, 0.8^2).
    let left = 0.3 * n.cdf(0.5 * separation / 1.0) + 0.7 * n.cdf(-0.5 * separation / 0.8);
    let h = 0.5 * separation + 8.0;
    Ok(vec![
        Target {
            name: "gauss10",
            density: Box::new(g),
            moments: Some((mean, sd)),
            left_mass: None,
            smc_sd: vec![8.0],
            bounds: None,
        },
        Target {
            name: "twomode3",
            density: Box::new(mix),
            moments: None,
            left_mass: Some(left),
            smc_sd: vec![0.5 * separation + 3.0, 4.0, 3.0],
            bounds: Some((vec![-h, -8.0, -5.0], vec![h, 8.0, 5.0])),
        },
    ])
}

/// Minimum over coordinates of the bulk ESS of `chains` (equal lengths).
fn min_bulk_ess(chains: &[Draws]) -> f64 {
    let d = chains[0].dim;
    (0..d)
        .map(|k| {
            let cols: Vec<Vec<f64>> = chains
                .iter()
                .map(|c| c.iter().map(|x| x[k]).collect())
                .collect();
            let refs: Vec<&[f64]> = cols.iter().map(|c| c.as_slice()).collect();
            ess_bulk(&refs)
        })
        .fold(f64::INFINITY, f64::min)
}

fn error(t: &Target, chains: &[Draws]) -> f64 {
    if let Some((mean, sd)) = &t.moments {
        let mut worst: f64 = 0.0;
        for k in 0..mean.len() {
            let (mut s, mut w) = (0.0, 0.0);
            for c in chains {
                for i in 0..c.n_draws() {
                    s += c.weight(i) * c.draw(i)[k];
                    w += c.weight(i);
                }
            }
            worst = worst.max((s / w - mean[k]).abs() / sd[k]);
        }
        worst
    } else {
        let (mut s, mut w) = (0.0, 0.0);
        for c in chains {
            for i in 0..c.n_draws() {
                if c.draw(i)[0] < 0.0 {
                    s += c.weight(i);
                }
                w += c.weight(i);
            }
        }
        (s / w - t.left_mass.unwrap_or(f64::NAN)).abs()
    }
}

fn run_rust(args: &Args, t: &Target) -> Result<Vec<Row>> {
    let d = t.density.dim();
    let init = vec![0.0; d];
    let total = args.draws * args.chains;
    let mut rows = Vec::new();
    let mcmc: Vec<(&str, Box<dyn Sampler>)> = vec![
        (
            "metropolis",
            Box::new(MetropolisConfig {
                n_warmup: args.warmup.unwrap_or(MetropolisConfig::default().n_warmup),
                n_draws: args.draws,
                ..Default::default()
            }),
        ),
        (
            "hmc",
            Box::new(HmcConfig {
                n_warmup: args.warmup.unwrap_or(HmcConfig::default().n_warmup),
                n_draws: args.draws,
                ..Default::default()
            }),
        ),
        (
            "nuts",
            Box::new(NutsConfig {
                n_warmup: args.warmup.unwrap_or(NutsConfig::default().n_warmup),
                n_draws: args.draws,
                ..Default::default()
            }),
        ),
        (
            "tempering (8)",
            Box::new(TemperingConfig {
                n_warmup: args.warmup.unwrap_or(TemperingConfig::default().n_warmup),
                n_draws: args.draws,
                ..Default::default()
            }),
        ),
    ];
    for (name, s) in &mcmc {
        let (wall, chains) = timed(args.repeats, || {
            (0..args.chains)
                .map(|c| s.sample(t.density.as_ref(), &init, chain_seed(args.seed, c)))
                .collect::<Result<Vec<Draws>, _>>()
                .with_context(|| format!("{name} on {}", t.name))
        })?;
        rows.push(Row {
            target: t.name,
            sampler: name.to_string(),
            wall_s: wall,
            ess: min_bulk_ess(&chains),
            error: error(t, &chains),
            wall_incl_s: None,
        });
    }
    let mut pop: Vec<(&str, Box<dyn Sampler>)> = vec![
        (
            "advi (full-rank)",
            Box::new(AdviConfig {
                family: AdviFamily::FullRank,
                n_draws: total,
                ..Default::default()
            }),
        ),
        (
            "smc",
            Box::new(SmcConfig {
                n_particles: total,
                reference: Reference::Gaussian {
                    mean: None,
                    sd: t.smc_sd.clone(),
                },
                ..Default::default()
            }),
        ),
    ];
    if let Some((lower, upper)) = &t.bounds {
        pop.push((
            "octree",
            Box::new(OctreeConfig {
                lower: lower.clone(),
                upper: upper.clone(),
                n_draws: total,
                ..Default::default()
            }),
        ));
    }
    for (name, s) in &pop {
        let (wall, draws) = timed(args.repeats, || {
            s.sample(t.density.as_ref(), &init, args.seed)
                .with_context(|| format!("{name} on {}", t.name))
        })?;
        let ess = if draws.weights.is_some() {
            draws.importance_ess()
        } else {
            min_bulk_ess(std::slice::from_ref(&draws))
        };
        let error = error(t, std::slice::from_ref(&draws));
        rows.push(Row {
            target: t.name,
            sampler: name.to_string(),
            wall_s: wall,
            ess,
            error,
            wall_incl_s: None,
        });
    }
    Ok(rows)
}

fn run_pymc(args: &Args, python: &PathBuf, targets: &[Target]) -> Result<Vec<Row>> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/bench/pymc_bench.py");
    eprintln!("running PyMC ({}) ...", script.display());
    let mut cmd = Command::new(python);
    let cache = std::env::temp_dir().join(format!("eqnemix-pytensor-{}", std::process::id()));
    if args.cold_pytensor_cache {
        cmd.env(
            "PYTENSOR_FLAGS",
            format!("base_compiledir={}", cache.display()),
        );
    }
    let out = cmd
        .arg(&script)
        .args([
            "--draws",
            &args.draws.to_string(),
            "--tune",
            &args.warmup.unwrap_or(NutsConfig::default().n_warmup).to_string(),
        ])
        .args([
            "--chains",
            &args.chains.to_string(),
            "--seed",
            &args.seed.to_string(),
        ])
        .args(["--separation", &args.separation.to_string()])
        .output()
        .with_context(|| format!("running {} {}", python.display(), script.display()))?;
    if args.cold_pytensor_cache {
        let _ = std::fs::remove_dir_all(&cache);
    }
    if !out.status.success() {
        bail!(
            "PyMC benchmark failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut rows = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with('{'))
    {
        let v: serde_json::Value =
            serde_json::from_str(line).with_context(|| format!("PyMC output line {line}"))?;
        let name = v["target"].as_str().context("PyMC output: target")?;
        let t = targets
            .iter()
            .find(|t| t.name == name)
            .context("PyMC output: unknown target")?;
        let num = |k: &str| v[k].as_f64().with_context(|| format!("PyMC output: {k}"));
        let error = if let Some((mean, sd)) = &t.moments {
            let m = v["mean"].as_array().context("PyMC output: mean")?;
            (0..mean.len())
                .map(|k| (m[k].as_f64().unwrap_or(f64::NAN) - mean[k]).abs() / sd[k])
                .fold(0.0, f64::max)
        } else {
            (num("left_mass")? - t.left_mass.unwrap_or(f64::NAN)).abs()
        };
        rows.push(Row {
            target: t.name,
            sampler: "pymc nuts".into(),
            wall_s: num("sampling_s")?,
            ess: num("ess_bulk_min")?,
            error,
            wall_incl_s: Some(num("total_s")?),
        });
    }
    Ok(rows)
}

fn main() -> Result<()> {
    let args = Args::parse();
    let targets = targets(args.separation)?;
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    let mut rows = Vec::new();
    for t in &targets {
        eprintln!("running the Rust samplers on {} ...", t.name);
        rows.extend(pool.install(|| run_rust(&args, t))?);
    }
    if let Some(py) = &args.python {
        rows.extend(run_pymc(&args, py, &targets)?);
    }
    println!(
        "\n{} chains x (warm-up {} + {} draws), one thread; ESS = min bulk ESS over coordinates\n",
        args.chains,
        args.warmup.map_or_else(
            || format!(
                "per-sampler default: metropolis {}, hmc {}, nuts and PyMC {}, tempering {}",
                MetropolisConfig::default().n_warmup,
                HmcConfig::default().n_warmup,
                NutsConfig::default().n_warmup,
                TemperingConfig::default().n_warmup
            ),
            |w| w.to_string()
        ),
        args.draws
    );
    println!(
        "{:<9} {:<17} {:>9} {:>8} {:>10} {:>7} {:>11} {:>11}",
        "target", "sampler", "wall s", "ESS", "ESS/s", "error", "x PyMC", "x PyMC+cmp"
    );
    for r in &rows {
        let ess_s = r.ess / r.wall_s;
        let pymc = rows
            .iter()
            .find(|p| p.target == r.target && p.wall_incl_s.is_some());
        let (ratio, ratio_incl) = match (pymc, r.wall_incl_s) {
            (Some(p), None) => {
                let excl = p.ess / p.wall_s;
                let incl = p.ess / p.wall_incl_s.unwrap_or(f64::NAN);
                (
                    format!("{:.1}", ess_s / excl),
                    format!("{:.1}", ess_s / incl),
                )
            }
            _ => ("-".to_string(), "-".to_string()),
        };
        println!(
            "{:<9} {:<17} {:>9.3} {:>8.0} {:>10.0} {:>7.3} {:>11} {:>11}",
            r.target, r.sampler, r.wall_s, r.ess, ess_s, r.error, ratio, ratio_incl
        );
        if let Some(incl) = r.wall_incl_s {
            println!(
                "{:<9} {:<17} {:>9.3} {:>8.0} {:>10.0} {:>7} {:>11} {:>11}",
                r.target,
                "  (incl. compile)",
                incl,
                r.ess,
                r.ess / incl,
                "",
                "",
                ""
            );
        }
    }
    Ok(())
}
