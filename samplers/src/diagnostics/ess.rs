//! Effective sample size with Geyer's initial monotone sequence (Geyer 1992;
//! the multi-chain form of Vehtari et al. 2021, eqs. 9-12).
// Index loops mirror the formulas; negated comparisons deliberately reject NaN.
#![allow(clippy::needless_range_loop, clippy::neg_cmp_op_on_partial_ord)]

use super::{as_slices, invalid, mean, quantile, rank_normalise, split_chains};

/// ESS of the chains as given (no splitting, no rank normalisation).
///
/// Autocovariances are computed directly, lag by lag, only as far as
/// Geyer's truncation needs (cost `O(S * T)` for `S` draws and truncation lag
/// `T`, no FFT needed for the chain lengths used here).
pub fn ess_basic(chains: &[&[f64]]) -> f64 {
    if invalid(chains, 4) {
        return f64::NAN;
    }
    let m = chains.len();
    let n = chains[0].len();
    let nf = n as f64;
    let (lo, hi) = chains
        .iter()
        .flat_map(|c| c.iter())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    if hi - lo < 1e-15 {
        // Constant draws (e.g. an indicator that never flips): ArviZ
        // reports the number of draws.
        return (m * n) as f64;
    }
    let means: Vec<f64> = chains.iter().map(|c| mean(c)).collect();
    // Biased autocovariance of chain c at lag t.
    let acov = |c: usize, t: usize| -> f64 {
        let x = chains[c];
        let mu = means[c];
        let mut s = 0.0;
        for i in 0..n - t {
            s += (x[i] - mu) * (x[i + t] - mu);
        }
        s / nf
    };
    let mean_acov = |t: usize| (0..m).map(|c| acov(c, t)).sum::<f64>() / m as f64;
    let acov0 = mean_acov(0);
    // Mean within-chain variance (divisor n-1) and the pooled estimate var+.
    let mean_var = acov0 * nf / (nf - 1.0);
    let mut var_plus = mean_var * (nf - 1.0) / nf;
    if m > 1 {
        var_plus += super::var(&means);
    }
    if !(var_plus > 0.0) {
        return f64::NAN;
    }
    let rho = |t: usize| 1.0 - (mean_var - mean_acov(t)) / var_plus;
    let mut rho_hat = vec![0.0; n];
    rho_hat[0] = 1.0;
    let mut rho_even = 1.0;
    let mut rho_odd = rho(1);
    rho_hat[1] = rho_odd;
    // Initial positive sequence: stop when a pair sum turns negative.
    let mut t = 1;
    while t + 3 < n && rho_even + rho_odd > 0.0 {
        rho_even = rho(t + 1);
        rho_odd = rho(t + 2);
        if rho_even + rho_odd >= 0.0 {
            rho_hat[t + 1] = rho_even;
            rho_hat[t + 2] = rho_odd;
        }
        t += 2;
    }
    if t < 3 {
        // Too short to estimate any autocorrelation beyond lag 1.
        return f64::NAN;
    }
    let max_t = t - 2;
    // Keep a last positive even lag (improves the estimate for antithetic chains).
    if rho_even > 0.0 {
        rho_hat[max_t + 1] = rho_even;
    }
    // Initial monotone sequence: pair sums must not increase.
    let mut t = 1;
    while t + 2 <= max_t {
        if rho_hat[t + 1] + rho_hat[t + 2] > rho_hat[t - 1] + rho_hat[t] {
            rho_hat[t + 1] = 0.5 * (rho_hat[t - 1] + rho_hat[t]);
            rho_hat[t + 2] = rho_hat[t + 1];
        }
        t += 2;
    }
    let s = (m * n) as f64;
    let tau = -1.0 + 2.0 * rho_hat[..=max_t].iter().sum::<f64>() + rho_hat[max_t + 1];
    let tau = tau.max(1.0 / s.log10());
    s / tau
}

/// Bulk ESS: ESS of the rank-normalised split chains (Vehtari et al. 2021).
pub fn ess_bulk(chains: &[&[f64]]) -> f64 {
    if invalid(chains, 4) {
        return f64::NAN;
    }
    let split = split_chains(chains);
    ess_basic(&as_slices(&rank_normalise(&as_slices(&split))))
}

/// ESS for the mean: ESS of the split chains on the original scale.
pub fn ess_mean(chains: &[&[f64]]) -> f64 {
    if invalid(chains, 4) {
        return f64::NAN;
    }
    ess_basic(&as_slices(&split_chains(chains)))
}

/// ESS of the indicator `x <= q(prob)` on split chains: the ESS for the
/// quantile `prob`.
pub fn ess_quantile(chains: &[&[f64]], prob: f64) -> f64 {
    if invalid(chains, 4) {
        return f64::NAN;
    }
    // The quantile of all draws (before splitting), as ArviZ.
    let mut all = super::pooled(chains);
    all.sort_by(|a, b| a.total_cmp(b));
    let q = quantile(&all, prob);
    let split = split_chains(chains);
    let ind: Vec<Vec<f64>> = split
        .iter()
        .map(|c| c.iter().map(|v| if *v <= q { 1.0 } else { 0.0 }).collect())
        .collect();
    ess_basic(&as_slices(&ind))
}

/// Tail ESS: the minimum of the ESS of the 5% and 95% quantiles.
pub fn ess_tail(chains: &[&[f64]]) -> f64 {
    ess_quantile(chains, 0.05).min(ess_quantile(chains, 0.95))
}
