//! Input files of `eqnemix locate`: station tables, EQTransformer's
//! `X_prediction_results.csv`, ConvNetQuake's cluster probabilities, and
//! the join of each event to its probability window.
//!
//! # Cluster probabilities CSV
//!
//! As ConvNetQuake's prediction output is written: one row per window with
//! the columns `start_time`, `end_time` (UTC, ISO 8601) and `clusters_prob`,
//! the probability of each cluster in id order, written either as a
//! bracketed list `"[0.1 0.7 0.2]"` (spaces or commas) or as `0.1;0.7;0.2`.
//! An optional `noise_prob` column is checked (finite, in `[0, 1]`) but not
//! used.
//! An event is joined to the first window (in file order) with
//! `start_time <= t_P < end_time`, `t_P` its earliest P pick (earliest
//! pick when no P), as the original joins detections to windows.
//!
//! # EQTransformer CSV
//!
//! The columns of [`eqnemix_models::eqtransformer::PREDICTION_COLUMNS`]
//! (the original's 19, plus optional `p_time_uncertainty_s` and
//! `s_time_uncertainty_s`, and `back_azimuth_deg`,
//! `sigma_back_azimuth_deg`, `p_flip_back_azimuth` as `eqnemix pick
//! --back-azimuth` writes them: degrees clockwise from north, station to
//! event, one sigma > 0 of the main lobe, probability in `[0, 0.5)` that the
//! back-azimuth is 180° off (0 when missing); a row with the first two
//! filled gets a back-azimuth observation). Each row is one event at one station, with
//! the id of its `event_id` column when the file has one (as detection
//! tables exported from the original's results do), else
//! `<network>.<station>_<p_arrival_time>`; the pick sigma is the row's time
//! uncertainty (s) if given, else the configured default. The station
//! position comes from `station_lat`, `station_lon` (deg) and `station_elv`
//! (m), unless a station table names the station.
//!
//! # Station table
//!
//! Columns `station` (or `code`), optionally `network` and `location`, and
//! either `latitude`, `longitude` (deg) and `elevation_m` (optional, m above
//! sea level), or `east_km`, `north_km`, `depth_km` in the local frame. A
//! row's station is `NET.STA[.LOC]` when it has a network code
//! ([`crate::station_id`]), so picks naming `NET.STA` (as `eqnemix pick`
//! writes them), `NET.STA.LOC.CHA` or a bare `STA` find it. [`read_stations`]
//! also reads FDSN StationXML ([`crate::stationxml`]).

use crate::catalog::parse_utc_time;
use crate::geo::LocalProjection;
use crate::picks::{duration_s, PhasePick, Picks, StationPicks};
use chrono::{DateTime, Utc};
use eqnemix_traveltime::Station;
use std::path::{Path, PathBuf};

/// An input file is wrong; names the file, line (1-based, header = 1) and field.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// File.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// A row or field is wrong.
    #[error("{path}:{line}: field `{field}`: {what}")]
    Format {
        /// File.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// Column.
        field: String,
        /// What is wrong.
        what: String,
    },
}

/// One window of classifier output.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbabilityWindow {
    /// Window start (UTC).
    pub start: DateTime<Utc>,
    /// Window end (UTC).
    pub end: DateTime<Utc>,
    /// Probability of each cluster, in id order.
    pub probabilities: Vec<f64>,
    /// Line of the row in its file (1-based, header = 1).
    pub line: u64,
}

/// Cluster probabilities of every window, with the file they came from.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterProbabilities {
    /// The file (for messages).
    pub path: PathBuf,
    /// The windows in file order.
    pub windows: Vec<ProbabilityWindow>,
}

struct Table {
    path: PathBuf,
    headers: Vec<String>,
    rows: Vec<(u64, csv::StringRecord)>,
}

impl Table {
    fn read(path: &Path) -> Result<Table, InputError> {
        let file = std::fs::File::open(path).map_err(|source| InputError::Io {
            path: path.into(),
            source,
        })?;
        Self::from_reader(file, path)
    }

