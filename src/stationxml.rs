//! FDSN StationXML (1.0–1.2) as a station table.
//!
//! Reads what location needs and nothing else: for every
//! `Network/Station/Channel` the codes and the sensor position. Each
//! `NET.STA.LOC` becomes one [`Station`] ([`crate::station_id`]), placed at
//! its first channel's `Latitude`, `Longitude` and `Elevation` minus `Depth`
//! (the sensor, which may sit in a borehole); a station without channels
//! (FDSN "station" level) becomes `NET.STA` at the station's own
//! coordinates. When a station has several epochs (the same codes repeated
//! with other `startDate`s), the latest epoch wins: a location is made with
//! today's metadata unless the user trims the file. Errors name the file,
//! line and element.
//!
//! The XML itself is parsed by `quick-xml`; this module only walks the
//! elements (no schema code generation: the few fields above are all
//! eqnemix reads).
//!
//! ```
//! use eqnemix::geo::LocalProjection;
//! use eqnemix::stationxml::stations_from_stationxml;
//! let xml = br#"<?xml version="1.0" encoding="UTF-8"?>
//! <FDSNStationXML xmlns="http://www.fdsn.org/xml/station/1" schemaVersion="1.1">
//!   <Source>example</Source><Created>2024-01-01T00:00:00Z</Created>
//!   <Network code="CI"><Station code="CLC" startDate="2000-01-01T00:00:00Z">
//!     <Latitude>35.8157</Latitude><Longitude>-117.5975</Longitude><Elevation>775</Elevation>
//!     <Site><Name>China Lake</Name></Site>
//!     <Channel code="HHZ" locationCode="" startDate="2000-01-01T00:00:00Z">
//!       <Latitude>35.8157</Latitude><Longitude>-117.5975</Longitude><Elevation>775</Elevation><Depth>0</Depth>
//!     </Channel>
//!   </Station></Network>
//! </FDSNStationXML>"#;
//! let projection = LocalProjection::new(-117.5975, 35.8157).unwrap();
//! let stations = stations_from_stationxml(xml, "CLC.xml".as_ref(), &projection)?;
//! assert_eq!(stations[0].code, "CI.CLC");
//! assert!((stations[0].position_km[2] + 0.775).abs() < 1e-9); // 775 m above the datum
//! # Ok::<(), eqnemix::locate::inputs::InputError>(())
//! ```

use crate::geo::LocalProjection;
use crate::locate::inputs::{project_station, InputError};
use crate::station_id::StationId;
use eqnemix_traveltime::Station;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::path::Path;

/// Coordinates read from one `Station` or `Channel` element.
#[derive(Debug, Default, Clone)]
struct Coordinates {
    latitude: Option<f64>,
    longitude: Option<f64>,
    elevation_m: Option<f64>,
    depth_m: Option<f64>,
}

/// One sensor location found in the file, before projection.
#[derive(Debug, Clone)]
struct Entry {
    id: StationId,
    start: String,
    coords: Coordinates,
    line: u64,
}

/// The stations of a StationXML document (`bytes`, named `path` in errors),
/// projected with `projection`.
pub fn stations_from_stationxml(bytes: &[u8], path: &Path, projection: &LocalProjection) -> Result<Vec<Station>, InputError> {
    let entries = entries(bytes, path)?;
    let mut out: Vec<(Station, String)> = Vec::new();
    for e in entries {
        let c = &e.coords;
        let need = |v: Option<f64>, name: &str| {
            v.ok_or_else(|| InputError::Format { path: path.to_path_buf(), line: e.line, field: name.into(), what: "missing".into() })
        };
        let (lat, lon) = (need(c.latitude, "Latitude")?, need(c.longitude, "Longitude")?);
        let elevation = need(c.elevation_m, "Elevation")? - c.depth_m.unwrap_or(0.0);
        let position_km = project_station(path, e.line, projection, (lon, lat, elevation), ["Latitude", "Longitude", "Elevation"])?;
        let code = e.id.code();
        match out.iter_mut().find(|(s, _)| s.code == code) {
            // A later epoch replaces an earlier one (RFC 3339 strings of
            // one file order as times).
            Some((s, start)) if e.start > *start => {
                s.position_km = position_km;
                *start = e.start.clone();
            }
            Some(_) => {}
            None => out.push((Station { code, position_km }, e.start.clone())),
        }
    }
    if out.is_empty() {
        return Err(InputError::Format { path: path.to_path_buf(), line: 1, field: "Station".into(), what: "no station in the file".into() });
    }
    Ok(out.into_iter().map(|(s, _)| s).collect())
}

