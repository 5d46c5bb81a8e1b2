//! Bad layered input: invalid layers, tables and points never panic.

use eqnemix_traveltime::{Layer, Layered1D, Phase, Station, TableSpec, TravelTimeError, TravelTimeModel};

fn invalid(r: Result<Layered1D, TravelTimeError>) -> String {
    match r {
        Err(TravelTimeError::InvalidModel(m)) => m,
        other => panic!("expected InvalidModel, got {other:?}"),
    }
}

#[test]
fn invalid_layers_name_index_and_field() {
    let ok = |t, vp, vs| Layer::new(t, vp, vs);
    let cases: Vec<(Vec<Layer>, &[&str])> = vec![
        (vec![], &["no layers"]),
        (vec![ok(0.0, 6.0, 3.5), ok(10.0, 0.0, 3.5)], &["layer 1", "vp"]),
        (vec![ok(0.0, 6.0, 3.5), ok(10.0, 7.0, 4.0), ok(20.0, 8.0, -4.6)], &["layer 2", "vs"]),
        (vec![ok(0.0, f64::NAN, 3.5)], &["layer 0", "vp"]),
        (vec![ok(0.0, 6.0, f64::INFINITY)], &["layer 0", "vs"]),
        (vec![ok(0.0, 6.0, 3.5), ok(10.0, 7.0, 4.0), ok(10.0, 8.0, 4.6)], &["layer 1", "thickness"]),
        (vec![ok(0.0, 6.0, 3.5), ok(-5.0, 7.0, 4.0)], &["layer 0", "thickness"]),
        (vec![ok(f64::NAN, 6.0, 3.5)], &["layer 0", "top_km"]),
    ];
    for (layers, needles) in cases {
        let m = invalid(Layered1D::new(layers.clone()));
        for n in needles {
            assert!(m.contains(n), "{layers:?}: {m:?} lacks {n:?}");
        }
    }
    let m = invalid(Layered1D::from_thicknesses(&[(10.0, 6.0, 3.5), (-2.0, 6.5, 3.7)], (8.0, 4.6)));
    assert!(m.contains("layer 1") && m.contains("thickness_km"), "{m}");
}

#[test]
fn invalid_table_specs() {
    let base = Layered1D::new(vec![Layer::new(0.0, 6.0, 3.5)]).unwrap();
    for (spec, field) in [
        (TableSpec { max_distance_km: -1.0, ..Default::default() }, "max_distance_km"),
        (TableSpec { distance_step_km: f64::NAN, ..Default::default() }, "distance_step_km"),
        (TableSpec { depth_step_km: 0.0, ..Default::default() }, "depth_step_km"),
        (TableSpec { depth_min_km: Some(70.0), ..Default::default() }, "depth_min_km"),
        (TableSpec { distance_step_km: 1e-9, ..Default::default() }, "distance_step_km"),
    ] {
        let m = invalid(base.clone().with_table(spec));
        assert!(m.contains(field), "{m}");
    }
    // a station below the table's deepest depth leaves an empty depth range
    let m = base.clone().with_table(TableSpec { depth_max_km: -5.0, ..Default::default() }).unwrap();
    let st = Station { code: "XX.STA".into(), position_km: [0.0, 0.0, 0.0] };
    assert!(matches!(m.field(&st, Phase::P), Err(TravelTimeError::InvalidModel(_))));
    let st = Station { code: "XX.NAN".into(), position_km: [0.0, f64::NAN, 0.0] };
    assert!(matches!(base.field(&st, Phase::P), Err(TravelTimeError::StationOutside { .. })));
}

#[test]
fn points_outside_the_table_are_outside_domain() {
    let m = Layered1D::new(vec![Layer::new(0.0, 6.0, 3.5), Layer::new(30.0, 8.0, 4.6)])
        .unwrap()
        .with_table(TableSpec { max_distance_km: 100.0, depth_max_km: 40.0, ..Default::default() })
        .unwrap();
    let st = Station { code: "XX.STA".into(), position_km: [5.0, 5.0, -1.0] };
    let f = m.field(&st, Phase::S).unwrap();
    let (lo, hi) = f.bounds().unwrap();
    assert_eq!(lo, [-95.0, -95.0, -1.0]);
    assert_eq!(hi, [105.0, 105.0, 40.0]);
    for x in [
        [5.0, 105.1, 10.0],    // beyond max distance
        [80.0, 80.0, 10.0],    // inside the box, outside the disc
        [5.0, 5.0, 40.01],     // too deep
        [5.0, 5.0, -1.01],     // above the table (its top is the station)
        [f64::NAN, 5.0, 1.0],  // not a number
        [5.0, 5.0, f64::NAN],
        [f64::INFINITY, 5.0, 1.0],
    ] {
        let e = f.time_and_gradient(x).expect_err("outside");
        assert_eq!(e.z.to_bits(), x[2].to_bits());
        assert!(f.time(x).is_err());
    }
    // the edges themselves are inside
    assert!(f.time([5.0, 105.0, 40.0]).is_ok());
    assert!(f.time([5.0, 5.0, -1.0]).is_ok());
    // the station itself: time 0 and a finite gradient
    let (t, g) = f.time_and_gradient([5.0, 5.0, -1.0]).unwrap();
    assert_eq!(t, 0.0);
    assert!(g.iter().all(|v| v.is_finite()));
    // exact_time refuses non-finite input instead of panicking
    assert!(m.exact_time(Phase::P, 0.0, f64::NAN, 1.0).is_err());
    assert!(m.exact_time(Phase::P, 0.0, -1.0, 1.0).is_err());
}
