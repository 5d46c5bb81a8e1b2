//! The cluster prior: a Gaussian mixture over the hypocentre with weights
//! from ConvNetQuake's cluster probabilities, the cluster index marginalised
//! analytically.
//!
//! # Density
//!
//! ```text
//! p(x) = Σ_k w_k N(x; μ_k, Σ_k)  [+ w_b U_box(x)]
//! log p(x) = logsumexp_k ( ln w_k − ½ ln det(2π Σ_k) − ½ (x−μ_k)ᵀ Σ_k⁻¹ (x−μ_k) )
//! ∇ log p(x) = −Σ_k r_k(x) Σ_k⁻¹ (x − μ_k),   r_k(x) = w_k N_k(x) / p(x)
//! ```
//!
//! `r_k(x)` is the responsibility of cluster k at `x`: the probability that
//! an event at `x` belongs to cluster k. Since the picks depend on the
//! cluster only through `x`, the posterior probability of cluster k is the
//! posterior mean of `r_k(x)` (see [`ClusterPrior::responsibilities`]).
//! The background component (uniform over a box) contributes a constant
//! density and no gradient inside its box.
//!
//! # Weights
//!
//! From the classifier's probabilities `p_k` (one per cluster):
//! 1. validated: finite, `>= 0`, one per cluster, summing to 1 within
//!    [`PriorOptions::sum_tolerance`]; a sum off by more is an error
//!    ([`PriorError::WeightsDoNotSumToOne`]) unless
//!    [`PriorOptions::normalise`] is set, which divides by the sum
//!    (e.g. to drop the classifier's noise class);
//! 2. tempered: `w_k ∝ p_k^(1/T)` ([`PriorOptions::temperature`]; `T > 1`
//!    flattens an over-confident classifier) and renormalised;
//! 3. floored: `w_k ← max(w_k, floor)` and renormalised, so no cluster is
//!    ruled out entirely;
//! 4. scaled by `1 − w_b` when a background of weight `w_b` is present.
//!
//! Steps 2–4 change the weights on purpose, so renormalising after them is
//! part of their definition, not a repair of bad input.
#![allow(clippy::needless_range_loop)] // loops over the 3 coordinates read best indexed

use super::background::{Background, RegionBox};
use crate::ClusterGaussian;
use nalgebra::Matrix3;
use rand::Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

/// How the classifier's probabilities become mixture weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PriorOptions {
    /// Temperature `T > 0`: `w_k ∝ p_k^(1/T)`. 1 leaves the weights as given.
    pub temperature: f64,
    /// Floor on every cluster weight after tempering, in `[0, 1/K)`.
    pub weight_floor: f64,
    /// Divide the probabilities by their sum instead of rejecting a sum
    /// different from 1.
    pub normalise: bool,
    /// Tolerance on `|Σ p_k − 1|` when `normalise` is off.
    pub sum_tolerance: f64,
    /// Optional broad background component (uniform over a box).
    pub background: Option<Background>,
}

impl Default for PriorOptions {
    fn default() -> Self {
        PriorOptions {
            temperature: 1.0,
            weight_floor: 0.0,
            normalise: false,
            sum_tolerance: 1e-3,
            background: None,
        }
    }
}

