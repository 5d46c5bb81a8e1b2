//! The eikonal equation in a medium that varies with depth only, solved in
//! the vertical plane through the source and kept there: the 3D field is a
//! function of horizontal distance and depth.
//!
//! **Why it is exact.** When the velocity depends on depth alone, the
//! first-arrival ray from the source to any node lies in the vertical plane
//! through both: projecting any path onto the vertical strip above and below
//! the horizontal segment source-node keeps every point's depth (so its
//! velocity) and shortens its horizontal part (projection onto a convex set
//! is a contraction), and the strip lies inside the grid box. So the time
//! at a node is the 2D first-arrival time `T2(r, z)` at its horizontal
//! distance `r` from the source, and `T0 = s(x_s)·|x - x_s|` is the same
//! function of `(r, z)` in both problems: `tau3(x, y, z) = tau2(r, z)`.
//! (NonLinLoc's Grid2Time makes the same reduction for its 2D grids of a
//! layered model.)
//!
//! **How.** The 2D problem is solved by the same factored fast-marching
//! solver on a grid one node thick along y, `refinement` times finer than
//! the 3D grid in distance and depth (the velocity between the 3D depth
//! nodes interpolated linearly, the medium the 3D grid's trilinear
//! interpolation describes), from 2 nodes behind the source (the axis
//! `r = 0` is then inside the grid) to the farthest horizontal corner.
//! The field keeps `tau` on this plane ([`PlaneFactor`]) and interpolates
//! it bilinearly in `(r, z)`; the 3D depth nodes are plane nodes, so at a 3D
//! node only the distance is interpolated. `tau` is smooth (that is the
//! purpose of the factorisation), so this adds an error of
//! `O((h/refinement)²)`, as the second-order scheme does.
//!
//! **Cost.** A 201×201×41 grid becomes about 290×81 nodes at refinement 2:
//! the 3D march's 1.7 M accepted nodes and their cache misses are replaced
//! by 23 k nodes, and the field holds 94 kB instead of 6.6 MB.

use super::solver;
use super::EikonalOptions;
use crate::plane_factor::PlaneFactor;
use crate::{Grid3, GridGeometry};

/// Nodes of the 2D grid on the far side of the axis `r = 0` (the source
/// is then an interior node of the distance axis).
const BEHIND_AXIS: usize = 2;

/// True when every column of `velocity` (all depths at one `(x, y)`) is
/// the same as the first: the medium varies with depth only.
pub(crate) fn depth_only(velocity: &Grid3<f64>) -> bool {
    let nz = velocity.geometry.n[2];
    let (first, rest) = velocity.data.split_at(nz);
    rest.chunks_exact(nz).all(|column| column == first)
}

/// `tau = T / T0` on the vertical plane through the source (km, inside
/// `velocity`'s grid) of a medium that varies with depth only
/// ([`depth_only`]); `source_slowness` (s/km) is the trilinear slowness at
/// the source, as for the 3D march.
///
/// `refinement` (at least 1) divides the 3D spacing for the 2D grid.
pub(crate) fn solve_depth_only(
    velocity: &Grid3<f64>,
    source: [f64; 3],
    source_slowness: f64,
    opts: &EikonalOptions,
    refinement: usize,
) -> PlaneFactor {
    let g = velocity.geometry;
    let m = refinement.max(1);
    let column = &velocity.data[..g.n[2]];
    // The 2D grid: distance along x (from BEHIND_AXIS nodes behind the
    // axis to beyond the farthest corner), one node along y, depth along z
    // with the 3D depth nodes every `m` nodes.
    let hr = g.spacing_km[0].min(g.spacing_km[1]) / m as f64;
    let max = g.max_km();
    let r_max = [g.origin_km[0], max[0]]
        .iter()
        .flat_map(|&x| [g.origin_km[1], max[1]].map(|y| (x - source[0]).hypot(y - source[1])))
        .fold(0.0, f64::max);
    let nr = BEHIND_AXIS + (r_max / hr).ceil() as usize + 2;
    let nz = (g.n[2] - 1) * m + 1;
    let plane = GridGeometry {
        n: [nr, 1, nz],
        origin_km: [-(BEHIND_AXIS as f64) * hr, 0.0, g.origin_km[2]],
        spacing_km: [hr, hr, g.spacing_km[2] / m as f64],
    };
    let plane_column: Vec<f64> = (0..nz)
        .map(|k| {
            let (iz, part) = (k / m, (k % m) as f64 / m as f64);
            if part == 0.0 {
                column[iz]
            } else {
                column[iz] + part * (column[iz + 1] - column[iz])
            }
        })
        .collect();
    let mut data = Vec::with_capacity(plane.len());
    for _ in 0..nr {
        data.extend_from_slice(&plane_column);
    }
    let plane_velocity = Grid3 { geometry: plane, data };
    let tau2 = solver::fast_march(&plane_velocity, [0.0, 0.0, source[2]], source_slowness, opts, None);

    PlaneFactor::new(tau2, [nr, nz], [plane.origin_km[0], plane.origin_km[2]], [hr, plane.spacing_km[2]], m)
}
