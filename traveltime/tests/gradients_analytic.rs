//! Gradients of the homogeneous and layered fields against central finite
//! differences of their own times, at random points (proptest, fixed seed),
//! and the layered field's gradient against the exact ray-theory gradient.

use eqnemix_traveltime::layered::LayerStack;
use eqnemix_traveltime::{Homogeneous, Layer, Layered1D, Phase, Station, TravelTimeField, TravelTimeModel};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, RngSeed};
use std::sync::{Arc, OnceLock};

fn config(cases: u32) -> Config {
    Config {
        cases,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(20261126),
        failure_persistence: None,
        ..Config::default()
    }
}

const STATION: [f64; 3] = [12.0, -7.0, -0.8];

fn ridgecrest() -> &'static Layered1D {
    static M: OnceLock<Layered1D> = OnceLock::new();
    M.get_or_init(|| {
        Layered1D::new(vec![
            Layer::new(0.0, 4.8, 2.67),
            Layer::new(2.0, 5.5, 3.18),
            Layer::new(5.5, 6.3, 3.64),
            Layer::new(16.0, 6.7, 3.83),
            Layer::new(32.0, 7.8, 4.43),
        ])
        .unwrap()
    })
}

fn layered_field(phase: Phase) -> Arc<dyn TravelTimeField> {
    static F: OnceLock<[Arc<dyn TravelTimeField>; 2]> = OnceLock::new();
    let st = Station { code: "XX.STA".into(), position_km: STATION };
    let f = F.get_or_init(|| [ridgecrest().field(&st, Phase::P).unwrap(), ridgecrest().field(&st, Phase::S).unwrap()]);
    f[if phase == Phase::P { 0 } else { 1 }].clone()
}

/// Central differences of `f.time` with step `h` (km).
fn fd_gradient(f: &dyn TravelTimeField, x: [f64; 3], h: f64) -> [f64; 3] {
    let mut g = [0.0; 3];
    for i in 0..3 {
        let (mut a, mut b) = (x, x);
        a[i] += h;
        b[i] -= h;
        g[i] = (f.time(a).unwrap() - f.time(b).unwrap()) / (2.0 * h);
    }
    g
}

/// A point at epicentral distance `d`, azimuth `az` (rad) and depth `z`.
fn point(d: f64, az: f64, z: f64) -> [f64; 3] {
    [STATION[0] + d * az.sin(), STATION[1] + d * az.cos(), z]
}

proptest! {
    #![proptest_config(config(400))]

    #[test]
    fn homogeneous_gradient_matches_finite_differences(
        x in -100.0f64..100.0, y in -100.0f64..100.0, z in -2.0f64..40.0, s in proptest::bool::ANY,
    ) {
        let m = Homogeneous::new(6.1, 3.5).unwrap();
        let phase = if s { Phase::S } else { Phase::P };
        let f = m.field(&Station { code: "A".into(), position_km: STATION }, phase).unwrap();
        let p = [x, y, z];
        let (t, g) = f.time_and_gradient(p).unwrap();
        prop_assert_eq!(t, f.time(p).unwrap());
        let fd = fd_gradient(f.as_ref(), p, 1e-5);
        for i in 0..3 {
            prop_assert!((g[i] - fd[i]).abs() < 1e-7, "component {}: {} vs {}", i, g[i], fd[i]);
        }
    }

    #[test]
    fn layered_gradient_matches_finite_differences(
        d in 0.3f64..295.0, az in 0.0f64..std::f64::consts::TAU, z in 0.01f64..59.9, s in proptest::bool::ANY,
    ) {
        let phase = if s { Phase::S } else { Phase::P };
        let f = layered_field(phase);
        let p = point(d, az, z);
        let (t, g) = f.time_and_gradient(p).unwrap();
        prop_assert_eq!(t, f.time(p).unwrap());
        let fd = fd_gradient(f.as_ref(), p, 1e-5);
        for i in 0..3 {
            prop_assert!((g[i] - fd[i]).abs() < 2e-6, "component {} at d={} z={}: {} vs {}", i, d, z, g[i], fd[i]);
        }
    }

    #[test]
    fn layered_gradient_matches_ray_theory(
        d in 0.3f64..295.0, az in 0.0f64..std::f64::consts::TAU, z in 0.01f64..59.9, s in proptest::bool::ANY,
    ) {
        // Away from a change of first-arriving wave (where the exact gradient
        // jumps), the interpolated gradient equals p = dT/dΔ and dT/dz of the
        // exact ray.
        let phase = if s { Phase::S } else { Phase::P };
        let m = ridgecrest();
        let f = layered_field(phase);
        let (_, g) = f.time_and_gradient(point(d, az, z)).unwrap();
        let (_, [p, tz]) = m.exact_time(phase, STATION[2], d, z).unwrap();
        let want = [p * az.sin(), p * az.cos(), tz];
        let stack: &LayerStack = m.stack(phase);
        let jr = m.layer_index(STATION[2]);
        let wave = |d: f64, z: f64| stack.first_arrival(d, z, m.layer_index(z), STATION[2], jr).head_interface;
        let here = wave(d, z);
        let near_switch = [(-2.0, 0.0), (2.0, 0.0), (0.0, -1.0), (0.0, 1.0)]
            .iter()
            .any(|&(dd, dz): &(f64, f64)| wave((d + dd).max(0.0), (z + dz).max(0.0)) != here);
        let near_interface = m.layers().iter().skip(1).any(|l| (l.top_km - z).abs() < 0.6);
        let err = (0..3).map(|i| (g[i] - want[i]).abs()).fold(0.0, f64::max);
        if !near_switch && !near_interface {
            prop_assert!(err < 2e-4, "d={} z={}: gradient {:?} vs exact {:?}", d, z, g, want);
        } else {
            // bounded by the jump of the exact gradient
            prop_assert!(err < 0.2, "d={} z={}: gradient {:?} vs exact {:?}", d, z, g, want);
        }
    }
}

#[test]
fn gradient_is_finite_on_the_station_vertical() {
    // Δ = 0: no NaN from the chain rule; dT/dx = dT/dy = 0 by symmetry and
    // dT/dz = 1/v in the station's layer.
    let f = layered_field(Phase::P);
    for &z in &[0.0, 0.5, 1.9, 3.0, 20.0, 59.0] {
        let (t, g) = f.time_and_gradient([STATION[0], STATION[1], z]).unwrap();
        assert!(t.is_finite() && g.iter().all(|v| v.is_finite()), "z={z}: {t} {g:?}");
        assert_eq!((g[0], g[1]), (0.0, 0.0));
        let (want, [_, tz]) = ridgecrest().exact_time(Phase::P, STATION[2], 0.0, z).unwrap();
        assert!((t - want).abs() < 1e-3, "z={z}: {t} vs {want}");
        assert!((g[2] - tz).abs() < 2e-3, "z={z}: {} vs {tz}", g[2]);
    }
    // just off the vertical the horizontal gradient is tiny and continuous
    let (_, g) = f.time_and_gradient([STATION[0] + 1e-9, STATION[1], 10.0]).unwrap();
    assert!(g[0].abs() < 1e-8 && g[1] == 0.0, "{g:?}");
}
