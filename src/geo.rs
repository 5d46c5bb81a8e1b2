//! Geographic coordinates ↔ local Cartesian kilometres, and elevation ↔ depth.
//!
//! # The local frame
//!
//! eqnemix works in a local frame about an origin (usually the station or the
//! catalog centroid): `x` east (km), `y` north (km), `z` depth (km, positive
//! down, `z = 0` at sea level, so `z = -elevation`).
//!
//! # The projection
//!
//! [`LocalProjection`] is the **ellipsoidal azimuthal equidistant** projection
//! on WGS84 about the origin, built on the geodesic routines of
//! `geographiclib-rs` (Karney's algorithms, accurate to nanometres): a point at
//! geodesic distance `s` and azimuth `α` (clockwise from north) from the origin
//! maps to `(east, north) = (s sin α, s cos α)`, and the inverse is the direct
//! geodesic problem. Consequences:
//!
//! - distances and azimuths **from the origin** are exact (to the µm level);
//!   this is why the station is the natural origin for single-station work;
//! - distances between two arbitrary points carry the projection's distortion,
//!   which grows as (distance from origin)²: the transverse scale is
//!   `k ≈ 1 + s²/(6R²)`.
//!
//! **Accuracy over a 300 km region** (measured by `tests/geo_accuracy.rs`:
//! origin at the centre of a 300 km × 300 km box at mid-latitudes (35.7° N),
//! straight-line distances in the local frame against WGS84 geodesic
//! distances for random point pairs in the box): the error is below
//! [`ACCURACY_300KM_RELATIVE`] of the distance and below
//! [`ACCURACY_300KM_ABS_KM`] km (i.e. < 50 m) for every pair; measured worst
//! case 28 m and 1.6e-4 at 35.7° N, 65° N and the equator alike. That is
//! far below catalog location errors (~1 km) and single-station location
//! uncertainty (several km).
//!
//! # Depth and elevation
//!
//! Depth is positive down from sea level; a station at elevation `e` km sits at
//! depth `-e` km. Use [`depth_km_from_elevation_km`] / [`depth_km_from_elevation_m`]
//! rather than a bare minus sign so the convention is visible.
//!
//! ```
//! use eqnemix::geo::LocalProjection;
//! let proj = LocalProjection::new(-117.6, 35.7).unwrap();
//! // A point about 11.1 km north of the origin.
//! let (e, n) = proj.to_local_km(-117.6, 35.8);
//! assert!(e.abs() < 1e-9 && (n - 11.09).abs() < 0.02);
//! let (lon, lat) = proj.to_lonlat(e, n);
//! assert!((lon + 117.6).abs() < 1e-12 && (lat - 35.8).abs() < 1e-12);
//! ```

use geographiclib_rs::{DirectGeodesic, Geodesic, InverseGeodesic};
use serde::{Deserialize, Serialize};

/// Documented bound on the relative distance error of [`LocalProjection`] for
/// point pairs inside a 300 km × 300 km region centred on the origin
/// (|d_local − d_geodesic| / d_geodesic). Asserted by `tests/geo_accuracy.rs`.
pub const ACCURACY_300KM_RELATIVE: f64 = 2.5e-4;

/// Documented bound on the absolute distance error (km) of [`LocalProjection`]
/// for point pairs inside a 300 km × 300 km region centred on the origin.
/// Asserted by `tests/geo_accuracy.rs`.
pub const ACCURACY_300KM_ABS_KM: f64 = 0.05;

/// Lowest and highest station elevation accepted (m above sea level): the
/// deepest borehole (Kola, 12.26 km) to above the highest summit (8.85 km).
pub const STATION_ELEVATION_RANGE_M: (f64, f64) = (-12_500.0, 9_000.0);

/// Largest |east| or |north| (km) accepted for a station in the local frame:
/// half the Earth's circumference.
pub const MAX_LOCAL_HORIZONTAL_KM: f64 = 20_040.0;

/// Check a station's geographic position: latitude in `[-90, 90]`, longitude
/// in `[-180, 360]`, elevation in [`STATION_ELEVATION_RANGE_M`]. The error
/// names the field (`latitude`, `longitude` or `elevation_m`) and the rule.
pub fn check_station_lonlat(lon_deg: f64, lat_deg: f64, elevation_m: f64) -> Result<(), (&'static str, String)> {
    if !(lat_deg.is_finite() && (-90.0..=90.0).contains(&lat_deg)) {
        return Err(("latitude", format!("{lat_deg} is not a latitude in [-90, 90] degrees")));
    }
    if !(lon_deg.is_finite() && (-180.0..=360.0).contains(&lon_deg)) {
        return Err(("longitude", format!("{lon_deg} is not a longitude in [-180, 360] degrees")));
    }
    check_station_depth_km(depth_km_from_elevation_m(elevation_m))
        .map_err(|_| ("elevation_m", format!(
            "{elevation_m} m is outside the physical range [{}, {}] m",
            STATION_ELEVATION_RANGE_M.0, STATION_ELEVATION_RANGE_M.1
        )))
}

