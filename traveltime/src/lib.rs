//! # eqnemix-traveltime
//!
//! Travel-time models behind one seam. A [`TravelTimeModel`] yields, for one
//! [`Station`] and one [`Phase`], a [`TravelTimeField`] that answers the
//! travel time (s) and its gradient (s/km) at any point of its domain, and a
//! clear [`OutsideDomain`] error elsewhere.
//!
//! Coordinates are local Cartesian kilometres: `x` east, `y` north, `z` depth
//! positive down (a station 1.2 km above the datum has `z = -1.2`).
//! This crate knows nothing about samplers or neural networks.

pub mod error;
pub mod field;
pub mod grid;
pub mod value_range;
pub mod eikonal;
pub mod time_grid;
mod plane_factor;
pub mod nll;
pub mod velocity;
pub mod homogeneous;
pub mod layered;

pub use error::{OutsideDomain, TravelTimeError};
pub use field::{Phase, Station, TravelTimeField, TravelTimeModel};
pub use grid::{Grid3, GridGeometry};
pub use eikonal::{solve_eikonal, EikonalModel, EikonalOptions};
pub use time_grid::TimeGrid;
pub use homogeneous::{Homogeneous, HomogeneousField};
pub use layered::{Layer, Layered1D, LayeredField, TableSpec};
