//! Locate one event: run a sampler on its [`LocationPosterior`], check the
//! chains, summarise the draws and flag results that should not be trusted.
//!
//! # The flags
//!
//! * **untrustworthy**: the draws may not represent the posterior. For
//!   Markov chains: the largest rank-normalised split R-hat over the
//!   coordinates exceeds [`DiagnosticsConfig::max_rhat`] (1.01, Vehtari et
//!   al. 2021), or the smallest bulk or tail ESS is below
//!   [`DiagnosticsConfig::min_ess`] (400, i.e. 100 per chain for 4 chains),
//!   or more than [`DiagnosticsConfig::max_divergent_fraction`] of the
//!   transitions diverged. For weighted populations (SMC, oct-tree), the
//!   Kish ESS of the weights is below `min_ess`.
//! * **misfit**: with more than 4 picks, their chi-square (residuals over
//!   their sigmas at the headline location and its best origin time)
//!   exceeds the [`DiagnosticsConfig::misfit_quantile`] (0.999) quantile of
//!   chi-square with `n − 4` degrees of freedom: an outlier pick or a wrong
//!   velocity model. Independent of how well the sampler did.
//! * **untrustworthy (importance weights)**: the Pareto k̂ of the weights
//!   exceeds [`DiagnosticsConfig::max_pareto_k`] (0.7).
//! * **prior-dominated**: the picks taught little beyond the prior. The
//!   rule is the information gain `KL(posterior ‖ prior)` (nats), the
//!   expected log ratio of posterior to prior density, estimated as
//!
//!   ```text
//!   KL = E_post[ln L(x)] − ln Z,     Z = E_prior[L(x)]
//!   ```
//!
//!   (both with the prior restricted to the region box; `L` the
//!   likelihood): the first term averages the log likelihood over the
//!   posterior draws, the second over [`DiagnosticsConfig::n_prior_draws`]
//!   draws from the prior (log-mean-exp). The prior-draw estimate of `Z` is
//!   accurate exactly when the posterior is close to the prior, which is
//!   the case this flag is for. The event is prior-dominated when
//!   `KL < min_information_gain_nats` (1 nat: the posterior occupies more
//!   than about 1/e of the prior's volume, as for a Gaussian whose every
//!   axis shrank by less than a factor 1.4). A location with no likelihood
//!   term has `KL = 0` exactly.
//!
//! # Multimodal posteriors
//!
//! A single-station S-P time puts the event on a spherical shell about the
//! station; the shell can cut two or more cluster ellipsoids far apart, and
//! a Markov chain never crosses between such modes, so chains started
//! anywhere report the masses of where they started, not of the posterior.
//! Markov samplers are therefore run in three steps:
//!
//! 1. **Pilot.** Weighted particles that carry the relative masses of
//!    separated modes. For a 3D posterior: the adaptive importance sampler
//!    ([`eqnemix_samplers::importance`], the default location sampler)
//!    from the prior restricted to the box, to a Kish ESS of
//!    [`PILOT_TARGET_ESS`] (prior draws weighted by the likelihood, then
//!    Gaussian mixtures fitted to each mode region where those fall short),
//!    kept when its Kish ESS reaches [`PILOT_IS_MIN_ESS`]. With a sampled
//!    origin time (4D): up to [`PILOT_IS_DRAWS`] prior draws with the
//!    origin time integrated out (41 nodes). Otherwise (sharp
//!    likelihoods) SMC with [`PILOT_PARTICLES`] particles tempered from the
//!    uniform distribution on the box, where the weights, not the moves,
//!    carry the masses. (The importance stages cost a few to a few tens of
//!    ms; SMC about a hundred.) Each particle is labelled with its *mode
//!    region*: the prior cluster with the largest
//!    responsibility at it (or the background). The region's pilot mass
//!    `M_l` is its share of the particles' weight.
//! 2. **Chains.** Every region with `M_l >=` [`MIN_MODE_MASS`] gets
//!    `n_chains` chains started from its own pilot particles (heaviest
//!    region first; lighter regions' mass is dropped and reported). The
//!    heaviest region's chains keep the configured draws per chain `n`; a
//!    lighter region's chains get `n · M_l / M_max` (at least
//!    [`MIN_MODE_DRAWS`]), each with the full warm-up. Draws in proportion
//!    to mass minimise the combined error `Σ_l M_l² / ESS_l` for a given
//!    total (with `ESS_l ∝ N_l`), and the combined ESS is then at least
//!    what `n` draws per chain give in a single mode, so a light second
//!    mode costs its warm-up and a few draws instead of a second full run.
//! 3. **Post-stratification.** With one region the chains are returned
//!    unchanged (equally weighted, the usual R-hat/ESS). With several, the
//!    draws are merged into one weighted set: a draw in region `l` weighs
//!    `M_l / N_l` (`N_l` = kept draws, from any chain, lying in `l`), so
//!    each region keeps its pilot mass and the shape inside it comes from
//!    the chains. This is exact when the chains sample the posterior
//!    restricted to the regions they visit (they need not stay in their own
//!    region). R-hat and ESS are computed per region
//!    ([`RunDiagnostics::modes`]); the reported ESS combines them as
//!    `1 / Σ_l M_l² / ESS_l`. The MCSE of the mean is
//!    `sqrt(Σ_l M_l² MCSE_l² + Σ_l M_l (μ_l − μ)² / n_eff)`, the second
//!    term being the pilot's error in the masses moving the mean between
//!    modes, with `n_eff` the Kish ESS of the importance pilot, or
//!    [`PILOT_ESS_FRACTION`] `×` [`PILOT_PARTICLES`] for SMC (its particles
//!    share ancestors, so their effective number for a mass is a fraction
//!    of their count, measured as the constant's doc says). A region that
//!    got chains but
//!    whose chains all left it makes the location untrustworthy.

