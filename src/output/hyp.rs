//! A NonLinLoc-style hypocenter file (`.hyp`) for one event.
//!
//! Lines written (keyword in column 1, `name value` pairs after it, as in
//! NonLinLoc's hypocenter-phase files):
//!
//! ```text
//! NLLOC "<event>" "LOCATED" "Location completed."
//! SIGNATURE "eqnemix <version>"
//! COMMENT "<comment>"
//! HYPOCENTER  x <km> y <km> z <km>  OT <s of minute>  ix -1 iy -1 iz -1
//! GEOGRAPHIC  OT <yyyy mm dd  hh mm ss.ssssss>  Lat <deg> Long <deg> Depth <km>
//! QUALITY  Pmax <max density> MFmin -1 MFmax -1 RMS <s> Nphs <n> Gap <deg> Dist <km> Mamp -9.9 0 Mdur -9.9 0
//! STATISTIC  ExpectX <km> Y <km> Z <km>  CovXX <km²> XY .. XZ .. YY .. YZ .. ZZ ..
//!            EllAz1 <deg> Dip1 <deg> Len1 <km> Az2 <deg> Dip2 <deg> Len2 <km> Len3 <km>
//! STAT_GEOG  ExpectLat <deg> Long <deg> Depth <km>
//! QML_OriginUncertainty  horUnc <km> minHorUnc <km> maxHorUnc <km> azMaxHorUnc <deg>
//! QML_ConfidenceEllipsoid  semiMajorAxisLength <km> semiMinorAxisLength <km> semiIntermediateAxisLength <km> majorAxisPlunge <deg> majorAxisAzimuth <deg> majorAxisRotation <deg>
//! END_NLLOC
//! ```
//!
//! The HYPOCENTER is the headline location, the highest-density point of
//! the heaviest posterior mode (NonLinLoc's maximum-likelihood point,
//! taken in the mode holding most of the mass; `Pmax` is the density
//! there); STATISTIC holds the posterior mean and covariance (km, km²) and the 68%
//! ellipsoid (χ², 3 dof): axis 1 the minor axis, axis 2 the intermediate,
//! `Len3` the major axis (semi-axis lengths, km; `Dip` positive down). The
//! horizontal uncertainties are the 68% epicentral ellipse (χ², 2 dof);
//! `horUnc` is its semi-major axis. `Gap` (largest azimuthal gap between
//! the stations seen from the HYPOCENTER epicentre, deg; 360 for one
//! station) and `Dist` (epicentral distance of the nearest station, km)
//! follow NonLinLoc's definitions ([`super::station_geometry`]) when the
//! stations are given, and are -1 otherwise. Unknown quantities (misfit
//! range, magnitudes) carry NonLinLoc's "unset" values.
//! [`parse_hyp`] reads the key numbers back.

use super::{origin_parts, write_text, OutputError, StationGeometry};
use crate::summary::LocationSummary;
use chrono::{Datelike, Timelike};
use std::fmt::Write as _;
use std::path::Path;

/// The `.hyp` text of one event without station positions: `Gap` and
/// `Dist` carry NonLinLoc's unset value -1 (use
/// [`to_hyp_string_with_stations`] to fill them). Needs an origin time and
/// lon/lat.
pub fn to_hyp_string(s: &LocationSummary) -> Result<String, OutputError> {
    hyp_text(s, None)
}

/// The `.hyp` text of one event located with the stations `stations_km`
/// (`[east, north, depth]`, km, the summary's frame; those with a used
/// pick): `Gap` and `Dist` are computed at the headline epicentre (the
/// HYPOCENTER line) by [`station_geometry`](super::station_geometry).
pub fn to_hyp_string_with_stations(
    s: &LocationSummary,
    stations_km: &[[f64; 3]],
) -> Result<String, OutputError> {
    hyp_text(s, super::station_geometry([s.location_km[0], s.location_km[1]], stations_km))
}