/// Why a prior could not be built. Every variant names the field or cluster.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PriorError {
    /// Number of probabilities differs from the number of clusters.
    #[error("{n_probabilities} cluster probabilities for {n_clusters} clusters")]
    MismatchedK {
        /// Probabilities given.
        n_probabilities: usize,
        /// Clusters given.
        n_clusters: usize,
    },
    /// No cluster at all.
    #[error("the prior needs at least one cluster")]
    NoClusters,
    /// A cluster id is out of range or repeated.
    #[error("cluster id {id} is out of range 0..{k} or repeated")]
    BadClusterId {
        /// The id.
        id: usize,
        /// Number of clusters.
        k: usize,
    },
    /// A probability is NaN, infinite or negative.
    #[error("probability of cluster {cluster} is {value}; must be finite and >= 0")]
    InvalidProbability {
        /// Cluster id.
        cluster: usize,
        /// Value.
        value: f64,
    },
    /// The probabilities do not sum to 1 (and `normalise` is off).
    #[error("cluster probabilities sum to {sum}, not 1 (tolerance {tolerance}); set `normalise` to rescale them")]
    WeightsDoNotSumToOne {
        /// Their sum.
        sum: f64,
        /// The tolerance.
        tolerance: f64,
    },
    /// A cluster mean is not finite.
    #[error("cluster {cluster}: mean_km {mean:?} is not finite")]
    BadMean {
        /// Cluster id.
        cluster: usize,
        /// The mean.
        mean: [f64; 3],
    },
    /// A covariance is not symmetric positive definite.
    #[error("cluster {cluster}: cov_km2 is not symmetric positive definite ({why})")]
    NotPositiveDefinite {
        /// Cluster id.
        cluster: usize,
        /// Which test failed.
        why: &'static str,
    },
    /// An option is out of range.
    #[error("prior option `{field}` = {value} is invalid: {why}")]
    InvalidOption {
        /// Option name.
        field: &'static str,
        /// Value.
        value: f64,
        /// Allowed range.
        why: &'static str,
    },
}

/// One precomputed mixture component.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Component {
    id: usize,
    weight: f64,
    /// `ln w_k − ½ ln det(2π Σ_k)`.
    log_coef: f64,
    mean: [f64; 3],
    cov: [[f64; 3]; 3],
    /// `Σ_k⁻¹` (1/km²).
    precision: [[f64; 3]; 3],
    /// Lower Cholesky factor of `Σ_k` (km), for sampling.
    chol: [[f64; 3]; 3],
}

/// The Gaussian-mixture cluster prior over `x = [east, north, depth]` (km),
/// with an optional uniform background. Density in 1/km³.
///
/// ```
/// use eqnemix::{ClusterGaussian, prior::{ClusterPrior, PriorOptions}};
/// let c = |id, m: [f64; 3]| ClusterGaussian { id, n_events: 10, mean_km: m,
///     cov_km2: [[4.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 1.0]] };
/// let prior = ClusterPrior::new(&[c(0, [0.0, 0.0, 5.0]), c(1, [20.0, 0.0, 8.0])],
///                               &[0.7, 0.3], &PriorOptions::default())?;
/// let r = prior.cluster_posterior_probabilities([0.0, 0.0, 5.0]);
/// assert!(r.clusters[0] > 0.999);
/// # Ok::<(), eqnemix::prior::PriorError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterPrior {
    components: Vec<Component>,
    n_clusters: usize,
    background: Option<Background>,
}

/// Posterior probability of each cluster (and of the background) at a point
/// or averaged over draws.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterProbabilities {
    /// Indexed by cluster id.
    pub clusters: Vec<f64>,
    /// Probability of the background component (0 without one).
    pub background: f64,
}

/// Log-ratio below which a mixture term is dropped from the log-sum-exp:
/// `e^-40 ≈ 4e-18` is under half an ulp of the sum (at least 1), so
/// dropping it is exact to rounding.
const NEGLIGIBLE_LOG: f64 = 40.0;

