//! Bad input to the eikonal solver and model gives clear errors, never a panic.

mod eikonal_common;

use eikonal_common::velocity_grid;
use eqnemix_traveltime::{
    solve_eikonal, EikonalModel, EikonalOptions, Grid3, GridGeometry, Phase, Station, TravelTimeError, TravelTimeModel,
};

fn geometry() -> GridGeometry {
    GridGeometry { n: [6, 5, 4], origin_km: [-2.0, 0.0, 0.0], spacing_km: [1.0, 1.0, 0.5] }
}

fn uniform(v: f64) -> Grid3<f64> {
    velocity_grid(geometry(), |_| v)
}

fn invalid_message(err: TravelTimeError) -> String {
    match err {
        TravelTimeError::InvalidModel(m) => m,
        other => panic!("expected InvalidModel, got {other:?}"),
    }
}

#[test]
fn bad_velocities_name_the_node() {
    for bad in [0.0, -3.0, f64::NAN, f64::INFINITY] {
        let mut v = uniform(5.0);
        let g = v.geometry;
        v.data[g.index(4, 2, 3)] = bad;
        let msg = invalid_message(solve_eikonal(&v, [0.0, 1.0, 0.5], &EikonalOptions::default(), None).unwrap_err());
        assert!(msg.contains("(4, 2, 3)"), "{msg}");
        let msg = invalid_message(EikonalModel::new(uniform(6.0), v.clone()).unwrap_err());
        assert!(msg.contains("S velocity grid") && msg.contains("(4, 2, 3)"), "{msg}");
        let msg = invalid_message(EikonalModel::from_vp_and_ratio(v, 1.73).unwrap_err());
        assert!(msg.contains("P velocity grid") && msg.contains("(4, 2, 3)"), "{msg}");
    }
}

#[test]
fn bad_geometry_and_options_are_rejected() {
    let mut v = uniform(5.0);
    v.geometry.spacing_km[1] = 0.0;
    let msg = invalid_message(solve_eikonal(&v, [0.0, 1.0, 0.5], &EikonalOptions::default(), None).unwrap_err());
    assert!(msg.contains("spacing along y"), "{msg}");

    let mut v = uniform(5.0);
    v.data.pop();
    let msg = invalid_message(solve_eikonal(&v, [0.0, 1.0, 0.5], &EikonalOptions::default(), None).unwrap_err());
    assert!(msg.contains("119 values"), "{msg}");

    let flat = GridGeometry { n: [6, 1, 4], ..geometry() };
    let v = velocity_grid(flat, |_| 5.0);
    let msg = invalid_message(solve_eikonal(&v, [0.0, 0.0, 0.5], &EikonalOptions::default(), None).unwrap_err());
    assert!(msg.contains("at least 2 nodes along y"), "{msg}");

    let opts = EikonalOptions { source_radius_nodes: 0.5, ..Default::default() };
    let msg = invalid_message(solve_eikonal(&uniform(5.0), [0.0, 1.0, 0.5], &opts, None).unwrap_err());
    assert!(msg.contains("source_radius_nodes"), "{msg}");

    let msg = invalid_message(EikonalModel::from_vp_and_ratio(uniform(5.0), -1.7).unwrap_err());
    assert!(msg.contains("Vp/Vs"), "{msg}");
    let other = velocity_grid(GridGeometry { n: [6, 5, 5], ..geometry() }, |_| 3.0);
    let msg = invalid_message(EikonalModel::new(uniform(5.0), other).unwrap_err());
    assert!(msg.contains("differ in geometry"), "{msg}");
}

#[test]
fn sources_and_stations_outside_the_grid_are_rejected() {
    let opts = EikonalOptions::default();
    for src in [[-2.1, 1.0, 0.5], [0.0, 4.01, 0.5], [0.0, 1.0, -0.2], [f64::NAN, 1.0, 1.0]] {
        match solve_eikonal(&uniform(5.0), src, &opts, None) {
            Err(TravelTimeError::StationOutside { station, .. }) => assert_eq!(station, "source"),
            other => panic!("source {src:?}: expected StationOutside, got {other:?}"),
        }
    }
    // Corners and faces are inside.
    assert!(solve_eikonal(&uniform(5.0), [-2.0, 0.0, 0.0], &opts, None).is_ok());
    assert!(solve_eikonal(&uniform(5.0), [3.0, 4.0, 1.5], &opts, None).is_ok());

    let model = EikonalModel::from_vp_and_ratio(uniform(5.0), 1.75).unwrap();
    let above = Station { code: "XX.HIGH".into(), position_km: [0.0, 1.0, -1.2] };
    match model.field(&above, Phase::S) {
        Err(TravelTimeError::StationOutside { station, source }) => {
            assert_eq!(station, "XX.HIGH");
            assert_eq!(source.z, -1.2);
        }
        Err(e) => panic!("expected StationOutside, got {e:?}"),
        Ok(_) => panic!("expected StationOutside, got a field"),
    }
}

#[test]
fn points_outside_the_field_are_outside_domain() {
    let model = EikonalModel::from_vp_and_ratio(uniform(5.0), 1.75).unwrap();
    let station = Station { code: "XX.IN".into(), position_km: [0.5, 2.0, 0.0] };
    let field = model.field(&station, Phase::P).unwrap();
    assert_eq!(field.bounds(), Some(([-2.0, 0.0, 0.0], [3.0, 4.0, 1.5])));
    for p in [[3.01, 1.0, 1.0], [0.0, -0.01, 1.0], [0.0, 1.0, 1.51], [f64::NAN, 1.0, 1.0], [0.0, f64::INFINITY, 1.0]] {
        let err = field.time_and_gradient(p).unwrap_err();
        assert!(err.to_string().contains("outside"), "{err}");
        assert!(field.time(p).is_err());
    }
    // The corners answer.
    assert!(field.time([-2.0, 0.0, 0.0]).is_ok());
    assert!(field.time([3.0, 4.0, 1.5]).is_ok());
}