fn hyp_text(s: &LocationSummary, geometry: Option<StationGeometry>) -> Result<String, OutputError> {
    let parts = origin_parts(s, "NonLinLoc .hyp")?;
    let (ot, geo, ell, el2) = (parts.ot, parts.geo, &parts.ellipsoid, &parts.ellipse);
    let (gap, dist) = geometry.map_or(("-1".to_string(), "-1".to_string()), |g| {
        (format!("{:.4}", g.gap_deg), format!("{:.6}", g.nearest_km))
    });
    let t = ot.utc;
    let sec = t.second() as f64 + t.nanosecond() as f64 * 1e-9;
    let c = &s.cov_km2;
    let name = s.event_id.replace('"', "'");
    let mut o = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(o, "NLLOC \"{name}\" \"LOCATED\" \"Location completed.\"");
    let _ = writeln!(o, "SIGNATURE \"eqnemix {}\"", env!("CARGO_PKG_VERSION"));
    let _ = writeln!(
        o,
        "COMMENT \"Bayesian location: Gaussian-mixture cluster prior, {} draws\"",
        s.n_draws
    );
    let _ = writeln!(
        o,
        "HYPOCENTER  x {:.6} y {:.6} z {:.6}  OT {:.6}  ix -1 iy -1 iz -1",
        s.location_km[0], s.location_km[1], s.location_km[2], sec
    );
    let _ = writeln!(
        o,
        "GEOGRAPHIC  OT {:04} {:02} {:02}  {:02} {:02} {:9.6}  Lat {:.6} Long {:.6} Depth {:.6}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        sec,
        geo.location_lat_deg,
        geo.location_lon_deg,
        s.location_km[2]
    );
    let _ = writeln!(
        o,
        "QUALITY  Pmax {:e} MFmin -1 MFmax -1 RMS {:.6} Nphs {} Gap {gap} Dist {dist} Mamp -9.9 0 Mdur -9.9 0",
        s.modes.first().map_or(s.map_log_density, |m| m.log_density).exp(),
        s.rms_residual_s.unwrap_or(-1.0),
        s.n_arrivals
    );
    let (a1, a2, a3) = (&ell.axes[2], &ell.axes[1], &ell.axes[0]);
    let _ = writeln!(
        o,
        "STATISTIC  ExpectX {:.6} Y {:.6} Z {:.6}  CovXX {:.6e} XY {:.6e} XZ {:.6e} YY {:.6e} YZ {:.6e} ZZ {:.6e} EllAz1  {:.4} Dip1  {:.4} Len1  {:.6e} Az2  {:.4} Dip2  {:.4} Len2  {:.6e} Len3  {:.6e}",
        s.mean_km[0], s.mean_km[1], s.mean_km[2],
        c[0][0], c[0][1], c[0][2], c[1][1], c[1][2], c[2][2],
        a1.azimuth_deg, a1.plunge_deg, a1.length_km,
        a2.azimuth_deg, a2.plunge_deg, a2.length_km,
        a3.length_km
    );
    let _ = writeln!(
        o,
        "STAT_GEOG  ExpectLat {:.6} Long {:.6} Depth {:.6}",
        geo.mean_lat_deg, geo.mean_lon_deg, s.mean_km[2]
    );
    let _ = writeln!(
        o,
        "QML_OriginUncertainty  horUnc {:.6} minHorUnc {:.6} maxHorUnc {:.6} azMaxHorUnc {:.4}",
        el2.semi_major_km, el2.semi_minor_km, el2.semi_major_km, el2.azimuth_deg
    );
    let _ = writeln!(
        o,
        "QML_ConfidenceEllipsoid  semiMajorAxisLength {:.6} semiMinorAxisLength {:.6} semiIntermediateAxisLength {:.6} majorAxisPlunge {:.4} majorAxisAzimuth {:.4} majorAxisRotation {:.4}",
        ell.axes[0].length_km, ell.axes[2].length_km, ell.axes[1].length_km,
        ell.axes[0].plunge_deg, ell.axes[0].azimuth_deg, ell.major_rotation_deg
    );
    let _ = writeln!(o, "END_NLLOC");
    Ok(o)
}

/// Write one event's `.hyp` to `path` (atomically), `Gap` and `Dist` unset
/// (see [`to_hyp_string`]).
pub fn write_hyp(path: &Path, s: &LocationSummary) -> Result<(), OutputError> {
    write_text(path, &to_hyp_string(s)?)
}

/// Write one event's `.hyp` with `Gap` and `Dist` from the stations
/// `stations_km` (see [`to_hyp_string_with_stations`]) to `path` (atomically).
pub fn write_hyp_with_stations(
    path: &Path,
    s: &LocationSummary,
    stations_km: &[[f64; 3]],
) -> Result<(), OutputError> {
    write_text(path, &to_hyp_string_with_stations(s, stations_km)?)
}

