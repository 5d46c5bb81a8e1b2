//! `eqnemix traveltime` end to end: run the binary, read the NonLinLoc TIME
//! grids back, compare with the analytic homogeneous solution; and check
//! that failures exit non-zero, name the file and leave no output behind.

use eqnemix::traveltime::nll::{
    read_nll_grid, read_nll_velocity, write_nll_grid, NllGrid, NllGridType,
};
use eqnemix::traveltime::{Grid3, GridGeometry, TravelTimeError};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const VP: f64 = 6.0;
const VS: f64 = 3.5;

fn eqnemix(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_eqnemix"))
        .arg("traveltime")
        .args(args)
        .output()
        .expect("runs")
}

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn homogeneous_toml(dir: &Path) -> PathBuf {
    let p = dir.join("homogeneous.toml");
    std::fs::write(
        &p,
        format!("[[layer]]\ntop_km = -3.0\nvp = {VP}\nvs = {VS}\n"),
    )
    .unwrap();
    p
}

const STATION: [f64; 3] = [0.3, -0.2, 0.1];
const GRID: &[&str] = &[
    "--grid",
    "21,17,11",
    "--grid-origin",
    "-5,-4,-0.5",
    "--spacing",
    "0.5",
];

/// Largest |t - |x - s| / v| (s) over the nodes of a TIME grid, after checking
/// its header.
/// Run `eqnemix traveltime` with the model flags `model`, the test grid
/// [`GRID`] and station XX.STA at `station_km` ("east,north,depth"), writing
/// into `out`.
fn on_station_grid(model: &[&str], station_km: &str, out: &Path) -> Output {
    let mut args = model.to_vec();
    args.extend_from_slice(GRID);
    args.extend_from_slice(&["--station", "XX.STA", "--station-km", station_km, "--out", out.to_str().unwrap()]);
    eqnemix(&args)
}

fn max_error(base: &Path, v: f64) -> Result<f64, TravelTimeError> {
    let g = read_nll_grid(base)?;
    assert_eq!(g.header.grid_type, NllGridType::Time);
    let src = g.header.source.as_ref().unwrap();
    assert_eq!(src.label, "XX.STA");
    assert_eq!(src.position_km, STATION);
    let geo = g.geometry();
    assert_eq!(geo.n, [21, 17, 11]);
    assert_eq!(geo.origin_km, [-5.0, -4.0, -0.5]);
    assert_eq!(geo.spacing_km, [0.5; 3]);
    let mut worst: f64 = 0.0;
    for ix in 0..21 {
        for iy in 0..17 {
            for iz in 0..11 {
                let p = geo.node_position(ix, iy, iz);
                let d = ((p[0] - STATION[0]).powi(2)
                    + (p[1] - STATION[1]).powi(2)
                    + (p[2] - STATION[2]).powi(2))
                .sqrt();
                worst = worst.max((g.data[geo.index(ix, iy, iz)] - d / v).abs());
            }
        }
    }
    Ok(worst)
}

#[test]
fn layered_and_eikonal_times_match_the_homogeneous_solution() {
    let dir = tempfile::tempdir().unwrap();
    let toml = homogeneous_toml(dir.path());
    // The layered method is exact; the factored eikonal solver is exact in a
    // homogeneous medium (tau = 1). Times reach ~3 s, so f32 rounding is
    // ~2e-7 s; 1e-5 s leaves room for nothing else.
    for (method, tol) in [("layered", 1e-5), ("eikonal", 1e-5)] {
        let out = dir.path().join(method);
        ok(&on_station_grid(&["--velocity-toml", toml.to_str().unwrap(), "--method", method], "0.3,-0.2,0.1", &out));
        for (phase, v) in [("P", VP), ("S", VS)] {
            let base = out.join(format!("model.{phase}.XX.STA.time"));
            let err = max_error(&base, v).unwrap();
            assert!(err < tol, "{method} {phase}: max error {err} s");
        }
    }
}

#[test]
fn nll_vp_grid_with_ratio_gives_homogeneous_times() {
    let dir = tempfile::tempdir().unwrap();
    let geometry = GridGeometry {
        n: [21, 17, 11],
        origin_km: [-5.0, -4.0, -0.5],
        spacing_km: [0.5; 3],
    };
    let vp = Grid3 {
        geometry,
        data: vec![VP; geometry.len()],
    };
    let vp_base = dir.path().join("vel.P.mod");
    write_nll_grid(
        &vp_base,
        &NllGrid::velocity_as(&vp, NllGridType::SlowLen).unwrap(),
    )
    .unwrap();
    let out = dir.path().join("out");
    let ratio = format!("{}", VP / VS);
    ok(&eqnemix(&[
        "--vp-grid",
        vp_base.to_str().unwrap(),
        "--vp-vs",
        &ratio,
        "--station",
        "XX.STA",
        "--station-km",
        "0.3,-0.2,0.1",
        "--out",
        out.to_str().unwrap(),
        "--label",
        "nll",
    ]));
    assert!(max_error(&out.join("nll.P.XX.STA.time"), VP).unwrap() < 1e-5);
    assert!(max_error(&out.join("nll.S.XX.STA.time"), VS).unwrap() < 1e-5);
}

