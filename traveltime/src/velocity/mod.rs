//! Velocity models on regular grids, the input of the eikonal solver.
//!
//! [`VelocityModel3D`] holds P and S velocities (km/s) on one
//! [`GridGeometry`](crate::GridGeometry) (x east, y north, z depth positive
//! down, km). It is built from NonLinLoc grids, from a Vp grid and a Vp/Vs
//! ratio, from a depth profile (a layered model sampled at the nodes), or from
//! a CSV of scattered points `longitude, latitude, depth, Vp, Vs` as published
//! 3D models come, projected to local km by a caller-given projection and
//! interpolated layer by layer ([`scattered_grid`] explains how).

mod model3d;
mod scattered_csv;
pub mod scattered_grid;

pub use model3d::{VelocityModel3D, VpVsRatio};
pub use scattered_csv::{read_velocity_csv, ScatteredVelocityPoint, VELOCITY_CSV_COLUMNS};
pub use scattered_grid::{LayerReport, LocalVelocityPoint, ScatteredOptions, ScatteredReport};
