//! Locate one event: run a sampler on its [`LocationPosterior`], check the
//! chains, summarise the draws and flag results that should not be trusted.
//!
//!
//! The parts, one file each: the pilot that finds the posterior's mode
//! regions and their masses ([`super::pilot`]), Markov chains per mode
//! region and their post-stratification ([`super::post_stratify`]), the
//! flags ([`super::flags`]) and the information gain behind the
//! prior-dominated flag ([`mod@super::information_gain`]). This file runs them
//! in order for every sampler kind.

use super::flags::{flag_location, FlagInputs, LocationFlags};
use super::contraction::contraction;
use super::information_gain::information_gain;
use super::pilot::{LogLikelihoodOf, Pilot, PilotMasses};
use super::population_correction::correct_population;
use super::post_stratify::{ModeRun, MAX_DOUBLINGS};
use super::prior_proposal::PriorProposal;
use crate::cancel::Cancellation;
use crate::config::DiagnosticsConfig;
use crate::geo::LocalProjection;
use crate::posterior::LocationPosterior;
use crate::summary::modes::region_label;
use crate::summary::{LocationSummary, SummaryError, SummaryOptions};
use eqnemix_samplers::any::SamplerConfig;
use eqnemix_samplers::diagnostics::Summary;
use eqnemix_samplers::importance::ImportanceReport;
use eqnemix_samplers::smc::{Reference, SmcConfig};
use eqnemix_samplers::transform::{Bounds, BoxTransform};
use eqnemix_samplers::Sampler;
use eqnemix_samplers::{chain_seed, run_chains_with_observed, Draws, LogDensity, SamplerError};
use rand_chacha::ChaCha8Rng;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

/// Prior draws per chain tried when checking that the posterior has support
/// (a finite density somewhere) before sampling.
pub const INIT_CANDIDATES_PER_CHAIN: usize = 64;

/// Names of the coordinates of a location posterior (3D, or 4D with a
/// sampled origin time).
pub const COORDINATE_NAMES: [&str; 4] = ["east_km", "north_km", "depth_km", "origin_time_s"];

/// Why one event could not be located. Each variant names the event.
#[derive(Debug, thiserror::Error)]
pub enum LocateError {
    /// No starting point with non-zero posterior density was found.
    #[error("event {event}: the posterior is zero at every starting point drawn from the prior: the picks are outside every travel-time domain or incompatible with the region box and the prior")]
    NoSupport {
        /// Event id.
        event: String,
    },
    /// The sampler failed.
    #[error("event {event}: sampler {sampler}: {source}")]
    Sampler {
        /// Event id.
        event: String,
        /// Sampler kind.
        sampler: &'static str,
        /// Cause.
        #[source]
        source: SamplerError,
    },
    /// The draws could not be summarised.
    #[error("event {event}: summary: {source}")]
    Summary {
        /// Event id.
        event: String,
        /// Cause.
        #[source]
        source: SummaryError,
    },
    /// The run was cancelled ([`LocateOptions::cancel`]) before it ended.
    #[error("event {event}: cancelled before its location was finished")]
    Cancelled {
        /// Event id.
        event: String,
    },
    /// An option is invalid.
    #[error("event {event}: {what}")]
    Invalid {
        /// Event id.
        event: String,
        /// What is wrong.
        what: String,
    },
}

/// How to locate.
#[derive(Debug, Clone)]
pub struct LocateOptions {
    /// Chains (Markov samplers; population samplers run once).
    pub n_chains: usize,
    /// Seed: the same seed gives the same draws, whatever the thread count.
    pub seed: u64,
    /// Summary levels and settings.
    pub summary: SummaryOptions,
    /// Thresholds of the flags.
    pub rules: DiagnosticsConfig,
    /// Projection for lon/lat in the summary.
    pub projection: Option<LocalProjection>,
    /// Stops the run inside the sampler once set (Ctrl-C in `eqnemix
    /// locate` and `eqnemix run`): HMC, NUTS and Metropolis chains between
    /// iterations, the other samplers and the pilot between their stages;
    /// the event then fails with [`LocateError::Cancelled`] and nothing of
    /// it is kept. `None`: never stopped.
    pub cancel: Option<Cancellation>,
}

