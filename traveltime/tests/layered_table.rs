//! The tabulated field against the exact ray tracer (itself checked against
//! closed forms and a Fermat solver in `layered_two_layer.rs` and
//! `layered_fermat.rs`) at many quasi-random points, for several models and
//! station placements, with the default table.

use eqnemix_traveltime::{Layer, Layered1D, Phase, TableSpec};

/// Worst |table − exact| (s) over a low-discrepancy point set filling the
/// table (additive recurrence with the plastic number).
fn worst_error(model: &Layered1D, zr: f64, phase: Phase, n: usize) -> (f64, f64, f64) {
    let table = model.table(zr, phase).unwrap();
    let (z0, z1) = table.depth_range_km();
    let dmax = table.max_distance_km();
    let (a1, a2) = (0.754_877_666_246_692_7, 0.569_840_290_998_053_3);
    let mut worst = (0.0, 0.0, 0.0);
    for i in 0..n {
        let u = (0.5 + a1 * i as f64).fract();
        let v = (0.5 + a2 * i as f64).fract();
        let (d, z) = (u * dmax, z0 + v * (z1 - z0));
        let (t, _, _) = table.eval(d, z).unwrap();
        let (want, _) = model.exact_time(phase, zr, d, z).unwrap();
        let e = (t - want).abs();
        if e > worst.0 {
            worst = (e, d, z);
        }
    }
    worst
}

fn check(name: &str, layers: &[(f64, f64, f64)], zr: f64, tol: f64) {
    let m = Layered1D::new(layers.iter().map(|&(t, p, s)| Layer::new(t, p, s)).collect()).unwrap();
    for phase in [Phase::P, Phase::S] {
        let (e, d, z) = worst_error(&m, zr, phase, 20_000);
        eprintln!("{name} {phase} station depth {zr}: max |table − exact| = {e:.2e} s at Δ={d:.2} z={z:.2}");
        assert!(e < tol, "{name} {phase}: error {e} s at Δ={d} z={z}");
    }
}

const RIDGECREST: [(f64, f64, f64); 5] =
    [(0.0, 4.8, 2.67), (2.0, 5.5, 3.18), (5.5, 6.3, 3.64), (16.0, 6.7, 3.83), (32.0, 7.8, 4.43)];

#[test]
fn ridgecrest_surface_and_elevated_station() {
    check("ridgecrest", &RIDGECREST, 0.0, 5e-4);
    check("ridgecrest", &RIDGECREST, -1.3, 5e-4);
}

#[test]
fn borehole_station() {
    // a station at 3 km depth inside the second layer (velocities increase
    // downward, so every head wave runs below both ends)
    check("ridgecrest", &RIDGECREST, 3.0, 5e-4);
}

#[test]
fn low_velocity_zone_and_thin_layer() {
    check("lvz", &[(0.0, 5.6, 3.2), (0.4, 6.0, 3.5), (6.0, 6.4, 3.7), (12.0, 5.9, 3.4), (20.0, 7.8, 4.4)], 0.0, 5e-4);
}

#[test]
fn homogeneous_single_layer_is_exact() {
    // one layer: S = T/r is constant, so interpolation is exact
    let m = Layered1D::new(vec![Layer::new(0.0, 6.0, 3.5)]).unwrap();
    let (e, _, _) = worst_error(&m, -0.7, Phase::P, 5000);
    assert!(e < 1e-12, "{e}");
}

#[test]
fn finer_table_is_more_accurate() {
    // the error shrinks with spacing (fourth order away from interfaces)
    let layers: Vec<Layer> = RIDGECREST.iter().map(|&(t, p, s)| Layer::new(t, p, s)).collect();
    let coarse = Layered1D::new(layers.clone())
        .unwrap()
        .with_table(TableSpec { distance_step_km: 4.0, depth_step_km: 2.0, ..Default::default() })
        .unwrap();
    let fine = Layered1D::new(layers)
        .unwrap()
        .with_table(TableSpec { distance_step_km: 1.0, depth_step_km: 0.5, ..Default::default() })
        .unwrap();
    let (ec, _, _) = worst_error(&coarse, 0.0, Phase::P, 5000);
    let (ef, _, _) = worst_error(&fine, 0.0, Phase::P, 5000);
    eprintln!("coarse {ec:.2e} s, fine {ef:.2e} s");
    assert!(ef < ec / 4.0, "coarse {ec}, fine {ef}");
}
