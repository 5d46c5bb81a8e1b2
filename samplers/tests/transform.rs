//! NUTS through a `BoxTransform` samples bounded densities correctly: a
//! uniform on an interval, a half-normal (one-sided lower bound, like
//! depth `>= 0` km) and an upper-truncated normal, whose exact moments are known.
//! Tolerances as in `gaussian.rs` (4 MCSE means, 5 MCSE second moments).

mod gaussian_common;

use eqnemix_samplers::nuts::NutsConfig;
use eqnemix_samplers::transform::{Bounds, BoxTransform};
use eqnemix_samplers::{run_chains, GradLogDensity, LogDensity};
use gaussian_common::check_moments;
use std::f64::consts::PI;

/// Constant in x0, N(0, 2^2) in x1, N(1, 1) in x2 — on R^3. The box
/// supplies the support: x0 in [-2, 3], x1 >= 0, x2 <= 1.
struct Product;
impl LogDensity for Product {
    fn dim(&self) -> usize {
        3
    }
    fn log_density(&self, x: &[f64]) -> f64 {
        -0.5 * (x[1] / 2.0).powi(2) - 0.5 * (x[2] - 1.0).powi(2)
    }
}
impl GradLogDensity for Product {
    fn log_density_and_gradient(&self, x: &[f64], g: &mut [f64]) -> f64 {
        g[0] = 0.0;
        g[1] = -x[1] / 4.0;
        g[2] = -(x[2] - 1.0);
        self.log_density(x)
    }
}

#[test]
fn nuts_in_a_box_recovers_truncated_moments() {
    let t = BoxTransform::new(
        Product,
        vec![
            Bounds::interval(-2.0, 3.0),
            Bounds::at_least(0.0),
            Bounds::at_most(1.0),
        ],
    )
    .unwrap();
    let inits: Vec<Vec<f64>> = [
        [0.0, 1.0, 0.0],
        [2.0, 0.5, -1.0],
        [-1.0, 3.0, 0.5],
        [1.0, 0.1, 0.9],
    ]
    .iter()
    .map(|x| t.to_unconstrained(x).unwrap())
    .collect();
    let cfg = NutsConfig {
        n_warmup: 800,
        n_draws: 1500,
        ..Default::default()
    };
    let chains: Vec<_> = run_chains(&cfg, &t, &inits, 41)
        .unwrap()
        .iter()
        .map(|d| t.constrain_draws(d))
        .collect();
    for c in &chains {
        for x in c.iter() {
            assert!(
                (-2.0..=3.0).contains(&x[0]) && x[1] >= 0.0 && x[2] <= 1.0,
                "draw {x:?} outside the box"
            );
        }
    }
    let h = (2.0 / PI).sqrt();
    // Uniform[-2,3]: mean 0.5, var 25/12. Half-normal sd 2: mean 2h, var 4(1-2/pi).
    // N(1,1) truncated above at 1: mean 1-h, var 1-2/pi.
    let mean = [0.5, 2.0 * h, 1.0 - h];
    let var = [25.0 / 12.0, 4.0 * (1.0 - 2.0 / PI), 1.0 - 2.0 / PI];
    check_moments(
        "nuts-box",
        &chains,
        &mean,
        &|i, j| if i == j { var[i] } else { 0.0 },
        4.0,
        5.0,
        300.0,
    );
}

mod properties {
    use eqnemix_samplers::targets::CorrelatedGaussian;
    use eqnemix_samplers::transform::{Bounds, BoxTransform};
    use eqnemix_samplers::{GradLogDensity, LogDensity};
    use proptest::prelude::*;

    fn bounds_strategy() -> impl Strategy<Value = Bounds> {
        (0u8..4, -50.0f64..50.0, 0.01f64..100.0).prop_map(|(k, a, w)| match k {
            0 => Bounds::interval(a, a + w),
            1 => Bounds::at_least(a),
            2 => Bounds::at_most(a),
            _ => Bounds::free(),
        })
    }

    proptest! {
        /// Any box, any interior point: y -> x -> y round-trips, the
        /// gradient matches finite differences, and the density equals the
        /// inner density plus the log-Jacobian.
        #[test]
        fn round_trip_gradient_and_jacobian(
            b in proptest::collection::vec(bounds_strategy(), 3),
            u in proptest::collection::vec(0.05f64..0.95, 3),
        ) {
            let x: Vec<f64> = b.iter().zip(&u).map(|(b, u)| match (b.lower, b.upper) {
                (Some(a), Some(c)) => a + u * (c - a),
                (Some(a), None) => a + 10.0 * u,
                (None, Some(c)) => c - 10.0 * u,
                (None, None) => 20.0 * u - 10.0,
            }).collect();
            let g = CorrelatedGaussian::ar1(vec![1.0, -2.0, 0.5], &[3.0, 5.0, 2.0], 0.3).unwrap();
            let t = BoxTransform::new(g.clone(), b).unwrap();
            let y = t.to_unconstrained(&x).unwrap();
            let mut back = [0.0; 3];
            t.to_constrained(&y, &mut back);
            for i in 0..3 {
                prop_assert!((back[i] - x[i]).abs() < 1e-9 * (1.0 + x[i].abs()));
            }
            let lp = t.log_density(&y);
            prop_assert!((lp - (g.log_density(&back) + t.log_jacobian(&y))).abs() < 1e-9);
            let mut grad = [0.0; 3];
            prop_assert!((t.log_density_and_gradient(&y, &mut grad) - lp).abs() < 1e-12);
            for i in 0..3 {
                let h = 1e-5;
                let (mut yp, mut ym) = (y.clone(), y.clone());
                yp[i] += h;
                ym[i] -= h;
                let fd = (t.log_density(&yp) - t.log_density(&ym)) / (2.0 * h);
                prop_assert!((fd - grad[i]).abs() < 1e-5 * (1.0 + fd.abs()), "coord {}: {} vs {}", i, fd, grad[i]);
            }
        }
    }
}
