//! Earthquake catalogs: read a CSV of located events, filter it by region and
//! time, and write it back with extra columns.
//!
//! # Accepted CSV
//!
//! A header row, then one event per row. Lines starting with `#` are comments
//! (allowed anywhere, e.g. a provenance note above the header). Column names
//! are matched case-insensitively after trimming; the first alias (in the
//! order below) that is present wins, other columns are kept untouched.
//!
//! | field | accepted column names | unit / format |
//! |---|---|---|
//! | origin time | `time`, `origin_time`, `origintime`, `datetime`, `date_time`, `origin` | ISO-8601, UTC |
//! | latitude | `lat`, `latitude`, `evla` | degrees north, WGS84, in [-90, 90] |
//! | longitude | `lon`, `longitude`, `long`, `lng`, `evlo` | degrees east, in [-180, 360] (read as [-180, 180]) |
//! | depth | `depth`, `depth_km`, `dep`, `evdp` | km, positive down |
//! | magnitude (optional) | `mag`, `magnitude`, `ml`, `mw`, `mb`, `md`, `prefmag` | any scale; an empty cell is "unknown" |
//!
//! Times are ISO-8601 with sub-second precision, e.g. `2019-07-06T03:19:53.040Z`,
//! `2019-07-06 03:19:53.04`, or with an offset `2019-07-05T20:19:53-07:00`
//! (converted to UTC). A time without an offset is taken as UTC.
//!
//! Every value error names the file, the line (1-based, counting comment
//! lines) and the column: a missing or empty required field, a number that
//! does not parse, NaN or infinity, a latitude/longitude out of range or a
//! time that does not parse.
//!
//! ```
//! use eqnemix::catalog::Catalog;
//! let csv = "time,latitude,longitude,depth,mag\n2019-07-06T03:19:53.04Z,35.77,-117.60,8.0,7.1\n";
//! let cat = Catalog::from_reader(csv.as_bytes(), "inline.csv").unwrap();
//! assert_eq!(cat.events.len(), 1);
//! assert_eq!(cat.events[0].depth_km, 8.0);
//! assert_eq!(cat.events[0].line, 2);
//! ```

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::geo::geodesic_distance_km;

/// Column aliases of the origin time, in priority order (lower case).
pub const TIME_ALIASES: &[&str] = &[
    "time",
    "origin_time",
    "origintime",
    "datetime",
    "date_time",
    "origin",
];
/// Column aliases of the latitude, in priority order.
pub const LAT_ALIASES: &[&str] = &["lat", "latitude", "evla"];
/// Column aliases of the longitude, in priority order.
pub const LON_ALIASES: &[&str] = &["lon", "longitude", "long", "lng", "evlo"];
/// Column aliases of the depth (km), in priority order.
pub const DEPTH_ALIASES: &[&str] = &["depth", "depth_km", "dep", "evdp"];
/// Column aliases of the magnitude, in priority order (the column is optional).
pub const MAG_ALIASES: &[&str] = &["mag", "magnitude", "ml", "mw", "mb", "md", "prefmag"];

/// What went wrong reading a catalog: always names the file, and the line and
/// column when the problem is in a value.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// Catalog path.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The CSV itself is malformed (e.g. a row with a different number of fields).
    #[error("{path}: line {line}: {message}")]
    Csv {
        /// Catalog path.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// What the CSV reader reported.
        message: String,
    },
    /// The header has no column for a required field.
    #[error("{path}: header: no column for {field} (accepted names, case-insensitive: {aliases})")]
    MissingColumn {
        /// Catalog path.
        path: PathBuf,
        /// Field (e.g. "latitude").
        field: &'static str,
        /// Accepted names, comma separated.
        aliases: String,
    },
    /// A value is missing, unparsable or out of range.
    #[error("{path}: line {line}: field `{column}`: {problem}")]
    Value {
        /// Catalog path.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// Column name as written in the header.
        column: String,
        /// What is wrong with the value.
        problem: String,
    },
}

