//! Velocity models on grids: scattered-point CSVs (linear fields reproduced,
//! holes filled with the layer mean, errors naming line and column), depth
//! profiles, Vp + Vp/Vs, and NonLinLoc P/S grids.

use eqnemix_traveltime::nll::{write_nll_grid, NllGrid, NllGridType};
use eqnemix_traveltime::velocity::{
    LocalVelocityPoint, ScatteredOptions, VelocityModel3D, VpVsRatio,
};
use eqnemix_traveltime::{Grid3, GridGeometry, Phase};
use std::fmt::Write as _;
use std::path::Path;

const LON0: f64 = -117.6;
const LAT0: f64 = 35.75;
const KM_PER_DEG: f64 = 111.19;

/// The test's projection: local equirectangular about (LON0, LAT0).
fn project(lon: f64, lat: f64) -> (f64, f64) {
    (
        (lon - LON0) * KM_PER_DEG * LAT0.to_radians().cos(),
        (lat - LAT0) * KM_PER_DEG,
    )
}

/// A linear velocity field of local km.
fn vp_linear(x: f64, y: f64, z: f64) -> f64 {
    5.0 + 0.02 * x - 0.015 * y + 0.08 * z
}

fn vs_linear(x: f64, y: f64, z: f64) -> f64 {
    vp_linear(x, y, z) / 1.73
}

/// Deterministic jitter in [-0.5, 0.5).
fn jitter(i: usize) -> f64 {
    ((i as u64).wrapping_mul(2654435761) % 1000) as f64 / 1000.0 - 0.5
}

/// A CSV on a jittered lon/lat mesh (so the projected points are scattered),
/// depths 0, 3 and 10 km, with the linear field at each point.
fn linear_csv(path: &Path) {
    let mut s =
        String::from("# synthetic linear model\n Longitude , LAT,Depth_km,VP,vs_km_s,rho\n");
    let mut i = 0;
    for depth in [0.0, 3.0, 10.0] {
        for a in 0..25 {
            for b in 0..21 {
                i += 1;
                let lon = LON0 - 0.3 + 0.025 * (a as f64 + 0.4 * jitter(i));
                let lat = LAT0 - 0.25 + 0.025 * (b as f64 + 0.4 * jitter(i + 7919));
                let (x, y) = project(lon, lat);
                writeln!(
                    s,
                    "{lon},{lat},{depth},{},{},2.7",
                    vp_linear(x, y, depth),
                    vs_linear(x, y, depth)
                )
                .unwrap();
            }
        }
    }
    std::fs::write(path, s).unwrap();
}

#[test]
fn scattered_linear_field_is_reproduced_on_the_grid() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("linear.csv");
    linear_csv(&csv);
    // Grid well inside the points' hull (±~27 km east, ±~27 km north),
    // depths -1 (above the first layer) to 12 (below the last).
    let geometry = GridGeometry {
        n: [21, 17, 14],
        origin_km: [-20.0, -16.0, -1.0],
        spacing_km: [2.0, 2.0, 1.0],
    };
    let (model, report) =
        VelocityModel3D::from_velocity_csv(&csv, geometry, &project, &ScatteredOptions::default())
            .unwrap();
    assert_eq!(report.layers.len(), 3);
    assert_eq!(
        report.layers.iter().map(|l| l.depth_km).collect::<Vec<_>>(),
        [0.0, 3.0, 10.0]
    );
    assert!(report
        .layers
        .iter()
        .all(|l| l.points == 525 && l.hole_columns == 0));
    let mut worst: f64 = 0.0;
    for ix in 0..21 {
        for iy in 0..17 {
            for iz in 0..14 {
                let [x, y, z] = geometry.node_position(ix, iy, iz);
                // Constant above the shallowest and below the deepest layer.
                let zc = z.clamp(0.0, 10.0);
                let i = geometry.index(ix, iy, iz);
                let (p, s) = (model.vp().data[i], model.vs().data[i]);
                worst = worst
                    .max((p - vp_linear(x, y, zc)).abs())
                    .max((s - vs_linear(x, y, zc)).abs());
            }
        }
    }
    assert!(worst < 1e-9, "largest error {worst} km/s");
}

