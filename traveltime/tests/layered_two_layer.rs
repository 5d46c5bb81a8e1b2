//! Two-layer model against closed forms written independently here:
//! straight direct ray and the textbook head wave
//! `t = Δ/v2 + (2h − z − z_r)·cos(ic)/v1` (`sin ic = v1/v2`) for sources in
//! the top layer, and a Fermat minimisation over the crossing point (golden
//! section) for sources in the half-space.

use eqnemix_traveltime::{Layer, Layered1D, Phase, Station, TravelTimeModel};

const H: f64 = 25.0; // crust thickness (km)

fn model() -> Layered1D {
    Layered1D::new(vec![Layer::new(0.0, 6.0, 3.5), Layer::new(H, 8.0, 4.6)]).unwrap()
}

mod golden_section;

/// Minimum of a convex function on [a, b] by golden-section search.
fn golden(f: impl Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    golden_section::golden_min(&f, a, b, 100).1
}

/// Independent first arrival: station at depth `zr` (< H), source at
/// epicentral distance `d` and depth `z`; velocities `v1` over `v2`.
fn reference(d: f64, z: f64, zr: f64, v1: f64, v2: f64) -> f64 {
    if z < H {
        let direct = (d * d + (z - zr) * (z - zr)).sqrt() / v1;
        let ic = (v1 / v2).asin();
        let legs = (H - z) + (H - zr);
        if d >= legs * ic.tan() {
            direct.min(d / v2 + legs * ic.cos() / v1)
        } else {
            direct
        }
    } else {
        // Fermat: the ray crosses the interface at horizontal offset xc
        golden(|xc| (xc * xc + (H - zr) * (H - zr)).sqrt() / v1 + ((d - xc) * (d - xc) + (z - H) * (z - H)).sqrt() / v2, 0.0, d)
    }
}

fn check(zr: f64, phase: Phase) {
    let m = model();
    let (v1, v2) = match phase {
        Phase::P => (6.0, 8.0),
        Phase::S => (3.5, 4.6),
    };
    let st = Station { code: "XX.STA".into(), position_km: [10.0, -20.0, zr] };
    let f = m.field(&st, phase).unwrap();
    let mut worst_table: f64 = 0.0;
    let mut worst_exact: f64 = 0.0;
    let mut d = 0.0;
    while d <= 150.0 {
        let mut z = 0.0;
        while z <= 30.0 {
            let want = reference(d, z, zr, v1, v2);
            // place the source at azimuth ~37° from the station
            let x = [10.0 + 0.8 * d, -20.0 + 0.6 * d, z];
            let got = f.time(x).unwrap();
            let (exact, _) = m.exact_time(phase, zr, d, z).unwrap();
            assert!((got - want).abs() < 0.02, "{phase} zr={zr} d={d} z={z}: table {got} vs reference {want}");
            assert!((exact - want).abs() < 1e-6, "{phase} zr={zr} d={d} z={z}: exact {exact} vs reference {want}");
            worst_table = worst_table.max((got - want).abs());
            worst_exact = worst_exact.max((exact - want).abs());
            z += 0.7;
        }
        d += 1.3;
    }
    eprintln!("{phase} zr={zr}: max |table - reference| = {worst_table:.2e} s, max |exact - reference| = {worst_exact:.2e} s");
}

#[test]
fn p_station_at_surface() {
    check(0.0, Phase::P);
}

#[test]
fn s_station_at_surface() {
    check(0.0, Phase::S);
}

#[test]
fn p_station_elevated() {
    check(-1.5, Phase::P);
}

#[test]
fn across_the_crossover() {
    // Densely around the direct/head crossover distance of several depths,
    // where the first arrival has a kink inside table cells.
    let m = model();
    let st = Station { code: "XX.STA".into(), position_km: [0.0, 0.0, 0.0] };
    let f = m.field(&st, Phase::P).unwrap();
    let (v1, v2): (f64, f64) = (6.0, 8.0);
    let ic = (v1 / v2).asin();
    let mut worst: f64 = 0.0;
    for k in 0..25 {
        let z = 0.3 + k as f64 * 1.0;
        // crossover: sqrt(d² + z²)/v1 = d/v2 + (2H − z) cos(ic)/v1, solved by bisection
        let g = |d: f64| (d * d + z * z).sqrt() / v1 - d / v2 - (2.0 * H - z) * ic.cos() / v1;
        let (mut a, mut b) = (0.0, 400.0);
        for _ in 0..100 {
            let c = 0.5 * (a + b);
            if g(c) < 0.0 {
                a = c;
            } else {
                b = c;
            }
        }
        let dc = 0.5 * (a + b);
        assert!(dc > (2.0 * H - z) * ic.tan(), "crossover beyond critical distance");
        for i in -40..=40 {
            let d = dc + i as f64 * 0.05;
            let want = reference(d, z, 0.0, v1, v2);
            let got = f.time([0.0, d, z]).unwrap();
            assert!((got - want).abs() < 0.02, "z={z} d={d} (crossover {dc:.2}): {got} vs {want}");
            worst = worst.max((got - want).abs());
        }
    }
    eprintln!("crossover: max |table - reference| = {worst:.2e} s");
}