#[test]
fn velocity_csv_of_a_homogeneous_model_gives_homogeneous_times() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("points.csv");
    let mut text = String::from("lon,lat,depth_km,vp,vs\n");
    for depth in [-1.0, 2.0, 6.0] {
        for i in 0..15 {
            for j in 0..15 {
                let (lon, lat) = (-117.7 + 0.015 * i as f64, 35.65 + 0.015 * j as f64);
                text.push_str(&format!("{lon},{lat},{depth},{VP},{VS}\n"));
            }
        }
    }
    std::fs::write(&csv, text).unwrap();
    let out = dir.path().join("out");
    let args = [
        "--velocity-csv",
        csv.to_str().unwrap(),
        "--origin-lon",
        "-117.6",
        "--origin-lat",
        "35.75",
    ];
    ok(&on_station_grid(&args, "0.3,-0.2,0.1", &out));
    assert!(max_error(&out.join("model.P.XX.STA.time"), VP).unwrap() < 1e-5);
    assert!(max_error(&out.join("model.S.XX.STA.time"), VS).unwrap() < 1e-5);
    let hdr = std::fs::read_to_string(out.join("model.P.XX.STA.time.hdr")).unwrap();
    assert!(hdr.contains("TRANSFORM  AZIMUTHAL_EQUIDIST RefEllipsoid WGS-84  LatOrig 35.750000  LongOrig -117.600000"), "{hdr}");
}

#[test]
fn sample_csv_velocities_stay_within_the_points_range() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/data/velocity/ridgecrest_synthetic.csv");
    let points = eqnemix::traveltime::velocity::read_velocity_csv(&sample).unwrap();
    let (lo, hi) = points.iter().fold((f64::INFINITY, 0.0f64), |(a, b), p| {
        (a.min(p.vp_km_s), b.max(p.vp_km_s))
    });
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    ok(&eqnemix(&[
        "--velocity-csv",
        sample.to_str().unwrap(),
        "--origin-lon",
        "-117.6",
        "--origin-lat",
        "35.75",
        "--grid",
        "21,21,12",
        "--grid-origin",
        "-20,-20,-2",
        "--spacing",
        "2",
        "--station",
        "CI.CCC",
        "--station-km",
        "0,0,-0.7",
        "--out",
        out.to_str().unwrap(),
        "--write-velocity",
    ]));
    let vp = read_nll_velocity(out.join("model.P.mod")).unwrap();
    assert!(
        vp.data.iter().all(|&v| v >= lo - 1e-5 && v <= hi + 1e-5),
        "Vp outside [{lo}, {hi}]"
    );
    // Deeper is faster in this model: the column under the station increases.
    let g = vp.geometry;
    let col: Vec<f64> = (0..12).map(|iz| vp.data[g.index(10, 10, iz)]).collect();
    assert!(col.windows(2).all(|w| w[1] >= w[0]), "{col:?}");
    let t = read_nll_grid(out.join("model.S.CI.CCC.time")).unwrap();
    assert!(t.data.iter().all(|t| t.is_finite() && *t >= 0.0));
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn files_in(dir: &Path) -> Vec<String> {
    match std::fs::read_dir(dir) {
        Err(_) => Vec::new(),
        Ok(rd) => rd
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect(),
    }
}

#[test]
fn missing_model_file_fails_naming_it_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let missing = dir.path().join("no_such_model.toml");
    let o = on_station_grid(&["--velocity-toml", missing.to_str().unwrap()], "0,0,0", &out);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("no_such_model.toml"), "{}", stderr(&o));
    assert!(files_in(&out).is_empty());

    // A truncated NonLinLoc buffer: the message names the .buf.
    let base = dir.path().join("trunc.P.mod");
    let g = GridGeometry {
        n: [4, 4, 4],
        origin_km: [0.0; 3],
        spacing_km: [1.0; 3],
    };
    write_nll_grid(
        &base,
        &NllGrid::velocity_km_s(&Grid3 {
            geometry: g,
            data: vec![5.0; 64],
        }),
    )
    .unwrap();
    let buf = dir.path().join("trunc.P.mod.buf");
    let bytes = std::fs::read(&buf).unwrap();
    std::fs::write(&buf, &bytes[..100]).unwrap();
    let o = eqnemix(&[
        "--vp-grid",
        base.to_str().unwrap(),
        "--vp-vs",
        "1.73",
        "--station",
        "XX.STA",
        "--station-km",
        "1,1,1",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains("trunc.P.mod.buf")
            && e.contains("expected 256 bytes")
            && e.contains("found 100"),
        "{e}"
    );
    assert!(files_in(&out).is_empty());
}

