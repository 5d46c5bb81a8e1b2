//! A NonLinLoc hypocenter-phase file (`.hyp`) for one event, in NonLinLoc's
//! own layout (NLLoc 7's `SAVE_NLLOC_ALL` output, `NLL_FORMAT_VER_2` PHASE
//! lines), so that NonLinLoc's tools and ObsPy's `NLLOC_HYP` reader take it.
//! The statements and their token layout follow the golden file written by
//! NonLinLoc itself (`tests/data/nonlinloc/tiny.grid0.loc.hyp`, checked
//! line by line in `tests/nonlinloc_golden.rs`):
//!
//! ```text
//! NLLOC "<event>" "LOCATED" "Location completed."
//! PUBLIC_ID <event>
//! SIGNATURE "eqnemix   obs:<event>   eqnemix:v<version>   run:<ddMonyyyy hhHmmMss>"
//! COMMENT "<comment>"
//! HYPOCENTER  x <km> y <km> z <km>  OT <s of minute>  ix -1 iy -1 iz -1 MAXIMUM_LIKELIHOOD
//! GEOGRAPHIC  OT <yyyy mm dd  hh mm ss.ssssss>  Lat <deg> Long <deg> Depth <km>
//! QUALITY  Pmax <density> MFmin -1 MFmax -1 RMS <s> Nphs <n> Gap <deg> Dist <km> Mamp -9.90 0 Mdur -9.90 0
//! STATISTICS  ExpectX <km> Y <km> Z <km>  CovXX <km²> XY .. XZ .. YY .. YZ .. ZZ .. EllAz1 <deg> Dip1 <deg> Len1 <km> Az2 <deg> Dip2 <deg> Len2 <km> Len3 <km>
//! STAT_GEOG  ExpectLat <deg> Long <deg> Depth <km>
//! TRANSFORM  AZIMUTHAL_EQUIDIST RefEllipsoid WGS-84  LatOrig <deg>  LongOrig <deg>  RotCW 0.000000   (when the frame is known)
//! QML_OriginQuality  assocPhCt <n> usedPhCt <n> assocStaCt -1 usedStaCt <n> depthPhCt -1 stdErr <s> azGap <deg> secAzGap -1 gtLevel - minDist <km> maxDist <km> medDist <km>
//! QML_OriginUncertainty  horUnc <km> minHorUnc <km> maxHorUnc <km> azMaxHorUnc <deg>
//! QML_ConfidenceEllipsoid  semiMajorAxisLength <km> semiMinorAxisLength <km> semiIntermediateAxisLength <km> majorAxisPlunge <deg> majorAxisAzimuth <deg> majorAxisRotation <deg>
//! FOCALMECH  Hyp  <lat> <lon> <depth> Mech  0 0 0 mf  0 nObs -1
//! PHASE ID Ins Cmp On Pha  FM Date     HrMn   Sec     Err  ErrMag    Coda      Amp       Per  >   TTpred    Res       Weight    StaLoc(X  Y         Z)        SDist    SAzim  RAz  RDip RQual    Tcorr
//! <station> ? ? ? <P|S> ? <yyyymmdd> <hhmm> <sec> GAU <σ s> -1 -1 -1 > <TTpred s> <Res s> <Weight> <x km> <y km> <z km> <SDist km> <SAzim deg> -1 -1 0 0
//! END_PHASE
//! END_NLLOC
//! ```
//!
//! NonLinLoc's `GRID`, `SEARCH` (its own search grid and oct-tree), and
//! `VPVSRATIO` lines are not written: eqnemix has no such grid or estimate.
//! The HYPOCENTER is the headline location, the highest-density point of
//! the heaviest posterior mode (NonLinLoc's maximum-likelihood point,
//! taken in the mode holding most of the mass; `Pmax` is the density
//! there) and its OT the maximum-likelihood origin time there
//! ([`LocationSummary::location_origin_time`]); STATISTICS holds the posterior mean and covariance (km, km²) and the 68%
//! ellipsoid (χ², 3 dof): axis 1 the minor axis, axis 2 the intermediate,
//! `Len3` the major axis (semi-axis lengths, km; `Dip` positive down). The
//! horizontal uncertainties are the 68% epicentral ellipse (χ², 2 dof);
//! `horUnc` is its semi-major axis. `Gap` (largest azimuthal gap between
//! the stations seen from the HYPOCENTER epicentre, deg; 360 for one
//! station) and `Dist` (epicentral distance of the nearest station, km)
//! follow NonLinLoc's definitions ([`super::station_geometry`]) when the
//! stations are given, and are -1 otherwise. The PHASE block has one line
//! per P or S pick ([`crate::summary::PhaseResidual`]): the observed time,
//! the pick's own σ (without the model error, as NonLinLoc writes the
//! observation's error) as NonLinLoc's `GAU` error, the travel time predicted from the
//! HYPOCENTER, the residual with the maximum-likelihood origin time there,
//! the relative weight `(1/σ²)/mean(1/σ²)`, the station's position (km,
//! local frame; -1 when not given), its epicentral distance (km) and its
//! azimuth from the epicentre (deg). Unknown quantities (misfit range,
//! magnitudes, ray angles, secondary gap) carry NonLinLoc's "unset"
//! values. [`parse_hyp`] reads the key numbers back.

