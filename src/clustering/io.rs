//! The files written by `eqnemix cluster` and read by the prior:
//! `clusters_metadata.json` and `clusters_gaussian.json`.
//!
//! Both state the projection origin: cluster coordinates are local km
//! (`x` east, `y` north, `z` depth positive down) about that origin, as
//! projected by [`crate::geo::LocalProjection`].
//!
//! Each entry of `clusters_gaussian.json`'s `clusters` array deserialises
//! directly into a [`ClusterGaussian`] (extra 2D fields are ignored), so a
//! reader that only needs the 3D Gaussians can use [`read_clusters_gaussian`]
//! and [`ClustersGaussianFile::gaussians`].

use std::path::{Path, PathBuf};

use nalgebra::Matrix3;
use serde::{Deserialize, Serialize};

use crate::cluster_gaussian::ClusterGaussian;
use crate::geo::ProjectionOrigin;
use crate::io::{write_atomic, AtomicWriteError};

/// The coordinate frame written into the files, for humans reading them.
pub const FRAME_DESCRIPTION: &str =
    "local km about origin (WGS84 azimuthal equidistant): x east, y north, z depth positive down";

/// `clusters_metadata.json`: what was clustered and how many events fell in
/// each cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClustersMetadata {
    /// Clustering model (`"KMeans"`).
    pub model: String,
    /// K.
    pub n_clusters: usize,
    /// Events clustered (after filtering).
    pub n_events: usize,
    /// Events per cluster, indexed by cluster id.
    pub events_per_cluster: Vec<usize>,
    /// Projection origin of the local frame.
    pub origin: ProjectionOrigin,
    /// Frame description ([`FRAME_DESCRIPTION`]).
    pub frame: String,
    /// Seed of the clustering.
    pub seed: u64,
    /// K-means restarts.
    pub n_restarts: usize,
    /// Within-cluster sum of squared distances (km²).
    pub inertia_km2: f64,
    /// Catalog the events came from.
    pub source_catalog: String,
    /// Events in the catalog before filtering.
    pub n_events_in_catalog: usize,
    /// Diagonal floor added to each covariance (km²).
    pub cov_floor_km2: f64,
}

/// One cluster in `clusters_gaussian.json`: the 3D Gaussian (flattened, so it
/// reads back as a [`ClusterGaussian`]) plus its horizontal marginal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterGaussianRecord {
    /// The 3D Gaussian (`id`, `n_events`, `mean_km`, `cov_km2`).
    #[serde(flatten)]
    pub gaussian: ClusterGaussian,
    /// Mean `[east, north]` (km): the marginal of the 3D Gaussian.
    pub mean_en_km: [f64; 2],
    /// Covariance of `[east, north]` (km²): the top-left 2×2 block.
    pub cov_en_km2: [[f64; 2]; 2],
}

impl From<&ClusterGaussian> for ClusterGaussianRecord {
    fn from(g: &ClusterGaussian) -> Self {
        Self {
            gaussian: g.clone(),
            mean_en_km: [g.mean_km[0], g.mean_km[1]],
            cov_en_km2: [
                [g.cov_km2[0][0], g.cov_km2[0][1]],
                [g.cov_km2[1][0], g.cov_km2[1][1]],
            ],
        }
    }
}

/// `clusters_gaussian.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClustersGaussianFile {
    /// Projection origin of the local frame.
    pub origin: ProjectionOrigin,
    /// Frame description ([`FRAME_DESCRIPTION`]).
    pub frame: String,
    /// One record per cluster, in id order.
    pub clusters: Vec<ClusterGaussianRecord>,
}

impl ClustersGaussianFile {
    /// Build from fitted Gaussians.
    pub fn new(origin: ProjectionOrigin, gaussians: &[ClusterGaussian]) -> Self {
        Self {
            origin,
            frame: FRAME_DESCRIPTION.to_string(),
            clusters: gaussians.iter().map(ClusterGaussianRecord::from).collect(),
        }
    }

    /// The 3D Gaussians, in id order.
    pub fn gaussians(&self) -> Vec<ClusterGaussian> {
        self.clusters.iter().map(|r| r.gaussian.clone()).collect()
    }
}