#[test]
fn interpolation_never_overshoots_a_step() {
    // A step in x within one layer: values stay inside [4, 6].
    let mut pts = Vec::new();
    for a in 0..30 {
        for b in 0..10 {
            let x = a as f64 * 0.5;
            pts.push(LocalVelocityPoint {
                east_km: x,
                north_km: b as f64 * 0.5,
                depth_km: 2.0,
                vp_km_s: if x < 7.0 { 4.0 } else { 6.0 },
                vs_km_s: if x < 7.0 { 2.3 } else { 3.5 },
            });
        }
    }
    let geometry = GridGeometry {
        n: [61, 19, 1],
        origin_km: [0.0, 0.0, 2.0],
        spacing_km: [0.25; 3],
    };
    let (m, _) =
        VelocityModel3D::from_scattered_points(&pts, geometry, &ScatteredOptions::default())
            .unwrap();
    assert!(m.vp().data.iter().all(|&v| (4.0..=6.0).contains(&v)));
    assert!(m.vs().data.iter().all(|&v| (2.3..=3.5).contains(&v)));
    // Far from the step the plateaus are exact.
    assert_eq!(m.vp().data[geometry.index(4, 9, 0)], 4.0);
    assert_eq!(m.vp().data[geometry.index(56, 9, 0)], 6.0);
}

#[test]
fn a_hole_is_filled_with_the_layer_mean() {
    // A 1 km mesh over [0, 20]² minus a disk of radius 5 km around (10, 10);
    // the field is linear so the mean is known only from the points.
    let mut pts = Vec::new();
    for a in 0..=20 {
        for b in 0..=20 {
            let (x, y) = (a as f64, b as f64);
            if (x - 10.0).hypot(y - 10.0) < 5.0 {
                continue;
            }
            pts.push(LocalVelocityPoint {
                east_km: x,
                north_km: y,
                depth_km: 1.0,
                vp_km_s: 4.0 + 0.1 * x,
                vs_km_s: 2.0 + 0.05 * y,
            });
        }
    }
    let n = pts.len() as f64;
    let mean_p = pts.iter().map(|p| p.vp_km_s).sum::<f64>() / n;
    let mean_s = pts.iter().map(|p| p.vs_km_s).sum::<f64>() / n;
    let geometry = GridGeometry {
        n: [21, 21, 2],
        origin_km: [0.0, 0.0, 0.0],
        spacing_km: [1.0, 1.0, 2.0],
    };
    let opts = ScatteredOptions {
        radius_km: Some(2.0),
        ..Default::default()
    };
    let (m, report) = VelocityModel3D::from_scattered_points(&pts, geometry, &opts).unwrap();
    let centre = geometry.index(10, 10, 0);
    assert!(
        (m.vp().data[centre] - mean_p).abs() < 1e-12,
        "{} vs {mean_p}",
        m.vp().data[centre]
    );
    assert!((m.vs().data[centre] - mean_s).abs() < 1e-12);
    // Columns with no point closer than the 2 km radius (brute force).
    let expected_holes = (0..=20)
        .flat_map(|a| (0..=20).map(move |b| (a as f64, b as f64)))
        .filter(|&(x, y)| {
            pts.iter()
                .all(|p| (p.east_km - x).hypot(p.north_km - y) >= 2.0)
        })
        .count();
    assert!(expected_holes >= 9, "{expected_holes}");
    assert_eq!(report.layers[0].hole_columns, expected_holes);
    assert!((report.layers[0].mean_km_s.0 - mean_p).abs() < 1e-12);
    // Outside the hole the linear field is exact.
    let edge = geometry.index(3, 10, 1);
    assert!((m.vp().data[edge] - (4.0 + 0.1 * 3.0)).abs() < 1e-9);
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn csv_errors_name_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let g = GridGeometry {
        n: [2, 2, 2],
        origin_km: [0.0; 3],
        spacing_km: [1.0; 3],
    };
    let cases = [
        (
            "nocol.csv",
            "lon,lat,depth,vp\n-117,35,0,5\n",
            "line 1 (header): no vs column",
        ),
        (
            "nocol2.csv",
            "# comment\n\nlon,lat,depth,vp\n",
            "line 3 (header): no vs column",
        ),
        (
            "dup.csv",
            "lon,longitude,lat,depth,vp,vs\n",
            "both name the longitude",
        ),
        (
            "text.csv",
            "lon,lat,depth,vp,vs\n-117,35,0,5,3\n-117,35,1,fast,3\n",
            "line 3, column `vp` (column 4): `fast` is not a number",
        ),
        (
            "missing.csv",
            "lon,lat,depth,vp,vs\n-117,35,0,5,3\n-117,35,1,5\n",
            "line 3, column `vs` (column 5): missing field",
        ),
        (
            "empty_field.csv",
            "lon,lat,depth,vp,vs\n-117,35,,5,3\n",
            "line 2, column `depth` (column 3): missing field",
        ),
        (
            "nan.csv",
            "lon,lat,depth,vp,vs\n-117,35,0,NaN,3\n",
            "line 2, column `vp` (column 4): NaN: a velocity must be positive",
        ),
        (
            "neg.csv",
            "Lon,Lat,Depth,Vp,Vs\n-117,35,0,5,3\n\n-117,35,0,5,-1\n",
            "line 4, column `Vs` (column 5): -1",
        ),
        (
            "lat.csv",
            "lon,lat,depth,vp,vs\n-117,95,0,5,3\n",
            "line 2, column `lat` (column 2): 95: a latitude",
        ),
        (
            "comment.csv",
            "# a\nlon,lat,depth,vp,vs\n# b\n\n-117,35,0,x,3\n",
            "line 5, column `vp` (column 4): `x`",
        ),
        (
            "norows.csv",
            "lon,lat,depth,vp,vs\n# nothing\n",
            "no data rows",
        ),
    ];
    for (name, text, want) in cases {
        let path = write(dir.path(), name, text);
        let e =
            VelocityModel3D::from_velocity_csv(&path, g, &project, &ScatteredOptions::default())
                .unwrap_err()
                .to_string();
        assert!(e.contains(name), "{name}: {e}");
        assert!(e.contains(want), "{name}: got `{e}`, want `{want}`");
    }
    let e = VelocityModel3D::from_velocity_csv(
        dir.path().join("absent.csv"),
        g,
        &project,
        &ScatteredOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("absent.csv"), "{e}");
}

