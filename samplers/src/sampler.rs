//! The sampler seam: every sampler is configured by a plain serde struct and
//! implements [`Sampler`]; chains run in parallel with [`run_chains`].

use crate::{Draws, GradLogDensity};
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
}

/// Check `init` against `density` (dimension, finite log density).
pub fn check_init(density: &dyn GradLogDensity, init: &[f64]) -> Result<(), SamplerError> {
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
    inits
        .par_iter()
        .enumerate()
        .map(|(i, x0)| sampler_of(i).sample(density, x0, chain_seed(seed, i)))
        .collect()
}
