//! Phase picks of one event: P and S arrival times and back-azimuths at one
//! or several stations.
//!
//! # Time convention
//!
//! Arrival times are stored as `f64` **seconds relative to a reference
//! instant** [`Picks::reference_time`] (a UTC `chrono::DateTime`). An `f64`
//! holds an offset of up to a day with ~10 ns resolution, far below pick
//! precision (ms), and keeps the likelihood arithmetic in plain floats. Use
//! [`Picks::offset_of`] / [`Picks::utc_at`] to convert to and from UTC.
//!
//! # Picks CSV
//!
//! [`read_picks_csv`] reads one file holding the picks of one or more
//! events, one row per pick, with the header
//!
//! ```text
//! event_id,station,phase,time_utc,sigma_s
//! ```
//!
//! and optionally the columns `back_azimuth_deg,sigma_back_azimuth_deg`
//! and `p_flip_back_azimuth` (filled only on the rows of phase `BAZ`, which
//! carry no time; the flip probability is 0 when the column or value is
//! missing). `time_utc`
//! is RFC 3339 (`2020-01-02T03:04:05.678Z`). Station positions come from a
//! station table given by the caller (the station file belongs to the
//! pipeline).

use chrono::{DateTime, TimeDelta, Utc};
use eqnemix_traveltime::Station;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One phase arrival: time (s after [`Picks::reference_time`]) and its
/// one-sigma uncertainty (s).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PhasePick {
    /// Arrival time, seconds after the event's reference time.
    pub time_s: f64,
    /// One-sigma pick uncertainty (s), `> 0`.
    pub sigma_s: f64,
}

/// An observed back-azimuth at a station: the direction (degrees clockwise
/// from north) in which the station sees the event, with the concentration
/// `kappa` of a von Mises distribution.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BackAzimuthObs {
    /// Observed back-azimuth (degrees clockwise from north, any range).
    pub azimuth_deg: f64,
    /// von Mises concentration (1/rad²-like, dimensionless), `> 0`.
    pub kappa: f64,
    /// Probability in `[0, 0.5)` that the observation is 180° off (the
    /// polarisation sign ambiguity): the density is the mixture
    /// `(1 − p) vM(azimuth, κ) + p vM(azimuth + 180°, κ)`.
    #[serde(default)]
    pub p_flip: f64,
}

impl BackAzimuthObs {
    /// From a one-sigma angular uncertainty in degrees: `kappa = 1/σ²` with
    /// σ in radians, the concentration whose von Mises matches a Gaussian of
    /// standard deviation σ for small σ (the large-kappa limit).
    pub fn from_sigma_deg(azimuth_deg: f64, sigma_deg: f64) -> Self {
        let s = sigma_deg.to_radians();
        BackAzimuthObs {
            azimuth_deg,
            kappa: 1.0 / (s * s),
            p_flip: 0.0,
        }
    }

    /// The same observation with flip probability `p_flip`.
    pub fn with_p_flip(self, p_flip: f64) -> Self {
        BackAzimuthObs { p_flip, ..self }
    }
}

/// What one station observed of one event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StationPicks {
    /// The station (code and local position, km).
    pub station: Station,
    /// P arrival, if picked.
    pub p: Option<PhasePick>,
    /// S arrival, if picked.
    pub s: Option<PhasePick>,
    /// Back-azimuth, if measured.
    pub back_azimuth: Option<BackAzimuthObs>,
}

impl StationPicks {
    /// A station with no observation yet.
    pub fn new(station: Station) -> Self {
        StationPicks {
            station,
            p: None,
            s: None,
            back_azimuth: None,
        }
    }
}

/// Every observation of one event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Picks {
    /// Event identifier.
    pub event_id: String,
    /// The instant (UTC) the `time_s` of every pick counts from.
    pub reference_time: DateTime<Utc>,
    /// One entry per station.
    pub stations: Vec<StationPicks>,
}