impl Default for LocateOptions {
    fn default() -> Self {
        LocateOptions {
            n_chains: 4,
            seed: 0,
            summary: SummaryOptions::default(),
            rules: DiagnosticsConfig::default(),
            projection: None,
            cancel: None,
        }
    }
}

/// What one chain did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChainStats {
    /// Kept draws.
    pub n_draws: usize,
    /// Divergent transitions.
    pub n_divergent: usize,
    /// Mean acceptance statistic (NaN if the sampler reports none).
    pub mean_accept: f64,
    /// Step size (HMC/NUTS) or proposal scale of the last draw (NaN if none).
    pub step_size: f64,
    /// Mean tree depth (NUTS; NaN otherwise).
    pub mean_tree_depth: f64,
    /// Gradient evaluations spent on the kept draws (0 if not reported).
    pub n_grad_evals: u64,
}

impl ChainStats {
    fn of(d: &Draws) -> Self {
        let mean = |f: &dyn Fn(&eqnemix_samplers::DrawStats) -> Option<f64>| {
            let v: Vec<f64> = d.stats.iter().filter_map(f).collect();
            if v.is_empty() {
                f64::NAN
            } else {
                v.iter().sum::<f64>() / v.len() as f64
            }
        };
        ChainStats {
            n_draws: d.n_draws(),
            n_divergent: d.n_divergent(),
            mean_accept: mean(&|s| s.accept_prob),
            step_size: d.stats.last().and_then(|s| s.step_size).unwrap_or(f64::NAN),
            mean_tree_depth: mean(&|s| s.tree_depth.map(f64::from)),
            n_grad_evals: d.stats.iter().filter_map(|s| s.n_grad_evals).map(u64::from).sum(),
        }
    }
}

/// Convergence diagnostics of one event's run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunDiagnostics {
    /// Sampler kind.
    pub sampler: String,
    /// Per chain (one entry for population samplers).
    pub chains: Vec<ChainStats>,
    /// ArviZ-style table (R-hat, bulk/tail ESS, MCSE per coordinate);
    /// `None` for weighted draws.
    pub table: Option<Summary>,
    /// Largest R-hat over coordinates (NaN when not computable).
    pub max_rhat: f64,
    /// Smallest bulk ESS over coordinates (Kish ESS for weighted draws).
    pub min_ess_bulk: f64,
    /// Smallest tail ESS over coordinates (Kish ESS for weighted draws).
    pub min_ess_tail: f64,
    /// Divergent transitions over all chains.
    pub n_divergent: usize,
    /// Information gain `KL(posterior ‖ prior)` (nats); see the module doc.
    pub information_gain_nats: f64,
    /// Posterior contraction of east, north and depth within their mode
    /// ([`super::contraction()`]); empty when not computable.
    #[serde(default)]
    pub contraction: Vec<f64>,
    /// Wall time of sampling and summarising (s); informative only.
    pub elapsed_s: f64,
    /// Monte Carlo standard error of the posterior mean of each coordinate
    /// (km; s): from the chains' ESS, the weights' Kish ESS (oct-tree), or
    /// combined over modes (module doc).
    #[serde(default)]
    pub mcse_mean: Vec<f64>,
    /// The mode regions of a Markov run, heaviest first (empty for
    /// population samplers).
    #[serde(default)]
    pub modes: Vec<ModeRun>,
    /// Pilot mass of the regions too light to get chains (dropped).
    #[serde(default)]
    pub dropped_mass: f64,
    /// The pilot of a Markov run (`None` for population samplers).
    #[serde(default)]
    pub pilot: Option<PilotMasses>,
    /// The importance sampler's report: the stage of its draws, their Kish
    /// ESS and Pareto k̂ (`None` for other samplers).
    #[serde(default)]
    pub importance: Option<ImportanceReport>,
}

