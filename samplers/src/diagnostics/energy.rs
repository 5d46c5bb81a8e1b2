//! Energy diagnostic of Hamiltonian samplers.

use crate::Draws;

/// Estimated Bayesian fraction of missing information (E-BFMI, Betancourt
/// 2016, arXiv:1604.00695): `sum (E_t - E_{t-1})^2 / sum (E_t - mean E)^2`
/// over the energies of one chain's draws. Values below 0.3 mean the
/// momentum resampling explores the energy distribution poorly (typically
/// heavy tails or funnels). `None` if the draws carry no energies or fewer
/// than 3 draws.
pub fn ebfmi(draws: &Draws) -> Option<f64> {
    let e: Option<Vec<f64>> = draws.stats.iter().map(|s| s.energy).collect();
    let e = e?;
    if e.len() < 3 || e.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let mean = e.iter().sum::<f64>() / e.len() as f64;
    let num: f64 = e.windows(2).map(|w| (w[1] - w[0]).powi(2)).sum();
    let den: f64 = e.iter().map(|v| (v - mean).powi(2)).sum();
    if den > 0.0 {
        Some(num / den)
    } else {
        None
    }
}
