//! NonLinLoc's velocity-grid convention: Vel2Grid stores for node
//! `(ix, iy, iz)` the velocity at the *centre of the cell* that starts at
//! that node, `(x0 + (ix + ½)dx, y0 + (iy + ½)dy, z0 + (iz + ½)dz)`
//! (NonLinLoc's `VelModToGrid3d`: "staggered grid assumed, thus vel lookup
//! is shifted +dx/2"), while Grid2Time's travel times are at the nodes
//! `(x0 + ix·dx, ...)`. Verified on the golden grid
//! `tests/data/nonlinloc/tiny.P.mod` (an interface at 3.3 km depth: the
//! node at 3 km holds the 6 km/s of the cell centre at 3.5 km).
//!
//! eqnemix's eikonal solver takes velocities at the nodes, so a NonLinLoc
//! velocity grid is converted on reading ([`cell_centres_to_nodes`]) and
//! back on writing ([`nodes_to_cell_centres`]). Both average *slowness*
//! (travel time per km is what adds up along a ray) over the neighbours:
//! a node takes the mean slowness of the up-to-8 cells around it (the
//! cells `i-1` and `i` along each axis, clamped at the grid's edges; this is
//! trilinear interpolation of the cell-centre slowness at the node), and a
//! cell takes the mean slowness of its up-to-8 corner nodes (`i` and
//! `i+1`, clamped). A uniform grid is unchanged by either.

use crate::grid::Grid3;

/// Mean slowness of `v` over the index ranges `ranges` (one per axis), as a
/// velocity.
fn mean_slowness(v: &Grid3<f64>, ranges: [[usize; 2]; 3]) -> f64 {
    let (mut sum, mut n) = (0.0, 0usize);
    for ix in ranges[0][0]..=ranges[0][1] {
        for iy in ranges[1][0]..=ranges[1][1] {
            for iz in ranges[2][0]..=ranges[2][1] {
                sum += 1.0 / v.data[v.geometry.index(ix, iy, iz)];
                n += 1;
            }
        }
    }
    n as f64 / sum
}

/// Velocities at the nodes from a NonLinLoc (Vel2Grid) grid `cells` whose
/// value `(ix, iy, iz)` is the velocity at that cell's centre (km/s; same
/// geometry in and out).
///
/// The mean slowness over the (up to 8) cells around a node is computed
/// axis by axis (the mean over a product of index ranges is the iterated
/// mean), one x-slab at a time: the same values as averaging the 8 cells
/// at each node, to rounding, in a few passes over memory.
pub fn cell_centres_to_nodes(cells: &Grid3<f64>) -> Grid3<f64> {
    cell_centres_into_nodes(cells.clone())
}

/// [`cell_centres_to_nodes`] in place (no second copy of a grid that may
/// hold 10^8 values): node slab `ix` needs the cell slabs `ix - 1` and `ix`,
/// so each slab is averaged in y and z before it is overwritten.
pub fn cell_centres_into_nodes(mut grid: Grid3<f64>) -> Grid3<f64> {
    let [_, ny, nz] = grid.geometry.n;
    let plane = ny * nz;
    // Node i lies between cells i - 1 and i (the first node on cell 0). The
    // passes are whole-slice operations the compiler vectorises.
    fn pair_means(cells: &[f64], nodes: &mut [f64], stride: usize) {
        nodes[..stride].copy_from_slice(&cells[..stride]);
        let (before, after) = (&cells[..cells.len() - stride], &cells[stride..]);
        for ((n, a), b) in nodes[stride..].iter_mut().zip(before).zip(after) {
            *n = 0.5 * (a + b);
        }
    }
    let mut slowness = vec![0.0; plane];
    let mut along_z = vec![0.0; plane];
    let mut before: Vec<f64> = Vec::new();
    let mut current = vec![0.0; plane];
    for slab in grid.data.chunks_exact_mut(plane) {
        // The slab's slowness averaged over the cells around each node in
        // z (column by column), then in y (a stride of one column).
        for (s, v) in slowness.iter_mut().zip(slab.iter()) {
            *s = 1.0 / v;
        }
        for (cells, nodes) in slowness.chunks_exact(nz).zip(along_z.chunks_exact_mut(nz)) {
            pair_means(cells, nodes, 1);
        }
        pair_means(&along_z, &mut current, nz);
        if before.is_empty() {
            slab.iter_mut().zip(&current).for_each(|(v, s)| *v = 1.0 / s);
            before = current.clone();
        } else {
            slab.iter_mut().zip(before.iter().zip(&current)).for_each(|(v, (a, b))| *v = 1.0 / (0.5 * (a + b)));
            std::mem::swap(&mut before, &mut current);
        }
    }
    grid
}