use crate::config::DiagnosticsConfig;
use crate::geo::LocalProjection;
use crate::posterior::LocationPosterior;
use crate::summary::modes::region_label;
use crate::summary::{LocationSummary, SummaryError, SummaryOptions};
use super::prior_proposal::PriorProposal;
use eqnemix_samplers::importance::{ImportanceConfig, ImportanceReport};
use eqnemix_samplers::any::SamplerConfig;
use eqnemix_samplers::diagnostics::{nan_aware_max, Summary};
use eqnemix_samplers::smc::{kish_ess, normalise_log_weights, resample, Reference, Resampling, SmcConfig};
use eqnemix_samplers::Sampler;
use eqnemix_samplers::transform::{Bounds, BoxTransform};
use eqnemix_samplers::{chain_seed, run_chains_with, Draws, LogDensity, SamplerError};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Smallest Kish ESS of the prior-importance pilot from which the adapted
/// importance stage ([`Pilot::adapted_importance`]) is tried: enough
/// weighted particles to fit each mode region's Gaussian.
pub const ADAPTED_IS_MIN_SEED_ESS: f64 = 30.0;

/// Scale factor on the fitted Gaussians' standard deviations in the
/// adapted importance proposal (heavier than the fit, so the tails of the
/// posterior stay covered).
pub const ADAPTED_IS_SCALE: f64 = 1.5;

/// Share of the prior in the adapted importance proposal (defensive
/// importance sampling, Hesterberg 1995).
pub const ADAPTED_IS_DEFENSIVE: f64 = 0.2;

/// Fewest draws per chain in a lighter mode region: enough for its R-hat
/// and ESS (with 100, the 400 draws of [`DiagnosticsConfig::min_ess`] for 4
/// chains, a 0.12 mode of the benchmark event had R-hat 1.03 > 1.01).
pub const MIN_MODE_DRAWS: usize = 200;

/// Draws per chain for a mode region of pilot mass `mass` when the heaviest
/// region has `heaviest` and gets `n` (module doc, step 2).
fn mode_draws(n: usize, mass: f64, heaviest: f64) -> usize {
    let share = if heaviest > 0.0 { (mass / heaviest).min(1.0) } else { 1.0 };
    ((n as f64 * share).ceil() as usize).clamp(MIN_MODE_DRAWS.min(n), n)
}

/// Prior draws per chain tried when checking that the posterior has support
/// (a finite density somewhere) before sampling.
pub const INIT_CANDIDATES_PER_CHAIN: usize = 64;

/// Particles of the pilot SMC run that finds the mode regions and their
/// masses before Markov chains start (module doc).
pub const PILOT_PARTICLES: usize = 2000;

/// Prior draws of the importance-sampling pilot (module doc).
pub const PILOT_IS_DRAWS: usize = 16000;

/// Prior draws per batch of the importance pilot (it stops at the first
/// batch boundary where the Kish ESS reaches [`PILOT_IS_MIN_ESS`]).
pub const PILOT_IS_BATCH: usize = 4000;

/// Kish ESS below which the importance-sampling pilot is replaced by SMC.
pub const PILOT_IS_MIN_ESS: f64 = 1000.0;

/// Kish ESS the importance pilot of a 3D posterior aims at (that of the
/// default importance sampler): the mass of a 0.5 mode then has a Monte
/// Carlo sd of 0.005, which the Markov samplers' post-stratified cluster
/// probabilities inherit.
pub const PILOT_TARGET_ESS: f64 = 10_000.0;

/// A mode region whose pilot mass is below this gets no chains; its mass is
/// dropped and reported ([`RunDiagnostics::dropped_mass`]).
pub const MIN_MODE_MASS: f64 = 0.01;

/// Effective sample size of the pilot's mode masses as a fraction of
/// [`PILOT_PARTICLES`], used in the combined MCSE (module doc). Measured:
/// over 30 seeds on the bimodal event of `tests/samplers_agree.rs` the
/// share of a 0.53 mode has sd 0.024, an effective size of 0.21 × 2000
/// (`cargo test -p eqnemix --test samplers_agree -- --ignored
/// pilot_mass_spread`); 0.15 leaves room for the variance estimate's own
/// error.
pub const PILOT_ESS_FRACTION: f64 = 0.15;

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
}