impl ClusterPrior {
    /// Build and validate the prior from the clusters, the classifier's
    /// probability of each cluster (`probabilities[id]`) and the options.
    pub fn new(
        clusters: &[ClusterGaussian],
        probabilities: &[f64],
        options: &PriorOptions,
    ) -> Result<Self, PriorError> {
        let k = clusters.len();
        if k == 0 {
            return Err(PriorError::NoClusters);
        }
        if probabilities.len() != k {
            return Err(PriorError::MismatchedK {
                n_probabilities: probabilities.len(),
                n_clusters: k,
            });
        }
        let mut seen = vec![false; k];
        for c in clusters {
            if c.id >= k || seen[c.id] {
                return Err(PriorError::BadClusterId { id: c.id, k });
            }
            seen[c.id] = true;
        }
        for (i, &p) in probabilities.iter().enumerate() {
            if !(p.is_finite() && p >= 0.0) {
                return Err(PriorError::InvalidProbability {
                    cluster: i,
                    value: p,
                });
            }
        }
        let t = options.temperature;
        if !(t.is_finite() && t > 0.0) {
            return Err(PriorError::InvalidOption {
                field: "temperature",
                value: t,
                why: "must be finite and > 0",
            });
        }
        let floor = options.weight_floor;
        if !(floor.is_finite() && floor >= 0.0 && floor * (k as f64) < 1.0) {
            return Err(PriorError::InvalidOption {
                field: "weight_floor",
                value: floor,
                why: "must be in [0, 1/K)",
            });
        }
        let tol = options.sum_tolerance;
        if !(tol.is_finite() && tol >= 0.0) {
            return Err(PriorError::InvalidOption {
                field: "sum_tolerance",
                value: tol,
                why: "must be finite and >= 0",
            });
        }
        let sum: f64 = probabilities.iter().sum();
        if options.normalise {
            if sum <= 0.0 {
                return Err(PriorError::WeightsDoNotSumToOne {
                    sum,
                    tolerance: tol,
                });
            }
        } else if (sum - 1.0).abs() > tol {
            return Err(PriorError::WeightsDoNotSumToOne {
                sum,
                tolerance: tol,
            });
        }
        if let Some(b) = &options.background {
            if !(b.weight.is_finite() && (0.0..1.0).contains(&b.weight)) {
                return Err(PriorError::InvalidOption {
                    field: "background.weight",
                    value: b.weight,
                    why: "must be in [0, 1)",
                });
            }
            if let Err(axis) = b.region.validate() {
                return Err(PriorError::InvalidOption {
                    field: match axis {
                        "east" => "background.region (east)",
                        "north" => "background.region (north)",
                        _ => "background.region (depth)",
                    },
                    value: f64::NAN,
                    why: "bounds must be finite with min < max",
                });
            }
        }

        // Weights: normalise (within tolerance, or explicitly), temper, floor.
        // Tempering in log space avoids underflow of p^(1/T) for small T.
        let mut w: Vec<f64> = probabilities.iter().map(|p| p / sum).collect();
        if t != 1.0 {
            let logs: Vec<f64> = w.iter().map(|p| p.ln() / t).collect();
            let m = logs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            w = logs.iter().map(|l| (l - m).exp()).collect();
            let s: f64 = w.iter().sum();
            w.iter_mut().for_each(|v| *v /= s);
        }
        if floor > 0.0 {
            w.iter_mut().for_each(|v| *v = v.max(floor));
            let s: f64 = w.iter().sum();
            w.iter_mut().for_each(|v| *v /= s);
        }
        let scale = 1.0 - options.background.map_or(0.0, |b| b.weight);

        let mut components = Vec::with_capacity(k);
        let mut sorted: Vec<&ClusterGaussian> = clusters.iter().collect();
        sorted.sort_by_key(|c| c.id);
        for c in sorted {
            if c.mean_km.iter().any(|v| !v.is_finite()) {
                return Err(PriorError::BadMean {
                    cluster: c.id,
                    mean: c.mean_km,
                });
            }
            let cov = c.cov_km2;
            let m = Matrix3::from_fn(|i, j| cov[i][j]);
            if m.iter().any(|v| !v.is_finite()) {
                return Err(PriorError::NotPositiveDefinite {
                    cluster: c.id,
                    why: "non-finite entry",
                });
            }
            let scale_m = m.diagonal().abs().max().max(f64::MIN_POSITIVE);
            if (m - m.transpose()).abs().max() > 1e-9 * scale_m {
                return Err(PriorError::NotPositiveDefinite {
                    cluster: c.id,
                    why: "not symmetric",
                });
            }
            let chol = m.cholesky().ok_or(PriorError::NotPositiveDefinite {
                cluster: c.id,
                why: "Cholesky factorisation failed",
            })?;
            let l = chol.l();
            let det = l.diagonal().product().powi(2);
            // Reject numerically singular covariances (condition number > 1e12).
            let ev = m.symmetric_eigenvalues();
            if !(det > 0.0 && ev.min() > 1e-12 * ev.max()) {
                return Err(PriorError::NotPositiveDefinite {
                    cluster: c.id,
                    why: "numerically singular",
                });
            }
            let inv = chol.inverse();
            let wk = w[c.id] * scale;
            let log_coef = wk.ln() - 0.5 * ((2.0 * std::f64::consts::PI).powi(3) * det).ln();
            components.push(Component {
                id: c.id,
                weight: wk,
                log_coef,
                mean: c.mean_km,
                cov,
                precision: [0, 1, 2].map(|i| [0, 1, 2].map(|j| 0.5 * (inv[(i, j)] + inv[(j, i)]))),
                chol: [0, 1, 2].map(|i| [0, 1, 2].map(|j| l[(i, j)])),
            });
        }
        Ok(ClusterPrior {
            components,
            n_clusters: k,
            background: options.background,
        })
    }