/// One catalog event.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogEvent {
    /// 1-based line of the event in its file.
    pub line: u64,
    /// Origin time (UTC).
    pub origin_time: DateTime<Utc>,
    /// Latitude (degrees north).
    pub lat_deg: f64,
    /// Longitude (degrees east).
    pub lon_deg: f64,
    /// Hypocentral depth (km, positive down).
    pub depth_km: f64,
    /// Magnitude, if the catalog has a magnitude column and the cell is not empty.
    pub magnitude: Option<f64>,
    /// The row as read (all original columns, in header order).
    pub record: csv::StringRecord,
}

/// A catalog: the header as read and the events in file order.
#[derive(Debug, Clone)]
pub struct Catalog {
    /// Where it was read from (used in messages).
    pub path: PathBuf,
    /// The header row as read.
    pub headers: csv::StringRecord,
    /// The events.
    pub events: Vec<CatalogEvent>,
}

/// A geographic region to keep.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Region {
    /// A longitude/latitude box (degrees, bounds inclusive).
    LonLatBox {
        /// West bound (degrees east).
        lon_min: f64,
        /// East bound (degrees east).
        lon_max: f64,
        /// South bound (degrees north).
        lat_min: f64,
        /// North bound (degrees north).
        lat_max: f64,
    },
    /// Epicentres within `radius_km` (WGS84 geodesic distance) of a point.
    Radius {
        /// Centre longitude (degrees east).
        lon_deg: f64,
        /// Centre latitude (degrees north).
        lat_deg: f64,
        /// Radius (km).
        radius_km: f64,
    },
}

impl Region {
    /// Whether the epicentre `(lon, lat)` (degrees) is inside the region.
    pub fn contains(&self, lon_deg: f64, lat_deg: f64) -> bool {
        match *self {
            Region::LonLatBox {
                lon_min,
                lon_max,
                lat_min,
                lat_max,
            } => {
                lon_deg >= lon_min && lon_deg <= lon_max && lat_deg >= lat_min && lat_deg <= lat_max
            }
            Region::Radius {
                lon_deg: c_lon,
                lat_deg: c_lat,
                radius_km,
            } => geodesic_distance_km(c_lon, c_lat, lon_deg, lat_deg) <= radius_km,
        }
    }
}

/// Which events to keep: inside `region` (if any) and with origin time in
/// `[start, end)` (each bound optional).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CatalogFilter {
    /// Region to keep (`None`: everywhere).
    pub region: Option<Region>,
    /// Keep events at or after this time.
    pub start: Option<DateTime<Utc>>,
    /// Keep events strictly before this time.
    pub end: Option<DateTime<Utc>>,
}

impl CatalogFilter {
    /// Whether `event` passes the filter.
    pub fn keeps(&self, event: &CatalogEvent) -> bool {
        self.region
            .is_none_or(|r| r.contains(event.lon_deg, event.lat_deg))
            && self.start.is_none_or(|t| event.origin_time >= t)
            && self.end.is_none_or(|t| event.origin_time < t)
    }
}

/// Parse an ISO-8601 time as UTC (see the [module docs](self) for the forms
/// accepted). Returns `None` if it does not parse.
pub fn parse_utc_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M:%S%.f%:z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(s, fmt) {
            return Some(t.with_timezone(&Utc));
        }
    }
    let naive = s
        .strip_suffix('Z')
        .or_else(|| s.strip_suffix('z'))
        .unwrap_or(s);
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(naive, fmt) {
            return Some(t.and_utc());
        }
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(naive, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    }
    None
}

/// Column indices of the fields in a header.
struct Columns {
    time: usize,
    lat: usize,
    lon: usize,
    depth: usize,
    mag: Option<usize>,
}

fn find_column(headers: &csv::StringRecord, aliases: &[&str]) -> Option<usize> {
    let lower: Vec<String> = headers
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    aliases
        .iter()
        .find_map(|a| lower.iter().position(|h| h == a))
}