impl Default for LocateOptions {
    fn default() -> Self {
        LocateOptions {
            n_chains: 4,
            seed: 0,
            summary: SummaryOptions::default(),
            rules: DiagnosticsConfig::default(),
            projection: None,
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

/// The flags of a location (rules in the module doc).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LocationFlags {
    /// The draws may not represent the posterior.
    pub untrustworthy: bool,
    /// The posterior is explained by the prior alone.
    pub prior_dominated: bool,
    /// The picks do not fit the headline location within their sigmas (a
    /// wrong pick, or a wrong velocity model): the posterior may be sampled
    /// faithfully and still be wrong.
    #[serde(default)]
    pub misfit: bool,
    /// Why, in words.
    pub reasons: Vec<String>,
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
    #[serde(skip)]
    pub chains: Vec<Draws>,
}

/// Locate one event: sample `posterior` with `sampler`, then summarise and
/// flag the result.
///
/// * Markov samplers (NUTS, HMC, Metropolis, tempering) run in the
///   unconstrained space of a [`BoxTransform`] over
///   [`LocationPosterior::bounds`], started from a pilot SMC run and
///   weighted by mode as the module doc's "Multimodal posteriors" says:
///   `options.n_chains` chains per mode region, run in parallel.
/// * SMC with a uniform reference runs directly on the box (its `lower` and
///   `upper` are filled in from the bounds when left empty); other SMC
///   references, and ADVI, run once through the box transform from a pilot
///   particle of the heaviest mode.
/// * The oct-tree partitions the box itself.
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
    let sampler_err = |source| LocateError::Sampler {
        event: event.clone(),
        sampler: sampler.kind(),
        source,
    };
    let names = &COORDINATE_NAMES[..dim];

    let run = match sampler {
        SamplerConfig::Octree(c) => {
            let mut c = c.clone();
            if c.lower.is_empty() && c.upper.is_empty() {
                c.lower = lo.clone();
                c.upper = hi.clone();
            }
            let s = SamplerConfig::Octree(c).build();
            let d = s.sample(posterior, &support, chain_seed(options.seed, 0)).map_err(sampler_err)?;
            Sampled::population(d, names)
        }
        SamplerConfig::Smc(c) if matches!(c.reference, Reference::Uniform { .. }) => {
            let mut c = c.clone();
            if let Reference::Uniform { lower, upper } = &mut c.reference {
                if lower.is_empty() && upper.is_empty() {
                    *lower = lo.clone();
                    *upper = hi.clone();
                }
            }
            let d = c.sample(posterior, &support, chain_seed(options.seed, 0)).map_err(sampler_err)?;
            Sampled::population(d, names)
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
        s if s.is_population() => {
            let pilot = Pilot::run(posterior, &lo, &hi, &support, options.seed).map_err(sampler_err)?;
            let x0 = inside(pilot.starts(pilot.modes[0], 1, options.seed).remove(0));
            let y = transform.to_unconstrained(&x0).expect("inside the box");
            let d = s.build().sample(&transform, &y, chain_seed(options.seed, 0)).map_err(sampler_err)?;
            Sampled::population(transform.constrain_draws(&d), names)
        }
        s => {
            let pilot = Pilot::run(posterior, &lo, &hi, &support, options.seed).map_err(sampler_err)?;
            let nc = options.n_chains;
            let ys: Vec<Vec<f64>> = pilot
                .modes
                .iter()
                .flat_map(|&l| pilot.starts(l, nc, options.seed))
                .map(|x| transform.to_unconstrained(&inside(x)).expect("inside the box"))
                .collect();
            // One sampler per mode region (their draw counts differ, module doc).
            let built: Vec<Box<dyn Sampler>> = pilot.mode_samplers(s).iter().map(SamplerConfig::build).collect();
            let chains: Vec<Draws> = run_chains_with(|i| built[i / nc].as_ref(), &transform, &ys, options.seed)
                .map_err(sampler_err)?
                .iter()
                .map(|d| transform.constrain_draws(d))
                .collect();
            pilot.combine(posterior, chains, nc, names)
        }
    };

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

    let rules = &options.rules;
    let mut flags = LocationFlags::default();
    if run.rhat_applies && !(run.max_rhat <= rules.max_rhat) {
        flags.untrustworthy = true;
        flags.reasons.push(format!("R-hat {:.3} > {}", run.max_rhat, rules.max_rhat));
    }
    if !(min_bulk.min(min_tail) >= rules.min_ess) {
        flags.untrustworthy = true;
        flags.reasons.push(format!(
            "ESS bulk {min_bulk:.0} / tail {min_tail:.0} < {}",
            rules.min_ess
        ));
    }
    if n_total > 0 && n_divergent as f64 > rules.max_divergent_fraction * n_total as f64 {
        flags.untrustworthy = true;
        flags.reasons.push(format!("{n_divergent} of {n_total} transitions diverged"));
    }
    // Draws from an approximation (importance weights, ADVI's fit): the
    // Pareto k̂ of target / approximation.
    if let Some(k) = run.raw_chains.iter().filter_map(|c| c.pareto_k).reduce(f64::max) {
        if !(k <= rules.max_pareto_k) {
            flags.untrustworthy = true;
            let what = if run.importance.is_some() { "importance weights" } else { "target over the approximation" };
            flags.reasons.push(format!("Pareto k̂ {k:.2} > {} ({what})", rules.max_pareto_k));
        }
    }
    if !matches!(sampler, SamplerConfig::Importance(_)) && run.modes.is_empty() {
        // Population samplers (SMC, oct-tree, ADVI): their mode masses
        // against an independent importance estimate from the prior.
        if let Some(why) = mode_mass_disagreement(posterior, &summary, options.seed) {
            flags.untrustworthy = true;
            flags.reasons.push(why);
        }
    }
    if let Some(lost) = &run.lost_modes {
        flags.untrustworthy = true;
        flags.reasons.push(lost.clone());
    }
    if let Some((chi2, n)) = posterior.residual_chi_square_at(summary.location_km) {
        if n > 4 {
            let dof = (n - 4) as f64;
            let limit = statrs::distribution::ChiSquared::new(dof)
                .map(|d| statrs::distribution::ContinuousCDF::inverse_cdf(&d, rules.misfit_quantile))
                .unwrap_or(f64::INFINITY);
            if chi2 > limit {
                flags.misfit = true;
                flags.reasons.push(format!(
                    "misfit: pick chi-square {chi2:.1} at the headline location exceeds the {} quantile {limit:.1} of chi-square({dof}) ({n} picks)",
                    rules.misfit_quantile
                ));
            }
        }
    }
    if !(gain >= rules.min_information_gain_nats) {
        flags.prior_dominated = true;
        flags.reasons.push(format!(
            "information gain {gain:.2} nats < {} (prior-dominated)",
            rules.min_information_gain_nats
        ));
    }
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
            elapsed_s: start.elapsed().as_secs_f64(),
            mcse_mean,
            modes: run.modes,
            dropped_mass: run.dropped_mass,
            pilot: run.pilot,
            importance: run.importance,
        },
        summary,
        flags,
        chains: run.chains,
    })
}