use super::{origin_parts, write_text, OutputError, StationGeometry};
use crate::summary::LocationSummary;
use chrono::{Datelike, Timelike};
use eqnemix_traveltime::Station;
use std::fmt::Write as _;
use std::path::Path;

/// What a `.hyp` carries beyond the summary: the stations (codes and
/// positions, km, the summary's frame; those that observed the event) and
/// the local frame's NonLinLoc `TRANSFORM` text (see
/// [`crate::geo::LocalProjection::nll_transform`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HypContext {
    /// Stations that observed the event.
    pub stations: Vec<Station>,
    /// The `TRANSFORM` statement without its keyword, if the frame is known.
    pub transform: Option<String>,
}

/// The `.hyp` text of one event without station positions: `Gap` and
/// `Dist` carry NonLinLoc's unset value -1 (use
/// [`to_hyp_string_with`] to fill them). Needs an origin time and
/// lon/lat.
pub fn to_hyp_string(s: &LocationSummary) -> Result<String, OutputError> {
    hyp_text(s, &HypContext::default())
}

/// The `.hyp` text of one event located with the stations `stations`
/// (those with a used pick): `Gap`, `Dist` and the distances are computed
/// at the headline epicentre (the HYPOCENTER line) by
/// [`station_geometry`](super::station_geometry).
pub fn to_hyp_string_with_stations(
    s: &LocationSummary,
    stations: &[Station],
) -> Result<String, OutputError> {
    hyp_text(
        s,
        &HypContext {
            stations: stations.to_vec(),
            transform: None,
        },
    )
}

/// The `.hyp` text of one event with its [`HypContext`].
pub fn to_hyp_string_with(s: &LocationSummary, ctx: &HypContext) -> Result<String, OutputError> {
    hyp_text(s, ctx)
}

/// A code as one whitespace-free token (NonLinLoc's lines are split on
/// whitespace; quotes would end a quoted field).
fn token(code: &str) -> String {
    let t: String = code
        .chars()
        .map(|c| {
            if c.is_whitespace() || c == '"' {
                '_'
            } else {
                c
            }
        })
        .collect();
    if t.is_empty() {
        "?".into()
    } else {
        t
    }
}

/// Horizontal distance (km) and azimuth clockwise from north (deg, [0, 360))
/// from `from` to `to` in the local frame.
fn distance_azimuth(from: [f64; 2], to: [f64; 3]) -> (f64, f64) {
    let (de, dn) = (to[0] - from[0], to[1] - from[1]);
    (de.hypot(dn), de.atan2(dn).to_degrees().rem_euclid(360.0))
}

/// `v` as C's `%9.2e` (two-digit signed exponent, `5.00e-02`), as
/// NonLinLoc writes its pick errors.
fn c_exp(v: f64) -> String {
    let r = format!("{v:.2e}");
    match r.split_once('e') {
        Some((m, e)) => {
            let (sign, digits) = e.strip_prefix('-').map_or(("+", e), |d| ("-", d));
            format!("{:>9}", format!("{m}e{sign}{digits:0>2}"))
        }
        None => format!("{r:>9}"),
    }
}

