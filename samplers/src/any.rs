//! One configuration type over every sampler, so a run's sampler is chosen
//! by one key of a TOML (or JSON) file.
//!
//! ```
//! use eqnemix_samplers::any::SamplerConfig;
//! let cfg: SamplerConfig = toml::from_str(r#"
//!     kind = "smc"
//!     n_particles = 500
//!     reference = { kind = "gaussian", sd = [5.0] }
//! "#).unwrap();
//! assert_eq!(cfg.build().name(), "smc");
//! let nuts: SamplerConfig = toml::from_str(r#"kind = "nuts""#).unwrap();
//! assert_eq!(nuts.build().name(), "nuts");
//! ```

use crate::advi::AdviConfig;
use crate::hmc::HmcConfig;
use crate::importance::ImportanceConfig;
use crate::metropolis::MetropolisConfig;
use crate::nuts::NutsConfig;
use crate::octree::OctreeConfig;
use crate::smc::SmcConfig;
use crate::tempering::TemperingConfig;
use crate::Sampler;
use serde::{Deserialize, Serialize};

/// Any sampler's configuration, tagged by `kind` (`metropolis`, `hmc`,
/// `nuts`, `advi`, `smc`, `octree`, `tempering`, `importance`); the other keys are that sampler's
/// settings, each with its documented default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SamplerConfig {
    /// Random-walk Metropolis with adapted proposal.
    Metropolis(MetropolisConfig),
    /// Static-trajectory Hamiltonian Monte Carlo.
    Hmc(HmcConfig),
    /// No-U-turn sampler.
    Nuts(NutsConfig),
    /// Variational inference (draws from the fitted Gaussian).
    Advi(AdviConfig),
    /// Sequential Monte Carlo with adaptive tempering (estimates log Z).
    Smc(SmcConfig),
    /// Oct-tree importance sampling over a box (weighted draws, log Z).
    Octree(OctreeConfig),
    /// Parallel tempering (replica exchange); draws of the cold chain.
    Tempering(TemperingConfig),
    /// Adaptive importance sampling (weighted draws, Pareto k̂).
    Importance(ImportanceConfig),
}

impl Default for SamplerConfig {
    fn default() -> Self {
        SamplerConfig::Nuts(NutsConfig::default())
    }
}

impl SamplerConfig {
    /// The configured sampler.
    pub fn build(&self) -> Box<dyn Sampler> {
        match self {
            SamplerConfig::Metropolis(c) => Box::new(c.clone()),
            SamplerConfig::Hmc(c) => Box::new(c.clone()),
            SamplerConfig::Nuts(c) => Box::new(c.clone()),
            SamplerConfig::Advi(c) => Box::new(c.clone()),
            SamplerConfig::Smc(c) => Box::new(c.clone()),
            SamplerConfig::Octree(c) => Box::new(c.clone()),
            SamplerConfig::Tempering(c) => Box::new(c.clone()),
            SamplerConfig::Importance(c) => Box::new(c.clone()),
        }
    }

    /// The `kind` key of this configuration.
    pub fn kind(&self) -> &'static str {
        match self {
            SamplerConfig::Metropolis(_) => "metropolis",
            SamplerConfig::Hmc(_) => "hmc",
            SamplerConfig::Nuts(_) => "nuts",
            SamplerConfig::Advi(_) => "advi",
            SamplerConfig::Smc(_) => "smc",
            SamplerConfig::Octree(_) => "octree",
            SamplerConfig::Tempering(_) => "tempering",
            SamplerConfig::Importance(_) => "importance",
        }
    }

    /// Draws per chain kept after warm-up, for the Markov samplers
    /// (Metropolis, HMC, NUTS, tempering); `None` for the population
    /// samplers, whose size is not a per-chain draw count.
    pub fn n_draws(&self) -> Option<usize> {
        match self {
            SamplerConfig::Metropolis(c) => Some(c.n_draws),
            SamplerConfig::Hmc(c) => Some(c.n_draws),
            SamplerConfig::Nuts(c) => Some(c.n_draws),
            SamplerConfig::Tempering(c) => Some(c.n_draws),
            SamplerConfig::Advi(_) | SamplerConfig::Smc(_) | SamplerConfig::Octree(_) | SamplerConfig::Importance(_) => None,
        }
    }

    /// The same configuration with `n` draws per chain (Markov samplers; a
    /// population sampler is returned unchanged).
    ///
    /// ```
    /// use eqnemix_samplers::any::SamplerConfig;
    /// let c = SamplerConfig::default().with_n_draws(250);
    /// assert_eq!(c.n_draws(), Some(250));
    /// ```
    pub fn with_n_draws(&self, n: usize) -> SamplerConfig {
        let mut c = self.clone();
        match &mut c {
            SamplerConfig::Metropolis(c) => c.n_draws = n,
            SamplerConfig::Hmc(c) => c.n_draws = n,
            SamplerConfig::Nuts(c) => c.n_draws = n,
            SamplerConfig::Tempering(c) => c.n_draws = n,
            SamplerConfig::Advi(_) | SamplerConfig::Smc(_) | SamplerConfig::Octree(_) | SamplerConfig::Importance(_) => {}
        }
        c
    }

    /// Whether the sampler returns one population per run (SMC, oct-tree,
    /// ADVI draws, importance sampling) rather than a Markov chain: run it
    /// once, not per chain.
    pub fn is_population(&self) -> bool {
        matches!(
            self,
            SamplerConfig::Advi(_) | SamplerConfig::Smc(_) | SamplerConfig::Octree(_) | SamplerConfig::Importance(_)
        )
    }
}
