//! Convergence diagnostics and posterior summaries after Vehtari, Gelman,
//! Simpson, Carpenter & Bürkner (2021), *Rank-normalization, folding, and
//! localization: an improved R-hat for assessing convergence of MCMC*,
//! Bayesian Analysis 16(2).
//!
//! * [`rhat()`]: rank-normalised split R-hat, the maximum of the bulk and the
//!   folded (tail) versions; [`rhat_basic`] is the classic split-free one.
//! * [`ess_bulk`], [`ess_tail`], [`ess_mean`]: effective sample sizes with
//!   Geyer's initial monotone sequence estimator.
//! * [`mcse_mean`], [`mcse_sd`], [`mcse_quantile`]: Monte Carlo standard errors.
//! * [`hdi`]: highest-density (shortest) interval.
//! * [`ebfmi`]: energy Bayesian fraction of missing information (HMC/NUTS).
//! * [`Summary`]: an ArviZ-style table (serde, `Display`).
//!
//! Every function takes the draws of one scalar quantity as one slice per
//! chain (all chains the same length). They return `NaN` where the quantity
//! is undefined (fewer than 4 draws per chain, constant draws), as ArviZ does.

mod energy;
mod ess;
mod hdi;
mod mcse;
mod rank;
mod rhat;
mod summary;

pub use energy::ebfmi;
pub use ess::{ess_basic, ess_bulk, ess_mean, ess_quantile, ess_tail};
pub use hdi::hdi;
pub use mcse::{mcse_mean, mcse_quantile, mcse_sd};
pub use rank::{quantile, rank_normalise, split_chains};
pub use rhat::{rhat, rhat_basic};
pub use summary::{nan_aware_max, DiagnosticsError, Summary, SummaryRow};

/// Mean of a slice.
pub(crate) fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

/// Sample variance (divisor `n - 1`).
pub(crate) fn var(x: &[f64]) -> f64 {
    let m = mean(x);
    x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (x.len() as f64 - 1.0)
}

/// All chains pooled into one vector.
pub(crate) fn pooled(chains: &[&[f64]]) -> Vec<f64> {
    chains.iter().flat_map(|c| c.iter().copied()).collect()
}

/// `true` when the input is too small or degenerate for diagnostics.
pub(crate) fn invalid(chains: &[&[f64]], min_draws: usize) -> bool {
    chains.is_empty()
        || chains[0].len() < min_draws
        || chains
            .iter()
            .any(|c| c.len() != chains[0].len() || c.iter().any(|v| !v.is_finite()))
}

/// Borrow a `Vec<Vec<f64>>` as slices.
pub(crate) fn as_slices(v: &[Vec<f64>]) -> Vec<&[f64]> {
    v.iter().map(|c| c.as_slice()).collect()
}
