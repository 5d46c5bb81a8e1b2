//! The ArviZ-style summary table: one row per parameter.

use super::{ess_bulk, ess_tail, hdi, mcse_mean, mcse_sd, mean, pooled, rhat, var};
use crate::Draws;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a summary could not be computed.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DiagnosticsError {
    /// No chains, or chains without draws.
    #[error("no draws to summarise")]
    Empty,
    /// Chains disagree in dimension or length.
    #[error("chain {chain} has {got} {what}, chain 0 has {expected}")]
    Mismatch {
        /// Index of the offending chain.
        chain: usize,
        /// `"dimensions"` or `"draws"`.
        what: &'static str,
        /// Chain 0's value.
        expected: usize,
        /// This chain's value.
        got: usize,
    },
    /// Weighted draws (SMC, oct-tree) must be resampled before MCMC diagnostics.
    #[error("chain {0} holds weighted draws; resample them before computing MCMC diagnostics")]
    Weighted(usize),
}

/// One parameter's row: posterior mean, sd, 94% HDI and the diagnostics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    /// Parameter name.
    pub name: String,
    /// Posterior mean.
    pub mean: f64,
    /// Posterior standard deviation (divisor `n - 1`).
    pub sd: f64,
    /// Lower end of the 94% highest-density interval.
    pub hdi_3: f64,
    /// Upper end of the 94% highest-density interval.
    pub hdi_97: f64,
    /// Monte Carlo standard error of the mean.
    pub mcse_mean: f64,
    /// Monte Carlo standard error of the sd.
    pub mcse_sd: f64,
    /// Bulk effective sample size.
    pub ess_bulk: f64,
    /// Tail effective sample size.
    pub ess_tail: f64,
    /// Rank-normalised split R-hat (max of bulk and tail).
    pub r_hat: f64,
}

/// A posterior summary across chains.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// One row per parameter.
    pub rows: Vec<SummaryRow>,
    /// Number of chains.
    pub n_chains: usize,
    /// Draws per chain.
    pub n_draws: usize,
    /// Divergent transitions over all chains.
    pub n_divergent: usize,
}

impl Summary {
    /// Summarise equally weighted chains. `names` labels the parameters;
    /// missing names become `x[i]`.
    pub fn from_chains(chains: &[Draws], names: &[&str]) -> Result<Summary, DiagnosticsError> {
        let first = chains.first().ok_or(DiagnosticsError::Empty)?;
        let (dim, n) = (first.dim, first.n_draws());
        if dim == 0 || n == 0 {
            return Err(DiagnosticsError::Empty);
        }
        for (c, d) in chains.iter().enumerate() {
            if d.weights.is_some() {
                return Err(DiagnosticsError::Weighted(c));
            }
            if d.dim != dim {
                return Err(DiagnosticsError::Mismatch {
                    chain: c,
                    what: "dimensions",
                    expected: dim,
                    got: d.dim,
                });
            }
            if d.n_draws() != n {
                return Err(DiagnosticsError::Mismatch {
                    chain: c,
                    what: "draws",
                    expected: n,
                    got: d.n_draws(),
                });
            }
        }
        let rows = (0..dim)
            .map(|j| {
                let cols: Vec<Vec<f64>> = chains
                    .iter()
                    .map(|d| d.iter().map(|x| x[j]).collect())
                    .collect();
                let sl: Vec<&[f64]> = cols.iter().map(|c| c.as_slice()).collect();
                let all = pooled(&sl);
                let (lo, hi) = hdi(&all, 0.94);
                SummaryRow {
                    name: names
                        .get(j)
                        .map(|s| s.to_string())
                        .unwrap_or_else(|| format!("x[{j}]")),
                    mean: mean(&all),
                    sd: if all.len() > 1 {
                        var(&all).sqrt()
                    } else {
                        f64::NAN
                    },
                    hdi_3: lo,
                    hdi_97: hi,
                    mcse_mean: mcse_mean(&sl),
                    mcse_sd: mcse_sd(&sl),
                    ess_bulk: ess_bulk(&sl),
                    ess_tail: ess_tail(&sl),
                    r_hat: rhat(&sl),
                }
            })
            .collect();
        Ok(Summary {
            rows,
            n_chains: chains.len(),
            n_draws: n,
            n_divergent: chains.iter().map(|d| d.n_divergent()).sum(),
        })
    }

    /// Largest R-hat over parameters (NaN-aware: NaN if any is NaN).
    pub fn max_rhat(&self) -> f64 {
        nan_aware_max(self.rows.iter().map(|r| r.r_hat))
    }

    /// Smallest bulk ESS over parameters.
    pub fn min_ess_bulk(&self) -> f64 {
        self.rows.iter().map(|r| r.ess_bulk).fold(f64::INFINITY, f64::min)
    }

    /// Smallest tail ESS over parameters.
    pub fn min_ess_tail(&self) -> f64 {
        self.rows.iter().map(|r| r.ess_tail).fold(f64::INFINITY, f64::min)
    }

    /// Smallest bulk or tail ESS over parameters.
    pub fn min_ess(&self) -> f64 {
        self.rows
            .iter()
            .map(|r| r.ess_bulk.min(r.ess_tail))
            .fold(f64::INFINITY, f64::min)
    }
}

/// Largest value, NaN if any value is NaN (a diagnostic that could not be
/// computed must not hide behind a larger one); `-inf` for no values.
pub fn nan_aware_max(values: impl IntoIterator<Item = f64>) -> f64 {
    values.into_iter().fold(f64::NEG_INFINITY, |a, b| if a.is_nan() || b.is_nan() { f64::NAN } else { a.max(b) })
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let w = self
            .rows
            .iter()
            .map(|r| r.name.len())
            .max()
            .unwrap_or(0)
            .max(4);
        writeln!(
            f,
            "{:<w$} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>6}",
            "",
            "mean",
            "sd",
            "hdi_3%",
            "hdi_97%",
            "mcse_mean",
            "mcse_sd",
            "ess_bulk",
            "ess_tail",
            "r_hat"
        )?;
        for r in &self.rows {
            writeln!(
                f,
                "{:<w$} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>9.0} {:>9.0} {:>6.2}",
                r.name,
                r.mean,
                r.sd,
                r.hdi_3,
                r.hdi_97,
                r.mcse_mean,
                r.mcse_sd,
                r.ess_bulk,
                r.ess_tail,
                r.r_hat
            )?;
        }
        write!(
            f,
            "{} chains x {} draws, {} divergent transitions",
            self.n_chains, self.n_draws, self.n_divergent
        )
    }
}