/// Check a station depth (km, positive down): the negated
/// [`STATION_ELEVATION_RANGE_M`] in km.
pub fn check_station_depth_km(depth_km: f64) -> Result<(), String> {
    let (lo, hi) = (-STATION_ELEVATION_RANGE_M.1 / 1000.0, -STATION_ELEVATION_RANGE_M.0 / 1000.0);
    if depth_km.is_finite() && (lo..=hi).contains(&depth_km) {
        Ok(())
    } else {
        Err(format!("{depth_km} km is outside the physical station depth range [{lo}, {hi}] km"))
    }
}

/// Errors of the geographic helpers.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeoError {
    /// The projection origin is not a valid longitude/latitude.
    #[error("invalid projection origin (lon {lon_deg}°, lat {lat_deg}°): longitude must be finite and latitude finite in [-90, 90]")]
    InvalidOrigin {
        /// Longitude given (degrees).
        lon_deg: f64,
        /// Latitude given (degrees).
        lat_deg: f64,
    },
}

/// Origin of a local frame, as written to output files (`clusters_metadata.json`,
/// `clusters_gaussian.json`, …).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ProjectionOrigin {
    /// Origin longitude (degrees east, WGS84).
    pub lon_deg: f64,
    /// Origin latitude (degrees north, WGS84).
    pub lat_deg: f64,
}

/// Ellipsoidal (WGS84) azimuthal equidistant projection about an origin:
/// lon/lat (degrees) ↔ local `(east_km, north_km)`.
///
/// See the [module docs](self) for the accuracy (< 50 m over a 300 km
/// region). Serialises as its origin, `{"lon_deg": .., "lat_deg": ..}`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(try_from = "ProjectionOrigin", into = "ProjectionOrigin")]
pub struct LocalProjection {
    origin: ProjectionOrigin,
    geod: Geodesic,
}

impl PartialEq for LocalProjection {
    fn eq(&self, other: &Self) -> bool {
        self.origin == other.origin
    }
}

impl TryFrom<ProjectionOrigin> for LocalProjection {
    type Error = GeoError;
    fn try_from(o: ProjectionOrigin) -> Result<Self, GeoError> {
        LocalProjection::new(o.lon_deg, o.lat_deg)
    }
}

impl From<LocalProjection> for ProjectionOrigin {
    fn from(p: LocalProjection) -> Self {
        p.origin
    }
}

impl LocalProjection {
    /// Projection about the origin `(origin_lon_deg, origin_lat_deg)` (degrees,
    /// WGS84). Fails if the longitude is not finite or the latitude is not a
    /// finite value in `[-90, 90]`.
    pub fn new(origin_lon_deg: f64, origin_lat_deg: f64) -> Result<Self, GeoError> {
        if !origin_lon_deg.is_finite() || !origin_lat_deg.is_finite() || origin_lat_deg.abs() > 90.0
        {
            return Err(GeoError::InvalidOrigin {
                lon_deg: origin_lon_deg,
                lat_deg: origin_lat_deg,
            });
        }
        Ok(Self {
            origin: ProjectionOrigin {
                lon_deg: origin_lon_deg,
                lat_deg: origin_lat_deg,
            },
            geod: Geodesic::wgs84(),
        })
    }

    /// The origin (degrees).
    pub fn origin(&self) -> ProjectionOrigin {
        self.origin
    }

    /// Origin longitude (degrees east).
    pub fn origin_lon_deg(&self) -> f64 {
        self.origin.lon_deg
    }

    /// Origin latitude (degrees north).
    pub fn origin_lat_deg(&self) -> f64 {
        self.origin.lat_deg
    }

    /// NonLinLoc's `TRANSFORM` statement (without its keyword) for this
    /// projection: NonLinLoc's `AZIMUTHAL_EQUIDIST` on WGS-84 about the
    /// origin, unrotated.
    pub fn nll_transform(&self) -> String {
        format!(
            "AZIMUTHAL_EQUIDIST RefEllipsoid WGS-84  LatOrig {:.6}  LongOrig {:.6}  RotCW 0.000000",
            self.origin.lat_deg, self.origin.lon_deg
        )
    }

    /// Project `(lon, lat)` (degrees) to local `(east_km, north_km)`.
    ///
    /// Defined everywhere except at the antipode of the origin; non-finite
    /// input gives non-finite output.
    pub fn to_local_km(&self, lon_deg: f64, lat_deg: f64) -> (f64, f64) {
        let (s12_m, azi1_deg, _azi2, _a12): (f64, f64, f64, f64) =
            self.geod
                .inverse(self.origin.lat_deg, self.origin.lon_deg, lat_deg, lon_deg);
        let s_km = s12_m / 1000.0;
        let (sin_a, cos_a) = azi1_deg.to_radians().sin_cos();
        (s_km * sin_a, s_km * cos_a)
    }

