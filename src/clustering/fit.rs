//! Fit a [`ClusterGaussian`] to the events of each cluster.
//!
//! The mean is the sample mean and the covariance the unbiased sample
//! covariance (divisor `n - 1`), plus `floor_km2` on the diagonal:
//! `Σ = S + floor · I`. Adding (rather than clamping) keeps every eigenvalue
//! ≥ `floor`, so a tiny or degenerate cluster (e.g. all events at one fixed
//! catalog depth, or collinear epicentres) still yields a positive-definite
//! Σ. The default floor, [`DEFAULT_COV_FLOOR_KM2`] = 0.01 km² (0.1 km
//! standard deviation), is far below catalog location errors, so it leaves
//! real clusters (spread of km) essentially unchanged.

use nalgebra::Matrix3;

use crate::cluster_gaussian::ClusterGaussian;

/// Default diagonal floor added to every cluster covariance (km²).
pub const DEFAULT_COV_FLOOR_KM2: f64 = 0.01;

/// Why a cluster Gaussian could not be fitted; names the cluster.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    /// The cluster has no events.
    #[error("cluster {id} is empty: cannot fit a Gaussian")]
    EmptyCluster {
        /// Cluster label.
        id: usize,
    },
    /// The cluster has one event: no covariance can be estimated.
    #[error("cluster {id} has {n_events} event(s): at least 2 are needed to estimate a covariance (choose fewer clusters or a larger catalog)")]
    TooFewEvents {
        /// Cluster label.
        id: usize,
        /// Events in it.
        n_events: usize,
    },
    /// A label is ≥ K, or labels and points differ in length.
    #[error("label {label} of point {index} is not in 0..{n_clusters}")]
    BadLabel {
        /// Point index.
        index: usize,
        /// Its label.
        label: usize,
        /// K.
        n_clusters: usize,
    },
    /// The floor is negative or not finite, or a coordinate is not finite.
    #[error("cluster {id}: covariance is not positive definite (non-finite coordinates or negative floor {floor_km2} km²)")]
    NotPositiveDefinite {
        /// Cluster label.
        id: usize,
        /// Floor used.
        floor_km2: f64,
    },
}

/// Fit the Gaussian of one cluster from its events' `[east, north, depth]`
/// km coordinates.
pub fn fit_cluster_gaussian(
    id: usize,
    points_km: &[[f64; 3]],
    floor_km2: f64,
) -> Result<ClusterGaussian, FitError> {
    let n = points_km.len();
    match n {
        0 => return Err(FitError::EmptyCluster { id }),
        1 => return Err(FitError::TooFewEvents { id, n_events: 1 }),
        _ => {}
    }
    let nf = n as f64;
    let mut mean = [0.0; 3];
    for p in points_km {
        for d in 0..3 {
            mean[d] += p[d] / nf;
        }
    }
    // Two-pass (centred) covariance: numerically stable for km-scale offsets.
    let mut cov = [[0.0; 3]; 3];
    for p in points_km {
        let c = [p[0] - mean[0], p[1] - mean[1], p[2] - mean[2]];
        for a in 0..3 {
            for b in 0..3 {
                cov[a][b] += c[a] * c[b] / (nf - 1.0);
            }
        }
    }
    for (d, row) in cov.iter_mut().enumerate() {
        row[d] += floor_km2;
    }
    let m = Matrix3::from_fn(|r, c| cov[r][c]);
    if floor_km2.is_nan()
        || floor_km2 < 0.0
        || m.iter().any(|x| !x.is_finite())
        || m.cholesky().is_none()
    {
        return Err(FitError::NotPositiveDefinite { id, floor_km2 });
    }
    Ok(ClusterGaussian {
        id,
        n_events: n,
        mean_km: mean,
        cov_km2: cov,
    })
}