    fn from_reader<R: std::io::Read>(r: R, path: &Path) -> Result<Table, InputError> {
        let mut rdr = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .comment(Some(b'#'))
            .flexible(false)
            .from_reader(r);
        let err = |line: u64, field: &str, what: String| InputError::Format {
            path: path.into(),
            line,
            field: field.into(),
            what,
        };
        let headers: Vec<String> = rdr
            .headers()
            .map_err(|e| err(1, "header", e.to_string()))?
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .collect();
        let mut rows = Vec::new();
        for rec in rdr.records() {
            let rec = rec.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line());
                err(line, "record", e.to_string())
            })?;
            let line = rec.position().map_or(0, |p| p.line());
            rows.push((line, rec));
        }
        Ok(Table {
            path: path.into(),
            headers,
            rows,
        })
    }

    fn col(&self, names: &[&str]) -> Option<usize> {
        names.iter().find_map(|n| self.headers.iter().position(|h| h == n))
    }

    fn need(&self, names: &[&str]) -> Result<usize, InputError> {
        self.col(names).ok_or_else(|| self.err(1, names[0], "missing column".into()))
    }

    fn err(&self, line: u64, field: &str, what: String) -> InputError {
        InputError::Format {
            path: self.path.clone(),
            line,
            field: field.into(),
            what,
        }
    }

    fn text<'a>(&self, rec: &'a csv::StringRecord, c: Option<usize>) -> Option<&'a str> {
        c.and_then(|c| rec.get(c)).filter(|s| !s.is_empty())
    }

    fn required<'a>(&self, line: u64, rec: &'a csv::StringRecord, c: usize, name: &str) -> Result<&'a str, InputError> {
        self.text(rec, Some(c)).ok_or_else(|| self.err(line, name, "missing value".into()))
    }

    fn number(&self, line: u64, s: &str, name: &str) -> Result<f64, InputError> {
        let v: f64 = s
            .parse()
            .map_err(|_| self.err(line, name, format!("`{s}` is not a number")))?;
        if v.is_finite() {
            Ok(v)
        } else {
            Err(self.err(line, name, format!("`{s}` is not finite")))
        }
    }

    /// Local position of a station from latitude, longitude and elevation,
    /// checked by [`crate::geo::check_station_lonlat`]; `names` are the
    /// file's names of the three fields (for the message).
    fn station_position(
        &self,
        line: u64,
        projection: &LocalProjection,
        (lon, lat, elev_m): (f64, f64, f64),
        names: [&str; 3],
    ) -> Result<[f64; 3], InputError> {
        project_station(&self.path, line, projection, (lon, lat, elev_m), names)
    }

    fn time(&self, line: u64, s: &str, name: &str) -> Result<DateTime<Utc>, InputError> {
        parse_utc_time(s).ok_or_else(|| self.err(line, name, format!("`{s}` is not a UTC time")))
    }
}