/// Why the mode masses of `summary` disagree with an independent estimate,
/// if they do: prior draws weighted by the likelihood (the first stage of
/// the pilot, [`Pilot::prior_importance`]), used only when their Kish ESS
/// reaches [`PILOT_IS_MIN_ESS`]. A mode region's mass differs when the gap
/// exceeds 4 standard errors of the two estimates together
/// (`sqrt(M(1 − M)/ESS)` each, the summary's ESS its Kish ESS) plus 0.02.
/// This catches a population sampler that collapsed onto one mode (SMC
/// whose particles all went one way) or an approximation that covers one
/// mode only (ADVI), which no weight diagnostic can see from the draws.
fn mode_mass_disagreement(posterior: &LocationPosterior, summary: &LocationSummary, seed: u64) -> Option<String> {
    let (particles, weights) = Pilot::prior_importance(posterior, seed)?;
    let n_ref = kish_ess(&weights);
    if n_ref < PILOT_IS_MIN_ESS {
        return None;
    }
    let k = posterior.prior().n_clusters();
    let mut reference = vec![0.0; k + 1];
    for (x, w) in particles.iter().zip(&weights) {
        reference[region_label(posterior.prior(), x)] += w;
    }
    let mut drawn = vec![0.0; k + 1];
    for m in &summary.modes {
        drawn[m.cluster.unwrap_or(k)] += m.mass;
    }
    let n_draws = summary.weights_ess.max(1.0);
    (0..=k).find_map(|l| {
        let (a, b) = (drawn[l], reference[l]);
        let se = (b * (1.0 - b) / n_ref + a * (1.0 - a) / n_draws).sqrt();
        ((a - b).abs() > 4.0 * se + 0.02).then(|| {
            let name = if l < k { format!("cluster {l}") } else { "the background".to_string() };
            format!(
                "mode masses: {name} holds {a:.3} of the draws but {b:.3} of an independent importance estimate (ESS {n_ref:.0}): the sampler missed or over-weighted a mode"
            )
        })
    })
}

/// The log likelihood of a 3D location posterior as a density (the factor
/// the importance sampler weighs prior draws by).
struct LogLikelihoodOf<'a>(&'a LocationPosterior);

impl LogDensity for LogLikelihoodOf<'_> {
    fn dim(&self) -> usize {
        3
    }
    fn log_density(&self, x: &[f64]) -> f64 {
        self.0.log_likelihood([x[0], x[1], x[2]], None)
    }
}

/// Every sampler kind with the settings used to compare them on one
/// hypocentre (`tests/samplers_agree.rs`, `examples/sampler_comparison.rs`):
/// NUTS as the studies run it ([`crate::config::nuts_sampler`]);
/// HMC, Metropolis and parallel tempering with their crate defaults; SMC
/// with 2000 particles tempered from the uniform distribution on the region
/// box; ADVI full-rank, started at a pilot particle of the heaviest mode
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

/// The draws of one run with their convergence numbers.
struct Sampled {
    /// Draws handed to the summary (Markov chains, one population, or the
    /// merged, mode-weighted draws of a multimodal run).
    chains: Vec<Draws>,
    /// Every chain as the sampler returned it (for the per-chain statistics).
    raw_chains: Vec<Draws>,
    table: Option<Summary>,
    max_rhat: f64,
    min_ess_bulk: f64,
    min_ess_tail: f64,
    mcse_mean: Vec<f64>,
    /// R-hat is a meaningful flag (several chains per mode).
    rhat_applies: bool,
    /// Importance-weighted population (oct-tree): ESS and MCSE from the weights.
    weighted_population: bool,
    modes: Vec<ModeRun>,
    dropped_mass: f64,
    lost_modes: Option<String>,
    pilot: Option<PilotMasses>,
    importance: Option<ImportanceReport>,
}

impl Sampled {
    /// A population sampler's single run (weighted or not).
    fn population(d: Draws, names: &[&str]) -> Self {
        let weighted = d.weights.is_some();
        let table = if weighted { None } else { Summary::from_chains(std::slice::from_ref(&d), names).ok() };
        Sampled::from_table(vec![d.clone()], vec![d], table, false, weighted)
    }