    /// The uninformative prior: uniform over `region` (density `1/V`,
    /// 1/km³, inside the box, 0 outside), with no clusters (`K = 0`, the
    /// background has weight 1). For networks without a cluster catalog.
    ///
    /// ```
    /// use eqnemix::prior::{ClusterPrior, RegionBox};
    /// let p = ClusterPrior::uniform(RegionBox::new([-10.0, -10.0, 0.0], [10.0, 10.0, 20.0]))?;
    /// assert_eq!(p.n_clusters(), 0);
    /// assert!((p.log_density([1.0, 2.0, 3.0]) + 8000f64.ln()).abs() < 1e-12);
    /// assert_eq!(p.log_density([1.0, 2.0, 30.0]), f64::NEG_INFINITY);
    /// # Ok::<(), eqnemix::prior::PriorError>(())
    /// ```
    pub fn uniform(region: RegionBox) -> Result<Self, PriorError> {
        if let Err(axis) = region.validate() {
            return Err(PriorError::InvalidOption {
                field: match axis {
                    "east" => "region (east)",
                    "north" => "region (north)",
                    _ => "region (depth)",
                },
                value: f64::NAN,
                why: "bounds must be finite with min < max",
            });
        }
        Ok(ClusterPrior {
            components: Vec::new(),
            n_clusters: 0,
            background: Some(Background {
                weight: 1.0,
                region,
            }),
        })
    }

    /// Number of clusters K.
    pub fn n_clusters(&self) -> usize {
        self.n_clusters
    }

    /// The final mixture weight of each cluster (by id), after tempering,
    /// flooring and background scaling.
    pub fn weights(&self) -> Vec<f64> {
        self.components.iter().map(|c| c.weight).collect()
    }

    /// The background component, if any.
    pub fn background(&self) -> Option<&Background> {
        self.background.as_ref()
    }

    /// Weight of the background (0 without one).
    pub fn background_weight(&self) -> f64 {
        self.background.map_or(0.0, |b| b.weight)
    }

    /// `ln w_k + ln N(x; μ_k, Σ_k)` and `Σ_k⁻¹ (x − μ_k)` of one component.
    #[inline]
    fn component_term(c: &Component, x: [f64; 3]) -> (f64, [f64; 3]) {
        let d = [x[0] - c.mean[0], x[1] - c.mean[1], x[2] - c.mean[2]];
        let p = &c.precision;
        let pd = [0, 1, 2].map(|i| p[i][0] * d[0] + p[i][1] * d[1] + p[i][2] * d[2]);
        let q = d[0] * pd[0] + d[1] * pd[1] + d[2] * pd[2];
        (c.log_coef - 0.5 * q, pd)
    }

    /// Log prior density (1/km³) at `x`; `-inf` where it vanishes.
    pub fn log_density(&self, x: [f64; 3]) -> f64 {
        let mut g = [0.0; 3];
        self.log_density_and_gradient(x, &mut g)
    }