/// One located event.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventLocation {
    /// Event id.
    pub event_id: String,
    /// Summary (mean, MAP, ellipsoids, HDIs, cluster probabilities, ...).
    pub summary: LocationSummary,
    /// Diagnostics of the run.
    pub diagnostics: RunDiagnostics,
    /// Flags.
    pub flags: LocationFlags,
    /// Draws per chain in the posterior's coordinates (km; s), post warm-up.
    /// A multimodal run's chains are merged into one population weighted by
    /// mode ([`super::post_stratify`]); see `chain_lengths`.
    #[serde(skip)]
    pub chains: Vec<Draws>,
    /// For each population of `chains`, the lengths of the sampler's chains
    /// whose draws it holds, in order (one entry, its own length, when it is
    /// one chain or one population). Empty: each population is one chain.
    /// With it `<id>_draws.csv` keeps each draw's real chain.
    #[serde(skip)]
    pub chain_lengths: Vec<Vec<usize>>,
}

/// The sampler's chains in `chains`, in order: `(population, draw range in
/// it)`, where population `p` holds chains of the lengths `lengths[p]` one
/// after the other (one chain when `lengths[p]` is missing or does not add
/// up to the population's size). Chain `i` of the result is chain `i` of
/// `<id>_draws.csv`.
pub fn chain_ranges(chains: &[Draws], lengths: &[Vec<usize>]) -> Vec<(usize, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    for (pop, c) in chains.iter().enumerate() {
        let n = c.n_draws();
        let own = [n];
        let segments: &[usize] = match lengths.get(pop) {
            Some(l) if l.iter().sum::<usize>() == n => l,
            _ => &own,
        };
        let mut start = 0;
        for &len in segments {
            out.push((pop, start..start + len));
            start += len;
        }
    }
    out
}

