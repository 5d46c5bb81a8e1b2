//! NonLinLoc grid files: hand-written fixtures (tests/data/nll, made by
//! make_fixtures.py with Python's struct, independent of this crate), round
//! trips of every grid type, and the errors.

use eqnemix_traveltime::nll::{
    nll_base_path, nll_time_grid_base, read_nll_grid, read_nll_header, read_nll_velocity,
    write_nll_grid, NllFloatType, NllGrid, NllGridType, NllGridWriter,
};
use eqnemix_traveltime::{Grid3, GridGeometry, Phase, TravelTimeError};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/nll")
        .join(name)
}

/// The velocity (km/s) make_fixtures.py stores in slowlen/meters_double.
fn fixture_velocity(ix: usize, iy: usize, iz: usize) -> f64 {
    5.0 + ix as f64 + 0.5 * iy as f64 + 0.25 * iz as f64
}

fn err_text(e: TravelTimeError) -> String {
    e.to_string()
}

#[test]
fn buffer_order_is_x_slowest_z_fastest() {
    let g = read_nll_grid(fixture("order.mod")).unwrap();
    let geo = g.geometry();
    assert_eq!(geo.n, [2, 3, 4]);
    assert_eq!(geo.origin_km, [-1.0, 2.0, -0.5]);
    assert_eq!(geo.spacing_km, [0.5, 0.5, 0.25]);
    assert_eq!(g.header.grid_type, NllGridType::Velocity);
    for ix in 0..2 {
        for iy in 0..3 {
            for iz in 0..4 {
                let want = 1.0 + 100.0 * ix as f64 + 10.0 * iy as f64 + iz as f64;
                assert_eq!(g.data[geo.index(ix, iy, iz)], want, "node ({ix},{iy},{iz})");
            }
        }
    }
}

#[test]
fn slow_len_fixture_converts_to_km_per_s_whatever_the_path_form() {
    for path in ["slowlen.P.mod", "slowlen.P.mod.hdr", "slowlen.P.mod.buf"] {
        let v = read_nll_velocity(fixture(path)).unwrap();
        let g = v.geometry;
        for ix in 0..2 {
            for iy in 0..3 {
                for iz in 0..4 {
                    let want = fixture_velocity(ix, iy, iz);
                    let got = v.data[g.index(ix, iy, iz)];
                    assert!(
                        (got - want).abs() < 1e-6 * want,
                        "{path} ({ix},{iy},{iz}): {got} vs {want}"
                    );
                }
            }
        }
    }
    let h = read_nll_header(fixture("slowlen.P.mod")).unwrap();
    assert_eq!(
        h.transform.as_deref(),
        Some("SIMPLE LatOrig 35.700000 LongOrig -117.500000 RotCW 0.000000")
    );
}

#[test]
fn double_meters_fixture_reads_exactly() {
    let g = read_nll_grid(fixture("meters_double.S.mod")).unwrap();
    assert_eq!(g.header.float_type, NllFloatType::Double);
    let v = g.to_velocity_km_s().unwrap();
    for ix in 0..2 {
        for iy in 0..3 {
            for iz in 0..4 {
                assert_eq!(
                    v.data[v.geometry.index(ix, iy, iz)],
                    fixture_velocity(ix, iy, iz)
                );
            }
        }
    }
}

#[test]
fn time_fixture_has_its_station() {
    let g = read_nll_grid(fixture("tiny.P.STA1.time")).unwrap();
    assert_eq!(g.header.grid_type, NllGridType::Time);
    let s = g.header.source.as_ref().unwrap();
    assert_eq!(s.label, "STA1");
    assert_eq!(s.position_km, [0.25, 0.5, -0.1]);
    for (i, &t) in g.data.iter().enumerate() {
        assert!((t - 0.01 * i as f64).abs() < 1e-6, "value {i}: {t}");
    }
    // A time grid is not a velocity model.
    let e = err_text(read_nll_velocity(fixture("tiny.P.STA1.time")).unwrap_err());
    assert!(
        e.contains("tiny.P.STA1.time.hdr") && e.contains("does not hold velocities"),
        "{e}"
    );
}

