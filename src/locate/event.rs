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

use crate::config::DiagnosticsConfig;
use crate::geo::LocalProjection;
use crate::posterior::LocationPosterior;
use crate::summary::{LocationSummary, SummaryError, SummaryOptions};
use eqnemix_samplers::any::SamplerConfig;
use eqnemix_samplers::diagnostics::Summary;
use eqnemix_samplers::transform::{Bounds, BoxTransform};
use eqnemix_samplers::{chain_seed, run_chains, Draws, LogDensity, SamplerError};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Prior draws per chain from which the starting points are resampled.
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
}

/// The flags of a location (rules in the module doc).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LocationFlags {
    /// The draws may not represent the posterior.
    pub untrustworthy: bool,
    /// The posterior is explained by the prior alone.
    pub prior_dominated: bool,
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

/// Locate one event: sample `posterior` with `sampler` (Markov samplers run
/// `options.n_chains` chains in parallel from points resampled, with
/// weights ∝ likelihood, from the posterior's
/// [`LocationPosterior::initial_points`]; population samplers run once), in
/// the unconstrained space of a [`BoxTransform`] over
/// [`LocationPosterior::bounds`] (except the oct-tree, which partitions the
/// box itself), then summarise and flag the result.
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

    // Starting points: approximate posterior draws by sampling-importance-
    // resampling of prior draws (weights ∝ likelihood), so chains start in
    // the modes in proportion to their mass instead of wherever the prior
    // put them (a chain started in a prior-heavy but data-poor cluster can
    // stay there). Strictly inside the box for the transform.
    let mut rng = ChaCha8Rng::seed_from_u64(chain_seed(options.seed, usize::MAX));
    let n_candidates = INIT_CANDIDATES_PER_CHAIN * options.n_chains;
    let candidates: Vec<Vec<f64>> = posterior
        .initial_points(n_candidates, &mut rng)
        .into_iter()
        .map(|mut x| {
            for i in 0..dim {
                let eps = 1e-7 * (hi[i] - lo[i]);
                x[i] = x[i].clamp(lo[i] + eps, hi[i] - eps);
            }
            x
        })
        .filter(|x| posterior.log_density(x).is_finite())
        .collect();
    if candidates.is_empty() {
        return Err(LocateError::NoSupport { event });
    }
    let ll: Vec<f64> = candidates
        .iter()
        .map(|x| posterior.log_likelihood([x[0], x[1], x[2]], x.get(3).copied()))
        .collect();
    let m = ll.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let w: Vec<f64> = ll.iter().map(|l| if m.is_finite() { (l - m).exp() } else { 1.0 }).collect();
    let total: f64 = w.iter().sum();
    // Systematic resampling of n_chains points.
    let u0: f64 = rng.gen::<f64>() / options.n_chains as f64;
    let mut inits = Vec::with_capacity(options.n_chains);
    let (mut acc, mut j) = (w[0] / total, 0);
    for c in 0..options.n_chains {
        let u = u0 + c as f64 / options.n_chains as f64;
        while acc < u && j + 1 < w.len() {
            j += 1;
            acc += w[j] / total;
        }
        inits.push(candidates[j].clone());
    }
    let sampler_err = |source| LocateError::Sampler {
        event: event.clone(),
        sampler: sampler.kind(),
        source,
    };
    let chains: Vec<Draws> = match sampler {
        SamplerConfig::Octree(c) => {
            let mut c = c.clone();
            if c.lower.is_empty() && c.upper.is_empty() {
                c.lower = lo.clone();
                c.upper = hi.clone();
            }
            let s = SamplerConfig::Octree(c).build();
            vec![s.sample(posterior, &inits[0], chain_seed(options.seed, 0)).map_err(sampler_err)?]
        }
        s if s.is_population() => {
            let y = transform.to_unconstrained(&inits[0]).expect("inside the box");
            let d = s.build().sample(&transform, &y, chain_seed(options.seed, 0)).map_err(sampler_err)?;
            vec![transform.constrain_draws(&d)]
        }
        s => {
            let ys: Vec<Vec<f64>> = inits
                .iter()
                .map(|x| transform.to_unconstrained(x).expect("inside the box"))
                .collect();
            let built = s.build();
            run_chains(built.as_ref(), &transform, &ys, options.seed)
                .map_err(sampler_err)?
                .iter()
                .map(|d| transform.constrain_draws(d))
                .collect()
        }
    };

    let to_lonlat = options.projection.map(|p| move |e: f64, n: f64| p.to_lonlat(e, n));
    let summary = LocationSummary::from_draws(
        posterior,
        &chains,
        &options.summary,
        to_lonlat.as_ref().map(|f| f as &dyn Fn(f64, f64) -> (f64, f64)),
    )
    .map_err(|source| LocateError::Summary {
        event: event.clone(),
        source,
    })?;

    let weighted = chains.iter().any(|c| c.weights.is_some());
    let (table, max_rhat, min_bulk, min_tail) = if weighted {
        let ess = summary.weights_ess;
        (None, f64::NAN, ess, ess)
    } else {
        match Summary::from_chains(&chains, &COORDINATE_NAMES[..dim]) {
            Ok(t) => {
                let mr = t.max_rhat();
                let mb = t.rows.iter().map(|r| r.ess_bulk).fold(f64::INFINITY, f64::min);
                let mt = t.rows.iter().map(|r| r.ess_tail).fold(f64::INFINITY, f64::min);
                (Some(t), mr, mb, mt)
            }
            Err(_) => (None, f64::NAN, f64::NAN, f64::NAN),
        }
    };
    let n_divergent: usize = chains.iter().map(|c| c.n_divergent()).sum();
    let n_total: usize = chains.iter().map(|c| c.n_draws()).sum();
    let gain = information_gain(posterior, &chains, options.rules.n_prior_draws, options.seed);

    let rules = &options.rules;
    let mut flags = LocationFlags::default();
    if !weighted && chains.len() > 1 && !(max_rhat <= rules.max_rhat) {
        flags.untrustworthy = true;
        flags.reasons.push(format!("R-hat {max_rhat:.3} > {}", rules.max_rhat));
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
            chains: chains.iter().map(ChainStats::of).collect(),
            table,
            max_rhat,
            min_ess_bulk: min_bulk,
            min_ess_tail: min_tail,
            n_divergent,
            information_gain_nats: gain,
            elapsed_s: start.elapsed().as_secs_f64(),
        },
        summary,
        flags,
        chains,
    })
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
    let m = lls.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    if m == f64::NEG_INFINITY {
        return f64::INFINITY;
    }
    let ln_z = m + (lls.iter().map(|l| (l - m).exp()).sum::<f64>() / lls.len() as f64).ln();
    post_ll - ln_z
}
