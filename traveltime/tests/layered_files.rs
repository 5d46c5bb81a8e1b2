//! Model files: TOML and text formats, the shipped examples, and errors
//! that name the file, line and field.

use eqnemix_traveltime::{Layer, Layered1D, TravelTimeError};
use std::path::{Path, PathBuf};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

fn format_error(r: Result<Layered1D, TravelTimeError>) -> (PathBuf, String) {
    match r {
        Err(TravelTimeError::Format { path, what }) => (path, what),
        other => panic!("expected a Format error, got {other:?}"),
    }
}

#[test]
fn toml_and_text_describe_the_same_model() {
    let t = Layered1D::from_toml_file(data("three_layer.toml")).unwrap();
    let x = Layered1D::from_text_file(data("three_layer.txt")).unwrap();
    assert_eq!(t.layers().len(), 3);
    assert_eq!(x.layers().len(), 3);
    for (a, b) in t.layers().iter().zip(x.layers()) {
        assert!((a.top_km - b.top_km).abs() < 1e-12, "{a:?} {b:?}");
        assert!((a.vp_km_s - b.vp_km_s).abs() < 1e-12, "{a:?} {b:?}");
        assert!((a.vs_km_s - b.vs_km_s).abs() < 1e-12, "{a:?} {b:?}");
    }
    // thickness_km on layer 1 set the half-space top; vp_vs set vs
    assert_eq!(t.layers()[2].top_km, 17.0);
    assert!((t.layers()[1].vs_km_s - 3.6).abs() < 1e-12);
    // the [table] section was applied
    assert_eq!(t.table_spec().max_distance_km, 120.0);
    assert_eq!(t.table_spec().depth_max_km, 40.0);
    // from_file dispatches on the extension
    assert_eq!(Layered1D::from_file(data("three_layer.txt")).unwrap(), x);
    assert_eq!(Layered1D::from_file(data("three_layer.toml")).unwrap(), t);
}

#[test]
fn shipped_examples_parse() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/data/velocity");
    let rc = Layered1D::from_toml_file(root.join("ridgecrest_1d.toml")).unwrap();
    assert_eq!(rc.layers().len(), 5);
    assert_eq!(rc.layers()[4], Layer::new(32.0, 7.8, 7.8 / 1.76));
    let two = Layered1D::from_toml_file(root.join("two_layer.toml")).unwrap();
    assert_eq!(two.layers(), &[Layer::new(0.0, 6.0, 3.5), Layer::new(30.0, 8.0, 4.6)]);
}

#[test]
fn malformed_toml_names_file_and_line() {
    let (path, what) = format_error(Layered1D::from_toml_file(data("bad_syntax.toml")));
    assert!(path.ends_with("bad_syntax.toml"));
    assert!(what.contains("line 5"), "{what}");
    let shown = TravelTimeError::Format { path, what }.to_string();
    assert!(shown.contains("bad_syntax.toml") && shown.contains("line 5"), "{shown}");
}

#[test]
fn bad_velocity_names_line_layer_and_field() {
    let (_, what) = format_error(Layered1D::from_toml_file(data("bad_velocity.toml")));
    assert!(what.contains("line 8") && what.contains("layer 1") && what.contains("vp"), "{what}");
}

#[test]
fn toml_field_errors() {
    let cases: &[(&str, &[&str])] = &[
        ("", &["no [[layer]]"]),
        ("name = \"x\"\n", &["no [[layer]]"]),
        ("[[layer]]\nvp = 6.0\n", &["line 1", "layer 0", "vs"]),
        ("[[layer]]\nvp = 6.0\nvs = 3.0\nvp_vs = 1.7\n", &["line 3", "vs", "vp_vs"]),
        ("[[layer]]\nvp = 6.0\nvss = 3.0\n", &["line 3", "vss"]),
        ("[[layer]]\nvp = 6.0\nvp_vs = 0.0\n", &["line 3", "vp_vs"]),
        ("[[layer]]\nvp = nan\nvs = 3.0\n", &["line 2", "vp"]),
        ("[[layer]]\nvp = 6.0\nvs = 3.0\n[[layer]]\nvp = 8.0\nvs = 4.0\n", &["line 4", "layer 1", "top_km"]),
        ("[[layer]]\nvp = 6.0\nvs = 3.0\n[[layer]]\ntop_km = -1.0\nvp = 8.0\nvs = 4.0\n", &["line 5", "layer 1", "top_km"]),
        ("[[layer]]\nvp = 6.0\nvs = 3.0\nthickness_km = 4.0\n", &["line 4", "thickness_km", "half-space"]),
        ("[[layer]]\nvp = 6.0\nvs = 3.0\nthickness_km = -4.0\n[[layer]]\nvp = 8.0\nvs = 4.0\n", &["line 4", "thickness_km"]),
        (
            "[[layer]]\nvp = 6.0\nvs = 3.0\nthickness_km = 4.0\n[[layer]]\ntop_km = 5.0\nvp = 8.0\nvs = 4.0\n",
            &["line 6", "top_km", "disagrees"],
        ),
        ("[[layer]]\nvp = 6.0\nvs = 3.0\n[table]\ndistance_step_km = 0.0\n", &["line 4", "distance_step_km"]),
    ];
    for (text, needles) in cases {
        let (path, what) = format_error(Layered1D::from_toml_str(text, "inline.toml"));
        assert_eq!(path, Path::new("inline.toml"));
        for n in *needles {
            assert!(what.contains(n), "{text:?}: {what:?} lacks {n:?}");
        }
    }
}

#[test]
fn text_format_errors() {
    let cases: &[(&str, &[&str])] = &[
        ("# nothing\n\n", &["no layers"]),
        ("0 6.0\n", &["line 1", "3 columns"]),
        ("0 6.0 3.5\n10 8.0 x\n", &["line 2", "vs"]),
        ("0 6.0 3.5\n# c\n10 0.0 4.0\n", &["line 3", "layer 1", "vp"]),
        ("0 6.0 3.5\n10 8.0 4.0\n10 8.5 4.2\n", &["line 3", "top_km"]),
        ("0 6.0 3.5\nnan 8.0 4.0\n", &["line 2", "layer 1", "top_km"]),
    ];
    for (text, needles) in cases {
        let (_, what) = format_error(Layered1D::from_text_str(text, "inline.txt"));
        for n in *needles {
            assert!(what.contains(n), "{text:?}: {what:?} lacks {n:?}");
        }
    }
}

#[test]
fn missing_file_is_an_io_error_naming_it() {
    match Layered1D::from_toml_file(data("no_such_model.toml")) {
        Err(e @ TravelTimeError::Io { .. }) => assert!(e.to_string().contains("no_such_model.toml")),
        other => panic!("expected Io error, got {other:?}"),
    }
}