/// Errors reading or writing the cluster files; always name the file.
#[derive(Debug, thiserror::Error)]
pub enum ClusterFileError {
    /// Reading failed.
    #[error("{path}: {source}")]
    Read {
        /// File.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The JSON does not match the format.
    #[error("{path}: {source}")]
    Json {
        /// File.
        path: PathBuf,
        /// Underlying error (with line and column).
        #[source]
        source: serde_json::Error,
    },
    /// A cluster is invalid (ids not 0..K in order, covariance not SPD, non-finite mean).
    #[error("{path}: cluster {index}: {problem}")]
    Invalid {
        /// File.
        path: PathBuf,
        /// Position of the cluster in the `clusters` array.
        index: usize,
        /// What is wrong.
        problem: String,
    },
    /// Writing failed.
    #[error(transparent)]
    Write(#[from] AtomicWriteError),
    /// The output folder could not be created.
    #[error("creating folder {path}: {source}")]
    CreateDir {
        /// Folder.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The map could not be drawn.
    #[error("{path}: {source}")]
    Plot {
        /// Figure path.
        path: PathBuf,
        /// Cause.
        #[source]
        source: crate::plot::PlotError,
    },
}

/// Largest |coordinate| of a cluster mean and largest standard deviation
/// along an axis (km) accepted from a cluster file: half the Earth's
/// circumference. Anything larger is not a cluster of earthquakes (a
/// covariance of 1e40 km² once drove the origin time past year 262,000).
pub const MAX_CLUSTER_EXTENT_KM: f64 = crate::geo::MAX_LOCAL_HORIZONTAL_KM;

/// Check a cluster Gaussian: finite mean, symmetric positive-definite
/// covariance, mean and standard deviations within [`MAX_CLUSTER_EXTENT_KM`].
pub fn validate_gaussian(g: &ClusterGaussian) -> Result<(), String> {
    if g.mean_km.iter().any(|x| !x.is_finite()) {
        return Err(format!("mean_km {:?} is not finite", g.mean_km));
    }
    if g.mean_km.iter().any(|x| x.abs() > MAX_CLUSTER_EXTENT_KM) {
        return Err(format!("mean_km {:?} is farther than {MAX_CLUSTER_EXTENT_KM} km from the origin", g.mean_km));
    }
    let m = Matrix3::from_fn(|r, c| g.cov_km2[r][c]);
    if m.iter().any(|x| !x.is_finite()) {
        return Err("cov_km2 has a non-finite entry".into());
    }
    if let Some(v) = m.diagonal().iter().find(|v| **v > MAX_CLUSTER_EXTENT_KM * MAX_CLUSTER_EXTENT_KM) {
        return Err(format!(
            "cov_km2 has a variance of {v} km², a standard deviation above {MAX_CLUSTER_EXTENT_KM} km"
        ));
    }
    let scale = m.diagonal().max().max(f64::MIN_POSITIVE);
    if (m - m.transpose()).abs().max() > 1e-9 * scale {
        return Err("cov_km2 is not symmetric".into());
    }
    if m.cholesky().is_none() {
        return Err("cov_km2 is not positive definite".into());
    }
    Ok(())
}

/// Read and validate `clusters_gaussian.json` (ids must be `0..K` in order).
pub fn read_clusters_gaussian(
    path: impl AsRef<Path>,
) -> Result<ClustersGaussianFile, ClusterFileError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|source| ClusterFileError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    clusters_gaussian_from_str(&text, path)
}

/// As [`read_clusters_gaussian`] from text; `path` names it in errors.
pub fn clusters_gaussian_from_str(
    text: &str,
    path: impl AsRef<Path>,
) -> Result<ClustersGaussianFile, ClusterFileError> {
    let path = path.as_ref();
    let file: ClustersGaussianFile =
        serde_json::from_str(text).map_err(|source| ClusterFileError::Json {
            path: path.to_path_buf(),
            source,
        })?;
    for (index, r) in file.clusters.iter().enumerate() {
        let invalid = |problem: String| ClusterFileError::Invalid {
            path: path.to_path_buf(),
            index,
            problem,
        };
        if r.gaussian.id != index {
            return Err(invalid(format!(
                "id {} where {index} was expected (ids must be 0..K in order)",
                r.gaussian.id
            )));
        }
        validate_gaussian(&r.gaussian).map_err(invalid)?;
    }
    Ok(file)
}

/// Read `clusters_metadata.json`.
pub fn read_clusters_metadata(
    path: impl AsRef<Path>,
) -> Result<ClustersMetadata, ClusterFileError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|source| ClusterFileError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| ClusterFileError::Json {
        path: path.to_path_buf(),
        source,
    })
}

/// Write any serialisable value as pretty JSON, atomically.
pub fn write_json<T: Serialize>(path: impl AsRef<Path>, value: &T) -> Result<(), ClusterFileError> {
    let path = path.as_ref();
    write_atomic(path, |w| {
        serde_json::to_writer_pretty(&mut *w, value).map_err(std::io::Error::other)?;
        std::io::Write::write_all(w, b"\n")
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(id: usize) -> ClusterGaussian {
        ClusterGaussian {
            id,
            n_events: 10,
            mean_km: [1.0, -2.0, 8.0],
            cov_km2: [[4.0, 1.0, 0.0], [1.0, 9.0, 0.5], [0.0, 0.5, 1.0]],
        }
    }

    #[test]
    fn round_trip_and_entries_read_as_cluster_gaussian() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("clusters_gaussian.json");
        let origin = ProjectionOrigin {
            lon_deg: -117.6,
            lat_deg: 35.7,
        };
        let f = ClustersGaussianFile::new(origin, &[g(0), g(1)]);
        assert_eq!(f.clusters[1].mean_en_km, [1.0, -2.0]);
        assert_eq!(f.clusters[1].cov_en_km2, [[4.0, 1.0], [1.0, 9.0]]);
        write_json(&path, &f).unwrap();
        assert_eq!(read_clusters_gaussian(&path).unwrap(), f);
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let one: ClusterGaussian = serde_json::from_value(v["clusters"][1].clone()).unwrap();
        assert_eq!(one, g(1));
    }

    #[test]
    fn invalid_clusters_are_rejected_with_their_index() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json");
        let origin = ProjectionOrigin {
            lon_deg: 0.0,
            lat_deg: 0.0,
        };
        let mut bad = g(1);
        bad.cov_km2[2][2] = -1.0;
        write_json(&path, &ClustersGaussianFile::new(origin, &[g(0), bad])).unwrap();
        let m = read_clusters_gaussian(&path).unwrap_err().to_string();
        assert!(
            m.contains("c.json") && m.contains("cluster 1") && m.contains("positive definite"),
            "{m}"
        );
        write_json(&path, &ClustersGaussianFile::new(origin, &[g(1)])).unwrap();
        let m = read_clusters_gaussian(&path).unwrap_err().to_string();
        assert!(m.contains("id 1"), "{m}");
        std::fs::write(&path, "{\"origin\": 3}").unwrap();
        let m = read_clusters_gaussian(&path).unwrap_err().to_string();
        assert!(m.contains("c.json") && m.contains("line 1"), "{m}");
    }
}