/// Locate one event: sample `posterior` with `sampler`, then summarise and
/// flag the result.
///
/// * Markov samplers (NUTS, HMC, Metropolis, tempering) run in the
///   unconstrained space of a [`BoxTransform`] over
///   [`LocationPosterior::bounds`], started from a pilot SMC run and
///   weighted by mode as the module doc's "Multimodal posteriors" says:
///   `options.n_chains` chains per mode region, run in parallel.
/// * ADVI runs the same way, with `options.n_chains` fits per mode region
///   in place of chains (each started at a pilot particle of its region,
///   its draws weighted by the region's pilot mass), so the fits' R-hat
///   says whether restarts agree. One Gaussian cannot hold separated modes;
///   one per region with the pilot's masses can (300 agreement events:
///   every cluster probability within 0.02 and 98% within 0.01, every
///   wrong mean flagged; one fit from the heaviest mode was within 0.02 on
///   14%). The fits' draws are then the proposal of an importance
///   correction ([`super::population_correction`]): a Gaussian is a poor
///   fit to a curved S-P shell, and the Pareto k̂ of target over fit
///   exceeded 0.7 on 92% of the right answers; the corrected draws are
///   exact for their proposal and their own k̂ and ESS judge them.
/// * SMC with a local reference (the default Gaussian) also runs per mode
///   region, `options.n_chains` independent runs per region sharing its
///   `n_particles` (at least [`MIN_SMC_RUN_PARTICLES`] each), each started
///   at a pilot particle of the region and weighted by the region's pilot
///   mass; R-hat between the runs (their particles shuffled) says whether
///   they agree. (One population per region had only an ESS read from the
///   particles' stored order, where resampled copies sit side by side: it
///   flagged 34% of the right answers of the agreement study.) One run from the
///   heaviest mode collapsed onto it: on two-cluster events, cluster
///   probabilities of 0 and 1 where the truth was 0.44 and 0.53.
/// * SMC with a uniform reference runs directly on the box (its `lower` and
///   `upper` are filled in from the bounds when left empty), and the
///   oct-tree partitions the box itself: global samplers, whose draws are
///   then corrected by importance sampling ([`super::population_correction`]),
///   as ADVI's fits are.
///
/// The same `options.seed` gives the same result.
pub fn locate_event(
    posterior: &LocationPosterior,
    sampler: &SamplerConfig,
    options: &LocateOptions,
) -> Result<EventLocation, LocateError> {
    let start = std::time::Instant::now();
    let event = posterior.event_id().to_string();
    if options.n_chains == 0 {
        return Err(LocateError::Invalid {
            event,
            what: "n_chains must be > 0".into(),
        });
    }
    let dim = posterior.dim();
    let (lo, hi) = posterior.bounds();
    let bounds: Vec<Bounds> = lo.iter().zip(&hi).map(|(&a, &b)| Bounds::interval(a, b)).collect();
    let transform = BoxTransform::new(posterior, bounds).map_err(|e| LocateError::Invalid {
        event: event.clone(),
        what: e.to_string(),
    })?;
    let inside = |mut x: Vec<f64>| {
        for i in 0..dim {
            let eps = 1e-7 * (hi[i] - lo[i]);
            x[i] = x[i].clamp(lo[i] + eps, hi[i] - eps);
        }
        x
    };

    // Support check: some prior draw must have a finite posterior density
    // (otherwise the picks cannot be explained anywhere in the box).
    let mut rng = ChaCha8Rng::seed_from_u64(chain_seed(options.seed, usize::MAX));
    let support: Option<Vec<f64>> = posterior
        .initial_points(INIT_CANDIDATES_PER_CHAIN * options.n_chains, &mut rng)
        .into_iter()
        .map(inside)
        .find(|x| posterior.log_density(x).is_finite());
    let Some(support) = support else {
        return Err(LocateError::NoSupport { event });
    };
    let sampler_err = |source| match source {
        SamplerError::Cancelled { .. } => LocateError::Cancelled { event: event.clone() },
        source => LocateError::Sampler { event: event.clone(), sampler: sampler.kind(), source },
    };
    // Every sampler run watches the flag (a fresh, never-set one without
    // options.cancel); between stages it is checked here.
    let flag = options.cancel.clone().unwrap_or_default();
    let stop_if_cancelled = || if flag.is_cancelled() { Err(LocateError::Cancelled { event: event.clone() }) } else { Ok(()) };
    stop_if_cancelled()?;
    let names = &COORDINATE_NAMES[..dim];
    // A global population's mode masses, corrected by importance sampling
    // (super::population_correction); its draws as they are when the
    // correction cannot run (no prior mass in the box, or no mode region
    // with 10 effective draws to fit), where their own ESS and the
    // mode-mass check judge them.
    let corrected = |d: Draws| match correct_population(posterior, &d, options.seed) {
        Ok(Some((c, report))) => {
            let mut s = Sampled::population(c, names);
            s.importance = Some(report);
            s
        }
        _ => Sampled::population(d, names),
    };

    let run = match sampler {
        SamplerConfig::Octree(c) => {
            let mut c = c.clone();
            if c.lower.is_empty() && c.upper.is_empty() {
                c.lower = lo.clone();
                c.upper = hi.clone();
            }
            let s = SamplerConfig::Octree(c).build();
            let d = s.sample_observed(posterior, &support, chain_seed(options.seed, 0), &mut flag.clone()).map_err(sampler_err)?;
            stop_if_cancelled()?;
            corrected(d)
        }
        SamplerConfig::Smc(c) if matches!(c.reference, Reference::Uniform { .. }) => {
            let mut c = c.clone();
            if let Reference::Uniform { lower, upper } = &mut c.reference {
                if lower.is_empty() && upper.is_empty() {
                    *lower = lo.clone();
                    *upper = hi.clone();
                }
            }
            let d = c.sample_observed(posterior, &support, chain_seed(options.seed, 0), &mut flag.clone()).map_err(sampler_err)?;
            stop_if_cancelled()?;
            corrected(d)
        }
        SamplerConfig::Importance(c) => {
            let base = PriorProposal::new(posterior, chain_seed(options.seed, usize::MAX - 6))
                .ok_or_else(|| LocateError::NoSupport { event: event.clone() })?;
            let prior = posterior.prior();
            let label = |x: &[f64]| region_label(prior, x);
            let n_labels = prior.n_clusters() + 1;
            let seed = chain_seed(options.seed, 0);
            // 3D: the posterior is the base (the prior in the box) times the
            // likelihood, the cheaper factored form; with a sampled origin
            // time the base's time factor is not the prior's.
            let (d, report) = if dim == 3 {
                c.run_factored(&LogLikelihoodOf(posterior), &base, &label, n_labels, seed)
            } else {
                c.run(posterior, &base, &label, n_labels, seed)
            }
            .map_err(sampler_err)?;
            let mut s = Sampled::population(d, names);
            s.importance = Some(report);
            s
        }
        s => {
            let pilot = Pilot::run(posterior, &lo, &hi, &support, options.seed).map_err(sampler_err)?;
            stop_if_cancelled()?;
            let nc = runs_per_mode_region(s, options.n_chains).expect("a per-region sampler");
            // SMC: the region's runs share its particles (see runs_per_mode_region).
            let s = &match s {
                SamplerConfig::Smc(c) => SamplerConfig::Smc(SmcConfig {
                    n_particles: (c.n_particles / nc).max(MIN_SMC_RUN_PARTICLES.min(c.n_particles)),
                    ..c.clone()
                }),
                s => s.clone(),
            };
            let ys: Vec<Vec<f64>> = pilot
                .modes
                .iter()
                .flat_map(|&l| pilot.starts(l, nc, options.seed))
                .map(|x| transform.to_unconstrained(&inside(x)).expect("inside the box"))
                .collect();
            // One sampler per mode region (their draw counts differ, module doc).
            let mut samplers = pilot.mode_samplers(s);
            let run_modes = |modes: &[usize], samplers: &[SamplerConfig], seed: u64| -> Result<Vec<Draws>, LocateError> {
                let built: Vec<Box<dyn Sampler>> = modes.iter().map(|&m| samplers[m].build()).collect();
                let starts: Vec<Vec<f64>> = modes.iter().flat_map(|&m| ys[m * nc..(m + 1) * nc].iter().cloned()).collect();
                Ok(run_chains_with_observed(|i| built[i / nc].as_ref(), &transform, &starts, seed, |_| flag.clone())
                    .map_err(sampler_err)?
                    .iter()
                    .map(|d| transform.constrain_draws(d))
                    .collect())
            };
            let all: Vec<usize> = (0..pilot.modes.len()).collect();
            let mut chains = run_modes(&all, &samplers, options.seed)?;
            if matches!(s, SamplerConfig::Smc(_)) {
                // An SMC run's particles are stored with resampled copies of
                // one ancestor side by side; their order means nothing, so
                // it is shuffled (seeded) before R-hat and ESS read the runs
                // as chains: the within-run autocorrelation the order
                // showed is gone, and what is left to measure is how much
                // the independent runs disagree, which is where shared
                // ancestry shows.
                let mut rng = ChaCha8Rng::seed_from_u64(chain_seed(options.seed, usize::MAX - 9));
                chains = chains.iter().map(|c| shuffled(c, &mut rng)).collect();
            }
            // Convergence-driven run length (post_stratify module doc, step 2b);
            // not for tempering (chains hop modes) nor ADVI (more draws from
            // the same fits cannot reconcile fits that disagree).
            let doublings = if matches!(s, SamplerConfig::Tempering(_) | SamplerConfig::Advi(_) | SamplerConfig::Smc(_)) { 0 } else { MAX_DOUBLINGS };
            for round in 0..doublings {
                let failing = pilot.unconverged(&chains, nc, names, options.rules.max_rhat);
                if failing.is_empty() {
                    break;
                }
                for &m in &failing {
                    let n = samplers[m].n_draws().unwrap_or(0);
                    samplers[m] = samplers[m].with_n_draws(2 * n);
                }
                let fresh = run_modes(&failing, &samplers, chain_seed(options.seed, usize::MAX - round))?;
                for (&m, group) in failing.iter().zip(fresh.chunks(nc)) {
                    chains.splice(m * nc..(m + 1) * nc, group.iter().cloned());
                }
            }
            let combined = pilot.combine(posterior, chains, nc, names, matches!(s, SamplerConfig::Tempering(_)));
            if matches!(s, SamplerConfig::Advi(_)) {
                // ADVI's fits as an importance proposal (module doc of
                // super::population_correction): corrected draws whose
                // weights judge the fit, or the fits' draws as they are
                // when the correction cannot run.
                let mut pooled = Draws::new(dim);
                let mut w = Vec::new();
                for c in &combined.chains {
                    let n = c.n_draws();
                    let cw = c.weights.clone().unwrap_or_else(|| vec![1.0; n]);
                    for (i, x) in c.iter().enumerate() {
                        pooled.push(x, c.stats[i].clone());
                        w.push(cw[i]);
                    }
                }
                pooled.weights = Some(w);
                match correct_population(posterior, &pooled, options.seed) {
                    Ok(Some((c, report))) => {
                        let mut out = Sampled::population(c, names);
                        out.importance = Some(report);
                        // The fits per region stay on record (their R-hat
                        // says whether restarts agreed); the masses are
                        // the corrected draws'.
                        out.pilot = combined.pilot;
                        out.modes = combined.modes;
                        out.dropped_mass = combined.dropped_mass;
                        out
                    }
                    _ => combined,
                }
            } else {
                combined
            }
        }
    };

    stop_if_cancelled()?;
    let to_lonlat = options.projection.map(|p| move |e: f64, n: f64| p.to_lonlat(e, n));
    let summary = LocationSummary::from_draws(
        posterior,
        &run.chains,
        &options.summary,
        to_lonlat.as_ref().map(|f| f as &dyn Fn(f64, f64) -> (f64, f64)),
    )
    .map_err(|source| LocateError::Summary {
        event: event.clone(),
        source,
    })?;

    let (min_bulk, min_tail) = if run.weighted_population {
        (summary.weights_ess, summary.weights_ess)
    } else {
        (run.min_ess_bulk, run.min_ess_tail)
    };
    let mcse_mean = if run.weighted_population {
        // One weighted population: sd from its weighted covariance.
        let cov = run.chains[0].importance_covariance();
        (0..dim).map(|a| cov[(a, a)].sqrt() / summary.weights_ess.sqrt()).collect()
    } else {
        run.mcse_mean.clone()
    };
    let n_divergent: usize = run.raw_chains.iter().map(ChainStats::of).map(|c| c.n_divergent).sum();
    let n_total: usize = run.raw_chains.iter().map(|c| c.n_draws()).sum();
    let gain = information_gain(posterior, &run.chains, options.rules.n_prior_draws, options.seed);
    let contraction = contraction(posterior, &summary, options.rules.n_prior_draws, options.seed);
    let flags = flag_location(
        &FlagInputs {
            posterior,
            sampler,
            run: &run,
            summary: &summary,
            min_bulk,
            min_tail,
            n_divergent,
            n_total,
            gain,
            contraction,
            seed: options.seed,
        },
        &options.rules,
    );
    Ok(EventLocation {
        event_id: event,
        diagnostics: RunDiagnostics {
            sampler: sampler.kind().to_string(),
            chains: run.raw_chains.iter().map(ChainStats::of).collect(),
            table: run.table,
            max_rhat: run.max_rhat,
            min_ess_bulk: min_bulk,
            min_ess_tail: min_tail,
            n_divergent,
            information_gain_nats: gain,
            contraction: contraction.map(|c| c.to_vec()).unwrap_or_default(),
            elapsed_s: start.elapsed().as_secs_f64(),
            mcse_mean,
            modes: run.modes,
            dropped_mass: run.dropped_mass,
            pilot: run.pilot,
            importance: run.importance,
        },
        summary,
        flags,
        chain_lengths: run.chain_lengths,
        chains: run.chains,
    })
}

