//! Longitudes and latitudes to the local km frame of a location (the
//! projection `eqnemix locate` uses for stations and clusters).

use crate::locate::value_error;
use eqnemix::geo::LocalProjection;
use pyo3::prelude::*;

/// `(east_km, north_km)` of each `(lon_deg, lat_deg)` in the local frame
/// about `origin_lon_lat` (degrees; WGS84 azimuthal equidistant, the frame
/// of `clusters_gaussian.json`). ValueError for an invalid origin or a
/// non-finite or out-of-range coordinate, naming its index.
#[pyfunction]
pub fn local_km(lon_deg: Vec<f64>, lat_deg: Vec<f64>, origin_lon_lat: (f64, f64)) -> PyResult<Vec<(f64, f64)>> {
    if lon_deg.len() != lat_deg.len() {
        return Err(value_error(format!("{} longitudes for {} latitudes", lon_deg.len(), lat_deg.len())));
    }
    let p = LocalProjection::new(origin_lon_lat.0, origin_lon_lat.1).map_err(|e| value_error(format!("origin_lon_lat: {e}")))?;
    lon_deg
        .iter()
        .zip(&lat_deg)
        .enumerate()
        .map(|(i, (&lon, &lat))| {
            if !(lon.is_finite() && lat.is_finite() && lat.abs() <= 90.0) {
                return Err(value_error(format!("point {i}: longitude {lon} / latitude {lat} degrees is not a position")));
            }
            Ok(p.to_local_km(lon, lat))
        })
        .collect()
}