    /// Log prior density and its gradient (1/km), written into `grad`.
    /// Streaming log-sum-exp: no allocation, stable for far-away points
    /// (the largest term is factored out as it is found).
    pub fn log_density_and_gradient(&self, x: [f64; 3], grad: &mut [f64; 3]) -> f64 {
        let mut m = f64::NEG_INFINITY; // running max of the terms
        let mut s = 0.0; // Σ exp(l_k − m)
        let mut g = [0.0; 3]; // Σ exp(l_k − m) (−Σ_k⁻¹(x − μ_k))
        let mut add = |l: f64, gk: [f64; 3]| {
            // A term below e^-NEGLIGIBLE_LOG of the running maximum changes
            // neither the sum (which is >= 1) nor the gradient by more than
            // rounding, so its exp is skipped: far clusters, the usual case
            // with K clusters and one nearby, then cost no exp at all.
            if l == f64::NEG_INFINITY || l < m - NEGLIGIBLE_LOG {
                return;
            }
            if l > m {
                if l > m + NEGLIGIBLE_LOG {
                    // The old terms are negligible beside the new maximum.
                    s = 0.0;
                    g = [0.0; 3];
                } else {
                    let r = (m - l).exp();
                    s *= r;
                    g.iter_mut().for_each(|v| *v *= r);
                }
                m = l;
            }
            let e = (l - m).exp();
            s += e;
            for i in 0..3 {
                g[i] += e * gk[i];
            }
        };
        for c in &self.components {
            if c.weight > 0.0 {
                let (l, pd) = Self::component_term(c, x);
                add(l, [-pd[0], -pd[1], -pd[2]]);
            }
        }
        if let Some(b) = &self.background {
            add(b.log_weighted_density(x), [0.0; 3]);
        }
        if s == 0.0 {
            *grad = [0.0; 3];
            return f64::NEG_INFINITY;
        }
        for i in 0..3 {
            grad[i] = g[i] / s;
        }
        m + s.ln()
    }

    /// The cluster id of largest responsibility at `x`, or `None` where the
    /// background's share is larger (or every term vanishes); a cluster wins
    /// a tie. The same answer as the largest of [`Self::responsibilities`],
    /// compared on the log terms, so without any exp.
    pub fn dominant_cluster(&self, x: [f64; 3]) -> Option<usize> {
        let mut best: Option<(usize, f64)> = None;
        for c in self.components.iter().filter(|c| c.weight > 0.0) {
            let l = Self::component_term(c, x).0;
            if best.is_none_or(|(_, b)| l > b) {
                best = Some((c.id, l));
            }
        }
        let lb = self.background.map_or(f64::NEG_INFINITY, |b| b.log_weighted_density(x));
        best.filter(|&(_, l)| l > f64::NEG_INFINITY && l >= lb).map(|(id, _)| id)
    }

    /// Responsibilities at `x`: `out[k] = w_k N_k(x) / p(x)` for each cluster
    /// id `k` (`out.len() == n_clusters()`); returns the background's share.
    /// Where the prior vanishes every share is 0. No allocation.
    pub fn responsibilities(&self, x: [f64; 3], out: &mut [f64]) -> f64 {
        assert_eq!(out.len(), self.n_clusters, "responsibilities buffer length");
        let mut m = f64::NEG_INFINITY;
        for c in &self.components {
            let l = if c.weight > 0.0 {
                Self::component_term(c, x).0
            } else {
                f64::NEG_INFINITY
            };
            out[c.id] = l;
            m = m.max(l);
        }
        let lb = self
            .background
            .map_or(f64::NEG_INFINITY, |b| b.log_weighted_density(x));
        m = m.max(lb);
        if m == f64::NEG_INFINITY {
            out.iter_mut().for_each(|v| *v = 0.0);
            return 0.0;
        }
        let mut s = 0.0;
        for v in out.iter_mut() {
            *v = (*v - m).exp();
            s += *v;
        }
        let b = (lb - m).exp();
        s += b;
        out.iter_mut().for_each(|v| *v /= s);
        b / s
    }

    /// Responsibilities at `x` as an owned value (see [`Self::responsibilities`]).
    pub fn cluster_posterior_probabilities(&self, x: [f64; 3]) -> ClusterProbabilities {
        let mut clusters = vec![0.0; self.n_clusters];
        let background = self.responsibilities(x, &mut clusters);
        ClusterProbabilities {
            clusters,
            background,
        }
    }

