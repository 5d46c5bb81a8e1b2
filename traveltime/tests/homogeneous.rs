//! Homogeneous model: exact values, analytic gradient, validation.

use eqnemix_traveltime::{Homogeneous, Phase, Station, TravelTimeError, TravelTimeModel};

fn station(p: [f64; 3]) -> Station {
    Station { code: "XX.STA".into(), position_km: p }
}

#[test]
fn exact_times_p_and_s() {
    let m = Homogeneous::new(6.0, 3.5).unwrap();
    let st = station([1.0, -2.0, -0.5]);
    let p = m.field(&st, Phase::P).unwrap();
    let s = m.field(&st, Phase::S).unwrap();
    // offset (3, 4, 12) -> distance 13 km
    let x = [4.0, 2.0, 11.5];
    assert!((p.time(x).unwrap() - 13.0 / 6.0).abs() < 1e-12);
    assert!((s.time(x).unwrap() - 13.0 / 3.5).abs() < 1e-12);
    let (t, g) = s.time_and_gradient(x).unwrap();
    assert!((t - 13.0 / 3.5).abs() < 1e-12);
    let expect = [3.0 / 13.0 / 3.5, 4.0 / 13.0 / 3.5, 12.0 / 13.0 / 3.5];
    for i in 0..3 {
        assert!((g[i] - expect[i]).abs() < 1e-14, "component {i}: {} vs {}", g[i], expect[i]);
    }
    // gradient magnitude is the slowness
    let n = (g[0] * g[0] + g[1] * g[1] + g[2] * g[2]).sqrt();
    assert!((n - 1.0 / 3.5).abs() < 1e-14);
}

#[test]
fn at_station_time_zero_gradient_finite() {
    let m = Homogeneous::new(6.0, 3.5).unwrap();
    let f = m.field(&station([0.0, 0.0, 0.0]), Phase::P).unwrap();
    let (t, g) = f.time_and_gradient([0.0, 0.0, 0.0]).unwrap();
    assert_eq!(t, 0.0);
    assert!(g.iter().all(|v| v.is_finite()));
}

#[test]
fn non_finite_point_is_outside() {
    let m = Homogeneous::new(6.0, 3.5).unwrap();
    let f = m.field(&station([0.0, 0.0, 0.0]), Phase::P).unwrap();
    assert!(f.time([f64::NAN, 0.0, 1.0]).is_err());
    assert!(f.time_and_gradient([0.0, f64::INFINITY, 1.0]).is_err());
}

#[test]
fn invalid_velocities_name_the_field() {
    for (vp, vs, field) in [
        (0.0, 3.0, "vp_km_s"),
        (-6.0, 3.0, "vp_km_s"),
        (f64::NAN, 3.0, "vp_km_s"),
        (6.0, 0.0, "vs_km_s"),
        (6.0, f64::INFINITY, "vs_km_s"),
    ] {
        match Homogeneous::new(vp, vs) {
            Err(TravelTimeError::InvalidModel(msg)) => assert!(msg.contains(field), "{msg}"),
            other => panic!("expected InvalidModel for ({vp}, {vs}), got {other:?}"),
        }
    }
    // a struct built directly is validated when asked for a field
    let bad = Homogeneous { vp_km_s: 6.0, vs_km_s: -1.0 };
    assert!(matches!(bad.field(&station([0.0; 3]), Phase::S), Err(TravelTimeError::InvalidModel(_))));
}
