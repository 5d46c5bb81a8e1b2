//! The networks are a cargo feature (issue 13, item 5): without it the
//! location crate pulls in neither `ort` nor the build script that
//! provisions ONNX Runtime (`.ci/run` also compiles that build with
//! `cargo check --no-default-features`).

use std::process::Command;

/// Package names in `cargo tree` of eqnemix's normal and build dependencies.
fn dependency_names(extra: &[&str]) -> Vec<String> {
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let out = Command::new(env!("CARGO"))
        .args(["tree", "--offline", "--locked", "-p", "eqnemix", "-e", "normal,build", "--prefix", "none", "--manifest-path", manifest])
        .args(extra)
        .output()
        .expect("cargo runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| l.split_whitespace().next().map(str::to_string)).collect()
}

#[test]
fn without_the_networks_feature_there_is_no_onnx_runtime() {
    let with = dependency_names(&[]);
    assert!(with.iter().any(|n| n == "ort"), "the default build has the networks");
    let without = dependency_names(&["--no-default-features"]);
    assert!(without.iter().any(|n| n == "eqnemix-models"), "waveform reading stays");
    for n in ["ort", "ort-sys"] {
        assert!(!without.iter().any(|d| d == n), "{n} is in the build without networks");
    }
    // The samplers and travel-time crates never need them.
    for krate in ["eqnemix-samplers", "eqnemix-traveltime"] {
        let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
        let out = Command::new(env!("CARGO"))
            .args(["tree", "--offline", "--locked", "-p", krate, "-e", "normal,build", "--prefix", "none", "--manifest-path", manifest])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && !text.lines().any(|l| l.starts_with("ort ")), "{krate}: {text}");
    }
}