#[test]
fn bad_flags_fail_with_a_message_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let toml = homogeneous_toml(dir.path());
    let out = dir.path().join("out");
    let base = [
        "--velocity-toml",
        toml.to_str().unwrap(),
        "--station",
        "XX.STA",
        "--out",
        out.to_str().unwrap(),
    ];
    let cases: [(&[&str], &str); 5] = [
        (
            &[
                "--grid",
                "10,10",
                "--grid-origin",
                "0,0,0",
                "--spacing",
                "1",
                "--station-km",
                "0,0,0",
            ],
            "--grid",
        ),
        (
            &[
                "--grid",
                "10,10,10",
                "--grid-origin",
                "0,0,0",
                "--spacing",
                "-1",
                "--station-km",
                "0,0,0",
            ],
            "--spacing",
        ),
        (
            &[
                "--grid",
                "10,10,10",
                "--grid-origin",
                "0,0,0",
                "--spacing",
                "1",
                "--station-km",
                "0,x,0",
            ],
            "--station-km",
        ),
        (&["--station-km", "0,0,0"], "--grid"),
        // The eikonal solver needs the station inside the grid.
        (
            &[
                "--grid",
                "5,5,5",
                "--grid-origin",
                "0,0,0",
                "--spacing",
                "1",
                "--station-km",
                "50,0,0",
                "--method",
                "eikonal",
            ],
            "XX.STA",
        ),
    ];
    for (extra, want) in cases {
        let mut args: Vec<&str> = base.to_vec();
        args.extend_from_slice(extra);
        let o = eqnemix(&args);
        assert!(!o.status.success(), "{extra:?} should fail");
        assert!(stderr(&o).contains(want), "{extra:?}: {}", stderr(&o));
        assert!(
            files_in(&out).is_empty(),
            "{extra:?} left {:?}",
            files_in(&out)
        );
    }
}

#[test]
fn a_failed_second_write_removes_the_first_grid() {
    // The S header's name is taken by a directory, so writing S fails after
    // P was written: P must be removed again.
    let dir = tempfile::tempdir().unwrap();
    let toml = homogeneous_toml(dir.path());
    let out = dir.path().join("out");
    std::fs::create_dir_all(out.join("model.S.XX.STA.time.hdr")).unwrap();
    let o = on_station_grid(&["--velocity-toml", toml.to_str().unwrap()], "0,0,0", &out);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("model.S.XX.STA.time"), "{}", stderr(&o));
    assert_eq!(files_in(&out), ["model.S.XX.STA.time.hdr"]);
}

/// First arrival (s) between two points in the top layer of a layer (v1) over
/// a half-space (v2 > v1) with its top at depth `h`: the direct ray or the
/// head wave, whichever is earlier (textbook refraction formulas).
fn two_layer_time(v1: f64, v2: f64, h: f64, dist: f64, z_src: f64, z_sta: f64) -> f64 {
    let direct = dist.hypot(z_src - z_sta) / v1;
    let cos_ic = (1.0 - (v1 / v2).powi(2)).sqrt();
    let tan_ic = (v1 / v2) / cos_ic;
    let legs = (h - z_src) + (h - z_sta);
    if dist <= legs * tan_ic {
        return direct; // no head wave before the critical distance
    }
    direct.min(dist / v2 + legs * cos_ic / v1)
}