    fn from_table(chains: Vec<Draws>, raw: Vec<Draws>, table: Option<Summary>, rhat_applies: bool, weighted: bool) -> Self {
        let (max_rhat, min_bulk, min_tail, mcse) = match &table {
            Some(t) => (t.max_rhat(), t.min_ess_bulk(), t.min_ess_tail(), t.rows.iter().map(|r| r.mcse_mean).collect()),
            None => (f64::NAN, f64::NAN, f64::NAN, Vec::new()),
        };
        Sampled {
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

/// One mode region of a Markov run (see the module doc).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModeRun {
    /// Cluster id of the region (the prior component with the largest
    /// responsibility there); `None` for the uniform background.
    pub cluster: Option<usize>,
    /// Posterior mass of the region from the pilot SMC run, renormalised
    /// over the regions that got chains: the weight of its draws.
    pub mass: f64,
    /// Chains started in the region.
    pub n_chains: usize,
    /// Share of all kept Markov draws that lie in the region.
    pub draw_share: f64,
    /// Largest R-hat over coordinates of the region's chains.
    pub max_rhat: f64,
    /// Smallest bulk ESS over coordinates of the region's chains.
    pub min_ess_bulk: f64,
    /// Smallest tail ESS over coordinates of the region's chains.
    pub min_ess_tail: f64,
    /// Mean of the region's chains per coordinate (km; s).
    pub mean: Vec<f64>,
}

/// The pilot's estimate of where the posterior's mass is (module doc).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PilotMasses {
    /// `"importance"` (the adaptive importance sampler from the prior, 3D
    /// posteriors), `"prior-is"` (importance sampling from the prior with
    /// the origin time integrated out, 4D), `"adapted-is"` (its adapted
    /// second stage) or `"smc"`.
    pub method: String,
    /// Mass of each mode region: cluster ids `0..K`, then the background.
    pub mass: Vec<f64>,
    /// Effective sample size of the masses (Kish ESS of the importance
    /// weights, or [`PILOT_ESS_FRACTION`] of the SMC particles).
    pub n_eff: f64,
}

/// The pilot run of [`locate_event`] on `posterior` (the Markov samplers'
/// starting points and mode masses) with the seed of `options.seed`.
pub fn pilot_masses(posterior: &LocationPosterior, seed: u64) -> Result<PilotMasses, SamplerError> {
    let (lo, hi) = posterior.bounds();
    let init: Vec<f64> = lo.iter().zip(&hi).map(|(a, b)| 0.5 * (a + b)).collect();
    let p = Pilot::run(posterior, &lo, &hi, &init, seed)?;
    Ok(p.masses())
}

/// The pilot run: where the posterior's mass is, by mode region.
struct Pilot {
    particles: Draws,
    /// Normalised weight of each particle (equal for SMC).
    weights: Vec<f64>,
    /// Region label of each particle: cluster id, or `K` for the background.
    labels: Vec<usize>,
    /// Pilot mass of each label `0..=K`.
    mass: Vec<f64>,
    /// Labels that get chains, heaviest first.
    modes: Vec<usize>,
    /// Effective sample size of the masses.
    n_eff: f64,
    /// `"prior-is"`, `"adapted-is"` or `"smc"`.
    method: &'static str,
}

/// Log of `∫ L(p, t0) dt0 / (b − a)` over the origin-time window `[a, b]`
/// (the hypocentre marginal of a posterior that samples the origin time),
/// by the trapezoid rule on 41 nodes over `t̂ ± 8 sd` (clipped to the
/// window) about the best origin time `t̂` at `p` and its sd; with the point
/// `[p, t̂]` (`t̂` clamped to the window) as the particle. The time
/// likelihood is Gaussian (or Student-t) in `t0` with that sd, so 41 nodes
/// over ±8 sd integrate it to far better than the pilot's Monte Carlo error.
fn origin_time_marginal(posterior: &LocationPosterior, p: [f64; 3], a: f64, b: f64) -> (f64, Vec<f64>) {
    let Some((t_hat, sd)) = posterior.origin_time_at(p) else {
        return (f64::NEG_INFINITY, vec![p[0], p[1], p[2], 0.5 * (a + b)]);
    };
    let (lo, hi) = ((t_hat - 8.0 * sd).max(a), (t_hat + 8.0 * sd).min(b));
    let x = vec![p[0], p[1], p[2], t_hat.clamp(a, b)];
    if !(hi > lo) {
        return (f64::NEG_INFINITY, x);
    }
    const N: usize = 41;
    let h = (hi - lo) / (N - 1) as f64;
    let ls: Vec<f64> = (0..N).map(|i| posterior.log_likelihood(p, Some(lo + i as f64 * h))).collect();
    let m = ls.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    if !m.is_finite() {
        return (f64::NEG_INFINITY, x);
    }
    let sum: f64 = ls.iter().enumerate().map(|(i, l)| if i == 0 || i == N - 1 { 0.5 } else { 1.0 } * (l - m).exp()).sum();
    (m + (sum * h / (b - a)).ln(), x)
}

/// `ln Σ exp(v)`, stable; `-inf` for no terms or all `-inf`.
fn log_sum_exp(v: impl IntoIterator<Item = f64> + Clone) -> f64 {
    let m = v.clone().into_iter().fold(f64::NEG_INFINITY, f64::max);
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + v.into_iter().map(|x| (x - m).exp()).sum::<f64>().ln()
}

impl Pilot {
    /// Importance sampling from the prior when it is efficient enough (Kish
    /// ESS of [`PILOT_IS_DRAWS`] prior draws weighted by
    /// the likelihood at least [`PILOT_IS_MIN_ESS`]), else SMC with
    /// [`PILOT_PARTICLES`] particles from the uniform distribution on the
    /// box `[lo, hi]`, directly on the posterior.
    fn run(posterior: &LocationPosterior, lo: &[f64], hi: &[f64], init: &[f64], seed: u64) -> Result<Self, SamplerError> {
        if posterior.dim() == 3 {
            // The importance sampler itself (the default location sampler):
            // prior draws, then fitted mixtures, to a Kish ESS of
            // PILOT_TARGET_ESS, so the Markov samplers' mode masses are as
            // exact as its own.
            if let Some(base) = PriorProposal::new(posterior, chain_seed(seed, usize::MAX - 6)) {
                let prior = posterior.prior();
                let cfg = ImportanceConfig { target_ess: PILOT_TARGET_ESS, ..ImportanceConfig::default() };
                let label = |x: &[f64]| region_label(prior, x);
                let run = cfg.run_factored(&LogLikelihoodOf(posterior), &base, &label, prior.n_clusters() + 1, chain_seed(seed, usize::MAX - 4));
                if let Ok((mut particles, report)) = run {
                    if report.ess >= PILOT_IS_MIN_ESS {
                        let weights = particles.weights.take().unwrap_or_default();
                        return Ok(Self::new(posterior, particles, weights, report.ess, "importance"));
                    }
                }
            }
        } else if let Some((particles, weights)) = Self::prior_importance(posterior, seed) {
            let n_eff = kish_ess(&weights);
            if n_eff >= PILOT_IS_MIN_ESS {
                return Ok(Self::new(posterior, particles, weights, n_eff, "prior-is"));
            }
            if n_eff >= ADAPTED_IS_MIN_SEED_ESS {
                let first = Self::new(posterior, particles, weights, n_eff, "prior-is");
                if let Some((particles, weights)) = first.adapted_importance(posterior, seed) {
                    let n_eff = kish_ess(&weights);
                    if n_eff >= PILOT_IS_MIN_ESS {
                        return Ok(Self::new(posterior, particles, weights, n_eff, "adapted-is"));
                    }
                }
            }
        }
        let smc = SmcConfig {
            n_particles: PILOT_PARTICLES,
            reference: Reference::Uniform { lower: lo.to_vec(), upper: hi.to_vec() },
            ..SmcConfig::default()
        };
        let particles = smc.sample(posterior, init, chain_seed(seed, usize::MAX - 2))?;
        let n = particles.n_draws();
        // With a sampled origin time the particles mix worse (measured: a
        // 0.53 mass has sd 0.06 over 12 seeds, an effective 0.035 of them).
        let fraction = if posterior.dim() == 4 { 0.2 * PILOT_ESS_FRACTION } else { PILOT_ESS_FRACTION };
        Ok(Self::new(posterior, particles, vec![1.0 / n as f64; n], fraction * n as f64, "smc"))
    }

