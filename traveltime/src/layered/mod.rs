//! Layered 1D velocity models: flat homogeneous layers over a half-space.
//!
//! - [`model`]: the layers and their validation ([`Layer`], [`Layered1D`]);
//! - [`rays`]: exact first arrivals (direct ray and head waves);
//! - [`table`]: per-station tabulation and smooth interpolation
//!   ([`TableSpec`], [`LayeredField`]);
//! - [`file`](mod@file): TOML and plain-text model files.
//!
//! Units: depths and distances km (depth positive down), velocities km/s,
//! times s, gradients s/km.
//!
//! Physics and its limits:
//! - The first arrival is the earliest of the direct ray and the head waves
//!   along every interface below both the source and the station where the
//!   lower medium is faster than every layer the two legs cross, and along
//!   every interface above both ends where the upper medium is faster (a
//!   source and a borehole station under a fast lid).
//! - Reflections never arrive first and are not modelled.
//! - The first layer extends upward without bound (to elevated stations and
//!   shallow sources), the last layer downward.
//!
//! Accuracy: the exact solver agrees with closed forms and an independent
//! Fermat solver to ~1e-14 s; the default table interpolates it to better
//! than 0.1 ms in the tested crustal models (`tests/layered_table.rs`).

pub mod file;
pub mod model;
pub mod rays;
pub mod table;

pub use model::{validate_layers, Layer, Layered1D};
pub use rays::{Arrival, HeadWave, HeadWaves, LayerStack};
pub use table::{LayeredField, TableSpec, TravelTimeTable};
