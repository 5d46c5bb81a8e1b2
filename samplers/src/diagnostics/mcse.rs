//! Monte Carlo standard errors (Vehtari et al. 2021, section 4.4 and
//! appendix; the delta-method form for the sd used by ArviZ >= 0.18 and the
//! R package posterior).

use super::{as_slices, ess::ess_quantile, ess_mean, invalid, pooled};
use statrs::distribution::{Beta, ContinuousCDF};

/// MCSE of the posterior mean: `sd / sqrt(ess_mean)`.
pub fn mcse_mean(chains: &[&[f64]]) -> f64 {
    if invalid(chains, 4) {
        return f64::NAN;
    }
    let all = pooled(chains);
    super::var(&all).sqrt() / ess_mean(chains).sqrt()
}

/// MCSE of the posterior sd by the delta method on `E[(x - mean)^2]`, with
/// the ESS of the squared deviations.
pub fn mcse_sd(chains: &[&[f64]]) -> f64 {
    if invalid(chains, 4) {
        return f64::NAN;
    }
    let all = pooled(chains);
    let mu = super::mean(&all);
    let sq: Vec<Vec<f64>> = chains
        .iter()
        .map(|c| c.iter().map(|v| (v - mu) * (v - mu)).collect())
        .collect();
    let ess = ess_mean(&as_slices(&sq));
    let sq_all = pooled(&as_slices(&sq));
    let evar = super::mean(&sq_all);
    let varvar =
        (sq_all.iter().map(|v| v * v).sum::<f64>() / sq_all.len() as f64 - evar * evar) / ess;
    (varvar / evar / 4.0).sqrt()
}

/// MCSE of the `prob` quantile: the 16%-84% interval of the quantile from
/// the Beta distribution of the indicator mean, converted back to the draw
/// scale (Vehtari et al. 2021, section 4.3), halved.
pub fn mcse_quantile(chains: &[&[f64]], prob: f64) -> f64 {
    if invalid(chains, 4) || !(prob > 0.0 && prob < 1.0) {
        return f64::NAN;
    }
    let ess = ess_quantile(chains, prob);
    let beta = match Beta::new(ess * prob + 1.0, ess * (1.0 - prob) + 1.0) {
        Ok(b) => b,
        Err(_) => return f64::NAN,
    };
    let p = [0.1586553, 0.8413447];
    let mut all = pooled(chains);
    all.sort_by(|a, b| a.total_cmp(b));
    let s = all.len() as f64;
    // 0-based order statistics bracketing the 68% interval of the quantile.
    let i1 = (beta.inverse_cdf(p[0]) * s - 1.0).max(0.0).floor() as usize;
    let i2 = (beta.inverse_cdf(p[1]) * s - 1.0)
        .min(s - 1.0)
        .ceil()
        .max(0.0) as usize;
    (all[i2.min(all.len() - 1)] - all[i1.min(all.len() - 1)]) / 2.0
}
