//! Layered models against an independent brute-force Fermat solver.
//!
//! The reference knows nothing of ray parameters: a ray path is a chain of
//! straight segments, one per layer crossed, and its time is minimised over
//! the horizontal offsets of the crossing points by nested golden-section
//! searches (the time is jointly convex in them). The first arrival is the
//! smallest of the direct path and, for each interface below (above) both
//! ends, the path down (up) to the interface, along it at the velocity of the
//! layer beyond it and back (kept only when the two legs fit within the
//! epicentral distance).

use eqnemix_traveltime::{Layer, Layered1D, Phase, Station, TravelTimeModel};

mod golden_section;

fn golden(f: &dyn Fn(f64) -> f64, a: f64, b: f64) -> (f64, f64) {
    golden_section::golden_min(f, a, b, 48)
}

/// Least time through `segs` (thickness km, velocity km/s) covering
/// horizontal distance `x`.
fn leg(segs: &[(f64, f64)], x: f64) -> f64 {
    let (h, v) = segs[0];
    if segs.len() == 1 {
        return (x * x + h * h).sqrt() / v;
    }
    golden(&|x1: f64| (x1 * x1 + h * h).sqrt() / v + leg(&segs[1..], x - x1), 0.0, x).1
}

/// Vertical path segments between depths `a < b`.
fn segments(tops: &[f64], v: &[f64], a: f64, b: f64) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    for j in 0..v.len() {
        let top = if j == 0 { f64::NEG_INFINITY } else { tops[j] };
        let bot = if j + 1 < v.len() { tops[j + 1] } else { f64::INFINITY };
        let h = b.min(bot) - a.max(top);
        if h > 0.0 {
            out.push((h, v[j]));
        }
    }
    out
}

fn fermat_first_arrival(tops: &[f64], v: &[f64], zr: f64, d: f64, z: f64) -> f64 {
    let (a, b) = (zr.min(z), zr.max(z));
    let segs = segments(tops, v, a, b);
    let mut best = if segs.is_empty() { d / v[tops.iter().skip(1).take_while(|&&t| a >= t).count()] } else { leg(&segs, d) };
    for (i, &hi) in tops.iter().enumerate().skip(1) {
        // below both ends the wave runs in the layer under the interface,
        // above both ends in the layer over it
        let vk = if hi >= b {
            v[i]
        } else if hi <= a {
            v[i - 1]
        } else {
            continue;
        };
        let up = segments(tops, v, zr.min(hi), zr.max(hi));
        let down = segments(tops, v, z.min(hi), z.max(hi));
        let leg_or_zero = |segs: &[(f64, f64)], x: f64| if segs.is_empty() { x / vk } else { leg(segs, x) };
        let (xa, ta) = golden(&|x: f64| leg_or_zero(&up, x) - x / vk, 0.0, d);
        let (xb, tb) = golden(&|x: f64| leg_or_zero(&down, x) - x / vk, 0.0, d);
        if xa + xb <= d {
            best = best.min(ta + tb + d / vk);
        }
    }
    best
}

fn run(layers: &[(f64, f64, f64)], zr: f64, phase: Phase) {
    let model = Layered1D::new(layers.iter().map(|&(t, vp, vs)| Layer::new(t, vp, vs)).collect()).unwrap();
    let tops: Vec<f64> = layers.iter().map(|l| l.0).collect();
    let v: Vec<f64> = model.velocities(phase);
    let st = Station { code: "XX.STA".into(), position_km: [-3.0, 7.0, zr] };
    let field = model.field(&st, phase).unwrap();
    let (mut worst_t, mut worst_e) = (0.0f64, 0.0f64);
    let mut d = 0.0;
    while d <= 150.0 {
        let mut z = 0.05;
        while z <= 30.0 {
            let want = fermat_first_arrival(&tops, &v, zr, d, z);
            let got = field.time([-3.0 - 0.28 * d, 7.0 + 0.96 * d, z]).unwrap();
            let (exact, _) = model.exact_time(phase, zr, d, z).unwrap();
            assert!((got - want).abs() < 0.02, "{phase} zr={zr} d={d} z={z}: table {got} vs Fermat {want}");
            assert!((exact - want).abs() < 1e-6, "{phase} zr={zr} d={d} z={z}: exact {exact} vs Fermat {want}");
            worst_t = worst_t.max((got - want).abs());
            worst_e = worst_e.max((exact - want).abs());
            z += 1.9;
        }
        d += 4.3;
    }
    eprintln!("{phase} zr={zr}: max |table − Fermat| = {worst_t:.1e} s, max |exact − Fermat| = {worst_e:.1e} s");
}