/// The key numbers of a `.hyp` file, as read back by [`parse_hyp`].
#[derive(Debug, Clone, PartialEq)]
pub struct HypRecord {
    /// HYPOCENTER x, y, z (km).
    pub hypocenter_km: [f64; 3],
    /// GEOGRAPHIC date and time: year, month, day, hour, minute, second.
    pub origin: (i32, u32, u32, u32, u32, f64),
    /// GEOGRAPHIC Lat, Long (deg) and Depth (km).
    pub lat_lon_depth: [f64; 3],
    /// QUALITY RMS (s) and Nphs.
    pub rms_s: f64,
    /// Number of phases.
    pub n_phases: usize,
    /// QUALITY Gap (deg; -1 when unset).
    pub gap_deg: f64,
    /// QUALITY Dist: epicentral distance of the nearest station (km; -1 when unset).
    pub nearest_station_km: f64,
    /// STATISTIC ExpectX, Y, Z (km).
    pub expect_km: [f64; 3],
    /// STATISTIC CovXX, XY, XZ, YY, YZ, ZZ (km²).
    pub cov_km2: [f64; 6],
    /// STATISTIC EllAz1, Dip1, Len1, Az2, Dip2, Len2, Len3.
    pub ellipsoid: [f64; 7],
}

/// Why a `.hyp` text could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {what}")]
pub struct HypParseError {
    /// 1-based line (0: whole file).
    pub line: usize,
    /// What is wrong.
    pub what: String,
}

/// Parse the HYPOCENTER, GEOGRAPHIC, QUALITY and STATISTIC lines of a `.hyp`.
pub fn parse_hyp(text: &str) -> Result<HypRecord, HypParseError> {
    let find = |kw: &str| -> Result<(usize, Vec<&str>), HypParseError> {
        text.lines()
            .enumerate()
            .find(|(_, l)| l.split_whitespace().next() == Some(kw))
            .map(|(i, l)| (i + 1, l.split_whitespace().collect()))
            .ok_or_else(|| HypParseError {
                line: 0,
                what: format!("no {kw} line"),
            })
    };
    let num = |(line, toks): &(usize, Vec<&str>), key: &str| -> Result<f64, HypParseError> {
        let i = toks
            .iter()
            .position(|t| *t == key)
            .ok_or_else(|| HypParseError {
                line: *line,
                what: format!("no `{key}`"),
            })?;
        toks.get(i + 1)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| HypParseError {
                line: *line,
                what: format!("bad value after `{key}`"),
            })
    };
    let h = find("HYPOCENTER")?;
    let g = find("GEOGRAPHIC")?;
    let q = find("QUALITY")?;
    let s = find("STATISTIC")?;
    let gt = &g.1;
    let p = |i: usize| -> Result<f64, HypParseError> {
        gt.get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .ok_or_else(|| HypParseError {
                line: g.0,
                what: format!("bad GEOGRAPHIC field {i}"),
            })
    };
    Ok(HypRecord {
        hypocenter_km: [num(&h, "x")?, num(&h, "y")?, num(&h, "z")?],
        origin: (
            p(2)? as i32,
            p(3)? as u32,
            p(4)? as u32,
            p(5)? as u32,
            p(6)? as u32,
            p(7)?,
        ),
        lat_lon_depth: [num(&g, "Lat")?, num(&g, "Long")?, num(&g, "Depth")?],
        rms_s: num(&q, "RMS")?,
        n_phases: num(&q, "Nphs")? as usize,
        gap_deg: num(&q, "Gap")?,
        nearest_station_km: num(&q, "Dist")?,
        expect_km: [num(&s, "ExpectX")?, num(&s, "Y")?, num(&s, "Z")?],
        cov_km2: [
            num(&s, "CovXX")?,
            num(&s, "XY")?,
            num(&s, "XZ")?,
            num(&s, "YY")?,
            num(&s, "YZ")?,
            num(&s, "ZZ")?,
        ],
        ellipsoid: [
            num(&s, "EllAz1")?,
            num(&s, "Dip1")?,
            num(&s, "Len1")?,
            num(&s, "Az2")?,
            num(&s, "Dip2")?,
            num(&s, "Len2")?,
            num(&s, "Len3")?,
        ],
    })
}
