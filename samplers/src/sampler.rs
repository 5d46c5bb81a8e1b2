//! The sampler seam: every sampler is configured by a plain serde struct and
//! implements [`Sampler`]; chains run in parallel with [`run_chains`].

use crate::observer::{report, Observer};
use crate::{DrawStats, Draws, GradLogDensity, LogDensity};
use rayon::prelude::*;

/// Why a sampler could not run.
#[derive(Debug, thiserror::Error)]
pub enum SamplerError {
    /// The initial point has zero density (or NaN).
    #[error("initial point has log density {0}; start inside the support")]
    BadInitialPoint(f64),
    /// The initial point has the wrong dimension.
    #[error("initial point has {got} coordinates, the density has {expected}")]
    DimensionMismatch {
        /// Density dimension.
        expected: usize,
        /// Initial point length.
        got: usize,
    },
    /// A configuration value is invalid; the string names the field.
    #[error("invalid sampler setting: {0}")]
    InvalidConfig(String),
    /// The run failed numerically (e.g. every particle has zero weight).
    #[error("sampler failed: {0}")]
    Numerical(String),
    /// An [`Observer`] stopped the run after iteration `iteration`.
    #[error("cancelled after iteration {iteration}")]
    Cancelled {
        /// Iterations done when the observer stopped the run.
        iteration: usize,
    },
}

/// A sampler: draws from a density starting at `init`, reproducibly from `seed`.
///
/// Samplers that need no gradient only call
/// [`LogDensity::log_density`](crate::LogDensity::log_density).
/// `Send + Sync` so one configured sampler can run many chains in parallel.
pub trait Sampler: Send + Sync {
    /// Short name, e.g. `"nuts"`.
    fn name(&self) -> &'static str;

    /// Run one chain (or one population run) and return its post-warm-up draws.
    /// The same `seed` gives the same draws.
    fn sample(&self, density: &dyn GradLogDensity, init: &[f64], seed: u64) -> Result<Draws, SamplerError>;

    /// [`Sampler::sample`] with every iteration handed to `observer`, which
    /// may stop the run ([`SamplerError::Cancelled`]); the draws are the
    /// same as `sample`'s at the same seed. HMC, NUTS and Metropolis report
    /// each iteration; by default (population samplers, tempering, ADVI)
    /// the observer is asked before the run starts (and may stop it there)
    /// and sees the finished run once.
    fn sample_observed(
        &self,
        density: &dyn GradLogDensity,
        init: &[f64],
        seed: u64,
        observer: &mut dyn Observer,
    ) -> Result<Draws, SamplerError> {
        report(observer, 0, 1, false, &DrawStats::default())?;
        let draws = self.sample(density, init, seed)?;
        // The run is complete: a stop asked for now has nothing left to stop.
        let _ = report(observer, 1, 1, false, draws.stats.last().unwrap_or(&DrawStats::default()));
        Ok(draws)
    }
}

/// A sampler that calls only [`LogDensity::log_density`]: Metropolis,
/// parallel tempering, SMC and the oct-tree. It samples a density that has
/// no gradient (a travel-time table without derivatives, a black-box
/// forward model); its [`Sampler::sample`] is this method on the same
/// density.
///
/// ```
/// use eqnemix_samplers::{metropolis::MetropolisConfig, GradientFreeSampler, LogDensity};
///
/// /// A standard normal in 2-D, with no gradient.
/// struct Normal2;
/// impl LogDensity for Normal2 {
///     fn dim(&self) -> usize { 2 }
///     fn log_density(&self, x: &[f64]) -> f64 { -0.5 * (x[0] * x[0] + x[1] * x[1]) }
/// }
///
/// let draws = MetropolisConfig::default().sample_log_density(&Normal2, &[0.5, -0.5], 7).unwrap();
/// let mean = draws.iter().map(|x| x[0]).sum::<f64>() / draws.n_draws() as f64;
/// assert!(mean.abs() < 0.2, "{mean}");
/// ```
pub trait GradientFreeSampler: Sampler {
    /// Like [`Sampler::sample`], from log densities alone.
    fn sample_log_density(&self, density: &dyn LogDensity, init: &[f64], seed: u64) -> Result<Draws, SamplerError>;
}

