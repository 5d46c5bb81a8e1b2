//! Regular 3D grids (velocity, slowness, travel time) in the NonLinLoc layout.

use serde::{Deserialize, Serialize};

/// Geometry of a regular 3D grid: node `(ix, iy, iz)` sits at
/// `origin_km + [ix, iy, iz] * spacing_km`. Axes: x east, y north, z depth
/// (km, positive down), as in NonLinLoc.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GridGeometry {
    /// Number of nodes along x, y, z.
    pub n: [usize; 3],
    /// Position (km) of node (0, 0, 0).
    pub origin_km: [f64; 3],
    /// Node spacing (km) along x, y, z.
    pub spacing_km: [f64; 3],
}

impl GridGeometry {
    /// Total number of nodes.
    pub fn len(&self) -> usize {
        self.n[0] * self.n[1] * self.n[2]
    }

    /// True when the grid has no node.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Linear index of node `(ix, iy, iz)`: z varies fastest, then y, then x
    /// (the order of NonLinLoc `.buf` files).
    #[inline]
    pub fn index(&self, ix: usize, iy: usize, iz: usize) -> usize {
        (ix * self.n[1] + iy) * self.n[2] + iz
    }

    /// The node `(ix, iy, iz)` of linear index `i`, the inverse of
    /// [`index`](Self::index).
    #[inline]
    pub fn node_of_index(&self, i: usize) -> (usize, usize, usize) {
        (i / (self.n[1] * self.n[2]), (i / self.n[2]) % self.n[1], i % self.n[2])
    }

    /// Position (km) of node `(ix, iy, iz)`.
    #[inline]
    pub fn node_position(&self, ix: usize, iy: usize, iz: usize) -> [f64; 3] {
        [
            self.origin_km[0] + ix as f64 * self.spacing_km[0],
            self.origin_km[1] + iy as f64 * self.spacing_km[1],
            self.origin_km[2] + iz as f64 * self.spacing_km[2],
        ]
    }

    /// The far corner (km) of the grid, node `(nx-1, ny-1, nz-1)`.
    pub fn max_km(&self) -> [f64; 3] {
        self.node_position(self.n[0] - 1, self.n[1] - 1, self.n[2] - 1)
    }
}

/// Values on a regular grid, stored in [`GridGeometry::index`] order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grid3<T> {
    /// Geometry.
    pub geometry: GridGeometry,
    /// One value per node.
    pub data: Vec<T>,
}