/// Fit the Gaussians of clusters `0..n_clusters` from points and their labels.
/// Fails on the first cluster (lowest id) that is empty or has < 2 events.
pub fn fit_cluster_gaussians(
    points_km: &[[f64; 3]],
    labels: &[usize],
    n_clusters: usize,
    floor_km2: f64,
) -> Result<Vec<ClusterGaussian>, FitError> {
    let mut members: Vec<Vec<[f64; 3]>> = vec![Vec::new(); n_clusters];
    for (index, (p, &label)) in points_km.iter().zip(labels).enumerate() {
        if label >= n_clusters {
            return Err(FitError::BadLabel {
                index,
                label,
                n_clusters,
            });
        }
        members[label].push(*p);
    }
    if points_km.len() != labels.len() {
        return Err(FitError::BadLabel {
            index: points_km.len().min(labels.len()),
            label: usize::MAX,
            n_clusters,
        });
    }
    members
        .iter()
        .enumerate()
        .map(|(id, pts)| fit_cluster_gaussian(id, pts, floor_km2))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::{Cholesky, Vector3};
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use rand_distr::{Distribution, StandardNormal};

    #[test]
    fn covariance_matches_known_within_sampling_tolerance() {
        // Σ with strong east-north correlation and a thin depth spread.
        let sigma = Matrix3::new(16.0, 6.0, 1.0, 6.0, 9.0, -0.5, 1.0, -0.5, 2.25);
        let l = Cholesky::new(sigma).unwrap().l();
        let mu = Vector3::new(20.0, -35.0, 8.0);
        let n = 4000;
        let mut rng = ChaCha8Rng::seed_from_u64(17);
        let pts: Vec<[f64; 3]> = (0..n)
            .map(|_| {
                let z = Vector3::from_fn(|_, _| StandardNormal.sample(&mut rng));
                let x = mu + l * z;
                [x[0], x[1], x[2]]
            })
            .collect();
        let g = fit_cluster_gaussian(2, &pts, 0.0).unwrap();
        assert_eq!((g.id, g.n_events), (2, n));
        let nf = n as f64;
        for a in 0..3 {
            // Standard error of a sample mean: sqrt(Σ_aa / n); allow 4 of them.
            assert!(
                (g.mean_km[a] - mu[a]).abs() < 4.0 * (sigma[(a, a)] / nf).sqrt(),
                "mean {a}"
            );
            for b in 0..3 {
                // Var of a sample covariance (Gaussian): (Σ_ab² + Σ_aa Σ_bb) / (n - 1).
                let se =
                    ((sigma[(a, b)].powi(2) + sigma[(a, a)] * sigma[(b, b)]) / (nf - 1.0)).sqrt();
                let err = (g.cov_km2[a][b] - sigma[(a, b)]).abs();
                assert!(
                    err < 4.0 * se,
                    "cov[{a}][{b}] = {} vs {} (se {se})",
                    g.cov_km2[a][b],
                    sigma[(a, b)]
                );
                assert_eq!(g.cov_km2[a][b], g.cov_km2[b][a]);
            }
        }
    }

    #[test]
    fn unbiased_divisor_and_floor() {
        // Two points at ±1 km east: unbiased variance = ((1)² + (1)²) / (2 - 1) = 2.
        let g = fit_cluster_gaussian(0, &[[-1.0, 5.0, 3.0], [1.0, 5.0, 3.0]], 0.01).unwrap();
        assert_eq!(g.mean_km, [0.0, 5.0, 3.0]);
        assert!((g.cov_km2[0][0] - 2.01).abs() < 1e-12);
        assert!((g.cov_km2[1][1] - 0.01).abs() < 1e-12);
        assert!((g.cov_km2[2][2] - 0.01).abs() < 1e-12);
        // Without a floor this degenerate cluster is not positive definite.
        let e = fit_cluster_gaussian(4, &[[-1.0, 5.0, 3.0], [1.0, 5.0, 3.0]], 0.0).unwrap_err();
        assert_eq!(
            e,
            FitError::NotPositiveDefinite {
                id: 4,
                floor_km2: 0.0
            }
        );
    }

    #[test]
    fn tiny_and_empty_clusters_are_named() {
        let pts = [[0.0; 3], [1.0, 0.0, 0.0], [5.0, 5.0, 5.0]];
        let e = fit_cluster_gaussians(&pts, &[0, 0, 2], 3, 0.01).unwrap_err();
        assert_eq!(e, FitError::EmptyCluster { id: 1 });
        assert!(e.to_string().contains("cluster 1"));
        let e = fit_cluster_gaussians(&pts, &[0, 0, 1], 2, 0.01).unwrap_err();
        assert_eq!(e, FitError::TooFewEvents { id: 1, n_events: 1 });
        let e = fit_cluster_gaussians(&pts, &[0, 0, 7], 2, 0.01).unwrap_err();
        assert!(matches!(
            e,
            FitError::BadLabel {
                index: 2,
                label: 7,
                ..
            }
        ));
    }
}
