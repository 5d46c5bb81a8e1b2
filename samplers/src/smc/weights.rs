//! Importance weights: normalisation in log space, Kish effective sample
//! size, resampling (multinomial, systematic, residual) and weighted moments
//! of [`Draws`].

// Indexed loops mirror the formulas; `!(x > 0.0)` deliberately rejects NaN.
#![allow(clippy::needless_range_loop, clippy::neg_cmp_op_on_partial_ord)]

use crate::Draws;
use nalgebra::DMatrix;
use rand::Rng;
use serde::{Deserialize, Serialize};

/// Normalise log weights into `out` (sum 1). Returns `log(sum(exp(logw)))`,
/// `-inf` when every weight is zero (then `out` is all zero). `NaN` log
/// weights count as zero weight.
pub fn normalise_log_weights(logw: &[f64], out: &mut [f64]) -> f64 {
    let m = logw
        .iter()
        .copied()
        .filter(|v| !v.is_nan())
        .fold(f64::NEG_INFINITY, f64::max);
    if m == f64::NEG_INFINITY {
        out.iter_mut().for_each(|o| *o = 0.0);
        return f64::NEG_INFINITY;
    }
    let mut s = 0.0;
    for (o, &l) in out.iter_mut().zip(logw) {
        *o = if l.is_nan() { 0.0 } else { (l - m).exp() };
        s += *o;
    }
    out.iter_mut().for_each(|o| *o /= s);
    m + s.ln()
}

/// Kish effective sample size `(sum w)^2 / sum w^2` of non-negative weights
/// (need not be normalised); 0 for all-zero weights.
pub fn kish_ess(w: &[f64]) -> f64 {
    let s: f64 = w.iter().sum();
    let s2: f64 = w.iter().map(|v| v * v).sum();
    if s2 > 0.0 {
        s * s / s2
    } else {
        0.0
    }
}

/// How particles are resampled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resampling {
    /// Independent draws from the weights (highest variance).
    Multinomial,
    /// One uniform offset, `n` evenly spaced points through the cumulative weights.
    #[default]
    Systematic,
    /// `floor(n w_i)` copies of each particle, the remainder systematically.
    Residual,
}

/// Resample `n = out.len()` ancestor indices from normalised weights `w`
/// (sum 1). Indices come out in increasing order for systematic and residual
/// resampling, so copies of one particle are adjacent.
pub fn resample<R: Rng + ?Sized>(scheme: Resampling, w: &[f64], rng: &mut R, out: &mut [usize]) {
    let n = out.len();
    if n == 0 || w.is_empty() {
        return;
    }
    match scheme {
        Resampling::Multinomial => {
            // Sorted uniforms by the exponential-spacings trick, then one sweep.
            let mut acc = 0.0;
            let mut u = vec![0.0; n + 1];
            for v in u.iter_mut() {
                acc += -(1.0 - rng.gen::<f64>()).ln();
                *v = acc;
            }
            let total = u[n];
            sweep(w, n, |k| u[k] / total, out);
        }
        Resampling::Systematic => {
            let u0: f64 = rng.gen();
            sweep(w, n, |k| (k as f64 + u0) / n as f64, out);
        }
        Resampling::Residual => {
            let mut k = 0;
            let mut resid = vec![0.0; w.len()];
            for (i, &wi) in w.iter().enumerate() {
                let c = (n as f64 * wi).floor() as usize;
                for _ in 0..c.min(n - k) {
                    out[k] = i;
                    k += 1;
                }
                resid[i] = n as f64 * wi - c as f64;
            }
            let r = n - k;
            if r > 0 {
                let s: f64 = resid.iter().sum();
                if s > 0.0 {
                    resid.iter_mut().for_each(|v| *v /= s);
                    let u0: f64 = rng.gen();
                    let mut tail = vec![0usize; r];
                    sweep(&resid, r, |j| (j as f64 + u0) / r as f64, &mut tail);
                    out[k..].copy_from_slice(&tail);
                } else {
                    // Rounding left no residual mass: fill with the heaviest particle.
                    let best = (0..w.len())
                        .max_by(|&a, &b| w[a].total_cmp(&w[b]))
                        .unwrap_or(0);
                    out[k..].iter_mut().for_each(|o| *o = best);
                }
                out.sort_unstable();
            }
        }
    }
}

/// Map increasing points `point(0..n)` in [0, 1) to indices through the
/// cumulative sum of `w`.
fn sweep(w: &[f64], n: usize, point: impl Fn(usize) -> f64, out: &mut [usize]) {
    let last = w.len() - 1;
    let mut i = 0;
    let mut cum = w[0];
    for (k, o) in out.iter_mut().enumerate().take(n) {
        let p = point(k);
        while p >= cum && i < last {
            i += 1;
            cum += w[i];
        }
        *o = i;
    }
}

