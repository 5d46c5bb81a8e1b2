//! Cluster a catalog end to end: project the hypocentres to local km, run
//! K-means, fit one [`ClusterGaussian`] per cluster, and write the outputs of
//! `eqnemix cluster`.

use std::path::{Path, PathBuf};

use crate::catalog::Catalog;
use crate::cluster_gaussian::ClusterGaussian;
use crate::geo::LocalProjection;
use crate::io::write_atomic;
use crate::plot::cluster_map::{draw_cluster_map, ClusterMap, StationMarker};

use super::fit::{fit_cluster_gaussians, FitError};
use super::io::{
    write_json, ClusterFileError, ClustersGaussianFile, ClustersMetadata, FRAME_DESCRIPTION,
};
use super::kmeans::{kmeans, KMeansConfig, KMeansError, KMeansResult};

/// File names written by [`write_cluster_outputs`] (as in the original EQNeMix).
pub const CATALOG_WITH_IDS: &str = "catalog_with_cluster_ids.csv";
/// Events per cluster and the projection origin.
pub const METADATA_JSON: &str = "clusters_metadata.json";
/// The cluster Gaussians.
pub const GAUSSIAN_JSON: &str = "clusters_gaussian.json";
/// The map.
pub const MAP_PNG: &str = "clusters_map.png";
/// Size of the map (pixels).
pub const MAP_SIZE_PX: (u32, u32) = (1400, 1150);
/// Name of the label column added to the catalog.
pub const CLUSTER_ID_COLUMN: &str = "cluster_id";

/// A clustered catalog.
#[derive(Debug, Clone)]
pub struct CatalogClusters {
    /// Projection used for the local frame.
    pub projection: LocalProjection,
    /// `[east, north, depth]` km of each event, in catalog order.
    pub points_km: Vec<[f64; 3]>,
    /// The K-means result (labels in catalog order).
    pub kmeans: KMeansResult<3>,
    /// One Gaussian per cluster, in id order.
    pub gaussians: Vec<ClusterGaussian>,
}

/// Why clustering failed.
#[derive(Debug, thiserror::Error)]
pub enum ClusteringError {
    /// The catalog has no events (after filtering).
    #[error("{path}: no events to cluster")]
    NoEvents {
        /// Catalog.
        path: PathBuf,
    },
    /// K-means failed.
    #[error("{path}: k-means: {source}")]
    KMeans {
        /// Catalog.
        path: PathBuf,
        /// Cause.
        #[source]
        source: KMeansError,
    },
    /// A cluster Gaussian could not be fitted (the message names the cluster).
    #[error("{path}: {source}")]
    Fit {
        /// Catalog.
        path: PathBuf,
        /// Cause.
        #[source]
        source: FitError,
    },
}

/// Project `catalog` with `projection`, run K-means with `cfg` on
/// `[east, north, depth]` km and fit each cluster's Gaussian with diagonal
/// floor `cov_floor_km2`.
pub fn cluster_catalog(
    catalog: &Catalog,
    projection: LocalProjection,
    cfg: &KMeansConfig,
    cov_floor_km2: f64,
) -> Result<CatalogClusters, ClusteringError> {
    let path = catalog.path.clone();
    if catalog.events.is_empty() {
        return Err(ClusteringError::NoEvents { path });
    }
    let points_km: Vec<[f64; 3]> = catalog
        .events
        .iter()
        .map(|e| projection.to_local_xyz_km(e.lon_deg, e.lat_deg, e.depth_km))
        .collect();
    let km = kmeans(&points_km, cfg).map_err(|source| ClusteringError::KMeans {
        path: path.clone(),
        source,
    })?;
    let gaussians = fit_cluster_gaussians(&points_km, &km.labels, cfg.n_clusters, cov_floor_km2)
        .map_err(|source| ClusteringError::Fit { path, source })?;
    Ok(CatalogClusters {
        projection,
        points_km,
        kmeans: km,
        gaussians,
    })
}

/// What to put in the outputs besides the clusters themselves.
#[derive(Debug, Clone)]
pub struct OutputOptions {
    /// Settings the clustering ran with (recorded in the metadata).
    pub kmeans: KMeansConfig,
    /// Diagonal covariance floor used (km²).
    pub cov_floor_km2: f64,
    /// Events in the catalog before filtering.
    pub n_events_in_catalog: usize,
    /// Station to mark on the map: name, lon, lat (degrees).
    pub station: Option<(String, f64, f64)>,
    /// Ellipse scale on the map (2.0 = 2-sigma).
    pub ellipse_n_sigma: f64,
}

/// Write the four outputs of `eqnemix cluster` into `dst` (created if
/// needed), each atomically; returns their paths.
pub fn write_cluster_outputs(
    dst: &Path,
    catalog: &Catalog,
    clusters: &CatalogClusters,
    opts: &OutputOptions,
) -> Result<Vec<PathBuf>, ClusterFileError> {
    std::fs::create_dir_all(dst).map_err(|source| ClusterFileError::CreateDir {
        path: dst.to_path_buf(),
        source,
    })?;
    let origin = clusters.projection.origin();
    let k = clusters.gaussians.len();

    let csv_path = dst.join(CATALOG_WITH_IDS);
    write_atomic(&csv_path, |w| {
        catalog
            .write_with_column(w, CLUSTER_ID_COLUMN, &clusters.kmeans.labels)
            .map_err(std::io::Error::other)
    })?;

    let meta = ClustersMetadata {
        model: "KMeans".to_string(),
        n_clusters: k,
        n_events: catalog.events.len(),
        events_per_cluster: clusters.gaussians.iter().map(|g| g.n_events).collect(),
        origin,
        frame: FRAME_DESCRIPTION.to_string(),
        seed: opts.kmeans.seed,
        n_restarts: opts.kmeans.n_restarts,
        inertia_km2: clusters.kmeans.inertia,
        source_catalog: catalog.path.display().to_string(),
        n_events_in_catalog: opts.n_events_in_catalog,
        cov_floor_km2: opts.cov_floor_km2,
    };
    let meta_path = dst.join(METADATA_JSON);
    write_json(&meta_path, &meta)?;

    let gauss_path = dst.join(GAUSSIAN_JSON);
    write_json(
        &gauss_path,
        &ClustersGaussianFile::new(origin, &clusters.gaussians),
    )?;

    let en: Vec<[f64; 2]> = clusters.points_km.iter().map(|p| [p[0], p[1]]).collect();
    let depths: Vec<f64> = clusters.points_km.iter().map(|p| p[2]).collect();
    let station = opts.station.as_ref().map(|(name, lon, lat)| {
        let (e, n) = clusters.projection.to_local_km(*lon, *lat);
        StationMarker {
            name: name.clone(),
            east_km: e,
            north_km: n,
        }
    });
    let map_path = dst.join(MAP_PNG);
    let map = ClusterMap {
        events_en_km: &en,
        depths_km: &depths,
        labels: &clusters.kmeans.labels,
        gaussians: &clusters.gaussians,
        origin,
        station,
        n_sigma: opts.ellipse_n_sigma,
        title: format!("K-means clusters of catalog events (K = {k})"),
        source: Some(catalog.path.display().to_string()),
        size_px: (MAP_SIZE_PX.0, MAP_SIZE_PX.1),
    };
    draw_cluster_map(&map_path, &map).map_err(|source| ClusterFileError::Plot {
        path: map_path.clone(),
        source,
    })?;
    Ok(vec![csv_path, meta_path, gauss_path, map_path])
}