/// [`run_chains`] for a [`GradientFreeSampler`] on a density without a
/// gradient; chain `i` uses `chain_seed(seed, i)`.
pub fn run_chains_gradient_free(
    sampler: &dyn GradientFreeSampler,
    density: &dyn LogDensity,
    inits: &[Vec<f64>],
    seed: u64,
) -> Result<Vec<Draws>, SamplerError> {
    inits
        .par_iter()
        .enumerate()
        .map(|(i, x0)| sampler.sample_log_density(density, x0, chain_seed(seed, i)))
        .collect()
}

/// [`run_chains`] with chain `i` handed to the observer `observer_of(i)`
/// ([`Sampler::sample_observed`]): progress per chain, or one
/// [`crate::CancelFlag`] cloned into every chain to stop them all.
pub fn run_chains_observed<O: Observer>(
    sampler: &dyn Sampler,
    density: &dyn GradLogDensity,
    inits: &[Vec<f64>],
    seed: u64,
    observer_of: impl (Fn(usize) -> O) + Sync,
) -> Result<Vec<Draws>, SamplerError> {
    inits
        .par_iter()
        .enumerate()
        .map(|(i, x0)| sampler.sample_observed(density, x0, chain_seed(seed, i), &mut observer_of(i)))
        .collect()
}

/// Check `init` against `density` (dimension, finite log density).
pub fn check_init(density: &dyn LogDensity, init: &[f64]) -> Result<(), SamplerError> {
    if init.len() != density.dim() {
        return Err(SamplerError::DimensionMismatch { expected: density.dim(), got: init.len() });
    }
    let lp = density.log_density(init);
    if !lp.is_finite() {
        return Err(SamplerError::BadInitialPoint(lp));
    }
    Ok(())
}

/// The seed of chain `chain` of a run seeded with `seed`: a fixed mix, so the
/// draws of each chain depend only on (`seed`, `chain`) and never on the
/// number of threads.
pub fn chain_seed(seed: u64, chain: usize) -> u64 {
    // SplitMix64 finaliser: decorrelates consecutive chain indices.
    let mut z = seed ^ (chain as u64).wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Run one chain per initial point in parallel (rayon). Chain `i` uses
/// `chain_seed(seed, i)`, so results do not depend on the thread count.
pub fn run_chains(
    sampler: &dyn Sampler,
    density: &dyn GradLogDensity,
    inits: &[Vec<f64>],
    seed: u64,
) -> Result<Vec<Draws>, SamplerError> {
    run_chains_with(|_| sampler, density, inits, seed)
}

/// [`run_chains`] with the sampler of chain `i` given by `sampler_of(i)`
/// (for example one configuration per mode region); chain `i` still uses
/// `chain_seed(seed, i)`.
pub fn run_chains_with<'s>(
    sampler_of: impl (Fn(usize) -> &'s dyn Sampler) + Sync,
    density: &dyn GradLogDensity,
    inits: &[Vec<f64>],
    seed: u64,
) -> Result<Vec<Draws>, SamplerError> {
    run_chains_with_observed(sampler_of, density, inits, seed, |_| ())
}

/// [`run_chains_with`] with chain `i` handed to the observer
/// `observer_of(i)` ([`Sampler::sample_observed`]), e.g. one
/// [`crate::CancelFlag`] cloned into every chain of every mode region.
pub fn run_chains_with_observed<'s, O: Observer>(
    sampler_of: impl (Fn(usize) -> &'s dyn Sampler) + Sync,
    density: &dyn GradLogDensity,
    inits: &[Vec<f64>],
    seed: u64,
    observer_of: impl (Fn(usize) -> O) + Sync,
) -> Result<Vec<Draws>, SamplerError> {
    inits
        .par_iter()
        .enumerate()
        .map(|(i, x0)| sampler_of(i).sample_observed(density, x0, chain_seed(seed, i), &mut observer_of(i)))
        .collect()
}
