//! Convergence of the factored eikonal solver: halving the grid spacing must
//! shrink the max-norm error (vs the analytic vertical-gradient solution) at
//! about second order. Region 40 x 40 x 20 km at 2, 1 and 0.5 km spacing;
//! the error is measured at the nodes of the 2 km grid (common to all three)
//! beyond 5 km from the source, where the analytic ray stays in the grid.
//! Each test runs the 2D reduction (the medium varies with depth only) and
//! the 3D march.

mod eikonal_common;

use eikonal_common::{both_paths, distance, velocity_grid, Gradient};
use eqnemix_traveltime::{solve_eikonal, EikonalOptions, GridGeometry};

/// Max |error| (s) on the 2 km sub-grid for spacing `h` (km), with the
/// source at `node_km + offset_cells * h`.
fn max_error(medium: Gradient, node_km: [f64; 3], offset_cells: [f64; 3], h: f64, opts: &EikonalOptions) -> f64 {
    let source: [f64; 3] = std::array::from_fn(|k| node_km[k] + offset_cells[k] * h);
    let n = [(40.0 / h) as usize + 1, (40.0 / h) as usize + 1, (20.0 / h) as usize + 1];
    let geometry = GridGeometry { n, origin_km: [0.0; 3], spacing_km: [h; 3] };
    let field = solve_eikonal(&velocity_grid(geometry, |p| medium.velocity(p)), source, opts, None).unwrap();
    let step = (2.0 / h).round() as usize;
    let mut err: f64 = 0.0;
    for ix in (0..n[0]).step_by(step) {
        for iy in (0..n[1]).step_by(step) {
            for iz in (0..n[2]).step_by(step) {
                let p = geometry.node_position(ix, iy, iz);
                if distance(p, source) > 5.0 && medium.ray_bottom_depth(source, p) <= 20.0 {
                    err = err.max((field.time_at_node(ix, iy, iz) - medium.time(source, p)).abs());
                }
            }
        }
    }
    err
}

fn observed_orders(name: &str, node_km: [f64; 3], offset_cells: [f64; 3], opts: &EikonalOptions) -> Vec<f64> {
    // 3 km/s at the surface, 5 km/s at 20 km depth.
    let medium = Gradient { v0: 3.0, g: 0.1 };
    let errors: Vec<f64> = [2.0, 1.0, 0.5].iter().map(|&h| max_error(medium, node_km, offset_cells, h, opts)).collect();
    let orders: Vec<f64> = errors.windows(2).map(|e| (e[0] / e[1]).log2()).collect();
    println!("{name}: max errors {errors:?} s at h = 2, 1, 0.5 km; observed orders {orders:.2?}");
    orders
}

#[test]
fn second_order_convergence_with_a_buried_source() {
    for (path, opts) in both_paths(EikonalOptions::default()) {
        let orders = observed_orders(&format!("buried source, {path}"), [20.0, 20.0, 10.0], [0.0; 3], &opts);
        assert!(orders.iter().all(|&p| p > 1.7), "{path}: observed orders {orders:?}");
    }
}

#[test]
fn second_order_convergence_with_a_surface_source_off_the_nodes() {
    // Off-node source on the free surface: exercises the straight-ray start
    // inside a cell and the one-sided stencils along the surface. The source
    // keeps the same place within its cell at every spacing: the error
    // constant depends on that place, so moving it between spacings blurs
    // the observed order (a source fixed at (19.3, 20.6, 0) km gives max-norm
    // orders 1.9 and 1.6 while the mean error still falls at order 2.0).
    for (path, opts) in both_paths(EikonalOptions::default()) {
        let orders = observed_orders(&format!("surface source, {path}"), [20.0, 20.0, 0.0], [0.3, 0.6, 0.0], &opts);
        assert!(orders.iter().all(|&p| p > 1.7), "{path}: observed orders {orders:?}");
    }
}

#[test]
fn first_order_scheme_is_only_first_order() {
    // The same measurement shows the first-order variant for what it is,
    // so the test above can tell the two apart.
    for (path, opts) in both_paths(EikonalOptions { second_order: false, ..Default::default() }) {
        let orders = observed_orders(&format!("first-order scheme, {path}"), [20.0, 20.0, 10.0], [0.0; 3], &opts);
        assert!(orders.iter().all(|&p| p < 1.5), "{path}: observed orders {orders:?}");
    }
}

#[test]
fn second_order_convergence_with_a_buried_source_inside_a_cell() {
    for (path, opts) in both_paths(EikonalOptions::default()) {
        let orders = observed_orders(&format!("buried off-node source, {path}"), [20.0, 20.0, 10.0], [0.3, 0.6, 0.45], &opts);
        assert!(orders.iter().all(|&p| p > 1.7), "{path}: observed orders {orders:?}");
    }
}