#[test]
fn depth_profile_is_sampled_at_node_depths() {
    let geometry = GridGeometry {
        n: [2, 3, 6],
        origin_km: [0.0, 0.0, -1.0],
        spacing_km: [1.0, 1.0, 1.0],
    };
    // Two layers, interface at 2 km.
    let m = VelocityModel3D::from_depth_profile(geometry, |z| {
        if z < 2.0 {
            (4.5, 2.6)
        } else {
            (6.0, 3.46)
        }
    })
    .unwrap();
    for ix in 0..2 {
        for iy in 0..3 {
            for iz in 0..6 {
                let z = -1.0 + iz as f64;
                let i = geometry.index(ix, iy, iz);
                let want = if z < 2.0 { (4.5, 2.6) } else { (6.0, 3.46) };
                assert_eq!((m.vp().data[i], m.vs().data[i]), want);
            }
        }
    }
    assert_eq!(m.velocity(Phase::S), m.vs());
    let e =
        VelocityModel3D::from_depth_profile(geometry, |z| (5.0, if z > 1.5 { 0.0 } else { 3.0 }))
            .unwrap_err();
    assert!(e.to_string().contains("z = 2 km: Vs = 0"), "{e}");
}

fn gradient_vp(geometry: GridGeometry) -> Grid3<f64> {
    let mut data = vec![0.0; geometry.len()];
    for ix in 0..geometry.n[0] {
        for iy in 0..geometry.n[1] {
            for iz in 0..geometry.n[2] {
                data[geometry.index(ix, iy, iz)] = 5.0 + 0.1 * iz as f64 + 0.01 * ix as f64;
            }
        }
    }
    Grid3 { geometry, data }
}

