//! Velocity models on regular grids, the input of the eikonal solver.
//!
//! [`VelocityModel3D`] holds P and S velocities (km/s) on one
//! [`GridGeometry`](crate::GridGeometry) (x east, y north, z depth positive
//! down, km). It is built from NonLinLoc grids, from a Vp grid and a Vp/Vs
//! ratio, from a depth profile (a layered model sampled at the nodes), or from
//! a CSV of scattered points `longitude, latitude, depth, Vp, Vs` as published
//! 3D models come, projected to local km by a caller-given projection and
//! interpolated layer by layer ([`scattered_grid`] explains how).

/// Slowest and fastest seismic velocity (km/s) a model may hold: from very
/// soft sediments (S ~0.05 km/s) to beyond the inner core's P (~11.3 km/s).
/// Velocities outside it are typing errors (1e-300 km/s gave infinite grids).
pub const VELOCITY_RANGE_KM_S: (f64, f64) = (0.01, 20.0);

/// Check a P and S velocity pair (km/s): finite, within
/// [`VELOCITY_RANGE_KM_S`], and `vp > vs` (an S wave faster than P means a
/// negative bulk modulus, or swapped columns). `names` are the caller's
/// names of the two fields; the message starts with the offending one.
pub fn check_vp_vs(vp: f64, vs: f64, names: [&str; 2]) -> Result<(), String> {
    let (lo, hi) = VELOCITY_RANGE_KM_S;
    for (name, v) in names.iter().zip([vp, vs]) {
        if !(v.is_finite() && v > 0.0) {
            return Err(format!("{name} = {v:?} km/s must be positive and finite"));
        }
        if !(lo..=hi).contains(&v) {
            return Err(format!("{name} = {v:?} km/s is outside the physical range [{lo}, {hi}] km/s"));
        }
    }
    if vp <= vs {
        return Err(format!("{} = {vp:?} km/s must exceed {} = {vs:?} km/s", names[0], names[1]));
    }
    Ok(())
}

mod model3d;
mod node_velocity;
mod scattered_csv;
pub mod scattered_grid;
mod uniform_ratio;

pub use model3d::{VelocityModel3D, VpVsRatio};
pub(crate) use model3d::check_velocity_grid;
pub use scattered_csv::{read_velocity_csv, ScatteredVelocityPoint, VELOCITY_CSV_COLUMNS};
pub use uniform_ratio::uniform_vp_vs;
pub use scattered_grid::{LayerReport, LocalVelocityPoint, ScatteredOptions, ScatteredReport};