impl Picks {
    /// Seconds from [`Self::reference_time`] to `t` (negative before it),
    /// exact to the nanosecond.
    pub fn offset_of(&self, t: DateTime<Utc>) -> f64 {
        duration_s(t - self.reference_time)
    }

    /// The UTC instant `offset_s` seconds after [`Self::reference_time`]
    /// (rounded to the nanosecond).
    pub fn utc_at(&self, offset_s: f64) -> DateTime<Utc> {
        utc_after(self.reference_time, offset_s)
    }

    /// UTC time of the earliest P pick over the stations; the reference
    /// time when no station has a P pick. This is the instant that joins an
    /// event to its classifier window.
    pub fn first_p_utc(&self) -> DateTime<Utc> {
        let t = self.stations.iter().filter_map(|s| s.p.map(|p| p.time_s)).fold(f64::INFINITY, f64::min);
        self.utc_at(if t.is_finite() { t } else { 0.0 })
    }

    /// Check every pick: finite times, positive finite uncertainties and
    /// kappas. The error names the event, station and field.
    pub fn validate(&self) -> Result<(), PicksError> {
        for sp in &self.stations {
            let bad = |field: &str, value: f64| PicksError::Invalid {
                event: self.event_id.clone(),
                station: sp.station.code.clone(),
                field: field.to_string(),
                value,
            };
            for (name, pick) in [("P", sp.p), ("S", sp.s)] {
                if let Some(pk) = pick {
                    if !pk.time_s.is_finite() {
                        return Err(bad(&format!("{name}.time_s"), pk.time_s));
                    }
                    if !(pk.sigma_s.is_finite() && pk.sigma_s > 0.0) {
                        return Err(bad(&format!("{name}.sigma_s"), pk.sigma_s));
                    }
                }
            }
            if let Some(b) = sp.back_azimuth {
                if !b.azimuth_deg.is_finite() {
                    return Err(bad("back_azimuth_deg", b.azimuth_deg));
                }
                if !(b.kappa.is_finite() && b.kappa > 0.0) {
                    return Err(bad("back_azimuth_kappa", b.kappa));
                }
                if !(0.0..0.5).contains(&b.p_flip) {
                    return Err(bad("back_azimuth_p_flip", b.p_flip));
                }
            }
            if sp.station.position_km.iter().any(|v| !v.is_finite()) {
                return Err(bad("position_km", f64::NAN));
            }
        }
        Ok(())
    }
}

/// Check an identifier (event id, station code) read from a file: no
/// control characters (U+0000-U+001F, U+007F-U+009F), which no output
/// format can hold (XML 1.0 forbids most of them outright) and which would
/// make file names and terminal messages lie. The message shows the id
/// escaped and the first offending character.
pub fn check_identifier(id: &str) -> Result<(), String> {
    match id.chars().find(|c| c.is_control()) {
        Some(c) => Err(format!(
            "`{}` contains the control character U+{:04X}; identifiers must be printable",
            id.escape_debug(),
            c as u32
        )),
        None => Ok(()),
    }
}

/// Seconds in a `chrono` duration, with nanosecond precision.
pub fn duration_s(d: TimeDelta) -> f64 {
    d.num_seconds() as f64 + d.subsec_nanos() as f64 * 1e-9
}

/// `t + offset_s` seconds, rounded to the nanosecond; `None` when
/// `offset_s` is not finite or the result is outside chrono's range
/// (about ±262,000 years).
pub fn checked_utc_after(t: DateTime<Utc>, offset_s: f64) -> Option<DateTime<Utc>> {
    if !offset_s.is_finite() {
        return None;
    }
    let whole = offset_s.floor();
    // i64 milliseconds bound TimeDelta; stay well inside it before casting.
    if whole.abs() > 1e15 {
        return None;
    }
    let nanos = ((offset_s - whole) * 1e9).round() as i64;
    t.checked_add_signed(TimeDelta::try_seconds(whole as i64)?)?
        .checked_add_signed(TimeDelta::nanoseconds(nanos))
}