fn sample_velocity() -> Grid3<f64> {
    let geometry = GridGeometry {
        n: [3, 4, 5],
        origin_km: [-2.0, 1.5, -1.0],
        spacing_km: [0.25, 0.25, 0.25],
    };
    let mut data = vec![0.0; geometry.len()];
    for ix in 0..3 {
        for iy in 0..4 {
            for iz in 0..5 {
                data[geometry.index(ix, iy, iz)] =
                    2.0 + 0.37 * ix as f64 + 0.11 * iy as f64 + 0.53 * iz as f64;
            }
        }
    }
    Grid3 { geometry, data }
}

#[test]
fn every_velocity_type_round_trips_in_float_and_double() {
    let v = sample_velocity();
    let dir = tempfile::tempdir().unwrap();
    for name in NllGridType::SUPPORTED_NAMES {
        let t = NllGridType::parse(name).unwrap();
        if !t.is_velocity_like() {
            continue;
        }
        for float_type in [NllFloatType::Float, NllFloatType::Double] {
            let mut grid = NllGrid::velocity_as(&v, t).unwrap();
            grid.header.float_type = float_type;
            grid.header.transform = Some("SIMPLE LatOrig 35.7 LongOrig -117.5 RotCW 0.0".into());
            let base = dir.path().join(format!("m.{name}.{}", float_type.name()));
            let (hdr, buf) = write_nll_grid(&base, &grid).unwrap();
            assert!(hdr.ends_with(format!("m.{name}.{}.hdr", float_type.name())));
            let expected_bytes = v.data.len() * float_type.bytes();
            assert_eq!(
                std::fs::metadata(&buf).unwrap().len() as usize,
                expected_bytes
            );
            let back = read_nll_grid(&base).unwrap();
            assert_eq!(back.header, grid.header);
            let back_v = back.to_velocity_km_s().unwrap();
            assert_eq!(back_v.geometry, v.geometry);
            let tol = if float_type == NllFloatType::Float {
                1e-6
            } else {
                1e-14
            };
            for (a, b) in back_v.data.iter().zip(&v.data) {
                assert!(
                    (a - b).abs() <= tol * b,
                    "{name} {float_type:?}: {a} vs {b}"
                );
            }
        }
    }
}

#[test]
fn time_grid_round_trips_under_grid2time_naming() {
    let geometry = GridGeometry {
        n: [4, 3, 2],
        origin_km: [0.0, 0.0, -0.5],
        spacing_km: [1.0, 1.0, 1.0],
    };
    let times = Grid3 {
        geometry,
        data: (0..24).map(|i| i as f32 * 0.125).collect::<Vec<f32>>(),
    };
    let dir = tempfile::tempdir().unwrap();
    let base = nll_time_grid_base(dir.path(), "layer", Phase::S, "CI.CCC");
    assert_eq!(base.file_name().unwrap(), "layer.S.CI.CCC.time");
    write_nll_grid(&base, &NllGrid::time_s(&times, "CI.CCC", [1.0, 2.0, -0.3])).unwrap();
    let back = read_nll_grid(format!("{}.buf", base.display())).unwrap();
    assert_eq!(back.header.source.as_ref().unwrap().label, "CI.CCC");
    assert_eq!(
        back.header.source.as_ref().unwrap().position_km,
        [1.0, 2.0, -0.3]
    );
    let want: Vec<f64> = times.data.iter().map(|&t| t as f64).collect();
    assert_eq!(back.data, want);
    // Nothing but the two files is left in the directory.
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["layer.S.CI.CCC.time.buf", "layer.S.CI.CCC.time.hdr"]
    );
}

