//! The pilot of a Markov location run: weighted particles that say where
//! the posterior's mass is, by mode region, before any chain starts.
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
//!
//! Steps 2 and 3 (chains per mode region, post-stratification) are in
//! [`super::post_stratify`].

use super::post_stratify::MIN_MODE_MASS;
use super::prior_proposal::PriorProposal;
use crate::posterior::LocationPosterior;
use crate::summary::modes::region_label;
use eqnemix_samplers::importance::ImportanceConfig;
use eqnemix_samplers::smc::{kish_ess, normalise_log_weights, resample, Reference, Resampling, SmcConfig};
use eqnemix_samplers::{chain_seed, Draws, LogDensity, Sampler, SamplerError};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

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

/// Effective sample size of the pilot's mode masses as a fraction of
/// [`PILOT_PARTICLES`], used in the combined MCSE (module doc). Measured:
/// over 30 seeds on the bimodal event of `tests/samplers_agree.rs` the
/// share of a 0.53 mode has sd 0.024, an effective size of 0.21 × 2000
/// (`cargo test -p eqnemix --test samplers_agree -- --ignored
/// pilot_mass_spread`); 0.15 leaves room for the variance estimate's own
/// error.
pub const PILOT_ESS_FRACTION: f64 = 0.15;

/// The pilot's estimate of where the posterior's mass is (module doc).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PilotMasses {
    /// `"importance"` (the adaptive importance sampler from the prior, 3D
    /// posteriors), `"prior-is"` (importance sampling from the prior with
    /// the origin time integrated out, 4D) or `"smc"`.
    pub method: String,
    /// Mass of each mode region: cluster ids `0..K`, then the background.
    pub mass: Vec<f64>,
    /// Effective sample size of the masses (Kish ESS of the importance
    /// weights, or [`PILOT_ESS_FRACTION`] of the SMC particles).
    pub n_eff: f64,
}

/// The pilot run of [`super::locate_event`] on `posterior` (the Markov samplers'
/// starting points and mode masses) with the seed of `options.seed`.
pub fn pilot_masses(posterior: &LocationPosterior, seed: u64) -> Result<PilotMasses, SamplerError> {
    let (lo, hi) = posterior.bounds();
    let init: Vec<f64> = lo.iter().zip(&hi).map(|(a, b)| 0.5 * (a + b)).collect();
    let p = Pilot::run(posterior, &lo, &hi, &init, seed)?;
    Ok(p.masses())
}

/// The pilot run: where the posterior's mass is, by mode region.
pub(super) struct Pilot {
    pub(super) particles: Draws,
    /// Normalised weight of each particle (equal for SMC).
    pub(super) weights: Vec<f64>,
    /// Region label of each particle: cluster id, or `K` for the background.
    pub(super) labels: Vec<usize>,
    /// Pilot mass of each label `0..=K`.
    pub(super) mass: Vec<f64>,
    /// Labels that get chains, heaviest first.
    pub(super) modes: Vec<usize>,
    /// Effective sample size of the masses.
    pub(super) n_eff: f64,
    /// `"importance"`, `"prior-is"` or `"smc"`.
    pub(super) method: &'static str,
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

impl Pilot {
    /// Importance sampling from the prior when it is efficient enough (Kish
    /// ESS of [`PILOT_IS_DRAWS`] prior draws weighted by
    /// the likelihood at least [`PILOT_IS_MIN_ESS`]), else SMC with
    /// [`PILOT_PARTICLES`] particles from the uniform distribution on the
    /// box `[lo, hi]`, directly on the posterior.
    pub(super) fn run(posterior: &LocationPosterior, lo: &[f64], hi: &[f64], init: &[f64], seed: u64) -> Result<Self, SamplerError> {
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
    pub(super) fn prior_importance(posterior: &LocationPosterior, seed: u64) -> Option<(Draws, Vec<f64>)> {
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

    pub(super) fn masses(&self) -> PilotMasses {
        PilotMasses { method: self.method.to_string(), mass: self.mass.clone(), n_eff: self.n_eff }
    }

    /// `n` starting points among the pilot particles of region `label`,
    /// resampled systematically by weight from a seeded offset (for SMC's
    /// equal weights: evenly spaced through the particle list, which keeps
    /// resampled copies together, so the starts come from different
    /// ancestors).
    pub(super) fn starts(&self, label: usize, n: usize, seed: u64) -> Vec<Vec<f64>> {
        let idx: Vec<usize> = (0..self.labels.len()).filter(|&i| self.labels[i] == label).collect();
        let total: f64 = idx.iter().map(|&i| self.weights[i]).sum();
        let w: Vec<f64> = idx.iter().map(|&i| self.weights[i] / total).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(chain_seed(seed, usize::MAX - 3 - label));
        let mut picked = vec![0; n];
        resample(Resampling::Systematic, &w, &mut rng, &mut picked);
        picked.into_iter().map(|j| self.particles.draw(idx[j]).to_vec()).collect()
    }

}

/// The log likelihood of a 3D location posterior as a density (the factor
/// the importance sampler weighs prior draws by).
pub(super) struct LogLikelihoodOf<'a>(pub(super) &'a LocationPosterior);

impl LogDensity for LogLikelihoodOf<'_> {
    fn dim(&self) -> usize {
        3
    }
    fn log_density(&self, x: &[f64]) -> f64 {
        self.0.log_likelihood([x[0], x[1], x[2]], None)
    }
}