/// The NonLinLoc (Vel2Grid) layout of node velocities `nodes`: value
/// `(ix, iy, iz)` is the velocity at the centre of the cell starting at that
/// node (km/s; same geometry in and out).
pub fn nodes_to_cell_centres(nodes: &Grid3<f64>) -> Grid3<f64> {
    let g = nodes.geometry;
    let mut data = vec![0.0; nodes.data.len()];
    for ix in 0..g.n[0] {
        for iy in 0..g.n[1] {
            for iz in 0..g.n[2] {
                let r = |i: usize, n: usize| [i, (i + 1).min(n - 1)];
                data[g.index(ix, iy, iz)] = mean_slowness(nodes, [r(ix, g.n[0]), r(iy, g.n[1]), r(iz, g.n[2])]);
            }
        }
    }
    Grid3 { geometry: g, data }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::GridGeometry;

    /// The node values by the definition: the harmonic mean of the (up to
    /// 8) cells around each node, averaged at once.
    fn cell_centres_to_nodes_directly(cells: &Grid3<f64>) -> Grid3<f64> {
        let g = cells.geometry;
        let mut data = vec![0.0; cells.data.len()];
        for ix in 0..g.n[0] {
            for iy in 0..g.n[1] {
                for iz in 0..g.n[2] {
                    let r = |i: usize| [i.saturating_sub(1), i];
                    data[g.index(ix, iy, iz)] = mean_slowness(cells, [r(ix), r(iy), r(iz)]);
                }
            }
        }
        Grid3 { geometry: g, data }
    }

    #[test]
    fn the_axis_by_axis_mean_equals_the_eight_cell_mean() {
        let geometry = GridGeometry { n: [5, 4, 7], origin_km: [0.0; 3], spacing_km: [1.0; 3] };
        let mut state = 12345u64;
        let data = (0..geometry.len())
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                2.0 + 6.0 * ((state >> 11) as f64 / (1u64 << 53) as f64)
            })
            .collect();
        let cells = Grid3 { geometry, data };
        let (fast, direct) = (cell_centres_to_nodes(&cells), cell_centres_to_nodes_directly(&cells));
        for (a, b) in fast.data.iter().zip(&direct.data) {
            assert!((a - b).abs() <= 1e-13 * b, "{a} vs {b}");
        }
    }

    #[test]
    fn a_step_in_depth_moves_half_a_cell() {
        let geometry = GridGeometry { n: [2, 2, 4], origin_km: [0.0; 3], spacing_km: [1.0; 3] };
        // Cells centred at z = 0.5, 1.5, 2.5, 3.5: 4 km/s above 2 km, 8 below.
        let v = |iz: usize| if iz < 2 { 4.0 } else { 8.0 };
        let mut data = vec![0.0; geometry.len()];
        for ix in 0..2 {
            for iy in 0..2 {
                for iz in 0..4 {
                    data[geometry.index(ix, iy, iz)] = v(iz);
                }
            }
        }
        let cells = Grid3 { geometry, data };
        let nodes = cell_centres_to_nodes(&cells);
        let at = |g: &Grid3<f64>, iz| g.data[geometry.index(1, 0, iz)];
        // The node at z = 2 km, on the interface, averages slowness 1/4 and 1/8.
        assert_eq!([at(&nodes, 0), at(&nodes, 1), at(&nodes, 3)], [4.0, 4.0, 8.0]);
        assert!((at(&nodes, 2) - 2.0 / (0.25 + 0.125)).abs() < 1e-12);
        // Uniform grids are unchanged both ways.
        let uniform = Grid3 { geometry, data: vec![5.5; geometry.len()] };
        for g in [cell_centres_to_nodes(&uniform), nodes_to_cell_centres(&uniform)] {
            assert!(g.data.iter().all(|v| (v - 5.5).abs() < 1e-12));
        }
    }
}