#[test]
fn overwriting_replaces_both_files() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("v");
    let v = sample_velocity();
    write_nll_grid(&base, &NllGrid::velocity_km_s(&v)).unwrap();
    let mut v2 = v.clone();
    v2.data.iter_mut().for_each(|x| *x *= 2.0);
    write_nll_grid(
        &base,
        &NllGrid::velocity_as(&v2, NllGridType::Slowness).unwrap(),
    )
    .unwrap();
    let back = read_nll_velocity(&base).unwrap();
    for (a, b) in back.data.iter().zip(&v2.data) {
        assert!((a - b).abs() < 1e-6 * b);
    }
}

#[test]
fn truncated_buffer_says_expected_and_actual_bytes() {
    let e = err_text(read_nll_grid(fixture("truncated")).unwrap_err());
    assert!(e.contains("truncated.buf"), "{e}");
    assert!(
        e.contains("truncated: expected 96 bytes") && e.contains("found 92 bytes"),
        "{e}"
    );
}

#[test]
fn longer_buffer_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("long");
    std::fs::write(dir.path().join("long.hdr"), "1 1 2 0 0 0 1 1 1 VELOCITY\n").unwrap();
    std::fs::write(dir.path().join("long.buf"), [0u8; 12]).unwrap();
    let e = err_text(read_nll_grid(&base).unwrap_err());
    assert!(
        e.contains("long.buf")
            && e.contains("longer than the header says")
            && e.contains("expected 8 bytes"),
        "{e}"
    );
}

#[test]
fn zero_velocity_is_refused_naming_file_and_node() {
    let e = err_text(read_nll_velocity(fixture("zero_velocity")).unwrap_err());
    assert!(
        e.contains("zero_velocity.buf") && e.contains("node (1, 2, 3)"),
        "{e}"
    );
    // SLOWNESS 0 would be an infinite velocity; NaN anywhere is refused too.
    let mut v = sample_velocity();
    v.data[7] = f64::NAN;
    let e = NllGrid::velocity_km_s(&v)
        .to_velocity_km_s()
        .unwrap_err()
        .to_string();
    assert!(e.contains("NaN"), "{e}");
    let mut s = NllGrid::velocity_as(&sample_velocity(), NllGridType::Slowness).unwrap();
    s.data[0] = 0.0;
    let e = s.to_velocity_km_s().unwrap_err().to_string();
    assert!(e.contains("node (0, 0, 0)") && e.contains("inf"), "{e}");
}

#[test]
fn header_errors_name_the_hdr_file_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "fields",
            "10 10 10 0 0 0 1 1 VELOCITY\n",
            "line 1: expected 10 or 11 fields",
        ),
        (
            "nonnum",
            "10 10 10 0 0 zz 1 1 1 VELOCITY\n",
            "field `zOrig`: `zz` is not a number",
        ),
        (
            "count",
            "10 -2 10 0 0 0 1 1 1 VELOCITY\n",
            "field `yNum`: node count -2",
        ),
        (
            "spacing",
            "10 10 10 0 0 0 0 1 1 VELOCITY\n",
            "field `dx`: spacing 0 km",
        ),
        (
            "unknown",
            "10 10 10 0 0 0 1 1 1 SPEED\n",
            "unknown grid type `SPEED`",
        ),
        (
            "time2d",
            "2 10 10 0 0 0 1 1 1 TIME2D\nSTA 0 0 0\n",
            "`TIME2D` is not supported",
        ),
        (
            "cascading",
            "10 10 10 0 0 0 1 1 1 VELOCITY\nCASCADING_GRID 2 10.0,20.0\n",
            "line 2: cascading",
        ),
    ];
    for (name, text, want) in cases {
        std::fs::write(dir.path().join(format!("{name}.hdr")), text).unwrap();
        let e = err_text(read_nll_grid(dir.path().join(name)).unwrap_err());
        assert!(
            e.contains(&format!("{name}.hdr")) && e.contains(want),
            "{name}: {e}"
        );
    }
}

