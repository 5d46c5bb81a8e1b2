//! Where Vp/Vs is one number, the eikonal model (and `eqnemix traveltime`)
//! solves P alone and scales it into S (`TimeGrid::scaled_slowness`). The
//! scaled field must equal an S field solved on its own grid, node by node,
//! to the solver's f32 storage, and the model must still solve S where the
//! ratio varies.

mod eikonal_common;

use eikonal_common::{velocity_grid, Gradient};
use eqnemix_traveltime::{
    solve_eikonal, EikonalModel, EikonalOptions, Grid3, GridGeometry, Phase, Station, TravelTimeField,
};

fn geometry() -> GridGeometry {
    GridGeometry { n: [41, 37, 21], origin_km: [-20.0, -18.0, 0.0], spacing_km: [1.0; 3] }
}

#[test]
fn the_scaled_s_field_equals_the_solved_one() {
    let medium = Gradient { v0: 5.0, g: 0.06 };
    let vp = velocity_grid(geometry(), |p| medium.velocity(p));
    let ratio = 1.76;
    let vs = Grid3 { geometry: vp.geometry, data: vp.data.iter().map(|v| v / ratio).collect() };
    let station = Station { code: "STA".into(), position_km: [1.3, -2.2, 0.0] };
    let solved_s = solve_eikonal(&vs, station.position_km, &EikonalOptions::default(), None).unwrap();
    let model = EikonalModel::new(vp, vs).unwrap();
    assert_eq!(model.uniform_vp_vs().map(|r| (r - ratio).abs() < 1e-12), Some(true));
    let (p, s) = model.fields(&station).unwrap();
    let g = geometry();
    let mut worst: f64 = 0.0;
    for ix in 0..g.n[0] {
        for iy in 0..g.n[1] {
            for iz in 0..g.n[2] {
                let (a, b) = (s.time_at_node(ix, iy, iz), solved_s.time_at_node(ix, iy, iz));
                worst = worst.max((a - b).abs() / b.max(1e-3));
                // And S is P times the ratio, exactly as stored.
                let scaled = ratio * p.time_at_node(ix, iy, iz);
                assert!((a - scaled).abs() <= 1e-12 * scaled.max(1.0), "node ({ix},{iy},{iz}): {a} vs {scaled}");
            }
        }
    }
    // Both are f32 factors of the same solve up to the slowness scale: a few ulps.
    assert!(worst < 1e-5, "largest relative difference {worst}");
    let x = [7.4, 3.1, 9.6];
    let (ts, tsolved) = (s.time(x).unwrap(), solved_s.time(x).unwrap());
    assert!((ts - tsolved).abs() < 1e-5 * tsolved, "{ts} vs {tsolved}");
}

#[test]
fn a_varying_ratio_solves_s_on_its_own() {
    let medium = Gradient { v0: 5.0, g: 0.06 };
    let vp = velocity_grid(geometry(), |p| medium.velocity(p));
    // Vp/Vs from 1.7 at the surface to 1.9 at depth.
    let vs = velocity_grid(geometry(), |p| medium.velocity(p) / (1.7 + 0.01 * p[2]));
    let model = EikonalModel::new(vp, vs.clone()).unwrap();
    assert_eq!(model.uniform_vp_vs(), None);
    let station = Station { code: "STA".into(), position_km: [0.0, 0.0, 0.0] };
    let s = model.time_grid(&station, Phase::S).unwrap();
    let solved_s = solve_eikonal(&vs, station.position_km, &EikonalOptions::default(), None).unwrap();
    let x = [12.0, -9.0, 15.0];
    assert_eq!(s.time(x).unwrap(), solved_s.time(x).unwrap());
}
