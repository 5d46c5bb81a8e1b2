//! How a [`VelocityModel3D`](super::VelocityModel3D) holds one phase's
//! velocities: a grid of values, or a rule that makes the grid on first use.
//!
//! A grid of 10^8 nodes is 800 MB. A model read with one velocity, or with
//! Vs = Vp / one ratio, solves without it (a uniform medium is solved
//! exactly, and the S field of a constant ratio is the P field scaled), so
//! such grids are made only if a caller asks for them.

use crate::{Grid3, GridGeometry};
use std::sync::OnceLock;

/// One phase's velocities (km/s) at the nodes.
#[derive(Debug, Clone)]
pub(super) enum NodeVelocity {
    /// A value at every node.
    Grid(Grid3<f64>),
    /// `value` at every node of `geometry`.
    Uniform { geometry: GridGeometry, value: f64, grid: OnceLock<Grid3<f64>> },
    /// The P velocities divided by `ratio` (only for S).
    Ratio { ratio: f64, grid: OnceLock<Grid3<f64>> },
}

impl NodeVelocity {
    pub(super) fn uniform(geometry: GridGeometry, value: f64) -> Self {
        NodeVelocity::Uniform { geometry, value, grid: OnceLock::new() }
    }

    pub(super) fn ratio(ratio: f64) -> Self {
        NodeVelocity::Ratio { ratio, grid: OnceLock::new() }
    }

    /// The grid of values, made on the first call; `p` gives the P grid a
    /// ratio divides.
    pub(super) fn grid<'a>(&'a self, p: impl FnOnce() -> &'a Grid3<f64>) -> &'a Grid3<f64> {
        match self {
            NodeVelocity::Grid(g) => g,
            NodeVelocity::Uniform { geometry, value, grid } => {
                grid.get_or_init(|| Grid3 { geometry: *geometry, data: vec![*value; geometry.len()] })
            }
            NodeVelocity::Ratio { ratio, grid } => grid.get_or_init(|| {
                let p = p();
                Grid3 { geometry: p.geometry, data: p.data.iter().map(|v| v / ratio).collect() }
            }),
        }
    }

    /// The velocity when it is known to be one value everywhere (a model
    /// given as a grid is not scanned).
    pub(super) fn uniform_value(&self) -> Option<f64> {
        match self {
            NodeVelocity::Uniform { value, .. } => Some(*value),
            _ => None,
        }
    }

    /// The grid, once [`grid`](Self::grid) has made it.
    ///
    /// # Panics
    /// When a grid held as a rule was not made first.
    pub(super) fn into_grid(self) -> Grid3<f64> {
        match self {
            NodeVelocity::Grid(g) => g,
            NodeVelocity::Uniform { grid, .. } | NodeVelocity::Ratio { grid, .. } => {
                grid.into_inner().expect("the grid, made by grid() first")
            }
        }
    }
}
