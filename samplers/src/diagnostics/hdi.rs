//! Highest-density interval of a unimodal sample.

/// Shortest interval containing a fraction `prob` of the draws (ArviZ's
/// `hdi` for unimodal densities): among the windows of `floor(prob * n)`
/// consecutive order statistics, the narrowest. Returns `(NaN, NaN)` for no
/// draws or `prob` outside (0, 1].
pub fn hdi(draws: &[f64], prob: f64) -> (f64, f64) {
    let n = draws.len();
    if n == 0 || !(prob > 0.0 && prob <= 1.0) || draws.iter().any(|v| !v.is_finite()) {
        return (f64::NAN, f64::NAN);
    }
    let mut s = draws.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let k = ((prob * n as f64).floor() as usize).min(n - 1);
    let mut best = 0;
    let mut width = f64::INFINITY;
    for i in 0..n - k {
        let w = s[i + k] - s[i];
        if w < width {
            width = w;
            best = i;
        }
    }
    (s[best], s[best + k])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hdi_of_skewed_sample_hugs_the_mode() {
        // Exponential quantiles: HDI of Exp(1) at 90% is [0, ln 10].
        let n = 100_000;
        let d: Vec<f64> = (0..n)
            .map(|i| -(1.0 - (i as f64 + 0.5) / n as f64).ln())
            .collect();
        let (lo, hi) = hdi(&d, 0.9);
        assert!(lo < 1e-4 && (hi - 10f64.ln()).abs() < 1e-3, "{lo} {hi}");
    }
}