    /// Prior draws inside the box with normalised likelihood weights, drawn
    /// in batches of [`PILOT_IS_BATCH`] until their Kish ESS reaches
    /// [`PILOT_IS_MIN_ESS`] or [`PILOT_IS_DRAWS`] are drawn (an efficient
    /// importance sample stops after the first batch: its cost is then a
    /// quarter of the full one); `None` when too few prior draws fall in
    /// the box or when every likelihood vanishes.
    fn prior_importance(posterior: &LocationPosterior, seed: u64) -> Option<(Draws, Vec<f64>)> {
        let dim = posterior.dim();
        let window = (dim == 4).then(|| posterior.bounds()).map(|(lo, hi)| (lo[3], hi[3]));
        let mut rng = ChaCha8Rng::seed_from_u64(chain_seed(seed, usize::MAX - 4));
        let mut xs = Draws::new(dim);
        let mut ll = Vec::with_capacity(PILOT_IS_DRAWS);
        let mut w = Vec::with_capacity(PILOT_IS_DRAWS);
        for _ in 0..20 * PILOT_IS_DRAWS {
            let p = posterior.prior().sample(&mut rng);
            if !posterior.region().contains(p) {
                continue;
            }
            let (l, x) = match window {
                None => (posterior.log_likelihood(p, None), p.to_vec()),
                Some((a, b)) => origin_time_marginal(posterior, p, a, b),
            };
            xs.push(&x, eqnemix_samplers::DrawStats::default());
            ll.push(l);
            if ll.len() % PILOT_IS_BATCH == 0 {
                w.resize(ll.len(), 0.0);
                let finite = normalise_log_weights(&ll, &mut w).is_finite();
                if ll.len() >= PILOT_IS_DRAWS || (finite && kish_ess(&w) >= PILOT_IS_MIN_ESS) {
                    return finite.then_some((xs, w));
                }
            }
        }
        // Too few prior draws fell inside the box.
        None
    }

    /// One adaptation step of importance sampling (population Monte Carlo)
    /// from this prior-importance pilot: [`PILOT_IS_BATCH`] draws from the
    /// defensive mixture `q = α prior + (1 − α) Σ_l M_l N(μ_l, s² Σ_l)`,
    /// with `μ_l`, `Σ_l` the weighted mean and covariance of this pilot's
    /// particles in mode region `l` (`s` = [`ADAPTED_IS_SCALE`], α =
    /// [`ADAPTED_IS_DEFENSIVE`]), weighted by `prior · L / q` (zero outside
    /// the box). The prior share keeps the weights bounded (`≤ 1/α` times
    /// the likelihood) and covers a mode the first stage saw too little
    /// of; when the Gaussians miss the posterior's shape the Kish ESS is
    /// low and [`Pilot::run`] falls back to SMC, so the check is the same as
    /// for the first stage. 3D posteriors only (`None` otherwise).
    ///
    /// Hand-written, not a crate: it is a few lines over this project's own
    /// prior and mode regions.
    fn adapted_importance(&self, posterior: &LocationPosterior, seed: u64) -> Option<(Draws, Vec<f64>)> {
        use nalgebra::{Matrix3, Vector3};
        use rand_distr::{Distribution, StandardNormal};
        if posterior.dim() != 3 {
            return None;
        }
        let prior = posterior.prior();
        // Weighted Gaussian of each mode region (mass, mean, Cholesky factor).
        let mut parts: Vec<(f64, Vector3<f64>, Matrix3<f64>, f64)> = Vec::new();
        for &l in &self.modes {
            let idx: Vec<usize> = (0..self.labels.len()).filter(|&i| self.labels[i] == l).collect();
            let wsum: f64 = idx.iter().map(|&i| self.weights[i]).sum();
            let w2: f64 = idx.iter().map(|&i| self.weights[i].powi(2)).sum();
            if !(wsum > 0.0) || wsum * wsum / w2 < 10.0 {
                continue; // too few effective particles to fit a Gaussian
            }
            let x = |i: usize| Vector3::from_column_slice(self.particles.draw(i));
            let mean: Vector3<f64> = idx.iter().map(|&i| x(i) * self.weights[i]).sum::<Vector3<f64>>() / wsum;
            let mut cov = Matrix3::zeros();
            for &i in &idx {
                let d = x(i) - mean;
                cov += d * d.transpose() * (self.weights[i] / wsum);
            }
            // Inflate, and keep it positive definite (0.1 km floor per axis).
            let cov = cov * ADAPTED_IS_SCALE.powi(2) + Matrix3::identity() * 0.01;
            let chol = cov.cholesky()?;
            let l_mat = chol.l();
            let log_det = 2.0 * (0..3).map(|a| l_mat[(a, a)].ln()).sum::<f64>();
            parts.push((self.mass[l], mean, l_mat, log_det));
        }
        if parts.is_empty() {
            return None;
        }
        let total: f64 = parts.iter().map(|p| p.0).sum();
        let log_norm = -1.5 * (2.0 * std::f64::consts::PI).ln();
        let log_g = |x: &Vector3<f64>| {
            log_sum_exp(parts.iter().map(|(m, mu, l_mat, log_det)| {
                let z = l_mat.solve_lower_triangular(&(x - mu)).unwrap_or_else(|| Vector3::repeat(f64::INFINITY));
                (m / total).ln() + log_norm - 0.5 * log_det - 0.5 * z.norm_squared()
            }))
        };
        let (la, lb) = (ADAPTED_IS_DEFENSIVE.ln(), (1.0 - ADAPTED_IS_DEFENSIVE).ln());
        let mut rng = ChaCha8Rng::seed_from_u64(chain_seed(seed, usize::MAX - 5));
        let mut xs = Draws::new(3);
        let mut lw = Vec::with_capacity(PILOT_IS_BATCH);
        for _ in 0..PILOT_IS_BATCH {
            let p: [f64; 3] = if rng.gen::<f64>() < ADAPTED_IS_DEFENSIVE {
                prior.sample(&mut rng)
            } else {
                let u = rng.gen::<f64>() * total;
                let mut acc = 0.0;
                let part = parts.iter().find(|p| { acc += p.0; u < acc }).unwrap_or(&parts[parts.len() - 1]);
                let z = Vector3::from_fn(|_, _| StandardNormal.sample(&mut rng));
                let v = part.1 + part.2 * z;
                [v[0], v[1], v[2]]
            };
            let lp = prior.log_density(p);
            let lq = log_sum_exp([la + lp, lb + log_g(&Vector3::from(p))]);
            let l = if posterior.region().contains(p) && lp > f64::NEG_INFINITY {
                lp + posterior.log_likelihood(p, None) - lq
            } else {
                f64::NEG_INFINITY
            };
            xs.push(&p, eqnemix_samplers::DrawStats::default());
            lw.push(l);
        }
        let mut w = vec![0.0; lw.len()];
        normalise_log_weights(&lw, &mut w).is_finite().then_some((xs, w))
    }