/// The draws of one run with their convergence numbers.
pub(super) struct Sampled {
    /// Draws handed to the summary (Markov chains, one population, or the
    /// merged, mode-weighted draws of a multimodal run).
    pub(super) chains: Vec<Draws>,
    /// Every chain as the sampler returned it (for the per-chain statistics).
    pub(super) raw_chains: Vec<Draws>,
    /// Per entry of `chains`, the lengths of the sampler's chains it holds
    /// ([`EventLocation::chain_lengths`]).
    pub(super) chain_lengths: Vec<Vec<usize>>,
    pub(super) table: Option<Summary>,
    pub(super) max_rhat: f64,
    pub(super) min_ess_bulk: f64,
    pub(super) min_ess_tail: f64,
    pub(super) mcse_mean: Vec<f64>,
    /// R-hat is a meaningful flag (several chains per mode).
    pub(super) rhat_applies: bool,
    /// Importance-weighted population (oct-tree): ESS and MCSE from the weights.
    pub(super) weighted_population: bool,
    pub(super) modes: Vec<ModeRun>,
    pub(super) dropped_mass: f64,
    pub(super) lost_modes: Option<String>,
    pub(super) pilot: Option<PilotMasses>,
    pub(super) importance: Option<ImportanceReport>,
}

impl Sampled {
    /// A population sampler's single run (weighted or not).
    pub(super) fn population(d: Draws, names: &[&str]) -> Self {
        let weighted = d.weights.is_some();
        let table = if weighted { None } else { Summary::from_chains(std::slice::from_ref(&d), names).ok() };
        Sampled::from_table(vec![d.clone()], vec![d], table, false, weighted)
    }

