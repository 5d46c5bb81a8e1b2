//! Reading a published 3D velocity model given as scattered points in a CSV
//! file: one row per point, `longitude, latitude, depth (km), Vp, Vs (km/s)`.

use crate::TravelTimeError;
use std::path::Path;

/// One row of a scattered-point velocity CSV.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScatteredVelocityPoint {
    /// Longitude (degrees east).
    pub lon_deg: f64,
    /// Latitude (degrees north).
    pub lat_deg: f64,
    /// Depth (km, positive down; negative above sea level).
    pub depth_km: f64,
    /// P velocity (km/s).
    pub vp_km_s: f64,
    /// S velocity (km/s).
    pub vs_km_s: f64,
    /// Line of the file the point came from (1-based).
    pub line: u64,
}

/// The columns a velocity CSV must have, each with the header names it
/// accepts (compared case-insensitively after trimming spaces).
pub const VELOCITY_CSV_COLUMNS: [(&str, &[&str]); 5] = [
    (
        "longitude",
        &["lon", "longitude", "long", "lon_deg", "longitude_deg"],
    ),
    ("latitude", &["lat", "latitude", "lat_deg", "latitude_deg"]),
    ("depth", &["depth", "depth_km", "z", "z_km"]),
    ("vp", &["vp", "vp_km_s", "vp_kms", "vp(km/s)"]),
    ("vs", &["vs", "vs_km_s", "vs_kms", "vs(km/s)"]),
];

/// Read the scattered points of a velocity CSV.
///
/// Format: a header row naming the columns, then one row per point. The
/// columns are found by name, in any order, case-insensitively:
///
/// | quantity | accepted header names | unit |
/// |---|---|---|
/// | longitude | `lon`, `longitude`, `long`, `lon_deg`, `longitude_deg` | degrees east |
/// | latitude | `lat`, `latitude`, `lat_deg`, `latitude_deg` | degrees north |
/// | depth | `depth`, `depth_km`, `z`, `z_km` | km, positive down |
/// | P velocity | `vp`, `vp_km_s`, `vp_kms`, `vp(km/s)` | km/s |
/// | S velocity | `vs`, `vs_km_s`, `vs_kms`, `vs(km/s)` | km/s |
///
/// Other columns (density, Qp, ...) are ignored; lines starting with `#` are
/// comments; fields may be padded with spaces. Errors name the file, the line
/// and the column: a missing column in the header, a missing or non-numeric
/// field, a NaN or non-positive velocity, a longitude outside [-360, 360] or
/// a latitude outside [-90, 90].
pub fn read_velocity_csv(
    path: impl AsRef<Path>,
) -> Result<Vec<ScatteredVelocityPoint>, TravelTimeError> {
    let path = path.as_ref();
    let fmt = |what: String| TravelTimeError::Format {
        path: path.to_path_buf(),
        what,
    };
    let bytes = std::fs::read(path).map_err(|source| TravelTimeError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    // The csv crate's positions point before the blank and comment lines it
    // skips, so lines are found here: the line holding the record's first
    // byte, moved past blank (`""`) and comment (`#...`) lines.
    let lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    let skipped = |l: &[u8]| l.trim_ascii().is_empty() || l.first() == Some(&b'#');
    let line_starts: Vec<u64> = std::iter::once(0)
        .chain(
            bytes
                .iter()
                .enumerate()
                .filter(|(_, &b)| b == b'\n')
                .map(|(i, _)| i as u64 + 1),
        )
        .collect();
    let line_of = |pos: Option<&csv::Position>| {
        let Some(p) = pos else { return 0 };
        let mut l = line_starts
            .partition_point(|&s| s <= p.byte())
            .saturating_sub(1);
        while l + 1 < lines.len() && skipped(lines[l]) {
            l += 1;
        }
        l as u64 + 1
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(bytes.as_slice());
    let headers = reader
        .headers()
        .map_err(|e| fmt(format!("header: {e}")))?
        .clone();
    // The header row: the first line neither blank nor a comment.
    let hl = lines.iter().position(|l| !skipped(l)).map_or(1, |i| i + 1);

    // Column index of each quantity.
    let mut cols = [usize::MAX; 5];
    for (q, (quantity, aliases)) in VELOCITY_CSV_COLUMNS.iter().enumerate() {
        for (i, h) in headers.iter().enumerate() {
            if aliases.contains(&h.trim().to_ascii_lowercase().as_str()) {
                if cols[q] != usize::MAX {
                    return Err(fmt(format!(
                        "line {hl} (header): columns `{}` and `{h}` both name the {quantity}",
                        &headers[cols[q]]
                    )));
                }
                cols[q] = i;
            }
        }
        if cols[q] == usize::MAX {
            return Err(fmt(format!(
                "line {hl} (header): no {quantity} column (accepted names, any case: {}); found columns: {}",
                aliases.join(", "),
                headers.iter().collect::<Vec<_>>().join(", ")
            )));
        }
    }

    let mut points = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = line_of(e.position());
                return Err(fmt(format!("line {line}: {e}")));
            }
        }
        let line = line_of(record.position());
        let mut v = [0.0f64; 5];
        for (q, &c) in cols.iter().enumerate() {
            let name = &headers[c];
            let field = record.get(c).filter(|f| !f.is_empty()).ok_or_else(|| {
                fmt(format!(
                    "line {line}, column `{name}` (column {}): missing field",
                    c + 1
                ))
            })?;
            let x: f64 = field.parse().map_err(|_| {
                fmt(format!(
                    "line {line}, column `{name}` (column {}): `{field}` is not a number",
                    c + 1
                ))
            })?;
            let ok = match q {
                0 => x.is_finite() && x.abs() <= 360.0,
                1 => x.is_finite() && x.abs() <= 90.0,
                2 => x.is_finite(),
                _ => x.is_finite() && x > 0.0,
            };
            if !ok {
                let rule = match q {
                    0 => "a longitude must lie in [-360, 360] degrees",
                    1 => "a latitude must lie in [-90, 90] degrees",
                    2 => "a depth must be finite",
                    _ => "a velocity must be positive and finite (km/s)",
                };
                return Err(fmt(format!(
                    "line {line}, column `{name}` (column {}): {field}: {rule}",
                    c + 1
                )));
            }
            v[q] = x;
        }
        points.push(ScatteredVelocityPoint {
            lon_deg: v[0],
            lat_deg: v[1],
            depth_km: v[2],
            vp_km_s: v[3],
            vs_km_s: v[4],
            line,
        });
    }
    if points.is_empty() {
        return Err(fmt("no data rows after the header".to_string()));
    }
    Ok(points)
}
