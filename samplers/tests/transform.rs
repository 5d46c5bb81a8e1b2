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