    pub(super) fn from_table(chains: Vec<Draws>, raw: Vec<Draws>, table: Option<Summary>, rhat_applies: bool, weighted: bool) -> Self {
        let (max_rhat, min_bulk, min_tail, mcse) = match &table {
            Some(t) => (t.max_rhat(), t.min_ess_bulk(), t.min_ess_tail(), t.rows.iter().map(|r| r.mcse_mean).collect()),
            None => (f64::NAN, f64::NAN, f64::NAN, Vec::new()),
        };
        Sampled {
            chain_lengths: chains.iter().map(|c| vec![c.n_draws()]).collect(),
            chains,
            raw_chains: raw,
            table,
            max_rhat,
            min_ess_bulk: min_bulk,
            min_ess_tail: min_tail,
            mcse_mean: mcse,
            rhat_applies,
            weighted_population: weighted,
            modes: Vec::new(),
            dropped_mass: 0.0,
            lost_modes: None,
            pilot: None,
            importance: None,
        }
    }
}

/// A sampler configuration's name in tables and on the examples' command
/// lines: its kind, except `smc-uniform` for SMC tempered from the uniform
/// distribution on the region box (a global sampler; the default `smc`
/// tempers from a Gaussian around the pilot's particles, one run per mode
/// region).
pub fn sampler_label(s: &SamplerConfig) -> &'static str {
    match s {
        SamplerConfig::Smc(c) if matches!(c.reference, Reference::Uniform { .. }) => "smc-uniform",
        s => s.kind(),
    }
}

