//! The Gaussian of one catalog cluster, in local km: the building block of
//! the cluster prior.

use serde::{Deserialize, Serialize};

/// A 3D Gaussian fitted to the events of one cluster.
///
/// Coordinates are local km (`x` east, `y` north, `z` depth positive down)
/// about the projection origin stated where the clusters were written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterGaussian {
    /// Cluster label, `0..K`.
    pub id: usize,
    /// Number of catalog events in the cluster.
    pub n_events: usize,
    /// Mean `[east, north, depth]` (km).
    pub mean_km: [f64; 3],
    /// Covariance (km²), symmetric positive definite, row-major.
    pub cov_km2: [[f64; 3]; 3],
}
