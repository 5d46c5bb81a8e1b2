//! Welford estimation of the posterior variance (diagonal metric) or
//! covariance (dense metric) over a warm-up window, regularised towards a
//! small multiple of the identity as in Stan:
//! `S_reg = n/(n+5) S + 1e-3 * 5/(n+5) I`.
// Index loops mirror the formulas; negated comparisons deliberately reject NaN.
#![allow(clippy::needless_range_loop, clippy::neg_cmp_op_on_partial_ord)]

use serde::{Deserialize, Serialize};

/// Shape of the adapted metric (the inverse mass matrix of HMC/NUTS, the
/// proposal covariance of Metropolis).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum MetricKind {
    /// Diagonal: one variance per coordinate.
    #[default]
    Diag,
    /// Dense: full covariance (handles linear correlations).
    Dense,
}

/// Running mean and (co)variance of the draws of one window.
#[derive(Debug, Clone)]
pub struct CovarianceEstimator {
    kind: MetricKind,
    dim: usize,
    n: f64,
    mean: Vec<f64>,
    /// Sum of squared deviations: `d` entries (diag) or `d*d` row-major (dense).
    m2: Vec<f64>,
    delta: Vec<f64>,
}

impl CovarianceEstimator {
    /// An empty estimator.
    pub fn new(dim: usize, kind: MetricKind) -> Self {
        let m = match kind {
            MetricKind::Diag => dim,
            MetricKind::Dense => dim * dim,
        };
        CovarianceEstimator {
            kind,
            dim,
            n: 0.0,
            mean: vec![0.0; dim],
            m2: vec![0.0; m],
            delta: vec![0.0; dim],
        }
    }

    /// Number of points added since the last reset.
    pub fn count(&self) -> usize {
        self.n as usize
    }

    /// Forget all points.
    pub fn reset(&mut self) {
        self.n = 0.0;
        self.mean.iter_mut().for_each(|v| *v = 0.0);
        self.m2.iter_mut().for_each(|v| *v = 0.0);
    }

    /// Add one point (Welford's update; no allocation).
    pub fn add(&mut self, x: &[f64]) {
        self.n += 1.0;
        for i in 0..self.dim {
            self.delta[i] = x[i] - self.mean[i];
            self.mean[i] += self.delta[i] / self.n;
        }
        match self.kind {
            MetricKind::Diag => {
                for i in 0..self.dim {
                    self.m2[i] += self.delta[i] * (x[i] - self.mean[i]);
                }
            }
            MetricKind::Dense => {
                for i in 0..self.dim {
                    for j in 0..self.dim {
                        self.m2[i * self.dim + j] += self.delta[i] * (x[j] - self.mean[j]);
                    }
                }
            }
        }
    }

    /// Sample (co)variance (divisor `n - 1`), unregularised.
    pub fn sample_covariance(&self) -> Vec<f64> {
        let denom = (self.n - 1.0).max(1.0);
        self.m2.iter().map(|v| v / denom).collect()
    }

    /// Stan's regularised estimate: shrink towards `1e-3 I` with weight
    /// `5/(n+5)`. Falls back to the identity with fewer than 3 points.
    pub fn regularised(&self) -> Vec<f64> {
        let d = self.dim;
        if self.n < 3.0 {
            return match self.kind {
                MetricKind::Diag => vec![1.0; d],
                MetricKind::Dense => (0..d * d)
                    .map(|k| if k / d == k % d { 1.0 } else { 0.0 })
                    .collect(),
            };
        }
        let n = self.n;
        let w = n / (n + 5.0);
        let add = 1e-3 * 5.0 / (n + 5.0);
        let mut s = self.sample_covariance();
        match self.kind {
            MetricKind::Diag => s.iter_mut().for_each(|v| *v = w * *v + add),
            MetricKind::Dense => {
                for i in 0..d {
                    for j in 0..d {
                        let v = &mut s[i * d + j];
                        *v = w * *v + if i == j { add } else { 0.0 };
                    }
                }
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn welford_matches_two_pass() {
        let pts = [[1.0, 2.0], [3.0, -1.0], [0.5, 0.5], [2.0, 4.0], [-1.0, 0.0]];
        let mut e = CovarianceEstimator::new(2, MetricKind::Dense);
        pts.iter().for_each(|p| e.add(p));
        let n = pts.len() as f64;
        let m: Vec<f64> = (0..2)
            .map(|i| pts.iter().map(|p| p[i]).sum::<f64>() / n)
            .collect();
        let c01 = pts
            .iter()
            .map(|p| (p[0] - m[0]) * (p[1] - m[1]))
            .sum::<f64>()
            / (n - 1.0);
        let c00 = pts.iter().map(|p| (p[0] - m[0]).powi(2)).sum::<f64>() / (n - 1.0);
        let s = e.sample_covariance();
        assert!(
            (s[1] - c01).abs() < 1e-14 && (s[2] - c01).abs() < 1e-14 && (s[0] - c00).abs() < 1e-14
        );
        let r = e.regularised();
        assert!((r[0] - (n / (n + 5.0) * c00 + 1e-3 * 5.0 / (n + 5.0))).abs() < 1e-14);
        let mut d = CovarianceEstimator::new(2, MetricKind::Diag);
        pts.iter().for_each(|p| d.add(p));
        assert!((d.sample_covariance()[0] - c00).abs() < 1e-14);
    }
}