/// Parse `"[0.1 0.7 0.2]"`, `"[0.1, 0.7, 0.2]"` or `"0.1;0.7;0.2"`.
/// Returns the values or the offending token.
pub fn parse_probability_list(s: &str) -> Result<Vec<f64>, String> {
    let inner = s.trim().trim_start_matches('[').trim_end_matches(']');
    let out: Result<Vec<f64>, String> = inner
        .split(|c: char| c == ';' || c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
        .map(|t| t.parse::<f64>().map_err(|_| t.to_string()))
        .collect();
    match out {
        Ok(v) if v.is_empty() => Err(String::new()),
        other => other,
    }
}

/// Read a cluster-probabilities CSV (module doc). Every probability must be
/// finite and in `[0, 1]`; every row must have as many as the first.
pub fn read_cluster_probabilities(path: &Path) -> Result<ClusterProbabilities, InputError> {
    from_table(Table::read(path)?)
}

/// As [`read_cluster_probabilities`] from text; `path` names it in errors.
pub fn cluster_probabilities_from_str(text: &str, path: &Path) -> Result<ClusterProbabilities, InputError> {
    from_table(Table::from_reader(text.as_bytes(), path)?)
}

fn from_table(t: Table) -> Result<ClusterProbabilities, InputError> {
    let cs = t.need(&["start_time"])?;
    let ce = t.need(&["end_time"])?;
    let cp = t.need(&["clusters_prob"])?;
    let cn = t.col(&["noise_prob"]);
    let mut windows = Vec::with_capacity(t.rows.len());
    for (line, rec) in &t.rows {
        let line = *line;
        let start = t.time(line, t.required(line, rec, cs, "start_time")?, "start_time")?;
        let end = t.time(line, t.required(line, rec, ce, "end_time")?, "end_time")?;
        if end <= start {
            return Err(t.err(line, "end_time", "must be after start_time".into()));
        }
        let raw = t.required(line, rec, cp, "clusters_prob")?;
        let probabilities = parse_probability_list(raw).map_err(|tok| {
            t.err(line, "clusters_prob", if tok.is_empty() { "no probabilities".into() } else { format!("`{tok}` is not a number") })
        })?;
        if let Some((k, p)) = probabilities
            .iter()
            .enumerate()
            .find(|(_, p)| !(p.is_finite() && (0.0..=1.0).contains(*p)))
        {
            return Err(t.err(line, "clusters_prob", format!("probability of cluster {k} is {p}; must be finite and in [0, 1]")));
        }
        // ConvNetQuake's noise probability is not used by the prior, but a
        // value that is no probability means a damaged file.
        if let Some(raw) = t.text(rec, cn) {
            let v: f64 = raw.parse().map_err(|_| t.err(line, "noise_prob", format!("`{raw}` is not a number")))?;
            if !(v.is_finite() && (0.0..=1.0).contains(&v)) {
                return Err(t.err(line, "noise_prob", format!("{raw} must be finite and in [0, 1]")));
            }
        }
        if let Some(first) = windows.first().map(|w: &ProbabilityWindow| w.probabilities.len()) {
            if probabilities.len() != first {
                return Err(t.err(
                    line,
                    "clusters_prob",
                    format!("{} probabilities where the first row has {first}", probabilities.len()),
                ));
            }
        }
        windows.push(ProbabilityWindow {
            start,
            end,
            probabilities,
            line,
        });
    }
    Ok(ClusterProbabilities {
        path: t.path,
        windows,
    })
}

impl ClusterProbabilities {
    /// The same `probabilities` for every event (one window over all
    /// time); `label` stands for the file in messages (e.g. `--weights`).
    pub fn constant(probabilities: Vec<f64>, label: &str) -> ClusterProbabilities {
        ClusterProbabilities {
            path: PathBuf::from(label),
            windows: vec![ProbabilityWindow {
                start: DateTime::<Utc>::MIN_UTC,
                end: DateTime::<Utc>::MAX_UTC,
                probabilities,
                line: 1,
            }],
        }
    }

    /// The first window holding `t` (`start <= t < end`).
    pub fn window_at(&self, t: DateTime<Utc>) -> Option<&ProbabilityWindow> {
        self.windows.iter().find(|w| w.start <= t && t < w.end)
    }

    /// The probabilities for the event `picks` (module doc), checked against
    /// `n_clusters` and, unless `normalise`, for a sum within `tolerance` of
    /// 1. Errors name the file, line and field, or the event.
    pub fn for_event(
        &self,
        picks: &Picks,
        n_clusters: usize,
        normalise: bool,
        tolerance: f64,
    ) -> Result<&ProbabilityWindow, String> {
        let t = picks.first_p_utc();
        let w = self.window_at(t).ok_or_else(|| {
            format!(
                "no window of {} holds its P pick at {}",
                self.path.display(),
                t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            )
        })?;
        let at = format!("{}:{}: field `clusters_prob`", self.path.display(), w.line);
        if w.probabilities.len() != n_clusters {
            return Err(format!("{at}: {} probabilities for {n_clusters} clusters", w.probabilities.len()));
        }
        let sum: f64 = w.probabilities.iter().sum();
        if !normalise && (sum - 1.0).abs() > tolerance {
            return Err(format!(
                "{at}: probabilities sum to {sum}, not 1 (tolerance {tolerance}; set prior.normalise = true to rescale)"
            ));
        }
        Ok(w)
    }
}

/// A station's longitude, latitude (deg) and elevation (m) in the local
/// frame (km), checked; errors name `path`, `line` and the field of
/// `names` (latitude, longitude, elevation) at fault.
pub(crate) fn project_station(
    path: &Path,
    line: u64,
    projection: &LocalProjection,
    (lon, lat, elev_m): (f64, f64, f64),
    names: [&str; 3],
) -> Result<[f64; 3], InputError> {
    let err = |field: &str, what: String| InputError::Format { path: path.to_path_buf(), line, field: field.into(), what };
    crate::geo::check_station_lonlat(lon, lat, elev_m).map_err(|(field, what)| {
        let name = match field {
            "latitude" => names[0],
            "longitude" => names[1],
            _ => names[2],
        };
        err(name, what)
    })?;
    let p = projection.to_local_xyz_km(lon, lat, crate::geo::depth_km_from_elevation_m(elev_m));
    if p.iter().all(|v| v.is_finite()) {
        Ok(p)
    } else {
        Err(err(names[0], format!("position ({lon}, {lat}) does not project to the local frame")))
    }
}

/// Read the stations of a station table or of a StationXML file (chosen by
/// content: a file whose first non-blank character is `<` is StationXML,
/// [`crate::stationxml`]); lon/lat are projected with `projection`.
pub fn read_stations(path: &Path, projection: &LocalProjection) -> Result<Vec<Station>, InputError> {
    let bytes = std::fs::read(path).map_err(|source| InputError::Io { path: path.to_path_buf(), source })?;
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<') {
        crate::stationxml::stations_from_stationxml(&bytes, path, projection)
    } else {
        read_stations_csv(path, projection)
    }
}