#[test]
fn vp_and_ratio_constant_and_gridded() {
    let geometry = GridGeometry {
        n: [3, 2, 4],
        origin_km: [0.0; 3],
        spacing_km: [0.5; 3],
    };
    let vp = gradient_vp(geometry);
    let m = VelocityModel3D::from_vp_and_ratio(vp.clone(), VpVsRatio::Constant(1.8)).unwrap();
    for (p, s) in m.vp().data.iter().zip(&m.vs().data) {
        assert!((p / s - 1.8).abs() < 1e-12);
    }
    let ratio = Grid3 {
        geometry,
        data: (0..24).map(|i| 1.7 + 0.005 * i as f64).collect(),
    };
    let m = VelocityModel3D::from_vp_and_ratio(vp.clone(), VpVsRatio::Grid(ratio.clone())).unwrap();
    for i in 0..24 {
        assert!((m.vs().data[i] * ratio.data[i] - vp.data[i]).abs() < 1e-12);
    }
    assert!(VelocityModel3D::from_vp_and_ratio(vp.clone(), VpVsRatio::Constant(0.0)).is_err());
    let mut bad = ratio;
    bad.data[5] = f64::NAN;
    let e = VelocityModel3D::from_vp_and_ratio(vp, VpVsRatio::Grid(bad))
        .unwrap_err()
        .to_string();
    assert!(e.contains("node (0, 1, 1)"), "{e}");
}

#[test]
fn a_constant_ratio_model_equals_the_model_of_its_vs_grid() {
    // Vs is made on demand for a constant ratio: the model must still equal
    // (and solve as) the one given the grid Vp / r, before and after.
    let geometry = GridGeometry { n: [3, 2, 4], origin_km: [0.0; 3], spacing_km: [0.5; 3] };
    let vp = gradient_vp(geometry);
    let vs = Grid3 { geometry, data: vp.data.iter().map(|v| v / 1.73).collect() };
    let lazy = VelocityModel3D::from_vp_and_ratio(vp.clone(), VpVsRatio::Constant(1.73)).unwrap();
    let given = VelocityModel3D::new(vp.clone(), vs.clone()).unwrap();
    assert_eq!(lazy.uniform_vp_vs(), given.uniform_vp_vs());
    assert_eq!(lazy.clone(), given);
    assert_eq!(lazy.velocity(Phase::S), &vs);
    assert_eq!(lazy.clone().into_parts(), (vp.clone(), vs.clone()));
    assert_ne!(VelocityModel3D::from_vp_and_ratio(vp, VpVsRatio::Constant(1.7)).unwrap(), given);
}

#[test]
fn a_ratio_that_sends_vs_out_of_range_names_the_node() {
    let geometry = GridGeometry { n: [3, 2, 4], origin_km: [0.0; 3], spacing_km: [0.5; 3] };
    let mut vp = gradient_vp(geometry);
    // Vs = Vp / 1e-308 overflows at the fastest node only.
    let fastest = geometry.index(2, 1, 3);
    vp.data[fastest] = 1e3;
    let e = VelocityModel3D::from_vp_and_ratio(vp.clone(), VpVsRatio::Constant(1e-306)).unwrap_err().to_string();
    assert!(e.contains("node (2, 1, 3)") && e.contains("inf"), "{e}");
    // Vs = Vp / 1e308 underflows to zero at the slowest node only.
    vp.data[fastest] = 1e300;
    vp.data[geometry.index(1, 0, 2)] = 1e-300;
    let e = VelocityModel3D::from_vp_and_ratio(vp, VpVsRatio::Constant(1e308)).unwrap_err().to_string();
    assert!(e.contains("node (1, 0, 2)") && e.contains("= 0 at"), "{e}");
}