/// `t + offset_s` seconds, rounded to the nanosecond. Never panics: an
/// offset outside chrono's range (or not finite) saturates to the earliest
/// or latest representable instant; use [`checked_utc_after`] to detect it.
pub fn utc_after(t: DateTime<Utc>, offset_s: f64) -> DateTime<Utc> {
    checked_utc_after(t, offset_s).unwrap_or(if offset_s < 0.0 {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    })
}

/// Errors of picks: invalid values and picks CSV files.
#[derive(Debug, thiserror::Error)]
pub enum PicksError {
    /// A value is out of range; names event, station and field.
    #[error("event {event}, station {station}: invalid {field} = {value}")]
    Invalid {
        /// Event id.
        event: String,
        /// Station code.
        station: String,
        /// Field name.
        field: String,
        /// Offending value.
        value: f64,
    },
    /// The file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// File.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// A line of the file is wrong; `line` is 1-based and counts the header.
    #[error("{path}:{line}: field `{field}`: {what}")]
    Format {
        /// File.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// Column name.
        field: String,
        /// What is wrong.
        what: String,
    },
}

/// Read a picks CSV (see the module doc) into one [`Picks`] per event, in
/// order of first appearance. `stations` maps station codes to positions;
/// an unknown code is an error naming the line. Each event's reference time
/// is the earliest arrival time in its rows.
pub fn read_picks_csv(path: &Path, stations: &[Station]) -> Result<Vec<Picks>, PicksError> {
    let file = std::fs::File::open(path).map_err(|e| PicksError::Io {
        path: path.into(),
        source: e,
    })?;
    read_picks_from(file, path, stations)
}