    fn new(posterior: &LocationPosterior, particles: Draws, weights: Vec<f64>, n_eff: f64, method: &'static str) -> Self {
        let k = posterior.prior().n_clusters();
        let labels: Vec<usize> = particles.iter().map(|x| region_label(posterior.prior(), x)).collect();
        let mut mass = vec![0.0; k + 1];
        for (&l, w) in labels.iter().zip(&weights) {
            mass[l] += w;
        }
        let mut modes: Vec<usize> = (0..=k).filter(|&l| mass[l] >= MIN_MODE_MASS).collect();
        modes.sort_by(|a, b| mass[*b].total_cmp(&mass[*a]).then(a.cmp(b)));
        if modes.is_empty() {
            let heaviest = (0..=k).max_by(|a, b| mass[*a].total_cmp(&mass[*b])).unwrap_or(0);
            modes.push(heaviest);
        }
        Pilot { particles, weights, labels, mass, modes, n_eff, method }
    }

    /// The sampler of each mode region, in the order of `self.modes`: the
    /// heaviest region keeps the configured draws per chain `n`; a lighter
    /// region `l` gets `n · M_l / M_max`, at least [`MIN_MODE_DRAWS`]
    /// (module doc).
    fn mode_samplers(&self, sampler: &SamplerConfig) -> Vec<SamplerConfig> {
        let Some(n) = sampler.n_draws() else {
            return vec![sampler.clone(); self.modes.len()];
        };
        let heaviest = self.mass[self.modes[0]];
        self.modes
            .iter()
            .map(|&l| sampler.with_n_draws(mode_draws(n, self.mass[l], heaviest)))
            .collect()
    }

    fn masses(&self) -> PilotMasses {
        PilotMasses { method: self.method.to_string(), mass: self.mass.clone(), n_eff: self.n_eff }
    }

    /// `n` starting points among the pilot particles of region `label`,
    /// resampled systematically by weight from a seeded offset (for SMC's
    /// equal weights: evenly spaced through the particle list, which keeps
    /// resampled copies together, so the starts come from different
    /// ancestors).
    fn starts(&self, label: usize, n: usize, seed: u64) -> Vec<Vec<f64>> {
        let idx: Vec<usize> = (0..self.labels.len()).filter(|&i| self.labels[i] == label).collect();
        let total: f64 = idx.iter().map(|&i| self.weights[i]).sum();
        let w: Vec<f64> = idx.iter().map(|&i| self.weights[i] / total).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(chain_seed(seed, usize::MAX - 3 - label));
        let mut picked = vec![0; n];
        resample(Resampling::Systematic, &w, &mut rng, &mut picked);
        picked.into_iter().map(|j| self.particles.draw(idx[j]).to_vec()).collect()
    }