#[test]
fn two_layer_times_match_the_refraction_formulas() {
    let (v1, v2, h) = (5.0, 7.0, 2.0);
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("two.toml");
    std::fs::write(&toml, format!("[[layer]]\ntop_km = -3\nvp = {v1}\nvs = 2.9\n\n[[layer]]\ntop_km = {h}\nvp = {v2}\nvs = 4.0\n")).unwrap();
    let station = [0.3, -0.2, 0.1];
    // Layered: exact. Eikonal on the sampled grid: nodes hold cell-mean
    // slowness, so the velocity rises from v1 (node at 1.5 km) to v2 (2.5 km)
    // and exceeds v1 at most 0.5 km above the interface, which advances head
    // waves by at most 2 x 0.5 km x cos(ic) / v1 = 0.14 s (measured over the whole
    // grid: 0.044 s by the 2D reduction, 0.059 s by the 3D march; 0.083 s
    // with point sampling).
    // The eikonal runs the 2D reduction (a depth-only medium) and, with
    // --march-3d, the 3D march.
    for (method, flag, tol) in [("layered", None, 1e-5), ("eikonal", None, 0.15), ("eikonal", Some("--march-3d"), 0.15)] {
        let out = dir.path().join(format!("{method}{}", flag.unwrap_or("")));
        let mut args = vec![
            "--velocity-toml",
            toml.to_str().unwrap(),
            "--method",
            method,
            "--grid",
            "41,41,11",
            "--grid-origin",
            "-10,-10,-0.5",
            "--spacing",
            "0.5",
            "--station",
            "XX.STA",
            "--station-km",
            "0.3,-0.2,0.1",
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend(flag);
        ok(&eqnemix(&args));
        let g = read_nll_grid(out.join("model.P.XX.STA.time")).unwrap();
        let geo = g.geometry();
        let (mut worst, mut heads) = (0.0f64, 0);
        for ix in 0..41 {
            for iy in 0..41 {
                for iz in 0..5 {
                    // depths -0.5 .. 1.5 km: the top layer
                    let p = geo.node_position(ix, iy, iz);
                    let dist = (p[0] - station[0]).hypot(p[1] - station[1]);
                    let want = two_layer_time(v1, v2, h, dist, p[2], station[2]);
                    if want < dist.hypot(p[2] - station[2]) / v1 - 1e-9 {
                        heads += 1;
                    }
                    worst = worst.max((g.data[geo.index(ix, iy, iz)] - want).abs());
                }
            }
        }
        assert!(
            heads > 100,
            "the grid should reach beyond the crossover distance ({heads} head-wave nodes)"
        );
        println!("{method} {flag:?}: max error {worst:.4} s");
        assert!(worst < tol, "{method} {flag:?}: max error {worst} s");
    }
}

/// Issue 16: layered models accepted Vp < Vs, and 1e-300 km/s velocities
/// gave infinite grids. Both are rejected naming the file, line and layer.
#[test]
fn non_physical_layer_velocities_name_file_line_and_layer() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let layers = |vp1: &str, vs1: &str| format!("[[layer]]\ntop_km = -3.0\nvp = 6.0\nvs = 3.5\n\n[[layer]]\ntop_km = 10.0\nvp = {vp1}\nvs = {vs1}\n");
    for (name, text, expect) in [
        ("swapped.toml", layers("3.0", "4.0"), vec!["line 8", "layer 1", "vp = 3.0 km/s must exceed vs = 4.0 km/s"]),
        ("tiny.toml", layers("1e-300", "1e-301"), vec!["line 8", "layer 1", "vp = 1e-300", "physical range"]),
        ("fast.toml", layers("6.5", "1e6"), vec!["line 9", "layer 1", "vs = 1000000.0", "physical range"]),
    ] {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        let o = on_station_grid(&["--velocity-toml", p.to_str().unwrap()], "0,0,0", &out);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{e}");
        assert!(e.contains(name), "{e}");
        for x in expect {
            assert!(e.contains(x), "expected {x:?} in {e}");
        }
        assert!(files_in(&out).is_empty());
    }
    // The text format and the library constructors check the same.
    let e = eqnemix::traveltime::Layered1D::from_text_str("0 6 3.5\n# comment\n10 3.0 4.0\n", "m.txt").unwrap_err().to_string();
    assert!(e.contains("m.txt") && e.contains("line 3") && e.contains("layer 1") && e.contains("must exceed"), "{e}");
    let e = eqnemix::traveltime::Layered1D::new(vec![eqnemix::traveltime::Layer::new(0.0, 1e-300, 1e-301)]).unwrap_err().to_string();
    assert!(e.contains("layer 0") && e.contains("physical range"), "{e}");
    assert!(eqnemix::traveltime::Homogeneous::new(3.5, 6.0).is_err());
}

#[test]
fn a_station_outside_the_grid_fails_once_named_and_leaves_no_directory() {
    // The output directory is made before the grids are streamed into it;
    // a failure removes it again (it was not there before), and the error
    // chain does not repeat the point's own error.
    let dir = tempfile::tempdir().unwrap();
    let g = GridGeometry { n: [6, 6, 5], origin_km: [0.0; 3], spacing_km: [1.0; 3] };
    let base = dir.path().join("u.P.mod");
    write_nll_grid(&base, &NllGrid::velocity_km_s(&Grid3 { geometry: g, data: vec![5.0; g.len()] })).unwrap();
    let out = dir.path().join("new").join("grids");
    let o = eqnemix(&[
        "--vp-grid", base.to_str().unwrap(), "--vp-vs", "1.73", "--station", "XX.STA", "--station-km", "9,1,1",
        "--out", out.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(e.contains("XX.STA") && e.matches("(9.000, 1.000, 1.000)").count() == 1, "{e}");
    assert!(!out.exists());
}
