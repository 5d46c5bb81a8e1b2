//! Potential scale reduction factor R-hat.

use super::{as_slices, invalid, mean, rank_normalise, split_chains, var};

/// Classic R-hat of Gelman et al. (BDA3, eq. 11.4) on the chains as given:
/// `sqrt(((n-1)/n W + B/n) / W)`, `W` the mean within-chain variance, `B/n`
/// the variance of the chain means. Needs at least 2 chains of 4 draws.
pub fn rhat_basic(chains: &[&[f64]]) -> f64 {
    if invalid(chains, 2) || chains.len() < 2 {
        return f64::NAN;
    }
    let n = chains[0].len() as f64;
    let means: Vec<f64> = chains.iter().map(|c| mean(c)).collect();
    let b_over_n = var(&means);
    let w = chains.iter().map(|c| var(c)).sum::<f64>() / chains.len() as f64;
    if w <= 0.0 {
        return f64::NAN;
    }
    (((n - 1.0) / n * w + b_over_n) / w).sqrt()
}

/// Rank-normalised split R-hat (Vehtari et al. 2021): the maximum of the
/// bulk R-hat (rank-normalised split chains) and the tail R-hat (the same
/// on `|x - median|`). Values above 1.01 signal trouble. Works with a
/// single chain (split in two).
pub fn rhat(chains: &[&[f64]]) -> f64 {
    if invalid(chains, 4) {
        return f64::NAN;
    }
    let split = split_chains(chains);
    let bulk = rhat_basic(&as_slices(&rank_normalise(&as_slices(&split))));
    let mut all: Vec<f64> = split.iter().flatten().copied().collect();
    all.sort_by(|a, b| a.total_cmp(b));
    let med = super::quantile(&all, 0.5);
    let folded: Vec<Vec<f64>> = split
        .iter()
        .map(|c| c.iter().map(|v| (v - med).abs()).collect())
        .collect();
    let tail = rhat_basic(&as_slices(&rank_normalise(&as_slices(&folded))));
    bulk.max(tail)
}
