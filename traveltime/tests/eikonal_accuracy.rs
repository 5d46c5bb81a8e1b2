//! Accuracy of the factored fast-marching solver against analytic travel
//! times on a 201 x 201 x 41 grid of 1 km spacing, source at a surface node.
//! Requirement: max |error| <= 0.01 s beyond 5 km from the source, at the
//! nodes and at random points between them (interpolated field).

mod eikonal_common;

use eikonal_common::{both_paths, distance, velocity_grid, Gradient, SplitMix};
use eqnemix_traveltime::{solve_eikonal, EikonalOptions, GridGeometry, TimeGrid, TravelTimeField};

const TOLERANCE_S: f64 = 0.01;
const MIN_DISTANCE_KM: f64 = 5.0;

fn geometry() -> GridGeometry {
    GridGeometry { n: [201, 201, 41], origin_km: [0.0; 3], spacing_km: [1.0; 3] }
}

/// Max error at the nodes and at 20 000 random points beyond 5 km where
/// `valid` (the analytic solution applies).
fn max_errors(
    field: &TimeGrid,
    source: [f64; 3],
    exact: impl Fn([f64; 3]) -> f64,
    valid: impl Fn([f64; 3]) -> bool,
) -> (f64, f64) {
    let g = geometry();
    let mut node_err: f64 = 0.0;
    let mut checked = 0usize;
    for ix in 0..g.n[0] {
        for iy in 0..g.n[1] {
            for iz in 0..g.n[2] {
                let p = g.node_position(ix, iy, iz);
                if distance(p, source) > MIN_DISTANCE_KM && valid(p) {
                    node_err = node_err.max((field.time_at_node(ix, iy, iz) - exact(p)).abs());
                    checked += 1;
                }
            }
        }
    }
    // The exclusions must leave most of the grid under test.
    assert!(checked as f64 > 0.8 * g.len() as f64, "only {checked} of {} nodes checked", g.len());
    let mut rng = SplitMix(20261126);
    let max = g.max_km();
    let mut point_err: f64 = 0.0;
    let mut count = 0;
    while count < 20_000 {
        let p = [rng.uniform(0.0, max[0]), rng.uniform(0.0, max[1]), rng.uniform(0.0, max[2])];
        if distance(p, source) <= MIN_DISTANCE_KM || !valid(p) {
            continue;
        }
        count += 1;
        point_err = point_err.max((field.time(p).unwrap() - exact(p)).abs());
    }
    (node_err, point_err)
}

#[test]
fn homogeneous_medium_matches_straight_rays() {
    let v = 6.0;
    let source = [90.0, 110.0, 0.0];
    let field = solve_eikonal(&velocity_grid(geometry(), |_| v), source, &EikonalOptions::default(), None).unwrap();
    let (node_err, point_err) = max_errors(&field, source, |p| distance(p, source) / v, |_| true);
    println!("homogeneous: max error {node_err:.2e} s at nodes, {point_err:.2e} s at random points");
    assert!(node_err <= TOLERANCE_S, "node error {node_err} s");
    assert!(point_err <= TOLERANCE_S, "interpolation error {point_err} s");
}

/// A uniform medium is answered without a march (`tau = 1`): the times
/// must be the straight-ray times, and the same (to the march's rounding)
/// as a march through a medium that differs only at one far node.
#[test]
fn uniform_medium_without_a_march_agrees_with_the_march() {
    let g = GridGeometry { n: [41, 37, 21], origin_km: [0.0; 3], spacing_km: [0.5, 0.5, 0.5] };
    let (v, source) = (5.5, [7.3, 9.1, 2.2]); // off-node source
    let uniform = velocity_grid(g, |_| v);
    let mut marched = uniform.clone();
    let last = marched.data.len() - 1;
    marched.data[last] = v * (1.0 + 1e-12); // not uniform: the march runs
    let a = solve_eikonal(&uniform, source, &EikonalOptions::default(), None).unwrap();
    let b = solve_eikonal(&marched, source, &EikonalOptions::default(), None).unwrap();
    let mut worst: f64 = 0.0;
    for ix in 0..g.n[0] {
        for iy in 0..g.n[1] {
            for iz in 0..g.n[2] {
                let p = g.node_position(ix, iy, iz);
                let ta = a.time_at_node(ix, iy, iz);
                assert!((ta - distance(p, source) / v).abs() < 1e-12, "node ({ix}, {iy}, {iz})");
                worst = worst.max((ta - b.time_at_node(ix, iy, iz)).abs());
            }
        }
    }
    assert!(worst < 1e-6, "uniform answer and march differ by {worst} s");
    let (t, grad) = a.time_and_gradient([15.0, 2.0, 8.0]).unwrap();
    let d = [15.0 - source[0], 2.0 - source[1], 8.0 - source[2]];
    let r = distance([15.0, 2.0, 8.0], source);
    assert!((t - r / v).abs() < 1e-9);
    for k in 0..3 {
        assert!((grad[k] - d[k] / (r * v)).abs() < 1e-6, "gradient {grad:?}");
    }
}

#[test]
fn vertical_gradient_matches_the_analytic_solution() {
    // 4 km/s at the surface, 6 km/s at 40 km. Points whose exact ray dives
    // below the grid bottom (deep points far away, reached by turning rays)
    // are excluded: there the gridded problem has no such ray.
    let medium = Gradient { v0: 4.0, g: 0.05 };
    let bottom = geometry().max_km()[2];
    let source = [90.0, 110.0, 0.0];
    let velocity = velocity_grid(geometry(), |p| medium.velocity(p));
    for (path, opts) in both_paths(EikonalOptions::default()) {
        let field = solve_eikonal(&velocity, source, &opts, None).unwrap();
        let (node_err, point_err) = max_errors(&field, source, |p| medium.time(source, p), |p| {
            medium.ray_bottom_depth(source, p) <= bottom
        });
        println!("gradient, {path}: max error {node_err:.2e} s at nodes, {point_err:.2e} s at random points");
        assert!(node_err <= TOLERANCE_S, "{path}: node error {node_err} s");
        assert!(point_err <= TOLERANCE_S, "{path}: interpolation error {point_err} s");
    }
}