/// Increasing velocities: sediments, upper crust, half-space.
const THREE: [(f64, f64, f64); 3] = [(0.0, 5.0, 2.9), (4.0, 6.2, 3.6), (17.0, 7.9, 4.5)];

#[test]
fn three_layers_p_surface_station() {
    run(&THREE, 0.0, Phase::P);
}

#[test]
fn three_layers_s_elevated_station() {
    run(&THREE, -1.2, Phase::S);
}

#[test]
fn low_velocity_zone() {
    // a slow layer between 6 and 12 km, then a fast half-space
    run(&[(0.0, 5.6, 3.2), (6.0, 6.4, 3.7), (12.0, 5.9, 3.4), (20.0, 7.8, 4.4)], 0.0, Phase::P);
}

#[test]
fn borehole_station_under_a_fast_lid() {
    // station at 3 km in a slow layer under a fast lid: head waves along the
    // lid's bottom arrive first at distance
    run(&[(0.0, 6.5, 3.8), (1.0, 4.5, 2.6), (8.0, 6.0, 3.5)], 3.0, Phase::P);
}

#[test]
fn source_in_fastest_layer_far_away() {
    // sources in the half-space at large distance: p -> 1/v_max
    let tops = [0.0, 10.0];
    let v = [5.0, 8.0];
    let model = Layered1D::new(vec![Layer::new(0.0, 5.0, 3.0), Layer::new(10.0, 8.0, 4.7)]).unwrap();
    for &z in &[10.001, 10.3, 15.0, 29.0] {
        for &d in &[0.5, 20.0, 120.0, 299.0] {
            let want = fermat_first_arrival(&tops, &v, 0.0, d, z);
            let (got, _) = model.exact_time(Phase::P, 0.0, d, z).unwrap();
            assert!((got - want).abs() < 1e-6, "d={d} z={z}: {got} vs {want}");
        }
    }
}

mod random_models {
    //! Random two- and three-layer models (any velocity order) and station
    //! depths, against the Fermat reference at random points.
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, RngAlgorithm, RngSeed};

    proptest! {
        #![proptest_config(Config {
            cases: 40,
            rng_algorithm: RngAlgorithm::ChaCha,
            rng_seed: RngSeed::Fixed(31),
            failure_persistence: None,
            ..Config::default()
        })]

        #[test]
        fn exact_solver_matches_fermat(
            layers in proptest::collection::vec((0.5f64..12.0, 2.5f64..8.5), 2..=3),
            zr in -1.5f64..6.0,
            pts in proptest::collection::vec((0.0f64..150.0, 0.0f64..30.0), 6),
        ) {
            let mut top = 0.0;
            let mut tops = Vec::new();
            let mut model = Vec::new();
            for &(h, vp) in &layers {
                tops.push(top);
                model.push(Layer::new(top, vp, vp / 1.75));
                top += h;
            }
            let m = Layered1D::new(model).unwrap();
            let v = m.velocities(Phase::P);
            for &(d, z) in &pts {
                let want = fermat_first_arrival(&tops, &v, zr, d, z);
                let (got, _) = m.exact_time(Phase::P, zr, d, z).unwrap();
                prop_assert!((got - want).abs() < 1e-6, "tops {:?} v {:?} zr={} d={} z={}: {} vs {}", tops, v, zr, d, z, got, want);
            }
        }
    }
}
