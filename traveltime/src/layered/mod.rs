//! Layered 1D velocity models: flat homogeneous layers over a half-space.
//!
//! - [`model`]: the layers and their validation ([`Layer`], [`Layered1D`]);
//! - [`rays`]: exact first arrivals (direct ray and head waves);
//! - [`table`]: per-station tabulation and smooth interpolation
//!   ([`TableSpec`], [`LayeredField`]);
//! - [`file`]: TOML and plain-text model files.

pub mod file;
pub mod model;
pub mod rays;
pub mod table;

pub use model::{validate_layers, Layer, Layered1D};
pub use rays::{Arrival, LayerStack};
pub use table::{LayeredField, TableSpec, TravelTimeTable};