impl Catalog {
    /// Read a catalog CSV file.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self, CatalogError> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|source| CatalogError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_reader(file, path)
    }

    /// Read a catalog from any reader; `path` is used in messages only.
    pub fn from_reader<R: Read>(reader: R, path: impl AsRef<Path>) -> Result<Self, CatalogError> {
        let path = path.as_ref().to_path_buf();
        let mut rdr = csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .trim(csv::Trim::All)
            .flexible(false)
            .from_reader(reader);
        let csv_err = |e: csv::Error, path: &Path| {
            let line = e.position().map_or(0, |p| p.line());
            let message = match e.kind() {
                csv::ErrorKind::UnequalLengths {
                    expected_len, len, ..
                } => format!("row has {len} fields, the header has {expected_len}"),
                _ => e.to_string(),
            };
            match e.into_kind() {
                csv::ErrorKind::Io(source) => CatalogError::Io {
                    path: path.to_path_buf(),
                    source,
                },
                _ => CatalogError::Csv {
                    path: path.to_path_buf(),
                    line,
                    message,
                },
            }
        };
        let headers = rdr.headers().map_err(|e| csv_err(e, &path))?.clone();
        let need = |aliases: &[&str], field: &'static str| {
            find_column(&headers, aliases).ok_or_else(|| CatalogError::MissingColumn {
                path: path.clone(),
                field,
                aliases: aliases.join(", "),
            })
        };
        let cols = Columns {
            time: need(TIME_ALIASES, "origin time")?,
            lat: need(LAT_ALIASES, "latitude")?,
            lon: need(LON_ALIASES, "longitude")?,
            depth: need(DEPTH_ALIASES, "depth (km)")?,
            mag: find_column(&headers, MAG_ALIASES),
        };
        let mut events = Vec::new();
        for result in rdr.records() {
            let record = result.map_err(|e| csv_err(e, &path))?;
            let line = record.position().map_or(0, |p| p.line());
            let value_err = |col: usize, problem: String| CatalogError::Value {
                path: path.clone(),
                line,
                column: headers.get(col).unwrap_or("?").to_string(),
                problem,
            };
            let text = |col: usize| -> Result<&str, CatalogError> {
                match record.get(col) {
                    Some(s) if !s.is_empty() => Ok(s),
                    _ => Err(value_err(col, "missing value".to_string())),
                }
            };
            let number = |col: usize, lo: f64, hi: f64| -> Result<f64, CatalogError> {
                let s = text(col)?;
                let v: f64 = s
                    .parse()
                    .map_err(|_| value_err(col, format!("cannot parse {s:?} as a number")))?;
                if !v.is_finite() {
                    return Err(value_err(col, format!("{s:?} is not a finite number")));
                }
                if v < lo || v > hi {
                    return Err(value_err(col, format!("{v} is outside [{lo}, {hi}]")));
                }
                Ok(v)
            };
            let time_text = text(cols.time)?;
            let origin_time = parse_utc_time(time_text).ok_or_else(|| {
                value_err(
                    cols.time,
                    format!("cannot parse {time_text:?} as an ISO-8601 UTC time (e.g. 2019-07-06T03:19:53.040Z)"),
                )
            })?;
            let lat_deg = number(cols.lat, -90.0, 90.0)?;
            let lon_raw = number(cols.lon, -180.0, 360.0)?;
            // Normalise 0..360 catalogs to [-180, 180] so region boxes use one convention.
            let lon_deg = if lon_raw > 180.0 {
                lon_raw - 360.0
            } else {
                lon_raw
            };
            let depth_km = number(cols.depth, -10.0, 800.0)?;
            let magnitude = match cols.mag {
                Some(c) if record.get(c).is_some_and(|s| !s.is_empty()) => {
                    Some(number(c, -10.0, 12.0)?)
                }
                _ => None,
            };
            events.push(CatalogEvent {
                line,
                origin_time,
                lat_deg,
                lon_deg,
                depth_km,
                magnitude,
                record,
            });
        }
        Ok(Catalog {
            path,
            headers,
            events,
        })
    }

    /// The events that pass `filter`, in file order.
    pub fn filtered(&self, filter: &CatalogFilter) -> Catalog {
        Catalog {
            path: self.path.clone(),
            headers: self.headers.clone(),
            events: self
                .events
                .iter()
                .filter(|e| filter.keeps(e))
                .cloned()
                .collect(),
        }
    }

    /// Mean epicentre `(lon, lat)` (degrees): the arithmetic mean of the
    /// coordinates, each longitude first unwrapped to within 180° of the
    /// first event's, so a regional catalog straddling the antimeridian
    /// (179.9° and -179.9°) averages to 180°, not 0°. The mean longitude is
    /// returned in `[-180, 180)` when unwrapping moved any event, else as the
    /// plain mean. `None` for an empty catalog.
    pub fn centroid_lonlat(&self) -> Option<(f64, f64)> {
        let reference = self.events.first()?.lon_deg;
        let n = self.events.len() as f64;
        let mut wrapped = false;
        let lon = self
            .events
            .iter()
            .map(|e| {
                let d = e.lon_deg - reference;
                if d.abs() <= 180.0 {
                    e.lon_deg
                } else {
                    wrapped = true;
                    reference + (d + 180.0).rem_euclid(360.0) - 180.0
                }
            })
            .sum::<f64>()
            / n;
        let lon = if wrapped { (lon + 180.0).rem_euclid(360.0) - 180.0 } else { lon };
        let lat = self.events.iter().map(|e| e.lat_deg).sum::<f64>() / n;
        Some((lon, lat))
    }

    /// Write the catalog with one extra integer column `column` (values from
    /// `extra`, one per event in order) to `w`, comment lines dropped. If the
    /// header already has a column of that name its values are replaced.
    pub fn write_with_column<W: std::io::Write>(
        &self,
        w: W,
        column: &str,
        extra: &[usize],
    ) -> Result<(), csv::Error> {
        assert_eq!(extra.len(), self.events.len(), "one value per event");
        let existing = self
            .headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(column));
        let mut wtr = csv::Writer::from_writer(w);
        let mut header = self.headers.clone();
        if existing.is_none() {
            header.push_field(column);
        }
        wtr.write_record(&header)?;
        for (ev, v) in self.events.iter().zip(extra) {
            let v = v.to_string();
            let mut row: Vec<&str> = ev.record.iter().collect();
            match existing {
                Some(i) => row[i] = &v,
                None => row.push(&v),
            }
            wtr.write_record(&row)?;
        }
        wtr.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(s: &str) -> Result<Catalog, CatalogError> {
        Catalog::from_reader(s.as_bytes(), "cat.csv")
    }

    #[test]
    fn aliases_are_case_insensitive_and_comments_skipped() {
        let c = read(
            "# synthetic\n# second comment\nOrigin_Time, LATITUDE ,Long,Depth_km,ML,extra\n\
             2020-01-01T00:00:00.123456Z,35.5,-117.5,7.25,2.5,a\n\
             2020-01-02 10:00:00,35.6,-117.4,3,,b\n",
        )
        .unwrap();
        assert_eq!(c.events.len(), 2);
        let e = &c.events[0];
        assert_eq!(
            (e.lat_deg, e.lon_deg, e.depth_km, e.magnitude),
            (35.5, -117.5, 7.25, Some(2.5))
        );
        assert_eq!(e.origin_time.timestamp_subsec_micros(), 123456);
        assert_eq!(e.line, 4);
        assert_eq!(c.events[1].magnitude, None);
        assert_eq!(c.events[1].line, 5);
    }

    #[test]
    fn byte_order_mark_and_longitudes_east_of_180() {
        // Spreadsheet exports often start with a UTF-8 BOM.
        let c = read("\u{feff}time,lat,lon,depth\n2020-01-01T00:00:00Z,35.7,242.4,5\n").unwrap();
        assert!((c.events[0].lon_deg + 117.6).abs() < 1e-12);
        assert_eq!(&c.events[0].record[2], "242.4"); // the row itself is untouched
        assert_eq!(c.headers.get(0), Some("time"));
    }

    #[test]
    fn time_forms() {
        let a = parse_utc_time("2019-07-06T03:19:53.040Z").unwrap();
        assert_eq!(parse_utc_time("2019-07-06 03:19:53.04").unwrap(), a);
        assert_eq!(parse_utc_time("2019-07-05T20:19:53.040-07:00").unwrap(), a);
        assert_eq!(parse_utc_time("2019-07-06T03:19:53.040").unwrap(), a);
        assert_eq!(a.timestamp_subsec_millis(), 40);
        assert!(parse_utc_time("06/07/2019").is_none());
        assert!(parse_utc_time("2019-13-06T03:19:53Z").is_none());
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let head = "time,lat,lon,depth,mag\n";
        let msg = |body: &str| read(&format!("{head}{body}")).unwrap_err().to_string();
        let m = msg("2020-01-01T00:00:00Z,35,-117,5,1\n2020-01-01T00:00:00Z,abc,-117,5,1\n");
        assert!(
            m.contains("cat.csv")
                && m.contains("line 3")
                && m.contains("`lat`")
                && m.contains("abc"),
            "{m}"
        );
        let m = msg("2020-01-01T00:00:00Z,35,-117,NaN,1\n");
        assert!(
            m.contains("line 2") && m.contains("`depth`") && m.contains("finite"),
            "{m}"
        );
        let m = msg("2020-01-01T00:00:00Z,35,,5,1\n");
        assert!(m.contains("`lon`") && m.contains("missing"), "{m}");
        let m = msg("yesterday,35,-117,5,1\n");
        assert!(m.contains("`time`") && m.contains("yesterday"), "{m}");
        let m = msg("2020-01-01T00:00:00Z,95,-117,5,1\n");
        assert!(m.contains("`lat`") && m.contains("outside"), "{m}");
        let m = msg("2020-01-01T00:00:00Z,35,-117\n");
        assert!(m.contains("line 2") && m.contains("fields"), "{m}");
        let m = read("time,lat,lon,mag\n").unwrap_err().to_string();
        assert!(m.contains("depth") && m.contains("depth_km"), "{m}");
    }

    #[test]
    fn filters_by_region_and_time() {
        let c = read(
            "time,lat,lon,depth\n\
             2020-01-01T00:00:00Z,35.70,-117.60,5\n\
             2020-02-01T00:00:00Z,35.70,-117.00,5\n\
             2020-03-01T00:00:00Z,36.70,-117.60,5\n",
        )
        .unwrap();
        let near = CatalogFilter {
            region: Some(Region::Radius {
                lon_deg: -117.6,
                lat_deg: 35.7,
                radius_km: 60.0,
            }),
            ..Default::default()
        };
        // -117.0 at 35.7 N is ~54 km east; 36.7 N is ~111 km north.
        assert_eq!(c.filtered(&near).events.len(), 2);
        let boxed = CatalogFilter {
            region: Some(Region::LonLatBox {
                lon_min: -118.0,
                lon_max: -117.5,
                lat_min: 35.0,
                lat_max: 37.0,
            }),
            ..Default::default()
        };
        let lines: Vec<u64> = c.filtered(&boxed).events.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![2, 4]);
        let time = CatalogFilter {
            start: parse_utc_time("2020-02-01T00:00:00Z"),
            end: parse_utc_time("2020-03-01T00:00:00Z"),
            ..Default::default()
        };
        let lines: Vec<u64> = c.filtered(&time).events.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![3]);
    }

    #[test]
    fn writes_extra_column() {
        let c = read("# c\ntime,lat,lon,depth\n2020-01-01T00:00:00Z,35.7,-117.6,5\n2020-01-01T00:00:01Z,35.8,-117.6,6\n").unwrap();
        let mut out = Vec::new();
        c.write_with_column(&mut out, "cluster_id", &[1, 0])
            .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "time,lat,lon,depth,cluster_id\n2020-01-01T00:00:00Z,35.7,-117.6,5,1\n2020-01-01T00:00:01Z,35.8,-117.6,6,0\n"
        );
    }
}
