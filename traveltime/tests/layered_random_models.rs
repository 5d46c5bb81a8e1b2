//! Random layered models (proptest, fixed seed): properties any correct
//! first-arrival field must have, whatever the layering.
//!
//! - Fermat bounds: the first arrival is no later than travel along the
//!   straight station–source line (a valid path, timed layer by layer) and
//!   no earlier than that line at the fastest velocity of the model;
//! - continuity across interfaces (the limits from above and below agree);
//! - the table reproduces the exact solver.

use eqnemix_traveltime::{Layer, Layered1D, Phase, TableSpec};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, RngSeed};

fn config(cases: u32) -> Config {
    Config {
        cases,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(7),
        failure_persistence: None,
        ..Config::default()
    }
}

/// 1 to 5 layers: thicknesses 0.3–15 km, Vp 2–8.5 km/s in any order (low
/// velocity zones included), Vs = Vp / 1.6–1.9.
fn model() -> impl Strategy<Value = Layered1D> {
    proptest::collection::vec((0.3f64..15.0, 2.0f64..8.5, 1.6f64..1.9), 1..=5).prop_map(|ls| {
        let mut top = 0.0;
        let layers = ls
            .iter()
            .map(|&(h, vp, r)| {
                let l = Layer::new(top, vp, vp / r);
                top += h;
                l
            })
            .collect();
        Layered1D::new(layers)
            .unwrap()
            .with_table(TableSpec { max_distance_km: 120.0, depth_max_km: 40.0, ..Default::default() })
            .unwrap()
    })
}

/// Time along the straight line from the station (depth `zr`) to a source
/// at distance `d`, depth `z` (`z != zr`), layer by layer.
fn straight_line_time(m: &Layered1D, phase: Phase, zr: f64, d: f64, z: f64) -> f64 {
    let (a, b) = (zr.min(z), zr.max(z));
    let r_per_dz = (d * d + (z - zr) * (z - zr)).sqrt() / (b - a);
    let ls = m.layers();
    let mut t = 0.0;
    for (j, l) in ls.iter().enumerate() {
        let top = if j == 0 { f64::NEG_INFINITY } else { l.top_km };
        let bot = ls.get(j + 1).map(|n| n.top_km).unwrap_or(f64::INFINITY);
        let h = (b.min(bot) - a.max(top)).max(0.0);
        t += h * r_per_dz / l.velocity(phase);
    }
    t
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn fermat_bounds_continuity_and_table(
        m in model(),
        zr in -2.0f64..3.0,
        pts in proptest::collection::vec((0.0f64..120.0, 0.0f64..40.0), 40),
        s in proptest::bool::ANY,
    ) {
        let phase = if s { Phase::S } else { Phase::P };
        let vmax = m.velocities(phase).iter().cloned().fold(0.0, f64::max);
        let table = m.table(zr, phase).unwrap();
        for &(d, z) in &pts {
            if (z - zr).abs() < 1e-6 {
                continue;
            }
            let (t, [p, _]) = m.exact_time(phase, zr, d, z).unwrap();
            let r = (d * d + (z - zr) * (z - zr)).sqrt();
            let upper = straight_line_time(&m, phase, zr, d, z);
            prop_assert!(t <= upper + 1e-9, "d={} z={}: {} later than the straight line {}", d, z, t, upper);
            prop_assert!(t >= r / vmax - 1e-9, "d={} z={}: {} faster than r/vmax {}", d, z, t, r / vmax);
            prop_assert!(p >= 0.0 && p <= 1.0 / m.velocities(phase).iter().cloned().fold(f64::INFINITY, f64::min) + 1e-12);
            let (ti, _, _) = table.eval(d, z).unwrap();
            prop_assert!((ti - t).abs() < 2e-3, "d={} z={}: table {} vs exact {}", d, z, ti, t);
        }
        // interfaces: the first arrival is continuous in depth
        let stack = m.stack(phase);
        let jr = m.layer_index(zr);
        for (k, l) in m.layers().iter().enumerate().skip(1) {
            if (l.top_km - zr).abs() < 1e-9 {
                continue;
            }
            for &(d, _) in pts.iter().take(10) {
                let above = stack.first_arrival(d, l.top_km, k - 1, zr, jr).time_s;
                let below = stack.first_arrival(d, l.top_km, k, zr, jr).time_s;
                prop_assert!((above - below).abs() < 1e-9, "interface {} d={}: {} vs {}", k, d, above, below);
            }
        }
    }
}
