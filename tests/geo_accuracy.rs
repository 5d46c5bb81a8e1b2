//! Accuracy of the local projection over a 300 km region, measured against
//! WGS84 geodesic distances (geographiclib Inverse), and its round trip.
//!
//! The documented bounds are `eqnemix::geo::ACCURACY_300KM_RELATIVE` and
//! `ACCURACY_300KM_ABS_KM`; this test prints the measured worst case
//! (`cargo test --test geo_accuracy -- --nocapture`).

use eqnemix::geo::{
    geodesic_distance_km, LocalProjection, ACCURACY_300KM_ABS_KM, ACCURACY_300KM_RELATIVE,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Random pairs in the 300 km × 300 km box (±150 km east and north) about
/// `origin`, with the corners included; returns the worst (abs km, relative) error.
fn worst_errors(origin_lon: f64, origin_lat: f64, seed: u64) -> (f64, f64) {
    let proj = LocalProjection::new(origin_lon, origin_lat).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut pts: Vec<(f64, f64)> = vec![
        (-150.0, -150.0),
        (150.0, -150.0),
        (150.0, 150.0),
        (-150.0, 150.0),
        (0.0, 150.0),
        (150.0, 0.0),
    ];
    for _ in 0..300 {
        pts.push((rng.gen_range(-150.0..150.0), rng.gen_range(-150.0..150.0)));
    }
    let ll: Vec<(f64, f64)> = pts.iter().map(|&(e, n)| proj.to_lonlat(e, n)).collect();
    let (mut worst_abs, mut worst_rel) = (0.0f64, 0.0f64);
    for i in 0..pts.len() {
        for j in (i + 1)..pts.len() {
            let d_local = (pts[i].0 - pts[j].0).hypot(pts[i].1 - pts[j].1);
            if d_local < 1.0 {
                continue;
            }
            let d_geo = geodesic_distance_km(ll[i].0, ll[i].1, ll[j].0, ll[j].1);
            let abs = (d_local - d_geo).abs();
            worst_abs = worst_abs.max(abs);
            worst_rel = worst_rel.max(abs / d_geo);
        }
    }
    (worst_abs, worst_rel)
}

#[test]
fn distances_within_documented_bound_over_300km() {
    // Ridgecrest (the sample data), Oklahoma (the original EQNeMix catalog),
    // a high latitude and the equator.
    for &(lon, lat, seed) in &[
        (-117.6, 35.7, 1u64),
        (-97.5, 36.0, 2),
        (25.0, 65.0, 3),
        (-78.0, 0.0, 4),
    ] {
        let (abs, rel) = worst_errors(lon, lat, seed);
        println!(
            "origin ({lon}, {lat}): worst |d_local - d_geodesic| = {abs:.4} km, relative {rel:.2e}"
        );
        assert!(
            abs < ACCURACY_300KM_ABS_KM,
            "abs error {abs} km at origin ({lon},{lat})"
        );
        assert!(
            rel < ACCURACY_300KM_RELATIVE,
            "rel error {rel} at origin ({lon},{lat})"
        );
        // The distortion is real: a flat Earth over 300 km cannot be exact.
        // This guards against a test that compares the projection with itself.
        assert!(abs > 1e-3, "suspiciously exact: {abs}");
    }
}

#[test]
fn round_trip_over_the_region() {
    let proj = LocalProjection::new(-117.6, 35.7).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for _ in 0..2000 {
        let lon = -117.6 + rng.gen_range(-1.7..1.7);
        let lat = 35.7 + rng.gen_range(-1.4..1.4);
        let (e, n) = proj.to_local_km(lon, lat);
        let (lon2, lat2) = proj.to_lonlat(e, n);
        assert!((lon - lon2).abs() < 1e-10 && (lat - lat2).abs() < 1e-10);
    }
}

#[test]
fn crossing_the_antimeridian() {
    let proj = LocalProjection::new(179.9, -17.0).unwrap();
    let (e, n) = proj.to_local_km(-179.9, -17.0);
    assert!(e > 21.0 && e < 21.5 && n.abs() < 0.1, "{e} {n}");
    let (lon, lat) = proj.to_lonlat(e, n);
    assert!((lon + 179.9).abs() < 1e-10 && (lat + 17.0).abs() < 1e-10);
}