#[test]
fn missing_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let e = err_text(read_nll_grid(dir.path().join("absent")).unwrap_err());
    assert!(e.contains("absent.hdr"), "{e}");
    std::fs::write(dir.path().join("nobuf.hdr"), "1 1 1 0 0 0 1 1 1 VELOCITY\n").unwrap();
    let e = err_text(read_nll_grid(dir.path().join("nobuf.hdr")).unwrap_err());
    assert!(e.contains("nobuf.buf"), "{e}");
}

#[test]
fn failed_write_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    // Into a directory that does not exist.
    let base = dir.path().join("missing_dir").join("v");
    let e =
        err_text(write_nll_grid(&base, &NllGrid::velocity_km_s(&sample_velocity())).unwrap_err());
    assert!(e.contains("missing_dir"), "{e}");
    // A header that cannot be written (TIME without a station): nothing written.
    let mut bad = NllGrid::velocity_km_s(&sample_velocity());
    bad.header.grid_type = NllGridType::Time;
    let e = err_text(write_nll_grid(dir.path().join("bad"), &bad).unwrap_err());
    assert!(e.contains("bad.hdr") && e.contains("needs a source"), "{e}");
    // Data and geometry disagree.
    let mut short = NllGrid::velocity_km_s(&sample_velocity());
    short.data.pop();
    assert!(write_nll_grid(dir.path().join("short"), &short).is_err());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn block_by_block_writing_equals_writing_whole_in_both_float_types() {
    // 70,000 nodes: more than one encoding chunk (32,768 values), written
    // in uneven blocks that straddle the chunk boundaries.
    let geometry = GridGeometry { n: [35, 40, 50], origin_km: [-3.0, 1.0, -0.5], spacing_km: [0.25; 3] };
    let grid = Grid3 { geometry, data: (0..geometry.len()).map(|i| 4.0 + (i % 977) as f64 / 311.0).collect() };
    let dir = tempfile::tempdir().unwrap();
    for float_type in [NllFloatType::Float, NllFloatType::Double] {
        let mut whole = NllGrid::velocity_km_s(&grid);
        whole.header.float_type = float_type;
        let a = dir.path().join(format!("whole.{}", float_type.name()));
        let b = dir.path().join(format!("blocks.{}", float_type.name()));
        write_nll_grid(&a, &whole).unwrap();
        let mut out = NllGridWriter::create(&b, &whole.header).unwrap();
        let mut at = 0;
        for size in [1, 32_767, 2, 30_000, 7_229, 1].into_iter().cycle() {
            let end = (at + size).min(grid.data.len());
            if float_type == NllFloatType::Float {
                let values: Vec<f32> = grid.data[at..end].iter().map(|&v| v as f32).collect();
                out.write_f32(&values).unwrap();
            } else {
                out.write_f64(&grid.data[at..end]).unwrap();
            }
            at = end;
            assert_eq!(out.written(), at);
            if at == grid.data.len() {
                break;
            }
        }
        out.finish().unwrap();
        for ext in ["hdr", "buf"] {
            let read = |base: &Path| std::fs::read(format!("{}.{ext}", base.display())).unwrap();
            assert!(read(&a) == read(&b), "{float_type:?} .{ext} differs");
        }
        assert_eq!(read_nll_grid(&b).unwrap().values().data.len(), geometry.len());
    }
}

#[test]
fn a_bad_velocity_past_the_first_read_chunk_is_named_at_its_node() {
    // 300,000 nodes: the .buf is decoded and checked in chunks of 131,072
    // values; the bad value sits in the third chunk.
    let geometry = GridGeometry { n: [60, 50, 100], origin_km: [0.0; 3], spacing_km: [0.5; 3] };
    let mut v = Grid3 { geometry, data: vec![6.0; geometry.len()] };
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("uniform.P.mod");
    write_nll_grid(&base, &NllGrid::velocity_km_s(&v)).unwrap();
    assert_eq!(read_nll_velocity(&base).unwrap(), v);
    let bad = geometry.index(57, 3, 41);
    assert!(bad > 2 * 131_072);
    v.data[bad] = -2.0;
    let base = dir.path().join("bad.P.mod");
    write_nll_grid(&base, &NllGrid::velocity_km_s(&v)).unwrap();
    let e = err_text(read_nll_velocity(&base).unwrap_err());
    assert!(e.contains("bad.P.mod.buf") && e.contains("node (57, 3, 41)") && e.contains("value -2"), "{e}");
}

