//! What every sampler returns: draws, per-draw statistics and, for samplers
//! that estimate it, the log evidence.

use serde::{Deserialize, Serialize};

/// Statistics recorded with one draw. Fields a sampler does not produce stay
/// at their default (`None`/`false`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DrawStats {
    /// Log density at the draw.
    pub log_density: f64,
    /// Acceptance probability (Metropolis) or mean acceptance statistic (HMC/NUTS).
    pub accept_prob: Option<f64>,
    /// Step size used (HMC/NUTS) or proposal scale (Metropolis).
    pub step_size: Option<f64>,
    /// Tree depth reached (NUTS).
    pub tree_depth: Option<u32>,
    /// Number of gradient evaluations spent on this draw.
    pub n_grad_evals: Option<u32>,
    /// The trajectory diverged (energy error above threshold).
    pub divergent: bool,
    /// Hamiltonian energy (HMC/NUTS), for E-BFMI.
    pub energy: Option<f64>,
    /// The draw was taken during warm-up (adaptation); warm-up draws are
    /// never counted in estimates.
    pub warmup: bool,
}

/// The draws of one chain (or one weighted particle population).
///
/// `values` is row-major: draw `i` is `values[i*dim .. (i+1)*dim]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Draws {
    /// Dimension of each draw.
    pub dim: usize,
    /// Row-major draws, `n_draws() * dim` numbers (post-warm-up only).
    pub values: Vec<f64>,
    /// One entry per draw in `values`.
    pub stats: Vec<DrawStats>,
    /// Normalised importance weights (sum 1) for weighted samplers (oct-tree,
    /// SMC before resampling); `None` means equally weighted draws.
    pub weights: Option<Vec<f64>>,
    /// Estimated log normalising constant, for samplers that estimate it.
    pub log_evidence: Option<f64>,
    /// Pareto k̂ ([`crate::importance::pareto_k_hat`]) of the importance
    /// ratios target / proposal behind the draws, for samplers that draw
    /// from an approximation: the importance weights, or ADVI's fit. Above
    /// 0.7 the draws do not represent the target.
    #[serde(default)]
    pub pareto_k: Option<f64>,
}

impl Draws {
    /// Empty draws of dimension `dim`.
    pub fn new(dim: usize) -> Self {
        Draws { dim, ..Default::default() }
    }

    /// Number of draws.
    pub fn n_draws(&self) -> usize {
        if self.dim == 0 { 0 } else { self.values.len() / self.dim }
    }

    /// Draw `i` as a slice.
    pub fn draw(&self, i: usize) -> &[f64] {
        &self.values[i * self.dim..(i + 1) * self.dim]
    }

    /// Append one draw with its statistics.
    pub fn push(&mut self, x: &[f64], stats: DrawStats) {
        debug_assert_eq!(x.len(), self.dim);
        self.values.extend_from_slice(x);
        self.stats.push(stats);
    }

    /// Iterator over draws.
    pub fn iter(&self) -> impl Iterator<Item = &[f64]> {
        self.values.chunks_exact(self.dim.max(1))
    }

    /// Number of divergent transitions.
    pub fn n_divergent(&self) -> usize {
        self.stats.iter().filter(|s| s.divergent).count()
    }
}