    /// Diagnose and combine `chains` (`nc` per mode, in the order of
    /// `self.modes`): one mode gives the chains unchanged; several give one
    /// merged draw set post-stratified by region (module doc).
    fn combine(&self, posterior: &LocationPosterior, chains: Vec<Draws>, nc: usize, names: &[&str]) -> Sampled {
        let kept: f64 = self.modes.iter().map(|&l| self.mass[l]).sum();
        let dropped = (1.0 - kept).max(0.0);
        let k = posterior.prior().n_clusters();
        let labels: Vec<Vec<usize>> =
            chains.iter().map(|c| c.iter().map(|x| region_label(posterior.prior(), x)).collect()).collect();
        let n_all: usize = labels.iter().map(|l| l.len()).sum();
        let mut count = vec![0usize; k + 1];
        labels.iter().flatten().for_each(|&l| count[l] += 1);
        let groups: Vec<Option<Summary>> =
            chains.chunks(nc).map(|g| Summary::from_chains(g, names).ok()).collect();
        let modes: Vec<ModeRun> = self
            .modes
            .iter()
            .zip(&groups)
            .map(|(&l, t)| ModeRun {
                cluster: (l < k).then_some(l),
                mass: self.mass[l] / kept,
                n_chains: nc,
                draw_share: count[l] as f64 / n_all.max(1) as f64,
                max_rhat: t.as_ref().map_or(f64::NAN, |t| t.max_rhat()),
                min_ess_bulk: t.as_ref().map_or(f64::NAN, Summary::min_ess_bulk),
                min_ess_tail: t.as_ref().map_or(f64::NAN, Summary::min_ess_tail),
                mean: t.as_ref().map_or_else(Vec::new, |t| t.rows.iter().map(|r| r.mean).collect()),
            })
            .collect();
        if self.modes.len() == 1 {
            let table = groups.into_iter().next().flatten();
            let mut s = Sampled::from_table(chains.clone(), chains, table, nc > 1, false);
            s.modes = modes;
            s.dropped_mass = dropped;
            s.pilot = Some(self.masses());
            return s;
        }
        // Post-stratification: a draw in region l weighs mass_l / (draws in l).
        let mut lost = Vec::new();
        let mut weight_of = vec![0.0; k + 1];
        for &l in &self.modes {
            if count[l] > 0 {
                weight_of[l] = self.mass[l] / kept / count[l] as f64;
            } else {
                lost.push(if l < k { format!("cluster {l}") } else { "background".to_string() });
            }
        }
        let dim = chains[0].dim;
        let mut merged = Draws::new(dim);
        let mut w = Vec::with_capacity(n_all);
        for (c, ls) in chains.iter().zip(&labels) {
            for (i, x) in c.iter().enumerate() {
                merged.push(x, c.stats[i].clone());
                w.push(weight_of[ls[i]]);
            }
        }
        let sw: f64 = w.iter().sum();
        w.iter_mut().for_each(|v| *v /= sw);
        merged.weights = Some(w);
        // Combined errors (module doc): within-mode MCSEs weighted by mass,
        // plus the pilot's error in the masses moving the mean between modes.
        let m: Vec<f64> = modes.iter().map(|r| r.mass).collect();
        let mean: Vec<f64> = (0..dim).map(|a| modes.iter().zip(&m).map(|(r, w)| w * r.mean.get(a).copied().unwrap_or(f64::NAN)).sum()).collect();
        let n_eff = self.n_eff;
        let mcse: Vec<f64> = (0..dim)
            .map(|a| {
                let within: f64 = groups
                    .iter()
                    .zip(&m)
                    .map(|(t, w)| t.as_ref().map_or(f64::NAN, |t| (w * t.rows[a].mcse_mean).powi(2)))
                    .sum();
                let between: f64 = modes.iter().zip(&m).map(|(r, w)| w * (r.mean[a] - mean[a]).powi(2)).sum::<f64>() / n_eff;
                (within + between).sqrt()
            })
            .collect();
        let combined = |f: &dyn Fn(&ModeRun) -> f64| 1.0 / modes.iter().zip(&m).map(|(r, w)| w * w / f(r)).sum::<f64>();
        Sampled {
            chains: vec![merged],
            raw_chains: chains,
            table: None,
            max_rhat: nan_aware_max(modes.iter().map(|r| r.max_rhat)),
            min_ess_bulk: combined(&|r| r.min_ess_bulk),
            min_ess_tail: combined(&|r| r.min_ess_tail),
            mcse_mean: mcse,
            rhat_applies: nc > 1,
            weighted_population: false,
            modes,
            dropped_mass: dropped,
            pilot: Some(self.masses()),
            importance: None,
            lost_modes: (!lost.is_empty()).then(|| format!("no chain stayed in the mode region of {} (its pilot mass is dropped)", lost.join(", "))),
        }
    }
}

/// `KL(posterior ‖ prior) = E_post[ln L] − ln E_prior[L]` (nats), the prior
/// restricted to the region box (see the module doc). 0 without likelihood
/// terms; NaN if no prior draw falls in the box.
pub fn information_gain(
    posterior: &LocationPosterior,
    chains: &[Draws],
    n_prior_draws: usize,
    seed: u64,
) -> f64 {
    if posterior.likelihood().n_terms() == 0 {
        return 0.0;
    }
    let split = |x: &[f64]| ([x[0], x[1], x[2]], x.get(3).copied());
    // E_post[ln L]: equally weighted chains, or importance weights.
    let max_draws = 4000usize;
    let (mut s, mut sw) = (0.0, 0.0);
    let n_all: usize = chains.iter().map(|c| c.n_draws()).sum();
    let stride = n_all.div_ceil(max_draws).max(1);
    for c in chains {
        let tot: f64 = c.weights.as_ref().map_or(c.n_draws() as f64, |w| w.iter().sum());
        for (i, x) in c.iter().enumerate().step_by(stride) {
            let w = c.weights.as_ref().map_or(1.0, |w| w[i]) / tot;
            let (p, t0) = split(x);
            let ll = posterior.log_likelihood(p, t0);
            if ll.is_finite() && w > 0.0 {
                s += w * ll;
                sw += w;
            }
        }
    }
    if sw <= 0.0 {
        return f64::NAN;
    }
    let post_ll = s / sw;
    // ln E_prior[L] by log-mean-exp over prior draws inside the box.
    let mut rng = ChaCha8Rng::seed_from_u64(chain_seed(seed, usize::MAX - 1));
    let (lo, hi) = posterior.bounds();
    let mut lls = Vec::with_capacity(n_prior_draws);
    let mut tries = 0;
    while lls.len() < n_prior_draws && tries < 20 * n_prior_draws {
        tries += 1;
        let p = posterior.prior().sample(&mut rng);
        if !posterior.region().contains(p) {
            continue;
        }
        let t0 = (lo.len() > 3).then(|| rng.gen_range(lo[3]..hi[3]));
        lls.push(posterior.log_likelihood(p, t0));
    }
    if lls.is_empty() {
        return f64::NAN;
    }
    let ln_sum = log_sum_exp(lls.iter().copied());
    if ln_sum == f64::NEG_INFINITY {
        return f64::INFINITY;
    }
    let ln_z = ln_sum - (lls.len() as f64).ln();
    post_ll - ln_z
}