#[test]
fn an_unfinished_or_overfull_writer_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let header = NllGrid::velocity_km_s(&sample_velocity()).header;
    let nodes = header.geometry.len();
    // Dropped before finish (e.g. an error while computing the values).
    let mut out = NllGridWriter::create(dir.path().join("dropped"), &header).unwrap();
    out.write_f64(&vec![5.0; nodes]).unwrap();
    drop(out);
    // Finished one value short.
    let mut out = NllGridWriter::create(dir.path().join("short"), &header).unwrap();
    out.write_f64(&vec![5.0; nodes - 1]).unwrap();
    let e = err_text(out.finish().unwrap_err());
    assert!(e.contains("short.buf") && e.contains(&format!("{} values for a grid of {nodes} nodes", nodes - 1)), "{e}");
    // One value too many: refused before anything is appended.
    let mut out = NllGridWriter::create(dir.path().join("long"), &header).unwrap();
    out.write_f64(&vec![5.0; nodes - 1]).unwrap();
    let e = err_text(out.write_f32(&[5.0, 5.0]).unwrap_err());
    assert!(e.contains("long.buf") && e.contains(&format!("2 more values for a grid of {nodes} nodes")), "{e}");
    assert_eq!(out.written(), nodes - 1);
    drop(out);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn base_path_strips_only_hdr_and_buf() {
    assert_eq!(nll_base_path("a/b.P.mod.hdr"), PathBuf::from("a/b.P.mod"));
    assert_eq!(nll_base_path("a/b.P.mod.buf"), PathBuf::from("a/b.P.mod"));
    assert_eq!(nll_base_path("a/b.P.mod"), PathBuf::from("a/b.P.mod"));
}

mod properties {
    use super::*;
    use eqnemix_traveltime::nll::{NllHeader, NllSource};
    use proptest::prelude::*;

    fn geometry() -> impl Strategy<Value = GridGeometry> {
        (
            prop::array::uniform3(1usize..6),
            prop::array::uniform3(-1e3f64..1e3),
            prop::array::uniform3(1e-3f64..10.0),
        )
            .prop_map(|(n, origin_km, spacing_km)| GridGeometry {
                n,
                origin_km,
                spacing_km,
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Any geometry, station and values survive a write and a read: bit
        /// for bit as DOUBLE, rounded to f32 as FLOAT.
        #[test]
        fn write_then_read_is_identity(
            geometry in geometry(),
            double in any::<bool>(),
            time in any::<bool>(),
            station in prop::array::uniform3(-50f64..50.0),
            seed in any::<u64>(),
        ) {
            let mut s = seed;
            let data: Vec<f64> = (0..geometry.len())
                .map(|_| {
                    s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    0.01 + 10.0 * ((s >> 11) as f64 / (1u64 << 53) as f64)
                })
                .collect();
            let grid = NllGrid {
                header: NllHeader {
                    geometry,
                    grid_type: if time { NllGridType::Time } else { NllGridType::Slowness },
                    float_type: if double { NllFloatType::Double } else { NllFloatType::Float },
                    source: time.then(|| NllSource { label: "AB.CDE".into(), position_km: station }),
                    transform: None,
                },
                data: data.clone(),
            };
            let dir = tempfile::tempdir().unwrap();
            let base = dir.path().join("g");
            write_nll_grid(&base, &grid).unwrap();
            let back = read_nll_grid(&base).unwrap();
            prop_assert_eq!(&back.header, &grid.header);
            let want: Vec<f64> = if double { data } else { data.iter().map(|&v| v as f32 as f64).collect() };
            prop_assert_eq!(back.data, want);
        }
    }
}
