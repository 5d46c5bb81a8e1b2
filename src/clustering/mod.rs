//! Catalog clustering: K-means on local `[east, north, depth]` km coordinates,
//! the per-cluster Gaussians fitted to the result, and the files that carry
//! them to the prior.
//!
//! - [`kmeans`](mod@kmeans): the clustering itself (seeded, reproducible);
//! - [`fit`]: [`ClusterGaussian`](crate::ClusterGaussian) per cluster (mean,
//!   unbiased covariance, diagonal floor);
//! - [`io`]: `clusters_metadata.json` and `clusters_gaussian.json`;
//! - [`catalog_clusters`]: the whole `eqnemix cluster` job on a catalog.

pub mod catalog_clusters;
pub mod fit;
pub mod io;
pub mod kmeans;

pub use catalog_clusters::{
    cluster_catalog, write_cluster_outputs, CatalogClusters, ClusteringError, OutputOptions,
};
pub use fit::{fit_cluster_gaussian, fit_cluster_gaussians, FitError, DEFAULT_COV_FLOOR_KM2};
pub use io::{
    read_clusters_gaussian, ClusterGaussianRecord, ClustersGaussianFile, ClustersMetadata,
};
pub use kmeans::{kmeans, KMeansConfig, KMeansError, KMeansResult};
