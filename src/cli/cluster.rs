//! `eqnemix cluster`: partition a catalog into K clusters (K-means on local
//! east/north/depth km) and fit each cluster's Gaussian.
//!
//! ```text
//! eqnemix cluster --src catalog.csv --dst DIR --n-components K [--model KMeans] [--seed S]
//!     [--lon-min .. --lon-max .. --lat-min .. --lat-max ..]  |  [--center-lon .. --center-lat .. --radius-km ..]
//!     [--start TIME] [--end TIME] [--origin-lon .. --origin-lat ..]
//!     [--station-lon .. --station-lat .. [--station-name NAME]]
//! ```
//!
//! Writes into DIR: `catalog_with_cluster_ids.csv` (the kept events with a
//! `cluster_id` column, 0..K-1), `clusters_metadata.json` (events per
//! cluster, projection origin, settings), `clusters_gaussian.json` (each
//! cluster's 3D Gaussian and its east-north marginal, local km) and
//! `clusters_map.png`. See [`crate::catalog`] for the accepted catalog columns.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};

use crate::catalog::{parse_utc_time, Catalog, CatalogFilter, Region};
use crate::clustering::{
    cluster_catalog, write_cluster_outputs, KMeansConfig, OutputOptions, DEFAULT_COV_FLOOR_KM2,
};
use crate::geo::LocalProjection;

/// Clustering models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClusterModel {
    /// K-means (k-means++ seeding, Lloyd iterations, best of several restarts).
    #[value(name = "KMeans", alias = "kmeans", alias = "k-means")]
    KMeans,
}

/// Arguments of `eqnemix cluster`.
#[derive(Debug, Args)]
pub struct ClusterArgs {
    /// Catalog CSV (columns: time, latitude, longitude, depth in km, optional magnitude).
    #[arg(long, value_name = "CSV")]
    pub src: PathBuf,
    /// Output folder (created if needed).
    #[arg(long, value_name = "DIR")]
    pub dst: PathBuf,
    /// Number of clusters K.
    #[arg(long, alias = "n_components", value_name = "K")]
    pub n_components: usize,
    /// Clustering model.
    #[arg(long, value_enum, default_value = "KMeans", ignore_case = true)]
    pub model: ClusterModel,
    /// Random seed (same seed, same clusters).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// K-means restarts (the lowest within-cluster sum of squares is kept).
    #[arg(long, default_value_t = 10)]
    pub n_restarts: usize,
    /// Maximum Lloyd iterations per restart.
    #[arg(long, default_value_t = 300)]
    pub max_iter: usize,
    /// Diagonal floor added to every cluster covariance (km²).
    #[arg(long, default_value_t = DEFAULT_COV_FLOOR_KM2)]
    pub cov_floor_km2: f64,

    /// Region box: west bound (degrees east).
    #[arg(long, requires_all = ["lon_max", "lat_min", "lat_max"], conflicts_with = "radius_km", allow_hyphen_values = true)]
    pub lon_min: Option<f64>,
    /// Region box: east bound (degrees east).
    #[arg(long, requires = "lon_min", allow_hyphen_values = true)]
    pub lon_max: Option<f64>,
    /// Region box: south bound (degrees north).
    #[arg(long, requires = "lon_min", allow_hyphen_values = true)]
    pub lat_min: Option<f64>,
    /// Region box: north bound (degrees north).
    #[arg(long, requires = "lon_min", allow_hyphen_values = true)]
    pub lat_max: Option<f64>,
    /// Region circle: centre longitude (degrees east).
    #[arg(long, requires_all = ["center_lat", "radius_km"], allow_hyphen_values = true)]
    pub center_lon: Option<f64>,
    /// Region circle: centre latitude (degrees north).
    #[arg(long, requires = "center_lon", allow_hyphen_values = true)]
    pub center_lat: Option<f64>,
    /// Region circle: radius (km, geodesic).
    #[arg(long, requires = "center_lon")]
    pub radius_km: Option<f64>,
    /// Keep events at or after this time (ISO-8601 UTC, e.g. 2014-02-15T00:00:00Z).
    #[arg(long, value_name = "TIME")]
    pub start: Option<String>,
    /// Keep events before this time (ISO-8601 UTC).
    #[arg(long, value_name = "TIME")]
    pub end: Option<String>,

    /// Origin of the local km frame: longitude (default: mean epicentre of the kept events).
    #[arg(long, requires = "origin_lat", allow_hyphen_values = true)]
    pub origin_lon: Option<f64>,
    /// Origin of the local km frame: latitude.
    #[arg(long, requires = "origin_lon", allow_hyphen_values = true)]
    pub origin_lat: Option<f64>,