/// 1-based line of byte `pos`.
fn line_of(bytes: &[u8], pos: usize) -> u64 {
    1 + bytes[..pos.min(bytes.len())].iter().filter(|&&b| b == b'\n').count() as u64
}

fn attribute(e: &BytesStart<'_>, name: &str, path: &Path, line: u64) -> Result<Option<String>, InputError> {
    for a in e.attributes() {
        let a = a.map_err(|err| InputError::Format { path: path.to_path_buf(), line, field: element_name(e), what: err.to_string() })?;
        if a.key.local_name().as_ref() == name.as_bytes() {
            let v = a
                .unescape_value()
                .map_err(|err| InputError::Format { path: path.to_path_buf(), line, field: format!("{}@{name}", element_name(e)), what: err.to_string() })?;
            crate::picks::check_identifier(&v)
                .map_err(|what| InputError::Format { path: path.to_path_buf(), line, field: format!("{}@{name}", element_name(e)), what })?;
            return Ok(Some(v.trim().to_string()));
        }
    }
    Ok(None)
}

fn element_name(e: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(e.local_name().as_ref()).into_owned()
}

/// Walks the document: the sensor locations with their coordinates.
fn entries(bytes: &[u8], path: &Path) -> Result<Vec<Entry>, InputError> {
    let fmt = |line: u64, field: &str, what: String| InputError::Format { path: path.to_path_buf(), line, field: field.into(), what };
    let mut reader = Reader::from_reader(bytes);
    // Open elements (local names); the current network code; the open
    // station (codes, epoch start, coordinates, line, whether it has
    // channels) and channel (location code, coordinates, line).
    let mut stack: Vec<String> = Vec::new();
    let mut network = String::new();
    let mut station: Option<(String, String, Coordinates, u64, bool)> = None;
    let mut channel: Option<(String, Coordinates, u64)> = None;
    let mut out = Vec::new();
    let mut buf = Vec::new();
    loop {
        let pos = reader.buffer_position() as usize;
        let event = reader.read_event_into(&mut buf).map_err(|e| fmt(line_of(bytes, pos), "XML", e.to_string()))?;
        let line = line_of(bytes, pos);
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let name = element_name(e);
                if stack.is_empty() && name != "FDSNStationXML" {
                    return Err(fmt(line, &name, "not StationXML: the root element is not FDSNStationXML".into()));
                }
                let parent = stack.last().map(String::as_str);
                match (name.as_str(), parent) {
                    ("Network", Some("FDSNStationXML")) => {
                        network = attribute(e, "code", path, line)?.ok_or_else(|| fmt(line, "Network@code", "missing".into()))?;
                    }
                    ("Station", Some("Network")) => {
                        let code = attribute(e, "code", path, line)?.ok_or_else(|| fmt(line, "Station@code", "missing".into()))?;
                        let start = attribute(e, "startDate", path, line)?.unwrap_or_default();
                        station = Some((code, start, Coordinates::default(), line, false));
                    }
                    ("Channel", Some("Station")) => {
                        let loc = attribute(e, "locationCode", path, line)?.unwrap_or_default();
                        channel = Some((loc, Coordinates::default(), line));
                    }
                    _ => {}
                }
                if matches!(event, Event::Start(_)) {
                    stack.push(name);
                } else if name == "Channel" {
                    return Err(fmt(line, "Channel", "an empty Channel element has no coordinates".into()));
                }
            }
            Event::Text(t) => {
                let n = stack.len();
                if n >= 2 && matches!(stack[n - 2].as_str(), "Station" | "Channel") {
                    let field = stack[n - 1].as_str();
                    if matches!(field, "Latitude" | "Longitude" | "Elevation" | "Depth") {
                        let text = t.unescape().map_err(|e| fmt(line, field, e.to_string()))?;
                        let v: f64 = text.trim().parse().map_err(|_| fmt(line, field, format!("`{}` is not a number", text.trim())))?;
                        if !v.is_finite() {
                            return Err(fmt(line, field, format!("`{}` is not finite", text.trim())));
                        }
                        let coords = if stack[n - 2] == "Channel" {
                            channel.as_mut().map(|c| &mut c.1)
                        } else {
                            station.as_mut().map(|s| &mut s.2)
                        };
                        if let Some(c) = coords {
                            match field {
                                "Latitude" => c.latitude = Some(v),
                                "Longitude" => c.longitude = Some(v),
                                "Elevation" => c.elevation_m = Some(v),
                                _ => c.depth_m = Some(v),
                            }
                        }
                    }
                }
            }
            Event::End(_) => {
                let name = stack.pop().unwrap_or_default();
                let parent = stack.last().map(String::as_str);
                match (name.as_str(), parent) {
                    ("Channel", Some("Station")) => {
                        if let (Some((loc, coords, cline)), Some(st)) = (channel.take(), station.as_mut()) {
                            st.4 = true;
                            let id = StationId::from_parts(&network, &st.0, &loc);
                            // The first channel of a location places it.
                            if !out.iter().any(|e: &Entry| e.id == id && e.start == st.1) {
                                out.push(Entry { id, start: st.1.clone(), coords, line: cline });
                            }
                        }
                    }
                    ("Station", Some("Network")) => {
                        if let Some((code, start, coords, sline, has_channels)) = station.take() {
                            if !has_channels {
                                out.push(Entry { id: StationId::from_parts(&network, &code, ""), start, coords, line: sline });
                            }
                        }
                    }
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !stack.is_empty() {
        return Err(fmt(line_of(bytes, bytes.len()), &stack[stack.len() - 1], "the file ends inside this element".into()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(body: &str) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<FDSNStationXML xmlns=\"http://www.fdsn.org/xml/station/1\" schemaVersion=\"1.1\">\n<Source>t</Source>\n{body}\n</FDSNStationXML>\n"
        )
    }

    const TWO: &str = r#"<Network code="XX">
<Station code="SYN1" startDate="2019-01-01T00:00:00Z">
 <Latitude>35.7</Latitude><Longitude>-117.6</Longitude><Elevation>100</Elevation>
 <Channel code="HHZ" locationCode="00" startDate="2019-01-01T00:00:00Z">
  <Latitude>35.7</Latitude><Longitude>-117.6</Longitude><Elevation>100</Elevation><Depth>50</Depth>
 </Channel>
 <Channel code="HHN" locationCode="00" startDate="2019-01-01T00:00:00Z">
  <Latitude>35.7</Latitude><Longitude>-117.6</Longitude><Elevation>100</Elevation><Depth>50</Depth>
 </Channel>
</Station>
<Station code="SYN2" startDate="2010-01-01T00:00:00Z">
 <Latitude>35.8</Latitude><Longitude>-117.6</Longitude><Elevation>0</Elevation>
</Station>
<Station code="SYN2" startDate="2015-01-01T00:00:00Z">
 <Latitude>35.9</Latitude><Longitude>-117.6</Longitude><Elevation>0</Elevation>
</Station>
</Network>"#;

    #[test]
    fn reads_sensor_positions_codes_and_the_latest_epoch() {
        let projection = LocalProjection::new(-117.6, 35.7).unwrap();
        let st = stations_from_stationxml(doc(TWO).as_bytes(), Path::new("s.xml"), &projection).unwrap();
        let codes: Vec<&str> = st.iter().map(|s| s.code.as_str()).collect();
        assert_eq!(codes, ["XX.SYN1.00", "XX.SYN2"]);
        // Sensor 50 m below a 100 m surface: 50 m above the datum.
        assert!(st[0].position_km[0].abs() < 1e-9 && st[0].position_km[1].abs() < 1e-9);
        assert!((st[0].position_km[2] + 0.05).abs() < 1e-9, "{:?}", st[0].position_km);
        // The 2015 epoch (35.9 N), about 22.2 km north.
        assert!((st[1].position_km[1] - 22.2).abs() < 0.1, "{:?}", st[1].position_km);
    }

    #[test]
    fn errors_name_the_line_and_element() {
        let projection = LocalProjection::new(-117.6, 35.7).unwrap();
        let bad = doc(&TWO.replace("<Latitude>35.8</Latitude>", "<Latitude>north</Latitude>"));
        let err = stations_from_stationxml(bad.as_bytes(), Path::new("s.xml"), &projection).unwrap_err().to_string();
        assert!(err.starts_with("s.xml:15: field `Latitude`") && err.contains("north"), "{err}");
        let missing = doc(&TWO.replace(r#"<Network code="XX">"#, "<Network>"));
        let err = stations_from_stationxml(missing.as_bytes(), Path::new("s.xml"), &projection).unwrap_err().to_string();
        assert!(err.contains("s.xml:4: field `Network@code`: missing"), "{err}");
        let cut = &doc(TWO)[..300];
        assert!(stations_from_stationxml(cut.as_bytes(), Path::new("s.xml"), &projection).is_err());
        let other = "<?xml version=\"1.0\"?><quakeml/>";
        let err = stations_from_stationxml(other.as_bytes(), Path::new("s.xml"), &projection).unwrap_err().to_string();
        assert!(err.contains("not StationXML"), "{err}");
        let nothing = doc("");
        assert!(stations_from_stationxml(nothing.as_bytes(), Path::new("s.xml"), &projection).unwrap_err().to_string().contains("no station"));
    }
}