/// Read a station table (module doc); lon/lat are projected with `projection`.
pub fn read_stations_csv(path: &Path, projection: &LocalProjection) -> Result<Vec<Station>, InputError> {
    stations_from_table(Table::read(path)?, projection)
}

/// As [`read_stations_csv`] from text; `path` names it in errors.
pub fn stations_from_str(text: &str, path: &Path, projection: &LocalProjection) -> Result<Vec<Station>, InputError> {
    stations_from_table(Table::from_reader(text.as_bytes(), path)?, projection)
}

fn stations_from_table(t: Table, projection: &LocalProjection) -> Result<Vec<Station>, InputError> {
    let cc = t.need(&["station", "code"])?;
    let (cnet, cloc) = (t.col(&["network", "net"]), t.col(&["location", "loc"]));
    let local = (t.col(&["east_km"]), t.col(&["north_km"]), t.col(&["depth_km"]));
    let mut out = Vec::new();
    for (line, rec) in &t.rows {
        let line = *line;
        let sta = t.required(line, rec, cc, "station")?;
        let net = t.text(rec, cnet).unwrap_or("");
        let loc = t.text(rec, cloc).unwrap_or("");
        for (v, name) in [(sta, "station"), (net, "network"), (loc, "location")] {
            crate::picks::check_identifier(v).map_err(|w| t.err(line, name, w))?;
        }
        // NET.STA[.LOC] when the table has network codes (crate::station_id).
        let code = crate::station_id::StationId::from_parts(net, sta, loc).code();
        if out.iter().any(|s: &Station| s.code == code) {
            return Err(t.err(line, "station", format!("station `{code}` is listed twice")));
        }
        let position_km = if let (Some(e), Some(n), Some(z)) = local {
            let p = [
                t.number(line, t.required(line, rec, e, "east_km")?, "east_km")?,
                t.number(line, t.required(line, rec, n, "north_km")?, "north_km")?,
                t.number(line, t.required(line, rec, z, "depth_km")?, "depth_km")?,
            ];
            for (v, name) in p[..2].iter().zip(["east_km", "north_km"]) {
                if v.abs() > crate::geo::MAX_LOCAL_HORIZONTAL_KM {
                    return Err(t.err(line, name, format!("{v} km is farther than half the Earth's circumference")));
                }
            }
            crate::geo::check_station_depth_km(p[2]).map_err(|w| t.err(line, "depth_km", w))?;
            p
        } else {
            let clat = t.need(&["latitude", "lat"])?;
            let clon = t.need(&["longitude", "lon"])?;
            let lat = t.number(line, t.required(line, rec, clat, "latitude")?, "latitude")?;
            let lon = t.number(line, t.required(line, rec, clon, "longitude")?, "longitude")?;
            let elev_m = match t.text(rec, t.col(&["elevation_m", "elevation", "elv"])) {
                Some(s) => t.number(line, s, "elevation_m")?,
                None => 0.0,
            };
            t.station_position(line, projection, (lon, lat, elev_m), ["latitude", "longitude", "elevation_m"])?
        };
        out.push(Station { code, position_km });
    }
    Ok(out)
}

/// Whether a CSV header is EQTransformer's (`p_arrival_time` column).
pub fn is_eqtransformer_csv(path: &Path) -> Result<bool, InputError> {
    let t = Table::read(path)?;
    Ok(t.col(&["p_arrival_time"]).is_some())
}

/// Read EQTransformer's `X_prediction_results.csv` (module doc): one event
/// per row. `stations` overrides the rows' coordinates for the stations it
/// names.
pub fn read_eqtransformer_picks(
    path: &Path,
    projection: &LocalProjection,
    stations: &[Station],
    default_sigma_s: f64,
) -> Result<Vec<Picks>, InputError> {
    eqtransformer_picks_from_table(Table::read(path)?, projection, stations, default_sigma_s)
}

/// As [`read_eqtransformer_picks`] from text; `path` names it in errors.
pub fn eqtransformer_picks_from_str(
    text: &str,
    path: &Path,
    projection: &LocalProjection,
    stations: &[Station],
    default_sigma_s: f64,
) -> Result<Vec<Picks>, InputError> {
    eqtransformer_picks_from_table(Table::from_reader(text.as_bytes(), path)?, projection, stations, default_sigma_s)
}