    /// Mean (km) of the prior mixture: `Σ w_k μ_k` (background included).
    pub fn mean_km(&self) -> [f64; 3] {
        let mut m = [0.0; 3];
        for (w, mu, _) in self.parts() {
            for i in 0..3 {
                m[i] += w * mu[i];
            }
        }
        m
    }

    /// Covariance (km²) of the prior mixture:
    /// `Σ w_k (Σ_k + μ_k μ_kᵀ) − m mᵀ` (background included).
    pub fn cov_km2(&self) -> [[f64; 3]; 3] {
        let m = self.mean_km();
        let mut c = [[0.0; 3]; 3];
        for (w, mu, cov) in self.parts() {
            for i in 0..3 {
                for j in 0..3 {
                    c[i][j] += w * (cov[i][j] + mu[i] * mu[j]);
                }
            }
        }
        for i in 0..3 {
            for j in 0..3 {
                c[i][j] -= m[i] * m[j];
            }
        }
        c
    }

    fn parts(&self) -> Vec<(f64, [f64; 3], [[f64; 3]; 3])> {
        let mut v: Vec<_> = self
            .components
            .iter()
            .map(|c| (c.weight, c.mean, c.cov))
            .collect();
        if let Some(b) = &self.background {
            v.push((b.weight, b.mean_km(), b.cov_km2()));
        }
        v
    }