#[test]
fn from_nll_p_and_s_grids_and_from_vp_grid_with_ratio() {
    let dir = tempfile::tempdir().unwrap();
    let geometry = GridGeometry {
        n: [3, 2, 4],
        origin_km: [-1.0, 0.0, 0.0],
        spacing_km: [0.5; 3],
    };
    let vp = gradient_vp(geometry);
    let vs = Grid3 {
        geometry,
        data: vp.data.iter().map(|v| v / 1.75).collect(),
    };
    let p_base = dir.path().join("m.P.mod");
    let s_base = dir.path().join("m.S.mod");
    write_nll_grid(
        &p_base,
        &NllGrid::velocity_as(&vp, NllGridType::SlowLen).unwrap(),
    )
    .unwrap();
    write_nll_grid(
        &s_base,
        &NllGrid::velocity_as(&vs, NllGridType::Slowness).unwrap(),
    )
    .unwrap();
    let m = VelocityModel3D::from_nll_grids(&p_base, dir.path().join("m.S.mod.hdr")).unwrap();
    // The files hold Vel2Grid's cell-centre values; the model, node values.
    let (vp_nodes, vs_nodes) = (
        eqnemix_traveltime::nll::cell_centres_to_nodes(&vp),
        eqnemix_traveltime::nll::cell_centres_to_nodes(&vs),
    );
    for i in 0..vp.data.len() {
        assert!((m.vp().data[i] - vp_nodes.data[i]).abs() < 1e-5);
        assert!((m.vs().data[i] - vs_nodes.data[i]).abs() < 1e-5);
    }
    let m2 = VelocityModel3D::from_nll_vp_and_ratio(&p_base, 1.75).unwrap();
    for i in 0..vp.data.len() {
        assert!((m2.vs().data[i] - vs_nodes.data[i]).abs() < 1e-5);
    }
    // Different geometry: refused, naming the S grid.
    let other = GridGeometry {
        n: [3, 2, 5],
        ..geometry
    };
    let s2 = dir.path().join("other.S.mod");
    write_nll_grid(&s2, &NllGrid::velocity_km_s(&gradient_vp(other))).unwrap();
    let e = VelocityModel3D::from_nll_grids(&p_base, &s2)
        .unwrap_err()
        .to_string();
    assert!(e.contains("other.S.mod") && e.contains("differs"), "{e}");
}

#[test]
fn new_rejects_mismatch_and_bad_values() {
    let g = GridGeometry {
        n: [2, 2, 2],
        origin_km: [0.0; 3],
        spacing_km: [1.0; 3],
    };
    let ok = Grid3 {
        geometry: g,
        data: vec![5.0; 8],
    };
    let mut neg = ok.clone();
    neg.data[3] = -1.0;
    let e = VelocityModel3D::new(ok.clone(), neg)
        .unwrap_err()
        .to_string();
    assert!(e.contains("Vs = -1 at node (0, 1, 1)"), "{e}");
    let other = Grid3 {
        geometry: GridGeometry {
            spacing_km: [2.0; 3],
            ..g
        },
        data: vec![3.0; 8],
    };
    assert!(VelocityModel3D::new(ok, other)
        .unwrap_err()
        .to_string()
        .contains("differ in geometry"));
}

