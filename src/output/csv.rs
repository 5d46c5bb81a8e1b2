//! One CSV row per event (with a header): times UTC, positions km
//! (`east, north, depth`), angles deg, lon/lat deg. Missing values are
//! empty cells; cluster probabilities are joined with `;` in cluster order.
//!
//! The first position, `location_*`, is the headline location: the
//! highest-density point of the heaviest posterior mode (see
//! [`crate::summary::modes`]). `mode1_mass` is that mode's mass; the
//! `mode2_*` columns give the second-heaviest mode (its cluster id, or
//! `background`, its mass and highest-density point; empty when the
//! posterior has one mode). Every mode is in the event's JSON. The
//! posterior mean (`mean_*`) can lie between modes; the MAP (`map_*`) is
//! the highest density over all modes.

use super::{write_text, OutputError};
use crate::summary::LocationSummary;
use std::path::Path;

/// Column names, in order.
pub const HEADER: [&str; 48] = [
    "event_id",
    "origin_time_utc",
    "origin_time_sigma_s",
    "location_east_km",
    "location_north_km",
    "location_depth_km",
    "location_lon_deg",
    "location_lat_deg",
    "n_modes",
    "mode1_mass",
    "mode2_cluster",
    "mode2_mass",
    "mode2_east_km",
    "mode2_north_km",
    "mode2_depth_km",
    "mean_east_km",
    "mean_north_km",
    "mean_depth_km",
    "std_east_km",
    "std_north_km",
    "std_depth_km",
    "map_east_km",
    "map_north_km",
    "map_depth_km",
    "mean_lon_deg",
    "mean_lat_deg",
    "map_lon_deg",
    "map_lat_deg",
    "cov_ee_km2",
    "cov_en_km2",
    "cov_ez_km2",
    "cov_nn_km2",
    "cov_nz_km2",
    "cov_zz_km2",
    "ellipse68_semi_major_km",
    "ellipse68_semi_minor_km",
    "ellipse68_azimuth_deg",
    "ellipsoid68_major_km",
    "ellipsoid68_intermediate_km",
    "ellipsoid68_minor_km",
    "best_cluster",
    "best_cluster_probability",
    "cluster_probabilities",
    "background_probability",
    "n_draws",
    "weights_ess",
    "rms_residual_s",
    "n_arrivals",
];

fn opt(v: Option<f64>) -> String {
    v.map_or(String::new(), |x| format!("{x}"))
}

/// The row of one event, matching [`HEADER`].
pub fn record(s: &LocationSummary) -> Vec<String> {
    let ot = s.origin_time.as_ref();
    let geo = s.geographic.as_ref();
    let el = s.epicentral_ellipse(0.68);
    let ed = s.ellipsoid(0.68);
    let best = s
        .cluster_probabilities
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(k, p)| (k, *p));
    let c = &s.cov_km2;
    let m2 = s.modes.get(1);
    vec![
        s.event_id.clone(),
        ot.map_or(String::new(), |o| {
            o.utc.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
        }),
        opt(ot.map(|o| o.sigma_s)),
        format!("{}", s.location_km[0]),
        format!("{}", s.location_km[1]),
        format!("{}", s.location_km[2]),
        opt(geo.map(|g| g.location_lon_deg)),
        opt(geo.map(|g| g.location_lat_deg)),
        s.modes.len().to_string(),
        opt(s.modes.first().map(|m| m.mass)),
        m2.map_or(String::new(), |m| m.cluster.map_or("background".to_string(), |c| c.to_string())),
        opt(m2.map(|m| m.mass)),
        opt(m2.map(|m| m.highest_density_km[0])),
        opt(m2.map(|m| m.highest_density_km[1])),
        opt(m2.map(|m| m.highest_density_km[2])),
        format!("{}", s.mean_km[0]),
        format!("{}", s.mean_km[1]),
        format!("{}", s.mean_km[2]),
        format!("{}", s.std_km[0]),
        format!("{}", s.std_km[1]),
        format!("{}", s.std_km[2]),
        format!("{}", s.map_km[0]),
        format!("{}", s.map_km[1]),
        format!("{}", s.map_km[2]),
        opt(geo.map(|g| g.mean_lon_deg)),
        opt(geo.map(|g| g.mean_lat_deg)),
        opt(geo.map(|g| g.map_lon_deg)),
        opt(geo.map(|g| g.map_lat_deg)),
        format!("{}", c[0][0]),
        format!("{}", c[0][1]),
        format!("{}", c[0][2]),
        format!("{}", c[1][1]),
        format!("{}", c[1][2]),
        format!("{}", c[2][2]),
        opt(el.map(|e| e.semi_major_km)),
        opt(el.map(|e| e.semi_minor_km)),
        opt(el.map(|e| e.azimuth_deg)),
        opt(ed.map(|e| e.axes[0].length_km)),
        opt(ed.map(|e| e.axes[1].length_km)),
        opt(ed.map(|e| e.axes[2].length_km)),
        best.map_or(String::new(), |b| b.0.to_string()),
        opt(best.map(|b| b.1)),
        s.cluster_probabilities
            .iter()
            .map(|p| format!("{p}"))
            .collect::<Vec<_>>()
            .join(";"),
        format!("{}", s.background_probability),
        s.n_draws.to_string(),
        format!("{}", s.weights_ess),
        opt(s.rms_residual_s),
        s.n_arrivals.to_string(),
    ]
}

/// The CSV text (header + one row per event).
pub fn to_csv_string(events: &[LocationSummary]) -> Result<String, OutputError> {
    let ser = |e: &dyn std::fmt::Display| OutputError::Serialise {
        event: String::new(),
        what: e.to_string(),
    };
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record(HEADER).map_err(|e| ser(&e))?;
    for s in events {
        w.write_record(record(s)).map_err(|e| ser(&e))?;
    }
    let bytes = w.into_inner().map_err(|e| ser(&e))?;
    String::from_utf8(bytes).map_err(|e| ser(&e))
}

/// Write the events as CSV to `path` (atomically).
pub fn write_csv(path: &Path, events: &[LocationSummary]) -> Result<(), OutputError> {
    write_text(path, &to_csv_string(events)?)
}