fn eqtransformer_picks_from_table(
    t: Table,
    projection: &LocalProjection,
    stations: &[Station],
    default_sigma_s: f64,
) -> Result<Vec<Picks>, InputError> {
    let cnet = t.col(&["network"]);
    let cid = t.col(&["event_id"]);
    let csta = t.need(&["station"])?;
    let (clat, clon, celv) = (t.col(&["station_lat"]), t.col(&["station_lon"]), t.col(&["station_elv"]));
    let cp = t.need(&["p_arrival_time"])?;
    let cs = t.need(&["s_arrival_time"])?;
    let (cpu, csu) = (t.col(&["p_time_uncertainty_s"]), t.col(&["s_time_uncertainty_s"]));
    let (cbaz, cbsig) = (t.col(&["back_azimuth_deg"]), t.col(&["sigma_back_azimuth_deg"]));
    let cbflip = t.col(&["p_flip_back_azimuth"]);
    let mut out = Vec::new();
    for (line, rec) in &t.rows {
        let line = *line;
        let sta = t.required(line, rec, csta, "station")?;
        let net = t.text(rec, cnet).unwrap_or("");
        crate::picks::check_identifier(sta).map_err(|w| t.err(line, "station", w))?;
        crate::picks::check_identifier(net).map_err(|w| t.err(line, "network", w))?;
        let code = if net.is_empty() { sta.to_string() } else { format!("{net}.{sta}") };
        let position_km = match crate::station_id::find_station(stations, &code).ok().map(|i| &stations[i]) {
            Some(s) => s.position_km,
            None => {
                let get = |c: Option<usize>, name: &str| -> Result<f64, InputError> {
                    let s = t.text(rec, c).ok_or_else(|| {
                        t.err(line, name, format!("missing value (and station {code} is not in the station table)"))
                    })?;
                    t.number(line, s, name)
                };
                let lat = get(clat, "station_lat")?;
                let lon = get(clon, "station_lon")?;
                let elv = match t.text(rec, celv) {
                    Some(s) => t.number(line, s, "station_elv")?,
                    None => 0.0,
                };
                t.station_position(line, projection, (lon, lat, elv), ["station_lat", "station_lon", "station_elv"])?
            }
        };
        let tp = t.text(rec, Some(cp)).map(|s| t.time(line, s, "p_arrival_time")).transpose()?;
        let ts = t.text(rec, Some(cs)).map(|s| t.time(line, s, "s_arrival_time")).transpose()?;
        let reference_time = match (tp, ts) {
            (Some(p), _) => p,
            (None, Some(s)) => s,
            (None, None) => return Err(t.err(line, "p_arrival_time", "row has neither a P nor an S arrival".into())),
        };
        let sigma = |c: Option<usize>, name: &str| -> Result<f64, InputError> {
            match t.text(rec, c) {
                Some(s) => {
                    let v = t.number(line, s, name)?;
                    if v > 0.0 {
                        Ok(v)
                    } else {
                        Err(t.err(line, name, format!("{v} must be > 0")))
                    }
                }
                None => Ok(default_sigma_s),
            }
        };
        let mut sp = StationPicks::new(Station { code: code.clone(), position_km });
        if let Some(p) = tp {
            sp.p = Some(PhasePick { time_s: duration_s(p - reference_time), sigma_s: sigma(cpu, "p_time_uncertainty_s")? });
        }
        if let Some(s) = ts {
            sp.s = Some(PhasePick { time_s: duration_s(s - reference_time), sigma_s: sigma(csu, "s_time_uncertainty_s")? });
        }
        if let (Some(b), Some(bs)) = (t.text(rec, cbaz), t.text(rec, cbsig)) {
            let azimuth = t.number(line, b, "back_azimuth_deg")?;
            let sig = t.number(line, bs, "sigma_back_azimuth_deg")?;
            if sig <= 0.0 {
                return Err(t.err(line, "sigma_back_azimuth_deg", format!("{sig} must be > 0")));
            }
            let p_flip = match t.text(rec, cbflip) {
                Some(f) => t.number(line, f, "p_flip_back_azimuth")?,
                None => 0.0,
            };
            if !(0.0..0.5).contains(&p_flip) {
                return Err(t.err(line, "p_flip_back_azimuth", format!("{p_flip} must be in [0, 0.5)")));
            }
            sp.back_azimuth = Some(crate::picks::BackAzimuthObs::from_sigma_deg(azimuth, sig).with_p_flip(p_flip));
        }
        out.push(Picks {
            event_id: match t.text(rec, cid) {
                Some(id) => id.to_string(),
                None => format!("{code}_{}", reference_time.format("%Y%m%dT%H%M%S%.3fZ")),
            },
            reference_time,
            stations: vec![sp],
        });
    }
    Ok(out)
}