#[test]
fn cell_average_keeps_vertical_times_through_an_interface() {
    // Interface at 1.3 km inside the cell [1.25, 1.75] of the node at 1.5 km.
    let geometry = GridGeometry {
        n: [2, 2, 5],
        origin_km: [0.0; 3],
        spacing_km: [0.5; 3],
    };
    let profile = |z: f64| if z < 1.3 { (4.0, 2.0) } else { (8.0, 4.0) };
    let m = VelocityModel3D::from_depth_profile_cell_average(geometry, profile).unwrap();
    let vp: Vec<f64> = (0..5)
        .map(|iz| m.vp().data[geometry.index(1, 0, iz)])
        .collect();
    assert_eq!(&vp[..3], &[4.0, 4.0, 4.0]);
    // 64 midpoint samples of [1.25, 1.75]: those at 1.25 + (k + 1/2)/128 < 1.3
    // (k = 0..5, 6 of them) are slow; the exact slow fraction is 0.1.
    let harmonic = |f: f64| 1.0 / (f / 4.0 + (1.0 - f) / 8.0);
    assert!((vp[3] - harmonic(6.0 / 64.0)).abs() < 1e-12, "{}", vp[3]);
    assert!((vp[3] - harmonic(0.1)).abs() < 0.06);
    assert_eq!(vp[4], 8.0);
    // Vertical time through the column equals the profile's within sampling.
    let t_grid: f64 = vp.iter().map(|v| 0.5 / v).sum();
    let t_exact = 1.3 / 4.0 + (2.25 - 1.3) / 8.0 + 0.25 / 4.0; // cells span [-0.25, 2.25]
    assert!((t_grid - t_exact).abs() < 1e-3, "{t_grid} vs {t_exact}");
    let e = VelocityModel3D::from_depth_profile_cell_average(geometry, |z| {
        (if z > 2.0 { -1.0 } else { 5.0 }, 3.0)
    })
    .unwrap_err()
    .to_string();
    assert!(e.contains("Vp = -1"), "{e}");
}

#[test]
fn a_uniform_nll_grid_is_held_as_its_velocity_and_solves_as_its_grid() {
    use eqnemix_traveltime::{solve_eikonal, EikonalOptions, TravelTimeError};
    // 70 x 30 x 40 = 84,000 nodes: several read chunks (32,768 values).
    let geometry = GridGeometry { n: [70, 30, 40], origin_km: [-10.0, -5.0, -1.0], spacing_km: [0.5; 3] };
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, vp: &Grid3<f64>| {
        let base = dir.path().join(name);
        write_nll_grid(&base, &NllGrid::velocity_as(vp, NllGridType::SlowLen).unwrap()).unwrap();
        base
    };
    let uniform = Grid3 { geometry, data: vec![5.5; geometry.len()] };
    let base = write("u.P.mod", &uniform);
    let m = VelocityModel3D::from_nll_vp_and_ratio(&base, 1.8).unwrap();
    assert_eq!(m.geometry(), geometry);
    // What the grid path gives (the cell-centre means of a uniform grid).
    let read = eqnemix_traveltime::nll::read_nll_velocity(&base).unwrap();
    let via_grid =
        VelocityModel3D::from_vp_and_ratio(eqnemix_traveltime::nll::cell_centres_to_nodes(&read), VpVsRatio::Constant(1.8))
            .unwrap();
    assert_eq!(m.uniform_vp_vs(), via_grid.uniform_vp_vs());
    let opts = EikonalOptions::default();
    let source = [3.2, 1.1, 4.4];
    for phase in [Phase::P, Phase::S] {
        let held = m.eikonal_field(phase, source, &opts, None).unwrap();
        let solved = solve_eikonal(via_grid.velocity(phase), source, &opts, None).unwrap();
        assert!(held.times_f32() == solved.times_f32(), "{phase}");
    }
    assert_eq!(m, via_grid); // makes the grids: the same values
    assert_eq!(m.clone().into_parts(), via_grid.clone().into_parts());
    assert!(matches!(
        m.eikonal_field(Phase::P, [100.0, 0.0, 0.0], &opts, None),
        Err(TravelTimeError::StationOutside { .. })
    ));
    // One node differs at the very end: read as a grid.
    let mut almost = uniform.clone();
    let last = geometry.len() - 1;
    almost.data[last] = 6.0;
    let m = VelocityModel3D::from_nll_vp_and_ratio(write("a.P.mod", &almost), 1.8).unwrap();
    assert_eq!(m.uniform_vp_vs(), via_grid.uniform_vp_vs());
    assert!(m.vp().data[last] > 5.51 && (m.vp().data[0] - 5.5).abs() < 1e-5);
    // A bad value after a uniform start is named at its node.
    almost.data[last] = -1.0;
    let e = VelocityModel3D::from_nll_vp_and_ratio(write("b.P.mod", &almost), 1.8).unwrap_err().to_string();
    assert!(e.contains("b.P.mod.buf") && e.contains("node (69, 29, 39)"), "{e}");
}
