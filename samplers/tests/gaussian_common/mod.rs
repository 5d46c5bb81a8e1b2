//! Shared helpers for the moment-recovery tests: Monte Carlo z-scores of
//! expectations, with the MCSE from the chains' own effective sample size.
// Index loops mirror the formulas; negated comparisons deliberately reject NaN.
#![allow(clippy::needless_range_loop, clippy::neg_cmp_op_on_partial_ord)]
#![allow(dead_code)]

use eqnemix_samplers::diagnostics::{ess_mean, mcse_mean};
use eqnemix_samplers::Draws;

/// `f` evaluated at every draw, one vector per chain.
pub fn columns(chains: &[Draws], f: impl Fn(&[f64]) -> f64) -> Vec<Vec<f64>> {
    chains.iter().map(|d| d.iter().map(&f).collect()).collect()
}

/// Estimate `E[f]` from the chains; return `(estimate, z, ess)` where
/// `z = (estimate - truth) / MCSE` and MCSE = sd(f) / sqrt(ESS(f)) (split
/// chains, Geyer's initial monotone sequence).
pub fn z_score(chains: &[Draws], f: impl Fn(&[f64]) -> f64, truth: f64) -> (f64, f64, f64) {
    let cols = columns(chains, f);
    let sl: Vec<&[f64]> = cols.iter().map(|c| c.as_slice()).collect();
    let n: usize = cols.iter().map(|c| c.len()).sum();
    let est = cols.iter().flatten().sum::<f64>() / n as f64;
    (est, (est - truth) / mcse_mean(&sl), ess_mean(&sl))
}

/// Check every first moment `E[x_i] = mean[i]` to `k_mean` MCSE and every
/// centred second moment `E[(x_i - mu_i)(x_j - mu_j)] = cov[i][j]` to `k_cov`
/// MCSE, with at least `min_ess` effective draws for each (so a chain that
/// barely moves cannot pass on a huge MCSE). Panics with a table on failure.
pub fn check_moments(
    label: &str,
    chains: &[Draws],
    mean: &[f64],
    cov: &dyn Fn(usize, usize) -> f64,
    k_mean: f64,
    k_cov: f64,
    min_ess: f64,
) {
    let d = mean.len();
    let mut failures = Vec::new();
    let mut worst: f64 = 0.0;
    for i in 0..d {
        let (est, z, ess) = z_score(chains, |x| x[i], mean[i]);
        worst = worst.max(z.abs() / k_mean);
        if !(z.abs() < k_mean) || !(ess > min_ess) {
            failures.push(format!(
                "mean[{i}] = {est:.4} (truth {:.4}) z = {z:.2} ess = {ess:.0}",
                mean[i]
            ));
        }
        for j in 0..=i {
            let (mi, mj) = (mean[i], mean[j]);
            let (est, z, ess) = z_score(chains, |x| (x[i] - mi) * (x[j] - mj), cov(i, j));
            worst = worst.max(z.abs() / k_cov);
            if !(z.abs() < k_cov) || !(ess > min_ess) {
                failures.push(format!(
                    "cov[{i}][{j}] = {est:.4} (truth {:.4}) z = {z:.2} ess = {ess:.0}",
                    cov(i, j)
                ));
            }
        }
    }
    eprintln!("{label}: worst |z|/k = {worst:.2}");
    assert!(
        failures.is_empty(),
        "{label}: {} moments off:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