fn hyp_text(s: &LocationSummary, ctx: &HypContext) -> Result<String, OutputError> {
    let parts = origin_parts(s, "NonLinLoc .hyp")?;
    let (ot, geo, ell, el2) = (parts.ot, parts.geo, &parts.ellipsoid, &parts.ellipse);
    let epi = [s.location_km[0], s.location_km[1]];
    let positions: Vec<[f64; 3]> = ctx.stations.iter().map(|st| st.position_km).collect();
    let geometry: Option<StationGeometry> = super::station_geometry(epi, &positions);
    let (gap, dist) = geometry.map_or(("-1".to_string(), "-1".to_string()), |g| {
        (format!("{:.4}", g.gap_deg), format!("{:.6}", g.nearest_km))
    });
    let mut dists: Vec<f64> = positions
        .iter()
        .map(|p| distance_azimuth(epi, *p).0)
        .filter(|d| d.is_finite())
        .collect();
    dists.sort_by(f64::total_cmp);
    let (min_d, max_d, med_d) = match dists.len() {
        0 => (-1.0, -1.0, -1.0),
        n => (
            dists[0],
            dists[n - 1],
            if n % 2 == 1 {
                dists[n / 2]
            } else {
                0.5 * (dists[n / 2 - 1] + dists[n / 2])
            },
        ),
    };
    let used_stations = {
        let mut codes: Vec<&str> = s.phases.iter().map(|p| p.station.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        codes.len()
    };
    // The origin time at the HYPOCENTER, the one the PHASE residuals use.
    let t = s.location_origin_time.unwrap_or(ot.utc);
    let sec = t.second() as f64 + t.nanosecond() as f64 * 1e-9;
    let c = &s.cov_km2;
    let name = s.event_id.replace('"', "'");
    let rms = s.rms_residual_s.unwrap_or(-1.0);
    let mut o = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(o, "NLLOC \"{name}\" \"LOCATED\" \"Location completed.\"");
    let _ = writeln!(o, "PUBLIC_ID {}", token(&s.event_id));
    // NonLinLoc's layout: free text, then `obs:`, the program's
    // `name:version` and `run:date time` as the last three words (ObsPy
    // reads the version and the creation time from them).
    let _ = writeln!(
        o,
        "SIGNATURE \"eqnemix   obs:{}   eqnemix:v{}   run:{}\"",
        token(&s.event_id),
        env!("CARGO_PKG_VERSION"),
        chrono::Utc::now().format("%d%b%Y %Hh%Mm%S")
    );
    let _ = writeln!(
        o,
        "COMMENT \"Bayesian location: Gaussian-mixture cluster prior, {} draws\"",
        s.n_draws
    );
    let _ = writeln!(
        o,
        "HYPOCENTER  x {:.6} y {:.6} z {:.6}  OT {:.6}  ix -1 iy -1 iz -1 MAXIMUM_LIKELIHOOD",
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
        "QUALITY  Pmax {:e} MFmin -1 MFmax -1 RMS {:.6} Nphs {} Gap {gap} Dist {dist} Mamp -9.90 0 Mdur -9.90 0",
        s.modes.first().map_or(s.map_log_density, |m| m.log_density).exp(),
        rms,
        s.n_arrivals
    );
    let (a1, a2, a3) = (&ell.axes[2], &ell.axes[1], &ell.axes[0]);
    let _ = writeln!(
        o,
        "STATISTICS  ExpectX {:.6} Y {:.6} Z {:.6}  CovXX {:.6e} XY {:.6e} XZ {:.6e} YY {:.6e} YZ {:.6e} ZZ {:.6e} EllAz1  {:.4} Dip1  {:.4} Len1  {:.6e} Az2  {:.4} Dip2  {:.4} Len2  {:.6e} Len3  {:.6e}",
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
    if let Some(tr) = &ctx.transform {
        let _ = writeln!(o, "TRANSFORM  {}", tr.replace(['\n', '\r'], " "));
    }
    let _ = writeln!(
        o,
        "QML_OriginQuality  assocPhCt {n}  usedPhCt {n}  assocStaCt -1  usedStaCt {used_stations}  depthPhCt -1  stdErr {rms:.6}  azGap {gap}  secAzGap -1  gtLevel -  minDist {min_d:.6} maxDist {max_d:.6} medDist {med_d:.6}",
        n = s.n_arrivals,
    );
    let _ = writeln!(
        o,
        "QML_OriginUncertainty  horUnc {:.6}  minHorUnc {:.6}  maxHorUnc {:.6}  azMaxHorUnc {:.4}",
        el2.semi_major_km, el2.semi_minor_km, el2.semi_major_km, el2.azimuth_deg
    );
    let _ = writeln!(
        o,
        "QML_ConfidenceEllipsoid  semiMajorAxisLength {:.6}  semiMinorAxisLength {:.6}  semiIntermediateAxisLength {:.6}  majorAxisPlunge {:.4}  majorAxisAzimuth {:.4}  majorAxisRotation {:.4}",
        ell.axes[0].length_km, ell.axes[2].length_km, ell.axes[1].length_km,
        ell.axes[0].plunge_deg, ell.axes[0].azimuth_deg, ell.major_rotation_deg
    );
    let _ = writeln!(
        o,
        "FOCALMECH  Hyp  {:.6} {:.6} {:.6} Mech  0 0 0 mf  0 nObs -1",
        geo.location_lat_deg, geo.location_lon_deg, s.location_km[2]
    );
    let _ = writeln!(o, "PHASE ID Ins Cmp On Pha  FM Date     HrMn   Sec     Err  ErrMag    Coda      Amp       Per  >   TTpred    Res       Weight    StaLoc(X  Y         Z)        SDist    SAzim  RAz  RDip RQual    Tcorr ");
    for ph in &s.phases {
        let Some(at) = crate::picks::checked_utc_after(s.reference_time, ph.time_s) else {
            return Err(OutputError::Serialise {
                event: s.event_id.clone(),
                what: format!(
                    "NonLinLoc .hyp: pick {} {} at {} s is not a representable time",
                    ph.station, ph.phase, ph.time_s
                ),
            });
        };
        let psec = at.second() as f64 + at.nanosecond() as f64 * 1e-9;
        let st = ctx.stations.iter().find(|st| st.code == ph.station);
        let (pos, d, az) = match st {
            Some(st) => {
                let (d, az) = distance_azimuth(epi, st.position_km);
                (st.position_km, d, az)
            }
            None => ([-1.0; 3], -1.0, -1.0),
        };
        let _ = writeln!(
            o,
            "{:<6} ?    ?    ? {:<6} ? {:04}{:02}{:02} {:02}{:02} {:9.4} GAU {} -1.00e+00 -1.00e+00 -1.00e+00 > {:9.4} {:9.4} {:9.4} {:9.4} {:9.4} {:9.4} {:9.4} {:6.2} -1.0  -1.0  0 {:9.4}",
            token(&ph.station),
            token(&ph.phase),
            at.year(), at.month(), at.day(), at.hour(), at.minute(),
            psec,
            c_exp(ph.pick_sigma_s.unwrap_or(ph.sigma_s)),
            ph.travel_time_s,
            ph.residual_s,
            ph.weight,
            pos[0], pos[1], pos[2],
            d, az,
            0.0
        );
    }
    let _ = writeln!(o, "END_PHASE");
    let _ = writeln!(o, "END_NLLOC");
    Ok(o)
}

/// Write one event's `.hyp` to `path` (atomically), `Gap` and `Dist` unset
/// (see [`to_hyp_string`]).
pub fn write_hyp(path: &Path, s: &LocationSummary) -> Result<(), OutputError> {
    write_text(path, &to_hyp_string(s)?)
}

/// Write one event's `.hyp` with `Gap` and `Dist` from the stations
/// `stations` (see [`to_hyp_string_with_stations`]) to `path` (atomically).
pub fn write_hyp_with_stations(
    path: &Path,
    s: &LocationSummary,
    stations: &[Station],
) -> Result<(), OutputError> {
    write_text(path, &to_hyp_string_with_stations(s, stations)?)
}

/// Write one event's `.hyp` with its [`HypContext`] to `path` (atomically).
pub fn write_hyp_with(
    path: &Path,
    s: &LocationSummary,
    ctx: &HypContext,
) -> Result<(), OutputError> {
    write_text(path, &to_hyp_string_with(s, ctx)?)
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
    /// STATISTICS ExpectX, Y, Z (km).
    pub expect_km: [f64; 3],
    /// STATISTICS CovXX, XY, XZ, YY, YZ, ZZ (km²).
    pub cov_km2: [f64; 6],
    /// STATISTICS EllAz1, Dip1, Len1, Az2, Dip2, Len2, Len3.
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

/// Parse the HYPOCENTER, GEOGRAPHIC, QUALITY and STATISTICS lines of a `.hyp`
/// (also `STATISTIC`, as eqnemix wrote before NonLinLoc's exact layout).
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
    let s = find("STATISTICS").or_else(|_| find("STATISTIC"))?;
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