    /// Inverse of [`to_local_km`](Self::to_local_km): local
    /// `(east_km, north_km)` to `(lon, lat)` (degrees; longitude in
    /// `[-180, 180]`).
    pub fn to_lonlat(&self, east_km: f64, north_km: f64) -> (f64, f64) {
        let s_m = east_km.hypot(north_km) * 1000.0;
        if s_m == 0.0 {
            return (self.origin.lon_deg, self.origin.lat_deg);
        }
        let azi_deg = east_km.atan2(north_km).to_degrees();
        let (lat, lon): (f64, f64) =
            self.geod
                .direct(self.origin.lat_deg, self.origin.lon_deg, azi_deg, s_m);
        (lon, lat)
    }

    /// Project a hypocentre `(lon, lat, depth_km)` to `[east, north, depth]`
    /// km (depth passes through unchanged: positive down from sea level).
    pub fn to_local_xyz_km(&self, lon_deg: f64, lat_deg: f64, depth_km: f64) -> [f64; 3] {
        let (e, n) = self.to_local_km(lon_deg, lat_deg);
        [e, n, depth_km]
    }
}

/// WGS84 geodesic (shortest path on the ellipsoid) distance between two points
/// given in degrees, in km. Useful for epicentral distances.
pub fn geodesic_distance_km(lon1_deg: f64, lat1_deg: f64, lon2_deg: f64, lat2_deg: f64) -> f64 {
    let s12_m: f64 = Geodesic::wgs84().inverse(lat1_deg, lon1_deg, lat2_deg, lon2_deg);
    s12_m / 1000.0
}

/// Depth (km, positive down from sea level) of a point at elevation
/// `elevation_km` above sea level: `depth = -elevation`.
pub fn depth_km_from_elevation_km(elevation_km: f64) -> f64 {
    -elevation_km
}

/// Depth (km, positive down) of a point at elevation `elevation_m` **metres**
/// above sea level (station files usually give metres).
pub fn depth_km_from_elevation_m(elevation_m: f64) -> f64 {
    -elevation_m / 1000.0
}

/// Elevation (km above sea level) of a point at depth `depth_km` (positive down).
pub fn elevation_km_from_depth_km(depth_km: f64) -> f64 {
    -depth_km
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_is_exact_to_micrometres() {
        let proj = LocalProjection::new(-117.6, 35.7).unwrap();
        for &(e, n) in &[
            (0.0, 0.0),
            (1.0, 0.0),
            (-150.0, 150.0),
            (149.9, -150.0),
            (-3.2, -77.7),
            (220.0, 5.0),
        ] {
            let (lon, lat) = proj.to_lonlat(e, n);
            let (e2, n2) = proj.to_local_km(lon, lat);
            assert!(
                (e - e2).abs() < 1e-9 && (n - n2).abs() < 1e-9,
                "{e},{n} -> {e2},{n2}"
            );
        }
        for &(lon, lat) in &[
            (-117.6, 35.7),
            (-116.0, 36.9),
            (-119.1, 34.5),
            (-117.61, 35.71),
        ] {
            let (e, n) = proj.to_local_km(lon, lat);
            let (lon2, lat2) = proj.to_lonlat(e, n);
            assert!((lon - lon2).abs() < 1e-11 && (lat - lat2).abs() < 1e-11);
        }
    }

    #[test]
    fn axes_point_east_and_north() {
        let proj = LocalProjection::new(10.0, 45.0).unwrap();
        let (e, n) = proj.to_local_km(10.1, 45.0);
        assert!(e > 7.8 && e < 7.9 && n.abs() < 0.01, "{e} {n}"); // 0.1° lon at 45° ≈ 7.88 km
        let (e, n) = proj.to_local_km(10.0, 44.9);
        assert!(e.abs() < 1e-9 && n < -11.0 && n > -11.2, "{e} {n}");
    }

    #[test]
    fn distance_from_origin_is_geodesic() {
        let proj = LocalProjection::new(-117.6, 35.7).unwrap();
        let (e, n) = proj.to_local_km(-116.3, 36.6);
        let d = geodesic_distance_km(-117.6, 35.7, -116.3, 36.6);
        assert!((e.hypot(n) - d).abs() < 1e-9);
    }

    #[test]
    fn invalid_origin_is_an_error() {
        assert!(LocalProjection::new(0.0, 91.0).is_err());
        assert!(LocalProjection::new(f64::NAN, 0.0).is_err());
        assert!(LocalProjection::new(0.0, f64::INFINITY).is_err());
    }

    #[test]
    fn serialises_as_origin() {
        let proj = LocalProjection::new(-117.6, 35.7).unwrap();
        let s = serde_json::to_string(&proj).unwrap();
        assert_eq!(s, r#"{"lon_deg":-117.6,"lat_deg":35.7}"#);
        let back: LocalProjection = serde_json::from_str(&s).unwrap();
        assert_eq!(back, proj);
        assert!(serde_json::from_str::<LocalProjection>(r#"{"lon_deg":0,"lat_deg":95}"#).is_err());
    }

    #[test]
    fn depth_is_minus_elevation() {
        assert_eq!(depth_km_from_elevation_km(1.2), -1.2);
        assert_eq!(depth_km_from_elevation_m(1200.0), -1.2);
        assert_eq!(elevation_km_from_depth_km(5.0), -5.0);
    }
}