    /// One draw from the prior (km): pick a component by weight, then
    /// `μ + L z` with `z` standard normal (or uniform in the background box).
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> [f64; 3] {
        let mut u: f64 = rng.gen();
        for c in &self.components {
            if u < c.weight {
                let z: [f64; 3] = [
                    rng.sample(StandardNormal),
                    rng.sample(StandardNormal),
                    rng.sample(StandardNormal),
                ];
                let l = &c.chol;
                return [0, 1, 2]
                    .map(|i| c.mean[i] + l[i][0] * z[0] + l[i][1] * z[1] + l[i][2] * z[2]);
            }
            u -= c.weight;
        }
        match &self.background {
            Some(b) => {
                let r: &RegionBox = &b.region;
                [0, 1, 2].map(|i| r.min_km[i] + rng.gen::<f64>() * (r.max_km[i] - r.min_km[i]))
            }
            // Rounding left u just above the total weight: use the last cluster.
            None => {
                let c = self.components.last().expect("at least one component");
                c.mean
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn cl(id: usize, mean: [f64; 3], cov: [[f64; 3]; 3]) -> ClusterGaussian {
        ClusterGaussian {
            id,
            n_events: 5,
            mean_km: mean,
            cov_km2: cov,
        }
    }
    const C1: [[f64; 3]; 3] = [[4.0, 1.0, 0.5], [1.0, 3.0, -0.3], [0.5, -0.3, 2.0]];
    const C2: [[f64; 3]; 3] = [[1.0, 0.0, 0.0], [0.0, 9.0, 0.0], [0.0, 0.0, 0.25]];

    /// Independent reference: the mixture density summed directly with
    /// nalgebra's inverse and determinant.
    fn direct_density(cs: &[ClusterGaussian], w: &[f64], x: [f64; 3]) -> f64 {
        let mut p = 0.0;
        for (c, wk) in cs.iter().zip(w) {
            let s = Matrix3::from_fn(|i, j| c.cov_km2[i][j]);
            let d = nalgebra::Vector3::from_fn(|i, _| x[i] - c.mean_km[i]);
            let q = (d.transpose() * s.try_inverse().unwrap() * d)[(0, 0)];
            p += wk * (-0.5 * q).exp()
                / ((2.0 * std::f64::consts::PI).powi(3) * s.determinant()).sqrt();
        }
        p
    }

    #[test]
    fn density_matches_direct_sum_and_gradient_matches_fd() {
        let cs = [cl(0, [0.0, 0.0, 5.0], C1), cl(1, [6.0, -2.0, 8.0], C2)];
        let prior = ClusterPrior::new(&cs, &[0.6, 0.4], &PriorOptions::default()).unwrap();
        for x in [
            [0.0, 0.0, 5.0],
            [3.0, -1.0, 7.0],
            [10.0, 4.0, 1.0],
            [-5.0, 2.0, 3.0],
        ] {
            let lp = prior.log_density(x);
            assert!(
                (lp - direct_density(&cs, &[0.6, 0.4], x).ln()).abs() < 1e-10,
                "{x:?}"
            );
            let mut g = [0.0; 3];
            prior.log_density_and_gradient(x, &mut g);
            for i in 0..3 {
                let h = 1e-5;
                let (mut a, mut b) = (x, x);
                a[i] += h;
                b[i] -= h;
                let fd = (prior.log_density(a) - prior.log_density(b)) / (2.0 * h);
                assert!(
                    (fd - g[i]).abs() < 1e-6 * (1.0 + fd.abs()),
                    "axis {i} at {x:?}: {fd} vs {}",
                    g[i]
                );
            }
        }
        // Far away: the naive sum underflows to 0, log-sum-exp stays finite.
        let far = [500.0, 0.0, 5.0];
        assert!(prior.log_density(far).is_finite());
    }

    #[test]
    fn responsibilities_sum_to_one_and_favour_nearest() {
        let cs = [cl(0, [0.0, 0.0, 5.0], C1), cl(1, [6.0, -2.0, 8.0], C2)];
        let bg = Background {
            weight: 0.1,
            region: RegionBox::new([-50.0, -50.0, 0.0], [50.0, 50.0, 30.0]),
        };
        let opts = PriorOptions {
            background: Some(bg),
            ..Default::default()
        };
        let prior = ClusterPrior::new(&cs, &[0.5, 0.5], &opts).unwrap();
        let r = prior.cluster_posterior_probabilities([6.0, -2.0, 8.0]);
        assert!((r.clusters.iter().sum::<f64>() + r.background - 1.0).abs() < 1e-12);
        assert!(r.clusters[1] > 0.9);
        // Far from both clusters, inside the box: the background takes it.
        let r = prior.cluster_posterior_probabilities([40.0, 40.0, 25.0]);
        assert!(r.background > 0.999);
        assert!((prior.weights().iter().sum::<f64>() - 0.9).abs() < 1e-12);
    }

    #[test]
    fn dominant_cluster_is_the_largest_responsibility() {
        let cs = [cl(0, [0.0, 0.0, 5.0], C1), cl(1, [6.0, -2.0, 8.0], C2), cl(2, [-20.0, 10.0, 12.0], C1)];
        let bg = Background {
            weight: 0.05,
            region: RegionBox::new([-50.0, -50.0, 0.0], [50.0, 50.0, 30.0]),
        };
        let opts = PriorOptions { background: Some(bg), ..Default::default() };
        let prior = ClusterPrior::new(&cs, &[0.3, 0.5, 0.2], &opts).unwrap();
        let mut buf = vec![0.0; 3];
        let mut seen = [0usize; 4];
        // A grid over the box and beyond it: the exp-free label agrees with
        // the argmax of the responsibilities everywhere.
        for i in 0..25 {
            for j in 0..25 {
                for k in 0..6 {
                    let x = [-60.0 + 5.0 * i as f64, -60.0 + 5.0 * j as f64, 1.0 + 6.0 * k as f64];
                    let b = prior.responsibilities(x, &mut buf);
                    let (kmax, &r) = buf.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap();
                    let want = (r >= b && r > 0.0).then_some(kmax);
                    let got = prior.dominant_cluster(x);
                    if r > 0.0 && (r - b).abs() > 1e-9 {
                        assert_eq!(got, want, "at {x:?}");
                    }
                    seen[got.unwrap_or(3)] += 1;
                }
            }
        }
        // Every label occurs, so the comparison covered each case.
        assert!(seen.iter().all(|&n| n > 0), "{seen:?}");
    }

    #[test]
    fn temperature_and_floor() {
        let cs = [
            cl(0, [0.0; 3], C2),
            cl(1, [1.0; 3], C2),
            cl(2, [2.0; 3], C2),
        ];
        let o = PriorOptions {
            temperature: 2.0,
            ..Default::default()
        };
        let w = ClusterPrior::new(&cs, &[0.64, 0.36, 0.0], &o)
            .unwrap()
            .weights();
        assert!(
            (w[0] - 0.8 / 1.4).abs() < 1e-12 && (w[1] - 0.6 / 1.4).abs() < 1e-12 && w[2] == 0.0
        );
        let o = PriorOptions {
            weight_floor: 0.1,
            ..Default::default()
        };
        let w = ClusterPrior::new(&cs, &[0.9, 0.1, 0.0], &o)
            .unwrap()
            .weights();
        assert!((w[0] - 0.9 / 1.1).abs() < 1e-12 && (w[2] - 0.1 / 1.1).abs() < 1e-12);
    }

    #[test]
    fn validation_errors_name_the_problem() {
        let cs = [cl(0, [0.0; 3], C1), cl(1, [1.0; 3], C2)];
        let o = PriorOptions::default();
        assert!(matches!(
            ClusterPrior::new(&cs, &[0.5, f64::NAN], &o),
            Err(PriorError::InvalidProbability { cluster: 1, .. })
        ));
        assert!(matches!(
            ClusterPrior::new(&cs, &[0.5], &o),
            Err(PriorError::MismatchedK { .. })
        ));
        assert!(matches!(
            ClusterPrior::new(&cs, &[0.5, 0.3], &o),
            Err(PriorError::WeightsDoNotSumToOne { .. })
        ));
        let on = PriorOptions {
            normalise: true,
            ..Default::default()
        };
        let w = ClusterPrior::new(&cs, &[0.5, 0.3], &on).unwrap().weights();
        assert!((w[0] - 0.625).abs() < 1e-12);
        let bad = [
            cl(0, [0.0; 3], C1),
            cl(
                1,
                [1.0; 3],
                [[1.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
            ),
        ];
        let e = ClusterPrior::new(&bad, &[0.5, 0.5], &o).unwrap_err();
        assert!(
            matches!(e, PriorError::NotPositiveDefinite { cluster: 1, .. }),
            "{e}"
        );
        assert!(e.to_string().contains("cluster 1"));
        let asym = [cl(
            0,
            [0.0; 3],
            [[1.0, 0.5, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        )];
        assert!(matches!(
            ClusterPrior::new(&asym, &[1.0], &o),
            Err(PriorError::NotPositiveDefinite {
                why: "not symmetric",
                ..
            })
        ));
        let dup = [cl(0, [0.0; 3], C1), cl(0, [1.0; 3], C2)];
        assert!(matches!(
            ClusterPrior::new(&dup, &[0.5, 0.5], &o),
            Err(PriorError::BadClusterId { .. })
        ));
        let t = PriorOptions {
            temperature: 0.0,
            ..Default::default()
        };
        assert!(matches!(
            ClusterPrior::new(&cs, &[0.5, 0.5], &t),
            Err(PriorError::InvalidOption {
                field: "temperature",
                ..
            })
        ));
    }

    #[test]
    fn sampling_matches_mixture_moments() {
        let cs = [cl(0, [0.0, 0.0, 5.0], C1), cl(1, [6.0, -2.0, 8.0], C2)];
        let prior = ClusterPrior::new(&cs, &[0.3, 0.7], &PriorOptions::default()).unwrap();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let n = 40_000;
        let mut m = [0.0; 3];
        for _ in 0..n {
            let x = prior.sample(&mut rng);
            for i in 0..3 {
                m[i] += x[i] / n as f64;
            }
        }
        let mu = prior.mean_km();
        let cov = prior.cov_km2();
        for i in 0..3 {
            let se = (cov[i][i] / n as f64).sqrt();
            assert!(
                (m[i] - mu[i]).abs() < 4.0 * se,
                "axis {i}: {} vs {}",
                m[i],
                mu[i]
            );
        }
    }
}
