//! Every sampler kind with its default settings, as `eqnemix info` lists
//! them and `eqnemix config --example` documents them. The keys and values
//! are serialised from each sampler's `Default` configuration (the samplers
//! crate's), so they cannot drift from the code.

use super::{invalid, ConfigError};
use eqnemix_samplers::any::SamplerConfig;
use serde::Serialize;

/// One sampler kind: its defaults and what a location runs with it.
pub struct SamplerKind {
    /// The configuration with every default (`kind` is its key).
    pub config: SamplerConfig,
    /// One line: the method and what runs per event.
    pub about: &'static str,
}

/// Every sampler kind, the default (`importance`) first, each with its
/// samplers-crate defaults.
pub fn sampler_kinds() -> Vec<SamplerKind> {
    use eqnemix_samplers as s;
    let k = |config, about| SamplerKind { config, about };
    vec![
        k(
            super::default_sampler(),
            "adaptive importance sampling from the prior (the default): 1 run per event; weights carry the modes' masses, Kish ESS and Pareto k-hat say when they cannot",
        ),
        k(
            SamplerConfig::Nuts(s::nuts::NutsConfig::default()),
            "no-U-turn sampler (Markov): n_chains chains per mode region from a pilot; the studies use n_warmup = 400, n_draws = 500, metric = \"dense\"",
        ),
        k(SamplerConfig::Hmc(s::hmc::HmcConfig::default()), "static-trajectory Hamiltonian Monte Carlo (Markov): n_chains chains per mode region"),
        k(
            SamplerConfig::Metropolis(s::metropolis::MetropolisConfig::default()),
            "random-walk Metropolis with an adapted proposal (Markov): n_chains chains per mode region",
        ),
        k(
            SamplerConfig::Tempering(s::tempering::TemperingConfig::default()),
            "parallel tempering, draws of the cold chain (Markov): n_chains chains per mode region",
        ),
        k(SamplerConfig::Advi(s::advi::AdviConfig::default()), "variational inference (Gaussian fits): n_chains fits per mode region, importance-corrected"),
        k(
            SamplerConfig::Smc(s::smc::SmcConfig::default()),
            "sequential Monte Carlo with adaptive tempering: n_chains runs per mode region sharing n_particles (Gaussian reference), or 1 run over the region box, importance-corrected (reference kind = \"uniform\")",
        ),
        k(
            SamplerConfig::Octree(s::octree::OctreeConfig::default()),
            "oct-tree importance sampling over the region box: 1 run per event, importance-corrected",
        ),
    ]
}

/// The `[sampler]` table (and its sub-tables) of `config` as TOML, every
/// key written.
pub fn sampler_toml(config: &SamplerConfig) -> Result<String, ConfigError> {
    #[derive(Serialize)]
    struct Wrap<'a> {
        sampler: &'a SamplerConfig,
    }
    toml::to_string(&Wrap { sampler: config }).map_err(|e| invalid("sampler", e.to_string()))
}