/// What a location with sampler `s` runs per event, for reports and
/// messages: population samplers run once (`importance, 1 run`) or once
/// per mode region (`smc, 1 run per mode region`); Markov samplers run
/// `n_chains` chains per mode region (`nuts, 4 chains per mode region`),
/// ADVI `n_chains` fits per mode region (see [`locate_event`]).
pub fn run_label(s: &SamplerConfig, n_chains: usize) -> String {
    let name = sampler_label(s);
    let plural = |n: usize, what: &str| if n == 1 { format!("1 {what}") } else { format!("{n} {what}s") };
    match runs_per_mode_region(s, n_chains) {
        None => format!("{name}, 1 run"),
        Some(n) if matches!(s, SamplerConfig::Smc(_)) => format!("{name}, {} per mode region", plural(n, "run")),
        Some(n) if matches!(s, SamplerConfig::Advi(_)) => format!("{name}, {} per mode region", plural(n, "fit")),
        Some(n) => format!("{name}, {} per mode region", plural(n, "chain")),
    }
}

/// How [`locate_event`] runs `s`: `None` for a global sampler run once over
/// the region box (importance, oct-tree, SMC from the uniform box);
/// `Some(n)` for `n` chains per mode region weighted by the pilot's masses
/// (the Markov samplers, ADVI and SMC from a local reference: `n_chains`;
/// SMC's runs of a region share its `n_particles`, at least
/// [`MIN_SMC_RUN_PARTICLES`] each, so that R-hat between independent runs
/// says whether they agree, which one population cannot).
fn runs_per_mode_region(s: &SamplerConfig, n_chains: usize) -> Option<usize> {
    match s {
        SamplerConfig::Importance(_) | SamplerConfig::Octree(_) => None,
        SamplerConfig::Smc(c) if matches!(c.reference, Reference::Uniform { .. }) => None,
        SamplerConfig::Advi(_) | SamplerConfig::Smc(_) | SamplerConfig::Metropolis(_) | SamplerConfig::Hmc(_) | SamplerConfig::Nuts(_) | SamplerConfig::Tempering(_) => {
            Some(n_chains)
        }
    }
}

