//! Gradients of the stored eikonal field: the analytic gradient of the
//! interpolant must match central finite differences of `time` at random
//! points (deterministic proptest), and the field must satisfy the eikonal
//! equation `|∇T| = 1/v` and point along the analytic rays.

mod eikonal_common;

use eikonal_common::{both_paths, distance, velocity_grid, Gradient, SplitMix};
use eqnemix_traveltime::{solve_eikonal, EikonalOptions, GridGeometry, TimeGrid, TravelTimeField};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const SOURCE: [f64; 3] = [13.4, 17.8, 3.3];

/// A laterally and vertically varying medium (km/s).
fn velocity(p: [f64; 3]) -> f64 {
    4.0 + 0.06 * p[2] + 0.3 * (p[0] / 5.0).sin() * (p[1] / 7.0).cos()
}

fn field() -> TimeGrid {
    let geometry = GridGeometry { n: [31, 36, 16], origin_km: [0.0, 0.0, 0.0], spacing_km: [1.0, 1.0, 0.75] };
    solve_eikonal(&velocity_grid(geometry, velocity), SOURCE, &EikonalOptions::default(), None).unwrap()
}

/// True when `x` lies within `margin` (in cell units) of a cell face, where
/// the trilinear gradient jumps and a finite difference straddles the kink.
fn near_cell_face(field: &TimeGrid, x: [f64; 3], margin: f64) -> bool {
    let g = field.geometry();
    (0..3).any(|k| {
        let u = (x[k] - g.origin_km[k]) / g.spacing_km[k];
        (u - u.round()).abs() < margin
    })
}

#[test]
fn gradient_matches_central_differences_at_random_points() {
    let field = field();
    let max = field.geometry().max_km();
    let mut runner = TestRunner::new_with_rng(
        Config { cases: 2000, failure_persistence: None, ..Config::default() },
        proptest::test_runner::TestRng::deterministic_rng(proptest::test_runner::RngAlgorithm::ChaCha),
    );
    let strategy = (0.0..max[0], 0.0..max[1], 0.0..max[2]);
    runner
        .run(&strategy, |(x, y, z)| {
            let p = [x, y, z];
            prop_assume!(distance(p, SOURCE) > 0.05 && !near_cell_face(&field, p, 1e-4));
            let (t, grad) = field.time_and_gradient(p).unwrap();
            prop_assert_eq!(t, field.time(p).unwrap());
            let step = 1e-6;
            for k in 0..3 {
                let (mut a, mut b) = (p, p);
                a[k] += step;
                b[k] -= step;
                let fd = (field.time(a).unwrap() - field.time(b).unwrap()) / (2.0 * step);
                prop_assert!((fd - grad[k]).abs() < 1e-6, "axis {} at {:?}: gradient {} vs finite difference {}", k, p, grad[k], fd);
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn field_satisfies_the_eikonal_equation_between_nodes() {
    // |∇T| = s(x) at random points beyond 3 km from the source. The
    // interpolant's gradient is first-order accurate, so allow 2 %.
    let field = field();
    let max = field.geometry().max_km();
    let mut rng = SplitMix(7);
    let mut worst: f64 = 0.0;
    let mut n = 0;
    while n < 5000 {
        let p = [rng.uniform(0.0, max[0]), rng.uniform(0.0, max[1]), rng.uniform(0.0, max[2])];
        if distance(p, SOURCE) < 3.0 {
            continue;
        }
        n += 1;
        let (_, g) = field.time_and_gradient(p).unwrap();
        let norm = (g[0] * g[0] + g[1] * g[1] + g[2] * g[2]).sqrt();
        worst = worst.max((norm * velocity(p) - 1.0).abs());
    }
    println!("max relative misfit of |grad T| = 1/v: {worst:.2e}");
    assert!(worst < 0.02, "|grad T| v - 1 up to {worst}");
}

#[test]
fn gradient_points_along_the_analytic_ray() {
    // Vertical gradient medium: compare with the gradient of the exact time.
    let medium = Gradient { v0: 3.0, g: 0.1 };
    let geometry = GridGeometry { n: [41, 41, 21], origin_km: [0.0; 3], spacing_km: [1.0; 3] };
    let source = [20.3, 19.6, 2.2];
    let velocity = velocity_grid(geometry, |p| medium.velocity(p));
    for (path, opts) in both_paths(EikonalOptions::default()) {
        let field = solve_eikonal(&velocity, source, &opts, None).unwrap();
        let mut rng = SplitMix(11);
        let (mut worst_angle, mut worst_norm): (f64, f64) = (0.0, 0.0);
        let mut n = 0;
        while n < 5000 {
            let p = [rng.uniform(0.0, 40.0), rng.uniform(0.0, 40.0), rng.uniform(0.0, 20.0)];
            if distance(p, source) < 3.0 || medium.ray_bottom_depth(source, p) > 20.0 {
                continue;
            }
            n += 1;
            let (_, g) = field.time_and_gradient(p).unwrap();
            let step = 1e-5;
            let exact: Vec<f64> = (0..3)
                .map(|k| {
                    let (mut a, mut b) = (p, p);
                    a[k] += step;
                    b[k] -= step;
                    (medium.time(source, a) - medium.time(source, b)) / (2.0 * step)
                })
                .collect();
            let dot: f64 = (0..3).map(|k| g[k] * exact[k]).sum();
            let ng = g.iter().map(|c| c * c).sum::<f64>().sqrt();
            let ne = exact.iter().map(|c| c * c).sum::<f64>().sqrt();
            worst_angle = worst_angle.max((dot / (ng * ne)).clamp(-1.0, 1.0).acos().to_degrees());
            worst_norm = worst_norm.max((ng / ne - 1.0).abs());
        }
        println!("{path}: ray direction error up to {worst_angle:.3} degrees, slowness error up to {worst_norm:.2e}");
        assert!(worst_angle < 1.0, "{path}: ray direction off by {worst_angle} degrees");
        assert!(worst_norm < 0.02, "{path}: |grad T| off by {worst_norm}");
    }
}