impl Draws {
    /// Kish effective sample size of the draws: `(sum w)^2 / sum w^2` for
    /// weighted draws, the number of draws otherwise. (For autocorrelated
    /// chains use the autocorrelation-based ESS of the diagnostics instead.)
    pub fn importance_ess(&self) -> f64 {
        match &self.weights {
            Some(w) => kish_ess(w),
            None => self.n_draws() as f64,
        }
    }

    /// The weight of draw `i` (1/n for unweighted draws).
    pub fn weight(&self, i: usize) -> f64 {
        match &self.weights {
            Some(w) => w[i],
            None => 1.0 / self.n_draws() as f64,
        }
    }

    /// Weighted mean of the draws (plain mean if unweighted).
    pub fn importance_mean(&self) -> Vec<f64> {
        let d = self.dim;
        let mut m = vec![0.0; d];
        let mut s = 0.0;
        for (i, x) in self.iter().enumerate() {
            let w = self.weight(i);
            s += w;
            for k in 0..d {
                m[k] += w * x[k];
            }
        }
        m.iter_mut().for_each(|v| *v /= s);
        m
    }

    /// Weighted covariance of the draws (divisor `sum w`, no bias correction).
    pub fn importance_covariance(&self) -> DMatrix<f64> {
        let d = self.dim;
        let m = self.importance_mean();
        let mut c = DMatrix::zeros(d, d);
        let mut s = 0.0;
        for (i, x) in self.iter().enumerate() {
            let w = self.weight(i);
            s += w;
            for a in 0..d {
                for b in 0..=a {
                    c[(a, b)] += w * (x[a] - m[a]) * (x[b] - m[b]);
                }
            }
        }
        for a in 0..d {
            for b in 0..=a {
                c[(a, b)] /= s;
                c[(b, a)] = c[(a, b)];
            }
        }
        c
    }

    /// `n` equally weighted draws resampled (systematically) from weighted
    /// draws; unweighted draws are returned unchanged.
    pub fn resampled<R: Rng + ?Sized>(&self, n: usize, rng: &mut R) -> Draws {
        let Some(w) = &self.weights else {
            return self.clone();
        };
        let mut idx = vec![0usize; n];
        resample(Resampling::Systematic, w, rng, &mut idx);
        let mut out = Draws::new(self.dim);
        out.log_evidence = self.log_evidence;
        for &i in &idx {
            out.push(self.draw(i), self.stats[i].clone());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn normalise_and_ess() {
        let mut w = [0.0; 4];
        let lz = normalise_log_weights(&[0.0, 0.0, f64::NEG_INFINITY, 2f64.ln()], &mut w);
        assert!((lz - 4f64.ln()).abs() < 1e-12);
        assert_eq!(w, [0.25, 0.25, 0.0, 0.5]);
        assert!((kish_ess(&w) - 1.0 / (0.0625 * 2.0 + 0.25)).abs() < 1e-12);
        assert_eq!(kish_ess(&[1.0; 10]), 10.0);
    }

    #[test]
    fn every_scheme_reproduces_the_weights_on_average() {
        let w = [0.1, 0.0, 0.45, 0.05, 0.4];
        for scheme in [
            Resampling::Multinomial,
            Resampling::Systematic,
            Resampling::Residual,
        ] {
            let mut rng = ChaCha8Rng::seed_from_u64(1);
            let n = 1000;
            let reps = 200;
            let mut counts = [0usize; 5];
            let mut idx = vec![0; n];
            for _ in 0..reps {
                resample(scheme, &w, &mut rng, &mut idx);
                assert!(idx.windows(2).all(|p| p[0] <= p[1]) || scheme == Resampling::Multinomial);
                for &i in &idx {
                    counts[i] += 1;
                }
            }
            assert_eq!(counts[1], 0, "{scheme:?} picked a zero-weight particle");
            for k in 0..5 {
                let f = counts[k] as f64 / (n * reps) as f64;
                // Multinomial MCSE: sqrt(w(1-w)/(n reps)) <= 0.0036; allow 5 MCSE.
                assert!(
                    (f - w[k]).abs() < 0.018,
                    "{scheme:?} k={k}: {f} vs {}",
                    w[k]
                );
            }
        }
        // Systematic and residual keep every count within one of n w_i.
        for scheme in [Resampling::Systematic, Resampling::Residual] {
            let mut rng = ChaCha8Rng::seed_from_u64(2);
            let mut idx = vec![0; 100];
            resample(scheme, &w, &mut rng, &mut idx);
            for k in 0..5 {
                let c = idx.iter().filter(|&&i| i == k).count() as f64;
                assert!(
                    (c - 100.0 * w[k]).abs() < 1.0 + 1e-9,
                    "{scheme:?} k={k}: {c}"
                );
            }
        }
    }
}