/// As [`read_picks_csv`] from any reader; `path` is only used in messages.
pub fn read_picks_from<R: std::io::Read>(
    reader: R,
    path: &Path,
    stations: &[Station],
) -> Result<Vec<Picks>, PicksError> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(reader);
    let fmt = |line: u64, field: &str, what: String| PicksError::Format {
        path: path.into(),
        line,
        field: field.into(),
        what,
    };
    let headers = rdr
        .headers()
        .map_err(|e| fmt(1, "header", e.to_string()))?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let need = |name: &str| col(name).ok_or_else(|| fmt(1, name, "missing column".into()));
    let (c_ev, c_sta, c_ph) = (need("event_id")?, need("station")?, need("phase")?);
    let (c_t, c_sig) = (col("time_utc"), col("sigma_s"));
    let (c_baz, c_bsig) = (col("back_azimuth_deg"), col("sigma_back_azimuth_deg"));
    let c_bflip = col("p_flip_back_azimuth");

    struct Row {
        station: usize,
        phase: String,
        time: Option<DateTime<Utc>>,
        a: f64,
        b: f64,
        p_flip: f64,
    }
    let mut events: Vec<(String, Vec<Row>)> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            fmt(line, "record", e.to_string())
        })?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let get = |c: Option<usize>, name: &str| -> Result<&str, PicksError> {
            c.and_then(|c| rec.get(c))
                .filter(|s| !s.is_empty())
                .ok_or_else(|| fmt(line, name, "missing value".into()))
        };
        let num = |c: Option<usize>, name: &str| -> Result<f64, PicksError> {
            let s = get(c, name)?;
            let v: f64 = s
                .parse()
                .map_err(|_| fmt(line, name, format!("`{s}` is not a number")))?;
            if v.is_finite() {
                Ok(v)
            } else {
                Err(fmt(line, name, format!("`{s}` is not finite")))
            }
        };
        let ev = get(Some(c_ev), "event_id")?.to_string();
        let code = get(Some(c_sta), "station")?;
        for (name, v) in [("event_id", ev.as_str()), ("station", code)] {
            check_identifier(v).map_err(|what| fmt(line, name, what))?;
        }
        let station = crate::station_id::find_station(stations, code).map_err(|what| fmt(line, "station", what))?;
        let phase = get(Some(c_ph), "phase")?.to_ascii_uppercase();
        let row = match phase.as_str() {
            "P" | "S" => {
                let ts = get(c_t, "time_utc")?;
                let t = DateTime::parse_from_rfc3339(ts)
                    .map_err(|e| fmt(line, "time_utc", format!("`{ts}`: {e}")))?
                    .with_timezone(&Utc);
                let sig = num(c_sig, "sigma_s")?;
                if sig <= 0.0 {
                    return Err(fmt(line, "sigma_s", format!("{sig} must be > 0")));
                }
                Row {
                    station,
                    phase,
                    time: Some(t),
                    a: sig,
                    b: 0.0,
                    p_flip: 0.0,
                }
            }
            "BAZ" => {
                let azimuth = num(c_baz, "back_azimuth_deg")?;
                let sig = num(c_bsig, "sigma_back_azimuth_deg")?;
                if sig <= 0.0 {
                    return Err(fmt(
                        line,
                        "sigma_back_azimuth_deg",
                        format!("{sig} must be > 0"),
                    ));
                }
                let p_flip = match c_bflip.and_then(|c| rec.get(c)).filter(|s| !s.is_empty()) {
                    Some(_) => num(c_bflip, "p_flip_back_azimuth")?,
                    None => 0.0,
                };
                if !(0.0..0.5).contains(&p_flip) {
                    return Err(fmt(line, "p_flip_back_azimuth", format!("{p_flip} must be in [0, 0.5)")));
                }
                Row {
                    station,
                    phase,
                    time: None,
                    a: azimuth,
                    b: sig,
                    p_flip,
                }
            }
            other => return Err(fmt(line, "phase", format!("`{other}` is not P, S or BAZ"))),
        };
        let i = *index.entry(ev.clone()).or_insert_with(|| {
            events.push((ev.clone(), Vec::new()));
            events.len() - 1
        });
        events[i].1.push(row);
    }

    let mut out = Vec::with_capacity(events.len());
    for (event_id, rows) in events {
        let reference_time = rows
            .iter()
            .filter_map(|r| r.time)
            .min()
            .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
        let mut per: Vec<StationPicks> = Vec::new();
        for r in rows {
            let st = &stations[r.station];
            let j = match per.iter().position(|p| p.station.code == st.code) {
                Some(j) => j,
                None => {
                    per.push(StationPicks::new(st.clone()));
                    per.len() - 1
                }
            };
            match (r.phase.as_str(), r.time) {
                ("P", Some(t)) => {
                    per[j].p = Some(PhasePick {
                        time_s: duration_s(t - reference_time),
                        sigma_s: r.a,
                    })
                }
                ("S", Some(t)) => {
                    per[j].s = Some(PhasePick {
                        time_s: duration_s(t - reference_time),
                        sigma_s: r.a,
                    })
                }
                _ => per[j].back_azimuth = Some(BackAzimuthObs::from_sigma_deg(r.a, r.b).with_p_flip(r.p_flip)),
            }
        }
        out.push(Picks {
            event_id,
            reference_time,
            stations: per,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stations() -> Vec<Station> {
        vec![
            Station {
                code: "AA".into(),
                position_km: [0.0, 0.0, 0.0],
            },
            Station {
                code: "BB".into(),
                position_km: [10.0, 0.0, -0.5],
            },
        ]
    }

    #[test]
    fn reads_the_back_azimuth_flip_probability() {
        let text = "event_id,station,phase,time_utc,sigma_s,back_azimuth_deg,sigma_back_azimuth_deg,p_flip_back_azimuth\n\
                    e1,AA,P,2020-01-02T03:04:05Z,0.05,,,\n\
                    e1,AA,BAZ,,,45,10,0.03\n\
                    e2,BB,BAZ,,,45,10,\n";
        let ev = read_picks_from(text.as_bytes(), Path::new("t.csv"), &stations()).unwrap();
        assert_eq!(ev[0].stations[0].back_azimuth.unwrap().p_flip, 0.03);
        assert_eq!(ev[1].stations[0].back_azimuth.unwrap().p_flip, 0.0);
        let bad = text.replace("0.03", "0.7");
        let err = read_picks_from(bad.as_bytes(), Path::new("t.csv"), &stations()).unwrap_err();
        assert!(err.to_string().contains("p_flip_back_azimuth"), "{err}");
    }

    #[test]
    fn reads_events_and_sub_ms_times() {
        let text =
            "event_id,station,phase,time_utc,sigma_s,back_azimuth_deg,sigma_back_azimuth_deg\n\
                    e1,AA,P,2020-01-02T03:04:05.1234Z,0.05,,\n\
                    e1,AA,S,2020-01-02T03:04:07.5Z,0.1,,\n\
                    e1,AA,BAZ,,,45,10\n\
                    e2,BB,P,2020-01-02T04:00:00Z,0.05,,\n";
        let ev = read_picks_from(text.as_bytes(), Path::new("t.csv"), &stations()).unwrap();
        assert_eq!(ev.len(), 2);
        let e1 = &ev[0];
        assert_eq!(e1.stations.len(), 1);
        let sp = &e1.stations[0];
        assert_eq!(sp.p.unwrap().time_s, 0.0);
        assert!((sp.s.unwrap().time_s - 2.3766).abs() < 1e-9);
        let b = sp.back_azimuth.unwrap();
        assert_eq!(b.azimuth_deg, 45.0);
        assert!((b.kappa - 1.0 / 10f64.to_radians().powi(2)).abs() < 1e-9);
        assert_eq!(
            e1.utc_at(2.3766).to_rfc3339(),
            "2020-01-02T03:04:07.500+00:00"
        );
        assert_eq!(ev[1].stations[0].station.code, "BB");
        e1.validate().unwrap();
    }

    #[test]
    fn errors_name_line_and_field() {
        let text = "event_id,station,phase,time_utc,sigma_s\ne1,AA,P,2020-01-02T03:04:05Z,0.05\ne1,AA,S,notatime,0.1\n";
        let err = read_picks_from(text.as_bytes(), Path::new("t.csv"), &stations())
            .unwrap_err()
            .to_string();
        assert!(err.contains("t.csv:3") && err.contains("time_utc"), "{err}");
        let text = "event_id,station,phase,time_utc,sigma_s\ne1,ZZ,P,2020-01-02T03:04:05Z,0.05\n";
        let err = read_picks_from(text.as_bytes(), Path::new("t.csv"), &stations())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(":2") && err.contains("unknown station"),
            "{err}"
        );
        let text = "event_id,station,phase,time_utc,sigma_s\ne1,AA,P,2020-01-02T03:04:05Z,-1\n";
        let err = read_picks_from(text.as_bytes(), Path::new("t.csv"), &stations())
            .unwrap_err()
            .to_string();
        assert!(err.contains("sigma_s"), "{err}");
        let text = "event_id,station,time_utc\n";
        let err = read_picks_from(text.as_bytes(), Path::new("t.csv"), &stations())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("phase") && err.contains("missing column"),
            "{err}"
        );
    }

    #[test]
    fn validate_rejects_bad_sigma() {
        let mut sp = StationPicks::new(stations()[0].clone());
        sp.p = Some(PhasePick {
            time_s: 1.0,
            sigma_s: 0.0,
        });
        let p = Picks {
            event_id: "e".into(),
            reference_time: Utc::now(),
            stations: vec![sp],
        };
        let e = p.validate().unwrap_err().to_string();
        assert!(e.contains("P.sigma_s") && e.contains("AA"), "{e}");
    }
}