/// Every sampler kind with the settings used to compare them on one
/// hypocentre (`tests/samplers_agree.rs`, `examples/sampler_comparison.rs`):
/// NUTS as the studies run it ([`crate::config::nuts_sampler`]);
/// HMC, Metropolis and parallel tempering with their crate defaults; SMC
/// with its defaults (a Gaussian reference, per mode region) and, labelled
/// `smc-uniform` ([`sampler_label`]), with 2000 particles tempered from the
/// uniform distribution on the region box; ADVI full-rank, each fit started at a pilot particle of its mode
/// with sd 0.02 in the box transform's unconstrained space (about 0.6 km
/// for a 120 km box; the default 1 spans the whole box and can fit a
/// remote local optimum of the ELBO); the oct-tree over the region box
/// (filled in by [`locate_event`]) from a 40 × 40 × 10 initial grid (cells
/// of a few km: the crate's default 8 × 8 × 8 cells are coarser than an
/// S-P shell is thick, and a mode between initial cell centres is then
/// found only by the defensive uniform draws) refined to 200 000 cells (with
/// 50 000 the weights' Kish ESS on a bimodal S-P event is about 20 of 5000
/// draws, with 200 000 about 3400); adaptive importance sampling from the
/// prior with its defaults.
pub fn every_sampler() -> Vec<SamplerConfig> {
    use eqnemix_samplers::advi::{AdviConfig, AdviFamily};
    vec![
        SamplerConfig::Metropolis(Default::default()),
        SamplerConfig::Hmc(Default::default()),
        crate::config::nuts_sampler(),
        SamplerConfig::Advi(AdviConfig { family: AdviFamily::FullRank, init_scale: 0.02, ..Default::default() }),
        SamplerConfig::Smc(SmcConfig::default()),
        SamplerConfig::Smc(SmcConfig {
            n_particles: 2000,
            reference: Reference::Uniform { lower: vec![], upper: vec![] },
            ..Default::default()
        }),
        SamplerConfig::Tempering(Default::default()),
        SamplerConfig::Octree(eqnemix_samplers::octree::OctreeConfig {
            initial_divisions: vec![40, 40, 10],
            max_cells: 200_000,
            ..Default::default()
        }),
        SamplerConfig::Importance(Default::default()),
    ]
}


/// Fewest particles of one SMC run when a mode region's runs share
/// `n_particles` ([`runs_per_mode_region`]).
pub const MIN_SMC_RUN_PARTICLES: usize = 250;

/// The draws of `d` in a random order (`rng`), weights and statistics
/// moved with them.
fn shuffled(d: &Draws, rng: &mut ChaCha8Rng) -> Draws {
    use rand::seq::SliceRandom;
    let mut idx: Vec<usize> = (0..d.n_draws()).collect();
    idx.shuffle(rng);
    let mut out = d.clone();
    out.values.clear();
    out.stats.clear();
    for &i in &idx {
        out.values.extend_from_slice(d.draw(i));
        out.stats.push(d.stats[i].clone());
    }
    out.weights = d.weights.as_ref().map(|w| idx.iter().map(|&i| w[i]).collect());
    out
}
