//! The importance correction of a global population sampler's mode masses
//! (SMC tempered from the uniform box, the oct-tree), and of ADVI's fits.
//!
//! A population sampler run once over the region box finds every mode, but
//! the share of its draws in each mode carries an error the draws cannot
//! show: SMC's share of a mode is multiplied by resampling noise at every
//! tempering stage (2000 particles from the uniform box, 300 agreement
//! events: cluster probabilities within 0.02 of the exact answer on 88%);
//! an oct-tree's cells are coarser than an S-P shell is thick, so a mode
//! whose shell passes between the cell centres gets too few draws and a few
//! enormous weights (200 000 cells: within 0.02 on 92%, and 4 times the
//! draws did not help: the error is the cells', not the draws').
//!
//! The population is therefore used for what it is good at, *where* the
//! mass is: one Gaussian per mode region is fitted to its draws, and
//! adaptive importance sampling
//! ([`eqnemix_samplers::importance::ImportanceConfig::run_from_population`])
//! draws from those Gaussians mixed with the prior restricted to the box
//! (the defensive part, which keeps the weights bounded where the
//! Gaussians are thin), weighted by `posterior / proposal`, to the default
//! importance sampler's Kish ESS of 10 000. The weights are exact for the
//! proposal, so each mode's mass has the Monte Carlo error of that ESS
//! (sd at most 0.005) whatever the population's error was; their Pareto k̂
//! and ESS flag the result as the importance sampler's own are flagged.
//!
//! ADVI's per-region Gaussians (weighted by the pilot's masses) are such a
//! population too: the correction is the importance correction of a
//! variational fit (Yao et al. 2018, "Yes, but did it work?"), with
//! adaptive stages where one fit is too narrow for the curved shell, so
//! that a poor fit yields corrected answers rather than a flag, and only a
//! correction that fails (Pareto k̂ above 0.7, ESS short) flags.

use super::pilot::LogLikelihoodOf;
use super::prior_proposal::PriorProposal;
use crate::posterior::LocationPosterior;
use crate::summary::modes::region_label;
use eqnemix_samplers::importance::{ImportanceConfig, ImportanceReport};
use eqnemix_samplers::{chain_seed, Draws, LogDensity, SamplerError};

/// The importance-corrected draws of `population` (module doc), with the
/// importance report; `Ok(None)` when the prior has no mass in the box
/// (no defensive proposal; the population is then used as it is).
pub(super) fn correct_population(
    posterior: &LocationPosterior,
    population: &Draws,
    seed: u64,
) -> Result<Option<(Draws, ImportanceReport)>, SamplerError> {
    let Some(base) = PriorProposal::new(posterior, chain_seed(seed, usize::MAX - 6)) else {
        return Ok(None);
    };
    let prior = posterior.prior();
    let label = |x: &[f64]| region_label(prior, x);
    let n_labels = prior.n_clusters() + 1;
    let cfg = ImportanceConfig::default();
    let seed = chain_seed(seed, usize::MAX - 7);
    // 3D: the posterior is the base times the likelihood (the cheaper
    // factored form, as the importance sampler runs it).
    let run = if posterior.dim() == 3 {
        cfg.run_from_population(&LogLikelihoodOf(posterior), true, &base, population, &label, n_labels, seed)
    } else {
        cfg.run_from_population(posterior, false, &base, population, &label, n_labels, seed)
    };
    run.map(Some)
}