    /// Station to mark on the map: longitude (degrees east).
    #[arg(long, requires = "station_lat", allow_hyphen_values = true)]
    pub station_lon: Option<f64>,
    /// Station to mark on the map: latitude (degrees north).
    #[arg(long, requires = "station_lon", allow_hyphen_values = true)]
    pub station_lat: Option<f64>,
    /// Station code shown on the map.
    #[arg(long, default_value = "STA")]
    pub station_name: String,
    /// Confidence ellipse drawn per cluster, in sigmas of its horizontal Gaussian.
    #[arg(long, default_value_t = 2.0)]
    pub ellipse_sigma: f64,
}

impl ClusterArgs {
    fn filter(&self) -> anyhow::Result<CatalogFilter> {
        let region = match (self.lon_min, self.lon_max, self.lat_min, self.lat_max) {
            (Some(lon_min), Some(lon_max), Some(lat_min), Some(lat_max)) => {
                if !(lon_min < lon_max && lat_min < lat_max) {
                    bail!("region box: need --lon-min < --lon-max and --lat-min < --lat-max");
                }
                Some(Region::LonLatBox {
                    lon_min,
                    lon_max,
                    lat_min,
                    lat_max,
                })
            }
            _ => match (self.center_lon, self.center_lat, self.radius_km) {
                (Some(lon_deg), Some(lat_deg), Some(radius_km)) => {
                    if radius_km.is_nan() || radius_km <= 0.0 {
                        bail!("--radius-km must be positive (got {radius_km})");
                    }
                    Some(Region::Radius {
                        lon_deg,
                        lat_deg,
                        radius_km,
                    })
                }
                _ => None,
            },
        };
        let time = |flag: &str, v: &Option<String>| -> anyhow::Result<_> {
            v.as_deref()
                .map(|s| {
                    parse_utc_time(s).with_context(|| {
                        format!("{flag}: cannot parse {s:?} as an ISO-8601 UTC time")
                    })
                })
                .transpose()
        };
        Ok(CatalogFilter {
            region,
            start: time("--start", &self.start)?,
            end: time("--end", &self.end)?,
        })
    }

    /// Run the clustering and write the outputs.
    pub fn run(self) -> anyhow::Result<()> {
        let ClusterModel::KMeans = self.model;
        if self.n_components == 0 {
            bail!("--n-components must be at least 1");
        }
        if self.max_iter == 0 {
            bail!("--max-iter must be at least 1");
        }
        if self.n_restarts == 0 {
            bail!("--n-restarts must be at least 1");
        }
        let filter = self.filter()?;
        let full = Catalog::from_path(&self.src).context("reading the catalog")?;
        let catalog = full.filtered(&filter);
        if catalog.events.is_empty() {
            bail!(
                "{}: no events left after the region/time filters ({} in the catalog)",
                self.src.display(),
                full.events.len()
            );
        }
        let (olon, olat) = match (self.origin_lon, self.origin_lat) {
            (Some(lon), Some(lat)) => (lon, lat),
            _ => catalog.centroid_lonlat().expect("catalog is not empty"),
        };
        let projection = LocalProjection::new(olon, olat).context("projection origin")?;
        let cfg = KMeansConfig {
            n_clusters: self.n_components,
            n_restarts: self.n_restarts,
            max_iter: self.max_iter,
            seed: self.seed,
            ..KMeansConfig::default()
        };
        let clusters = cluster_catalog(&catalog, projection, &cfg, self.cov_floor_km2)?;
        let opts = OutputOptions {
            kmeans: cfg,
            cov_floor_km2: self.cov_floor_km2,
            n_events_in_catalog: full.events.len(),
            station: self
                .station_lon
                .zip(self.station_lat)
                .map(|(lon, lat)| (self.station_name.clone(), lon, lat)),
            ellipse_n_sigma: self.ellipse_sigma,
        };
        let written = write_cluster_outputs(&self.dst, &catalog, &clusters, &opts)?;

        outln!(
            "{} of {} events in {} clusters (origin {:.4}, {:.4}; inertia {:.1} km²; {} Lloyd iterations{})",
            catalog.events.len(),
            full.events.len(),
            clusters.gaussians.len(),
            olon,
            olat,
            clusters.kmeans.inertia,
            clusters.kmeans.n_iter,
            if clusters.kmeans.converged { "" } else { ", NOT converged" },
        );
        outln!(
            "{:>7} {:>6} {:>9} {:>9} {:>9} {:>7} {:>7} {:>7}",
            "cluster", "events", "east_km", "north_km", "depth_km", "sd_e", "sd_n", "sd_z"
        );
        for g in &clusters.gaussians {
            outln!(
                "{:>7} {:>6} {:>9.2} {:>9.2} {:>9.2} {:>7.2} {:>7.2} {:>7.2}",
                g.id,
                g.n_events,
                g.mean_km[0],
                g.mean_km[1],
                g.mean_km[2],
                g.cov_km2[0][0].sqrt(),
                g.cov_km2[1][1].sqrt(),
                g.cov_km2[2][2].sqrt()
            );
        }
        for p in written {
            outln!("wrote {}", p.display());
        }
        Ok(())
    }
}
